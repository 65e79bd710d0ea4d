package service

import (
	"context"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

const targetRole = "assigned_role"

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
	switch types := s.catalogue.EntityTypes(); {
	case in.EntityTypeName == "":
		c.add(keyhold.FieldError{Field: "entity_type_name", Reason: "is required", Rule: "required"})
	case s.catalogue.RolesOf(in.EntityTypeName) == nil:
		c.add(keyhold.FieldError{Field: "entity_type_name", Reason: "is not a known entity type", Rule: "enum", Choices: types})
	case in.RoleName == "":
		c.add(keyhold.FieldError{Field: "role_name", Reason: "is required", Rule: "required"})
	case !s.catalogue.Assignable(in.EntityTypeName, in.RoleName):
		c.add(keyhold.FieldError{Field: "role_name", Reason: "is not a role of " + in.EntityTypeName, Rule: "enum", Choices: s.catalogue.RolesOf(in.EntityTypeName)})
	}
	if in.EntityID == "" {
		c.add(keyhold.FieldError{Field: "entity_id", Reason: "is required", Rule: "required"})
	} else if _, err := uuid.Parse(in.EntityID); in.EntityID != keyhold.AnyEntity && (err != nil || len(in.EntityID) != 36) {
		c.add(keyhold.FieldError{Field: "entity_id", Reason: "must be a UUID or *", Rule: "is_uuid"})
	}
	if !keyhold.ValidRegion(in.EntityRegion) {
		c.add(keyhold.FieldError{Field: "entity_region", Reason: "is not a known region", Rule: "enum", Choices: keyhold.Regions})
	}
	return c.err()
}

// AssignRole implements keyhold.RoleService.
func (s *Roles) AssignRole(ctx context.Context, p keyhold.Ref, in keyhold.AssignRole) (_ *keyhold.AssignedRole, err error) {
	defer s.denied(ctx, "role.assign", &err)
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
	ev := s.audit(ctx, "role.assign", string(p.Type), p.ID, in.EntityTypeName+"/"+in.RoleName)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.roleHolder(ctx, tx, p); err != nil {
			return err
		}
		if err := tx.Roles().CreateAssignedRole(ctx, r); err != nil {
			return err
		}
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
	defer s.denied(ctx, "role.unassign", &err)
	if err = s.authorize(ctx, "UnassignRole", false); err != nil {
		return err
	}
	if err := validIDs(principalField(p), p.ID, "roleId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "role.unassign", string(p.Type), p.ID, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.roleHolder(ctx, tx, p); err != nil {
			return err
		}
		r, err := tx.Roles().GetAssignedRole(ctx, p, id)
		if err != nil {
			return err
		}
		ev.TargetName = r.EntityTypeName + "/" + r.RoleName
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
