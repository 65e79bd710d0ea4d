package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/checkpoint"
	"github.com/keyhold/keyhold/internal/cmdenv"
	"github.com/keyhold/keyhold/internal/gctune"
	"github.com/keyhold/keyhold/internal/server"
	"github.com/keyhold/keyhold/internal/tlsfiles"
	"github.com/keyhold/keyhold/metrics"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
)

type serveFlags struct {
	db, listen, adminEmail, orgName, trustedProxies, webhookNetworks, logLevel, rolesFile, secretKeyFile string
	publicURL                                                                                            string
	config, tlsCert, tlsKey, dbPasswordFile                                                              string
	tlsReloadInterval                                                                                    time.Duration
	printConfig                                                                                          bool
	sessionTTL                                                                                           time.Duration
	authFailureLimit                                                                                     int
	shutdownTimeout, readyInterval, jobTick, jobPeriod, lastUseResolution                                time.Duration
	posix                                                                                                posixStarts
	ldapListen, ldapsListen, ldapBase, ldapPeopleRDN                                                     string
	ldapPlaintextLoopback                                                                                bool
}

func serveCommand(io stdio, h *hooks) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the keyhold server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.printConfig {
				return printConfig(io, cmd)
			}
			return serve(cmd.Context(), f, io, h)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, cmdenv.ConfigFlag, "", "YAML file of settings keyed by flag name (e.g. listen: 0.0.0.0:8443); flags and KEYHOLD_<FLAG> variables win over it")
	fl.BoolVar(&f.printConfig, "print-config", false, "print the effective settings, where each came from, with secrets masked, and exit without opening the database")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM file of the server certificate (and its chain); with --tls-key, serve HTTPS only")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM file of the certificate's private key")
	fl.DurationVar(&f.tlsReloadInterval, "tls-reload-interval", tlsfiles.DefaultInterval, "how often to look for new --tls-cert and --tls-key files (SIGHUP reloads at once; 0: only on SIGHUP)")
	fl.StringVar(&f.dbPasswordFile, "db-password-file", "", dbPasswordFileUsage)
	fl.StringVar(&f.db, "db", cmdenv.DefaultDB, "database: sqlite:PATH, a bare path, or postgres://…")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.adminEmail, "admin-email", "admin@localhost", "email of the first admin, used when the database is empty")
	fl.StringVar(&f.orgName, "org-name", "keyhold", "name of the organization, used when the database is empty")
	fl.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs or addresses whose X-Forwarded-For is honoured")
	fl.StringVar(&f.webhookNetworks, "webhook-allow-networks", "", "comma-separated CIDRs or addresses of non-public networks (loopback, private, link-local) webhook deliveries may reach; public addresses are always allowed")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.IntVar(&f.authFailureLimit, "auth-failure-limit", 100, "failed authentications per client address and minute, over all replicas, before 429 (negative: no limit)")
	fl.StringVar(&f.rolesFile, "roles-file", "", "JSON file of the organization's own entity types and roles (docs/authorization.md)")
	fl.StringVar(&f.secretKeyFile, "secret-key-file", "", "file of 32 random bytes (base64 or hex, mode 0600) that seals the audit log's signing keys and webhook signing secrets; every replica needs the same one (default: secret.key beside a SQLite database, created on first start; required with PostgreSQL)")
	fl.StringVar(&f.publicURL, "public-url", "", "URL at which browsers reach this server, e.g. https://keyhold.example.com; builds the first admin's setup link and, when https, marks console cookies Secure (default http://LISTEN, or https://LISTEN with --tls-cert)")
	fl.DurationVar(&f.sessionTTL, "session-ttl", 12*time.Hour, "how long a console sign-in lasts")
	fl.DurationVar(&f.readyInterval, "readiness-interval", 5*time.Second, "how often /readyz re-checks that the schema matches this binary")
	fl.DurationVar(&f.jobTick, "job-tick", 15*time.Second, "how often this replica tries to claim background jobs")
	fl.DurationVar(&f.jobPeriod, "job-period", time.Minute, "how often the expiry sweep runs across all replicas (the change-feed pruning runs every 10 periods)")
	fl.DurationVar(&f.lastUseResolution, "last-use-resolution", service.DefaultLastUseResolution, "how often, at most, one token's last_used_at is written (it may be twice this plus 30 s stale)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let requests finish on SIGTERM")
	posixFlags(fl, &f.posix)
	fl.StringVar(&f.ldapListen, "ldap-listen", "", "address of the read-only LDAP directory, ldap:// with StartTLS (docs/ldap.md); off when empty; needs --tls-cert")
	fl.StringVar(&f.ldapsListen, "ldaps-listen", "", "address of the LDAP directory over implicit TLS, ldaps://; off when empty; needs --tls-cert")
	fl.StringVar(&f.ldapBase, "ldap-base", keyhold.DefaultDirectoryBase, "base DN of the LDAP directory")
	fl.StringVar(&f.ldapPeopleRDN, "ldap-people-rdn", "cn", "attribute that names people's directory entries, <attr>=<email>,ou=people,<base>: cn, uid or mail")
	fl.BoolVar(&f.ldapPlaintextLoopback, "ldap-allow-plaintext-loopback", false, "let LDAP clients on a loopback address bind without TLS (tests only)")
	return cmd
}

