package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// The audit log is an RFC 6962 Merkle tree over the audit events, kept
// with golang.org/x/mod/sumdb/tlog: every event's leaf (keyhold's
// AuditEvent.LeafData) is appended in the transaction of its change,
// with the tree hashes that leaf completes, so that roots and proofs read
// stored hashes and recompute nothing.

// appendLeaf gives e the log's next leaf index and stores the hashes its
// leaf completes. Taking the index updates audit_log's one row, which on
// PostgreSQL holds that row's lock until the transaction ends: appends of
// concurrent replicas queue there, so indexes are gap-free and in commit
// order, and a rolled-back change gives its index back. Callers append
// last in their transaction, to hold the lock briefly.
//
// then, when not nil, is a statement (and its arguments, numbered from
// $1) that runs with the hashes' insert as one: on PostgreSQL the event's
// own insert, so that the lock is held for one round trip fewer.
func (t *tx) appendLeaf(ctx context.Context, e *keyhold.AuditEvent, hashes *hashCache, then func(n int64, first int) (string, []any)) error {
	var n int64
	if err := t.tx.QueryRowContext(ctx,
		`UPDATE audit_log SET size = size + 1 WHERE id = 1 RETURNING size - 1`).Scan(&n); err != nil {
		return fmt.Errorf("append audit leaf: %w", err)
	}
	if hashes == nil {
		hashes = &hashCache{t: t, ctx: ctx}
	}
	data := e.LeafData()
	hs, err := tlog.StoredHashes(n, data, hashes)
	if err != nil {
		return fmt.Errorf("append audit leaf %d: %w", n, err)
	}
	base := tlog.StoredHashIndex(0, n)
	var b strings.Builder
	if then != nil {
		b.WriteString(`WITH leaf AS (`)
	}
	b.WriteString(`INSERT INTO audit_hashes (idx, hash) VALUES `)
	args := make([]any, 0, 2*len(hs))
	for k, h := range hs {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "($%d, $%d)", 2*k+1, 2*k+2)
		args = append(args, base+int64(k), h[:])
		hashes.put(base+int64(k), h)
	}
	e.Seq, e.Hash = n, hs[0]
	if then != nil {
		q, more := then(n, len(args)+1)
		b.WriteString(") " + q)
		args = append(args, more...)
	}
	if _, err := t.tx.ExecContext(ctx, b.String(), args...); err != nil {
		e.Seq, e.Hash = -1, tlog.Hash{}
		return err
	}
	return nil
}

// hashCache reads the log's stored hashes in t, keeping those it read or
// wrote, so that appending a run of events reads each hash once.
type hashCache struct {
	t    *tx
	ctx  context.Context
	seen map[int64]tlog.Hash
}

func (c *hashCache) put(i int64, h tlog.Hash) {
	if c.seen == nil {
		c.seen = map[int64]tlog.Hash{}
	}
	c.seen[i] = h
}

// ReadHashes implements tlog.HashReader.
func (c *hashCache) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, idx := range indexes {
		if h, ok := c.seen[idx]; ok {
			out[i] = h
		} else {
			missing = append(missing, idx)
		}
	}
	if len(missing) > 0 {
		got, err := c.t.ReadAuditHashes(c.ctx, missing)
		if err != nil {
			return nil, err
		}
		for k, idx := range missing {
			c.put(idx, got[k])
		}
		for i, idx := range indexes {
			out[i] = c.seen[idx]
		}
	}
	return out, nil
}

// ReadAuditHashes returns the stored hashes at indexes, in that order.
func (t *tx) ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	got, err := t.readHashes(ctx, indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := got[idx]
		if !ok {
			return nil, fmt.Errorf("read audit hashes: hash %d is missing", idx)
		}
		out[i] = h
	}
	return out, nil
}

// readHashes returns the stored hashes it finds at indexes.
func (t *tx) readHashes(ctx context.Context, indexes []int64) (map[int64]tlog.Hash, error) {
	got := make(map[int64]tlog.Hash, len(indexes))
	const chunk = 500
	for start := 0; start < len(indexes); start += chunk {
		part := indexes[start:min(start+chunk, len(indexes))]
		var b strings.Builder
		args := make([]any, len(part))
		b.WriteString(`SELECT idx, hash FROM audit_hashes WHERE idx IN (`)
		for i, idx := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", i+1)
			args[i] = idx
		}
		b.WriteString(")")
		if err := t.scanHashes(ctx, b.String(), args, got); err != nil {
			return nil, fmt.Errorf("read audit hashes: %w", err)
		}
	}
	return got, nil
}

// scanHashes adds the (idx, hash) rows of query to got.
func (t *tx) scanHashes(ctx context.Context, query string, args []any, got map[int64]tlog.Hash) error {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return err
		}
		if len(h) != tlog.HashSize {
			return fmt.Errorf("hash %d is %d bytes", idx, len(h))
		}
		got[idx] = tlog.Hash(h)
	}
	return rows.Err()
}

