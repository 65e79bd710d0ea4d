package service_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store/storetest"
)

const base = "dc=keyhold,dc=local"

var directoryReader = role(keyhold.IdentityEntityType, keyhold.DirectoryReaderRole, keyhold.AnyEntity, keyhold.AnyRegion)

// ldapCtx is a connection of an LDAP client at ip, as the protocol layer
// makes it.
func ldapCtx(ip string) context.Context {
	return keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{RequestID: "ldap", ClientIP: ip, UserAgent: "ldap"})
}

const ldapIP = "198.51.100.7"

// appPassword mints an app password of the account.
func (e *env) appPassword(accountID string, in keyhold.TokenCreate) *keyhold.MintedToken {
	e.t.Helper()
	in.Intent = keyhold.IntentAppPassword
	return e.mint(accountID, in)
}

func (e *env) bind(ctx context.Context, dn, password string) (*keyhold.Principal, error) {
	return e.svc.Directory.Bind(ctx, dn, password)
}

func TestDirectoryBind(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := ldapCtx(ldapIP)
		nas := e.account("nas")
		app := e.appPassword(nas.ID, keyhold.TokenCreate{})
		for _, dn := range []string{"cn=nas,ou=users," + base, "uid=nas,ou=users," + base, "CN=NAS, OU=Users, DC=Keyhold, DC=Local"} {
			p, err := e.bind(ctx, dn, app.Value)
			if err != nil {
				t.Fatalf("bind as %s: %v", dn, err)
			}
			if p.ID != nas.ID || p.TokenID != app.Token.ID || !p.AppPassword {
				t.Fatalf("bound principal %+v", p)
			}
			if got := e.svc.Directory.BoundDN(p); got != "cn=nas,ou=users,"+base {
				t.Fatalf("BoundDN = %q", got)
			}
		}
		// The bind is a use: written with the client's address and ldap.
		e.svc.Decider.Flush(e.ctx, true)
		used, err := e.tokens.GetToken(e.admin, accountRef(nas.ID), app.Token.ID)
		if err != nil {
			t.Fatal(err)
		}
		if used.LastUsedAt == nil || used.LastUsedIP != ldapIP || used.LastUsedUserAgent != "ldap" {
			t.Fatalf("last use = %v %q %q", used.LastUsedAt, used.LastUsedIP, used.LastUsedUserAgent)
		}

		// Refusals, each with its real reason in the audit.
		other := e.account("other")
		otherApp := e.appPassword(other.ID, keyhold.TokenCreate{})
		api := e.mint(nas.ID, keyhold.TokenCreate{Intent: keyhold.IntentAPI, ExpiresAt: ptr(e.clock.Now().Add(30 * 24 * time.Hour))})
		cp := e.account("cp", cpAdmin, directoryReader)
		scopedOut := e.appPassword(cp.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{cpAdmin}})
		scopedIn := e.appPassword(cp.ID, keyhold.TokenCreate{Name: "dir", Scope: []keyhold.ScopeRole{directoryReader}})
		netBound := e.appPassword(nas.ID, keyhold.TokenCreate{Name: "net", AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		in := 2 * time.Hour
		expiring := e.appPassword(nas.ID, keyhold.TokenCreate{Name: "soon", TTL: nil, ExpiresAt: ptr(e.clock.Now().Add(in))})
		revoked := e.appPassword(nas.ID, keyhold.TokenCreate{Name: "revoked"})
		if _, err := e.tokens.RevokeToken(e.admin, accountRef(nas.ID), revoked.Token.ID); err != nil {
			t.Fatal(err)
		}
		dis := e.account("dis")
		disApp := e.appPassword(dis.ID, keyhold.TokenCreate{})
		if _, err := e.accounts.SetSystemAccountDisabled(e.admin, dis.ID, true); err != nil {
			t.Fatal(err)
		}

		if _, err := e.bind(ctx, "cn=cp,ou=users,"+base, scopedIn.Value); err != nil {
			t.Fatalf("a token scoped to Directory Reader: %v", err)
		}
		if _, err := e.bind(ldapCtx("10.1.2.3"), "cn=nas,ou=users,"+base, netBound.Value); err != nil {
			t.Fatalf("a network-bound token from its network: %v", err)
		}
		e.clock.Advance(in + time.Minute)
		refusals := []struct{ what, dn, password, reason string }{
			{"api intent", "cn=nas,ou=users," + base, api.Value, "The token's intent is api: only app_password tokens bind"},
			{"another account's token", "cn=nas,ou=users," + base, otherApp.Value, "The token belongs to another principal than nas"},
			{"scope without the directory", "cn=cp,ou=users," + base, scopedOut.Value, "The token's scope does not include the directory permission (Identity Directory Reader)"},
			{"wrong network", "cn=nas,ou=users," + base, netBound.Value, "The token may not be used from this client address"},
			{"expired", "cn=nas,ou=users," + base, expiring.Value, "The token is expired"},
			{"revoked", "cn=nas,ou=users," + base, revoked.Value, "The token is revoked"},
			{"disabled account", "cn=dis,ou=users," + base, disApp.Value, "The account is disabled"},
			{"a person's DN", "cn=nas,ou=people," + base, app.Value, "The bind DN is not a system account's entry (cn=<name>,ou=users," + base + ")"},
			{"another base", "cn=nas,ou=users,dc=example,dc=com", app.Value, "The bind DN is not a system account's entry (cn=<name>,ou=users," + base + ")"},
			{"garbage", "cn=nas,ou=users," + base, "not a token", "The password is not a token"},
			{"unknown token", "cn=nas,ou=users," + base, strings.Repeat("x", 0) + e.unknownToken(), "Unknown token"},
			{"empty password", "cn=nas,ou=users," + base, "", "No password: an unauthenticated bind"},
			{"a name of 10,000 characters", "cn=" + strings.Repeat("n", 10000) + ",ou=users," + base, app.Value,
				"The token belongs to another principal than " + strings.Repeat("n", 256)},
		}
		for _, r := range refusals {
			_, err := e.bind(ctx, r.dn, r.password)
			if keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED || keyhold.ErrorMessage(err) != "Invalid credentials" {
				t.Errorf("%s: %v, want the one invalid-credentials refusal", r.what, err)
			}
		}
		reasons := map[string]bool{}
		for _, ev := range e.events(keyhold.OutcomeFailure, "ldap.bind") {
			reasons[ev.Reason] = true
			if ev.UserAgent != "ldap" || ev.ClientIP == "" {
				t.Errorf("event %+v", ev)
			}
			// What the client named reaches the audit bounded.
			if len(ev.ActorName) > 256 || len(ev.TargetName) > 256 {
				t.Errorf("an ldap.bind event names %d and %d bytes", len(ev.ActorName), len(ev.TargetName))
			}
		}
		for _, r := range refusals {
			if !reasons[r.reason] {
				t.Errorf("%s: no ldap.bind failure with reason %q; have %v", r.what, r.reason, reasons)
			}
		}
		ok := e.events(keyhold.OutcomeSuccess, "ldap.bind")
		total := 0
		for _, ev := range ok {
			total += ev.Count
		}
		if total != 5 {
			t.Errorf("successful binds audited %d times in %d events, want 5", total, len(ok))
		}

		// A revocation is seen by the very next bind.
		if _, err := e.bind(ctx, "cn=nas,ou=users,"+base, app.Value); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tokens.RevokeToken(e.admin, accountRef(nas.ID), app.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.bind(ctx, "cn=nas,ou=users,"+base, app.Value); keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
			t.Fatalf("bind after revocation: %v", err)
		}
	})
}

