package service

import (
	"cmp"
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

const (
	targetToken = "token"
	// maxTokenLifetime is Konnect's documented limit of 12 months.
	maxTokenLifetime = 365 * 24 * time.Hour
	minPATTTL        = 24 * time.Hour
	// maxActivePATs is Konnect's documented limit per user.
	maxActivePATs = 10
)

func ownerField(owner keyhold.Ref) string {
	if owner.Type == keyhold.PrincipalUser {
		return "userId"
	}
	return "accountId"
}

func kindOf(owner keyhold.Ref) keyhold.TokenKind {
	if owner.Type == keyhold.PrincipalUser {
		return keyhold.TokenKindPersonal
	}
	return keyhold.TokenKindSystemAccount
}

// ownPersonalTokens applies the rule on personal access tokens beyond the
// permission table: a user's personal tokens are created, renamed and
// deleted by that user alone. Not even an administrator mints or changes
// another person's credential; reading and revoking follow the table.
func ownPersonalTokens(ctx context.Context, owner keyhold.Ref) error {
	if owner.Type != keyhold.PrincipalUser || isOwner(ctx, owner) || isSystem(ctx) {
		return nil
	}
	return keyhold.Errorf(keyhold.EFORBIDDEN, "Only the user may manage their own personal access tokens")
}

func ownerExists(ctx context.Context, tx storage.Tx, owner keyhold.Ref) error {
	if owner.Type == keyhold.PrincipalUser {
		_, err := tx.Users().GetUser(ctx, owner.ID)
		return err
	}
	return accountExists(ctx, tx, owner.ID)
}

// ListTokens implements keyhold.TokenService.
func (s *Tokens) ListTokens(ctx context.Context, owner keyhold.Ref, f keyhold.TokenFilter) (*keyhold.List[*keyhold.Token], error) {
	if err := s.authorize(ctx, "ListTokens", isOwner(ctx, owner)); err != nil {
		return nil, err
	}
	if err := validID(ownerField(owner), owner.ID); err != nil {
		return nil, err
	}
	f.Owner, f.Kind = owner, kindOf(owner)
	var items []*keyhold.Token
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		if err = ownerExists(ctx, tx, owner); err != nil {
			return err
		}
		items, total, err = tx.Tokens().ListTokens(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, f.Page), nil
}

// CreateToken implements keyhold.TokenService.
func (s *Tokens) CreateToken(ctx context.Context, owner keyhold.Ref, in keyhold.TokenCreate) (_ *keyhold.MintedToken, err error) {
	defer s.denied(ctx, "token.created", &err)
	if err = s.authorize(ctx, "CreateToken", isOwner(ctx, owner)); err != nil {
		return nil, err
	}
	if err := validID(ownerField(owner), owner.ID); err != nil {
		return nil, err
	}
	if err := ownPersonalTokens(ctx, owner); err != nil {
		return nil, err
	}
	if err := notSelfMinting(ctx, owner); err != nil {
		return nil, err
	}
	now := s.clock()
	var c checker
	if owner.Type == keyhold.PrincipalUser {
		c.patName("name", in.Name)
	} else {
		c.name("name", in.Name, 1)
	}
	if in.AutoRotate && owner.Type != keyhold.PrincipalSystemAccount {
		c.add(keyhold.FieldError{Field: "auto_rotate", Reason: "is for system-account tokens only", Rule: "unknown_property"})
	}
	switch {
	case in.Intent != "" && in.Intent != keyhold.IntentAPI && in.Intent != keyhold.IntentAppPassword:
		c.add(keyhold.FieldError{Field: "intent", Reason: "is not a known intent", Rule: "enum", Choices: []string{keyhold.IntentAPI, keyhold.IntentAppPassword}})
	case in.Intent == keyhold.IntentAppPassword && owner.Type != keyhold.PrincipalSystemAccount:
		// Only system accounts bind to the directory: a personal app
		// password could do nothing at all.
		c.add(keyhold.FieldError{Field: "intent", Reason: "app_password is for system-account tokens only", Rule: "invalid"})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := s.validateRestrictions(owner, &in); err != nil {
		return nil, err
	}
	kind := kindOf(owner)
	value, err := keyhold.GenerateTokenValue(kind)
	if err != nil {
		return nil, err
	}
	t := keyhold.Token{ID: newID(), Kind: kind, Owner: owner, Name: in.Name, Digest: keyhold.TokenDigest(value),
		CreatedAt: now, UpdatedAt: now, Scope: in.Scope, AllowedCIDRs: in.AllowedCIDRs,
		AutoRotate: in.AutoRotate, Intent: cmp.Or(in.Intent, keyhold.IntentAPI)}
	ev := s.auditToken(ctx, "token.created", owner, t.ID, t.Name)
	err = s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.changeableOwner(ctx, tx, owner); err != nil {
			return err
		}
		if owner.Type == keyhold.PrincipalSystemAccount {
			if err := s.mayActAs(ctx, tx, owner, "Minting a token for it"); err != nil {
				return err
			}
		}
		if err := s.checkScope(ctx, tx, owner.ID, t.Scope); err != nil {
			return err
		}
		policy, err := tx.Org().GetTokenPolicy(ctx)
		if err != nil {
			return err
		}
		if t.ExpiresAt, err = tokenExpiry(kind, in, policy, now); err != nil {
			return err
		}
		if t.AutoRotate && t.ExpiresAt == nil {
			return keyhold.Invalid(keyhold.FieldError{Field: "auto_rotate", Reason: "needs a token that expires", Rule: "invalid"})
		}
		if kind == keyhold.TokenKindPersonal {
			if err := checkPATLimit(ctx, tx, owner, now); err != nil {
				return err
			}
		}
		if err := tx.Tokens().CreateToken(ctx, &t); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest)
	})
	if err != nil {
		return nil, err
	}
	return &keyhold.MintedToken{Token: t, Value: value}, nil
}

