package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteParams apply to every SQLite connection. busy_timeout comes first
// (the driver sorts it so) so the other pragmas wait instead of failing.
// synchronous(FULL) syncs the WAL at every commit, so that a write keyhold
// acknowledged survives a power loss as well as a killed process: with
// NORMAL, the last commits before a power cut could vanish, and a
// revocation that vanished would bring a token back. Writes are rare next
// to decisions, which never write.
// _time_format=sqlite writes times as "2006-01-02 15:04:05.999999999-07:00";
// since the store only writes UTC, text order is time order.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_time_format=sqlite"

// sqlitePath returns the file path of a "sqlite:PATH" URL or a bare path.
// "sqlite://PATH" is accepted too, so "sqlite:///var/lib/k.db" is absolute.
func sqlitePath(url string) string {
	p := strings.TrimPrefix(url, "sqlite:")
	if p != url {
		p = strings.TrimPrefix(p, "//")
	}
	return p
}

// openSQLite opens a read pool of several connections and a write pool of
// one, whose transactions begin IMMEDIATE: a writer takes the lock before
// reading, so a read-then-write transaction never fails halfway with
// SQLITE_BUSY, and writers of this process queue on the pool instead.
func openSQLite(ctx context.Context, path string) (read, write *sql.DB, err error) {
	switch {
	case path == "":
		return nil, nil, errors.New("empty path")
	case strings.ContainsAny(path, "?#"):
		return nil, nil, fmt.Errorf("path %q: '?' and '#' are not allowed", path)
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:"):
		// The two pools would each see a different empty database.
		return nil, nil, errors.New("in-memory databases are not supported; use a file")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, nil, err
	}
	write, err = sql.Open("sqlite", path+"?"+sqliteParams+"&_txlock=immediate")
	if err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// Connect the writer first: it switches the file to WAL, which needs a
	// moment alone with it, before readers connect.
	// On failure the pools opened so far are closed unchecked: nothing has
	// been written through them, and the first error is the one to report.
	if err := write.PingContext(ctx); err != nil {
		_ = write.Close()
		return nil, nil, err
	}
	read, err = sql.Open("sqlite", path+"?"+sqliteParams+"&_pragma=query_only(1)")
	if err != nil {
		_ = write.Close()
		return nil, nil, err
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		_ = read.Close()
		_ = write.Close()
		return nil, nil, err
	}
	return read, write, nil
}

// sqliteDialect is the SQLite dialect (modernc.org/sqlite) of the database
// file at path.
type sqliteDialect struct{ path string }

func (sqliteDialect) name() string { return "sqlite" }

func (sqliteDialect) classify(err error) errClass {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return errOther
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return errUnique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return errForeignKey
	}
	return errOther
}

// savepoints is false: SQLite undoes only the failed statement.
func (sqliteDialect) savepoints() bool { return false }

// lock does nothing: a write transaction begins IMMEDIATE, which already
// excludes every other writer, in this process and in others.
func (sqliteDialect) lock(context.Context, *sql.Tx) error { return nil }

// skipLocked is empty: a write transaction begins IMMEDIATE, so no other
// writer runs meanwhile.
func (sqliteDialect) skipLocked() string { return "" }

// rawTime applies the unary +, which changes no value but hides the
// column's declared type, so the driver returns the text as it is instead
// of parsing it with time.Parse, twice (it first tries another layout).
func (sqliteDialect) rawTime(col string) string { return "+" + col }

// bulkParam is an anonymous "?", not the shared "$i". SQLite keeps the
// names of named and numbered parameters in a list it searches linearly,
// when parsing and on every bind: with the thousands of parameters of a long
// statement, "$i" makes binding quadratic (it made a bulk INSERT a hundred
// times slower).
func (sqliteDialect) bulkParam(int) string { return "?" }

// timeParam leaves the parameter as it is: SQLite compares the text of
// times, which the store writes in one format.
func (sqliteDialect) timeParam(param string) string { return param }

// asciiLower is lower(col): without ICU, SQLite's lower() folds ASCII only.
func (sqliteDialect) asciiLower(col string) string { return "lower(" + col + ")" }

func (sqliteDialect) hasTable(ctx context.Context, q querier, table string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, table).Scan(&n)
	return n > 0, err
}

// backup runs VACUUM INTO, which copies a consistent snapshot from a read
// transaction, so writers carry on meanwhile (WAL), and compacts the copy.
// It needs a connection of its own: the read pool is query_only, which
// refuses VACUUM INTO, and the one write connection would hold up every
// writer for as long as the copy takes.
func (d sqliteDialect) backup(ctx context.Context, outPath string) error {
	if _, err := os.Stat(outPath); err == nil {
		return fmt.Errorf("backup: %s already exists", outPath)
	}
	if err := os.MkdirAll(filepath.Dir(outPath), 0o750); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := sql.Open("sqlite", d.path+"?"+sqliteParams)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, outPath); err != nil {
		return fmt.Errorf("backup: %w", errors.Join(err, db.Close()))
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// DataDir is the directory of the SQLite database url names, where keyhold
// keeps the files that go with it; ok is false for PostgreSQL, whose
// replicas share no directory.
func DataDir(url string) (dir string, ok bool) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return "", false
	}
	return filepath.Dir(sqlitePath(url)), true
}
