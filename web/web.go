// Package web is keyhold's admin console: server-rendered pages under /ui/
// for the people who manage system accounts, tokens, roles, teams and
// users. It calls the service interfaces of package keyhold as the
// signed-in user, so every authorization rule, guard rail and audit event
// of the API applies unchanged. Templates and static files are embedded.
package web

import (
	"cmp"
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/clientip"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Services are the service interfaces the console calls.
type Services struct {
	Auth     keyhold.Authenticator
	Sessions keyhold.SessionService
	Accounts keyhold.SystemAccountService
	Tokens   keyhold.TokenService
	Roles    keyhold.RoleService
	Teams    keyhold.TeamService
	Users    keyhold.UserService
	Audit    keyhold.AuditService
	Policy   keyhold.PolicyService
	Webhooks keyhold.WebhookService
	// AuditLog checks the audit log's latest checkpoint, for the audit
	// page's Verify panel.
	AuditLog AuditLog
}

// AuditLog is the audit log's own check of its latest checkpoint.
type AuditLog interface {
	Status(ctx context.Context) (*keyhold.AuditLogStatus, error)
}

// Config configures the console.
type Config struct {
	Services Services
	Logger   *slog.Logger
	// SecureCookies marks cookies Secure even on plain HTTP requests, for a
	// console behind a TLS-terminating proxy (a https --public-url). Over
	// TLS they are always Secure.
	SecureCookies bool
	// PublicURL is the address browsers use (keyhold serve --public-url);
	// forms whose Origin is it are accepted besides those of the request's
	// own host, for a proxy that rewrites Host.
	PublicURL string
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// Now is the clock; default time.Now.
	Now func() time.Time
	// DirectoryBase is the LDAP directory's base DN, for the DNs the
	// console shows; default keyhold.DefaultDirectoryBase.
	DirectoryBase string
	// DirectoryPeopleRDN names people's entries in the DNs the console
	// shows; default "cn".
	DirectoryPeopleRDN string
}

// Server serves the console under /ui/.
type Server struct {
	svc                   Services
	log                   *slog.Logger
	secure                bool
	origin                string // scheme://host of PublicURL, or ""
	clients               *clientip.Resolver
	now                   func() time.Time
	dirBase, dirPeopleRDN string
	pages                 *pages
	mux                   *http.ServeMux
}

// New returns the console's handler; mount it at /ui/.
func New(c Config) *Server {
	s := &Server{svc: c.Services, log: c.Logger, secure: c.SecureCookies, clients: clientip.New(c.TrustedProxies), now: c.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if u, err := url.Parse(c.PublicURL); err == nil && u.Host != "" {
		s.origin = u.Scheme + "://" + u.Host
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.dirBase = cmp.Or(c.DirectoryBase, keyhold.DefaultDirectoryBase)
	s.dirPeopleRDN = cmp.Or(c.DirectoryPeopleRDN, "cn")
	s.pages = parsePages()
	s.mux = http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticHandler(static)))
	for _, r := range s.routes() {
		s.mux.Handle(r.pattern, foldPathIDs(r.pattern, s.wrap(r)))
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// staticHandler serves the embedded files, and 404 for anything else: a
// directory would get a listing from http.FileServer.
func staticHandler(files fs.FS) http.Handler {
	next := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st, err := fs.Stat(files, r.URL.Path); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
