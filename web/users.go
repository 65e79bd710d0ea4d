package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/dn"
)

type usersPage struct {
	Items   []*keyhold.User
	Pager   pager
	Q       string
	CanEdit bool
}

func (usersPage) title() (string, string) { return "Users", "users" }

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	pg := newPager(r, listPageSize)
	d := usersPage{Q: strings.TrimSpace(r.URL.Query().Get("q")), CanEdit: s.may(r, "UpdateUser")}
	f := keyhold.UserFilter{Page: pg.page()}
	if d.Q != "" {
		f.Email = &keyhold.StringFilter{Op: keyhold.OpContains, Value: d.Q}
	}
	list, err := s.svc.Users.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	d.Items, pg.Total = list.Items, list.Total
	d.Pager = pg
	s.render(w, r, c, http.StatusOK, "users.html", d)
	return nil
}

// userForm adds a user, or edits the names of User.
type userForm struct {
	Form *form
	User *keyhold.User
}

func (d userForm) title() (string, string) {
	if d.User != nil {
		return "Edit " + d.User.Email, "users"
	}
	return "New user", "users"
}

func (s *Server) newUserForm(w http.ResponseWriter, r *http.Request, c *call) error {
	s.render(w, r, c, http.StatusOK, "user_form.html", userForm{Form: newForm(map[string][]string{"mode": {"invite"}})})
	return nil
}

// createUser invites or creates a user with the names typed in; only a
// created user gets the password.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	f.Values.Del("password")
	var u *keyhold.User
	var err error
	done := "user-created"
	email, full, preferred := strings.TrimSpace(f.Get("email")), strings.TrimSpace(f.Get("full_name")), strings.TrimSpace(f.Get("preferred_name"))
	if r.PostFormValue("mode") == "create" {
		u, err = s.svc.Users.CreateUser(r.Context(), keyhold.UserCreate{Email: email,
			FullName: full, PreferredName: preferred, Password: r.PostFormValue("password")})
	} else {
		done = "user-invited"
		u, err = s.svc.Users.InviteUser(r.Context(), keyhold.UserInvite{Email: email, FullName: full, PreferredName: preferred})
	}
	if err != nil {
		if !f.absorb(err, "email", "full_name", "preferred_name", "password") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "user_form.html", userForm{Form: f})
		return nil
	}
	return redirect(w, r, "/ui/users/"+u.ID, done)
}

func (s *Server) editUserForm(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.svc.Users.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(map[string][]string{"full_name": {u.FullName}, "preferred_name": {u.PreferredName}})
	s.render(w, r, c, http.StatusOK, "user_form.html", userForm{Form: f, User: u})
	return nil
}

// updateUser saves a user's full and preferred names through UpdateUser,
// whose validation is the API's: the full name is required, the preferred
// name may be empty.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.svc.Users.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	full, preferred := strings.TrimSpace(f.Get("full_name")), strings.TrimSpace(f.Get("preferred_name"))
	if _, err := s.svc.Users.UpdateUser(r.Context(), u.ID, keyhold.UserUpdate{FullName: &full, PreferredName: &preferred}); err != nil {
		if !f.absorb(err, "full_name", "preferred_name") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "user_form.html", userForm{Form: f, User: u})
		return nil
	}
	return redirect(w, r, "/ui/users/"+u.ID, "user-updated")
}

type userPage struct {
	User     *keyhold.User
	Roles    []*keyhold.AssignedRole
	Teams    []*keyhold.Team
	AllTeams teamPicker
	Tokens   []tokenRow
	// TokenPager pages Tokens, oldest first.
	TokenPager pager
	CanEdit    bool
	Self       bool
	// DN is the user's entry in the LDAP directory (active users only).
	DN string
}

func (d userPage) title() (string, string) { return d.User.Email, "users" }

func (s *Server) showUser(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderUser(w, r, c, newForm(nil), http.StatusOK)
}

