package store

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
)

// GetTokenPolicy returns the organization's token policy; ENOTFOUND before
// bootstrap.
func (t *tx) GetTokenPolicy(ctx context.Context) (*keyhold.TokenPolicy, error) {
	var maxSec, defSec int64
	var p keyhold.TokenPolicy
	err := t.tx.QueryRowContext(ctx, `SELECT max_token_lifetime_seconds, default_token_lifetime_seconds,
		allow_non_expiring_tokens FROM organization`).Scan(&maxSec, &defSec, &p.AllowNonExpiring)
	if err != nil {
		return nil, t.translate("get token policy", err, orgMsgs)
	}
	p.MaxLifetime, p.DefaultLifetime = time.Duration(maxSec)*time.Second, time.Duration(defSec)*time.Second
	return &p, nil
}

// SetTokenPolicy writes the token policy; ENOTFOUND before bootstrap.
func (t *tx) SetTokenPolicy(ctx context.Context, p *keyhold.TokenPolicy) error {
	return t.execOne(ctx, "set token policy", orgMsgs, `UPDATE organization SET max_token_lifetime_seconds = $1,
		default_token_lifetime_seconds = $2, allow_non_expiring_tokens = $3`,
		int64(p.MaxLifetime/time.Second), int64(p.DefaultLifetime/time.Second), p.AllowNonExpiring)
}
