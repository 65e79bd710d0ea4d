package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// Catalogue implements keyhold.RoleService.
func (s *Roles) Catalogue() *keyhold.Catalogue { return s.catalogue }

func principalField(p keyhold.Ref) string {
	switch p.Type {
	case keyhold.PrincipalTeam:
		return "teamId"
	case keyhold.PrincipalUser:
		return "userId"
	}
	return "accountId"
}

func principalExists(ctx context.Context, tx storage.Tx, p keyhold.Ref) error {
	if p.Type == keyhold.PrincipalTeam {
		_, err := tx.Teams().GetTeam(ctx, p.ID)
		return err
	}
	return ownerExists(ctx, tx, p)
}

// ListAssignedRoles implements keyhold.RoleService.
func (s *Roles) ListAssignedRoles(ctx context.Context, p keyhold.Ref, f keyhold.AssignedRoleFilter) ([]*keyhold.AssignedRole, error) {
	if err := s.authorize(ctx, "ListAssignedRoles", false); err != nil {
		return nil, err
	}
	if err := validID(principalField(p), p.ID); err != nil {
		return nil, err
	}
	var items []*keyhold.AssignedRole
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if err = principalExists(ctx, tx, p); err != nil {
			return err
		}
		items, err = tx.Roles().ListAssignedRoles(ctx, p, f)
		return err
	})
	if items == nil {
		items = []*keyhold.AssignedRole{}
	}
	return items, err
}

// validateAssignment checks a requested assignment against the catalogue.
func (s *core) validateAssignment(in keyhold.AssignRole) error {
	var c checker
	checkRole(s.catalogue, &c, "", keyhold.RoleQuery{RoleName: in.RoleName, EntityTypeName: in.EntityTypeName,
		EntityID: in.EntityID, EntityRegion: in.EntityRegion}, true)
	return c.err()
}

// isUUID reports whether s is a UUID in its 36-character form.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// checkRole is the one statement of what a role named by entity type and
// role name, on an entity in a region, must be: known to the catalogue,
// with an entity and a known region. An assignment (assign) further needs
// a role that may be assigned, on a UUID or *; a decision may ask about
// any entity id, as a gateway names it. Fields are named with prefix.
func checkRole(cat *keyhold.Catalogue, c *checker, prefix string, q keyhold.RoleQuery, assign bool) {
	bad := func(field, reason, rule string, choices []string) {
		c.add(keyhold.FieldError{Field: prefix + field, Reason: reason, Rule: rule, Choices: choices})
	}
	_, known := cat.Role(q.EntityTypeName, q.RoleName)
	switch {
	case q.EntityTypeName == "":
		bad("entity_type_name", "is required", "required", nil)
	case cat.RolesOf(q.EntityTypeName) == nil:
		bad("entity_type_name", "is not a known entity type", "enum", cat.EntityTypes())
	case q.RoleName == "":
		bad("role_name", "is required", "required", nil)
	case !known || assign && !cat.Assignable(q.EntityTypeName, q.RoleName):
		bad("role_name", "is not a role of "+q.EntityTypeName, "enum", cat.RolesOf(q.EntityTypeName))
	}
	switch {
	case q.EntityID == "":
		bad("entity_id", "is required", "required", nil)
	case assign && q.EntityID != keyhold.AnyEntity && !isUUID(q.EntityID):
		bad("entity_id", "must be a UUID or *", "is_uuid", nil)
	}
	if !keyhold.ValidRegion(q.EntityRegion) {
		bad("entity_region", "is not a known region", "enum", keyhold.Regions)
	}
}

