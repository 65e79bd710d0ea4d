package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

func writeKeyFile(t *testing.T, mode os.FileMode, content string) string {
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKey() string {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k) + "\n"
}

// A served keyhold delivers webhooks in real time, and the signing secret
// is written nowhere in plaintext: not the database (SQLite with its -wal,
// or a PostgreSQL dump) and not the logs.
func TestWebhookSecretsAreWrittenNowhere(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			var mu sync.Mutex
			var got [][]byte
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, b)
				mu.Unlock()
			}))
			defer recv.Close()
			db := storetest.NewURL(t, backend)
			p := startServe(t, "--db", db, "--secret-key-file", writeKeyFile(t, 0o600, newKey()), "--webhook-allow-networks", "127.0.0.0/8,::1")
			admin := kpatPattern.FindString(p.out.String())
			canary := "canary" + randomHex(t)
			_, acct := p.call(t, "POST", "/v3/system-accounts", admin, fmt.Sprintf(`{"name":"hooked","description":%q}`, canary))
			status, hook := p.call(t, "POST", "/v1/webhooks", admin, `{"name":"h","url":"`+recv.URL+`","event_types":["account.disabled"]}`)
			if status != 201 {
				t.Fatalf("create webhook: %d %v", status, hook)
			}
			secret := hook["secret"].(string)
			p.call(t, "POST", "/v3/system-accounts/"+acct["id"].(string)+"/disable", admin, "")
			for deadline := time.Now().Add(30 * time.Second); ; {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the webhook did not arrive")
				}
				time.Sleep(20 * time.Millisecond) // polling a real goroutine, not timing
			}
			check := func(where string, haystack []byte) {
				t.Helper()
				if !bytes.Contains(haystack, []byte(canary)) {
					t.Fatalf("%s: the planted value was not found, so the search proves nothing", where)
				}
				raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
				for _, part := range [][]byte{[]byte(secret), []byte(secret[6:]), raw} {
					if bytes.Contains(haystack, part) {
						t.Errorf("%s contains the signing secret", where)
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
			if strings.Contains(p.err.String(), secret) || strings.Contains(p.err.String(), secret[6:]) {
				t.Error("the logs contain the signing secret")
			}
		})
	}
}

// A key file others may read, or of the wrong size, stops serve with a
// clear error; without a key file webhooks are refused and the rest works.
func TestSecretKeyFile(t *testing.T) {
	for _, c := range []struct {
		name    string
		mode    os.FileMode
		content string
		want    string
	}{
		{"ErrLoosePermissions", 0o644, newKey(), "chmod 600"},
		{"ErrWrongSize", 0o600, base64.StdEncoding.EncodeToString([]byte("short")), "32 random bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errOut := &apitest.Buffer{}
			code := run(t.Context(), []string{"serve", "--listen", "127.0.0.1:0", "--db", storetest.NewURL(t, storetest.SQLite),
				"--secret-key-file", writeKeyFile(t, c.mode, c.content)}, stdio{out: &apitest.Buffer{}, err: errOut}, noEnv, &hooks{})
			if code == 0 || !strings.Contains(errOut.String(), c.want) || !strings.Contains(errOut.String(), "--secret-key-file") {
				t.Errorf("exit %d, stderr %q", code, errOut.String())
			}
		})
	}
	t.Run("OKWithoutKey", func(t *testing.T) {
		p := startServe(t, "--db", storetest.NewURL(t, storetest.SQLite))
		admin := kpatPattern.FindString(p.out.String())
		status, body := p.call(t, "POST", "/v1/webhooks", admin, `{"name":"h","url":"https://example.com/","event_types":["token.expired"]}`)
		if status != 409 || !strings.Contains(fmt.Sprint(body["detail"]), "--secret-key-file") {
			t.Errorf("%d %v", status, body)
		}
		if status, _ := p.call(t, "GET", "/v1/whoami", admin, ""); status != 200 {
			t.Errorf("whoami %d", status)
		}
	})
}
