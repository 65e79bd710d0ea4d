// Package ldapserver is the protocol layer of keyhold's read-only LDAP
// directory (issue 14, docs/ldap.md): it accepts LDAP connections, keeps
// each one's TLS state and bound principal, answers the RootDSE and the
// schema entry, and hands every bind and every search to a
// keyhold.DirectoryService, which decides them. It holds no directory rule
// of its own: which DN binds, which token is good, what a search sees are
// the service's.
//
// The BER codec and the connection loop are github.com/jimlambrt/gldap,
// patched (third_party/gldap/KEYHOLD.md). Only gldap.go touches it; the
// rules here see a library-neutral conn (the connection interface below),
// so that another library can replace it.
package ldapserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// DefaultIdleTimeout is how long a connection may wait for its next
// request before it is closed.
const DefaultIdleTimeout = 5 * time.Minute

// ReadOnlyMessage answers every write operation.
const ReadOnlyMessage = "keyhold's directory is read-only; change secrets through the API"

// LDAP result codes (RFC 4511, 4.1.9) the layer answers with.
const (
	ResultSuccess                 = 0
	ResultOperationsError         = 1
	ResultProtocolError           = 2
	ResultSizeLimitExceeded       = 4
	ResultAuthMethodNotSupported  = 7
	ResultUnavailableCritical     = 12
	ResultConfidentialityRequired = 13
	ResultNoSuchObject            = 32
	ResultInvalidDNSyntax         = 34
	ResultInvalidCredentials      = 49
	ResultInsufficientAccess      = 50
	ResultBusy                    = 51
	ResultUnavailable             = 52
	ResultUnwillingToPerform      = 53
	ResultOther                   = 80
)

// OIDs the directory announces in its RootDSE.
const (
	OIDPagedResults = "1.2.840.113556.1.4.319"
	OIDStartTLS     = "1.3.6.1.4.1.1466.20037"
	OIDWhoAmI       = "1.3.6.1.4.1.4203.1.11.3"
)

// SubschemaDN is the DN of the schema entry (RFC 4512, 4.2).
const SubschemaDN = "cn=Subschema"

// Config configures a Server.
type Config struct {
	// Service decides binds and searches.
	Service keyhold.DirectoryService
	// Base is the directory's base DN, announced as namingContexts;
	// default keyhold.DefaultDirectoryBase.
	Base string
	// TLS serves StartTLS on Serve's connections and implicit TLS on
	// ServeTLS's; nil offers neither. Its GetCertificate is the caller's
	// (internal/tlsfiles.Reloader.Config), so a reload reaches new
	// handshakes.
	TLS *tls.Config
	// AllowPlaintextLoopback lets a client on a loopback address bind
	// without TLS; for tests only.
	AllowPlaintextLoopback bool
	// IdleTimeout closes a connection that sends nothing for this long;
	// default DefaultIdleTimeout.
	IdleTimeout time.Duration
	Logger      *slog.Logger
}

// Server serves the directory on the listeners it is given.
type Server struct {
	cfg Config
	log *slog.Logger
	// ctx is the parent of every call's context; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	endpoints map[*endpoint]struct{}
	conns     map[net.Conn]struct{}
}

// New returns a Server; nothing is served until Serve or ServeTLS.
func New(c Config) *Server {
	if c.Base == "" {
		c.Base = keyhold.DefaultDirectoryBase
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil {
		c.TLS = c.TLS.Clone()
		// The HTTP server's configuration offers h2 and http/1.1; neither
		// is LDAP.
		c.TLS.NextProtos = nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: c, log: c.Logger, ctx: ctx, cancel: cancel,
		endpoints: map[*endpoint]struct{}{}, conns: map[net.Conn]struct{}{}}
}

// ErrServerClosed is returned by Serve and ServeTLS after Close.
var ErrServerClosed = errors.New("ldapserver: server closed")

// Serve serves ldap:// on ln, with StartTLS when the Config has TLS,
// until Close; it then returns ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error { return s.serve(ln, false) }

// ServeTLS serves ldaps:// (TLS from the first byte) on ln until Close.
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.cfg.TLS == nil {
		return errors.New("ldapserver: ServeTLS needs a TLS configuration")
	}
	return s.serve(ln, true)
}

