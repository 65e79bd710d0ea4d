// Package httpapi serves keyhold's REST API: Konnect's Identity API v3
// plus keyhold's extensions, as problem+json on every error.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/clientip"
)

// Services are the service interfaces the API calls.
type Services struct {
	Auth        keyhold.Authenticator
	Accounts    keyhold.SystemAccountService
	Tokens      keyhold.TokenService
	Roles       keyhold.RoleService
	Teams       keyhold.TeamService
	Users       keyhold.UserService
	Orgs        keyhold.OrganizationService
	Audit       keyhold.AuditService
	Decider     Decider
	Policy      keyhold.PolicyService
	Leaks       LeakReporter
	Webhooks    keyhold.WebhookService
	AuditLog    AuditLog
	AuditExport interface {
		keyhold.AuditExportService
		keyhold.AuditReplayService
	}
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
	// MaxHeaderBytes limits the request line and header fields, counted
	// as on the wire; default DefaultMaxHeaderBytes. Requests over it get
	// 431 problem+json. It must stay below the http.Server's own
	// MaxHeaderBytes, over which net/http answers 431 in plain text.
	MaxHeaderBytes int
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
	svc     Services
	decider Decider
	leaks   LeakReporter
	log     *slog.Logger
	clients *clientip.Resolver
	ready   func(ctx context.Context) error
	maxBody int64
	maxHead int
	now     func() time.Time
	mux     *http.ServeMux
	// paths matches a request's path alone, to tell a wrong method (405)
	// from an unknown path (404); allow maps its patterns to the methods
	// they serve, as the Allow header lists them.
	paths    *http.ServeMux
	allow    map[string]string
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
	if s.maxHead = c.MaxHeaderBytes; s.maxHead <= 0 {
		s.maxHead = DefaultMaxHeaderBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	methods := map[string][]string{}
	for _, rt := range s.routes() {
		pattern := rt.path
		if rt.method != anyMethod {
			pattern = rt.method + " " + rt.path
			methods[rt.path] = append(methods[rt.path], rt.method)
		}
		if rt.direct != nil {
			s.mux.HandleFunc(pattern, rt.direct)
		} else {
			s.mux.Handle(pattern, foldPathIDs(rt.path, s.guard(rt)))
		}
	}
	s.paths, s.allow = http.NewServeMux(), map[string]string{}
	for path, ms := range methods {
		s.paths.Handle(path, http.NotFoundHandler())
		s.allow[path] = allowHeader(ms)
	}
	s.mux.Handle("/", s.guard(route{public: true, handler: s.noRoute}))
	s.handler = s.withRequest(http.HandlerFunc(s.route))
	return s
}

// route hands a request to the mux, except one whose target is "*" (net/http
// answers OPTIONS * itself): the mux would give it an empty 400, and every
// refusal is problem+json.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if r.RequestURI == "*" {
		writeError(w, r, keyhold.Errorf(keyhold.ENOTFOUND, "No route for %s *", r.Method))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Shared and never changed: setting it allocates nothing, even on the
	// hot path.
	w.Header()["X-Content-Type-Options"] = nosniff[:1:1]
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

var nosniff = []string{"nosniff"}

// DefaultMaxHeaderBytes is the default Config.MaxHeaderBytes: 64 KiB of
// request line and header fields.
const DefaultMaxHeaderBytes = 64 << 10

// headerBytes counts the request line and header fields as they were on
// the wire, give or take the spaces and line ends net/http counts too.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + len("Host: ") + len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// allowHeader lists a path's methods for the Allow header: HEAD with GET,
// as the mux serves it, and OPTIONS, which every path answers.
func allowHeader(methods []string) string {
	ms := append([]string{http.MethodOptions}, methods...)
	if slices.Contains(ms, http.MethodGet) {
		ms = append(ms, http.MethodHead)
	}
	slices.Sort(ms)
	return strings.Join(slices.Compact(ms), ", ")
}

// noRoute answers a request that no route serves: OPTIONS on a known path
// gets its methods (and no CORS headers: keyhold serves no browser
// origin but its own console), another method 405 with Allow, and an
// unknown path 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) error {
	_, pattern := s.paths.Handler(r)
	allow, known := s.allow[pattern]
	switch {
	case !known:
		return keyhold.Errorf(keyhold.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path)
	case r.Method == http.MethodOptions:
		if err := noBody(r); err != nil {
			return err
		}
		w.Header().Set("Allow", allow)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Allow", allow)
	return &statusError{status: http.StatusMethodNotAllowed, msg: "The method " + r.Method + " is not allowed here; allowed: " + allow}
}
