package httpapi

import (
	"net/http"
	"time"

	"github.com/keyhold/keyhold"
)

type webhookJSON struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	URL             string    `json:"url"`
	EventTypes      []string  `json:"event_types"`
	SystemAccountID *string   `json:"system_account_id"`
	Enabled         bool      `json:"enabled"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// webhookWithSecretJSON is the one shape that carries a signing secret:
// the answers of create and rotate-secret.
type webhookWithSecretJSON struct {
	webhookJSON
	Secret string `json:"secret"`
}

func webhookOut(d *keyhold.WebhookDestination) webhookJSON {
	out := webhookJSON{ID: d.ID, Name: d.Name, URL: d.URL, EventTypes: d.EventTypes, Enabled: d.Enabled, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.SystemAccountID != "" {
		out.SystemAccountID = &d.SystemAccountID
	}
	return out
}

type deliveryJSON struct {
	ID              string     `json:"id"`
	WebhookID       string     `json:"webhook_id"`
	EventID         string     `json:"event_id"`
	EventType       string     `json:"event_type"`
	Status          string     `json:"status"`
	Attempts        int        `json:"attempts"`
	LastStatus      *int       `json:"last_http_status"`
	LastError       string     `json:"last_error"`
	ResponseExcerpt string     `json:"response_excerpt"`
	NextAttemptAt   *time.Time `json:"next_attempt_at"`
	DeliveredAt     *time.Time `json:"delivered_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func deliveryOut(d *keyhold.WebhookDelivery) deliveryJSON {
	return deliveryJSON{ID: d.ID, WebhookID: d.DestinationID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, ResponseExcerpt: d.ResponseExcerpt,
		NextAttemptAt: d.NextAttemptAt, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{})
	if err != nil {
		return err
	}
	l, err := s.svc.Webhooks.ListWebhooks(r.Context(), q.page)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, webhookOut))
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var types []string
	name, url := o.str("name", true), o.str("url", true)
	o.get("event_types", true, &types, "is_array", "must be an array of event types")
	account, enabled := o.id("system_account_id", false), o.boolean("enabled")
	if err := o.err(); err != nil {
		return err
	}
	d, err := s.svc.Webhooks.CreateWebhook(r.Context(), keyhold.WebhookCreate{Name: *name, URL: *url, EventTypes: types,
		SystemAccountID: deref(account), Enabled: enabled})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusCreated, webhookWithSecretJSON{webhookOut(&d.WebhookDestination), d.Secret})
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.Webhooks.GetWebhook(r.Context(), r.PathValue("webhookId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, webhookOut(d))
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var in keyhold.WebhookUpdate
	in.Name, in.URL, in.Enabled = o.str("name", false), o.str("url", false), o.boolean("enabled")
	var types []string
	if o.get("event_types", false, &types, "is_array", "must be an array of event types") {
		in.EventTypes = &types
	}
	if in.SystemAccountID = o.id("system_account_id", false); o.isNull("system_account_id") {
		none := ""
		in.SystemAccountID = &none
	}
	if err := o.err(); err != nil {
		return err
	}
	d, err := s.svc.Webhooks.UpdateWebhook(r.Context(), r.PathValue("webhookId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, webhookOut(d))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.Webhooks.DeleteWebhook(r.Context(), r.PathValue("webhookId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	d, err := s.svc.Webhooks.RotateWebhookSecret(r.Context(), r.PathValue("webhookId"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusOK, webhookWithSecretJSON{webhookOut(&d.WebhookDestination), d.Secret})
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	d, err := s.svc.Webhooks.TestWebhook(r.Context(), r.PathValue("webhookId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusAccepted, deliveryOut(d))
	return nil
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{})
	if err != nil {
		return err
	}
	l, err := s.svc.Webhooks.ListWebhookDeliveries(r.Context(), r.PathValue("webhookId"), q.page)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, deliveryOut))
	return nil
}

func (s *Server) redeliverWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	d, err := s.svc.Webhooks.RedeliverWebhook(r.Context(), r.PathValue("webhookId"), r.PathValue("deliveryId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusAccepted, deliveryOut(d))
	return nil
}
