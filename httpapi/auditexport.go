package httpapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// The audit trail's export, in Konnect's shape: /v2/audit-log-destinations
// and /v2/audit-log-webhook. An authorization value goes in, never out.

func auditDestinationOut(d *keyhold.AuditDestination) wire.AuditLogDestination {
	return wire.AuditLogDestination{ID: d.ID, Name: d.Name, Endpoint: d.Endpoint, LogFormat: d.LogFormat,
		SkipSSLVerification: d.SkipSSLVerification, Enabled: d.Enabled, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		LastAttemptAt: d.LastAttemptAt, LastResponseCode: d.LastResponseCode, LastResponseMessage: d.LastResponseMessage}
}

func auditWebhookOut(d *keyhold.AuditDestination) wire.AuditLogWebhook {
	out := wire.AuditLogWebhook{Endpoint: d.Endpoint, Enabled: d.Enabled, LogFormat: d.LogFormat, SkipSSLVerification: d.SkipSSLVerification}
	if !d.UpdatedAt.IsZero() {
		at := d.UpdatedAt
		out.UpdatedAt = &at
	}
	return out
}

func (s *Server) listAuditDestinations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{"name": filterString})
	if err != nil {
		return err
	}
	l, err := s.svc.AuditExport.ListAuditDestinations(r.Context(), keyhold.AuditDestinationFilter{Name: q.str("name"), Page: q.page})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, auditDestinationOut))
	return nil
}

func (s *Server) createAuditDestination(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	name, endpoint := o.str("name", true), o.str("endpoint", true)
	authorization, format := o.str("authorization", false), o.str("log_format", false)
	skip, enabled := o.boolean("skip_ssl_verification"), o.boolean("enabled")
	if err := o.err(); err != nil {
		return err
	}
	d, err := s.svc.AuditExport.CreateAuditDestination(r.Context(), keyhold.AuditDestinationCreate{Name: *name, Endpoint: *endpoint,
		Authorization: deref(authorization), LogFormat: deref(format), SkipSSLVerification: skip != nil && *skip, Enabled: enabled})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, auditDestinationOut(d))
	return nil
}

func (s *Server) getAuditDestination(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.AuditExport.GetAuditDestination(r.Context(), r.PathValue("auditLogDestinationId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, auditDestinationOut(d))
	return nil
}

// auditDestinationUpdate reads the fields of a PATCH, all optional.
func auditDestinationUpdate(o *object, withName bool) keyhold.AuditDestinationUpdate {
	var in keyhold.AuditDestinationUpdate
	if withName {
		in.Name = o.str("name", false)
	}
	in.Endpoint, in.Authorization, in.LogFormat = o.str("endpoint", false), o.str("authorization", false), o.str("log_format", false)
	in.SkipSSLVerification, in.Enabled = o.boolean("skip_ssl_verification"), o.boolean("enabled")
	return in
}

func (s *Server) updateAuditDestination(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := auditDestinationUpdate(o, true)
	if err := o.err(); err != nil {
		return err
	}
	d, err := s.svc.AuditExport.UpdateAuditDestination(r.Context(), r.PathValue("auditLogDestinationId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, auditDestinationOut(d))
	return nil
}

func (s *Server) deleteAuditDestination(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.AuditExport.DeleteAuditDestination(r.Context(), r.PathValue("auditLogDestinationId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getAuditLogWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	d, err := s.svc.AuditExport.AuditLogWebhook(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, auditWebhookOut(d))
	return nil
}

func (s *Server) updateAuditLogWebhook(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := auditDestinationUpdate(o, false)
	if err := o.err(); err != nil {
		return err
	}
	d, err := s.svc.AuditExport.UpdateAuditLogWebhook(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, auditWebhookOut(d))
	return nil
}

func (s *Server) getAuditLogWebhookStatus(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	d, err := s.svc.AuditExport.AuditLogWebhook(r.Context())
	if err != nil {
		return err
	}
	status := "inactive"
	if d.Active() {
		status = "active"
	}
	writeJSON(w, r, http.StatusOK, wire.AuditLogWebhookStatus{WebhookStatus: status, WebhookEnabled: d.Enabled,
		LastAttemptAt: d.LastAttemptAt, LastResponseCode: d.LastResponseCode, LastResponseMessage: d.LastResponseMessage})
	return nil
}

// noQuery refuses any query parameter: a misspelt one would be ignored.
func noQuery(r *http.Request) error {
	_, err := intParams(r.URL.Query(), nil)
	return err
}

func replayJobOut(j *keyhold.AuditReplayJob) wire.AuditLogReplayJob {
	out := wire.AuditLogReplayJob{Status: j.Status}
	if j.Status != keyhold.ReplayUnconfigured {
		start, end, at := j.StartAt, j.EndAt, j.UpdatedAt
		out.StartAt, out.EndAt, out.UpdatedAt = &start, &end, &at
	}
	return out
}

func (s *Server) putAuditLogReplayJob(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	start, end := o.time("start_at", true), o.time("end_at", true)
	if err := o.err(); err != nil {
		return err
	}
	j, err := s.svc.AuditExport.ReplayAuditLogs(r.Context(), *start, *end)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusAccepted, replayJobOut(j))
	return nil
}

func (s *Server) getAuditLogReplayJob(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	j, err := s.svc.AuditExport.AuditLogReplayJob(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, replayJobOut(j))
	return nil
}
