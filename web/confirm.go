package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

// The confirmations of removals: a role, a team membership, a personal
// token. Each names what stops working, and its form posts to the action
// that the page's button used to perform in one click.

// hidden is a field the confirmation's form sends back unchanged.
type hidden struct{ Name, Value string }

func roleText(r *keyhold.AssignedRole) string {
	return r.RoleName + " on " + r.EntityTypeName + " " + r.EntityID + " in " + r.EntityRegion
}

func scopeRole(r *keyhold.AssignedRole) keyhold.ScopeRole {
	return keyhold.ScopeRole{RoleName: r.RoleName, EntityTypeName: r.EntityTypeName, EntityID: keyhold.FoldID(r.EntityID), EntityRegion: r.EntityRegion}
}

// lossConsequences names, for a role loss of member (an account or a
// user), its working tokens that lose the roles at once, and the scoped
// ones whose scope names one of them: the service narrows those scopes
// after the change, and revokes a token left with no entry.
func (s *Server) lossConsequences(ctx context.Context, member keyhold.Ref, lost []keyhold.ScopeRole) ([]string, error) {
	toks, err := allPages(func(p keyhold.Page) (*keyhold.List[*keyhold.Token], error) {
		return s.svc.Tokens.ListTokens(ctx, member, keyhold.TokenFilter{Page: p})
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	var all, scoped, recent int
	for _, t := range toks {
		if !t.Usable(now) {
			continue
		}
		if t.Scope == nil {
			all++
			if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < 24*time.Hour {
				recent++
			}
			continue
		}
		if namesAny(t.Scope, lost) {
			scoped++
		}
	}
	kind := "working token loses"
	kinds := "working tokens lose"
	if member.Type == keyhold.PrincipalUser {
		kind, kinds = "personal access token loses", "personal access tokens lose"
	}
	first := plural(all, kind, kinds) + " what this grants at once."
	if recent > 0 {
		first = plural(all, kind, kinds) + " what this grants at once; " + plural(recent, "was", "were") + " used in the last 24 h."
	}
	out := []string{first}
	if scoped > 0 {
		out = append(out, plural(scoped, "scoped token names", "scoped tokens name")+" it in its scope: an entry that no other role still held covers leaves the scope, and a token left with no entry is revoked.")
	}
	return out, nil
}

func namesAny(scope, lost []keyhold.ScopeRole) bool {
	for _, e := range scope {
		e.EntityID = keyhold.FoldID(e.EntityID)
		for _, l := range lost {
			if e == l {
				return true
			}
		}
	}
	return false
}

// confirmUnassignRole asks before a role leaves an account, a team or a
// user.
func (s *Server) confirmUnassignRole(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	ref, name, back, err := s.holder(ctx, r)
	if err != nil {
		return err
	}
	role, err := s.svc.Roles.GetAssignedRole(ctx, ref, r.PathValue("rid"))
	if err != nil {
		return err
	}
	cons := []string{name + " loses " + roleText(role) + "."}
	if ref.Type == keyhold.PrincipalTeam {
		one := keyhold.Page{Number: 1, Size: 1}
		accts, err := s.svc.Teams.ListTeamSystemAccounts(ctx, ref.ID, keyhold.SystemAccountFilter{Page: one})
		if err != nil {
			return err
		}
		users, err := s.svc.Teams.ListTeamUsers(ctx, ref.ID, keyhold.UserFilter{Page: one})
		if err != nil {
			return err
		}
		cons = append(cons, plural(accts.Total, "system account", "system accounts")+" and "+plural(users.Total, "user", "users")+
			" of the team lose it with their tokens, unless they hold it otherwise.",
			"Scoped tokens of the team's system accounts that name it lose that entry; a token left with no entry is revoked.")
	} else {
		more, err := s.lossConsequences(ctx, ref, []keyhold.ScopeRole{scopeRole(role)})
		if err != nil {
			return err
		}
		cons = append(cons, more...)
	}
	cons = append(cons, "Assigning the role again does not bring back a revoked token.")
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Remove " + role.RoleName + " on " + role.EntityTypeName + " from " + name + "?",
		Danger: true, Action: back + "/roles/" + role.ID + "/delete", Button: "Remove role", Cancel: back, Consequences: cons})
	return nil
}

