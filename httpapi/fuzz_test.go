package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// fuzzStack is the real handler over the real service and a SQLite store
// in a temporary directory, built once per fuzz process: every input is a
// request to the same stack, whose state therefore grows as inputs run.
type fuzzStack struct {
	e *apitest.Env
	h http.Handler
	// admin is the first admin's personal token, adminEmail their name.
	admin, adminEmail string
	// low is a token of lowName, an account with one narrow role.
	low, lowName string
	// unknown is a well-formed token that no one holds.
	unknown string
	// ids maps a placeholder such as {account} to the id of an object the
	// inputs may act on (and delete: then a new set is made). The
	// credentials above are not among them.
	ids map[string]string
	// patValue is the {user}'s personal token.
	patValue string
	// victims counts the sets of objects made, for unique names.
	victims int
	n       int
}

// fuzzPlaceholders may appear in an input's path, query, headers and body,
// in lower case or in capitals.
var fuzzPlaceholders = []string{"{account}", "{token}", "{role}", "{team}", "{teamrole}", "{user}", "{userrole}",
	"{pat}", "{webhook}", "{delivery}", "{tokenvalue}", "{auditdest}"}

func newFuzzStack(f *testing.F) *fuzzStack {
	e := apitest.New(f, "sqlite", apitest.Options{SecretKey: bytes.Repeat([]byte{7}, 32)})
	s := &fuzzStack{e: e, h: e.Server.Config.Handler, admin: e.Admin, adminEmail: "admin@example.com", lowName: "fuzz-low"}
	var err error
	if s.unknown, err = keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount); err != nil {
		f.Fatal(err)
	}
	low, err := s.create("/v3/system-accounts", map[string]any{"name": s.lowName, "description": "one narrow role"})
	if err == nil {
		_, err = s.create("/v3/system-accounts/"+low["id"]+"/assigned-roles",
			map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cpID, "entity_region": "eu"})
	}
	if err == nil {
		var tok map[string]string
		tok, err = s.create("/v3/system-accounts/"+low["id"]+"/access-tokens", map[string]any{"name": "low"})
		s.low = tok["token"]
	}
	if err == nil {
		err = s.makeVictims()
	}
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// call sends one request as the admin, in process.
func (s *fuzzStack) call(method, path string, body any) (int, []byte) {
	var rd *bytes.Reader
	if body == nil {
		rd = bytes.NewReader(nil)
	} else {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = harnessAddr
	req.Header.Set("Authorization", "Bearer "+s.admin)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// create POSTs body to path as the admin and returns the string fields of
// the answer.
func (s *fuzzStack) create(path string, body any) (map[string]string, error) {
	status, raw := s.call("POST", path, body)
	if status != http.StatusCreated && status != http.StatusAccepted { // a webhook test is 202
		return nil, fmt.Errorf("POST %s: %d %s", path, status, raw)
	}
	var m map[string]any
	if len(raw) == 0 { // adding a team member answers 201 with no body
		return map[string]string{}, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out, nil
}

// makeVictims makes a new set of objects for the placeholders: an account
// with a token and a role, a team with both members and a role, a user
// with a role and a personal token, a webhook with a delivery.
func (s *fuzzStack) makeVictims() error {
	s.victims++
	n := s.victims
	ids := map[string]string{}
	expires := s.e.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
	role := map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cpID, "entity_region": "eu"}
	steps := []struct {
		key, path string
		body      any
		field     string
	}{
		{"{account}", "/v3/system-accounts", map[string]any{"name": fmt.Sprintf("victim-%d", n), "description": "a victim"}, "id"},
		{"{token}", "/v3/system-accounts/{account}/access-tokens", map[string]any{"name": "victim", "expires_at": expires}, "id"},
		{"{role}", "/v3/system-accounts/{account}/assigned-roles", role, "id"},
		{"{team}", "/v3/teams", map[string]any{"name": fmt.Sprintf("victims-%d", n), "labels": map[string]string{"env": "prod"}}, "id"},
		{"", "/v3/teams/{team}/system-accounts", map[string]any{"id": "{account}"}, ""},
		{"{teamrole}", "/v3/teams/{team}/assigned-roles", role, "id"},
		{"{user}", "/v3/users", map[string]any{"email": fmt.Sprintf("victim-%d@example.com", n), "full_name": "Victim"}, "id"},
		{"", "/v3/teams/{team}/users", map[string]any{"id": "{user}"}, ""},
		{"{userrole}", "/v3/users/{user}/assigned-roles", role, "id"},
		{"{webhook}", "/v1/webhooks", map[string]any{"name": "victim", "url": "https://hooks.example.com/keyhold",
			"event_types": []string{keyhold.EventTokenRevoked, keyhold.EventTokenAutoRotated}, "system_account_id": "{account}"}, "id"},
		{"{delivery}", "/v1/webhooks/{webhook}/test", nil, "id"},
		{"{auditdest}", "/v2/audit-log-destinations", map[string]any{"name": "victim", "endpoint": "https://siem.example.com/keyhold",
			"authorization": "Bearer victim-secret", "log_format": "json"}, "id"},
	}
	for _, st := range steps {
		body := st.body
		if body != nil {
			raw, _ := json.Marshal(body)
			_ = json.Unmarshal([]byte(expand(string(raw), ids)), &body)
		}
		got, err := s.create(expand(st.path, ids), body)
		if err != nil {
			return err
		}
		if st.key != "" {
			ids[st.key] = got[st.field]
		}
		if st.key == "{token}" {
			ids["{tokenvalue}"] = got["token"]
		}
	}
	// Only the user may make their own first personal token, as a console
	// sign-in would.
	ctx := keyhold.NewContextWithPrincipal(context.Background(), &keyhold.Principal{Type: keyhold.PrincipalUser,
		ID: ids["{user}"], Name: fmt.Sprintf("victim-%d@example.com", n), TokenKind: keyhold.TokenKindPersonal})
	ttl := 30 * 24 * time.Hour
	pat, err := s.e.Service.Tokens.CreateToken(ctx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: ids["{user}"]}, keyhold.TokenCreate{Name: "victim", TTL: &ttl})
	if err != nil {
		return fmt.Errorf("victim's personal token: %w", err)
	}
	ids["{pat}"] = pat.Token.ID
	s.ids, s.patValue = ids, pat.Value
	return nil
}

func expand(s string, ids map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for _, p := range fuzzPlaceholders {
		if id, ok := ids[p]; ok {
			s = strings.ReplaceAll(s, p, id)
			// In capitals, the id in capitals: keyhold's ids are UUIDs, and
			// clients may send them so.
			s = strings.ReplaceAll(s, strings.ToUpper(p), strings.ToUpper(id))
		}
	}
	return s
}

// victimsGone reports whether an input disabled the victims' tokens or,
// after a DELETE, removed any of the objects the placeholders name.
func (s *fuzzStack) victimsGone(deleted bool) bool {
	for _, tok := range []string{s.ids["{tokenvalue}"], s.patValue} {
		if !s.authenticates(tok) {
			return true
		}
	}
	if !deleted {
		return false
	}
	for _, path := range []string{"/v3/system-accounts/{account}/access-tokens/{token}", "/v3/system-accounts/{account}/assigned-roles/{role}",
		"/v3/teams/{team}/assigned-roles/{teamrole}", "/v3/users/{user}/assigned-roles/{userrole}", "/v3/users/{user}/access-tokens/{pat}",
		"/v1/webhooks/{webhook}"} {
		if status, _ := s.call("GET", expand(path, s.ids), nil); status != http.StatusOK {
			return true
		}
	}
	return false
}

// Ways an input authenticates (its auth byte, modulo their number).
const (
	authNone       = iota // only what the input's own headers carry
	authAdmin             // Bearer, the first admin's personal token
	authLow               // Bearer, a system account's token with one narrow role
	authLowBasic          // Basic, that account's name and token
	authCorrupt           // Bearer, the admin's token with one character changed
	authUnknown           // Bearer, a well-formed token no one holds
	authAdminBasic        // Basic, the admin's email and token
	authVictim            // Bearer, the {account}'s token, which inputs may change
	authVictimUser        // Bearer, the {user}'s personal token, which inputs may change
	authModes
)

func (s *fuzzStack) authorization(mode uint8) string {
	switch mode % authModes {
	case authAdmin:
		return "Bearer " + s.admin
	case authLow:
		return "Bearer " + s.low
	case authLowBasic:
		return basic(s.lowName, s.low)
	case authCorrupt:
		return "Bearer " + flipLast(s.admin)
	case authUnknown:
		return "Bearer " + s.unknown
	case authAdminBasic:
		return basic(s.adminEmail, s.admin)
	case authVictim:
		return "Bearer " + s.ids["{tokenvalue}"]
	case authVictimUser:
		return "Bearer " + s.patValue
	}
	return ""
}

// request builds the request that net/http's server would hand the
// handler for these bytes, or reports that the server would refuse them
// itself before any handler runs. Framing headers (Host, Content-Length,
// Transfer-Encoding) are the harness's; the input's are dropped.
func (s *fuzzStack) request(method, target string, auth uint8, headers string, body []byte) (*http.Request, bool) {
	if method == "" {
		method = "GET"
	}
	target = expand(target, s.ids)
	if target == "" || strings.ContainsAny(target, " \r\n") {
		return nil, false
	}
	body = []byte(expand(string(body), s.ids))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: keyhold.test\r\n", method, target)
	if a := s.authorization(auth); a != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", a)
	}
	for _, line := range strings.Split(expand(headers, s.ids), "\n") {
		name, _, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(line, "\r") {
			continue
		}
		switch strings.ToLower(name) {
		case "host", "content-length", "transfer-encoding":
			continue
		}
		b.WriteString(line + "\r\n")
	}
	if len(body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	req, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		return nil, false
	}
	// What the server does itself (net/http/server.go): 417 for an
	// unknown expectation, its own answer to OPTIONS *, and Host moved
	// out of the header.
	if e := req.Header.Get("Expect"); e != "" && !strings.EqualFold(e, "100-continue") {
		return nil, false
	}
	if req.RequestURI == "*" && req.Method == "OPTIONS" {
		return nil, false
	}
	req.Header.Del("Host")
	// Addresses rotate, so that failed authentications by some inputs do
	// not rate-limit the rest; the clock moves on so that limits expire.
	s.n++
	req.RemoteAddr = fmt.Sprintf("192.0.2.%d:40000", s.n%50+1)
	if s.n%500 == 0 {
		s.e.Clock.Advance(61 * time.Second)
	}
	return req, true
}

