package ldapserver_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/ldapserver"
	"github.com/keyhold/keyhold/internal/tlsfiles"
	"github.com/keyhold/keyhold/internal/tlsfiles/tlstest"
)

// These tests exercise the protocol layer alone, with a real listener on
// 127.0.0.1 and go-ldap as the client. The DirectoryService behind it is
// fakeDirectory below: a TEST DOUBLE of the service contract
// (directory.go), acceptable for protocol-layer unit tests only. The rules
// of binds and searches are the service's and are tested there and end to
// end in cmd/keyhold/ldap_test.go.

const base = "dc=example,dc=test"

// fakeDirectory answers binds of cn=robot with the password "good" and
// serves entries e0…e(n-1) under ou=users; it records what it was asked.
type fakeDirectory struct {
	n int

	mu       sync.Mutex
	binds    []keyhold.RequestInfo
	searches []keyhold.DirectorySearch
	callers  []*keyhold.Principal
}

var robot = &keyhold.Principal{Type: keyhold.PrincipalSystemAccount, ID: "acc-robot"}

func (f *fakeDirectory) Bind(ctx context.Context, dn, password string) (*keyhold.Principal, error) {
	f.mu.Lock()
	f.binds = append(f.binds, keyhold.RequestFromContext(ctx))
	f.mu.Unlock()
	switch {
	case dn == "cn=busy,ou=users,"+base:
		return nil, keyhold.Errorf(keyhold.ERATELIMITED, "too many failed binds")
	case dn == "cn=down,ou=users,"+base:
		return nil, keyhold.Errorf(keyhold.EUNAVAILABLE, "the store is unavailable")
	case dn == "cn=broken,ou=users,"+base:
		return nil, errors.New("sql: connection refused at 10.0.0.7")
	case dn == "cn=robot,ou=users,"+base && password == "good":
		return robot, nil
	}
	// The service's real reason, which must not reach the client.
	return nil, keyhold.Errorf(keyhold.EUNAUTHENTICATED, "token revoked")
}

func (f *fakeDirectory) BoundDN(p *keyhold.Principal) string { return "cn=robot,ou=users," + base }

func (f *fakeDirectory) Search(ctx context.Context, s keyhold.DirectorySearch) (*keyhold.DirectoryResult, error) {
	f.mu.Lock()
	f.searches = append(f.searches, s)
	f.callers = append(f.callers, keyhold.PrincipalFromContext(ctx))
	f.mu.Unlock()
	if keyhold.PrincipalFromContext(ctx) == nil {
		return nil, keyhold.Errorf(keyhold.EFORBIDDEN, "bind first")
	}
	if s.Filter.Op == keyhold.FilterExtensible {
		return nil, keyhold.Errorf(keyhold.EUNWILLING, "extensible matches are not supported")
	}
	if s.BaseDN == "ou=missing,"+base {
		return nil, keyhold.Errorf(keyhold.ENOTFOUND, "no such entry")
	}
	start := 0
	if len(s.Cookie) > 0 {
		var err error
		if start, err = strconv.Atoi(string(s.Cookie)); err != nil {
			return nil, keyhold.Errorf(keyhold.EINVALID, "bad cookie")
		}
	}
	end := f.n
	if s.PageSize > 0 && start+s.PageSize < end {
		end = start + s.PageSize
	}
	res := &keyhold.DirectoryResult{}
	for i := start; i < end; i++ {
		if s.SizeLimit > 0 && len(res.Entries) == s.SizeLimit {
			res.SizeLimitExceeded = true
			break
		}
		res.Entries = append(res.Entries, keyhold.DirectoryEntry{
			DN: fmt.Sprintf("cn=e%d,ou=users,%s", i, base),
			Attributes: []keyhold.DirectoryAttribute{
				{Name: "objectClass", Values: []string{"top", "inetOrgPerson", "posixAccount"}},
				{Name: "cn", Values: []string{fmt.Sprintf("e%d", i)}},
			}})
	}
	if s.PageSize > 0 && end < f.n {
		res.Cookie = []byte(strconv.Itoa(end))
	}
	return res, nil
}

func (f *fakeDirectory) lastSearch() keyhold.DirectorySearch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.searches[len(f.searches)-1]
}

type fixture struct {
	dir       *fakeDirectory
	srv       *ldapserver.Server
	plain     string // ldap:// URL
	tls       string // ldaps:// URL
	clientTLS *tls.Config
}

