package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Errors about the schema, wrapped with the versions found.
var (
	// ErrSchemaBehind means migrations of this binary are not applied yet.
	// CheckSchema returns it.
	ErrSchemaBehind = errors.New("database schema is behind this binary; run the migrations")
)

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the migrations of a dialect in version order.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s/%s: name must start with a number and '_'", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at %s NOT NULL
)`

// Migrate applies the migrations the database lacks, each in its own
// transaction, and records them in schema_migrations. It is idempotent,
// and safe when several replicas start at once: on PostgreSQL every step
// holds an advisory lock, on SQLite an immediate write transaction.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx, 0) }

// migrate applies the migrations up to version upTo, or all for 0; tests
// stop at a version to seed data that a later migration converts.
func (db *DB) migrate(ctx context.Context, upTo int) error {
	ms, err := migrations(db.d.name())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	timeType := "TIMESTAMP"
	if db.d.name() == "postgres" {
		timeType = "TIMESTAMPTZ"
	}
	err = db.migrateStep(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, fmt.Sprintf(createSchemaMigrations, timeType))
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if upTo > 0 && m.version > upTo {
			break
		}
		if err := db.migrateStep(ctx, func(tx *sql.Tx) error { return db.apply(ctx, tx, m) }); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.name, err)
		}
	}
	if upTo == 0 || upTo >= auditLogVersion {
		if err := db.logUnlogged(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// auditLogVersion is the migration that made the audit trail a Merkle log;
// from it on, events of earlier releases are appended to the log after
// the migrations.
const auditLogVersion = 19

// migrateStep runs fn in a write transaction holding the migration lock.
// The lock comes first, so what fn then reads was committed by whoever held
// it before.
func (db *DB) migrateStep(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := db.d.lock(ctx, tx); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// apply runs m unless another replica already did. Its row in
// schema_migrations is written first, in the same transaction, so that a
// migration that writes times (an audit event, a change) reads the store's
// clock from its applied_at rather than the database's own.
func (db *DB) apply(ctx context.Context, tx *sql.Tx, m migration) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		m.version, ts(db.now()))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, m.sql)
	return err
}

// CheckSchema returns an error wrapping ErrSchemaBehind when a migration of
// this binary is not applied: such a replica must not serve. A database
// ahead of the binary, with migrations this binary does not know, is
// accepted, because migrations only add (tables, columns with defaults,
// indexes), so the previous release keeps working on the new schema while a
// rolling upgrade replaces it.
func (db *DB) CheckSchema(ctx context.Context) error {
	ms, err := migrations(db.d.name())
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	ok, err := db.d.hasTable(ctx, db.read, "schema_migrations")
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	} else if !ok {
		return fmt.Errorf("check schema: no migration applied, %d known: %w", len(ms), ErrSchemaBehind)
	}
	applied, err := db.appliedVersions(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	for _, m := range ms {
		if !applied[m.version] {
			return fmt.Errorf("check schema: migration %s is not applied: %w", m.name, ErrSchemaBehind)
		}
	}
	return nil
}

func (db *DB) appliedVersions(ctx context.Context) (map[int]bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := make(map[int]bool)
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}