// tokenExpiry applies the organization's policy to a requested lifetime: nil
// for a token that never expires. Personal access tokens keep Konnect's
// rules (ttl_seconds or expires_at, always expiring) within the policy.
func tokenExpiry(kind keyhold.TokenKind, in keyhold.TokenCreate, p *keyhold.TokenPolicy, now time.Time) (*time.Time, error) {
	maxSeconds := keyhold.Int64(int64(p.MaxLifetime / time.Second))
	tooLong := keyhold.FieldError{Field: "expires_at", Reason: "is beyond the organization's maximum token lifetime", Rule: "max", Maximum: maxSeconds}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	switch {
	case in.TTL != nil:
		limit := min(p.MaxLifetime, maxTokenLifetime)
		if *in.TTL < minPATTTL {
			return nil, keyhold.Invalid(keyhold.FieldError{Field: "ttl_seconds", Reason: "must be at least one day", Rule: "min", Minimum: keyhold.Int64(int64(minPATTTL.Seconds()))})
		} else if *in.TTL > limit {
			return nil, keyhold.Invalid(keyhold.FieldError{Field: "ttl_seconds", Reason: "is beyond the maximum token lifetime", Rule: "max", Maximum: keyhold.Int64(int64(limit.Seconds()))})
		}
		return at(*in.TTL), nil
	case in.ExpiresAt != nil:
		e := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(now) {
			return nil, keyhold.Invalid(keyhold.FieldError{Field: "expires_at", Reason: "must be in the future", Rule: "invalid"})
		} else if e.Sub(now) > p.MaxLifetime {
			return nil, keyhold.Invalid(tooLong)
		}
		return &e, nil
	case kind == keyhold.TokenKindPersonal:
		return nil, keyhold.Invalid(keyhold.FieldError{Field: "ttl_seconds", Reason: "ttl_seconds or expires_at is required", Rule: "required"})
	case in.NoExpiry:
		if !p.AllowNonExpiring {
			return nil, keyhold.Invalid(keyhold.FieldError{Field: "expires_at", Reason: "tokens that never expire are not allowed by the organization's policy", Rule: "required"})
		}
		return nil, nil
	}
	d, ok := p.DefaultLifetime, true
	if in.Intent != "" {
		d, ok = keyhold.IntentLifetime(in.Intent)
	}
	if !ok {
		return nil, keyhold.Invalid(keyhold.FieldError{Field: "intent", Reason: "is not a known intent", Rule: "enum", Choices: []string{keyhold.IntentAPI, keyhold.IntentAppPassword}})
	}
	return at(min(d, p.MaxLifetime)), nil
}

func checkPATLimit(ctx context.Context, tx storage.Tx, owner keyhold.Ref, now time.Time) error {
	active, err := tx.Tokens().CountActiveTokens(ctx, owner, keyhold.TokenKindPersonal, now)
	if err != nil {
		return err
	}
	if active >= maxActivePATs {
		return keyhold.Errorf(keyhold.ECONFLICT, "A user may hold at most %d active personal access tokens; revoke or delete one first", maxActivePATs)
	}
	return nil
}

// GetToken implements keyhold.TokenService.
func (s *Tokens) GetToken(ctx context.Context, owner keyhold.Ref, id string) (*keyhold.Token, error) {
	if err := s.authorize(ctx, "GetToken", isOwner(ctx, owner)); err != nil {
		return nil, err
	}
	if err := validIDs(ownerField(owner), owner.ID, "tokenId", id); err != nil {
		return nil, err
	}
	var t *keyhold.Token
	err := s.read(ctx, func(tx storage.Tx) (err error) { t, err = tx.Tokens().GetToken(ctx, owner, id); return err })
	return t, err
}

