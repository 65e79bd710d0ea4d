package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

var tokenMsgs = msgs{
	notFound: "The requested token was not found",
	conflict: "A token with this name already exists",
	missing:  "The owner of the token was not found",
}

const tokenCols = `k.id, k.kind, k.account_id, k.user_id, k.name, k.digest, k.created_at,
	k.updated_at, k.expires_at, k.last_used_at, k.revoked_at, k.revoked_by, k.last_used_ip, k.last_used_user_agent,
	k.predecessor_id, k.successor_id, k.rotation_deadline, k.revoke_when_idle_seconds,
	k.scope, k.allowed_cidrs, k.auto_rotate, k.intent`

func scanToken(s scanner, extra ...any) (*keyhold.Token, error) {
	var k keyhold.Token
	var kind string
	var account, user, revokedBy, pred, succ, scope, cidrs sql.NullString
	var idle sql.NullInt64
	err := s.Scan(append([]any{&k.ID, &kind, &account, &user, &k.Name, &k.Digest,
		scanTime{&k.CreatedAt}, scanTime{&k.UpdatedAt}, scanNullTime{&k.ExpiresAt},
		scanNullTime{&k.LastUsedAt}, scanNullTime{&k.RevokedAt}, &revokedBy, &k.LastUsedIP, &k.LastUsedUserAgent,
		&pred, &succ, scanNullTime{&k.RotationDeadline}, &idle, &scope, &cidrs, &k.AutoRotate, &k.Intent}, extra...)...)
	if err != nil {
		return nil, err
	}
	if err := decodeRestrictions(&k, nullBytes(scope), nullBytes(cidrs)); err != nil {
		return nil, err
	}
	if pred.Valid {
		k.PredecessorID = &pred.String
	}
	if succ.Valid {
		k.SuccessorID = &succ.String
	}
	if idle.Valid {
		d := time.Duration(idle.Int64) * time.Second
		k.RevokeWhenIdle = &d
	}
	k.Kind = keyhold.TokenKind(kind)
	k.Owner = principalRef(account, sql.NullString{}, user)
	if revokedBy.Valid {
		k.RevokedBy = &revokedBy.String
	}
	return &k, nil
}

