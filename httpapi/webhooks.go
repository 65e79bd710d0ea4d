package httpapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

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
	writeJSON(w, r, http.StatusCreated, wire.WebhookWithSecret{Webhook: webhookOut(&d.WebhookDestination), Secret: d.Secret})
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
	writeJSON(w, r, http.StatusOK, wire.WebhookWithSecret{Webhook: webhookOut(&d.WebhookDestination), Secret: d.Secret})
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
