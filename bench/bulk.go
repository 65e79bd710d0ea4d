package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/store"
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

// BulkLoad inserts b into db, a migrated keyhold database, with multi-row
// INSERT statements in the order foreign keys need: accounts, users, teams
// and labels, tokens, memberships, roles. On PostgreSQL it commits every
// few hundred thousand rows; on SQLite each table is one transaction that
// builds the table's secondary indexes after its rows (see bulkInsert),
// with automatic WAL checkpoints off and one checkpoint at the end. It is
// for seeding benchmarks and tests: it writes no audit events and no
// changes (a replica loads its index by scanning at start), and a failure
// leaves the batches or tables committed before it in place. On SQLite it
// holds the store's one write connection, with a 1 GiB page cache, until
// it returns.
//
// It writes the store's tables with plain SQL through the store's write
// pool, so the server links none of it. The columns in bulk_tables.go
// follow the migrations in store/migrations; TestBulkLoad reads every table
// back through the store, on SQLite and PostgreSQL.
func BulkLoad(ctx context.Context, db *store.DB, b *Bulk) (err error) {
	pool, d, err := writePool(db)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	// One connection for the whole load, so that its settings apply to
	// every batch; on SQLite it is the one connection of the write pool.
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	restore, err := d.settings(ctx, conn)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer restore()
	tables := []bulkTable{
		bulkAccounts(b.Accounts), bulkUsers(b.Users), bulkTeams(b.Teams), bulkLabels(b.Teams),
		bulkTokens(b.Tokens), bulkMemberships(b.Memberships), bulkRoles(b.Roles),
	}
	for _, tab := range tables {
		if err := bulkInsert(ctx, d, conn, tab, b.BatchRows); err != nil {
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
func bulkInsert(ctx context.Context, d bulkDialect, conn *sql.Conn, tab bulkTable, batch int) error {
	if tab.rows == 0 {
		return nil
	}
	limit := d.maxParams() / len(tab.cols)
	if batch < 1 || batch > limit {
		batch = limit
	}
	batch = min(batch, tab.rows)
	args := make([]any, 0, batch*len(tab.cols))
	if d.deferIndexes() {
		return bulkTx(ctx, conn, func(sqlTx *sql.Tx) error {
			indexes, err := d.indexes(ctx, sqlTx, tab.name)
			if err != nil {
				return err
			}
			for _, ix := range indexes {
				if _, err := sqlTx.ExecContext(ctx, `DROP INDEX "`+ix.name+`"`); err != nil {
					return err
				}
			}
			if err := insertRange(ctx, d, sqlTx, tab, batch, 0, tab.rows, args); err != nil {
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
			return insertRange(ctx, d, sqlTx, tab, batch, start, end, args)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// insertRange inserts rows [start, end) of tab in sqlTx.
func insertRange(ctx context.Context, d bulkDialect, sqlTx *sql.Tx, tab bulkTable, batch, start, end int, args []any) (err error) {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			err = errors.Join(err, full.Close())
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
			if _, err := sqlTx.ExecContext(ctx, insertRows(d, tab.name, tab.cols, n), args...); err != nil {
				return err
			}
			continue
		}
		if full == nil {
			var err error
			if full, err = sqlTx.PrepareContext(ctx, insertRows(d, tab.name, tab.cols, n)); err != nil {
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
func insertRows(d bulkDialect, table string, cols []string, n int) string {
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
			b.WriteString(d.param(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}
