package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/keyhold/keyhold"
)

var datalistRE = regexp.MustCompile(`(?s)<datalist id="entity-ids">(.*?)</datalist>`)
var suggestionRE = regexp.MustCompile(`<option value="([^"]*)">`)

// suggested returns the entity ids a page's datalist offers.
func suggested(t *testing.T, p page) []string {
	t.Helper()
	m := datalistRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no entity id suggestions:\n%s", p.body)
	}
	ids := []string{}
	for _, o := range suggestionRE.FindAllStringSubmatch(m[1], -1) {
		ids = append(ids, o[1])
	}
	return ids
}

// The role form suggests the entity ids that assignments on the chosen
// type already name, most used first, and none of another type's; the
// suggestions follow the type through htmx.
func TestRoleFormSuggestsEntityIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "bot", Description: "x"})
		if err != nil {
			t.Fatal(err)
		}
		b2, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "bot2", Description: "x"})
		if err != nil {
			t.Fatal(err)
		}
		const (
			cp1 = "11111111-1111-4111-8111-111111111111"
			cp2 = "22222222-2222-4222-8222-222222222222"
			p1  = "33333333-3333-4333-8333-333333333333"
		)
		admin := e.browser()
		admin.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		form := admin.get("/ui/accounts/"+a.ID+"/roles/new").want(t, http.StatusOK, `list="entity-ids"`,
			`hx-get="/ui/roles/entity-ids"`, `hx-target="#entity-ids"`)
		if got := suggested(t, form); len(got) != 0 {
			t.Errorf("with no type chosen, the form suggests %v", got)
		}
		assign := func(account, typ, role, id string) {
			admin.get("/ui/accounts/" + account + "/roles/new")
			admin.post("/ui/accounts/"+account+"/roles/new", url.Values{"entity_type_name": {typ}, "role_name": {role},
				"entity_id": {id}, "entity_region": {"*"}}).want(t, http.StatusOK, "Role assigned")
		}
		assign(a.ID, "Control Planes", "Viewer", cp1)
		assign(a.ID, "Control Planes", "Viewer", cp2)
		assign(b2.ID, "Control Planes", "Admin", cp2)
		assign(a.ID, "Control Planes", "Admin", "*")
		assign(a.ID, "Portals", "Viewer", p1)

		// Changing the type fetches its suggestions: cp2 is used twice.
		if got := suggested(t, admin.hxGet("/ui/roles/entity-ids?entity_type_name=Control+Planes").want(t, http.StatusOK)); !slices.Equal(got, []string{cp2, cp1}) {
			t.Errorf("Control Planes suggests %v, want [%s %s]", got, cp2, cp1)
		}
		if got := suggested(t, admin.hxGet("/ui/roles/entity-ids?entity_type_name=Portals").want(t, http.StatusOK)); !slices.Equal(got, []string{p1}) {
			t.Errorf("Portals suggests %v, want [%s]", got, p1)
		}
		if got := suggested(t, admin.hxGet("/ui/roles/entity-ids?entity_type_name=").want(t, http.StatusOK)); len(got) != 0 {
			t.Errorf("no type suggests %v", got)
		}
		admin.hxGet("/ui/roles/entity-ids?entity_type_name=Nonsense").want(t, http.StatusBadRequest, "not a known entity type")
		// Without htmx the address is a page that lists them.
		if p := admin.get("/ui/roles/entity-ids?entity_type_name=Portals").want(t, http.StatusOK, "<title>", "Entity ids in use on Portals",
			"<code>"+p1+"</code>"); datalistRE.MatchString(p.body) {
			t.Error("the page is the bare datalist")
		}
		admin.get("/ui/roles/entity-ids").want(t, http.StatusOK, "Choose an entity type")

		// A form shown again after a mistake suggests for the type chosen.
		admin.get("/ui/accounts/" + a.ID + "/roles/new")
		p := admin.post("/ui/accounts/"+a.ID+"/roles/new", url.Values{"entity_type_name": {"Portals"}, "role_name": {"Viewer"},
			"entity_id": {"not-a-uuid"}, "entity_region": {"*"}}).want(t, http.StatusBadRequest, `id="entity_id-error"`)
		if got := suggested(t, p); !slices.Equal(got, []string{p1}) {
			t.Errorf("the form for Portals suggests %v, want [%s]", got, p1)
		}

		// Whoever may not assign roles sees no ids in use.
		if _, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "nobody@example.com", FullName: "Nobody", Password: adminPassword}); err != nil {
			t.Fatal(err)
		}
		nobody := e.browser()
		nobody.signIn("nobody@example.com", adminPassword)
		for _, q := range []string{"Control+Planes", ""} {
			if p := nobody.hxGet("/ui/roles/entity-ids?entity_type_name="+q).want(t, http.StatusForbidden); datalistRE.MatchString(p.body) {
				t.Errorf("a user without roles got suggestions for %q", q)
			}
		}
	})
}
