package web

import (
	"net/http"
	"strings"

	"github.com/keyhold/keyhold"
)

type teamsPage struct {
	Items   []*keyhold.Team
	Pager   pager
	Q       string
	CanEdit bool
}

func (teamsPage) title() (string, string) { return "Teams", "teams" }

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, c *call) error {
	pg := newPager(r, listPageSize)
	d := teamsPage{Q: strings.TrimSpace(r.URL.Query().Get("q")), CanEdit: s.may(r, "UpdateTeam")}
	f := keyhold.TeamFilter{ByName: true, Page: pg.page()}
	if d.Q != "" {
		f.Name = &keyhold.StringFilter{Op: keyhold.OpContains, Value: d.Q}
	}
	list, err := s.svc.Teams.ListTeams(r.Context(), f)
	if err != nil {
		return err
	}
	d.Items, pg.Total = list.Items, list.Total
	d.Pager = pg
	s.render(w, r, c, http.StatusOK, "teams.html", d)
	return nil
}

type teamForm struct {
	Form *form
	Team *keyhold.Team
}

func (d teamForm) title() (string, string) {
	if d.Team != nil {
		return "Edit " + d.Team.Name, "teams"
	}
	return "New team", "teams"
}

func (s *Server) newTeamForm(w http.ResponseWriter, r *http.Request, c *call) error {
	s.render(w, r, c, http.StatusOK, "team_form.html", teamForm{Form: newForm(nil)})
	return nil
}

func optional(v string) *string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return &v
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	t, err := s.svc.Teams.CreateTeam(r.Context(), keyhold.TeamCreate{Name: strings.TrimSpace(f.Get("name")), Description: optional(f.Get("description"))})
	if err != nil {
		if !f.absorb(err, "name", "description") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "team_form.html", teamForm{Form: f})
		return nil
	}
	return redirect(w, r, "/ui/teams/"+t.ID, "team-created")
}

func (s *Server) editTeamForm(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.svc.Teams.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	desc := ""
	if t.Description != nil {
		desc = *t.Description
	}
	s.render(w, r, c, http.StatusOK, "team_form.html", teamForm{Form: newForm(map[string][]string{"name": {t.Name}, "description": {desc}}), Team: t})
	return nil
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.svc.Teams.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	name := strings.TrimSpace(f.Get("name"))
	if _, err := s.svc.Teams.UpdateTeam(r.Context(), t.ID, keyhold.TeamUpdate{Name: &name, Description: optional(f.Get("description"))}); err != nil {
		if !f.absorb(err, "name", "description") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "team_form.html", teamForm{Form: f, Team: t})
		return nil
	}
	return redirect(w, r, "/ui/teams/"+t.ID, "team-updated")
}

type teamPage struct {
	Team     *keyhold.Team
	Accounts []*keyhold.SystemAccount
	Users    []*keyhold.User
	// AccountPager and UserPager page Accounts and Users apart.
	AccountPager, UserPager pager
	Roles                   []*keyhold.AssignedRole
	CanEdit                 bool
	Form                    *form
}

func (d teamPage) title() (string, string) { return d.Team.Name, "teams" }

func (s *Server) showTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderTeam(w, r, c, newForm(nil), http.StatusOK)
}

func (s *Server) renderTeam(w http.ResponseWriter, r *http.Request, c *call, f *form, status int) error {
	ctx := r.Context()
	t, err := s.svc.Teams.GetTeam(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := teamPage{Team: t, CanEdit: s.may(r, "UpdateTeam"), Form: f,
		AccountPager: newPagerOf(r, "accounts_page", "system accounts", detailPageSize),
		UserPager:    newPagerOf(r, "users_page", "users", detailPageSize)}
	accts, err := s.svc.Teams.ListTeamSystemAccounts(ctx, t.ID, keyhold.SystemAccountFilter{Page: d.AccountPager.page()})
	if err != nil {
		return err
	}
	users, err := s.svc.Teams.ListTeamUsers(ctx, t.ID, keyhold.UserFilter{Page: d.UserPager.page()})
	if err != nil {
		return err
	}
	if d.Roles, err = s.svc.Roles.ListAssignedRoles(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: t.ID}, keyhold.AssignedRoleFilter{}); err != nil {
		return err
	}
	d.Accounts, d.AccountPager.Total = accts.Items, accts.Total
	d.Users, d.UserPager.Total = users.Items, users.Total
	s.render(w, r, c, status, "team.html", d)
	return nil
}

