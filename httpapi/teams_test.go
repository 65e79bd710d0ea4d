package httpapi_test

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// unsetTeamFields matches a team object whose description and labels were
// never set: Konnect's TeamResponse requires both, as null and {}.
var unsetTeamFields = regexp.MustCompile(`"description":null,"system_team":false,"labels":\{\}`)

func TestTeams(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		r := e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "Platform"}).Want(t, 201)
		var first struct{ ID string }
		r.JSON(t, &first)
		if !unsetTeamFields.Match(r.Body) {
			t.Errorf("created team lacks description null / labels {}: %s", r.Body)
		}

		t.Run("UnsetFieldsEverywhere", func(t *testing.T) {
			acct := createAccount(t, e, e.Admin, "member")
			user := createUser(t, e, "member@example.com", "Member")
			e.Do("POST", "/v3/teams/"+first.ID+"/system-accounts", e.Admin, map[string]any{"id": acct}).Want(t, 201)
			e.Do("POST", "/v3/teams/"+first.ID+"/users", e.Admin, map[string]any{"id": user}).Want(t, 201)
			for _, p := range []string{"/v3/teams/" + first.ID, "/v3/teams?filter[name]=Platform",
				"/v3/system-accounts/" + acct + "/teams", "/v3/users/" + user + "/teams"} {
				if body := e.Do("GET", p, e.Admin, nil).Want(t, 200).Body; !unsetTeamFields.Match(body) {
					t.Errorf("GET %s: %s", p, body)
				}
			}
			r := e.Do("PATCH", "/v3/teams/"+first.ID, e.Admin, map[string]any{"name": "Platform"}).Want(t, 200)
			if !unsetTeamFields.Match(r.Body) {
				t.Errorf("PATCH: %s", r.Body)
			}
		})

		t.Run("NamesMayRepeat", func(t *testing.T) {
			var second struct{ ID string }
			e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "Platform"}).Want(t, 201).JSON(t, &second)
			if second.ID == first.ID || second.ID == "" {
				t.Errorf("second team id %q", second.ID)
			}
			p := list(t, e, "/v3/teams?filter[name][eq]=Platform", e.Admin)
			if p.Meta.Page.Total != 2 || len(p.Data) != 2 {
				t.Errorf("teams named Platform: %+v", p)
			}
			e.Do("DELETE", "/v3/teams/"+second.ID, e.Admin, nil).Want(t, 204)
		})

		t.Run("OK", func(t *testing.T) {
			var tm map[string]any
			e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "Payments", "description": "Money", "labels": map[string]string{"env": "prod", "tier": "gold"}}).Want(t, 201).JSON(t, &tm)
			id, _ := tm["id"].(string)
			if tm["description"] != "Money" || tm["system_team"] != false || len(tm["labels"].(map[string]any)) != 2 {
				t.Errorf("created = %v", tm)
			}
			e.Clock.Advance(time.Minute)
			// A null label value removes that label; others stay.
			got := e.Do("PATCH", "/v3/teams/"+id, e.Admin, map[string]any{"labels": map[string]any{"tier": nil, "team": "core"}}).Want(t, 200).Map(t)
			if l := got["labels"].(map[string]any); len(l) != 2 || l["env"] != "prod" || l["team"] != "core" {
				t.Errorf("labels = %v", l)
			}
			if got["name"] != "Payments" || got["description"] != "Money" || got["updated_at"] == tm["updated_at"] || got["created_at"] != tm["created_at"] {
				t.Errorf("patched = %v", got)
			}
			// labels: null removes them all.
			got = e.Do("PATCH", "/v3/teams/"+id, e.Admin, map[string]any{"labels": nil, "name": "Payments EU"}).Want(t, 200).Map(t)
			if l := got["labels"].(map[string]any); len(l) != 0 || got["name"] != "Payments EU" {
				t.Errorf("patched = %v", got)
			}
			if got := e.Do("GET", "/v3/teams/"+id, e.Admin, nil).Want(t, 200).Map(t); got["name"] != "Payments EU" || len(got["labels"].(map[string]any)) != 0 {
				t.Errorf("get = %v", got)
			}
			r := e.Do("DELETE", "/v3/teams/"+id, e.Admin, nil).Want(t, 204)
			if len(r.Body) != 0 {
				t.Errorf("204 with body %q", r.Body)
			}
			wantProblem(t, e.Do("GET", "/v3/teams/"+id, e.Admin, nil), 404)
			wantProblem(t, e.Do("PATCH", "/v3/teams/"+id, e.Admin, map[string]any{"name": "x"}), 404)
			wantProblem(t, e.Do("DELETE", "/v3/teams/"+id, e.Admin, nil), 404)
		})
	})
}

