package httpapi_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

func TestTokenPolicy(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "policy-bot")
		path := "/v3/system-accounts/" + acct + "/access-tokens"
		now := e.Clock.Now()
		expiresIn := func(r *apitest.Response) time.Duration {
			t.Helper()
			var tok wire.AccessToken
			r.Want(t, 201).JSON(t, &tok)
			if tok.ExpiresAt == nil {
				return -1
			}
			return tok.ExpiresAt.Sub(now).Round(time.Minute)
		}

		got := e.Do("GET", "/v1/token-policy", e.Admin, nil).Want(t, 200).Map(t)
		if got["max_lifetime_seconds"] != float64(365*86400) || got["default_lifetime_seconds"] != float64(360*86400) || got["allow_non_expiring"] != false {
			t.Fatalf("default policy = %v", got)
		}
		if d := expiresIn(e.Do("POST", path, e.Admin, map[string]any{"name": "default"})); d != 360*24*time.Hour {
			t.Errorf("default lifetime %v", d)
		}
		if d := expiresIn(e.Do("POST", path, e.Admin, map[string]any{"name": "api", "intent": "api"})); d != 30*time.Minute {
			t.Errorf("api intent %v", d)
		}
		if d := expiresIn(e.Do("POST", path, e.Admin, map[string]any{"name": "app", "intent": "app_password"})); d != 365*24*time.Hour {
			t.Errorf("app_password intent %v", d)
		}
		p := wantInvalid(t, e.Do("POST", path, e.Admin, map[string]any{"name": "long", "expires_at": now.Add(400 * 24 * time.Hour).Format(time.RFC3339)}), "expires_at", "max")
		if p.Maximum == nil || *p.Maximum != 365*86400 {
			t.Errorf("max item = %+v", p)
		}
		wantInvalid(t, e.Do("POST", path, e.Admin, map[string]any{"name": "never", "expires_at": nil}), "expires_at", "required")

		_, spat := mintSPAT(t, e, acct, "reader") // before the stricter policy

		// A stricter policy: 7 days at most, non-expiring tokens allowed.
		e.Do("PUT", "/v1/token-policy", e.Admin, map[string]any{"max_lifetime_seconds": 7 * 86400, "default_lifetime_seconds": 86400, "allow_non_expiring": true}).Want(t, 200)
		if d := expiresIn(e.Do("POST", path, e.Admin, map[string]any{"name": "short"})); d != 24*time.Hour {
			t.Errorf("new default lifetime %v", d)
		}
		if d := expiresIn(e.Do("POST", path, e.Admin, map[string]any{"name": "app2", "intent": "app_password"})); d != 7*24*time.Hour {
			t.Errorf("an intent stays within the maximum: %v", d)
		}
		if d := expiresIn(e.Do("POST", path, e.Admin, map[string]any{"name": "forever", "expires_at": nil})); d != -1 {
			t.Errorf("non-expiring token expires in %v", d)
		}
		wantInvalid(t, e.Do("POST", path, e.Admin, map[string]any{"name": "eight", "expires_at": now.Add(8 * 24 * time.Hour).Format(time.RFC3339)}), "expires_at", "max")
		me := e.AdminID
		wantInvalid(t, e.Do("POST", "/v3/users/"+me+"/access-tokens", e.Admin, map[string]any{"name": "pat", "ttl_seconds": 8 * 86400}), "ttl_seconds", "max")
		if n := audit(t, e, "?filter[action][eq]=token_policy.updated").Meta.Page.Total; n != 1 {
			t.Errorf("%d policy events, want 1", n)
		}

		t.Run("ErrInvalid", func(t *testing.T) {
			wantInvalid(t, e.Do("PUT", "/v1/token-policy", e.Admin, map[string]any{"max_lifetime_seconds": 60, "default_lifetime_seconds": 60, "allow_non_expiring": false}), "max_lifetime_seconds", "min")
			wantInvalid(t, e.Do("PUT", "/v1/token-policy", e.Admin, map[string]any{"max_lifetime_seconds": 86400, "default_lifetime_seconds": 2 * 86400, "allow_non_expiring": false}), "default_lifetime_seconds", "max")
			wantInvalid(t, e.Do("PUT", "/v1/token-policy", e.Admin, map[string]any{"max_lifetime_seconds": 86400, "default_lifetime_seconds": 3600}), "allow_non_expiring", "required")
			wantInvalid(t, e.Do("PUT", "/v1/token-policy", e.Admin, map[string]any{"max_lifetime_seconds": "long", "default_lifetime_seconds": 3600, "allow_non_expiring": false}), "max_lifetime_seconds", "is_integer")
			if got := e.Do("GET", "/v1/token-policy", e.Admin, nil).Want(t, 200).Map(t); got["max_lifetime_seconds"] != float64(7*86400) {
				t.Errorf("a refused change changed the policy: %v", got)
			}
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			wantProblem(t, e.Do("PUT", "/v1/token-policy", spat, map[string]any{"max_lifetime_seconds": 86400, "default_lifetime_seconds": 3600, "allow_non_expiring": true}), 403)
		})
	})
}
