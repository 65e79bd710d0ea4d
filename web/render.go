package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

// pages holds each page template parsed with the layout.
type pages struct{ byName map[string]*template.Template }

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "never"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return ""
	},
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int64) int64 { return a - b },
	// plural counts: plural 2 "user" "users" is "2 users".
	"plural": plural,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"eq2": func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	// credential and changes show an audit event's (audit.go).
	"credential": credentialOf,
	"changes":    changesOf,
}

func parsePages() *pages {
	ps := &pages{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "parts.html" {
			continue
		}
		ps.byName[base] = template.Must(template.New(base).Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n))
	}
	return ps
}

// view is what the layout renders around a page.
type view struct {
	Title     string
	Principal *keyhold.Principal
	CSRF      string
	Section   string
	Flash     string
	Data      any

	// nonceKey and now make the nonces of minting forms (Nonce).
	nonceKey []byte
	now      time.Time
}

// titled is implemented by page data that names its page.
type titled interface {
	title() (title, section string)
}

// render finds title by a type assertion, which a changed signature would
// silently fail; these fail to compile instead.
var (
	_ titled = accountsPage{}
	_ titled = accountForm{}
	_ titled = accountPage{}
	_ titled = confirmPage{}
	_ titled = signInPage{}
	_ titled = setupPage{}
	_ titled = policyPage{}
	_ titled = errorPage{}
	_ titled = roleForm{}
	_ titled = entityIDsPage{}
	_ titled = teamsPage{}
	_ titled = teamForm{}
	_ titled = teamPage{}
	_ titled = tokenForm{}
	_ titled = mintedPage{}
	_ titled = rotatePage{}
	_ titled = usersPage{}
	_ titled = userForm{}
	_ titled = userPage{}
	_ titled = setupLinkPage{}
	_ titled = mePage{}
	_ titled = auditPage{}
	_ titled = webhooksPage{}
	_ titled = webhookForm{}
	_ titled = webhookSecretPage{}
	_ titled = webhookPage{}
	_ titled = gonePage{}
)

// flashOwner is implemented by page data that shows the flash itself,
// where it can change with what it announces.
type flashOwner interface {
	ownsFlash() bool
}

var _ flashOwner = webhookPage{}

func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, status int, page string, data any) {
	v := view{Principal: c.Principal, CSRF: c.CSRF, Data: data, Flash: flashText(r.URL.Query().Get("done")),
		nonceKey: c.nonceKey, now: s.now()}
	if t, ok := data.(titled); ok {
		v.Title, v.Section = t.title()
	}
	if o, ok := data.(flashOwner); ok && o.ownsFlash() {
		v.Flash = ""
	}
	tpl, ok := s.pages.byName[page]
	if !ok {
		panic("web: no page " + page)
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render page", "page", page, "err", err, "request_id", keyhold.RequestFromContext(r.Context()).RequestID)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorPage is the data of error.html.
type errorPage struct {
	Title   string
	Message string
	Fields  []keyhold.FieldError
	Back    string
	// BackText names the Back link when it goes elsewhere than back.
	BackText string
}

func (e errorPage) title() (string, string) { return e.Title, "" }

var statusOf = map[string]int{
	keyhold.EINVALID: http.StatusBadRequest, keyhold.EUNAUTHENTICATED: http.StatusUnauthorized,
	keyhold.EFORBIDDEN: http.StatusForbidden, keyhold.ENOTFOUND: http.StatusNotFound,
	keyhold.ECONFLICT: http.StatusConflict, keyhold.ETOOLARGE: http.StatusRequestEntityTooLarge,
	keyhold.ERATELIMITED: http.StatusTooManyRequests, keyhold.EUNAVAILABLE: http.StatusServiceUnavailable,
}

var titleOf = map[string]string{
	keyhold.EINVALID: "Check your input", keyhold.EUNAUTHENTICATED: "Sign in again", keyhold.EFORBIDDEN: "Not allowed",
	keyhold.ENOTFOUND: "Not found", keyhold.ECONFLICT: "Conflict", keyhold.ETOOLARGE: "Too large",
	keyhold.ERATELIMITED: "Slow down", keyhold.EUNAVAILABLE: "Unavailable",
}

// fail renders an error page. Errors that are no *keyhold.Error are
// logged with the request id and shown as a generic message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	code := keyhold.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
		s.log.Error("console", "err", err, "path", r.URL.Path, "request_id", keyhold.RequestFromContext(r.Context()).RequestID)
	}
	title := titleOf[code]
	if title == "" {
		title = "Something went wrong"
	}
	msg := keyhold.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		msg = "keyhold could not complete this request. It was logged with request id " +
			keyhold.RequestFromContext(r.Context()).RequestID + "."
	}
	s.render(w, r, c, status, "error.html", errorPage{Title: title, Message: msg, Fields: keyhold.ErrorFields(err), Back: r.Referer()})
}

