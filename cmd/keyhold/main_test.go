package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

var kpatPattern = regexp.MustCompile(`kpat_[0-9A-Za-z]{49}`)

func noEnv(string) string { return "" }

// process is keyhold serve running in-process on a loopback port.
type process struct {
	url      string
	out, err *apitest.Buffer
	stop     context.CancelFunc
	done     chan int
}

// startServe runs `keyhold serve` with args and waits until it listens.
func startServe(t *testing.T, args ...string) *process {
	t.Helper()
	return startServeHooks(t, &hooks{}, args...)
}

// startServeHooks is startServe with hooks of the test's own; their
// onListen is startServe's.
func startServeHooks(t *testing.T, h *hooks, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{out: &apitest.Buffer{}, err: &apitest.Buffer{}, stop: cancel, done: make(chan int, 1)}
	listening := make(chan net.Addr, 1)
	h.onListen = func(a net.Addr) { listening <- a }
	args = withKeyFile(append([]string{"serve", "--listen", "127.0.0.1:0"}, args...))
	go func() { p.done <- run(ctx, args, stdio{out: p.out, err: p.err}, noEnv, h) }()
	select {
	case a := <-listening:
		p.url = "http://" + a.String()
	case code := <-p.done:
		t.Fatalf("serve exited with %d before listening: %s", code, p.err.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start: %s", p.err.String())
	}
	t.Cleanup(func() { p.shutdown(t) })
	return p
}

// shutdown stops the server as SIGTERM would and waits for it to exit.
func (p *process) shutdown(t *testing.T) {
	if p.stop == nil {
		return
	}
	p.stop()
	p.stop = nil
	if code := <-p.done; code != 0 {
		t.Errorf("serve exited with %d: %s", code, p.err.String())
	}
}

func (p *process) call(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func TestServeBootstrapsOnceAndServes(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.NewURL(t, backend)
			p := startServe(t, "--db", db, "--admin-email", "ops@example.com")
			token := kpatPattern.FindString(p.out.String())
			if token == "" {
				t.Fatalf("no admin token on stdout: %q", p.out.String())
			}
			if strings.Contains(p.err.String(), token) {
				t.Error("the bootstrap token reached the structured logs")
			}
			status, me := p.call(t, "GET", "/v3/users/me", token, "")
			if status != 200 || me["email"] != "ops@example.com" {
				t.Fatalf("users/me = %d %v", status, me)
			}
			p.shutdown(t)

			// A restart on the same database does not bootstrap again.
			again := startServe(t, "--db", db)
			if kpatPattern.MatchString(again.out.String()) {
				t.Error("a second start printed a new admin token")
			}
			if status, _ := again.call(t, "GET", "/v1/whoami", token, ""); status != 200 {
				t.Errorf("the first token stopped working after a restart: %d", status)
			}
		})
	}
}

// Several replicas starting together on one empty database bootstrap it
// exactly once: one prints a token, and there is one organization.
func TestConcurrentStartBootstrapsOnce(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.NewURL(t, backend)
			const replicas = 4
			procs := make([]*process, replicas)
			var wg sync.WaitGroup
			for i := range procs {
				wg.Go(func() { procs[i] = startServe(t, "--db", db) })
			}
			wg.Wait()
			printed := 0
			for _, p := range procs {
				printed += len(kpatPattern.FindAllString(p.out.String(), 1))
			}
			if printed != 1 {
				t.Errorf("%d replicas printed an admin token, want 1", printed)
			}
			raw := storetest.Raw(t, db)
			for table, want := range map[string]int{"organization": 1, "users": 1, "teams": 8} {
				var n int
				if err := raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("%s: %d rows, want %d", table, n, want)
				}
			}
		})
	}
}

