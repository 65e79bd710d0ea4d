package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// Decider answers authorization decisions from the in-memory index.
type Decider interface {
	// Resolve turns a role asked by name into a query; nil when none is
	// asked. Fields in errors are named with prefix.
	Resolve(q keyhold.RoleQuery, prefix string) (*keyhold.Query, error)
	// DecideRequest authenticates credentials used by the request that ri
	// describes and, with q, checks one role.
	DecideRequest(ri keyhold.RequestInfo, surface string, c keyhold.Credentials, q *keyhold.Query) keyhold.Decision
	// CheckSubject decides a subject token and, when it is usable, each
	// query (the batch check).
	// The caller in ctx needs tokens:introspect.
	CheckSubject(ctx context.Context, c keyhold.Credentials, queries []*keyhold.Query) (d keyhold.Decision, usable bool, results []bool, err error)
	// IntrospectSubject decides a subject token and, when it is usable,
	// returns the roles it may use.
	// The caller in ctx needs tokens:introspect.
	IntrospectSubject(ctx context.Context, c keyhold.Credentials) (d keyhold.Decision, usable bool, roles []keyhold.ScopeRole, err error)
}

// Headers of the forward-auth answer and of the gateway's permission.
const (
	HeaderPrincipalType = "X-Keyhold-Principal-Type"
	HeaderPrincipalID   = "X-Keyhold-Principal-Id"
	HeaderPrincipalName = "X-Keyhold-Principal-Name"
	HeaderTokenID       = "X-Keyhold-Token-Id"

	HeaderRoleName       = "X-Keyhold-Role-Name"
	HeaderEntityTypeName = "X-Keyhold-Entity-Type-Name"
	HeaderEntityID       = "X-Keyhold-Entity-Id"
	HeaderEntityRegion   = "X-Keyhold-Entity-Region"
)

// authorize is forward-auth for gateways. /v1/authorize takes the
// permission from its query, which the gateway's configuration fixes; it
// answers any method, since some gateways forward the client's. Any
// method on /v1/authorize/{rest...} serves gateways that append the
// client's own method, path and query: there the permission comes only
// from X-Keyhold-* headers that the gateway sets, never from the client's
// query. It writes no log line and no database row per request.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) { s.decide(w, r) }

// decide is authorize returning the status it wrote, so that ServeHTTP
// need not wrap the writer to learn it.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) int {
	var query *keyhold.Query
	var err error
	if r.URL.Path == "/v1/authorize" {
		query, err = s.queries.resolve(s.decider, r.URL.RawQuery)
	} else {
		h := r.Header
		query, err = s.decider.Resolve(keyhold.RoleQuery{RoleName: h.Get(HeaderRoleName), EntityTypeName: h.Get(HeaderEntityTypeName),
			EntityID: h.Get(HeaderEntityID), EntityRegion: h.Get(HeaderEntityRegion)}, "")
	}
	if err != nil {
		return s.decisionError(w, r, err)
	}
	ri := keyhold.RequestInfo{ClientIP: s.clients.Of(r), UserAgent: r.UserAgent()}
	d := s.decider.DecideRequest(ri, "authorize", credentials(r), query)
	switch d.Outcome {
	case keyhold.DecisionUnauthenticated:
		return s.decisionError(w, r, keyhold.Errorf(keyhold.EUNAUTHENTICATED, "%s", d.Reason))
	case keyhold.DecisionForbidden:
		return s.decisionError(w, r, keyhold.Errorf(keyhold.EFORBIDDEN, "%s", d.Reason))
	case keyhold.DecisionRateLimited:
		return s.decisionError(w, r, &keyhold.Error{Code: keyhold.ERATELIMITED, Message: d.Reason, RetryAfter: d.RetryAfter})
	}
	// One backing array for the four header values: one allocation, not
	// four.
	v := []string{string(d.Principal.Type), d.Principal.ID, d.Principal.Name, d.Principal.TokenID}
	h := w.Header()
	h[HeaderPrincipalType] = v[0:1:1]
	h[HeaderPrincipalID] = v[1:2:2]
	h[HeaderPrincipalName] = v[2:3:3]
	h[HeaderTokenID] = v[3:4:4]
	w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

// decisionError writes a refusal and returns its status; the request id
// exists only for refusals, so that the allowed path stays cheap.
func (s *Server) decisionError(w http.ResponseWriter, r *http.Request, err error) int {
	id := newRequestID()
	w.Header().Set("X-Request-Id", id)
	writeError(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)), err)
	return wire.StatusOf(keyhold.ErrorCode(err))
}

type checkBody struct {
	Active    bool          `json:"active"`
	Principal *wire.WhoAmI  `json:"principal,omitempty"`
	Results   []checkResult `json:"results"`
}

type checkResult struct {
	Allowed bool `json:"allowed"`
}

// maxChecks bounds one batch.
const maxChecks = 100