func TestTeamList(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		for _, tm := range []struct {
			name   string
			labels map[string]string
		}{
			{"Alpha", map[string]string{"env": "prod", "region": "eu-west"}},
			{"Beta", map[string]string{"env": "staging"}},
			{"alphabet", nil},
		} {
			e.Clock.Advance(time.Second)
			body := map[string]any{"name": tm.name}
			if tm.labels != nil {
				body["labels"] = tm.labels
			}
			e.Do("POST", "/v3/teams", e.Admin, body).Want(t, 201)
		}
		// The 8 predefined teams come first, being the oldest.
		all := list(t, e, "/v3/teams", e.Admin)
		if all.Meta.Page.Total != 11 || len(all.Data) != 11 || all.Meta.Page.Size != 100 {
			t.Fatalf("teams: %d of total %d (size %d), want 11", len(all.Data), all.Meta.Page.Total, all.Meta.Page.Size)
		}
		if got := all.names("name")[8:]; !slices.Equal(got, []string{"Alpha", "Beta", "alphabet"}) {
			t.Errorf("own teams = %v", got)
		}
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"filter[name][eq]=Alpha", []string{"Alpha"}},
			{"filter[name]=alpha", nil},
			{"filter[name][contains]=ALPHA", []string{"Alpha", "alphabet"}},
			{"filter[labels.env][eq]=prod", []string{"Alpha"}},
			{"filter[labels.env]=staging", []string{"Beta"}},
			{"filter[labels.env][eq]=Prod", nil},
			{"filter[labels.env][contains]=STAG", []string{"Beta"}},
			{"filter[labels.region][contains]=west", []string{"Alpha"}},
			{"filter[labels.env][exists]", []string{"Alpha", "Beta"}},
			{"filter[labels.env][exists]=true", []string{"Alpha", "Beta"}},
			{"filter[labels.region][exists]", []string{"Alpha"}},
			{"filter[labels.nope][exists]", nil},
			{"filter[labels.env][exists]&filter[name][contains]=b", []string{"Beta"}},
			{"filter[labels.env][exists]&page[size]=1&page[number]=2", []string{"Beta"}},
		} {
			p := list(t, e, "/v3/teams?"+c.query, e.Admin)
			if got := p.names("name"); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.query, got, c.want)
			}
			if c.query == "filter[labels.env][exists]&page[size]=1&page[number]=2" {
				if p.Meta.Page.Total != 2 || p.Meta.Page.Number != 2 || p.Meta.Page.Size != 1 {
					t.Errorf("%s: meta %+v", c.query, p.Meta.Page)
				}
			} else if p.Meta.Page.Total != len(c.want) {
				t.Errorf("%s: total %d, want %d", c.query, p.Meta.Page.Total, len(c.want))
			}
		}
	})
}

