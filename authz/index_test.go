package authz_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

type fixture struct {
	seq int
	ix  *authz.Index
	cat *keyhold.Catalogue
	now time.Time
}

func newFixture() *fixture {
	return &fixture{ix: authz.New(keyhold.DefaultCatalogue()), cat: keyhold.DefaultCatalogue(), now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
}

func (f *fixture) grant(t testing.TB, et, role, id, region string) authz.Grant {
	g, ok := f.ix.GrantOf(&keyhold.AssignedRole{EntityTypeName: et, RoleName: role, EntityID: id, EntityRegion: region})
	if !ok {
		t.Fatalf("no role %s/%s", et, role)
	}
	return g
}

func (f *fixture) query(t testing.TB, et, role, id, region string) *authz.Query {
	r, ok := f.cat.Role(et, role)
	if !ok {
		t.Fatalf("no role %s/%s", et, role)
	}
	return &authz.Query{Role: r, EntityID: id, Region: region}
}

func (f *fixture) token(t testing.TB, owner keyhold.Ref, expires *time.Time) (string, *keyhold.Token) {
	v, err := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	if err != nil {
		t.Fatal(err)
	}
	f.seq++
	tok := &keyhold.Token{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", f.seq), Kind: keyhold.TokenKindSystemAccount, Owner: owner, Digest: keyhold.TokenDigest(v), CreatedAt: f.now, ExpiresAt: expires}
	if !f.ix.PutToken(tok) {
		t.Fatal("principal unknown")
	}
	return v, tok
}

// botToken indexes an active system account with no role, reporting uses
// once per every, and one token of it.
func (f *fixture) botToken(t testing.TB, name string, every time.Duration) (keyhold.Ref, string, *keyhold.Token) {
	f.ix.ReportUseEvery(every)
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: name, Active: true})
	v, tok := f.token(t, bot, nil)
	return bot, v, tok
}

const cp = "11111111-1111-4111-8111-111111111111"

func TestDecide(t *testing.T) {
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutTeam(authz.TeamState{ID: "deployers", Grants: []authz.Grant{f.grant(t, "Control Planes", "Deployer", "*", "us")}})
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "ci-bot", Active: true,
		Direct: []authz.Grant{f.grant(t, "Control Planes", "Admin", cp, "eu")}, Teams: []string{"deployers"}})
	v, _ := f.token(t, bot, nil)

	cases := []struct {
		name string
		q    *authz.Query
		want authz.Outcome
	}{
		{"authentication only", nil, authz.Allowed},
		{"exact role, entity and region", f.query(t, "Control Planes", "Admin", cp, "eu"), authz.Allowed},
		{"admin implies viewer", f.query(t, "Control Planes", "Viewer", cp, "eu"), authz.Allowed},
		{"other region", f.query(t, "Control Planes", "Viewer", cp, "us"), authz.Forbidden},
		{"other entity", f.query(t, "Control Planes", "Viewer", "22222222-2222-4222-8222-222222222222", "eu"), authz.Forbidden},
		{"other entity type", f.query(t, "API Products", "Viewer", cp, "eu"), authz.Forbidden},
		{"through the team, any entity in us", f.query(t, "Control Planes", "Deployer", "33333333-3333-4333-8333-333333333333", "us"), authz.Allowed},
		{"team grant does not imply more", f.query(t, "Control Planes", "Viewer", "33333333-3333-4333-8333-333333333333", "us"), authz.Forbidden},
	}
	for _, c := range cases {
		d := f.ix.Decide(v, c.q, "", f.now)
		if d.Outcome != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, d.Outcome, d.Reason, c.want)
		}
		if d.Outcome != authz.Unauthenticated && (d.Principal.Name != "ci-bot" || d.Principal.ID != "bot") {
			t.Errorf("%s: principal %+v", c.name, d.Principal)
		}
	}

	// A team losing its grant takes it from its members at once.
	f.ix.PutTeam(authz.TeamState{ID: "deployers"})
	if d := f.ix.Decide(v, f.query(t, "Control Planes", "Deployer", cp, "us"), "", f.now); d.Outcome != authz.Forbidden {
		t.Errorf("after the team lost its role: %v", d.Outcome)
	}
	// Leaving the team: the grant is gone, the token still works.
	f.ix.PutTeam(authz.TeamState{ID: "deployers", Grants: []authz.Grant{f.grant(t, "Control Planes", "Deployer", "*", "*")}})
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "ci-bot", Active: true})
	if d := f.ix.Decide(v, f.query(t, "Control Planes", "Deployer", cp, "us"), "", f.now); d.Outcome != authz.Forbidden {
		t.Errorf("after leaving the team: %v", d.Outcome)
	}
	f.ix.RemovePrincipal(bot)
	if d := f.ix.Decide(v, nil, "", f.now); d.Outcome != authz.Unauthenticated {
		t.Errorf("token of a deleted principal: %v", d.Outcome)
	}
	if st := f.ix.Stats(); st.Tokens != 0 || st.Principals != 0 {
		t.Errorf("stats after removal = %+v", st)
	}
}