// AuditLog returns the log's size, pruned prefix and origin.
func (t *tx) AuditLog(ctx context.Context) (storage.AuditLogState, error) {
	var s storage.AuditLogState
	err := t.tx.QueryRowContext(ctx, `SELECT size, pruned_below, origin FROM audit_log WHERE id = 1`).
		Scan(&s.Size, &s.PrunedBelow, &s.Origin)
	if err != nil {
		return s, fmt.Errorf("read audit log: %w", err)
	}
	return s, nil
}

// LockAuditLog is AuditLog holding the lock appends take, so that the
// tree does not grow until the transaction ends.
func (t *tx) LockAuditLog(ctx context.Context) (storage.AuditLogState, error) {
	if _, err := t.tx.ExecContext(ctx, `UPDATE audit_log SET size = size WHERE id = 1`); err != nil {
		return storage.AuditLogState{}, fmt.Errorf("lock audit log: %w", err)
	}
	return t.AuditLog(ctx)
}

// SetAuditLogOrigin names the log, once: an origin already set stays.
func (t *tx) SetAuditLogOrigin(ctx context.Context, origin string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE audit_log SET origin = $1 WHERE id = 1 AND origin = ''`, origin)
	if err != nil {
		return fmt.Errorf("set audit log origin: %w", err)
	}
	return nil
}

// AppendAuditCheckpoint stores a signed checkpoint.
func (t *tx) AppendAuditCheckpoint(ctx context.Context, cp *keyhold.AuditCheckpoint) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, signed_at, note) VALUES ($1, $2, $3)`,
		cp.Size, ts(cp.SignedAt), string(cp.Note))
	if err != nil {
		return fmt.Errorf("append audit checkpoint: %w", err)
	}
	return nil
}

func scanCheckpoint(s scanner) (*keyhold.AuditCheckpoint, error) {
	var cp keyhold.AuditCheckpoint
	var note string
	if err := s.Scan(&cp.Seq, &cp.Size, scanTime{&cp.SignedAt}, &note); err != nil {
		return nil, err
	}
	cp.Note = []byte(note)
	return &cp, nil
}

// LatestAuditCheckpoint returns the newest checkpoint. ENOTFOUND before
// the first.
func (t *tx) LatestAuditCheckpoint(ctx context.Context) (*keyhold.AuditCheckpoint, error) {
	cp, err := scanCheckpoint(t.tx.QueryRowContext(ctx,
		`SELECT seq, size, `+t.d.rawTime("signed_at")+`, note FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`))
	return cp, t.translate("latest audit checkpoint", err, msgs{notFound: "The audit log has no checkpoint yet"})
}

// ListAuditCheckpoints returns up to limit checkpoints after the one
// numbered after, oldest first.
func (t *tx) ListAuditCheckpoints(ctx context.Context, after int64, limit int) ([]*keyhold.AuditCheckpoint, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT seq, size, `+t.d.rawTime("signed_at")+`, note FROM audit_checkpoints
		WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit checkpoints: %w", err)
	}
	defer rows.Close()
	out := []*keyhold.AuditCheckpoint{}
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit checkpoints: %w", err)
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}

// ListAuditLeaves returns the leaves from index from, up to limit of them
// and never past the log's size, each with its stored hash and its event,
// or Pruned below the pruned prefix. A leaf with neither is missing.
func (t *tx) ListAuditLeaves(ctx context.Context, from int64, limit int) ([]keyhold.AuditLeafRecord, error) {
	st, err := t.AuditLog(ctx)
	if err != nil {
		return nil, err
	}
	to := min(from+int64(limit), st.Size)
	if from < 0 || from >= to {
		return []keyhold.AuditLeafRecord{}, nil
	}
	idx := make([]int64, 0, to-from)
	for i := from; i < to; i++ {
		idx = append(idx, tlog.StoredHashIndex(0, i))
	}
	// A hash the database lost is reported as lost, for the verifier to
	// name, rather than failing the read.
	hs, err := t.readHashes(ctx, idx)
	if err != nil {
		return nil, err
	}
	out := make([]keyhold.AuditLeafRecord, to-from)
	for i := range out {
		n := from + int64(i)
		h, ok := hs[idx[i]]
		out[i] = keyhold.AuditLeafRecord{Index: n, Hash: h, NoHash: !ok, Pruned: n < st.PrunedBelow}
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events e
		WHERE e.leaf_index >= $1 AND e.leaf_index < $2 ORDER BY e.leaf_index`, from, to)
	if err != nil {
		return nil, fmt.Errorf("list audit leaves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit leaves: %w", err)
		}
		r := &out[e.Seq-from]
		e.Hash = r.Hash
		r.Event, r.Pruned = e, false
	}
	return out, rows.Err()
}

// PruneAuditEvents drops the bodies of the log's oldest events: the
// longest prefix of leaves whose events all occurred before cutoff. Their
// leaf hashes stay, so the tree still verifies, and the prefix is
// recorded, so that a verifier reports them as pruned, not missing. It
// returns how many events it dropped.
func (t *tx) PruneAuditEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	st, err := t.LockAuditLog(ctx)
	if err != nil {
		return 0, err
	}
	var first sql.NullInt64
	if err := t.tx.QueryRowContext(ctx, `SELECT MIN(leaf_index) FROM audit_events WHERE occurred_at >= $1`,
		ts(cutoff)).Scan(&first); err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	below := st.Size
	if first.Valid {
		below = first.Int64
	}
	if below <= st.PrunedBelow {
		return 0, nil
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM audit_events WHERE leaf_index < $1`, below)
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := t.tx.ExecContext(ctx, `UPDATE audit_log SET pruned_below = $1 WHERE id = 1`, below); err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	return n, nil
}

