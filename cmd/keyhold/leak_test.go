package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/store/storetest"
)

// No minted token value is written anywhere: not the database (SQLite with
// its -wal file, or a PostgreSQL dump), not the logs, not stdout. Each
// search first proves it can find a planted value.
func TestMintedTokensAreWrittenNowhere(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.NewURL(t, backend)
			p := startServe(t, "--db", db, "--secret-key-file", writeKeyFile(t, 0o600, newKey()))
			admin := kpatPattern.FindString(p.out.String())

			canary := "canary" + randomHex(t)
			status, acct := p.call(t, "POST", "/v3/system-accounts", admin, fmt.Sprintf(`{"name":"leak-test","description":%q}`, canary))
			if status != 201 {
				t.Fatalf("create account: %d %v", status, acct)
			}
			p.call(t, "GET", "/v3/"+canary, admin, "") // a planted value for the access log
			expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
			_, spat := p.call(t, "POST", "/v3/system-accounts/"+acct["id"].(string)+"/access-tokens", admin, `{"name":"t","expires_at":"`+expires+`"}`)
			_, me := p.call(t, "GET", "/v3/users/me", admin, "")
			_, pat := p.call(t, "POST", "/v3/users/"+me["id"].(string)+"/access-tokens", admin, `{"name":"second","ttl_seconds":86400}`)
			// An audit-log destination's authorization value is a secret too.
			auditAuth := "Bearer audit-" + randomHex(t)
			if status, d := p.call(t, "POST", "/v2/audit-log-destinations", admin,
				`{"name":"siem","endpoint":"https://siem.example.com/in","authorization":"`+auditAuth+`"}`); status != 201 {
				t.Fatalf("create audit destination: %d %v", status, d)
			}
			secrets := []string{spat["token"].(string), pat["konnect_token"].(string), auditAuth}
			for _, s := range secrets[:2] {
				if status, _ := p.call(t, "GET", "/v1/whoami", s, ""); status != 200 {
					t.Fatalf("minted token does not work: %d", status)
				}
				// A wrong password alongside a real token, and a real token as a
				// Basic password, must not be logged either.
				p.call(t, "GET", "/v1/whoami", s+"x", "")
			}

			check := func(where string, haystack []byte) {
				t.Helper()
				if !bytes.Contains(haystack, []byte(canary)) {
					t.Fatalf("%s: the planted value was not found, so the search proves nothing", where)
				}
				for _, s := range secrets {
					for _, part := range []string{s, s[5:]} { // with and without the prefix
						if bytes.Contains(haystack, []byte(part)) {
							t.Errorf("%s contains a minted token value or an authorization value", where)
						}
					}
				}
			}
			dump := func() []byte {
				if backend == storetest.Postgres {
					return pgDump(t, db)
				}
				return sqliteFiles(t, db)
			}
			check("database while serving", dump())
			p.shutdown(t)
			check("database after shutdown", dump())
			check("logs", []byte(p.err.String()))
			if strings.Contains(p.out.String(), canary) {
				t.Fatal("stdout holds the planted value; it should hold only the bootstrap banner")
			}
			for _, s := range secrets {
				if strings.Contains(p.out.String(), s) {
					t.Error("stdout contains a minted token value")
				}
			}
		})
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// sqliteFiles returns the database file with its -wal and -shm files.
func sqliteFiles(t *testing.T, db string) []byte {
	path := strings.TrimPrefix(db, "sqlite:")
	var all []byte
	matches, _ := filepath.Glob(path + "*")
	for _, f := range matches {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatalf("no database files at %s", path)
	}
	return all
}

// pgDump dumps the test's schema with pg_dump.
func pgDump(t *testing.T, db string) []byte {
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command("pg_dump", "--schema="+schema, "--dbname="+u.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}
