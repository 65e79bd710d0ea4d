package service

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/storage"
)

// maxRestrictions bounds a token's scope and its allowed networks.
const maxRestrictions = 32

// validateRestrictions checks a scope and allowed networks against the
// catalogue and canonicalizes them: duplicates dropped, networks masked.
func (s *core) validateRestrictions(owner keyhold.Ref, in *keyhold.TokenCreate) error {
	if in.Scope == nil && in.AllowedCIDRs == nil {
		return nil
	}
	if owner.Type != keyhold.PrincipalSystemAccount {
		return keyhold.Invalid(keyhold.FieldError{Field: "scope", Reason: "only system-account tokens can be scoped or bound to networks", Rule: "invalid"})
	}
	var c checker
	switch n := len(in.Scope); {
	case in.Scope == nil:
	case n == 0:
		c.add(keyhold.FieldError{Field: "scope", Reason: "must name at least one role; omit it for all of the account's roles", Rule: "min_items", Minimum: keyhold.Int64(1)})
	case n > maxRestrictions:
		c.add(keyhold.FieldError{Field: "scope", Reason: "has too many roles", Rule: "max_items", Maximum: keyhold.Int64(maxRestrictions)})
	}
	var scope []keyhold.ScopeRole
	for i, r := range in.Scope {
		err := s.validateAssignment(keyhold.AssignRole{RoleName: r.RoleName, EntityTypeName: r.EntityTypeName, EntityID: r.EntityID, EntityRegion: r.EntityRegion})
		var e *keyhold.Error
		if errors.As(err, &e) {
			for _, f := range e.Fields {
				f.Field = "scope[" + strconv.Itoa(i) + "]." + f.Field
				c.add(f)
			}
			continue
		}
		// Entity ids match in any case (authz.ScopeCovers); the first
		// spelling is kept, as sent.
		if !slices.ContainsFunc(scope, func(k keyhold.ScopeRole) bool { return sameScopeRole(k, r) }) {
			scope = append(scope, r)
		}
	}
	if in.Scope != nil {
		in.Scope = scope
	}
	switch n := len(in.AllowedCIDRs); {
	case in.AllowedCIDRs == nil:
	case n == 0:
		c.add(keyhold.FieldError{Field: "allowed_cidrs", Reason: "must name at least one network; omit it to allow any", Rule: "min_items", Minimum: keyhold.Int64(1)})
	case n > maxRestrictions:
		c.add(keyhold.FieldError{Field: "allowed_cidrs", Reason: "has too many networks", Rule: "max_items", Maximum: keyhold.Int64(maxRestrictions)})
	}
	if in.AllowedCIDRs != nil {
		var nets []netip.Prefix
		for _, p := range in.AllowedCIDRs {
			if p = p.Masked(); !slices.Contains(nets, p) {
				nets = append(nets, p)
			}
		}
		in.AllowedCIDRs = nets
	}
	return c.err()
}

func sameScopeRole(a, b keyhold.ScopeRole) bool {
	a.EntityID, b.EntityID = keyhold.FoldID(a.EntityID), keyhold.FoldID(b.EntityID)
	return a == b
}

// accountRoles returns every role an account holds, directly or through
// its teams, as scope entries.
func accountRoles(ctx context.Context, tx storage.Tx, accountID string) ([]keyhold.ScopeRole, error) {
	g, err := tx.Roles().Grants(ctx, keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: accountID})
	if err != nil {
		return nil, err
	}
	out := make([]keyhold.ScopeRole, 0, len(g.Roles))
	for _, r := range g.Roles {
		out = append(out, keyhold.ScopeRole{RoleName: r.RoleName, EntityTypeName: r.EntityTypeName, EntityID: r.EntityID, EntityRegion: r.EntityRegion})
	}
	return out, nil
}

