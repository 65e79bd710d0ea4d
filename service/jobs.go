package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// changeRetention is how long the change feed keeps entries: far longer
// than any replica may lag and still catch up, shorter than it could grow.
const changeRetention = time.Hour

// job is a periodic task that runs once across every replica sharing the
// database: the replica whose claim succeeds runs it.
type job struct {
	name string
	// periods is the job's period in units of the configured job period.
	periods time.Duration
	run     func(s *core, ctx context.Context) error
}

// jobBatch bounds the rows a job reads and changes in one transaction.
const jobBatch = 500

var jobs = []job{
	{"expire-tokens", 1, (*core).expireTokens},
	{"retire-rotations", 1, (*core).retireRotations},
	{"warn-expiring", 1, (*core).warnExpiring},
	{"auto-rotate", 1, (*core).autoRotateTokens},
	{"prune-changes", 10, (*core).pruneChanges},
	{"audit-checkpoint", 1, (*core).auditCheckpoint},
	{"prune-audit", 60, (*core).pruneAudit},
}

// Jobs runs the periodic tasks that run once across every replica.
type Jobs struct {
	*core
	claimer      storage.JobClaimer
	tick, period time.Duration
}

func newJobs(k *core, claimer storage.JobClaimer, c JobConfig) *Jobs {
	j := &Jobs{core: k, claimer: claimer, tick: c.Tick, period: c.Period}
	if j.tick <= 0 {
		j.tick = 15 * time.Second
	}
	if j.period <= 0 {
		j.period = time.Minute
	}
	return j
}

// Run tries to claim the jobs every tick until ctx ends.
func (s *Jobs) Run(ctx context.Context) {
	every(ctx, s.tick, func() { s.RunJobs(ctx) })
}

// RunJobs runs every background job this replica claims now.
func (s *Jobs) RunJobs(ctx context.Context) {
	for _, j := range jobs {
		ok, err := s.claimer.ClaimJob(ctx, j.name, s.clock(), j.periods*s.period)
		if err != nil {
			s.log.Warn("claim job", "job", j.name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		s.observer.JobRun(j.name)
		if err := j.run(s.core, ctx); err != nil {
			s.log.Error("job", "job", j.name, "err", err)
		}
		// What a job changed reaches this replica's index at once, and the
		// others' through the change feed.
		s.catchUpLogged(ctx)
	}
}

// expireTokens reports each token's expiry once, in the audit trail, and
// drops it from every replica's index through the change feed.
func (s *core) expireTokens(ctx context.Context) error {
	for {
		var n int
		err := s.store.Write(ctx, func(tx storage.Tx) error {
			expired, err := tx.Expiry().MarkExpiredTokens(ctx, s.clock(), 500)
			if err != nil {
				return err
			}
			n = len(expired)
			for _, t := range expired {
				ev := s.auditToken(ctx, "token.expired", t.Owner, t.ID, t.Name)
				if err := tx.Audit().AppendAuditEvent(ctx, ev); err != nil {
					return err
				}
				if err := s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest); err != nil {
					return err
				}
				if err := s.emitToken(ctx, tx, keyhold.EventTokenExpired, t, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < 500 {
			return err
		}
	}
}

// pruneAudit drops the bodies of the audit events older than the
// organization's retention period; their leaves stay in the log, which
// reports them pruned. Before bootstrap there is nothing to prune.
func (s *core) pruneAudit(ctx context.Context) error {
	return s.store.Write(ctx, func(tx storage.Tx) error {
		org, err := tx.Org().GetOrganization(ctx)
		if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		cutoff := s.clock().AddDate(0, 0, -org.RetentionPeriodDays)
		n, err := tx.Audit().PruneAuditEvents(ctx, cutoff)
		if n > 0 {
			s.log.Info("pruned audit events", "events", n, "older_than", cutoff)
		}
		return err
	})
}

func (s *core) pruneChanges(ctx context.Context) error {
	return s.store.Write(ctx, func(tx storage.Tx) error {
		_, err := tx.Changes().PruneChanges(ctx, s.clock().Add(-changeRetention))
		return err
	})
}
