// Package storetest gives tests fresh keyhold databases: a SQLite file in a
// temporary directory always, and a PostgreSQL schema of its own when the
// environment variable KEYHOLD_TEST_POSTGRES holds a server URL, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
//
// When that variable is set, a server that cannot be reached fails the test
// instead of skipping it, so a broken CI setup cannot pass silently.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/store"
)

// EnvPostgres names the environment variable holding the PostgreSQL URL.
const EnvPostgres = "KEYHOLD_TEST_POSTGRES"

// Backend names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backends returns the backends to test: "sqlite", and "postgres" when
// KEYHOLD_TEST_POSTGRES is set.
func Backends(t testing.TB) []string {
	t.Helper()
	if os.Getenv(EnvPostgres) != "" {
		return []string{SQLite, Postgres}
	}
	return []string{SQLite}
}

// Each runs fn as a subtest per backend, named after it, each with a fresh
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b, func(t *testing.T) { fn(t, Open(t, b)) })
	}
}

// Open returns a fresh migrated database of backend, closed at cleanup.
func Open(t testing.TB, backend string) *store.DB {
	t.Helper()
	db, _ := OpenURL(t, backend)
	return db
}

// OpenURL is Open that also returns the database's URL, so that a test can
// open it again, inspect the file or dump it.
func OpenURL(t testing.TB, backend string) (*store.DB, string) {
	t.Helper()
	u := NewURL(t, backend)
	db := OpenUnmigrated(t, u)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: migrate %s: %v", backend, err)
	}
	return db, u
}

// OpenUnmigrated opens the database at u as is, and closes it at cleanup.
func OpenUnmigrated(t testing.TB, u string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), u, store.Options{})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// NewURL returns the URL of a fresh, empty, unmigrated database of backend:
// a file in a temporary directory, or a new PostgreSQL schema, dropped with
// everything in it at cleanup.
func NewURL(t testing.TB, backend string) string {
	t.Helper()
	switch backend {
	case SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "keyhold.db")
	case Postgres:
		return newSchema(t)
	}
	t.Fatalf("storetest: unknown backend %q", backend)
	return ""
}

// newSchema creates a uniquely named schema and returns the server URL with
// search_path set to it; pgx sends unknown URL parameters to the server as
// run-time parameters, so every connection of the pool uses the schema.
func newSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("storetest: %s is not set", EnvPostgres)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "keyhold_test_" + hex.EncodeToString(b)

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	// The admin pools run one statement each, done when ExecContext
	// returns; closing them has nothing left to report.
	defer func() { _ = admin.Close() }()
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("storetest: PostgreSQL at %s: %v", EnvPostgres, err)
	}
	// Cleanups run last-registered first, so every store opened on this
	// schema afterwards is closed before it is dropped.
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("storetest: drop schema: %v", err)
			return
		}
		defer func() { _ = admin.Close() }()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Raw opens the database at u with database/sql, without the store, for
// tests that look under it: the driver is "sqlite" or "pgx" as u says.
// It is closed at cleanup.
func Raw(t testing.TB, u string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", u
	if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		driver, dsn = "sqlite", strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		dsn += "?_pragma=busy_timeout(10000)&_time_format=sqlite"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
