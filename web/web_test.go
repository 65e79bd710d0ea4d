package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
)

func TestSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		t.Run("OK", func(t *testing.T) {
			b := e.browser()
			p := b.signIn(adminEmail, adminPassword).want(t, http.StatusOK, "System accounts", adminEmail)
			if p.url != "/ui/accounts" {
				t.Fatalf("landed on %s", p.url)
			}
			u, _ := url.Parse(e.srv.URL + "/ui/")
			var found bool
			for _, c := range b.c.Jar.Cookies(u) {
				found = found || c.Name == "keyhold_session"
			}
			if !found {
				t.Fatal("no session cookie")
			}
			b.post("/ui/signout", url.Values{}).want(t, http.StatusOK, "You are signed out")
			if p := b.get("/ui/accounts"); p.url != "/ui/signin" {
				t.Fatalf("after sign-out /ui/accounts served %s", p.url)
			}
		})
		t.Run("CookieFlags", func(t *testing.T) {
			b := e.browser()
			b.get("/ui/signin")
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/ui/signin", strings.NewReader(url.Values{
				"email": {adminEmail}, "password": {adminPassword}, "csrf": {b.csrf()}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var c *http.Cookie
			for _, k := range resp.Cookies() {
				if k.Name == "keyhold_session" {
					c = k
				}
			}
			if resp.StatusCode != http.StatusSeeOther || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/ui/" {
				t.Fatalf("status %d, cookie %+v", resp.StatusCode, c)
			}
		})
		t.Run("ErrUnauthenticated", func(t *testing.T) {
			e.browser().signIn(adminEmail, "wrong password, long enough").
				want(t, http.StatusUnauthorized, "The email or password is wrong")
			e.browser().signIn("nobody@example.com", adminPassword).
				want(t, http.StatusUnauthorized, "The email or password is wrong")
		})
		t.Run("ErrSystemAccount", func(t *testing.T) {
			ctx := e.adminCtx()
			a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "deployer"})
			if err != nil {
				t.Fatal(err)
			}
			m, err := e.svc.Tokens.CreateToken(ctx, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}, keyhold.TokenCreate{Name: "t"})
			if err != nil {
				t.Fatal(err)
			}
			const plain = "System accounts and tokens cannot sign in to the console"
			e.browser().signIn("deployer", m.Value).want(t, http.StatusBadRequest, plain)
			e.browser().signIn(m.Value, "").want(t, http.StatusBadRequest, plain)
			e.browser().signIn(adminEmail, m.Value).want(t, http.StatusBadRequest, "Tokens cannot sign in to the console")
			e.browser().signIn(adminEmail, e.admin).want(t, http.StatusBadRequest, "Tokens cannot sign in to the console")
		})
	})
}

func TestSignInRateLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		// A clock that stays in one minute: the limit counts per minute, and
		// ten argon2id checks under -race may cross a minute's end.
		frozen := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
		e := newEnvAt(t, backend, "", func() time.Time { return frozen })
		b := e.browser()
		for i := 0; i < 10; i++ {
			b.signIn(adminEmail, "not the password at all").want(t, http.StatusUnauthorized)
		}
		// Even the right password is refused until the minute ends.
		b.signIn(adminEmail, adminPassword).want(t, http.StatusTooManyRequests, "Too many failed sign-ins")
	})
}

