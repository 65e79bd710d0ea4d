package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// Removing a role, a team membership or a personal token leads to a
// confirmation page that names what stops working; nothing is removed
// until its form is posted.
func TestRemovalsAreConfirmed(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "builder"})
		must(err)
		acct := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		team, err := e.svc.Teams.CreateTeam(ctx, keyhold.TeamCreate{Name: "release"})
		must(err)
		teamRef := keyhold.Ref{Type: keyhold.PrincipalTeam, ID: team.ID}
		_, err = e.svc.Roles.AssignRole(ctx, teamRef, keyhold.AssignRole{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: "*", EntityRegion: "us"})
		must(err)
		must(e.svc.Teams.AddTeamMember(ctx, team.ID, acct))
		direct, err := e.svc.Roles.AssignRole(ctx, acct, keyhold.AssignRole{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: "*", EntityRegion: "eu"})
		must(err)
		_, err = e.svc.Tokens.CreateToken(ctx, acct, keyhold.TokenCreate{Name: "ci"})
		must(err)
		scoped, err := e.svc.Tokens.CreateToken(ctx, acct, keyhold.TokenCreate{Name: "narrow",
			Scope: []keyhold.ScopeRole{{RoleName: "Viewer", EntityTypeName: "API Products", EntityID: "*", EntityRegion: "eu"}}})
		must(err)

		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		acctURL := "/ui/accounts/" + a.ID

		// A role: the button is a link to the confirmation.
		roleURL := acctURL + "/roles/" + direct.ID + "/delete"
		p := b.get(acctURL).want(t, http.StatusOK, `href="`+roleURL+`"`)
		if strings.Contains(p.body, `action="`+roleURL+`"`) {
			t.Fatal("the account's page removes a role in one click")
		}
		b.get(roleURL).want(t, http.StatusOK, "What this breaks", "builder loses Viewer on API Products * in eu.",
			"1 working token loses what this grants at once.", "1 scoped token names it in its scope", `action="`+roleURL+`"`)
		if roles, err := e.svc.Roles.ListAssignedRoles(ctx, acct, keyhold.AssignedRoleFilter{}); err != nil || len(roles) != 1 {
			t.Fatalf("before the confirmation's POST: %v %v", roles, err)
		}
		b.post(roleURL, url.Values{}).want(t, http.StatusOK, "Role removed")
		if roles, err := e.svc.Roles.ListAssignedRoles(ctx, acct, keyhold.AssignedRoleFilter{}); err != nil || len(roles) != 0 {
			t.Fatalf("after the confirmation's POST: %v %v", roles, err)
		}
		if tok, err := e.svc.Tokens.GetToken(ctx, acct, scoped.Token.ID); err != nil || tok.RevokedAt == nil {
			t.Fatalf("the scoped token the page named is not revoked: %+v %v", tok, err)
		}

		// A team membership, from the account's page.
		leaveURL := acctURL + "/teams/" + team.ID + "/remove"
		if p := b.get(acctURL).want(t, http.StatusOK, `href="`+leaveURL+`"`); strings.Contains(p.body, `action="`+leaveURL+`"`) {
			t.Fatal("the account's page leaves a team in one click")
		}
		b.get(leaveURL).want(t, http.StatusOK, "Remove builder from release?", "What this breaks",
			"builder loses the team&#39;s 1 role, unless it holds them otherwise: Viewer on API Products * in us.", "1 working token loses")
		members := func() int {
			t.Helper()
			l, err := e.svc.Teams.ListTeamSystemAccounts(ctx, team.ID, keyhold.SystemAccountFilter{Page: keyhold.Page{Number: 1, Size: 10}})
			must(err)
			return l.Total
		}
		if n := members(); n != 1 {
			t.Fatalf("before the confirmation's POST the team has %d members", n)
		}
		b.post(leaveURL, url.Values{}).want(t, http.StatusOK, "Removed from the team")
		if n := members(); n != 0 {
			t.Fatalf("after the confirmation's POST the team has %d members", n)
		}

		// A team membership, from the team's page: the member rides along
		// as hidden fields.
		must(e.svc.Teams.AddTeamMember(ctx, team.ID, acct))
		teamURL := "/ui/teams/" + team.ID
		memberURL := teamURL + "/members/remove?member_type=system_account&amp;member_id=" + a.ID
		if p := b.get(teamURL).want(t, http.StatusOK, `href="`+memberURL+`"`); strings.Contains(p.body, `action="`+teamURL+`/members/remove"`) {
			t.Fatal("the team's page removes a member in one click")
		}
		b.get(teamURL+"/members/remove?member_type=system_account&member_id="+a.ID).want(t, http.StatusOK,
			"Remove builder from release?", "Viewer on API Products * in us", `name="member_id" value="`+a.ID+`"`, `name="member_type" value="system_account"`)
		if n := members(); n != 1 {
			t.Fatalf("before the confirmation's POST the team has %d members", n)
		}
		b.post(teamURL+"/members/remove", url.Values{"member_type": {"system_account"}, "member_id": {a.ID}}).want(t, http.StatusOK, "Member removed")
		if n := members(); n != 0 {
			t.Fatalf("after the confirmation's POST the team has %d members", n)
		}

		// One's own personal token, as a user with no roles.
		_, err = e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "pat@example.com", Password: adminPassword})
		must(err)
		u := e.browser()
		u.signIn("pat@example.com", adminPassword) // lands on a list it may not read
		u.get("/ui/me").want(t, http.StatusOK)
		u.post("/ui/me/tokens/new", url.Values{"name": {"laptop"}, "expiry": {"30d"}}).want(t, http.StatusCreated)
		me := u.get("/ui/me").want(t, http.StatusOK, "laptop")
		pats := func() []*keyhold.Token {
			t.Helper()
			l, err := e.svc.Users.ListUsers(ctx, keyhold.UserFilter{Email: &keyhold.StringFilter{Op: keyhold.OpEq, Value: "pat@example.com"}, Page: keyhold.Page{Number: 1, Size: 1}})
			must(err)
			toks, err := e.svc.Tokens.ListTokens(ctx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: l.Items[0].ID}, keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}})
			must(err)
			return toks.Items
		}
		pat := pats()[0]
		patURL := "/ui/me/tokens/" + pat.ID + "/delete"
		if !strings.Contains(me.body, `href="`+patURL+`"`) || strings.Contains(me.body, `action="`+patURL+`"`) {
			t.Fatalf("/ui/me does not lead to a confirmation:\n%s", me.body)
		}
		u.get(patURL).want(t, http.StatusOK, "Delete token laptop?", "The token stops working at once.", `action="`+patURL+`"`)
		if n := len(pats()); n != 1 {
			t.Fatalf("before the confirmation's POST the user has %d tokens", n)
		}
		u.post(patURL, url.Values{}).want(t, http.StatusOK, "Token deleted")
		if n := len(pats()); n != 0 {
			t.Fatalf("after the confirmation's POST the user has %d tokens", n)
		}

		// Another user's personal token, revoked from their page.
		u.get("/ui/me")
		u.post("/ui/me/tokens/new", url.Values{"name": {"desktop"}, "expiry": {"30d"}}).want(t, http.StatusCreated)
		pat = pats()[0]
		userURL := "/ui/users/" + pat.Owner.ID
		revokeURL := userURL + "/tokens/" + pat.ID + "/revoke"
		if p := b.get(userURL).want(t, http.StatusOK, `href="`+revokeURL+`"`); strings.Contains(p.body, `action="`+revokeURL+`"`) {
			t.Fatal("the user's page revokes a token in one click")
		}
		b.get(revokeURL).want(t, http.StatusOK, "Revoke token desktop?", "The token stops working at once.", `action="`+revokeURL+`"`)
		if pats()[0].RevokedAt != nil {
			t.Fatal("the token is revoked before the confirmation's POST")
		}
		b.post(revokeURL, url.Values{}).want(t, http.StatusOK, "Token deleted")
		if pats()[0].RevokedAt == nil {
			t.Fatal("the token is not revoked after the confirmation's POST")
		}
	})
}
