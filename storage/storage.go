// Package storage declares what keyhold needs of a database, in
// interfaces sized to the roles that use them. The service asks for them
// and store implements them; both import this package, and neither
// imports the other. Storage holds no business rule: it persists and
// queries.
//
// Errors: not-found is an ENOTFOUND *keyhold.Error and a unique violation
// an ECONFLICT one; a database that cannot be reached is EUNAVAILABLE;
// every other error is internal.
package storage

import (
	"context"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
)

// Store is every role of a database.
type Store interface {
	DB
	UsageWriter
	ChangeWatcher
	JobClaimer
	FailureCounter
}

// DB runs transactions.
type DB interface {
	// Read runs fn in a read-only transaction.
	Read(ctx context.Context, fn func(Tx) error) error
	// Write runs fn in a read-write transaction; an error from fn rolls back.
	Write(ctx context.Context, fn func(Tx) error) error
	// Exclusive runs fn in a write transaction that also holds the
	// migration lock, so that only one replica at a time can run it.
	Exclusive(ctx context.Context, fn func(Tx) error) error
}

// UsageWriter records token use, in batches outside any transaction of
// the caller's.
type UsageWriter interface {
	// TouchTokens raises last_used_at of the given tokens to the given
	// times, ignoring tokens that no longer exist.
	TouchTokens(ctx context.Context, used map[string]keyhold.TokenUse) error
}

// ChangeWatcher tells a replica when others have committed changes.
type ChangeWatcher interface {
	// WatchChanges blocks until ctx ends, calling notify whenever another
	// process may have committed changes: on PostgreSQL on every
	// notification of the changes channel and once after every
	// (re)connection, so that a caller catches up after an outage. On
	// SQLite, where one process owns the database, it only waits.
	WatchChanges(ctx context.Context, notify func()) error
}

// JobClaimer elects the replica that runs a periodic job.
type JobClaimer interface {
	// ClaimJob reports whether this process should run the periodic job
	// name now: at most one claim succeeds per period across every process
	// sharing the database.
	ClaimJob(ctx context.Context, name string, now time.Time, every time.Duration) (bool, error)
}

// FailureCounter shares failed-authentication counts between replicas.
type FailureCounter interface {
	// MergeAuthFailures records this replica's failed-authentication counts
	// per key for a one-minute window and returns the keys whose total
	// over every replica has reached limit in that window.
	MergeAuthFailures(ctx context.Context, replica string, window time.Time, counts map[string]int, limit int) ([]string, error)
}

// Tx is one transaction, seen through its roles.
type Tx interface {
	Org() Organization
	Accounts() Accounts
	Users() Users
	Tokens() Tokens
	Expiry() Expiry
	Teams() Teams
	Roles() Roles
	Changes() Changes
	Snapshot() Snapshot
	Audit() Audit
	Webhooks() Webhooks
	Deliveries() Deliveries
	AuditDestinations() AuditDestinations
	Sessions() Sessions
	POSIX() POSIX
	Usage() Usage
}

// Usage writes recorded token use in the caller's transaction, with what
// the audit of that use needs (action token.used): which uses are the
// first of their token, and which come from a network new to it.
type Usage interface {
	// TouchFirstUse sets last_used_at, with the client address and user
	// agent, of those given tokens that have never been used, and returns
	// their ids. A token another transaction used first is not returned:
	// on PostgreSQL the update waits for that transaction and then finds
	// last_used_at set, so that of two replicas racing, one sees a first
	// use.
	TouchFirstUse(ctx context.Context, used map[string]keyhold.TokenUse) ([]string, error)
	// TouchTokens raises last_used_at like UsageWriter.TouchTokens, in
	// this transaction, for at most a few thousand tokens.
	TouchTokens(ctx context.Context, used map[string]keyhold.TokenUse) error
	// TouchUsedTokens is TouchTokens for the tokens used before: it leaves
	// those never used alone and returns their ids, so that their first
	// use can be written later with its event.
	TouchUsedTokens(ctx context.Context, used map[string]keyhold.TokenUse) (neverUsed []string, err error)
	// AddTokenNetworks records the networks tokens were used from and
	// returns those that were not recorded yet, each saying whether its
	// token has another network recorded besides. Tokens that no longer
	// exist are skipped. Of two transactions adding the same pair, one
	// returns it. At most one network per token in one call.
	AddTokenNetworks(ctx context.Context, nets []TokenNetwork) ([]TokenNetwork, error)
	// UsedTokens returns those of the given tokens that exist, with their
	// owners' names, for the audit of their use.
	UsedTokens(ctx context.Context, ids []string) ([]UsedToken, error)
}

