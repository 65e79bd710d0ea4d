package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
)

var auditDestMsgs = msgs{notFound: "The requested audit log destination was not found",
	conflict: "The audit log webhook is configured already"}

const auditDestCols = `a.id, a.webhook, a.name, a.endpoint, a.log_format, a.skip_ssl_verification, a.enabled,
	a.next_seq, a.attempts, a.next_attempt_at, a.last_attempt_at, a.last_response_code,
	a.last_response_message, a.created_at, a.updated_at`

func scanAuditDest(s scanner, extra ...any) (*keyhold.AuditDestination, error) {
	var d keyhold.AuditDestination
	var code sql.NullInt64
	err := s.Scan(append([]any{&d.ID, &d.Webhook, &d.Name, &d.Endpoint, &d.LogFormat, &d.SkipSSLVerification,
		&d.Enabled, &d.NextSeq, &d.Attempts, scanNullTime{&d.NextAttemptAt}, scanNullTime{&d.LastAttemptAt},
		&code, &d.LastResponseMessage, scanTime{&d.CreatedAt}, scanTime{&d.UpdatedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	if code.Valid {
		n := int(code.Int64)
		d.LastResponseCode = &n
	}
	return &d, nil
}

// CreateAuditDestination stores d with its sealed Authorization value.
func (t *tx) CreateAuditDestination(ctx context.Context, d *keyhold.AuditDestination, sealed []byte) error {
	_, err := t.exec(ctx, `INSERT INTO audit_destinations (id, webhook, name, name_fold, endpoint, log_format,
		skip_ssl_verification, enabled, auth_sealed, next_seq, attempts, lease_owner, last_response_message,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, '', '', $11, $12)`,
		d.ID, d.Webhook, d.Name, strings.ToLower(d.Name), d.Endpoint, d.LogFormat, d.SkipSSLVerification,
		d.Enabled, sealed, d.NextSeq, ts(d.CreatedAt), ts(d.UpdatedAt))
	return t.translate("create audit destination", err, auditDestMsgs)
}

// GetAuditDestination returns a destination, not the webhook, and its
// sealed Authorization; ENOTFOUND.
func (t *tx) GetAuditDestination(ctx context.Context, id string) (*keyhold.AuditDestination, []byte, error) {
	var sealed []byte
	d, err := scanAuditDest(t.tx.QueryRowContext(ctx, `SELECT `+auditDestCols+`, a.auth_sealed
		FROM audit_destinations a WHERE a.id = $1 AND NOT a.webhook`, id), &sealed)
	if err != nil {
		return nil, nil, t.translate("get audit destination", err, auditDestMsgs)
	}
	return d, sealed, nil
}

// AuditLogWebhook returns the webhook and its sealed Authorization;
// ENOTFOUND before it is configured.
func (t *tx) AuditLogWebhook(ctx context.Context) (*keyhold.AuditDestination, []byte, error) {
	var sealed []byte
	d, err := scanAuditDest(t.tx.QueryRowContext(ctx, `SELECT `+auditDestCols+`, a.auth_sealed
		FROM audit_destinations a WHERE a.webhook`), &sealed)
	if err != nil {
		return nil, nil, t.translate("get audit log webhook", err, auditDestMsgs)
	}
	return d, sealed, nil
}

// ListAuditDestinations returns a page of destinations, oldest first, and
// the total; filter[name] matches the name exactly or, with contains, a
// part of it in any case.
func (t *tx) ListAuditDestinations(ctx context.Context, f keyhold.AuditDestinationFilter) ([]*keyhold.AuditDestination, int, error) {
	w := &where{}
	w.add("NOT a.webhook")
	if err := w.str("a.name", "a.name_fold", f.Name); err != nil {
		return nil, 0, err
	}
	return list(ctx, t, listQuery{op: "list audit destinations", cols: auditDestCols, from: "audit_destinations a",
		w: w, order: "a.created_at, a.id", page: f.Page}, scanAuditDest)
}

// UpdateAuditDestination writes d's settings, its cursor only when reset
// (so that a change made while a batch is out does not move the cursor
// back), and the sealed Authorization when it is not nil; ENOTFOUND.
func (t *tx) UpdateAuditDestination(ctx context.Context, d *keyhold.AuditDestination, sealed []byte, reset bool) error {
	if sealed != nil {
		if err := t.execOne(ctx, "update audit destination authorization", auditDestMsgs,
			`UPDATE audit_destinations SET auth_sealed = $1 WHERE id = $2`, sealed, d.ID); err != nil {
			return err
		}
	}
	if reset {
		if err := t.execOne(ctx, "reset audit destination", auditDestMsgs, `UPDATE audit_destinations SET next_seq = $1,
			attempts = $2, next_attempt_at = $3 WHERE id = $4`, d.NextSeq, d.Attempts, nullTS(d.NextAttemptAt), d.ID); err != nil {
			return err
		}
	}
	return t.execOne(ctx, "update audit destination", auditDestMsgs, `UPDATE audit_destinations SET name = $1,
		name_fold = $2, endpoint = $3, log_format = $4, skip_ssl_verification = $5, enabled = $6, updated_at = $7
		WHERE id = $8`, d.Name, strings.ToLower(d.Name), d.Endpoint, d.LogFormat, d.SkipSSLVerification, d.Enabled,
		ts(d.UpdatedAt), d.ID)
}

// DeleteAuditDestination deletes a destination, never the webhook;
// ENOTFOUND.
func (t *tx) DeleteAuditDestination(ctx context.Context, id string) error {
	return t.execOne(ctx, "delete audit destination", auditDestMsgs,
		`DELETE FROM audit_destinations WHERE id = $1 AND NOT webhook`, id)
}

// ClaimAuditDestinations leases to owner, until until, the enabled
// destinations behind size that are due at now and leased by no one, as
// ClaimDeliveries leases deliveries.
func (t *tx) ClaimAuditDestinations(ctx context.Context, size int64, now, until time.Time, owner string, limit int) ([]*keyhold.AuditDestination, [][]byte, error) {
	const due = `enabled AND next_seq < $3 AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
		AND (lease_until IS NULL OR lease_until <= $4)`
	rows, err := t.tx.QueryContext(ctx, `UPDATE audit_destinations SET lease_until = $1, lease_owner = $2
		WHERE `+due+` AND id IN (SELECT id FROM audit_destinations WHERE `+due+`
			ORDER BY created_at, id LIMIT $5`+t.d.skipLocked()+`)
		RETURNING `+strings.ReplaceAll(auditDestCols, "a.", "")+`, auth_sealed`, ts(until), owner, size, ts(now), limit)
	return scanAuditDestsSealed("claim audit destinations", rows, err)
}

// scanAuditDestsSealed reads destinations, each with its sealed
// Authorization, from the rows of a query that ended with err.
func scanAuditDestsSealed(op string, rows *sql.Rows, err error) ([]*keyhold.AuditDestination, [][]byte, error) {
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []*keyhold.AuditDestination
	var sealed [][]byte
	for rows.Next() {
		var s []byte
		d, err := scanAuditDest(rows, &s)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", op, err)
		}
		out, sealed = append(out, d), append(sealed, s)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, sealed, nil
}

// FinishAuditDelivery records an attempt of owner's lease and ends it; it
// reports false, changing nothing, when the lease passed to another or the
// destination is gone.
func (t *tx) FinishAuditDelivery(ctx context.Context, d *keyhold.AuditDestination, owner string) (bool, error) {
	var code any
	if d.LastResponseCode != nil {
		code = *d.LastResponseCode
	}
	res, err := t.exec(ctx, `UPDATE audit_destinations SET next_seq = $1, attempts = $2, next_attempt_at = $3,
		last_attempt_at = $4, last_response_code = $5, last_response_message = $6, lease_owner = '',
		lease_until = NULL WHERE id = $7 AND lease_owner = $8`,
		d.NextSeq, d.Attempts, nullTS(d.NextAttemptAt), nullTS(d.LastAttemptAt), code, d.LastResponseMessage, d.ID, owner)
	if err != nil {
		return false, fmt.Errorf("finish audit delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EnabledAuditDestinations returns every enabled destination, the webhook
// among them, oldest first, with its sealed Authorization.
func (t *tx) EnabledAuditDestinations(ctx context.Context) ([]*keyhold.AuditDestination, [][]byte, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+auditDestCols+`, a.auth_sealed FROM audit_destinations a
		WHERE a.enabled ORDER BY a.created_at, a.id`)
	return scanAuditDestsSealed("enabled audit destinations", rows, err)
}

// AuditEventsBetween returns up to limit events that occurred in [start,
// end] with a leaf index of at least from, in leaf order, with their leaf
// hashes.
func (t *tx) AuditEventsBetween(ctx context.Context, start, end time.Time, from int64, limit int) ([]*keyhold.AuditEvent, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events e
		WHERE e.occurred_at >= $1 AND e.occurred_at <= $2 AND e.leaf_index >= $3
		ORDER BY e.leaf_index LIMIT $4`, ts(start), ts(end), from, limit)
	if err != nil {
		return nil, fmt.Errorf("audit events between: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.AuditEvent
	var idx []int64
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("audit events between: %w", err)
		}
		out, idx = append(out, e), append(idx, tlog.StoredHashIndex(0, e.Seq))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(idx) == 0 {
		return out, nil
	}
	hs, err := t.ReadAuditHashes(ctx, idx)
	if err != nil {
		return nil, err
	}
	for i, e := range out {
		e.Hash = hs[i]
	}
	return out, nil
}

const replayCols = `start_at, end_at, status, next_seq, message, updated_at`

func scanReplay(s scanner) (*keyhold.AuditReplayJob, error) {
	var j keyhold.AuditReplayJob
	err := s.Scan(scanTime{&j.StartAt}, scanTime{&j.EndAt}, &j.Status, &j.NextSeq, &j.Message, scanTime{&j.UpdatedAt})
	return &j, err
}

var replayMsgs = msgs{notFound: "No audit log replay job", conflict: "An audit log replay job is running already"}

// AuditReplayJob returns the replay job; ENOTFOUND before the first.
func (t *tx) AuditReplayJob(ctx context.Context) (*keyhold.AuditReplayJob, error) {
	j, err := scanReplay(t.tx.QueryRowContext(ctx, `SELECT `+replayCols+` FROM audit_replay_jobs WHERE id = 'replay'`))
	if err != nil {
		return nil, t.translate("get audit replay job", err, replayMsgs)
	}
	return j, nil
}

// StartAuditReplayJob replaces the job unless it is accepted or running
// (ECONFLICT): one conditional statement, so that two callers at once
// cannot both start one.
func (t *tx) StartAuditReplayJob(ctx context.Context, j *keyhold.AuditReplayJob) error {
	res, err := t.exec(ctx, `INSERT INTO audit_replay_jobs (id, start_at, end_at, status, next_seq, message,
		lease_owner, updated_at) VALUES ('replay', $1, $2, $3, $4, $5, '', $6)
		ON CONFLICT (id) DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at,
		status = excluded.status, next_seq = excluded.next_seq, message = excluded.message,
		lease_owner = '', lease_until = NULL, updated_at = excluded.updated_at
		WHERE audit_replay_jobs.status NOT IN ('accepted', 'running')`,
		ts(j.StartAt), ts(j.EndAt), j.Status, j.NextSeq, j.Message, ts(j.UpdatedAt))
	if err != nil {
		return t.translate("start audit replay job", err, replayMsgs)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return keyhold.Errorf(keyhold.ECONFLICT, "%s", replayMsgs.conflict)
	}
	return nil
}

// ClaimAuditReplayJob leases an accepted or running job to owner.
func (t *tx) ClaimAuditReplayJob(ctx context.Context, now, until time.Time, owner string) (*keyhold.AuditReplayJob, error) {
	j, err := scanReplay(t.tx.QueryRowContext(ctx, `UPDATE audit_replay_jobs SET lease_owner = $1, lease_until = $2
		WHERE id = 'replay' AND status IN ('accepted', 'running') AND (lease_until IS NULL OR lease_until <= $3)
		RETURNING `+replayCols, owner, ts(until), ts(now)))
	if err != nil {
		return nil, t.translate("claim audit replay job", err, replayMsgs)
	}
	return j, nil
}

// FinishAuditReplayBatch records the job's progress and ends the lease.
func (t *tx) FinishAuditReplayBatch(ctx context.Context, j *keyhold.AuditReplayJob, owner string) (bool, error) {
	res, err := t.exec(ctx, `UPDATE audit_replay_jobs SET status = $1, next_seq = $2, message = $3, updated_at = $4,
		lease_owner = '', lease_until = NULL WHERE id = 'replay' AND lease_owner = $5`,
		j.Status, j.NextSeq, j.Message, ts(j.UpdatedAt), owner)
	if err != nil {
		return false, fmt.Errorf("finish audit replay batch: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
