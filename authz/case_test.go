package authz_test

import (
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

// ent is an entity id with letters, unlike cp.
const ent = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"

// Entity ids are UUIDs, matched in any case: a grant stored in upper case
// and a query in lower case (and the other way round) decide alike, for a
// principal's grants, a team's, and a token's scope.
func TestDecideEntityIDAnyCase(t *testing.T) {
	upper := strings.ToUpper(ent)
	mixed := upper[:18] + ent[18:]
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutTeam(authz.TeamState{ID: "t", Grants: []authz.Grant{f.grant(t, "API Products", "Viewer", mixed, "us")}})
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "bot", Active: true, Teams: []string{"t"},
		Direct: []authz.Grant{f.grant(t, "Control Planes", "Admin", upper, "eu")}})
	v, _ := f.token(t, bot, nil)
	for _, id := range []string{ent, upper, mixed} {
		for _, q := range []*authz.Query{f.query(t, "Control Planes", "Viewer", id, "eu"), f.query(t, "API Products", "Viewer", id, "us")} {
			if d := f.ix.Decide(v, q, "", f.now); d.Outcome != authz.Allowed {
				t.Errorf("entity %s: %v (%s)", id, d.Outcome, d.Reason)
			}
			if held, _ := f.ix.Holds(bot, q); !held {
				t.Errorf("Holds entity %s = false", id)
			}
		}
		other := f.query(t, "Control Planes", "Viewer", strings.Replace(strings.Replace(id, "a", "b", 1), "A", "B", 1), "eu")
		if d := f.ix.Decide(v, other, "", f.now); d.Outcome != authz.Forbidden {
			t.Errorf("another entity than %s: %v", id, d.Outcome)
		}
	}
	// The query the caller passed is not changed by the folding.
	q := f.query(t, "Control Planes", "Viewer", upper, "eu")
	f.ix.Decide(v, q, "", f.now)
	if q.EntityID != upper {
		t.Errorf("query changed to %q", q.EntityID)
	}

	scoped := &keyhold.Token{ID: "00000000-0000-4000-8000-00000000abcd", Kind: keyhold.TokenKindSystemAccount, Owner: bot, CreatedAt: f.now,
		Scope: []keyhold.ScopeRole{{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: mixed, EntityRegion: "eu"}}}
	sv, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	scoped.Digest = keyhold.TokenDigest(sv)
	f.ix.PutToken(scoped)
	for _, id := range []string{ent, upper} {
		if d := f.ix.Decide(sv, f.query(t, "Control Planes", "Viewer", id, "eu"), "", f.now); d.Outcome != authz.Allowed {
			t.Errorf("scoped, entity %s: %v (%s)", id, d.Outcome, d.Reason)
		}
		if held, _ := f.ix.TokenHolds(bot, scoped.ID, f.query(t, "Control Planes", "Viewer", id, "eu")); !held {
			t.Errorf("TokenHolds entity %s = false", id)
		}
	}
	held := []keyhold.ScopeRole{{RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: upper, EntityRegion: "eu"}}
	if !authz.ScopeCovers(f.cat, held, keyhold.ScopeRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: mixed, EntityRegion: "eu"}) {
		t.Error("ScopeCovers compares entity ids by case")
	}
}

// Only a query that no grant covers as it is, and whose entity id has an
// upper-case letter, is folded: a lower-case one, allowed or refused,
// costs no allocation, and a folded one one (its new id).
func TestDecideEntityIDCaseAllocations(t *testing.T) {
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "bot", Active: true, Direct: []authz.Grant{f.grant(t, "Control Planes", "Viewer", ent, "*")}})
	v, _ := f.token(t, bot, nil)
	q := f.query(t, "Control Planes", "Viewer", ent, "eu")
	if n := testing.AllocsPerRun(200, func() { f.ix.Decide(v, q, "", f.now) }); n != 0 {
		t.Errorf("%v allocations per lower-case decision, want 0", n)
	}
	refused := f.query(t, "Control Planes", "Admin", ent, "eu")
	if n := testing.AllocsPerRun(200, func() { f.ix.Decide(v, refused, "", f.now) }); n != 0 {
		t.Errorf("%v allocations per refused lower-case decision, want 0", n)
	}
	up := f.query(t, "Control Planes", "Viewer", strings.ToUpper(ent), "eu")
	if d := f.ix.Decide(v, up, "", f.now); d.Outcome != authz.Allowed {
		t.Fatalf("upper case: %v", d.Outcome)
	}
	if n := testing.AllocsPerRun(200, func() { f.ix.Decide(v, up, "", f.now) }); n > 1 {
		t.Errorf("%v allocations per upper-case decision, want at most 1 (the folded id)", n)
	}
}

// hasUpper reads eight bytes at a time; it must agree with a byte loop for
// every byte value at every position, next to any other byte.
func TestHasUpper(t *testing.T) {
	slow := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0
	}
	for _, fill := range []byte{'a', '0', '-', 0x7f, 0x80, 0xff, '@', '[', 'Z' + 1, 'A' - 1} {
		for n := 0; n <= 20; n++ {
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					b := []byte(strings.Repeat(string(fill), n))
					b[pos] = byte(c)
					if s := string(b); authz.HasUpperForTest(s) != slow(s) {
						t.Fatalf("hasUpper(%q) = %v", s, !slow(s))
					}
				}
			}
		}
	}
	if authz.HasUpperForTest(ent) || !authz.HasUpperForTest(strings.ToUpper(ent)) {
		t.Error("hasUpper wrong on a UUID")
	}
}
