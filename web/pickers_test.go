package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

var (
	optionRE   = regexp.MustCompile(`<option value="([^"]*)"( selected)?[^>]*>([^<]*)</option>`)
	optgroupRE = regexp.MustCompile(`<optgroup label="([^"]*)">(.*?)</optgroup>`)
)

// picker returns the inside of the select id of body.
func picker(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<select id="` + id + `"[^>]*>(.*?)</select>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no select %s:\n%s", id, body)
	}
	return m[1]
}

// chosen returns the value and text of the option a browser shows chosen
// in the select id: the one marked selected, else the first.
func chosen(t *testing.T, body, id string) (value, text string) {
	t.Helper()
	opts := optionRE.FindAllStringSubmatch(picker(t, body, id), -1)
	if len(opts) == 0 {
		t.Fatalf("select %s has no option", id)
	}
	pick := opts[0]
	for _, o := range opts {
		if o[2] != "" {
			pick = o
			break
		}
	}
	return pick[1], html.UnescapeString(pick[3])
}

// wantEmptyChoice checks that each select starts on the empty "Choose…".
func wantEmptyChoice(t *testing.T, body string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if v, text := chosen(t, body, id); v != "" || text != "Choose…" {
			t.Errorf("%s starts on %q (%q), want the empty Choose…", id, text, v)
		}
	}
}

// groups maps each optgroup label of the select id to its options' texts.
func groups(t *testing.T, body, id string) map[string][]string {
	t.Helper()
	g := map[string][]string{}
	for _, m := range optgroupRE.FindAllStringSubmatch(picker(t, body, id), -1) {
		for _, o := range optionRE.FindAllStringSubmatch(m[2], -1) {
			g[m[1]] = append(g[m[1]], html.UnescapeString(o[3]))
		}
	}
	return g
}

