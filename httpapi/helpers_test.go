package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// wantProblem fails unless r is a problem+json answer with status, whose
// body names the same status and the request id, and carries
// invalid_parameters exactly when the status is 400.
func wantProblem(t testing.TB, r *apitest.Response, status int) wire.Problem {
	t.Helper()
	r.Want(t, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p wire.Problem
	var raw map[string]json.RawMessage
	r.JSON(t, &p)
	r.JSON(t, &raw)
	if p.Status != status || p.Title == "" {
		t.Errorf("problem status %d title %q, want %d and a title", p.Status, p.Title, status)
	}
	if id := r.Header.Get("X-Request-Id"); id == "" || p.Instance != "keyhold:trace:"+id {
		t.Errorf("instance %q, want keyhold:trace:%s", p.Instance, id)
	}
	_, hasParams := raw["invalid_parameters"]
	if status == http.StatusBadRequest && (!hasParams || len(p.InvalidParameters) == 0) {
		t.Errorf("400 without invalid_parameters: %s", r.Body)
	}
	if status != http.StatusBadRequest && hasParams {
		t.Errorf("%d with invalid_parameters: %s", status, r.Body)
	}
	return p
}

// wantInvalid fails unless r is a 400 naming field, with rule when rule is
// not empty, and returns that item.
func wantInvalid(t testing.TB, r *apitest.Response, field, rule string) wire.InvalidParameter {
	t.Helper()
	p := wantProblem(t, r, http.StatusBadRequest)
	for _, ip := range p.InvalidParameters {
		if ip.Field == field {
			if rule != "" && ip.Rule != rule {
				t.Errorf("field %s: rule %q, want %q (%s)", field, ip.Rule, rule, r.Body)
			}
			if ip.Reason == "" {
				t.Errorf("field %s: empty reason", field)
			}
			return ip
		}
	}
	t.Errorf("no invalid_parameters item for %q in %s", field, r.Body)
	return wire.InvalidParameter{}
}

// do is Env.Do with extra request headers; the response is validated
// against the OpenAPI document in the same way.
func do(t testing.TB, e *apitest.Env, method, path, token string, body any, hdr http.Header) *apitest.Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp := &apitest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
	if err := e.Validate(req, resp); err != nil {
		t.Errorf("%v\nbody: %s", err, raw)
	}
	return resp
}

func createAccount(t testing.TB, e *apitest.Env, token, name string) string {
	t.Helper()
	var a wire.SystemAccount
	e.Do("POST", "/v3/system-accounts", token, map[string]any{"name": name, "description": "about " + name}).Want(t, 201).JSON(t, &a)
	return a.ID
}

func createTeam(t testing.TB, e *apitest.Env, name string) string {
	t.Helper()
	var tm wire.Team
	e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": name}).Want(t, 201).JSON(t, &tm)
	return tm.ID
}

func createUser(t testing.TB, e *apitest.Env, email, fullName string) string {
	t.Helper()
	var u wire.User
	e.Do("POST", "/v3/users", e.Admin, map[string]any{"email": email, "full_name": fullName}).Want(t, 201).JSON(t, &u)
	return u.ID
}

// mintSPAT gives the account a token valid for 30 days.
func mintSPAT(t testing.TB, e *apitest.Env, accountID, name string) (id, value string) {
	t.Helper()
	var tok wire.AccessTokenCreated
	e.Do("POST", "/v3/system-accounts/"+accountID+"/access-tokens", e.Admin, map[string]any{
		"name": name, "expires_at": e.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}).Want(t, 201).JSON(t, &tok)
	return tok.ID, tok.Token
}

// firstPAT mints a user's first personal access token. Only the user may
// create their own tokens, with a personal token, so the first one is made
// in-process as the user, the way a console sign-in would.
func firstPAT(t testing.TB, e *apitest.Env, userID string) string {
	t.Helper()
	email, _ := e.Do("GET", "/v3/users/"+userID, e.Admin, nil).Want(t, 200).Map(t)["email"].(string)
	ctx := keyhold.NewContextWithPrincipal(context.Background(),
		&keyhold.Principal{Type: keyhold.PrincipalUser, ID: userID, Name: email, TokenKind: keyhold.TokenKindPersonal})
	ttl := 30 * 24 * time.Hour
	m, err := e.Service.Tokens.CreateToken(ctx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: userID}, keyhold.TokenCreate{Name: "first", TTL: &ttl})
	if err != nil {
		t.Fatalf("first PAT: %v", err)
	}
	return m.Value
}

// assign gives a role on principal (a path such as /v3/users/<id>) and
// returns the assignment id.
func assign(t testing.TB, e *apitest.Env, principal, role, entityType, entityID, region string) string {
	t.Helper()
	var r wire.AssignedRole
	e.Do("POST", principal+"/assigned-roles", e.Admin, map[string]any{
		"role_name": role, "entity_type_name": entityType, "entity_id": entityID, "entity_region": region}).Want(t, 201).JSON(t, &r)
	return r.ID
}

// identityAdmin gives principal the Identity Admin role on everything.
func identityAdmin(t testing.TB, e *apitest.Env, principal string) string {
	t.Helper()
	return assign(t, e, principal, "Admin", keyhold.IdentityEntityType, "*", "*")
}

// systemTeam returns the id of the predefined team of that name.
func systemTeam(t testing.TB, e *apitest.Env, name string) string {
	t.Helper()
	var l wire.List[wire.Team]
	e.Do("GET", "/v3/teams?filter[name][eq]="+url.QueryEscape(name), e.Admin, nil).Want(t, 200).JSON(t, &l)
	if len(l.Data) != 1 || !l.Data[0].SystemTeam {
		t.Fatalf("system team %q: %+v", name, l.Data)
	}
	return l.Data[0].ID
}

// page is a decoded list response.
type page wire.List[map[string]any]

func list(t testing.TB, e *apitest.Env, path, token string) page {
	t.Helper()
	var p page
	e.Do("GET", path, token, nil).Want(t, 200).JSON(t, &p)
	return p
}

// names returns the given field of every item of a list.
func (p page) names(field string) []string {
	var out []string
	for _, it := range p.Data {
		s, _ := it[field].(string)
		out = append(out, s)
	}
	return out
}

// audit lists audit events with the admin's token; query is "" or starts
// with "?".
func audit(t testing.TB, e *apitest.Env, query string) wire.List[wire.AuditEvent] {
	t.Helper()
	var p wire.List[wire.AuditEvent]
	e.Do("GET", "/v3/audit-events"+query, e.Admin, nil).Want(t, 200).JSON(t, &p)
	return p
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