// start serves cfg (its Service and TLS filled in) on two loopback
// listeners, ldap:// and ldaps://.
func start(t *testing.T, cfg ldapserver.Config) *fixture {
	t.Helper()
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	reloader, err := tlsfiles.Load(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: &fakeDirectory{n: 25}, clientTLS: tlstest.ClientConfig(ca)}
	f.clientTLS.ServerName = "localhost"
	cfg.Service, cfg.Base = f.dir, base
	if cfg.TLS == nil {
		cfg.TLS = reloader.Config()
	}
	f.srv = ldapserver.New(cfg)
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	secure, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.plain, f.tls = "ldap://"+plain.Addr().String(), "ldaps://"+secure.Addr().String()
	done := make(chan error, 2)
	go func() { done <- f.srv.Serve(plain) }()
	go func() { done <- f.srv.ServeTLS(secure) }()
	t.Cleanup(func() {
		if err := f.srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for range 2 {
			select {
			case err := <-done:
				if !errors.Is(err, ldapserver.ErrServerClosed) {
					t.Errorf("Serve returned %v, want ErrServerClosed", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Serve did not return after Close")
			}
		}
	})
	return f
}

func (f *fixture) dial(t *testing.T, url string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(url, ldap.DialWithTLSConfig(f.clientTLS))
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(60 * time.Second)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// startTLS dials ldap:// and upgrades with StartTLS.
func (f *fixture) startTLS(t *testing.T) *ldap.Conn {
	t.Helper()
	c := f.dial(t, f.plain)
	if err := c.StartTLS(f.clientTLS); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	return c
}

func wantCode(t *testing.T, err error, code uint16) {
	t.Helper()
	if !ldap.IsErrorWithCode(err, code) {
		t.Fatalf("got %v, want LDAP result %d (%s)", err, code, ldap.LDAPResultCodeMap[code])
	}
}

func whoAmI(t *testing.T, c *ldap.Conn) string {
	t.Helper()
	r, err := c.WhoAmI(nil)
	if err != nil {
		t.Fatalf("WhoAmI: %v", err)
	}
	return r.AuthzID
}

func TestBindOverStartTLS(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.startTLS(t)
	if got := whoAmI(t, c); got != "" {
		t.Errorf("WhoAmI before bind = %q, want empty (anonymous)", got)
	}
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	if got, want := whoAmI(t, c), "dn:cn=robot,ou=users,"+base; got != want {
		t.Errorf("WhoAmI = %q, want %q", got, want)
	}
	f.dir.mu.Lock()
	ri := f.dir.binds[len(f.dir.binds)-1]
	f.dir.mu.Unlock()
	if ri.ClientIP != "127.0.0.1" || ri.UserAgent != "ldap" || len(ri.RequestID) != 16 {
		t.Errorf("bind RequestInfo = %+v, want ClientIP 127.0.0.1, UserAgent ldap and a request id", ri)
	}
	// A search carries the bound principal.
	if _, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", nil, nil)); err != nil {
		t.Fatalf("Search: %v", err)
	}
	f.dir.mu.Lock()
	caller := f.dir.callers[len(f.dir.callers)-1]
	f.dir.mu.Unlock()
	if caller != robot {
		t.Errorf("search principal = %+v, want the bound one", caller)
	}
	// A failed bind resets the connection to anonymous.
	wantCode(t, c.Bind("cn=robot,ou=users,"+base, "bad"), ldap.LDAPResultInvalidCredentials)
	if got := whoAmI(t, c); got != "" {
		t.Errorf("WhoAmI after a failed bind = %q, want empty", got)
	}
}

func TestBindOverLDAPS(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.tls)
	if err := c.Bind("uid=robot,ou=users,"+base, "nope"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Fatalf("Bind with a wrong password: %v, want 49", err)
	}
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	if got, want := whoAmI(t, c), "dn:cn=robot,ou=users,"+base; got != want {
		t.Errorf("WhoAmI = %q, want %q", got, want)
	}
}

func TestPlaintextBindRefused(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.plain)
	wantCode(t, c.Bind("cn=robot,ou=users,"+base, "good"), ldap.LDAPResultConfidentialityRequired)
	f.dir.mu.Lock()
	n := len(f.dir.binds)
	f.dir.mu.Unlock()
	if n != 0 {
		t.Errorf("the service saw %d binds over plaintext; the password must not reach it", n)
	}
	if got := whoAmI(t, c); got != "" {
		t.Errorf("WhoAmI after a refused bind = %q, want empty", got)
	}
	// Anonymous bind is fine without TLS.
	if err := c.UnauthenticatedBind(""); err != nil {
		t.Errorf("anonymous bind: %v", err)
	}
	// A DN without a password is refused, not taken as anonymous.
	sc := f.startTLS(t)
	wantCode(t, sc.UnauthenticatedBind("cn=robot,ou=users,"+base), ldap.LDAPResultUnwillingToPerform)
}

