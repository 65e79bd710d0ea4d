package service

import (
	"context"
	"slices"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// AuditExport manages where the audit trail is exported, in Konnect's
// shape: the audit-log destinations and the one audit-log webhook. Each
// receives every event appended after it was created or enabled, signed
// by the entry key (see DeliverAuditLogs).
type AuditExport struct{ *core }

var _ keyhold.AuditExportService = (*AuditExport)(nil)

const (
	targetAuditDestination = "audit_log_destination"
	targetAuditWebhook     = "audit_log_webhook"
	maxAuthorizationLen    = 4096
)

// ListAuditDestinations implements keyhold.AuditExportService.
func (s *AuditExport) ListAuditDestinations(ctx context.Context, f keyhold.AuditDestinationFilter) (*keyhold.List[*keyhold.AuditDestination], error) {
	if err := s.authorize(ctx, "ListAuditDestinations", false); err != nil {
		return nil, err
	}
	var items []*keyhold.AuditDestination
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		items, total, err = tx.AuditDestinations().ListAuditDestinations(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// GetAuditDestination implements keyhold.AuditExportService.
func (s *AuditExport) GetAuditDestination(ctx context.Context, id string) (*keyhold.AuditDestination, error) {
	if err := s.authorize(ctx, "GetAuditDestination", false); err != nil {
		return nil, err
	}
	if err := validID("auditLogDestinationId", id); err != nil {
		return nil, err
	}
	var d *keyhold.AuditDestination
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		d, _, err = tx.AuditDestinations().GetAuditDestination(ctx, id)
		return err
	})
	return d, err
}

// CreateAuditDestination implements keyhold.AuditExportService. The
// destination receives the events appended from now on.
func (s *AuditExport) CreateAuditDestination(ctx context.Context, in keyhold.AuditDestinationCreate) (_ *keyhold.AuditDestination, err error) {
	defer s.denied(ctx, "audit.destination_created", &err)
	if err = s.authorize(ctx, "CreateAuditDestination", false); err != nil {
		return nil, err
	}
	now := s.clock()
	d := &keyhold.AuditDestination{ID: newID(), Name: in.Name, Endpoint: in.Endpoint, LogFormat: in.LogFormat,
		SkipSSLVerification: in.SkipSSLVerification, Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: now, UpdatedAt: now}
	if d.LogFormat == "" {
		d.LogFormat = keyhold.AuditFormatCEF
	}
	if err := s.checkAuditDestination(d, &in.Authorization); err != nil {
		return nil, err
	}
	sealed, err := s.sealAuthorization(in.Authorization, d.ID)
	if err != nil {
		return nil, err
	}
	ev := s.audit(ctx, "audit.destination_created", targetAuditDestination, d.ID, d.Name)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		d.NextSeq = st.Size
		return tx.AuditDestinations().CreateAuditDestination(ctx, d, sealed)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// errNoAuthorizationKey answers calls that would need to seal an
// authorization value on a server started without a key.
var errNoAuthorizationKey = keyhold.Errorf(keyhold.ECONFLICT,
	"Audit-log destinations' authorization values are kept encrypted, and this server has no key for them: start keyhold with --secret-key-file (KEYHOLD_SECRET_KEY_FILE)")

// sealAuthorization seals an Authorization header value under the secret
// key, bound to the destination's id.
func (s *core) sealAuthorization(v, id string) ([]byte, error) {
	if s.sealer == nil {
		return nil, errNoAuthorizationKey
	}
	return s.sealer.seal([]byte(v), id)
}

// checkAuditDestination validates a destination as it is to be stored,
// and the Authorization value given, if any (never its content in the
// error: it is a secret).
func (s *core) checkAuditDestination(d *keyhold.AuditDestination, authorization *string) error {
	var c checker
	if !d.Webhook {
		c.name("name", d.Name, 1)
	}
	if reason := s.egress.checkURL(d.Endpoint); reason != "" && (d.Endpoint != "" || !d.Webhook || d.Enabled) {
		c.add(keyhold.FieldError{Field: "endpoint", Reason: reason, Rule: "invalid"})
	}
	if !slices.Contains(keyhold.AuditLogFormats, d.LogFormat) {
		c.add(keyhold.FieldError{Field: "log_format", Reason: "must be one of the log formats", Rule: "enum", Choices: keyhold.AuditLogFormats})
	}
	if a := authorization; a != nil {
		switch {
		case len(*a) > maxAuthorizationLen:
			c.add(keyhold.FieldError{Field: "authorization", Reason: "is too long", Rule: "max_length", Maximum: keyhold.Int64(maxAuthorizationLen)})
		case !validHeaderValue(*a):
			c.add(keyhold.FieldError{Field: "authorization", Reason: "must be a valid HTTP header value: printable characters, no line breaks", Rule: "invalid"})
		}
	}
	return c.err()
}

// validHeaderValue reports whether v can be sent as a header value as it
// is: visible ASCII, spaces and tabs, not starting or ending with a space.
func validHeaderValue(v string) bool {
	if strings.TrimSpace(v) != v {
		return false
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b > '~' {
			return false
		}
	}
	return true
}

// UpdateAuditDestination implements keyhold.AuditExportService. A
// destination enabled again receives the events appended from then on.
func (s *AuditExport) UpdateAuditDestination(ctx context.Context, id string, in keyhold.AuditDestinationUpdate) (_ *keyhold.AuditDestination, err error) {
	defer s.denied(ctx, "audit.destination_updated", &err)
	if err = s.authorize(ctx, "UpdateAuditDestination", false); err != nil {
		return nil, err
	}
	if err := validID("auditLogDestinationId", id); err != nil {
		return nil, err
	}
	var d *keyhold.AuditDestination
	ev := s.audit(ctx, "audit.destination_updated", targetAuditDestination, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if d, _, err = tx.AuditDestinations().GetAuditDestination(ctx, id); err != nil {
			return err
		}
		return s.updateDestination(ctx, tx, ev, d, in)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// updateDestination applies in to d, records the changes in ev and stores
// d.
func (s *core) updateDestination(ctx context.Context, tx storage.Tx, ev *keyhold.AuditEvent, d *keyhold.AuditDestination, in keyhold.AuditDestinationUpdate) error {
	before := *d
	set(&d.Name, in.Name)
	set(&d.Endpoint, in.Endpoint)
	set(&d.LogFormat, in.LogFormat)
	set(&d.SkipSSLVerification, in.SkipSSLVerification)
	set(&d.Enabled, in.Enabled)
	if err := s.checkAuditDestination(d, in.Authorization); err != nil {
		return err
	}
	var sealed []byte
	if in.Authorization != nil {
		var err error
		if sealed, err = s.sealAuthorization(*in.Authorization, d.ID); err != nil {
			return err
		}
	}
	reset := d.Enabled && !before.Enabled
	if reset {
		// Enabled again: from the events appended now, as a new one.
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		d.NextSeq, d.Attempts, d.NextAttemptAt = st.Size, 0, nil
	}
	c := keyhold.Changes{}.Add("name", before.Name, d.Name).Add("endpoint", before.Endpoint, d.Endpoint).
		Add("log_format", before.LogFormat, d.LogFormat).Add("enabled", before.Enabled, d.Enabled).
		Add("skip_ssl_verification", before.SkipSSLVerification, d.SkipSSLVerification)
	if in.Authorization != nil {
		c["authorization"] = keyhold.SecretChanged()
	}
	if d.Webhook {
		delete(c, "name")
	}
	ev.Changes, ev.TargetName = c, d.Name
	d.UpdatedAt = s.clock()
	return tx.AuditDestinations().UpdateAuditDestination(ctx, d, sealed, reset)
}

// DeleteAuditDestination implements keyhold.AuditExportService.
func (s *AuditExport) DeleteAuditDestination(ctx context.Context, id string) (err error) {
	defer s.denied(ctx, "audit.destination_deleted", &err)
	if err = s.authorize(ctx, "DeleteAuditDestination", false); err != nil {
		return err
	}
	if err := validID("auditLogDestinationId", id); err != nil {
		return err
	}
	ev := s.audit(ctx, "audit.destination_deleted", targetAuditDestination, id, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		d, _, err := tx.AuditDestinations().GetAuditDestination(ctx, id)
		if err != nil {
			return err
		}
		ev.TargetName = d.Name
		return tx.AuditDestinations().DeleteAuditDestination(ctx, id)
	})
}

// unconfiguredWebhook is the webhook before its first configuration.
func unconfiguredWebhook() *keyhold.AuditDestination {
	return &keyhold.AuditDestination{Webhook: true, Name: "audit-log-webhook", LogFormat: keyhold.AuditFormatCEF}
}

// AuditLogWebhook implements keyhold.AuditExportService.
func (s *AuditExport) AuditLogWebhook(ctx context.Context) (*keyhold.AuditDestination, error) {
	if err := s.authorize(ctx, "AuditLogWebhook", false); err != nil {
		return nil, err
	}
	var d *keyhold.AuditDestination
	err := s.read(ctx, func(tx storage.Tx) (err error) { d, _, err = tx.AuditDestinations().AuditLogWebhook(ctx); return err })
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		return unconfiguredWebhook(), nil
	}
	return d, err
}

// UpdateAuditLogWebhook implements keyhold.AuditExportService: the first
// call configures the webhook.
func (s *AuditExport) UpdateAuditLogWebhook(ctx context.Context, in keyhold.AuditDestinationUpdate) (_ *keyhold.AuditDestination, err error) {
	defer s.denied(ctx, "audit.webhook_updated", &err)
	if err = s.authorize(ctx, "UpdateAuditLogWebhook", false); err != nil {
		return nil, err
	}
	in.Name = nil
	var d *keyhold.AuditDestination
	ev := s.audit(ctx, "audit.webhook_updated", targetAuditWebhook, "", "audit-log-webhook")
	err = s.write(ctx, ev, func(tx storage.Tx) (err error) {
		d, _, err = tx.AuditDestinations().AuditLogWebhook(ctx)
		if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			now := s.clock()
			d = unconfiguredWebhook()
			d.ID, d.CreatedAt, d.UpdatedAt = newID(), now, now
			sealed, err := s.sealAuthorization("", d.ID)
			if err != nil {
				return err
			}
			if err := tx.AuditDestinations().CreateAuditDestination(ctx, d, sealed); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		ev.TargetID = d.ID
		return s.updateDestination(ctx, tx, ev, d, in)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
