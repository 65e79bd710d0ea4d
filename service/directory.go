package service

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/internal/dn"
	"github.com/keyhold/keyhold/storage"
)

// Directory implements keyhold.DirectoryService: it decides every bind and
// every search of the LDAP directory (docs/ldap.md). Binds are decided by
// the index on every call, and searches read the store on every call, so
// that nothing the directory answers outlives a change.
type Directory struct {
	*core
	decider *Decider
	// base is the base DN as written in answers; baseNorm its normal form.
	base, baseNorm string
	// baseEntry is the base entry's first AVA, for its attributes.
	baseAVA dn.AVA
	// peopleRDN names people's entries (DirectoryConfig.PeopleRDN).
	peopleRDN string
}

var _ keyhold.DirectoryService = (*Directory)(nil)

// Directory limits.
const (
	// dirSizeLimit caps a search without paging, as OpenLDAP's default.
	dirSizeLimit = 1000
	// dirPagedLimit caps a paged search's entries in all.
	dirPagedLimit = 100_000
)

// errInvalidCredentials is every refused bind: no hint of the reason.
var errInvalidCredentials = keyhold.Errorf(keyhold.EUNAUTHENTICATED, "Invalid credentials")

// newDirectory wires the directory under c.Base. A base that is not a DN
// is a programming error (cmd/keyhold checks its flag first): New panics.
func newDirectory(k *core, d *Decider, c DirectoryConfig) *Directory {
	base, err := dn.Parse(cmp.Or(c.Base, keyhold.DefaultDirectoryBase))
	if err != nil || len(base) == 0 {
		panic("service: the directory base is not a DN: " + cmp.Or(c.Base, keyhold.DefaultDirectoryBase))
	}
	rdn := cmp.Or(c.PeopleRDN, "cn")
	if !keyhold.ValidPeopleRDN(rdn) {
		panic("service: people's entries cannot be named by " + rdn)
	}
	return &Directory{core: k, decider: d, base: base.String(), baseNorm: base.Normal(), baseAVA: base[0][0], peopleRDN: rdn}
}

// Bind implements keyhold.DirectoryService.
func (s *Directory) Bind(ctx context.Context, bindDN, password string) (*keyhold.Principal, error) {
	if err := s.authorize(ctx, "Bind", false); err != nil {
		return nil, err
	}
	ri := keyhold.RequestFromContext(ctx)
	ri.UserAgent = surfaceLDAP // a bind's use and audit say where it came from
	now := s.clock()
	if wait := s.decider.limiter.retryAfter(ri.ClientIP, now); wait > 0 {
		return nil, &keyhold.Error{Code: keyhold.ERATELIMITED, Message: "Too many failed authentications from this address; try again later", RetryAfter: wait}
	}
	name, ok := s.accountName(bindDN)
	// What the client sent reaches the audit bounded, whether it named an
	// account or not.
	attempt := bindAttempt{outcome: keyhold.OutcomeFailure, name: truncate(name, 256)}
	refuse := func(reason string, counted bool) (*keyhold.Principal, error) {
		attempt.reason = reason
		s.failures.bind(attempt, ri.ClientIP, ri.UserAgent, now)
		if !counted {
			s.decider.limiter.fail(ri.ClientIP, now)
		}
		return nil, errInvalidCredentials
	}
	if !ok {
		attempt.name = truncate(bindDN, 256)
		return refuse("The bind DN is not a system account's entry (cn=<name>,ou=users,"+s.base+")", false)
	}
	if password == "" {
		return refuse("No password: an unauthenticated bind", false)
	}
	d := s.decider.decide(ri, surfaceLDAP, keyhold.Credentials{Bearer: password}, nil)
	switch d.Outcome {
	case authz.RateLimited:
		return nil, &keyhold.Error{Code: keyhold.ERATELIMITED, Message: d.Reason, RetryAfter: d.RetryAfter}
	case authz.Unauthenticated:
		// decide counted it; the store tells the real reason.
		reason, owner := s.refusedReason(ctx, password, name, d.Reason)
		attempt.account, attempt.token = owner.ref, owner.token
		if owner.token != "" {
			attempt.cred = credential{method: keyhold.AuthLDAP, id: owner.token, digest: keyhold.TokenDigestArray(password)}
		}
		return refuse(reason, true)
	}
	p := d.Principal
	p.Auth = &keyhold.Authentication{Method: keyhold.AuthLDAP, ID: p.TokenID, Digest: keyhold.TokenDigestArray(password)}
	attempt.account, attempt.token, attempt.cred = p.Ref(), p.TokenID, credentialOf(p.Auth)
	switch {
	case p.Type != keyhold.PrincipalSystemAccount || !strings.EqualFold(p.Name, name):
		attempt.account, attempt.token, attempt.cred = keyhold.Ref{}, "", credential{}
		return refuse("The token belongs to another principal than "+attempt.name, false)
	case d.Reason == authz.ReasonNetwork:
		return refuse(authz.ReasonNetwork, false)
	case !p.AppPassword:
		return refuse("The token's intent is api: only app_password tokens bind", false)
	case p.Scoped && !s.holds(&p, keyhold.PermDirectoryRead):
		return refuse("The token's scope does not include the directory permission (Identity "+keyhold.DirectoryReaderRole+")", false)
	}
	attempt.outcome = keyhold.OutcomeSuccess
	s.failures.bind(attempt, ri.ClientIP, ri.UserAgent, now)
	return &p, nil
}