// memberRef reads a member from a form: an account by name or id, or a
// user by email or id.
func (s *Server) memberRef(r *http.Request, f *form) (keyhold.Ref, bool) {
	who, kind := strings.TrimSpace(f.Get("member")), f.Get("member_type")
	if kind != "system_account" && kind != "user" {
		f.Errors["member_type"] = "choose a system account or a user"
	}
	if who == "" {
		f.Errors["member"] = "name an account (name or id) or a user (email or id)"
	}
	if len(f.Errors) > 0 {
		return keyhold.Ref{}, false
	}
	ctx := r.Context()
	one := keyhold.Page{Number: 1, Size: 1}
	switch kind {
	case "user":
		u, err := s.svc.Users.GetUser(ctx, keyhold.FoldID(who))
		if err == nil {
			return keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}, true
		}
		if refusal(err) { // the change refuses, and audits, the caller
			return keyhold.Ref{Type: keyhold.PrincipalUser, ID: who}, true
		}
		l, err := s.svc.Users.ListUsers(ctx, keyhold.UserFilter{Email: &keyhold.StringFilter{Op: keyhold.OpEq, Value: who}, Page: one})
		if err == nil && len(l.Items) == 1 {
			return keyhold.Ref{Type: keyhold.PrincipalUser, ID: l.Items[0].ID}, true
		}
		f.Errors["member"] = "no user has this email or id"
	default:
		if a, ok := s.accountByNameOrID(r, who); ok {
			return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}, true
		}
		f.Errors["member"] = "no system account has this name or id"
	}
	return keyhold.Ref{}, false
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	status := http.StatusBadRequest
	if ref, ok := s.memberRef(r, f); ok {
		err := s.svc.Teams.AddTeamMember(r.Context(), r.PathValue("id"), ref)
		if err == nil {
			return redirect(w, r, "/ui/teams/"+r.PathValue("id"), "member-added")
		}
		if !f.absorb(err, "member") {
			return err
		}
		status = statusOf[keyhold.ErrorCode(err)]
	}
	return s.renderTeam(w, r, c, f, status)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *call) error {
	pt := keyhold.PrincipalSystemAccount
	if r.PostFormValue("member_type") == "user" {
		pt = keyhold.PrincipalUser
	}
	if err := s.svc.Teams.RemoveTeamMember(r.Context(), r.PathValue("id"), keyhold.Ref{Type: pt, ID: formID(r, "member_id")}); err != nil {
		return err
	}
	return redirect(w, r, "/ui/teams/"+r.PathValue("id"), "member-removed")
}

func (s *Server) confirmDeleteTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t, err := s.svc.Teams.GetTeam(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	one := keyhold.Page{Number: 1, Size: 1}
	accts, err := s.svc.Teams.ListTeamSystemAccounts(ctx, t.ID, keyhold.SystemAccountFilter{Page: one})
	if err != nil {
		return err
	}
	users, err := s.svc.Teams.ListTeamUsers(ctx, t.ID, keyhold.UserFilter{Page: one})
	if err != nil {
		return err
	}
	roles, err := s.svc.Roles.ListAssignedRoles(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: t.ID}, keyhold.AssignedRoleFilter{})
	if err != nil {
		return err
	}
	cons := []string{plural(accts.Total, "system account loses", "system accounts lose") + " the team's " + plural(len(roles), "role", "roles") + ".",
		plural(users.Total, "user loses", "users lose") + " them too.", "This cannot be undone."}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Delete team " + t.Name + "?", Danger: true,
		Action: "/ui/teams/" + t.ID + "/delete", Button: "Delete team", Cancel: "/ui/teams/" + t.ID, Consequences: cons})
	return nil
}

func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.svc.Teams.DeleteTeam(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/teams", "team-deleted")
}