func serve(ctx context.Context, f serveFlags, io stdio, h *hooks) (err error) {
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
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither")
	}
	if err := checkLDAPFlags(f); err != nil {
		return err
	}
	var certs *tlsfiles.Reloader
	if f.tlsCert != "" {
		if certs, err = tlsfiles.Load(f.tlsCert, f.tlsKey, log); err != nil {
			return fmt.Errorf("--tls-cert, --tls-key: %w", err)
		}
	}
	password, err := loadDBPassword(f.dbPasswordFile, f.db)
	if err != nil {
		return err
	}
	key, err := secretKey(f.secretKeyFile, f.db, log)
	if err != nil {
		return err
	}
	db, err := store.OpenMigrated(ctx, f.db, store.Options{Password: password})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("refusing to serve: %w", err)
	}
	if err := raisePOSIXCounters(ctx, db, f.posix); err != nil {
		return err
	}
	publicURL, err := consoleURL(f.publicURL, f.listen, certs != nil)
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if certs != nil {
		tlsConfig = certs.Config()
	}
	obs := metrics.New()
	if certs != nil {
		obs.TLS(func() (time.Time, int64, int64) { return certs.Certificate().NotAfter, certs.Loads(), certs.Failures() })
	}
	m := server.New(server.Config{TLS: tlsConfig,
		LDAP: server.LDAPConfig{Listen: f.ldapListen, ListenTLS: f.ldapsListen, Base: f.ldapBase, TLS: tlsConfig,
			AllowPlaintextLoopback: f.ldapPlaintextLoopback},
		DB: db, Logger: log, Metrics: obs, TrustedProxies: proxies, Listen: f.listen, ShutdownTimeout: f.shutdownTimeout,
		Ready: (&readiness{db: db, log: log, interval: f.readyInterval}).Ready,
		Service: service.Config{Catalogue: cat, LastUseResolution: f.lastUseResolution,
			Decider:   service.DeciderConfig{AuthFailureLimit: f.authFailureLimit},
			Directory: service.DirectoryConfig{Base: f.ldapBase, PeopleRDN: f.ldapPeopleRDN},
			Jobs:      service.JobConfig{Tick: f.jobTick, Period: f.jobPeriod},
			Webhooks:  service.WebhookConfig{SecretKey: key, Networks: hookNets},
			Sessions:  service.SessionConfig{TTL: f.sessionTTL},
			AuditLog:  service.AuditLogConfig{Origin: auditOrigin(f.publicURL), ExportHost: exportHost(f.publicURL)}},
		PublicURL: publicURL,
	})
	if err := bootstrap(ctx, m.Service, f, io, publicURL); err != nil {
		return err
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	// Loading a large index scans millions of rows; hand what the scan
	// left behind back to the system, so that the resident size is the
	// index's, not the load's high-water mark.
	debug.FreeOSMemory()
	// From here on the live heap is mostly the index; let a fixed headroom
	// of request garbage build up between GC cycles while it is small.
	defer gctune.Start(gctune.DefaultHeadroom)()
	if certs != nil {
		stopReload := watchCertificates(ctx, certs, f.tlsReloadInterval, h)
		defer stopReload()
	}
	log.Info("listening", "addr", m.Addr().String(), "db", db.Dialect(), "tls", certs != nil)
	if h.onLDAPListen != nil {
		for _, scheme := range []string{"ldap", "ldaps"} {
			if a := m.LDAPAddr(scheme); a != nil {
				h.onLDAPListen(scheme, a)
			}
		}
	}
	if h.onListen != nil {
		h.onListen(m.Addr())
	}
	select {
	case err = <-m.Served():
		_ = m.Close()
	case <-ctx.Done():
		log.Info("shutting down")
		err = m.Close() // flushes last-used times and failure counts
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// bootstrap creates the organization and its first admin in an empty
// database, and prints the admin's token and setup link once: they are
// their only copies, so a failed write fails it.
func bootstrap(ctx context.Context, svc *service.Service, f serveFlags, io stdio, publicURL string) error {
	tok, err := svc.Orgs.Bootstrap(service.AsSystem(ctx), service.BootstrapInput{OrgName: f.orgName, AdminEmail: f.adminEmail})
	switch {
	case err == nil:
		if err := printBootstrapToken(io, tok.Value, f.listen, f.tlsCert != ""); err != nil {
			return fmt.Errorf("bootstrap: print the admin's token: %w", err)
		}
		setup, err := svc.Sessions.CreateSetupLink(service.AsSystem(ctx), f.adminEmail, 0)
		if err != nil {
			return fmt.Errorf("bootstrap: setup link: %w", err)
		}
		if err := printSetupLink(io, publicURL, setup); err != nil {
			return fmt.Errorf("bootstrap: print the setup link: %w", err)
		}
	case keyhold.ErrorCode(err) != keyhold.ECONFLICT:
		return fmt.Errorf("bootstrap: %w", err)
	}
	return nil
}

func printBootstrapToken(io stdio, token, listen string, tls bool) error {
	base, cacert := "http://"+listen, ""
	if tls {
		base = "https://" + listen
		cacert = "\n(Add --cacert CA.pem when the certificate comes from a private CA.)\n"
	}
	_, err := fmt.Fprintf(io.out, `
keyhold initialized a new organization. This is the first admin's personal
access token. It is shown only this once; keyhold keeps only its digest.

    %s

Try it:

    curl -H "Authorization: Bearer %s" %s/v3/users/me
%s
`, token, token, base, cacert)
	return err
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
	defer func() { _ = f.Close() }() // read only: the reads report
	custom, err := keyhold.ParseCustomRoles(f)
	if err != nil {
		return nil, fmt.Errorf("--roles-file %s: %w", path, err)
	}
	return keyhold.NewCatalogue(custom)
}

const dbPasswordFileUsage = "file holding the PostgreSQL password (a trailing newline is dropped), so that it need not be in --db"

// loadDBPassword reads PostgreSQL's password from file, without its
// trailing newline; "" without a file.
func loadDBPassword(file, db string) (string, error) {
	if file == "" {
		return "", nil
	}
	if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
		return "", errors.New("--db-password-file is for PostgreSQL; --db names a SQLite database, which has no password")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--db-password-file: %w", err)
	}
	password := strings.TrimRight(string(data), "\r\n")
	if password == "" {
		return "", fmt.Errorf("--db-password-file %s: the file is empty", file)
	}
	return password, nil
}

// watchCertificates reloads the TLS files when they change (every
// interval; never when it is 0) and on SIGHUP, until the returned function
// is called. Tests deliver "SIGHUP" through h.hup; otherwise the process's
// own SIGHUP is caught, which no longer ends it.
func watchCertificates(ctx context.Context, certs *tlsfiles.Reloader, interval time.Duration, h *hooks) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	hup := h.hup
	if hup == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		wg.Go(func() { <-ctx.Done(); signal.Stop(ch) })
		hup = ch
	}
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = certs.Reload() // a failure is logged; the old pair stays
			}
		}
	})
	if interval > 0 {
		wg.Go(func() { certs.Run(ctx, interval) })
	}
	return func() { cancel(); wg.Wait() }
}