func (s *Server) serve(ln net.Listener, implicitTLS bool) error {
	e, err := newEndpoint(s, implicitTLS)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.endpoints[e] = struct{}{}
	s.mu.Unlock()
	err = e.serve(&trackingListener{Listener: ln, s: s})
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrServerClosed
	}
	return err
}

// Close stops every listener and closes every connection; calls in flight
// see their context cancelled.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	eps := make([]*endpoint, 0, len(s.endpoints))
	for e := range s.endpoints {
		eps = append(eps, e)
	}
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	s.cancel()
	var errs []error
	for _, e := range eps {
		errs = append(errs, e.stop())
	}
	return errors.Join(errs...)
}

// trackingListener remembers the connections it accepts, so that Close
// can close them: a connection idle in a read would otherwise hold the
// library's shutdown until its idle timeout.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	if l.s.closed {
		l.s.mu.Unlock()
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// connection is what the rules need to know of a client connection,
// whatever library reads it.
type connection interface {
	RemoteAddr() net.Addr
	// IsTLS is true once the connection is encrypted: LDAPS, or after
	// StartTLS completed.
	IsTLS() bool
}

// session is one connection's state: the principal it is bound as (nil:
// anonymous). Requests of one connection may run concurrently, hence the
// lock.
type session struct {
	mu        sync.Mutex
	principal *keyhold.Principal
}

func (ss *session) get() *keyhold.Principal {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.principal
}

func (ss *session) set(p *keyhold.Principal) {
	ss.mu.Lock()
	ss.principal = p
	ss.mu.Unlock()
}

// result is an LDAP result: its code and diagnostic message.
type result struct {
	code int
	msg  string
}