func TestCSRF(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		token := b.csrf()
		// A token that differs from the real one in its first byte, whatever
		// that byte is.
		wrong := "x" + token[1:]
		if token[0] == 'x' {
			wrong = "y" + token[1:]
		}
		cases := []struct {
			name   string
			form   url.Values
			header http.Header
		}{
			{"ErrMissingToken", url.Values{"name": {"evil"}}, nil},
			{"ErrWrongToken", url.Values{"name": {"evil"}, "csrf": {wrong}}, nil},
			{"ErrForeignOrigin", url.Values{"name": {"evil"}, "csrf": {token}}, http.Header{"Origin": {"https://evil.example"}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b.postRaw("/ui/accounts/new", c.form, c.header).want(t, http.StatusForbidden, "Form expired")
			})
		}
		list, err := e.svc.Accounts.ListSystemAccounts(e.adminCtx(), keyhold.SystemAccountFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil || list.Total != 0 {
			t.Fatalf("accounts after refused forms: %v, %v", list, err)
		}
		t.Run("ErrSignInWithoutPreSession", func(t *testing.T) {
			fresh := e.browser()
			fresh.postRaw("/ui/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}, "csrf": {token}}, nil).
				want(t, http.StatusForbidden)
		})
		t.Run("OK", func(t *testing.T) {
			b.post("/ui/accounts/new", url.Values{"name": {"good"}}).want(t, http.StatusOK, "System account created")
		})
	})
}

// A session opened on one replica works on another over the same database.
func TestSessionAcrossReplicas(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		a := newEnv(t, backend, "")
		b := newEnv(t, backend, a.dbURL)
		br := a.browser()
		br.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		// Carry the cookie to the other replica's address.
		ua, _ := url.Parse(a.srv.URL + "/ui/")
		ub, _ := url.Parse(b.srv.URL + "/ui/")
		br.c.Jar.SetCookies(ub, br.c.Jar.Cookies(ua))
		br.e = b
		br.get("/ui/accounts").want(t, http.StatusOK, adminEmail, "No system accounts yet")
		br.post("/ui/accounts/new", url.Values{"name": {"made-on-b"}}).want(t, http.StatusOK, "made-on-b")
		// Signing out on b ends the session on a too.
		br.post("/ui/signout", url.Values{}).want(t, http.StatusOK)
		br.e = a
		if p := br.get("/ui/accounts"); p.url != "/ui/signin" {
			t.Fatalf("session still valid on replica a: %s", p.url)
		}
	})
}

var tokenValueRE = regexp.MustCompile(`id="token-value"[^>]*value="(spat_[0-9A-Za-z]+)"`)

// The flow through the pages, checked against the services; the token's
// value is on the page that minted it and on no later page, nor in the
// database, nor in the logs.
func TestAccountFlowAndSecrets(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		b.get("/ui/accounts/new").want(t, http.StatusOK)
		p := b.post("/ui/accounts/new", url.Values{"name": {"ci-deployer"}, "description": {"deploys"}}).
			want(t, http.StatusOK, "System account created", "No tokens yet")
		accountPath := p.url
		b.get(accountPath+"/tokens/new").want(t, http.StatusOK)
		p = b.post(accountPath+"/tokens/new", url.Values{"name": {"deploy"}, "expiry": {"30d"}, "allowed_cidrs": {"10.0.0.0/8\n192.168.1.1"}}).
			want(t, http.StatusCreated, "shown only this once")
		m := tokenValueRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no token value on the page:\n%s", p.body)
		}
		value := m[1]
		if _, err := e.svc.Decider.Authenticate(e.adminCtx(), keyhold.Credentials{Bearer: value}); err == nil {
			t.Fatal("a token bound to 10.0.0.0/8 authenticated from nowhere")
		}
		// Bad input: an error next to the field, nothing written.
		b.get(accountPath + "/tokens/new")
		b.post(accountPath+"/tokens/new", url.Values{"name": {"second"}, "allowed_cidrs": {"not-a-net"}}).
			want(t, http.StatusBadRequest, `id="allowed_cidrs-error"`, "neither a network")
		b.post(accountPath+"/tokens/new", url.Values{"name": {"deploy"}, "expiry": {"30d"}}).
			want(t, http.StatusConflict, `class="alert"`)
		b.get(accountPath + "/roles/new")
		b.post(accountPath+"/roles/new", url.Values{"entity_type_name": {"Control Planes"}, "role_name": {"Viewer"},
			"entity_id": {"not-a-uuid"}, "entity_region": {"eu"}}).want(t, http.StatusBadRequest, `id="entity_id-error"`, "must be a UUID")
		b.post(accountPath+"/roles/new", url.Values{"entity_type_name": {"Control Planes"}, "role_name": {"Viewer"},
			"entity_id": {"*"}, "entity_region": {"eu"}}).want(t, http.StatusOK, "Role assigned", "Viewer")
		later := []string{accountPath, "/ui/accounts", "/ui/audit", "/ui/me", "/ui/teams", "/ui/users", accountPath + "/delete"}
		for _, path := range later {
			if p := b.get(path); p.status != http.StatusOK || strings.Contains(p.body, value) {
				t.Fatalf("%s: status %d, holds the value: %v", path, p.status, strings.Contains(p.body, value))
			}
		}
		if !strings.Contains(b.get(accountPath).body, "192.168.1.1/32") {
			t.Fatal("the account page does not show the token's networks")
		}
		if strings.Contains(e.logs.String(), value) || strings.Contains(e.logs.String(), adminPassword) {
			t.Fatal("a secret reached the logs")
		}
		assertNotStored(t, e, value, adminPassword, b.session())
		b.get(accountPath+"/delete").want(t, http.StatusOK, "1 working token stops working", "None of them was used in the last 24 h")
		b.post(accountPath+"/delete", url.Values{}).want(t, http.StatusOK, "System account deleted")
	})
}

