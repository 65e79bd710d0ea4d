package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

// Bulk is a data set for BulkLoad: benchmark seeds of a million tokens.
type Bulk struct {
	Accounts    []keyhold.SystemAccount
	Users       []keyhold.User
	Teams       []keyhold.Team // with their labels
	Tokens      []keyhold.Token
	Memberships []Membership
	Roles       []keyhold.AssignedRole
	// BatchRows caps the rows of one INSERT statement. Zero takes as many
	// as the dialect's limit of bound parameters allows.
	BatchRows int
}

// Membership makes an account or a user a member of a team at a time.
type Membership struct {
	TeamID string
	Member keyhold.Ref
	At     time.Time
}

// bulkTxRows is about how many rows one transaction of BulkLoad inserts on
// PostgreSQL, so that no transaction holds a whole seed.
const bulkTxRows = 200_000

// BulkLoad inserts b with multi-row INSERT statements in the order foreign
// keys need: accounts, users, teams and labels, tokens, memberships, roles.
// On PostgreSQL it commits every few hundred thousand rows; on SQLite each
// table is one transaction that builds the table's secondary indexes after
// its rows (see bulkInsert), with automatic WAL checkpoints off and one
// checkpoint at the end. It is for seeding benchmarks and tests: it writes
// no audit events and no changes (a replica loads its index by scanning at
// start), and a failure leaves the batches or tables committed before it
// in place. On SQLite it holds the one write connection, with a 1 GiB page
// cache, until it returns.
func (db *DB) BulkLoad(ctx context.Context, b *Bulk) error {
	// One connection for the whole load, so that its settings apply to
	// every batch; on SQLite it is the one connection of the write pool.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer conn.Close()
	restore, err := db.d.bulkSettings(ctx, conn)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer restore()
	tables := []bulkTable{
		bulkAccounts(b.Accounts), bulkUsers(b.Users), bulkTeams(b.Teams), bulkLabels(b.Teams),
		bulkTokens(b.Tokens), bulkMemberships(b.Memberships), bulkRoles(b.Roles),
	}
	for _, tab := range tables {
		if err := db.bulkInsert(ctx, conn, tab, b.BatchRows); err != nil {
			return fmt.Errorf("bulk load %s: %w", tab.name, err)
		}
	}
	return nil
}

// bulkTable is rows of one table: row appends the values of row i to args,
// in the order of cols.
type bulkTable struct {
	name string
	cols []string
	rows int
	row  func(i int, args []any) ([]any, error)
}

