package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// migrationCount is the number of migration files of a dialect.
func migrationCount(t *testing.T, dialect string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations for %s: %v", dialect, err)
	}
	return len(files)
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db, u := storetest.OpenURL(t, b)
			raw := storetest.Raw(t, u)
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after Migrate: %v", err)
			}
			// Idempotent.
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			equal(t, "recorded migrations", n, migrationCount(t, b))

			t.Run("AheadAccepted", func(t *testing.T) {
				// A newer binary migrated the database during a rolling
				// upgrade: this one keeps serving.
				if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, $1)`, t0); err != nil {
					t.Fatal(err)
				}
				if err := db.CheckSchema(ctx); err != nil {
					t.Fatalf("CheckSchema ahead = %v, want nil", err)
				}
				if err := db.Migrate(ctx); err != nil {
					t.Fatalf("Migrate ahead = %v, want nil", err)
				}
			})
			t.Run("ErrSchemaBehind", func(t *testing.T) {
				// Still ahead (9999), but behind too: behind wins.
				if _, err := raw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations WHERE version < 9999)`); err != nil {
					t.Fatal(err)
				}
				if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
					t.Fatalf("CheckSchema = %v, want ErrSchemaBehind", err)
				}
			})
			t.Run("ErrSchemaBehindWhenEmpty", func(t *testing.T) {
				empty := storetest.OpenUnmigrated(t, storetest.NewURL(t, b))
				if err := empty.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
					t.Fatalf("CheckSchema = %v, want ErrSchemaBehind", err)
				}
			})
		})
	}
}

// TestMigrateConcurrent starts several replicas on one fresh database at
// once: every Migrate succeeds and each migration is applied once.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			u := storetest.NewURL(t, b)
			const replicas = 4
			dbs := make([]*store.DB, replicas)
			for i := range dbs {
				dbs[i] = storetest.OpenUnmigrated(t, u)
			}
			var wg sync.WaitGroup
			errs := make([]error, replicas)
			for i, db := range dbs {
				wg.Go(func() { errs[i] = db.Migrate(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: %v", i, err)
				}
			}
			var n, distinct int
			err := storetest.Raw(t, u).QueryRowContext(ctx,
				`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "recorded migrations", n, migrationCount(t, b))
			equal(t, "distinct migrations", distinct, n)
			for _, db := range dbs {
				if err := db.CheckSchema(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestMigrationsMatch keeps the dialects in step: the same numbered files
// exist for both, whatever backends this run tests.
func TestMigrationsMatch(t *testing.T) {
	t.Parallel()
	names := func(dialect string) []string {
		entries, err := os.ReadDir(filepath.Join("migrations", dialect))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	equal(t, "migration files", names("postgres"), names("sqlite"))
}
