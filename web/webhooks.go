package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
)

type webhooksPage struct {
	Items   []*keyhold.WebhookDestination
	Pager   pager
	CanEdit bool
}

func (webhooksPage) title() (string, string) { return "Webhooks", "webhooks" }

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, c *call) error {
	pg := newPager(r, listPageSize)
	list, err := s.svc.Webhooks.ListWebhooks(r.Context(), pg.page())
	if err != nil {
		return err
	}
	pg.Total = list.Total
	s.render(w, r, c, http.StatusOK, "webhooks.html", webhooksPage{Items: list.Items, Pager: pg, CanEdit: s.may(r, "UpdateWebhook")})
	return nil
}

type webhookForm struct {
	Form   *form
	Events []string
	// Destination is set when editing one.
	Destination *keyhold.WebhookDestination
}

func (d webhookForm) title() (string, string) {
	if d.Destination != nil {
		return "Edit " + d.Destination.Name, "webhooks"
	}
	return "New webhook destination", "webhooks"
}

func (s *Server) newWebhookForm(w http.ResponseWriter, r *http.Request, c *call) error {
	s.render(w, r, c, http.StatusOK, "webhook_form.html", webhookForm{Form: newForm(map[string][]string{"enabled": {"on"}}), Events: keyhold.EventTypes})
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	enabled := f.Get("enabled") != ""
	in := keyhold.WebhookCreate{Name: strings.TrimSpace(f.Get("name")), URL: strings.TrimSpace(f.Get("url")),
		EventTypes: r.PostForm["event_types"], Enabled: &enabled}
	status := http.StatusBadRequest
	if who := strings.TrimSpace(f.Get("account")); who != "" {
		a, ok := s.accountByNameOrID(r, who)
		if !ok {
			f.Errors["account"] = "no system account has this name or id"
			s.render(w, r, c, status, "webhook_form.html", webhookForm{Form: f, Events: keyhold.EventTypes})
			return nil
		}
		in.SystemAccountID = a.ID
	}
	d, err := s.svc.Webhooks.CreateWebhook(r.Context(), in)
	if err != nil {
		if !f.absorb(err, "name", "url", "event_types", "account") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "webhook_form.html", webhookForm{Form: f, Events: keyhold.EventTypes})
		return nil
	}
	s.render(w, r, c, http.StatusCreated, "webhook_secret.html", webhookSecretPage{Destination: &d.WebhookDestination, Secret: d.Secret})
	return nil
}

// accountByNameOrID finds a system account by id, or by exact name. A
// caller the service refuses to show accounts to gets the account as
// given (ok): the change it leads to then refuses it first, and audits
// the refusal, which a failed lookup would not.
func (s *Server) accountByNameOrID(r *http.Request, who string) (*keyhold.SystemAccount, bool) {
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), keyhold.FoldID(who))
	if err == nil {
		return a, true
	}
	if refusal(err) {
		return &keyhold.SystemAccount{ID: who, Name: who}, true
	}
	l, err := s.svc.Accounts.ListSystemAccounts(r.Context(), keyhold.SystemAccountFilter{
		Name: &keyhold.StringFilter{Op: keyhold.OpEq, Value: who}, Page: keyhold.Page{Number: 1, Size: 1}})
	if err != nil || len(l.Items) != 1 {
		return nil, false
	}
	return l.Items[0], true
}

// refusal reports whether err refuses the caller, rather than the input.
func refusal(err error) bool {
	code := keyhold.ErrorCode(err)
	return code == keyhold.EFORBIDDEN || code == keyhold.EUNAUTHENTICATED
}

