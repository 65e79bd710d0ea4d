package keyhold

import (
	"context"
	"time"
)

// TokenPolicy is the organization's rule for token lifetimes.
type TokenPolicy struct {
	// MaxLifetime bounds every token's lifetime; default 365 days.
	MaxLifetime time.Duration
	// DefaultLifetime applies when a system-account token is created
	// without expires_at and without an intent; default 360 days, as
	// authentik uses.
	DefaultLifetime time.Duration
	// AllowNonExpiring lets a request ask for a token that never expires,
	// with "expires_at": null; default no.
	AllowNonExpiring bool
}

// DefaultTokenPolicy is the policy of an organization that never set one.
var DefaultTokenPolicy = TokenPolicy{MaxLifetime: 365 * 24 * time.Hour, DefaultLifetime: 360 * 24 * time.Hour}

// Token intents, as authentik has them: the default lifetime of a token
// created for that purpose, within the policy.
const (
	IntentAPI         = "api"          // 30 minutes
	IntentAppPassword = "app_password" // one year
)

// IntentLifetime is the lifetime an intent asks for, before the policy's
// maximum; ok is false for an unknown intent.
func IntentLifetime(intent string) (d time.Duration, ok bool) {
	switch intent {
	case IntentAPI:
		return 30 * time.Minute, true
	case IntentAppPassword:
		return 365 * 24 * time.Hour, true
	}
	return 0, false
}

// PolicyService reads and changes the token policy.
type PolicyService interface {
	// TokenPolicy returns the organization's policy.
	TokenPolicy(ctx context.Context) (*TokenPolicy, error)
	// SetTokenPolicy replaces it. EINVALID, EFORBIDDEN.
	SetTokenPolicy(ctx context.Context, p TokenPolicy) (*TokenPolicy, error)
}
