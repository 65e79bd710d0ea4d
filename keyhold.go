// Package keyhold holds the domain of keyhold: machine identities (system
// accounts), their access tokens, users, teams, role assignments and the
// audit trail, with the service interfaces the transports depend on.
//
// It imports only the standard library. Storage lives in store/, business
// and authorization rules in service/, transports in httpapi/ and cli/, and
// the wiring in cmd/keyhold.
package keyhold

import (
	"net/netip"
	"time"
)

// PrincipalType names a kind of subject that can hold roles and tokens.
type PrincipalType string

// Principal types. Teams hold roles but never tokens.
const (
	PrincipalUser          PrincipalType = "user"
	PrincipalSystemAccount PrincipalType = "system_account"
	PrincipalTeam          PrincipalType = "team"
	PrincipalAnonymous     PrincipalType = "anonymous"
)

// Ref points at a principal by type and id.
type Ref struct {
	Type PrincipalType
	ID   string
}

// Organization is the single tenant a keyhold deployment serves.
type Organization struct {
	ID                  string
	Name                string
	OwnerID             string
	LoginPath           string
	State               string
	RetentionPeriodDays int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// SystemAccount is a machine identity: a name, no email, no password.
type SystemAccount struct {
	ID             string
	Name           string
	Description    string
	KonnectManaged bool
	// ManagedBy is the principal that created a managed account; only it may
	// change or delete the account. Zero for unmanaged accounts.
	ManagedBy Ref
	// Disabled accounts keep everything but their tokens are refused.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// UIDNumber is the account's POSIX uidNumber in the directory (and the
	// gidNumber of its private group): given once at creation from the
	// counter accounts share with users, never reused.
	UIDNumber int64
	// Locked is the caller's verdict, filled in by GetSystemAccount and
	// never stored: why the caller may not change the account, its tokens
	// or its roles because another principal, which still exists, manages
	// it; "" when management does not stand in the way.
	Locked string
}

// AccountSummary is a system account with its tokens in figures, as a
// list of many accounts shows it.
type AccountSummary struct {
	SystemAccount
	// ActiveTokens counts the account's working tokens (Token.Usable).
	ActiveTokens int
	// LastUsedAt is the last use of any of its tokens, revoked and expired
	// ones included; nil when none was ever used.
	LastUsedAt *time.Time
}

// TokenKind tells system-account tokens from personal access tokens.
type TokenKind string

// Token kinds, named after their wire prefixes.
const (
	TokenKindSystemAccount TokenKind = "spat"
	TokenKindPersonal      TokenKind = "kpat"
)

// Token states, as personal access tokens report them; ROTATING is a
// rotated token that works until its rotation deadline.
const (
	TokenActive   = "ACTIVE"
	TokenRotating = "ROTATING"
	TokenRevoked  = "REVOKED"
	TokenExpired  = "EXPIRED"
)

// Token is an access token of a system account or a personal access token
// of a user. Only its digest is ever stored; the value exists once, in the
// result of the call that minted it.
type Token struct {
	ID         string
	Kind       TokenKind
	Owner      Ref // a system account or a user
	Name       string
	Digest     []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	// LastUsedIP and LastUsedUserAgent describe the request of LastUsedAt.
	LastUsedIP        string
	LastUsedUserAgent string
	RevokedAt         *time.Time
	RevokedBy         *string
	// Rotation: a rotated token names its successor and keeps working
	// until RotationDeadline; RevokeWhenIdle retires it earlier, once the
	// successor is in use and it has been idle that long.
	PredecessorID    *string
	SuccessorID      *string
	RotationDeadline *time.Time
	RevokeWhenIdle   *time.Duration
	// Scope narrows a system-account token to some of its account's roles;
	// nil leaves it all of them. Every entry is held by the account.
	Scope []ScopeRole
	// AllowedCIDRs binds a token to client networks; nil allows any.
	AllowedCIDRs []netip.Prefix
	// AutoRotate asks for a successor before the token expires, delivered
	// by webhook (system-account tokens only).
	AutoRotate bool
	// Intent is what the token is for: IntentAPI (the HTTP API) or
	// IntentAppPassword (a bind to the LDAP directory; on the API it may
	// only rotate itself). A successor inherits its predecessor's.
	Intent string
}

// ScopeRole is one role a scoped token may use: the shape of an assigned
// role without its id.
type ScopeRole struct {
	RoleName       string
	EntityTypeName string
	EntityID       string
	EntityRegion   string
}

// Restricted reports whether the token is narrower than its account.
func (t *Token) Restricted() bool { return t.Scope != nil || t.AllowedCIDRs != nil }

// OwnedToken is a token with its owner's name, for lists across owners.
type OwnedToken struct {
	Token
	// OwnerName is the system account's name or the user's email.
	OwnerName string
}

// RotatingToken is a rotated token with its successor's last use.
type RotatingToken struct {
	Token
	SuccessorLastUsedAt *time.Time
}

// TokenUse is one observed use of a token.
type TokenUse struct {
	At        time.Time
	IP        string
	UserAgent string
	// Method is how the token was presented: AuthBearer, AuthBasic or
	// AuthLDAP. It reaches the audit of the use, not last_used_at.
	Method string
}

// State reports ACTIVE, REVOKED or EXPIRED at time now.
func (t *Token) State(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return TokenRevoked
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return TokenExpired
	case t.RotationDeadline != nil && !now.Before(*t.RotationDeadline):
		return TokenRevoked // the overlap ended; the sweep records it
	case t.SuccessorID != nil:
		return TokenRotating
	}
	return TokenActive
}

