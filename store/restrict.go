package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/keyhold/keyhold"
)

// scopeJSON is a scope entry as stored: the shape of the API's role
// objects.
type scopeJSON struct {
	RoleName       string `json:"role_name"`
	EntityTypeName string `json:"entity_type_name"`
	EntityID       string `json:"entity_id"`
	EntityRegion   string `json:"entity_region"`
}

// restrictionArgs encodes a token's scope and networks as column values;
// NULL for none.
func restrictionArgs(k *keyhold.Token) (scope, cidrs any) {
	if k.Scope != nil {
		out := make([]scopeJSON, len(k.Scope))
		for i, s := range k.Scope {
			out[i] = scopeJSON(s)
		}
		b, _ := json.Marshal(out)
		scope = string(b)
	}
	if k.AllowedCIDRs != nil {
		out := make([]string, len(k.AllowedCIDRs))
		for i, p := range k.AllowedCIDRs {
			out[i] = p.String()
		}
		b, _ := json.Marshal(out)
		cidrs = string(b)
	}
	return scope, cidrs
}

// decodeRestrictions fills a token's scope and networks from their
// columns.
func decodeRestrictions(k *keyhold.Token, scope, cidrs []byte) error {
	k.Scope, k.AllowedCIDRs = nil, nil
	if scope != nil {
		var in []scopeJSON
		if err := json.Unmarshal(scope, &in); err != nil {
			return fmt.Errorf("token %s: scope: %w", k.ID, err)
		}
		k.Scope = make([]keyhold.ScopeRole, len(in))
		for i, s := range in {
			k.Scope[i] = keyhold.ScopeRole(s)
		}
	}
	if cidrs != nil {
		var in []string
		if err := json.Unmarshal(cidrs, &in); err != nil {
			return fmt.Errorf("token %s: allowed_cidrs: %w", k.ID, err)
		}
		k.AllowedCIDRs = make([]netip.Prefix, len(in))
		for i, s := range in {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("token %s: allowed_cidrs: %w", k.ID, err)
			}
			k.AllowedCIDRs[i] = p
		}
	}
	return nil
}

// nullBytes returns the bytes of a nullable text column, nil for NULL.
func nullBytes(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}

// ListScopedTokens returns the unrevoked scoped tokens of the given system
// accounts and of the system accounts in the given team (either may be
// empty), so that their scopes can be checked after the accounts lose a
// role.
func (t *tx) ListScopedTokens(ctx context.Context, accountID, teamID string) ([]*keyhold.Token, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens k
		WHERE k.scope IS NOT NULL AND k.revoked_at IS NULL AND NOT k.expiry_recorded
		AND (k.account_id = $1 OR k.account_id IN (SELECT m.account_id FROM team_members m WHERE m.team_id = $2))
		ORDER BY k.account_id, k.id`, accountID, teamID)
	if err != nil {
		return nil, fmt.Errorf("list scoped tokens: %w", err)
	}
	defer rows.Close()
	var out []*keyhold.Token
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list scoped tokens: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
