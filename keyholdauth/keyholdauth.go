// Package keyholdauth protects the HTTP handlers of a downstream service
// with keyhold: each request's Authorization header is sent to keyhold's
// decision surface, GET /v1/authorize, which authenticates the token and,
// when asked, checks one role on one entity.
//
// The package imports only the standard library, so that a service using
// it inherits none of keyhold's dependencies.
//
// # Usage
//
//	auth, err := keyholdauth.New(keyholdauth.Config{
//		URL:          os.Getenv("KEYHOLD_URL"),
//		MaxStaleness: 30 * time.Second,
//		Permission: func(r *http.Request) *keyholdauth.Permission {
//			return &keyholdauth.Permission{
//				RoleName:       "Viewer",
//				EntityTypeName: "Control Planes",
//				EntityID:       r.PathValue("id"),
//				EntityRegion:   "eu",
//			}
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	mux.Handle("GET /control-planes/{id}/reports", auth.Middleware(http.HandlerFunc(
//		func(w http.ResponseWriter, r *http.Request) {
//			p, _ := keyholdauth.FromContext(r.Context())
//			fmt.Fprintf(w, "hello, %s\n", p.Name)
//		})))
//
// Wrap each route's handler rather than the whole mux when the permission
// depends on path wildcards: r.PathValue is filled in only once the mux has
// matched the route.
//
// The directory example holds a complete program built this way: a
// service that serves /control-planes/{id}/reports to principals holding
// Viewer on that control plane, in the region given by its -region flag,
// with keyhold's address read from KEYHOLD_URL.
//
// # Outcomes
//
// The middleware lets a request through only when keyhold answers 200.
// keyhold's 401 and 403 answers reach the client unchanged (status and
// application/problem+json body). A request without an Authorization
// header is refused with 401 without asking keyhold. When keyhold cannot
// be reached, or answers anything else, the request is refused with 502:
// the middleware fails closed. A 400 from keyhold means that the
// service's Permission names an unknown role, entity type or region; the
// client is then refused with 500, since the fault is the service's.
//
// # Staleness
//
// With Config.MaxStaleness above zero, allowed (200) and forbidden (403)
// verdicts are reused for that long. MaxStaleness is the staleness bound:
// a token that is deleted, revoked or expires, or a role that is removed,
// keeps working downstream for at most MaxStaleness, and a role that is
// granted may take as long to be honoured. With MaxStaleness zero, every
// request asks keyhold. Refusals for bad credentials (401) and errors are
// never reused.
package keyholdauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Config configures an Authenticator.
type Config struct {
	// URL is keyhold's base URL, such as https://keyhold.internal:8080.
	URL string
	// Client sends the requests to keyhold. The default has a 5s timeout
	// and follows no redirects.
	Client *http.Client
	// MaxStaleness is how long a verdict may be reused: the longest time a
	// deleted or revoked token keeps working downstream. Zero never reuses
	// a verdict.
	MaxStaleness time.Duration
	// MaxEntries bounds the number of cached verdicts; the default is
	// 10000.
	MaxEntries int
	// Permission returns the role a request needs. A nil func, or a nil
	// result, asks keyhold for authentication only.
	Permission func(*http.Request) *Permission
	// ClientIP, when set, returns the address of the request's client. It
	// is sent to keyhold as X-Forwarded-For, so that tokens bound to
	// client networks are judged by their client's address, and it is part
	// of the cache key. keyhold honours it only when this service's
	// address is among keyhold's --trusted-proxies. Without it, keyhold
	// sees this service's address.
	ClientIP func(*http.Request) string
	// OnError, when set, writes the response for every request that is
	// not let through, in place of WriteError. err is an *Error (see
	// ErrUnauthenticated, ErrForbidden and ErrInvalidPermission) or wraps
	// ErrUnavailable. If OnError writes nothing, WriteError's answer is
	// sent, so that a refused request never looks like a success.
	OnError func(w http.ResponseWriter, r *http.Request, err error)
}

// Permission is one role on one entity, by the names keyhold's API uses,
// for example Viewer on "Control Planes" entity "*" in region "eu".
type Permission struct {
	RoleName       string
	EntityTypeName string
	EntityID       string
	EntityRegion   string
}

// Principal is the authenticated caller, as keyhold identified it.
type Principal struct {
	// Type is "system_account" or "user".
	Type string
	// ID is the account's or user's id.
	ID string
	// Name is the account's name or the user's email.
	Name string
	// TokenID is the id of the token used, never its value.
	TokenID string
}

type principalKey struct{}

// FromContext returns the principal that the middleware stored in the
// context of an allowed request.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// NewContext returns a copy of ctx carrying p, for tests of handlers that
// read FromContext.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Authenticator asks keyhold for decisions and caches them. It is safe
// for concurrent use.
type Authenticator struct {
	endpoint   *url.URL
	client     *http.Client
	permission func(*http.Request) *Permission
	clientIP   func(*http.Request) string
	onError    func(http.ResponseWriter, *http.Request, error)
	cache      *cache // nil when MaxStaleness is zero
}

// defaultMaxEntries bounds the cache when Config.MaxEntries is zero.
const defaultMaxEntries = 10000

// New returns an Authenticator for c. It fails on a URL that is not an
// absolute http or https URL, and on negative MaxStaleness or MaxEntries.
func New(c Config) (*Authenticator, error) {
	base, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("keyholdauth: URL: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("keyholdauth: URL %q: want an absolute http or https URL", c.URL)
	}
	if c.MaxStaleness < 0 || c.MaxEntries < 0 {
		return nil, errors.New("keyholdauth: MaxStaleness and MaxEntries may not be negative")
	}
	a := &Authenticator{
		endpoint:   base.JoinPath("v1", "authorize"),
		client:     c.Client,
		permission: c.Permission,
		clientIP:   c.ClientIP,
		onError:    c.OnError,
	}
	a.endpoint.RawQuery, a.endpoint.Fragment = "", ""
	if a.client == nil {
		a.client = defaultClient()
	}
	if c.MaxStaleness > 0 {
		n := c.MaxEntries
		if n == 0 {
			n = defaultMaxEntries
		}
		a.cache = newCache(c.MaxStaleness, n)
	}
	return a, nil
}

// defaultClient has timeouts, keeps enough idle connections for a busy
// service, and does not follow redirects: keyhold answers decisions
// directly, so a redirect is an unexpected answer.
func defaultClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = 5 * time.Second
	return &http.Client{
		Transport:     tr,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Check asks keyhold whether authorization, the value of an Authorization
// header ("Bearer spat_…", "Bearer kpat_…" or "Basic …"), authenticates,
// and, when p is not nil, whether its principal holds p. It returns the
// principal, or an error: an *Error that wraps ErrUnauthenticated,
// ErrForbidden (with keyhold's detail) or ErrInvalidPermission, or an
// error wrapping ErrUnavailable and the transport's error. Verdicts may
// come from the cache; see the package documentation on staleness.
func (a *Authenticator) Check(ctx context.Context, authorization string, p *Permission) (*Principal, error) {
	return a.CheckFrom(ctx, authorization, "", p)
}

// CheckFrom is Check for a token used from the client address clientIP
// ("" for none): keyhold judges network-bound tokens by it, provided this
// service is among its trusted proxies (see Config.ClientIP).
func (a *Authenticator) CheckFrom(ctx context.Context, authorization, clientIP string, p *Permission) (*Principal, error) {
	if authorization == "" {
		return nil, errMissing
	}
	if !validHeaderValue(authorization) || !validHeaderValue(clientIP) {
		return nil, errMalformed
	}
	var perm Permission
	if p != nil {
		perm = *p
	}
	if a.cache == nil {
		v, err := a.ask(ctx, authorization, clientIP, perm)
		return v.result(err)
	}
	key := cacheKey(authorization, clientIP, perm)
	if v, ok := a.cache.get(key); ok {
		return v.result(nil)
	}
	v, err := a.ask(ctx, authorization, clientIP, perm)
	if err == nil && v.cacheable() {
		a.cache.put(key, v)
	}
	return v.result(err)
}

// validHeaderValue refuses control characters, which no HTTP request can
// carry and which the client would refuse to send.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
