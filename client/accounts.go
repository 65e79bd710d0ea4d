package client

import (
	"context"
	"time"
)

// ListSystemAccounts lists system accounts; filters: name and description
// (eq, contains), konnect_managed, disabled.
func (c *Client) ListSystemAccounts(ctx context.Context, o ListOptions) ([]SystemAccount, error) {
	return collect[SystemAccount](ctx, c, "/v3/system-accounts", o)
}

// GetSystemAccount reads one system account by id.
func (c *Client) GetSystemAccount(ctx context.Context, id string) (*SystemAccount, error) {
	var a SystemAccount
	return &a, c.do(ctx, "GET", pathf("/v3/system-accounts/%s", id), nil, nil, &a)
}

// CreateSystemAccount creates a system account.
func (c *Client) CreateSystemAccount(ctx context.Context, in SystemAccountCreate) (*SystemAccount, error) {
	var a SystemAccount
	return &a, c.do(ctx, "POST", "/v3/system-accounts", nil, in, &a)
}

// UpdateSystemAccount renames or redescribes a system account.
func (c *Client) UpdateSystemAccount(ctx context.Context, id string, in SystemAccountUpdate) (*SystemAccount, error) {
	var a SystemAccount
	return &a, c.do(ctx, "PATCH", pathf("/v3/system-accounts/%s", id), nil, in, &a)
}

// DeleteSystemAccount deletes a system account with its tokens and roles.
func (c *Client) DeleteSystemAccount(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", pathf("/v3/system-accounts/%s", id), nil, nil, nil)
}

// SetSystemAccountDisabled disables (refusing all its tokens) or enables
// a system account.
func (c *Client) SetSystemAccountDisabled(ctx context.Context, id string, disabled bool) (*SystemAccount, error) {
	verb := "enable"
	if disabled {
		verb = "disable"
	}
	var a SystemAccount
	return &a, c.do(ctx, "POST", pathf("/v3/system-accounts/%s/", id)+verb, nil, nil, &a)
}

// ListAccessTokens lists an account's tokens; filter: name (eq, contains).
func (c *Client) ListAccessTokens(ctx context.Context, accountID string, o ListOptions) ([]AccessToken, error) {
	return collect[AccessToken](ctx, c, pathf("/v3/system-accounts/%s/access-tokens", accountID), o)
}

// GetAccessToken reads one token of an account.
func (c *Client) GetAccessToken(ctx context.Context, accountID, tokenID string) (*AccessToken, error) {
	var t AccessToken
	return &t, c.do(ctx, "GET", pathf("/v3/system-accounts/%s/access-tokens/%s", accountID, tokenID), nil, nil, &t)
}

// AccessTokenCreate is the body of a token create. ExpiresAt nil lets the
// server's token policy choose; NeverExpires asks for a token without expiry.
type AccessTokenCreate struct {
	Name         string
	ExpiresAt    *time.Time
	NeverExpires bool
	Intent       string
	Scope        []Permission
	AllowedCIDRs []string
	// AutoRotate asks for a successor before expiry, delivered by the
	// account's token.auto_rotated webhook.
	AutoRotate bool
}

// CreateAccessToken mints a token; its value is in the answer's Token.
func (c *Client) CreateAccessToken(ctx context.Context, accountID string, in AccessTokenCreate) (*AccessTokenCreated, error) {
	body := map[string]any{"name": in.Name}
	switch {
	case in.NeverExpires:
		body["expires_at"] = nil
	case in.ExpiresAt != nil:
		body["expires_at"] = in.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if in.Intent != "" {
		body["intent"] = in.Intent
	}
	if len(in.Scope) > 0 {
		body["scope"] = in.Scope
	}
	if len(in.AllowedCIDRs) > 0 {
		body["allowed_cidrs"] = in.AllowedCIDRs
	}
	if in.AutoRotate {
		body["auto_rotate"] = true
	}
	var t AccessTokenCreated
	return &t, c.do(ctx, "POST", pathf("/v3/system-accounts/%s/access-tokens", accountID), nil, body, &t)
}

// RenameAccessToken renames a token.
func (c *Client) RenameAccessToken(ctx context.Context, accountID, tokenID, name string) (*AccessToken, error) {
	var t AccessToken
	return &t, c.do(ctx, "PATCH", pathf("/v3/system-accounts/%s/access-tokens/%s", accountID, tokenID), nil, map[string]string{"name": name}, &t)
}

// DeleteAccessToken revokes and deletes a token.
func (c *Client) DeleteAccessToken(ctx context.Context, accountID, tokenID string) error {
	return c.do(ctx, "DELETE", pathf("/v3/system-accounts/%s/access-tokens/%s", accountID, tokenID), nil, nil, nil)
}

// RotateAccessToken mints a successor of a token (value in Token); the
// predecessor keeps working during the overlap.
func (c *Client) RotateAccessToken(ctx context.Context, accountID, tokenID string, in TokenRotate) (*AccessTokenCreated, error) {
	var t AccessTokenCreated
	return &t, c.do(ctx, "POST", pathf("/v3/system-accounts/%s/access-tokens/%s/rotate", accountID, tokenID), nil, in, &t)
}

// ListExpiringTokens lists unrevoked tokens of every kind expiring within
// days, soonest first.
func (c *Client) ListExpiringTokens(ctx context.Context, days int, o ListOptions) ([]ExpiringToken, error) {
	o = o.with("within_days", days)
	return collect[ExpiringToken](ctx, c, "/v1/tokens/expiring", o)
}

// ListAccountTeams lists the teams an account belongs to.
func (c *Client) ListAccountTeams(ctx context.Context, accountID string, o ListOptions) ([]Team, error) {
	return collect[Team](ctx, c, pathf("/v3/system-accounts/%s/teams", accountID), o)
}
