package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// tokenRow returns the HTML of the row of token id on a page.
func tokenRow(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr id="token-` + regexp.QuoteMeta(id) + `"[^>]*>.*?</tr>`).FindString(body)
	if m == "" {
		t.Fatalf("no row for token %s:\n%s", id, body)
	}
	return m
}

func wantIn(t *testing.T, row string, contains ...string) {
	t.Helper()
	for _, c := range contains {
		if !strings.Contains(row, c) {
			t.Fatalf("row lacks %q:\n%s", c, row)
		}
	}
}

// TestTokenListBadges: an account's token list names each token by a
// short id and its creation time, links a rotation's two tokens, and
// badges each token with what the API makes of it, the account's state
// included.
func TestTokenListBadges(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "badges"})
		if err != nil {
			t.Fatal(err)
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		old, err := e.svc.Tokens.CreateToken(ctx, ref, keyhold.TokenCreate{Name: "deploy"})
		if err != nil {
			t.Fatal(err)
		}
		overlap := 24 * time.Hour
		succ, err := e.svc.Tokens.RotateToken(ctx, ref, old.ID, keyhold.TokenRotate{Overlap: &overlap})
		if err != nil {
			t.Fatal(err)
		}
		prev, err := e.svc.Tokens.GetToken(ctx, ref, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if prev.RotationDeadline == nil {
			t.Fatal("the rotated token has no rotation deadline")
		}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		body := b.get("/ui/accounts/"+a.ID).want(t, http.StatusOK).body
		oldRow, newRow := tokenRow(t, body, old.ID), tokenRow(t, body, succ.ID)
		if old.ID[:8] == succ.ID[:8] {
			t.Fatalf("the two tokens share a short id %s", old.ID[:8])
		}
		iso := func(ts time.Time) string { return ts.UTC().Format(time.RFC3339) }
		wantIn(t, oldRow, `<code class="token-short">`+old.ID[:8]+`</code>`,
			`datetime="`+iso(old.CreatedAt)+`"`,
			`replaced by <a href="#token-`+succ.ID+`"><code>`+succ.ID[:8]+`</code></a>`,
			`data-token-state="ROTATING"`, `until <time datetime="`+iso(*prev.RotationDeadline)+`">`)
		wantIn(t, newRow, `<code class="token-short">`+succ.ID[:8]+`</code>`,
			`datetime="`+iso(succ.CreatedAt)+`"`,
			`replaces <a href="#token-`+old.ID+`"><code>`+old.ID[:8]+`</code></a>`,
			`data-token-state="ACTIVE"`)
		if strings.Contains(oldRow, "replaces") || strings.Contains(newRow, "replaced by") {
			t.Fatalf("a link in the wrong direction:\n%s\n%s", oldRow, newRow)
		}

		// Disabled: the API answers 401 to both, and the badges say so.
		if _, err := e.svc.Accounts.SetSystemAccountDisabled(ctx, a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Decider.Authenticate(ctx, keyhold.Credentials{Bearer: succ.Value}); keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
			t.Fatalf("a disabled account's token authenticated: %v", err)
		}
		body = b.get("/ui/accounts/"+a.ID).want(t, http.StatusOK).body
		for _, id := range []string{old.ID, succ.ID} {
			row := tokenRow(t, body, id)
			wantIn(t, row, `<span class="state state-REFUSED" data-token-state="REFUSED">REFUSED · account disabled</span>`)
			if strings.Contains(row, "ACTIVE") || strings.Contains(row, "ROTATING") {
				t.Fatalf("a disabled account's token shows a working badge:\n%s", row)
			}
		}

		// Enabled again, the badges are back.
		if _, err := e.svc.Accounts.SetSystemAccountDisabled(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		body = b.get("/ui/accounts/"+a.ID).want(t, http.StatusOK).body
		wantIn(t, tokenRow(t, body, succ.ID), `data-token-state="ACTIVE"`)
		wantIn(t, tokenRow(t, body, old.ID), `data-token-state="ROTATING"`)
	})
}

// TestTokenListBadgesUser: a deactivated user's personal access token is
// badged refused on their page, as the API refuses it (the service tests
// check the refusal itself).
func TestTokenListBadgesUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		const email, pw = "pat@example.com", "pat password 1234"
		u, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: email, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		m := token(keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}, "script", time.Now().UTC().Truncate(time.Microsecond))
		if err := e.db.Write(ctx, func(tx storage.Tx) error { return tx.Tokens().CreateToken(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		wantIn(t, tokenRow(t, b.get("/ui/users/"+u.ID).want(t, http.StatusOK).body, m.ID),
			`<code class="token-short">`+m.ID[:8]+`</code>`, `data-token-state="ACTIVE"`)
		if _, err := e.svc.Sessions.SetUserActive(ctx, u.ID, false); err != nil {
			t.Fatal(err)
		}
		row := tokenRow(t, b.get("/ui/users/"+u.ID).want(t, http.StatusOK).body, m.ID)
		wantIn(t, row, `REFUSED · user deactivated</span>`)
		if strings.Contains(row, "ACTIVE") {
			t.Fatalf("an inactive user's token shows a working badge:\n%s", row)
		}
	})
}