// unknownToken is a well-formed token value keyhold never minted.
func (e *env) unknownToken() string {
	v, err := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// Failed binds count in the failed-authentication limit of the client's
// address, like failed HTTP authentications.
func TestDirectoryBindRateLimit(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := ldapCtx("203.0.113.9")
		nas := e.account("nas")
		app := e.appPassword(nas.ID, keyhold.TokenCreate{})
		for range 100 {
			if _, err := e.bind(ctx, "cn=nas,ou=users,"+base, "wrong"); keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
				t.Fatal(err)
			}
		}
		if _, err := e.bind(ctx, "cn=nas,ou=users,"+base, app.Value); keyhold.ErrorCode(err) != keyhold.ERATELIMITED {
			t.Fatalf("bind after 100 failures: %v", err)
		}
		// The HTTP API shares the limit.
		hctx := keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{ClientIP: "203.0.113.9"})
		if _, err := e.auth.Authenticate(hctx, keyhold.Credentials{Bearer: e.mint(nas.ID, keyhold.TokenCreate{}).Value}); keyhold.ErrorCode(err) != keyhold.ERATELIMITED {
			t.Fatalf("HTTP after 100 failed binds: %v", err)
		}
		// Another address is not limited.
		if _, err := e.bind(ldapCtx(ldapIP), "cn=nas,ou=users,"+base, app.Value); err != nil {
			t.Fatal(err)
		}
	})
}