// check is the batch check: an authorized service sends a subject token
// and permissions, and gets a verdict for each. The caller's own token is
// authenticated and authorized by the route; the subject's failures count
// in the aggregated audit of failed authentications, against token
// scanning (RFC 7662 §4).
func (s *Server) check(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	token := o.str("token", true)
	clientIP := o.str("client_ip", false)
	perms, _ := o.permissions("checks", false, "must be an array of permissions")
	if len(perms) > maxChecks {
		o.errs = append(o.errs, keyhold.FieldError{Field: "checks", Reason: "too many checks", Rule: "max_items", Maximum: keyhold.Int64(maxChecks)})
	}
	if clientIP != nil {
		if _, err := netip.ParseAddr(*clientIP); err != nil {
			o.errs = append(o.errs, keyhold.FieldError{Field: "client_ip", Reason: "must be an IPv4 or IPv6 address", Rule: "invalid"})
		}
	} else {
		clientIP = new(string)
	}
	if err := o.err(); err != nil {
		return err
	}
	queries := make([]*keyhold.Query, len(perms))
	for i, p := range perms {
		if p == (keyhold.RoleQuery{}) {
			return keyhold.Invalid(keyhold.FieldError{Field: "checks[" + strconv.Itoa(i) + "]", Reason: "is empty", Rule: "required"})
		}
		if queries[i], err = s.decider.Resolve(p, "checks["+strconv.Itoa(i)+"]."); err != nil {
			return err
		}
	}
	body := checkBody{Results: make([]checkResult, len(perms))}
	d, active, results, err := s.decider.CheckSubject(r.Context(), keyhold.Credentials{Bearer: *token, ClientIP: *clientIP}, queries)
	if err != nil {
		return err
	}
	if active {
		body.Active = true
		body.Principal = whoamiOut(&d.Principal)
		for i, held := range results {
			body.Results[i].Allowed = held
		}
	}
	writeJSON(w, r, http.StatusOK, body)
	return nil
}

func whoamiOut(p *keyhold.Principal) *wire.WhoAmI {
	return &wire.WhoAmI{PrincipalType: string(p.Type), PrincipalID: p.ID, PrincipalName: p.Name, TokenID: p.TokenID, TokenType: string(p.TokenKind)}
}

type introspection struct {
	Active        bool                `json:"active"`
	Sub           string              `json:"sub,omitempty"`
	Username      string              `json:"username,omitempty"`
	TokenType     string              `json:"token_type,omitempty"`
	Exp           *int64              `json:"exp,omitempty"`
	Iat           int64               `json:"iat,omitempty"`
	Jti           string              `json:"jti,omitempty"`
	PrincipalType string              `json:"principal_type,omitempty"`
	Roles         []effectiveRoleJSON `json:"roles,omitempty"`
}

// activeIntrospection always lists roles, even none.
type activeIntrospection struct {
	introspection
	Roles []effectiveRoleJSON `json:"roles"`
}

type effectiveRoleJSON struct {
	RoleName       string `json:"role_name"`
	EntityTypeName string `json:"entity_type_name"`
	EntityID       string `json:"entity_id"`
	EntityRegion   string `json:"entity_region"`
}

// introspect is RFC 7662 token introspection: a form-encoded token from an
// authorized caller; inactive tokens get only {"active": false}.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if err := formBody(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return keyhold.Errorf(keyhold.ETOOLARGE, "The request body is larger than %d bytes", tooLarge.Limit)
		}
		return keyhold.Invalid(keyhold.FieldError{Field: "body", Reason: "must be application/x-www-form-urlencoded", Source: "body"})
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			return keyhold.Invalid(keyhold.FieldError{Field: k, Reason: "must be given once", Rule: "invalid", Source: "body"})
		}
	}
	token := r.PostForm.Get("token")
	if token == "" {
		return keyhold.Invalid(keyhold.FieldError{Field: "token", Reason: "is required", Rule: "required", Source: "body"})
	}
	clientIP := r.PostForm.Get("client_ip")
	if _, err := netip.ParseAddr(clientIP); clientIP != "" && err != nil {
		return keyhold.Invalid(keyhold.FieldError{Field: "client_ip", Reason: "must be an IPv4 or IPv6 address", Rule: "invalid", Source: "body"})
	}
	d, active, roles, err := s.decider.IntrospectSubject(r.Context(), keyhold.Credentials{Bearer: token, ClientIP: clientIP})
	if err != nil {
		return err
	}
	if !active {
		writeJSON(w, r, http.StatusOK, introspection{Active: false})
		return nil
	}
	p := d.Principal
	out := activeIntrospection{introspection: introspection{Active: true, Sub: p.ID, Username: p.Name, TokenType: "Bearer",
		Iat: d.IssuedAt, Jti: p.TokenID, PrincipalType: string(p.Type)}, Roles: make([]effectiveRoleJSON, len(roles))}
	if d.ExpiresAt != 0 {
		out.Exp = &d.ExpiresAt
	}
	for i, r := range roles {
		out.Roles[i] = effectiveRoleJSON(r)
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

// formBody refuses a non-empty body that is not form-encoded, the only
// encoding RFC 7662 allows; ParseForm would ignore it and answer as if no
// token had been sent.
func formBody(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		return nil
	}
	raw, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return keyhold.Errorf(keyhold.ETOOLARGE, "The request body is larger than %d bytes", tooLarge.Limit)
	}
	if err != nil {
		return errBadBody
	}
	if len(raw) > 0 {
		return errUnsupportedMediaType("application/x-www-form-urlencoded")
	}
	return nil
}
