package client

import "context"

// ListTeams lists teams; filters: name (eq, contains), labels.<key>.
func (c *Client) ListTeams(ctx context.Context, o ListOptions) ([]Team, error) {
	return collect[Team](ctx, c, "/v3/teams", o)
}

// GetTeam reads one team.
func (c *Client) GetTeam(ctx context.Context, id string) (*Team, error) {
	var t Team
	return &t, c.do(ctx, "GET", pathf("/v3/teams/%s", id), nil, nil, &t)
}

// CreateTeam creates a team.
func (c *Client) CreateTeam(ctx context.Context, in TeamCreate) (*Team, error) {
	var t Team
	return &t, c.do(ctx, "POST", "/v3/teams", nil, in, &t)
}

// UpdateTeam changes a team.
func (c *Client) UpdateTeam(ctx context.Context, id string, in TeamUpdate) (*Team, error) {
	var t Team
	return &t, c.do(ctx, "PATCH", pathf("/v3/teams/%s", id), nil, in, &t)
}

// DeleteTeam deletes a team.
func (c *Client) DeleteTeam(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", pathf("/v3/teams/%s", id), nil, nil, nil)
}

// ListTeamSystemAccounts lists the accounts in a team.
func (c *Client) ListTeamSystemAccounts(ctx context.Context, teamID string, o ListOptions) ([]SystemAccount, error) {
	return collect[SystemAccount](ctx, c, pathf("/v3/teams/%s/system-accounts", teamID), o)
}

// ListTeamUsers lists the users in a team.
func (c *Client) ListTeamUsers(ctx context.Context, teamID string, o ListOptions) ([]User, error) {
	return collect[User](ctx, c, pathf("/v3/teams/%s/users", teamID), o)
}

// AddTeamMember adds an account (kind KindSystemAccount) or a user
// (KindUser) to a team.
func (c *Client) AddTeamMember(ctx context.Context, teamID, kind, memberID string) error {
	return c.do(ctx, "POST", pathf("/v3/teams/%s/", teamID)+memberKind(kind), nil, map[string]string{"id": memberID}, nil)
}

// RemoveTeamMember removes an account or a user from a team.
func (c *Client) RemoveTeamMember(ctx context.Context, teamID, kind, memberID string) error {
	return c.do(ctx, "DELETE", pathf("/v3/teams/%s/", teamID)+memberKind(kind)+pathf("/%s", memberID), nil, nil, nil)
}

func memberKind(kind string) string {
	if kind == KindUser {
		return "users"
	}
	return "system-accounts"
}
