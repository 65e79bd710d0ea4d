package escalation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/internal/apitest"
)

type credKind int

const (
	credToken   credKind = iota // an API token: P's own, minted, rotated, delivered
	credSession                 // a console session, from a setup link
)

// cred is one credential P holds, with how P got it.
type cred struct {
	n      int
	kind   credKind
	value  string
	via    string
	parent int // the credential P used to get it; -1 for none
	b      *browser
}

func (c *cred) String() string {
	if c.kind == credSession {
		return fmt.Sprintf("cred#%d (console session)", c.n)
	}
	return fmt.Sprintf("cred#%d (token)", c.n)
}

// origin is the move, and the credential it used, that pointed a webhook
// at a path of P's receiver.
type origin struct{ move, cred int }

// tokenRef is a token whose id P knows.
type tokenRef struct{ account, id, name string }

// run is one sequence: P, what P holds and knows, and what it did.
type run struct {
	t     testing.TB
	w     *world
	e     *apitest.Env
	rng   *rand.Rand
	qs    []query
	p     candidate
	start grants
	creds []*cred
	known map[string]bool // token values and session and setup secrets P holds

	accounts, users, teams, hooks []string
	autoRotating                  []string // accounts with an auto_rotate token
	lastAccount, lastUser         string   // the targets of P's last moves on one
	tokens                        []tokenRef
	recv                          *receiver
	pointed                       map[string]origin // receiver path → the move that pointed a webhook there
	log                           []string
	move                          int
	created                       int // things P created, for their names
	advanced                      time.Duration
	// acting is the credential of the request being sent, and doing its
	// description, for the provenance of what the answer carries.
	acting *cred
	doing  string
}

var (
	tokenRE = regexp.MustCompile(`(?:spat|kpat)_[0-9A-Za-z]{49}`)
	setupRE = regexp.MustCompile(`/ui/setup\?token=([0-9A-Za-z_-]{43})`)
	csrfRE  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	emailRE = regexp.MustCompile(`sets the password of <strong>([^<]+)</strong>`)
)

func newRun(t testing.TB, w *world, seed uint64, qs []query) *run {
	r := &run{t: t, w: w, e: w.e, rng: rand.New(rand.NewPCG(seed, 0x6b6579686f6c64)), qs: qs, known: map[string]bool{},
		accounts: append([]string(nil), w.accounts...), users: append([]string(nil), w.users...),
		teams: append([]string(nil), w.teams...), pointed: map[string]origin{},
		autoRotating: append([]string(nil), w.autoRotating...)}
	r.recv = newReceiver(t)
	total := 0
	for _, c := range w.candidates {
		total += c.weight
	}
	n := r.rng.IntN(total)
	for _, c := range w.candidates {
		if n -= c.weight; n < 0 {
			r.p = c
			break
		}
	}
	own := r.add(credToken, r.p.token, "P's own token", -1)
	r.start = grantsOf(r.e, qs, own)
	if !r.start.usable {
		t.Fatalf("P's own token does not work")
	}
	if r.p.ref.Type == keyhold.PrincipalSystemAccount {
		d := r.e.Service.Feed.Index().Decide(r.p.token, nil, loopback, r.e.Clock.Now())
		r.tokens = append(r.tokens, tokenRef{account: r.p.ref.ID, id: d.TokenID(), name: "own"})
	}
	if r.p.password != "" {
		b := newBrowser(t, w.consoleURL())
		if !b.signIn(r.p.email, r.p.password) {
			t.Fatalf("P (%s) cannot sign in to the console", r.p.email)
		}
		r.add(credSession, b.cookie("keyhold_session"), "P's own console session", -1).b = b
	}
	return r
}

func (r *run) add(kind credKind, value, via string, parent int) *cred {
	c := &cred{n: len(r.creds), kind: kind, value: value, via: via, parent: parent}
	r.creds = append(r.creds, c)
	r.known[value] = true
	return c
}

func (r *run) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("%d. ", r.move)+fmt.Sprintf(format, args...))
}

