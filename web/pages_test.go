package web_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// past is one more than the largest page (keyhold.MaxPageSize).
const past = keyhold.MaxPageSize + 1

// lastPage is the last page of every list of the test, of past rows or
// one more, 50 a page.
const lastPage = 21

var nextRE = regexp.MustCompile(`href="([^"]+)" rel="next"`)

// Lists on detail pages page past a thousand rows, and the counts on
// confirmations count every row: an account's tokens and teams, a team's
// members, a user's personal tokens.
func TestConsoleListsPastTheFirstPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		me, err := e.svc.Users.Me(e.adminCtx())
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		acct := &keyhold.SystemAccount{ID: uuid.NewString(), Name: "busy", CreatedAt: now, UpdatedAt: now}
		acctRef := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: acct.ID}
		userRef := keyhold.Ref{Type: keyhold.PrincipalUser, ID: me.ID}
		team := &keyhold.Team{ID: uuid.NewString(), Name: "crowd", CreatedAt: now, UpdatedAt: now}
		fresh := &keyhold.Team{ID: uuid.NewString(), Name: "fresh", CreatedAt: now.Add(time.Minute), UpdatedAt: now}
		var lastTeam string
		err = e.db.Write(context.Background(), func(tx storage.Tx) error {
			ctx := context.Background()
			for _, x := range []error{tx.Accounts().CreateSystemAccount(ctx, acct), tx.Teams().CreateTeam(ctx, team)} {
				if x != nil {
					return x
				}
			}
			for i := range past {
				at := now.Add(-time.Hour + time.Duration(i)*time.Millisecond)
				for _, owner := range []keyhold.Ref{acctRef, userRef} {
					if err := tx.Tokens().CreateToken(ctx, token(owner, fmt.Sprintf("tok-%04d", i), at)); err != nil {
						return err
					}
				}
				// The account joins a team; a member account joins the crowd.
				tm := &keyhold.Team{ID: uuid.NewString(), Name: fmt.Sprintf("team-%04d", i), CreatedAt: at, UpdatedAt: at}
				m := &keyhold.SystemAccount{ID: uuid.NewString(), Name: fmt.Sprintf("member-%04d", i), CreatedAt: at, UpdatedAt: at}
				for _, x := range []func() error{
					func() error { return tx.Teams().CreateTeam(ctx, tm) },
					func() error { return tx.Teams().AddTeamMember(ctx, tm.ID, acctRef, at) },
					func() error { return tx.Accounts().CreateSystemAccount(ctx, m) },
					func() error {
						return tx.Teams().AddTeamMember(ctx, team.ID, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: m.ID}, at)
					},
				} {
					if err := x(); err != nil {
						return err
					}
				}
				lastTeam = tm.ID
			}
			return tx.Teams().CreateTeam(ctx, fresh)
		})
		if err != nil {
			t.Fatal(err)
		}
		newest := fmt.Sprintf("tok-%04d", past-1)
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)

		a := "/ui/accounts/" + acct.ID
		p := b.get(a).want(t, http.StatusOK, "tokens: page 1 of 21 (1001 in all)")
		lastOf(t, b, p, "tokens_page").want(t, http.StatusOK, newest)
		// Every team of the account, the newest included, and every other
		// team to join, the newest included.
		p = b.get(a).want(t, http.StatusOK, a+"/teams/"+lastTeam+"/remove", `<option value="`+fresh.ID+`">`)
		if strings.Contains(p.body, `<option value="`+lastTeam+`">`) {
			t.Fatal("the account is offered a team it is in")
		}
		b.get(a+"/delete").want(t, http.StatusOK, "1001 working tokens stop", "It leaves 1001 teams")
		b.get(a+"/disable").want(t, http.StatusOK, "1001 working tokens stop")

		p = b.get("/ui/teams/"+team.ID).want(t, http.StatusOK, "system accounts: page 1 of 21 (1001 in all)")
		lastOf(t, b, p, "accounts_page").want(t, http.StatusOK, fmt.Sprintf("member-%04d", past-1))

		u := "/ui/users/" + me.ID
		p = b.get(u).want(t, http.StatusOK, "tokens: page 1 of 21 (1002 in all)")
		lastOf(t, b, p, "tokens_page").want(t, http.StatusOK, newest)
		p = b.get("/ui/me").want(t, http.StatusOK, "tokens: page 1 of 21 (1002 in all)")
		lastOf(t, b, p, "tokens_page").want(t, http.StatusOK, newest)
		b.get(u+"/deactivate").want(t, http.StatusOK, "1002 personal access tokens are refused")
	})
}

// lastOf follows the page's link to its second page of the list paged by
// param, then asks for its last page, lastPage.
func lastOf(t *testing.T, b *browser, p page, param string) page {
	t.Helper()
	m := nextRE.FindStringSubmatch(p.body)
	if m == nil || !strings.Contains(m[1], param+"=2") {
		t.Fatalf("no link to the second page of %s:\n%s", param, p.body)
	}
	second := strings.ReplaceAll(m[1], "&amp;", "&")
	b.get(second).want(t, http.StatusOK)
	return b.get(strings.Replace(second, param+"=2", fmt.Sprintf("%s=%d", param, lastPage), 1))
}

// token is an active token of owner, expiring in 30 days.
func token(owner keyhold.Ref, name string, at time.Time) *keyhold.Token {
	kind := keyhold.TokenKindSystemAccount
	if owner.Type == keyhold.PrincipalUser {
		kind = keyhold.TokenKindPersonal
	}
	d := sha256.Sum256([]byte(owner.ID + name))
	exp := at.Add(30 * 24 * time.Hour)
	return &keyhold.Token{ID: uuid.NewString(), Kind: kind, Owner: owner, Name: name, Digest: d[:],
		CreatedAt: at, UpdatedAt: at, ExpiresAt: &exp}
}
