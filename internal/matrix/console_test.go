package matrix_test

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold/internal/formnonce"
	"github.com/keyhold/keyhold/internal/matrix"
)

// Who may open what in the console: the same policy as the API's,
// through the signed-in user's session. A page that only shows a form
// follows the permission of the action it leads to.
var (
	cValid    = []string{orgAdmin, orgAdminRO, analyticsViewer, cpViewer, identityAdmin, auditAdmin, introspector, plainUser}
	cEveryone = concat(cValid, []string{anon, deactivatedUser, expiredSession})
	cIDRead   = []string{orgAdmin, orgAdminRO, identityAdmin}
	cIDWrite  = []string{orgAdmin, identityAdmin}
	cOrgAdmin = []string{orgAdmin}
	cAudit    = []string{orgAdmin, orgAdminRO, identityAdmin, auditAdmin}
	// cManagers: the console's managed accounts are made by the Identity
	// Admin user, with their personal access token.
	cManagers = []string{identityAdmin}
	// cSignedIn run the rows where a user acts on their own tokens.
	cSignedIn = concat(cValid, []string{deactivatedUser, expiredSession})
)

// consoleCase is one row of the console's matrix and how to call it.
type consoleCase struct {
	matrix.Row
	call func(k *consoleCell) consoleReq
}

func page(method, path, target string, allow []string, call func(k *consoleCell) consoleReq) consoleCase {
	return consoleCase{Row: matrix.Row{Route: matrix.Route{Method: method, Path: path}, Target: target, Allow: allow}, call: call}
}

func (c consoleCase) only(callers []string) consoleCase { c.Only = callers; return c }

// consoleReq is a request a row makes; the method is the row's.
type consoleReq struct {
	path string
	form url.Values
	// public forms carry the pre-session's token, not the session's.
	public bool
	// session replaces the caller's own, for a case that ends it.
	session string
	// passed is the status that shows the request was let through when
	// it is not a success: a form built to stop at a field check.
	passed int
}

type consoleCell struct {
	*world
	c       *consoleCaller
	key     string
	allowed bool
}

func (k *consoleCell) fresh(mk func() string) string { return sharedFor(k.world, k.allowed, k.key, mk) }

func (k *consoleCell) fresh2(mk func() [2]string) [2]string {
	return sharedFor(k.world, k.allowed, k.key, mk)
}

func show(path string) func(*consoleCell) consoleReq {
	return func(*consoleCell) consoleReq { return consoleReq{path: path} }
}

// consoleCases is every row of the console.
func consoleCases() []consoleCase {
	cs := []consoleCase{
		page("GET", "/ui/static/", "", cEveryone, show("/ui/static/app.css")),
		page("GET", "/ui/signin", "", cEveryone, show("/ui/signin")),
		page("POST", "/ui/signin", "", cEveryone, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/signin", public: true, form: url.Values{"email": {k.signInUser()}, "password": {matrixPassword}}}
		}),
		page("GET", "/ui/setup", "", cEveryone, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/setup?token=" + url.QueryEscape(k.setupSecret())}
		}),
		// Setting the password hashes it with argon2id, over a second under
		// -race: the form is sent with two passwords that differ, which the
		// handler answers with 400 after it has accepted the link.
		page("POST", "/ui/setup", "", cEveryone, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/setup", public: true, passed: http.StatusBadRequest,
				form: url.Values{"token": {k.setupSecret()}, "password": {matrixPassword}, "password_again": {"something else"}}}
		}),
		page("POST", "/ui/signout", "", cValid, func(k *consoleCell) consoleReq {
			r := consoleReq{path: "/ui/signout"}
			if k.allowed {
				r.session = k.signIn(k.c.email)
			}
			return r
		}),
		page("GET", "/ui/", "", cValid, show("/ui/")),
		page("GET", "/ui/me", "", cValid, show("/ui/me")),
		page("POST", "/ui/me/tokens/new", "", cValid, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/me/tokens/new", form: url.Values{"name": {k.name("pat")}, "expiry": {"30d"}}}
		}),
		page("GET", "/ui/me/tokens/{tid}/delete", "", cValid, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/me/tokens/" + k.ownPAT() + "/delete"}
		}),
		page("POST", "/ui/me/tokens/{tid}/delete", "", cValid, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/me/tokens/" + k.ownPAT() + "/delete"}
		}),
		page("GET", "/ui/audit", "", cAudit, show("/ui/audit")),
		page("GET", "/ui/policy", "", cValid, show("/ui/policy")),
		page("POST", "/ui/policy", "", cIDWrite, func(k *consoleCell) consoleReq {
			p := k.policy()
			f := url.Values{"max_lifetime_days": {days(p["max_lifetime_seconds"])}, "default_lifetime_days": {days(p["default_lifetime_seconds"])}}
			if p["allow_non_expiring"] == true {
				f.Set("allow_non_expiring", "on")
			}
			return consoleReq{path: "/ui/policy", form: f}
		}),
	}
	cs = append(cs, consoleAccountCases()...)
	cs = append(cs, consoleTeamCases()...)
	cs = append(cs, consoleWebhookCases()...)
	cs = append(cs, consoleUserCases()...)
	return append(cs, consoleHolderCases()...)
}

