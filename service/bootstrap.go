package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// Keys of the predefined teams that keyhold's own policy refers to.
const (
	teamOrgAdmin         = "organization-admin"
	teamOrgAdminReadOnly = "organization-admin-read-only"
)

type roleSpec struct{ entityType, role string }

// systemTeams are Konnect's predefined teams with the roles their names
// promise. Their fields and roles are immutable; their membership is not.
var systemTeams = []struct {
	key, name, description string
	roles                  []roleSpec
}{
	{"analytics-admin", "Analytics Admin", "Allows users to manage all analytics dashboards and reports.",
		[]roleSpec{{"Dashboards", "Admin"}, {"Reports", "Admin"}}},
	{"analytics-viewer", "Analytics Viewer", "Allows users to view all analytics dashboards and reports.",
		[]roleSpec{{"Dashboards", "Viewer"}, {"Reports", "Viewer"}}},
	{teamOrgAdmin, "Organization Admin", "Allows users to manage everything in the organization.",
		[]roleSpec{{keyhold.IdentityEntityType, "Admin"}, {"Audit Logs", "Admin"}}},
	{teamOrgAdminReadOnly, "Organization Admin (Read Only)", "Allows users to read everything in the organization.", nil},
	{"portal-admin", "Portal Admin", "Allows users to manage all portals.", []roleSpec{{"Portals", "Admin"}}},
	{"api-product-admin", "API Product Admin", "Allows users to manage all API products.", []roleSpec{{"API Products", "Admin"}}},
	{"api-product-developer", "API Product Developer", "Allows users to create API products.", []roleSpec{{"API Products", "Creator"}}},
	{"control-plane-admin", "Control Plane Admin", "Allows users to manage all control planes.", []roleSpec{{"Control Planes", "Admin"}}},
}

// BootstrapInput names the organization and its first admin.
type BootstrapInput struct {
	OrgName    string
	AdminEmail string
	// TokenTTL is the lifetime of the first admin's token; default 90 days.
	TokenTTL time.Duration
}

// Bootstrap initializes an empty database: the organization, the system
// teams, and the first admin as a member of Organization Admin, with a
// personal access token. It runs under the migration lock, so that of
// several replicas starting together exactly one bootstraps.
// ECONFLICT when the database is already initialized.
func (s *Orgs) Bootstrap(ctx context.Context, in BootstrapInput) (*keyhold.MintedToken, error) {
	if err := s.authorize(ctx, "Bootstrap", false); err != nil {
		return nil, err
	}
	var c checker
	c.email("admin_email", in.AdminEmail)
	c.name("org_name", in.OrgName, 1)
	if err := c.err(); err != nil {
		return nil, err
	}
	if in.TokenTTL <= 0 {
		in.TokenTTL = 90 * 24 * time.Hour
	}
	now := s.clock()
	value, err := keyhold.GenerateTokenValue(keyhold.TokenKindPersonal)
	if err != nil {
		return nil, err
	}
	admin := &keyhold.User{ID: newID(), Email: in.AdminEmail, FullName: "Administrator", Active: true, InferredRegion: "us", CreatedAt: now, UpdatedAt: now}
	expires := now.Add(in.TokenTTL)
	tok := keyhold.Token{ID: newID(), Kind: keyhold.TokenKindPersonal, Owner: keyhold.Ref{Type: keyhold.PrincipalUser, ID: admin.ID},
		Name: "bootstrap", Digest: keyhold.TokenDigest(value), CreatedAt: now, UpdatedAt: now, ExpiresAt: &expires}
	org := &keyhold.Organization{ID: newID(), Name: in.OrgName, OwnerID: admin.ID, LoginPath: "keyhold", State: "active",
		RetentionPeriodDays: 90, CreatedAt: now, UpdatedAt: now}
	err = s.store.Exclusive(ctx, func(tx storage.Tx) error {
		if _, err := tx.Org().GetOrganization(ctx); err == nil {
			return keyhold.Errorf(keyhold.ECONFLICT, "The database is already initialized")
		} else if keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
			return err
		}
		for _, step := range []func() error{
			func() error { return tx.Org().CreateOrganization(ctx, org) },
			func() error { return tx.Users().CreateUser(ctx, admin) },
			func() error { return s.createSystemTeams(ctx, tx, admin, now) },
			func() error { return tx.Tokens().CreateToken(ctx, &tok) },
			func() error {
				return tx.Audit().AppendAuditEvent(ctx, s.audit(ctx, "organization.bootstrapped", "organization", org.ID, org.Name))
			},
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &keyhold.MintedToken{Token: tok, Value: value}, nil
}

func (s *core) createSystemTeams(ctx context.Context, tx storage.Tx, admin *keyhold.User, now time.Time) error {
	for _, st := range systemTeams {
		desc := st.description
		t := &keyhold.Team{ID: newID(), Name: st.name, Description: &desc, SystemTeam: true, SystemKey: st.key,
			Labels: map[string]string{}, CreatedAt: now, UpdatedAt: now}
		if err := tx.Teams().CreateTeam(ctx, t); err != nil {
			return err
		}
		for _, r := range st.roles {
			a := &keyhold.AssignedRole{ID: newID(), Principal: keyhold.Ref{Type: keyhold.PrincipalTeam, ID: t.ID},
				RoleName: r.role, EntityTypeName: r.entityType, EntityID: keyhold.AnyEntity, EntityRegion: keyhold.AnyRegion, CreatedAt: now}
			if err := tx.Roles().CreateAssignedRole(ctx, a); err != nil {
				return err
			}
		}
		if st.key == teamOrgAdmin {
			if err := tx.Teams().AddTeamMember(ctx, t.ID, keyhold.Ref{Type: keyhold.PrincipalUser, ID: admin.ID}, now); err != nil {
				return err
			}
		}
	}
	return nil
}
