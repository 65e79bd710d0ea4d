package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

// expiryChoice is one lifetime a token form offers.
type expiryChoice struct{ Value, Label string }

// fixedDays are the lifetimes, in days, the token forms offer when the
// policy allows them.
var fixedDays = []int{7, 30, 90, 365}

// lifetimeChoices are the lifetimes a token form offers under policy p:
// only those the policy allows, each labelled with what the policy will
// give, so that nothing is shortened unseen. Personal tokens always expire
// and have no default.
func lifetimeChoices(p *keyhold.TokenPolicy, personal bool) []expiryChoice {
	var out []expiryChoice
	if !personal {
		out = append(out, expiryChoice{"", "Organization default (" + lifetime(p.DefaultLifetime) + ")"})
		for _, c := range []struct{ intent, label string }{
			{keyhold.IntentAPI, "Short-lived, for an API script"},
			{keyhold.IntentAppPassword, "Long-lived, as an app password"},
		} {
			d, _ := keyhold.IntentLifetime(c.intent)
			given := lifetime(d)
			if d > p.MaxLifetime {
				given = lifetime(p.MaxLifetime) + ", the policy's maximum"
			}
			out = append(out, expiryChoice{c.intent, c.label + " (intent " + c.intent + ": " + given + ")"})
		}
	}
	atMax := false
	for _, n := range fixedDays {
		d := time.Duration(n) * day
		if d > p.MaxLifetime {
			break
		}
		atMax = atMax || d == p.MaxLifetime
		out = append(out, expiryChoice{strconv.Itoa(n) + "d", lifetime(d)})
	}
	if !atMax && (!personal || p.MaxLifetime < time.Duration(fixedDays[len(fixedDays)-1])*day) {
		out = append(out, expiryChoice{"max", lifetime(p.MaxLifetime) + " (the policy's maximum)"})
	}
	if !personal {
		out = append(out, expiryChoice{"date", "On the date below"})
		if p.AllowNonExpiring {
			out = append(out, expiryChoice{"never", "Never"})
		}
	}
	return out
}

// lifetime says a duration as a person reads it: "90 days", "30 minutes".
func lifetime(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= day && d%day == 0:
		return unit(int64(d/day), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d/time.Second), "second")
}

// lastDate is the last day a token form's date may name under policy p:
// the token works until the end of that day, UTC.
func lastDate(p *keyhold.TokenPolicy, now time.Time) string {
	return now.Add(p.MaxLifetime).Add(-day + time.Second).UTC().Format("2006-01-02")
}

// parseExpiry reads a token form's expiry choice into in; a choice the
// form did not offer under p is an error on the expiry field.
func parseExpiry(f *form, p *keyhold.TokenPolicy, personal bool, now time.Time, in *keyhold.TokenCreate) {
	e := f.Get("expiry")
	offered := false
	for _, c := range lifetimeChoices(p, personal) {
		offered = offered || c.Value == e
	}
	if !offered {
		f.Errors["expiry"] = "pick one of the listed lifetimes"
		return
	}
	switch e {
	case "":
	case keyhold.IntentAPI, keyhold.IntentAppPassword:
		in.Intent = e
	case "never":
		in.NoExpiry = true
	case "max":
		t := now.Add(p.MaxLifetime).UTC()
		in.ExpiresAt = &t
	case "date":
		t, err := time.Parse("2006-01-02", f.Get("expires_at"))
		if err != nil {
			f.Errors["expires_at"] = "pick a date (YYYY-MM-DD)"
			return
		}
		t = t.Add(day - time.Second)
		in.ExpiresAt = &t
	default:
		days, _ := strconv.Atoi(strings.TrimSuffix(e, "d"))
		t := now.Add(time.Duration(days) * day).UTC()
		in.ExpiresAt = &t
	}
}

// expiryError moves the service's error on a token's lifetime under the
// form's expiry field, where the lifetime is chosen.
func expiryError(f *form) {
	if e := f.Errors["expires_at"]; e != "" {
		f.Errors["expiry"] = joinReason(f.Errors["expiry"], e)
		delete(f.Errors, "expires_at")
	}
}

type tokenForm struct {
	Form    *form
	Account *keyhold.SystemAccount
	Roles   []*keyhold.AssignedRole
	Choices []expiryChoice
	// LastDate is the last date the policy allows, YYYY-MM-DD.
	LastDate string
}

func (d tokenForm) title() (string, string) { return "New token for " + d.Account.Name, "accounts" }

func (s *Server) newTokenForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showTokenForm(w, r, c, newForm(nil), http.StatusOK)
}

func (s *Server) showTokenForm(w http.ResponseWriter, r *http.Request, c *call, f *form, status int) error {
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	roles, err := s.svc.Roles.ListAssignedRoles(r.Context(), keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: a.ID}, keyhold.AssignedRoleFilter{})
	if err != nil {
		return err
	}
	p, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, c, status, "token_form.html", tokenForm{Form: f, Account: a, Roles: roles,
		Choices: lifetimeChoices(p, false), LastDate: lastDate(p, s.now())})
	return nil
}

// mintedPage shows a token's value, the only time it is ever shown.
type mintedPage struct {
	Account *keyhold.SystemAccount
	Token   *keyhold.MintedToken
	Rotated *keyhold.Token
	Back    string
}

func (d mintedPage) title() (string, string) { return "Copy your token now", "accounts" }

