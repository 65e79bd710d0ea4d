package store

import (
	"context"
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
