package httpapi_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// Nobody hands out more than they hold; Organization Admin holds all.
func TestNoEscalation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ops := createAccount(t, e, e.Admin, "ops")
		identityAdmin(t, e, "/v3/system-accounts/"+ops)
		_, spat := mintSPAT(t, e, ops, "ops")
		target := createAccount(t, e, e.Admin, "target")
		roles := "/v3/system-accounts/" + target + "/assigned-roles"
		viewerEU := map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cpID, "entity_region": "eu"}

		wantProblem(t, e.Do("POST", roles, spat, viewerEU), 403)
		assign(t, e, "/v3/system-accounts/"+ops, "Admin", "Control Planes", "*", "eu")
		e.Do("POST", roles, spat, viewerEU).Want(t, 201) // Admin implies Viewer, * covers the entity
		wantProblem(t, e.Do("POST", roles, spat, map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cpID, "entity_region": "us"}), 403)
		wantProblem(t, e.Do("POST", roles, spat, map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "*"}), 403)
		e.Do("POST", roles, spat, map[string]any{"role_name": "Admin", "entity_type_name": "Identity", "entity_id": "*", "entity_region": "*"}).Want(t, 201)

		// Adding a member gives the team's roles.
		cpTeam := createTeam(t, e, "cp-eu")
		assign(t, e, "/v3/teams/"+cpTeam, "Viewer", "Control Planes", "*", "eu")
		portalTeam := createTeam(t, e, "portals")
		assign(t, e, "/v3/teams/"+portalTeam, "Admin", "Portals", "*", "*")
		other := createAccount(t, e, e.Admin, "other")
		e.Do("POST", "/v3/teams/"+cpTeam+"/system-accounts", spat, map[string]any{"id": other}).Want(t, 201)
		wantProblem(t, e.Do("POST", "/v3/teams/"+portalTeam+"/system-accounts", spat, map[string]any{"id": other}), 403)
		wantProblem(t, e.Do("POST", "/v3/teams/"+portalTeam+"/system-accounts", spat, map[string]any{"id": ops}), 403)
		orgAdmin := systemTeam(t, e, "Organization Admin")
		wantProblem(t, e.Do("POST", "/v3/teams/"+orgAdmin+"/system-accounts", spat, map[string]any{"id": ops}), 403)
		e.Do("POST", "/v3/teams/"+orgAdmin+"/system-accounts", e.Admin, map[string]any{"id": other}).Want(t, 201)
		if n := list(t, e, "/v3/teams/"+portalTeam+"/system-accounts", e.Admin).Meta.Page.Total; n != 0 {
			t.Errorf("a refused membership was written: %d members", n)
		}
	})
}

// A system account's token cannot mint tokens for its own account.
func TestNoSelfPerpetuation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		bot := createAccount(t, e, e.Admin, "self")
		identityAdmin(t, e, "/v3/system-accounts/"+bot)
		_, spat := mintSPAT(t, e, bot, "t")
		body := map[string]any{"name": "again", "expires_at": e.Clock.Now().Add(time.Hour).Format(time.RFC3339)}
		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+bot+"/access-tokens", spat, body), 403)
		other := createAccount(t, e, e.Admin, "other")
		e.Do("POST", "/v3/system-accounts/"+other+"/access-tokens", spat, body).Want(t, 201)
	})
}
