package httpapi_test

import (
	"bytes"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// Konnect's clients match statuses exactly: 201, 200, 204.
func TestSystemAccounts(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var a map[string]any
		e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "ci-bot", "description": "Runs CI"}).Want(t, 201).JSON(t, &a)
		id, _ := a["id"].(string)
		if a["name"] != "ci-bot" || a["description"] != "Runs CI" || a["konnect_managed"] != false || a["created_at"] != a["updated_at"] {
			t.Errorf("created = %v", a)
		}

		t.Run("OK", func(t *testing.T) {
			got := e.Do("GET", "/v3/system-accounts/"+id, e.Admin, nil).Want(t, 200).Map(t)
			if got["name"] != "ci-bot" || got["id"] != id {
				t.Errorf("get = %v", got)
			}
			e.Clock.Advance(time.Minute)
			got = e.Do("PATCH", "/v3/system-accounts/"+id, e.Admin, map[string]any{"description": "Runs all CI"}).Want(t, 200).Map(t)
			if got["name"] != "ci-bot" || got["description"] != "Runs all CI" || got["created_at"] != a["created_at"] || got["updated_at"] == a["updated_at"] {
				t.Errorf("patched = %v", got)
			}
			// Changing only the case of one's own name is no clash.
			got = e.Do("PATCH", "/v3/system-accounts/"+id, e.Admin, map[string]any{"name": "CI-Bot"}).Want(t, 200).Map(t)
			if got["name"] != "CI-Bot" {
				t.Errorf("renamed = %v", got)
			}
			e.Do("PATCH", "/v3/system-accounts/"+id, e.Admin, map[string]any{"name": "ci-bot"}).Want(t, 200)
		})

		t.Run("ErrConflict", func(t *testing.T) {
			before := list(t, e, "/v3/system-accounts", e.Admin).Meta.Page.Total
			for _, name := range []string{"ci-bot", "CI-BOT", "Ci-Bot"} {
				wantProblem(t, e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": name, "description": ""}), 409)
			}
			other := createAccount(t, e, e.Admin, "other")
			for _, name := range []string{"ci-bot", "CI-bot"} {
				wantProblem(t, e.Do("PATCH", "/v3/system-accounts/"+other, e.Admin, map[string]any{"name": name}), 409)
			}
			if got := e.Do("GET", "/v3/system-accounts/"+other, e.Admin, nil).Want(t, 200).Map(t); got["name"] != "other" {
				t.Errorf("a refused rename changed the account: %v", got)
			}
			if after := list(t, e, "/v3/system-accounts", e.Admin).Meta.Page.Total; after != before+1 {
				t.Errorf("accounts %d → %d, want only the one created", before, after)
			}
			e.Do("DELETE", "/v3/system-accounts/"+other, e.Admin, nil).Want(t, 204)
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			missing := "/v3/system-accounts/3f1f0b8e-0000-4000-8000-000000000000"
			wantProblem(t, e.Do("GET", missing, e.Admin, nil), 404)
			wantProblem(t, e.Do("PATCH", missing, e.Admin, map[string]any{"name": "x"}), 404)
			wantProblem(t, e.Do("DELETE", missing, e.Admin, nil), 404)
			wantProblem(t, e.Do("GET", missing+"/access-tokens", e.Admin, nil), 404)
			wantProblem(t, e.Do("POST", missing+"/access-tokens", e.Admin, map[string]any{"name": "t", "expires_at": e.Clock.Now().Add(time.Hour).Format(time.RFC3339)}), 404)
			wantProblem(t, e.Do("GET", missing+"/assigned-roles", e.Admin, nil), 404)
			wantProblem(t, e.Do("POST", missing+"/assigned-roles", e.Admin, map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "us"}), 404)
			wantProblem(t, e.Do("GET", missing+"/teams", e.Admin, nil), 404)
		})

		t.Run("Delete", func(t *testing.T) {
			gone := createAccount(t, e, e.Admin, "short-lived")
			r := e.Do("DELETE", "/v3/system-accounts/"+gone, e.Admin, nil).Want(t, 204)
			if len(r.Body) != 0 {
				t.Errorf("204 with body %q", r.Body)
			}
			wantProblem(t, e.Do("GET", "/v3/system-accounts/"+gone, e.Admin, nil), 404)
			wantProblem(t, e.Do("DELETE", "/v3/system-accounts/"+gone, e.Admin, nil), 404)
			// The name is free again.
			createAccount(t, e, e.Admin, "short-lived")
		})
	})
}