// serve sends req to the handler and fails t unless the answer is a
// success or a problem+json 4xx.
func (s *fuzzStack) serve(t *testing.T, req *http.Request, dump string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if err := httpapi.CheckAnswer(rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Fatalf("%s\n→ %v", dump, err)
	}
	return rec
}

// FuzzHandler sends arbitrary requests to the whole API: any method,
// path, query, headers and body, authenticated as the admin, as an
// account with one narrow role, or with garbage. Every answer must be a
// success or a problem+json 4xx; never a 5xx, never a panic. Inputs may
// name the ids of live objects by placeholder ({account}, {team}, ...).
func FuzzHandler(f *testing.F) {
	s := newFuzzStack(f)
	f.Fuzz(func(t *testing.T, method, target string, auth uint8, headers string, body []byte) {
		req, ok := s.request(method, target, auth, headers, body)
		if !ok {
			return
		}
		dump := fmt.Sprintf("%.300q %.1000q (auth %d)\nheaders: %.1000q\nbody: %.1000q", req.Method, req.RequestURI, auth%authModes, headers, body)
		rec := s.serve(t, req, dump)
		if req.Method == "GET" || req.Method == "HEAD" || rec.Code >= 300 {
			return
		}
		// A change that succeeded must leave the harness's own credentials
		// working: inputs never learn their ids or values.
		for _, tok := range []string{s.admin, s.low} {
			if !s.authenticates(tok) {
				t.Fatalf("%s\n→ %d, after which a token the input never saw no longer authenticates", dump, rec.Code)
			}
		}
		if s.victimsGone(req.Method == "DELETE") {
			if err := s.makeVictims(); err != nil {
				t.Fatalf("after %s: %v", dump, err)
			}
		}
	})
}

