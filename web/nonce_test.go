package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// gone is what the page of a minting form sent again says.
const gone = "Shown once, and gone"

// sendTwice sends the form of path from the page at formPage, which must
// mint (want), then sends the very same form again, as a reload does: the
// second send is answered 409 with the gone page leading back to back.
// Both pages are no-store.
func sendTwice(t *testing.T, b *browser, formPage, path string, form url.Values, want int, contains ...string) {
	t.Helper()
	b.get(formPage).want(t, http.StatusOK)
	if b.nonce(path) == "" {
		t.Fatalf("the form to %s on %s carries no nonce:\n%s", path, formPage, b.last)
	}
	first := b.post(path, form).want(t, want, contains...)
	again := b.postRaw(path, form, nil).want(t, http.StatusConflict, gone, "nothing new was created")
	for _, p := range []page{first, again} {
		if cc := p.header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control = %q, want no-store", cc)
		}
	}
}

func (e *env) audited(t *testing.T, action string) int {
	t.Helper()
	l, err := e.svc.Audit.ListAuditEvents(e.adminCtx(), keyhold.AuditFilter{Action: &keyhold.StringFilter{Op: keyhold.OpEq, Value: action}, Page: keyhold.Page{Number: 1, Size: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return l.Total
}

func (e *env) tokenCount(t *testing.T, owner keyhold.Ref) int {
	t.Helper()
	l, err := e.svc.Tokens.ListTokens(e.adminCtx(), owner, keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return l.Total
}

// Every form that mints a secret mints once: sending it again (a reload of
// the page that shows the secret) mints nothing and says the secret is
// gone; so does a form with no nonce, a forged one, another form's, or
// another session's.
func TestMintingFormsMintOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		acct, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "ci", Description: "x"})
		if err != nil {
			t.Fatal(err)
		}
		owner := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: acct.ID}
		a := "/ui/accounts/" + acct.ID
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)

		sendTwice(t, b, a+"/tokens/new", a+"/tokens/new", url.Values{"name": {"deploy"}, "expiry": {"30d"}},
			http.StatusCreated, "shown only this once")
		if n := e.tokenCount(t, owner); n != 1 {
			t.Fatalf("%d tokens after sending the token form twice, want 1", n)
		}
		if !strings.Contains(b.last, `href="`+a+`"`) {
			t.Fatalf("the gone page leads not back to the account:\n%s", b.last)
		}
		// No nonce, a forged one, another form's, another session's: nothing.
		other := e.browser()
		other.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		other.get(a + "/tokens/new")
		for name, n := range map[string]string{"none": "", "forged": "x.9999999999.y", "another form's": b.nonceOf(t, "/ui/me", "/ui/me/tokens/new")} {
			other.get(a + "/tokens/new")
			other.postRaw(a+"/tokens/new", url.Values{"csrf": {other.csrf()}, "nonce": {n}, "name": {"n-" + name}, "expiry": {"30d"}}, nil).
				want(t, http.StatusConflict, gone)
		}
		stolen := b.nonceOf(t, a+"/tokens/new", a+"/tokens/new")
		other.get(a + "/tokens/new")
		other.postRaw(a+"/tokens/new", url.Values{"csrf": {other.csrf()}, "nonce": {stolen}, "name": {"stolen"}, "expiry": {"30d"}}, nil).
			want(t, http.StatusConflict, gone)
		if n := e.tokenCount(t, owner); n != 1 {
			t.Fatalf("%d tokens after forms without a good nonce, want 1", n)
		}
		// A form refused for its input used its nonce; the form shown again
		// carries a new one, which mints.
		b.get(a + "/tokens/new")
		b.post(a+"/tokens/new", url.Values{"name": {"deploy"}, "expiry": {"30d"}}).want(t, http.StatusConflict, `class="alert"`)
		b.post(a+"/tokens/new", url.Values{"name": {"deploy-2"}, "expiry": {"30d"}}).want(t, http.StatusCreated, "shown only this once")

		toks, err := e.svc.Tokens.ListTokens(ctx, owner, keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil {
			t.Fatal(err)
		}
		tid := toks.Items[0].ID
		sendTwice(t, b, a+"/tokens/"+tid+"/rotate", a+"/tokens/"+tid+"/rotate", url.Values{"overlap": {"24h"}},
			http.StatusCreated, "rotated")
		if n := e.tokenCount(t, owner); n != 3 {
			t.Fatalf("%d tokens after rotating twice by one form, want 3", n)
		}

		me := keyhold.Ref{Type: keyhold.PrincipalUser, ID: e.adminUserID(t)}
		before := e.tokenCount(t, me)
		sendTwice(t, b, "/ui/me", "/ui/me/tokens/new", url.Values{"name": {"mine"}, "expiry": {"7d"}}, http.StatusCreated, "kpat_")
		if n := e.tokenCount(t, me); n != before+1 {
			t.Fatalf("%d personal tokens after one form sent twice, want %d", n, before+1)
		}
		if !strings.Contains(b.last, `href="/ui/me"`) {
			t.Fatalf("the gone page leads not back to /ui/me:\n%s", b.last)
		}

		sendTwice(t, b, "/ui/webhooks/new", "/ui/webhooks/new", url.Values{"name": {"hook"}, "url": {"http://127.0.0.1:9/hook"},
			"event_types": {"token.revoked"}, "enabled": {"on"}}, http.StatusCreated, "shown only this once")
		hooks, err := e.svc.Webhooks.ListWebhooks(ctx, keyhold.Page{Number: 1, Size: 10})
		if err != nil || hooks.Total != 1 {
			t.Fatalf("destinations = %+v, %v; want 1", hooks, err)
		}
		w := "/ui/webhooks/" + hooks.Items[0].ID
		sendTwice(t, b, w, w+"/rotate-secret", url.Values{}, http.StatusOK, "New signing secret")
		if n := e.audited(t, "webhook.secret_rotated"); n != 1 {
			t.Fatalf("%d secret rotations by one form sent twice, want 1", n)
		}
		if !strings.Contains(b.last, `href="`+w+`"`) {
			t.Fatalf("the gone page leads not back to the destination:\n%s", b.last)
		}

		u, err := e.svc.Users.InviteUser(ctx, keyhold.UserInvite{Email: "invited@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		sendTwice(t, b, "/ui/users/"+u.ID, "/ui/users/"+u.ID+"/setup-link", url.Values{}, http.StatusCreated, "shown only this once")
		if n := e.audited(t, "user.setup_link_issued"); n != 1 {
			t.Fatalf("%d setup links by one form sent twice, want 1", n)
		}
	})
}

// nonceOf returns the nonce of the form sent to path on the page at
// formPage, without sending it.
func (b *browser) nonceOf(t *testing.T, formPage, path string) string {
	t.Helper()
	b.get(formPage)
	n := b.nonce(path)
	if n == "" {
		t.Fatalf("no nonce for %s on %s", path, formPage)
	}
	return n
}

func (e *env) adminUserID(t *testing.T) string {
	t.Helper()
	u, err := e.svc.Users.Me(e.adminCtx())
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