func TestDecideRefusals(t *testing.T) {
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "bot", Active: true})
	exp := f.now.Add(time.Hour)
	v, tok := f.token(t, bot, &exp)
	d := f.ix.Decide(v, nil, "", f.now)
	if d.Outcome != authz.Allowed || d.TokenID() != tok.ID || d.ExpiresAt != exp.Unix() || d.IssuedAt != f.now.Unix() {
		t.Fatalf("fresh token: %v %s %s %d", d.Outcome, d.Reason, d.TokenID(), d.ExpiresAt)
	}
	if d := f.ix.Decide(v, nil, "", exp); d.Outcome != authz.Unauthenticated || d.Reason != authz.ReasonExpired {
		t.Errorf("at expiry: %v %s", d.Outcome, d.Reason)
	}
	other, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	for name, value := range map[string]string{"garbage": "spat_nope", "unknown": other, "empty": "", "wrong kind prefix": "kpat_" + v[5:]} {
		if d := f.ix.Decide(value, nil, "", f.now); d.Outcome != authz.Unauthenticated {
			t.Errorf("%s: %v", name, d.Outcome)
		}
	}
	f.ix.RemoveToken(tok.Digest)
	if d := f.ix.Decide(v, nil, "", f.now); d.Outcome != authz.Unauthenticated {
		t.Errorf("removed token: %v", d.Outcome)
	}
	// An inactive user's tokens do not work.
	u := keyhold.Ref{Type: keyhold.PrincipalUser, ID: "u"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: u, Name: "u@example.com", Active: false})
	uv, _ := keyhold.GenerateTokenValue(keyhold.TokenKindPersonal)
	f.ix.PutToken(&keyhold.Token{ID: "00000002-0000-4000-8000-000000000000", Kind: keyhold.TokenKindPersonal, Owner: u, Digest: keyhold.TokenDigest(uv), CreatedAt: f.now})
	if d := f.ix.Decide(uv, nil, "", f.now); d.Outcome != authz.Unauthenticated {
		t.Errorf("inactive user: %v", d.Outcome)
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "bot", Active: true, Direct: []authz.Grant{f.grant(t, "Control Planes", "Viewer", "*", "*")}})
	v, _ := f.token(t, bot, nil)
	q := f.query(t, "Control Planes", "Viewer", cp, "eu")
	if n := testing.AllocsPerRun(200, func() { f.ix.Decide(v, q, "", f.now) }); n != 0 {
		t.Errorf("%v allocations per decision, want 0", n)
	}
}

// The table must keep every key reachable through growth and deletions
// that shift clusters back.
func TestTableChurn(t *testing.T) {
	f := newFixture()
	bot := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "bot"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: bot, Name: "bot", Active: true})
	live := map[string]*keyhold.Token{}
	var order []string
	for i := 0; i < 5000; i++ {
		v, tok := f.token(t, bot, nil)
		live[v] = tok
		order = append(order, v)
		if i%3 == 2 { // delete an older one
			victim := order[i/2]
			if tk, ok := live[victim]; ok {
				f.ix.RemoveToken(tk.Digest)
				delete(live, victim)
			}
		}
	}
	for _, v := range order {
		_, want := live[v]
		if got := f.ix.Decide(v, nil, "", f.now).Outcome == authz.Allowed; got != want {
			t.Fatalf("token present=%v, decided %v", want, got)
		}
	}
	if st := f.ix.Stats(); st.Tokens != len(live) {
		t.Errorf("%d tokens in the index, want %d", st.Tokens, len(live))
	}
}

