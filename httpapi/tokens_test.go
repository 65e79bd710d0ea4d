package httpapi_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// patList is the PAT list: meta is PageMeta itself, with no page level.
type patList struct {
	Meta map[string]any   `json:"meta"`
	Data []map[string]any `json:"data"`
}

func TestPersonalAccessTokens(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		user := createUser(t, e, "dev@example.com", "Dev")
		pat := firstPAT(t, e, user)
		path := "/v3/users/" + user + "/access-tokens"
		now := e.Clock.Now().UTC()

		var byTTL, byExpiry map[string]any
		e.Do("POST", path, pat, map[string]any{"name": "laptop", "ttl_seconds": 86400}).Want(t, 201).JSON(t, &byTTL)
		value, _ := byTTL["konnect_token"].(string)
		if len(value) != 54 || value[:5] != "kpat_" || byTTL["state"] != "ACTIVE" || byTTL["user_id"] != user ||
			byTTL["expires_at"] != now.Add(24*time.Hour).Format(time.RFC3339) || byTTL["name"] != "laptop" {
			t.Errorf("created by ttl = %v", byTTL)
		}
		expires := now.Add(365 * 24 * time.Hour)
		e.Do("POST", path, pat, map[string]any{"name": "ci runner", "expires_at": expires.Format(time.RFC3339)}).Want(t, 201).JSON(t, &byExpiry)
		if byExpiry["expires_at"] != expires.Format(time.RFC3339) || byExpiry["konnect_token"] == nil {
			t.Errorf("created by expires_at = %v", byExpiry)
		}
		e.Do("POST", path, pat, map[string]any{"name": "longest", "ttl_seconds": 31536000}).Want(t, 201)
		var who map[string]any
		e.Do("GET", "/v1/whoami", value, nil).Want(t, 200).JSON(t, &who)
		if who["principal_type"] != "user" || who["principal_id"] != user || who["principal_name"] != "dev@example.com" || who["token_type"] != "kpat" || who["token_id"] != byTTL["id"] {
			t.Errorf("whoami = %v", who)
		}

		t.Run("List", func(t *testing.T) {
			r := e.Do("GET", path, pat, nil).Want(t, 200)
			var l patList
			r.JSON(t, &l)
			if _, nested := l.Meta["page"]; nested || l.Meta["number"] != 1.0 || l.Meta["total"] != 4.0 || l.Meta["size"] == nil {
				t.Errorf("meta = %v, want number/size/total directly", l.Meta)
			}
			if len(l.Data) != 4 {
				t.Errorf("%d tokens, want 4", len(l.Data))
			}
			for _, p := range []string{path, path + "/" + byTTL["id"].(string)} {
				body := e.Do("GET", p, pat, nil).Want(t, 200).Body
				if bytes.Contains(body, []byte(value)) || bytes.Contains(body, []byte("konnect_token")) || bytes.Contains(body, []byte(pat)) {
					t.Errorf("GET %s shows a token value: %s", p, body)
				}
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			for _, c := range []struct {
				name        string
				body        map[string]any
				field, rule string
			}{
				{"UnknownProperty", map[string]any{"name": "x1", "ttl_seconds": 86400, "user_id": user}, "user_id", "unknown_property"},
				{"TTLTooShort", map[string]any{"name": "x1", "ttl_seconds": 86399}, "ttl_seconds", "min"},
				{"TTLZero", map[string]any{"name": "x1", "ttl_seconds": 0}, "ttl_seconds", "min"},
				{"TTLNegative", map[string]any{"name": "x1", "ttl_seconds": -86400}, "ttl_seconds", "min"},
				{"TTLTooLong", map[string]any{"name": "x1", "ttl_seconds": 31536001}, "ttl_seconds", "max"},
				{"TTLHuge", map[string]any{"name": "x1", "ttl_seconds": int64(1) << 62}, "ttl_seconds", "max"},
				{"ExpiryTooFar", map[string]any{"name": "x1", "expires_at": now.Add(366 * 24 * time.Hour).Format(time.RFC3339)}, "expires_at", "max"},
				{"NoLifetime", map[string]any{"name": "x1"}, "expires_at", "required"},
				{"NoName", map[string]any{"ttl_seconds": 86400}, "name", "required"},
				{"NameBadCharacters", map[string]any{"name": "lap/top", "ttl_seconds": 86400}, "name", "matches_regex"},
				{"NameTrailingSpace", map[string]any{"name": "laptop ", "ttl_seconds": 86400}, "name", "matches_regex"},
			} {
				t.Run(c.name, func(t *testing.T) {
					wantInvalid(t, e.Do("POST", path, pat, c.body), c.field, c.rule)
				})
			}
			wantInvalid(t, e.Do("PATCH", path+"/"+byTTL["id"].(string), pat, map[string]any{"name": "ok name", "state": "REVOKED"}), "state", "unknown_property")
			var l patList
			e.Do("GET", path, pat, nil).Want(t, 200).JSON(t, &l)
			if len(l.Data) != 4 {
				t.Errorf("%d tokens after refused creates, want 4", len(l.Data))
			}
		})

		t.Run("Rename", func(t *testing.T) {
			id := byExpiry["id"].(string)
			got := e.Do("PATCH", path+"/"+id, pat, map[string]any{"name": "ci runner 2"}).Want(t, 200).Map(t)
			if got["name"] != "ci runner 2" || got["state"] != "ACTIVE" || got["konnect_token"] != nil {
				t.Errorf("renamed = %v", got)
			}
			wantProblem(t, e.Do("PATCH", path+"/"+id, pat, map[string]any{"name": "laptop"}), 409)
			wantProblem(t, e.Do("POST", path, pat, map[string]any{"name": "laptop", "ttl_seconds": 86400}), 409)
		})

		t.Run("ErrConflictAtEleven", func(t *testing.T) {
			// The user holds 4 active tokens; 6 more make 10.
			for i := 0; i < 6; i++ {
				e.Do("POST", path, pat, map[string]any{"name": fmt.Sprintf("bulk %d", i), "ttl_seconds": 86400}).Want(t, 201)
			}
			wantProblem(t, e.Do("POST", path, pat, map[string]any{"name": "eleventh", "ttl_seconds": 86400}), 409)
			var l patList
			e.Do("GET", path, pat, nil).Want(t, 200).JSON(t, &l)
			if l.Meta["total"] != 10.0 {
				t.Errorf("total %v, want 10", l.Meta["total"])
			}
		})

		t.Run("Revoke", func(t *testing.T) {
			id := byTTL["id"].(string)
			e.Clock.Advance(time.Minute)
			got := e.Do("PATCH", path+"/"+id+"/revoke", pat, nil).Want(t, 200).Map(t)
			if got["state"] != "REVOKED" || got["revoked_by"] != user || got["revoked_at"] != e.Clock.Now().UTC().Format(time.RFC3339) || got["konnect_token"] != nil {
				t.Errorf("revoked = %v", got)
			}
			wantProblem(t, e.Do("GET", "/v1/whoami", value, nil), 401)
			// A revoked token stays listed and frees a place.
			if got := e.Do("GET", path+"/"+id, pat, nil).Want(t, 200).Map(t); got["state"] != "REVOKED" {
				t.Errorf("get = %v", got)
			}
			e.Do("POST", path, pat, map[string]any{"name": "replacement", "ttl_seconds": 86400}).Want(t, 201)
			// Revoking again changes nothing.
			again := e.Do("PATCH", path+"/"+id+"/revoke", pat, nil).Want(t, 200).Map(t)
			if again["revoked_at"] != got["revoked_at"] {
				t.Errorf("revoked_at moved: %v → %v", got["revoked_at"], again["revoked_at"])
			}
		})

		t.Run("Expire", func(t *testing.T) {
			var short map[string]any
			other := createUser(t, e, "short@example.com", "")
			otherPAT := firstPAT(t, e, other)
			e.Do("POST", "/v3/users/"+other+"/access-tokens", otherPAT, map[string]any{"name": "day", "ttl_seconds": 86400}).Want(t, 201).JSON(t, &short)
			e.Clock.Advance(24*time.Hour + time.Second)
			wantProblem(t, e.Do("GET", "/v1/whoami", short["konnect_token"].(string), nil), 401)
			if got := e.Do("GET", "/v3/users/"+other+"/access-tokens/"+short["id"].(string), otherPAT, nil).Want(t, 200).Map(t); got["state"] != "EXPIRED" {
				t.Errorf("state = %v, want EXPIRED", got["state"])
			}
		})

		t.Run("Delete", func(t *testing.T) {
			id := byExpiry["id"].(string)
			e.Do("DELETE", path+"/"+id, pat, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", path+"/"+id, pat, nil), 404)
			wantProblem(t, e.Do("DELETE", path+"/"+id, pat, nil), 404)
		})
	})
}