// name returns a fresh, deterministic name for something P creates.
func (r *run) name(prefix string) string {
	r.created++
	return fmt.Sprintf("%s-%d", prefix, r.created)
}

// pretty replaces the ids in a path with the names of what they are.
func (r *run) pretty(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if n, ok := r.w.names[p]; ok {
			parts[i] = "{" + n + "}"
		}
	}
	return strings.Join(parts, "/")
}

// brief renders a request body for the log: ids as names, URLs as
// their paths, names and times left out.
func (r *run) brief(body any) string {
	m, ok := body.(map[string]any)
	if !ok || len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "name" || k == "description" || k == "full_name" || k == "expires_at" {
			continue
		}
		v := fmt.Sprint(m[k])
		if s, ok := m[k].(string); ok {
			if n, ok := r.w.names[s]; ok {
				v = n
			} else if strings.HasPrefix(s, "http://") {
				v = mustPath(s)
			}
		}
		parts = append(parts, k+"="+v)
	}
	if len(parts) == 0 {
		return ""
	}
	return " {" + strings.Join(parts, " ") + "}"
}

// usableToken picks at random one of P's tokens that works now, of kind
// k ("" for any).
func (r *run) usableToken(k keyhold.TokenKind) (*cred, authz.Decision) {
	var ok []*cred
	var ds []authz.Decision
	for _, c := range r.creds {
		if c.kind != credToken {
			continue
		}
		d := r.e.Service.Feed.Index().Decide(c.value, nil, loopback, r.e.Clock.Now())
		if d.Outcome == authz.Allowed && (k == "" || d.Principal.TokenKind == k) {
			ok, ds = append(ok, c), append(ds, d)
		}
	}
	if len(ok) == 0 {
		return nil, authz.Decision{}
	}
	i := r.rng.IntN(len(ok))
	return ok[i], ds[i]
}

// call sends an API request with one of P's working tokens, and takes
// every credential its answer carries.
func (r *run) call(method, path string, body any) *apitest.Response {
	c, _ := r.usableToken("")
	if c == nil {
		return nil
	}
	return r.callAs(c, method, path, body)
}

func (r *run) callAs(c *cred, method, path string, body any) *apitest.Response {
	r.t.Helper()
	resp := r.e.Do(method, path, c.value, body)
	r.acting, r.doing = c, fmt.Sprintf("move %d: %s %s%s as %s → %d", r.move, method, r.pretty(path), r.brief(body), c, resp.Status)
	r.logf("%s %s%s as %s → %d", method, r.pretty(path), r.brief(body), c, resp.Status)
	if resp.Status >= 500 {
		r.t.Errorf("%s %s answered %d: %s", method, path, resp.Status, resp.Body)
	}
	r.scan(resp.Body)
	return resp
}

// scan takes every token value and setup link in what P received. A
// setup link is used at once: P sets the password and signs in.
func (r *run) scan(body []byte) {
	for _, v := range tokenRE.FindAllString(string(body), -1) {
		if _, ok := keyhold.ParseTokenValue(v); ok && !r.known[v] {
			r.add(credToken, v, r.doing, r.acting.n)
		}
	}
	for _, m := range setupRE.FindAllStringSubmatch(string(body), -1) {
		if !r.known[m[1]] {
			r.known[m[1]] = true
			r.useSetupLink(m[1], r.doing, r.acting)
		}
	}
}

// useSetupLink sets a password through the console's setup page and signs
// in with it; the session is a credential.
func (r *run) useSetupLink(secret, via string, from *cred) {
	b := newBrowser(r.t, r.w.consoleURL())
	st, page := b.get("/ui/setup?token=" + url.QueryEscape(secret))
	m := emailRE.FindStringSubmatch(page)
	if st != http.StatusOK || m == nil {
		r.logf("  the setup link does not work (%d)", st)
		return
	}
	email := html.UnescapeString(m[1])
	pw := "a long enough passphrase " + secret[:6]
	st, _ = b.post("/ui/setup", url.Values{"token": {secret}, "password": {pw}, "password_again": {pw}, "csrf": {b.csrf(page)}})
	if st != http.StatusSeeOther {
		r.logf("  setting the password of %s through the link answered %d", email, st)
		return
	}
	if !b.signIn(email, pw) {
		r.logf("  signing in as %s failed", email)
		return
	}
	c := r.add(credSession, b.cookie("keyhold_session"), via+", then the setup link set the password of "+email+" and P signed in", from.n)
	c.b = b
	r.logf("  used the setup link: %s is a console session of %s", c, email)
}

