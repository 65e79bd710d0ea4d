package service_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

func at(t time.Time) *time.Time          { return &t }
func dur(d time.Duration) *time.Duration { return &d }

// getToken reads a token of an account as the first admin.
func (e *env) getToken(accountID, id string) *keyhold.Token {
	e.t.Helper()
	tok, err := e.tokens.GetToken(e.admin, accountRef(accountID), id)
	if err != nil {
		e.t.Fatalf("get token %s: %v", id, err)
	}
	return tok
}

// Rotation mints a successor and leaves the predecessor working until its
// deadline, and not a moment longer.
func TestRotationWithOverlap(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer", cpAdmin)
		pred := e.mint(a.ID, keyhold.TokenCreate{Name: "deploy", ExpiresAt: at(t0.Add(30 * 24 * time.Hour))})
		e.clock.Advance(time.Hour)
		rotatedAt := t0.Add(time.Hour)

		succ, err := e.tokens.RotateToken(e.admin, accountRef(a.ID), pred.ID, keyhold.TokenRotate{Overlap: dur(2 * time.Hour)})
		ok(t, "rotate", err)
		switch {
		case succ.ID == pred.ID || succ.Value == pred.Value || succ.Value == "":
			t.Fatalf("successor %s is not a new token", succ.ID)
		case succ.Name != "deploy" || succ.PredecessorID == nil || *succ.PredecessorID != pred.ID:
			t.Errorf("successor name %q, predecessor %v; want deploy, %s", succ.Name, succ.PredecessorID, pred.ID)
		case succ.ExpiresAt == nil || !succ.ExpiresAt.Equal(rotatedAt.Add(30*24*time.Hour)):
			t.Errorf("successor expires %v, want the predecessor's lifetime from the rotation, %v", succ.ExpiresAt, rotatedAt.Add(30*24*time.Hour))
		}
		p := e.getToken(a.ID, pred.ID)
		deadline := rotatedAt.Add(2 * time.Hour)
		if p.SuccessorID == nil || *p.SuccessorID != succ.ID || p.RotationDeadline == nil || !p.RotationDeadline.Equal(deadline) {
			t.Fatalf("predecessor successor %v deadline %v, want %s and %v", p.SuccessorID, p.RotationDeadline, succ.ID, deadline)
		}
		if st := p.State(e.clock.Now()); st != keyhold.TokenRotating {
			t.Errorf("predecessor state %s, want %s", st, keyhold.TokenRotating)
		}
		if events := e.events(keyhold.OutcomeSuccess, "token.rotated"); len(events) != 1 || events[0].TargetID != pred.ID || events[0].ActorID != e.adminID {
			t.Errorf("token.rotated events = %+v", events)
		}

		e.clock.Advance(2*time.Hour - time.Microsecond)
		ok(t, "predecessor just before its deadline", e.authenticate(pred.Value))
		ok(t, "successor", e.authenticate(succ.Value))
		e.clock.Advance(time.Microsecond)
		wantCode(t, "predecessor at its deadline", e.authenticate(pred.Value), keyhold.EUNAUTHENTICATED)
		ok(t, "successor after the deadline", e.authenticate(succ.Value))
		if st := e.getToken(a.ID, pred.ID).State(e.clock.Now()); st != keyhold.TokenRevoked {
			t.Errorf("predecessor state after its deadline %s, want %s", st, keyhold.TokenRevoked)
		}

		// The background sweep records the end of the overlap, at the
		// deadline.
		e.clock.Advance(time.Minute)
		e.svc.Jobs.RunJobs(e.ctx)
		if p := e.getToken(a.ID, pred.ID); p.RevokedAt == nil || !p.RevokedAt.Equal(deadline) {
			t.Errorf("predecessor revoked at %v, want its deadline %v", p.RevokedAt, deadline)
		}
		if got := e.events(keyhold.OutcomeSuccess, "token.revoked"); len(got) != 1 || got[0].TargetID != pred.ID || !strings.Contains(got[0].TargetName, "the rotation overlap ended") {
			t.Errorf("token.revoked events = %+v, want the end of the overlap of %s", got, pred.ID)
		}
	})
}

