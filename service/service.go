// Package service holds every business and authorization rule of keyhold,
// once: validation, minting, expiry, who may do what, and the audit events
// written in the same transaction as each change. Storage and transports
// sit around it.
package service

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/storage"
)

// Config configures every piece of the service. Only Store is required;
// each piece's own settings are in its own small config.
type Config struct {
	Store     storage.Store
	Catalogue *keyhold.Catalogue
	// Now is the clock; defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Observer receives decision, index and job metrics; optional.
	Observer Observer
	// LastUseResolution is how often, at most, one token's last use is
	// written; default DefaultLastUseResolution. A flush writes at most
	// 100,000 uses unless some have waited a resolution, so last_used_at
	// may be two resolutions plus DeciderConfig.TouchInterval older than
	// the true last use. Rotation's idle rule reads it too.
	LastUseResolution time.Duration

	Decider  DeciderConfig
	Feed     FeedConfig
	Jobs     JobConfig
	Webhooks WebhookConfig
	Sessions SessionConfig
	// Directory configures the LDAP directory's view (Directory).
	Directory DirectoryConfig
	// AuditLog configures the audit log's checkpoints.
	AuditLog AuditLogConfig
}

// DirectoryConfig configures the LDAP directory.
type DirectoryConfig struct {
	// Base is the directory's base DN; default keyhold.DefaultDirectoryBase.
	Base string
	// PeopleRDN names people's entries, <attr>=<email>,ou=people,<base>:
	// one of keyhold.PeopleRDNs, default "cn".
	PeopleRDN string
}

// DeciderConfig configures the hot path.
type DeciderConfig struct {
	// TouchInterval is how often recorded token use is written; default
	// 30s.
	TouchInterval time.Duration
	// AuthFailureLimit is how many failed authentications a client address
	// may make per minute before it gets 429; default 100, negative for no
	// limit.
	AuthFailureLimit int
}

// FeedConfig configures the change feed.
type FeedConfig struct {
	// PollInterval is how often the change feed is read when no
	// notification arrives; default 1s.
	PollInterval time.Duration
}

// JobConfig configures the background jobs.
type JobConfig struct {
	// Tick is how often a replica tries to claim background jobs; default
	// 15s. Period is how often a job runs across all replicas; default 1m.
	Tick, Period time.Duration
}

// WebhookConfig configures webhook destinations and their delivery.
type WebhookConfig struct {
	// SecretKey seals webhook signing secrets at rest (AES-256-GCM, 32
	// bytes). Without it webhooks cannot be created and nothing is sent.
	SecretKey []byte
	// Networks are the non-public networks (loopback, private,
	// link-local, ...; see nonPublicNetworks) deliveries may reach. Public
	// addresses are always allowed; others are refused unless listed here.
	Networks []netip.Prefix
	// Tick is how often due deliveries are sent; default 1s.
	Tick time.Duration
}

// SessionConfig configures console sessions.
type SessionConfig struct {
	// TTL is how long a console session lasts; default 12 hours.
	TTL time.Duration
}

// Observer receives what the service measures, for metrics.
type Observer interface {
	// Decision records one authorization decision on a surface.
	Decision(surface, outcome string, took time.Duration)
	// IndexLag records the time from a change's commit to its arrival in
	// this replica's index.
	IndexLag(d time.Duration)
	// JobRun records a run of a single-run background job.
	JobRun(name string)
}

type nopObserver struct{}

func (nopObserver) Decision(string, string, time.Duration) {}
func (nopObserver) IndexLag(time.Duration)                 {}
func (nopObserver) JobRun(string)                          {}

// core is what every piece shares: storage, the clock, the catalogue, the
// authorization of callers against the index, the aggregated audit of
// refusals, and the catch-up of the index after a write. It holds no
// piece's own state.
type core struct {
	store     storage.DB
	catalogue *keyhold.Catalogue
	now       func() time.Time
	// realClock is set when now is time.Now, so that a decision reads the
	// clock once instead of twice.
	realClock bool
	log       *slog.Logger
	observer  Observer
	// resolution is the last-use resolution; see Config.
	resolution time.Duration
	// index is read to authorize callers; only feed writes it.
	index    *authz.Index
	feed     *Feed
	failures *failureRecorder
	replica  string // this process, in merged counts
	// sealer is nil without a secret key; egress is where webhooks may go.
	sealer *sealer
	egress egressPolicy
	// auditLog signs checkpoints, for the job that does.
	auditLog *AuditLog
	// exportHost names keyhold in CEF entries; auditClients send them.
	exportHost   string
	auditClients auditClients
}

