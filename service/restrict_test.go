package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

const cpID = "7f5d0f4e-2a53-4c1b-9b4e-1d2c3b4a5f60"

var (
	cpViewerEU     = role("Control Planes", "Viewer", cpID, "eu")
	productsViewer = role("API Products", "Viewer", keyhold.AnyEntity, "eu")
)

// team creates a team holding roles, with the accounts as members, as the
// first admin.
func (e *env) team(name string, roles []keyhold.ScopeRole, accountIDs ...string) string {
	e.t.Helper()
	tm, err := e.teams.CreateTeam(e.admin, keyhold.TeamCreate{Name: name})
	if err != nil {
		e.t.Fatalf("create team %s: %v", name, err)
	}
	for _, r := range roles {
		e.assign(teamRef(tm.ID), r)
	}
	for _, id := range accountIDs {
		if err := e.teams.AddTeamMember(e.admin, tm.ID, accountRef(id)); err != nil {
			e.t.Fatalf("add %s to %s: %v", id, name, err)
		}
	}
	return tm.ID
}

func wantDecision(t *testing.T, what string, d keyhold.Decision, outcome authz.Outcome, reason string) {
	t.Helper()
	if d.Outcome != outcome || reason != "" && d.Reason != reason {
		t.Errorf("%s: %v %q, want %v %q", what, d.Outcome, d.Reason, outcome, reason)
	}
}

// A scope narrows a token to roles its account holds, directly or through
// its teams, and never widens it: the check is the account's, whoever
// mints.
func TestScopeOnCreate(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer", cpAdmin)
		e.team("api-viewers", []keyhold.ScopeRole{productsViewer}, a.ID)
		upper := cpViewerEU
		upper.EntityID = strings.ToUpper(cpID)
		tok := e.mint(a.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{cpViewerEU, cpViewerEU, upper, productsViewer}})
		if want := []keyhold.ScopeRole{cpViewerEU, productsViewer}; !slices.Equal(tok.Scope, want) {
			t.Errorf("scope = %v, want duplicates collapsed: %v", tok.Scope, want)
		}

		wantDecision(t, "a role of the scope, implied by one held", e.decide(tok.Value, cpViewerEU), authz.Allowed, "")
		wantDecision(t, "a role held through a team", e.decide(tok.Value, role("API Products", "Viewer", cpID, "eu")), authz.Allowed, "")
		wantDecision(t, "a role the account holds outside the scope", e.decide(tok.Value, role("Control Planes", "Admin", cpID, "eu")), authz.Forbidden, authz.ReasonScope)
		wantDecision(t, "the scope's role in another region", e.decide(tok.Value, role("Control Planes", "Viewer", cpID, "us")), authz.Forbidden, authz.ReasonScope)
		full := e.mint(a.ID, keyhold.TokenCreate{})
		wantDecision(t, "an unscoped token of the same account", e.decide(full.Value, role("Control Planes", "Admin", cpID, "eu")), authz.Allowed, "")

		for _, c := range []struct {
			name  string
			scope []keyhold.ScopeRole
			field string
		}{
			{"a role the account lacks", []keyhold.ScopeRole{role("Portals", "Admin", keyhold.AnyEntity, keyhold.AnyRegion)}, "scope[0]"},
			{"wider than held: every region", []keyhold.ScopeRole{cpViewerEU, role("API Products", "Viewer", keyhold.AnyEntity, keyhold.AnyRegion)}, "scope[1]"},
			{"wider than held: a stronger role", []keyhold.ScopeRole{role("API Products", "Admin", keyhold.AnyEntity, "eu")}, "scope[0]"},
		} {
			_, err := e.tokens.CreateToken(e.admin, accountRef(a.ID), keyhold.TokenCreate{Name: "wide", Scope: c.scope})
			wantCode(t, c.name, err, keyhold.EINVALID)
			if reason := fieldErrors(err)[c.field]; !strings.Contains(reason, "is not held by the system account") {
				t.Errorf("%s: field errors %v, want %s not held", c.name, fieldErrors(err), c.field)
			}
		}
		_, err := e.tokens.CreateToken(e.admin, accountRef(a.ID), keyhold.TokenCreate{Name: "empty", Scope: []keyhold.ScopeRole{}})
		if wantCode(t, "an empty scope", err, keyhold.EINVALID); fieldErrors(err)["scope"] == "" {
			t.Errorf("an empty scope: %v does not name the scope", err)
		}
		u := e.user("alice@example.com")
		_, err = e.tokens.CreateToken(e.sys, userRef(u.ID), keyhold.TokenCreate{Name: "scoped", TTL: dur(24 * time.Hour), Scope: []keyhold.ScopeRole{cpViewerEU}})
		if wantCode(t, "a scoped personal token", err, keyhold.EINVALID); fieldErrors(err)["scope"] == "" {
			t.Errorf("a scoped personal token: %v does not name the scope", err)
		}
	})
}