// TokenNetwork is a network a token was used from: the /24 of an IPv4
// client or the /64 of an IPv6 one, in CIDR notation.
type TokenNetwork struct {
	TokenID, Network string
	FirstSeen        time.Time
	// Known is set, on return from AddTokenNetworks, when the token has
	// another network recorded besides this one.
	Known bool
}

// UsedToken is what the audit of a token's use names: the token, its
// digest (for the credential's fingerprint) and its owner.
type UsedToken struct {
	ID, Name  string
	Digest    []byte
	Owner     keyhold.Ref
	OwnerName string // a system account's name, a user's email
}

// POSIX holds the directory's POSIX number counters: uidNumbers shared by
// system accounts and users, gidNumbers of teams. Creating an account, a
// user or a team takes the next number of its counter in the same
// transaction; a counter only grows, so no number is given twice.
type POSIX interface {
	// RaisePOSIXCounters raises each counter to at least its start; it
	// never lowers one.
	RaisePOSIXCounters(ctx context.Context, uidStart, gidStart int64) error
	// POSIXCounters returns the next uidNumber and gidNumber to be given.
	POSIXCounters(ctx context.Context) (uid, gid int64, err error)
}

// Organization is the one organization and its token policy.
type Organization interface {
	GetOrganization(ctx context.Context) (*keyhold.Organization, error)
	CreateOrganization(ctx context.Context, o *keyhold.Organization) error
	// UpdateOrganization stores o's settings (retention) and UpdatedAt.
	UpdateOrganization(ctx context.Context, o *keyhold.Organization) error
	GetTokenPolicy(ctx context.Context) (*keyhold.TokenPolicy, error)
	SetTokenPolicy(ctx context.Context, p *keyhold.TokenPolicy) error
}

// Accounts are system accounts.
type Accounts interface {
	// CreateSystemAccount: ECONFLICT when the name, folded to lower case, is taken.
	CreateSystemAccount(ctx context.Context, a *keyhold.SystemAccount) error
	GetSystemAccount(ctx context.Context, id string) (*keyhold.SystemAccount, error)
	ListSystemAccounts(ctx context.Context, f keyhold.SystemAccountFilter) ([]*keyhold.SystemAccount, int, error)
	// ListAccountSummaries is ListSystemAccounts with each account's
	// tokens counted and last use, working tokens judged at f.Now.
	ListAccountSummaries(ctx context.Context, f keyhold.SystemAccountFilter) ([]*keyhold.AccountSummary, int, error)
	UpdateSystemAccount(ctx context.Context, a *keyhold.SystemAccount) error
	// DeleteSystemAccount cascades to tokens, assignments and memberships.
	DeleteSystemAccount(ctx context.Context, id string) error
}

// Users are people.
type Users interface {
	// CreateUser: ECONFLICT when the email, folded to lower case, is taken.
	CreateUser(ctx context.Context, u *keyhold.User) error
	GetUser(ctx context.Context, id string) (*keyhold.User, error)
	GetUserByEmail(ctx context.Context, email string) (*keyhold.User, error)
	ListUsers(ctx context.Context, f keyhold.UserFilter) ([]*keyhold.User, int, error)
	UpdateUser(ctx context.Context, u *keyhold.User) error
	DeleteUser(ctx context.Context, id string) error
}