// CreateToken stores k; ECONFLICT when its owner has an unrevoked token of
// that name, ENOTFOUND when the owner does not exist.
func (t *tx) CreateToken(ctx context.Context, k *keyhold.Token) error {
	if _, ok := memberColumn(k.Owner.Type); !ok {
		return keyhold.Errorf(keyhold.EINVALID, "Tokens belong to system accounts and users")
	}
	account, _, user := principalArgs(k.Owner)
	scope, cidrs := restrictionArgs(k)
	_, err := t.exec(ctx, `INSERT INTO tokens (id, kind, account_id, user_id, name, name_fold,
		digest, created_at, updated_at, expires_at, last_used_at, revoked_at, revoked_by,
		predecessor_id, successor_id, rotation_deadline, revoke_when_idle_seconds, scope, allowed_cidrs, auto_rotate, intent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		k.ID, string(k.Kind), account, user, k.Name, strings.ToLower(k.Name),
		k.Digest, ts(k.CreatedAt), ts(k.UpdatedAt), nullTS(k.ExpiresAt),
		nullTS(k.LastUsedAt), nullTS(k.RevokedAt), k.RevokedBy,
		k.PredecessorID, k.SuccessorID, nullTS(k.RotationDeadline), idleSeconds(k.RevokeWhenIdle), scope, cidrs, k.AutoRotate, tokenIntent(k.Intent))
	return t.translate("create token", err, tokenMsgs)
}

// GetToken returns the token id of owner; ENOTFOUND when it does not
// exist or belongs to someone else.
func (t *tx) GetToken(ctx context.Context, owner keyhold.Ref, id string) (*keyhold.Token, error) {
	col, ok := memberColumn(owner.Type)
	if !ok {
		return nil, &keyhold.Error{Code: keyhold.ENOTFOUND, Message: tokenMsgs.notFound}
	}
	k, err := scanToken(t.tx.QueryRowContext(ctx,
		`SELECT `+tokenCols+` FROM tokens k WHERE k.id = $1 AND k.`+col+` = $2`, id, owner.ID))
	if err != nil {
		return nil, t.translate("get token", err, tokenMsgs)
	}
	return k, nil
}

// GetTokenByDigest returns the token of that digest, whoever owns it;
// ENOTFOUND.
func (t *tx) GetTokenByDigest(ctx context.Context, digest []byte) (*keyhold.Token, error) {
	k, err := scanToken(t.tx.QueryRowContext(ctx,
		`SELECT `+tokenCols+` FROM tokens k WHERE k.digest = $1`, digest))
	if err != nil {
		return nil, t.translate("get token by digest", err, tokenMsgs)
	}
	return k, nil
}

// ListTokens returns a page of an owner's tokens, oldest first, revoked ones
// included, and the total.
func (t *tx) ListTokens(ctx context.Context, f keyhold.TokenFilter) ([]*keyhold.Token, int, error) {
	col, ok := memberColumn(f.Owner.Type)
	if !ok {
		return nil, 0, keyhold.Errorf(keyhold.EINVALID, "Tokens belong to system accounts and users")
	}
	w := &where{}
	w.add("k."+col+" = %s", f.Owner.ID)
	if f.Kind != "" {
		w.add("k.kind = %s", string(f.Kind))
	}
	if err := w.str("k.name", "k.name_fold", f.Name); err != nil {
		return nil, 0, err
	}
	return list(ctx, t, listQuery{op: "list tokens", cols: tokenCols, from: "tokens k", w: w,
		order: "k.created_at, k.id", page: f.Page}, scanToken)
}

// CountActiveTokens counts the tokens of kind of owner that are active at
// now, as keyhold.Token.State says: neither revoked, expired, past a
// rotation deadline, nor rotated.
func (t *tx) CountActiveTokens(ctx context.Context, owner keyhold.Ref, kind keyhold.TokenKind, now time.Time) (int, error) {
	col, ok := memberColumn(owner.Type)
	if !ok {
		return 0, keyhold.Errorf(keyhold.EINVALID, "Tokens belong to system accounts and users")
	}
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens k
		WHERE k.`+col+` = $1 AND k.kind = $2 AND k.revoked_at IS NULL AND k.successor_id IS NULL
		AND (k.expires_at IS NULL OR k.expires_at > $3)
		AND (k.rotation_deadline IS NULL OR k.rotation_deadline > $3)`,
		owner.ID, string(kind), ts(now)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count active tokens: %w", err)
	}
	return n, nil
}

// UpdateToken writes name, updated_at, revoked_at, revoked_by, the
// rotation fields and the scope of the token k.ID of k.Owner; ENOTFOUND,
// ECONFLICT (name taken). Allowed networks never change.
func (t *tx) UpdateToken(ctx context.Context, k *keyhold.Token) error {
	col, ok := memberColumn(k.Owner.Type)
	if !ok {
		return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: tokenMsgs.notFound}
	}
	scope, _ := restrictionArgs(k)
	return t.execOne(ctx, "update token", tokenMsgs, `UPDATE tokens
		SET name = $1, name_fold = $2, updated_at = $3, revoked_at = $4, revoked_by = $5,
		successor_id = $6, rotation_deadline = $7, revoke_when_idle_seconds = $8, scope = $9
		WHERE id = $10 AND `+col+` = $11`,
		k.Name, strings.ToLower(k.Name), ts(k.UpdatedAt), nullTS(k.RevokedAt), k.RevokedBy,
		k.SuccessorID, nullTS(k.RotationDeadline), idleSeconds(k.RevokeWhenIdle), scope,
		k.ID, k.Owner.ID)
}

// tokenIntent is the stored intent of a token: IntentAPI unless it says.
func tokenIntent(intent string) string {
	if intent == "" {
		return keyhold.IntentAPI
	}
	return intent
}

func idleSeconds(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return int64(*d / time.Second)
}