// dirWorld is a directory to search: nas (an app password, no reader
// role) in team Storage with a person, a reader account, teams whose
// names need escaping or repeat, an inactive user.
type dirWorld struct {
	nas, reader       context.Context
	nasAcct           *keyhold.SystemAccount
	person, sleeper   *keyhold.User
	storage, odd      *keyhold.Team
	dupA, dupB, empty *keyhold.Team
}

const oddName = ` #odd,+"\<>;= `

func newDirWorld(t *testing.T, e *env) *dirWorld {
	t.Helper()
	w := &dirWorld{}
	ctx := ldapCtx(ldapIP)
	w.nasAcct = e.account("nas")
	nasApp := e.appPassword(w.nasAcct.ID, keyhold.TokenCreate{})
	readerAcct := e.account("reader", directoryReader)
	readerApp := e.appPassword(readerAcct.ID, keyhold.TokenCreate{})
	w.person = e.user("person@example.com")
	w.sleeper = e.user("sleeper@example.com")
	if _, err := e.svc.Sessions.SetUserActive(e.admin, w.sleeper.ID, false); err != nil {
		t.Fatal(err)
	}
	team := func(name string, members ...keyhold.Ref) *keyhold.Team {
		tm, err := e.teams.CreateTeam(e.admin, keyhold.TeamCreate{Name: name})
		if err != nil {
			t.Fatalf("team %q: %v", name, err)
		}
		for _, m := range members {
			if err := e.teams.AddTeamMember(e.admin, tm.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		return tm
	}
	w.storage = team("Storage", accountRef(w.nasAcct.ID), userRef(w.person.ID), userRef(w.sleeper.ID))
	w.odd = team(oddName, accountRef(w.nasAcct.ID))
	w.dupA, w.dupB = team("dup"), team("DUP", userRef(w.person.ID))
	w.empty = team("Empty")
	team("#lead")
	for _, c := range []struct {
		ctx  *context.Context
		name string
		val  string
	}{{&w.nas, "nas", nasApp.Value}, {&w.reader, "reader", readerApp.Value}} {
		p, err := e.bind(ctx, "cn="+c.name+",ou=users,"+base, c.val)
		if err != nil {
			t.Fatal(err)
		}
		*c.ctx = keyhold.NewContextWithPrincipal(ctx, p)
	}
	return w
}

func (e *env) search(ctx context.Context, s keyhold.DirectorySearch) *keyhold.DirectoryResult {
	e.t.Helper()
	r, err := e.svc.Directory.Search(ctx, s)
	if err != nil {
		e.t.Fatalf("search %+v: %v", s, err)
	}
	return r
}

func dns(r *keyhold.DirectoryResult) []string {
	out := []string{}
	for _, en := range r.Entries {
		out = append(out, en.DN)
	}
	return out
}

func attrOf(en keyhold.DirectoryEntry, name string) []string {
	for _, a := range en.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a.Values
		}
	}
	return nil
}

func eq(attr, v string) *keyhold.Filter {
	return &keyhold.Filter{Op: keyhold.FilterEqual, Attr: attr, Value: v}
}

