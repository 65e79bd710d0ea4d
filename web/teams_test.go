package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// Teams, members, team roles, users and account edits through the pages,
// checked against the services.
func TestTeamsUsersAndEdits(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)

		b.get("/ui/accounts/new")
		acct := b.post("/ui/accounts/new", url.Values{"name": {"builder"}}).want(t, http.StatusOK, "System account created")
		b.get(acct.url+"/edit").want(t, http.StatusOK, `value="builder"`)
		b.post(acct.url+"/edit", url.Values{"name": {""}}).want(t, http.StatusBadRequest, `id="name-error"`, "cannot be blank")
		b.post(acct.url+"/edit", url.Values{"name": {"builder-2"}, "description": {"builds"}}).want(t, http.StatusOK, "System account saved", "builder-2")

		b.get("/ui/teams/new")
		team := b.post("/ui/teams/new", url.Values{"name": {"release"}, "description": {"ships"}}).want(t, http.StatusOK, "Team created", "No members yet")
		teamID := strings.TrimPrefix(team.url, "/ui/teams/")
		b.post(team.url+"/members", url.Values{"member_type": {"system_account"}, "member": {"nobody"}}).
			want(t, http.StatusBadRequest, `id="member-error"`, "no system account has this name")
		b.post(team.url+"/members", url.Values{"member_type": {"system_account"}, "member": {"builder-2"}}).want(t, http.StatusOK, "Member added")
		b.post(team.url+"/members", url.Values{"member_type": {"user"}, "member": {adminEmail}}).want(t, http.StatusOK, "Member added")
		users, err := e.svc.Teams.ListTeamUsers(ctx, teamID, keyhold.UserFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil || users.Total != 1 {
			t.Fatalf("team users: %v %v", users, err)
		}
		b.get(team.url+"/roles/new").want(t, http.StatusOK, "Assign a role to release")
		b.post(team.url+"/roles/new", url.Values{"entity_type_name": {"API Products"}, "role_name": {"Viewer"},
			"entity_id": {"*"}, "entity_region": {"us"}}).want(t, http.StatusOK, "Role assigned")
		roles, err := e.svc.Roles.ListAssignedRoles(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: teamID}, keyhold.AssignedRoleFilter{})
		if err != nil || len(roles) != 1 || roles[0].RoleName != "Viewer" {
			t.Fatalf("team roles: %v %v", roles, err)
		}
		b.get(team.url+"/roles/"+roles[0].ID+"/delete").want(t, http.StatusOK, "Remove Viewer on API Products from release?",
			"release loses Viewer on API Products * in us.", "1 system account and 1 user of the team lose it")
		b.post(team.url+"/roles/"+roles[0].ID+"/delete", url.Values{}).want(t, http.StatusOK, "Role removed")
		b.get(team.url+"/delete").want(t, http.StatusOK, "1 system account loses", "1 user loses")
		b.post(team.url+"/delete", url.Values{}).want(t, http.StatusOK, "Team deleted")

		// System teams are read-only: the page offers no edit, the service refuses one.
		list, err := e.svc.Teams.ListTeams(ctx, keyhold.TeamFilter{Name: &keyhold.StringFilter{Op: keyhold.OpEq, Value: "Portal Admin"}, Page: keyhold.Page{Number: 1, Size: 1}})
		if err != nil || len(list.Items) != 1 {
			t.Fatalf("system team: %v %v", list, err)
		}
		sys := "/ui/teams/" + list.Items[0].ID
		if p := b.get(sys).want(t, http.StatusOK, "its name, description and roles are fixed"); strings.Contains(p.body, sys+"/edit") {
			t.Fatal("a system team offers an edit link")
		}
		b.get(sys + "/edit")
		b.post(sys+"/edit", url.Values{"name": {"Mine now"}}).want(t, http.StatusBadRequest, "system teams cannot be modified")

		b.get("/ui/users/new")
		b.post("/ui/users/new", url.Values{"mode": {"invite"}, "email": {"not-an-email"}}).want(t, http.StatusBadRequest, `id="email-error"`)
		b.post("/ui/users/new", url.Values{"mode": {"invite"}, "email": {"new@example.com"}}).want(t, http.StatusOK, "User invited", "inactive")
		b.post("/ui/users/new", url.Values{"mode": {"create"}, "email": {"pat@example.com"}, "password": {"short"}}).
			want(t, http.StatusBadRequest, `id="password-error"`)
		b.post("/ui/users/new", url.Values{"mode": {"invite"}, "email": {"new@example.com"}}).want(t, http.StatusConflict, "already exists")
	})
}