// Every picker that grants starts on an empty choice, and an empty submit
// is refused next to its field and writes nothing. The predefined teams
// that make their members administrators are set apart and say what they
// grant.
func TestPickersStartEmpty(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, "")
		ctx := e.adminCtx()
		b := e.browser()
		b.signIn(adminEmail, adminPassword).want(t, http.StatusOK)
		a, err := e.svc.Accounts.CreateSystemAccount(ctx, keyhold.SystemAccountCreate{Name: "builder"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Teams.CreateTeam(ctx, keyhold.TeamCreate{Name: "release"}); err != nil {
			t.Fatal(err)
		}
		u, err := e.svc.Users.CreateUser(ctx, keyhold.UserCreate{Email: "pat@example.com", Password: "pat password 1234"})
		if err != nil {
			t.Fatal(err)
		}
		acct := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
		user := keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}
		nothingWritten := func(t *testing.T, ref keyhold.Ref) {
			t.Helper()
			teams, err := e.svc.Teams.ListMemberTeams(ctx, ref, keyhold.TeamFilter{Page: keyhold.Page{Number: 1, Size: 10}})
			if err != nil || teams.Total != 0 {
				t.Fatalf("teams of %s: %v %v", ref.ID, teams, err)
			}
			roles, err := e.svc.Roles.ListAssignedRoles(ctx, ref, keyhold.AssignedRoleFilter{})
			if err != nil || len(roles) != 0 {
				t.Fatalf("roles of %s: %v %v", ref.ID, roles, err)
			}
		}

		for _, c := range []struct {
			name, url string
			ref       keyhold.Ref
		}{{"Account", "/ui/accounts/" + a.ID, acct}, {"User", "/ui/users/" + u.ID, user}} {
			t.Run(c.name, func(t *testing.T) {
				p := b.get(c.url).want(t, http.StatusOK)
				wantEmptyChoice(t, p.body, "team_id")
				g := groups(t, p.body, "team_id")
				for _, want := range []string{"Organization Admin — every permission in the organization",
					"Organization Admin (Read Only) — read access to everything in the organization",
					"Analytics Admin — Admin of every dashboard and report"} {
					if !strings.Contains(strings.Join(g["Administrator teams (system)"], "\n"), want) {
						t.Errorf("administrator teams %q lack %q", g["Administrator teams (system)"], want)
					}
				}
				plain := strings.Join(g["Teams"], "\n")
				if !strings.Contains(plain, "release") || !strings.Contains(plain, "Analytics Viewer (system team)") || strings.Contains(plain, "Admin") {
					t.Errorf("ordinary teams %q", g["Teams"])
				}
				if i, j := strings.Index(p.body, `label="Teams"`), strings.Index(p.body, `label="Administrator teams (system)"`); i < 0 || j < i {
					t.Error("the administrator teams do not come after the ordinary ones")
				}

				b.post(c.url+"/teams", url.Values{"team_id": {""}}).
					want(t, http.StatusBadRequest, `id="team_id-error"`, "choose a team", `aria-describedby="team_id-error"`)
				nothingWritten(t, c.ref)

				f := b.get(c.url+"/roles/new").want(t, http.StatusOK, `placeholder="a UUID, or * for every entity"`)
				wantEmptyChoice(t, f.body, "entity_type_name", "role_name", "entity_region")
				if strings.Contains(f.body, `name="entity_id" required value="*"`) || !strings.Contains(f.body, `name="entity_id" required value=""`) {
					t.Errorf("the entity id does not start empty:\n%s", f.body)
				}
				b.post(c.url+"/roles/new", url.Values{"entity_type_name": {""}, "role_name": {""}, "entity_id": {""}, "entity_region": {""}}).
					want(t, http.StatusBadRequest, `id="entity_type_name-error"`, "choose an entity type", `id="role_name-error"`, "choose a role",
						`id="entity_id-error"`, `id="entity_region-error"`, "choose a region")
				// A region left on Choose… is refused by itself, the rest kept.
				r := b.post(c.url+"/roles/new", url.Values{"entity_type_name": {"Control Planes"}, "role_name": {"Admin"}, "entity_id": {"*"}, "entity_region": {""}}).
					want(t, http.StatusBadRequest, `id="entity_region-error"`, "choose a region")
				if strings.Contains(r.body, `id="role_name-error"`) || strings.Contains(r.body, `id="entity_id-error"`) {
					t.Errorf("filled fields are refused:\n%s", r.body)
				}
				if v, _ := chosen(t, r.body, "entity_type_name"); v != "Control Planes" {
					t.Errorf("the entity type chosen is lost: %q", v)
				}
				nothingWritten(t, c.ref)

				b.get(c.url)
				b.post(c.url+"/teams", url.Values{"team_id": {mustTeam(t, e, "release")}}).want(t, http.StatusOK, "Added to the team")
			})
		}

		t.Run("TeamMember", func(t *testing.T) {
			team := "/ui/teams/" + mustTeam(t, e, "release")
			p := b.get(team).want(t, http.StatusOK)
			wantEmptyChoice(t, p.body, "member_type")
			b.post(team+"/members", url.Values{"member_type": {""}, "member": {"builder"}}).
				want(t, http.StatusBadRequest, `id="member_type-error"`, "choose a system account or a user")
			b.post(team+"/members", url.Values{"member_type": {""}, "member": {""}}).
				want(t, http.StatusBadRequest, `id="member_type-error"`, `id="member-error"`)
			accts, err := e.svc.Teams.ListTeamSystemAccounts(ctx, mustTeam(t, e, "release"), keyhold.SystemAccountFilter{Page: keyhold.Page{Number: 1, Size: 10}})
			if err != nil || accts.Total != 1 { // builder, added above through its own page
				t.Fatalf("team accounts: %v %v", accts, err)
			}
		})
	})
}

func mustTeam(t *testing.T, e *env, name string) string {
	t.Helper()
	l, err := e.svc.Teams.ListTeams(e.adminCtx(), keyhold.TeamFilter{Name: &keyhold.StringFilter{Op: keyhold.OpEq, Value: name}, Page: keyhold.Page{Number: 1, Size: 1}})
	if err != nil || len(l.Items) != 1 {
		t.Fatalf("team %s: %v %v", name, l, err)
	}
	return l.Items[0].ID
}
