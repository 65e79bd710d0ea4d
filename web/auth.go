package web

import (
	"net/http"
	"time"

	"github.com/keyhold/keyhold"
)

// Markers of the routes that perform no one service operation: public
// pages need no session, authn pages any signed-in user. Every other
// route names the operation it performs or leads to.
const (
	public = "public"
	authn  = "authenticated"
)

type signInPage struct {
	Form *form
	Next string
}

func (signInPage) title() (string, string) { return "Sign in", "" }

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request, c *call) error {
	s.render(w, r, c, http.StatusOK, "signin.html", signInPage{Form: newForm(nil), Next: r.URL.Query().Get("next")})
	return nil
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	f.Values.Del("password") // never rendered back
	next := r.PostFormValue("next")
	sess, secret, err := s.svc.Sessions.SignIn(r.Context(), keyhold.SignIn{Email: r.PostFormValue("email"), Password: r.PostFormValue("password")})
	if err != nil {
		if !f.absorb(err, "email", "password") {
			return err
		}
		status := statusOf[keyhold.ErrorCode(err)]
		s.render(w, r, c, status, "signin.html", signInPage{Form: f, Next: next})
		return nil
	}
	maxAge := int(time.Until(sess.ExpiresAt).Seconds())
	http.SetCookie(w, s.cookie(r, sessionCookie, secret, max(maxAge, 1)))
	s.clearCookie(w, r, preSessionCookie)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, c *call) error {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := s.svc.Sessions.SignOut(r.Context(), ck.Value); err != nil {
			return err
		}
	}
	s.clearCookie(w, r, sessionCookie)
	return redirect(w, r, "/ui/signin", "signed-out")
}

type setupPage struct {
	Form  *form
	Token string
	Email string
}

func (setupPage) title() (string, string) { return "Set your password", "" }

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request, c *call) error {
	tok := r.URL.Query().Get("token")
	u, err := s.svc.Sessions.SetupUser(r.Context(), tok)
	if err != nil {
		return s.setupRefused(w, r, c, err)
	}
	s.render(w, r, c, http.StatusOK, "setup.html", setupPage{Form: newForm(nil), Token: tok, Email: u.Email})
	return nil
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request, c *call) error {
	tok := r.PostFormValue("token")
	f := newForm(nil)
	pw, again := r.PostFormValue("password"), r.PostFormValue("password_again")
	if pw != again {
		f.Errors["password_again"] = "does not match the password"
	} else if _, err := s.svc.Sessions.SetPasswordWithSetup(r.Context(), tok, pw); err != nil {
		if keyhold.ErrorCode(err) != keyhold.EINVALID || !f.absorb(err, "password") {
			return s.setupRefused(w, r, c, err)
		}
	} else {
		return redirect(w, r, "/ui/signin", "password-set")
	}
	u, err := s.svc.Sessions.SetupUser(r.Context(), tok)
	if err != nil {
		return s.setupRefused(w, r, c, err)
	}
	s.render(w, r, c, http.StatusBadRequest, "setup.html", setupPage{Form: f, Token: tok, Email: u.Email})
	return nil
}

// setupRefused shows why a setup link no longer works, and what to do,
// instead of the generic "Sign in again" of an unauthenticated request:
// the person holding the link has no password to sign in with yet.
func (s *Server) setupRefused(w http.ResponseWriter, r *http.Request, c *call, err error) error {
	if keyhold.ErrorCode(err) != keyhold.EUNAUTHENTICATED {
		return err
	}
	s.render(w, r, c, http.StatusUnauthorized, "error.html", errorPage{
		Title: "This setup link was already used or has expired",
		Message: "A setup link works once, for a limited time. Ask an admin for a new setup link; " +
			"if you already set your password with this link, sign in with it.",
		Back: "/ui/signin", BackText: "Sign in",
	})
	return nil
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.URL.Path != "/ui/" {
		return keyhold.Errorf(keyhold.ENOTFOUND, "There is no page at %s", r.URL.Path)
	}
	http.Redirect(w, r, "/ui/accounts", http.StatusSeeOther)
	return nil
}

