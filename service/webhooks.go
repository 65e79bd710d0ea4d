package service

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

const (
	targetWebhook = "webhook"
	maxURLLen     = 2048
)

// errNoSecretKey answers calls that would need to seal a signing secret on
// a server started without a key.
var errNoSecretKey = keyhold.Errorf(keyhold.ECONFLICT,
	"Webhook signing secrets are kept encrypted, and this server has no key for them: start keyhold with --secret-key-file (KEYHOLD_SECRET_KEY_FILE)")

// ListWebhooks implements keyhold.WebhookService.
func (s *Webhooks) ListWebhooks(ctx context.Context, p keyhold.Page) (*keyhold.List[*keyhold.WebhookDestination], error) {
	if err := s.authorize(ctx, "ListWebhooks", false); err != nil {
		return nil, err
	}
	var items []*keyhold.WebhookDestination
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) { items, total, err = tx.Webhooks().ListWebhooks(ctx, p); return err })
	if err != nil {
		return nil, err
	}
	return listOf(items, total, p), nil
}

// CreateWebhook implements keyhold.WebhookService.
func (s *Webhooks) CreateWebhook(ctx context.Context, in keyhold.WebhookCreate) (_ *keyhold.WebhookDestinationWithSecret, err error) {
	defer s.denied(ctx, "webhook.created", &err)
	if err = s.authorize(ctx, "CreateWebhook", false); err != nil {
		return nil, err
	}
	now := s.clock()
	d := &keyhold.WebhookDestination{ID: newID(), Name: in.Name, URL: in.URL, EventTypes: in.EventTypes,
		SystemAccountID: in.SystemAccountID, Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: now, UpdatedAt: now}
	if err := s.checkWebhook(d); err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, errNoSecretKey
	}
	secret, raw, err := newSigningSecret()
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.seal(raw, d.ID)
	if err != nil {
		return nil, err
	}
	ev := s.audit(ctx, "webhook.created", targetWebhook, d.ID, d.Name)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if d.SystemAccountID != "" {
			if err := accountExists(ctx, tx, d.SystemAccountID); err != nil {
				return err
			}
		}
		if err := s.mayReceiveSuccessors(ctx, tx, d); err != nil {
			return err
		}
		return tx.Webhooks().CreateWebhook(ctx, d, sealed)
	})
	if err != nil {
		return nil, err
	}
	return &keyhold.WebhookDestinationWithSecret{WebhookDestination: *d, Secret: secret}, nil
}

// checkWebhook validates a destination as it is to be stored.
func (s *core) checkWebhook(d *keyhold.WebhookDestination) error {
	var c checker
	c.name("name", d.Name, 1)
	if reason := s.egress.checkURL(d.URL); reason != "" {
		c.add(keyhold.FieldError{Field: "url", Reason: reason, Rule: "invalid"})
	}
	if len(d.EventTypes) == 0 {
		c.add(keyhold.FieldError{Field: "event_types", Reason: "must name at least one event type", Rule: "min_items", Minimum: keyhold.Int64(1)})
	}
	seen := map[string]bool{}
	for _, t := range d.EventTypes {
		if !slices.Contains(keyhold.EventTypes, t) || seen[t] {
			c.add(keyhold.FieldError{Field: "event_types", Reason: "must be distinct known event types", Rule: "enum", Choices: keyhold.EventTypes})
			break
		}
		seen[t] = true
	}
	if d.SystemAccountID != "" && validID("system_account_id", d.SystemAccountID) != nil {
		c.add(keyhold.FieldError{Field: "system_account_id", Reason: "invalid ID format", Rule: "is_uuid"})
	}
	// A token value goes only where an account's owner pointed it.
	if seen[keyhold.EventTokenAutoRotated] && d.SystemAccountID == "" {
		c.add(keyhold.FieldError{Field: "system_account_id", Reason: "is required to receive token.auto_rotated, which carries token values", Rule: "required"})
	}
	return c.err()
}

// checkURL returns why u is not an acceptable destination URL, or "". A
// host that is an address is checked against the policy here; a name is
// checked on each delivery, once resolved.
func (pol egressPolicy) checkURL(u string) string {
	if len(u) > maxURLLen {
		return "is too long"
	}
	p, err := url.Parse(u)
	switch {
	case err != nil || strings.ContainsAny(u, " \t\r\n\x00"):
		return "must be an absolute http or https URL"
	case p.Scheme != "http" && p.Scheme != "https":
		return "must use http or https"
	case p.Host == "" || p.Hostname() == "":
		return "must name a host"
	case p.Fragment != "":
		return "must not have a fragment"
	}
	if a, err := netip.ParseAddr(strings.Trim(p.Hostname(), "[]")); err == nil && pol.refuses(a) {
		return "is not a public address; keyhold delivers there only if --webhook-allow-networks names its network"
	}
	return ""
}

