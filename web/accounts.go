package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/dn"
)

const listPageSize = 20

// detailPageSize is the page size of the lists on a detail page: an
// account's tokens, a team's members.
const detailPageSize = 50

type accountsPage struct {
	Items []*keyhold.AccountSummary
	Pager pager
	// Form holds the filters as the query gave them, with their errors.
	Form *form
	Q    string
	// Managed, State and Tokens are the filters' valid values, "" for any.
	Managed, State, Tokens string
	CanEdit                bool
}

func (accountsPage) title() (string, string) { return "System accounts", "accounts" }

// Filtered reports whether a filter narrows the list.
func (d accountsPage) Filtered() bool {
	return d.Q != "" || d.Managed != "" || d.State != "" || d.Tokens != ""
}

// The token filters of the accounts list: how far ahead "expiring" looks,
// and how long a token must have gone unused.
const (
	expiringWithin = 14 * 24 * time.Hour
	unusedFor      = 30 * 24 * time.Hour
)

// listAccounts shows the accounts, each with its working tokens counted
// and its tokens' last use. The filters are GET parameters, so that a
// filtered page can be bookmarked: q (name), managed, state, tokens.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	pg := newPager(r, listPageSize)
	f := keyhold.SystemAccountFilter{Page: pg.page()}
	d := accountsPage{Form: newForm(q), Q: strings.TrimSpace(q.Get("q")), CanEdit: s.may(r, "CreateSystemAccount")}
	if d.Q != "" {
		f.Name = &keyhold.StringFilter{Op: keyhold.OpContains, Value: d.Q}
	}
	switch v := q.Get("managed"); v {
	case "":
	case "managed", "unmanaged":
		d.Managed = v
		f.KonnectManaged = ptr(v == "managed")
	default:
		d.Form.Errors["managed"] = "pick one of the listed kinds"
	}
	switch v := q.Get("state"); v {
	case "":
	case "enabled", "disabled":
		d.State = v
		f.Disabled = ptr(v == "disabled")
	default:
		d.Form.Errors["state"] = "pick one of the listed states"
	}
	now := s.now()
	switch v := q.Get("tokens"); v {
	case "":
	case "expiring":
		d.Tokens = v
		f.TokensExpiringBefore = ptr(now.Add(expiringWithin))
	case "unused":
		d.Tokens = v
		f.TokensUnusedSince = ptr(now.Add(-unusedFor))
	default:
		d.Form.Errors["tokens"] = "pick one of the listed token conditions"
	}
	status := http.StatusOK
	if len(d.Form.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
		list, err := s.svc.Accounts.ListAccountSummaries(r.Context(), f)
		if err != nil {
			return err
		}
		d.Items, pg.Total = list.Items, list.Total
	}
	d.Pager = pg
	page := "accounts.html"
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "account-results" {
		page = "accounts_results.html"
	}
	s.render(w, r, c, status, page, d)
	return nil
}

func ptr[T any](v T) *T { return &v }

// may reports whether the signed-in user may perform the service
// operation op, to show or hide controls; the operation decides again.
func (s *Server) may(r *http.Request, op string) bool {
	return s.svc.Auth.May(r.Context(), op, false) == nil
}

type accountForm struct {
	Form    *form
	Account *keyhold.SystemAccount
}

func (d accountForm) title() (string, string) {
	if d.Account != nil {
		return "Edit " + d.Account.Name, "accounts"
	}
	return "New system account", "accounts"
}

func (s *Server) newAccountForm(w http.ResponseWriter, r *http.Request, c *call) error {
	s.render(w, r, c, http.StatusOK, "account_form.html", accountForm{Form: newForm(nil)})
	return nil
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	a, err := s.svc.Accounts.CreateSystemAccount(r.Context(), keyhold.SystemAccountCreate{
		Name: strings.TrimSpace(f.Get("name")), Description: f.Get("description"),
		KonnectManaged: f.Get("konnect_managed") == "on", CreateTeam: f.Get("create_team") == "on"})
	if err != nil {
		if !f.absorb(err, "name", "description") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "account_form.html", accountForm{Form: f})
		return nil
	}
	return redirect(w, r, "/ui/accounts/"+a.ID, "account-created")
}

func (s *Server) editAccountForm(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(map[string][]string{"name": {a.Name}, "description": {a.Description}})
	s.render(w, r, c, http.StatusOK, "account_form.html", accountForm{Form: f, Account: a})
	return nil
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	name, desc := strings.TrimSpace(f.Get("name")), f.Get("description")
	if _, err := s.svc.Accounts.UpdateSystemAccount(r.Context(), a.ID, keyhold.SystemAccountUpdate{Name: &name, Description: &desc}); err != nil {
		if !f.absorb(err, "name", "description") {
			return err
		}
		s.render(w, r, c, statusOf[keyhold.ErrorCode(err)], "account_form.html", accountForm{Form: f, Account: a})
		return nil
	}
	return redirect(w, r, "/ui/accounts/"+a.ID, "account-updated")
}

