// Package service holds every business and authorization rule of keyhold,
// once: validation, minting, expiry, who may do what, and the audit events
// written in the same transaction as each change. Storage and transports
// sit around it.
package service

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

// Config is everything the service depends on.
type Config struct {
	Store     Store
	Catalogue *keyhold.Catalogue
	// Now is the clock; defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// TouchInterval is how often recorded token use is written; default
	// 30s.
	TouchInterval time.Duration
	// LastUseResolution is how often, at most, one token's last use is
	// written; default DefaultLastUseResolution. A flush writes at most
	// 100,000 uses unless some have waited a resolution, so last_used_at
	// may be two resolutions plus TouchInterval older than the true last
	// use.
	LastUseResolution time.Duration
	// PollInterval is how often the change feed is read when no
	// notification arrives; default 1s.
	PollInterval time.Duration
	// Observer receives decision and index metrics; optional.
	Observer Observer
	// JobTick is how often a replica tries to claim background jobs;
	// default 15s. JobPeriod is how often a job runs across all replicas;
	// default 1m.
	JobTick, JobPeriod time.Duration
	// AuthFailureLimit is how many failed authentications a client address
	// may make per minute before it gets 429; default 100, negative for no
	// limit.
	AuthFailureLimit int
	// SecretKey seals webhook signing secrets at rest (AES-256-GCM, 32
	// bytes). Without it webhooks cannot be created and nothing is sent.
	SecretKey []byte
	// WebhookNetworks are the non-public networks (loopback, private,
	// link-local, ...; see nonPublicNetworks) webhook deliveries may reach.
	// Public addresses are always allowed; others are refused unless
	// listed here.
	WebhookNetworks []netip.Prefix
	// WebhookTick is how often due deliveries are sent; default 1s.
	WebhookTick time.Duration
	// SessionTTL is how long a console session lasts; default 12 hours.
	SessionTTL time.Duration
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

// Service implements the keyhold service interfaces over a Store.
type Service struct {
	store     Store
	catalogue *keyhold.Catalogue
	now       func() time.Time
	// realClock is set when now is time.Now, so that a decision reads the
	// clock once instead of twice.
	realClock bool
	log       *slog.Logger
	usage     *usageRecorder
	failures  *failureRecorder
	interval  time.Duration
	// resolution is the last-use resolution; see Config.
	resolution time.Duration
	poll       time.Duration
	observer   Observer
	jobTick    time.Duration
	jobPeriod  time.Duration
	index      *authz.Index
	limiter    *limiter
	replica    string // this process, in merged counts
	syncMu     sync.Mutex
	feed       feed
	// loaded is read on every decision; an atomic keeps decisions off
	// syncMu, which the feed holds across database reads.
	loaded atomic.Bool
	// sealer is nil without a secret key.
	sealer     *sealer
	hookClient *http.Client
	egress     egressPolicy
	hookTick   time.Duration
	sessionTTL time.Duration
	signIns    signInLimiter
}

// Compile-time checks that Service implements every service interface.
var (
	_ keyhold.Authenticator        = (*Service)(nil)
	_ keyhold.SystemAccountService = (*Service)(nil)
	_ keyhold.TokenService         = (*Service)(nil)
	_ keyhold.RoleService          = (*Service)(nil)
	_ keyhold.TeamService          = (*Service)(nil)
	_ keyhold.UserService          = (*Service)(nil)
	_ keyhold.OrganizationService  = (*Service)(nil)
	_ keyhold.AuditService         = (*Service)(nil)
	_ keyhold.WebhookService       = (*Service)(nil)
)

// New returns a Service. Call Run to flush usage and failure records. A
// SecretKey that is not SecretKeySize bytes long is a programming error
// (cmd/keyhold checks the key file first), and New panics on it.
func New(c Config) *Service {
	s := &Service{store: c.Store, catalogue: c.Catalogue, now: c.Now, log: c.Logger, interval: c.TouchInterval, poll: c.PollInterval, observer: c.Observer}
	if s.catalogue == nil {
		s.catalogue = keyhold.DefaultCatalogue()
	}
	if s.now == nil {
		s.now, s.realClock = time.Now, true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.interval <= 0 {
		s.interval = 30 * time.Second
	}
	s.resolution = c.LastUseResolution
	if s.resolution <= 0 {
		s.resolution = DefaultLastUseResolution
	}
	if s.poll <= 0 {
		s.poll = time.Second
	}
	if s.observer == nil {
		s.observer = nopObserver{}
	}
	s.jobTick, s.jobPeriod = c.JobTick, c.JobPeriod
	if s.jobTick <= 0 {
		s.jobTick = 15 * time.Second
	}
	if s.jobPeriod <= 0 {
		s.jobPeriod = time.Minute
	}
	s.index = authz.New(s.catalogue)
	s.index.ReportUseEvery(s.resolution)
	limit := c.AuthFailureLimit
	if limit == 0 {
		limit = defaultAuthFailureLimit
	}
	s.limiter, s.replica = newLimiter(limit), newID()
	s.usage = newUsageRecorder(s.resolution)
	s.failures = newFailureRecorder()
	s.egress = egressPolicy{allowed: c.WebhookNetworks}
	s.hookClient, s.hookTick = newWebhookClient(s.egress), c.WebhookTick
	if s.hookTick <= 0 {
		s.hookTick = defaultHookTicker
	}
	s.sessionTTL = c.SessionTTL
	if s.sessionTTL <= 0 {
		s.sessionTTL = defaultSessionTTL
	}
	if c.SecretKey != nil {
		var err error
		if s.sealer, err = newSealer(c.SecretKey); err != nil {
			panic("service: " + err.Error())
		}
	}
	return s
}

// Run keeps the replica current until ctx ends: it follows the change
// feed (woken by the store's notifications, and polling as a fallback),
// flushes recorded token use and failed authentications, and runs the
// single-run background jobs when this replica claims them. On the way out
// it flushes once more, so that a graceful shutdown loses nothing recorded.
//
// The change feed has a goroutine of its own: a flush or a job may take
// seconds under load, and a revocation made on another replica must not
// wait for it. CatchUp serializes itself (syncMu), so the feed, the jobs'
// catch-up and local writes never apply changes concurrently.
func (s *Service) Run(ctx context.Context) {
	wake := make(chan struct{}, 1)
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.store.WatchChanges(ctx, notify); err != nil {
			s.log.Error("watch changes", "err", err)
		}
	})
	if s.sealer != nil {
		wg.Go(func() { s.deliveryLoop(ctx) })
	}
	wg.Go(func() { s.followChanges(ctx, wake) })
	flush := time.NewTicker(s.interval)
	jobs := time.NewTicker(s.jobTick)
	merge := time.NewTicker(time.Second)
	defer func() {
		flush.Stop()
		jobs.Stop()
		merge.Stop()
		wg.Wait()
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		s.Flush(flushCtx, true)
		cancel()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			s.Flush(ctx, false)
		case <-jobs.C:
			s.RunJobs(ctx)
		case <-merge.C:
			if err := s.MergeFailures(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("merge failed-authentication counts", "err", err)
			}
		}
	}
}

