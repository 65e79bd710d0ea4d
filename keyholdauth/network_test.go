package keyholdauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/keyholdauth"
)

// A token bound to client networks is judged by the client's address when
// the service forwards it, and cached verdicts never cross addresses.
func TestNetworkBoundTokenThroughMiddleware(t *testing.T) {
	k := apitest.New(t, "sqlite", apitest.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	var acct, tok struct{ ID, Token string }
	k.Do("POST", "/v3/system-accounts", k.Admin, map[string]any{"name": "bound", "description": "bound"}).Want(t, 201).JSON(t, &acct)
	k.Do("POST", "/v3/system-accounts/"+acct.ID+"/access-tokens", k.Admin, map[string]any{
		"name": "t", "allowed_cidrs": []string{"10.0.0.0/8"}}).Want(t, 201).JSON(t, &tok)

	a, err := keyholdauth.New(keyholdauth.Config{URL: k.Server.URL, MaxStaleness: time.Minute,
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Test-Client") }})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	get := func(client string) int {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Authorization", "Bearer "+tok.Token)
		r.Header.Set("X-Test-Client", client)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, c := range []struct {
		client string
		want   int
	}{{"10.1.2.3", 200}, {"192.0.2.1", 403}, {"10.1.2.3", 200}, {"192.0.2.1", 403}} {
		if got := get(c.client); got != c.want {
			t.Errorf("from %s: %d, want %d", c.client, got, c.want)
		}
	}
}