func TestPlaintextLoopbackAllowed(t *testing.T) {
	f := start(t, ldapserver.Config{AllowPlaintextLoopback: true})
	c := f.dial(t, f.plain)
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatalf("Bind over plaintext loopback with AllowPlaintextLoopback: %v", err)
	}
}

func TestStartTLSWithoutTLSConfig(t *testing.T) {
	srv := ldapserver.New(ldapserver.Config{Service: &fakeDirectory{}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	if err := srv.ServeTLS(ln); err == nil {
		t.Error("ServeTLS without a TLS configuration succeeded")
	}
	c, err := ldap.DialURL("ldap://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	c.SetTimeout(60 * time.Second)
	wantCode(t, c.Bind("cn=robot,ou=users,"+base, "good"), ldap.LDAPResultConfidentialityRequired)
}

func TestAnonymousReadsRootDSE(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.plain)
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*", "+"}, nil))
	if err != nil {
		t.Fatalf("RootDSE: %v", err)
	}
	if len(res.Entries) != 1 || res.Entries[0].DN != "" {
		t.Fatalf("RootDSE entries = %+v", res.Entries)
	}
	e := res.Entries[0]
	want := map[string][]string{
		"objectClass":          {"top"},
		"namingContexts":       {base},
		"supportedLDAPVersion": {"3"},
		"supportedControl":     {"1.2.840.113556.1.4.319"},
		"supportedExtension":   {"1.3.6.1.4.1.1466.20037", "1.3.6.1.4.1.4203.1.11.3"},
		"subschemaSubentry":    {"cn=Subschema"},
		"vendorName":           {"keyhold"},
	}
	for name, values := range want {
		if got := e.GetAttributeValues(name); !slices.Equal(got, values) {
			t.Errorf("RootDSE %s = %q, want %q", name, got, values)
		}
	}
	if len(e.Attributes) != len(want) {
		t.Errorf("RootDSE has %d attributes, want %d: %+v", len(e.Attributes), len(want), e.Attributes)
	}
	// Asking for one attribute returns that one; a filter that does not
	// match returns nothing.
	res, err = c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil))
	if err != nil || len(res.Entries) != 1 || len(res.Entries[0].Attributes) != 1 {
		t.Fatalf("RootDSE namingContexts only: %v %+v", err, res)
	}
	res, err = c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(vendorName=nobody)", nil, nil))
	if err != nil || len(res.Entries) != 0 {
		t.Fatalf("RootDSE with a filter that does not match: %v %+v", err, res)
	}

	// The schema entry.
	res, err = c.Search(ldap.NewSearchRequest("cn=Subschema", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=subschema)", []string{"objectClasses", "attributeTypes"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("schema: %v %+v", err, res)
	}
	classes := strings.Join(res.Entries[0].GetAttributeValues("objectClasses"), "\n")
	for _, class := range []string{"'inetOrgPerson'", "'posixAccount'", "'posixGroup'", "'groupOfNames'"} {
		if !strings.Contains(classes, class) {
			t.Errorf("schema lacks objectClass %s", class)
		}
	}
	types := strings.Join(res.Entries[0].GetAttributeValues("attributeTypes"), "\n")
	for _, at := range []string{"'uidNumber'", "'gidNumber'", "'memberUid'", "'member'", "'memberOf'", "'entryUUID'", "'homeDirectory'", "'loginShell'"} {
		if !strings.Contains(types, at) {
			t.Errorf("schema lacks attributeType %s", at)
		}
	}

	// Anything else needs a bind: insufficientAccessRights, and the
	// service is not asked (it would refuse an anonymous caller too).
	_, err = c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)
	f.dir.mu.Lock()
	asked := len(f.dir.callers)
	f.dir.mu.Unlock()
	if asked != 0 {
		t.Errorf("an anonymous search reached the service %d times", asked)
	}
}