// routes is the console's whole surface, each page with the service
// operation it performs or leads to. The console decides no permission:
// the operation checks the user first, and a page that only shows a form
// asks the service whether the user may perform what the form leads to.
func (s *Server) routes() []route {
	return append(s.holderRoutes(), []route{
		{"GET /ui/", authn, s.home},
		{"GET /ui/signin", public, s.signInForm},
		{"POST /ui/signin", public, s.signIn},
		{"POST /ui/signout", authn, s.signOut},
		{"GET /ui/setup", public, s.setupForm},
		{"POST /ui/setup", public, s.setup},

		{"GET /ui/accounts", "ListAccountSummaries", s.listAccounts},
		{"GET /ui/accounts/new", "CreateSystemAccount", s.newAccountForm},
		{"POST /ui/accounts/new", "CreateSystemAccount", s.createAccount},
		{"GET /ui/accounts/{id}", "GetSystemAccount", s.showAccount},
		{"GET /ui/accounts/{id}/edit", "UpdateSystemAccount", s.editAccountForm},
		{"POST /ui/accounts/{id}/edit", "UpdateSystemAccount", s.updateAccount},
		{"GET /ui/accounts/{id}/disable", "SetSystemAccountDisabled", s.confirmDisable},
		{"POST /ui/accounts/{id}/disable", "SetSystemAccountDisabled", s.setDisabled(true)},
		{"POST /ui/accounts/{id}/enable", "SetSystemAccountDisabled", s.setDisabled(false)},
		{"GET /ui/accounts/{id}/delete", "DeleteSystemAccount", s.confirmDeleteAccount},
		{"POST /ui/accounts/{id}/delete", "DeleteSystemAccount", s.deleteAccount},

		{"GET /ui/accounts/{id}/tokens/new", "CreateToken", s.newTokenForm},
		{"POST /ui/accounts/{id}/tokens/new", "CreateToken", s.once("The token", backToPath("/ui/accounts/", "account"), s.createToken)},
		{"GET /ui/accounts/{id}/tokens/{tid}/rotate", "RotateToken", s.rotateForm},
		// A token may rotate itself; a session is no token, so write it is.
		{"POST /ui/accounts/{id}/tokens/{tid}/rotate", "RotateToken", s.once("The new token", backToPath("/ui/accounts/", "account"), s.rotateToken)},
		{"GET /ui/accounts/{id}/tokens/{tid}/delete", "DeleteToken", s.confirmDeleteToken},
		{"POST /ui/accounts/{id}/tokens/{tid}/delete", "DeleteToken", s.deleteToken},

		{"GET /ui/teams", "ListTeams", s.listTeams},
		{"GET /ui/teams/new", "CreateTeam", s.newTeamForm},
		{"POST /ui/teams/new", "CreateTeam", s.createTeam},
		{"GET /ui/teams/{id}", "GetTeam", s.showTeam},
		{"GET /ui/teams/{id}/edit", "UpdateTeam", s.editTeamForm},
		{"POST /ui/teams/{id}/edit", "UpdateTeam", s.updateTeam},
		{"GET /ui/teams/{id}/delete", "DeleteTeam", s.confirmDeleteTeam},
		{"POST /ui/teams/{id}/delete", "DeleteTeam", s.deleteTeam},
		{"POST /ui/teams/{id}/members", "AddTeamMember", s.addMember},
		{"GET /ui/teams/{id}/members/remove", "RemoveTeamMember", s.confirmRemoveMember},
		{"POST /ui/teams/{id}/members/remove", "RemoveTeamMember", s.removeMember},

		{"GET /ui/webhooks", "ListWebhooks", s.listWebhooks},
		{"GET /ui/webhooks/new", "CreateWebhook", s.newWebhookForm},
		{"POST /ui/webhooks/new", "CreateWebhook", s.once("The signing secret", backTo("/ui/webhooks", "webhooks"), s.createWebhook)},
		{"GET /ui/webhooks/{id}", "GetWebhook", s.showWebhook},
		{"GET /ui/webhooks/{id}/deliveries", "ListWebhookDeliveries", s.showDeliveries},
		{"GET /ui/webhooks/{id}/edit", "UpdateWebhook", s.editWebhookForm},
		{"POST /ui/webhooks/{id}/edit", "UpdateWebhook", s.updateWebhook},
		{"POST /ui/webhooks/{id}/test", "TestWebhook", s.testWebhook},
		{"POST /ui/webhooks/{id}/enable", "UpdateWebhook", s.setWebhookEnabled(true)},
		{"POST /ui/webhooks/{id}/disable", "UpdateWebhook", s.setWebhookEnabled(false)},
		{"POST /ui/webhooks/{id}/rotate-secret", "RotateWebhookSecret", s.once("The new signing secret", backToPath("/ui/webhooks/", "webhook"), s.rotateWebhookSecret)},
		{"GET /ui/webhooks/{id}/delete", "DeleteWebhook", s.confirmDeleteWebhook},
		{"POST /ui/webhooks/{id}/delete", "DeleteWebhook", s.deleteWebhook},
		{"POST /ui/webhooks/{id}/deliveries/{did}/redeliver", "RedeliverWebhook", s.redeliverWebhook},

		{"GET /ui/roles/entity-ids", "SuggestEntityIDs", s.suggestEntityIDs},

		{"GET /ui/policy", "TokenPolicy", s.showPolicy},
		{"POST /ui/policy", "SetTokenPolicy", s.savePolicy},

		{"GET /ui/users", "ListUsers", s.listUsers},
		{"GET /ui/users/new", "CreateUser", s.newUserForm},
		{"POST /ui/users/new", "CreateUser", s.createUser},
		{"GET /ui/users/{id}", "GetUser", s.showUser},
		{"GET /ui/users/{id}/edit", "UpdateUser", s.editUserForm},
		{"POST /ui/users/{id}/edit", "UpdateUser", s.updateUser},
		{"GET /ui/users/{id}/deactivate", "SetUserActive", s.confirmDeactivate},
		{"POST /ui/users/{id}/deactivate", "SetUserActive", s.setActive(false)},
		{"POST /ui/users/{id}/activate", "SetUserActive", s.setActive(true)},
		{"POST /ui/users/{id}/setup-link", "IssueSetupLink", s.once("The setup link", backToPath("/ui/users/", "user"), s.issueSetupLink)},
		{"GET /ui/users/{id}/tokens/{tid}/revoke", "RevokeToken", s.confirmRevokeUserToken},
		{"POST /ui/users/{id}/tokens/{tid}/revoke", "RevokeToken", s.revokeUserToken},

		// Personal access tokens: the user's own, under the service's owner rules.
		{"GET /ui/me", authn, s.showMe},
		{"POST /ui/me/tokens/new", "CreateToken", s.once("The token", backTo("/ui/me", "personal access tokens"), s.createPersonalToken)},
		{"GET /ui/me/tokens/{tid}/delete", "DeleteToken", s.confirmDeletePersonalToken},
		{"POST /ui/me/tokens/{tid}/delete", "DeleteToken", s.deletePersonalToken},

		{"GET /ui/audit", "ListAuditEvents", s.listAudit},
	}...)
}

