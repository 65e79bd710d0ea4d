package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLockKey is the pg_advisory_xact_lock key of Migrate and
// Exclusive, the same in every replica. It is "keyhold" in ASCII.
const migrationLockKey int64 = 0x6b6579686f6c64

// postgresConfig reads url into pgx's connection configuration and sets
// password on it when given. Query parameters of the URL that pgx does not
// know, such as search_path, are sent to the server as run-time
// parameters.
func postgresConfig(url, password string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err // pgx masks the password in what it quotes
	}
	if password != "" {
		cfg.Password = password // the fallbacks (several hosts) share it
	}
	return cfg, nil
}

// openPostgres opens one pool for reads and writes.
func openPostgres(ctx context.Context, cfg *pgx.ConnConfig) (*sql.DB, error) {
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close() // a pool that never connected: the ping's error says it
		return nil, err
	}
	return db, nil
}

// postgresDialect is the PostgreSQL dialect (pgx through database/sql) of
// the database cfg connects to, which WatchChanges connects to on its own.
type postgresDialect struct{ cfg *pgx.ConnConfig }

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) classify(err error) errClass {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return errOther
	}
	switch e.Code {
	case "23505": // unique_violation
		return errUnique
	case "23503": // foreign_key_violation
		return errForeignKey
	}
	return errOther
}

// savepoints is true: a failed statement aborts the whole transaction
// unless it ran under a savepoint.
func (postgresDialect) savepoints() bool { return true }

func (postgresDialect) lock(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey)
	return err
}

// skipLocked makes concurrent callers of a conditional update pick
// different rows instead of queueing on the same ones.
func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// rawTime is col: pgx decodes the binary timestamptz format cheaply.
func (postgresDialect) rawTime(col string) string { return col }

func (postgresDialect) bulkParam(i int) string { return "$" + strconv.Itoa(i) }

func (postgresDialect) timeParam(param string) string { return "CAST(" + param + " AS TIMESTAMPTZ)" }

// asciiLower uses translate, not lower(), which would fold every letter
// the collation knows and so differ from SQLite.
func (postgresDialect) asciiLower(col string) string {
	return "translate(" + col + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
}

func (postgresDialect) hasTable(ctx context.Context, q querier, table string) (bool, error) {
	var ok bool
	// to_regclass resolves the name through search_path, as queries do.
	err := q.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok)
	return ok, err
}

func (postgresDialect) backup(context.Context, string) error {
	return errors.New("backup: not supported on PostgreSQL; use pg_dump")
}
