package store

import (
	"context"
	"fmt"
	"time"
)

// ClaimJob reports whether this process should run the periodic job name
// now: true for the one caller whose statement records now as the job's
// last run, because the job never ran or last ran at or before now-every.
// It is one conditional upsert, outside any transaction of the caller:
//
//   - on PostgreSQL, concurrent callers queue on the row's lock, and ON
//     CONFLICT DO UPDATE checks its WHERE against the latest committed
//     version, so after the first claim commits the others find the new
//     time and change nothing;
//   - on SQLite, writers are serialized, so the same holds across processes.
//
// every must be positive. Replicas should pass their own clock: skew between
// them shifts a period by at most the skew.
func (db *DB) ClaimJob(ctx context.Context, name string, now time.Time, every time.Duration) (bool, error) {
	if every <= 0 {
		return false, fmt.Errorf("claim job %s: period %v is not positive", name, every)
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO jobs (name, last_run_at) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at
		WHERE jobs.last_run_at <= $3`, name, ts(now), ts(now.Add(-every)))
	if err != nil {
		return false, fmt.Errorf("claim job %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim job %s: %w", name, err)
	}
	return n == 1, nil
}