// With revoke-when-idle, the predecessor retires before its deadline once
// its successor is in use and it has been idle that long; not while its
// successor is unused.
func TestRotationRevokeWhenIdle(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		pred := e.mint(a.ID, keyhold.TokenCreate{})
		succ, err := e.tokens.RotateToken(e.admin, accountRef(a.ID), pred.ID, keyhold.TokenRotate{RevokeWhenIdle: dur(10 * time.Minute)})
		ok(t, "rotate", err)

		e.clock.Advance(15 * time.Minute)
		e.svc.Jobs.RunJobs(e.ctx)
		// Asked without authenticating it, which would be a use.
		if p := e.getToken(a.ID, pred.ID); p.RevokedAt != nil {
			t.Fatalf("the predecessor retired at %v while its successor was unused", p.RevokedAt)
		}

		ok(t, "the successor in use", e.authenticate(succ.Value))
		e.svc.Decider.Flush(e.ctx, true)
		e.clock.Advance(time.Minute)
		e.svc.Jobs.RunJobs(e.ctx)
		wantCode(t, "the idle predecessor once its successor is in use", e.authenticate(pred.Value), keyhold.EUNAUTHENTICATED)
		if p := e.getToken(a.ID, pred.ID); p.RevokedAt == nil || !p.RevokedAt.Before(*p.RotationDeadline) {
			t.Errorf("predecessor revoked at %v, want before its deadline %v", p.RevokedAt, p.RotationDeadline)
		}
		ok(t, "the successor", e.authenticate(succ.Value))
	})
}

// Only an active token rotates: not one already rotated, revoked or
// expired, and never a personal token.
func TestRotationOfAnInactiveToken(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		rotate := func(id string) error {
			_, err := e.tokens.RotateToken(e.admin, accountRef(a.ID), id, keyhold.TokenRotate{})
			return err
		}
		// The conflict is the token's state, not another, such as the name
		// its successor already took.
		wantInactive := func(what string, err error, state string) {
			t.Helper()
			if msg := wantCode(t, what, err, keyhold.ECONFLICT); !strings.Contains(msg, "Only an active token can be rotated; this one is "+state) {
				t.Errorf("%s: %q does not say the token is %s", what, msg, state)
			}
		}
		rotated := e.mint(a.ID, keyhold.TokenCreate{})
		ok(t, "first rotation", rotate(rotated.ID))
		wantInactive("rotating a rotated token", rotate(rotated.ID), keyhold.TokenRotating)

		revoked := e.mint(a.ID, keyhold.TokenCreate{})
		_, err := e.tokens.RevokeToken(e.admin, accountRef(a.ID), revoked.ID)
		ok(t, "revoke", err)
		wantInactive("rotating a revoked token", rotate(revoked.ID), keyhold.TokenRevoked)

		expiring := e.mint(a.ID, keyhold.TokenCreate{ExpiresAt: at(t0.Add(time.Hour))})
		e.clock.Advance(time.Hour)
		wantInactive("rotating an expired token", rotate(expiring.ID), keyhold.TokenExpired)

		u := e.user("alice@example.com")
		ttl := 30 * 24 * time.Hour
		pat, err := e.tokens.CreateToken(e.sys, userRef(u.ID), keyhold.TokenCreate{Name: "laptop", TTL: &ttl})
		ok(t, "personal token", err)
		_, err = e.tokens.RotateToken(e.admin, userRef(u.ID), pat.ID, keyhold.TokenRotate{})
		wantCode(t, "rotating a personal token", err, keyhold.ENOTFOUND)

		// Each refusal left the tokens as they were: one successor only.
		l, err := e.tokens.ListTokens(e.admin, accountRef(a.ID), keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 100}})
		ok(t, "list", err)
		if l.Total != 4 {
			t.Errorf("%d tokens, want 4: three minted and one successor", l.Total)
		}
	})
}

