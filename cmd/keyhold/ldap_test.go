package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/internal/tlsfiles/tlstest"
	"github.com/keyhold/keyhold/store/storetest"
)

// keyhold serve refuses LDAP settings that would take a bind password
// without TLS.
func TestLDAPFlags(t *testing.T) {
	db := storetest.NewURL(t, storetest.SQLite)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ldap-listen", "127.0.0.1:0"}, "--ldap-listen needs --tls-cert"},
		{[]string{"--ldaps-listen", "127.0.0.1:0"}, "--ldaps-listen needs --tls-cert"},
		{[]string{"--ldaps-listen", "127.0.0.1:0", "--ldap-allow-plaintext-loopback"}, "--ldaps-listen needs --tls-cert"},
		{[]string{"--ldap-listen", "127.0.0.1:0", "--ldap-base", " "}, "--ldap-base"},
		{[]string{"--ldap-listen", "127.0.0.1:0", "--ldap-allow-plaintext-loopback", "--ldap-people-rdn", "sn"}, "--ldap-people-rdn: want one of cn, uid, mail"},
	} {
		var out, errb apitest.Buffer
		code := run(t.Context(), append([]string{"serve", "--listen", "127.0.0.1:0", "--db", db}, c.args...),
			stdio{out: &out, err: &errb}, noEnv, nil)
		if code == 0 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: code %d, stderr %q, want an error naming %q", c.args, code, errb.String(), c.want)
		}
	}
}

// ldapServe starts serve with TLS and both LDAP listeners and returns the
// process, the ldap:// and ldaps:// URLs, the CA's PEM file and a client
// TLS configuration.
func ldapServe(t *testing.T, db string) (p *process, plain, secure, caFile string, ca *tlstest.CA) {
	t.Helper()
	ca = tlstest.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Leaf(t, 2).Write(t, certFile, keyFile)
	caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{}
	h := &hooks{onLDAPListen: func(scheme string, a net.Addr) { addrs[scheme] = a.String() }}
	args := []string{"--db", db, "--tls-cert", certFile, "--tls-key", keyFile,
		"--ldap-listen", "127.0.0.1:0", "--ldaps-listen", "127.0.0.1:0"}
	p = startServeHooks(t, h, args...)
	p.url = "https://" + strings.TrimPrefix(p.url, "http://")
	return p, "ldap://" + addrs["ldap"], "ldaps://" + addrs["ldaps"], caFile, ca
}

// appPassword creates a system account with a team of the same name (the
// account its member) and mints it an app-password token over the API; it
// returns the token.
func appPassword(t *testing.T, p *process, ca *tlstest.CA, admin, name string) string {
	t.Helper()
	c := tlsClient(ca, false)
	post := func(path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", p.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, m)
		}
		return m
	}
	acct := post("/v3/system-accounts", `{"name":"`+name+`","description":"ldap client","create_team":true}`)
	id, _ := acct["id"].(string)
	tok := post("/v3/system-accounts/"+id+"/access-tokens", `{"name":"ldap","intent":"app_password"}`)
	value, _ := tok["token"].(string)
	if value == "" {
		t.Fatalf("no token in %v", tok)
	}
	return value
}

// End to end: serve with the real service, an app-password token binds
// over StartTLS and LDAPS, WhoAmI answers its DN, and a plaintext bind is
// refused.
func TestServeLDAP(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) { testServeLDAP(t, backend) })
	}
}

