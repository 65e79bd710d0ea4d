package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// MergeAuthFailures writes this replica's failure counts of a window (its
// totals so far, not increments), drops windows older than the previous
// one, and returns the addresses whose count over every replica has
// reached limit in that window.
func (db *DB) MergeAuthFailures(ctx context.Context, replica string, window time.Time, counts map[string]int, limit int) ([]string, error) {
	ips := make([]string, 0, len(counts))
	for ip := range counts {
		ips = append(ips, ip)
	}
	slices.Sort(ips) // the same lock order on every replica
	var over []string
	err := db.write1(ctx, func(t *tx) error {
		for _, ip := range ips {
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO auth_failures (window_start, ip, replica, count)
				VALUES ($1, $2, $3, $4) ON CONFLICT (window_start, ip, replica) DO UPDATE SET count = excluded.count`,
				ts(window), ip, replica, counts[ip]); err != nil {
				return fmt.Errorf("merge auth failures: %w", err)
			}
		}
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM auth_failures WHERE window_start < $1`, ts(window.Add(-time.Minute))); err != nil {
			return fmt.Errorf("prune auth failures: %w", err)
		}
		rows, err := t.tx.QueryContext(ctx, `SELECT ip FROM auth_failures WHERE window_start = $1
			GROUP BY ip HAVING SUM(count) >= $2 ORDER BY ip`, ts(window), limit)
		if err != nil {
			return fmt.Errorf("merge auth failures: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ip string
			if err := rows.Scan(&ip); err != nil {
				return fmt.Errorf("merge auth failures: %w", err)
			}
			over = append(over, ip)
		}
		return rows.Err()
	})
	return over, err
}
