package authz_test

import (
	"net/netip"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

func TestRestrictedTokens(t *testing.T) {
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "ci-bot", Active: true,
		Direct: []authz.Grant{f.grant(t, "Control Planes", "Admin", "*", "*")}})
	wide, _ := f.token(t, bot, nil)
	scoped, tok := f.token(t, bot, nil)
	tok.Scope = []keyhold.ScopeRole{{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: cp, EntityRegion: "eu"}}
	tok.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("2001:db8::/32")}
	f.ix.PutToken(tok)

	in, in6, out, mapped := "10.1.2.3", "2001:db8::1", "10.2.0.1", "::ffff:10.1.9.9"
	viewer, admin := f.query(t, "Control Planes", "Viewer", cp, "eu"), f.query(t, "Control Planes", "Admin", cp, "eu")
	cases := []struct {
		name   string
		value  string
		q      *authz.Query
		client string
		want   authz.Outcome
		reason string
	}{
		{"wide token, anywhere", wide, admin, out, authz.Allowed, ""},
		{"scoped, in scope, in network", scoped, viewer, in, authz.Allowed, ""},
		{"scoped, IPv6 network", scoped, viewer, in6, authz.Allowed, ""},
		{"scoped, IPv4-mapped client", scoped, viewer, mapped, authz.Allowed, ""},
		{"authentication alone, in network", scoped, nil, in, authz.Allowed, ""},
		{"outside the networks", scoped, viewer, out, authz.Forbidden, authz.ReasonNetwork},
		{"no client address", scoped, nil, "", authz.Forbidden, authz.ReasonNetwork},
		{"a client address that is not one", scoped, nil, "gateway", authz.Forbidden, authz.ReasonNetwork},
		{"outside the scope, held by the account", scoped, admin, in, authz.Forbidden, authz.ReasonScope},
	}
	for _, c := range cases {
		d := f.ix.Decide(c.value, c.q, c.client, f.now)
		if d.Outcome != c.want || d.Reason != c.reason {
			t.Errorf("%s: %v %q, want %v %q", c.name, d.Outcome, d.Reason, c.want, c.reason)
		}
		if d.Outcome == authz.Allowed && d.IssuedAt != f.now.Unix() {
			t.Errorf("%s: issued %d, want %d (the restricted flag leaked into it)", c.name, d.IssuedAt, f.now.Unix())
		}
	}
	if d := f.ix.Decide(scoped, viewer, in, f.now); !d.Scoped || !d.Principal.Scoped {
		t.Error("a scoped token's decision is not marked scoped")
	}
	if n := testing.AllocsPerRun(100, func() { f.ix.Decide(scoped, viewer, in, f.now) }); n != 0 {
		t.Errorf("restricted decision allocates %v times", n)
	}

	// Permission checks of keyhold's own API ask the token.
	id := tok.ID
	if ok, _ := f.ix.TokenHolds(bot, id, viewer); !ok {
		t.Error("scoped token does not hold its scope")
	}
	if ok, _ := f.ix.TokenHolds(bot, id, admin); ok {
		t.Error("scoped token holds more than its scope")
	}
	// The scope never widens the account: after the account loses its
	// role, the scope alone grants nothing.
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "ci-bot", Active: true})
	if d := f.ix.Decide(scoped, viewer, in, f.now); d.Outcome != authz.Forbidden || d.Reason != authz.ReasonNoRole {
		t.Errorf("account without the role: %v %q", d.Outcome, d.Reason)
	}
	// Lifting the restriction clears the side table.
	tok.Scope, tok.AllowedCIDRs = nil, nil
	f.ix.PutToken(tok)
	if d := f.ix.Decide(scoped, nil, out, f.now); d.Outcome != authz.Allowed || d.Scoped {
		t.Errorf("unrestricted again: %v %q scoped=%v", d.Outcome, d.Reason, d.Scoped)
	}
}

func TestScopeCovers(t *testing.T) {
	cat := keyhold.DefaultCatalogue()
	held := []keyhold.ScopeRole{
		{RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "eu"},
		{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: cp, EntityRegion: "*"},
	}
	for _, c := range []struct {
		want keyhold.ScopeRole
		ok   bool
	}{
		{keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: cp, EntityRegion: "eu"}, true},
		{keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "eu"}, true},
		{keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: cp, EntityRegion: "*"}, false},
		{keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: cp, EntityRegion: "us"}, false},
		{keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: cp, EntityRegion: "us"}, true},
		{keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: "*", EntityRegion: "us"}, false},
		{keyhold.ScopeRole{RoleName: "Nope", EntityTypeName: "API Products", EntityID: cp, EntityRegion: "us"}, false},
	} {
		if got := authz.ScopeCovers(cat, held, c.want); got != c.ok {
			t.Errorf("covers %+v = %v, want %v", c.want, got, c.ok)
		}
	}
}