func TestWriteOperationsRefused(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.startTLS(t)
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatal(err)
	}
	dn := "cn=e1,ou=users," + base
	add := ldap.NewAddRequest("cn=new,ou=users,"+base, nil)
	add.Attribute("objectClass", []string{"top"})
	mod := ldap.NewModifyRequest(dn, nil)
	mod.Replace("description", []string{"x"})
	ops := map[string]func() error{
		"add":      func() error { return c.Add(add) },
		"modify":   func() error { return c.Modify(mod) },
		"delete":   func() error { return c.Del(ldap.NewDelRequest(dn, nil)) },
		"modifyDN": func() error { return c.ModifyDN(ldap.NewModifyDNRequest(dn, "cn=e2", true, "")) },
		"passwordModify": func() error {
			_, err := c.PasswordModify(ldap.NewPasswordModifyRequest(dn, "old", "new"))
			return err
		},
	}
	for name, op := range ops {
		err := op()
		wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
		if name != "passwordModify" && !strings.Contains(err.Error(), ldapserver.ReadOnlyMessage) {
			t.Errorf("%s: %v, want the read-only message", name, err)
		}
	}
	_, err := c.Compare(dn, "cn", "e1")
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
	// The connection is still bound and usable after all of them.
	if got := whoAmI(t, c); got != "dn:cn=robot,ou=users,"+base {
		t.Errorf("WhoAmI after refused writes = %q", got)
	}
}

func TestPagedSearch(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.tls)
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatal(err)
	}
	res, err := c.SearchWithPaging(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=posixAccount)", []string{"cn"}, nil), 10)
	if err != nil {
		t.Fatalf("SearchWithPaging: %v", err)
	}
	if len(res.Entries) != 25 {
		t.Fatalf("paged search returned %d entries, want 25", len(res.Entries))
	}
	for i, e := range res.Entries {
		if want := fmt.Sprintf("cn=e%d,ou=users,%s", i, base); e.DN != want {
			t.Fatalf("entry %d = %s, want %s", i, e.DN, want)
		}
	}
	f.dir.mu.Lock()
	var sizes []int
	var cookies []string
	for _, s := range f.dir.searches {
		sizes, cookies = append(sizes, s.PageSize), append(cookies, string(s.Cookie))
	}
	f.dir.mu.Unlock()
	if !slices.Equal(sizes, []int{10, 10, 10}) || !slices.Equal(cookies, []string{"", "10", "20"}) {
		t.Errorf("service saw page sizes %v and cookies %q, want [10 10 10] and [\"\" 10 20]", sizes, cookies)
	}
	s := f.dir.lastSearch()
	if s.BaseDN != base || s.Scope != keyhold.ScopeSub || !slices.Equal(s.Attributes, []string{"cn"}) {
		t.Errorf("service saw %+v", s)
	}
}

func TestSizeLimit(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.tls)
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 5, 0, true,
		"(cn=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultSizeLimitExceeded)
	if res == nil || len(res.Entries) != 5 {
		t.Fatalf("size-limited search returned %+v, want the 5 entries before the limit", res)
	}
	// typesOnly: names without values.
	for _, a := range res.Entries[0].Attributes {
		if len(a.Values) != 0 {
			t.Errorf("typesOnly search returned values for %s: %q", a.Name, a.Values)
		}
	}
	if s := f.dir.lastSearch(); s.SizeLimit != 5 || s.Scope != keyhold.ScopeOne {
		t.Errorf("service saw size limit %d scope %d, want 5 and one", s.SizeLimit, s.Scope)
	}
}

func TestErrorMapping(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.startTLS(t)
	err := c.Bind("cn=robot,ou=users,"+base, "revoked-token")
	wantCode(t, err, ldap.LDAPResultInvalidCredentials)
	if strings.Contains(err.Error(), "revoked") {
		t.Errorf("bind error leaks the reason: %v", err)
	}
	wantCode(t, c.Bind("cn=busy,ou=users,"+base, "x"), ldap.LDAPResultBusy)
	wantCode(t, c.Bind("cn=down,ou=users,"+base, "x"), ldap.LDAPResultUnavailable)
	err = c.Bind("cn=broken,ou=users,"+base, "x")
	wantCode(t, err, ldap.LDAPResultOther)
	if strings.Contains(err.Error(), "10.0.0.7") {
		t.Errorf("an internal error's text reached the client: %v", err)
	}
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatal(err)
	}
	search := func(baseDN, filter string) error {
		_, err := c.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			filter, nil, nil))
		return err
	}
	wantCode(t, search("ou=missing,"+base, "(cn=*)"), ldap.LDAPResultNoSuchObject)
	wantCode(t, search(base, "(cn:caseExactMatch:=x)"), ldap.LDAPResultUnwillingToPerform)
	if s := f.dir.lastSearch(); s.Filter.Op != keyhold.FilterExtensible || s.Filter.Attr != "cn" || s.Filter.Value != "x" {
		t.Errorf("extensible filter reached the service as %+v", s.Filter)
	}
	// A paged search with a cookie the service rejects.
	_, err = c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(cn=*)", nil, []ldap.Control{&ldap.ControlPaging{PagingSize: 5, Cookie: []byte("garbage")}}))
	wantCode(t, err, ldap.LDAPResultProtocolError)
	// An unknown critical control.
	_, err = c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(cn=*)", nil, []ldap.Control{ldap.NewControlString("1.2.3.4.5", true, "")}))
	wantCode(t, err, ldap.LDAPResultUnavailableCriticalExtension)
}

