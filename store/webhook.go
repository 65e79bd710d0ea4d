package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

var (
	webhookMsgs  = msgs{notFound: "The requested webhook destination was not found"}
	deliveryMsgs = msgs{notFound: "The requested webhook delivery was not found", missing: "The webhook destination was not found"}
)

const webhookCols = `w.id, w.name, w.url, w.event_types, w.account_id, w.enabled, w.created_at, w.updated_at`

func scanWebhook(s scanner, extra ...any) (*keyhold.WebhookDestination, error) {
	var d keyhold.WebhookDestination
	var types string
	var account sql.NullString
	err := s.Scan(append([]any{&d.ID, &d.Name, &d.URL, &types, &account, &d.Enabled,
		scanTime{&d.CreatedAt}, scanTime{&d.UpdatedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	d.EventTypes = strings.Split(types, ",")
	d.SystemAccountID = account.String
	return &d, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateWebhook stores d with its sealed signing secret.
func (t *tx) CreateWebhook(ctx context.Context, d *keyhold.WebhookDestination, sealed []byte) error {
	_, err := t.exec(ctx, `INSERT INTO webhook_destinations (id, name, url, event_types, account_id,
		enabled, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.ID, d.Name, d.URL, strings.Join(d.EventTypes, ","), nullString(d.SystemAccountID),
		d.Enabled, sealed, ts(d.CreatedAt), ts(d.UpdatedAt))
	return t.translate("create webhook", err, webhookMsgs)
}

// GetWebhook returns a destination and its sealed secret; ENOTFOUND.
func (t *tx) GetWebhook(ctx context.Context, id string) (*keyhold.WebhookDestination, []byte, error) {
	var sealed []byte
	d, err := scanWebhook(t.tx.QueryRowContext(ctx, `SELECT `+webhookCols+`, w.secret
		FROM webhook_destinations w WHERE w.id = $1`, id), &sealed)
	if err != nil {
		return nil, nil, t.translate("get webhook", err, webhookMsgs)
	}
	return d, sealed, nil
}

// ListWebhooks returns a page of destinations, oldest first, and the total.
func (t *tx) ListWebhooks(ctx context.Context, p keyhold.Page) ([]*keyhold.WebhookDestination, int, error) {
	return list(ctx, t, listQuery{op: "list webhooks", cols: webhookCols, from: "webhook_destinations w",
		w: &where{}, order: "w.created_at, w.id", page: p}, scanWebhook)
}

// WebhooksFor returns the enabled destinations that may want events about
// accountID: those without an account filter and those filtered on it. The
// caller checks event types.
func (t *tx) WebhooksFor(ctx context.Context, accountID string) ([]*keyhold.WebhookDestination, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+webhookCols+` FROM webhook_destinations w
		WHERE w.enabled AND (w.account_id IS NULL OR w.account_id = $1) ORDER BY w.created_at, w.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("webhooks for: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.WebhookDestination
	for rows.Next() {
		d, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("webhooks for: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateWebhook writes every field of d, and the sealed secret when it is
// not nil; ENOTFOUND.
func (t *tx) UpdateWebhook(ctx context.Context, d *keyhold.WebhookDestination, sealed []byte) error {
	if sealed != nil {
		if err := t.execOne(ctx, "update webhook secret", webhookMsgs,
			`UPDATE webhook_destinations SET secret = $1 WHERE id = $2`, sealed, d.ID); err != nil {
			return err
		}
	}
	return t.execOne(ctx, "update webhook", webhookMsgs, `UPDATE webhook_destinations SET name = $1,
		url = $2, event_types = $3, account_id = $4, enabled = $5, updated_at = $6 WHERE id = $7`,
		d.Name, d.URL, strings.Join(d.EventTypes, ","), nullString(d.SystemAccountID), d.Enabled, ts(d.UpdatedAt), d.ID)
}

// DeleteWebhook deletes a destination and its deliveries; ENOTFOUND.
func (t *tx) DeleteWebhook(ctx context.Context, id string) error {
	return t.execOne(ctx, "delete webhook", webhookMsgs, `DELETE FROM webhook_destinations WHERE id = $1`, id)
}

const deliveryCols = `d.id, d.destination_id, d.event_id, d.event_type, d.payload, d.token_id, d.account_id,
	d.status, d.attempts, d.last_status, d.last_error, d.response_excerpt, d.next_attempt_at,
	d.delivered_at, d.created_at, d.updated_at`

func scanDelivery(s scanner, extra ...any) (*keyhold.WebhookDelivery, error) {
	var d keyhold.WebhookDelivery
	var status sql.NullInt64
	err := s.Scan(append([]any{&d.ID, &d.DestinationID, &d.EventID, &d.EventType, &d.Payload, &d.TokenID,
		&d.AccountID, &d.Status, &d.Attempts, &status, &d.LastError, &d.ResponseExcerpt,
		scanNullTime{&d.NextAttemptAt}, scanNullTime{&d.DeliveredAt}, scanTime{&d.CreatedAt},
		scanTime{&d.UpdatedAt}}, extra...)...)
	if err != nil {
		return nil, err
	}
	if status.Valid {
		n := int(status.Int64)
		d.LastStatus = &n
	}
	return &d, nil
}

// AppendDelivery queues d in the outbox; ENOTFOUND when its destination
// is gone.
func (t *tx) AppendDelivery(ctx context.Context, d *keyhold.WebhookDelivery) error {
	_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (id, destination_id, event_id, event_type,
		payload, token_id, account_id, status, attempts, last_error, response_excerpt, next_attempt_at,
		lease_owner, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '', $10, '', $11, $12)`,
		d.ID, d.DestinationID, d.EventID, d.EventType, d.Payload, d.TokenID, d.AccountID, d.Status,
		d.Attempts, nullTS(d.NextAttemptAt), ts(d.CreatedAt), ts(d.UpdatedAt))
	return t.translate("append delivery", err, deliveryMsgs)
}

// GetDelivery returns a delivery of a destination; ENOTFOUND.
func (t *tx) GetDelivery(ctx context.Context, destinationID, id string) (*keyhold.WebhookDelivery, error) {
	d, err := scanDelivery(t.tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		WHERE d.id = $1 AND d.destination_id = $2`, id, destinationID))
	if err != nil {
		return nil, t.translate("get delivery", err, deliveryMsgs)
	}
	return d, nil
}

// ListDeliveries returns a page of a destination's deliveries, newest
// first, and the total.
func (t *tx) ListDeliveries(ctx context.Context, destinationID string, p keyhold.Page) ([]*keyhold.WebhookDelivery, int, error) {
	w := &where{}
	w.add("d.destination_id = %s", destinationID)
	return list(ctx, t, listQuery{op: "list deliveries", cols: deliveryCols, from: "webhook_deliveries d",
		w: w, order: "d.created_at DESC, d.id DESC", page: p}, scanDelivery)
}

// ClaimDeliveries leases up to limit pending deliveries that are due at
// now and not leased by anyone else, until leaseUntil, to owner. Two
// callers never hold the same row at once: on SQLite the write
// transaction excludes every other writer; on PostgreSQL the subquery
// skips rows another transaction has locked and the outer condition is
// checked again against the row's latest version.
func (t *tx) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, owner string, limit int) ([]*keyhold.WebhookDelivery, error) {
	rows, err := t.tx.QueryContext(ctx, `UPDATE webhook_deliveries SET lease_until = $1, lease_owner = $2
		WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
		AND id IN (
			SELECT p.id FROM webhook_deliveries p
			WHERE p.status = 'pending' AND p.next_attempt_at <= $3 AND (p.lease_until IS NULL OR p.lease_until <= $3)
			ORDER BY p.next_attempt_at, p.id LIMIT $4`+t.d.skipLocked()+`)
		RETURNING `+strings.ReplaceAll(deliveryCols, "d.", ""), ts(leaseUntil), owner, ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// FinishAttempt records the outcome of an attempt on a delivery this owner
// still leases, and releases the lease. It reports false, changing
// nothing, when the lease passed to someone else meanwhile.
func (t *tx) FinishAttempt(ctx context.Context, d *keyhold.WebhookDelivery, owner string) (bool, error) {
	var status any
	if d.LastStatus != nil {
		status = *d.LastStatus
	}
	res, err := t.exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2, last_status = $3,
		last_error = $4, response_excerpt = $5, next_attempt_at = $6, delivered_at = $7, updated_at = $8,
		lease_until = NULL, lease_owner = '' WHERE id = $9 AND lease_owner = $10`,
		d.Status, d.Attempts, status, d.LastError, d.ResponseExcerpt, nullTS(d.NextAttemptAt),
		nullTS(d.DeliveredAt), ts(d.UpdatedAt), d.ID, owner)
	if err != nil {
		return false, fmt.Errorf("finish delivery attempt: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RequeueDelivery makes a finished delivery pending again, due at now,
// with no attempts; ENOTFOUND.
func (t *tx) RequeueDelivery(ctx context.Context, d *keyhold.WebhookDelivery) error {
	return t.execOne(ctx, "requeue delivery", deliveryMsgs, `UPDATE webhook_deliveries SET status = $1,
		attempts = 0, next_attempt_at = $2, delivered_at = NULL, lease_until = NULL, lease_owner = '',
		updated_at = $3 WHERE id = $4`, d.Status, nullTS(d.NextAttemptAt), ts(d.UpdatedAt), d.ID)
}

// ListUnwarnedTokens returns up to limit unrevoked tokens that expire in
// (now, until] and for which no expiry warning of threshold days or fewer
// was recorded, soonest first.
func (t *tx) ListUnwarnedTokens(ctx context.Context, now, until time.Time, days, limit int) ([]*keyhold.Token, error) {
	return t.tokens(ctx, "list unwarned tokens", `SELECT `+tokenCols+` FROM tokens k
		WHERE k.revoked_at IS NULL AND NOT k.expiry_recorded AND k.expires_at > $1 AND k.expires_at <= $2
		AND NOT EXISTS (SELECT 1 FROM token_expiry_warnings x WHERE x.token_id = k.id AND x.threshold_days <= $3)
		ORDER BY k.expires_at, k.id LIMIT $4`, ts(now), ts(until), days, limit)
}

// RecordExpiryWarning records that the warning of threshold days was sent
// for a token; ECONFLICT when it already was.
func (t *tx) RecordExpiryWarning(ctx context.Context, tokenID string, days int, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO token_expiry_warnings (token_id, threshold_days, sent_at)
		VALUES ($1, $2, $3)`, tokenID, days, ts(at))
	return t.translate("record expiry warning", err, msgs{conflict: "This expiry warning was already sent"})
}

// ListAutoRotateDue returns up to limit active, unrotated auto-rotate
// system-account tokens that expire in (now, until], for which no
// token.auto_rotated delivery exists yet, soonest first.
func (t *tx) ListAutoRotateDue(ctx context.Context, now, until time.Time, after *keyhold.Token, limit int) ([]*keyhold.Token, error) {
	// The first batch starts at now, which expires_at > $1 excludes anyway.
	from, fromID := now, ""
	if after != nil && after.ExpiresAt != nil {
		from, fromID = *after.ExpiresAt, after.ID
	}
	return t.tokens(ctx, "list auto-rotation due", `SELECT `+tokenCols+` FROM tokens k
		WHERE k.auto_rotate AND k.account_id IS NOT NULL AND k.revoked_at IS NULL AND k.successor_id IS NULL
		AND NOT k.expiry_recorded AND k.expires_at > $1 AND k.expires_at <= $2
		AND (k.expires_at > $3 OR (k.expires_at = $3 AND k.id > $4))
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.token_id = k.id)
		ORDER BY k.expires_at, k.id LIMIT $5`, ts(now), ts(until), ts(from), fromID, limit)
}

func (t *tx) tokens(ctx context.Context, op, query string, args ...any) ([]*keyhold.Token, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []*keyhold.Token
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