// Tokens are access tokens, stored by digest.
type Tokens interface {
	// CreateToken: ECONFLICT when the owner has an unrevoked token of that name.
	CreateToken(ctx context.Context, t *keyhold.Token) error
	GetToken(ctx context.Context, owner keyhold.Ref, id string) (*keyhold.Token, error)
	// GetTokenByID returns a token whoever owns it. ENOTFOUND.
	GetTokenByID(ctx context.Context, id string) (*keyhold.Token, error)
	GetTokenByDigest(ctx context.Context, digest []byte) (*keyhold.Token, error)
	ListTokens(ctx context.Context, f keyhold.TokenFilter) ([]*keyhold.Token, int, error)
	// CountActiveTokens counts the owner's tokens of kind whose State at now
	// is keyhold.TokenActive, however many tokens the owner has.
	CountActiveTokens(ctx context.Context, owner keyhold.Ref, kind keyhold.TokenKind, now time.Time) (int, error)
	// ListScopedTokens returns the unrevoked scoped tokens of the account
	// accountID and of the accounts in the team teamID ("" for neither).
	ListScopedTokens(ctx context.Context, accountID, teamID string) ([]*keyhold.Token, error)
	// UpdateToken writes name, updated_at, revoked_at, revoked_by,
	// successor_id, rotation_deadline and revoke_when_idle.
	UpdateToken(ctx context.Context, t *keyhold.Token) error
	DeleteToken(ctx context.Context, owner keyhold.Ref, id string) error
}

// Expiry finds tokens by when they expire or rotate, for the background
// jobs and the expiring-tokens report.
type Expiry interface {
	// ListExpiringTokens returns a page of unrevoked tokens of every owner
	// that expire after from and at or before until, soonest first.
	ListExpiringTokens(ctx context.Context, from, until time.Time, p keyhold.Page) ([]*keyhold.OwnedToken, int, error)
	// ListRotating returns up to limit rotated, unrevoked tokens, soonest
	// deadline first, with their successors' last use: those after the
	// token after in that order, or from the first when after is nil.
	ListRotating(ctx context.Context, after *keyhold.Token, limit int) ([]*keyhold.RotatingToken, error)
	// MarkExpiredTokens returns up to limit tokens that expired at or before
	// now and were not returned by an earlier call, and marks them.
	MarkExpiredTokens(ctx context.Context, now time.Time, limit int) ([]*keyhold.Token, error)
	// ListTokensSince returns up to limit unrevoked tokens with ids after
	// afterID, by id, created at or after since or rotated to a successor
	// created then.
	ListTokensSince(ctx context.Context, since time.Time, afterID string, limit int) ([]*keyhold.Token, error)
	// ListUnwarnedTokens returns tokens expiring in (now, until] without an
	// expiry warning of days or fewer.
	ListUnwarnedTokens(ctx context.Context, now, until time.Time, days, limit int) ([]*keyhold.Token, error)
	// RecordExpiryWarning: ECONFLICT when already recorded.
	RecordExpiryWarning(ctx context.Context, tokenID string, days int, at time.Time) error
	// ListAutoRotateDue returns up to limit active auto-rotate tokens
	// expiring in (now, until] that have no auto-rotation delivery yet,
	// soonest first: those after the token after in that order, or from
	// the first when after is nil.
	ListAutoRotateDue(ctx context.Context, now, until time.Time, after *keyhold.Token, limit int) ([]*keyhold.Token, error)
}

// Teams are teams and their members.
type Teams interface {
	CreateTeam(ctx context.Context, t *keyhold.Team) error
	GetTeam(ctx context.Context, id string) (*keyhold.Team, error)
	// GetTeamBySystemKey returns the predefined team of a system key. ENOTFOUND.
	GetTeamBySystemKey(ctx context.Context, key string) (*keyhold.Team, error)
	ListTeams(ctx context.Context, f keyhold.TeamFilter) ([]*keyhold.Team, int, error)
	// UpdateTeam writes name, description, labels (replacing them) and updated_at.
	UpdateTeam(ctx context.Context, t *keyhold.Team) error
	DeleteTeam(ctx context.Context, id string) error
	// AddTeamMember: ECONFLICT when already a member.
	AddTeamMember(ctx context.Context, teamID string, member keyhold.Ref, at time.Time) error
	// RemoveTeamMember: ENOTFOUND when not a member.
	RemoveTeamMember(ctx context.Context, teamID string, member keyhold.Ref) error
	ListTeamSystemAccounts(ctx context.Context, teamID string, f keyhold.SystemAccountFilter) ([]*keyhold.SystemAccount, int, error)
	ListTeamUsers(ctx context.Context, teamID string, f keyhold.UserFilter) ([]*keyhold.User, int, error)
	// CountTeamMembers counts the members of each of teamIDs in one query;
	// a team without members, or that does not exist, has no entry.
	CountTeamMembers(ctx context.Context, teamIDs []string) (map[string]keyhold.MemberCount, error)
	ListMemberTeams(ctx context.Context, member keyhold.Ref, f keyhold.TeamFilter) ([]*keyhold.Team, int, error)
	// ListMemberTeamIDs returns the ids of every team of an account or a
	// user, unpaged.
	ListMemberTeamIDs(ctx context.Context, member keyhold.Ref) ([]string, error)
}

