// Package apitest starts keyhold's real handler stack over a real store on
// loopback, and checks every response against the OpenAPI document. It is
// for tests only.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/server"
	"github.com/keyhold/keyhold/metrics"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
	"github.com/keyhold/keyhold/web"
)

// Clock is a settable clock for the service.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// NewClock returns a clock set to t, for an Env that must start at the
// same time as another, as a copied database expects.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Buffer is a goroutine-safe bytes.Buffer for captured logs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Write(p) }

// String returns everything written so far.
func (b *Buffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// Env is one running keyhold API over a fresh database.
type Env struct {
	T      testing.TB
	Server *httptest.Server
	// Main is the server's wiring, the same as keyhold serve's.
	Main    *server.Main
	Service *service.Service
	DB      *store.DB
	DBURL   string
	Clock   *Clock
	Logs    *Buffer
	// Admin is the first admin's personal access token, AdminID their id.
	Admin   string
	AdminID string
	// API is the API server; Console the console, when Options.Console.
	API     *httpapi.Server
	Console *web.Server
	router  routers.Router
}

// Options adjust an Env.
type Options struct {
	TrustedProxies []netip.Prefix
	// SecretKey seals webhook secrets; without it webhooks are refused.
	SecretKey []byte
	// DBURL reuses a database that another Env bootstrapped, as a restarted
	// server or a second replica would; its Admin is then empty.
	DBURL string
	// Clock is shared with another Env; a new one when nil.
	Clock *Clock
	// WebhookNetworks are the non-public networks deliveries may reach
	// (service.Config); Loopback for receivers started by the test.
	WebhookNetworks []netip.Prefix
	// Console mounts the admin console at /ui/ beside the API, as keyhold
	// serve does.
	Console bool
	// Metrics observes the service and serves GET /metrics; without it
	// /metrics answers 404.
	Metrics *metrics.Metrics
	// AuthFailureLimit is service.Config's; negative turns the limit off,
	// for tests that are refused from loopback hundreds of times a minute
	// on purpose.
	AuthFailureLimit int
}

// Loopback allows webhook deliveries to receivers on this machine.
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Each runs fn against a fresh Env on every configured backend.
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) { fn(t, New(t, b, Options{})) })
	}
}

// EachWith is Each with options.
func EachWith(t *testing.T, o Options, fn func(t *testing.T, e *Env)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) { fn(t, New(t, b, o)) })
	}
}

