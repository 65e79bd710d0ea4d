package client

import "github.com/keyhold/keyhold/wire"

// The bodies and answers of the API, in the shapes package wire declares;
// named here too so that callers of the client need not import wire.
type (
	// SystemAccountCreate is the body of a system account create.
	SystemAccountCreate = wire.SystemAccountCreate
	// SystemAccountUpdate changes the fields that are not nil.
	SystemAccountUpdate = wire.SystemAccountUpdate
	// TokenRotate tunes a rotation; zero fields take the server's defaults.
	TokenRotate = wire.TokenRotate
	// TeamCreate is the body of a team create.
	TeamCreate = wire.TeamCreate
	// TeamUpdate changes the fields that are set; a nil label is removed.
	TeamUpdate = wire.TeamUpdate
	// UserCreate is the body of keyhold's user create.
	UserCreate = wire.UserCreate
	// UserUpdate changes the fields that are not nil.
	UserUpdate = wire.UserUpdate

	// SystemAccount is a machine identity.
	SystemAccount = wire.SystemAccount
	// Permission is a role on an entity in a region, as assigned and as
	// used in token scopes.
	Permission = wire.Permission
	// AccessToken is a system account's access token, without its value.
	AccessToken = wire.AccessToken
	// AccessTokenCreated is a new token with its value in Token, the
	// answer to a create or a rotate.
	AccessTokenCreated = wire.AccessTokenCreated
	// ExpiringToken is a token of any kind that expires soon, with its owner.
	ExpiringToken = wire.ExpiringToken
	// AssignedRole is a role given to an account, a team or a user.
	AssignedRole = wire.AssignedRole
	// Team groups accounts and users that share roles.
	Team = wire.Team
	// User is a person.
	User = wire.User
	// SetupLink is a one-time link at which a user sets their console
	// password; shown only once.
	SetupLink = wire.SetupLink
	// PersonalAccessToken is a user's token, without its value.
	PersonalAccessToken = wire.PersonalAccessToken
	// PersonalAccessTokenCreated is a new personal token with its value in
	// KonnectToken.
	PersonalAccessTokenCreated = wire.PersonalAccessTokenCreated
	// AuditEvent is one entry of the audit trail.
	AuditEvent = wire.AuditEvent
	// AuditCredential is the credential an audit event names: its id,
	// fingerprint and method, never its value.
	AuditCredential = wire.AuditCredential
	// AuditChange is one field's change in an audit event.
	AuditChange = wire.AuditChange
	// WhoAmI is the principal behind the client's token.
	WhoAmI = wire.WhoAmI
	// TokenPolicy bounds the lifetime of new system-account tokens.
	TokenPolicy = wire.TokenPolicy
	// LeakReport counts the values a leak report sent and the live tokens
	// among them it revoked.
	LeakReport = wire.LeakReport
	// RoleCatalogue is GET /v3/roles: entity types keyed by their API key.
	RoleCatalogue = wire.RoleCatalogue
	// EntityTypeRoles is one entity type of the catalogue and its roles.
	EntityTypeRoles = wire.EntityTypeRoles
	// RoleDescription names and describes a role.
	RoleDescription = wire.RoleDescription
	// Webhook is a webhook destination, without its signing secret.
	Webhook = wire.Webhook
	// WebhookWithSecret is a destination with its signing secret, the
	// answer to a create or a secret rotation.
	WebhookWithSecret = wire.WebhookWithSecret
	// WebhookDelivery is one event queued for a destination, and what
	// became of it.
	WebhookDelivery = wire.WebhookDelivery
)