func TestTeamMembers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		team := createTeam(t, e, "Builders")
		acct := createAccount(t, e, e.Admin, "builder-bot")
		ann := createUser(t, e, "ann@example.com", "Ann Lee")
		e.Clock.Advance(time.Second)
		bob := createUser(t, e, "bob@example.com", "Bob Stone")
		e.Clock.Advance(time.Second)
		e.Do("POST", "/v3/invites", e.Admin, map[string]any{"email": "cy@example.com"}).Want(t, 201)
		cy := list(t, e, "/v3/users?filter[email]=cy@example.com", e.Admin).names("id")[0]
		T := "/v3/teams/" + team

		for _, m := range []struct{ path, id string }{{T + "/system-accounts", acct}, {T + "/users", ann}, {T + "/users", bob}, {T + "/users", cy}} {
			r := e.Do("POST", m.path, e.Admin, map[string]any{"id": m.id}).Want(t, 201)
			if len(bytes.TrimSpace(r.Body)) != 0 {
				t.Errorf("POST %s: body %q, want none", m.path, r.Body)
			}
			wantProblem(t, e.Do("POST", m.path, e.Admin, map[string]any{"id": m.id}), 409)
		}

		t.Run("ErrNotFound", func(t *testing.T) {
			nobody := "0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11"
			wantProblem(t, e.Do("POST", T+"/users", e.Admin, map[string]any{"id": nobody}), 404)
			wantProblem(t, e.Do("POST", T+"/system-accounts", e.Admin, map[string]any{"id": nobody}), 404)
			// An account id is not a user id, and the other way round.
			wantProblem(t, e.Do("POST", T+"/users", e.Admin, map[string]any{"id": acct}), 404)
			wantProblem(t, e.Do("POST", T+"/system-accounts", e.Admin, map[string]any{"id": ann}), 404)
			wantProblem(t, e.Do("POST", "/v3/teams/"+nobody+"/users", e.Admin, map[string]any{"id": ann}), 404)
			wantProblem(t, e.Do("GET", "/v3/teams/"+nobody+"/users", e.Admin, nil), 404)
			wantProblem(t, e.Do("GET", "/v3/teams/"+nobody+"/system-accounts", e.Admin, nil), 404)
			wantProblem(t, e.Do("GET", "/v3/users/"+nobody+"/teams", e.Admin, nil), 404)
		})

		t.Run("Lists", func(t *testing.T) {
			if got := list(t, e, T+"/system-accounts", e.Admin).names("name"); !slices.Equal(got, []string{"builder-bot"}) {
				t.Errorf("team accounts = %v", got)
			}
			if got := list(t, e, T+"/system-accounts?filter[name][contains]=BOT", e.Admin).names("name"); !slices.Equal(got, []string{"builder-bot"}) {
				t.Errorf("team accounts contains = %v", got)
			}
			if got := list(t, e, T+"/system-accounts?filter[name]=other", e.Admin).names("name"); got != nil {
				t.Errorf("team accounts eq other = %v", got)
			}
			for q, want := range map[string][]string{
				"":                                    {"ann@example.com", "bob@example.com", "cy@example.com"},
				"?filter[email][contains]=BOB":        {"bob@example.com"},
				"?filter[email]=ann@example.com":      {"ann@example.com"},
				"?filter[full_name][eq]=Ann%20Lee":    {"ann@example.com"},
				"?filter[full_name][contains]=stone":  {"bob@example.com"},
				"?filter[active]=false":               {"cy@example.com"},
				"?filter[active]=true":                {"ann@example.com", "bob@example.com"},
				"?filter[id]=" + bob:                  {"bob@example.com"},
				"?filter[id][eq]=" + ann:              {"ann@example.com"},
				"?page[size]=2&page[number]=2":        {"cy@example.com"},
				"?filter[email][contains]=@example.c": {"ann@example.com", "bob@example.com", "cy@example.com"},
			} {
				p := list(t, e, T+"/users"+q, e.Admin)
				got := p.names("email")
				sort.Strings(got)
				if !slices.Equal(got, want) {
					t.Errorf("team users %q = %v, want %v", q, got, want)
				}
			}
			if p := list(t, e, T+"/users?page[size]=2", e.Admin); p.Meta.Page.Total != 3 || len(p.Data) != 2 {
				t.Errorf("team users meta %+v, %d items", p.Meta.Page, len(p.Data))
			}
			if got := list(t, e, "/v3/users/"+ann+"/teams?filter[name][contains]=build", e.Admin).names("name"); !slices.Equal(got, []string{"Builders"}) {
				t.Errorf("ann's teams = %v", got)
			}
			if got := list(t, e, "/v3/users/"+ann+"/teams?filter[name]=Other", e.Admin).names("name"); got != nil {
				t.Errorf("ann's teams named Other = %v", got)
			}
		})

		t.Run("Remove", func(t *testing.T) {
			r := e.Do("DELETE", T+"/users/"+bob, e.Admin, nil).Want(t, 204)
			if len(r.Body) != 0 {
				t.Errorf("204 with body %q", r.Body)
			}
			wantProblem(t, e.Do("DELETE", T+"/users/"+bob, e.Admin, nil), 404)
			e.Do("DELETE", T+"/system-accounts/"+acct, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("DELETE", T+"/system-accounts/"+acct, e.Admin, nil), 404)
			if got := list(t, e, T+"/users", e.Admin).names("email"); len(got) != 2 || contains(got, "bob@example.com") {
				t.Errorf("team users after removal = %v", got)
			}
			if got := list(t, e, "/v3/system-accounts/"+acct+"/teams", e.Admin); got.Meta.Page.Total != 0 {
				t.Errorf("account still on teams: %v", got.names("name"))
			}
			// Both still exist.
			e.Do("GET", "/v3/users/"+bob, e.Admin, nil).Want(t, 200)
			e.Do("GET", "/v3/system-accounts/"+acct, e.Admin, nil).Want(t, 200)
		})

		t.Run("DeleteTeam", func(t *testing.T) {
			e.Do("DELETE", T, e.Admin, nil).Want(t, 204)
			if got := list(t, e, "/v3/users/"+ann+"/teams", e.Admin); got.Meta.Page.Total != 0 {
				t.Errorf("ann still on %v", got.names("name"))
			}
			e.Do("GET", "/v3/users/"+ann, e.Admin, nil).Want(t, 200)
		})
	})
}

