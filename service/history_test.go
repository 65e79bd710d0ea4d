package service_test

import (
	"slices"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// An account's history is every event whose actor or subject it is: what
// was done to it and its tokens, those deleted included, its memberships
// and roles, and what it did itself, refusals included. Another account's
// events stay out.
func TestAccountHistory(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, e *env) {
		a, actx := e.caller("deployer", identityAdmin)
		other := e.account("other")
		team, err := e.teams.CreateTeam(e.admin, keyhold.TeamCreate{Name: "ops"})
		ok(t, "create team", err)
		A := accountRef(a.ID)

		// Done to the account by the admin.
		name := "deploy-bot"
		_, err = e.accounts.UpdateSystemAccount(e.admin, a.ID, keyhold.SystemAccountUpdate{Name: &name})
		ok(t, "rename", err)
		tok := e.mint(a.ID, keyhold.TokenCreate{Name: "ci"})
		succ, err := e.tokens.RotateToken(e.admin, A, tok.ID, keyhold.TokenRotate{})
		ok(t, "rotate", err)
		_, err = e.tokens.RevokeToken(e.admin, A, succ.ID)
		ok(t, "revoke", err)
		ok(t, "delete", e.tokens.DeleteToken(e.admin, A, tok.ID))
		ok(t, "add member", e.teams.AddTeamMember(e.admin, team.ID, A))
		ok(t, "remove member", e.teams.RemoveTeamMember(e.admin, team.ID, A))
		ttl := 24 * time.Hour
		e.mint(a.ID, keyhold.TokenCreate{Name: "short", TTL: &ttl})
		e.clock.Advance(25 * time.Hour)
		e.svc.Jobs.RunJobs(e.ctx)

		// Done by the account: it creates an account, and is refused.
		made, err := e.accounts.CreateSystemAccount(actx, keyhold.SystemAccountCreate{Name: "made-by-deployer"})
		ok(t, "the account creates one", err)
		err = e.teams.AddTeamMember(actx, e.systemTeam(orgAdmin), A)
		wantCode(t, "the account makes itself an organization admin", err, keyhold.EFORBIDDEN)

		// Done to others, which its history leaves out.
		e.mint(other.ID, keyhold.TokenCreate{Name: "theirs"})
		ok(t, "add the other", e.teams.AddTeamMember(e.admin, team.ID, accountRef(other.ID)))

		e.svc.Decider.Flush(e.ctx, true)
		l, err := e.audit.ListAuditEvents(e.sys, keyhold.AuditFilter{Involving: &a.ID, Page: keyhold.Page{Number: 1, Size: 100}})
		ok(t, "history", err)
		var got []string
		for _, ev := range l.Items {
			if ev.ActorID != a.ID && ev.SubjectID != a.ID {
				t.Errorf("%s by %s on %s is in the account's history", ev.Action, ev.ActorName, ev.SubjectID)
			}
			got = append(got, ev.Action)
		}
		slices.Sort(got)
		want := []string{
			"role.assigned",                                    // identityAdmin, by e.caller
			"system_account.created", "system_account.created", // its own, and the one it made
			"system_account.updated",
			"team.member_added", "team.member_added", "team.member_removed", // one refused
			"token.created", "token.created", "token.created", // e.caller's, ci, short
			"token.deleted", "token.expired", "token.revoked", "token.rotated",
			"token.used", "token.used", // e.caller's token: its first use, and its hour's roll-up on the last flush
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("the account's history:\n got %q\nwant %q", got, want)
		}
		// The subject alone is what was done to it; the one it made is
		// that account's.
		l, err = e.audit.ListAuditEvents(e.sys, keyhold.AuditFilter{SubjectID: &made.ID, Page: keyhold.Page{Number: 1, Size: 100}})
		ok(t, "the made account's events", err)
		if len(l.Items) != 1 || l.Items[0].Action != "system_account.created" || l.Items[0].ActorID != a.ID {
			t.Errorf("the made account's events: %+v", l.Items)
		}
	})
}
