package client

import "context"

// WhoAmI names the principal behind the client's token.
func (c *Client) WhoAmI(ctx context.Context) (*WhoAmI, error) {
	var w WhoAmI
	return &w, c.do(ctx, "GET", "/v1/whoami", nil, nil, &w)
}

// ListAuditEvents lists audit events, newest first; filters: actor_id,
// actor_name, action, target_id, target_type, outcome (eq), occurred_at
// (gte, lt).
func (c *Client) ListAuditEvents(ctx context.Context, o ListOptions) ([]AuditEvent, error) {
	return collect[AuditEvent](ctx, c, "/v3/audit-events", o)
}

// GetTokenPolicy reads the token policy.
func (c *Client) GetTokenPolicy(ctx context.Context) (*TokenPolicy, error) {
	var p TokenPolicy
	return &p, c.do(ctx, "GET", "/v1/token-policy", nil, nil, &p)
}

// SetTokenPolicy replaces the token policy.
func (c *Client) SetTokenPolicy(ctx context.Context, p TokenPolicy) (*TokenPolicy, error) {
	var out TokenPolicy
	return &out, c.do(ctx, "PUT", "/v1/token-policy", nil, p, &out)
}

// ReportLeak reports token values found where they should not be; every
// live one is revoked. At most 1000 values per call. No token is needed.
func (c *Client) ReportLeak(ctx context.Context, values []string, source string) (*LeakReport, error) {
	body := map[string]any{"tokens": values}
	if source != "" {
		body["source"] = source
	}
	var r LeakReport
	return &r, c.do(ctx, "POST", "/v1/leak-reports", nil, body, &r)
}