// TokenRefused is the effective state of a token that would work but whose
// owner is turned off: its system account is disabled or its user
// inactive. Authentication refuses it (401) until the owner is back.
const TokenRefused = "REFUSED"

// TokenStatus is what a token amounts to at one moment, owner included:
// what the console shows on its badge.
type TokenStatus struct {
	// State is ACTIVE, ROTATING, REVOKED, EXPIRED or REFUSED.
	State string
	// Reason says why a REFUSED token is refused: "account disabled" or
	// "user deactivated".
	Reason string
	// Until is when a ROTATING token stops working.
	Until *time.Time
}

// Status reports the token's effective state at now: its State, except
// that a token that would work is REFUSED while its owner is not active
// (ownerActive false: a disabled system account, an inactive user), as
// authentication treats it.
func (t *Token) Status(now time.Time, ownerActive bool) TokenStatus {
	st := TokenStatus{State: t.State(now)}
	switch {
	case st.State != TokenActive && st.State != TokenRotating:
	case !ownerActive:
		st.State, st.Reason = TokenRefused, "account disabled"
		if t.Owner.Type == PrincipalUser {
			st.Reason = "user deactivated"
		}
	case st.State == TokenRotating:
		st.Until = t.ValidUntil()
	}
	return st
}

// Usable reports whether the token authenticates at now.
func (t *Token) Usable(now time.Time) bool {
	st := t.State(now)
	return st == TokenActive || st == TokenRotating
}

// ValidUntil returns when the token stops working: the earlier of its
// expiry and its rotation deadline, or nil for never.
func (t *Token) ValidUntil() *time.Time {
	switch {
	case t.RotationDeadline == nil:
		return t.ExpiresAt
	case t.ExpiresAt == nil || t.RotationDeadline.Before(*t.ExpiresAt):
		return t.RotationDeadline
	}
	return t.ExpiresAt
}

// MintedToken is a token together with its value, which is shown once.
type MintedToken struct {
	Token
	Value string
}

// User is a person. Users may hold personal access tokens and, later, sign
// in to the console with a password.
type User struct {
	ID            string
	Email         string
	FullName      string
	PreferredName string
	Active        bool
	// Invited marks a user invited (POST /v3/invites) who has not accepted
	// yet; such a user is inactive until they set a password through a
	// setup link.
	Invited        bool
	InferredRegion string
	// PasswordHash is an argon2id PHC string, or "" when no password is set.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// UIDNumber is the user's POSIX uidNumber in the directory, from the
	// counter users share with system accounts.
	UIDNumber int64
}

// Team groups principals so that roles can be given to all of them at once.
type Team struct {
	ID          string
	Name        string
	Description *string
	SystemTeam  bool
	// SystemKey identifies a predefined team independently of its name.
	SystemKey string
	Labels    map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
	// GIDNumber is the team's POSIX gidNumber in the directory: given once
	// at creation, never reused.
	GIDNumber int64
	// Members counts the team's members. Only TeamService.ListTeams
	// fills it; it is nil everywhere else.
	Members *MemberCount
}

// MemberCount counts a team's members of each kind.
type MemberCount struct {
	Accounts int
	Users    int
}

// Total is the number of members of both kinds.
func (m MemberCount) Total() int { return m.Accounts + m.Users }

// adminGrants says, for each predefined team whose membership makes its
// members administrators, what it grants. Package service defines the
// teams; its tests hold the two lists together.
var adminGrants = map[string]string{
	"organization-admin":           "every permission in the organization",
	"organization-admin-read-only": "read access to everything in the organization",
	"analytics-admin":              "Admin of every dashboard and report",
	"portal-admin":                 "Admin of every portal",
	"api-product-admin":            "Admin of every API product",
	"control-plane-admin":          "Admin of every control plane",
}

// AdminGrant says what membership of t grants when t is a predefined team
// that makes its members administrators, so that a picker can set it
// apart; "" for any other team.
func (t *Team) AdminGrant() string {
	if !t.SystemTeam {
		return ""
	}
	return adminGrants[t.SystemKey]
}