// harnessAddr is the client address of the harness's own requests, none
// of which fails to authenticate, so that inputs' failures, counted per
// address, never rate-limit the harness.
const harnessAddr = "198.51.100.1:40000"

// authenticates reports whether a token is accepted, asking the service
// without a client address, so that a refusal counts against no address.
func (s *fuzzStack) authenticates(token string) bool {
	_, err := s.e.Service.Decider.Authenticate(context.Background(), keyhold.Credentials{Bearer: token})
	return err == nil
}

// invalidFields returns the field and rule of each invalid_parameters item
// of a 400 answer, sorted.
func invalidFields(t *testing.T, body []byte) []string {
	t.Helper()
	var p wire.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("400 body %s: %v", body, err)
	}
	var out []string
	for _, ip := range p.InvalidParameters {
		out = append(out, ip.Field+" "+ip.Rule)
	}
	slices.Sort(out)
	return out
}

// FuzzAuthorizeQuery sends one permission, read from any query string,
// three ways: as /v1/authorize's query (twice, the second answer from the
// query cache), as the X-Keyhold-* headers of /v1/authorize/{rest...}, and
// as a check of /v1/check. The subject is an account with one narrow role.
// All three must agree: the same refusal of a malformed permission, with
// the same fields, and the same verdict on a well-formed one.
func FuzzAuthorizeQuery(f *testing.F) {
	s := newFuzzStack(f)
	f.Fuzz(func(t *testing.T, raw string) {
		req, ok := s.request("GET", "/v1/authorize?"+raw, authLow, "", nil)
		if !ok {
			return
		}
		dump := fmt.Sprintf("GET %.1000q", req.RequestURI)
		first := s.serve(t, req, dump)
		req, _ = s.request("GET", "/v1/authorize?"+raw, authLow, "", nil)
		cached := s.serve(t, req, dump+" (again)")
		status := first.Code
		if status != http.StatusOK && status != http.StatusBadRequest && status != http.StatusForbidden {
			t.Fatalf("%s → %d, want 200, 400 or 403 for a valid token: %s", dump, status, first.Body)
		}
		if cached.Code != status || (status == 400 && !slices.Equal(invalidFields(t, first.Body.Bytes()), invalidFields(t, cached.Body.Bytes()))) {
			t.Fatalf("%s → %d, then from the cache %d: %s", dump, status, cached.Code, cached.Body)
		}
		var want []string
		if status == http.StatusBadRequest {
			want = invalidFields(t, first.Body.Bytes())
		}

		q, _ := url.ParseQuery(raw) // as the query cache reads it
		perm := map[string]string{"role_name": q.Get("role_name"), "entity_type_name": q.Get("entity_type_name"),
			"entity_id": q.Get("entity_id"), "entity_region": q.Get("entity_region")}
		headerNames := map[string]string{"role_name": httpapi.HeaderRoleName, "entity_type_name": httpapi.HeaderEntityTypeName,
			"entity_id": httpapi.HeaderEntityID, "entity_region": httpapi.HeaderEntityRegion}

		// The gateway's headers carry the same permission, when a header
		// can carry it unchanged.
		var hdr strings.Builder
		for k, v := range perm {
			fmt.Fprintf(&hdr, "%s: %s\n", headerNames[k], v)
		}
		if req, ok := s.request("POST", "/v1/authorize/deploy?role_name=Admin", authLow, hdr.String(), nil); ok && headersCarry(req, perm, headerNames) {
			rec := s.serve(t, req, dump+" as headers")
			if rec.Code != status || (status == 400 && !slices.Equal(invalidFields(t, rec.Body.Bytes()), want)) {
				t.Fatalf("%s → %d %s; as headers → %d %s", dump, status, first.Body, rec.Code, rec.Body)
			}
		}

		// /v1/check takes it from JSON strings, which carry valid UTF-8 only.
		if !validUTF8(perm) {
			return
		}
		body, _ := json.Marshal(map[string]any{"token": s.low, "checks": []map[string]string{perm}})
		req, ok = s.request("POST", "/v1/check", authAdmin, "Content-Type: application/json", body)
		if !ok {
			t.Fatalf("the /v1/check request for %s does not parse", dump)
		}
		rec := s.serve(t, req, dump+" as /v1/check "+string(body))
		empty := perm["role_name"] == "" && perm["entity_type_name"] == "" && perm["entity_id"] == "" && perm["entity_region"] == ""
		switch {
		case empty:
			if status != http.StatusOK || rec.Code != http.StatusBadRequest {
				t.Fatalf("%s → %d; an empty check → %d, want 200 and 400", dump, status, rec.Code)
			}
		case status == http.StatusBadRequest:
			prefixed := make([]string, len(want))
			for i, w := range want {
				prefixed[i] = "checks[0]." + w
			}
			if rec.Code != http.StatusBadRequest || !slices.Equal(invalidFields(t, rec.Body.Bytes()), prefixed) {
				t.Fatalf("%s → 400 %s; /v1/check → %d %s", dump, first.Body, rec.Code, rec.Body)
			}
		default:
			var got struct {
				Active  bool
				Results []struct{ Allowed bool }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || !got.Active ||
				len(got.Results) != 1 || got.Results[0].Allowed != (status == http.StatusOK) {
				t.Fatalf("%s → %d; /v1/check → %d %s", dump, status, rec.Code, rec.Body)
			}
		}
	})
}

// headersCarry reports whether the parsed request's headers hold exactly
// the permission's values (a server trims spaces around header values and
// refuses control characters).
func headersCarry(req *http.Request, perm, names map[string]string) bool {
	for k, v := range perm {
		if req.Header.Get(names[k]) != v || len(req.Header.Values(names[k])) != 1 {
			return false
		}
	}
	return true
}

func validUTF8(m map[string]string) bool {
	for _, v := range m {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// TestFuzzHandlerSeedsCoverRoutes holds FuzzHandler's committed corpus to
// the route table: a route without a seed fails, so that a new route is
// fuzzed from a realistic request, not only found by chance.
func TestFuzzHandlerSeedsCoverRoutes(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzHandler")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, p := range fuzzPlaceholders {
		ids[p] = "0b4e7a0e-5a1b-4c2d-8e3f-405162738495"
	}
	var seeds []*http.Request
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(raw), "\n")
		if len(lines) < 3 || lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a corpus file", e.Name())
		}
		var method, target string
		for i, v := range []*string{&method, &target} {
			lit, ok := strings.CutPrefix(strings.TrimSuffix(lines[i+1], ")"), "string(")
			if *v, err = strconv.Unquote(lit); !ok || err != nil {
				t.Fatalf("%s: line %d is not a string: %s", e.Name(), i+2, lines[i+1])
			}
		}
		u, err := url.ParseRequestURI(expand(target, ids))
		if err != nil || method == "" {
			continue
		}
		seeds = append(seeds, &http.Request{Method: method, URL: u, Host: "keyhold.test"})
	}
	for _, rt := range httpapi.New(httpapi.Config{}).Routes() {
		pattern := rt.Method + " " + rt.Path
		mux := http.NewServeMux()
		mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		if !slices.ContainsFunc(seeds, func(r *http.Request) bool {
			_, p := mux.Handler(r)
			return p == pattern && r.Method == rt.Method
		}) {
			t.Errorf("no seed in %s for %s: add a file whose method and target are a realistic request to it", dir, pattern)
		}
	}
}