// followChanges catches up on every notification of the store and on
// every poll, until ctx ends.
func (s *Service) followChanges(ctx context.Context, wake <-chan struct{}) {
	poll := time.NewTicker(s.poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-poll.C:
		}
		s.catchUpLogged(ctx)
	}
}

func (s *Service) catchUpLogged(ctx context.Context) {
	if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("index catch-up", "err", err)
	}
}

// Flush writes pending last-used times and failed-authentication counts.
// With all false, failure counts of the current minute stay pending so that
// each client address and minute becomes one event.
func (s *Service) Flush(ctx context.Context, all bool) {
	limit := maxTouchPerFlush
	if all {
		limit = -1
	}
	if used := s.usage.drain(s.now(), limit); len(used) > 0 {
		byID := make(map[string]keyhold.TokenUse, len(used))
		for id, use := range used {
			byID[uuid.UUID(id).String()] = use
		}
		if err := s.store.TouchTokens(ctx, byID); err != nil {
			s.log.Error("record token use", "err", err)
			s.usage.restore(used)
		}
	}
	events := s.failures.drain(s.clock(), all)
	if len(events) == 0 {
		return
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		for _, e := range events {
			e.ID = newID()
			if err := tx.AppendAuditEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("record failed authentications", "err", err)
	}
}

// clock returns the current time as keyhold stores it: UTC, microseconds.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.NewString() }

// audit builds the event of a change made by the caller in ctx; the caller
// appends it in the transaction of the change.
func (s *Service) audit(ctx context.Context, action, targetType, targetID, targetName string) *keyhold.AuditEvent {
	ri := keyhold.RequestFromContext(ctx)
	e := &keyhold.AuditEvent{
		ID: newID(), Time: s.clock(), Action: action,
		TargetType: targetType, TargetID: targetID, TargetName: targetName,
		Outcome: keyhold.OutcomeSuccess, RequestID: ri.RequestID, ClientIP: ri.ClientIP, UserAgent: ri.UserAgent, Count: 1,
		ActorType: keyhold.PrincipalAnonymous, ActorName: "keyhold",
	}
	if p := keyhold.PrincipalFromContext(ctx); p != nil {
		e.ActorType, e.ActorID, e.ActorName = p.Type, p.ID, p.Name
	}
	return e
}

// write runs fn in a write transaction and appends ev, which fn may fill
// in, in the same transaction. Once it commits, the index catches up, so
// that this replica's very next request sees the change.
func (s *Service) write(ctx context.Context, ev *keyhold.AuditEvent, fn func(Tx) error) error {
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, ev)
	})
	if err != nil {
		return err
	}
	if err := s.CatchUp(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("index catch-up after a write", "err", err)
	}
	return nil
}

func (s *Service) read(ctx context.Context, fn func(Tx) error) error {
	return s.store.Read(ctx, fn)
}

// Organization implements keyhold.OrganizationService.
func (s *Service) Organization(ctx context.Context) (*keyhold.Organization, error) {
	if err := s.authorize(ctx, "Organization", false); err != nil {
		return nil, err
	}
	var o *keyhold.Organization
	err := s.read(ctx, func(tx Tx) (err error) { o, err = tx.GetOrganization(ctx); return err })
	return o, err
}

func listOf[T any](items []T, total int, p keyhold.Page) *keyhold.List[T] {
	if items == nil {
		items = []T{}
	}
	return &keyhold.List[T]{Items: items, Total: total, Page: p}
}
