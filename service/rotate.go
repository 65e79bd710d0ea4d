package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// defaultOverlap is how long a rotated token keeps working by default.
const defaultOverlap = 24 * time.Hour

// RotateToken implements keyhold.TokenService.
func (s *Tokens) RotateToken(ctx context.Context, owner keyhold.Ref, id string, in keyhold.TokenRotate) (_ *keyhold.MintedToken, err error) {
	defer s.denied(ctx, "token.rotated", &err)
	if err = s.authorize(ctx, "RotateToken", isToken(ctx, owner, id)); err != nil {
		return nil, err
	}
	if err := validIDs(ownerField(owner), owner.ID, "tokenId", id); err != nil {
		return nil, err
	}
	if owner.Type != keyhold.PrincipalSystemAccount {
		return nil, notFound("token")
	}
	// Another token of the caller's own account would be a new credential
	// of it, as CreateToken's would.
	if !isToken(ctx, owner, id) {
		if err := notSelfMinting(ctx, owner); err != nil {
			return nil, err
		}
	}
	overlap := defaultOverlap
	if in.Overlap != nil {
		overlap = *in.Overlap
	}
	var c checker
	if overlap < 0 {
		c.add(keyhold.FieldError{Field: "overlap_seconds", Reason: "must not be negative", Rule: "min", Minimum: keyhold.Int64(0)})
	}
	if in.RevokeWhenIdle != nil && *in.RevokeWhenIdle < time.Minute {
		c.add(keyhold.FieldError{Field: "revoke_when_idle_seconds", Reason: "must be at least 60", Rule: "min", Minimum: keyhold.Int64(60)})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	value, err := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	succ := keyhold.Token{ID: newID(), Kind: keyhold.TokenKindSystemAccount, Owner: owner, Digest: keyhold.TokenDigest(value),
		CreatedAt: now, UpdatedAt: now, PredecessorID: &id}
	ev := s.auditToken(ctx, "token.rotated", owner, id, "")
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.changeableOwner(ctx, tx, owner); err != nil {
			return err
		}
		// A token renewing itself gains nothing; rotating another's
		// token yields a new value of its owner.
		if !isToken(ctx, owner, id) {
			if err := s.mayActAs(ctx, tx, owner, "Rotating its token"); err != nil {
				return err
			}
		}
		pred, err := tx.Tokens().GetToken(ctx, owner, id)
		if err != nil {
			return err
		}
		if st := pred.State(now); st != keyhold.TokenActive {
			return keyhold.Errorf(keyhold.ECONFLICT, "Only an active token can be rotated; this one is %s", st)
		}
		policy, err := tx.Org().GetTokenPolicy(ctx)
		if err != nil {
			return err
		}
		if overlap > policy.MaxLifetime {
			return keyhold.Invalid(keyhold.FieldError{Field: "overlap_seconds", Reason: "is beyond the organization's maximum token lifetime", Rule: "max", Maximum: keyhold.Int64(int64(policy.MaxLifetime / time.Second))})
		}
		if succ.ExpiresAt, err = successorExpiry(pred, in, policy, now); err != nil {
			return err
		}
		ev.TargetName = pred.Name
		ev.Changes = rotationChanges(pred, &succ)
		return s.rotateIn(ctx, tx, pred, &succ, overlap, in.RevokeWhenIdle, now)
	})
	if err != nil {
		return nil, err
	}
	return &keyhold.MintedToken{Token: succ, Value: value}, nil
}