func TestFilters(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.tls)
	if err := c.Bind("cn=robot,ou=users,"+base, "good"); err != nil {
		t.Fatal(err)
	}
	eq := func(attr, v string) *keyhold.Filter {
		return &keyhold.Filter{Op: keyhold.FilterEqual, Attr: attr, Value: v}
	}
	cases := map[string]*keyhold.Filter{
		"(uid=robot)":       eq("uid", "robot"),
		"(cn=a\\2ab\\29)":   eq("cn", "a*b)"),
		"(mail=*)":          {Op: keyhold.FilterPresent, Attr: "mail"},
		"(cn=ro*b*o*t)":     {Op: keyhold.FilterSubstrings, Attr: "cn", Initial: "ro", Any: []string{"b", "o"}, Final: "t"},
		"(cn=*bot)":         {Op: keyhold.FilterSubstrings, Attr: "cn", Final: "bot"},
		"(cn=rob*)":         {Op: keyhold.FilterSubstrings, Attr: "cn", Initial: "rob"},
		"(uidNumber>=2000)": {Op: keyhold.FilterGreater, Attr: "uidNumber", Value: "2000"},
		"(uidNumber<=2999)": {Op: keyhold.FilterLess, Attr: "uidNumber", Value: "2999"},
		"(cn~=robot)":       {Op: keyhold.FilterApprox, Attr: "cn", Value: "robot"},
		"(!(cn=x))":         {Op: keyhold.FilterNot, Children: []*keyhold.Filter{eq("cn", "x")}},
		"(&(objectClass=posixGroup)(|(memberUid=robot)(member=cn=robot,ou=users," + base + ")))": {Op: keyhold.FilterAnd, Children: []*keyhold.Filter{
			eq("objectClass", "posixGroup"),
			{Op: keyhold.FilterOr, Children: []*keyhold.Filter{eq("memberUid", "robot"), eq("member", "cn=robot,ou=users,"+base)}},
		}},
	}
	for text, want := range cases {
		if _, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			text, nil, nil)); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := f.dir.lastSearch().Filter; !sameFilter(got, want) {
			t.Errorf("%s reached the service as %s, want %s", text, show(got), show(want))
		}
	}
}

func sameFilter(a, b *keyhold.Filter) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Op != b.Op || a.Attr != b.Attr || a.Value != b.Value || a.Initial != b.Initial || a.Final != b.Final ||
		!slices.Equal(a.Any, b.Any) || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		if !sameFilter(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

func show(f *keyhold.Filter) string {
	if f == nil {
		return "nil"
	}
	var kids []string
	for _, c := range f.Children {
		kids = append(kids, show(c))
	}
	return fmt.Sprintf("{%s %q %q %q %q %q [%s]}", f.Op, f.Attr, f.Value, f.Initial, f.Any, f.Final, strings.Join(kids, " "))
}

func TestCloseEndsIdleConnections(t *testing.T) {
	f := start(t, ldapserver.Config{})
	c := f.dial(t, f.plain)
	_ = whoAmI(t, c)
	done := make(chan error, 1)
	go func() { done <- f.srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close waited on an idle connection")
	}
	if _, err := c.WhoAmI(nil); err == nil {
		t.Error("a connection survived Close")
	}
}

func TestIdleTimeout(t *testing.T) {
	f := start(t, ldapserver.Config{IdleTimeout: 300 * time.Millisecond})
	c := f.dial(t, f.plain)
	// Activity keeps the connection: three requests spaced under the
	// timeout outlast it together.
	for range 3 {
		_ = whoAmI(t, c)
		time.Sleep(150 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if _, err := c.WhoAmI(nil); err == nil {
		t.Error("an idle connection outlived the idle timeout")
	}
}
