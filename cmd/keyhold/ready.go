package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/store"
)

// readiness answers /readyz: ready once the decision index is loaded and
// while the database schema has every migration this binary needs (a newer
// binary's additive migrations are fine). It re-checks at most every interval, and a database it cannot
// reach does not make it unready: every replica would fail together, and a
// load balancer would take them all out at once.
type readiness struct {
	db       *store.DB
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	checked time.Time
	err     error
}

func (r *readiness) Ready(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) < r.interval {
		return r.err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := r.db.CheckSchema(cctx)
	r.checked = time.Now()
	switch {
	case err == nil:
		r.err = nil
	case errors.Is(err, store.ErrSchemaBehind):
		r.log.Error("schema does not match this binary", "err", err)
		r.err = keyhold.Errorf(keyhold.EUNAVAILABLE, "The database schema does not match this server's version")
	default:
		r.log.Warn("readiness: database unreachable; staying ready", "err", err)
	}
	return r.err
}