// rotateIn makes succ the successor of pred, inside a write: succ takes
// pred's name and its auto_rotate, and pred keeps working for overlap, or
// until idle once succ is in use. Manual and automatic rotation share it.
func (s *core) rotateIn(ctx context.Context, tx storage.Tx, pred, succ *keyhold.Token, overlap time.Duration, idle *time.Duration, now time.Time) error {
	// The successor keeps its predecessor's name, scope, networks,
	// automatic rotation and intent.
	succ.Name, succ.Scope, succ.AllowedCIDRs, succ.AutoRotate = pred.Name, pred.Scope, pred.AllowedCIDRs, pred.AutoRotate
	succ.Intent = pred.Intent
	deadline := now.Add(overlap)
	pred.SuccessorID, pred.RotationDeadline, pred.RevokeWhenIdle, pred.UpdatedAt = &succ.ID, &deadline, idle, now
	for _, step := range []func() error{
		func() error { return tx.Tokens().UpdateToken(ctx, pred) }, // first: it leaves the name to its successor
		func() error { return tx.Tokens().CreateToken(ctx, succ) },
		func() error { return s.changed(ctx, tx, keyhold.ChangeToken, pred.ID, pred.Digest) },
		func() error { return s.changed(ctx, tx, keyhold.ChangeToken, succ.ID, succ.Digest) },
		func() error {
			return s.emitToken(ctx, tx, keyhold.EventTokenRotated, pred, map[string]any{
				"successor_id": succ.ID, "rotation_deadline": deadline, "successor_expires_at": succ.ExpiresAt})
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// rotationChanges is the change a rotation makes to pred: its successor,
// none before.
func rotationChanges(pred, succ *keyhold.Token) keyhold.Changes {
	return keyhold.Changes{}.Add("successor_id", pred.SuccessorID, succ.ID)
}

// successorExpiry is the requested expiry, or the predecessor's lifetime
// from now, within the policy.
func successorExpiry(pred *keyhold.Token, in keyhold.TokenRotate, p *keyhold.TokenPolicy, now time.Time) (*time.Time, error) {
	if in.ExpiresAt != nil {
		return tokenExpiry(keyhold.TokenKindSystemAccount, keyhold.TokenCreate{ExpiresAt: in.ExpiresAt}, p, now)
	}
	if pred.ExpiresAt == nil {
		if p.AllowNonExpiring {
			return nil, nil
		}
		return tokenExpiry(keyhold.TokenKindSystemAccount, keyhold.TokenCreate{}, p, now)
	}
	e := now.Add(min(pred.ExpiresAt.Sub(pred.CreatedAt), p.MaxLifetime))
	return &e, nil
}

// retireRotations revokes rotated tokens whose overlap ended, or whose
// successor is in use while they have been idle long enough. A decision
// already refuses a token past its deadline; this records it, frees the
// slot and tells every replica. Tokens still in their overlap stay in the
// list; the job goes on past them, batch after batch, so that they never
// hide idle tokens after them.
func (s *core) retireRotations(ctx context.Context) error {
	now := s.clock()
	for after := (*keyhold.Token)(nil); ; {
		var rotating []*keyhold.RotatingToken
		err := s.store.Write(ctx, func(tx storage.Tx) (err error) {
			if rotating, err = tx.Expiry().ListRotating(ctx, after, jobBatch); err != nil {
				return err
			}
			return s.retire(ctx, tx, now, rotating)
		})
		if err != nil || len(rotating) < jobBatch {
			return err
		}
		after = &rotating[len(rotating)-1].Token
	}
}

// retire revokes the tokens of rotating whose overlap ended or that have
// been idle long enough while their successor is in use.
func (s *core) retire(ctx context.Context, tx storage.Tx, now time.Time, rotating []*keyhold.RotatingToken) error {
	for _, r := range rotating {
		reason, code := "", ""
		switch {
		case !now.Before(*r.RotationDeadline):
			reason, code = "the rotation overlap ended", "rotation_ended"
		case r.RevokeWhenIdle != nil && r.SuccessorLastUsedAt != nil && s.idleSince(&r.Token).Add(*r.RevokeWhenIdle).Before(now):
			reason, code = "the successor is in use and this token was idle", "rotation_idle"
		default:
			continue
		}
		t := r.Token
		at := now
		if r.RotationDeadline.Before(now) {
			at = *r.RotationDeadline
		}
		t.RevokedAt, t.UpdatedAt = &at, now
		if err := tx.Tokens().UpdateToken(ctx, &t); err != nil {
			return err
		}
		ev := s.auditToken(ctx, "token.revoked", t.Owner, t.ID, t.Name+" ("+reason+")")
		ev.Changes = keyhold.Changes{}.Add("revoked", false, true)
		if err := tx.Audit().AppendAuditEvent(ctx, ev); err != nil {
			return err
		}
		if err := s.emitToken(ctx, tx, keyhold.EventTokenRevoked, &t, map[string]any{"reason": code}); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest); err != nil {
			return err
		}
	}
	return nil
}

// idleSince is when a rotated token was last used, or rotated if never.
// A replica writes one token's use at most once per last-use resolution,
// and may hold a use back for up to another resolution when a flush has
// more than it writes at once (see maxTouchPerFlush), so a token in use
// may show a last_used_at up to two resolutions older: it counts as used
// until then, and retires late rather than while in use.
func (s *core) idleSince(t *keyhold.Token) time.Time {
	if t.LastUsedAt != nil {
		return t.LastUsedAt.Add(2 * s.resolution)
	}
	return t.UpdatedAt
}
