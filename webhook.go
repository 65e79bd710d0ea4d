package keyhold

import (
	"context"
	"time"
)

// Webhook event types. Each destination subscribes to some of them.
const (
	EventTokenExpiring    = "token.expiring"
	EventTokenExpired     = "token.expired"
	EventTokenRotated     = "token.rotated"
	EventTokenRevoked     = "token.revoked"
	EventTokenLeaked      = "token.leaked"
	EventTokenAutoRotated = "token.auto_rotated"
	EventAccountDisabled  = "account.disabled"
	EventAccountDeleted   = "account.deleted"
	// EventAuditCheckpoint carries each new signed checkpoint of the audit
	// log, so that it can be kept outside keyhold (a witness).
	EventAuditCheckpoint = "audit.checkpoint"
	// EventWebhookTest is sent by the test call only; nobody subscribes.
	EventWebhookTest = "webhook.test"
)

// EventTypes lists the event types a destination may subscribe to.
var EventTypes = []string{EventTokenExpiring, EventTokenExpired, EventTokenRotated, EventTokenRevoked,
	EventTokenLeaked, EventTokenAutoRotated, EventAccountDisabled, EventAccountDeleted, EventAuditCheckpoint}

// WebhookDestination is a URL that receives signed events. Its signing
// secret is never part of it: the server keeps it encrypted, and shows it
// once, when it is generated.
type WebhookDestination struct {
	ID         string
	Name       string
	URL        string
	EventTypes []string
	// SystemAccountID limits the destination to events about one account;
	// "" for every event of its types.
	SystemAccountID string
	Enabled         bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Subscribes reports whether the destination receives events of type
// eventType about the account accountID ("" for events about no account).
func (d *WebhookDestination) Subscribes(eventType, accountID string) bool {
	if !d.Enabled || (d.SystemAccountID != "" && d.SystemAccountID != accountID) {
		return false
	}
	for _, t := range d.EventTypes {
		if t == eventType {
			return true
		}
	}
	return false
}

// WebhookDestinationWithSecret is a destination with its signing secret, as
// the create and rotate-secret calls return it, once.
type WebhookDestinationWithSecret struct {
	WebhookDestination
	Secret string
}

// WebhookCreate is the input of CreateWebhook.
type WebhookCreate struct {
	Name            string
	URL             string
	EventTypes      []string
	SystemAccountID string
	// Enabled defaults to true.
	Enabled *bool
}

// WebhookUpdate is the input of UpdateWebhook; nil leaves a field as is.
type WebhookUpdate struct {
	Name       *string
	URL        *string
	EventTypes *[]string
	// SystemAccountID set to "" removes the account filter.
	SystemAccountID *string
	Enabled         *bool
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event on its way to one destination, with the
// outcome of its attempts.
type WebhookDelivery struct {
	ID            string
	DestinationID string
	EventID       string
	EventType     string
	// Payload is the JSON body, without any token value: the value of a
	// token.auto_rotated event is minted at each attempt and never stored.
	Payload []byte
	// TokenID is the token an auto-rotation delivery rotates.
	TokenID    string
	AccountID  string
	Status     string
	Attempts   int
	LastStatus *int
	LastError  string
	// ResponseExcerpt is the start of the last response body, cut short.
	ResponseExcerpt string
	NextAttemptAt   *time.Time
	DeliveredAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// WebhookService manages webhook destinations and shows their delivery
// logs. Every method needs identity write, except reads (identity read).
type WebhookService interface {
	// ListWebhooks returns a page of destinations. EINVALID, EFORBIDDEN.
	ListWebhooks(ctx context.Context, p Page) (*List[*WebhookDestination], error)
	// CreateWebhook creates a destination with a new signing secret, shown
	// in the result only. EINVALID, ENOTFOUND (account), ECONFLICT (no
	// secret key configured), EFORBIDDEN.
	CreateWebhook(ctx context.Context, in WebhookCreate) (*WebhookDestinationWithSecret, error)
	// GetWebhook returns a destination. ENOTFOUND.
	GetWebhook(ctx context.Context, id string) (*WebhookDestination, error)
	// UpdateWebhook changes a destination. EINVALID, ENOTFOUND, EFORBIDDEN.
	UpdateWebhook(ctx context.Context, id string, in WebhookUpdate) (*WebhookDestination, error)
	// DeleteWebhook deletes a destination with its delivery log. ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error
	// RotateWebhookSecret replaces the signing secret, shown in the result
	// only. ENOTFOUND, ECONFLICT (no secret key configured).
	RotateWebhookSecret(ctx context.Context, id string) (*WebhookDestinationWithSecret, error)
	// TestWebhook queues a webhook.test event to the destination. ENOTFOUND.
	TestWebhook(ctx context.Context, id string) (*WebhookDelivery, error)
	// ListWebhookDeliveries returns a page of a destination's deliveries,
	// newest first. ENOTFOUND.
	ListWebhookDeliveries(ctx context.Context, id string, p Page) (*List[*WebhookDelivery], error)
	// RedeliverWebhook queues a delivery again, with fresh attempts.
	// ENOTFOUND, ECONFLICT (still pending).
	RedeliverWebhook(ctx context.Context, id, deliveryID string) (*WebhookDelivery, error)
}