// CreateAuditKey stores a signing key; when it is current (not retired),
// the current key of its purpose must have been retired first.
func (t *tx) CreateAuditKey(ctx context.Context, k *keyhold.AuditKey) error {
	_, err := t.exec(ctx, `INSERT INTO audit_keys (id, purpose, name, public_key, sealed, created_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.ID, k.Purpose, k.Name, k.PublicKey, k.Sealed, ts(k.CreatedAt), nullTS(k.RetiredAt))
	return t.translate("create audit key", err, msgs{conflict: "An audit signing key of this purpose is already current"})
}

// RetireAuditKeys retires the current key of purpose, if any.
func (t *tx) RetireAuditKeys(ctx context.Context, purpose string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE audit_keys SET retired_at = $1 WHERE purpose = $2 AND retired_at IS NULL`, ts(at), purpose)
	if err != nil {
		return fmt.Errorf("retire audit key: %w", err)
	}
	return nil
}

// ListAuditKeys returns every signing key, oldest first.
func (t *tx) ListAuditKeys(ctx context.Context) ([]*keyhold.AuditKey, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, purpose, name, public_key, sealed, `+t.d.rawTime("created_at")+`, `+
		t.d.rawTime("retired_at")+` FROM audit_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list audit keys: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.AuditKey
	for rows.Next() {
		var k keyhold.AuditKey
		if err := rows.Scan(&k.ID, &k.Purpose, &k.Name, &k.PublicKey, &k.Sealed, scanTime{&k.CreatedAt}, scanNullTime{&k.RetiredAt}); err != nil {
			return nil, fmt.Errorf("list audit keys: %w", err)
		}
		out = append(out, &k)
	}
	return out, rows.Err()
}

// logUnlogged appends to the log, in (occurred_at, seq) order, the events
// that have no leaf index: those written by releases before migration
// 0019. It runs after the migrations, under their lock, and does nothing
// once every event is a leaf.
func (db *DB) logUnlogged(ctx context.Context) error {
	return db.migrateStep(ctx, func(sqlTx *sql.Tx) error {
		t := &tx{tx: sqlTx, d: db.d}
		pending, err := unlogged(ctx, sqlTx)
		if err != nil {
			return fmt.Errorf("log earlier audit events: %w", err)
		}
		hashes := &hashCache{t: t, ctx: ctx}
		for _, r := range pending {
			if err := t.appendLeaf(ctx, r.e, hashes, nil); err != nil {
				return fmt.Errorf("log earlier audit events: %w", err)
			}
			if _, err := sqlTx.ExecContext(ctx, `UPDATE audit_events SET leaf_index = $1 WHERE seq = $2`, r.e.Seq, r.seq); err != nil {
				return fmt.Errorf("log earlier audit events: %w", err)
			}
		}
		if len(pending) > 0 {
			db.log.Info("appended earlier audit events to the audit log", "events", len(pending))
		}
		return nil
	})
}

// unloggedEvent is an event without a leaf index, and its row's seq.
type unloggedEvent struct {
	e   *keyhold.AuditEvent
	seq int64
}

// unlogged reads the events without a leaf index, in the order they are
// appended: (occurred_at, seq).
func unlogged(ctx context.Context, sqlTx *sql.Tx) ([]unloggedEvent, error) {
	rows, err := sqlTx.QueryContext(ctx, `SELECT `+auditCols+`, e.seq FROM audit_events e
		WHERE e.leaf_index IS NULL ORDER BY e.occurred_at, e.seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []unloggedEvent
	for rows.Next() {
		var r unloggedEvent
		if r.e, err = scanAuditEvent(rows, &r.seq); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// encodeChanges is the changes column of e.
func encodeChanges(e *keyhold.AuditEvent) (string, error) {
	return keyhold.CanonicalChanges(e.Changes)
}

// decodeChanges parses a changes column.
func decodeChanges(s string) (map[string]keyhold.AuditChange, error) {
	if s == "" {
		return nil, nil
	}
	var c map[string]keyhold.AuditChange
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("audit changes: %w", err)
	}
	return c, nil
}