// accountPage is the detail page of an account.
type accountPage struct {
	Account *keyhold.SystemAccount
	Tokens  []tokenRow
	// TokenPager pages Tokens, oldest first.
	TokenPager pager
	Roles      []*keyhold.AssignedRole
	Teams      []*keyhold.Team
	AllTeams   teamPicker
	Events     []*keyhold.AuditEvent
	// Events is nil when the user may not read the audit trail.
	CanAudit bool
	CanEdit  bool
	// Locked is the service's verdict (keyhold.SystemAccount.Locked): why
	// the account cannot be changed here, or "".
	Locked string
	// DN is the account's entry in the LDAP directory, its bind DN.
	DN string
}

func (d accountPage) title() (string, string) { return d.Account.Name, "accounts" }

// tokenRow is a token as a list shows it.
type tokenRow struct {
	*keyhold.Token
	// Status is the token's effective state, its owner's included
	// (keyhold.Token.Status): what its badge shows.
	Status  keyhold.TokenStatus
	ValidTo *time.Time
	// Active is the token's own state, ACTIVE, whatever its owner's: it
	// may be rotated or revoked.
	Active bool
	// Short names the token in the list: the first 8 characters of its id.
	Short string
	// Predecessor and Successor are the tokens a rotation links it to.
	Predecessor, Successor *tokenLink
}

// tokenLink names a token another row points at; OnPage says whether
// its row is on the same page, so that an anchor can reach it.
type tokenLink struct {
	ID, Short string
	OnPage    bool
}

// shortID is the first 8 characters of a token's id.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// tokenRows turns a page of one owner's tokens into rows; ownerActive is
// false when the owner is a disabled account or an inactive user, whose
// tokens are refused.
func (s *Server) tokenRows(items []*keyhold.Token, ownerActive bool) []tokenRow {
	now := s.now()
	onPage := make(map[string]bool, len(items))
	for _, t := range items {
		onPage[t.ID] = true
	}
	link := func(id *string) *tokenLink {
		if id == nil {
			return nil
		}
		return &tokenLink{ID: *id, Short: shortID(*id), OnPage: onPage[*id]}
	}
	rows := make([]tokenRow, 0, len(items))
	for _, t := range items {
		rows = append(rows, tokenRow{Token: t, Status: t.Status(now, ownerActive), ValidTo: t.ValidUntil(),
			Active: t.State(now) == keyhold.TokenActive, Short: shortID(t.ID),
			Predecessor: link(t.PredecessorID), Successor: link(t.SuccessorID)})
	}
	return rows
}

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderAccount(w, r, c, newForm(nil), http.StatusOK)
}

// renderAccount shows an account's page, with f the "Add to team" form.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, c *call, f *form, status int) error {
	ctx := r.Context()
	a, err := s.svc.Accounts.GetSystemAccount(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
	d := accountPage{Account: a, CanEdit: s.may(r, "UpdateSystemAccount"), CanAudit: s.may(r, "ListAuditEvents"), Locked: a.Locked,
		DN: "cn=" + dn.EscapeValue(a.Name) + ",ou=users," + s.dirBase}
	if d.Tokens, d.TokenPager, err = s.tokenPage(r, ref, !a.Disabled); err != nil {
		return err
	}
	if d.Roles, err = s.svc.Roles.ListAssignedRoles(ctx, ref, keyhold.AssignedRoleFilter{}); err != nil {
		return err
	}
	if d.Teams, d.AllTeams, err = s.memberTeams(ctx, ref, f); err != nil {
		return err
	}
	if d.CanAudit {
		ev, err := s.svc.Audit.ListAuditEvents(ctx, keyhold.AuditFilter{Involving: &a.ID, Page: keyhold.Page{Number: 1, Size: 10}})
		if err != nil {
			return err
		}
		d.Events = ev.Items
	}
	s.render(w, r, c, status, "account.html", d)
	return nil
}

// tokenPage returns the page of ref's tokens that the request asks for
// (tokens_page), with its pager; ownerActive is as for tokenRows.
func (s *Server) tokenPage(r *http.Request, ref keyhold.Ref, ownerActive bool) ([]tokenRow, pager, error) {
	pg := newPagerOf(r, "tokens_page", "tokens", detailPageSize)
	toks, err := s.svc.Tokens.ListTokens(r.Context(), ref, keyhold.TokenFilter{Page: pg.page()})
	if err != nil {
		return nil, pg, err
	}
	pg.Total = toks.Total
	return s.tokenRows(toks.Items, ownerActive), pg, nil
}

