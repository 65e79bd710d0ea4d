package client

import (
	"context"
	"time"
)

// ListUsers lists users; filters: id (eq), email and full_name (eq,
// contains), active.
func (c *Client) ListUsers(ctx context.Context, o ListOptions) ([]User, error) {
	return collect[User](ctx, c, "/v3/users", o)
}

// GetUser reads one user; id "me" is the caller (personal tokens only).
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	var u User
	return &u, c.do(ctx, "GET", pathf("/v3/users/%s", id), nil, nil, &u)
}

// CreateUser creates an active user.
func (c *Client) CreateUser(ctx context.Context, in UserCreate) (*User, error) {
	var u User
	return &u, c.do(ctx, "POST", "/v3/users", nil, in, &u)
}

// InviteUser invites a user by email; the user is inactive until accepted.
func (c *Client) InviteUser(ctx context.Context, email string) error {
	return c.do(ctx, "POST", "/v3/invites", nil, map[string]string{"email": email}, nil)
}

// IssueSetupLink creates a one-time password setup link for a user: an
// invited user accepts the invitation with it, an active one resets their
// password (keyhold's extension).
func (c *Client) IssueSetupLink(ctx context.Context, id string) (*SetupLink, error) {
	var l SetupLink
	return &l, c.do(ctx, "POST", pathf("/v3/users/%s/setup-link", id), nil, nil, &l)
}

// UpdateUser changes a user.
func (c *Client) UpdateUser(ctx context.Context, id string, in UserUpdate) (*User, error) {
	var u User
	return &u, c.do(ctx, "PATCH", pathf("/v3/users/%s", id), nil, in, &u)
}

// DeleteUser deletes a user.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", pathf("/v3/users/%s", id), nil, nil, nil)
}

// ListUserTeams lists the teams of a user.
func (c *Client) ListUserTeams(ctx context.Context, userID string, o ListOptions) ([]Team, error) {
	return collect[Team](ctx, c, pathf("/v3/users/%s/teams", userID), o)
}

// ListPersonalAccessTokens lists a user's personal access tokens.
func (c *Client) ListPersonalAccessTokens(ctx context.Context, userID string, o ListOptions) ([]PersonalAccessToken, error) {
	return collect[PersonalAccessToken](ctx, c, pathf("/v3/users/%s/access-tokens", userID), o)
}

// CreatePersonalAccessToken mints a personal token living ttl (1 to 365
// days); its value is in the answer's KonnectToken.
func (c *Client) CreatePersonalAccessToken(ctx context.Context, userID, name string, ttl time.Duration) (*PersonalAccessTokenCreated, error) {
	body := map[string]any{"name": name, "ttl_seconds": int64(ttl / time.Second)}
	var t PersonalAccessTokenCreated
	return &t, c.do(ctx, "POST", pathf("/v3/users/%s/access-tokens", userID), nil, body, &t)
}

// RevokePersonalAccessToken revokes a personal token, keeping it listed.
func (c *Client) RevokePersonalAccessToken(ctx context.Context, userID, tokenID string) (*PersonalAccessToken, error) {
	var t PersonalAccessToken
	return &t, c.do(ctx, "PATCH", pathf("/v3/users/%s/access-tokens/%s/revoke", userID, tokenID), nil, nil, &t)
}

// DeletePersonalAccessToken deletes a personal token.
func (c *Client) DeletePersonalAccessToken(ctx context.Context, userID, tokenID string) error {
	return c.do(ctx, "DELETE", pathf("/v3/users/%s/access-tokens/%s", userID, tokenID), nil, nil, nil)
}
