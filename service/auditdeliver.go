package service

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/auditexport"
	"github.com/keyhold/keyhold/storage"
)

// Audit-log delivery, as Konnect's: a batch is retried on a connection
// error, a 5xx or a 429, after 1 s doubling up to 30 s, at most
// maxAuditRetries times; then, or on any other answer, it is given up
// (the status says so, and a replay job can send it again).
const (
	maxAuditRetries    = 4
	auditBatch         = 500
	auditLease         = 2 * time.Minute
	auditParallel      = 4
	maxAuditRetryDelay = 30 * time.Second
)

// auditClients are the delivery clients: one that verifies TLS and one
// for destinations that skip verification. Both refuse the addresses the
// egress policy refuses, as webhook deliveries do.
type auditClients struct{ verify, skip *http.Client }

func newAuditClients(p egressPolicy) auditClients {
	skip := newWebhookClient(p)
	t := skip.Transport.(*http.Transport)
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the destination's own setting, Konnect's skip_ssl_verification
	return auditClients{verify: newWebhookClient(p), skip: skip}
}

// DeliverAuditLogs sends each enabled audit-log destination the events it
// has not received, up to a batch each, and returns how many batches it
// attempted. Every replica may call it: a destination is leased to one
// sender at a time, and its cursor advances only once a batch is
// answered, so a process killed mid-batch loses nothing (the batch is sent
// again: delivery is at least once, and entries carry seq and id).
func (s *AuditExport) DeliverAuditLogs(ctx context.Context) (int, error) {
	if s.sealer == nil {
		return 0, nil
	}
	// A replay job's batches go first, a bounded number per call.
	for range 8 {
		more, err := s.replayBatch(ctx)
		if err != nil {
			s.log.Warn("audit log replay", "err", err)
		}
		if !more || err != nil {
			break
		}
	}
	owner, now := newID(), s.clock()
	var dests []*keyhold.AuditDestination
	var sealed [][]byte
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		st, err := tx.Audit().AuditLog(ctx)
		if err != nil {
			return err
		}
		dests, sealed, err = tx.AuditDestinations().ClaimAuditDestinations(ctx, st.Size, now, now.Add(auditLease), owner, 64)
		return err
	})
	if err != nil || len(dests) == 0 {
		return 0, err
	}
	f, err := s.formatter(ctx)
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, auditParallel)
	done := make(chan struct{}, len(dests))
	for i, d := range dests {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			s.sendBatch(ctx, f, d, sealed[i], owner)
		}()
	}
	for range dests {
		<-done
	}
	return len(dests), nil
}

// formatter returns the entry formatter of this organization, with the
// current entry key.
func (s *core) formatter(ctx context.Context) (*auditexport.Formatter, error) {
	key, kid, err := s.auditLog.EntrySigner(ctx)
	if err != nil {
		return nil, err
	}
	var orgID string
	err = s.read(ctx, func(tx storage.Tx) error {
		org, err := tx.Org().GetOrganization(ctx)
		if err == nil {
			orgID = org.ID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &auditexport.Formatter{Signer: auditexport.Signer{Key: key, KeyID: kid}, Host: s.exportHost, OrgID: orgID}, nil
}

// sendBatch sends d the next batch of entries from its cursor, once, and
// records the outcome.
func (s *AuditExport) sendBatch(ctx context.Context, f *auditexport.Formatter, d *keyhold.AuditDestination, sealed []byte, owner string) {
	var leaves []keyhold.AuditLeafRecord
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		leaves, err = tx.Audit().ListAuditLeaves(ctx, d.NextSeq, auditBatch)
		return err
	})
	if err != nil {
		s.log.Warn("audit log delivery", "destination", d.ID, "err", err)
		return
	}
	var body bytes.Buffer
	for _, l := range leaves {
		if l.Event == nil { // pruned: its body is gone, nothing to send
			continue
		}
		line, err := f.Format(d.LogFormat, l.Event)
		if err != nil {
			s.log.Warn("audit log delivery", "destination", d.ID, "err", err)
			return
		}
		body.Write(line)
		body.WriteByte('\n')
	}
	next := d.NextSeq + int64(len(leaves))
	now := s.clock()
	var code *int
	msg, retry := "", false
	if body.Len() > 0 {
		authorization, err := s.sealer.open(sealed, d.ID)
		if err != nil {
			code, msg = nil, "cannot decrypt the authorization value: was --secret-key-file changed? Set it again"
		} else {
			code, msg, retry = s.postEntries(ctx, d, string(authorization), body.Bytes())
		}
		now = s.clock()
	}
	if body.Len() > 0 {
		d.LastAttemptAt, d.LastResponseCode, d.LastResponseMessage = &now, code, truncate(msg, 512)
	}
	switch {
	case retry && d.Attempts < maxAuditRetries:
		d.Attempts++
		at := now.Add(min(time.Second<<(d.Attempts-1), maxAuditRetryDelay))
		d.NextAttemptAt = &at
	case retry || (code != nil && (*code < 200 || *code > 299)) || code == nil && msg != "":
		d.LastResponseMessage = truncate(fmt.Sprintf("gave up events %d to %d after attempt %d: %s",
			d.NextSeq, next-1, d.Attempts+1, msg), 512)
		d.NextSeq, d.Attempts, d.NextAttemptAt = next, 0, nil
	default:
		d.NextSeq, d.Attempts, d.NextAttemptAt = next, 0, nil
	}
	err = s.store.Write(ctx, func(tx storage.Tx) error {
		_, err := tx.AuditDestinations().FinishAuditDelivery(ctx, d, owner)
		return err
	})
	if err != nil {
		s.log.Warn("record audit log delivery", "destination", d.ID, "err", err)
	}
}

// postEntries posts a batch, gzipped, and returns the status, a message
// (the start of the answer, or why there was none) and whether to retry.
func (s *AuditExport) postEntries(ctx context.Context, d *keyhold.AuditDestination, authorization string, lines []byte) (*int, string, bool) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(lines)
	_ = w.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint, &gz)
	if err != nil {
		return nil, "the endpoint cannot be requested", false
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("User-Agent", "keyhold-audit-logs")
	client := s.auditClients.verify
	if d.SkipSSLVerification {
		client = s.auditClients.skip
	}
	res, err := client.Do(req)
	if err != nil {
		var refused errRefusedAddress
		return nil, "request failed: " + unwrapURLError(err).Error(), !errors.As(err, &refused)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	code := res.StatusCode
	msg := strconv.Itoa(code) + " " + http.StatusText(code)
	if len(raw) > 0 {
		msg += ": " + string(raw)
	}
	return &code, msg, code >= 500 || code == http.StatusTooManyRequests
}