func days(seconds any) string {
	f, _ := seconds.(float64)
	return strconv.Itoa(int(f) / 86400)
}

// runConsole opens every row as every caller it applies to.
func runConsole(x *world, cases []consoleCase, callers []*consoleCaller) map[matrix.Cell]matrix.Outcome {
	out := map[matrix.Cell]matrix.Outcome{}
	for _, cs := range cases {
		for _, c := range callers {
			if !cs.AppliesTo(c.name) {
				continue
			}
			k := &consoleCell{world: x, c: c, key: cs.Key(), allowed: cs.Want(c.name) == matrix.Allow}
			r := cs.call(k)
			session, token := c.session, c.csrf
			if r.session != "" {
				session, token = r.session, x.csrf(r.session)
			}
			if r.public {
				token = c.pre
			}
			var cookies []string
			if session != "" {
				cookies = append(cookies, "keyhold_session="+session)
			}
			cookies = append(cookies, "keyhold_presession="+c.pre)
			hdr := http.Header{"Cookie": {strings.Join(cookies, "; ")}}
			var body io.Reader
			if cs.Method == http.MethodPost {
				f := url.Values{}
				for k, v := range r.form {
					f[k] = v
				}
				f.Set("csrf", token)
				// As the form's page gives it: a form that mints carries
				// its one-time nonce, which other forms ignore.
				f.Set(formnonce.Field, formnonce.New(formnonce.Key(session), r.path, x.e.Clock.Now()))
				body = strings.NewReader(f.Encode())
				hdr.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			o := consoleOutcome(x.send(cs.Method, r.path, hdr, body), r.passed)
			if o.Got == matrix.Allow && !k.allowed {
				delete(x.shared, k.key)
			}
			out[matrix.Cell{Row: cs.Key(), Caller: c.name}] = o
		}
	}
	return out
}

var (
	headingRE = regexp.MustCompile(`(?s)<h1>(.*?)</h1>`)
	alertRE   = regexp.MustCompile(`(?s)role="alert"><p>(.*?)</p>`)
)

// consoleOutcome reads a decision from a page. Refused is a redirect to
// the sign-in page (no session) or 401 and 403; a 403 for a form's token
// is no decision about the caller but a case built badly.
func consoleOutcome(r reply, passed int) matrix.Outcome {
	o := matrix.Outcome{Status: r.status, Got: matrix.Other}
	if m := headingRE.FindSubmatch(r.body); m != nil {
		o.Detail = html.UnescapeString(string(bytes.TrimSpace(m[1])))
		if a := alertRE.FindSubmatch(r.body); a != nil {
			o.Detail += ": " + html.UnescapeString(string(bytes.TrimSpace(a[1])))
		}
	}
	loc := r.header.Get("Location")
	switch {
	case r.status == http.StatusSeeOther && (loc == "/ui/signin" || strings.HasPrefix(loc, "/ui/signin?next=")):
		o.Got, o.Detail = matrix.Deny, "to "+loc
	case r.status == http.StatusForbidden && strings.HasPrefix(o.Detail, "Form expired"):
		o.Detail = "the form's CSRF token was refused: " + o.Detail
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		o.Got = matrix.Deny
	case r.status >= 200 && r.status < 400 || r.status == passed:
		o.Got = matrix.Allow
		if loc != "" {
			o.Detail = "to " + loc
		}
	}
	return o
}
