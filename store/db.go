// Package store persists keyhold's domain in SQLite or PostgreSQL through
// database/sql. The SQL is shared by both dialects ($1 placeholders, the
// portable subset of STYLE.md); what differs (connection setup, driver
// errors, the migration lock, schema files) lives behind the dialect
// interface in sqlite.go and postgres.go.
//
// The store persists and queries; it holds no business rule.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

var _ storage.Store = (*DB)(nil)

// Options configures Open.
type Options struct {
	// Now is the clock used for bookkeeping such as the time a migration was
	// applied; time.Now when nil. Domain times come from the caller.
	Now func() time.Time
	// Logger receives what the store reports without returning it: the
	// failures and reconnections of WatchChanges. Nothing is logged when nil.
	Logger *slog.Logger
	// Password is PostgreSQL's password, set on the connection
	// configuration so that it needs no place in the URL (serve
	// --db-password-file); it overrides one in the URL. SQLite has no
	// password: setting one is an error there.
	Password string
}

// DB is a keyhold database. It implements storage.Store.
type DB struct {
	d dialect
	// read serves read-only transactions and write serves the others. On
	// SQLite they are separate pools (several readers, one writer, so that
	// writers queue in Go instead of failing with SQLITE_BUSY); on
	// PostgreSQL both are the same pool.
	read  *sql.DB
	write *sql.DB
	now   func() time.Time
	log   *slog.Logger
}

// OpenMigrated opens the database named by url and migrates it, as the
// commands that write to it do.
func OpenMigrated(ctx context.Context, url string, opts Options) (*DB, error) {
	db, err := Open(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// Open connects to the database named by url: "sqlite:PATH" or a bare path
// for SQLite, "postgres://…" or "postgresql://…" for PostgreSQL. It does not
// migrate; call Migrate, or CheckSchema before serving.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	db := &DB{now: opts.Now, log: opts.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	var err error
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		var cfg *pgx.ConnConfig
		if cfg, err = postgresConfig(url, opts.Password); err != nil {
			return nil, fmt.Errorf("open postgres database: %w", err)
		}
		db.d = postgresDialect{cfg: cfg}
		db.read, err = openPostgres(ctx, cfg)
		db.write = db.read
	default:
		if opts.Password != "" {
			return nil, errors.New("open sqlite database: SQLite has no password; a password is for PostgreSQL")
		}
		path := sqlitePath(url)
		db.d = sqliteDialect{path: path}
		db.read, db.write, err = openSQLite(ctx, path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", db.d.name(), err)
	}
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Read runs fn in a read-only transaction.
func (db *DB) Read(ctx context.Context, fn func(storage.Tx) error) error {
	return db.run(ctx, db.read, &sql.TxOptions{ReadOnly: true}, false, func(t *tx) error { return fn(t) })
}

// Write runs fn in a read-write transaction; an error from fn rolls back.
// After a failed statement (say, an ECONFLICT) the transaction stays usable
// on both dialects.
func (db *DB) Write(ctx context.Context, fn func(storage.Tx) error) error {
	return db.write1(ctx, func(t *tx) error { return fn(t) })
}

// write1 is Write for the store's own statements, which need the
// transaction itself rather than its roles.
func (db *DB) write1(ctx context.Context, fn func(*tx) error) error {
	return db.run(ctx, db.write, nil, false, fn)
}

// Exclusive runs fn in a write transaction that also holds the migration
// lock. On SQLite the immediate write transaction is already exclusive; on
// PostgreSQL it takes the advisory lock that Migrate takes.
func (db *DB) Exclusive(ctx context.Context, fn func(storage.Tx) error) error {
	return db.run(ctx, db.write, nil, true, func(t *tx) error { return fn(t) })
}

func (db *DB) run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, lock bool, fn func(*tx) error) error {
	return unavailable(db.runTx(ctx, pool, opts, lock, fn))
}

func (db *DB) runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, lock bool, fn func(*tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	if lock {
		if err := db.d.lock(ctx, sqlTx); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if err := fn(&tx{tx: sqlTx, d: db.d}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// touchBatch bounds one statement, and transaction, of TouchTokens: under
// heavy load a flush holds hundreds of thousands of uses, and one long
// transaction would hold their row locks and the write connection for
// seconds, starving other writes.
const touchBatch = 1000

// TouchTokens raises last_used_at of the given tokens to the given uses,
// with the client address and user agent of each, one UPDATE … FROM
// (VALUES …) statement per transaction of at most touchBatch tokens. A
// time never moves backwards, and tokens that no longer exist are ignored.
func (db *DB) TouchTokens(ctx context.Context, used map[string]keyhold.TokenUse) error {
	if len(used) == 0 {
		return nil
	}
	// Sorted ids make concurrent flushes from several replicas lock rows in
	// the same order, so they cannot deadlock on PostgreSQL; should the
	// planner ever pick another order, PostgreSQL aborts one of them, and
	// the service writes that batch again at its next flush.
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	batch := make(map[string]keyhold.TokenUse, min(len(ids), touchBatch))
	for len(ids) > 0 {
		n := min(len(ids), touchBatch)
		clear(batch)
		for _, id := range ids[:n] {
			batch[id] = used[id]
		}
		if err := db.write1(ctx, func(t *tx) error { return t.TouchTokens(ctx, batch) }); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// touchSQL updates the tokens of n rows of (id, time, address, user agent)
// that meet cond. VALUES names its columns column1… on both SQLite (3.33
// and later, for UPDATE … FROM) and PostgreSQL.
func touchSQL(d dialect, n int, cond string) string {
	var b strings.Builder
	b.Grow(300 + n*24)
	b.WriteString(`UPDATE tokens SET last_used_at = v.column2, last_used_ip = v.column3,
		last_used_user_agent = v.column4 FROM (VALUES `)
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(d.bulkParam(p))
		b.WriteString(", ")
		b.WriteString(d.timeParam(d.bulkParam(p + 1)))
		b.WriteString(", ")
		b.WriteString(d.bulkParam(p + 2))
		b.WriteString(", ")
		b.WriteString(d.bulkParam(p + 3))
		b.WriteByte(')')
		p += 4
	}
	b.WriteString(`) AS v WHERE tokens.id = v.column1 AND `)
	b.WriteString(cond)
	return b.String()
}

// Backup writes a consistent snapshot of a SQLite database to outPath while
// the database stays online. outPath must not exist. On PostgreSQL it fails:
// use pg_dump there.
func (db *DB) Backup(ctx context.Context, outPath string) error {
	return db.d.backup(ctx, outPath)
}