// memberTeams returns every team of a member, and every team it could
// join, for the form that offers them. Both are fetched in full: the
// teams are those the organization's admins made.
// teamPicker is the "Add to team" form: the teams ref is not in, ordinary
// ones first, then, set apart, the predefined teams that make their
// members administrators (keyhold.Team.AdminGrant).
type teamPicker struct {
	Form         *form
	Plain, Admin []*keyhold.Team
}

// Empty reports whether there is no team to join.
func (p teamPicker) Empty() bool { return len(p.Plain)+len(p.Admin) == 0 }

// memberTeams returns the teams ref is in, and the picker of the others
// with f its form.
func (s *Server) memberTeams(ctx context.Context, ref keyhold.Ref, f *form) (in []*keyhold.Team, others teamPicker, err error) {
	mine, err := allPages(func(p keyhold.Page) (*keyhold.List[*keyhold.Team], error) {
		return s.svc.Teams.ListMemberTeams(ctx, ref, keyhold.TeamFilter{Page: p})
	})
	if err != nil {
		return nil, others, err
	}
	teams, err := allPages(func(p keyhold.Page) (*keyhold.List[*keyhold.Team], error) {
		return s.svc.Teams.ListTeams(ctx, keyhold.TeamFilter{Page: p})
	})
	if err != nil {
		return nil, others, err
	}
	others.Form = f
	member := map[string]bool{}
	for _, t := range mine {
		member[t.ID] = true
	}
	for _, t := range teams {
		switch {
		case member[t.ID]:
		case t.AdminGrant() != "":
			others.Admin = append(others.Admin, t)
		default:
			others.Plain = append(others.Plain, t)
		}
	}
	return mine, others, nil
}

// confirmPage asks before a destructive action and names what it breaks.
type confirmPage struct {
	Heading string
	Action  string
	Button  string
	Cancel  string
	// Consequences name what will break.
	Consequences []string
	Danger       bool
	// Fields are sent back with the form, as the action expects them.
	Fields []hidden
}

func (d confirmPage) title() (string, string) { return d.Heading, "" }

// tokenUsage counts, for a confirmation, every working token of ref and
// those of them used in the last day.
func (s *Server) tokenUsage(ctx context.Context, ref keyhold.Ref) (active, usedRecently int, err error) {
	toks, err := allPages(func(p keyhold.Page) (*keyhold.List[*keyhold.Token], error) {
		return s.svc.Tokens.ListTokens(ctx, ref, keyhold.TokenFilter{Page: p})
	})
	if err != nil {
		return 0, 0, err
	}
	now := s.now()
	for _, t := range toks {
		if t.Usable(now) {
			active++
			if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < 24*time.Hour {
				usedRecently++
			}
		}
	}
	return active, usedRecently, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (s *Server) accountConsequences(ctx context.Context, a *keyhold.SystemAccount) ([]string, error) {
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
	active, recent, err := s.tokenUsage(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := []string{plural(active, "working token stops", "working tokens stop") + " working at once."}
	switch {
	case recent > 0:
		out = append(out, plural(recent, "token was", "tokens were")+" used in the last 24 h: whatever uses them will fail.")
	case active > 0:
		out = append(out, "None of them was used in the last 24 h.")
	}
	return out, nil
}

func (s *Server) confirmDisable(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cons, err := s.accountConsequences(r.Context(), a)
	if err != nil {
		return err
	}
	cons = append(cons, "The account keeps its tokens, roles and teams; enabling it again restores them.")
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Disable " + a.Name + "?",
		Action: "/ui/accounts/" + a.ID + "/disable", Button: "Disable account", Cancel: "/ui/accounts/" + a.ID, Consequences: cons})
	return nil
}

func (s *Server) setDisabled(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		a, err := s.svc.Accounts.SetSystemAccountDisabled(r.Context(), r.PathValue("id"), disabled)
		if err != nil {
			return err
		}
		done := "account-enabled"
		if disabled {
			done = "account-disabled"
		}
		return redirect(w, r, "/ui/accounts/"+a.ID, done)
	}
}

func (s *Server) confirmDeleteAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	a, err := s.svc.Accounts.GetSystemAccount(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	cons, err := s.accountConsequences(ctx, a)
	if err != nil {
		return err
	}
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}
	roles, err := s.svc.Roles.ListAssignedRoles(ctx, ref, keyhold.AssignedRoleFilter{})
	if err != nil {
		return err
	}
	teams, _, err := s.memberTeams(ctx, ref, nil)
	if err != nil {
		return err
	}
	cons = append(cons, plural(len(roles), "role assignment is", "role assignments are")+" deleted.",
		"It leaves "+plural(len(teams), "team", "teams")+".", "This cannot be undone.")
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Delete " + a.Name + "?", Danger: true,
		Action: "/ui/accounts/" + a.ID + "/delete", Button: "Delete account", Cancel: "/ui/accounts/" + a.ID, Consequences: cons})
	return nil
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.svc.Accounts.DeleteSystemAccount(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/accounts", "account-deleted")
}