// The pieces, one per job. Each embeds the shared core and holds only its
// own state.
type (
	// Accounts implements keyhold.SystemAccountService.
	Accounts struct{ *core }
	// Tokens implements keyhold.TokenService and httpapi's leak reports.
	Tokens struct{ *core }
	// Roles implements keyhold.RoleService.
	Roles struct{ *core }
	// Teams implements keyhold.TeamService.
	Teams struct{ *core }
	// Users implements keyhold.UserService.
	Users struct{ *core }
	// Audit implements keyhold.AuditService.
	Audit struct{ *core }
	// Policy implements keyhold.PolicyService.
	Policy struct{ *core }
	// Orgs implements keyhold.OrganizationService and the first start.
	Orgs struct{ *core }
	// Webhooks implements keyhold.WebhookService.
	Webhooks struct{ *core }
)

// Service is the wiring of every piece over one store: cmd/keyhold, the
// tests and the benchmarks build it with New. It has no rules of its own.
type Service struct {
	Accounts    *Accounts
	Tokens      *Tokens
	Roles       *Roles
	Teams       *Teams
	Users       *Users
	Audit       *Audit
	Policy      *Policy
	Orgs        *Orgs
	Webhooks    *Webhooks
	Sessions    *Sessions
	Decider     *Decider
	Feed        *Feed
	Jobs        *Jobs
	Deliveries  *Deliveries
	Directory   *Directory
	AuditLog    *AuditLog
	AuditExport *AuditExport
}

// Compile-time checks that the pieces implement the service interfaces.
var (
	_ keyhold.Authenticator        = (*Decider)(nil)
	_ keyhold.SystemAccountService = (*Accounts)(nil)
	_ keyhold.TokenService         = (*Tokens)(nil)
	_ keyhold.RoleService          = (*Roles)(nil)
	_ keyhold.TeamService          = (*Teams)(nil)
	_ keyhold.UserService          = (*Users)(nil)
	_ keyhold.OrganizationService  = (*Orgs)(nil)
	_ keyhold.AuditService         = (*Audit)(nil)
	_ keyhold.WebhookService       = (*Webhooks)(nil)
	_ keyhold.PolicyService        = (*Policy)(nil)
	_ keyhold.SessionService       = (*Sessions)(nil)
	_ keyhold.DirectoryService     = (*Directory)(nil)
)

// New wires every piece. Call Run to keep them working. A
// Webhooks.SecretKey that is not SecretKeySize bytes long is a programming
// error (cmd/keyhold checks the key file first), and New panics on it.
func New(c Config) *Service {
	k := &core{store: c.Store, catalogue: c.Catalogue, now: c.Now, log: c.Logger, observer: c.Observer,
		resolution: c.LastUseResolution, failures: newFailureRecorder(), replica: newID(),
		egress: egressPolicy{allowed: c.Webhooks.Networks}}
	if k.catalogue == nil {
		k.catalogue = keyhold.DefaultCatalogue()
	}
	if k.now == nil {
		k.now, k.realClock = time.Now, true
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.observer == nil {
		k.observer = nopObserver{}
	}
	if k.resolution <= 0 {
		k.resolution = DefaultLastUseResolution
	}
	if c.Webhooks.SecretKey != nil {
		var err error
		if k.sealer, err = newSealer(c.Webhooks.SecretKey); err != nil {
			panic("service: " + err.Error())
		}
	}
	k.index = authz.New(k.catalogue)
	k.index.ReportUseEvery(k.resolution)
	k.feed = newFeed(k, c.Store, c.Feed)
	decider := newDecider(k, c.Store, c.Decider)
	k.auditLog = newAuditLog(k, c.AuditLog)
	k.exportHost = c.AuditLog.ExportHost
	k.auditClients = newAuditClients(k.egress)
	return &Service{
		Accounts: &Accounts{k}, Tokens: &Tokens{k}, Roles: &Roles{k}, Teams: &Teams{k}, Users: &Users{k},
		Audit: &Audit{k}, Policy: &Policy{k}, Orgs: &Orgs{k}, Webhooks: &Webhooks{k},
		Sessions:    newSessions(k, c.Store, c.Sessions),
		Decider:     decider,
		Feed:        k.feed,
		Jobs:        newJobs(k, c.Store, c.Jobs),
		Deliveries:  newDeliveries(k, c.Webhooks),
		Directory:   newDirectory(k, decider, c.Directory),
		AuditLog:    k.auditLog,
		AuditExport: &AuditExport{k},
	}
}

// Run keeps the replica current until ctx ends: the change feed, the
// decider's flushes and merged rate limits, the sign-in limits, the
// background jobs and, with a secret key, webhook delivery, each in a
// goroutine of its own. The feed has its own so that a revocation made on
// another replica never waits for a slow flush or job. On the way out the
// decider flushes once more, so that a graceful shutdown loses nothing
// recorded.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.Feed.Run(ctx) })
	wg.Go(func() { s.Decider.Run(ctx) })
	wg.Go(func() { s.Sessions.Run(ctx) })
	wg.Go(func() { s.Jobs.Run(ctx) })
	wg.Go(func() { s.Deliveries.Run(ctx) })
	wg.Wait()
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}

func (s *core) catchUpLogged(ctx context.Context) {
	if err := s.feed.CatchUp(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("index catch-up", "err", err)
	}
}

