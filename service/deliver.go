package service

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// Delivery policy: at least once, retried with exponential backoff and
// jitter, given up after maxDeliveryAttempts attempts or maxDeliveryAge.
const (
	maxDeliveryAttempts = 10
	maxDeliveryAge      = 72 * time.Hour
	baseBackoff         = 30 * time.Second
	maxBackoff          = time.Hour
	// deliveryLease bounds how long a claimed batch stays with one
	// sender; a sender that dies mid-batch leaves it to another after it.
	deliveryLease     = 5 * time.Minute
	deliveryBatch     = 16
	deliveryParallel  = 8
	webhookTimeout    = 10 * time.Second
	maxExcerpt        = 256
	defaultHookTicker = time.Second
)

// Deliveries sends queued webhook deliveries, signed, through a client
// that refuses networks the egress policy does not allow.
type Deliveries struct {
	*core
	client *http.Client
	tick   time.Duration
}

func newDeliveries(k *core, c WebhookConfig) *Deliveries {
	d := &Deliveries{core: k, client: newWebhookClient(k.egress), tick: c.Tick}
	if d.tick <= 0 {
		d.tick = defaultHookTicker
	}
	return d
}

// Run sends due deliveries, and the audit log to its destinations, until
// ctx ends; without a secret key it has
// nothing to sign with, and returns at once.
func (s *Deliveries) Run(ctx context.Context) {
	if s.sealer == nil {
		return
	}
	exports := &AuditExport{s.core}
	every(ctx, s.tick, func() {
		if _, err := s.DeliverWebhooks(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("deliver webhooks", "err", err)
		}
		if _, err := exports.DeliverAuditLogs(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("deliver audit logs", "err", err)
		}
	})
}

// DeliverWebhooks sends the deliveries that are due now, on the service's
// clock, and returns how many attempts it made. Every replica may call it:
// a delivery is leased to one sender at a time. Without a secret key it
// does nothing, since it could not sign.
func (s *Deliveries) DeliverWebhooks(ctx context.Context) (int, error) {
	if s.sealer == nil {
		return 0, nil
	}
	owner := newID()
	total := 0
	for range 64 { // bounded, so that a flood cannot hold the caller forever
		now := s.clock()
		var batch []*keyhold.WebhookDelivery
		err := s.store.Write(ctx, func(tx storage.Tx) (err error) {
			batch, err = tx.Deliveries().ClaimDeliveries(ctx, now, now.Add(deliveryLease), owner, deliveryBatch)
			return err
		})
		if err != nil || len(batch) == 0 {
			return total, err
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, deliveryParallel)
		for _, d := range batch {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				s.attempt(ctx, d, owner)
			})
		}
		wg.Wait()
		total += len(batch)
	}
	return total, nil
}

const errNotSubscribed = "the destination no longer receives token.auto_rotated for this account; nothing was minted"

