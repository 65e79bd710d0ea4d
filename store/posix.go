package store

import (
	"context"
	"fmt"
)

// The POSIX counters (migration 0017): uidNumbers of system accounts and
// users, and gidNumbers of teams. A counter only grows, so a number is
// never given twice, even after its holder is deleted.
const (
	posixUID = "uid"
	posixGID = "gid"
)

// nextPOSIX takes the next number of a counter in this transaction: a
// rolled-back create gives it back, a committed one keeps it for good.
func (t *tx) nextPOSIX(ctx context.Context, counter string) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, `UPDATE posix_counters SET next_value = next_value + 1
		WHERE name = $1 RETURNING next_value - 1`, counter).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next %sNumber: %w", counter, err)
	}
	return n, nil
}

// RaisePOSIXCounters raises the uid and gid counters to at least uidStart
// and gidStart; it never lowers them, so numbers already given stay
// unique.
func (t *tx) RaisePOSIXCounters(ctx context.Context, uidStart, gidStart int64) error {
	for _, c := range []struct {
		name  string
		start int64
	}{{posixUID, uidStart}, {posixGID, gidStart}} {
		if _, err := t.tx.ExecContext(ctx, `UPDATE posix_counters SET next_value = $1
			WHERE name = $2 AND next_value < $1`, c.start, c.name); err != nil {
			return fmt.Errorf("raise the %s counter: %w", c.name, err)
		}
	}
	return nil
}

// POSIXCounters returns the next uidNumber and gidNumber the counters
// will give.
func (t *tx) POSIXCounters(ctx context.Context) (uid, gid int64, err error) {
	err = t.tx.QueryRowContext(ctx, `SELECT
		(SELECT next_value FROM posix_counters WHERE name = 'uid'),
		(SELECT next_value FROM posix_counters WHERE name = 'gid')`).Scan(&uid, &gid)
	if err != nil {
		return 0, 0, fmt.Errorf("read the POSIX counters: %w", err)
	}
	return uid, gid, nil
}
