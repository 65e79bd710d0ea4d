package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// TouchFirstUse sets the last use of those given tokens whose last_used_at
// is NULL, and returns their ids. The condition is checked again against
// the row's latest version on PostgreSQL, after waiting for a transaction
// that holds it, so that of two replicas touching a token for the first
// time one gets it.
func (t *tx) TouchFirstUse(ctx context.Context, used map[string]keyhold.TokenUse) ([]string, error) {
	if len(used) == 0 {
		return nil, nil
	}
	ids, args := touchArgs(used)
	// SQLite's RETURNING takes no table alias: id is the token's, the
	// VALUES list's columns being column1….
	rows, err := t.tx.QueryContext(ctx, touchSQL(t.d, len(ids), `tokens.last_used_at IS NULL`)+` RETURNING id`, args...)
	if err != nil {
		return nil, fmt.Errorf("touch first use: %w", err)
	}
	defer rows.Close()
	var first []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("touch first use: %w", err)
		}
		first = append(first, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("touch first use: %w", err)
	}
	slices.Sort(first)
	return first, nil
}

// TouchTokens raises last_used_at of the given tokens in this transaction,
// in one statement; a time never moves backwards.
func (t *tx) TouchTokens(ctx context.Context, used map[string]keyhold.TokenUse) error {
	if len(used) == 0 {
		return nil
	}
	ids, args := touchArgs(used)
	if _, err := t.tx.ExecContext(ctx, touchSQL(t.d, len(ids), `(tokens.last_used_at IS NULL OR tokens.last_used_at < v.column2)`), args...); err != nil {
		return fmt.Errorf("touch tokens: %w", err)
	}
	return nil
}

// TouchUsedTokens raises last_used_at of the given tokens that were used
// before, and returns the ids of those never used, sorted.
func (t *tx) TouchUsedTokens(ctx context.Context, used map[string]keyhold.TokenUse) ([]string, error) {
	if len(used) == 0 {
		return nil, nil
	}
	ids, args := touchArgs(used)
	var b strings.Builder
	b.WriteString(`SELECT id FROM tokens WHERE last_used_at IS NULL AND id IN (`)
	for i := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.d.bulkParam(i + 1))
	}
	b.WriteString(`) ORDER BY id`)
	var never []string
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	if err := t.queryStrings(ctx, b.String(), idArgs, func(id string) { never = append(never, id) }); err != nil {
		return nil, fmt.Errorf("touch used tokens: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, touchSQL(t.d, len(ids), `tokens.last_used_at IS NOT NULL AND tokens.last_used_at < v.column2`), args...); err != nil {
		return nil, fmt.Errorf("touch used tokens: %w", err)
	}
	return never, nil
}

// touchArgs returns the ids of used, sorted, so that concurrent flushes of
// several replicas lock rows in one order, and the arguments of touchSQL.
func touchArgs(used map[string]keyhold.TokenUse) ([]string, []any) {
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	args := make([]any, 0, 4*len(ids))
	for _, id := range ids {
		u := used[id]
		args = append(args, id, ts(u.At), u.IP, u.UserAgent)
	}
	return ids, args
}

// AddTokenNetworks inserts the pairs that are new and returns them, each
// with Known set when its token has another network besides. Tokens that
// no longer exist are left out by the join, so that a flush does not fail
// on a token deleted since its use. In the steady state nothing is new,
// and the insert, all conflicts, is the one statement.
func (t *tx) AddTokenNetworks(ctx context.Context, nets []storage.TokenNetwork) ([]storage.TokenNetwork, error) {
	if len(nets) == 0 {
		return nil, nil
	}
	var b strings.Builder
	args := make([]any, 0, 3*len(nets))
	b.WriteString(`INSERT INTO token_networks (token_id, network, first_seen)
		SELECT v.column1, v.column2, v.column3 FROM (VALUES `)
	for i, n := range nets {
		if i > 0 {
			b.WriteString(", ")
		}
		p := 3*i + 1
		fmt.Fprintf(&b, "(%s, %s, %s)", t.d.bulkParam(p), t.d.bulkParam(p+1), t.d.timeParam(t.d.bulkParam(p+2)))
		args = append(args, n.TokenID, n.Network, ts(n.FirstSeen))
	}
	// WHERE true keeps SQLite from reading ON CONFLICT as the join's.
	b.WriteString(`) AS v JOIN tokens ON tokens.id = v.column1 WHERE true
		ON CONFLICT (token_id, network) DO NOTHING RETURNING token_id, network`)
	rows, err := t.tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("add token networks: %w", err)
	}
	defer rows.Close()
	type pair struct{ id, network string }
	added := map[pair]bool{}
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.id, &p.network); err != nil {
			return nil, fmt.Errorf("add token networks: %w", err)
		}
		added[p] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("add token networks: %w", err)
	}
	rows.Close()
	if len(added) == 0 {
		return nil, nil
	}

	// Which of the tokens given new rows have another network too.
	b.Reset()
	args = args[:0]
	b.WriteString(`SELECT token_id FROM token_networks WHERE token_id IN (`)
	seen := map[string]bool{}
	for p := range added {
		if seen[p.id] {
			continue
		}
		seen[p.id] = true
		if len(args) > 0 {
			b.WriteString(", ")
		}
		args = append(args, p.id)
		b.WriteString(t.d.bulkParam(len(args)))
	}
	b.WriteString(`) GROUP BY token_id HAVING COUNT(*) > 1`)
	known := map[string]bool{}
	if err := t.queryStrings(ctx, b.String(), args, func(id string) { known[id] = true }); err != nil {
		return nil, fmt.Errorf("add token networks: %w", err)
	}
	var out []storage.TokenNetwork
	for _, n := range nets {
		if added[pair{n.TokenID, n.Network}] {
			n.Known = known[n.TokenID]
			out = append(out, n)
		}
	}
	return out, nil
}

// queryStrings calls fn with the one string column of each row.
func (t *tx) queryStrings(ctx context.Context, query string, args []any, fn func(string)) error {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		fn(s)
	}
	return rows.Err()
}

// UsedTokens returns the given tokens that exist, by id, with their
// owners' names.
func (t *tx) UsedTokens(ctx context.Context, ids []string) ([]storage.UsedToken, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT k.id, k.name, k.digest, k.account_id, k.user_id, COALESCE(a.name, u.email, '')
		FROM tokens k LEFT JOIN system_accounts a ON a.id = k.account_id LEFT JOIN users u ON u.id = k.user_id
		WHERE k.id IN (`)
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.d.bulkParam(i + 1))
		args[i] = id
	}
	b.WriteString(`) ORDER BY k.id`)
	rows, err := t.tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("used tokens: %w", err)
	}
	defer rows.Close()
	var out []storage.UsedToken
	for rows.Next() {
		var u storage.UsedToken
		var account, user sql.NullString
		if err := rows.Scan(&u.ID, &u.Name, &u.Digest, &account, &user, &u.OwnerName); err != nil {
			return nil, fmt.Errorf("used tokens: %w", err)
		}
		u.Owner = principalRef(account, sql.NullString{}, user)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("used tokens: %w", err)
	}
	return out, nil
}
