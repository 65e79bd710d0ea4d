package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

func TestDisableSystemAccount(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "nightly")
		other := createAccount(t, e, e.Admin, "other")
		_, spat := mintSPAT(t, e, acct, "t")
		e.Do("GET", "/v1/whoami", spat, nil).Want(t, 200)

		got := e.Do("POST", "/v3/system-accounts/"+acct+"/disable", e.Admin, nil).Want(t, 200).Map(t)
		if got["disabled"] != true {
			t.Fatalf("disable answered %v", got)
		}
		wantProblem(t, e.Do("GET", "/v1/whoami", spat, nil), 401)
		wantProblem(t, e.Do("GET", "/v1/authorize", spat, nil), 401)
		e.Do("POST", "/v3/system-accounts/"+acct+"/disable", e.Admin, nil).Want(t, 200) // idempotent

		if names := list(t, e, "/v3/system-accounts?filter[disabled]=true", e.Admin).names("name"); len(names) != 1 || names[0] != "nightly" {
			t.Errorf("disabled accounts = %v", names)
		}
		if names := list(t, e, "/v3/system-accounts?filter[disabled]=false", e.Admin).names("name"); contains(names, "nightly") || !contains(names, "other") {
			t.Errorf("enabled accounts = %v", names)
		}
		if n := audit(t, e, "?filter[action][eq]=system_account.disabled&filter[target_id][eq]="+acct).Meta.Page.Total; n != 2 {
			t.Errorf("%d disable events, want 2", n)
		}

		got = e.Do("POST", "/v2/system-accounts/"+acct+"/enable", e.Admin, nil).Want(t, 200).Map(t)
		if got["disabled"] != false {
			t.Fatalf("enable answered %v", got)
		}
		e.Do("GET", "/v1/whoami", spat, nil).Want(t, 200)

		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+other+"/disable", spat, nil), 403) // no identity role
		wantProblem(t, e.Do("POST", "/v3/system-accounts/00000000-0000-4000-8000-000000000000/disable", e.Admin, nil), 404)
		wantInvalid(t, e.Do("POST", "/v3/system-accounts/nope/disable", e.Admin, nil), "accountId", "is_uuid")
	})
}

func TestDisableManagedAccount(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		integration := createAccount(t, e, e.Admin, "integration")
		identityAdmin(t, e, "/v3/system-accounts/"+integration)
		_, spat := mintSPAT(t, e, integration, "i")
		var m struct{ ID string }
		e.Do("POST", "/v3/system-accounts", spat, map[string]any{"name": "zone", "description": "", "konnect_managed": true}).Want(t, 201).JSON(t, &m)
		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+m.ID+"/disable", e.Admin, nil), 403)
		e.Do("POST", "/v3/system-accounts/"+m.ID+"/disable", spat, nil).Want(t, 200)
	})
}

func TestCreateAccountWithTeam(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var a struct{ ID string }
		e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "billing-sync", "description": "", "create_team": true}).Want(t, 201).JSON(t, &a)
		var teams wire.List[wire.Team]
		e.Do("GET", "/v3/system-accounts/"+a.ID+"/teams", e.Admin, nil).Want(t, 200).JSON(t, &teams)
		if len(teams.Data) != 1 || teams.Data[0].Name != "billing-sync" {
			t.Fatalf("teams of the account = %+v", teams.Data)
		}
		// The team works as any team: its roles reach the account at once.
		assign(t, e, "/v3/teams/"+teams.Data[0].ID, "Viewer", "Control Planes", "*", "*")
		_, spat := mintSPAT(t, e, a.ID, "t")
		e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "eu"), spat, nil).Want(t, 200)

		// A name clash creates neither the account nor the team.
		before := list(t, e, "/v3/teams?filter[name][eq]=billing-sync", e.Admin).Meta.Page.Total
		wantProblem(t, e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "Billing-Sync", "description": "", "create_team": true}), 409)
		if after := list(t, e, "/v3/teams?filter[name][eq]=billing-sync", e.Admin).Meta.Page.Total; after != before {
			t.Errorf("a refused account left a team behind: %d → %d", before, after)
		}
		wantInvalid(t, e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "x", "description": "", "create_team": "yes"}), "create_team", "is_boolean")
	})
}

// Per token, keyhold keeps when, from where and with what it was last used.
func TestLastUse(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "reporter")
		id, spat := mintSPAT(t, e, acct, "t")
		path := "/v3/system-accounts/" + acct + "/access-tokens/" + id
		if got := e.Do("GET", path, e.Admin, nil).Want(t, 200).Map(t); got["last_used_at"] != nil || got["last_used_ip"] != nil {
			t.Fatalf("unused token = %v", got)
		}
		do(t, e, "GET", "/v1/whoami", spat, nil, http.Header{"User-Agent": {"ci-runner/1.0"}}).Want(t, 200)
		e.Service.Decider.Flush(t.Context(), true)
		got := e.Do("GET", path, e.Admin, nil).Want(t, 200).Map(t)
		if got["last_used_at"] == nil || got["last_used_ip"] != "127.0.0.1" || got["last_used_user_agent"] != "ci-runner/1.0" {
			t.Errorf("used token = %v", got)
		}
	})
}

func TestExpiringTokens(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := createAccount(t, e, e.Admin, "soon")
		b := createAccount(t, e, e.Admin, "later")
		mint := func(acct, name string, days int) string {
			var tok struct{ ID string }
			e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens", e.Admin, map[string]any{
				"name": name, "expires_at": e.Clock.Now().Add(time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)}).Want(t, 201).JSON(t, &tok)
			return tok.ID
		}
		in3 := mint(a, "three", 3)
		in10 := mint(b, "ten", 10)
		mint(b, "sixty", 60)
		revoked := mint(a, "revoked-soon", 2)
		e.Do("DELETE", "/v3/system-accounts/"+a+"/access-tokens/"+revoked, e.Admin, nil).Want(t, 204)

		var page wire.List[map[string]any]
		e.Do("GET", "/v1/tokens/expiring?within_days=14", e.Admin, nil).Want(t, 200).JSON(t, &page)
		if page.Meta.Page.Total != 2 || len(page.Data) != 2 || page.Data[0]["id"] != in3 || page.Data[1]["id"] != in10 ||
			page.Data[0]["owner_name"] != "soon" || page.Data[1]["owner_type"] != "system_account" || page.Data[0]["token_type"] != "spat" {
			t.Errorf("expiring within 14 days = %+v", page)
		}
		// The bootstrap admin's personal token expires in 90 days.
		e.Do("GET", "/v1/tokens/expiring?within_days=91&page[size]=10", e.Admin, nil).Want(t, 200).JSON(t, &page)
		if page.Meta.Page.Total != 4 {
			t.Errorf("within 91 days: %d tokens, want 4 (three account tokens and the admin's)", page.Meta.Page.Total)
		}
		wantInvalid(t, e.Do("GET", "/v1/tokens/expiring", e.Admin, nil), "within_days", "is_integer")
		wantInvalid(t, e.Do("GET", "/v1/tokens/expiring?within_days=0", e.Admin, nil), "within_days", "max")
		_, spat := mintSPAT(t, e, a, "nobody")
		wantProblem(t, e.Do("GET", "/v1/tokens/expiring?within_days=5", spat, nil), 403)
	})
}