// form is a submitted form with its errors, for pages that show them next
// to the fields they concern.
type form struct {
	Values url.Values
	// Errors maps a field name to what is wrong with it.
	Errors map[string]string
	// Message is an error that concerns no shown field.
	Message string
}

// newForm copies v, so that a handler may drop values (passwords) from
// what is rendered back without touching the request.
func newForm(v url.Values) *form {
	c := url.Values{}
	for k, xs := range v {
		c[k] = append([]string(nil), xs...)
	}
	return &form{Values: c, Errors: map[string]string{}}
}

// Get returns a submitted value.
func (f *form) Get(k string) string {
	if f == nil || f.Values == nil {
		return ""
	}
	return f.Values.Get(k)
}

// Err returns the error of a field.
func (f *form) Err(k string) string {
	if f == nil {
		return ""
	}
	return f.Errors[k]
}

// Has reports whether a checkbox or option was submitted with value v.
func (f *form) Has(k, v string) bool {
	if f == nil || f.Values == nil {
		return false
	}
	for _, x := range f.Values[k] {
		if x == v {
			return true
		}
	}
	return false
}

// fieldAliases maps the service's field names to the names of form
// fields where they differ.
var fieldAliases = map[string]string{"ttl_seconds": "expires_at", "intent": "expires_at", "overlap_seconds": "overlap",
	"revoke_when_idle_seconds": "revoke_when_idle", "teamID": "team_id", "userId": "member_id", "system_account_id": "account"}

// absorb puts an error from the service on the form: field errors next to
// their fields when the form has them, the rest in Message. It reports
// whether err was one the user can fix (anything but an internal error).
func (f *form) absorb(err error, shown ...string) bool {
	code := keyhold.ErrorCode(err)
	// A refusal is no mistake in the form: it gets the "Not allowed" page,
	// whose message names what the user lacks.
	if _, ok := statusOf[code]; !ok || code == keyhold.EFORBIDDEN || code == keyhold.EUNAUTHENTICATED {
		return false
	}
	var rest []string
	for _, fe := range keyhold.ErrorFields(err) {
		name := fe.Field
		if a, ok := fieldAliases[name]; ok {
			name = a
		}
		if idx := strings.Index(name, "["); idx >= 0 {
			name = name[:idx]
		}
		if contains(shown, name) {
			f.Errors[name] = joinReason(f.Errors[name], fieldReason(fe))
		} else {
			rest = append(rest, fe.Field+": "+fieldReason(fe))
		}
	}
	msg := keyhold.ErrorMessage(err)
	if len(rest) > 0 {
		msg = strings.TrimSpace(msg + " " + strings.Join(rest, "; "))
	}
	if msg != "" || len(f.Errors) == 0 {
		f.Message = msg
	}
	if f.Message == "" && len(f.Errors) == 0 {
		f.Message = "The request was refused."
	}
	return true
}

