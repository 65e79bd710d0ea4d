package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// revokeSinceBatch is how many tokens one transaction of RevokeTokensSince
// revokes, so that a large revocation neither holds the write lock long
// nor grows one transaction without bound.
const revokeSinceBatch = 200

// RevokeTokensSince revokes every token, of system accounts and users,
// created at or after since or rotated to a successor created then: the
// tokens a restore to a backup taken before since, or a compromise that
// began at since, calls into doubt. Each is audited as token.revoked and
// announced as token.revoked with reason "revoke_since", like any other
// revocation. With dryRun it only counts them. Only the operator runs it,
// on the database (keyhold tokens revoke-since), never a request: it can
// stop every pipeline of the organization at once.
func (s *Tokens) RevokeTokensSince(ctx context.Context, since time.Time, dryRun bool) (n int, err error) {
	if err := s.authorize(ctx, "RevokeTokensSince", false); err != nil {
		return 0, err
	}
	if since.IsZero() {
		return 0, keyhold.Invalid(keyhold.FieldError{Field: "since", Reason: "is required", Rule: "required"})
	}
	if since.After(s.clock()) {
		return 0, keyhold.Invalid(keyhold.FieldError{Field: "since", Reason: "is in the future", Rule: "invalid"})
	}
	since = since.UTC()
	after := ""
	for {
		var batch []*keyhold.Token
		err := s.store.Read(ctx, func(tx storage.Tx) (err error) {
			batch, err = tx.Expiry().ListTokensSince(ctx, since, after, revokeSinceBatch)
			return err
		})
		if err != nil || len(batch) == 0 {
			return n, err
		}
		after = batch[len(batch)-1].ID
		if dryRun {
			n += len(batch)
			continue
		}
		revoked, err := s.revokeBatch(ctx, batch, since)
		n += revoked
		if err != nil {
			return n, err
		}
	}
}

// revokeBatch revokes the tokens of batch that are still unrevoked, in one
// transaction.
func (s *core) revokeBatch(ctx context.Context, batch []*keyhold.Token, since time.Time) (int, error) {
	n := 0
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		n = 0
		now := s.clock()
		for _, b := range batch {
			t, err := tx.Tokens().GetTokenByID(ctx, b.ID)
			if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
				continue // deleted meanwhile
			} else if err != nil {
				return err
			}
			if t.RevokedAt != nil {
				continue
			}
			usable := t.Usable(now)
			t.RevokedAt, t.UpdatedAt = &now, now
			if err := tx.Tokens().UpdateToken(ctx, t); err != nil {
				return err
			}
			ev := s.auditToken(ctx, "token.revoked", t.Owner, t.ID, t.Name+" (revoked since "+since.Format(time.RFC3339)+")")
			ev.Changes = keyhold.Changes{}.Add("revoked", false, true)
			if err := tx.Audit().AppendAuditEvent(ctx, ev); err != nil {
				return err
			}
			if usable {
				if err := s.emitToken(ctx, tx, keyhold.EventTokenRevoked, t, map[string]any{"reason": "revoke_since"}); err != nil {
					return err
				}
			}
			if err := s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.catchUpLogged(context.WithoutCancel(ctx))
	return n, nil
}