func TestUUIDRoundTrip(t *testing.T) {
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11", "ABCDEF01-2345-4678-9abc-def012345678"} {
		d := authz.Decision{}
		u, ok := authz.ParseUUIDForTest(id)
		if !ok {
			t.Fatalf("%s refused", id)
		}
		d.Token = u
		if got := d.TokenID(); got != strings.ToLower(id) {
			t.Errorf("%s → %s", id, got)
		}
	}
	for _, bad := range []string{"", "0d9f2f0e8b7e4b439c616a3b8a9a1f11", "0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f1g", "0d9f2f0e-8b7e-4b43-9c61_6a3b8a9a1f11"} {
		if _, ok := authz.ParseUUIDForTest(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if n := testing.AllocsPerRun(100, func() { authz.ParseUUIDForTest("0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11") }); n != 0 {
		t.Errorf("%v allocations per parse", n)
	}
}

// A decision reports a token's use once per resolution: the first use, and
// the first a resolution after the last one reported; a refusal for the
// token's networks is no use; a change of the token keeps its stamp.
func TestDecideReportsUseOncePerResolution(t *testing.T) {
	f := newFixture()
	bot, v, tok := f.botToken(t, "bot", 5*time.Minute)
	steps := []struct {
		after time.Duration
		want  bool
	}{{0, true}, {time.Second, false}, {5*time.Minute - time.Second, false}, {5 * time.Minute, true}, {6 * time.Minute, false}, {11 * time.Minute, true}}
	for _, s := range steps {
		if got := f.ix.Decide(v, nil, "", f.now.Add(s.after)).Use; got != s.want {
			t.Errorf("use at +%v reported %v, want %v", s.after, got, s.want)
		}
	}
	// Changing the token (a rename, a rotation's deadline) keeps the stamp.
	f.ix.PutToken(tok)
	if f.ix.Decide(v, nil, "", f.now.Add(12*time.Minute)).Use {
		t.Error("a changed token reported its use again within the resolution")
	}
	// A clock that went back reports nothing until it has passed again.
	if f.ix.Decide(v, nil, "", f.now).Use {
		t.Error("a use before the last reported one was reported")
	}

	// Network-bound: a refused use is not reported and does not stamp.
	bound := &keyhold.Token{ID: "00000099-0000-4000-8000-000000000000", Kind: keyhold.TokenKindSystemAccount, Owner: bot, CreatedAt: f.now,
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}
	bv, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	bound.Digest = keyhold.TokenDigest(bv)
	f.ix.PutToken(bound)
	if d := f.ix.Decide(bv, nil, "198.51.100.1", f.now); d.Outcome != authz.Forbidden || d.Use {
		t.Errorf("use from outside the networks: %v, use reported %v", d.Outcome, d.Use)
	}
	if d := f.ix.Decide(bv, nil, "192.0.2.7", f.now); d.Outcome != authz.Allowed || !d.Use {
		t.Errorf("first use from inside the networks: %v, use reported %v", d.Outcome, d.Use)
	}

	// Without a resolution every use is reported.
	g := newFixture()
	_, gv, _ := g.botToken(t, "bot", 0)
	for i := range 3 {
		if !g.ix.Decide(gv, nil, "", g.now).Use {
			t.Errorf("use %d not reported without a resolution", i)
		}
	}
}

// Concurrent decisions on one token report its use exactly once.
func TestDecideReportsUseOnceConcurrently(t *testing.T) {
	f := newFixture()
	_, v, _ := f.botToken(t, "bot", time.Hour)
	var reported atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if f.ix.Decide(v, nil, "", f.now).Use {
					reported.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := reported.Load(); n != 1 {
		t.Errorf("use reported %d times, want once", n)
	}
}

// Principals removed and added again reuse slots' owner numbers; every
// token must still decide for its own owner.
func TestOwnerNumbersReused(t *testing.T) {
	f := newFixture()
	tokens := map[string]keyhold.Ref{}
	for round := range 4 {
		for i := range 50 {
			ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprintf("sa-%d-%d", round, i)}
			f.ix.PutPrincipal(authz.PrincipalState{Ref: ref, Name: ref.ID, Active: true})
			v, _ := f.token(t, ref, nil)
			tokens[v] = ref
		}
		for v, ref := range tokens { // remove every other principal
			if ref.ID[len(ref.ID)-1]%2 == 0 {
				f.ix.RemovePrincipal(ref)
				delete(tokens, v)
			}
		}
	}
	for v, ref := range tokens {
		if d := f.ix.Decide(v, nil, "", f.now); d.Outcome != authz.Allowed || d.Principal.ID != ref.ID {
			t.Fatalf("token of %s decided %v for %q", ref.ID, d.Outcome, d.Principal.ID)
		}
	}
	if st := f.ix.Stats(); st.Principals != len(tokens) || st.Tokens != len(tokens) {
		t.Errorf("stats %+v, want %d principals and tokens", st, len(tokens))
	}
}

// Basic credentials name the token's principal, in any case, since names
// are unique ignoring case; a wrong name refuses the token as unknown and
// is no use of it. Matching allocates nothing.
func TestDecideBasic(t *testing.T) {
	f := newFixture()
	_, v, _ := f.botToken(t, "ci-bot", time.Hour)
	other := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: "other"}
	f.ix.PutPrincipal(authz.PrincipalState{Ref: other, Name: "Ünïcode-Bot", Active: true})
	w, _ := f.token(t, other, nil)
	for _, c := range []struct{ user, value string }{{"", v}, {"ci-bo", v}, {"ci-bot2", v}, {"ci-bot ", v}, {"ci_bot", v},
		{"ünïcode-bo", w}, {"unicode-bot", w}, {"ci-bot", w}} {
		if d := f.ix.DecideBasic(c.user, c.value, nil, "", f.now); d.Outcome != authz.Unauthenticated || d.Reason != authz.ReasonUnknown || d.Use {
			t.Errorf("user %q: %v (%s), use reported %v", c.user, d.Outcome, d.Reason, d.Use)
		}
	}
	if d := f.ix.DecideBasic("ci-bot", v, nil, "", f.now); d.Outcome != authz.Allowed || !d.Use || d.Principal.Name != "ci-bot" {
		t.Errorf("right user: %v, use reported %v", d.Outcome, d.Use)
	}
	for _, c := range []struct{ user, value, name string }{{"CI-BOT", v, "ci-bot"}, {"Ci-Bot", v, "ci-bot"},
		{"ÜNÏCODE-BOT", w, "Ünïcode-Bot"}, {"ünïcode-bot", w, "Ünïcode-Bot"}} {
		if d := f.ix.DecideBasic(c.user, c.value, nil, "", f.now); d.Outcome != authz.Allowed || d.Principal.Name != c.name {
			t.Errorf("user %q: %v (%s), principal %q", c.user, d.Outcome, d.Reason, d.Principal.Name)
		}
	}
	if n := testing.AllocsPerRun(100, func() { f.ix.DecideBasic("CI-Bot", v, nil, "", f.now) }); n != 0 {
		t.Errorf("%v allocations per decision", n)
	}
}

