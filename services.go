package keyhold

import (
	"context"
	"net/netip"
	"time"
)

// Permission names what a route of keyhold's own API requires. The route
// table in httpapi names one per route; the Authorizer decides, once, what
// grants it.
type Permission string

// Permissions of keyhold's own API.
const (
	// PermPublic needs no credentials at all.
	PermPublic Permission = "public"
	// PermAuthenticated needs any valid token; the service may check more,
	// such as ownership of a personal access token.
	PermAuthenticated Permission = "authenticated"
	// PermIdentityRead reads accounts, tokens, teams, users and roles.
	PermIdentityRead Permission = "identity:read"
	// PermIdentityWrite changes them.
	PermIdentityWrite Permission = "identity:write"
	// PermAuditRead reads the audit trail.
	PermAuditRead Permission = "audit:read"
	// PermAuditAdmin manages where the audit trail is exported: the
	// audit-log destinations and webhook (Konnect's audit_logs Admin).
	PermAuditAdmin Permission = "audit:admin"
	// PermIntrospect asks about other principals' tokens: the batch check
	// and token introspection. RFC 7662 §4 asks that such callers be
	// authorized, so that the endpoints cannot be used to scan for tokens.
	PermIntrospect Permission = "tokens:introspect"
	// PermDirectoryRead searches the whole LDAP directory; without it a
	// bound account sees its own entry and its teams.
	PermDirectoryRead Permission = "directory:read"
)

// Credentials are what a request presented: a bearer token, or HTTP Basic
// with an account name and a token as password.
type Credentials struct {
	Bearer    string
	BasicUser string
	BasicPass string
	// Subject marks the token of another party that a service asks about
	// (batch check, introspection): network-bound tokens are then decided
	// against ClientIP, the address that party uses, and refused without
	// one.
	Subject  bool
	ClientIP string
	// Rotating is the id of the token the request rotates, when it is a
	// rotation: an app-password token authenticates on the HTTP API only
	// to rotate itself.
	Rotating string
}

// Authenticator turns credentials into a principal, and answers what it
// may do. It decides nothing for the operations themselves: each checks
// its caller first, against the service's permission table.
type Authenticator interface {
	// Authenticate returns the principal of valid credentials. EUNAUTHENTICATED
	// for missing, malformed, unknown, expired or revoked tokens.
	Authenticate(ctx context.Context, c Credentials) (*Principal, error)
	// May returns why the principal in ctx may not perform the operation
	// op (a method name of a service interface) by the permission table,
	// before the operation's arguments are known, or nil: transports refuse
	// a read before they parse it, and the console hides what a user may
	// not do. maySelf says the caller may be acting on itself, which only
	// the operation can tell: a row that admits the caller on itself then
	// admits it here. It records nothing. EUNAUTHENTICATED, EFORBIDDEN.
	May(ctx context.Context, op string, maySelf bool) error
}

// SystemAccountCreate is the input of CreateSystemAccount.
type SystemAccountCreate struct {
	Name           string
	Description    string
	KonnectManaged bool
	// CreateTeam also creates a team named after the account, with the
	// account as its member, as authentik's "create group" does.
	CreateTeam bool
}

// SystemAccountUpdate is the input of UpdateSystemAccount; nil leaves a
// field unchanged.
type SystemAccountUpdate struct {
	Name        *string
	Description *string
}

// SystemAccountService manages system accounts.
type SystemAccountService interface {
	// ListSystemAccounts returns a page of accounts. EINVALID, EFORBIDDEN.
	ListSystemAccounts(ctx context.Context, f SystemAccountFilter) (*List[*SystemAccount], error)
	// ListAccountSummaries is ListSystemAccounts with each account's
	// working tokens counted and its tokens' last use, judged now (the
	// filter's Now is ignored). EINVALID, EFORBIDDEN.
	ListAccountSummaries(ctx context.Context, f SystemAccountFilter) (*List[*AccountSummary], error)
	// CreateSystemAccount creates an account. EINVALID, ECONFLICT (name taken), EFORBIDDEN.
	CreateSystemAccount(ctx context.Context, in SystemAccountCreate) (*SystemAccount, error)
	// GetSystemAccount returns one account, with Locked set for the
	// caller. ENOTFOUND.
	GetSystemAccount(ctx context.Context, id string) (*SystemAccount, error)
	// UpdateSystemAccount renames or redescribes an account. EINVALID,
	// ENOTFOUND, ECONFLICT, EFORBIDDEN (managed by someone else).
	UpdateSystemAccount(ctx context.Context, id string, in SystemAccountUpdate) (*SystemAccount, error)
	// DeleteSystemAccount deletes an account with its tokens, roles and
	// memberships. ENOTFOUND, EFORBIDDEN (managed by someone else).
	DeleteSystemAccount(ctx context.Context, id string) error
	// SetSystemAccountDisabled disables or re-enables an account; while it
	// is disabled every one of its tokens is refused. ENOTFOUND, EFORBIDDEN.
	SetSystemAccountDisabled(ctx context.Context, id string, disabled bool) (*SystemAccount, error)
}

