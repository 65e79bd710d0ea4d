package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// The everyday flow of the README: create an account, mint a token, give it
// a role, add it to a team, and use the token.
func TestEverydayFlow(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var acct struct{ ID, Name string }
		e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "ci-deployer", "description": "Deploys from CI"}).Want(t, 201).JSON(t, &acct)

		expires := e.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
		var tok wire.AccessTokenCreated
		e.Do("POST", "/v3/system-accounts/"+acct.ID+"/access-tokens", e.Admin, map[string]any{"name": "pipeline", "expires_at": expires}).Want(t, 201).JSON(t, &tok)
		if len(tok.Token) != 54 || tok.Token[:5] != "spat_" {
			t.Fatalf("token %q: want spat_ and 49 characters", tok.Token)
		}

		e.Do("POST", "/v3/system-accounts/"+acct.ID+"/assigned-roles", e.Admin, map[string]any{
			"role_name": "Viewer", "entity_id": "*", "entity_type_name": "Control Planes", "entity_region": "eu"}).Want(t, 201)

		var team struct{ ID string }
		e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "Deployers"}).Want(t, 201).JSON(t, &team)
		e.Do("POST", "/v3/teams/"+team.ID+"/system-accounts", e.Admin, map[string]any{"id": acct.ID}).Want(t, 201)
		e.Do("POST", "/v3/teams/"+team.ID+"/system-accounts", e.Admin, map[string]any{"id": acct.ID}).Want(t, 409)

		var who map[string]any
		e.Do("GET", "/v1/whoami", tok.Token, nil).Want(t, 200).JSON(t, &who)
		if who["principal_type"] != "system_account" || who["principal_id"] != acct.ID || who["principal_name"] != "ci-deployer" || who["token_id"] != tok.ID {
			t.Errorf("whoami = %v", who)
		}
		e.Do("GET", "/v1/whoami", basic("ci-deployer", tok.Token), nil).Want(t, 200)
		e.Do("GET", "/v1/whoami", basic("someone-else", tok.Token), nil).Want(t, 401)
		e.Do("GET", "/v3/users/me", tok.Token, nil).Want(t, 403)
		e.Do("GET", "/v3/organizations/me", tok.Token, nil).Want(t, 200)
		// Without an identity role the account may not read accounts.
		e.Do("GET", "/v3/system-accounts", tok.Token, nil).Want(t, 403)

		// Served under /v2 as well.
		e.Do("GET", "/v2/system-accounts/"+acct.ID, e.Admin, nil).Want(t, 200)

		// The account's teams and the team's accounts.
		var teams struct{ Data []struct{ ID string } }
		e.Do("GET", "/v3/system-accounts/"+acct.ID+"/teams", e.Admin, nil).Want(t, 200).JSON(t, &teams)
		if len(teams.Data) != 1 || teams.Data[0].ID != team.ID {
			t.Errorf("teams = %+v", teams)
		}

		// Deleting the account stops its token on the very next request.
		e.Do("DELETE", "/v3/system-accounts/"+acct.ID, e.Admin, nil).Want(t, 204)
		e.Do("GET", "/v1/whoami", tok.Token, nil).Want(t, 401)
		e.Do("GET", "/v3/system-accounts/"+acct.ID, e.Admin, nil).Want(t, 404)
	})
}

func TestTokenLifecycle(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var acct struct{ ID string }
		e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "bot", "description": ""}).Want(t, 201).JSON(t, &acct)
		path := "/v3/system-accounts/" + acct.ID + "/access-tokens"
		expires := e.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
		var tok wire.AccessTokenCreated
		e.Do("POST", path, e.Admin, map[string]any{"name": "t1", "expires_at": expires}).Want(t, 201).JSON(t, &tok)
		e.Do("POST", path, e.Admin, map[string]any{"name": "t1", "expires_at": expires}).Want(t, 409)

		e.Do("GET", "/v1/whoami", tok.Token, nil).Want(t, 200)
		e.Service.Decider.Flush(t.Context(), true)
		got := e.Do("GET", path+"/"+tok.ID, e.Admin, nil).Want(t, 200).Map(t)
		if got["last_used_at"] == nil || got["token"] != nil {
			t.Errorf("token = %v: want last_used_at and no value", got)
		}
		list := e.Do("GET", path, e.Admin, nil).Want(t, 200)
		if len(list.Body) == 0 || bytes.Contains(list.Body, []byte(tok.Token)) {
			t.Errorf("list leaks the token value")
		}
		e.Do("PATCH", path+"/"+tok.ID, e.Admin, map[string]any{"name": "renamed"}).Want(t, 200)

		// Expiry: refused once the clock passes expires_at.
		e.Clock.Advance(49 * time.Hour)
		e.Do("GET", "/v1/whoami", tok.Token, nil).Want(t, 401)

		e.Do("DELETE", path+"/"+tok.ID, e.Admin, nil).Want(t, 204)
		e.Do("GET", path+"/"+tok.ID, e.Admin, nil).Want(t, 404)
	})
}
