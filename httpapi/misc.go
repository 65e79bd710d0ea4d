package httpapi

import (
	_ "embed"
	"math"
	"net/http"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// OpenAPIDocument is the hand-written description of every route.
//
//go:embed openapi.yaml
var OpenAPIDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(OpenAPIDocument)
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers whether this replica can serve. It does not fail on a
// database outage alone: a replica that cannot reach the database answers
// 503 for its own requests, but taking every replica out of the load
// balancer at once would turn a partial outage into a total one.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			return err
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := keyhold.PrincipalFromContext(r.Context())
	writeJSON(w, r, http.StatusOK, whoamiOut(p))
	return nil
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := s.svc.Orgs.Organization(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, organizationOut(o))
	return nil
}

// patchOrganization changes the organization's settings; of Konnect's
// fields keyhold takes retention_period_days.
func (s *Server) patchOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var in keyhold.OrganizationUpdate
	if days := o.integer("retention_period_days", false); days != nil {
		d := int(max(min(*days, math.MaxInt32), math.MinInt32)) // the service refuses what is out of bounds
		in.RetentionPeriodDays = &d
	}
	if err := o.err(); err != nil {
		return err
	}
	org, err := s.svc.Orgs.UpdateOrganization(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, organizationOut(org))
	return nil
}

var auditFilters = filterSpec{"actor_id": filterEq, "actor_name": filterString, "action": filterString, "target_id": filterEq,
	"target_type": filterString, "subject_account_id": filterEq, "principal_id": filterEq, "outcome": filterEq, "occurred_at": filterTime,
	"credential_id": filterEq, "credential_fingerprint": filterEq}

func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), auditFilters)
	if err != nil {
		return err
	}
	f := keyhold.AuditFilter{ActorID: q.id("actor_id"), ActorName: q.str("actor_name"), Action: q.str("action"), TargetID: q.id("target_id"),
		SubjectID: q.id("subject_account_id"), Involving: q.id("principal_id"), TargetType: q.str("target_type"), Outcome: q.eq("outcome"),
		CredentialID: q.eq("credential_id"), CredentialFingerprint: q.eq("credential_fingerprint"), Since: q.time("occurred_at", "gte"), Until: q.time("occurred_at", "lt"), Page: q.page}
	// A window that ends before it starts matches nothing: say so rather
	// than answer an empty page.
	if f.EmptyWindow() {
		return keyhold.Invalid(keyhold.FieldError{Field: "filter[occurred_at][lt]", Source: "query",
			Reason: "must be after filter[occurred_at][gte]", Rule: "invalid"})
	}
	var proofs bool
	switch v := r.URL.Query()["proofs"]; {
	case len(v) == 0 || (len(v) == 1 && v[0] == "false"):
	case len(v) == 1 && v[0] == "true":
		proofs = true
	default:
		return keyhold.Invalid(keyhold.FieldError{Field: "proofs", Source: "query", Reason: "must be true or false, once", Rule: "invalid"})
	}
	l, err := s.svc.Audit.ListAuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	page := pageOf(l, auditEventOut)
	if !proofs {
		writeJSON(w, r, http.StatusOK, page)
		return nil
	}
	out := wire.AuditEventPage{Meta: page.Meta, Data: page.Data}
	if out.AuditLog, err = s.proveEvents(r.Context(), l.Items); err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

// serveMetrics serves Prometheus metrics, unauthenticated as scrapers
// expect; put keyhold behind a proxy that hides /metrics if it must not
// be public.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metrics == nil {
		writeError(w, r, keyhold.Errorf(keyhold.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path))
		return
	}
	s.metrics.ServeHTTP(w, r)
}