// AssignRole implements keyhold.RoleService.
func (s *Roles) AssignRole(ctx context.Context, p keyhold.Ref, in keyhold.AssignRole) (_ *keyhold.AssignedRole, err error) {
	defer s.denied(ctx, "role.assigned", &err)
	if err = s.authorize(ctx, "AssignRole", false); err != nil {
		return nil, err
	}
	if err := validID(principalField(p), p.ID); err != nil {
		return nil, err
	}
	if err := s.validateAssignment(in); err != nil {
		return nil, err
	}
	if err := s.mayGrant(ctx, in.EntityTypeName, in.RoleName, in.EntityID, in.EntityRegion); err != nil {
		return nil, err
	}
	r := &keyhold.AssignedRole{ID: newID(), Principal: p, RoleName: in.RoleName, EntityTypeName: in.EntityTypeName,
		EntityID: in.EntityID, EntityRegion: in.EntityRegion, CreatedAt: s.clock()}
	ev := s.audit(ctx, "role.assigned", string(p.Type), p.ID, in.EntityTypeName+"/"+in.RoleName)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.roleHolder(ctx, tx, p); err != nil {
			return err
		}
		if err := tx.Roles().CreateAssignedRole(ctx, r); err != nil {
			return err
		}
		ev.Changes = keyhold.Changes{}.Add("role", nil, roleChange(r))
		return s.changed(ctx, tx, principalChange(p), p.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// roleHolder checks that p exists and that its roles may change: the roles
// of system teams are fixed, and those of a managed account belong to its
// manager.
func (s *core) roleHolder(ctx context.Context, tx storage.Tx, p keyhold.Ref) error {
	if p.Type != keyhold.PrincipalTeam {
		return s.changeableOwner(ctx, tx, p)
	}
	_, err := mutableTeam(ctx, tx, p.ID)
	return err
}

// GetAssignedRole implements keyhold.RoleService.
func (s *Roles) GetAssignedRole(ctx context.Context, p keyhold.Ref, id string) (*keyhold.AssignedRole, error) {
	if err := s.authorize(ctx, "GetAssignedRole", false); err != nil {
		return nil, err
	}
	if err := validIDs(principalField(p), p.ID, "roleId", id); err != nil {
		return nil, err
	}
	var r *keyhold.AssignedRole
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if err = principalExists(ctx, tx, p); err != nil {
			return err
		}
		r, err = tx.Roles().GetAssignedRole(ctx, p, id)
		return err
	})
	return r, err
}

// UnassignRole implements keyhold.RoleService.
func (s *Roles) UnassignRole(ctx context.Context, p keyhold.Ref, id string) (err error) {
	defer s.denied(ctx, "role.unassigned", &err)
	if err = s.authorize(ctx, "UnassignRole", false); err != nil {
		return err
	}
	if err := validIDs(principalField(p), p.ID, "roleId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "role.unassigned", string(p.Type), p.ID, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.roleHolder(ctx, tx, p); err != nil {
			return err
		}
		r, err := tx.Roles().GetAssignedRole(ctx, p, id)
		if err != nil {
			return err
		}
		ev.TargetName = r.EntityTypeName + "/" + r.RoleName
		ev.Changes = keyhold.Changes{}.Add("role", roleChange(r), nil)
		scoped, err := scopedTokens(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := tx.Roles().DeleteAssignedRole(ctx, p, id); err != nil {
			return err
		}
		if err := s.narrowScopes(ctx, tx, scoped); err != nil {
			return err
		}
		return s.changed(ctx, tx, principalChange(p), p.ID, nil)
	})
}

// maxEntityIDSuggestions bounds SuggestEntityIDs: a picker's worth.
const maxEntityIDSuggestions = 50

// SuggestEntityIDs implements keyhold.RoleService.
func (s *Roles) SuggestEntityIDs(ctx context.Context, entityType string) ([]string, error) {
	if err := s.authorize(ctx, "SuggestEntityIDs", false); err != nil {
		return nil, err
	}
	if s.catalogue.RolesOf(entityType) == nil {
		return nil, &keyhold.Error{Code: keyhold.EINVALID, Message: "Unknown entity type",
			Fields: []keyhold.FieldError{{Field: "entity_type_name", Reason: "is not a known entity type", Rule: "enum",
				Choices: s.catalogue.EntityTypes()}}}
	}
	var ids []string
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		ids, err = tx.Roles().EntityIDsInUse(ctx, entityType, maxEntityIDSuggestions)
		return err
	})
	if ids == nil {
		ids = []string{}
	}
	return ids, err
}

// auditRole is an assigned role as the "role" change of role.assigned and
// role.unassigned records it: the API's fields of the assignment.
type auditRole struct {
	ID             string `json:"id"`
	RoleName       string `json:"role_name"`
	EntityTypeName string `json:"entity_type_name"`
	EntityID       string `json:"entity_id"`
	EntityRegion   string `json:"entity_region"`
}

func roleChange(r *keyhold.AssignedRole) auditRole {
	return auditRole{ID: r.ID, RoleName: r.RoleName, EntityTypeName: r.EntityTypeName, EntityID: r.EntityID, EntityRegion: r.EntityRegion}
}
