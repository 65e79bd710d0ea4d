// Package server wires a keyhold server together: the service's pieces
// over one store, the HTTP API and the console in front of them, and the
// background work that keeps a replica current. `keyhold serve`, the tests
// and the benchmark harness all start the same wiring through Main, as
// benbjohnson/wtf's cmd/wtfd does.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/ldapserver"
	"github.com/keyhold/keyhold/metrics"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/web"
)

// Config is what a server is built from. Store and Service.Store may be
// left for New to fill from DB.
type Config struct {
	// DB is an open, migrated database; Main does not close it.
	DB *store.DB
	// Service configures the service's pieces; its Store is DB.
	Service service.Config
	Logger  *slog.Logger
	// Metrics, when set, observes the service and the API and serves
	// /metrics.
	Metrics *metrics.Metrics
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// PublicURL is where browsers reach the server; see serve --public-url.
	PublicURL string
	// Ready answers /readyz; optional.
	Ready func(ctx context.Context) error
	// Now is the clock of the API's and the console's pages; default
	// time.Now.
	Now func() time.Time
	// NoConsole serves the API alone, without /ui/.
	NoConsole bool
	// Listen is the address Run listens on; "" serves nothing, and the
	// caller serves Handler itself (as tests do with httptest).
	Listen string
	// TLS, when set, makes Run serve HTTPS only, with this configuration
	// (see internal/tlsfiles, whose Reloader makes one).
	TLS *tls.Config
	// ShutdownTimeout bounds how long Close lets requests finish; default
	// 30s.
	ShutdownTimeout time.Duration
	// LDAP serves the read-only directory (docs/ldap.md) when its Listen
	// or ListenTLS is set; off by default, and nothing of it runs then.
	LDAP LDAPConfig
}

// LDAPConfig configures the LDAP listeners.
type LDAPConfig struct {
	// Listen serves ldap:// (with StartTLS when TLS is set); ListenTLS
	// serves ldaps://, which needs TLS.
	Listen, ListenTLS string
	// Base is the directory's base DN; default keyhold.DefaultDirectoryBase.
	Base string
	// TLS is the listeners' configuration, normally from the same
	// tlsfiles.Reloader as HTTPS.
	TLS                    *tls.Config
	AllowPlaintextLoopback bool
	// Directory decides binds and searches; default Main.Service.Directory
	// (tests may put another in front of it).
	Directory keyhold.DirectoryService
}

// Main is one running keyhold server.
type Main struct {
	Service *service.Service
	API     *httpapi.Server
	Console *web.Server // nil with NoConsole
	// Handler serves the API and, beside it under /ui/, the console.
	Handler http.Handler

	cfg  Config
	srv  *http.Server
	ln   net.Listener
	ldap *ldapserver.Server
	// ldapAddrs are the LDAP listeners' addresses, "ldap" and "ldaps".
	ldapAddrs map[string]net.Addr
	served    chan error
	stop      context.CancelFunc
	bg        sync.WaitGroup
}

// MaxHeaderBytes is net/http's limit on a request's header, over
// which it answers 431 in plain text before any handler runs. It is kept
// well above the API's own limit (httpapi.DefaultMaxHeaderBytes), which
// answers 431 problem+json, so that clients see that answer.
const MaxHeaderBytes = 1 << 20

// New builds the service and its transports; nothing runs until Run.
func New(c Config) *Main {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	sc := c.Service
	sc.Store, sc.Logger = c.DB, c.Logger
	if c.Metrics != nil {
		sc.Observer = c.Metrics
	}
	svc := service.New(sc)
	m := &Main{Service: svc, cfg: c}
	apiCfg := httpapi.Config{
		Services: APIServices(svc),
		Logger:   c.Logger, TrustedProxies: c.TrustedProxies, PublicURL: c.PublicURL, Ready: c.Ready, Now: c.Now,
	}
	if c.Metrics != nil {
		apiCfg.Observer, apiCfg.Metrics = c.Metrics, c.Metrics.Handler()
	}
	m.API = httpapi.New(apiCfg)
	m.Handler = m.API
	if !c.NoConsole {
		m.Console = web.New(web.Config{
			Services: ConsoleServices(svc),
			Logger:   c.Logger, TrustedProxies: c.TrustedProxies, Now: c.Now,
			SecureCookies: strings.HasPrefix(c.PublicURL, "https://"), PublicURL: c.PublicURL,
			DirectoryBase: c.Service.Directory.Base, DirectoryPeopleRDN: c.Service.Directory.PeopleRDN,
		})
		m.Handler = consoleBeside(m.API, m.Console)
	}
	return m
}

// APIServices are the pieces of svc the HTTP API calls.
func APIServices(svc *service.Service) httpapi.Services {
	return httpapi.Services{Auth: svc.Decider, Accounts: svc.Accounts, Tokens: svc.Tokens, Roles: svc.Roles,
		Teams: svc.Teams, Users: svc.Users, Orgs: svc.Orgs, Audit: svc.Audit, Decider: svc.Decider,
		Policy: svc.Policy, Leaks: svc.Tokens, Webhooks: svc.Webhooks, AuditLog: svc.AuditLog,
		AuditExport: svc.AuditExport}
}