// attempt sends one delivery once and records the outcome.
func (s *Deliveries) attempt(ctx context.Context, d *keyhold.WebhookDelivery, owner string) {
	var dest *keyhold.WebhookDestination
	var sealed []byte
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		dest, sealed, err = tx.Webhooks().GetWebhook(ctx, d.DestinationID)
		return err
	})
	if err != nil {
		if keyhold.ErrorCode(err) != keyhold.ENOTFOUND { // not found: deleted, with its deliveries
			s.log.Warn("webhook delivery", "delivery", d.ID, "err", err)
		}
		return
	}
	d.Attempts++
	now := s.clock()
	d.UpdatedAt = now
	if !dest.Enabled {
		s.finish(ctx, d, owner, "the destination is disabled", true)
		return
	}
	key, err := s.sealer.open(sealed, dest.ID)
	if err != nil {
		s.finish(ctx, d, owner, err.Error(), false)
		return
	}
	body, msgID := d.Payload, d.EventID
	var rot *autoRotation
	if d.EventType == keyhold.EventTokenAutoRotated {
		// A successor goes only where the destination receives its
		// account's auto-rotated tokens now: whoever pointed it there was
		// checked for every privilege of the account, and a delivery queued
		// before a change must not follow the destination elsewhere.
		if !dest.Subscribes(keyhold.EventTokenAutoRotated, d.AccountID) {
			s.finishAutoRotation(ctx, d, owner, nil, errNotSubscribed, true)
			return
		}
		// A fresh successor per attempt, and a fresh message id, so that a
		// receiver that deduplicates never keeps a value that was dropped.
		if rot, err = s.prepareAutoRotation(ctx, d); err != nil {
			s.finishAutoRotation(ctx, d, owner, nil, err.Error(), true)
			return
		}
		body, msgID = rot.body, d.EventID+"_"+strconv.Itoa(d.Attempts)
	}
	status, excerpt, sendErr := s.post(ctx, dest.URL, msgID, now, key, body)
	if rot != nil {
		excerpt = "" // a receiver might echo the value back; keep nothing of it
	}
	d.LastStatus, d.ResponseExcerpt = status, excerpt
	reason := ""
	switch {
	case sendErr != nil:
		reason = sendErr.Error()
	case *status < 200 || *status > 299:
		reason = "the destination answered " + strconv.Itoa(*status)
	}
	if rot != nil {
		s.finishAutoRotation(ctx, d, owner, rot, reason, false)
		return
	}
	s.finish(ctx, d, owner, reason, false)
}

// finish records an attempt: delivered when reason is "", else retried
// later, or failed for good when final or out of attempts or time.
func (s *Deliveries) finish(ctx context.Context, d *keyhold.WebhookDelivery, owner, reason string, final bool) {
	err := s.store.Write(ctx, func(tx storage.Tx) error { return s.recordAttempt(ctx, tx, d, owner, reason, final) })
	if err != nil {
		s.log.Warn("record webhook delivery", "delivery", d.ID, "err", err)
	}
}

func (s *core) recordAttempt(ctx context.Context, tx storage.Tx, d *keyhold.WebhookDelivery, owner, reason string, final bool) error {
	now := d.UpdatedAt
	d.LastError = truncate(reason, 512)
	switch {
	case reason == "":
		d.Status, d.DeliveredAt, d.NextAttemptAt = keyhold.DeliveryDelivered, &now, nil
	case final || d.Attempts >= maxDeliveryAttempts || now.Sub(d.CreatedAt) >= maxDeliveryAge:
		d.Status, d.NextAttemptAt = keyhold.DeliveryFailed, nil
	default:
		next := now.Add(backoff(d.Attempts))
		d.NextAttemptAt = &next
	}
	_, err := tx.Deliveries().FinishAttempt(ctx, d, owner)
	return err
}

// backoff is the wait after the n-th failed attempt: 30 s doubling up to
// an hour, ±20 % so that a recovering receiver is not hit all at once.
func backoff(n int) time.Duration {
	d := maxBackoff
	if n < 8 {
		d = min(baseBackoff<<(n-1), maxBackoff)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64())).Truncate(time.Millisecond)
}

// post sends a signed Standard Webhooks request and returns the status and
// the start of the body.
func (s *Deliveries) post(ctx context.Context, url, msgID string, at time.Time, key, body []byte) (*int, string, error) {
	ts := strconv.FormatInt(at.Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, "", errors.New("the URL cannot be requested")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keyhold-webhooks")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", "v1,"+Sign(key, msgID, ts, body))
	res, err := s.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("request failed: %w", unwrapURLError(err))
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	status := res.StatusCode
	return &status, truncate(string(raw), maxExcerpt), nil
}

// unwrapURLError drops the method and URL that *url.Error repeats.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// Sign returns the Standard Webhooks signature of a message: the base64 of
// HMAC-SHA256 over "id.timestamp.body" with the secret's raw bytes.
func Sign(key []byte, msgID, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID + "." + timestamp + "."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// truncate cuts s to at most n bytes on a rune boundary, as valid UTF-8.
func truncate(s string, n int) string {
	s = strings.ReplaceAll(string(bytes.ToValidUTF8([]byte(s), []byte("?"))), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
