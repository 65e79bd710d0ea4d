package wire

import (
	"encoding/json"
	"time"
)

// SystemAccount is a machine identity.
type SystemAccount struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	KonnectManaged bool   `json:"konnect_managed"`
	// Disabled is keyhold's extension; Konnect's schema allows more fields.
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// UIDNumber is keyhold's extension: the LDAP directory's uidNumber.
	UIDNumber int64 `json:"uid_number"`
}

// Permission is a role on an entity in a region, as assigned, as used in
// token scopes, and as asked of the decision endpoints.
type Permission struct {
	RoleName       string `json:"role_name"`
	EntityTypeName string `json:"entity_type_name"`
	EntityID       string `json:"entity_id"`
	EntityRegion   string `json:"entity_region"`
}

// AccessToken is a system account's access token, without its value.
type AccessToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// keyhold extensions; Konnect's token schema allows more fields.
	State             string       `json:"state"`
	LastUsedIP        string       `json:"last_used_ip,omitempty"`
	LastUsedUserAgent string       `json:"last_used_user_agent,omitempty"`
	PredecessorID     *string      `json:"predecessor_id,omitempty"`
	SuccessorID       *string      `json:"successor_id,omitempty"`
	RotationDeadline  *time.Time   `json:"rotation_deadline,omitempty"`
	Scope             []Permission `json:"scope,omitempty"`
	AllowedCIDRs      []string     `json:"allowed_cidrs,omitempty"`
	AutoRotate        bool         `json:"auto_rotate"`
	Intent            string       `json:"intent"`
}

// AccessTokenCreated is the answer to a token create or rotate: the one
// shape of a system-account token that carries its value.
type AccessTokenCreated struct {
	AccessToken
	Token string `json:"token"`
}

// ExpiringToken is a token of any kind that expires soon, with its owner.
type ExpiringToken struct {
	AccessToken
	TokenType string `json:"token_type"`
	OwnerType string `json:"owner_type"`
	OwnerID   string `json:"owner_id"`
	OwnerName string `json:"owner_name"`
}

// PersonalAccessToken is a user's token, without its value.
type PersonalAccessToken struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	State      string     `json:"state"`
	RevokedBy  *string    `json:"revoked_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// PersonalAccessTokenCreated is the answer to a personal token create, the
// one shape of a personal token that carries its value.
type PersonalAccessTokenCreated struct {
	PersonalAccessToken
	KonnectToken string `json:"konnect_token"`
}

// AssignedRole is a role given to an account, a team or a user.
type AssignedRole struct {
	ID             string `json:"id"`
	RoleName       string `json:"role_name"`
	EntityID       string `json:"entity_id"`
	EntityTypeName string `json:"entity_type_name"`
	EntityRegion   string `json:"entity_region"`
}

// Team groups accounts and users that share roles. Labels is never null.
type Team struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	SystemTeam  bool              `json:"system_team"`
	Labels      map[string]string `json:"labels"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	// GIDNumber is keyhold's extension: the LDAP directory's gidNumber.
	GIDNumber int64 `json:"gid_number"`
}

// User is a person.
type User struct {
	ID             string    `json:"id"`
	Email          string    `json:"email"`
	FullName       string    `json:"full_name"`
	PreferredName  string    `json:"preferred_name"`
	Active         bool      `json:"active"`
	InferredRegion string    `json:"inferred_region"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// UIDNumber is keyhold's extension: the LDAP directory's uidNumber.
	UIDNumber int64 `json:"uid_number"`
}

// SetupLink is a one-time link at which a user sets their console
// password; shown only once.
type SetupLink struct {
	SetupURL  string    `json:"setup_url"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

// Organization is the one organization a keyhold server holds.
type Organization struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	OwnerID             string    `json:"owner_id"`
	LoginPath           string    `json:"login_path"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	State               string    `json:"state"`
	RetentionPeriodDays int       `json:"retention_period_days"`
}

// AuditEvent is one entry of the audit trail.
type AuditEvent struct {
	ID         string    `json:"id"`
	OccurredAt time.Time `json:"occurred_at"`
	ActorType  string    `json:"actor_type"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	TargetName string    `json:"target_name"`
	// SubjectAccountID is the system account or user the event concerns.
	SubjectAccountID string `json:"subject_account_id"`
	Outcome          string `json:"outcome"`
	RequestID        string `json:"request_id"`
	ClientIP         string `json:"client_ip"`
	UserAgent        string `json:"user_agent"`
	Count            int    `json:"count"`
	Reason           string `json:"reason"`
	// Credential is the credential that acted; absent for keyhold itself.
	Credential *AuditCredential `json:"credential,omitempty"`
	// Changes are an update's {field: {before, after}}.
	Changes map[string]AuditChange `json:"changes,omitempty"`
	// Seq is the event's leaf index in the audit log, LeafHash the leaf
	// hash the log stores for it (base64).
	Seq      int64  `json:"seq"`
	LeafHash string `json:"leaf_hash"`
}