// printConfig prints cmd's effective settings, one a line: name, value,
// and where the value came from (flag, env, file or default). Passwords in
// URLs are masked; the secret files are shown by path, never read. Without
// --secret-key-file the file serve would create or read is shown.
func printConfig(io stdio, cmd *cobra.Command) error {
	w := tabwriter.NewWriter(io.out, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "SETTING\tVALUE\tSOURCE")
	for _, s := range cmdenv.Settings(cmd) {
		v := s.Value
		if s.Name == "secret-key-file" && v == "" {
			v = defaultSecretKeyFile(cmd.Flags().Lookup("db").Value.String())
		}
		if v == "" {
			v = "-"
		}
		_, _ = fmt.Fprintf(w, "%s\t%s\t%s\n", s.Name, v, s.Source)
	}
	return w.Flush()
}

// checkLDAPFlags refuses LDAP settings that cannot serve: the directory
// binds with secrets, so it needs TLS, except plaintext on loopback when
// explicitly allowed (for tests).
func checkLDAPFlags(f serveFlags) error {
	if f.ldapListen == "" && f.ldapsListen == "" {
		return nil
	}
	if !keyhold.ValidPeopleRDN(f.ldapPeopleRDN) {
		return fmt.Errorf("--ldap-people-rdn: want one of %s, got %q", strings.Join(keyhold.PeopleRDNs, ", "), f.ldapPeopleRDN)
	}
	if strings.TrimSpace(f.ldapBase) == "" {
		return errors.New("--ldap-base: give the directory's base DN, e.g. " + keyhold.DefaultDirectoryBase)
	}
	if f.tlsCert != "" {
		return nil
	}
	if f.ldapsListen != "" {
		return errors.New("--ldaps-listen needs --tls-cert and --tls-key")
	}
	if !f.ldapPlaintextLoopback {
		return errors.New("--ldap-listen needs --tls-cert and --tls-key (StartTLS); only tests may use --ldap-allow-plaintext-loopback instead")
	}
	return nil
}

// auditOrigin names the audit log after the host of an explicit
// --public-url, <host>/audit; "" (keyhold/<organization id>) without one.
// It is fixed at the first start: a later --public-url does not rename it.
// exportHost names keyhold in exported CEF entries: --public-url's host
// name, or "" (the default, "keyhold") without one or for one that is not
// a plain host name.
func exportHost(publicURL string) string {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil || !checkpoint.ValidOrigin(u.Hostname()) || strings.ContainsAny(u.Hostname(), "|/") {
		return ""
	}
	return u.Hostname()
}

func auditOrigin(publicURL string) string {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil || u.Host == "" {
		return ""
	}
	if o := u.Host + "/audit"; checkpoint.ValidOrigin(o) {
		return o
	}
	return ""
}