// AssignedRole gives a principal a role on an entity, or on every entity of
// a type (EntityID "*"), in a region or in every region ("*").
type AssignedRole struct {
	ID             string
	Principal      Ref
	RoleName       string
	EntityTypeName string
	EntityID       string
	EntityRegion   string
	CreatedAt      time.Time
}

// Principal is the authenticated subject of a request.
type Principal struct {
	Type      PrincipalType
	ID        string
	Name      string
	TokenID   string
	TokenKind TokenKind
	// Scoped is set when the token carries only part of the principal's
	// roles: permission checks then ask the token, not the principal.
	Scoped bool
	// AppPassword is set when the token's intent is app_password: it binds
	// to the directory, and on the HTTP API may only rotate itself.
	AppPassword bool
	// Auth is how the principal authenticated, which the audit trail
	// records as the credential that acted. Authentication sets it (the
	// HTTP API, a console session, an LDAP bind); decisions leave it nil,
	// so that they carry and compute nothing more.
	Auth *Authentication
}

// Ref returns the principal's reference.
func (p *Principal) Ref() Ref { return Ref{Type: p.Type, ID: p.ID} }

// Authentication is the credential a principal authenticated with: never
// its value, only what identifies it.
type Authentication struct {
	// Method is AuthBearer, AuthBasic, AuthSession or AuthLDAP.
	Method string
	// ID is the token's id, or the console session's.
	ID string
	// Digest is the credential's stored digest: the token's, or the
	// console session's. The audit trail keeps its TokenFingerprint.
	Digest [32]byte
}

// Credential returns the audit trail's record of the credential p
// authenticated with, computing its fingerprint; the zero credential when
// p did not authenticate (keyhold itself, a decision's principal).
func (p *Principal) Credential() AuditCredential {
	if p == nil || p.Auth == nil {
		return AuditCredential{}
	}
	return AuditCredential{ID: p.Auth.ID, Fingerprint: TokenFingerprint(p.Auth.Digest[:]), Method: p.Auth.Method}
}

// AuditEvent records one state change or one failed attempt.
type AuditEvent struct {
	ID         string
	Time       time.Time
	ActorType  PrincipalType
	ActorID    string
	ActorName  string
	Action     string
	TargetType string
	TargetID   string
	TargetName string
	// SubjectID is the system account or user the event concerns: the
	// owner of a token event's token, the member of a membership event,
	// the principal of a role event, the account or user of its own
	// events. Empty when the event concerns no one principal.
	SubjectID string
	Outcome   string // "success", "failure" or "denied"
	RequestID string
	ClientIP  string
	UserAgent string
	// Count aggregates repeated failures (failed authentications per client
	// address and minute, refusals per actor, action and minute) and a
	// token's recorded uses per hour (token.used roll-ups); 1 for ordinary
	// events.
	Count int
	// Reason says why an operation was refused (outcome denied): the
	// permission the caller lacks, or the guard that refused it. For
	// token.used it says which use: "first_use <network>", "new_network
	// <network>" or "rollup" (docs/audit.md#use).
	Reason string
	// Credential is the credential that acted: empty for keyhold itself.
	Credential AuditCredential
	// Changes are an update's changes by field; empty for other events.
	Changes map[string]AuditChange
	// Seq is the event's leaf index in the audit log: gap-free and
	// strictly increasing in the order events were appended, which is not
	// time order (aggregated events are appended when written, stamped
	// with the start of their minute). Set by the store on append.
	Seq int64
	// Hash is the leaf hash the log stores for the event (LeafHash of the
	// event as it was appended). Set by the store.
	Hash [32]byte
}

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// Grants are what a principal holds: its direct role assignments, those of
// its teams, and the keys of the predefined system teams it belongs to.
type Grants struct {
	Roles       []*AssignedRole
	SystemTeams []string
}

// ChangeKind names what a Change is about.
type ChangeKind string

// Change kinds. A membership change is a change of the member; a role
// assignment is a change of its holder.
const (
	ChangeToken         ChangeKind = "token"
	ChangeSystemAccount ChangeKind = "system_account"
	ChangeUser          ChangeKind = "user"
	ChangeTeam          ChangeKind = "team"
)

// Change records, in the transaction of a write, that an entity changed, so
// that every replica's in-memory index reloads it.
type Change struct {
	Seq  int64
	Kind ChangeKind
	ID   string
	// Digest is set for tokens, so that a deleted token can be dropped from
	// an index that no longer finds it in the database.
	Digest []byte
	At     time.Time
}

// ParseCIDR reads a network in CIDR notation, or a single address as a
// network of one.
func ParseCIDR(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}
