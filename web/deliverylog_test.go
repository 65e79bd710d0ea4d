package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// hxGet is get as htmx sends it.
func (b *browser) hxGet(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	return b.read(resp)
}

// A destination's delivery log refreshes itself while a delivery it shows
// is pending, and no longer once none is or after maxPolls refreshes; the
// "queued" flash lives in the log and goes with the pending delivery.
func TestDeliveryLogRefreshes(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("thanks")) }))
		t.Cleanup(recv.Close)
		on := true
		d, err := e.svc.Webhooks.CreateWebhook(e.adminCtx(), keyhold.WebhookCreate{Name: "hook", URL: recv.URL,
			EventTypes: []string{keyhold.EventTokenRevoked}, Enabled: &on})
		if err != nil {
			t.Fatal(err)
		}
		base := "/ui/webhooks/" + d.ID
		const trigger = `hx-trigger="load delay:2s"`
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		if p := admin.get(base).want(t, http.StatusOK, "Nothing delivered yet", `aria-live="polite"`); strings.Contains(p.body, trigger) {
			t.Error("a log without deliveries refreshes itself")
		}

		p := admin.post(base+"/test", url.Values{}).want(t, http.StatusOK, "Test event queued", "pending", trigger,
			`hx-get="`+base+`/deliveries?done=webhook-test&amp;poll=1"`, `hx-swap="outerHTML"`)
		if strings.Contains(p.body, `<p class="flash" role="status">`) {
			t.Error("the queued flash is also shown by the layout, where it would stay")
		}
		// A refresh is the log alone, and asks for the next one.
		p = admin.hxGet(base+"/deliveries?done=webhook-test&poll=1").want(t, http.StatusOK, "Test event queued", trigger,
			`hx-get="`+base+`/deliveries?done=webhook-test&amp;poll=2"`)
		if strings.Contains(p.body, "<html") || strings.Contains(p.body, "Breadcrumb") {
			t.Errorf("a refresh returned more than the log:\n%s", p.body)
		}
		// Refreshes stop after 60, pending or not.
		if p := admin.hxGet(base+"/deliveries?poll=60").want(t, http.StatusOK, "pending", "Stopped refreshing; reload to see more"); strings.Contains(p.body, "hx-get") {
			t.Error("the 60th refresh asks for another")
		}
		if p := admin.hxGet(base+"/deliveries?poll=1000").want(t, http.StatusOK, "Stopped refreshing"); strings.Contains(p.body, "hx-get") {
			t.Error("a refresh past the bound asks for another")
		}
		// A poll counter that is no number starts again from 0.
		admin.hxGet(base+"/deliveries?poll=x").want(t, http.StatusOK, `poll=1"`)
		admin.hxGet(base+"/deliveries?poll=-5").want(t, http.StatusOK, `poll=1"`)

		if n, err := e.svc.Deliveries.DeliverWebhooks(e.adminCtx()); err != nil || n != 1 {
			t.Fatalf("delivered %d, %v", n, err)
		}
		p = admin.hxGet(base+"/deliveries?done=webhook-test&poll=3").want(t, http.StatusOK, "delivered", "HTTP 200", "Redeliver")
		for _, gone := range []string{"hx-get", "Test event queued", "Stopped refreshing", "Refreshing"} {
			if strings.Contains(p.body, gone) {
				t.Errorf("the log after delivery still has %q:\n%s", gone, p.body)
			}
		}
		// Reloading the page the test event led to no longer says it is queued.
		if p := admin.get(base+"?done=webhook-test").want(t, http.StatusOK, "delivered"); strings.Contains(p.body, "queued") || strings.Contains(p.body, "hx-get") {
			t.Errorf("the reloaded page:\n%s", p.body)
		}
		// Flashes of other changes stay the layout's.
		admin.get(base+"?done=webhook-updated").want(t, http.StatusOK, `<p class="flash" role="status">Destination saved.`)
		// Without htmx the address is the whole page; an unknown destination is no 500.
		admin.get(base+"/deliveries").want(t, http.StatusOK, "Breadcrumb", "delivered")
		admin.hxGet("/ui/webhooks/"+strings.Repeat("0", 8)+"-0000-4000-8000-000000000000/deliveries").want(t, http.StatusNotFound)
		admin.hxGet("/ui/webhooks/nope/deliveries").want(t, http.StatusBadRequest)
	})
}

// TestDeliveryLogPages pages through a log longer than a page, newest
// first, with links to the destination's page; a refresh of a later page
// stays on it.
func TestDeliveryLogPages(t *testing.T) {
	e := newEnv(t, "sqlite", "")
	on := true
	d, err := e.svc.Webhooks.CreateWebhook(e.adminCtx(), keyhold.WebhookCreate{Name: "busy", URL: "http://127.0.0.1:9/",
		EventTypes: []string{keyhold.EventTokenRevoked}, Enabled: &on})
	if err != nil {
		t.Fatal(err)
	}
	for range 27 {
		if _, err := e.svc.Webhooks.TestWebhook(e.adminCtx(), d.ID); err != nil {
			t.Fatal(err)
		}
	}
	base := "/ui/webhooks/" + d.ID
	admin := e.browser()
	admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
	p := admin.get(base).want(t, http.StatusOK, `aria-label="Pages of Deliveries"`, "Deliveries: page 1 of 2 (27 in all)",
		`href="`+base+`?page=2" rel="next"`)
	if n := strings.Count(p.body, "<code>webhook.test</code>"); n != 25 {
		t.Errorf("page 1 shows %d deliveries, want 25", n)
	}
	p = admin.get(base+"?page=2").want(t, http.StatusOK, "Deliveries: page 2 of 2", `href="`+base+`?page=1" rel="prev"`,
		`hx-get="`+base+`/deliveries?page=2&amp;poll=1"`)
	if n := strings.Count(p.body, "<code>webhook.test</code>"); n != 2 {
		t.Errorf("page 2 shows %d deliveries, want 2", n)
	}
	// A refresh of page 2 stays on page 2, and its links lead to the page.
	p = admin.hxGet(base+"/deliveries?page=2&poll=1").want(t, http.StatusOK, "Deliveries: page 2 of 2",
		`hx-get="`+base+`/deliveries?page=2&amp;poll=2"`, `href="`+base+`?page=1" rel="prev"`)
	if strings.Contains(p.body, "/deliveries?page=1") || strings.Contains(p.body, `/deliveries" rel`) {
		t.Errorf("a refresh's pager links to the refresh address:\n%s", p.body)
	}
}