// GetWebhook implements keyhold.WebhookService.
func (s *Webhooks) GetWebhook(ctx context.Context, id string) (*keyhold.WebhookDestination, error) {
	if err := s.authorize(ctx, "GetWebhook", false); err != nil {
		return nil, err
	}
	if err := validID("webhookId", id); err != nil {
		return nil, err
	}
	var d *keyhold.WebhookDestination
	err := s.read(ctx, func(tx storage.Tx) (err error) { d, _, err = tx.Webhooks().GetWebhook(ctx, id); return err })
	return d, err
}

// UpdateWebhook implements keyhold.WebhookService.
func (s *Webhooks) UpdateWebhook(ctx context.Context, id string, in keyhold.WebhookUpdate) (_ *keyhold.WebhookDestination, err error) {
	defer s.denied(ctx, "webhook.updated", &err)
	if err = s.authorize(ctx, "UpdateWebhook", false); err != nil {
		return nil, err
	}
	if err := validID("webhookId", id); err != nil {
		return nil, err
	}
	var d *keyhold.WebhookDestination
	ev := s.audit(ctx, "webhook.updated", targetWebhook, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if d, _, err = tx.Webhooks().GetWebhook(ctx, id); err != nil {
			return err
		}
		before := *d
		set(&d.Name, in.Name)
		set(&d.URL, in.URL)
		set(&d.EventTypes, in.EventTypes)
		set(&d.SystemAccountID, in.SystemAccountID)
		set(&d.Enabled, in.Enabled)
		if err := s.checkWebhook(d); err != nil {
			return err
		}
		if in.SystemAccountID != nil && d.SystemAccountID != "" {
			if err := accountExists(ctx, tx, d.SystemAccountID); err != nil {
				return err
			}
		}
		// A new address, account, subscription or a re-enabled destination
		// sends successor values where they did not go before.
		if in.URL != nil || in.SystemAccountID != nil || in.EventTypes != nil || in.Enabled != nil {
			if err := s.mayReceiveSuccessors(ctx, tx, d); err != nil {
				return err
			}
		}
		d.UpdatedAt, ev.TargetName = s.clock(), d.Name
		ev.Changes = keyhold.Changes{}.Add("name", before.Name, d.Name).Add("url", before.URL, d.URL).
			Add("event_types", before.EventTypes, d.EventTypes).Add("system_account_id", before.SystemAccountID, d.SystemAccountID).
			Add("enabled", before.Enabled, d.Enabled)
		return tx.Webhooks().UpdateWebhook(ctx, d, nil)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// mayReceiveSuccessors checks a destination that receives token.auto_rotated:
// each delivery carries a new value of a token of its account, so the
// caller must hold every privilege of the account, and must not be the
// account itself.
func (s *core) mayReceiveSuccessors(ctx context.Context, tx storage.Tx, d *keyhold.WebhookDestination) error {
	if !d.Enabled || d.SystemAccountID == "" || !slices.Contains(d.EventTypes, keyhold.EventTokenAutoRotated) {
		return nil
	}
	account := keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: d.SystemAccountID}
	if err := notSelfMinting(ctx, account); err != nil {
		return err
	}
	return s.mayActAs(ctx, tx, account, "Receiving its auto-rotated tokens")
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// DeleteWebhook implements keyhold.WebhookService.
func (s *Webhooks) DeleteWebhook(ctx context.Context, id string) (err error) {
	defer s.denied(ctx, "webhook.deleted", &err)
	if err = s.authorize(ctx, "DeleteWebhook", false); err != nil {
		return err
	}
	if err := validID("webhookId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "webhook.deleted", targetWebhook, id, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		d, _, err := tx.Webhooks().GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		ev.TargetName = d.Name
		return tx.Webhooks().DeleteWebhook(ctx, id)
	})
}

// RotateWebhookSecret implements keyhold.WebhookService. The old secret
// stops signing at once; Standard Webhooks receivers may accept both while
// they switch.
func (s *Webhooks) RotateWebhookSecret(ctx context.Context, id string) (_ *keyhold.WebhookDestinationWithSecret, err error) {
	defer s.denied(ctx, "webhook.secret_rotated", &err)
	if err = s.authorize(ctx, "RotateWebhookSecret", false); err != nil {
		return nil, err
	}
	if err := validID("webhookId", id); err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, errNoSecretKey
	}
	secret, raw, err := newSigningSecret()
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.seal(raw, id)
	if err != nil {
		return nil, err
	}
	var d *keyhold.WebhookDestination
	ev := s.audit(ctx, "webhook.secret_rotated", targetWebhook, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if d, _, err = tx.Webhooks().GetWebhook(ctx, id); err != nil {
			return err
		}
		d.UpdatedAt, ev.TargetName = s.clock(), d.Name
		ev.Changes = keyhold.Changes{"signing_secret": keyhold.SecretChanged()}
		return tx.Webhooks().UpdateWebhook(ctx, d, sealed)
	})
	if err != nil {
		return nil, err
	}
	return &keyhold.WebhookDestinationWithSecret{WebhookDestination: *d, Secret: secret}, nil
}