// ListRotating returns up to limit rotated tokens not yet revoked, oldest
// deadline first, each with its successor's last use, after the token
// after in that order (nil: from the first). The service decides which to
// retire, batch after batch.
func (t *tx) ListRotating(ctx context.Context, after *keyhold.Token, limit int) ([]*keyhold.RotatingToken, error) {
	w := &where{}
	w.add("k.successor_id IS NOT NULL AND k.revoked_at IS NULL")
	if after != nil && after.RotationDeadline != nil {
		w.add("(k.rotation_deadline > %[1]s OR (k.rotation_deadline = %[1]s AND k.id > %[2]s))", ts(*after.RotationDeadline), after.ID)
	}
	q := `SELECT ` + tokenCols + `, s.last_used_at FROM tokens k
		LEFT JOIN tokens s ON s.id = k.successor_id` + w.clause() + `
		ORDER BY k.rotation_deadline, k.id LIMIT ` + w.arg(limit)
	rows, err := t.tx.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list rotating tokens: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.RotatingToken
	for rows.Next() {
		var succUsed *time.Time
		k, err := scanToken(rows, scanNullTime{&succUsed})
		if err != nil {
			return nil, fmt.Errorf("list rotating tokens: %w", err)
		}
		out = append(out, &keyhold.RotatingToken{Token: *k, SuccessorLastUsedAt: succUsed})
	}
	return out, rows.Err()
}

// DeleteToken deletes the token id of owner; ENOTFOUND.
func (t *tx) DeleteToken(ctx context.Context, owner keyhold.Ref, id string) error {
	col, ok := memberColumn(owner.Type)
	if !ok {
		return &keyhold.Error{Code: keyhold.ENOTFOUND, Message: tokenMsgs.notFound}
	}
	return t.execOne(ctx, "delete token", tokenMsgs,
		`DELETE FROM tokens WHERE id = $1 AND `+col+` = $2`, id, owner.ID)
}

// GetTokenByID returns the token id, whoever owns it; ENOTFOUND.
func (t *tx) GetTokenByID(ctx context.Context, id string) (*keyhold.Token, error) {
	k, err := scanToken(t.tx.QueryRowContext(ctx,
		`SELECT `+tokenCols+` FROM tokens k WHERE k.id = $1`, id))
	if err != nil {
		return nil, t.translate("get token by id", err, tokenMsgs)
	}
	return k, nil
}

// MarkExpiredTokens marks and returns up to limit unrevoked tokens that
// expired at or before now and that no earlier call returned, soonest
// expired first. A revoked token is never returned: its state stays
// REVOKED. limit must be positive.
//
// Two callers never get the same token. On SQLite the write transaction
// already excludes every other writer. On PostgreSQL the subquery skips rows
// another transaction has locked, and the outer condition is checked again
// against the row's latest version, so a token marked by a transaction
// that committed meanwhile is left out.
func (t *tx) MarkExpiredTokens(ctx context.Context, now time.Time, limit int) ([]*keyhold.Token, error) {
	if limit < 1 {
		return nil, fmt.Errorf("mark expired tokens: limit %d is not positive", limit)
	}
	// SQLite's RETURNING takes no table alias, hence bare column names.
	rows, err := t.tx.QueryContext(ctx, `UPDATE tokens SET expiry_recorded = TRUE
		WHERE NOT expiry_recorded AND id IN (
			SELECT p.id FROM tokens p
			WHERE NOT p.expiry_recorded AND p.revoked_at IS NULL AND p.expires_at <= $1
			ORDER BY p.expires_at, p.id LIMIT $2`+t.d.skipLocked()+`)
		RETURNING `+strings.ReplaceAll(tokenCols, "k.", ""), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("mark expired tokens: %w", err)
	}
	defer rows.Close()
	tokens := []*keyhold.Token{}
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("mark expired tokens: %w", err)
		}
		tokens = append(tokens, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mark expired tokens: %w", err)
	}
	// RETURNING has no order.
	slices.SortFunc(tokens, func(a, b *keyhold.Token) int {
		if c := a.ExpiresAt.Compare(*b.ExpiresAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return tokens, nil
}