// When an account loses a role, by an unassignment, by leaving a team, by
// the team losing the role or by the team's deletion, its scoped tokens
// lose the entries it no longer holds, in the same change; a token left
// with none is revoked. Unscoped tokens keep working, and a role given
// back restores nothing.
func TestScopeAfterTheAccountLosesARole(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.account("deployer")
		cp := e.assign(accountRef(a.ID), cpAdmin)
		viewers := e.team("api-viewers", []keyhold.ScopeRole{productsViewer}, a.ID)
		both := e.mint(a.ID, keyhold.TokenCreate{Name: "both", Scope: []keyhold.ScopeRole{cpViewerEU, productsViewer}})
		cpOnly := e.mint(a.ID, keyhold.TokenCreate{Name: "cp-only", Scope: []keyhold.ScopeRole{cpAdmin}})
		full := e.mint(a.ID, keyhold.TokenCreate{Name: "full"})

		ok(t, "unassign", e.roles.UnassignRole(e.admin, accountRef(a.ID), cp.ID))
		if got := e.getToken(a.ID, both.ID); !slices.Equal(got.Scope, []keyhold.ScopeRole{productsViewer}) || got.RevokedAt != nil {
			t.Errorf("after losing Control Planes Admin: scope %v revoked %v, want %v and working", got.Scope, got.RevokedAt, productsViewer)
		}
		wantDecision(t, "the entry lost", e.decide(both.Value, cpViewerEU), authz.Forbidden, "")
		wantDecision(t, "the entry kept", e.decide(both.Value, productsViewer), authz.Allowed, "")
		if got := e.getToken(a.ID, cpOnly.ID); got.State(e.clock.Now()) != keyhold.TokenRevoked || got.RevokedBy == nil || *got.RevokedBy != e.adminID {
			t.Errorf("a token whose whole scope was lost: state %s revoked by %v, want revoked by the admin", got.State(e.clock.Now()), got.RevokedBy)
		}
		wantCode(t, "the revoked scoped token", e.authenticate(cpOnly.Value), keyhold.EUNAUTHENTICATED)
		ok(t, "the unscoped token", e.authenticate(full.Value))
		wantDecision(t, "the unscoped token on the lost role", e.decide(full.Value, cpViewerEU), authz.Forbidden, authz.ReasonNoRole)

		narrowed := e.events(keyhold.OutcomeSuccess, "token.scope_narrowed")
		if len(narrowed) != 1 || narrowed[0].TargetID != both.ID {
			t.Errorf("token.scope_narrowed events = %+v, want one for %s", narrowed, both.ID)
		}
		revoked := e.events(keyhold.OutcomeSuccess, "token.revoked")
		if len(revoked) != 1 || revoked[0].TargetID != cpOnly.ID {
			t.Errorf("token.revoked events = %+v, want one for %s", revoked, cpOnly.ID)
		}

		ok(t, "leave the team", e.teams.RemoveTeamMember(e.admin, viewers, accountRef(a.ID)))
		wantCode(t, "a token whose last entry went with the team", e.authenticate(both.Value), keyhold.EUNAUTHENTICATED)

		e.assign(accountRef(a.ID), cpAdmin)
		ok(t, "join the team again", e.teams.AddTeamMember(e.admin, viewers, accountRef(a.ID)))
		for _, tok := range []*keyhold.MintedToken{both, cpOnly} {
			wantCode(t, "a revoked scoped token after its roles came back", e.authenticate(tok.Value), keyhold.EUNAUTHENTICATED)
		}

		// The team loses the role, or goes.
		b := e.account("builder")
		builders := e.team("builders", []keyhold.ScopeRole{productsViewer}, b.ID)
		byTeamRole := e.mint(b.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{productsViewer}})
		roles, err := e.roles.ListAssignedRoles(e.admin, teamRef(builders), keyhold.AssignedRoleFilter{})
		ok(t, "the team's roles", err)
		ok(t, "the team loses its role", e.roles.UnassignRole(e.admin, teamRef(builders), roles[0].ID))
		wantCode(t, "a token scoped to the team's lost role", e.authenticate(byTeamRole.Value), keyhold.EUNAUTHENTICATED)

		// A role held two ways is lost only with the second.
		d := e.account("doubly")
		direct := e.assign(accountRef(d.ID), productsViewer)
		doubly := e.team("doubly-viewers", []keyhold.ScopeRole{productsViewer}, d.ID)
		twice := e.mint(d.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{productsViewer}})
		ok(t, "unassign the direct role", e.roles.UnassignRole(e.admin, accountRef(d.ID), direct.ID))
		if got := e.getToken(d.ID, twice.ID); !slices.Equal(got.Scope, twice.Scope) || got.RevokedAt != nil {
			t.Errorf("a scope still held through a team: scope %v revoked %v", got.Scope, got.RevokedAt)
		}
		wantDecision(t, "a scope still held through a team", e.decide(twice.Value, productsViewer), authz.Allowed, "")
		ok(t, "leave the team", e.teams.RemoveTeamMember(e.admin, doubly, accountRef(d.ID)))
		wantCode(t, "a scope held no more", e.authenticate(twice.Value), keyhold.EUNAUTHENTICATED)

		c := e.account("checker")
		checkers := e.team("checkers", []keyhold.ScopeRole{productsViewer}, c.ID)
		byTeam := e.mint(c.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{productsViewer}})
		ok(t, "delete the team", e.teams.DeleteTeam(e.admin, checkers))
		wantCode(t, "a token scoped to a deleted team's role", e.authenticate(byTeam.Value), keyhold.EUNAUTHENTICATED)
	})
}
