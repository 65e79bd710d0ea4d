package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/server"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
)

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// env is keyhold's API and console on one loopback server over a real
// database, as keyhold serve mounts them.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	svc    *service.Service
	db     *store.DB
	dbURL  string
	logs   *logBuffer
	admin  string // the first admin's personal access token
	backed string
}

// newEnv starts a server over a fresh database of backend, or over dbURL
// when it is set (a second replica).
func newEnv(t testing.TB, backend, dbURL string) *env { return newEnvAt(t, backend, dbURL, nil) }

// newEnvAt is newEnv with the service's clock (nil: the real one); tune
// may change the service's configuration further.
func newEnvAt(t testing.TB, backend, dbURL string, now func() time.Time, tune ...func(*service.Config)) *env {
	e := &env{t: t, logs: &logBuffer{}, backed: backend}
	lastEnv = e
	if dbURL == "" {
		e.db, e.dbURL = storetest.OpenURL(t, backend)
	} else {
		e.db, e.dbURL = storetest.OpenUnmigrated(t, dbURL), dbURL
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Every env, a second replica included, seals webhook secrets with the
	// same key, and delivers to receivers the tests start on loopback.
	cfg := service.Config{Now: now,
		Webhooks: service.WebhookConfig{SecretKey: bytes.Repeat([]byte{7}, service.SecretKeySize),
			Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
			// Tests send deliveries themselves (DeliverWebhooks), so that
			// what a receiver gets does not race a background sender.
			Tick: time.Hour}}
	for _, f := range tune {
		f(&cfg)
	}
	m := server.New(server.Config{DB: e.db, Logger: log, Service: cfg})
	e.svc = m.Service
	ctx := context.Background()
	if dbURL == "" {
		tok, err := e.svc.Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: "Acme", AdminEmail: adminEmail})
		if err != nil {
			t.Fatalf("bootstrap: %v", err)
		}
		e.admin = tok.Value
		if _, err := e.svc.Sessions.SetPassword(service.AsSystem(ctx), adminEmail, adminPassword); err != nil {
			t.Fatalf("set password: %v", err)
		}
	}
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}
	e.srv = httptest.NewServer(m.Handler)
	t.Cleanup(func() { e.srv.Close(); _ = m.Close() })
	return e
}

// lastEnv is the newest env, whose logs a failing page check prints.
var lastEnv *env

// eachBackend runs fn on SQLite and, when configured, PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// browser is a cookie-keeping HTTP client that remembers the last page.
type browser struct {
	t    testing.TB
	e    *env
	c    *http.Client
	last string // body of the last page
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar}}
}

type page struct {
	status int
	body   string
	url    string
	header http.Header
}

func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) page {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = string(body)
	return page{status: resp.StatusCode, body: string(body), url: resp.Request.URL.Path, header: resp.Header}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the last page.
func (b *browser) csrf() string {
	m := csrfRE.FindStringSubmatch(b.last)
	if m == nil {
		b.t.Fatalf("no csrf token on the last page:\n%s", b.last)
	}
	return m[1]
}

var formRE = regexp.MustCompile(`(?s)<form [^>]*action="([^"]+)".*?</form>`)

var nonceRE = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// nonce returns the one-time nonce of the last page's form sent to path,
// or "" when it has none.
func (b *browser) nonce(path string) string {
	for _, f := range formRE.FindAllStringSubmatch(b.last, -1) {
		if f[1] == path {
			if m := nonceRE.FindStringSubmatch(f[0]); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

// post submits a form with the last page's CSRF token and, as a browser
// does, the nonce of the last page's form sent to path.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	if n := b.nonce(path); n != "" && form.Get("nonce") == "" {
		form.Set("nonce", n)
	}
	return b.postRaw(path, form, nil)
}

func (b *browser) postRaw(path string, form url.Values, header http.Header) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	return b.read(resp)
}

// signIn signs in through the form.
func (b *browser) signIn(email, password string) page {
	b.t.Helper()
	b.get("/ui/signin")
	return b.post("/ui/signin", url.Values{"email": {email}, "password": {password}})
}

func (p page) want(t testing.TB, status int, contains ...string) page {
	t.Helper()
	if p.status != status {
		if p.status == http.StatusInternalServerError && lastEnv != nil {
			t.Logf("logs: %s", lastEnv.logs.String())
		}
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
	for _, c := range contains {
		if !strings.Contains(p.body, c) {
			t.Fatalf("page lacks %q:\n%s", c, p.body)
		}
	}
	return p
}

// admin returns the admin's principal context for direct service calls.
func (e *env) adminCtx() context.Context {
	p, err := e.svc.Decider.Authenticate(context.Background(), keyhold.Credentials{Bearer: e.admin})
	if err != nil {
		e.t.Fatalf("authenticate admin: %v", err)
	}
	return keyhold.NewContextWithPrincipal(context.Background(), p)
}
