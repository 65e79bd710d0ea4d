package keyholdauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/keyholdauth"
)

// keyhold is a real keyhold with one system account that holds Viewer on
// every control plane in eu, and one token of that account.
type keyhold struct {
	*apitest.Env
	AccountID, TokenID, Token string
	calls                     atomic.Int64 // decision requests sent
}

const accountName = "reports-reader"

func startKeyhold(t *testing.T) *keyhold {
	t.Helper()
	k := &keyhold{Env: apitest.New(t, "sqlite", apitest.Options{})}
	var acct struct{ ID string }
	k.Do("POST", "/v3/system-accounts", k.Admin, map[string]any{"name": accountName, "description": "Reads reports"}).Want(t, 201).JSON(t, &acct)
	var tok struct{ ID, Token string }
	k.Do("POST", "/v3/system-accounts/"+acct.ID+"/access-tokens", k.Admin, map[string]any{
		"name": "reports", "expires_at": k.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}).Want(t, 201).JSON(t, &tok)
	k.Do("POST", "/v3/system-accounts/"+acct.ID+"/assigned-roles", k.Admin, map[string]any{
		"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "eu"}).Want(t, 201)
	k.AccountID, k.TokenID, k.Token = acct.ID, tok.ID, tok.Token
	return k
}

// deleteToken deletes the account's token through keyhold's API.
func (k *keyhold) deleteToken(t *testing.T) {
	t.Helper()
	k.Do("DELETE", "/v3/system-accounts/"+k.AccountID+"/access-tokens/"+k.TokenID, k.Admin, nil).Want(t, 204)
}

// client counts the decision requests that reach keyhold's transport.
func (k *keyhold) client() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		k.calls.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// viewer asks for Viewer on the control plane in the path, in the region
// of the query (eu by default), or for authentication only on other paths.
func viewer(r *http.Request) *keyholdauth.Permission {
	if r.PathValue("id") == "" {
		return nil
	}
	region := r.URL.Query().Get("region")
	if region == "" {
		region = "eu"
	}
	role := r.URL.Query().Get("role")
	if role == "" {
		role = "Viewer"
	}
	return &keyholdauth.Permission{RoleName: role, EntityTypeName: "Control Planes", EntityID: r.PathValue("id"), EntityRegion: region}
}

// service is a downstream service protected by the middleware.
type service struct {
	*httptest.Server
	Auth *keyholdauth.Authenticator
	mu   sync.Mutex
	seen []*keyholdauth.Principal // principals that reached the handler
}

func newService(t *testing.T, c keyholdauth.Config, setup ...func(*keyholdauth.Authenticator)) *service {
	t.Helper()
	if c.Permission == nil {
		c.Permission = viewer
	}
	a, err := keyholdauth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(a)
	}
	s := &service{Auth: a}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := keyholdauth.FromContext(r.Context())
		if !ok {
			t.Errorf("%s: no principal in the context", r.URL)
		}
		s.mu.Lock()
		s.seen = append(s.seen, p)
		s.mu.Unlock()
		_, _ = io.WriteString(w, "reports")
	})
	mux := http.NewServeMux()
	mux.Handle("GET /control-planes/{id}/reports", a.Middleware(next))
	mux.Handle("GET /me", a.Middleware(next))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// reached returns how many requests reached the handler.
func (s *service) reached() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.seen) }

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (s *service) get(t *testing.T, path, authorization string) response {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, body}
}

// want checks the status, and for refusals a problem+json body that
// carries the same status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if status == http.StatusOK {
		return r
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Status != status || p.Title == "" {
		t.Errorf("problem %s (%v): want status %d and a title", r.Body, err, status)
	}
	return r
}

// flipLast changes a token's last character, which breaks its checksum.
func flipLast(token string) string {
	last := byte('A')
	if token[len(token)-1] == last {
		last = 'B'
	}
	return token[:len(token)-1] + string(last)
}