// bulkInsert inserts tab in statements of batch rows, one prepared
// statement for the full batches and one for the rest. Where the dialect
// defers indexes (SQLite), the whole table goes in one transaction that
// drops the table's secondary indexes, inserts, and creates them again
// from their own definitions: building an index from sorted keys once is
// far cheaper than a million inserts at random places of it, and a failure
// rolls the whole table back, indexes included.
func (db *DB) bulkInsert(ctx context.Context, conn *sql.Conn, tab bulkTable, batch int) error {
	if tab.rows == 0 {
		return nil
	}
	limit := db.d.maxParams() / len(tab.cols)
	if batch < 1 || batch > limit {
		batch = limit
	}
	batch = min(batch, tab.rows)
	args := make([]any, 0, batch*len(tab.cols))
	if db.d.deferIndexes() {
		return bulkTx(ctx, conn, func(sqlTx *sql.Tx) error {
			indexes, err := db.d.indexes(ctx, sqlTx, tab.name)
			if err != nil {
				return err
			}
			for _, ix := range indexes {
				if _, err := sqlTx.ExecContext(ctx, `DROP INDEX "`+ix.name+`"`); err != nil {
					return err
				}
			}
			if err := db.insertRange(ctx, sqlTx, tab, batch, 0, tab.rows, args); err != nil {
				return err
			}
			for _, ix := range indexes {
				if _, err := sqlTx.ExecContext(ctx, ix.sql); err != nil {
					return fmt.Errorf("create index %s: %w", ix.name, err)
				}
			}
			return nil
		})
	}
	perTx := max(batch, bulkTxRows/batch*batch)
	for start := 0; start < tab.rows; start += perTx {
		end := min(start+perTx, tab.rows)
		err := bulkTx(ctx, conn, func(sqlTx *sql.Tx) error {
			return db.insertRange(ctx, sqlTx, tab, batch, start, end, args)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// insertRange inserts rows [start, end) of tab in sqlTx.
func (db *DB) insertRange(ctx context.Context, sqlTx *sql.Tx, tab bulkTable, batch, start, end int, args []any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for i := start; i < end; i += batch {
		n := min(batch, end-i)
		args = args[:0]
		for j := i; j < i+n; j++ {
			var err error
			if args, err = tab.row(j, args); err != nil {
				return err
			}
		}
		if n < batch {
			if _, err := sqlTx.ExecContext(ctx, insertRows(db.d, tab.name, tab.cols, n), args...); err != nil {
				return err
			}
			continue
		}
		if full == nil {
			var err error
			if full, err = sqlTx.PrepareContext(ctx, insertRows(db.d, tab.name, tab.cols, n)); err != nil {
				return err
			}
		}
		if _, err := full.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// index is a secondary index of a table and the statement that creates it.
type index struct{ name, sql string }

func bulkTx(ctx context.Context, conn *sql.Conn, fn func(*sql.Tx) error) error {
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = sqlTx.Rollback() }()
	if err := fn(sqlTx); err != nil {
		return err
	}
	return sqlTx.Commit()
}

// insertRows is an INSERT of n rows of cols, with the dialect's
// placeholders.
func insertRows(d dialect, table string, cols []string, n int) string {
	var b strings.Builder
	b.Grow(len(table) + 40 + n*len(cols)*8)
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(") VALUES ")
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.bulkParam(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

func bulkAccounts(as []keyhold.SystemAccount) bulkTable {
	return bulkTable{name: "system_accounts", rows: len(as),
		cols: []string{"id", "name", "name_fold", "description", "description_fold",
			"konnect_managed", "managed_by_type", "managed_by_id", "created_at", "updated_at"},
		row: func(i int, args []any) ([]any, error) {
			a := &as[i]
			return append(args, a.ID, a.Name, strings.ToLower(a.Name), a.Description,
				strings.ToLower(a.Description), a.KonnectManaged, string(a.ManagedBy.Type),
				a.ManagedBy.ID, ts(a.CreatedAt), ts(a.UpdatedAt)), nil
		}}
}

func bulkUsers(us []keyhold.User) bulkTable {
	return bulkTable{name: "users", rows: len(us),
		cols: []string{"id", "email", "email_fold", "full_name", "full_name_fold", "preferred_name",
			"active", "inferred_region", "password_hash", "created_at", "updated_at"},
		row: func(i int, args []any) ([]any, error) {
			u := &us[i]
			return append(args, u.ID, u.Email, strings.ToLower(u.Email), u.FullName,
				strings.ToLower(u.FullName), u.PreferredName, u.Active, u.InferredRegion,
				u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt)), nil
		}}
}

func bulkTeams(teams []keyhold.Team) bulkTable {
	return bulkTable{name: "teams", rows: len(teams),
		cols: []string{"id", "name", "name_fold", "description", "system_team", "system_key",
			"created_at", "updated_at"},
		row: func(i int, args []any) ([]any, error) {
			tm := &teams[i]
			return append(args, tm.ID, tm.Name, strings.ToLower(tm.Name), tm.Description,
				tm.SystemTeam, tm.SystemKey, ts(tm.CreatedAt), ts(tm.UpdatedAt)), nil
		}}
}

// bulkLabels flattens the labels of teams, in no particular order.
func bulkLabels(teams []keyhold.Team) bulkTable {
	type label struct{ team, key, value string }
	var labels []label
	for i := range teams {
		for k, v := range teams[i].Labels {
			labels = append(labels, label{teams[i].ID, k, v})
		}
	}
	return bulkTable{name: "team_labels", rows: len(labels),
		cols: []string{"team_id", "key", "value", "value_fold"},
		row: func(i int, args []any) ([]any, error) {
			l := &labels[i]
			return append(args, l.team, l.key, l.value, strings.ToLower(l.value)), nil
		}}
}

// bulkTokens inserts tokens in the order of their ids, so that the primary
// key's index, which cannot be deferred, grows at its end instead of at
// random places; the caller's slice is left as it is.
func bulkTokens(ks []keyhold.Token) bulkTable {
	order := make([]int32, len(ks))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(ks[a].ID, ks[b].ID) })
	return bulkTable{name: "tokens", rows: len(ks),
		cols: []string{"id", "kind", "account_id", "user_id", "name", "name_fold", "digest",
			"created_at", "updated_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"},
		row: func(i int, args []any) ([]any, error) {
			k := &ks[order[i]]
			if _, ok := memberColumn(k.Owner.Type); !ok {
				return nil, fmt.Errorf("token %s: owner type %q cannot hold tokens", k.ID, k.Owner.Type)
			}
			account, _, user := principalArgs(k.Owner)
			return append(args, k.ID, string(k.Kind), account, user, k.Name, strings.ToLower(k.Name),
				k.Digest, ts(k.CreatedAt), ts(k.UpdatedAt), nullTS(k.ExpiresAt),
				nullTS(k.LastUsedAt), nullTS(k.RevokedAt), k.RevokedBy), nil
		}}
}

func bulkMemberships(ms []Membership) bulkTable {
	return bulkTable{name: "team_members", rows: len(ms),
		cols: []string{"team_id", "account_id", "user_id", "created_at"},
		row: func(i int, args []any) ([]any, error) {
			m := &ms[i]
			if _, ok := memberColumn(m.Member.Type); !ok {
				return nil, fmt.Errorf("membership of team %s: type %q cannot be a member", m.TeamID, m.Member.Type)
			}
			account, _, user := principalArgs(m.Member)
			return append(args, m.TeamID, account, user, ts(m.At)), nil
		}}
}

func bulkRoles(rs []keyhold.AssignedRole) bulkTable {
	return bulkTable{name: "assigned_roles", rows: len(rs),
		cols: []string{"id", "account_id", "team_id", "user_id", "role_name", "entity_type_name",
			"entity_id", "entity_region", "created_at"},
		row: func(i int, args []any) ([]any, error) {
			r := &rs[i]
			if _, ok := principalColumn(r.Principal.Type); !ok {
				return nil, fmt.Errorf("assigned role %s: type %q cannot hold roles", r.ID, r.Principal.Type)
			}
			account, team, user := principalArgs(r.Principal)
			return append(args, r.ID, account, team, user, r.RoleName, r.EntityTypeName,
				r.EntityID, r.EntityRegion, ts(r.CreatedAt)), nil
		}}
}