func TestSystemAccountList(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		for _, a := range []struct {
			name, desc string
			managed    bool
		}{
			{"deploy-bot", "Deploys services", false},
			{"Mesh_Zone", "Mesh zone eu-1", true},
			{"backup", "Nightly BACKUPS", false},
		} {
			e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": a.name, "description": a.desc, "konnect_managed": a.managed}).Want(t, 201)
			e.Clock.Advance(time.Second)
		}
		cases := []struct {
			name, query string
			want        []string
		}{
			{"DefaultPage", "", []string{"deploy-bot", "Mesh_Zone", "backup"}},
			{"NameEq", "filter[name][eq]=backup", []string{"backup"}},
			{"NameBare", "filter[name]=backup", []string{"backup"}},
			{"NameEqIsExact", "filter[name][eq]=Backup", nil},
			{"NameEqNoSubstring", "filter[name][eq]=back", nil},
			{"NameContains", "filter[name][contains]=BOT", []string{"deploy-bot"}},
			{"NameContainsMixedCase", "filter[name][contains]=mesh", []string{"Mesh_Zone"}},
			{"NameContainsUnderscoreIsLiteral", "filter[name][contains]=h_z", []string{"Mesh_Zone"}},
			{"NameContainsUnderscoreNoWildcard", "filter[name][contains]=_", []string{"Mesh_Zone"}},
			{"NameContainsPercentIsLiteral", "filter[name][contains]=%25", nil},
			{"DescriptionEq", "filter[description][eq]=" + url.QueryEscape("Mesh zone eu-1"), []string{"Mesh_Zone"}},
			{"DescriptionBare", "filter[description]=" + url.QueryEscape("Nightly BACKUPS"), []string{"backup"}},
			{"DescriptionContains", "filter[description][contains]=backups", []string{"backup"}},
			{"ManagedTrue", "filter[konnect_managed]=true", []string{"Mesh_Zone"}},
			{"ManagedFalse", "filter[konnect_managed]=false", []string{"deploy-bot", "backup"}},
			{"Combined", "filter[konnect_managed]=false&filter[name][contains]=o", []string{"deploy-bot"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := list(t, e, "/v3/system-accounts?"+c.query, e.Admin)
				if got := p.names("name"); !slices.Equal(got, c.want) {
					t.Errorf("names = %v, want %v", got, c.want)
				}
				if p.Meta.Page.Total != len(c.want) || p.Meta.Page.Number != 1 || p.Meta.Page.Size != 100 {
					t.Errorf("meta = %+v, want number 1, size 100, total %d", p.Meta.Page, len(c.want))
				}
			})
		}

		t.Run("Paging", func(t *testing.T) {
			for _, c := range []struct {
				query        string
				want         []string
				number, size int
			}{
				{"page[size]=2", []string{"deploy-bot", "Mesh_Zone"}, 1, 2},
				{"page[size]=2&page[number]=2", []string{"backup"}, 2, 2},
				{"page[size]=2&page[number]=3", nil, 3, 2},
				{"page[size]=1&page[number]=2", []string{"Mesh_Zone"}, 2, 1},
				{"page[size]=1000", []string{"deploy-bot", "Mesh_Zone", "backup"}, 1, 1000},
				{"page[size]=&page[number]=", []string{"deploy-bot", "Mesh_Zone", "backup"}, 1, 100},
				{"page[size]=1&page[number]=2&filter[konnect_managed]=false", []string{"backup"}, 2, 1},
			} {
				p := list(t, e, "/v3/system-accounts?"+c.query, e.Admin)
				if got := p.names("name"); !slices.Equal(got, c.want) {
					t.Errorf("%s: names = %v, want %v", c.query, got, c.want)
				}
				wantTotal := 3
				if c.query == "page[size]=1&page[number]=2&filter[konnect_managed]=false" {
					wantTotal = 2
				}
				if m := p.Meta.Page; m.Number != c.number || m.Size != c.size || m.Total != wantTotal {
					t.Errorf("%s: meta = %+v, want number %d size %d total %d", c.query, m, c.number, c.size, wantTotal)
				}
			}
		})

		// The same routes answer under /v2.
		if got := list(t, e, "/v2/system-accounts?filter[name]=backup", e.Admin).names("name"); !slices.Equal(got, []string{"backup"}) {
			t.Errorf("/v2 list = %v", got)
		}
	})
}

