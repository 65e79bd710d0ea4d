package bench

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/keyhold/keyhold/store"
)

// bulkDialect is what BulkLoad does differently on SQLite and PostgreSQL.
type bulkDialect interface {
	// maxParams is the most bound parameters one statement may have.
	maxParams() int
	// param is the placeholder of the i-th parameter, from 1.
	param(i int) string
	// deferIndexes reports whether BulkLoad drops a table's secondary
	// indexes and creates them after its rows, in one transaction; indexes
	// lists them.
	deferIndexes() bool
	indexes(ctx context.Context, tx *sql.Tx, table string) ([]index, error)
	// settings tunes conn for BulkLoad; restore undoes it.
	settings(ctx context.Context, conn *sql.Conn) (restore func(), err error)
}

// writePool returns the pool of db that BulkLoad writes through, and its
// dialect: on SQLite the store's one-connection write pool, whose
// transactions begin IMMEDIATE and whose connections write times in the
// store's format; on PostgreSQL its one pool. The pools are those the
// store exports for metrics (store.DB.Pools).
func writePool(db *store.DB) (*sql.DB, bulkDialect, error) {
	pools := db.Pools()
	switch db.Dialect() {
	case "sqlite":
		if p := pools["sqlite_write"]; p != nil {
			return p, sqliteBulk{}, nil
		}
	case "postgres":
		if p := pools["postgres"]; p != nil {
			return p, postgresBulk{}, nil
		}
	}
	names := make([]string, 0, len(pools))
	for name := range pools {
		names = append(names, name)
	}
	slices.Sort(names)
	return nil, nil, fmt.Errorf("no write pool among the %s store's pools %v", db.Dialect(), names)
}

// sqliteBulk is the SQLite dialect of BulkLoad.
type sqliteBulk struct{}

// maxParams is SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
func (sqliteBulk) maxParams() int { return 32766 }

// param is an anonymous "?", not "$i". SQLite keeps the names of named and
// numbered parameters in a list it searches linearly, when parsing and on
// every bind: with the thousands of parameters of a bulk INSERT, "$i" made
// binding quadratic and BulkLoad a hundred times slower.
func (sqliteBulk) param(int) string { return "?" }

// deferIndexes is true: BulkLoad holds the one write connection anyway.
func (sqliteBulk) deferIndexes() bool { return true }

// indexes lists the indexes of a table that have a definition: not those
// SQLite makes for PRIMARY KEY and UNIQUE constraints.
func (sqliteBulk) indexes(ctx context.Context, tx *sql.Tx, table string) ([]index, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}

// bulkCacheKiB is the page cache of the connection of BulkLoad. Inserting
// random keys (digests, owner ids) into the indexes of a million tokens
// touches pages all over them: with the default 2 MiB, SQLite spills dirty
// pages to the WAL again and again, and a load takes many minutes.
const bulkCacheKiB = 1 << 20

// settings raises the page cache of conn for the load and turns off the
// WAL's automatic checkpoints, which would copy pages to the database again
// and again while the load rewrites them; restoring checkpoints once, at
// the end, so that readers do not start on a WAL of the whole load.
func (sqliteBulk) settings(ctx context.Context, conn *sql.Conn) (func(), error) {
	var cache, checkpoint int64
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&checkpoint); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -bulkCacheKiB)); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return nil, err
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		_, _ = conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, cache))
		_, _ = conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, checkpoint))
		_, _ = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}, nil
}

// postgresBulk is the PostgreSQL dialect of BulkLoad.
type postgresBulk struct{}

// maxParams is the limit of the wire protocol, whose Bind message counts
// parameters in 16 bits.
func (postgresBulk) maxParams() int { return 65535 }

func (postgresBulk) param(i int) string { return "$" + strconv.Itoa(i) }

// deferIndexes is false: dropping an index takes an exclusive lock on the
// table, which would stop the replicas serving from it, and PostgreSQL's
// bulk load is not measured against a target.
func (postgresBulk) deferIndexes() bool { return false }

func (postgresBulk) indexes(context.Context, *sql.Tx, string) ([]index, error) { return nil, nil }

func (postgresBulk) settings(context.Context, *sql.Conn) (func(), error) { return func() {}, nil }