func bearer(token string) string { return "Bearer " + token }

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestMiddleware(t *testing.T) {
	k := startKeyhold(t)
	svc := newService(t, keyholdauth.Config{URL: k.Server.URL, Client: k.client()})
	const cp = "/control-planes/0b4b9f5e-6f55-4d8a-9d43-0c9b4b0f1a11/reports"

	t.Run("OK", func(t *testing.T) {
		before := svc.reached()
		svc.get(t, cp, bearer(k.Token)).want(t, 200)
		if svc.reached() != before+1 {
			t.Fatal("the handler was not called")
		}
		want := keyholdauth.Principal{Type: "system_account", ID: k.AccountID, Name: accountName, TokenID: k.TokenID}
		if got := *svc.seen[len(svc.seen)-1]; got != want {
			t.Errorf("principal %+v, want %+v", got, want)
		}
	})
	t.Run("OKBasic", func(t *testing.T) {
		svc.get(t, cp, basic(accountName, k.Token)).want(t, 200)
	})
	t.Run("OKAuthenticationOnly", func(t *testing.T) {
		svc.get(t, "/me", bearer(k.Admin)).want(t, 200)
		if p := svc.seen[len(svc.seen)-1]; p.Type != "user" || p.Name != "admin@example.com" {
			t.Errorf("principal %+v, want the admin user", p)
		}
	})

	refusals := []struct {
		name, path, authorization string
		status                    int
		asksKeyhold               bool
	}{
		{"ErrForbiddenOtherRegion", cp + "?region=us", bearer(k.Token), 403, true},
		{"ErrForbiddenOtherRole", cp + "?role=Admin", bearer(k.Token), 403, true},
		{"ErrUnauthenticatedMissing", cp, "", 401, false},
		{"ErrUnauthenticatedGarbage", cp, "Bearer garbage", 401, true},
		{"ErrUnauthenticatedForgedToken", cp, bearer(flipLast(k.Token)), 401, true},
		{"ErrUnauthenticatedBasicWrongName", cp, basic("someone-else", k.Token), 401, true},
		{"ErrUnauthenticatedUnknownScheme", cp, "Token " + k.Token, 401, true},
		// The service asks for a role that does not exist: its fault, not
		// the client's, so neither 400 nor a pass.
		{"ErrInvalidPermission", cp + "?role=Overlord", bearer(k.Token), 500, true},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			reached, calls := svc.reached(), k.calls.Load()
			r := svc.get(t, tc.path, tc.authorization).want(t, tc.status)
			if svc.reached() != reached {
				t.Error("the handler was called")
			}
			if asked := k.calls.Load() != calls; asked != tc.asksKeyhold {
				t.Errorf("asked keyhold: %v, want %v", asked, tc.asksKeyhold)
			}
			if tc.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	t.Run("ErrForbiddenBodyIsKeyholds", func(t *testing.T) {
		// keyhold's own problem reaches the client: its instance names
		// keyhold's trace.
		r := svc.get(t, cp+"?region=us", bearer(k.Token)).want(t, 403)
		var p struct{ Instance, Detail string }
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("problem %s: %v", r.Body, err)
		}
		if len(p.Instance) < len("keyhold:trace:") || p.Instance[:len("keyhold:trace:")] != "keyhold:trace:" {
			t.Errorf("problem %s: want keyhold's instance", r.Body)
		}
	})
	t.Run("ErrUnauthenticatedTwoHeaders", func(t *testing.T) {
		req, _ := http.NewRequest("GET", svc.URL+cp, nil)
		req.Header.Add("Authorization", bearer(k.Token))
		req.Header.Add("Authorization", "Bearer garbage")
		res, err := svc.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("status %d, want 401", res.StatusCode)
		}
	})
}

func TestCheck(t *testing.T) {
	k := startKeyhold(t)
	a, err := keyholdauth.New(keyholdauth.Config{URL: k.Server.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	perm := &keyholdauth.Permission{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: "eu"}

	t.Run("OK", func(t *testing.T) {
		p, err := a.Check(ctx, bearer(k.Token), perm)
		if err != nil || p.ID != k.AccountID || p.TokenID != k.TokenID {
			t.Fatalf("Check = %+v, %v", p, err)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		_, err := a.Check(ctx, bearer(k.Token), &keyholdauth.Permission{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: "us"})
		var e *keyholdauth.Error
		if !errors.Is(err, keyholdauth.ErrForbidden) || !errors.As(err, &e) || e.Status != 403 || e.Detail == "" {
			t.Fatalf("Check error %v (%#v): want ErrForbidden with keyhold's detail", err, e)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		for _, authz := range []string{"", "Bearer spat_nope", "Bearer \x00"} {
			if _, err := a.Check(ctx, authz, perm); !errors.Is(err, keyholdauth.ErrUnauthenticated) {
				t.Errorf("Check(%q) error %v, want ErrUnauthenticated", authz, err)
			}
		}
	})
	t.Run("ErrInvalidPermission", func(t *testing.T) {
		_, err := a.Check(ctx, bearer(k.Token), &keyholdauth.Permission{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: "mars"})
		if !errors.Is(err, keyholdauth.ErrInvalidPermission) {
			t.Fatalf("Check error %v, want ErrInvalidPermission", err)
		}
	})
	t.Run("ErrUnavailableCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := a.Check(ctx, bearer(k.Token), perm)
		if !errors.Is(err, keyholdauth.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Check error %v, want ErrUnavailable wrapping context.Canceled", err)
		}
	})
}

func TestNew(t *testing.T) {
	for _, c := range []keyholdauth.Config{
		{},
		{URL: "keyhold:8080"},
		{URL: "ftp://keyhold"},
		{URL: "http://keyhold", MaxStaleness: -time.Second},
		{URL: "http://keyhold", MaxEntries: -1},
	} {
		if _, err := keyholdauth.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}