func (s *Server) editWebhookForm(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	d, err := s.svc.Webhooks.GetWebhook(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(map[string][]string{"name": {d.Name}, "url": {d.URL}, "event_types": d.EventTypes})
	if d.Enabled {
		f.Values.Set("enabled", "on")
	}
	if d.SystemAccountID != "" {
		f.Values.Set("account", d.SystemAccountID)
		if a, err := s.svc.Accounts.GetSystemAccount(ctx, d.SystemAccountID); err == nil {
			f.Values.Set("account", a.Name)
		}
	}
	s.render(w, r, c, http.StatusOK, "webhook_form.html", webhookForm{Form: f, Events: keyhold.EventTypes, Destination: d})
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.svc.Webhooks.GetWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	name, u, enabled := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("url")), f.Get("enabled") != ""
	events := r.PostForm["event_types"]
	if events == nil {
		events = []string{} // none ticked: refused by the service, not left as is
	}
	in := keyhold.WebhookUpdate{Name: &name, URL: &u, EventTypes: &events, Enabled: &enabled}
	account := ""
	if who := strings.TrimSpace(f.Get("account")); who != "" {
		a, ok := s.accountByNameOrID(r, who)
		if !ok {
			f.Errors["account"] = "no system account has this name or id"
			s.render(w, r, c, http.StatusBadRequest, "webhook_form.html", webhookForm{Form: f, Events: keyhold.EventTypes, Destination: d})
			return nil
		}
		account = a.ID
	}
	in.SystemAccountID = &account
	if _, err := s.svc.Webhooks.UpdateWebhook(r.Context(), d.ID, in); err != nil {
		if !f.absorb(err, "name", "url", "event_types", "account") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "webhook_form.html", webhookForm{Form: f, Events: keyhold.EventTypes, Destination: d})
		return nil
	}
	return redirect(w, r, "/ui/webhooks/"+d.ID, "webhook-updated")
}

type webhookSecretPage struct {
	Destination *keyhold.WebhookDestination
	Secret      string
	Rotated     bool
}

func (d webhookSecretPage) title() (string, string) {
	return "Signing secret of " + d.Destination.Name, "webhooks"
}

type webhookPage struct {
	Destination *keyhold.WebhookDestination
	Account     *keyhold.SystemAccount
	Log         deliveryLog
	CanEdit     bool
}

func (d webhookPage) title() (string, string) { return d.Destination.Name, "webhooks" }

// ownsFlash: the page shows a "queued" flash in its delivery log, which
// drops it once nothing is pending.
func (d webhookPage) ownsFlash() bool { return d.Log.queuedFlash }

// deliveryLog is the delivery log of a destination's page, which refreshes
// itself (webhook_deliveries.html) while a delivery it shows is pending.
type deliveryLog struct {
	// Base is the destination's page.
	Base       string
	Deliveries []*keyhold.WebhookDelivery
	Total      int
	// Pager pages through the whole log, newest first; its links lead to
	// the destination's page.
	Pager   pager
	CanEdit bool
	// Poll counts the refreshes so far; the log stops at maxPolls.
	Poll int
	// Queued is the flash of a delivery just queued, shown while one is
	// pending, and its key, which the refreshes carry on.
	Queued, QueuedKey string
	// queuedFlash is set when the request names a queued flash, shown or not.
	queuedFlash bool
}

// maxPolls bounds the refreshes of a delivery log: every 2 seconds, about
// 2 minutes. A delivery that waits for a retry is pending for longer.
const maxPolls = 60

// Pending reports whether a delivery shown is still pending.
func (l deliveryLog) Pending() bool {
	for _, d := range l.Deliveries {
		if d.Status == keyhold.DeliveryPending {
			return true
		}
	}
	return false
}

// Refresh reports whether the log asks to be fetched again.
func (l deliveryLog) Refresh() bool { return l.Pending() && l.Poll < maxPolls }

// Next is the address of the log's next refresh.
func (l deliveryLog) Next() string {
	q := url.Values{"poll": {strconv.Itoa(l.Poll + 1)}}
	if l.QueuedKey != "" {
		q.Set("done", l.QueuedKey)
	}
	if l.Pager.Number > 1 {
		q.Set("page", strconv.Itoa(l.Pager.Number))
	}
	return l.Base + "/deliveries?" + q.Encode()
}

