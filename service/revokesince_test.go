package service_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// RevokeTokensSince revokes the tokens created, or rotated, at or after a
// point in time, of accounts and users alike, audits each under its owner,
// and leaves older tokens working. Only the operator may run it.
func TestRevokeTokensSince(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("restored")
		A := accountRef(a.ID)
		old := e.mint(a.ID, keyhold.TokenCreate{Name: "old"})
		rotated := e.mint(a.ID, keyhold.TokenCreate{Name: "rotated"})
		u := e.user("ops@example.com")
		e.clock.Advance(time.Hour)
		since := e.clock.Now()
		fresh := e.mint(a.ID, keyhold.TokenCreate{Name: "fresh"})
		succ, err := e.tokens.RotateToken(e.admin, A, rotated.ID, keyhold.TokenRotate{})
		ok(t, "rotate", err)
		ttl := 30 * 24 * time.Hour
		pat, err := e.tokens.CreateToken(e.sys, userRef(u.ID), keyhold.TokenCreate{Name: "laptop", TTL: &ttl})
		ok(t, "personal token", err)
		gone := e.mint(a.ID, keyhold.TokenCreate{Name: "already-revoked"})
		_, err = e.tokens.RevokeToken(e.admin, A, gone.ID)
		ok(t, "revoke", err)
		e.clock.Advance(time.Minute)

		_, err = e.svc.Tokens.RevokeTokensSince(e.admin, since, true)
		wantCode(t, "an admin's request", err, keyhold.EFORBIDDEN)
		_, err = e.svc.Tokens.RevokeTokensSince(e.sys, e.clock.Now().Add(time.Minute), false)
		wantCode(t, "a time in the future", err, keyhold.EINVALID)
		_, err = e.svc.Tokens.RevokeTokensSince(e.sys, time.Time{}, false)
		wantCode(t, "no time", err, keyhold.EINVALID)

		n, err := e.svc.Tokens.RevokeTokensSince(e.sys, since, true)
		ok(t, "dry run", err)
		if n != 4 || e.authenticate(fresh.Value) != nil {
			t.Fatalf("dry run: %d tokens (want 4: fresh, rotated, its successor, the personal token), fresh one works: %v", n, e.authenticate(fresh.Value))
		}
		n, err = e.svc.Tokens.RevokeTokensSince(e.sys, since, false)
		ok(t, "revoke since", err)
		if n != 4 {
			t.Errorf("revoked %d tokens, want 4", n)
		}
		for _, v := range []string{fresh.Value, rotated.Value, succ.Value, pat.Value} {
			if err := e.authenticate(v); keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
				t.Errorf("a token created or rotated since: %v, want unauthorized", err)
			}
		}
		if err := e.authenticate(old.Value); err != nil {
			t.Errorf("the older token: %v", err)
		}
		revokes := 0
		for _, ev := range e.events("", "token.revoked") {
			if ev.ActorName == "keyhold" {
				revokes++
				if ev.SubjectID != a.ID && ev.SubjectID != u.ID {
					t.Errorf("revocation event %+v names no owner", ev)
				}
			}
		}
		if revokes != 4 {
			t.Errorf("%d revocation events by keyhold, want 4", revokes)
		}
		if n, err := e.svc.Tokens.RevokeTokensSince(e.sys, since, false); err != nil || n != 0 {
			t.Errorf("again: %d, %v; want nothing left", n, err)
		}
	})
}