// New starts an Env on backend ("sqlite" or "postgres").
func New(t testing.TB, backend string, o Options) *Env {
	var db *store.DB
	url := o.DBURL
	if url == "" {
		db, url = storetest.OpenURL(t, backend)
	} else {
		db = storetest.OpenUnmigrated(t, url)
	}
	e := &Env{T: t, DB: db, DBURL: url, Clock: o.Clock, Logs: &Buffer{}, router: router(t)}
	if e.Clock == nil {
		e.Clock = &Clock{t: time.Now().UTC().Truncate(time.Second)}
	}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Main = server.New(server.Config{DB: db, Logger: log, TrustedProxies: o.TrustedProxies, Now: e.Clock.Now, NoConsole: !o.Console, Metrics: o.Metrics,
		Service: service.Config{Now: e.Clock.Now,
			Decider:  service.DeciderConfig{AuthFailureLimit: o.AuthFailureLimit},
			Webhooks: service.WebhookConfig{SecretKey: o.SecretKey, Networks: o.WebhookNetworks}}})
	e.Service = e.Main.Service
	if o.DBURL == "" {
		tok, err := e.Service.Orgs.Bootstrap(service.AsSystem(context.Background()), service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"})
		if err != nil {
			t.Fatalf("bootstrap: %v", err)
		}
		e.Admin, e.AdminID = tok.Value, tok.Owner.ID
	}
	if err := e.Service.Feed.LoadIndex(context.Background()); err != nil {
		t.Fatalf("load index: %v", err)
	}
	if err := e.Service.AuditLog.Setup(context.Background()); err != nil {
		t.Fatalf("audit log setup: %v", err)
	}
	e.API, e.Console = e.Main.API, e.Main.Console
	h := e.Main.Handler
	e.Server = httptest.NewServer(h)
	t.Cleanup(e.Server.Close)
	return e
}

var (
	routerOnce sync.Once
	sharedDoc  *openapi3.T
	docErr     error
)

// Document returns the parsed, validated OpenAPI document.
func Document(t testing.TB) *openapi3.T {
	routerOnce.Do(func() {
		loader := openapi3.NewLoader()
		sharedDoc, docErr = loader.LoadFromData(httpapi.OpenAPIDocument)
		if docErr == nil {
			docErr = sharedDoc.Validate(loader.Context)
		}
	})
	if docErr != nil {
		t.Fatalf("openapi.yaml: %v", docErr)
	}
	return sharedDoc
}

func router(t testing.TB) routers.Router {
	doc := *Document(t)
	doc.Servers = nil // match paths on any host
	r, err := gorillamux.NewRouter(&doc)
	if err != nil {
		t.Fatalf("openapi router: %v", err)
	}
	return r
}

// Response is a received response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request. token is a bare token (sent as Bearer), a full
// Authorization value ("Basic …"), or "". body is nil, a string sent
// verbatim, or a value sent as JSON. The response is validated against
// the OpenAPI document: an undocumented route, status or shape fails.
func (e *Env) Do(method, path, token string, body any) *Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case token == "":
	case strings.HasPrefix(token, "Basic "):
		req.Header.Set("Authorization", token)
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	resp := &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
	if err := e.Validate(req, resp); err != nil {
		e.T.Errorf("%v\nbody: %s", err, resp.Body)
	}
	return resp
}

// Validate checks a response to req against the OpenAPI document.
func (e *Env) Validate(req *http.Request, resp *Response) error {
	// Answers that no operation lists: the document defines them once.
	switch resp.Status {
	case http.StatusMethodNotAllowed:
		return validateGeneric(e.T, req, resp, "MethodNotAllowed")
	case http.StatusRequestHeaderFieldsTooLarge:
		return validateGeneric(e.T, req, resp, "RequestHeaderFieldsTooLarge")
	}
	if req.Method == http.MethodOptions {
		// Documented in no operation; the decision routes answer it as a
		// GET, every other path with 204 and Allow.
		if resp.Status == http.StatusNoContent && resp.Header.Get("Allow") != "" && len(resp.Body) == 0 {
			return nil
		}
		req = req.Clone(req.Context())
		req.Method = http.MethodGet
	}
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		if resp.Status == http.StatusNotFound {
			return nil // an unknown path: nothing to validate against
		}
		return fmt.Errorf("%s %s: not in openapi.yaml: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d does not match openapi.yaml: %w", req.Method, req.URL.Path, resp.Status, err)
	}
	return nil
}

// Want fails the test unless the response has the wanted status.
func (r *Response) Want(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// validateGeneric checks a response against one of the document's
// component responses: its content type, body schema and required headers.
func validateGeneric(t testing.TB, req *http.Request, resp *Response, name string) error {
	ref := Document(t).Components.Responses[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("openapi.yaml has no response %s", name)
	}
	ct := resp.Header.Get("Content-Type")
	mt := ref.Value.Content.Get(ct)
	if mt == nil {
		return fmt.Errorf("%d: Content-Type %q is not the document's for %s", resp.Status, ct, name)
	}
	for h, hr := range ref.Value.Headers {
		if hr.Value.Required && resp.Header.Get(h) == "" {
			return fmt.Errorf("%d: no %s header", resp.Status, h)
		}
	}
	if req.Method == http.MethodHead {
		return nil // headers only
	}
	var body any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return fmt.Errorf("%d: body is not JSON: %w", resp.Status, err)
	}
	if err := mt.Schema.Value.VisitJSON(body); err != nil {
		return fmt.Errorf("%d does not match openapi.yaml's %s: %w", resp.Status, name, err)
	}
	return nil
}
