package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// TestDirectoryFacts: an account's page shows its POSIX numbers and its
// directory DN (the name escaped per RFC 4514), an app password is badged
// in the token list and an api token is not, a user's page shows the
// user's numbers and DN, and a team's page its gidNumber.
func TestDirectoryFacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "nas, #1"})
		if err != nil {
			t.Fatal(err)
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		app, err := e.svc.Tokens.CreateToken(ctx, ref, keyhold.TokenCreate{Name: "bind", Intent: keyhold.IntentAppPassword})
		if err != nil {
			t.Fatal(err)
		}
		api, err := e.svc.Tokens.CreateToken(ctx, ref, keyhold.TokenCreate{Name: "script", Intent: keyhold.IntentAPI})
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "dir@example.com", Password: "dir password 1234"})
		if err != nil {
			t.Fatal(err)
		}
		tm, err := e.svc.Teams.CreateTeam(ctx, keyhold.TeamCreate{Name: "Storage"})
		if err != nil {
			t.Fatal(err)
		}
		if a.UIDNumber == 0 || u.UIDNumber == 0 || tm.GIDNumber == 0 {
			t.Fatalf("numbers: account %d, user %d, team %d", a.UIDNumber, u.UIDNumber, tm.GIDNumber)
		}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		body := b.get("/ui/accounts/"+a.ID).want(t, http.StatusOK).body
		wantIn(t, body, fmt.Sprintf("uidNumber <code>%d</code>, gidNumber <code>%d</code>", a.UIDNumber, a.UIDNumber),
			`<code id="account-dn">cn=nas\, #1,ou=users,dc=keyhold,dc=local</code>`)
		wantIn(t, tokenRow(t, body, app.ID), `>app password</span>`)
		if strings.Contains(tokenRow(t, body, api.ID), "app password") {
			t.Fatalf("an api token is badged as an app password:\n%s", tokenRow(t, body, api.ID))
		}
		wantIn(t, b.get("/ui/users/"+u.ID).want(t, http.StatusOK).body,
			fmt.Sprintf("uidNumber <code>%d</code>", u.UIDNumber), `<code id="user-dn">cn=dir@example.com,ou=people,dc=keyhold,dc=local</code>`)
		wantIn(t, b.get("/ui/teams/"+tm.ID).want(t, http.StatusOK).body, fmt.Sprintf("gidNumber <code>%d</code>", tm.GIDNumber))
	})
}