// AuditCredential identifies the credential that acted, never its value.
type AuditCredential struct {
	ID          string `json:"id,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Method      string `json:"method,omitempty"`
}

// AuditChange is one field's change; a secret field only says Changed.
type AuditChange struct {
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	Changed bool            `json:"changed,omitempty"`
}

// AuditCheckpoint is a signed checkpoint of the audit log. Checkpoint is
// the C2SP signed note itself; the other fields repeat what it says.
type AuditCheckpoint struct {
	Seq        int64     `json:"seq"`
	Size       int64     `json:"size"`
	Root       string    `json:"root"`
	SignedAt   time.Time `json:"signed_at"`
	Checkpoint string    `json:"checkpoint"`
}

// AuditCheckpoints is a page of checkpoints, oldest first.
type AuditCheckpoints struct {
	Data []AuditCheckpoint `json:"data"`
}

// AuditEventPage is a page of audit events; with proofs=true it carries
// the latest checkpoint and each event's inclusion proof in its tree.
type AuditEventPage struct {
	Meta     ListMeta       `json:"meta"`
	Data     []AuditEvent   `json:"data"`
	AuditLog *AuditLogProof `json:"audit_log,omitempty"`
}

// AuditLogProof proves events are leaves of the log: the checkpoint (a
// signed note) and, for each event it covers, an inclusion proof in its
// tree. Events newer than the checkpoint have no proof yet.
type AuditLogProof struct {
	Checkpoint string           `json:"checkpoint"`
	Size       int64            `json:"size"`
	Root       string           `json:"root"`
	Inclusion  []InclusionProof `json:"inclusion"`
}

// AuditLeaf is one leaf of the audit log: its index, the hash the log
// stores for it, and its event; a pruned leaf has no event.
type AuditLeaf struct {
	Seq      int64       `json:"seq"`
	LeafHash string      `json:"leaf_hash"`
	Event    *AuditEvent `json:"event"`
	Pruned   bool        `json:"pruned,omitempty"`
}

// AuditLeaves is a run of leaves and the log's size when it was read.
type AuditLeaves struct {
	Data []AuditLeaf `json:"data"`
	Size int64       `json:"size"`
}

// InclusionProof proves leaf Seq is in the tree of Size leaves.
type InclusionProof struct {
	Seq      int64    `json:"seq"`
	Size     int64    `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

// ConsistencyProof proves the tree of From leaves is a prefix of the tree
// of To leaves.
type ConsistencyProof struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof []string `json:"proof"`
}

