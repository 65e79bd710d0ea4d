package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
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
	run     func(s *Service, ctx context.Context) error
}

var jobs = []job{
	{"expire-tokens", 1, (*Service).expireTokens},
	{"retire-rotations", 1, (*Service).retireRotations},
	{"warn-expiring", 1, (*Service).warnExpiring},
	{"auto-rotate", 1, (*Service).autoRotateTokens},
	{"prune-changes", 10, (*Service).pruneChanges},
}

// RunJobs runs every background job this replica claims now.
func (s *Service) RunJobs(ctx context.Context) {
	for _, j := range jobs {
		ok, err := s.store.ClaimJob(ctx, j.name, s.clock(), j.periods*s.jobPeriod)
		if err != nil {
			s.log.Warn("claim job", "job", j.name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		s.observer.JobRun(j.name)
		if err := j.run(s, ctx); err != nil {
			s.log.Error("job", "job", j.name, "err", err)
		}
		// What a job changed reaches this replica's index at once, and the
		// others' through the change feed.
		s.catchUpLogged(ctx)
	}
}

// expireTokens reports each token's expiry once, in the audit trail, and
// drops it from every replica's index through the change feed.
func (s *Service) expireTokens(ctx context.Context) error {
	for {
		var n int
		err := s.store.Write(ctx, func(tx Tx) error {
			expired, err := tx.MarkExpiredTokens(ctx, s.clock(), 500)
			if err != nil {
				return err
			}
			n = len(expired)
			for _, t := range expired {
				ev := s.audit(ctx, "token.expire", targetToken, t.ID, t.Name)
				if err := tx.AppendAuditEvent(ctx, ev); err != nil {
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

func (s *Service) pruneChanges(ctx context.Context) error {
	return s.store.Write(ctx, func(tx Tx) error {
		_, err := tx.PruneChanges(ctx, s.clock().Add(-changeRetention))
		return err
	})
}