// clock returns the current time as keyhold stores it: UTC, microseconds.
func (s *core) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.NewString() }

// audit builds the event of a change made by the caller in ctx; the caller
// appends it in the transaction of the change.
func (s *core) audit(ctx context.Context, action, targetType, targetID, targetName string) *keyhold.AuditEvent {
	ri := keyhold.RequestFromContext(ctx)
	e := &keyhold.AuditEvent{
		ID: newID(), Time: s.clock(), Action: action,
		TargetType: targetType, TargetID: targetID, TargetName: targetName,
		Outcome: keyhold.OutcomeSuccess, RequestID: ri.RequestID, ClientIP: ri.ClientIP, UserAgent: ri.UserAgent, Count: 1,
		ActorType: keyhold.PrincipalAnonymous, ActorName: "keyhold",
	}
	if targetType == targetSystemAccount || targetType == targetUser {
		e.SubjectID = targetID
	}
	if p := keyhold.PrincipalFromContext(ctx); p != nil {
		e.ActorType, e.ActorID, e.ActorName = p.Type, p.ID, p.Name
		e.Credential = p.Credential()
	}
	return e
}

// auditOf builds the event of a change whose subject is the principal
// subject: a member added to a team, say.
func (s *core) auditOf(ctx context.Context, action, targetType, targetID, targetName, subject string) *keyhold.AuditEvent {
	e := s.audit(ctx, action, targetType, targetID, targetName)
	e.SubjectID = subject
	return e
}

// auditToken builds the event of a change to a token of owner, whose
// subject is the owner, so that the owner's history keeps the event after
// the token is deleted.
func (s *core) auditToken(ctx context.Context, action string, owner keyhold.Ref, id, name string) *keyhold.AuditEvent {
	return s.auditOf(ctx, action, targetToken, id, name, owner.ID)
}

// write runs fn in a write transaction and appends ev, which fn may fill
// in, in the same transaction. Once it commits, the index catches up, so
// that this replica's very next request sees the change.
func (s *core) write(ctx context.Context, ev *keyhold.AuditEvent, fn func(storage.Tx) error) error {
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Audit().AppendAuditEvent(ctx, ev)
	})
	if err != nil {
		return err
	}
	if err := s.feed.CatchUp(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("index catch-up after a write", "err", err)
	}
	return nil
}

func (s *core) read(ctx context.Context, fn func(storage.Tx) error) error {
	return s.store.Read(ctx, fn)
}

// Organization implements keyhold.OrganizationService.
func (s *Orgs) Organization(ctx context.Context) (*keyhold.Organization, error) {
	if err := s.authorize(ctx, "Organization", false); err != nil {
		return nil, err
	}
	var o *keyhold.Organization
	err := s.read(ctx, func(tx storage.Tx) (err error) { o, err = tx.Org().GetOrganization(ctx); return err })
	return o, err
}

// UpdateOrganization implements keyhold.OrganizationService.
func (s *Orgs) UpdateOrganization(ctx context.Context, in keyhold.OrganizationUpdate) (o *keyhold.Organization, err error) {
	defer s.denied(ctx, "organization.updated", &err)
	if err := s.authorize(ctx, "UpdateOrganization", false); err != nil {
		return nil, err
	}
	if !s.isOrgAdmin(ctx) {
		return nil, keyhold.Errorf(keyhold.EFORBIDDEN, "Only Organization Admin may change the organization's settings")
	}
	if d := in.RetentionPeriodDays; d != nil {
		const reason = "must be from 1 to 3650 days"
		switch {
		case *d < keyhold.MinRetentionDays:
			return nil, keyhold.Invalid(keyhold.FieldError{Field: "retention_period_days", Reason: reason, Rule: "min", Minimum: keyhold.Int64(keyhold.MinRetentionDays)})
		case *d > keyhold.MaxRetentionDays:
			return nil, keyhold.Invalid(keyhold.FieldError{Field: "retention_period_days", Reason: reason, Rule: "max", Maximum: keyhold.Int64(keyhold.MaxRetentionDays)})
		}
	}
	ev := s.audit(ctx, "organization.updated", "organization", "", "")
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if o, err = tx.Org().GetOrganization(ctx); err != nil {
			return err
		}
		ev.TargetID, ev.TargetName = o.ID, o.Name
		changes := keyhold.Changes{}
		if d := in.RetentionPeriodDays; d != nil && *d != o.RetentionPeriodDays {
			changes = changes.Add("retention_period_days", o.RetentionPeriodDays, *d)
			o.RetentionPeriodDays = *d
		}
		if len(changes) > 0 {
			ev.Changes = changes
		}
		o.UpdatedAt = s.clock()
		return tx.Org().UpdateOrganization(ctx, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func listOf[T any](items []T, total int, p keyhold.Page) *keyhold.List[T] {
	if items == nil {
		items = []T{}
	}
	return &keyhold.List[T]{Items: items, Total: total, Page: p}
}
