package client

import "context"

// WebhookCreate is the input of CreateWebhook.
type WebhookCreate struct {
	Name            string   `json:"name"`
	URL             string   `json:"url"`
	EventTypes      []string `json:"event_types"`
	SystemAccountID string   `json:"system_account_id,omitempty"`
	Disabled        bool     `json:"-"`
}

// ListWebhooks lists the webhook destinations.
func (c *Client) ListWebhooks(ctx context.Context, o ListOptions) ([]Webhook, error) {
	return collect[Webhook](ctx, c, "/v1/webhooks", o)
}

// GetWebhook reads one destination.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	return &w, c.do(ctx, "GET", pathf("/v1/webhooks/%s", id), nil, nil, &w)
}

// CreateWebhook creates a destination; the answer carries its signing
// secret, shown only this once.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookCreate) (*WebhookWithSecret, error) {
	body := map[string]any{"name": in.Name, "url": in.URL, "event_types": in.EventTypes, "enabled": !in.Disabled}
	if in.SystemAccountID != "" {
		body["system_account_id"] = in.SystemAccountID
	}
	var w WebhookWithSecret
	return &w, c.do(ctx, "POST", "/v1/webhooks", nil, body, &w)
}

// UpdateWebhook changes the given fields of a destination (keys as in the
// API: name, url, event_types, system_account_id (nil removes the filter),
// enabled).
func (c *Client) UpdateWebhook(ctx context.Context, id string, fields map[string]any) (*Webhook, error) {
	var w Webhook
	return &w, c.do(ctx, "PATCH", pathf("/v1/webhooks/%s", id), nil, fields, &w)
}

// DeleteWebhook deletes a destination and its delivery log.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", pathf("/v1/webhooks/%s", id), nil, nil, nil)
}

// RotateWebhookSecret gives a destination a new signing secret, returned
// only this once.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (*WebhookWithSecret, error) {
	var w WebhookWithSecret
	return &w, c.do(ctx, "POST", pathf("/v1/webhooks/%s/rotate-secret", id), nil, nil, &w)
}

// TestWebhook queues a webhook.test event for a destination.
func (c *Client) TestWebhook(ctx context.Context, id string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	return &d, c.do(ctx, "POST", pathf("/v1/webhooks/%s/test", id), nil, nil, &d)
}

// ListWebhookDeliveries lists a destination's deliveries, newest first.
func (c *Client) ListWebhookDeliveries(ctx context.Context, id string, o ListOptions) ([]WebhookDelivery, error) {
	return collect[WebhookDelivery](ctx, c, pathf("/v1/webhooks/%s/deliveries", id), o)
}

// RedeliverWebhook makes a delivery pending again, with fresh attempts.
func (c *Client) RedeliverWebhook(ctx context.Context, id, deliveryID string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	return &d, c.do(ctx, "POST", pathf("/v1/webhooks/%s/deliveries/%s/redeliver", id, deliveryID), nil, nil, &d)
}