var predefinedTeams = []string{
	"Analytics Admin", "Analytics Viewer", "Organization Admin", "Organization Admin (Read Only)",
	"Portal Admin", "API Product Admin", "API Product Developer", "Control Plane Admin",
}

// Predefined teams cannot change, nor can their roles; their members can.
func TestSystemTeams(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var l struct {
			Data []struct {
				ID, Name    string
				SystemTeam  bool `json:"system_team"`
				Description *string
			}
		}
		e.Do("GET", "/v3/teams?page[size]=1000", e.Admin, nil).Want(t, 200).JSON(t, &l)
		var names []string
		for _, tm := range l.Data {
			if !tm.SystemTeam {
				t.Errorf("team %q is not a system team", tm.Name)
			}
			names = append(names, tm.Name)
		}
		a, b := slices.Clone(names), slices.Clone(predefinedTeams)
		sort.Strings(a)
		sort.Strings(b)
		if !slices.Equal(a, b) {
			t.Fatalf("system teams = %v, want %v", names, predefinedTeams)
		}

		for _, name := range []string{"Control Plane Admin", "Organization Admin (Read Only)"} {
			id := systemTeam(t, e, name)
			T := "/v3/teams/" + id
			before := e.Do("GET", T, e.Admin, nil).Want(t, 200).Body
			rolesBefore := e.Do("GET", T+"/assigned-roles", e.Admin, nil).Want(t, 200).Body
			t.Run("ErrInvalid", func(t *testing.T) {
				for _, c := range []struct {
					method, path string
					body         any
				}{
					{"PATCH", T, map[string]any{"name": "Mine"}},
					{"PATCH", T, map[string]any{"labels": map[string]any{"env": "prod"}}},
					{"DELETE", T, nil},
					{"POST", T + "/assigned-roles", map[string]any{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"}},
				} {
					ip := wantInvalid(t, e.Do(c.method, c.path, e.Admin, c.body), "teamID", "")
					if ip.Reason != "system teams cannot be modified" {
						t.Errorf("%s %s: reason %q", c.method, c.path, ip.Reason)
					}
				}
				var roles page
				e.Do("GET", T+"/assigned-roles", e.Admin, nil).Want(t, 200).JSON(t, &roles)
				for _, r := range roles.Data {
					wantInvalid(t, e.Do("DELETE", T+"/assigned-roles/"+r["id"].(string), e.Admin, nil), "teamID", "")
				}
				if after := e.Do("GET", T, e.Admin, nil).Want(t, 200).Body; !bytes.Equal(after, before) {
					t.Errorf("system team changed:\n%s\n%s", before, after)
				}
				if after := e.Do("GET", T+"/assigned-roles", e.Admin, nil).Want(t, 200).Body; !bytes.Equal(after, rolesBefore) {
					t.Errorf("system team roles changed:\n%s\n%s", rolesBefore, after)
				}
			})
			t.Run("MembersOK", func(t *testing.T) {
				acct := createAccount(t, e, e.Admin, "member-of-"+id[:8])
				user := createUser(t, e, "member-"+id[:8]+"@example.com", "")
				e.Do("POST", T+"/system-accounts", e.Admin, map[string]any{"id": acct}).Want(t, 201)
				e.Do("POST", T+"/users", e.Admin, map[string]any{"id": user}).Want(t, 201)
				if got := list(t, e, T+"/users?filter[id]="+user, e.Admin); got.Meta.Page.Total != 1 {
					t.Errorf("user not on %s", name)
				}
				e.Do("DELETE", T+"/system-accounts/"+acct, e.Admin, nil).Want(t, 204)
				e.Do("DELETE", T+"/users/"+user, e.Admin, nil).Want(t, 204)
				if got := list(t, e, T+"/users?filter[id]="+user, e.Admin); got.Meta.Page.Total != 0 {
					t.Errorf("user still on %s", name)
				}
			})
		}

		// The Organization Admin team holds Identity Admin, which is what makes
		// the first admin an admin.
		var roles page
		e.Do("GET", "/v3/teams/"+systemTeam(t, e, "Organization Admin")+"/assigned-roles?filter[entity_type_name]=Identity", e.Admin, nil).Want(t, 200).JSON(t, &roles)
		if len(roles.Data) != 1 || roles.Data[0]["role_name"] != "Admin" || roles.Data[0]["entity_id"] != "*" || roles.Data[0]["entity_region"] != "*" {
			t.Errorf("Organization Admin roles = %v", roles.Data)
		}
	})
}