// ConsoleServices are the pieces of svc the console calls.
func ConsoleServices(svc *service.Service) web.Services {
	return web.Services{Auth: svc.Decider, Sessions: svc.Sessions, Accounts: svc.Accounts, Tokens: svc.Tokens,
		Roles: svc.Roles, Teams: svc.Teams, Users: svc.Users, Audit: svc.Audit, Policy: svc.Policy, Webhooks: svc.Webhooks,
		AuditLog: svc.AuditLog}
}

// Run loads the decision index, starts the background work (change feed,
// flushes, jobs, deliveries) and, with Listen, the HTTP server; then it
// returns. Close stops them. The background work outlives ctx's
// cancellation until Close, so that a shutdown can drain requests first.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Service.Feed.LoadIndex(ctx); err != nil {
		return err
	}
	// The audit log's keys, and its first checkpoint, before any request:
	// a replica that cannot open the keys (another secret key) stops here.
	if err := m.Service.AuditLog.Setup(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if m.cfg.Metrics != nil {
		m.cfg.Metrics.Index(func() (int, int, int, int) {
			st := m.Service.Feed.IndexStats()
			return st.Tokens, st.Principals, st.Teams, st.TableBytes
		})
		for name, pool := range m.cfg.DB.Pools() {
			m.cfg.Metrics.DB(name, pool)
		}
	}
	bgCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	m.bg.Go(func() { m.Service.Run(bgCtx) })
	if err := m.runLDAP(); err != nil {
		m.stopBackground()
		return err
	}
	if m.cfg.Listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.cfg.Listen)
	if err != nil {
		m.stopBackground()
		return err
	}
	m.ln = ln
	m.srv = &http.Server{Handler: m.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: MaxHeaderBytes,
		// net/http's own complaints (failed TLS handshakes, say) join the
		// structured logs.
		ErrorLog: slog.NewLogLogger(m.cfg.Logger.Handler(), slog.LevelWarn)}
	m.served = make(chan error, 1)
	if m.cfg.TLS != nil {
		m.srv.TLSConfig = m.cfg.TLS
		// ServeTLS sets HTTP/2 up; the certificate comes from TLSConfig.
		go func() { m.served <- m.srv.ServeTLS(ln, "", "") }()
		return nil
	}
	go func() { m.served <- m.srv.Serve(ln) }()
	return nil
}

// Addr is the address Run listens on, or nil.
func (m *Main) Addr() net.Addr {
	if m.ln == nil {
		return nil
	}
	return m.ln.Addr()
}

// Served yields the HTTP server's error should it stop on its own; nil
// without Listen.
func (m *Main) Served() <-chan error { return m.served }

// Close lets requests finish (up to ShutdownTimeout), then stops the
// background work, which flushes recorded use and failure counts on its
// way out. It does not close the database.
func (m *Main) Close() error {
	var err error
	if m.ldap != nil {
		err = m.ldap.Close()
	}
	if m.srv != nil {
		timeout := m.cfg.ShutdownTimeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		herr := m.srv.Shutdown(ctx)
		cancel()
		if !errors.Is(herr, http.ErrServerClosed) {
			err = errors.Join(err, herr)
		}
	}
	m.stopBackground()
	return err
}

func (m *Main) stopBackground() {
	if m.stop != nil {
		m.stop()
		m.bg.Wait()
	}
}

// consoleBeside serves the console under /ui/ and everything else from the
// API, with one prefix test rather than a mux: the API's decision routes
// are the hot path, and the API and the console each clean and route
// their own paths.
func consoleBeside(api, console http.Handler) http.Handler {
	toConsole := http.RedirectHandler("/ui/", http.StatusMovedPermanently)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/ui/"):
			console.ServeHTTP(w, r)
		case p == "/ui" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			toConsole.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// runLDAP starts the LDAP listeners the configuration asks for.
func (m *Main) runLDAP() error {
	c := m.cfg.LDAP
	if c.Listen == "" && c.ListenTLS == "" {
		return nil
	}
	if c.Directory == nil {
		c.Directory = m.Service.Directory
	}
	if c.ListenTLS != "" && c.TLS == nil {
		return errors.New("ldap: ldaps needs a TLS certificate and key")
	}
	m.ldap = ldapserver.New(ldapserver.Config{Service: c.Directory, Base: c.Base, TLS: c.TLS,
		AllowPlaintextLoopback: c.AllowPlaintextLoopback, Logger: m.cfg.Logger})
	m.ldapAddrs = map[string]net.Addr{}
	for _, l := range []struct {
		scheme, addr string
		serve        func(net.Listener) error
	}{{"ldap", c.Listen, m.ldap.Serve}, {"ldaps", c.ListenTLS, m.ldap.ServeTLS}} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			_ = m.ldap.Close()
			return fmt.Errorf("%s: %w", l.scheme, err)
		}
		m.ldapAddrs[l.scheme] = ln.Addr()
		serve := l.serve
		go func() {
			if err := serve(ln); err != nil && !errors.Is(err, ldapserver.ErrServerClosed) {
				m.cfg.Logger.Error("ldap: listener stopped", "addr", ln.Addr().String(), "err", err.Error())
			}
		}()
		m.cfg.Logger.Info("ldap: listening", "scheme", l.scheme, "addr", ln.Addr().String())
	}
	return nil
}

// LDAPAddr is the address of the LDAP listener of scheme "ldap" or
// "ldaps", nil when it does not run.
func (m *Main) LDAPAddr(scheme string) net.Addr { return m.ldapAddrs[scheme] }