// renderUser shows a user's page, with f the "Add to team" form.
func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, c *call, f *form, status int) error {
	ctx := r.Context()
	u, err := s.svc.Users.GetUser(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}
	d := userPage{User: u, CanEdit: s.may(r, "UpdateUser"), Self: c.Principal.ID == u.ID,
		DN: s.dirPeopleRDN + "=" + dn.EscapeValue(u.Email) + ",ou=people," + s.dirBase}
	if d.Roles, err = s.svc.Roles.ListAssignedRoles(ctx, ref, keyhold.AssignedRoleFilter{}); err != nil {
		return err
	}
	if d.Teams, d.AllTeams, err = s.memberTeams(ctx, ref, f); err != nil {
		return err
	}
	if d.Tokens, d.TokenPager, err = s.tokenPage(r, ref, u.Active); err != nil {
		return err
	}
	s.render(w, r, c, status, "user.html", d)
	return nil
}

func (s *Server) confirmDeactivate(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	u, err := s.svc.Users.GetUser(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	active, recent, err := s.tokenUsage(ctx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID})
	if err != nil {
		return err
	}
	cons := []string{"Their console sessions end and they cannot sign in.",
		plural(active, "personal access token is", "personal access tokens are") + " refused; " +
			plural(recent, "was", "were") + " used in the last 24 h.",
		"Their roles and teams stay; activating them again restores access."}
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Deactivate " + u.Email + "?",
		Action: "/ui/users/" + u.ID + "/deactivate", Button: "Deactivate user", Cancel: "/ui/users/" + u.ID, Consequences: cons})
	return nil
}

func (s *Server) setActive(active bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		u, err := s.svc.Sessions.SetUserActive(r.Context(), r.PathValue("id"), active)
		if err != nil {
			return err
		}
		done := "user-activated"
		if !active {
			done = "user-deactivated"
		}
		return redirect(w, r, "/ui/users/"+u.ID, done)
	}
}

type setupLinkPage struct {
	User      *keyhold.User
	URL       string
	ExpiresAt time.Time
}

func (d setupLinkPage) title() (string, string) { return "Setup link for " + d.User.Email, "users" }

// issueSetupLink shows, once, a link at which the user sets their
// password: an invited user accepts the invitation with it.
func (s *Server) issueSetupLink(w http.ResponseWriter, r *http.Request, c *call) error {
	link, err := s.svc.Users.IssueSetupLink(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	base := s.origin
	if base == "" {
		base = "http://" + r.Host
		if r.TLS != nil {
			base = "https://" + r.Host
		}
	}
	s.render(w, r, c, http.StatusCreated, "setup_link.html", setupLinkPage{User: link.User,
		URL: keyhold.SetupURL(base, link.Secret), ExpiresAt: link.ExpiresAt})
	return nil
}

func (s *Server) revokeUserToken(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: r.PathValue("id")}
	if _, err := s.svc.Tokens.RevokeToken(r.Context(), ref, r.PathValue("tid")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/users/"+ref.ID, "token-deleted")
}

// mePage is the signed-in user's own page: their personal access tokens.
type mePage struct {
	User   *keyhold.User
	Tokens []tokenRow
	// TokenPager pages Tokens, oldest first.
	TokenPager pager
	Form       *form
	Minted     *keyhold.MintedToken
	// Choices are the lifetimes the policy allows a personal token.
	Choices []expiryChoice
}

func (mePage) title() (string, string) { return "Your personal access tokens", "me" }

func (s *Server) showMe(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderMe(w, r, c, newForm(nil), nil, http.StatusOK)
}

func (s *Server) renderMe(w http.ResponseWriter, r *http.Request, c *call, f *form, m *keyhold.MintedToken, status int) error {
	u, err := s.svc.Users.Me(r.Context())
	if err != nil {
		return err
	}
	toks, pg, err := s.tokenPage(r, keyhold.Ref{Type: keyhold.PrincipalUser, ID: u.ID}, u.Active)
	if err != nil {
		return err
	}
	p, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return err
	}
	choices := lifetimeChoices(p, true)
	if f.Get("expiry") == "" {
		// 30 days when the policy allows it, else the longest it allows.
		f.Values.Set("expiry", choices[len(choices)-1].Value)
		for _, ch := range choices {
			if ch.Value == "30d" {
				f.Values.Set("expiry", ch.Value)
			}
		}
	}
	s.render(w, r, c, status, "me.html", mePage{User: u, Tokens: toks, TokenPager: pg, Form: f, Minted: m, Choices: choices})
	return nil
}

