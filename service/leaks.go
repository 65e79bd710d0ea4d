package service

import (
	"context"
	"crypto/subtle"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// maxLeakReport bounds the token values of one report.
const maxLeakReport = 1000

// ReportLeak revokes every valid token among values, such as those found by
// secret scanning, and audits each. Possessing a token is proof enough to
// kill it, so the caller needs no role; values that are malformed, unknown,
// already revoked or expired are counted and otherwise ignored. The answer
// names no token, so that it cannot serve as an oracle of valid values.
func (s *Tokens) ReportLeak(ctx context.Context, values []string, source string) (received, revoked int, err error) {
	if len(values) == 0 || len(values) > maxLeakReport {
		return 0, 0, keyhold.Invalid(keyhold.FieldError{Field: "tokens", Reason: "must hold 1 to 1000 token values", Rule: "max_items", Maximum: keyhold.Int64(maxLeakReport)})
	}
	if len(source) > maxNameLen {
		return 0, 0, keyhold.Invalid(keyhold.FieldError{Field: "source", Reason: "is too long", Rule: "max_length", Maximum: keyhold.Int64(maxNameLen)})
	}
	seen := map[string]bool{}
	for _, v := range values {
		if _, ok := keyhold.ParseTokenValue(v); !ok || seen[v] {
			continue
		}
		seen[v] = true
		done, err := s.revokeLeaked(ctx, v, source)
		if err != nil {
			return 0, 0, err
		}
		if done {
			revoked++
		}
	}
	return len(values), revoked, nil
}

func (s *core) revokeLeaked(ctx context.Context, value, source string) (bool, error) {
	digest := keyhold.TokenDigest(value)
	now := s.clock()
	revoked := false
	ev := s.audit(ctx, "token.leaked", targetToken, "", "")
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		t, err := tx.Tokens().GetTokenByDigest(ctx, digest)
		if keyhold.ErrorCode(err) == keyhold.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(t.Digest, digest) != 1 || !t.Usable(now) {
			return nil
		}
		t.RevokedAt, t.UpdatedAt = &now, now
		if p := keyhold.PrincipalFromContext(ctx); p != nil {
			t.RevokedBy = &p.ID
		}
		if err := tx.Tokens().UpdateToken(ctx, t); err != nil {
			return err
		}
		ev.TargetID, ev.TargetName, ev.SubjectID = t.ID, t.Name, t.Owner.ID
		if source != "" {
			ev.TargetName = t.Name + " (reported by " + source + ")"
		}
		if err := tx.Audit().AppendAuditEvent(ctx, ev); err != nil {
			return err
		}
		revoked = true
		for _, typ := range []string{keyhold.EventTokenLeaked, keyhold.EventTokenRevoked} {
			if err := s.emitToken(ctx, tx, typ, t, map[string]any{"reason": "leaked", "source": source}); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest)
	})
	if err == nil && revoked {
		if cerr := s.feed.CatchUp(context.WithoutCancel(ctx)); cerr != nil {
			s.log.Error("index catch-up after a leak report", "err", cerr)
		}
	}
	return revoked, err
}
