package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/tlsfiles/tlstest"
	"github.com/keyhold/keyhold/store/storetest"
)

// ldapBind dials url, starts TLS and binds; it returns the connection or
// the bind's error.
func ldapBind(t *testing.T, url string, ca *tlstest.CA, dn, password string) (*ldap.Conn, error) {
	t.Helper()
	c, err := ldap.DialURL(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tlstest.ClientConfig(ca)
	cfg.ServerName = "localhost"
	if err := c.StartTLS(cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(dn, password); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// uidNumber reads the bound account's own uidNumber.
func uidNumber(t *testing.T, c *ldap.Conn, dn string) string {
	t.Helper()
	r, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=posixAccount)", []string{"uidNumber"}, nil))
	if err != nil || len(r.Entries) != 1 {
		t.Fatalf("search %s: %v %v", dn, r, err)
	}
	return r.Entries[0].GetAttributeValue("uidNumber")
}

// Two replicas on one PostgreSQL: an app password minted through one binds
// on the other; once revoked through the first, the other refuses its next
// bind within the change feed's bound (there is no bind cache). An
// account's uidNumber is the same on both and after a restart, and a
// deleted account's number is never given again.
func TestLDAPReplicas(t *testing.T) {
	if !hasPostgres(t) {
		t.Skip("KEYHOLD_TEST_POSTGRES is not set")
	}
	db := storetest.NewURL(t, storetest.Postgres)
	a, _, _, _, ca := ldapServe(t, db)
	admin := kpatPattern.FindString(a.out.String())
	b, plainB, _, _, caB := ldapServe(t, db)
	client := tlsClient(ca, false)
	call := func(p *process, method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := newJSONRequest(method, p.url+path, body)
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, res.StatusCode, m, want)
		}
		return m
	}
	// Each replica has a CA of its own (ldapServe); b's is caB.
	acct := call(a, "POST", "/v3/system-accounts", `{"name":"nas","description":""}`, 201)
	id := acct["id"].(string)
	tok := call(a, "POST", "/v3/system-accounts/"+id+"/access-tokens", `{"name":"ldap","intent":"app_password"}`, 201)
	value, tokID := tok["token"].(string), tok["id"].(string)
	dn := "cn=nas,ou=users," + keyhold.DefaultDirectoryBase

	// The other replica learns of the new token through the change feed:
	// within its bound, not before.
	var c *ldap.Conn
	var err error
	for minted := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err = ldapBind(t, plainB, caB, dn, value); err == nil {
			break
		}
		if time.Since(minted) > 2*time.Second {
			t.Fatalf("bind on the other replica %v after the token was minted: %v", time.Since(minted), err)
		}
	}
	uid := uidNumber(t, c, dn)
	_ = c.Close()
	if want := acct["uid_number"]; uid == "" || want == nil || uid != jsonNumber(want) {
		t.Errorf("uidNumber on the other replica %q, the API's %v", uid, want)
	}

	call(a, "DELETE", "/v3/system-accounts/"+id+"/access-tokens/"+tokID, "", 204)
	revoked := time.Now()
	for {
		c, err := ldapBind(t, plainB, caB, dn, value)
		if err != nil {
			if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				t.Fatalf("bind after the revocation: %v, want invalidCredentials", err)
			}
			break
		}
		_ = c.Close()
		if time.Since(revoked) > 2*time.Second {
			t.Fatalf("the other replica still binds the deleted token %v after its deletion (bound: the feed's 1 s poll)", time.Since(revoked))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the other replica refused the deleted token's bind %v after the deletion", time.Since(revoked).Round(time.Millisecond))

	// The number survives a restart of the replica.
	tok = call(a, "POST", "/v3/system-accounts/"+id+"/access-tokens", `{"name":"ldap2","intent":"app_password"}`, 201)
	value = tok["token"].(string)
	b.shutdown(t)
	_, plainB, _, _, caB = ldapServe(t, db)
	if c, err = ldapBind(t, plainB, caB, dn, value); err != nil {
		t.Fatalf("bind after a restart: %v", err)
	}
	if again := uidNumber(t, c, dn); again != uid {
		t.Errorf("uidNumber %s after a restart, was %s", again, uid)
	}
	_ = c.Close()

	// A deleted account's number is not given again.
	call(a, "DELETE", "/v3/system-accounts/"+id, "", 204)
	next := call(a, "POST", "/v3/system-accounts", `{"name":"nas","description":""}`, 201)
	if n := jsonNumber(next["uid_number"]); n == uid || n == "" {
		t.Errorf("a new account got uidNumber %q after %s was deleted", n, uid)
	}
}

// jsonNumber is a JSON number decoded into any, as a decimal integer.
func jsonNumber(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatInt(int64(f), 10)
	}
	return ""
}

func newJSONRequest(method, url, body string) (*http.Request, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err == nil && body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, err
}
