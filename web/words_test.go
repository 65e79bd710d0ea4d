package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
)

// wantNone fails when body holds any of texts.
func wantNone(t *testing.T, what, body string, texts ...string) {
	t.Helper()
	for _, x := range texts {
		if strings.Contains(body, x) {
			t.Fatalf("%s holds %q:\n%s", what, x, body)
		}
	}
}

// A used, expired or unknown setup link says so, and what to do, instead
// of the "Sign in again" of an unauthenticated request: its holder has no
// password to sign in with.
func TestSetupLinkUsedWording(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		secret, err := e.svc.Sessions.CreateSetupLink(service.AsSystem(e.adminCtx()), adminEmail, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		const pw = "a brand new passphrase"
		b.get("/ui/setup?token="+url.QueryEscape(secret)).want(t, http.StatusOK, adminEmail)
		b.post("/ui/setup", url.Values{"token": {secret}, "password": {pw}, "password_again": {pw}}).
			want(t, http.StatusOK, "Password set")
		// Each post carries the pre-session's CSRF token from a page with a
		// form, as a person would have it from the setup page.
		usedPost := func(again string) page {
			b.get("/ui/signin").want(t, http.StatusOK)
			return b.post("/ui/setup", url.Values{"token": {secret}, "password": {pw}, "password_again": {again}})
		}
		used := []page{
			b.get("/ui/setup?token=" + url.QueryEscape(secret)),
			b.get("/ui/setup?token=not-a-link"),
			usedPost(pw),
			usedPost("another passphrase"),
		}
		for _, p := range used {
			p.want(t, http.StatusUnauthorized, "<h1>This setup link was already used or has expired</h1>",
				"Ask an admin for a new setup link", `<a href="/ui/signin">Sign in</a>`)
			wantNone(t, "the used setup link's page", p.body, "Sign in again")
		}
	})
}

// The policy's errors speak in days, as its fields do, and its hint says
// in words what a never-expiring token takes.
func TestTokenPolicyWording(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		p := admin.get("/ui/policy").want(t, http.StatusOK, `chooses "Never"`, "still gets the default lifetime")
		wantNone(t, "the policy page", p.body, "expires_at", "null")

		p = admin.post("/ui/policy", url.Values{"max_lifetime_days": {"10"}, "default_lifetime_days": {"20"}}).
			want(t, http.StatusBadRequest, `id="default_lifetime_days-error"`,
				"The default lifetime must be at most the maximum lifetime, 10 days.")
		wantNone(t, "the refused policy", p.body, "at least a minute", "864000", "seconds")

		p = admin.post("/ui/policy", url.Values{"max_lifetime_days": {"4000"}, "default_lifetime_days": {"20"}}).
			want(t, http.StatusBadRequest, `id="max_lifetime_days-error"`, "The maximum lifetime must be at most 3650 days.")
		wantNone(t, "the refused policy", p.body, "315360000", "seconds")

		p = admin.post("/ui/policy", url.Values{"max_lifetime_days": {"1"}, "default_lifetime_days": {"2"}}).
			want(t, http.StatusBadRequest, "The default lifetime must be at most the maximum lifetime, 1 day.")
		wantNone(t, "the refused policy", p.body, "at least a minute")
	})
}

// The Managed checkbox says what it does, and so does the badge of a
// managed account, on its page and in the list.
func TestManagedWording(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		p := admin.get("/ui/accounts/new").want(t, http.StatusOK, `<label for="konnect_managed">Managed</label>`,
			`aria-describedby="konnect_managed-hint"`, `id="konnect_managed-hint"`,
			"A managed account is owned by the user who manages it, here you: only you may change it, its tokens and its roles afterwards.")
		wantNone(t, "the new account form", p.body, "as integrations mark their accounts")

		a, err := e.svc.Accounts.CreateSystemAccount(e.adminCtx(), keyhold.SystemAccountCreate{Name: "owned", KonnectManaged: true})
		if err != nil {
			t.Fatal(err)
		}
		const title = `<span class="badge" title="A managed account is owned by the user or integration that manages it: only that manager may change it, its tokens and its roles">managed</span>`
		admin.get("/ui/accounts/"+a.ID).want(t, http.StatusOK, title, `id="managed-note"`,
			"Only that manager may change the account, its tokens and its roles")
		admin.get("/ui/accounts").want(t, http.StatusOK, title)

		plain, err := e.svc.Accounts.CreateSystemAccount(e.adminCtx(), keyhold.SystemAccountCreate{Name: "plain"})
		if err != nil {
			t.Fatal(err)
		}
		wantNone(t, "an unmanaged account's page", admin.get("/ui/accounts/"+plain.ID).want(t, http.StatusOK).body, `id="managed-note"`, "badge")
	})
}

// Every date the console shows is ISO with its time zone, as
// 2026-12-06 05:58 UTC, and the date pickers say they take UTC dates.
func TestDatesWording(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "dated"})
		if err != nil {
			t.Fatal(err)
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		exp := time.Now().Add(48 * time.Hour)
		old, err := e.svc.Tokens.CreateToken(ctx, ref, keyhold.TokenCreate{Name: "dated", ExpiresAt: &exp})
		if err != nil {
			t.Fatal(err)
		}
		overlap := time.Hour
		if _, err := e.svc.Tokens.RotateToken(ctx, ref, old.ID, keyhold.TokenRotate{Overlap: &overlap}); err != nil {
			t.Fatal(err)
		}
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		shown := regexp.MustCompile(`<time [^>]*>([^<]*)</time>`)
		pages := []string{"/ui/accounts/" + a.ID, "/ui/accounts", "/ui/audit"}
		for _, path := range pages {
			body := admin.get(path).want(t, http.StatusOK).body
			times := shown.FindAllStringSubmatch(body, -1)
			if len(times) == 0 {
				t.Fatalf("%s shows no time", path)
			}
			for _, m := range times {
				if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d UTC$`).MatchString(m[1]) {
					t.Errorf("%s shows the time %q, not as 2026-12-06 05:58 UTC", path, m[1])
				}
			}
		}
		body := admin.get("/ui/accounts/" + a.ID).body
		wantIn(t, body, `data-token-state="ROTATING"`, " until <time datetime=")
		if !regexp.MustCompile(`ROTATING until <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>`).MatchString(body) {
			t.Fatalf("the rotating badge's time is not ISO with its zone:\n%s", body)
		}
		admin.get("/ui/audit").want(t, http.StatusOK,
			`aria-describedby="since-hint"`, `id="since-hint">UTC, as yyyy-mm-dd<`,
			`aria-describedby="until-hint"`, `id="until-hint">UTC, as yyyy-mm-dd<`)
		admin.get("/ui/accounts/"+a.ID+"/tokens/new").want(t, http.StatusOK,
			`aria-describedby="expires_at-hint"`, `id="expires_at-hint">UTC, as yyyy-mm-dd<`)
		admin.get("/ui/audit?since=2026-03-02&until=2026-03-01").want(t, http.StatusBadRequest,
			`aria-describedby="until-hint until-error"`, `id="until-hint">UTC, as yyyy-mm-dd<`)
	})
}
