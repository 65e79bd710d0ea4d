package httpapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
)

var teamFilters = filterSpec{"name": filterString, "labels": filterLabels}

func teamFilter(q *query) keyhold.TeamFilter {
	return keyhold.TeamFilter{Name: q.str("name"), Labels: q.labels, Page: q.page}
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), teamFilters)
	if err != nil {
		return err
	}
	l, err := s.svc.Teams.ListTeams(r.Context(), teamFilter(q))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, teamOut))
	return nil
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	name, desc, labels := o.str("name", true), o.str("description", false), o.labels("labels")
	in := keyhold.TeamCreate{Description: desc, Labels: map[string]string{}}
	for k, v := range labels {
		if v == nil {
			o.fail("labels."+k, "must be a string", "is_string")
			continue
		}
		in.Labels[k] = *v
	}
	if err := o.err(); err != nil {
		return err
	}
	in.Name = *name
	t, err := s.svc.Teams.CreateTeam(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, teamOut(t))
	return nil
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.Teams.GetTeam(r.Context(), r.PathValue("teamId"))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, teamOut(t))
	return nil
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	in := keyhold.TeamUpdate{Name: o.str("name", false), Description: o.str("description", false), ClearDescription: o.isNull("description"),
		ClearLabels: o.isNull("labels"), Labels: o.labels("labels")}
	if err := o.err(); err != nil {
		return err
	}
	t, err := s.svc.Teams.UpdateTeam(r.Context(), r.PathValue("teamId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, teamOut(t))
	return nil
}

func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.svc.Teams.DeleteTeam(r.Context(), r.PathValue("teamId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTeamSystemAccounts(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), filterSpec{"name": filterString})
	if err != nil {
		return err
	}
	l, err := s.svc.Teams.ListTeamSystemAccounts(r.Context(), r.PathValue("teamId"), accountFilter(q))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, systemAccountOut))
	return nil
}

func (s *Server) listTeamUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r.URL.Query(), userFilters)
	if err != nil {
		return err
	}
	l, err := s.svc.Teams.ListTeamUsers(r.Context(), r.PathValue("teamId"), userFilter(q))
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, pageOf(l, userOut))
	return nil
}

// addTeamMember answers 201 with no body, as Konnect does.
func (s *Server) addTeamMember(kind keyhold.PrincipalType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := decodeObject(r)
		if err != nil {
			return err
		}
		id := o.id("id", true)
		if err := o.err(); err != nil {
			return err
		}
		if err := s.svc.Teams.AddTeamMember(r.Context(), r.PathValue("teamId"), keyhold.Ref{Type: kind, ID: *id}); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	}
}

func (s *Server) removeTeamMember(kind keyhold.PrincipalType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := noBody(r); err != nil {
			return err
		}
		m := accountRef(r)
		if kind == keyhold.PrincipalUser {
			m = userRef(r)
		}
		if err := s.svc.Teams.RemoveTeamMember(r.Context(), r.PathValue("teamId"), m); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) listMemberTeams(kind keyhold.PrincipalType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r.URL.Query(), filterSpec{"name": filterString})
		if err != nil {
			return err
		}
		m := accountRef(r)
		if kind == keyhold.PrincipalUser {
			m = userRef(r)
		}
		l, err := s.svc.Teams.ListMemberTeams(r.Context(), m, teamFilter(q))
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusOK, pageOf(l, teamOut))
		return nil
	}
}
