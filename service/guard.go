package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/storage"
)

// Guard rails on privileges: nobody hands out more than they hold.

var errEscalation = keyhold.Errorf(keyhold.EFORBIDDEN, "You may give only roles that you hold yourself")

// isOrgAdmin reports whether the caller belongs to Organization Admin,
// which holds every role, or is keyhold itself (AsSystem). A call without
// a principal is nobody, and holds nothing.
func (s *core) isOrgAdmin(ctx context.Context) bool {
	if isSystem(ctx) {
		return true
	}
	p := keyhold.PrincipalFromContext(ctx)
	return p != nil && !p.Scoped && s.index.InSystemTeam(p.Ref(), teamOrgAdmin)
}

// mayGrant checks that the caller holds a role it is about to give: the
// same role or one implying it, on the same entity or "*", in the same
// region or "*".
func (s *core) mayGrant(ctx context.Context, entityType, role, entityID, region string) error {
	if s.isOrgAdmin(ctx) {
		return nil
	}
	id, ok := s.catalogue.Role(entityType, role)
	if !ok {
		return errEscalation
	}
	p := keyhold.PrincipalFromContext(ctx)
	if p == nil {
		return errNoToken
	}
	if !s.principalHolds(p, &authz.Query{Role: id, EntityID: entityID, Region: region}) {
		return keyhold.Errorf(keyhold.EFORBIDDEN, "You may give only roles that you hold yourself: you do not hold %s on %s %s in %s", role, entityType, entityID, region)
	}
	return nil
}

// mayGrantTeam checks that adding a member to a team gives nothing the
// caller does not hold: every role of the team, and, for the predefined
// teams whose membership is itself a privilege, Organization Admin.
func (s *core) mayGrantTeam(ctx context.Context, tx storage.Tx, t *keyhold.Team) error {
	if s.isOrgAdmin(ctx) {
		return nil
	}
	if t.SystemKey == teamOrgAdmin || t.SystemKey == teamOrgAdminReadOnly {
		return keyhold.Errorf(keyhold.EFORBIDDEN, "Only members of Organization Admin may add members to %q", t.Name)
	}
	roles, err := tx.Roles().ListAssignedRoles(ctx, keyhold.Ref{Type: keyhold.PrincipalTeam, ID: t.ID}, keyhold.AssignedRoleFilter{})
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

// privilegedTeams are the predefined teams whose membership is itself a
// privilege: they hold no role assignments, and keyhold's policy grants
// by membership.
var privilegedTeams = []struct{ key, name string }{
	{teamOrgAdmin, "Organization Admin"},
	{teamOrgAdminReadOnly, "Organization Admin Read Only"},
}

// mayActAs checks that the caller holds every privilege of x, whose
// credential an operation is about to yield (what: "Minting a token for
// it"), or which it lets act again. Anything that yields a credential of x
// hands out all x holds: its direct roles, its teams' roles, and the
// membership of the privileged predefined teams. Holding uses the same
// implication rules as mayGrant. Members of Organization Admin hold
// everything.
func (s *core) mayActAs(ctx context.Context, tx storage.Tx, x keyhold.Ref, what string) error {
	if s.isOrgAdmin(ctx) {
		return nil
	}
	p := keyhold.PrincipalFromContext(ctx)
	if p == nil {
		return errNoToken
	}
	g, err := tx.Roles().Grants(ctx, x)
	if err != nil {
		return err
	}
	for _, t := range privilegedTeams {
		if slices.Contains(g.SystemTeams, t.key) && (p.Scoped || !s.index.InSystemTeam(p.Ref(), t.key)) {
			return keyhold.Errorf(keyhold.EFORBIDDEN, "%s would give you the privileges of %s, a member of %s, and you are not one", what, describe(ctx, tx, x), t.name)
		}
	}
	for _, r := range g.Roles {
		id, ok := s.catalogue.Role(r.EntityTypeName, r.RoleName)
		if !ok || !s.principalHolds(p, &authz.Query{Role: id, EntityID: r.EntityID, Region: r.EntityRegion}) {
			return keyhold.Errorf(keyhold.EFORBIDDEN, "%s would give you the privileges of %s, and you do not hold %s on %s %s in %s",
				what, describe(ctx, tx, x), r.RoleName, r.EntityTypeName, r.EntityID, r.EntityRegion)
		}
	}
	return nil
}

// describe names a principal in a refusal: "the system account \"ci\"".
func describe(ctx context.Context, tx storage.Tx, x keyhold.Ref) string {
	if x.Type == keyhold.PrincipalUser {
		if u, err := tx.Users().GetUser(ctx, x.ID); err == nil {
			return fmt.Sprintf("the user %q", u.Email)
		}
		return "the user"
	}
	if a, err := tx.Accounts().GetSystemAccount(ctx, x.ID); err == nil {
		return fmt.Sprintf("the system account %q", a.Name)
	}
	return "the system account"
}
