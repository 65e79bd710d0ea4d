package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// An invitation keeps the names typed in; an identity admin edits them
// on the user's page with the API's validation, and a read-only admin
// may look but not edit.
func TestUserNames(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		admin.get("/ui/users/new").want(t, http.StatusOK, `name="full_name"`, `name="preferred_name"`)
		p := admin.post("/ui/users/new", url.Values{"mode": {"invite"}, "email": {"ada@example.com"},
			"full_name": {"Ada Lovelace"}, "preferred_name": {"Ada"}}).
			want(t, http.StatusOK, "User invited", ">invited<", "<dd>Ada Lovelace</dd>", "<dd>Ada</dd>")
		id := p.url[len("/ui/users/"):]
		u, err := e.svc.Users.GetUser(e.adminCtx(), id)
		if err != nil {
			t.Fatal(err)
		}
		if u.FullName != "Ada Lovelace" || u.PreferredName != "Ada" || u.Active || !u.Invited {
			t.Fatalf("invited user: %+v", u)
		}

		edit := "/ui/users/" + id + "/edit"
		admin.get("/ui/users/"+id).want(t, http.StatusOK, `href="`+edit+`"`)
		admin.get(edit).want(t, http.StatusOK, "Edit ada@example.com", `value="Ada Lovelace"`, `value="Ada"`)
		// The full name is required once set, as PATCH /v3/users/{id} has it.
		admin.post(edit, url.Values{"full_name": {"  "}, "preferred_name": {"Countess"}}).
			want(t, http.StatusBadRequest, `id="full_name-error"`, `value="Countess"`)
		admin.post(edit, url.Values{"full_name": {"Augusta Ada King"}, "preferred_name": {"Countess"}}).
			want(t, http.StatusOK, "User saved", "<dd>Augusta Ada King</dd>", "<dd>Countess</dd>")
		if u, err = e.svc.Users.GetUser(e.adminCtx(), id); err != nil || u.FullName != "Augusta Ada King" || u.PreferredName != "Countess" {
			t.Fatalf("edited user: %+v, %v", u, err)
		}
		admin.post(edit, url.Values{"full_name": {"Augusta Ada King"}, "preferred_name": {""}}).
			want(t, http.StatusOK, "User saved", "<dd>Augusta Ada King</dd>")
		if u, err = e.svc.Users.GetUser(e.adminCtx(), id); err != nil || u.PreferredName != "" {
			t.Fatalf("preferred name not cleared: %+v, %v", u, err)
		}

		// A read-only admin sees the names but neither the edit link nor
		// the form, and a forged submit changes nothing.
		ctx := e.adminCtx()
		pw := "reader password 123"
		reader, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "reader@example.com", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		teams, err := e.svc.Teams.ListTeams(ctx, keyhold.TeamFilter{Name: &keyhold.StringFilter{Op: keyhold.OpEq, Value: "Organization Admin (Read Only)"}})
		if err != nil || len(teams.Items) != 1 {
			t.Fatalf("the read-only team: %+v, %v", teams, err)
		}
		if err := e.svc.Teams.AddTeamMember(ctx, teams.Items[0].ID, keyhold.Ref{Type: keyhold.PrincipalUser, ID: reader.ID}); err != nil {
			t.Fatal(err)
		}
		ro := e.browser()
		ro.signIn("reader@example.com", pw).want(t, http.StatusOK)
		if p := ro.get("/ui/users/"+id).want(t, http.StatusOK, "<dd>Augusta Ada King</dd>"); strings.Contains(p.body, edit) {
			t.Fatalf("a read-only admin is offered the edit form:\n%s", p.body)
		}
		ro.get(edit).want(t, http.StatusForbidden, "Not allowed")
		ro.get("/ui/users/" + id)
		ro.post(edit, url.Values{"full_name": {"Mallory"}}).want(t, http.StatusForbidden, "Not allowed")
		if u, err = e.svc.Users.GetUser(ctx, id); err != nil || u.FullName != "Augusta Ada King" {
			t.Fatalf("a read-only admin renamed the user: %+v, %v", u, err)
		}
	})
}
