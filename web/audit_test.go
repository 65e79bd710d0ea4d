package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/store/storetest"
)

// TestAuditFilters filters the audit page by parts of names, offers the
// actions, clears the filters and refuses reversed dates, on each backend.
func TestAuditFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.post("/ui/accounts/new", url.Values{"name": {"audit-bot"}, "description": {"d"}}).want(t, http.StatusOK)
		lacks := func(p page, s string) {
			t.Helper()
			if strings.Contains(p.body, s) {
				t.Fatalf("page has %q:\n%s", s, p.body)
			}
		}

		all := admin.get("/ui/audit").want(t, http.StatusOK, "<code>system_account.created</code>", "<code>console.signed_in</code>")
		lacks(all, "Clear filters")
		for _, a := range keyhold.AuditActions() {
			all.want(t, http.StatusOK, `<option value="`+a+`">`)
		}

		// A part of the action, in any ASCII case.
		p := admin.get("/ui/audit?action=ACCOUNT.CR").want(t, http.StatusOK, "<code>system_account.created</code>",
			`<a href="/ui/audit" class="clear-filters">Clear filters</a>`)
		lacks(p, "<code>console.signed_in</code>")
		// A part of the actor's name.
		p = admin.get("/ui/audit?actor=MIN%40EXAMPLE&action=sign").want(t, http.StatusOK, "<code>console.signed_in</code>")
		lacks(p, "<code>system_account.created</code>")
		// LIKE's characters are themselves.
		p = admin.get("/ui/audit?action="+url.QueryEscape("%")).want(t, http.StatusOK, "No events match")
		lacks(p, "<code>")
		p = admin.get("/ui/audit?action="+url.QueryEscape("m_a")).want(t, http.StatusOK, "<code>system_account.created</code>")
		lacks(p, "<code>console.signed_in</code>")
		admin.get("/ui/audit?action=n_s").want(t, http.StatusOK, "No events match")

		// From after To is refused under To, and nothing is listed.
		p = admin.get("/ui/audit?since=2026-03-02&until=2026-03-01").want(t, http.StatusBadRequest,
			`id="until-error"`, "pick a date on or after the From date", "Clear filters")
		lacks(p, "<code>")
		// One day is a window.
		admin.get("/ui/audit?since=2020-03-01&until=2020-03-01").want(t, http.StatusOK, "No events match")
	})
}

// TestAccountHistory shows, on an account's page and behind its link, the
// events of its tokens (a deleted one's included) and its memberships,
// which target the token or the team, and none of another account's.
func TestAccountHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "history-bot"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "other-bot"})
		if err != nil {
			t.Fatal(err)
		}
		team, err := e.svc.Teams.CreateTeam(ctx, keyhold.TeamCreate{Name: "history-team"})
		if err != nil {
			t.Fatal(err)
		}
		A := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		tok, err := e.svc.Tokens.CreateToken(ctx, A, keyhold.TokenCreate{Name: "gone-soon"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Tokens.RotateToken(ctx, A, tok.ID, keyhold.TokenRotate{}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Tokens.DeleteToken(ctx, A, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Teams.AddTeamMember(ctx, team.ID, A); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Tokens.CreateToken(ctx, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: other.ID}, keyhold.TokenCreate{Name: "theirs"}); err != nil {
			t.Fatal(err)
		}

		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		mine := []string{"<code>token.created</code>", "<code>token.rotated</code>", "<code>token.deleted</code>", "<code>team.member_added</code>", "<code>system_account.created</code>"}
		admin.get("/ui/accounts/"+a.ID).want(t, http.StatusOK, append(mine, `href="/ui/audit?involving=`+a.ID+`"`)...)
		p := admin.get("/ui/audit?involving="+strings.ToUpper(a.ID)).want(t, http.StatusOK, append(mine, "Clear filters")...)
		for _, s := range []string{"theirs", "other-bot", "<code>console.signed_in</code>"} {
			if strings.Contains(p.body, s) {
				t.Errorf("the account's history shows %q", s)
			}
		}
	})
}

// TestAuditVerifyPanel shows the latest checkpoint on the audit page,
// verified, with the log's size; once the stored tree no longer has the
// root it signed, the panel says NOT VERIFIED and why.
func TestAuditVerifyPanel(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.get("/ui/audit").want(t, http.StatusOK, `<h2 id="verify-h">Verify</h2>`, "VERIFIED</span> by keyhold/",
			"Latest checkpoint</dt><dd>2 events, signed", "Tree size</dt><dd>3 events (1 since the checkpoint", "keyhold audit verify --trusted")
		if _, err := storetest.Raw(t, e.dbURL).Exec(`UPDATE audit_hashes SET hash = $1`, make([]byte, 32)); err != nil {
			t.Fatal(err)
		}
		admin.get("/ui/audit").want(t, http.StatusOK, "NOT VERIFIED</span>", "the log was rewritten")
	})
}

// TestAuditShowsChangesAndCredential shows each event's changes, field by
// field, and the credential that acted: a token by method, fingerprint
// and a link to it, a console session by method and fingerprint.
func TestAuditShowsChangesAndCredential(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "before-bot"})
		if err != nil {
			t.Fatal(err)
		}
		name := "after-bot"
		if _, err := e.svc.Accounts.UpdateSystemAccount(ctx, a.ID, keyhold.SystemAccountUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		p := keyhold.PrincipalFromContext(ctx)
		fp := keyhold.TokenFingerprint(keyhold.TokenDigest(e.admin))

		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.post("/ui/accounts/"+a.ID+"/edit", url.Values{"name": {"console-bot"}, "description": {""}}).want(t, http.StatusOK)

		byToken := []string{
			`<code>name</code>: <span class="change-before">&#34;before-bot&#34;</span> → <span class="change-after">&#34;after-bot&#34;</span>`,
			`bearer <code title="fingerprint ` + fp + `">` + fp[:8] + `</code>`,
			`<a href="/ui/users/` + p.ID + `#token-` + p.Auth.ID + `"><code>` + p.Auth.ID[:8] + `</code></a>`,
		}
		bySession := `<code>name</code>: <span class="change-before">&#34;after-bot&#34;</span> → <span class="change-after">&#34;console-bot&#34;</span>`
		want := slices.Concat(byToken, []string{bySession, `<td class="credential">session <code title="fingerprint `})
		admin.get("/ui/audit?action=system_account.updated").want(t, http.StatusOK, want...)
		admin.get("/ui/accounts/"+a.ID).want(t, http.StatusOK, want...)
		// An event without changes or credential shows neither.
		admin.get("/ui/audit?action=organization.bootstrapped").want(t, http.StatusOK, `<span class="muted">none</span></td>
    <td></td>`)
	})
}