func TestDirectorySearch(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		w := newDirWorld(t, e)
		sub := func(f *keyhold.Filter) keyhold.DirectorySearch {
			return keyhold.DirectorySearch{BaseDN: base, Scope: keyhold.ScopeSub, Filter: f}
		}
		nasDN := "cn=nas,ou=users," + base
		storageDN := "cn=Storage,ou=groups," + base
		oddDN := `cn=\ #odd\,\+\"\\\<\>\;\=\ ,ou=groups,` + base

		// Rights: nas sees itself and its teams; the reader everything.
		own := dns(e.search(w.nas, sub(nil)))
		slices.Sort(own)
		want := []string{nasDN, storageDN, oddDN}
		slices.Sort(want)
		if !slices.Equal(own, want) {
			t.Fatalf("nas sees %q, want %q", own, want)
		}
		all := e.search(w.reader, sub(nil))
		got := dns(all)
		for _, d := range []string{base, "ou=users," + base, "ou=people," + base, "ou=groups," + base, nasDN, "cn=reader,ou=users," + base,
			"cn=person@example.com,ou=people," + base, storageDN, oddDN, "entryUUID=" + w.dupA.ID + ",ou=groups," + base,
			"entryUUID=" + w.dupB.ID + ",ou=groups," + base, "cn=Empty,ou=groups," + base, `cn=\#lead,ou=groups,` + base} {
			if !slices.Contains(got, d) {
				t.Errorf("the reader does not see %s", d)
			}
		}
		if slices.Contains(got, "cn=sleeper@example.com,ou=people,"+base) {
			t.Error("an inactive user is in the directory")
		}
		// Another account's entry is no such object for nas.
		if _, err := e.svc.Directory.Search(w.nas, keyhold.DirectorySearch{BaseDN: "cn=reader,ou=users," + base, Scope: keyhold.ScopeBase}); keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
			t.Errorf("nas reading the reader's entry: %v", err)
		}

		// The entries' attributes.
		nasEntry := e.search(w.reader, keyhold.DirectorySearch{BaseDN: nasDN, Scope: keyhold.ScopeBase}).Entries[0]
		uid := fmt.Sprint(w.nasAcct.UIDNumber)
		for name, values := range map[string][]string{
			"objectClass": {"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"},
			"cn":          {"nas"}, "uid": {"nas"}, "sn": {"nas"}, "entryUUID": {w.nasAcct.ID},
			"uidNumber": {uid}, "gidNumber": {uid}, "homeDirectory": {"/home/nas"}, "loginShell": {"/usr/sbin/nologin"},
		} {
			if got := attrOf(nasEntry, name); !slices.Equal(got, values) {
				t.Errorf("nas %s = %q, want %q", name, got, values)
			}
		}
		if got := attrOf(nasEntry, "memberOf"); !slices.Contains(got, storageDN) || !slices.Contains(got, oddDN) {
			t.Errorf("nas memberOf = %q", got)
		}
		storage := e.search(w.reader, keyhold.DirectorySearch{BaseDN: storageDN, Scope: keyhold.ScopeBase}).Entries[0]
		if got := attrOf(storage, "member"); !slices.Equal(got, []string{nasDN, "cn=person@example.com,ou=people," + base}) {
			t.Errorf("Storage member = %q", got)
		}
		if got := attrOf(storage, "memberUid"); !slices.Equal(got, []string{"nas", "person@example.com"}) {
			t.Errorf("Storage memberUid = %q", got)
		}
		if got := attrOf(storage, "gidNumber"); !slices.Equal(got, []string{fmt.Sprint(w.storage.GIDNumber)}) {
			t.Errorf("Storage gidNumber = %q", got)
		}
		// The escaped DN is a search base too, in any case.
		if r := e.search(w.nas, keyhold.DirectorySearch{BaseDN: strings.ToUpper(oddDN), Scope: keyhold.ScopeBase}); len(r.Entries) != 1 || attrOf(r.Entries[0], "cn")[0] != oddName {
			t.Errorf("the odd team by its DN: %+v", r.Entries)
		}

		// Filters, as the reader.
		n := func(f *keyhold.Filter) []string { return dns(e.search(w.reader, sub(f))) }
		one := func(what string, f *keyhold.Filter, want ...string) {
			t.Helper()
			got := n(f)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q, want %q", what, got, want)
			}
		}
		person := "cn=person@example.com,ou=people," + base
		reader := "cn=reader,ou=users," + base
		one("equality ignores case", eq("UID", "NAS"), nasDN)
		one("approx is equality", &keyhold.Filter{Op: keyhold.FilterApprox, Attr: "cn", Value: "Nas"}, nasDN)
		one("objectClass ignores case", &keyhold.Filter{Op: keyhold.FilterAnd, Children: []*keyhold.Filter{
			eq("objectclass", "POSIXACCOUNT"), eq("uid", "reader")}}, reader)
		admin := "cn=admin@example.com,ou=people," + base
		one("presence", &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "mail"}, person, admin)
		one("substrings", &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: "cn", Initial: "PER", Any: []string{"@"}, Final: ".COM"}, person)
		one("substrings any only", &keyhold.Filter{Op: keyhold.FilterSubstrings, Attr: "uid", Any: []string{"ead"}}, reader)
		one("ge on numbers", &keyhold.Filter{Op: keyhold.FilterAnd, Children: []*keyhold.Filter{
			{Op: keyhold.FilterGreater, Attr: "gidNumber", Value: fmt.Sprint(w.empty.GIDNumber)}, eq("objectClass", "posixGroup")}},
			"cn=Empty,ou=groups,"+base, `cn=\#lead,ou=groups,`+base) // the two newest teams
		one("le on numbers (numerically: 999 < 2000)", &keyhold.Filter{Op: keyhold.FilterLess, Attr: "uidNumber", Value: "999"})
		one("or", &keyhold.Filter{Op: keyhold.FilterOr, Children: []*keyhold.Filter{eq("uid", "nas"), eq("mail", "person@example.com")}}, nasDN, person)
		one("not", &keyhold.Filter{Op: keyhold.FilterAnd, Children: []*keyhold.Filter{
			eq("objectClass", "posixAccount"), {Op: keyhold.FilterNot, Children: []*keyhold.Filter{{Op: keyhold.FilterPresent, Attr: "mail"}}}}},
			nasDN, reader)
		one("member by DN, in any case", eq("member", strings.ToUpper(nasDN)), storageDN, oddDN)
		one("an unknown attribute never matches", &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "userPassword"})
		one("nor does its negation's absence", &keyhold.Filter{Op: keyhold.FilterAnd, Children: []*keyhold.Filter{eq("uid", "nas"), eq("shoeSize", "42")}})
		if _, err := e.svc.Directory.Search(w.reader, sub(&keyhold.Filter{Op: keyhold.FilterExtensible, Attr: "cn", Value: "x"})); keyhold.ErrorCode(err) != keyhold.EUNWILLING {
			t.Errorf("extensible: %v", err)
		}

		// Scopes.
		one1 := func(what string, s keyhold.DirectorySearch, want ...string) {
			t.Helper()
			got := dns(e.search(w.reader, s))
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q, want %q", what, got, want)
			}
		}
		one1("base", keyhold.DirectorySearch{BaseDN: "OU=Users," + base, Scope: keyhold.ScopeBase}, "ou=users,"+base)
		one1("one", keyhold.DirectorySearch{BaseDN: base, Scope: keyhold.ScopeOne}, "ou=users,"+base, "ou=people,"+base, "ou=groups,"+base)
		one1("sub of ou=users", keyhold.DirectorySearch{BaseDN: "ou=users," + base, Scope: keyhold.ScopeSub},
			"ou=users,"+base, nasDN, reader)
		if _, err := e.svc.Directory.Search(w.reader, keyhold.DirectorySearch{BaseDN: "dc=example,dc=com", Scope: keyhold.ScopeSub}); keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
			t.Errorf("a base outside the tree: %v", err)
		}
		if _, err := e.svc.Directory.Search(w.reader, keyhold.DirectorySearch{BaseDN: "cn=x,,", Scope: keyhold.ScopeSub}); keyhold.ErrorCode(err) != keyhold.EINVALID {
			t.Errorf("a base that is not a DN: %v", err)
		}

		// Attribute selection.
		sel := func(attrs ...string) keyhold.DirectoryEntry {
			return e.search(w.reader, keyhold.DirectorySearch{BaseDN: nasDN, Scope: keyhold.ScopeBase, Attributes: attrs}).Entries[0]
		}
		if en := sel("UIDNUMBER", "cn"); len(en.Attributes) != 2 || attrOf(en, "uidNumber")[0] != uid {
			t.Errorf("selected %+v", en.Attributes)
		}
		if en := sel("1.1"); len(en.Attributes) != 0 || en.DN != nasDN {
			t.Errorf("1.1: %+v", en)
		}
		if en := sel("*"); len(en.Attributes) != len(nasEntry.Attributes) {
			t.Errorf("*: %d attributes, want %d", len(en.Attributes), len(nasEntry.Attributes))
		}

		// Anonymous: no search at all.
		if _, err := e.svc.Directory.Search(ldapCtx(ldapIP), sub(nil)); keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
			t.Errorf("anonymous search: %v", err)
		}
		// The tree is read at each search: a change shows at once.
		if err := e.accounts.DeleteSystemAccount(e.admin, w.nasAcct.ID); err != nil {
			t.Fatal(err)
		}
		one("after a deletion", eq("uid", "nas"))
	})
}

