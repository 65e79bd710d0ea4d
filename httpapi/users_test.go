package httpapi_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

func TestUsers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		e.Clock.Advance(time.Second)
		var u map[string]any
		e.Do("POST", "/v3/users", e.Admin, map[string]any{"email": "ann@example.com", "full_name": "Ann Lee", "preferred_name": "Ann"}).Want(t, 201).JSON(t, &u)
		ann, _ := u["id"].(string)
		if u["email"] != "ann@example.com" || u["full_name"] != "Ann Lee" || u["preferred_name"] != "Ann" || u["active"] != true {
			t.Errorf("created = %v", u)
		}
		if _, leaked := u["password_hash"]; leaked {
			t.Errorf("created user shows a password hash: %v", u)
		}

		t.Run("ErrConflict", func(t *testing.T) {
			for _, email := range []string{"ann@example.com", "ANN@example.com", "admin@example.com"} {
				wantProblem(t, e.Do("POST", "/v3/users", e.Admin, map[string]any{"email": email}), 409)
				wantProblem(t, e.Do("POST", "/v3/invites", e.Admin, map[string]any{"email": email}), 409)
			}
			if n := list(t, e, "/v3/users", e.Admin).Meta.Page.Total; n != 2 {
				t.Errorf("%d users, want 2", n)
			}
		})

		t.Run("Invite", func(t *testing.T) {
			e.Clock.Advance(time.Second)
			r := e.Do("POST", "/v3/invites", e.Admin, map[string]any{"email": "bob@example.com"}).Want(t, 201)
			if len(r.Body) != 0 {
				t.Errorf("invite answered with a body: %s", r.Body)
			}
			p := list(t, e, "/v3/users?filter[email]=bob@example.com", e.Admin)
			if len(p.Data) != 1 || p.Data[0]["active"] != false {
				t.Fatalf("invited user = %v", p.Data)
			}
			// An invited user cannot hold a working token yet.
			pat := firstPAT(t, e, p.Data[0]["id"].(string))
			wantProblem(t, e.Do("GET", "/v3/users/me", pat, nil), 401)
		})

		t.Run("Filters", func(t *testing.T) {
			for _, c := range []struct {
				query string
				want  []string
			}{
				{"", []string{"admin@example.com", "ann@example.com", "bob@example.com"}},
				{"filter[email]=ann@example.com", []string{"ann@example.com"}},
				{"filter[email][eq]=ANN@example.com", nil},
				{"filter[email][contains]=EXAMPLE.com", []string{"admin@example.com", "ann@example.com", "bob@example.com"}},
				{"filter[email][contains]=an", []string{"ann@example.com"}},
				{"filter[full_name]=" + url.QueryEscape("Ann Lee"), []string{"ann@example.com"}},
				{"filter[full_name][eq]=" + url.QueryEscape("ann lee"), nil},
				{"filter[full_name][contains]=LEE", []string{"ann@example.com"}},
				{"filter[active]=true", []string{"admin@example.com", "ann@example.com"}},
				{"filter[active]=false", []string{"bob@example.com"}},
				{"filter[id]=" + ann, []string{"ann@example.com"}},
				{"filter[id][eq]=" + e.AdminID, []string{"admin@example.com"}},
				{"filter[id]=not-a-known-id", nil},
				{"filter[active]=true&filter[email][contains]=ann", []string{"ann@example.com"}},
				{"page[size]=2&page[number]=2", []string{"bob@example.com"}},
			} {
				p := list(t, e, "/v3/users?"+c.query, e.Admin)
				if got := p.names("email"); !slices.Equal(got, c.want) {
					t.Errorf("%s: %v, want %v", c.query, got, c.want)
				}
				wantTotal := len(c.want)
				if c.query == "page[size]=2&page[number]=2" {
					wantTotal = 3
				}
				if p.Meta.Page.Total != wantTotal {
					t.Errorf("%s: total %d, want %d", c.query, p.Meta.Page.Total, wantTotal)
				}
			}
		})

		t.Run("Update", func(t *testing.T) {
			e.Clock.Advance(time.Minute)
			got := e.Do("PATCH", "/v3/users/"+ann, e.Admin, map[string]any{"full_name": "Ann Lee-Smith"}).Want(t, 200).Map(t)
			if got["full_name"] != "Ann Lee-Smith" || got["preferred_name"] != "Ann" || got["email"] != "ann@example.com" || got["updated_at"] == u["updated_at"] || got["created_at"] != u["created_at"] {
				t.Errorf("patched = %v", got)
			}
			if got := e.Do("GET", "/v3/users/"+ann, e.Admin, nil).Want(t, 200).Map(t); got["full_name"] != "Ann Lee-Smith" {
				t.Errorf("get = %v", got)
			}
			wantInvalid(t, e.Do("PATCH", "/v3/users/"+ann, e.Admin, map[string]any{"full_name": ""}), "full_name", "")
			wantProblem(t, e.Do("PATCH", "/v3/users/0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11", e.Admin, map[string]any{"full_name": "x"}), 404)
		})

		t.Run("Delete", func(t *testing.T) {
			pat := firstPAT(t, e, ann)
			e.Do("GET", "/v3/users/me", pat, nil).Want(t, 200)
			team := createTeam(t, e, "Ann's team")
			e.Do("POST", "/v3/teams/"+team+"/users", e.Admin, map[string]any{"id": ann}).Want(t, 201)
			rid := assign(t, e, "/v3/users/"+ann, "Viewer", "Portals", "*", "*")

			r := e.Do("DELETE", "/v3/users/"+ann, e.Admin, nil).Want(t, 204)
			if len(r.Body) != 0 {
				t.Errorf("204 with body %q", r.Body)
			}
			wantProblem(t, e.Do("GET", "/v3/users/me", pat, nil), 401)
			wantProblem(t, e.Do("GET", "/v3/users/"+ann, e.Admin, nil), 404)
			wantProblem(t, e.Do("DELETE", "/v3/users/"+ann, e.Admin, nil), 404)
			wantProblem(t, e.Do("GET", "/v3/users/"+ann+"/assigned-roles/"+rid, e.Admin, nil), 404)
			if p := list(t, e, "/v3/teams/"+team+"/users", e.Admin); p.Meta.Page.Total != 0 {
				t.Errorf("deleted user still on team: %v", p.names("email"))
			}
			// The email is free again.
			e.Do("POST", "/v3/users", e.Admin, map[string]any{"email": "ann@example.com"}).Want(t, 201)
		})

		t.Run("Me", func(t *testing.T) {
			me := e.Do("GET", "/v3/users/me", e.Admin, nil).Want(t, 200).Map(t)
			if me["id"] != e.AdminID || me["email"] != "admin@example.com" {
				t.Errorf("me = %v", me)
			}
			org := e.Do("GET", "/v3/organizations/me", e.Admin, nil).Want(t, 200).Map(t)
			if org["name"] != "Acme" || org["owner_id"] != e.AdminID || org["state"] != "active" {
				t.Errorf("organization = %v", org)
			}
		})
	})
}