// The successor keeps its predecessor's name, scope, networks and
// automatic rotation, and its expiry follows the predecessor's lifetime
// within the policy in force at the rotation.
func TestSuccessorInherits(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		viewer := role("Control Planes", "Viewer", keyhold.AnyEntity, "eu")
		a := e.account("deployer", cpAdmin)
		cidrs := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
		pred := e.mint(a.ID, keyhold.TokenCreate{Name: "narrow", Scope: []keyhold.ScopeRole{viewer}, AllowedCIDRs: cidrs,
			AutoRotate: true, ExpiresAt: at(t0.Add(30 * 24 * time.Hour))})
		succ, err := e.tokens.RotateToken(e.admin, accountRef(a.ID), pred.ID, keyhold.TokenRotate{})
		ok(t, "rotate", err)
		if succ.Name != "narrow" || !slices.Equal(succ.Scope, pred.Scope) || !slices.Equal(succ.AllowedCIDRs, cidrs) || !succ.AutoRotate {
			t.Errorf("successor %+v does not keep the predecessor's name, scope, networks and auto_rotate", succ.Token)
		}
		stored := e.getToken(a.ID, succ.ID)
		if !slices.Equal(stored.Scope, pred.Scope) || !slices.Equal(stored.AllowedCIDRs, cidrs) {
			t.Errorf("stored successor scope %v networks %v", stored.Scope, stored.AllowedCIDRs)
		}
		if d := e.decide(succ.Value, viewer); d.Outcome != authz.Allowed || !d.Principal.Scoped {
			t.Errorf("successor on its scope: %v %q scoped=%v", d.Outcome, d.Reason, d.Principal.Scoped)
		}
		if d := e.decide(succ.Value, cpAdmin); d.Outcome == authz.Allowed {
			t.Error("the successor of a scoped token used a role outside its scope")
		}

		// A stricter policy bounds the successor; the predecessor keeps
		// its expiry.
		policy := keyhold.TokenPolicy{MaxLifetime: 10 * 24 * time.Hour, DefaultLifetime: 3 * 24 * time.Hour, AllowNonExpiring: true}
		_, err = e.policy.SetTokenPolicy(e.admin, policy)
		ok(t, "policy", err)
		long := e.mint(a.ID, keyhold.TokenCreate{ExpiresAt: at(t0.Add(10 * 24 * time.Hour))})
		forever := e.mint(a.ID, keyhold.TokenCreate{NoExpiry: true})
		e.clock.Advance(time.Hour)
		now := e.clock.Now()
		policy.MaxLifetime = 5 * 24 * time.Hour
		_, err = e.policy.SetTokenPolicy(e.admin, policy)
		ok(t, "stricter policy", err)

		s, err := e.tokens.RotateToken(e.admin, accountRef(a.ID), long.ID, keyhold.TokenRotate{})
		ok(t, "rotate under a stricter policy", err)
		if s.ExpiresAt == nil || !s.ExpiresAt.Equal(now.Add(5*24*time.Hour)) {
			t.Errorf("successor expires %v, want the policy's maximum from now, %v", s.ExpiresAt, now.Add(5*24*time.Hour))
		}
		s, err = e.tokens.RotateToken(e.admin, accountRef(a.ID), forever.ID, keyhold.TokenRotate{})
		ok(t, "rotate a token that never expires", err)
		if s.ExpiresAt != nil {
			t.Errorf("successor of a token that never expires expires %v, under a policy that allows it", s.ExpiresAt)
		}
		policy.AllowNonExpiring = false
		_, err = e.policy.SetTokenPolicy(e.admin, policy)
		ok(t, "policy without tokens that never expire", err)
		s, err = e.tokens.RotateToken(e.admin, accountRef(a.ID), s.ID, keyhold.TokenRotate{})
		ok(t, "rotate it again", err)
		if s.ExpiresAt == nil || !s.ExpiresAt.Equal(now.Add(policy.DefaultLifetime)) {
			t.Errorf("successor expires %v, want the policy's default from now, %v", s.ExpiresAt, now.Add(policy.DefaultLifetime))
		}

		other := e.mint(a.ID, keyhold.TokenCreate{})
		_, err = e.tokens.RotateToken(e.admin, accountRef(a.ID), other.ID, keyhold.TokenRotate{ExpiresAt: at(now.Add(6 * 24 * time.Hour))})
		if wantCode(t, "a successor beyond the maximum lifetime", err, keyhold.EINVALID); fieldErrors(err)["expires_at"] == "" {
			t.Errorf("refusal %v does not name expires_at", err)
		}
		_, err = e.tokens.RotateToken(e.admin, accountRef(a.ID), other.ID, keyhold.TokenRotate{Overlap: dur(6 * 24 * time.Hour)})
		if wantCode(t, "an overlap beyond the maximum lifetime", err, keyhold.EINVALID); fieldErrors(err)["overlap_seconds"] == "" {
			t.Errorf("refusal %v does not name overlap_seconds", err)
		}
	})
}