// Paging walks past 1,000 entries; without it a search stops at 1,000
// with sizeLimitExceeded; a cookie of another search is refused.
func TestDirectoryPaging(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		w := newDirWorld(t, e)
		for i := range 1100 {
			if _, err := e.accounts.CreateSystemAccount(e.admin, keyhold.SystemAccountCreate{Name: fmt.Sprintf("bulk-%04d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		s := keyhold.DirectorySearch{BaseDN: "ou=users," + base, Scope: keyhold.ScopeOne, Filter: eq("objectClass", "posixAccount")}
		r := e.search(w.reader, s)
		if len(r.Entries) != 1000 || !r.SizeLimitExceeded {
			t.Fatalf("unpaged: %d entries, exceeded %v", len(r.Entries), r.SizeLimitExceeded)
		}
		limited := s
		limited.SizeLimit = 10
		if r := e.search(w.reader, limited); len(r.Entries) != 10 || !r.SizeLimitExceeded {
			t.Fatalf("client limit 10: %d entries, exceeded %v", len(r.Entries), r.SizeLimitExceeded)
		}
		s.PageSize = 300
		seen := map[string]bool{}
		pages := 0
		for {
			r := e.search(w.reader, s)
			pages++
			for _, en := range r.Entries {
				if seen[en.DN] {
					t.Fatalf("%s twice", en.DN)
				}
				seen[en.DN] = true
			}
			if len(r.Cookie) == 0 {
				break
			}
			if pages == 1 {
				other := s
				other.Filter, other.Cookie = eq("objectClass", "top"), r.Cookie
				if _, err := e.svc.Directory.Search(w.reader, other); keyhold.ErrorCode(err) != keyhold.EINVALID {
					t.Fatalf("another search's cookie: %v", err)
				}
				mine := s
				mine.Cookie = r.Cookie
				if _, err := e.svc.Directory.Search(w.nas, mine); keyhold.ErrorCode(err) != keyhold.EINVALID {
					t.Fatalf("another caller's cookie: %v", err)
				}
			}
			s.Cookie = r.Cookie
		}
		// 1,100 bulk accounts, nas, reader and the first admin's none.
		if len(seen) != 1102 || pages != 4 {
			t.Fatalf("paged: %d entries in %d pages", len(seen), pages)
		}
	})
}

// DirectoryConfig.PeopleRDN names people's entries by uid or mail instead
// of cn; each holds the email, and nothing else changes.
func TestDirectoryPeopleRDN(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			svc := service.New(service.Config{Store: storetest.Open(t, backend), Directory: service.DirectoryConfig{PeopleRDN: "uid"}})
			ctx := service.AsSystem(context.Background())
			if _, err := svc.Orgs.Bootstrap(ctx, service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"}); err != nil {
				t.Fatal(err)
			}
			res, err := svc.Directory.Search(ctx, keyhold.DirectorySearch{BaseDN: "ou=people," + base, Scope: keyhold.ScopeOne,
				Filter: &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "objectClass"}, Attributes: []string{"uid"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Entries) != 1 || res.Entries[0].DN != "uid=admin@example.com,ou=people,"+base {
				t.Fatalf("people: %+v", res.Entries)
			}
			if _, err := svc.Directory.Search(ctx, keyhold.DirectorySearch{BaseDN: "uid=ADMIN@example.com,ou=people," + base, Scope: keyhold.ScopeBase,
				Filter: &keyhold.Filter{Op: keyhold.FilterPresent, Attr: "objectClass"}}); err != nil {
				t.Errorf("the person's entry as a base: %v", err)
			}
		})
	}
}