// AuditKey is a public signing key of the audit log. VerifierKey is the
// note verifier key of a checkpoint key.
type AuditKey struct {
	ID          string     `json:"id"`
	Purpose     string     `json:"purpose"`
	Name        string     `json:"name"`
	PublicKey   string     `json:"public_key"`
	VerifierKey string     `json:"verifier_key,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
}

// AuditKeys is every signing key of the audit log, oldest first.
type AuditKeys struct {
	Data []AuditKey `json:"data"`
}

// WhoAmI is the principal behind a token.
type WhoAmI struct {
	PrincipalType string `json:"principal_type"`
	PrincipalID   string `json:"principal_id"`
	PrincipalName string `json:"principal_name"`
	TokenID       string `json:"token_id"`
	TokenType     string `json:"token_type"`
}

// TokenPolicy bounds the lifetime of new system-account tokens.
type TokenPolicy struct {
	MaxLifetimeSeconds     int64 `json:"max_lifetime_seconds"`
	DefaultLifetimeSeconds int64 `json:"default_lifetime_seconds"`
	AllowNonExpiring       bool  `json:"allow_non_expiring"`
}

// LeakReport is the answer to a leak report: how many values arrived and
// how many live tokens among them were revoked.
type LeakReport struct {
	Received int `json:"received"`
	Revoked  int `json:"revoked"`
}

// RoleCatalogue is GET /v3/roles: entity types keyed by their API key.
type RoleCatalogue map[string]EntityTypeRoles

// EntityTypeRoles is one entity type of the catalogue and its roles.
type EntityTypeRoles struct {
	Name  string                     `json:"name"`
	Roles map[string]RoleDescription `json:"roles"`
}

// RoleDescription names and describes a role.
type RoleDescription struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Webhook is a webhook destination, without its signing secret.
type Webhook struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	URL             string    `json:"url"`
	EventTypes      []string  `json:"event_types"`
	SystemAccountID *string   `json:"system_account_id"`
	Enabled         bool      `json:"enabled"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// WebhookWithSecret is the one shape that carries a signing secret: the
// answers of create and rotate-secret.
type WebhookWithSecret struct {
	Webhook
	Secret string `json:"secret"`
}

// WebhookDelivery is one event queued for a destination, and what became
// of it.
type WebhookDelivery struct {
	ID              string     `json:"id"`
	WebhookID       string     `json:"webhook_id"`
	EventID         string     `json:"event_id"`
	EventType       string     `json:"event_type"`
	Status          string     `json:"status"`
	Attempts        int        `json:"attempts"`
	LastHTTPStatus  *int       `json:"last_http_status"`
	LastError       string     `json:"last_error"`
	ResponseExcerpt string     `json:"response_excerpt"`
	NextAttemptAt   *time.Time `json:"next_attempt_at"`
	DeliveredAt     *time.Time `json:"delivered_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// AuditLogDestination is where the audit trail is exported, in Konnect's
// shape; its authorization value is write-only and never in it. Enabled
// is keyhold's: a destination receives entries while it is true.
type AuditLogDestination struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	Endpoint            string    `json:"endpoint"`
	LogFormat           string    `json:"log_format"`
	SkipSSLVerification bool      `json:"skip_ssl_verification"`
	Enabled             bool      `json:"enabled"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	// The outcome of the last delivery, as the webhook's status has it
	// (keyhold's).
	LastAttemptAt       *time.Time `json:"last_attempt_at"`
	LastResponseCode    *int       `json:"last_response_code"`
	LastResponseMessage string     `json:"last_response_message"`
}

// AuditLogWebhook is the audit-log webhook (Konnect v2), without its
// write-only authorization value. UpdatedAt is null before its first
// configuration.
type AuditLogWebhook struct {
	Endpoint            string     `json:"endpoint"`
	Enabled             bool       `json:"enabled"`
	LogFormat           string     `json:"log_format"`
	SkipSSLVerification bool       `json:"skip_ssl_verification"`
	UpdatedAt           *time.Time `json:"updated_at"`
}

// AuditLogWebhookStatus is the outcome of the webhook's last delivery.
type AuditLogWebhookStatus struct {
	WebhookStatus       string     `json:"webhook_status"` // active or inactive
	WebhookEnabled      bool       `json:"webhook_enabled"`
	LastAttemptAt       *time.Time `json:"last_attempt_at"`
	LastResponseCode    *int       `json:"last_response_code"`
	LastResponseMessage string     `json:"last_response_message"`
}

// AuditLogReplayJob is the audit-log replay job; its times are null before
// the first.
type AuditLogReplayJob struct {
	StartAt   *time.Time `json:"start_at"`
	EndAt     *time.Time `json:"end_at"`
	Status    string     `json:"status"`
	UpdatedAt *time.Time `json:"updated_at"`
}