// refusedOwner is the owner of a token refused at bind, when known.
type refusedOwner struct {
	ref   keyhold.Ref
	token string
}

// refusedReason finds why the index refused a bind's token, for the audit:
// the store still holds a revoked or expired token and its account.
func (s *Directory) refusedReason(ctx context.Context, password, name, indexReason string) (string, refusedOwner) {
	if _, ok := keyhold.ParseTokenValue(password); !ok {
		return "The password is not a token", refusedOwner{}
	}
	var reason string
	var owner refusedOwner
	err := s.read(ctx, func(tx storage.Tx) error {
		k, err := tx.Tokens().GetTokenByDigest(ctx, keyhold.TokenDigest(password))
		if err != nil {
			return err
		}
		if k.Owner.Type != keyhold.PrincipalSystemAccount {
			reason = "The token belongs to another principal than " + name
			return nil
		}
		a, err := tx.Accounts().GetSystemAccount(ctx, k.Owner.ID)
		if err != nil {
			return err
		}
		if !strings.EqualFold(a.Name, name) {
			reason = "The token belongs to another principal than " + name
			return nil
		}
		owner = refusedOwner{ref: k.Owner, token: k.ID}
		switch st := k.State(s.clock()); {
		case a.Disabled:
			reason = "The account is disabled"
		case st != keyhold.TokenActive && st != keyhold.TokenRotating:
			reason = "The token is " + strings.ToLower(st)
		default:
			reason = indexReason
		}
		return nil
	})
	if err != nil {
		if keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
			s.log.Warn("ldap bind: find the refused token", "err", err)
		}
		return "Unknown token", refusedOwner{}
	}
	return reason, owner
}

// accountName returns the account name of a bind DN, cn=<name> or
// uid=<name> directly under ou=users,<base>.
func (s *Directory) accountName(bindDN string) (string, bool) {
	d, err := dn.Parse(bindDN)
	if err != nil || len(d) < 2 || len(d[0]) != 1 {
		return "", false
	}
	t := strings.ToLower(d[0][0].Type)
	if t != "cn" && t != "uid" || d[0][0].Value == "" || d[1:].Normal() != "ou=users,"+s.baseNorm {
		return "", false
	}
	return d[0][0].Value, true
}

// BoundDN implements keyhold.DirectoryService: the entry of an account
// Bind returned. It reads nothing and decides nothing.
func (s *Directory) BoundDN(p *keyhold.Principal) string {
	if p == nil {
		return ""
	}
	return "cn=" + dn.EscapeValue(p.Name) + ",ou=users," + s.base
}

// entry is one entry of the tree, with what a search needs of it.
type entry struct {
	keyhold.DirectoryEntry
	norm, parent string
	// attrs maps lower-case attribute names to values.
	attrs map[string][]string
}

func newEntry(dnStr, norm, parent string, attrs ...keyhold.DirectoryAttribute) *entry {
	e := &entry{DirectoryEntry: keyhold.DirectoryEntry{DN: dnStr}, norm: norm, parent: parent, attrs: map[string][]string{}}
	for _, a := range attrs {
		if len(a.Values) == 0 || len(a.Values) == 1 && a.Values[0] == "" {
			continue // LDAP has no empty attribute
		}
		e.Attributes = append(e.Attributes, a)
		e.attrs[strings.ToLower(a.Name)] = a.Values
	}
	return e
}

