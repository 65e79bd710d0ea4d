package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// Decider is the hot path: it authenticates credentials and decides
// queries from the in-memory index alone, records token use for
// last_used_at, and limits failed authentications per client address.
// It implements keyhold.Authenticator and httpapi's Decider.
type Decider struct {
	*core
	usage   *usageRecorder
	limiter *limiter
	counter storage.FailureCounter
	// interval is how often recorded use is written.
	interval time.Duration
	// flushMu makes flushes take turns: rollups is read and cleared by one
	// flush at a time.
	flushMu sync.Mutex
	rollups rollups
	// useBatch and maxUseEvents are useBatch and maxUseEventsPerFlush,
	// which tests lower.
	useBatch, maxUseEvents int
}

func newDecider(k *core, st storage.Store, c DeciderConfig) *Decider {
	d := &Decider{core: k, interval: c.TouchInterval, usage: newUsageRecorder(k.resolution), counter: st,
		useBatch: useBatch, maxUseEvents: maxUseEventsPerFlush}
	if d.interval <= 0 {
		d.interval = 30 * time.Second
	}
	limit := c.AuthFailureLimit
	if limit == 0 {
		limit = defaultAuthFailureLimit
	}
	d.limiter = newLimiter(limit)
	return d
}

// Run flushes recorded use and aggregated failures, and merges this
// replica's failure counts with the others', until ctx ends; then it
// flushes everything once more, so that a graceful shutdown loses nothing
// recorded.
func (s *Decider) Run(ctx context.Context) {
	flush := time.NewTicker(s.interval)
	merge := time.NewTicker(time.Second)
	defer func() {
		flush.Stop()
		merge.Stop()
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
		case <-merge.C:
			if err := s.MergeFailures(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("merge failed-authentication counts", "err", err)
			}
		}
	}
}

// Resolve turns a role asked by name into the query the index decides,
// by the rules that assignments follow (checkRole); nil when no role is
// asked. Fields in errors are named with prefix. It reads only the
// catalogue, so anyone may call it, before being authenticated.
func (s *Decider) Resolve(q keyhold.RoleQuery, prefix string) (*keyhold.Query, error) {
	if q == (keyhold.RoleQuery{}) {
		return nil, nil
	}
	// The hot path: a known role builds no list of choices.
	if role, ok := s.catalogue.Role(q.EntityTypeName, q.RoleName); ok && q.EntityID != "" && keyhold.ValidRegion(q.EntityRegion) {
		return &keyhold.Query{Role: role, EntityID: q.EntityID, Region: q.EntityRegion}, nil
	}
	var c checker
	checkRole(s.catalogue, &c, prefix, q, false)
	if err := c.err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("resolve: %+v passed every check but was not resolved", q)
}

// Flush writes pending last-used times with the audit of token use
// (first uses, new networks, the roll-ups of finished hours; see
// flushUses and flushRollups) and failed-authentication counts. With all
// false, failure counts of the current minute and roll-ups of the current
// hour stay pending, so that each client address and minute, and each
// token and hour, becomes one event; with all, as on shutdown, everything
// is written.
func (s *Decider) Flush(ctx context.Context, all bool) {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	limit := maxTouchPerFlush
	if all {
		limit = -1
	}
	if used := s.usage.drain(s.now(), limit); len(used) > 0 {
		s.flushUses(ctx, used, !all)
	}
	s.flushRollups(ctx, all)
	events := s.failures.drain(s.clock(), all)
	if len(events) == 0 {
		return
	}
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		for _, e := range events {
			e.ID = newID()
			if err := tx.Audit().AppendAuditEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("record failed authentications", "err", err)
	}
}