func fieldReason(fe keyhold.FieldError) string {
	r := fe.Reason
	// A lifetime's limits come in seconds; a person reads them in days.
	bound := func(n int64) string { return strconv.FormatInt(n, 10) }
	if fe.Field == "expires_at" || strings.HasSuffix(fe.Field, "_seconds") {
		bound = func(n int64) string { return lifetime(time.Duration(n) * time.Second) }
	}
	if fe.Maximum != nil && strings.Contains(fe.Rule, "max") {
		r += " (at most " + bound(*fe.Maximum) + ")"
	}
	if fe.Minimum != nil && strings.Contains(fe.Rule, "min") {
		r += " (at least " + bound(*fe.Minimum) + ")"
	}
	if len(fe.Choices) > 0 && len(fe.Choices) <= 12 {
		r += " (one of " + strings.Join(fe.Choices, ", ") + ")"
	}
	return r
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// flashes are the messages a redirect after a change may show; the query
// names one, so nothing the user typed is reflected.
var flashes = map[string]string{
	"account-created": "System account created.", "account-updated": "System account saved.",
	"account-deleted": "System account deleted.", "account-disabled": "System account disabled: its tokens are refused.",
	"account-enabled": "System account enabled.", "token-deleted": "Token deleted.",
	"role-assigned": "Role assigned.", "role-removed": "Role removed.", "team-added": "Added to the team.",
	"team-removed": "Removed from the team.", "team-created": "Team created.", "team-updated": "Team saved.",
	"team-deleted": "Team deleted.", "member-added": "Member added.", "member-removed": "Member removed.",
	"user-created": "User created.", "user-updated": "User saved.", "user-invited": "User invited; they are inactive until they accept.",
	"user-deactivated": "User deactivated: their sessions ended and their tokens are refused.",
	"user-activated":   "User activated.", "user-deleted": "User deleted.", "password-set": "Password set. Sign in with it.",
	"signed-out": "You are signed out.", "policy-saved": "Token policy saved; it applies to tokens created from now on.",
	"webhook-test": "Test event queued; it shows below once sent.", "webhook-enabled": "Destination enabled.",
	"webhook-disabled":  "Destination disabled: its pending deliveries fail, and new events skip it.",
	"webhook-redeliver": "Delivery queued again.", "webhook-deleted": "Destination deleted.", "webhook-updated": "Destination saved.",
}

func flashText(k string) string { return flashes[k] }

// redirect sends the browser to path after a change, with a flash.
func redirect(w http.ResponseWriter, r *http.Request, path, done string) error {
	if done != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// allPages returns every item of a list, fetching it page by page, for
// what needs the whole set: a count, or a choice among all of them.
func allPages[T any](fetch func(keyhold.Page) (*keyhold.List[T], error)) ([]T, error) {
	var out []T
	for n := 1; ; n++ {
		l, err := fetch(keyhold.Page{Number: n, Size: keyhold.MaxPageSize})
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if len(l.Items) < keyhold.MaxPageSize || len(out) >= l.Total {
			return out, nil
		}
	}
}

// pager is the paging of a list page.
type pager struct {
	Number, Size, Total int
	// Query is the page's query without the page number.
	Query url.Values
	Path  string
	// Param is the query parameter of the page number: "page", or one of
	// its own for each of several lists on a page, which Label names.
	Param, Label string
}

func newPager(r *http.Request, size int) pager { return newPagerOf(r, "page", "", size) }

// newPagerOf is newPager for the list label whose page number is the query
// parameter param; the other lists of the page keep theirs.
func newPagerOf(r *http.Request, param, label string, size int) pager {
	n, _ := strconv.Atoi(r.URL.Query().Get(param))
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != param && k != "done" {
			q[k] = v
		}
	}
	return pager{Number: max(n, 1), Size: size, Query: q, Path: r.URL.Path, Param: param, Label: label}
}

func (p pager) page() keyhold.Page { return keyhold.Page{Number: p.Number, Size: p.Size} }

// Pages is the number of pages.
func (p pager) Pages() int { return max(1, (p.Total+p.Size-1)/p.Size) }

// Prev and Next are links, or "" at the ends.
func (p pager) Prev() string { return p.link(p.Number - 1) }

// Next is the link of the next page, or "".
func (p pager) Next() string { return p.link(p.Number + 1) }

func (p pager) link(n int) string {
	if n < 1 || n > p.Pages() {
		return ""
	}
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set(p.Param, strconv.Itoa(n))
	return p.Path + "?" + q.Encode()
}
