package client

import (
	"context"
	"fmt"
)

// Principal kinds that hold roles.
const (
	KindSystemAccount = "system-accounts"
	KindTeam          = "teams"
	KindUser          = "users"
)

// GetRoles returns the roles catalogue.
func (c *Client) GetRoles(ctx context.Context) (RoleCatalogue, error) {
	var rc RoleCatalogue
	return rc, c.do(ctx, "GET", "/v3/roles", nil, nil, &rc)
}

func rolesPath(kind, id string) (string, error) {
	switch kind {
	case KindSystemAccount, KindTeam, KindUser:
		return pathf("/v3/"+kind+"/%s/assigned-roles", id), nil
	}
	return "", fmt.Errorf("roles: unknown principal kind %q", kind)
}

// ListAssignedRoles lists the roles of an account, team or user (kind is
// KindSystemAccount, KindTeam or KindUser). The list is not paged.
func (c *Client) ListAssignedRoles(ctx context.Context, kind, id string) ([]AssignedRole, error) {
	p, err := rolesPath(kind, id)
	if err != nil {
		return nil, err
	}
	var body page[AssignedRole]
	if err := c.do(ctx, "GET", p, nil, nil, &body); err != nil {
		return nil, err
	}
	if body.Data == nil {
		body.Data = []AssignedRole{}
	}
	return body.Data, nil
}

// AssignRole gives a role to an account, team or user.
func (c *Client) AssignRole(ctx context.Context, kind, id string, p Permission) (*AssignedRole, error) {
	path, err := rolesPath(kind, id)
	if err != nil {
		return nil, err
	}
	var r AssignedRole
	return &r, c.do(ctx, "POST", path, nil, p, &r)
}

// UnassignRole removes an assignment by its id (AssignedRole.ID).
func (c *Client) UnassignRole(ctx context.Context, kind, id, assignmentID string) error {
	path, err := rolesPath(kind, id)
	if err != nil {
		return err
	}
	return c.do(ctx, "DELETE", path+pathf("/%s", assignmentID), nil, nil, nil)
}
