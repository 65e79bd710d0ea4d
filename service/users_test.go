package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// wantLastAdmin fails unless err refuses to let the last active user of
// Organization Admin go.
func wantLastAdmin(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, keyhold.EINVALID)
	if reason := fieldErrors(err)["userId"]; !strings.Contains(reason, "last active member of Organization Admin") {
		t.Errorf("%s: field errors %v, want userId the last admin", what, fieldErrors(err))
	}
}

// The last active user of Organization Admin cannot be deleted,
// deactivated or removed from the team, by anyone: nobody could administer
// keyhold afterwards. Inactive and invited members, and system accounts,
// do not count; with two active admins, one may go.
func TestLastAdmin(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		_, ops := e.caller("ops", identityAdmin)
		admins := e.systemTeam(orgAdmin)
		leave := map[string]func(ctx context.Context, id string) error{
			"delete": func(ctx context.Context, id string) error { return e.users.DeleteUser(ctx, id) },
			"deactivate": func(ctx context.Context, id string) error {
				_, err := e.sessions.SetUserActive(ctx, id, false)
				return err
			},
			"remove from the team": func(ctx context.Context, id string) error {
				return e.teams.RemoveTeamMember(ctx, admins, userRef(id))
			},
		}
		wantNoneLeaves := func(who string, id string) {
			t.Helper()
			for name, f := range leave {
				wantLastAdmin(t, name+" "+who+" by the identity admin", f(ops, id))
				wantLastAdmin(t, name+" "+who+" by keyhold itself", f(e.sys, id))
			}
		}

		// Members that do not count.
		inactive := e.user("inactive@example.com", orgAdmin)
		_, err := e.sessions.SetUserActive(e.admin, inactive.ID, false)
		ok(t, "deactivate an admin while another is active", err)
		invited, err := e.users.InviteUser(e.admin, keyhold.UserInvite{Email: "invited@example.com"})
		ok(t, "invite", err)
		ok(t, "add the invited user to Organization Admin", e.teams.AddTeamMember(e.admin, admins, userRef(invited.ID)))
		robot := e.account("robot")
		ok(t, "add an account to Organization Admin", e.teams.AddTeamMember(e.admin, admins, accountRef(robot.ID)))

		wantNoneLeaves("the only admin", e.adminID)
		if u, err := e.users.GetUser(e.admin, e.adminID); err != nil || !u.Active {
			t.Fatalf("the only admin after the refusals: %+v, %v", u, err)
		}
		if _, err := e.accounts.CreateSystemAccount(e.admin, keyhold.SystemAccountCreate{Name: "still-admin"}); err != nil {
			t.Fatalf("the only admin lost their privileges: %v", err)
		}
		// The others may go.
		ok(t, "remove the invited member", e.teams.RemoveTeamMember(ops, admins, userRef(invited.ID)))
		ok(t, "delete the inactive member", e.users.DeleteUser(ops, inactive.ID))
		ok(t, "delete a user who is no admin", e.users.DeleteUser(ops, e.user("plain@example.com").ID))

		// With two active admins, either may go, one way or another; the
		// one left stays.
		for _, name := range []string{"deactivate", "remove from the team", "delete"} {
			second := e.user("second-"+strings.ReplaceAll(name, " ", "-")+"@example.com", orgAdmin)
			ok(t, name+" the first admin, with a second", leave[name](ops, e.adminID))
			wantNoneLeaves("the second admin, left alone", second.ID)
			if name == "delete" {
				break
			}
			// Bring the first back, and let the second go the same way.
			if name == "deactivate" {
				_, err = e.sessions.SetUserActive(e.sys, e.adminID, true)
			} else {
				err = e.teams.AddTeamMember(e.sys, admins, userRef(e.adminID))
			}
			ok(t, "the first admin back", err)
			ok(t, name+" the second admin", leave[name](ops, second.ID))
			wantNoneLeaves("the first admin, left alone again", e.adminID)
		}
	})
}

// An invitation keeps the names given with it and validates them as
// CreateUser does.
func TestInviteKeepsNames(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		u, err := e.users.InviteUser(e.admin, keyhold.UserInvite{Email: "ada@example.com", FullName: "Ada Lovelace", PreferredName: "Ada"})
		ok(t, "invite with names", err)
		got, err := e.users.GetUser(e.admin, u.ID)
		ok(t, "get the invited user", err)
		if got.FullName != "Ada Lovelace" || got.PreferredName != "Ada" || got.Active || !got.Invited {
			t.Fatalf("invited user: %+v", got)
		}
		_, err = e.users.InviteUser(e.admin, keyhold.UserInvite{Email: "bad@example.com", FullName: "Ada\x00"})
		wantCode(t, "invite with a control character in the full name", err, keyhold.EINVALID)
		if _, found := fieldErrors(err)["full_name"]; !found {
			t.Errorf("field errors %v, want full_name", fieldErrors(err))
		}
	})
}