// TestWebhook implements keyhold.WebhookService: a webhook.test event to
// this destination alone, whatever it subscribes to.
func (s *Webhooks) TestWebhook(ctx context.Context, id string) (_ *keyhold.WebhookDelivery, err error) {
	defer s.denied(ctx, "webhook.tested", &err)
	if err = s.authorize(ctx, "TestWebhook", false); err != nil {
		return nil, err
	}
	if err := validID("webhookId", id); err != nil {
		return nil, err
	}
	var del *keyhold.WebhookDelivery
	ev := s.audit(ctx, "webhook.tested", targetWebhook, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		d, _, err := tx.Webhooks().GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		ev.TargetName = d.Name
		e, err := s.newEvent(keyhold.EventWebhookTest, map[string]any{"webhook_id": d.ID, "webhook_name": d.Name})
		if err != nil {
			return err
		}
		del = s.newDelivery(d.ID, e, "", "")
		return tx.Deliveries().AppendDelivery(ctx, del)
	})
	if err != nil {
		return nil, err
	}
	return del, nil
}

// ListWebhookDeliveries implements keyhold.WebhookService.
func (s *Webhooks) ListWebhookDeliveries(ctx context.Context, id string, p keyhold.Page) (*keyhold.List[*keyhold.WebhookDelivery], error) {
	if err := s.authorize(ctx, "ListWebhookDeliveries", false); err != nil {
		return nil, err
	}
	if err := validID("webhookId", id); err != nil {
		return nil, err
	}
	var items []*keyhold.WebhookDelivery
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if _, _, err = tx.Webhooks().GetWebhook(ctx, id); err != nil {
			return err
		}
		items, total, err = tx.Deliveries().ListDeliveries(ctx, id, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, p), nil
}

// RedeliverWebhook implements keyhold.WebhookService. An auto-rotation
// delivery redelivered mints a fresh successor again, if its token is
// still active.
func (s *Webhooks) RedeliverWebhook(ctx context.Context, id, deliveryID string) (_ *keyhold.WebhookDelivery, err error) {
	defer s.denied(ctx, "webhook.redelivered", &err)
	if err = s.authorize(ctx, "RedeliverWebhook", false); err != nil {
		return nil, err
	}
	if err := validIDs("webhookId", id, "deliveryId", deliveryID); err != nil {
		return nil, err
	}
	var d *keyhold.WebhookDelivery
	ev := s.audit(ctx, "webhook.redelivered", targetWebhook, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		w, _, err := tx.Webhooks().GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		ev.TargetName = w.Name
		if d, err = tx.Deliveries().GetDelivery(ctx, id, deliveryID); err != nil {
			return err
		}
		if d.Status == keyhold.DeliveryPending {
			return keyhold.Errorf(keyhold.ECONFLICT, "The delivery is still pending")
		}
		// Each attempt of an auto-rotation mints a fresh successor.
		if d.EventType == keyhold.EventTokenAutoRotated && d.AccountID != "" {
			if err := s.mayActAs(ctx, tx, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: d.AccountID}, "Redelivering its auto-rotated token"); err != nil {
				return err
			}
		}
		now := s.clock()
		d.Status, d.Attempts, d.NextAttemptAt, d.DeliveredAt, d.UpdatedAt = keyhold.DeliveryPending, 0, &now, nil, now
		return tx.Deliveries().RequeueDelivery(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