// context returns the context of one call from c: the client's address,
// user agent "ldap", a new request id, and the bound principal if any.
func (s *Server) context(c connection, p *keyhold.Principal) context.Context {
	ctx := keyhold.NewContextWithRequest(s.ctx, keyhold.RequestInfo{
		RequestID: newRequestID(), ClientIP: peerIP(c.RemoteAddr()), UserAgent: "ldap"})
	if p != nil {
		ctx = keyhold.NewContextWithPrincipal(ctx, p)
	}
	return ctx
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// peerIP is the address of a client as text, without its port; an IPv4
// address mapped in IPv6 is written as IPv4.
func peerIP(a net.Addr) string {
	if a == nil {
		return ""
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func isLoopback(a net.Addr) bool {
	ip, err := netip.ParseAddr(peerIP(a))
	return err == nil && ip.IsLoopback()
}

// bind decides a simple bind: anonymous (empty DN and password) always
// succeeds and leaves the connection anonymous; anything else needs an
// encrypted connection (or the loopback exception) and the service's yes.
// Whatever fails leaves the connection anonymous.
func (s *Server) bind(c connection, ss *session, dn, password string) result {
	if dn == "" && password == "" {
		ss.set(nil)
		return result{code: ResultSuccess}
	}
	plaintextAllowed := s.cfg.AllowPlaintextLoopback && isLoopback(c.RemoteAddr())
	if !c.IsTLS() && !plaintextAllowed {
		ss.set(nil)
		return result{code: ResultConfidentialityRequired, msg: "bind needs TLS: use StartTLS or ldaps://"}
	}
	if password == "" {
		// RFC 4513, 5.1.2: an unauthenticated bind (a DN without a
		// password) is refused rather than treated as anonymous.
		ss.set(nil)
		return result{code: ResultUnwillingToPerform, msg: "unauthenticated bind (a DN without a password) is not allowed"}
	}
	p, err := s.cfg.Service.Bind(s.context(c, nil), dn, password)
	if err != nil {
		ss.set(nil)
		return s.resultOf(err, "bind")
	}
	ss.set(p)
	return result{code: ResultSuccess}
}

// whoAmI is the RFC 4532 answer: "dn:<bound DN>", or empty for anonymous.
func (s *Server) whoAmI(ss *session) string {
	p := ss.get()
	if p == nil {
		return ""
	}
	return "dn:" + s.cfg.Service.BoundDN(p)
}

// searchRequest is a search as the library parsed it.
type searchRequest struct {
	keyhold.DirectorySearch
	TypesOnly bool
	// Paged is true when the client sent the paged-results control.
	Paged bool
}

// search answers a search: the RootDSE and the schema entry here, the
// rest from the service. send writes one entry to the client. It returns
// the result and, for a paged search, the cookie of the next page.
func (s *Server) search(c connection, ss *session, req searchRequest, send func(keyhold.DirectoryEntry) error) (result, []byte) {
	if e, ok := s.ownEntry(req.DirectorySearch); ok {
		if e != nil && matches(req.Filter, e) {
			if err := send(selectAttributes(*e, req.Attributes, req.TypesOnly)); err != nil {
				return result{code: ResultOther, msg: "write failed"}, nil
			}
		}
		return result{code: ResultSuccess}, nil
	}
	if req.Filter == nil {
		return result{code: ResultProtocolError, msg: "missing filter"}, nil
	}
	// Anonymous may read the two entries above and nothing else; the
	// service refuses it too (EUNAUTHENTICATED), which for a search is a
	// matter of rights, not of a failed bind.
	if ss.get() == nil {
		return result{code: ResultInsufficientAccess, msg: "bind first: anonymous may read only the RootDSE and cn=Subschema"}, nil
	}
	res, err := s.cfg.Service.Search(s.context(c, ss.get()), req.DirectorySearch)
	if err != nil {
		return s.resultOf(err, "search"), nil
	}
	for _, e := range res.Entries {
		if req.TypesOnly {
			e = selectAttributes(e, nil, true)
		}
		if err := send(e); err != nil {
			return result{code: ResultOther, msg: "write failed"}, nil
		}
	}
	if res.SizeLimitExceeded {
		return result{code: ResultSizeLimitExceeded}, res.Cookie
	}
	return result{code: ResultSuccess}, res.Cookie
}

// resultOf maps a service error to its LDAP result, per directory.go's
// table. A refused bind never says why.
func (s *Server) resultOf(err error, op string) result {
	switch keyhold.ErrorCode(err) {
	case keyhold.EUNAUTHENTICATED:
		return result{code: ResultInvalidCredentials, msg: "invalid credentials"}
	case keyhold.EFORBIDDEN:
		return result{code: ResultInsufficientAccess, msg: keyhold.ErrorMessage(err)}
	case keyhold.ENOTFOUND:
		return result{code: ResultNoSuchObject, msg: keyhold.ErrorMessage(err)}
	case keyhold.EINVALID:
		for _, f := range keyhold.ErrorFields(err) {
			if f.Field == "dn" || f.Field == "base" || f.Field == "base_dn" {
				return result{code: ResultInvalidDNSyntax, msg: keyhold.ErrorMessage(err)}
			}
		}
		return result{code: ResultProtocolError, msg: keyhold.ErrorMessage(err)}
	case keyhold.ERATELIMITED:
		return result{code: ResultBusy, msg: keyhold.ErrorMessage(err)}
	case keyhold.EUNAVAILABLE:
		return result{code: ResultUnavailable, msg: keyhold.ErrorMessage(err)}
	case keyhold.EUNWILLING:
		return result{code: ResultUnwillingToPerform, msg: keyhold.ErrorMessage(err)}
	}
	if errors.Is(err, context.Canceled) && s.ctx.Err() != nil {
		return result{code: ResultUnavailable, msg: "server stopping"}
	}
	s.log.Error("ldap: "+op+" failed", "err", err.Error())
	return result{code: ResultOther, msg: "internal error"}
}