// A token may rotate itself without any permission, since it gains
// nothing; it may not rotate another token of its account.
func TestSelfRotation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("ci", cpAdmin)
		tok := e.mint(a.ID, keyhold.TokenCreate{})
		sibling := e.mint(a.ID, keyhold.TokenCreate{})
		self := e.as(tok.Value)
		_, err := e.tokens.RotateToken(self, accountRef(a.ID), sibling.ID, keyhold.TokenRotate{})
		wantRefused(t, "a token rotates its sibling", err, "requires identity:write")
		succ, err := e.tokens.RotateToken(self, accountRef(a.ID), tok.ID, keyhold.TokenRotate{})
		ok(t, "a token rotates itself", err)
		ok(t, "its successor", e.authenticate(succ.Value))

	})
}

// A system account's token never gets a new credential of its own account
// but its own successor, even when it may write identities: it mints no
// token for its account, rotates no other token of it, and receives none
// of its auto-rotated tokens. Otherwise a
// leaked token bound to a network would get an unbound one by rotating a
// sibling, and keep it once the leak is revoked.
func TestNoSelfMinting(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ia := e.account("identity-admin", identityAdmin)
		bound := e.mint(ia.ID, keyhold.TokenCreate{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
		unbound := e.mint(ia.ID, keyhold.TokenCreate{})
		self := e.as(bound.Value)

		_, err := e.tokens.CreateToken(self, accountRef(ia.ID), keyhold.TokenCreate{Name: "more"})
		wantRefused(t, "an identity admin's token mints for its account", err, "may not mint tokens for itself")
		_, err = e.tokens.RotateToken(self, accountRef(ia.ID), unbound.ID, keyhold.TokenRotate{})
		wantRefused(t, "an identity admin's token rotates another token of its account", err, "may not mint tokens for itself")
		if got := e.getToken(ia.ID, unbound.ID); got.SuccessorID != nil {
			t.Error("the refused rotation rotated the token")
		}

		other := e.account("other")
		_, err = e.tokens.RotateToken(self, accountRef(other.ID), e.mint(other.ID, keyhold.TokenCreate{}).ID, keyhold.TokenRotate{})
		ok(t, "an identity admin's token rotates another account's token", err)
		succ, err := e.tokens.RotateToken(self, accountRef(ia.ID), bound.ID, keyhold.TokenRotate{})
		ok(t, "an identity admin's token rotates itself", err)
		if !slices.Equal(succ.AllowedCIDRs, bound.AllowedCIDRs) {
			t.Errorf("the successor of a bound token is bound to %v, want %v", succ.AllowedCIDRs, bound.AllowedCIDRs)
		}

		// Nor does it receive its account's auto-rotated tokens: each
		// delivery carries a new value of one.
		successors := func(name, accountID string) keyhold.WebhookCreate {
			return keyhold.WebhookCreate{Name: name, URL: "https://hooks.example.com/" + name,
				EventTypes: []string{keyhold.EventTokenAutoRotated}, SystemAccountID: accountID}
		}
		self = e.as(succ.Value)
		_, err = e.webhooks.CreateWebhook(self, successors("own", ia.ID))
		wantRefused(t, "an identity admin's token subscribes to its account's auto-rotated tokens", err, "may not mint tokens for itself")
		_, err = e.webhooks.CreateWebhook(self, successors("others", other.ID))
		ok(t, "an identity admin's token subscribes to another account's auto-rotated tokens", err)
		byAdmin, err := e.webhooks.CreateWebhook(e.admin, successors("by-admin", ia.ID))
		ok(t, "the Organization Admin subscribes to the account's auto-rotated tokens", err)
		url := "https://attacker.example.com/x"
		_, err = e.webhooks.UpdateWebhook(self, byAdmin.ID, keyhold.WebhookUpdate{URL: &url})
		wantRefused(t, "an identity admin's token points its account's auto-rotated tokens at its receiver", err, "may not mint tokens for itself")
	})
}