func TestSystemAccountTokens(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "deployer")
		other := createAccount(t, e, e.Admin, "other")
		path := "/v3/system-accounts/" + acct + "/access-tokens"
		expires := e.Clock.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)

		var created map[string]any
		r := e.Do("POST", path, e.Admin, map[string]any{"name": "pipeline", "expires_at": expires.Format(time.RFC3339)}).Want(t, 201)
		r.JSON(t, &created)
		value, _ := created["token"].(string)
		id, _ := created["id"].(string)
		if len(value) != 54 || value[:5] != "spat_" || created["name"] != "pipeline" || created["expires_at"] != expires.Format(time.RFC3339) {
			t.Errorf("created = %v", created)
		}
		if _, ok := created["last_used_at"]; ok {
			t.Errorf("a fresh token reports last_used_at: %v", created)
		}

		t.Run("ValueShownOnce", func(t *testing.T) {
			for _, p := range []string{path, path + "/" + id, path + "?filter[name]=pipeline", "/v3/audit-events"} {
				body := e.Do("GET", p, e.Admin, nil).Want(t, 200).Body
				if bytes.Contains(body, []byte(value)) || (p != "/v3/audit-events" && bytes.Contains(body, []byte(`"token"`))) {
					t.Errorf("GET %s shows the token: %s", p, body)
				}
			}
		})

		t.Run("ErrConflict", func(t *testing.T) {
			wantProblem(t, e.Do("POST", path, e.Admin, map[string]any{"name": "pipeline", "expires_at": expires.Format(time.RFC3339)}), 409)
			// Token names are unique per account only.
			e.Do("POST", "/v3/system-accounts/"+other+"/access-tokens", e.Admin, map[string]any{"name": "pipeline", "expires_at": expires.Format(time.RFC3339)}).Want(t, 201)
			var second struct{ ID string }
			e.Clock.Advance(time.Second)
			e.Do("POST", path, e.Admin, map[string]any{"name": "second", "expires_at": expires.Format(time.RFC3339)}).Want(t, 201).JSON(t, &second)
			wantProblem(t, e.Do("PATCH", path+"/"+second.ID, e.Admin, map[string]any{"name": "pipeline"}), 409)
			if got := list(t, e, path, e.Admin); got.Meta.Page.Total != 2 || !slices.Equal(got.names("name"), []string{"pipeline", "second"}) {
				t.Errorf("tokens = %v (total %d)", got.names("name"), got.Meta.Page.Total)
			}
		})

		t.Run("List", func(t *testing.T) {
			for q, want := range map[string][]string{
				"":                                  {"pipeline", "second"},
				"?filter[name][eq]=second":          {"second"},
				"?filter[name][contains]=PIPE":      {"pipeline"},
				"?page[size]=1&page[number]=2":      {"second"},
				"?filter[name][contains]=nothing-x": nil,
			} {
				p := list(t, e, path+q, e.Admin)
				if got := p.names("name"); !slices.Equal(got, want) {
					t.Errorf("%q: %v, want %v", q, got, want)
				}
			}
			if p := list(t, e, path+"?page[size]=1", e.Admin); p.Meta.Page.Total != 2 || p.Meta.Page.Size != 1 {
				t.Errorf("meta = %+v", p.Meta.Page)
			}
		})

		t.Run("OK", func(t *testing.T) {
			got := e.Do("GET", path+"/"+id, e.Admin, nil).Want(t, 200).Map(t)
			if got["id"] != id || got["name"] != "pipeline" || got["expires_at"] != created["expires_at"] {
				t.Errorf("get = %v", got)
			}
			e.Do("GET", "/v1/whoami", value, nil).Want(t, 200)
			e.Service.Decider.Flush(t.Context(), true)
			got = e.Do("GET", path+"/"+id, e.Admin, nil).Want(t, 200).Map(t)
			if got["last_used_at"] != e.Clock.Now().UTC().Format(time.RFC3339) {
				t.Errorf("last_used_at = %v, want %s", got["last_used_at"], e.Clock.Now().UTC().Format(time.RFC3339))
			}
			got = e.Do("PATCH", path+"/"+id, e.Admin, map[string]any{"name": "renamed"}).Want(t, 200).Map(t)
			if got["name"] != "renamed" || got["expires_at"] != created["expires_at"] {
				t.Errorf("renamed = %v", got)
			}
			// Renaming does not change the value.
			e.Do("GET", "/v1/whoami", value, nil).Want(t, 200)
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			// A token is found only under its own account.
			wantProblem(t, e.Do("GET", "/v3/system-accounts/"+other+"/access-tokens/"+id, e.Admin, nil), 404)
			wantProblem(t, e.Do("PATCH", "/v3/system-accounts/"+other+"/access-tokens/"+id, e.Admin, map[string]any{"name": "stolen"}), 404)
			wantProblem(t, e.Do("DELETE", "/v3/system-accounts/"+other+"/access-tokens/"+id, e.Admin, nil), 404)
			// Nor as a user's personal token.
			wantProblem(t, e.Do("GET", "/v3/users/"+e.AdminID+"/access-tokens/"+id, e.Admin, nil), 404)
			e.Do("GET", "/v1/whoami", value, nil).Want(t, 200)
		})

		t.Run("Delete", func(t *testing.T) {
			r := e.Do("DELETE", path+"/"+id, e.Admin, nil).Want(t, 204)
			if len(r.Body) != 0 {
				t.Errorf("204 with body %q", r.Body)
			}
			wantProblem(t, e.Do("GET", path+"/"+id, e.Admin, nil), 404)
			wantProblem(t, e.Do("GET", "/v1/whoami", value, nil), 401)
			wantProblem(t, e.Do("DELETE", path+"/"+id, e.Admin, nil), 404)
		})
	})
}

