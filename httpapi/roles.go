package httpapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
)

// principalRef reads the principal of an assigned-roles path.
func principalRef(kind keyhold.PrincipalType, r *http.Request) keyhold.Ref {
	param := map[keyhold.PrincipalType]string{keyhold.PrincipalSystemAccount: "accountId", keyhold.PrincipalTeam: "teamId", keyhold.PrincipalUser: "userId"}[kind]
	return keyhold.Ref{Type: kind, ID: r.PathValue(param)}
}

func (s *Server) listAssignedRoles(kind keyhold.PrincipalType) handlerFunc {
	spec := filterSpec{"entity_id": filterEq, "role_name": filterEq, "entity_type_name": filterEq}
	if kind == keyhold.PrincipalTeam {
		delete(spec, "entity_id")
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r.URL.Query(), spec)
		if err != nil {
			return err
		}
		f := keyhold.AssignedRoleFilter{EntityID: q.eq("entity_id"), RoleName: q.eq("role_name"), EntityTypeName: q.eq("entity_type_name")}
		rs, err := s.svc.Roles.ListAssignedRoles(r.Context(), principalRef(kind, r), f)
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusOK, assignedRolesOut(rs))
		return nil
	}
}

func (s *Server) assignRole(kind keyhold.PrincipalType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := decodeObject(r)
		if err != nil {
			return err
		}
		in := keyhold.AssignRole{RoleName: deref(o.str("role_name", false)), EntityID: deref(o.str("entity_id", false)),
			EntityTypeName: deref(o.str("entity_type_name", false)), EntityRegion: deref(o.str("entity_region", false))}
		if err := o.err(); err != nil {
			return err
		}
		a, err := s.svc.Roles.AssignRole(r.Context(), principalRef(kind, r), in)
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusCreated, assignedRoleOut(a))
		return nil
	}
}

func (s *Server) getAssignedRole(kind keyhold.PrincipalType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.svc.Roles.GetAssignedRole(r.Context(), principalRef(kind, r), r.PathValue("roleId"))
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusOK, assignedRoleOut(a))
		return nil
	}
}

func (s *Server) unassignRole(kind keyhold.PrincipalType) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := noBody(r); err != nil {
			return err
		}
		if err := s.svc.Roles.UnassignRole(r.Context(), principalRef(kind, r), r.PathValue("roleId")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) getRoles(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(s.svc.Roles.Catalogue().RolesBody())
	return err
}
