package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/store/storetest"
)

// When the account's roles cannot be read, a token form that asks for a
// scope fails and mints nothing; it never mints a token of every role.
func TestTokenFormScopeNeverDropped(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "scoped"})
		if err != nil {
			t.Fatal(err)
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		r, err := e.svc.Roles.AssignRole(ctx, ref, keyhold.AssignRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "eu"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Roles.AssignRole(ctx, ref, keyhold.AssignRole{RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "us"}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		path := "/ui/accounts/" + a.ID + "/tokens/new"
		b.get(path).want(t, http.StatusOK, `value="`+r.ID+`"`)
		// The database refuses to read assignments from now on.
		raw := storetest.Raw(t, e.dbURL)
		if _, err := raw.Exec(`ALTER TABLE assigned_roles RENAME TO assigned_roles_away`); err != nil {
			t.Fatal(err)
		}
		p := b.post(path, url.Values{"name": {"narrow"}, "expiry": {"30d"}, "scope": {r.ID}})
		if p.status == http.StatusCreated || strings.Contains(p.body, "shown only this once") {
			t.Fatalf("status %d: a token was minted without the scope asked for", p.status)
		}
		toks, err := e.svc.Tokens.ListTokens(ctx, ref, keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if toks.Total != 0 {
			t.Fatalf("%d tokens minted, want none: %+v", toks.Total, toks.Items[0])
		}
	})
}

// optionValues returns the values of a select's options in a page, in order.
func optionValues(t *testing.T, body, id string) []string {
	t.Helper()
	i := strings.Index(body, `<select id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no select %q in:\n%s", id, body)
	}
	sel := body[i : i+strings.Index(body[i:], "</select>")]
	var out []string
	for _, part := range strings.Split(sel, `<option value="`)[1:] {
		v, _, _ := strings.Cut(part, `"`)
		out = append(out, v)
	}
	return out
}

// Under a 90-day policy the token forms offer only what the policy allows,
// say how long the default is and what an intent will get, and a date
// beyond the maximum is refused in days under the expiry field, minting
// nothing.
func TestTokenFormsFollowPolicy(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		if _, err := e.svc.Policy.SetTokenPolicy(ctx, keyhold.TokenPolicy{MaxLifetime: 90 * 24 * time.Hour, DefaultLifetime: 30 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "bounded"})
		if err != nil {
			t.Fatal(err)
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		path := "/ui/accounts/" + a.ID + "/tokens/new"
		p := b.get(path).want(t, http.StatusOK, "Organization default (30 days)",
			"Long-lived, as an app password (intent app_password: 90 days, the policy&#39;s maximum)",
			"Short-lived, for an API script (intent api: 30 minutes)", `name="nonce"`)
		if got, want := strings.Join(optionValues(t, p.body, "expiry"), " "), " api app_password 7d 30d 90d date"; got != want {
			t.Fatalf("account form offers %q, want %q", got, want)
		}
		if strings.Contains(p.body, "365 days") || strings.Contains(p.body, "Never") || strings.Contains(p.body, "one year") {
			t.Fatalf("the form offers more than the policy allows:\n%s", p.body)
		}

		// A date beyond the maximum: refused in days, under the expiry field.
		far := time.Now().Add(200 * 24 * time.Hour).UTC().Format("2006-01-02")
		p = b.post(path, url.Values{"name": {"far"}, "expiry": {"date"}, "expires_at": {far}}).want(t, http.StatusBadRequest,
			`<p class="field-error" id="expiry-error">is beyond the organization&#39;s maximum token lifetime (at most 90 days)</p>`,
			`aria-describedby="expiry-error"`)
		if strings.Contains(p.body, "7776000") || strings.Contains(p.body, `id="expires_at-error"`) {
			t.Fatalf("the lifetime error is in seconds or under the date:\n%s", p.body)
		}
		// A lifetime the form no longer offers (a stale page) mints nothing.
		b.post(path, url.Values{"name": {"year"}, "expiry": {"365d"}}).want(t, http.StatusBadRequest, `id="expiry-error"`)
		b.post(path, url.Values{"name": {"forever"}, "expiry": {"never"}}).want(t, http.StatusBadRequest, `id="expiry-error"`)
		if n := e.tokenCount(t, ref); n != 0 {
			t.Fatalf("%d tokens minted, want none", n)
		}
		// The app password gets what its label said.
		b.post(path, url.Values{"name": {"app"}, "expiry": {keyhold.IntentAppPassword}}).want(t, http.StatusCreated, "shown only this once")
		toks, err := e.svc.Tokens.ListTokens(ctx, ref, keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if toks.Total != 1 || toks.Items[0].ExpiresAt == nil || toks.Items[0].ExpiresAt.Sub(toks.Items[0].CreatedAt).Round(time.Hour) != 90*24*time.Hour {
			t.Fatalf("the app password token: %+v, want one of 90 days", toks.Items)
		}

		// Personal tokens: the same bound; 30 days stays the default.
		p = b.get("/ui/me").want(t, http.StatusOK, `<option value="30d" selected>30 days</option>`)
		if got, want := strings.Join(optionValues(t, p.body, "expiry"), " "), "7d 30d 90d"; got != want {
			t.Fatalf("personal form offers %q, want %q", got, want)
		}
		me := keyhold.Ref{Type: keyhold.PrincipalUser, ID: e.adminUserID(t)}
		before := e.tokenCount(t, me)
		b.post("/ui/me/tokens/new", url.Values{"name": {"year"}, "expiry": {"365d"}}).want(t, http.StatusBadRequest, `id="expiry-error"`)
		if n := e.tokenCount(t, me); n != before {
			t.Fatalf("%d personal tokens, want %d", n, before)
		}

		// A maximum off the usual steps is offered as such.
		if _, err := e.svc.Policy.SetTokenPolicy(ctx, keyhold.TokenPolicy{MaxLifetime: 3 * 24 * time.Hour, DefaultLifetime: 24 * time.Hour, AllowNonExpiring: true}); err != nil {
			t.Fatal(err)
		}
		p = b.get(path).want(t, http.StatusOK, "Organization default (1 day)", "3 days (the policy&#39;s maximum)", ">Never<")
		if got, want := strings.Join(optionValues(t, p.body, "expiry"), " "), " api app_password max date never"; got != want {
			t.Fatalf("account form offers %q, want %q", got, want)
		}
		b.get("/ui/me").want(t, http.StatusOK, `<option value="max" selected>3 days (the policy&#39;s maximum)</option>`)
	})
}