func testServeLDAP(t *testing.T, backend string) {
	p, plain, secure, _, ca := ldapServe(t, storetest.NewURL(t, backend))
	admin := kpatPattern.FindString(p.out.String())
	token := appPassword(t, p, ca, admin, "nas")
	dn := "cn=nas,ou=users," + keyhold.DefaultDirectoryBase
	cfg := tlstest.ClientConfig(ca)
	cfg.ServerName = "localhost"

	c, err := ldap.DialURL(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Bind(dn, token); !ldap.IsErrorWithCode(err, ldap.LDAPResultConfidentialityRequired) {
		t.Errorf("plaintext bind: %v, want confidentialityRequired", err)
	}
	if err := c.StartTLS(cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(dn, token); err != nil {
		t.Fatalf("bind over StartTLS: %v", err)
	}
	if r, err := c.WhoAmI(nil); err != nil || r.AuthzID != "dn:"+dn {
		t.Errorf("WhoAmI = %+v, %v", r, err)
	}
	// A search with a base that is no DN is invalidDNSyntax (34).
	_, err = c.Search(ldap.NewSearchRequest("not a dn", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", nil, nil))
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidDNSyntax) {
		t.Errorf("search under a base that is no DN: %v, want invalidDNSyntax", err)
	}
	// Anonymous may read the RootDSE, and nothing of the tree:
	// insufficientAccessRights, not a failed bind.
	anon, err := ldap.DialURL(secure, ldap.DialWithTLSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = anon.Close() }()
	if r, err := anon.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil)); err != nil || r.Entries[0].GetAttributeValue("namingContexts") != keyhold.DefaultDirectoryBase {
		t.Errorf("anonymous RootDSE: %v, %v", r, err)
	}
	_, err = anon.Search(ldap.NewSearchRequest(keyhold.DefaultDirectoryBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", nil, nil))
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) {
		t.Errorf("anonymous search of the tree: %v, want insufficientAccessRights", err)
	}
	s, err := ldap.DialURL(secure, ldap.DialWithTLSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.Bind(dn, token); err != nil {
		t.Fatalf("bind over LDAPS: %v", err)
	}
}

// The client the NAS and SSSD world uses: ldapwhoami and ldapsearch from
// Debian's ldap-utils, over StartTLS, with the password in a file (not on
// the command line, where the process list shows it). .ci/run installs
// ldap-utils and sets KEYHOLD_TEST_LDAPUTILS=1; with it set, missing tools
// fail the test.
func TestLDAPUtils(t *testing.T) {
	if os.Getenv("KEYHOLD_TEST_LDAPUTILS") != "1" {
		t.Skip("set KEYHOLD_TEST_LDAPUTILS=1 (and install ldap-utils) to run ldapwhoami and ldapsearch")
	}
	for _, tool := range []string{"ldapwhoami", "ldapsearch"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("KEYHOLD_TEST_LDAPUTILS=1 but %s is missing: apt-get install -y ldap-utils", tool)
		}
	}
	p, plain, _, caFile, ca := ldapServe(t, storetest.NewURL(t, storetest.SQLite))
	admin := kpatPattern.FindString(p.out.String())
	token := appPassword(t, p, ca, admin, "nas")
	dn := "cn=nas,ou=users," + keyhold.DefaultDirectoryBase
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	ldapConf := filepath.Join(t.TempDir(), "ldap.conf")
	if err := os.WriteFile(ldapConf, []byte("TLS_CACERT "+caFile+"\nTLS_REQCERT demand\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ldapTool := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		// The test CA alone, through a configuration file of its own:
		// Debian's /etc/ldap/ldap.conf names the system bundle, which
		// libldap (GnuTLS) loads ahead of LDAPTLS_CACERT.
		cmd.Env = append(os.Environ(), "LDAPCONF="+ldapConf, "LDAPTLS_REQCERT=demand")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	// By address: libldap would check "localhost" against the name the
	// machine gives 127.0.0.1, not against the certificate's localhost.
	url := plain
	if out := ldapTool("ldapwhoami", "-ZZ", "-H", url, "-x", "-D", dn, "-y", pwFile); !strings.Contains(out, "dn:"+dn) {
		t.Errorf("ldapwhoami: %s", out)
	}
	out := ldapTool("ldapsearch", "-ZZ", "-LLL", "-H", url, "-x", "-D", dn, "-y", pwFile,
		"-b", keyhold.DefaultDirectoryBase, "(objectClass=*)")
	for _, want := range []string{"dn: " + dn, "objectClass: posixAccount", "ou=groups," + keyhold.DefaultDirectoryBase, "member: " + dn} {
		if !strings.Contains(out, want) {
			t.Errorf("ldapsearch output lacks %q:\n%s", want, out)
		}
	}
}
