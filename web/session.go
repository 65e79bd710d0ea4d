package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/formnonce"
)

// Cookie names. The session cookie holds the session's secret; the
// pre-session cookie protects the sign-in and setup forms against login
// CSRF before any session exists.
const (
	sessionCookie    = "keyhold_session"
	preSessionCookie = "keyhold_presession"
	csrfField        = "csrf"
	maxFormBytes     = 64 << 10
)

// handlerFunc serves one page; a returned error becomes an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// call is what a handler knows about its request beyond *http.Request.
type call struct {
	// Principal is the signed-in user; nil on public pages.
	Principal *keyhold.Principal
	// CSRF is the token every form of the page must carry.
	CSRF string
	// nonceKey signs the one-time nonces of the page's minting forms; nil
	// on public pages.
	nonceKey []byte
}

// route is one page: a method and path pattern with the permission it
// needs, as httpapi's route table has them.
type route struct {
	pattern string
	// op is the service operation the route performs or leads to, or
	// public or authn.
	op string
	h  handlerFunc
}

func newRandom() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// csrfFor derives a session's CSRF token from its secret, so that any
// replica can check it and the database never holds it.
func csrfFor(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("keyhold console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		ctx := keyhold.NewContextWithRequest(r.Context(), keyhold.RequestInfo{
			RequestID: newRandom()[:16], ClientIP: s.clients.Of(r), UserAgent: r.UserAgent()})
		r = r.WithContext(ctx)
		c := &call{}
		if rt.op == public {
			c.CSRF = s.preSession(w, r)
		} else {
			ck, err := r.Cookie(sessionCookie)
			if err != nil {
				s.toSignIn(w, r)
				return
			}
			_, p, err := s.svc.Sessions.Session(ctx, ck.Value)
			if err != nil {
				if keyhold.ErrorCode(err) == keyhold.EUNAUTHENTICATED {
					s.clearCookie(w, r, sessionCookie)
					s.toSignIn(w, r)
					return
				}
				s.fail(w, r, c, err)
				return
			}
			c.Principal, c.CSRF, c.nonceKey = p, csrfFor(ck.Value), formnonce.Key(ck.Value)
			r = r.WithContext(keyhold.NewContextWithPrincipal(ctx, p))
		}
		if r.Method == http.MethodPost && !s.csrfOK(r, c.CSRF) {
			s.render(w, r, c, http.StatusForbidden, "error.html", errorPage{Title: "Form expired",
				Message: "This form was not sent by this console, or it has expired. Go back, reload the page and try again."})
			return
		}
		// A page that shows a form, or what a user may not read, is
		// refused by the operation's row of the service's table. A form's
		// POST is refused by the operation itself, which audits it.
		if r.Method == http.MethodGet && rt.op != public && rt.op != authn {
			// The console's pages act on others: its user's own tokens are
			// under /ui/me, open to any signed-in user, where the
			// operation's owner rule decides.
			self := strings.HasPrefix(rt.pattern, "GET /ui/me/")
			if err := s.svc.Auth.May(r.Context(), rt.op, self); err != nil {
				s.fail(w, r, c, err)
				return
			}
		}
		if err := rt.h(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	})
}

// csrfOK checks a form's token in constant time, and that a browser that
// names the form's origin names this server.
func (s *Server) csrfOK(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != s.origin {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.PostFormValue(csrfField)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// preSession returns the pre-session token of the browser, setting one
// when it has none.
func (s *Server) preSession(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 64 {
		return ck.Value
	}
	v := newRandom()
	http.SetCookie(w, s.cookie(r, preSessionCookie, v, 0))
	if r.Method == http.MethodPost {
		return "" // a POST without the cookie cannot carry its token
	}
	return v
}

func (s *Server) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/ui/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode}
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, s.cookie(r, name, "", -1))
}

func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request) {
	next := ""
	if r.Method == http.MethodGet {
		next = "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, "/ui/signin"+next, http.StatusSeeOther)
}

// safeNext returns a local console path to go to after sign-in.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") &&
		!strings.HasPrefix(next, "/ui/signin") {
		return next
	}
	return "/ui/accounts"
}