// RenameToken implements keyhold.TokenService.
func (s *Tokens) RenameToken(ctx context.Context, owner keyhold.Ref, id, name string) (_ *keyhold.Token, err error) {
	defer s.denied(ctx, "token.updated", &err)
	if err = s.authorize(ctx, "RenameToken", isOwner(ctx, owner)); err != nil {
		return nil, err
	}
	if err := validIDs(ownerField(owner), owner.ID, "tokenId", id); err != nil {
		return nil, err
	}
	var c checker
	if owner.Type == keyhold.PrincipalUser {
		c.patName("name", name)
	} else {
		c.name("name", name, 1)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.changeToken(ctx, owner, id, true, "token.updated", func(t *keyhold.Token) { t.Name = name }, nil)
}

// RevokeToken implements keyhold.TokenService.
func (s *Tokens) RevokeToken(ctx context.Context, owner keyhold.Ref, id string) (_ *keyhold.Token, err error) {
	defer s.denied(ctx, "token.revoked", &err)
	if err = s.authorize(ctx, "RevokeToken", isOwner(ctx, owner)); err != nil {
		return nil, err
	}
	if err := validIDs(ownerField(owner), owner.ID, "tokenId", id); err != nil {
		return nil, err
	}
	revoked := false
	return s.changeToken(ctx, owner, id, false, "token.revoked", func(t *keyhold.Token) {
		if t.RevokedAt != nil {
			return
		}
		now := s.clock()
		revoked = t.Usable(now)
		t.RevokedAt = &now
		if p := keyhold.PrincipalFromContext(ctx); p != nil {
			t.RevokedBy = &p.ID
		}
	}, func(tx storage.Tx, t *keyhold.Token) error {
		if !revoked {
			return nil
		}
		return s.emitToken(ctx, tx, keyhold.EventTokenRevoked, t, map[string]any{"reason": "revoked"})
	})
}

// changeToken changes one token of owner in a write; ownerOnly applies
// ownPersonalTokens.
func (s *core) changeToken(ctx context.Context, owner keyhold.Ref, id string, ownerOnly bool, action string, change func(*keyhold.Token), after func(storage.Tx, *keyhold.Token) error) (*keyhold.Token, error) {
	if ownerOnly {
		if err := ownPersonalTokens(ctx, owner); err != nil {
			return nil, err
		}
	}
	var t *keyhold.Token
	ev := s.auditToken(ctx, action, owner, id, "")
	err := s.write(ctx, ev, func(tx storage.Tx) (err error) {
		if err = s.changeableOwner(ctx, tx, owner); err != nil {
			return err
		}
		if t, err = tx.Tokens().GetToken(ctx, owner, id); err != nil {
			return err
		}
		name, revoked := t.Name, t.RevokedAt != nil
		change(t)
		t.UpdatedAt = s.clock()
		ev.TargetName = t.Name
		ev.Changes = keyhold.Changes{}.Add("name", name, t.Name).Add("revoked", revoked, t.RevokedAt != nil)
		if err := tx.Tokens().UpdateToken(ctx, t); err != nil {
			return err
		}
		if after != nil {
			if err := after(tx, t); err != nil {
				return err
			}
		}
		return s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteToken implements keyhold.TokenService.
func (s *Tokens) DeleteToken(ctx context.Context, owner keyhold.Ref, id string) (err error) {
	defer s.denied(ctx, "token.deleted", &err)
	if err = s.authorize(ctx, "DeleteToken", isOwner(ctx, owner)); err != nil {
		return err
	}
	if err := validIDs(ownerField(owner), owner.ID, "tokenId", id); err != nil {
		return err
	}
	if err := ownPersonalTokens(ctx, owner); err != nil {
		return err
	}
	ev := s.auditToken(ctx, "token.deleted", owner, id, "")
	return s.write(ctx, ev, func(tx storage.Tx) error {
		if err := s.changeableOwner(ctx, tx, owner); err != nil {
			return err
		}
		t, err := tx.Tokens().GetToken(ctx, owner, id)
		if err != nil {
			return err
		}
		ev.TargetName = t.Name
		if t.Usable(s.clock()) {
			if err := s.emitToken(ctx, tx, keyhold.EventTokenRevoked, t, map[string]any{"reason": "deleted"}); err != nil {
				return err
			}
		}
		if err := tx.Tokens().DeleteToken(ctx, owner, id); err != nil {
			return err
		}
		return s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest)
	})
}

// maxExpiryWindowDays bounds the expiring-tokens query.
const maxExpiryWindowDays = 3650

// ListExpiringTokens implements keyhold.TokenService.
func (s *Tokens) ListExpiringTokens(ctx context.Context, withinDays int, p keyhold.Page) (*keyhold.List[*keyhold.OwnedToken], error) {
	if err := s.authorize(ctx, "ListExpiringTokens", false); err != nil {
		return nil, err
	}
	if withinDays < 1 || withinDays > maxExpiryWindowDays {
		return nil, keyhold.Invalid(keyhold.FieldError{Field: "within_days", Reason: "must be between 1 and 3650", Rule: "max",
			Maximum: keyhold.Int64(maxExpiryWindowDays), Source: "query"})
	}
	now := s.clock()
	var items []*keyhold.OwnedToken
	var total int
	err := s.read(ctx, func(tx storage.Tx) (err error) {
		items, total, err = tx.Expiry().ListExpiringTokens(ctx, now, now.Add(time.Duration(withinDays)*24*time.Hour), p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return listOf(items, total, p), nil
}