func TestAssignedRoles(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "roles-bot")
		team := createTeam(t, e, "Roles team")
		user := createUser(t, e, "roles@example.com", "Role Holder")
		cp := "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"
		for _, principal := range []string{"/v3/system-accounts/" + acct, "/v3/teams/" + team, "/v3/users/" + user} {
			t.Run(principal[4:9], func(t *testing.T) {
				body := map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cp, "entity_region": "eu"}
				var r map[string]any
				e.Do("POST", principal+"/assigned-roles", e.Admin, body).Want(t, 201).JSON(t, &r)
				id, _ := r["id"].(string)
				if r["role_name"] != "Viewer" || r["entity_type_name"] != "Control Planes" || r["entity_id"] != cp || r["entity_region"] != "eu" {
					t.Errorf("assigned = %v", r)
				}
				wantProblem(t, e.Do("POST", principal+"/assigned-roles", e.Admin, body), 409)
				// The same role elsewhere is another assignment.
				body["entity_region"] = "us"
				e.Do("POST", principal+"/assigned-roles", e.Admin, body).Want(t, 201)
				assign(t, e, principal, "Admin", "API Products", "*", "*")

				got := e.Do("GET", principal+"/assigned-roles/"+id, e.Admin, nil).Want(t, 200).Map(t)
				if got["id"] != id || got["entity_region"] != "eu" {
					t.Errorf("get = %v", got)
				}
				filters := map[string]int{
					"": 3, "?filter[role_name]=Viewer": 2, "?filter[role_name][eq]=Admin": 1,
					"?filter[entity_type_name]=" + url.QueryEscape("API Products"):       1,
					"?filter[entity_type_name][eq]=" + url.QueryEscape("Control Planes"): 2,
					"?filter[role_name]=viewer":                                          0,
				}
				if principal[4:9] != "teams" {
					filters["?filter[entity_id]="+cp] = 2
					filters["?filter[entity_id][eq]=*"] = 1
				}
				for q, n := range filters {
					p := list(t, e, principal+"/assigned-roles"+q, e.Admin)
					if len(p.Data) != n || p.Meta.Page.Total != n || p.Meta.Page.Number != 1 {
						t.Errorf("%q: %d roles, meta %+v; want %d", q, len(p.Data), p.Meta.Page, n)
					}
				}

				r2 := e.Do("DELETE", principal+"/assigned-roles/"+id, e.Admin, nil).Want(t, 204)
				if len(r2.Body) != 0 {
					t.Errorf("204 with body %q", r2.Body)
				}
				wantProblem(t, e.Do("GET", principal+"/assigned-roles/"+id, e.Admin, nil), 404)
				wantProblem(t, e.Do("DELETE", principal+"/assigned-roles/"+id, e.Admin, nil), 404)
				if n := len(list(t, e, principal+"/assigned-roles", e.Admin).Data); n != 2 {
					t.Errorf("%d roles left, want 2", n)
				}
			})
		}

		t.Run("ErrNotFoundAcrossPrincipals", func(t *testing.T) {
			mine := assign(t, e, "/v3/system-accounts/"+acct, "Viewer", "Portals", "*", "*")
			for _, p := range []string{"/v3/teams/" + team, "/v3/users/" + user, "/v3/system-accounts/" + createAccount(t, e, e.Admin, "thief")} {
				wantProblem(t, e.Do("GET", p+"/assigned-roles/"+mine, e.Admin, nil), 404)
				wantProblem(t, e.Do("DELETE", p+"/assigned-roles/"+mine, e.Admin, nil), 404)
			}
			e.Do("GET", "/v3/system-accounts/"+acct+"/assigned-roles/"+mine, e.Admin, nil).Want(t, 200)
		})

		t.Run("DeletedWithAccount", func(t *testing.T) {
			gone := createAccount(t, e, e.Admin, "gone")
			rid := assign(t, e, "/v3/system-accounts/"+gone, "Viewer", "Portals", "*", "*")
			e.Do("DELETE", "/v3/system-accounts/"+gone, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", "/v3/system-accounts/"+gone+"/assigned-roles/"+rid, e.Admin, nil), 404)
		})
	})
}

