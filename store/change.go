package store

import (
	"context"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
)

// AppendChange records c in the transaction and sets c.Seq. On PostgreSQL
// a trigger notifies the keyhold_changes channel, which PostgreSQL delivers
// when, and only if, the transaction commits. An empty digest is stored as
// NULL and reads back nil.
func (t *tx) AppendChange(ctx context.Context, c *keyhold.Change) error {
	var digest any
	if len(c.Digest) > 0 {
		digest = c.Digest
	}
	err := t.tx.QueryRowContext(ctx, `INSERT INTO changes (kind, entity_id, digest, changed_at)
		VALUES ($1, $2, $3, $4) RETURNING seq`,
		string(c.Kind), c.ID, digest, ts(c.At)).Scan(&c.Seq)
	if err != nil {
		return fmt.Errorf("append change: %w", err)
	}
	return nil
}

// ListChanges returns up to limit changes with Seq > after, by Seq. On
// PostgreSQL sequence numbers are taken at insert and committed in any
// order, so a lower Seq may still appear after a higher one was listed;
// the caller deals with such gaps. limit must be positive.
func (t *tx) ListChanges(ctx context.Context, after int64, limit int) ([]keyhold.Change, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list changes: limit %d is not positive", limit)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT seq, kind, entity_id, digest, changed_at
		FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	changes := []keyhold.Change{}
	for rows.Next() {
		var c keyhold.Change
		var kind string
		if err := rows.Scan(&c.Seq, &kind, &c.ID, &c.Digest, scanTime{&c.At}); err != nil {
			return nil, fmt.Errorf("list changes: %w", err)
		}
		c.Kind = keyhold.ChangeKind(kind)
		if len(c.Digest) == 0 {
			c.Digest = nil
		}
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return changes, nil
}

// LastChangeSeq returns the highest Seq in the table, or 0 when it is
// empty (also after everything was pruned; new changes still get higher
// numbers than any before).
func (t *tx) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last change seq: %w", err)
	}
	return seq, nil
}

// PruneChanges deletes the changes recorded before the given time and
// returns how many it deleted.
func (t *tx) PruneChanges(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM changes WHERE changed_at < $1`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("prune changes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune changes: %w", err)
	}
	return n, nil
}
