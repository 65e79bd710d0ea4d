// Package httpapi serves keyhold's REST API: Konnect's Identity API v3
// plus keyhold's extensions, as problem+json on every error.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/clientip"
)

// Services are the service interfaces the API calls.
type Services struct {
	Auth     keyhold.Authenticator
	Accounts keyhold.SystemAccountService
	Tokens   keyhold.TokenService
	Roles    keyhold.RoleService
	Teams    keyhold.TeamService
	Users    keyhold.UserService
	Orgs     keyhold.OrganizationService
	Audit    keyhold.AuditService
	Decider  Decider
	Policy   keyhold.PolicyService
	Leaks    LeakReporter
	Webhooks keyhold.WebhookService
}

// Config configures a Server.
type Config struct {
	Services Services
	Logger   *slog.Logger
	// TrustedProxies are the peers whose X-Forwarded-For is honoured.
	TrustedProxies []netip.Prefix
	// Ready reports whether the server can serve; /readyz calls it.
	Ready func(ctx context.Context) error
	// MaxBodyBytes limits request bodies; default 1 MiB.
	MaxBodyBytes int64
	// Now is the clock used to report token states; default time.Now.
	Now func() time.Time
	// Observer counts requests; optional.
	Observer RequestObserver
	// Metrics serves GET /metrics; optional.
	Metrics http.Handler
	// PublicURL is the address browsers reach the server at (serve
	// --public-url); setup links are built on it. Without it they are
	// built on the request's own host.
	PublicURL string
}

// RequestObserver counts HTTP requests by route pattern and status.
type RequestObserver interface {
	Request(route, method string, status int, took time.Duration)
}

type nopRequests struct{}

func (nopRequests) Request(string, string, int, time.Duration) {}

// Server is the HTTP API.
type Server struct {
	svc      Services
	decider  Decider
	leaks    LeakReporter
	log      *slog.Logger
	clients  *clientip.Resolver
	ready    func(ctx context.Context) error
	maxBody  int64
	now      func() time.Time
	mux      *http.ServeMux
	handler  http.Handler
	observer RequestObserver
	metrics  http.Handler
	public   string // PublicURL without a trailing slash
	// queries caches the resolved permission of /v1/authorize by raw query
	// string: a gateway sends the same few queries on every request.
	queries queryCache
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New returns a Server with every route registered.
func New(c Config) *Server {
	s := &Server{svc: c.Services, decider: c.Services.Decider, leaks: c.Services.Leaks, log: c.Logger, clients: clientip.New(c.TrustedProxies), ready: c.Ready, maxBody: c.MaxBodyBytes, now: c.Now, mux: http.NewServeMux(), observer: c.Observer, metrics: c.Metrics,
		public: strings.TrimRight(c.PublicURL, "/")}
	if s.observer == nil {
		s.observer = nopRequests{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, rt := range s.routes() {
		pattern := rt.path
		if rt.method != anyMethod {
			pattern = rt.method + " " + rt.path
		}
		if rt.direct != nil {
			s.mux.HandleFunc(pattern, rt.direct)
		} else {
			s.mux.Handle(pattern, s.guard(rt))
		}
	}
	s.mux.Handle("/", s.guard(route{public: true, handler: func(w http.ResponseWriter, r *http.Request) error {
		return keyhold.Errorf(keyhold.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path)
	}}))
	s.handler = s.withRequest(s.mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isDecisionPath(r.URL.Path) {
		// The hot path: no request id, logger or access-log line, and no
		// request-scoped allocation that a refusal does not need.
		// Served without the mux, which would redirect an unclean path or
		// a method it does not know to another URL: a gateway must get a
		// decision, never a redirect that could lose the permission.
		start := time.Now()
		if r.Body != http.NoBody { // a gateway's GET has none to limit
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		status := s.decide(w, r)
		route := "/v1/authorize"
		if r.URL.Path != route {
			route = "/v1/authorize/{rest...}"
		}
		s.observer.Request(route, r.Method, status, time.Since(start))
		return
	}
	s.handler.ServeHTTP(w, r)
}

func isDecisionPath(p string) bool {
	return p == "/v1/authorize" || strings.HasPrefix(p, "/v1/authorize/")
}