// The last active member of Organization Admin can neither be deleted nor
// removed from the team: nobody could administer keyhold afterwards, and an
// initialized database cannot be bootstrapped again.
func TestLastAdmin(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		orgAdmin := "/v3/teams/" + systemTeam(t, e, "Organization Admin")
		// An invited user who has not accepted is no admin yet.
		e.Do("POST", "/v3/invites", e.Admin, map[string]any{"email": "pending@example.com"}).Want(t, 201)
		pending := list(t, e, "/v3/users?filter[email]=pending@example.com", e.Admin).names("id")[0]
		e.Do("POST", orgAdmin+"/users", e.Admin, map[string]any{"id": pending}).Want(t, 201)

		t.Run("ErrInvalid", func(t *testing.T) {
			before := audit(t, e, "?page[size]=1").Meta.Page.Total
			wantInvalid(t, e.Do("DELETE", "/v3/users/"+e.AdminID, e.Admin, nil), "userId", "")
			wantInvalid(t, e.Do("DELETE", orgAdmin+"/users/"+e.AdminID, e.Admin, nil), "userId", "")
			e.Do("GET", "/v3/users/me", e.Admin, nil).Want(t, 200)
			e.Do("GET", orgAdmin+"/users?filter[id]="+e.AdminID, e.Admin, nil).Want(t, 200)
			if got := list(t, e, orgAdmin+"/users?filter[id]="+e.AdminID, e.Admin); got.Meta.Page.Total != 1 {
				t.Errorf("admin left Organization Admin")
			}
			if after := audit(t, e, "?page[size]=1").Meta.Page.Total; after != before {
				t.Errorf("refused changes wrote %d audit events", after-before)
			}
		})

		t.Run("OKWithAnotherAdmin", func(t *testing.T) {
			second := createUser(t, e, "second@example.com", "Second")
			e.Do("POST", orgAdmin+"/users", e.Admin, map[string]any{"id": second}).Want(t, 201)
			pat := firstPAT(t, e, second)
			// Other members of the team leave freely.
			e.Do("DELETE", orgAdmin+"/users/"+pending, pat, nil).Want(t, 204)
			e.Do("DELETE", orgAdmin+"/users/"+e.AdminID, pat, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", "/v3/system-accounts", e.Admin, nil), 403)
			e.Do("POST", orgAdmin+"/users", pat, map[string]any{"id": e.AdminID}).Want(t, 201)
			e.Do("DELETE", "/v3/users/"+e.AdminID, pat, nil).Want(t, 204)
			// Now the second admin is the last one.
			wantInvalid(t, e.Do("DELETE", "/v3/users/"+second, pat, nil), "userId", "")
			e.Do("GET", "/v3/users/me", pat, nil).Want(t, 200)
		})
	})
}
