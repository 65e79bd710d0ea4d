package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

var accountFilters = filterSpec{"name": filterString, "description": filterString, "konnect_managed": filterBool, "disabled": filterBool}

func (s *Server) listSystemAccounts(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), accountFilters)
	if err != nil {
		return err
	}
	l, err := s.svc.Accounts.ListSystemAccounts(r.Context(), accountFilter(q))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, systemAccountOut))
	return nil
}

func accountFilter(q *query) keyhold.SystemAccountFilter {
	return keyhold.SystemAccountFilter{Name: q.str("name"), Description: q.str("description"), KonnectManaged: q.boolean("konnect_managed"),
		Disabled: q.boolean("disabled"), Page: q.page}
}

func (s *Server) createSystemAccount(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	name, desc, managed, team := o.str("name", true), o.str("description", true), o.boolean("konnect_managed"), o.boolean("create_team")
	if err := o.err(); err != nil {
		return err
	}
	in := keyhold.SystemAccountCreate{Name: *name, Description: *desc, KonnectManaged: managed != nil && *managed, CreateTeam: team != nil && *team}
	a, err := s.svc.Accounts.CreateSystemAccount(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, systemAccountOut(a))
	return nil
}

func (s *Server) getSystemAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.svc.Accounts.GetSystemAccount(r.Context(), r.PathValue("accountId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, systemAccountOut(a))
	return nil
}

func (s *Server) updateSystemAccount(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := keyhold.SystemAccountUpdate{Name: o.str("name", false), Description: o.str("description", false)}
	if o.isNull("description") { // null clears it, as "" does
		in.Description = new(string)
	}
	if o.present("konnect_managed") {
		o.fail("konnect_managed", "cannot be changed after creation", "invalid")
	}
	if err := o.err(); err != nil {
		return err
	}
	a, err := s.svc.Accounts.UpdateSystemAccount(r.Context(), r.PathValue("accountId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, systemAccountOut(a))
	return nil
}

// setDisabled serves POST …/disable and …/enable.
func (s *Server) setDisabled(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := noBody(r); err != nil {
			return err
		}
		a, err := s.svc.Accounts.SetSystemAccountDisabled(r.Context(), r.PathValue("accountId"), disabled)
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusOK, systemAccountOut(a))
		return nil
	}
}

func (s *Server) deleteSystemAccount(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.Accounts.DeleteSystemAccount(r.Context(), r.PathValue("accountId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func accountRef(r *http.Request) keyhold.Ref {
	return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: r.PathValue("accountId")}
}

func userRef(r *http.Request) keyhold.Ref {
	return keyhold.Ref{Type: keyhold.PrincipalUser, ID: r.PathValue("userId")}
}

func (s *Server) listAccessTokens(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{"name": filterString})
	if err != nil {
		return err
	}
	l, err := s.svc.Tokens.ListTokens(r.Context(), accountRef(r), keyhold.TokenFilter{Name: q.str("name"), Page: q.page})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, accessTokenOut(s.now())))
	return nil
}

func (s *Server) createAccessToken(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	// expires_at may be omitted (the policy's default lifetime, or the
	// intent's) or null (a token that never expires, where the policy
	// allows it): keyhold extensions of Konnect's required field.
	name, expires, intent := o.str("name", true), o.time("expires_at", false), o.str("intent", false)
	scope, cidrs := o.restrictions()
	autoRotate := o.boolean("auto_rotate")
	if err := o.err(); err != nil {
		return err
	}
	in := keyhold.TokenCreate{Name: *name, ExpiresAt: expires, NoExpiry: o.isNull("expires_at"), Intent: deref(intent),
		Scope: scope, AllowedCIDRs: cidrs, AutoRotate: autoRotate != nil && *autoRotate}
	t, err := s.svc.Tokens.CreateToken(r.Context(), accountRef(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusCreated, wire.AccessTokenCreated{AccessToken: accessTokenOut(s.now())(&t.Token), Token: t.Value})
	return nil
}

// rotateAccessToken serves POST …/access-tokens/{tokenId}/rotate.
func (s *Server) rotateAccessToken(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeOptionalObject(r)
	if err != nil {
		return err
	}
	overlap, idle, expires := o.integer("overlap_seconds", false), o.integer("revoke_when_idle_seconds", false), o.time("expires_at", false)
	if err := o.err(); err != nil {
		return err
	}
	seconds := func(v *int64) *time.Duration {
		if v == nil {
			return nil
		}
		d := time.Duration(min(max(*v, -1), 1<<33)) * time.Second
		return &d
	}
	in := keyhold.TokenRotate{Overlap: seconds(overlap), RevokeWhenIdle: seconds(idle), ExpiresAt: expires}
	t, err := s.svc.Tokens.RotateToken(r.Context(), accountRef(r), r.PathValue("tokenId"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusCreated, wire.AccessTokenCreated{AccessToken: accessTokenOut(s.now())(&t.Token), Token: t.Value})
	return nil
}

func (s *Server) getAccessToken(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.Tokens.GetToken(r.Context(), accountRef(r), r.PathValue("tokenId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, accessTokenOut(s.now())(t))
	return nil
}

func (s *Server) renameAccessToken(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	name := o.str("name", true)
	if err := o.err(); err != nil {
		return err
	}
	t, err := s.svc.Tokens.RenameToken(r.Context(), accountRef(r), r.PathValue("tokenId"), *name)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, accessTokenOut(s.now())(t))
	return nil
}

func (s *Server) deleteAccessToken(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.Tokens.DeleteToken(r.Context(), accountRef(r), r.PathValue("tokenId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listExpiringTokens serves GET /v1/tokens/expiring?within_days=N.
func (s *Server) listExpiringTokens(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{})
	if err != nil {
		return err
	}
	days, err := strconv.Atoi(r.URL.Query().Get("within_days"))
	if err != nil {
		return keyhold.Invalid(keyhold.FieldError{Field: "within_days", Reason: "is required: a number of days", Rule: "is_integer", Source: "query"})
	}
	l, err := s.svc.Tokens.ListExpiringTokens(r.Context(), days, q.page)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, expiringTokenOut(s.now())))
	return nil
}