// membershipConsequences names what member loses when it leaves team.
func (s *Server) membershipConsequences(ctx context.Context, team *keyhold.Team, member keyhold.Ref, name string) ([]string, error) {
	roles, err := s.svc.Roles.ListAssignedRoles(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: team.ID}, keyhold.AssignedRoleFilter{})
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return []string{team.Name + " has no roles: " + name + " loses none, and its tokens keep working as they do."}, nil
	}
	texts := make([]string, len(roles))
	lost := make([]keyhold.ScopeRole, len(roles))
	for i, ro := range roles {
		texts[i], lost[i] = roleText(ro), scopeRole(ro)
	}
	cons := []string{name + " loses the team's " + plural(len(roles), "role", "roles") + ", unless it holds them otherwise: " + strings.Join(texts, "; ") + "."}
	more, err := s.lossConsequences(ctx, member, lost)
	if err != nil {
		return nil, err
	}
	return append(cons, more...), nil
}

// confirmLeaveTeam asks before an account or a user leaves a team, from
// the member's page.
func (s *Server) confirmLeaveTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	ref, name, back, err := s.holder(ctx, r)
	if err != nil {
		return err
	}
	if ref.Type == keyhold.PrincipalTeam {
		return keyhold.Errorf(keyhold.EINVALID, "Teams cannot be members of teams")
	}
	t, err := s.svc.Teams.GetTeam(ctx, r.PathValue("tid"))
	if err != nil {
		return err
	}
	cons, err := s.membershipConsequences(ctx, t, ref, name)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Remove " + name + " from " + t.Name + "?", Danger: true,
		Action: back + "/teams/" + t.ID + "/remove", Button: "Remove from team", Cancel: back, Consequences: cons})
	return nil
}

// confirmRemoveMember asks before a member leaves a team, from the team's
// page; the member comes in the query as the form would post it.
func (s *Server) confirmRemoveMember(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t, err := s.svc.Teams.GetTeam(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: keyhold.FoldID(q.Get("member_id"))}
	memberType := "system_account"
	var name string
	if q.Get("member_type") == "user" {
		ref.Type, memberType = keyhold.PrincipalUser, "user"
		u, err := s.svc.Users.GetUser(ctx, ref.ID)
		if err != nil {
			return err
		}
		name = u.Email
	} else {
		a, err := s.svc.Accounts.GetSystemAccount(ctx, ref.ID)
		if err != nil {
			return err
		}
		name = a.Name
	}
	cons, err := s.membershipConsequences(ctx, t, ref, name)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Remove " + name + " from " + t.Name + "?", Danger: true,
		Action: "/ui/teams/" + t.ID + "/members/remove", Button: "Remove member", Cancel: "/ui/teams/" + t.ID, Consequences: cons,
		Fields: []hidden{{"member_type", memberType}, {"member_id", ref.ID}}})
	return nil
}

// tokenConsequences names what deleting or revoking t stops.
func (s *Server) tokenConsequences(t *keyhold.Token, undone string) []string {
	var cons []string
	now := s.now()
	if t.Usable(now) {
		cons = append(cons, "The token stops working at once.")
		if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < 24*time.Hour {
			cons = append(cons, "It was used in the last 24 h (last from "+orUnknown(t.LastUsedIP)+"): whatever uses it will fail.")
		} else {
			cons = append(cons, "It was not used in the last 24 h.")
		}
	} else {
		cons = append(cons, "The token no longer works; "+undone)
	}
	return append(cons, "This cannot be undone.")
}

// confirmDeletePersonalToken asks before the signed-in user deletes one
// of their own personal access tokens.
func (s *Server) confirmDeletePersonalToken(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: c.Principal.ID}
	t, err := s.svc.Tokens.GetToken(r.Context(), ref, r.PathValue("tid"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Delete token " + t.Name + "?", Danger: true,
		Action: "/ui/me/tokens/" + t.ID + "/delete", Button: "Delete token", Cancel: "/ui/me",
		Consequences: s.tokenConsequences(t, "deleting it removes it from the list.")})
	return nil
}

// confirmRevokeUserToken asks before a user's personal access token is
// revoked from the user's page.
func (s *Server) confirmRevokeUserToken(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: r.PathValue("id")}
	t, err := s.svc.Tokens.GetToken(r.Context(), ref, r.PathValue("tid"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Revoke token " + t.Name + "?", Danger: true,
		Action: "/ui/users/" + ref.ID + "/tokens/" + t.ID + "/revoke", Button: "Revoke token", Cancel: "/ui/users/" + ref.ID,
		Consequences: s.tokenConsequences(t, "revoking it changes nothing.")})
	return nil
}