// TokenCreate is the input of CreateToken. ExpiresAt or TTL sets the expiry.
type TokenCreate struct {
	Name      string
	ExpiresAt *time.Time
	// NoExpiry asks for a token that never expires ("expires_at": null),
	// which the policy must allow.
	NoExpiry bool
	TTL      *time.Duration
	// Intent picks the default lifetime when neither ExpiresAt, NoExpiry
	// nor TTL is given: IntentAPI, IntentAppPassword, or "" for the
	// policy's default.
	Intent string
	// Scope and AllowedCIDRs narrow a system-account token; see Token.
	Scope        []ScopeRole
	AllowedCIDRs []netip.Prefix
	// AutoRotate asks for a successor before expiry, delivered to the
	// account's token.auto_rotated webhook destination (system-account
	// tokens only).
	AutoRotate bool
}

// TokenRotate is the input of RotateToken; nil fields take the defaults.
type TokenRotate struct {
	// Overlap is how long the predecessor keeps working; default 24 hours.
	Overlap *time.Duration
	// ExpiresAt is the successor's expiry; default the predecessor's
	// lifetime, within the policy.
	ExpiresAt *time.Time
	// RevokeWhenIdle retires the predecessor before the overlap ends, once
	// the successor is in use and the predecessor has been idle that long.
	RevokeWhenIdle *time.Duration
}

// TokenService manages the tokens of system accounts and the personal access
// tokens of users. The owner's type decides the token's kind.
type TokenService interface {
	// ListTokens returns a page of an owner's tokens. ENOTFOUND, EFORBIDDEN.
	ListTokens(ctx context.Context, owner Ref, f TokenFilter) (*List[*Token], error)
	// CreateToken mints a token; its value is in the result and nowhere else.
	// EINVALID, ENOTFOUND, ECONFLICT (name taken), EFORBIDDEN.
	CreateToken(ctx context.Context, owner Ref, in TokenCreate) (*MintedToken, error)
	// GetToken returns one token. ENOTFOUND, EFORBIDDEN.
	GetToken(ctx context.Context, owner Ref, id string) (*Token, error)
	// RenameToken changes a token's name. EINVALID, ENOTFOUND, ECONFLICT, EFORBIDDEN.
	RenameToken(ctx context.Context, owner Ref, id, name string) (*Token, error)
	// RevokeToken revokes a token and keeps it listed. ENOTFOUND, EFORBIDDEN.
	RevokeToken(ctx context.Context, owner Ref, id string) (*Token, error)
	// DeleteToken deletes a token. ENOTFOUND, EFORBIDDEN.
	DeleteToken(ctx context.Context, owner Ref, id string) error
	// RotateToken mints a successor of a system-account token, with the
	// same name, and keeps the predecessor working until the overlap ends.
	// A token may rotate itself. EINVALID, ENOTFOUND, ECONFLICT (not
	// active: revoked, expired or already rotated), EFORBIDDEN.
	RotateToken(ctx context.Context, owner Ref, id string, in TokenRotate) (*MintedToken, error)
	// ListExpiringTokens lists the unrevoked tokens of every account and
	// user that expire within the given number of days, soonest first.
	// EINVALID (days outside 1–3650).
	ListExpiringTokens(ctx context.Context, withinDays int, p Page) (*List[*OwnedToken], error)
}

// AssignRole is the input of AssignRole.
type AssignRole struct {
	RoleName       string
	EntityID       string
	EntityTypeName string
	EntityRegion   string
}

// RoleService manages role assignments of accounts, teams and users.
type RoleService interface {
	// Catalogue returns the roles catalogue.
	Catalogue() *Catalogue
	// ListAssignedRoles returns a principal's direct assignments. ENOTFOUND.
	ListAssignedRoles(ctx context.Context, p Ref, f AssignedRoleFilter) ([]*AssignedRole, error)
	// AssignRole gives a role. EINVALID (unknown role, type or region),
	// ENOTFOUND, ECONFLICT (already assigned), EFORBIDDEN (system team).
	AssignRole(ctx context.Context, p Ref, in AssignRole) (*AssignedRole, error)
	// GetAssignedRole returns one assignment. ENOTFOUND.
	GetAssignedRole(ctx context.Context, p Ref, id string) (*AssignedRole, error)
	// UnassignRole removes an assignment. ENOTFOUND, EFORBIDDEN (system team).
	UnassignRole(ctx context.Context, p Ref, id string) error
	// SuggestEntityIDs returns the entity ids that assignments on
	// entityType already name, whoever holds them, most used first, at
	// most 50, without *. EINVALID (unknown entity type).
	SuggestEntityIDs(ctx context.Context, entityType string) ([]string, error)
}

// TeamCreate is the input of CreateTeam.
type TeamCreate struct {
	Name        string
	Description *string
	Labels      map[string]string
}

// TeamUpdate is the input of UpdateTeam. Nil fields stay unchanged; a nil
// label value removes that label, and ClearLabels removes them all first.
type TeamUpdate struct {
	Name        *string
	Description *string
	// ClearDescription removes the description (the API's null).
	ClearDescription bool
	Labels           map[string]*string
	ClearLabels      bool
}