func TestSetupLink(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		secret, err := e.svc.Sessions.CreateSetupLink(service.AsSystem(e.adminCtx()), adminEmail, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.get("/ui/setup?token="+url.QueryEscape(secret)).want(t, http.StatusOK, adminEmail)
		b.post("/ui/setup", url.Values{"token": {secret}, "password": {"short"}, "password_again": {"short"}}).
			want(t, http.StatusBadRequest, `id="password-error"`)
		const pw = "a brand new passphrase"
		b.post("/ui/setup", url.Values{"token": {secret}, "password": {pw}, "password_again": {pw}}).
			want(t, http.StatusOK, "Password set")
		b.get("/ui/setup?token="+url.QueryEscape(secret)).want(t, http.StatusUnauthorized, "already used or has expired", "Ask an admin for a new setup link")
		e.browser().signIn(adminEmail, pw).want(t, http.StatusOK, "System accounts")
		assertNotStored(t, e, secret, pw)
	})
}

// An admin invites a user and hands them a link from the user's page; the
// user accepts by setting a password there, and signs in.
func TestInvitationLink(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		u, err := e.svc.Users.InviteUser(e.adminCtx(), keyhold.UserInvite{Email: "invited@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.get("/ui/users/"+u.ID).want(t, http.StatusOK, ">invited<", "Create invitation link")
		p := admin.post("/ui/users/"+u.ID+"/setup-link", url.Values{}).want(t, http.StatusCreated, "shown only this once", "accepts the invitation")
		m := regexp.MustCompile(`value="(http://[^"]+/ui/setup\?token=([^"]+))"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no setup link on the page:\n%s", p.body)
		}
		secret, err := url.QueryUnescape(m[2])
		if err != nil {
			t.Fatal(err)
		}
		e.browser().signIn("invited@example.com", "anything at all").want(t, http.StatusUnauthorized)

		const pw = "an invited passphrase"
		b := e.browser()
		b.get("/ui/setup?token="+url.QueryEscape(secret)).want(t, http.StatusOK, "invited@example.com")
		b.post("/ui/setup", url.Values{"token": {secret}, "password": {pw}, "password_again": {pw}}).want(t, http.StatusOK, "Password set")
		e.browser().signIn("invited@example.com", pw).want(t, http.StatusForbidden, "Not allowed") // active, with no roles yet
		admin.get("/ui/users/"+u.ID).want(t, http.StatusOK, ">active<", "Create password reset link")
		assertNotStored(t, e, secret, pw)
	})
}

func TestPagesAndForbidden(t *testing.T) {
	e := newEnv(t, "sqlite", "")
	ctx := e.adminCtx()
	readerUser, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "reader@example.com", Password: "reader password 123"})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.browser()
	admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
	for _, path := range []string{"/ui/accounts", "/ui/accounts?q=x&managed=managed", "/ui/teams", "/ui/users", "/ui/audit",
		"/ui/audit?since=2020-01-01&action=console.signed_in", "/ui/me", "/ui/teams/new", "/ui/users/new", "/ui/accounts/new"} {
		admin.get(path).want(t, http.StatusOK)
	}
	admin.get("/ui/audit?since=yesterday").want(t, http.StatusBadRequest, `id="since-error"`)
	admin.get("/ui/accounts/00000000-0000-0000-0000-000000000000").want(t, http.StatusNotFound)
	admin.get("/ui/accounts/not-a-uuid").want(t, http.StatusBadRequest)
	// A user without roles signs in but may read nothing.
	reader := e.browser()
	reader.signIn("reader@example.com", "reader password 123").want(t, http.StatusForbidden, "Not allowed")
	reader.get("/ui/me").want(t, http.StatusOK, "You have no personal access tokens")
	reader.post("/ui/me/tokens/new", url.Values{"name": {"mine"}, "expiry": {"7d"}}).want(t, http.StatusCreated, "kpat_")
	reader.post("/ui/accounts/new", url.Values{"name": {"sneaky"}}).want(t, http.StatusForbidden, "Not allowed")

	// Deactivating a user ends their sessions and refuses their sign-in.
	admin.get("/ui/users/"+readerUser.ID+"/deactivate").want(t, http.StatusOK, "1 personal access token is refused")
	admin.post("/ui/users/"+readerUser.ID+"/deactivate", url.Values{}).want(t, http.StatusOK, "User deactivated")
	if p := reader.get("/ui/me"); p.url != "/ui/signin" {
		t.Fatalf("a deactivated user's session still served %s", p.url)
	}
	e.browser().signIn("reader@example.com", "reader password 123").want(t, http.StatusUnauthorized)
	// The last admin cannot deactivate themselves away.
	admin.get("/ui/users")
	me, err := e.svc.Users.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin.post("/ui/users/"+me.ID+"/deactivate", url.Values{}).want(t, http.StatusBadRequest, "last active member of Organization Admin")
}

// assertNotStored dumps the database and fails if it holds any secret.
func assertNotStored(t *testing.T, e *env, secrets ...string) {
	t.Helper()
	dump := dumpDatabase(t, e)
	for _, s := range secrets {
		if strings.Contains(dump, s) {
			t.Fatalf("the database holds a secret in plaintext")
		}
	}
}

// The token policy is read by readers and changed by admins, in days; bad
// input is refused next to its field and changes nothing.
func TestTokenPolicyPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.get("/ui/policy").want(t, http.StatusOK, `value="365"`, `value="360"`, "Save policy")
		admin.post("/ui/policy", url.Values{"max_lifetime_days": {"90"}, "default_lifetime_days": {"30"}, "allow_non_expiring": {"on"}}).
			want(t, http.StatusOK, "Token policy saved", `value="90"`, `value="30"`, "checked")
		p, err := e.svc.Policy.TokenPolicy(e.adminCtx())
		if err != nil || p.MaxLifetime != 90*24*time.Hour || p.DefaultLifetime != 30*24*time.Hour || !p.AllowNonExpiring {
			t.Fatalf("policy after saving = %+v, %v", p, err)
		}
		admin.post("/ui/policy", url.Values{"max_lifetime_days": {"10"}, "default_lifetime_days": {"20"}}).
			want(t, http.StatusBadRequest, `id="default_lifetime_days-error"`)
		admin.post("/ui/policy", url.Values{"max_lifetime_days": {"a year"}, "default_lifetime_days": {"20"}}).
			want(t, http.StatusBadRequest, `id="max_lifetime_days-error"`, "whole number of days")
		if p, _ := e.svc.Policy.TokenPolicy(e.adminCtx()); p.MaxLifetime != 90*24*time.Hour {
			t.Errorf("a refused form changed the policy: %+v", p)
		}
		// A user without roles reads it, as it bounds the tokens they
		// mint, and may not change it.
		if _, err := e.svc.Users.CreateUser(e.adminCtx(), keyhold.UserCreate{Email: "nobody@example.com", Password: "nobody password 1"}); err != nil {
			t.Fatal(err)
		}
		nobody := e.browser()
		nobody.signIn("nobody@example.com", "nobody password 1")
		if p := nobody.get("/ui/policy").want(t, http.StatusOK, "<dd>90 days</dd>"); strings.Contains(p.body, "Save policy") {
			t.Fatalf("a user without roles is offered to change the policy:\n%s", p.body)
		}
		nobody.post("/ui/policy", url.Values{"max_lifetime_days": {"900"}, "default_lifetime_days": {"30"}}).want(t, http.StatusForbidden)
		if p, _ := e.svc.Policy.TokenPolicy(e.adminCtx()); p.MaxLifetime != 90*24*time.Hour {
			t.Errorf("a user without roles changed the policy: %+v", p)
		}
	})
}

// Webhook destinations from the console: create (secret shown once and
// never again), send a test event and see it in the delivery log,
// disable and enable, rotate the secret, redeliver, delete.
func TestWebhookPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		var mu sync.Mutex
		var got []string
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, r.Header.Get("webhook-id"))
			mu.Unlock()
			_, _ = w.Write([]byte("thanks"))
		}))
		t.Cleanup(recv.Close)
		acct, err := e.svc.Accounts.CreateSystemAccount(e.adminCtx(), keyhold.SystemAccountCreate{Name: "vault-writer", Description: "x"})
		if err != nil {
			t.Fatal(err)
		}
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.get("/ui/webhooks").want(t, http.StatusOK, "No webhook destinations yet")
		admin.get("/ui/webhooks/new").want(t, http.StatusOK, "token.auto_rotated")
		// Bad input stays on the form, next to its fields.
		admin.post("/ui/webhooks/new", url.Values{"name": {"x"}, "url": {"ftp://nope"}}).
			want(t, http.StatusBadRequest, `id="url-error"`, `id="event_types-error"`)
		admin.post("/ui/webhooks/new", url.Values{"name": {"x"}, "url": {recv.URL}, "event_types": {"token.revoked"}, "account": {"nobody"}}).
			want(t, http.StatusBadRequest, `id="account-error"`)
		p := admin.post("/ui/webhooks/new", url.Values{"name": {"vault"}, "url": {recv.URL + "/hook"}, "enabled": {"on"},
			"event_types": {"token.revoked", "token.auto_rotated"}, "account": {"vault-writer"}}).want(t, http.StatusCreated, "shown only this once")
		m := regexp.MustCompile(`value="(whsec_[^"]+)"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no secret on the page:\n%s", p.body)
		}
		secret := m[1]
		list := admin.get("/ui/webhooks").want(t, http.StatusOK, "vault", recv.URL+"/hook")
		if strings.Contains(list.body, secret) {
			t.Fatal("the list shows the secret")
		}
		hooks, err := e.svc.Webhooks.ListWebhooks(e.adminCtx(), keyhold.Page{Number: 1, Size: 10})
		if err != nil || len(hooks.Items) != 1 || hooks.Items[0].SystemAccountID != acct.ID {
			t.Fatalf("destinations = %+v, %v", hooks, err)
		}
		id := hooks.Items[0].ID
		page := admin.get("/ui/webhooks/"+id).want(t, http.StatusOK, "vault-writer", "Nothing delivered yet")
		if strings.Contains(page.body, secret) {
			t.Fatal("the destination's page shows the secret")
		}
		// Deleting a destination of token.auto_rotated names the rotations it stops.
		admin.get("/ui/webhooks/"+id+"/delete").want(t, http.StatusOK, "What this breaks", "no successor")
		// Editing: the form shows the destination; bad input stays on it.
		admin.get("/ui/webhooks/"+id+"/edit").want(t, http.StatusOK, `value="vault"`, `value="vault-writer"`, `value="token.auto_rotated" checked`)
		admin.post("/ui/webhooks/"+id+"/edit", url.Values{"name": {"vault"}, "url": {recv.URL + "/hook"}}).
			want(t, http.StatusBadRequest, `id="event_types-error"`)
		admin.post("/ui/webhooks/"+id+"/edit", url.Values{"name": {"vault"}, "url": {"http://10.0.0.1/hook"}, "event_types": {"token.revoked"}}).
			want(t, http.StatusBadRequest, `id="url-error"`, "--webhook-allow-networks")
		admin.post("/ui/webhooks/"+id+"/edit", url.Values{"name": {"vault"}, "url": {recv.URL + "/hook"}, "event_types": {"token.auto_rotated"}}).
			want(t, http.StatusBadRequest, `id="account-error"`)
		admin.post("/ui/webhooks/"+id+"/edit", url.Values{"name": {"all-revocations"}, "url": {recv.URL + "/hook"}, "event_types": {"token.revoked"}, "enabled": {"on"}}).
			want(t, http.StatusOK, "Destination saved", "all-revocations", "every account")
		if d, err := e.svc.Webhooks.GetWebhook(e.adminCtx(), id); err != nil || d.Name != "all-revocations" || d.SystemAccountID != "" || len(d.EventTypes) != 1 || !d.Enabled {
			t.Fatalf("after editing: %+v, %v", d, err)
		}
		admin.post("/ui/webhooks/"+id+"/test", url.Values{}).want(t, http.StatusOK, "Test event queued")
		if n, err := e.svc.Deliveries.DeliverWebhooks(e.adminCtx()); err != nil || n != 1 {
			t.Fatalf("delivered %d, %v", n, err)
		}
		admin.get("/ui/webhooks/"+id).want(t, http.StatusOK, "webhook.test", "delivered", "HTTP 200", "thanks")
		admin.post("/ui/webhooks/"+id+"/disable", url.Values{}).want(t, http.StatusOK, "Destination disabled")
		admin.post("/ui/webhooks/"+id+"/enable", url.Values{}).want(t, http.StatusOK, "Destination enabled")
		rotated := admin.post("/ui/webhooks/"+id+"/rotate-secret", url.Values{}).want(t, http.StatusOK, "New signing secret")
		if m := regexp.MustCompile(`value="(whsec_[^"]+)"`).FindStringSubmatch(rotated.body); m == nil || m[1] == secret {
			t.Fatal("rotating showed no new secret")
		}
		deliveries, err := e.svc.Webhooks.ListWebhookDeliveries(e.adminCtx(), id, keyhold.Page{Number: 1, Size: 10})
		if err != nil || len(deliveries.Items) != 1 {
			t.Fatalf("deliveries = %+v, %v", deliveries, err)
		}
		admin.post("/ui/webhooks/"+id+"/deliveries/"+deliveries.Items[0].ID+"/redeliver", url.Values{}).want(t, http.StatusOK, "Delivery queued again")
		// It no longer carries token.auto_rotated, so no rotation depends on it.
		if p := admin.get("/ui/webhooks/"+id+"/delete").want(t, http.StatusOK, "What this breaks"); strings.Contains(p.body, "no successor") {
			t.Error("the confirmation warns of auto-rotation for a destination without token.auto_rotated")
		}
		admin.post("/ui/webhooks/"+id+"/delete", url.Values{}).want(t, http.StatusOK, "Destination deleted", "No webhook destinations yet")
		admin.get("/ui/webhooks/"+id).want(t, http.StatusNotFound)
		assertNotStored(t, e, secret)
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 {
			t.Errorf("the receiver got %d deliveries, want the test event", len(got))
		}
	})
}

// The embedded static files are served to anyone, and their directory is
// not listed.
func TestStaticFiles(t *testing.T) {
	e := newEnv(t, "sqlite", "")
	b := e.browser()
	if p := b.get("/ui/static/app.css"); p.status != http.StatusOK {
		t.Errorf("app.css: %d", p.status)
	}
	for _, path := range []string{"/ui/static/", "/ui/static", "/ui/static/nothing/"} {
		if p := b.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, "app.css") {
			t.Errorf("GET %s: %d %s", path, p.status, p.body)
		}
	}
}
