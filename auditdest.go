package keyhold

import (
	"context"
	"time"
)

// Audit-log export formats (a destination's LogFormat).
const (
	AuditFormatCEF  = "cef"
	AuditFormatJSON = "json"
	AuditFormatOCSF = "ocsf"
)

// AuditLogFormats lists the formats a destination may choose; CEF is the
// default, as in Konnect. OCSF is keyhold's, in place of Konnect's cps.
var AuditLogFormats = []string{AuditFormatCEF, AuditFormatJSON, AuditFormatOCSF}

// AuditDestination is an HTTP endpoint that receives the audit trail as
// signed entries, one per line, gzipped: one of the audit-log destinations,
// or the audit-log webhook (Webhook), of which there is at most one. Its
// Authorization header value is never part of it: the server keeps it
// encrypted and never returns it.
type AuditDestination struct {
	ID                  string
	Name                string
	Endpoint            string
	LogFormat           string
	SkipSSLVerification bool
	Enabled             bool
	Webhook             bool
	// NextSeq is the leaf index of the next event to send: events with a
	// lower seq were sent (or given up on) already.
	NextSeq int64
	// Attempts counts the failed attempts to send the current batch.
	Attempts            int
	NextAttemptAt       *time.Time
	LastAttemptAt       *time.Time
	LastResponseCode    *int
	LastResponseMessage string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Active reports whether the destination is enabled and its last attempt,
// if any, was answered with a 2xx.
func (d *AuditDestination) Active() bool {
	if !d.Enabled {
		return false
	}
	return d.LastAttemptAt == nil || (d.LastResponseCode != nil && *d.LastResponseCode >= 200 && *d.LastResponseCode <= 299)
}

// AuditDestinationCreate is the input of CreateAuditDestination.
type AuditDestinationCreate struct {
	Name          string
	Endpoint      string
	Authorization string
	// LogFormat defaults to cef.
	LogFormat           string
	SkipSSLVerification bool
	// Enabled defaults to true.
	Enabled *bool
}

// AuditDestinationUpdate is the input of UpdateAuditDestination and of
// UpdateAuditLogWebhook (which ignores Name); nil leaves a field as is.
type AuditDestinationUpdate struct {
	Name                *string
	Endpoint            *string
	Authorization       *string
	LogFormat           *string
	SkipSSLVerification *bool
	Enabled             *bool
}

// AuditDestinationFilter selects audit-log destinations.
type AuditDestinationFilter struct {
	Name *StringFilter
	Page Page
}

// AuditExportService manages where the audit trail is exported. Every
// method needs PermAuditAdmin.
type AuditExportService interface {
	// ListAuditDestinations: EINVALID.
	ListAuditDestinations(ctx context.Context, f AuditDestinationFilter) (*List[*AuditDestination], error)
	// CreateAuditDestination: EINVALID; ECONFLICT without a secret key.
	CreateAuditDestination(ctx context.Context, in AuditDestinationCreate) (*AuditDestination, error)
	// GetAuditDestination: EINVALID, ENOTFOUND.
	GetAuditDestination(ctx context.Context, id string) (*AuditDestination, error)
	// UpdateAuditDestination: EINVALID, ENOTFOUND.
	UpdateAuditDestination(ctx context.Context, id string, in AuditDestinationUpdate) (*AuditDestination, error)
	// DeleteAuditDestination: EINVALID, ENOTFOUND.
	DeleteAuditDestination(ctx context.Context, id string) error
	// AuditLogWebhook returns the webhook, disabled and empty before its
	// first configuration.
	AuditLogWebhook(ctx context.Context) (*AuditDestination, error)
	// UpdateAuditLogWebhook configures the webhook: EINVALID; ECONFLICT
	// without a secret key.
	UpdateAuditLogWebhook(ctx context.Context, in AuditDestinationUpdate) (*AuditDestination, error)
}

// Replay job states, as Konnect's.
const (
	ReplayUnconfigured = "unconfigured"
	ReplayAccepted     = "accepted"
	ReplayRunning      = "running"
	ReplayCompleted    = "completed"
	ReplayFailed       = "failed"
)

// AuditReplayJob sends the events that occurred in [StartAt, EndAt] again
// to every enabled destination. There is one at a time.
type AuditReplayJob struct {
	StartAt, EndAt time.Time
	Status         string
	// NextSeq is the replay's cursor: events with a lower seq were sent.
	NextSeq int64
	// Message says which batches a destination refused, if any.
	Message   string
	UpdatedAt time.Time
}

// AuditReplayService runs replay jobs; both methods need PermAuditAdmin.
type AuditReplayService interface {
	// ReplayAuditLogs starts a replay of [start, end]: EINVALID; ECONFLICT
	// while one is accepted or running.
	ReplayAuditLogs(ctx context.Context, start, end time.Time) (*AuditReplayJob, error)
	// AuditLogReplayJob returns the last job, Status unconfigured before
	// the first.
	AuditLogReplayJob(ctx context.Context) (*AuditReplayJob, error)
}