// Roles are role assignments, and the grants they add up to.
type Roles interface {
	// CreateAssignedRole: ECONFLICT when the principal already has the same
	// role, entity type, entity id and region.
	CreateAssignedRole(ctx context.Context, r *keyhold.AssignedRole) error
	GetAssignedRole(ctx context.Context, p keyhold.Ref, id string) (*keyhold.AssignedRole, error)
	ListAssignedRoles(ctx context.Context, p keyhold.Ref, f keyhold.AssignedRoleFilter) ([]*keyhold.AssignedRole, error)
	DeleteAssignedRole(ctx context.Context, p keyhold.Ref, id string) error
	// EntityIDsInUse returns the distinct entity ids of the assignments on
	// entityType, whoever holds them, most used first, at most limit; the
	// wildcard * is not an id and is left out. Ids that differ only in
	// case are one.
	EntityIDsInUse(ctx context.Context, entityType string, limit int) ([]string, error)
	// Grants returns a user's or account's direct assignments, those of its
	// teams, and the system keys of its teams.
	Grants(ctx context.Context, p keyhold.Ref) (*keyhold.Grants, error)
}

// Changes is the change feed that keeps every replica's index current.
type Changes interface {
	// AppendChange records a change; on PostgreSQL its commit notifies
	// every listener of the changes channel.
	AppendChange(ctx context.Context, c *keyhold.Change) error
	// ListChanges returns up to limit changes with Seq > after, by Seq.
	ListChanges(ctx context.Context, after int64, limit int) ([]keyhold.Change, error)
	// LastChangeSeq returns the highest Seq, or 0.
	LastChangeSeq(ctx context.Context) (int64, error)
	// PruneChanges deletes changes older than before.
	PruneChanges(ctx context.Context, before time.Time) (int64, error)
}

// Snapshot streams every row of a kind, for loading the in-memory index;
// fn must not keep the pointer it is given.
type Snapshot interface {
	// ScanTokens skips revoked tokens and those expired at now.
	ScanTokens(ctx context.Context, now time.Time, fn func(*keyhold.Token) error) error
	ScanSystemAccounts(ctx context.Context, fn func(*keyhold.SystemAccount) error) error
	ScanUsers(ctx context.Context, fn func(*keyhold.User) error) error
	ScanTeams(ctx context.Context, fn func(*keyhold.Team) error) error
	ScanAssignedRoles(ctx context.Context, fn func(*keyhold.AssignedRole) error) error
	ScanMemberships(ctx context.Context, fn func(teamID string, member keyhold.Ref) error) error
}

