package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// autoRotateLead is how long before expiry an auto-rotate token gets its
// successor: seven days, or half the lifetime of a shorter-lived token.
const autoRotateLead = 7 * 24 * time.Hour

func rotationLead(t *keyhold.Token) time.Duration {
	return min(autoRotateLead, t.ExpiresAt.Sub(t.CreatedAt)/2)
}

// autoRotateTokens queues a token.auto_rotated delivery for every
// auto-rotate token within its lead of expiry, to each destination of its
// account that subscribes. Nothing is minted here: each attempt mints.
// Tokens not yet due, or without a destination, stay in the list; the
// job goes on past them, batch after batch, so that they never hide the
// tokens after them.
func (s *core) autoRotateTokens(ctx context.Context) error {
	now := s.clock()
	for after := (*keyhold.Token)(nil); ; {
		var due []*keyhold.Token
		err := s.store.Write(ctx, func(tx storage.Tx) (err error) {
			if due, err = tx.Expiry().ListAutoRotateDue(ctx, now, now.Add(autoRotateLead), after, jobBatch); err != nil {
				return err
			}
			return s.queueAutoRotations(ctx, tx, now, due)
		})
		if err != nil || len(due) < jobBatch {
			return err
		}
		after = due[len(due)-1]
	}
}

// queueAutoRotations queues the deliveries of the tokens of due whose
// lead has come.
func (s *core) queueAutoRotations(ctx context.Context, tx storage.Tx, now time.Time, due []*keyhold.Token) error {
	for _, t := range due {
		if t.ExpiresAt.Sub(now) > rotationLead(t) {
			continue
		}
		dests, err := tx.Webhooks().WebhooksFor(ctx, t.Owner.ID)
		if err != nil {
			return err
		}
		var e *event
		for _, d := range dests {
			if d.SystemAccountID != t.Owner.ID || !d.Subscribes(keyhold.EventTokenAutoRotated, t.Owner.ID) {
				continue
			}
			if e == nil {
				if e, err = s.newEvent(keyhold.EventTokenAutoRotated, tokenData(ctx, tx, t)); err != nil {
					return err
				}
			}
			if err := tx.Deliveries().AppendDelivery(ctx, s.newDelivery(d.ID, e, t.Owner.ID, t.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// autoRotation is a successor minted for one attempt. It exists only in
// memory until the destination answers 2xx; then it is stored (its digest
// only) and becomes valid. On any failure it is dropped and never works.
type autoRotation struct {
	pred *keyhold.Token
	succ keyhold.Token
	body []byte
}

var errNotActive = errors.New("the token is no longer active (revoked, expired, rotated or deleted); nothing was minted")

// prepareAutoRotation mints a successor for the delivery's token and the
// event that carries its value.
func (s *core) prepareAutoRotation(ctx context.Context, d *keyhold.WebhookDelivery) (*autoRotation, error) {
	now := s.clock()
	r := &autoRotation{}
	var data map[string]any
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if r.pred, err = tx.Tokens().GetTokenByID(ctx, d.TokenID); keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			return errNotActive
		} else if err != nil {
			return err
		}
		if r.pred.State(now) != keyhold.TokenActive {
			return errNotActive
		}
		policy, err := tx.Org().GetTokenPolicy(ctx)
		if err != nil {
			return err
		}
		if r.succ.ExpiresAt, err = successorExpiry(r.pred, keyhold.TokenRotate{}, policy, now); err != nil {
			return err
		}
		data = tokenData(ctx, tx, r.pred)
		return nil
	})
	if err != nil {
		return nil, err
	}
	value, err := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	if err != nil {
		return nil, err
	}
	r.succ.ID, r.succ.Kind, r.succ.Owner, r.succ.Digest = newID(), keyhold.TokenKindSystemAccount, r.pred.Owner, keyhold.TokenDigest(value)
	r.succ.CreatedAt, r.succ.UpdatedAt, r.succ.PredecessorID = now, now, &r.pred.ID
	data["successor"] = map[string]any{"id": r.succ.ID, "name": r.pred.Name, "token": value, "expires_at": r.succ.ExpiresAt}
	data["rotation_deadline"] = now.Add(defaultOverlap)
	r.body, err = json.Marshal(map[string]any{"type": keyhold.EventTokenAutoRotated, "timestamp": now.Format(time.RFC3339Nano), "data": data})
	return r, err
}

// finishAutoRotation records an auto-rotation attempt. After a 2xx the
// successor is stored and the predecessor starts its default overlap, in
// the same transaction as the delivery's outcome and the audit event; if
// that fails, the attempt counts as failed and the value never works.
func (s *core) finishAutoRotation(ctx context.Context, d *keyhold.WebhookDelivery, owner string, r *autoRotation, reason string, final bool) {
	ev := s.auditToken(ctx, "token.auto_rotated", keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: d.AccountID}, d.TokenID, "")
	ev.ActorName = "keyhold"
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		if reason == "" {
			err := s.activateSuccessor(ctx, tx, r)
			if err == nil {
				ev.TargetName = r.pred.Name + " (successor " + r.succ.ID + " delivered)"
				ev.Changes = keyhold.Changes{}.Add("successor_id", nil, r.succ.ID)
				if err := s.recordAttempt(ctx, tx, d, owner, "", false); err != nil {
					return err
				}
				return tx.Audit().AppendAuditEvent(ctx, ev)
			}
			if !errors.Is(err, errNotActive) && keyhold.ErrorCode(err) == keyhold.EINTERNAL {
				return err
			}
			reason, final = "delivered, but the successor could not be activated: "+keyhold.ErrorMessage(err), true
			if errors.Is(err, errNotActive) {
				reason = "delivered, but " + errNotActive.Error()
			}
		}
		ev.Outcome, ev.TargetName = keyhold.OutcomeFailure, "delivery attempt failed; the minted successor was discarded"
		if r == nil {
			ev.TargetName = reason
		}
		if err := s.recordAttempt(ctx, tx, d, owner, reason, final); err != nil {
			return err
		}
		return tx.Audit().AppendAuditEvent(ctx, ev)
	})
	if err != nil {
		s.log.Warn("record auto-rotation", "delivery", d.ID, "err", err)
	}
	if err := s.feed.CatchUp(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("index catch-up after auto-rotation", "err", err)
	}
}

// activateSuccessor stores a delivered successor, if its predecessor is
// still active, with the default overlap.
func (s *core) activateSuccessor(ctx context.Context, tx storage.Tx, r *autoRotation) error {
	now := s.clock()
	pred, err := tx.Tokens().GetToken(ctx, r.pred.Owner, r.pred.ID)
	if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
		return errNotActive
	} else if err != nil {
		return err
	}
	if pred.State(now) != keyhold.TokenActive {
		return errNotActive
	}
	r.pred = pred
	return s.rotateIn(ctx, tx, pred, &r.succ, defaultOverlap, nil, now)
}