// checkScope requires every entry of a new token's scope to be held by
// its account: a scope narrows, it never widens.
func (s *core) checkScope(ctx context.Context, tx storage.Tx, accountID string, scope []keyhold.ScopeRole) error {
	if scope == nil {
		return nil
	}
	held, err := accountRoles(ctx, tx, accountID)
	if err != nil {
		return err
	}
	var c checker
	for i, r := range scope {
		if !authz.ScopeCovers(s.catalogue, held, r) {
			c.add(keyhold.FieldError{Field: "scope[" + strconv.Itoa(i) + "]", Rule: "invalid",
				Reason: "is not held by the system account, directly or through its teams: " + r.RoleName + " on " + r.EntityTypeName + " " + r.EntityID + " in " + r.EntityRegion})
		}
	}
	return c.err()
}

// scopedTokens returns the scoped tokens that a change to an account's or
// a team's roles may leave uncovered; call it before the change, and
// narrowScopes after it.
func scopedTokens(ctx context.Context, tx storage.Tx, p keyhold.Ref) ([]*keyhold.Token, error) {
	switch p.Type {
	case keyhold.PrincipalSystemAccount:
		return tx.Tokens().ListScopedTokens(ctx, p.ID, "")
	case keyhold.PrincipalTeam:
		return tx.Tokens().ListScopedTokens(ctx, "", p.ID)
	}
	return nil, nil
}

// narrowScopes checks scoped tokens again after their accounts lost a role:
// entries no longer held leave the scope, and a token left with none is
// revoked. Each change is audited, in the transaction that took the role.
func (s *core) narrowScopes(ctx context.Context, tx storage.Tx, tokens []*keyhold.Token) error {
	held := map[string][]keyhold.ScopeRole{}
	for _, t := range tokens {
		roles, ok := held[t.Owner.ID]
		if !ok {
			var err error
			if roles, err = accountRoles(ctx, tx, t.Owner.ID); err != nil {
				return err
			}
			held[t.Owner.ID] = roles
		}
		kept := make([]keyhold.ScopeRole, 0, len(t.Scope))
		for _, r := range t.Scope {
			if authz.ScopeCovers(s.catalogue, roles, r) {
				kept = append(kept, r)
			}
		}
		if len(kept) == len(t.Scope) {
			continue
		}
		now := s.clock()
		action := "token.scope_narrowed"
		changes := keyhold.Changes{}
		if len(kept) == 0 {
			action = "token.revoked"
			t.RevokedAt = &now
			if p := keyhold.PrincipalFromContext(ctx); p != nil {
				t.RevokedBy = &p.ID
			}
			changes.Add("revoked", false, true)
		} else {
			changes.Add("scope", scopeChange(t.Scope), scopeChange(kept))
			t.Scope = kept
		}
		t.UpdatedAt = now
		if err := tx.Tokens().UpdateToken(ctx, t); err != nil {
			return err
		}
		ev := s.auditToken(ctx, action, t.Owner, t.ID, t.Name)
		ev.Changes = changes
		if err := tx.Audit().AppendAuditEvent(ctx, ev); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, keyhold.ChangeToken, t.ID, t.Digest); err != nil {
			return err
		}
		if t.RevokedAt != nil {
			if err := s.emitToken(ctx, tx, keyhold.EventTokenRevoked, t, map[string]any{"reason": "scope_lost"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// auditScopeRole is an entry of a token's scope as a "scope" change
// records it, with the API's field names.
type auditScopeRole struct {
	RoleName       string `json:"role_name"`
	EntityTypeName string `json:"entity_type_name"`
	EntityID       string `json:"entity_id"`
	EntityRegion   string `json:"entity_region"`
}

// scopeChange is a token's scope as its "scope" change records it.
func scopeChange(scope []keyhold.ScopeRole) []auditScopeRole {
	out := make([]auditScopeRole, len(scope))
	for i, r := range scope {
		out[i] = auditScopeRole{RoleName: r.RoleName, EntityTypeName: r.EntityTypeName, EntityID: r.EntityID, EntityRegion: r.EntityRegion}
	}
	return out
}