// Audit is the audit trail and its Merkle log.
type Audit interface {
	// AppendAuditEvent stores e and appends it to the log in this
	// transaction, setting e.Seq and e.Hash. It takes the log's lock,
	// held to the end of the transaction: append last.
	AppendAuditEvent(ctx context.Context, e *keyhold.AuditEvent) error
	// ListAuditEvents orders newest first.
	ListAuditEvents(ctx context.Context, f keyhold.AuditFilter) ([]*keyhold.AuditEvent, int, error)

	// AuditLog reads the log's state; LockAuditLog also takes the lock
	// appends take, so that the tree does not grow until the transaction
	// ends (to sign a checkpoint of it, say).
	AuditLog(ctx context.Context) (AuditLogState, error)
	LockAuditLog(ctx context.Context) (AuditLogState, error)
	// SetAuditLogOrigin names the log unless it already has a name.
	SetAuditLogOrigin(ctx context.Context, origin string) error
	// ReadAuditHashes returns the tree's stored hashes at tlog stored-hash
	// indexes, in the order asked: a tlog.HashReader's ReadHashes.
	ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// ListAuditLeaves returns up to limit leaves from index from.
	ListAuditLeaves(ctx context.Context, from int64, limit int) ([]keyhold.AuditLeafRecord, error)
	// PruneAuditEvents drops the bodies of the oldest events, the longest
	// prefix of leaves that all occurred before cutoff, keeping their
	// hashes; it returns how many it dropped.
	PruneAuditEvents(ctx context.Context, cutoff time.Time) (int64, error)

	AppendAuditCheckpoint(ctx context.Context, cp *keyhold.AuditCheckpoint) error
	// LatestAuditCheckpoint: ENOTFOUND before the first.
	LatestAuditCheckpoint(ctx context.Context) (*keyhold.AuditCheckpoint, error)
	// ListAuditCheckpoints returns up to limit checkpoints stored after
	// the one whose Seq is after, oldest first.
	ListAuditCheckpoints(ctx context.Context, after int64, limit int) ([]*keyhold.AuditCheckpoint, error)

	// CreateAuditKey stores a signing key; ECONFLICT if it is current and
	// another of its purpose is too.
	CreateAuditKey(ctx context.Context, k *keyhold.AuditKey) error
	// RetireAuditKeys retires the current key of purpose, if any.
	RetireAuditKeys(ctx context.Context, purpose string, at time.Time) error
	// ListAuditKeys returns every key, retired or not, oldest first.
	ListAuditKeys(ctx context.Context) ([]*keyhold.AuditKey, error)
}

// AuditLogState is the audit log's size (its next leaf index), the prefix
// of leaves whose events retention pruned, and its origin.
type AuditLogState struct {
	Size, PrunedBelow int64
	Origin            string
}

// AuditDestinations are where the audit trail is exported, each with its
// cursor in the log (NextSeq) and the outcome of its last attempt.
type AuditDestinations interface {
	// CreateAuditDestination stores d with its sealed Authorization value;
	// ECONFLICT for a second webhook.
	CreateAuditDestination(ctx context.Context, d *keyhold.AuditDestination, sealed []byte) error
	// GetAuditDestination returns a destination (not the webhook) and its
	// sealed Authorization; ENOTFOUND.
	GetAuditDestination(ctx context.Context, id string) (*keyhold.AuditDestination, []byte, error)
	// AuditLogWebhook returns the webhook and its sealed Authorization;
	// ENOTFOUND before it is configured.
	AuditLogWebhook(ctx context.Context) (*keyhold.AuditDestination, []byte, error)
	// ListAuditDestinations lists destinations, never the webhook, oldest
	// first, with the total.
	ListAuditDestinations(ctx context.Context, f keyhold.AuditDestinationFilter) ([]*keyhold.AuditDestination, int, error)
	// UpdateAuditDestination writes d's settings, its cursor (NextSeq,
	// Attempts, NextAttemptAt) only when reset, and the sealed
	// Authorization when it is not nil; ENOTFOUND.
	UpdateAuditDestination(ctx context.Context, d *keyhold.AuditDestination, sealed []byte, reset bool) error
	// DeleteAuditDestination: ENOTFOUND.
	DeleteAuditDestination(ctx context.Context, id string) error
	// ClaimAuditDestinations leases to owner until the enabled
	// destinations (the webhook among them) that are behind size and due
	// at now and not leased, up to limit, with their sealed Authorization.
	ClaimAuditDestinations(ctx context.Context, size int64, now, until time.Time, owner string, limit int) ([]*keyhold.AuditDestination, [][]byte, error)
	// FinishAuditDelivery records an attempt of owner's lease: NextSeq,
	// Attempts, NextAttemptAt and the Last fields, and ends the lease. It
	// reports false when the lease was lost or the destination is gone.
	FinishAuditDelivery(ctx context.Context, d *keyhold.AuditDestination, owner string) (bool, error)
	// EnabledAuditDestinations returns every enabled destination, the
	// webhook among them, with its sealed Authorization.
	EnabledAuditDestinations(ctx context.Context) ([]*keyhold.AuditDestination, [][]byte, error)
	// AuditEventsBetween returns up to limit events that occurred in
	// [start, end] with seq >= from, in seq order, each with its leaf hash.
	AuditEventsBetween(ctx context.Context, start, end time.Time, from int64, limit int) ([]*keyhold.AuditEvent, error)
	// AuditReplayJob returns the replay job; ENOTFOUND before the first.
	AuditReplayJob(ctx context.Context) (*keyhold.AuditReplayJob, error)
	// StartAuditReplayJob replaces the replay job with j; ECONFLICT while
	// the current one is accepted or running.
	StartAuditReplayJob(ctx context.Context, j *keyhold.AuditReplayJob) error
	// ClaimAuditReplayJob leases an accepted or running job to owner until
	// until; ENOTFOUND when there is none to run or it is leased.
	ClaimAuditReplayJob(ctx context.Context, now, until time.Time, owner string) (*keyhold.AuditReplayJob, error)
	// FinishAuditReplayBatch records the job's progress under owner's
	// lease and ends the lease; false when the lease was lost.
	FinishAuditReplayBatch(ctx context.Context, j *keyhold.AuditReplayJob, owner string) (bool, error)
}