// TeamService manages teams and their members.
type TeamService interface {
	// ListTeams returns a page of teams, each with its Members counted.
	// EINVALID.
	ListTeams(ctx context.Context, f TeamFilter) (*List[*Team], error)
	// CreateTeam creates a team; names may repeat. EINVALID.
	CreateTeam(ctx context.Context, in TeamCreate) (*Team, error)
	// GetTeam returns one team. ENOTFOUND.
	GetTeam(ctx context.Context, id string) (*Team, error)
	// UpdateTeam changes a team. EINVALID (system teams too), ENOTFOUND.
	UpdateTeam(ctx context.Context, id string, in TeamUpdate) (*Team, error)
	// DeleteTeam deletes a team. EINVALID (system team), ENOTFOUND.
	DeleteTeam(ctx context.Context, id string) error
	// AddTeamMember adds an account or a user. ENOTFOUND, ECONFLICT.
	AddTeamMember(ctx context.Context, teamID string, member Ref) error
	// RemoveTeamMember removes an account or a user. ENOTFOUND, EINVALID
	// (the last active user of Organization Admin).
	RemoveTeamMember(ctx context.Context, teamID string, member Ref) error
	// ListTeamSystemAccounts lists a team's accounts. ENOTFOUND.
	ListTeamSystemAccounts(ctx context.Context, teamID string, f SystemAccountFilter) (*List[*SystemAccount], error)
	// ListTeamUsers lists a team's users. ENOTFOUND.
	ListTeamUsers(ctx context.Context, teamID string, f UserFilter) (*List[*User], error)
	// ListMemberTeams lists the teams of an account or a user. ENOTFOUND.
	ListMemberTeams(ctx context.Context, member Ref, f TeamFilter) (*List[*Team], error)
}

// UserCreate is the input of CreateUser.
type UserCreate struct {
	Email         string
	FullName      string
	PreferredName string
	Password      string // optional; stored only as an argon2id hash
}

// UserInvite is the input of InviteUser: the names typed in with the
// invitation are kept, the password is the invited user's to set.
type UserInvite struct {
	Email         string
	FullName      string
	PreferredName string
}

// UserUpdate is the input of UpdateUser; nil leaves a field unchanged.
type UserUpdate struct {
	FullName      *string
	PreferredName *string
}

// UserService manages users.
type UserService interface {
	// ListUsers returns a page of users. EINVALID.
	ListUsers(ctx context.Context, f UserFilter) (*List[*User], error)
	// GetUser returns one user. ENOTFOUND.
	GetUser(ctx context.Context, id string) (*User, error)
	// CreateUser creates an active user. EINVALID, ECONFLICT (email taken).
	CreateUser(ctx context.Context, in UserCreate) (*User, error)
	// InviteUser creates an inactive user who has yet to accept. EINVALID, ECONFLICT.
	InviteUser(ctx context.Context, in UserInvite) (*User, error)
	// UpdateUser changes a user's names. EINVALID, ENOTFOUND.
	UpdateUser(ctx context.Context, id string, in UserUpdate) (*User, error)
	// DeleteUser deletes a user with their tokens. ENOTFOUND, EINVALID (last admin).
	DeleteUser(ctx context.Context, id string) error
	// Me returns the calling user. EUNAUTHENTICATED, EFORBIDDEN (system accounts).
	Me(ctx context.Context) (*User, error)
	// IssueSetupLink creates a one-time link secret with which a user sets
	// their console password: an invited user accepts the invitation with
	// it, an active one resets their password. ENOTFOUND, ECONFLICT (a
	// deactivated user).
	IssueSetupLink(ctx context.Context, id string) (*SetupLink, error)
}

// SetupLink is a one-time password setup secret, shown once; keyhold
// keeps only its digest.
type SetupLink struct {
	Secret    string
	User      *User
	ExpiresAt time.Time
}

// OrganizationService reads and updates the organization.
type OrganizationService interface {
	// Organization returns the organization. ENOTFOUND before bootstrap.
	Organization(ctx context.Context) (*Organization, error)
	// UpdateOrganization changes the organization's settings that in
	// names; Organization Admin only. EINVALID, EFORBIDDEN, ENOTFOUND.
	UpdateOrganization(ctx context.Context, in OrganizationUpdate) (*Organization, error)
}

// OrganizationUpdate is a change to the organization: nil fields stay.
type OrganizationUpdate struct {
	// RetentionPeriodDays is how long the audit trail keeps events' bodies,
	// MinRetentionDays to MaxRetentionDays.
	RetentionPeriodDays *int
}

// The bounds of Organization.RetentionPeriodDays.
const (
	MinRetentionDays = 1
	MaxRetentionDays = 3650
)

// AuditService reads the audit trail and records failed authentications.
type AuditService interface {
	// ListAuditEvents returns a page of events, newest first. EINVALID, EFORBIDDEN.
	ListAuditEvents(ctx context.Context, f AuditFilter) (*List[*AuditEvent], error)
}