func (s *Server) createPersonalToken(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: c.Principal.ID}
	in := keyhold.TokenCreate{Name: strings.TrimSpace(f.Get("name"))}
	p, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return err
	}
	parseExpiry(f, p, true, s.now(), &in)
	if len(f.Errors) > 0 {
		return s.renderMe(w, r, c, f, nil, http.StatusBadRequest)
	}
	m, err := s.svc.Tokens.CreateToken(r.Context(), ref, in)
	if err != nil {
		if !f.absorb(err, "name", "expires_at") {
			return err
		}
		expiryError(f)
		return s.renderMe(w, r, c, f, nil, statusOf[keyhold.ErrorCode(err)])
	}
	return s.renderMe(w, r, c, newForm(nil), m, http.StatusCreated)
}

func (s *Server) deletePersonalToken(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalUser, ID: c.Principal.ID}
	if err := s.svc.Tokens.DeleteToken(r.Context(), ref, r.PathValue("tid")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/me", "token-deleted")
}

type auditPage struct {
	Items []*keyhold.AuditEvent
	Pager pager
	Form  *form
	// Actions is every action of the trail, offered for the action filter.
	Actions []string
	// Filtered is whether any filter is set, to offer to clear them.
	Filtered bool
	// Log is the Verify panel: the latest checkpoint and its check.
	Log *keyhold.AuditLogStatus
}

func (auditPage) title() (string, string) { return "Audit log", "audit" }

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := newForm(q)
	pg := newPager(r, 50)
	af := keyhold.AuditFilter{Page: pg.page()}
	// The names match by part, the target id exactly.
	contains := func(k string) *keyhold.StringFilter {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			return &keyhold.StringFilter{Op: keyhold.OpContains, Value: v}
		}
		return nil
	}
	af.ActorName, af.Action = contains("actor"), contains("action")
	if v := strings.TrimSpace(q.Get("target")); v != "" {
		af.TargetID = &v
	}
	// A principal's history: what it did, and what was done to it.
	if v := strings.TrimSpace(q.Get("involving")); v != "" {
		v = keyhold.FoldID(v)
		af.Involving = &v
	}
	for _, k := range []string{"since", "until"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			f.Errors[k] = "pick a date (YYYY-MM-DD)"
			continue
		}
		if k == "since" {
			af.Since = &t
		} else {
			t = t.Add(24 * time.Hour) // until the end of that day
			af.Until = &t
		}
	}
	if af.EmptyWindow() {
		f.Errors["until"] = "pick a date on or after the From date"
	}
	d := auditPage{Form: f, Actions: keyhold.AuditActions()}
	for _, k := range []string{"actor", "action", "target", "involving", "since", "until"} {
		d.Filtered = d.Filtered || q.Get(k) != ""
	}
	if len(f.Errors) == 0 {
		list, err := s.svc.Audit.ListAuditEvents(r.Context(), af)
		if err != nil {
			if !f.absorb(err, "actor", "action", "target", "involving", "since", "until") {
				return err
			}
		} else {
			d.Items, pg.Total = list.Items, list.Total
		}
	}
	d.Pager = pg
	if s.svc.AuditLog != nil {
		st, err := s.svc.AuditLog.Status(r.Context())
		if err != nil {
			return err
		}
		d.Log = st
	}
	status := http.StatusOK
	if len(f.Errors) > 0 || f.Message != "" {
		status = http.StatusBadRequest
	}
	s.render(w, r, c, status, "audit.html", d)
	return nil
}