// A konnect_managed account belongs to the principal that created it: only
// that principal may change or delete it.
func TestManagedAccounts(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		integration := createAccount(t, e, e.Admin, "mesh-integration")
		identityAdmin(t, e, "/v3/system-accounts/"+integration)
		// It may give its zones only roles it holds itself.
		assign(t, e, "/v3/system-accounts/"+integration, "Connector", "Mesh Control Planes", "*", "*")
		_, spat := mintSPAT(t, e, integration, "integration")

		var m map[string]any
		e.Do("POST", "/v3/system-accounts", spat, map[string]any{"name": "zone-eu", "description": "Mesh zone", "konnect_managed": true}).Want(t, 201).JSON(t, &m)
		id, _ := m["id"].(string)
		if m["konnect_managed"] != true {
			t.Fatalf("created = %v", m)
		}
		path := "/v3/system-accounts/" + id
		original := e.Do("GET", path, e.Admin, nil).Want(t, 200).Map(t)

		t.Run("ErrForbidden", func(t *testing.T) {
			wantProblem(t, e.Do("PATCH", path, e.Admin, map[string]any{"name": "hijacked"}), 403)
			wantProblem(t, e.Do("PATCH", path, e.Admin, map[string]any{"description": "mine"}), 403)
			wantProblem(t, e.Do("DELETE", path, e.Admin, nil), 403)
			got := e.Do("GET", path, e.Admin, nil).Want(t, 200).Map(t)
			for k, v := range original {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if n := audit(t, e, "?filter[target_id]="+id).Meta.Page.Total; n != 1 {
				t.Errorf("%d audit events on the account, want only its creation", n)
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			wantInvalid(t, e.Do("PATCH", path, spat, map[string]any{"konnect_managed": false}), "konnect_managed", "")
			wantInvalid(t, e.Do("PATCH", "/v3/system-accounts/"+integration, e.Admin, map[string]any{"konnect_managed": true}), "konnect_managed", "")
			if got := e.Do("GET", path, e.Admin, nil).Want(t, 200).Map(t); got["konnect_managed"] != true {
				t.Errorf("managed flag changed: %v", got)
			}
		})

		t.Run("SubresourcesBelongToTheManager", func(t *testing.T) {
			expires := e.Clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
			tokenBody := map[string]any{"name": "zone-token", "expires_at": expires}
			role := map[string]any{"role_name": "Connector", "entity_type_name": "Mesh Control Planes", "entity_id": "*", "entity_region": "*"}
			wantProblem(t, e.Do("POST", path+"/access-tokens", e.Admin, tokenBody), 403)
			wantProblem(t, e.Do("POST", path+"/assigned-roles", e.Admin, role), 403)
			var tok struct{ ID string }
			e.Do("POST", path+"/access-tokens", spat, tokenBody).Want(t, 201).JSON(t, &tok)
			var r struct{ ID string }
			e.Do("POST", path+"/assigned-roles", spat, role).Want(t, 201).JSON(t, &r)
			wantProblem(t, e.Do("DELETE", path+"/access-tokens/"+tok.ID, e.Admin, nil), 403)
			wantProblem(t, e.Do("PATCH", path+"/access-tokens/"+tok.ID, e.Admin, map[string]any{"name": "x"}), 403)
			wantProblem(t, e.Do("DELETE", path+"/assigned-roles/"+r.ID, e.Admin, nil), 403)
			e.Do("GET", path+"/access-tokens/"+tok.ID, e.Admin, nil).Want(t, 200)
			e.Do("GET", path+"/assigned-roles/"+r.ID, e.Admin, nil).Want(t, 200)
		})

		t.Run("OK", func(t *testing.T) {
			got := e.Do("PATCH", path, spat, map[string]any{"description": "Mesh zone eu-west"}).Want(t, 200).Map(t)
			if got["description"] != "Mesh zone eu-west" || got["konnect_managed"] != true {
				t.Errorf("patched = %v", got)
			}
			e.Do("DELETE", path, spat, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", path, e.Admin, nil), 404)
		})

		t.Run("OrphanCanBeCleanedUp", func(t *testing.T) {
			var orphan struct{ ID string }
			e.Do("POST", "/v3/system-accounts", spat, map[string]any{"name": "zone-us", "description": "", "konnect_managed": true}).Want(t, 201).JSON(t, &orphan)
			wantProblem(t, e.Do("DELETE", "/v3/system-accounts/"+orphan.ID, e.Admin, nil), 403)
			// The integration goes away for good; its managed account must not
			// be stuck forever.
			integration2 := createAccount(t, e, e.Admin, "short-lived-integration")
			identityAdmin(t, e, "/v3/system-accounts/"+integration2)
			_, spat2 := mintSPAT(t, e, integration2, "i2")
			var orphan2 struct{ ID string }
			e.Do("POST", "/v3/system-accounts", spat2, map[string]any{"name": "zone-ap", "description": "", "konnect_managed": true}).Want(t, 201).JSON(t, &orphan2)
			e.Do("DELETE", "/v3/system-accounts/"+integration2, e.Admin, nil).Want(t, 204)
			e.Do("DELETE", "/v3/system-accounts/"+orphan2.ID, e.Admin, nil).Want(t, 204)
		})

		t.Run("UnmanagedStayOpen", func(t *testing.T) {
			// An unmanaged account created by the integration is anyone's.
			plain := createAccount(t, e, spat, "plain")
			e.Do("PATCH", "/v3/system-accounts/"+plain, e.Admin, map[string]any{"description": "ok"}).Want(t, 200)
			e.Do("DELETE", "/v3/system-accounts/"+plain, e.Admin, nil).Want(t, 204)
		})
	})
}

// Kong's older documents create system accounts under /v2; the same
// handlers answer there with the same statuses.
func TestSystemAccountsV2(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var a struct{ ID string }
		e.Do("POST", "/v2/system-accounts", e.Admin, map[string]any{"name": "legacy", "description": ""}).Want(t, 201).JSON(t, &a)
		base := "/v2/system-accounts/" + a.ID
		e.Do("GET", "/v3/system-accounts/"+a.ID, e.Admin, nil).Want(t, 200)
		e.Do("PATCH", base, e.Admin, map[string]any{"description": "v2"}).Want(t, 200)
		wantProblem(t, e.Do("POST", "/v2/system-accounts", e.Admin, map[string]any{"name": "LEGACY", "description": ""}), 409)
		var tok wire.AccessTokenCreated
		e.Do("POST", base+"/access-tokens", e.Admin, map[string]any{"name": "t", "expires_at": e.Clock.Now().Add(time.Hour).Format(time.RFC3339)}).Want(t, 201).JSON(t, &tok)
		e.Do("GET", base+"/access-tokens", e.Admin, nil).Want(t, 200)
		e.Do("GET", base+"/access-tokens/"+tok.ID, e.Admin, nil).Want(t, 200)
		e.Do("PATCH", base+"/access-tokens/"+tok.ID, e.Admin, map[string]any{"name": "t2"}).Want(t, 200)
		var r struct{ ID string }
		e.Do("POST", base+"/assigned-roles", e.Admin, map[string]any{"role_name": "Viewer", "entity_type_name": "Portals", "entity_id": "*", "entity_region": "*"}).Want(t, 201).JSON(t, &r)
		e.Do("GET", base+"/assigned-roles", e.Admin, nil).Want(t, 200)
		e.Do("GET", base+"/assigned-roles/"+r.ID, e.Admin, nil).Want(t, 200)
		e.Do("DELETE", base+"/assigned-roles/"+r.ID, e.Admin, nil).Want(t, 204)
		e.Do("GET", base+"/teams", e.Admin, nil).Want(t, 200)
		e.Do("DELETE", base+"/access-tokens/"+tok.ID, e.Admin, nil).Want(t, 204)
		e.Do("DELETE", base, e.Admin, nil).Want(t, 204)
		wantProblem(t, e.Do("GET", base, e.Admin, nil), 404)
	})
}