func attr(name string, values ...string) keyhold.DirectoryAttribute {
	return keyhold.DirectoryAttribute{Name: name, Values: values}
}

var (
	personClasses = []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"}
	groupClasses  = []string{"top", "groupOfNames", "posixGroup"}
)

// loginShell is every account's and user's: no one logs in with it.
const loginShell = "/usr/sbin/nologin"

// tree is the directory as the store holds it now.
type tree struct {
	entries []*entry
	// containers are the normal DNs of the base and its three units.
	containers map[string]bool
	// own is the caller's entry and its teams' entries, by normal DN.
	own map[string]bool
}

// build reads the store and builds the tree, for the caller me.
func (s *Directory) build(ctx context.Context, me keyhold.Ref) (*tree, error) {
	var accounts []keyhold.SystemAccount
	var users []keyhold.User
	var teams []keyhold.Team
	members := map[string][]keyhold.Ref{}
	err := s.read(ctx, func(tx storage.Tx) error {
		snap := tx.Snapshot()
		if err := snap.ScanSystemAccounts(ctx, func(a *keyhold.SystemAccount) error { accounts = append(accounts, *a); return nil }); err != nil {
			return err
		}
		if err := snap.ScanUsers(ctx, func(u *keyhold.User) error {
			if u.Active {
				c := *u
				c.PasswordHash = ""
				users = append(users, c)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := snap.ScanTeams(ctx, func(t *keyhold.Team) error { teams = append(teams, *t); return nil }); err != nil {
			return err
		}
		return snap.ScanMemberships(ctx, func(team string, m keyhold.Ref) error { members[team] = append(members[team], m); return nil })
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(accounts, func(a, b keyhold.SystemAccount) int { return cmp.Compare(a.UIDNumber, b.UIDNumber) })
	slices.SortFunc(users, func(a, b keyhold.User) int { return cmp.Compare(a.UIDNumber, b.UIDNumber) })
	slices.SortFunc(teams, func(a, b keyhold.Team) int { return cmp.Compare(a.GIDNumber, b.GIDNumber) })

	usersOU, peopleOU, groupsOU := "ou=users,"+s.baseNorm, "ou=people,"+s.baseNorm, "ou=groups,"+s.baseNorm
	type named struct{ dn, norm, uid string }
	principals := map[keyhold.Ref]named{}
	for _, a := range accounts {
		principals[keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}] = named{
			"cn=" + dn.EscapeValue(a.Name) + ",ou=users," + s.base, "cn=" + dn.EscapeValue(strings.ToLower(a.Name)) + "," + usersOU, a.Name}
	}
	for _, u := range users {
		principals[keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}] = named{
			s.peopleRDN + "=" + dn.EscapeValue(u.Email) + ",ou=people," + s.base, s.peopleRDN + "=" + dn.EscapeValue(strings.ToLower(u.Email)) + "," + peopleOU, u.Email}
	}
	// A team's name is its cn where no other team has it, ignoring case.
	seen := map[string]int{}
	for _, t := range teams {
		seen[strings.ToLower(t.Name)]++
	}
	memberOf := map[keyhold.Ref][]string{}
	tr := &tree{containers: map[string]bool{s.baseNorm: true, usersOU: true, peopleOU: true, groupsOU: true}, own: map[string]bool{}}
	var teamEntries []*entry
	for _, t := range teams {
		rdn, rdnNorm := "cn="+dn.EscapeValue(t.Name), "cn="+dn.EscapeValue(strings.ToLower(t.Name))
		if seen[strings.ToLower(t.Name)] > 1 {
			rdn, rdnNorm = "entryUUID="+t.ID, "entryuuid="+strings.ToLower(t.ID)
		}
		teamDN, teamNorm := rdn+",ou=groups,"+s.base, rdnNorm+","+groupsOU
		var memberDNs, memberUIDs []string
		mine := false
		for _, m := range members[t.ID] {
			n, ok := principals[m]
			if !ok {
				continue // an inactive user is not in the directory
			}
			memberDNs, memberUIDs = append(memberDNs, n.dn), append(memberUIDs, n.uid)
			memberOf[m] = append(memberOf[m], teamDN)
			mine = mine || m == me
		}
		description := ""
		if t.Description != nil {
			description = *t.Description
		}
		teamEntries = append(teamEntries, newEntry(teamDN, teamNorm, groupsOU,
			attr("objectClass", groupClasses...), attr("cn", t.Name), attr("description", description),
			attr("entryUUID", t.ID), attr("gidNumber", strconv.FormatInt(t.GIDNumber, 10)),
			attr("member", memberDNs...), attr("memberUid", memberUIDs...)))
		if mine {
			tr.own[teamNorm] = true
		}
	}

	tr.entries = append(tr.entries, s.baseEntry(),
		newEntry("ou=users,"+s.base, usersOU, s.baseNorm, attr("objectClass", "top", "organizationalUnit"), attr("ou", "users")),
		newEntry("ou=people,"+s.base, peopleOU, s.baseNorm, attr("objectClass", "top", "organizationalUnit"), attr("ou", "people")),
		newEntry("ou=groups,"+s.base, groupsOU, s.baseNorm, attr("objectClass", "top", "organizationalUnit"), attr("ou", "groups")))
	for _, a := range accounts {
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		n := principals[ref]
		num := strconv.FormatInt(a.UIDNumber, 10)
		tr.entries = append(tr.entries, newEntry(n.dn, n.norm, usersOU,
			attr("objectClass", personClasses...), attr("cn", a.Name), attr("uid", a.Name), attr("sn", a.Name),
			attr("displayName", a.Name), attr("description", a.Description), attr("entryUUID", a.ID),
			attr("memberOf", memberOf[ref]...), attr("uidNumber", num), attr("gidNumber", num),
			attr("homeDirectory", "/home/"+a.Name), attr("loginShell", loginShell)))
		if ref == me {
			tr.own[n.norm] = true
		}
	}
	for _, u := range users {
		ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}
		n := principals[ref]
		num := strconv.FormatInt(u.UIDNumber, 10)
		full := cmp.Or(u.FullName, u.Email)
		tr.entries = append(tr.entries, newEntry(n.dn, n.norm, peopleOU,
			attr("objectClass", personClasses...), attr("cn", u.Email), attr("uid", u.Email), attr("sn", full),
			attr("displayName", full), attr("mail", u.Email), attr("entryUUID", u.ID),
			attr("memberOf", memberOf[ref]...), attr("uidNumber", num), attr("gidNumber", num),
			attr("homeDirectory", "/home/"+u.Email), attr("loginShell", loginShell)))
		if ref == me {
			tr.own[n.norm] = true
		}
	}
	tr.entries = append(tr.entries, teamEntries...)
	return tr, nil
}

// baseEntry is the entry of the base DN: a domain for dc=, an
// organization for o=.
func (s *Directory) baseEntry() *entry {
	a := s.baseAVA
	class := "extensibleObject"
	switch strings.ToLower(a.Type) {
	case "dc":
		class = "domain"
	case "o":
		class = "organization"
	case "ou":
		class = "organizationalUnit"
	}
	return newEntry(s.base, s.baseNorm, "", attr("objectClass", "top", class), attr(a.Type, a.Value))
}

// Search implements keyhold.DirectoryService.
func (s *Directory) Search(ctx context.Context, q keyhold.DirectorySearch) (*keyhold.DirectoryResult, error) {
	if err := s.authorize(ctx, "Search", false); err != nil {
		return nil, err
	}
	p := keyhold.PrincipalFromContext(ctx)
	full := isSystem(ctx) || p != nil && s.holds(p, keyhold.PermDirectoryRead)
	if err := checkFilter(q.Filter); err != nil {
		return nil, err
	}
	baseDN, err := dn.Parse(q.BaseDN)
	if err != nil {
		return nil, &keyhold.Error{Code: keyhold.EINVALID, Message: "The search base is not a DN: " + err.Error(),
			Fields: []keyhold.FieldError{{Field: "base", Reason: "is not a DN (RFC 4514)", Rule: "invalid"}}}
	}
	switch q.Scope {
	case keyhold.ScopeBase, keyhold.ScopeOne, keyhold.ScopeSub:
	default:
		return nil, keyhold.Errorf(keyhold.EINVALID, "The search scope %d is not base, one or sub", q.Scope)
	}
	if q.SizeLimit < 0 || q.PageSize < 0 {
		return nil, keyhold.Errorf(keyhold.EINVALID, "A size limit and a page size are not negative")
	}
	var me keyhold.Ref
	if p != nil {
		me = p.Ref()
	}
	tr, err := s.build(ctx, me)
	if err != nil {
		return nil, err
	}
	visible := func(e *entry) bool { return full || tr.own[e.norm] }
	base := baseDN.Normal()
	found := tr.containers[base]
	for _, e := range tr.entries {
		found = found || e.norm == base && visible(e)
	}
	if !found {
		return nil, keyhold.Errorf(keyhold.ENOTFOUND, "No such object: %s", truncate(q.BaseDN, 256))
	}
	var matched []*entry
	for _, e := range tr.entries {
		inScope := false
		switch q.Scope {
		case keyhold.ScopeBase:
			inScope = e.norm == base
		case keyhold.ScopeOne:
			inScope = e.parent == base
		case keyhold.ScopeSub:
			inScope = e.norm == base || strings.HasSuffix(e.norm, ","+base)
		}
		if inScope && visible(e) && matches(q.Filter, e) {
			matched = append(matched, e)
		}
	}
	res := &keyhold.DirectoryResult{}
	limit := dirSizeLimit
	if q.PageSize > 0 {
		limit = dirPagedLimit
	}
	if q.SizeLimit > 0 && q.SizeLimit < limit {
		limit = q.SizeLimit
	}
	if len(matched) > limit {
		matched, res.SizeLimitExceeded = matched[:limit], true
	}
	if q.PageSize > 0 {
		key := searchKey(q, me)
		start := 0
		if len(q.Cookie) > 0 {
			var ok bool
			if start, ok = readCookie(q.Cookie, key); !ok || start > len(matched) {
				return nil, keyhold.Errorf(keyhold.EINVALID, "The paged-results cookie is not one of this search's")
			}
		}
		end := min(start+q.PageSize, len(matched))
		if end < len(matched) {
			res.Cookie, res.SizeLimitExceeded = makeCookie(end, key), false
		}
		matched = matched[start:end]
	}
	res.Entries = make([]keyhold.DirectoryEntry, 0, len(matched))
	for _, e := range matched {
		res.Entries = append(res.Entries, selectAttributes(e, q.Attributes))
	}
	return res, nil
}

// searchKey hashes what makes a search this search, so that a cookie of
// another search, or of another caller, is refused.
func searchKey(q keyhold.DirectorySearch, me keyhold.Ref) uint64 {
	h := fnv.New64a()
	norm, _ := dn.Normalize(q.BaseDN)
	attrs := slices.Clone(q.Attributes)
	for i := range attrs {
		attrs[i] = strings.ToLower(attrs[i])
	}
	slices.Sort(attrs)
	for _, part := range []string{string(me.Type), me.ID, norm, strconv.Itoa(q.Scope), strconv.Itoa(q.SizeLimit),
		filterKey(q.Filter), strings.Join(attrs, "\x00")} {
		h.Write([]byte(part))
		h.Write([]byte{0xff})
	}
	return h.Sum64()
}

// A cookie is the offset of the next page and the search's key.
func makeCookie(offset int, key uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(offset))
	return binary.BigEndian.AppendUint64(b, key)
}

func readCookie(c []byte, key uint64) (int, bool) {
	if len(c) != 16 || !bytes.Equal(c[8:], binary.BigEndian.AppendUint64(nil, key)) {
		return 0, false
	}
	off := binary.BigEndian.Uint64(c[:8])
	if off > dirPagedLimit {
		return 0, false
	}
	return int(off), true
}

// selectAttributes keeps the attributes asked for: all of them for none or
// "*", none for "1.1" alone; names compare ignoring case.
func selectAttributes(e *entry, want []string) keyhold.DirectoryEntry {
	all, none := len(want) == 0, len(want) > 0
	asked := map[string]bool{}
	for _, w := range want {
		switch w {
		case "*":
			all = true
		case "1.1":
		default:
			none = false
			asked[strings.ToLower(w)] = true
		}
	}
	if all {
		return e.DirectoryEntry
	}
	out := keyhold.DirectoryEntry{DN: e.DN}
	if none && len(asked) == 0 {
		return out
	}
	for _, a := range e.Attributes {
		if asked[strings.ToLower(a.Name)] {
			out.Attributes = append(out.Attributes, a)
		}
	}
	return out
}
