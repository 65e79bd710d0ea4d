package httpapi

import (
	"net/http"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

var userFilters = filterSpec{"id": filterEq, "email": filterString, "full_name": filterString, "active": filterBool}

func userFilter(q *query) keyhold.UserFilter {
	return keyhold.UserFilter{ID: q.id("id"), Email: q.str("email"), FullName: q.str("full_name"), Active: q.boolean("active"), Page: q.page}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), userFilters)
	if err != nil {
		return err
	}
	l, err := s.svc.Users.ListUsers(r.Context(), userFilter(q))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, userOut))
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	email, full, preferred, password := o.str("email", true), o.str("full_name", false), o.str("preferred_name", false), o.str("password", false)
	if err := o.err(); err != nil {
		return err
	}
	u, err := s.svc.Users.CreateUser(r.Context(), keyhold.UserCreate{Email: *email, FullName: deref(full), PreferredName: deref(preferred), Password: deref(password)})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, userOut(u))
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	email := o.str("email", true)
	if err := o.err(); err != nil {
		return err
	}
	if _, err := s.svc.Users.InviteUser(r.Context(), keyhold.UserInvite{Email: *email}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// issueSetupLink answers a one-time link with which the user sets their
// console password (and an invited user accepts the invitation). The link
// is shown only here; keyhold keeps its digest.
func (s *Server) issueSetupLink(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	link, err := s.svc.Users.IssueSetupLink(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	base := s.public
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusCreated, wire.SetupLink{
		SetupURL: keyhold.SetupURL(base, link.Secret), ExpiresAt: link.ExpiresAt, User: userOut(link.User)})
	return nil
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.Users.Me(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, userOut(u))
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.Users.GetUser(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, userOut(u))
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := keyhold.UserUpdate{FullName: o.str("full_name", false), PreferredName: o.str("preferred_name", false)}
	if err := o.err(); err != nil {
		return err
	}
	u, err := s.svc.Users.UpdateUser(r.Context(), r.PathValue("userId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, userOut(u))
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.Users.DeleteUser(r.Context(), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listPersonalTokens lists a page of a user's tokens: by default the first
// thousand, as one page held them all before paging; page[number] reaches
// the others.
func (s *Server) listPersonalTokens(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{})
	if err != nil {
		return err
	}
	page := keyhold.Page{Number: q.page.Number, Size: keyhold.MaxPageSize}
	if r.URL.Query().Has("page[size]") {
		page.Size = q.page.Size
	}
	l, err := s.svc.Tokens.ListTokens(r.Context(), userRef(r), keyhold.TokenFilter{Page: page})
	if err != nil {
		return err
	}
	body := pageOf(l, personalTokenOut(s.now()))
	writeJSON(w, r, http.StatusOK, wire.PersonalAccessTokenList{Meta: body.Meta.Page, Data: body.Data})
	return nil
}

func (s *Server) createPersonalToken(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := keyhold.TokenCreate{}
	if name := o.str("name", true); name != nil {
		in.Name = *name
	}
	switch {
	case o.present("ttl_seconds") && o.present("expires_at"):
		o.fail("ttl_seconds", "give either ttl_seconds or expires_at", "invalid")
	case o.present("ttl_seconds"):
		if ttl := o.integer("ttl_seconds", true); ttl != nil {
			d := time.Duration(min(max(*ttl, -1), 1<<32)) * time.Second
			in.TTL = &d
		}
	default:
		in.ExpiresAt = o.time("expires_at", true)
	}
	if err := o.err(); err != nil {
		return err
	}
	t, err := s.svc.Tokens.CreateToken(r.Context(), userRef(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusCreated, wire.PersonalAccessTokenCreated{PersonalAccessToken: personalTokenOut(s.now())(&t.Token), KonnectToken: t.Value})
	return nil
}

func (s *Server) getPersonalToken(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.Tokens.GetToken(r.Context(), userRef(r), r.PathValue("tokenId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, personalTokenOut(s.now())(t))
	return nil
}

func (s *Server) renamePersonalToken(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	name := o.str("name", true)
	if err := o.err(); err != nil {
		return err
	}
	t, err := s.svc.Tokens.RenameToken(r.Context(), userRef(r), r.PathValue("tokenId"), *name)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, personalTokenOut(s.now())(t))
	return nil
}

func (s *Server) revokePersonalToken(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	t, err := s.svc.Tokens.RevokeToken(r.Context(), userRef(r), r.PathValue("tokenId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, personalTokenOut(s.now())(t))
	return nil
}

func (s *Server) deletePersonalToken(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.Tokens.DeleteToken(r.Context(), userRef(r), r.PathValue("tokenId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