// session picks at random one of P's console sessions that works now.
func (r *run) session() *cred {
	var ok []*cred
	for _, c := range r.creds {
		if c.kind != credSession {
			continue
		}
		if _, _, err := r.e.Service.Sessions.Session(context.Background(), c.value); err == nil {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	return ok[r.rng.IntN(len(ok))]
}

// consolePost sends a console form as a session, and takes every
// credential the page carries.
func (r *run) consolePost(c *cred, path string, form url.Values) {
	_, page := c.b.get("/ui/me")
	form.Set("csrf", c.b.csrf(page))
	st, body := c.b.post(path, form)
	r.acting, r.doing = c, fmt.Sprintf("move %d: console POST %s as %s → %d", r.move, r.pretty(path), c, st)
	r.logf("console POST %s as %s → %d", r.pretty(path), c, st)
	if st >= 500 {
		r.t.Errorf("console POST %s answered %d", path, st)
	}
	r.scan([]byte(body))
}

// deliver sends every due webhook delivery, and takes what P's receiver
// got.
func (r *run) deliver() {
	if _, err := r.e.Service.Deliveries.DeliverWebhooks(context.Background()); err != nil {
		r.t.Fatalf("deliver: %v", err)
	}
	for _, m := range r.recv.drain() {
		o, ok := r.pointed[m.path]
		if !ok {
			r.t.Fatalf("a delivery to %s, where no move pointed a webhook", m.path)
		}
		via := fmt.Sprintf("move %d: %s delivered to P's receiver at %s (pointed there in move %d as cred#%d), for %s's token %s",
			r.move, m.typ, m.path, o.move, o.cred, m.account, m.token)
		for _, v := range tokenRE.FindAllString(string(m.body), -1) {
			if _, ok := keyhold.ParseTokenValue(v); ok && !r.known[v] {
				c := r.add(credToken, v, via, o.cred)
				r.logf("  P's receiver got %s", c)
			}
		}
	}
}

// receiver is P's loopback webhook endpoint: it answers 2xx and keeps
// every message.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []hookMsg
	read int
}

type hookMsg struct {
	path, typ, account, token string
	body                      []byte
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var m struct {
			Type string `json:"type"`
			Data struct {
				Account string `json:"system_account_name"`
				Token   string `json:"token_name"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &m)
		rc.mu.Lock()
		rc.got = append(rc.got, hookMsg{path: req.URL.Path, typ: m.Type, account: m.Data.Account, token: m.Data.Token, body: body})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// drain returns the messages not yet read, in an order that does not
// depend on the order of parallel deliveries.
func (rc *receiver) drain() []hookMsg {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := append([]hookMsg(nil), rc.got[rc.read:]...)
	rc.read = len(rc.got)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.path+"\x00"+a.typ+"\x00"+a.account+"\x00"+a.token < b.path+"\x00"+b.typ+"\x00"+b.account+"\x00"+b.token
	})
	return out
}

// browser is a cookie-keeping console client that follows no redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	jar  *cookiejar.Jar
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, jar: jar, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string) {
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signIn signs in through the console's form, and reports whether a
// session began.
func (b *browser) signIn(email, password string) bool {
	_, page := b.get("/ui/signin")
	st, _ := b.post("/ui/signin", url.Values{"email": {email}, "password": {password}, "csrf": {b.csrf(page)}})
	return st == http.StatusSeeOther && b.cookie("keyhold_session") != ""
}

func (b *browser) csrf(page string) string {
	if m := csrfRE.FindStringSubmatch(page); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base + "/ui/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