// Who may do what: the predefined teams and the Identity Admin role grant
// access, read live on every request.
func TestAuthorization(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		readOnlyTeam := "/v3/teams/" + systemTeam(t, e, "Organization Admin (Read Only)")
		reader := createUser(t, e, "reader@example.com", "Reader")
		admin2 := createUser(t, e, "idadmin@example.com", "Identity Admin")
		nobody := createUser(t, e, "nobody@example.com", "No Roles")
		e.Do("POST", readOnlyTeam+"/users", e.Admin, map[string]any{"id": reader}).Want(t, 201)
		grant := identityAdmin(t, e, "/v3/users/"+admin2)
		readerPAT, adminPAT, nobodyPAT := firstPAT(t, e, reader), firstPAT(t, e, admin2), firstPAT(t, e, nobody)
		acct := createAccount(t, e, e.Admin, "existing")
		newAccount := func(name string) map[string]any { return map[string]any{"name": name, "description": ""} }

		reads := []string{"/v3/system-accounts", "/v3/system-accounts/" + acct, "/v3/teams", "/v3/users",
			"/v3/users/" + admin2 + "/assigned-roles", "/v3/audit-events", "/v3/system-accounts/" + acct + "/access-tokens"}
		writes := []struct {
			method, path string
			body         any
		}{
			{"POST", "/v3/system-accounts", newAccount("by-someone")},
			{"PATCH", "/v3/system-accounts/" + acct, map[string]any{"description": "changed"}},
			{"DELETE", "/v3/system-accounts/" + acct, nil},
			{"POST", "/v3/teams", map[string]any{"name": "by-someone"}},
			{"POST", "/v3/users", map[string]any{"email": "new@example.com"}},
			{"POST", "/v3/invites", map[string]any{"email": "new@example.com"}},
			{"POST", "/v3/system-accounts/" + acct + "/assigned-roles", map[string]any{"role_name": "Admin", "entity_type_name": "Identity", "entity_id": "*", "entity_region": "*"}},
			{"POST", readOnlyTeam + "/users", map[string]any{"id": nobody}},
		}

		t.Run("ReadOnly", func(t *testing.T) {
			for _, p := range reads {
				e.Do("GET", p, readerPAT, nil).Want(t, 200)
			}
			for _, w := range writes {
				wantProblem(t, e.Do(w.method, w.path, readerPAT, w.body), 403)
			}
		})

		t.Run("ErrForbidden", func(t *testing.T) {
			for _, p := range reads {
				wantProblem(t, e.Do("GET", p, nobodyPAT, nil), 403)
			}
			for _, w := range writes {
				wantProblem(t, e.Do(w.method, w.path, nobodyPAT, w.body), 403)
			}
			// What any authenticated principal may do.
			e.Do("GET", "/v3/users/me", nobodyPAT, nil).Want(t, 200)
			e.Do("GET", "/v3/roles", nobodyPAT, nil).Want(t, 200)
			e.Do("GET", "/v3/organizations/me", nobodyPAT, nil).Want(t, 200)
			e.Do("GET", "/v3/users/"+nobody+"/access-tokens", nobodyPAT, nil).Want(t, 200)
			// Nothing was written by the refused requests.
			if got := list(t, e, "/v3/system-accounts", e.Admin); got.Meta.Page.Total != 1 || got.Data[0]["description"] != "about existing" {
				t.Errorf("accounts = %v", got.Data)
			}
			if n := audit(t, e, "?filter[actor_id]="+nobody).Meta.Page.Total; n != 1 {
				t.Errorf("%d events by the user, want only their first token", n)
			}
		})

		t.Run("IdentityAdmin", func(t *testing.T) {
			var a struct{ ID, Name string }
			e.Do("POST", "/v3/system-accounts", adminPAT, newAccount("by-identity-admin")).Want(t, 201).JSON(t, &a)
			e.Do("GET", "/v3/system-accounts/"+a.ID, adminPAT, nil).Want(t, 200)
			e.Do("GET", "/v3/audit-events", adminPAT, nil).Want(t, 200)
			e.Do("DELETE", "/v3/system-accounts/"+a.ID, adminPAT, nil).Want(t, 204)
		})

		t.Run("RevokedOnNextRequest", func(t *testing.T) {
			e.Do("DELETE", readOnlyTeam+"/users/"+reader, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", "/v3/system-accounts", readerPAT, nil), 403)
			e.Do("DELETE", "/v3/users/"+admin2+"/assigned-roles/"+grant, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("POST", "/v3/system-accounts", adminPAT, newAccount("too-late")), 403)
			wantProblem(t, e.Do("GET", "/v3/system-accounts", adminPAT, nil), 403)
			// And back again.
			e.Do("POST", readOnlyTeam+"/users", e.Admin, map[string]any{"id": reader}).Want(t, 201)
			e.Do("GET", "/v3/system-accounts", readerPAT, nil).Want(t, 200)
		})

		t.Run("NarrowRolesGrantNothing", func(t *testing.T) {
			// Identity Admin on one entity is not Identity Admin on all.
			assign(t, e, "/v3/users/"+nobody, "Admin", "Identity", "0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11", "*")
			assign(t, e, "/v3/users/"+nobody, "Viewer", "Control Planes", "*", "*")
			wantProblem(t, e.Do("GET", "/v3/system-accounts", nobodyPAT, nil), 403)
			wantProblem(t, e.Do("POST", "/v3/system-accounts", nobodyPAT, newAccount("nope")), 403)
		})

		t.Run("ThroughTeamRole", func(t *testing.T) {
			// A role given to an ordinary team reaches its members.
			team := createTeam(t, e, "Identity admins")
			identityAdmin(t, e, "/v3/teams/"+team)
			e.Do("POST", "/v3/teams/"+team+"/users", e.Admin, map[string]any{"id": nobody}).Want(t, 201)
			e.Do("POST", "/v3/system-accounts", nobodyPAT, newAccount("via-team")).Want(t, 201)
			e.Do("DELETE", "/v3/teams/"+team, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("POST", "/v3/system-accounts", nobodyPAT, newAccount("via-gone-team")), 403)
		})

		t.Run("AuditLogsAdmin", func(t *testing.T) {
			auditor := createUser(t, e, "auditor@example.com", "")
			assign(t, e, "/v3/users/"+auditor, "Admin", "Audit Logs", "*", "*")
			pat := firstPAT(t, e, auditor)
			e.Do("GET", "/v3/audit-events", pat, nil).Want(t, 200)
			wantProblem(t, e.Do("GET", "/v3/system-accounts", pat, nil), 403)
		})
	})
}
