package service_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// lastEvent returns the newest event of outcome and action.
func (e *env) lastEvent(outcome, action string) *keyhold.AuditEvent {
	e.t.Helper()
	evs := e.events(outcome, action)
	if len(evs) == 0 {
		e.t.Fatalf("no %s event with outcome %s", action, outcome)
	}
	newest := evs[0]
	for _, ev := range evs[1:] {
		if ev.Seq > newest.Seq {
			newest = ev
		}
	}
	return newest
}

func wantCredential(t *testing.T, ev *keyhold.AuditEvent, want keyhold.AuditCredential) {
	t.Helper()
	if ev.Credential != want {
		t.Errorf("%s: credential = %+v, want %+v", ev.Action, ev.Credential, want)
	}
}

func tokenCredential(m *keyhold.MintedToken, method string) keyhold.AuditCredential {
	return keyhold.AuditCredential{ID: m.Token.ID, Fingerprint: keyhold.TokenFingerprint(keyhold.TokenDigest(m.Value)), Method: method}
}

// A console session acts with the session as its credential: its id and
// the fingerprint of its secret's stored digest; the changes of
// activation are the user's active flag.
func TestSessionCredential(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		const pw = "correct horse battery staple"
		if _, err := e.svc.Sessions.SetPassword(e.sys, "admin@example.com", pw); err != nil {
			t.Fatal(err)
		}
		sess, secret, err := e.sessions.SignIn(e.ctx, keyhold.SignIn{Email: "admin@example.com", Password: pw})
		ok(t, "sign in", err)
		digest := sha256.Sum256([]byte(secret))
		want := keyhold.AuditCredential{ID: sess.ID, Fingerprint: keyhold.TokenFingerprint(digest[:]), Method: keyhold.AuthSession}
		wantCredential(t, e.lastEvent(keyhold.OutcomeSuccess, "console.signed_in"), want)

		_, p, err := e.sessions.Session(e.ctx, secret)
		ok(t, "session", err)
		ctx := keyhold.NewContextWithPrincipal(e.ctx, p)
		u := e.user("worker@example.com")
		for _, active := range []bool{false, true} {
			_, err := e.sessions.SetUserActive(ctx, u.ID, active)
			ok(t, "set active", err)
			action := map[bool]string{false: "user.deactivated", true: "user.activated"}[active]
			ev := e.lastEvent(keyhold.OutcomeSuccess, action)
			wantCredential(t, ev, want)
			if len(ev.Changes) != 1 || string(ev.Changes["active"].Before) != jsonBool(!active) || string(ev.Changes["active"].After) != jsonBool(active) {
				t.Errorf("%s changes = %v", action, ev.Changes)
			}
		}
		// Deactivating a deactivated user again changes nothing, and says so.
		_, err = e.sessions.SetUserActive(ctx, u.ID, true)
		ok(t, "activate again", err)
		if ev := e.lastEvent(keyhold.OutcomeSuccess, "user.activated"); len(ev.Changes) != 0 {
			t.Errorf("an unchanged activation has changes %v", ev.Changes)
		}
	})
}

func jsonBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// An LDAP bind names the app password it bound with, method ldap; a
// password that is no known token names none.
func TestLDAPBindCredential(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := ldapCtx(ldapIP)
		nas := e.account("nas")
		app := e.appPassword(nas.ID, keyhold.TokenCreate{})
		p, err := e.bind(ctx, "cn=nas,ou=users,"+base, app.Value)
		ok(t, "bind", err)
		want := tokenCredential(app, keyhold.AuthLDAP)
		if got := p.Credential(); got != want {
			t.Errorf("bound principal's credential = %+v, want %+v", got, want)
		}
		wantCredential(t, e.lastEvent(keyhold.OutcomeSuccess, "ldap.bind"), want)

		_, err = e.bind(ctx, "cn=nas,ou=users,"+base, "not a token at all")
		wantCode(t, "bind with garbage", err, keyhold.EUNAUTHENTICATED)
		wantCredential(t, e.lastEvent(keyhold.OutcomeFailure, "ldap.bind"), keyhold.AuditCredential{})
	})
}

// Refusals name the credential of the refused caller; failed
// authentications and keyhold's own events name none.
func TestAggregatedAndSystemCredentials(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("weak")
		tok := e.mint(a.ID, keyhold.TokenCreate{Name: "weak"})
		_, err := e.accounts.CreateSystemAccount(e.as(tok.Value), keyhold.SystemAccountCreate{Name: "nope"})
		wantCode(t, "create without the right", err, keyhold.EFORBIDDEN)
		wantCredential(t, e.lastEvent(keyhold.OutcomeDenied, "system_account.created"), tokenCredential(tok, keyhold.AuthBearer))

		if err := e.authenticate("spat_notatokenatallnotatokenatall"); err == nil {
			t.Fatal("garbage authenticated")
		}
		wantCredential(t, e.lastEvent(keyhold.OutcomeFailure, "auth.failed"), keyhold.AuditCredential{})

		ttl := 24 * time.Hour
		e.mint(a.ID, keyhold.TokenCreate{Name: "short", TTL: &ttl})
		e.clock.Advance(25 * time.Hour)
		e.svc.Jobs.RunJobs(e.ctx)
		wantCredential(t, e.lastEvent(keyhold.OutcomeSuccess, "token.expired"), keyhold.AuditCredential{})
	})
}