// holderRoutes are the role and team pages shared by accounts, teams and
// users; the handlers read the kind from the path value "kind".
func (s *Server) holderRoutes() []route {
	var rs []route
	for _, kind := range []string{"accounts", "teams", "users"} {
		base := "/ui/" + kind + "/{id}"
		rs = append(rs,
			route{"GET " + base + "/roles/new", "AssignRole", withKind(kind, s.assignRoleForm)},
			route{"POST " + base + "/roles/new", "AssignRole", withKind(kind, s.assignRole)},
			route{"GET " + base + "/roles/{rid}/delete", "UnassignRole", withKind(kind, s.confirmUnassignRole)},
			route{"POST " + base + "/roles/{rid}/delete", "UnassignRole", withKind(kind, s.unassignRole)})
		if kind != "teams" {
			rs = append(rs,
				route{"POST " + base + "/teams", "AddTeamMember", withKind(kind, s.joinTeam)},
				route{"GET " + base + "/teams/{tid}/remove", "RemoveTeamMember", withKind(kind, s.confirmLeaveTeam)},
				route{"POST " + base + "/teams/{tid}/remove", "RemoveTeamMember", withKind(kind, s.leaveTeam)})
		}
	}
	return rs
}

func withKind(kind string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		r.SetPathValue("kind", kind)
		return h(w, r, c)
	}
}
