package service

import (
	"context"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

// Guard rails on privileges: nobody hands out more than they hold.

var errEscalation = keyhold.Errorf(keyhold.EFORBIDDEN, "You may give only roles that you hold yourself")

// isOrgAdmin reports whether the caller belongs to Organization Admin,
// which holds every role. A call without a principal is keyhold itself
// (bootstrap) and may do anything.
func (s *Service) isOrgAdmin(ctx context.Context) bool {
	p := keyhold.PrincipalFromContext(ctx)
	return p == nil || !p.Scoped && s.index.InSystemTeam(p.Ref(), teamOrgAdmin)
}

// mayGrant checks that the caller holds a role it is about to give: the
// same role or one implying it, on the same entity or "*", in the same
// region or "*".
func (s *Service) mayGrant(ctx context.Context, entityType, role, entityID, region string) error {
	if s.isOrgAdmin(ctx) {
		return nil
	}
	id, ok := s.catalogue.Role(entityType, role)
	if !ok {
		return errEscalation
	}
	if !s.principalHolds(keyhold.PrincipalFromContext(ctx), &authz.Query{Role: id, EntityID: entityID, Region: region}) {
		return keyhold.Errorf(keyhold.EFORBIDDEN, "You may give only roles that you hold yourself: you do not hold %s on %s %s in %s", role, entityType, entityID, region)
	}
	return nil
}

// mayGrantTeam checks that adding a member to a team gives nothing the
// caller does not hold: every role of the team, and, for the predefined
// teams whose membership is itself a privilege, Organization Admin.
func (s *Service) mayGrantTeam(ctx context.Context, tx Tx, t *keyhold.Team) error {
	if s.isOrgAdmin(ctx) {
		return nil
	}
	if t.SystemKey == teamOrgAdmin || t.SystemKey == teamOrgAdminReadOnly {
		return keyhold.Errorf(keyhold.EFORBIDDEN, "Only members of Organization Admin may add members to %q", t.Name)
	}
	roles, err := tx.ListAssignedRoles(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: t.ID}, keyhold.AssignedRoleFilter{})
	if err != nil {
		return err
	}
	for _, r := range roles {
		if err := s.mayGrant(ctx, r.EntityTypeName, r.RoleName, r.EntityID, r.EntityRegion); err != nil {
			return keyhold.Errorf(keyhold.EFORBIDDEN, "Adding a member to %q gives its roles, and you do not hold %s on %s %s in %s", t.Name, r.RoleName, r.EntityTypeName, r.EntityID, r.EntityRegion)
		}
	}
	return nil
}

// notSelfMinting refuses a system account's token minting tokens for its
// own account: a leaked token must not be able to perpetuate itself. Its
// own credential is renewed by rotation.
func notSelfMinting(ctx context.Context, owner keyhold.Ref) error {
	if p := keyhold.PrincipalFromContext(ctx); p != nil && p.Type == keyhold.PrincipalSystemAccount && p.Ref() == owner {
		return keyhold.Errorf(keyhold.EFORBIDDEN, "A system account may not mint tokens for itself")
	}
	return nil
}