// Only the user manages their own tokens; Identity admins may read and
// revoke them, and system accounts may never create one.
func TestPersonalAccessTokenOwnership(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		user := createUser(t, e, "owner@example.com", "Owner")
		pat := firstPAT(t, e, user)
		path := "/v3/users/" + user + "/access-tokens"
		var tok map[string]any
		e.Do("POST", path, pat, map[string]any{"name": "mine", "ttl_seconds": 86400}).Want(t, 201).JSON(t, &tok)
		id := tok["id"].(string)
		value := tok["konnect_token"].(string)

		bot := createAccount(t, e, e.Admin, "id-bot")
		identityAdmin(t, e, "/v3/system-accounts/"+bot)
		_, spat := mintSPAT(t, e, bot, "bot")
		peer := createUser(t, e, "peer@example.com", "Peer")
		peerPAT := firstPAT(t, e, peer)

		t.Run("IdentityAdmin", func(t *testing.T) {
			var l patList
			e.Do("GET", path, e.Admin, nil).Want(t, 200).JSON(t, &l)
			if len(l.Data) != 2 {
				t.Errorf("admin sees %d tokens, want 2", len(l.Data))
			}
			e.Do("GET", path+"/"+id, e.Admin, nil).Want(t, 200)
			wantProblem(t, e.Do("POST", path, e.Admin, map[string]any{"name": "for you", "ttl_seconds": 86400}), 403)
			wantProblem(t, e.Do("PATCH", path+"/"+id, e.Admin, map[string]any{"name": "renamed"}), 403)
			wantProblem(t, e.Do("DELETE", path+"/"+id, e.Admin, nil), 403)
			if got := e.Do("GET", path+"/"+id, pat, nil).Want(t, 200).Map(t); got["name"] != "mine" {
				t.Errorf("token changed by refused requests: %v", got)
			}
			got := e.Do("PATCH", path+"/"+id+"/revoke", e.Admin, nil).Want(t, 200).Map(t)
			if got["state"] != "REVOKED" || got["revoked_by"] != e.AdminID {
				t.Errorf("revoked = %v", got)
			}
			wantProblem(t, e.Do("GET", "/v1/whoami", value, nil), 401)
		})

		t.Run("SystemAccount", func(t *testing.T) {
			// Even with Identity Admin, a system account cannot mint a PAT,
			// for a user or for itself.
			wantProblem(t, e.Do("POST", path, spat, map[string]any{"name": "from bot", "ttl_seconds": 86400}), 403)
			code := e.Do("POST", "/v3/users/"+bot+"/access-tokens", spat, map[string]any{"name": "self", "ttl_seconds": 86400}).Status
			if code != 403 && code != 404 {
				t.Errorf("PAT for the account itself: %d", code)
			}
			e.Do("GET", path, spat, nil).Want(t, 200)
			var l patList
			e.Do("GET", path, pat, nil).Want(t, 200).JSON(t, &l)
			if len(l.Data) != 2 {
				t.Errorf("%d tokens, want 2", len(l.Data))
			}
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			// A user without roles sees none of another user's tokens.
			wantProblem(t, e.Do("GET", path, peerPAT, nil), 403)
			wantProblem(t, e.Do("GET", path+"/"+id, peerPAT, nil), 403)
			wantProblem(t, e.Do("POST", path, peerPAT, map[string]any{"name": "sneaky", "ttl_seconds": 86400}), 403)
			wantProblem(t, e.Do("PATCH", path+"/"+id+"/revoke", peerPAT, nil), 403)
			wantProblem(t, e.Do("DELETE", path+"/"+id, peerPAT, nil), 403)
			// Nor can one user's token be reached under another's path.
			wantProblem(t, e.Do("GET", "/v3/users/"+peer+"/access-tokens/"+id, peerPAT, nil), 404)
			wantProblem(t, e.Do("DELETE", "/v3/users/"+peer+"/access-tokens/"+id, peerPAT, nil), 404)
			e.Do("GET", path+"/"+id, pat, nil).Want(t, 200)
		})

		t.Run("BasicAuth", func(t *testing.T) {
			e.Do("GET", "/v3/users/me", basic("peer@example.com", peerPAT), nil).Want(t, 200)
			wantProblem(t, e.Do("GET", "/v3/users/me", basic("owner@example.com", peerPAT), nil), 401)
		})
	})
}