// parseTokenCreate reads the token form; field errors go on f. It drops
// nothing the form asks for: what it cannot resolve is a field error or,
// when the account's roles cannot be read, the error, and nothing is
// minted. The service refuses what the owner may not have.
func (s *Server) parseTokenCreate(r *http.Request, f *form, owner keyhold.Ref) (keyhold.TokenCreate, error) {
	in := keyhold.TokenCreate{Name: strings.TrimSpace(f.Get("name")), AutoRotate: f.Get("auto_rotate") == "on"}
	p, err := s.svc.Policy.TokenPolicy(r.Context())
	if err != nil {
		return keyhold.TokenCreate{}, err
	}
	parseExpiry(f, p, false, s.now(), &in)
	if ids := f.Values["scope"]; len(ids) > 0 {
		roles, err := s.svc.Roles.ListAssignedRoles(r.Context(), owner, keyhold.AssignedRoleFilter{})
		if err != nil {
			return keyhold.TokenCreate{}, err
		}
		byID := map[string]*keyhold.AssignedRole{}
		for _, a := range roles {
			byID[a.ID] = a
		}
		for _, id := range ids {
			if a, ok := byID[id]; ok {
				in.Scope = append(in.Scope, keyhold.ScopeRole{RoleName: a.RoleName, EntityTypeName: a.EntityTypeName, EntityID: a.EntityID, EntityRegion: a.EntityRegion})
			} else {
				f.Errors["scope"] = "names a role the account no longer holds; reload the page"
			}
		}
	}
	for _, part := range strings.FieldsFunc(f.Get("allowed_cidrs"), func(r rune) bool { return r == ',' || r == '\n' || r == ' ' || r == '\r' }) {
		p, ok := keyhold.ParseCIDR(part)
		if !ok {
			f.Errors["allowed_cidrs"] = joinReason(f.Errors["allowed_cidrs"], strconv.Quote(part)+" is neither a network (CIDR) nor an address")
			continue
		}
		in.AllowedCIDRs = append(in.AllowedCIDRs, p)
	}
	return in, nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: r.PathValue("id")}
	in, err := s.parseTokenCreate(r, f, ref)
	if err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return s.showTokenForm(w, r, c, f, http.StatusBadRequest)
	}
	m, err := s.svc.Tokens.CreateToken(r.Context(), ref, in)
	if err != nil {
		if !f.absorb(err, "name", "expires_at", "scope", "allowed_cidrs", "auto_rotate") {
			return err
		}
		expiryError(f)
		return s.showTokenForm(w, r, c, f, statusOf[keyhold.ErrorCode(err)])
	}
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), ref.ID)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusCreated, "token_value.html", mintedPage{Account: a, Token: m, Back: "/ui/accounts/" + a.ID})
	return nil
}

type rotatePage struct {
	Form    *form
	Account *keyhold.SystemAccount
	Token   *keyhold.Token
	Usage   []string
}

func (d rotatePage) title() (string, string) { return "Rotate " + d.Token.Name, "accounts" }

func (s *Server) rotateForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showRotate(w, r, c, newForm(map[string][]string{"overlap": {"24h"}}), http.StatusOK)
}

func (s *Server) showRotate(w http.ResponseWriter, r *http.Request, c *call, f *form, status int) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: r.PathValue("id")}
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), ref.ID)
	if err != nil {
		return err
	}
	t, err := s.svc.Tokens.GetToken(r.Context(), ref, r.PathValue("tid"))
	if err != nil {
		return err
	}
	s.render(w, r, c, status, "rotate.html", rotatePage{Form: f, Account: a, Token: t})
	return nil
}

var overlaps = map[string]time.Duration{"0": 0, "1h": time.Hour, "24h": 24 * time.Hour, "72h": 72 * time.Hour, "168h": 168 * time.Hour}

func (s *Server) rotateToken(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r.PostForm)
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: r.PathValue("id")}
	var in keyhold.TokenRotate
	if o, ok := overlaps[f.Get("overlap")]; ok {
		in.Overlap = &o
	} else {
		f.Errors["overlap"] = "pick one of the listed overlaps"
	}
	if f.Get("revoke_when_idle") == "on" {
		idle := time.Hour
		in.RevokeWhenIdle = &idle
	}
	if len(f.Errors) > 0 {
		return s.showRotate(w, r, c, f, http.StatusBadRequest)
	}
	m, err := s.svc.Tokens.RotateToken(r.Context(), ref, r.PathValue("tid"), in)
	if err != nil {
		if !f.absorb(err, "overlap", "revoke_when_idle") {
			return err
		}
		return s.showRotate(w, r, c, f, statusOf[keyhold.ErrorCode(err)])
	}
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), ref.ID)
	if err != nil {
		return err
	}
	old, err := s.svc.Tokens.GetToken(r.Context(), ref, r.PathValue("tid"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusCreated, "token_value.html", mintedPage{Account: a, Token: m, Rotated: old, Back: "/ui/accounts/" + a.ID})
	return nil
}

func (s *Server) confirmDeleteToken(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: r.PathValue("id")}
	t, err := s.svc.Tokens.GetToken(r.Context(), ref, r.PathValue("tid"))
	if err != nil {
		return err
	}
	cons := s.tokenConsequences(t, "deleting it removes it from the list.")
	s.render(w, r, c, http.StatusOK, "confirm.html", confirmPage{Heading: "Delete token " + t.Name + "?", Danger: true,
		Action: "/ui/accounts/" + ref.ID + "/tokens/" + t.ID + "/delete", Button: "Delete token",
		Cancel: "/ui/accounts/" + ref.ID, Consequences: cons})
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown address"
	}
	return s
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: r.PathValue("id")}
	if err := s.svc.Tokens.DeleteToken(r.Context(), ref, r.PathValue("tid")); err != nil {
		return err
	}
	return redirect(w, r, "/ui/accounts/"+ref.ID, "token-deleted")
}