// Random churn of principals and tokens, checked against a model: every
// token decides for its true owner or not at all, whatever owner numbers
// were freed and reused, and tokens that moved between owners.
func TestOwnersUnderChurn(t *testing.T) {
	f := newFixture()
	rng := rand.New(rand.NewPCG(1, 2))
	type tokenState struct {
		tok   *keyhold.Token
		owner keyhold.Ref
	}
	tokens := map[string]*tokenState{} // value → state, for tokens in the index
	live := map[keyhold.Ref]bool{}
	ref := func(i int) keyhold.Ref {
		return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: fmt.Sprintf("sa-%d", i)}
	}
	check := func(step int) {
		for v, st := range tokens {
			if d := f.ix.Decide(v, nil, "", f.now); d.Outcome != authz.Allowed || d.Principal.ID != st.owner.ID || d.Principal.Name != "name-"+st.owner.ID {
				t.Fatalf("step %d: token of %s decided %v for %q (%q)", step, st.owner.ID, d.Outcome, d.Principal.ID, d.Principal.Name)
			}
		}
	}
	var removed []string // values of tokens whose owner or token was removed
	moves := 0
	for step := range 3000 {
		r := ref(rng.IntN(40))
		switch op := rng.IntN(10); {
		case op < 3: // add or rename a principal
			f.ix.PutPrincipal(authz.PrincipalState{Ref: r, Name: "name-" + r.ID, Active: true})
			live[r] = true
		case op < 7 && live[r]: // a new token
			v, tok := f.token(t, r, nil)
			tokens[v] = &tokenState{tok, r}
		case op < 8 && live[r] && len(tokens) > 0: // a token moves to r
			for _, st := range tokens {
				moved := *st.tok
				moved.Owner = r
				if !f.ix.PutToken(&moved) {
					t.Fatalf("step %d: moving a token to a live principal refused", step)
				}
				if st.owner != r {
					moves++
				}
				st.tok, st.owner = &moved, r
				break
			}
		case op < 9 && len(tokens) > 0: // a token is removed
			for v, st := range tokens {
				f.ix.RemoveToken(st.tok.Digest)
				delete(tokens, v)
				removed = append(removed, v)
				break
			}
		case op < 10 && live[r] && rng.IntN(3) == 0: // a principal is removed with its tokens
			f.ix.RemovePrincipal(r)
			delete(live, r)
			for v, st := range tokens {
				if st.owner == r {
					delete(tokens, v)
					removed = append(removed, v)
				}
			}
		}
		check(step)
	}
	check(3000)
	t.Logf("moves %d, removed %d, live tokens %d", moves, len(removed), len(tokens))
	for _, v := range removed {
		if _, back := tokens[v]; !back {
			if d := f.ix.Decide(v, nil, "", f.now); d.Outcome != authz.Unauthenticated {
				t.Fatalf("a removed token decided %v for %q", d.Outcome, d.Principal.ID)
			}
		}
	}
	if st := f.ix.Stats(); st.Tokens != len(tokens) || st.Principals != len(live) {
		t.Errorf("stats %+v, want %d tokens and %d principals", st, len(tokens), len(live))
	}
}