// Webhooks are webhook destinations, with their signing secrets sealed.
type Webhooks interface {
	// CreateWebhook stores a destination with its sealed signing secret.
	CreateWebhook(ctx context.Context, d *keyhold.WebhookDestination, sealed []byte) error
	// GetWebhook returns a destination and its sealed secret. ENOTFOUND.
	GetWebhook(ctx context.Context, id string) (*keyhold.WebhookDestination, []byte, error)
	ListWebhooks(ctx context.Context, p keyhold.Page) ([]*keyhold.WebhookDestination, int, error)
	// WebhooksFor returns the enabled destinations without an account
	// filter or filtered on accountID.
	WebhooksFor(ctx context.Context, accountID string) ([]*keyhold.WebhookDestination, error)
	// UpdateWebhook writes d, and the sealed secret unless nil. ENOTFOUND.
	UpdateWebhook(ctx context.Context, d *keyhold.WebhookDestination, sealed []byte) error
	// DeleteWebhook cascades to its deliveries. ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error
}

// Deliveries is the outbox of webhook deliveries.
type Deliveries interface {
	// AppendDelivery queues a delivery in the outbox.
	AppendDelivery(ctx context.Context, d *keyhold.WebhookDelivery) error
	GetDelivery(ctx context.Context, destinationID, id string) (*keyhold.WebhookDelivery, error)
	// ListDeliveries orders newest first.
	ListDeliveries(ctx context.Context, destinationID string, p keyhold.Page) ([]*keyhold.WebhookDelivery, int, error)
	// ClaimDeliveries leases up to limit due pending deliveries to owner.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, owner string, limit int) ([]*keyhold.WebhookDelivery, error)
	// FinishAttempt records an attempt's outcome if owner still holds the
	// lease, and reports whether it did.
	FinishAttempt(ctx context.Context, d *keyhold.WebhookDelivery, owner string) (bool, error)
	// RequeueDelivery makes a delivery pending again with no attempts.
	RequeueDelivery(ctx context.Context, d *keyhold.WebhookDelivery) error
}

// Sessions are console sessions and password setup tokens; their secrets
// are stored as digests only.
type Sessions interface {
	CreateSession(ctx context.Context, s *keyhold.Session, digest []byte) error
	// GetSessionByDigest returns a session, expired or not. ENOTFOUND.
	GetSessionByDigest(ctx context.Context, digest []byte) (*keyhold.Session, error)
	DeleteSession(ctx context.Context, digest []byte) error
	DeleteUserSessions(ctx context.Context, userID string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
	CreateSetupToken(ctx context.Context, digest []byte, userID string, created, expires time.Time) error
	// ConsumeSetupToken deletes an unexpired setup token and returns its
	// user id. ENOTFOUND.
	ConsumeSetupToken(ctx context.Context, digest []byte, now time.Time) (string, error)
	GetSetupTokenUser(ctx context.Context, digest []byte, now time.Time) (string, error)
	// UseFormNonce records the digest of a console form's one-time nonce
	// as used until expires. ECONFLICT when it already is: the form was
	// sent before. DeleteExpiredSessions deletes expired ones.
	UseFormNonce(ctx context.Context, digest []byte, expires time.Time) error
}
