package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/gctune"
	"github.com/keyhold/keyhold/metrics"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/web"
)

type serveFlags struct {
	db, listen, adminEmail, orgName, trustedProxies, webhookNetworks, logLevel, rolesFile, secretKeyFile string
	publicURL                                                                                            string
	sessionTTL                                                                                           time.Duration
	authFailureLimit                                                                                     int
	shutdownTimeout, readyInterval, jobTick, jobPeriod, lastUseResolution                                time.Duration
}

func serveCommand(io stdio, h *hooks) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the keyhold server",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), f, io, h) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", defaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.adminEmail, "admin-email", "admin@localhost", "email of the first admin, used when the database is empty")
	fl.StringVar(&f.orgName, "org-name", "keyhold", "name of the organization, used when the database is empty")
	fl.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs or addresses whose X-Forwarded-For is honoured")
	fl.StringVar(&f.webhookNetworks, "webhook-allow-networks", "", "comma-separated CIDRs or addresses of non-public networks (loopback, private, link-local) webhook deliveries may reach; public addresses are always allowed")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.IntVar(&f.authFailureLimit, "auth-failure-limit", 100, "failed authentications per client address and minute, over all replicas, before 429 (negative: no limit)")
	fl.StringVar(&f.rolesFile, "roles-file", "", "JSON file of the organization's own entity types and roles (docs/authorization.md)")
	fl.StringVar(&f.secretKeyFile, "secret-key-file", "", "file of 32 random bytes (base64 or hex, mode 0600) that encrypts webhook signing secrets; without it webhooks are off")
	fl.StringVar(&f.publicURL, "public-url", "", "URL at which browsers reach this server, e.g. https://keyhold.example.com; builds the first admin's setup link and, when https, marks console cookies Secure (default http://LISTEN)")
	fl.DurationVar(&f.sessionTTL, "session-ttl", 12*time.Hour, "how long a console sign-in lasts")
	fl.DurationVar(&f.readyInterval, "readiness-interval", 5*time.Second, "how often /readyz re-checks that the schema matches this binary")
	fl.DurationVar(&f.jobTick, "job-tick", 15*time.Second, "how often this replica tries to claim background jobs")
	fl.DurationVar(&f.jobPeriod, "job-period", time.Minute, "how often the expiry sweep runs across all replicas (the change-feed pruning runs every 10 periods)")
	fl.DurationVar(&f.lastUseResolution, "last-use-resolution", service.DefaultLastUseResolution, "how often, at most, one token's last_used_at is written (it may be twice this plus 30 s stale)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let requests finish on SIGTERM")
	return cmd
}

func serve(ctx context.Context, f serveFlags, io stdio, h *hooks) error {
	log, err := newLogger(io.err, f.logLevel)
	if err != nil {
		return err
	}
	proxies, err := parsePrefixes("--trusted-proxies", f.trustedProxies)
	if err != nil {
		return err
	}
	hookNets, err := parsePrefixes("--webhook-allow-networks", f.webhookNetworks)
	if err != nil {
		return err
	}
	cat, err := loadCatalogue(f.rolesFile)
	if err != nil {
		return err
	}
	key, err := loadSecretKey(f.secretKeyFile)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	m := metrics.New()
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("refusing to serve: %w", err)
	}
	svc := service.New(service.Config{Store: db, Logger: log, Catalogue: cat, Observer: m,
		JobTick: f.jobTick, JobPeriod: f.jobPeriod, AuthFailureLimit: f.authFailureLimit, SecretKey: key, SessionTTL: f.sessionTTL,
		LastUseResolution: f.lastUseResolution, WebhookNetworks: hookNets})
	publicURL, err := consoleURL(f.publicURL, f.listen)
	if err != nil {
		return err
	}
	tok, err := svc.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: f.orgName, AdminEmail: f.adminEmail})
	switch {
	case err == nil:
		printBootstrapToken(io, tok.Value, f.listen)
		setup, err := svc.CreateSetupLink(service.AsSystem(ctx), f.adminEmail, 0)
		if err != nil {
			return fmt.Errorf("bootstrap: setup link: %w", err)
		}
		printSetupLink(io, publicURL, setup)
	case keyhold.ErrorCode(err) != keyhold.ECONFLICT:
		return fmt.Errorf("bootstrap: %w", err)
	}
	if err := svc.LoadIndex(ctx); err != nil {
		return err
	}
	// Loading a large index scans millions of rows; hand what the scan
	// left behind back to the system, so that the resident size is the
	// index's, not the load's high-water mark.
	debug.FreeOSMemory()
	// From here on the live heap is mostly the index; let a fixed headroom
	// of request garbage build up between GC cycles while it is small.
	defer gctune.Start(gctune.DefaultHeadroom)()
	m.Index(func() (int, int, int, int) {
		st := svc.Index().Stats()
		return st.Tokens, st.Principals, st.Teams, st.TableBytes
	})
	for name, pool := range db.Pools() {
		m.DB(name, pool)
	}
	api := httpapi.New(httpapi.Config{
		Services: httpapi.Services{Auth: svc, Accounts: svc, Tokens: svc, Roles: svc, Teams: svc, Users: svc, Orgs: svc, Audit: svc, Decider: svc, Policy: svc, Leaks: svc, Webhooks: svc},
		Logger:   log, TrustedProxies: proxies, Observer: m, Metrics: m.Handler(), PublicURL: publicURL,
		Ready: (&readiness{db: db, log: log, interval: f.readyInterval}).Ready,
	})
	console := web.New(web.Config{
		Services: web.Services{Auth: svc, Sessions: svc, Accounts: svc, Tokens: svc, Roles: svc, Teams: svc, Users: svc, Audit: svc, Policy: svc, Webhooks: svc},
		Logger:   log, TrustedProxies: proxies, SecureCookies: strings.HasPrefix(publicURL, "https://"), PublicURL: publicURL,
	})
	root := consoleBeside(api, console)
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: root, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: serverMaxHeaderBytes}
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	bg.Go(func() { svc.Run(bgCtx) })
	log.Info("listening", "addr", ln.Addr().String(), "db", db.Dialect())
	if h.onListen != nil {
		h.onListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopBackground()
	bg.Wait() // flushes last-used times and failure counts
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// serverMaxHeaderBytes is net/http's limit on a request's header, over
// which it answers 431 in plain text before any handler runs. It is kept
// well above the API's own limit (httpapi.DefaultMaxHeaderBytes), which
// answers 431 problem+json, so that clients see that answer.
const serverMaxHeaderBytes = 1 << 20

func printBootstrapToken(io stdio, token, listen string) {
	fmt.Fprintf(io.out, `
keyhold initialized a new organization. This is the first admin's personal
access token. It is shown only this once; keyhold keeps only its digest.

    %s

Try it:

    curl -H "Authorization: Bearer %s" http://%s/v3/users/me

`, token, token, listen)
}

// parsePrefixes reads comma-separated CIDRs or single addresses.
func parsePrefixes(flag, s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is neither a CIDR nor an address", flag, part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// loadCatalogue returns Konnect's catalogue, extended by a roles file.
func loadCatalogue(path string) (*keyhold.Catalogue, error) {
	if path == "" {
		return keyhold.DefaultCatalogue(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--roles-file: %w", err)
	}
	defer f.Close()
	custom, err := keyhold.ParseCustomRoles(f)
	if err != nil {
		return nil, fmt.Errorf("--roles-file %s: %w", path, err)
	}
	return keyhold.NewCatalogue(custom)
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