func TestInit(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := storetest.NewURL(t, backend)
			var out, errb apitest.Buffer
			code := run(t.Context(), []string{"init", "--db", db, "--admin-email", "root@example.com", "--org-name", "Acme"}, stdio{out: &out, err: &errb}, noEnv, nil)
			if code != 0 {
				t.Fatalf("init exited %d: %s", code, errb.String())
			}
			if !regexp.MustCompile(`^kpat_[0-9A-Za-z]{49}\n$`).MatchString(out.String()) {
				t.Errorf("stdout = %q, want only the token", out.String())
			}
			var out2, err2 apitest.Buffer
			code = run(t.Context(), []string{"init", "--db", db, "--admin-email", "other@example.com"}, stdio{out: &out2, err: &err2}, noEnv, nil)
			if code == 0 || out2.String() != "" || !strings.Contains(err2.String(), "already initialized") {
				t.Errorf("second init: code %d, stdout %q, stderr %q", code, out2.String(), err2.String())
			}
		})
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	db := storetest.NewURL(t, storetest.SQLite)
	env := map[string]string{"KEYHOLD_DB": db, "KEYHOLD_ADMIN_EMAIL": "env@example.com"}
	var out, errb apitest.Buffer
	if code := run(t.Context(), []string{"init"}, stdio{out: &out, err: &errb}, func(k string) string { return env[k] }, nil); code != 0 {
		t.Fatalf("init from environment exited %d: %s", code, errb.String())
	}
	var n int
	if err := storetest.Raw(t, db).QueryRow("SELECT COUNT(*) FROM users WHERE email = 'env@example.com'").Scan(&n); err != nil || n != 1 {
		t.Errorf("admin from KEYHOLD_ADMIN_EMAIL: n=%d err=%v", n, err)
	}
}

func TestMigrateAndBackup(t *testing.T) {
	db := storetest.NewURL(t, storetest.SQLite)
	var out, errb apitest.Buffer
	if code := run(t.Context(), []string{"migrate", "--db", db}, stdio{out: &out, err: &errb}, noEnv, nil); code != 0 {
		t.Fatalf("migrate: %d %s", code, errb.String())
	}
	if code := run(t.Context(), []string{"init", "--db", db, "--admin-email", "a@example.com"}, stdio{out: &out, err: &errb}, noEnv, nil); code != 0 {
		t.Fatalf("init: %d %s", code, errb.String())
	}
	snap := t.TempDir() + "/snap.db"
	if code := run(t.Context(), []string{"backup", "--db", db, "--out", snap}, stdio{out: &out, err: &errb}, noEnv, nil); code != 0 {
		t.Fatalf("backup: %d %s", code, errb.String())
	}
	var n int
	if err := storetest.Raw(t, "sqlite:"+snap).QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil || n != 1 {
		t.Errorf("snapshot users: n=%d err=%v", n, err)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errb apitest.Buffer
	code := run(t.Context(), []string{"serve", "--trusted-proxies", "not-a-cidr", "--db", storetest.NewURL(t, storetest.SQLite)}, stdio{out: &out, err: &errb}, noEnv, nil)
	if code == 0 || !strings.Contains(errb.String(), "trusted-proxies") {
		t.Errorf("code %d, stderr %q", code, errb.String())
	}
}

func TestReadiness(t *testing.T) {
	db := storetest.NewURL(t, storetest.SQLite)
	p := startServe(t, "--db", db, "--readiness-interval", "0")
	if status, body := p.call(t, "GET", "/readyz", "", ""); status != 200 || body["status"] != "ready" {
		t.Fatalf("readyz = %d %v", status, body)
	}
	if status, _ := p.call(t, "GET", "/healthz", "", ""); status != 200 {
		t.Fatalf("healthz = %d", status)
	}
	// A newer binary's additive migration leaves this replica serving.
	raw := storetest.Raw(t, db)
	if _, err := raw.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	if status, body := p.call(t, "GET", "/readyz", "", ""); status != 200 {
		t.Errorf("readyz with a schema ahead = %d %v, want 200: migrations are additive", status, body)
	}
	// A schema older than this binary needs is not served.
	if _, err := raw.Exec("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations WHERE version < 9999)"); err != nil {
		t.Fatal(err)
	}
	if status, body := p.call(t, "GET", "/readyz", "", ""); status != 503 {
		t.Errorf("readyz with a schema behind = %d %v, want 503", status, body)
	}
	if status, _ := p.call(t, "GET", "/healthz", "", ""); status != 200 {
		t.Errorf("healthz = %d; liveness must not depend on the schema", status)
	}
}
