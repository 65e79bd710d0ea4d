package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/store/storetest"
)

// When the account's roles cannot be read, a token form that asks for a
// scope fails and mints nothing; it never mints a token of every role.
func TestTokenFormScopeNeverDropped(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "scoped"})
		if err != nil {
			t.Fatal(err)
		}
		ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		r, err := e.svc.Roles.AssignRole(ctx, ref, keyhold.AssignRole{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "eu"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Roles.AssignRole(ctx, ref, keyhold.AssignRole{RoleName: "Admin", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "us"}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		path := "/ui/accounts/" + a.ID + "/tokens/new"
		b.get(path).want(t, http.StatusOK, `value="`+r.ID+`"`)
		// The database refuses to read assignments from now on.
		raw := storetest.Raw(t, e.dbURL)
		if _, err := raw.Exec(`ALTER TABLE assigned_roles RENAME TO assigned_roles_away`); err != nil {
			t.Fatal(err)
		}
		p := b.post(path, url.Values{"name": {"narrow"}, "expiry": {"30d"}, "scope": {r.ID}})
		if p.status == http.StatusCreated || strings.Contains(p.body, "shown only this once") {
			t.Fatalf("status %d: a token was minted without the scope asked for", p.status)
		}
		toks, err := e.svc.Tokens.ListTokens(ctx, ref, keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if toks.Total != 0 {
			t.Fatalf("%d tokens minted, want none: %+v", toks.Total, toks.Items[0])
		}
	})
}
