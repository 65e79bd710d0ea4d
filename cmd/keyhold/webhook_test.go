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
	"sync/atomic"
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
// clear error; without a key file on SQLite serve creates one beside the
// database, says so once, and reuses it.
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
	t.Run("OKCreatedWithoutKey", func(t *testing.T) {
		db := storetest.NewURL(t, storetest.SQLite)
		p := startServe(t, "--db", db, "--webhook-allow-networks", "127.0.0.0/8")
		admin := kpatPattern.FindString(p.out.String())
		status, body := p.call(t, "POST", "/v1/webhooks", admin, `{"name":"h","url":"https://example.com/","event_types":["token.expired"]}`)
		if status != 201 {
			t.Errorf("a webhook on a server with a created key: %d %v", status, body)
		}
		p.shutdown(t)
		path := filepath.Join(strings.TrimSuffix(strings.TrimPrefix(db, "sqlite:"), "keyhold.db"), "secret.key")
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("the created key file: %v %v", fi, err)
		}
		if n := strings.Count(p.err.String(), "created secret key file"); n != 1 || !strings.Contains(p.err.String(), path) {
			t.Errorf("the first start logged the key's creation %d times: %s", n, p.err.String())
		}
		first, _ := os.ReadFile(path)

		// The second start reuses it: the audit keys it sealed open.
		again := startServe(t, "--db", db)
		if status, _ := again.call(t, "GET", "/v1/webhooks", admin, ""); status != 200 {
			t.Errorf("webhooks after a restart: %d", status)
		}
		again.shutdown(t)
		if second, _ := os.ReadFile(path); string(second) != string(first) {
			t.Error("the second start replaced the key file")
		}
		if strings.Contains(again.err.String(), "created secret key file") {
			t.Errorf("the second start logged a creation: %s", again.err.String())
		}
	})
}

// Without --secret-key-file PostgreSQL refuses to start: its replicas
// share no directory to keep one key in.
func TestSecretKeyFilePostgresRequired(t *testing.T) {
	var out, errb apitest.Buffer
	code := run(t.Context(), []string{"serve", "--listen", "127.0.0.1:0", "--db", "postgres://keyhold@127.0.0.1:1/keyhold"},
		stdio{out: &out, err: &errb}, noEnv, nil)
	if code == 0 || !strings.Contains(errb.String(), "--secret-key-file is required with PostgreSQL") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// A start with another key than the one that sealed the audit log's keys
// stops, saying every replica needs the same key.
func TestSecretKeyFileChanged(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.NewURL(t, backend)
			startServe(t, "--db", db, "--secret-key-file", writeKeyFile(t, 0o600, newKey())).shutdown(t)
			var out, errb apitest.Buffer
			code := run(t.Context(), []string{"serve", "--listen", "127.0.0.1:0", "--db", db,
				"--secret-key-file", writeKeyFile(t, 0o600, newKey())}, stdio{out: &out, err: &errb}, noEnv, &hooks{})
			if code == 0 || !strings.Contains(errb.String(), "every replica needs the same --secret-key-file") {
				t.Errorf("exit %d, stderr %q", code, errb.String())
			}
		})
	}
}

// Of concurrent first starts one creates the key file and all read the
// same key.
func TestSecretKeyCreatedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := "sqlite:" + filepath.Join(dir, "keyhold.db")
	keys := make([]string, 8)
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			errb := &apitest.Buffer{}
			log, err := newLogger(errb, "info")
			if err != nil {
				t.Error(err)
				return
			}
			k, err := secretKey("", db, log)
			if err != nil {
				t.Error(err)
			}
			keys[i] = string(k)
			created.Add(int32(strings.Count(errb.String(), "created secret key file")))
		})
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Errorf("%d starts said they created the key", created.Load())
	}
	for _, k := range keys {
		if k != keys[0] || len(k) != 32 {
			t.Fatalf("the starts read different keys")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left in the data directory: %v", entries)
	}
}
