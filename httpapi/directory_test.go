package httpapi_test

import (
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

const appPasswordDetail = "This token is an app password: it binds to the LDAP directory and cannot call the API"

// An app password shows its intent, is refused with a clear 401 on every
// HTTP surface, and may rotate itself, its successor staying an app
// password.
func TestAppPasswordOnTheAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "nas")
		identityAdmin(t, e, "/v3/system-accounts/"+acct)
		var app, api wire.AccessTokenCreated
		e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens", e.Admin, map[string]any{"name": "bind", "intent": "app_password"}).
			Want(t, 201).JSON(t, &app)
		e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens", e.Admin, map[string]any{"name": "script"}).
			Want(t, 201).JSON(t, &api)
		if app.Intent != keyhold.IntentAppPassword || api.Intent != keyhold.IntentAPI {
			t.Fatalf("intents: %q, %q", app.Intent, api.Intent)
		}
		e.Do("GET", "/v3/system-accounts/"+acct, api.Token, nil).Want(t, 200)
		for _, r := range []*apitest.Response{
			e.Do("GET", "/v3/system-accounts/"+acct, app.Token, nil),
			e.Do("GET", "/v1/whoami", app.Token, nil),
			e.Do("GET", authorizeQuery("Viewer", "Control Planes", "*", "us"), app.Token, nil),
			e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens/"+api.ID+"/rotate", app.Token, map[string]any{}),
		} {
			if p := wantProblem(t, r, 401); p.Detail != appPasswordDetail {
				t.Errorf("detail = %q", p.Detail)
			}
		}
		var succ wire.AccessTokenCreated
		e.Do("POST", "/v3/system-accounts/"+acct+"/access-tokens/"+app.ID+"/rotate", app.Token, map[string]any{}).Want(t, 201).JSON(t, &succ)
		if succ.Intent != keyhold.IntentAppPassword {
			t.Fatalf("successor intent %q", succ.Intent)
		}
		var listed wire.AccessToken
		e.Do("GET", "/v3/system-accounts/"+acct+"/access-tokens/"+succ.ID, e.Admin, nil).Want(t, 200).JSON(t, &listed)
		if listed.Intent != keyhold.IntentAppPassword {
			t.Fatalf("stored successor intent %q", listed.Intent)
		}
		wantProblem(t, e.Do("GET", "/v3/system-accounts/"+acct, succ.Token, nil), 401)
	})
}

// The POSIX numbers are keyhold fields of accounts, users and teams;
// Directory Reader is assignable on Identity and, like Token Introspector,
// not listed in /v3/roles.
func TestDirectoryFieldsAndRole(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "sssd")
		var a wire.SystemAccount
		e.Do("GET", "/v3/system-accounts/"+acct, e.Admin, nil).Want(t, 200).JSON(t, &a)
		var u wire.User
		e.Do("POST", "/v3/users", e.Admin, map[string]any{"email": "p@example.com", "full_name": "P"}).Want(t, 201).JSON(t, &u)
		var tm wire.Team
		e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "nas-users"}).Want(t, 201).JSON(t, &tm)
		if a.UIDNumber < keyhold.DefaultUIDStart || u.UIDNumber <= a.UIDNumber || tm.GIDNumber < keyhold.DefaultGIDStart {
			t.Fatalf("numbers: account %d, user %d, team %d", a.UIDNumber, u.UIDNumber, tm.GIDNumber)
		}
		assign(t, e, "/v3/system-accounts/"+acct, keyhold.DirectoryReaderRole, keyhold.IdentityEntityType, "*", "*")
		if body := e.Do("GET", "/v3/roles", e.Admin, nil).Want(t, 200).Body; strings.Contains(string(body), keyhold.DirectoryReaderRole) {
			t.Error("/v3/roles lists keyhold's own role")
		}
		// The role grants nothing on the API.
		_, tok := mintSPAT(t, e, acct, "t")
		for _, path := range []string{"/v3/system-accounts", "/v3/users", "/v3/teams"} {
			wantProblem(t, e.Do("GET", path, tok, nil), 403)
		}
	})
}
