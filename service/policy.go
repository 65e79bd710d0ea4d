package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// Bounds of a token policy.
const (
	minPolicyLifetime = time.Hour
	maxPolicyLifetime = 10 * 365 * 24 * time.Hour
)

// TokenPolicy implements keyhold.PolicyService.
func (s *Policy) TokenPolicy(ctx context.Context) (*keyhold.TokenPolicy, error) {
	if err := s.authorize(ctx, "TokenPolicy", false); err != nil {
		return nil, err
	}
	var p *keyhold.TokenPolicy
	err := s.read(ctx, func(tx storage.Tx) (err error) { p, err = tx.Org().GetTokenPolicy(ctx); return err })
	return p, err
}

// SetTokenPolicy implements keyhold.PolicyService. Existing tokens keep
// their expiry; the policy applies to tokens created afterwards.
func (s *Policy) SetTokenPolicy(ctx context.Context, p keyhold.TokenPolicy) (_ *keyhold.TokenPolicy, err error) {
	defer s.denied(ctx, "token_policy.updated", &err)
	if err = s.authorize(ctx, "SetTokenPolicy", false); err != nil {
		return nil, err
	}
	var c checker
	switch {
	case p.MaxLifetime < minPolicyLifetime:
		c.add(keyhold.FieldError{Field: "max_lifetime_seconds", Reason: "must be at least an hour", Rule: "min", Minimum: keyhold.Int64(int64(minPolicyLifetime.Seconds()))})
	case p.MaxLifetime > maxPolicyLifetime:
		c.add(keyhold.FieldError{Field: "max_lifetime_seconds", Reason: "must be at most ten years", Rule: "max", Maximum: keyhold.Int64(int64(maxPolicyLifetime.Seconds()))})
	}
	if p.DefaultLifetime < time.Minute || p.DefaultLifetime > p.MaxLifetime {
		c.add(keyhold.FieldError{Field: "default_lifetime_seconds", Reason: "must be at least a minute and at most the maximum lifetime", Rule: "max", Maximum: keyhold.Int64(int64(p.MaxLifetime.Seconds()))})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	p.MaxLifetime, p.DefaultLifetime = p.MaxLifetime.Truncate(time.Second), p.DefaultLifetime.Truncate(time.Second)
	ev := s.audit(ctx, "token_policy.updated", "organization", "", "token policy")
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		old, err := tx.Org().GetTokenPolicy(ctx)
		if err != nil {
			return err
		}
		// The lifetimes in seconds, as the API reads and writes them.
		ev.Changes = keyhold.Changes{}.
			Add("max_lifetime_seconds", int64(old.MaxLifetime/time.Second), int64(p.MaxLifetime/time.Second)).
			Add("default_lifetime_seconds", int64(old.DefaultLifetime/time.Second), int64(p.DefaultLifetime/time.Second)).
			Add("allow_non_expiring", old.AllowNonExpiring, p.AllowNonExpiring)
		return tx.Org().SetTokenPolicy(ctx, &p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