// recentDeliveries is how much of a destination's delivery log one page
// shows.
const recentDeliveries = 25

// queuedFlashes are the flashes that announce a delivery queued.
var queuedFlashes = []string{"webhook-test", "webhook-redeliver"}

// deliveryLog reads the delivery log of destination id for a page or a
// refresh of it.
func (s *Server) deliveryLog(r *http.Request, id string) (deliveryLog, error) {
	pg := newPagerOf(r, "page", "Deliveries", recentDeliveries)
	// A refresh's address is not a page to link to: the pages are the
	// destination's.
	pg.Path = "/ui/webhooks/" + id
	delete(pg.Query, "poll")
	l, err := s.svc.Webhooks.ListWebhookDeliveries(r.Context(), id, pg.page())
	if err != nil {
		return deliveryLog{}, err
	}
	pg.Total = l.Total
	poll, _ := strconv.Atoi(r.URL.Query().Get("poll"))
	log := deliveryLog{Base: "/ui/webhooks/" + id, Deliveries: l.Items, Total: l.Total, Pager: pg,
		CanEdit: s.may(r, "UpdateWebhook"), Poll: min(max(poll, 0), maxPolls)}
	if k := r.URL.Query().Get("done"); contains(queuedFlashes, k) {
		log.queuedFlash = true
		if log.Pending() {
			log.Queued, log.QueuedKey = flashText(k), k
		}
	}
	return log, nil
}

func (s *Server) showWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	d, err := s.svc.Webhooks.GetWebhook(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := webhookPage{Destination: d, CanEdit: s.may(r, "UpdateWebhook")}
	if d.SystemAccountID != "" {
		if p.Account, err = s.svc.Accounts.GetSystemAccount(ctx, d.SystemAccountID); err != nil && keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
			return err
		}
	}
	if p.Log, err = s.deliveryLog(r, d.ID); err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "webhook.html", p)
	return nil
}

// showDeliveries is a refresh of a destination's delivery log, for htmx;
// any other request gets the whole page.
func (s *Server) showDeliveries(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.Header.Get("HX-Request") != "true" {
		return s.showWebhook(w, r, c)
	}
	log, err := s.deliveryLog(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "webhook_deliveries.html", log)
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.svc.Webhooks.TestWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/webhooks/"+r.PathValue("id"), "webhook-test")
}

func (s *Server) setWebhookEnabled(enabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if _, err := s.svc.Webhooks.UpdateWebhook(r.Context(), r.PathValue("id"), keyhold.WebhookUpdate{Enabled: &enabled}); err != nil {
			return err
		}
		done := "webhook-enabled"
		if !enabled {
			done = "webhook-disabled"
		}
		return redirect(w, r, "/ui/webhooks/"+r.PathValue("id"), done)
	}
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.svc.Webhooks.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "webhook_secret.html", webhookSecretPage{Destination: &d.WebhookDestination, Secret: d.Secret, Rotated: true})
	return nil
}

func (s *Server) redeliverWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.svc.Webhooks.RedeliverWebhook(r.Context(), r.PathValue("id"), r.PathValue("did")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/webhooks/"+r.PathValue("id"), "webhook-redeliver")
}

func (s *Server) confirmDeleteWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.svc.Webhooks.GetWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cons := []string{"Events stop going to " + d.URL + ", pending deliveries included.",
		"Its delivery log is deleted with it."}
	for _, t := range d.EventTypes {
		if t == keyhold.EventTokenAutoRotated {
			cons = append(cons, "Tokens with automatic rotation for its account get no successor until another destination receives token.auto_rotated.")
		}
	}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Delete " + d.Name + "?", Danger: true,
		Action: "/ui/webhooks/" + d.ID + "/delete", Button: "Delete destination", Cancel: "/ui/webhooks/" + d.ID, Consequences: cons})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.svc.Webhooks.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/webhooks", "webhook-deleted")
}
