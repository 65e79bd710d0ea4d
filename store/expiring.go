package store

import (
	"context"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
)

// ListExpiringTokens returns a page of unrevoked tokens of every owner that
// expire in (from, until], soonest first, with their owners' names.
func (t *tx) ListExpiringTokens(ctx context.Context, from, until time.Time, p keyhold.Page) ([]*keyhold.OwnedToken, int, error) {
	w := &where{}
	w.add("k.revoked_at IS NULL AND k.expires_at > %s AND k.expires_at <= %s", ts(from), ts(until))
	return list(ctx, t, listQuery{op: "list expiring tokens",
		cols: tokenCols + ", COALESCE(a.name, u.email, '')",
		from: "tokens k LEFT JOIN system_accounts a ON a.id = k.account_id LEFT JOIN users u ON u.id = k.user_id",
		w:    w, order: "k.expires_at, k.id", page: p}, scanOwnedToken)
}

func scanOwnedToken(s scanner, extra ...any) (*keyhold.OwnedToken, error) {
	var owner string
	k, err := scanToken(s, append([]any{&owner}, extra...)...)
	if err != nil {
		return nil, err
	}
	return &keyhold.OwnedToken{Token: *k, OwnerName: owner}, nil
}

// ListTokensSince returns up to limit unrevoked tokens, by id after
// afterID, that were created at or after since or whose successor was:
// what a restore to a point before since, or a compromise that began at
// since, calls into doubt.
func (t *tx) ListTokensSince(ctx context.Context, since time.Time, afterID string, limit int) ([]*keyhold.Token, error) {
	w := &where{}
	w.add("k.revoked_at IS NULL AND k.id > %s", afterID)
	w.add("(k.created_at >= %[1]s OR EXISTS (SELECT 1 FROM tokens s WHERE s.id = k.successor_id AND s.created_at >= %[1]s))", ts(since))
	q := `SELECT ` + tokenCols + ` FROM tokens k` + w.clause() + ` ORDER BY k.id LIMIT ` + w.arg(limit)
	rows, err := t.tx.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens since: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.Token
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens since: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
