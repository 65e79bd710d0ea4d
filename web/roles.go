package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/keyhold/keyhold"
)

// kinds maps the console's path segments to principal types.
var kinds = map[string]keyhold.PrincipalType{
	"accounts": keyhold.PrincipalSystemAccount,
	"teams":    keyhold.PrincipalTeam,
	"users":    keyhold.PrincipalUser,
}

// holder reads the principal named by the {kind} and {id} of a path.
func (s *Server) holder(ctx context.Context, r *http.Request) (ref keyhold.Ref, name, back string, err error) {
	kind := r.PathValue("kind")
	pt, ok := kinds[kind]
	if !ok {
		return ref, "", "", keyhold.Errorf(keyhold.ENOTFOUND, "There is no page at %s", r.URL.Path)
	}
	ref = keyhold.Ref{Type: pt, ID: r.PathValue("id")}
	back = "/ui/" + kind + "/" + ref.ID
	switch pt {
	case keyhold.PrincipalSystemAccount:
		var a *keyhold.SystemAccount
		if a, err = s.svc.Accounts.GetSystemAccount(ctx, ref.ID); err == nil {
			name = a.Name
		}
	case keyhold.PrincipalTeam:
		var t *keyhold.Team
		if t, err = s.svc.Teams.GetTeam(ctx, ref.ID); err == nil {
			name = t.Name
		}
	case keyhold.PrincipalUser:
		var u *keyhold.User
		if u, err = s.svc.Users.GetUser(ctx, ref.ID); err == nil {
			name = u.Email
		}
	}
	return ref, name, back, err
}

// entityType is one entity type of the catalogue with its roles.
type entityType struct {
	Name  string
	Roles []string
}

type roleForm struct {
	Form    *form
	Name    string
	Back    string
	Action  string
	Types   []entityType
	Regions []string
	// EntityIDs are the ids in use on the chosen entity type, suggested
	// for the entity id.
	EntityIDs []string
}

func (d roleForm) title() (string, string) { return "Assign a role to " + d.Name, "" }

func (s *Server) assignRoleForm(w http.ResponseWriter, r *http.Request, c *call) error {
	// Every field starts empty: a careless submit must not give a role,
	// least of all Admin on every entity in every region.
	return s.showRoleForm(w, r, c, newForm(nil), http.StatusOK)
}

func (s *Server) showRoleForm(w http.ResponseWriter, r *http.Request, c *call, f *form, status int) error {
	_, name, back, err := s.holder(r.Context(), r)
	if err != nil {
		return err
	}
	cat := s.svc.Roles.Catalogue()
	var types []entityType
	for _, t := range cat.EntityTypes() {
		types = append(types, entityType{Name: t, Roles: cat.RolesOf(t)})
	}
	d := roleForm{Form: f, Name: name, Back: back, Action: back + "/roles/new", Types: types, Regions: keyhold.Regions}
	if t := f.Get("entity_type_name"); cat.RolesOf(t) != nil {
		if d.EntityIDs, err = s.svc.Roles.SuggestEntityIDs(r.Context(), t); err != nil {
			return err
		}
	}
	s.render(w, r, c, status, "role_form.html", d)
	return nil
}

// entityIDsPage lists the entity ids in use on an entity type.
type entityIDsPage struct {
	Type string
	IDs  []string
}

func (d entityIDsPage) title() (string, string) { return "Entity ids in use on " + d.Type, "" }

// suggestEntityIDs is the entity id suggestions of the role form for the
// entity type chosen, for htmx when the type changes: the ids in use on
// it, or none while no type is chosen. Without htmx it is a page that
// lists them.
func (s *Server) suggestEntityIDs(w http.ResponseWriter, r *http.Request, c *call) error {
	var ids []string
	t := r.URL.Query().Get("entity_type_name")
	if t == "" {
		// Nothing to look up, but the caller is asked all the same.
		if err := s.svc.Auth.May(r.Context(), "SuggestEntityIDs", false); err != nil {
			return err
		}
	} else {
		var err error
		if ids, err = s.svc.Roles.SuggestEntityIDs(r.Context(), t); err != nil {
			return err
		}
	}
	if r.Header.Get("HX-Request") == "true" {
		s.render(w, r, c, http.StatusOK, "entity_ids_list.html", ids)
		return nil
	}
	s.render(w, r, c, http.StatusOK, "entity_ids.html", entityIDsPage{Type: t, IDs: ids})
	return nil
}

func (s *Server) assignRole(w http.ResponseWriter, r *http.Request, c *call) error {
	ref, _, back, err := s.holder(r.Context(), r)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	// The pickers start on an empty choice: refuse every one left there
	// at once, before the service would name only the first.
	for _, k := range []struct{ name, what string }{{"entity_type_name", "choose an entity type"}, {"role_name", "choose a role"},
		{"entity_id", "enter a UUID, or * for every entity of the type"}, {"entity_region", "choose a region"}} {
		if strings.TrimSpace(f.Get(k.name)) == "" {
			f.Errors[k.name] = k.what
		}
	}
	if len(f.Errors) > 0 {
		return s.showRoleForm(w, r, c, f, http.StatusBadRequest)
	}
	in := keyhold.AssignRole{RoleName: f.Get("role_name"), EntityTypeName: f.Get("entity_type_name"),
		EntityID: strings.TrimSpace(f.Get("entity_id")), EntityRegion: f.Get("entity_region")}
	if _, err := s.svc.Roles.AssignRole(r.Context(), ref, in); err != nil {
		if !f.absorb(err, "role_name", "entity_type_name", "entity_id", "entity_region") {
			return err
		}
		return s.showRoleForm(w, r, c, f, statusOf[keyhold.ErrorCode(err)])
	}
	return redirect(w, r, back, "role-assigned")
}

func (s *Server) unassignRole(w http.ResponseWriter, r *http.Request, c *call) error {
	ref, _, back, err := s.holder(r.Context(), r)
	if err != nil {
		return err
	}
	if err := s.svc.Roles.UnassignRole(r.Context(), ref, r.PathValue("rid")); err != nil {
		return err
	}
	return redirect(w, r, back, "role-removed")
}

// joinTeam adds the account or user of the path to the team picked.
func (s *Server) joinTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	ref, _, back, err := s.holder(r.Context(), r)
	if err != nil {
		return err
	}
	if ref.Type == keyhold.PrincipalTeam {
		return keyhold.Errorf(keyhold.EINVALID, "Teams cannot be members of teams")
	}
	f := newForm(r.PostForm)
	status := http.StatusBadRequest
	if id := formID(r, "team_id"); id == "" {
		f.Errors["team_id"] = "choose a team"
	} else if err := s.svc.Teams.AddTeamMember(r.Context(), id, ref); err == nil {
		return redirect(w, r, back, "team-added")
	} else if !f.absorb(err, "team_id") {
		return err
	} else {
		status = statusOf[keyhold.ErrorCode(err)]
	}
	if ref.Type == keyhold.PrincipalUser {
		return s.renderUser(w, r, c, f, status)
	}
	return s.renderAccount(w, r, c, f, status)
}

func (s *Server) leaveTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	ref, _, back, err := s.holder(r.Context(), r)
	if err != nil {
		return err
	}
	if err := s.svc.Teams.RemoveTeamMember(r.Context(), r.PathValue("tid"), ref); err != nil {
		return err
	}
	return redirect(w, r, back, "team-removed")
}
