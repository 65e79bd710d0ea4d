package matrix_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/internal/formnonce"
	"github.com/keyhold/keyhold/storage"
)

// world is one running keyhold, API and console, with the fixtures the
// matrix acts on. Every principal is made through the API (and the
// console) as the bootstrap admin; nothing is put in the index by hand.
type world struct {
	t      testing.TB
	e      *apitest.Env
	client *http.Client // follows no redirect: a 303 to sign-in is a refusal
	admin  string       // the bootstrap admin's personal access token
	n      int          // makes names unique
	sent   int          // counts requests, for the log
	hook   string       // a loopback URL that accepts webhook deliveries

	teams map[string]string // predefined team name → id

	apiByName     map[string]*apiCaller
	consoleByName map[string]*consoleCaller

	// shared holds the fixtures that refused callers of a row share: a
	// refused call changes nothing, so they need no fresh one each.
	shared map[string]any
}

func newWorld(t testing.TB, e *apitest.Env) *world {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	x := &world{t: t, e: e, admin: e.Admin, hook: receiver.URL + "/hook", teams: map[string]string{}, shared: map[string]any{},
		client: &http.Client{Transport: e.Server.Client().Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	var l struct {
		Data []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
	}
	x.decode(x.must(200, "GET", "/v3/teams?page[size]=100", x.admin, nil), &l)
	for _, tm := range l.Data {
		x.teams[tm.Name] = tm.ID
	}
	for _, name := range []string{"Organization Admin", "Organization Admin (Read Only)", "Analytics Viewer"} {
		if x.teams[name] == "" {
			t.Fatalf("no predefined team %q in %v", name, x.teams)
		}
	}
	return x
}

// index names the callers, for the fixtures made as one of them.
func (x *world) index(api []*apiCaller, console []*consoleCaller) {
	x.apiByName, x.consoleByName = map[string]*apiCaller{}, map[string]*consoleCaller{}
	for _, c := range api {
		x.apiByName[c.name] = c
	}
	for _, c := range console {
		x.consoleByName[c.name] = c
	}
}

// reply is a received answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (x *world) send(method, path string, hdr http.Header, body io.Reader) reply {
	x.t.Helper()
	req, err := http.NewRequest(method, x.e.Server.URL+path, body)
	if err != nil {
		x.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	x.sent++
	res, err := x.client.Do(req)
	if err != nil {
		x.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		x.t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: raw}
}

// call sends an API request with a bearer token ("" for none); body is
// nil, url.Values (sent as a form) or a value sent as JSON.
func (x *world) call(method, path, token string, body any) reply {
	x.t.Helper()
	hdr := http.Header{}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd = strings.NewReader(b.Encode())
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			x.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
		hdr.Set("Content-Type", "application/json")
	}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	return x.send(method, path, hdr, rd)
}

// must is call for fixtures: it fails the test unless the answer has the
// wanted status.
func (x *world) must(want int, method, path, token string, body any) reply {
	x.t.Helper()
	r := x.call(method, path, token, body)
	if r.status != want {
		x.t.Fatalf("fixture %s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

func (x *world) decode(r reply, v any) {
	x.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		x.t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (x *world) id(r reply) string {
	x.t.Helper()
	var v struct{ ID string }
	x.decode(r, &v)
	if v.ID == "" {
		x.t.Fatalf("no id in %s", r.body)
	}
	return v.ID
}

func (x *world) name(prefix string) string {
	x.n++
	return fmt.Sprintf("%s-%d", prefix, x.n)
}

// Fixtures, made by the bootstrap admin unless said otherwise.

func (x *world) accountBody() map[string]any {
	return map[string]any{"name": x.name("acct"), "description": "a matrix fixture"}
}

// account makes a system account with no role and no team.
func (x *world) account() string {
	return x.id(x.must(201, "POST", "/v3/system-accounts", x.admin, x.accountBody()))
}

// accountIn makes a system account in the predefined team named.
func (x *world) accountIn(team string) string {
	a := x.account()
	x.join(x.teams[team], "system-accounts", a)
	return a
}

func (x *world) join(team, kind, id string) {
	x.must(201, "POST", "/v3/teams/"+team+"/"+kind, x.admin, map[string]any{"id": id})
}

// managed makes a Konnect-managed account as the principal of token.
func (x *world) managed(token string) string {
	b := x.accountBody()
	b["konnect_managed"] = true
	return x.id(x.must(201, "POST", "/v3/system-accounts", token, b))
}

func (x *world) tokenBody() map[string]any {
	return map[string]any{"name": x.name("tok"), "expires_at": x.e.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}
}

// mint gives an account a token as the caller of token, with extra
// fields (scope, allowed_cidrs, expires_at).
func (x *world) mintAs(token, account string, extra map[string]any) (id, value string) {
	b := x.tokenBody()
	for k, v := range extra {
		b[k] = v
	}
	var tok struct{ ID, Token string }
	x.decode(x.must(201, "POST", "/v3/system-accounts/"+account+"/access-tokens", token, b), &tok)
	return tok.ID, tok.Token
}

func (x *world) mint(account string) (id, value string) { return x.mintAs(x.admin, account, nil) }

func (x *world) user() string {
	n := x.name("user")
	return x.id(x.must(201, "POST", "/v3/users", x.admin, map[string]any{"email": n + "@example.com", "full_name": n}))
}

// userIn makes a user in the predefined team named.
func (x *world) userIn(team string) string {
	u := x.user()
	x.join(x.teams[team], "users", u)
	return u
}

func (x *world) team() string {
	return x.id(x.must(201, "POST", "/v3/teams", x.admin, map[string]any{"name": x.name("team"), "description": "a matrix fixture"}))
}

// Roles as the API names them.
var (
	identityAdminRole = map[string]any{"role_name": "Admin", "entity_type_name": keyhold.IdentityEntityType, "entity_id": "*", "entity_region": "*"}
	cpViewerRole      = map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "*"}
	auditAdminRole    = map[string]any{"role_name": "Admin", "entity_type_name": "Audit Logs", "entity_id": "*", "entity_region": "*"}
	introspectorRole  = map[string]any{"role_name": keyhold.TokenIntrospectorRole, "entity_type_name": keyhold.IdentityEntityType, "entity_id": "*", "entity_region": "*"}
)

// assignAs gives holder (a path such as /v3/users/<id>) a role as the
// caller of token and returns the assignment's id.
func (x *world) assignAs(token, holder string, role map[string]any) string {
	return x.id(x.must(201, "POST", holder+"/assigned-roles", token, role))
}

func (x *world) assign(holder string, role map[string]any) string {
	return x.assignAs(x.admin, holder, role)
}

func (x *world) webhook(extra map[string]any) string {
	b := map[string]any{"name": x.name("hook"), "url": x.hook, "event_types": []string{keyhold.EventTokenExpiring}}
	for k, v := range extra {
		b[k] = v
	}
	return x.id(x.must(201, "POST", "/v1/webhooks", x.admin, b))
}

// delivered makes a test delivery of hook, delivers it and returns its id.
func (x *world) delivered(hook string) string {
	id := x.id(x.must(202, "POST", "/v1/webhooks/"+hook+"/test", x.admin, nil))
	if _, err := x.e.Service.Deliveries.DeliverWebhooks(x.t.Context()); err != nil {
		x.t.Fatal(err)
	}
	return id
}

// pat mints a personal access token for a user as the user, with one of
// their own personal access tokens.
func (x *world) pat(user, own string) (id, value string) {
	var tok struct{ ID, Token string }
	x.decode(x.must(201, "POST", "/v3/users/"+user+"/access-tokens", own, map[string]any{"name": x.name("pat"), "ttl_seconds": 7 * 24 * 3600}), &tok)
	return tok.ID, tok.Token
}

// tokenID returns a token's id, as /v1/whoami tells it.
func (x *world) tokenID(token string) string {
	var w struct {
		TokenID string `json:"token_id"`
	}
	x.decode(x.must(200, "GET", "/v1/whoami", token, nil), &w)
	return w.TokenID
}

// Console sessions.

// matrixPassword is every console user's password.
const matrixPassword = "matrix password, long enough"

// cheapHash is an argon2id hash of matrixPassword with small parameters.
// keyhold verifies a password with the parameters its hash names, so a
// sign-in checks it through the real code path; a hash with the
// service's parameters costs over a second under -race, and the matrix
// signs in dozens of times.
func cheapHash(t testing.TB) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey([]byte(matrixPassword), salt, 1, 64, 1, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// setPassword stores the matrix password for a user, as keyhold users
// set-password would, but with the cheap hash.
func (x *world) setPassword(userID string) {
	err := x.e.DB.Write(x.t.Context(), func(tx storage.Tx) error {
		u, err := tx.Users().GetUser(x.t.Context(), userID)
		if err != nil {
			return err
		}
		u.PasswordHash = cheapHash(x.t)
		return tx.Users().UpdateUser(x.t.Context(), u)
	})
	if err != nil {
		x.t.Fatalf("set password: %v", err)
	}
}

func cookieOf(r reply, name string) string {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

// preSession returns a pre-session cookie, which is also the CSRF token
// of the sign-in and setup forms.
func (x *world) preSession() string {
	r := x.send("GET", "/ui/signin", nil, nil)
	v := cookieOf(r, "keyhold_presession")
	if r.status != 200 || v == "" {
		x.t.Fatalf("GET /ui/signin: %d, no pre-session cookie", r.status)
	}
	return v
}

// signIn signs in through the console's form and returns the session
// cookie's value.
func (x *world) signIn(email string) string {
	x.t.Helper()
	pre := x.preSession()
	form := url.Values{"email": {email}, "password": {matrixPassword}, "csrf": {pre}}
	r := x.send("POST", "/ui/signin", http.Header{"Cookie": {"keyhold_presession=" + pre},
		"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	s := cookieOf(r, "keyhold_session")
	if r.status != http.StatusSeeOther || s == "" {
		x.t.Fatalf("sign in as %s: %d %s", email, r.status, r.body)
	}
	return s
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of a session, from a page it renders.
func (x *world) csrf(session string) string {
	r := x.send("GET", "/ui/me", http.Header{"Cookie": {"keyhold_session=" + session}}, nil)
	m := csrfRE.FindSubmatch(r.body)
	if r.status != 200 || m == nil {
		x.t.Fatalf("GET /ui/me: %d, no csrf token", r.status)
	}
	return html.UnescapeString(string(m[1]))
}

// consolePost submits a form with a session.
func (x *world) consolePost(session, path string, form url.Values) reply {
	form.Set("csrf", x.csrf(session))
	form.Set(formnonce.Field, formnonce.New(formnonce.Key(session), path, x.e.Clock.Now()))
	return x.send("POST", path, http.Header{"Cookie": {"keyhold_session=" + session},
		"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
}

var patRE = regexp.MustCompile(`kpat_[A-Za-z0-9]+`)

// firstPAT mints a user's first personal access token in the console, as
// the user would.
func (x *world) firstPAT(session string) string {
	r := x.consolePost(session, "/ui/me/tokens/new", url.Values{"name": {x.name("pat")}, "expiry": {"30d"}})
	v := patRE.Find(r.body)
	if r.status != http.StatusCreated || v == nil {
		x.t.Fatalf("create a personal access token in the console: %d %s", r.status, r.body)
	}
	return string(v)
}

// sharedFor returns the fixture a row's refused callers share, making it
// once; a caller expected to be let through gets a fresh one, since its
// call may consume it.
func sharedFor[T any](x *world, allowed bool, key string, mk func() T) T {
	if allowed {
		return mk()
	}
	if v, ok := x.shared[key]; ok {
		return v.(T)
	}
	v := mk()
	x.shared[key] = v
	return v
}

// newUUID is a well-formed id that names nothing.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
