package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestOrganization(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		wantCode(t, db.Read(ctx, func(tx storage.Tx) error { _, err := tx.Org().GetOrganization(ctx); return err }), keyhold.ENOTFOUND)
		o := &keyhold.Organization{ID: newID(), Name: "Acme", OwnerID: newID(), LoginPath: "acme",
			State: "active", RetentionPeriodDays: 90, CreatedAt: t0, UpdatedAt: at(1)}
		write(t, db, func(tx storage.Tx) error { return tx.Org().CreateOrganization(ctx, o) })
		read(t, db, func(tx storage.Tx) error {
			got, err := tx.Org().GetOrganization(ctx)
			equal(t, "organization", got, o)
			return err
		})
		// There is one organization, whatever its id.
		o2 := *o
		o2.ID = newID()
		wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.Org().CreateOrganization(ctx, &o2) }), keyhold.ECONFLICT)
	})
}

func TestTimes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Written from another zone with nanoseconds: read back in UTC,
		// truncated to microseconds, on both dialects.
		local := time.Date(2025, 12, 31, 23, 59, 59, 987654321, time.FixedZone("Y", 9*3600))
		a := &keyhold.SystemAccount{ID: newID(), Name: "tz", CreatedAt: local, UpdatedAt: local}
		write(t, db, func(tx storage.Tx) error { return tx.Accounts().CreateSystemAccount(ctx, a) })
		read(t, db, func(tx storage.Tx) error {
			got, err := tx.Accounts().GetSystemAccount(ctx, a.ID)
			if err != nil {
				return err
			}
			want := local.UTC().Truncate(time.Microsecond)
			if got.CreatedAt != want || got.CreatedAt.Location() != time.UTC {
				t.Fatalf("created_at = %v, want %v in UTC", got.CreatedAt, want)
			}
			return nil
		})
	})
}

func TestTransactions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newAccount(t, db, "taken", 0)
		t.Run("UsableAfterConflict", func(t *testing.T) {
			write(t, db, func(tx storage.Tx) error {
				err := tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "TAKEN", CreatedAt: t0, UpdatedAt: t0})
				wantCode(t, err, keyhold.ECONFLICT)
				return tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "after", CreatedAt: t0, UpdatedAt: t0})
			})
			read(t, db, func(tx storage.Tx) error { _, err := accountNamed(ctx, tx, "after"); return err })
		})
		t.Run("ErrorRollsBack", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.Write(ctx, func(tx storage.Tx) error {
				if err := tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "ghost", CreatedAt: t0, UpdatedAt: t0}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
			wantCode(t, db.Read(ctx, func(tx storage.Tx) error { _, err := accountNamed(ctx, tx, "ghost"); return err }), keyhold.ENOTFOUND)
		})
		t.Run("ReadIsReadOnly", func(t *testing.T) {
			err := db.Read(ctx, func(tx storage.Tx) error {
				return tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "nope", CreatedAt: t0, UpdatedAt: t0})
			})
			wantCode(t, err, keyhold.EINTERNAL)
		})
		t.Run("Ping", func(t *testing.T) {
			if err := db.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestExclusive runs read-then-write transactions from two handles at once:
// each names a new account after the number of accounts it sees, so two
// that overlapped would pick the same name and conflict.
func TestExclusive(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			_, u := storetest.OpenURL(t, b)
			handles := []*store.DB{storetest.OpenUnmigrated(t, u), storetest.OpenUnmigrated(t, u)}
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					errs <- handles[i%2].Exclusive(ctx, func(tx storage.Tx) error {
						_, total, err := tx.Accounts().ListSystemAccounts(ctx, keyhold.SystemAccountFilter{Page: page(1, 1)})
						if err != nil {
							return err
						}
						return tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(),
							Name: fmt.Sprint("acct-", total), CreatedAt: t0, UpdatedAt: t0})
					})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			read(t, handles[0], func(tx storage.Tx) error {
				_, total, err := tx.Accounts().ListSystemAccounts(ctx, keyhold.SystemAccountFilter{Page: page(1, 1)})
				equal(t, "accounts", total, n)
				return err
			})
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct{ name, url, file string }{
		{"Scheme", "sqlite:" + filepath.Join(dir, "a", "k.db"), filepath.Join(dir, "a", "k.db")},
		{"SchemeSlashes", "sqlite://" + filepath.Join(dir, "b", "k.db"), filepath.Join(dir, "b", "k.db")},
		{"BarePath", filepath.Join(dir, "c", "d", "k.db"), filepath.Join(dir, "c", "d", "k.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(ctx, tc.url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = db.Close() }()
			if db.Dialect() != "sqlite" {
				t.Fatalf("dialect = %q", db.Dialect())
			}
			if _, err := os.Stat(tc.file); err != nil {
				t.Fatal(err)
			}
			// Open does not migrate.
			if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
				t.Fatalf("CheckSchema = %v, want ErrSchemaBehind", err)
			}
			var mode string
			if err := storetest.Raw(t, "sqlite:"+tc.file).QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
			}
			// An acknowledged write survives a power loss: FULL is 2.
			if sync, err := db.PragmaForTest(ctx, "synchronous"); err != nil || sync != "2" {
				t.Fatalf("synchronous = %q, %v; want 2 (FULL)", sync, err)
			}
		})
	}
	t.Run("ErrMemory", func(t *testing.T) {
		if _, err := store.Open(ctx, "sqlite::memory:", store.Options{}); err == nil {
			t.Fatal("in-memory database opened")
		}
	})
	for _, b := range storetest.Backends(t) {
		if b == storetest.Postgres {
			t.Run("Postgres", func(t *testing.T) {
				db := storetest.OpenUnmigrated(t, storetest.NewURL(t, b))
				if db.Dialect() != "postgres" {
					t.Fatalf("dialect = %q", db.Dialect())
				}
			})
		}
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := storetest.Open(t, b)
			a := newAccount(t, db, "backed-up", 0)
			out := filepath.Join(t.TempDir(), "backups", "k.db")
			err := db.Backup(ctx, out)
			if b == storetest.Postgres {
				if err == nil || !strings.Contains(err.Error(), "pg_dump") {
					t.Fatalf("Backup = %v, want an error naming pg_dump", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Backup(ctx, out); err == nil {
				t.Fatal("Backup overwrote an existing file")
			}
			copied := storetest.OpenUnmigrated(t, "sqlite:"+out)
			if err := copied.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
			read(t, copied, func(tx storage.Tx) error {
				got, err := tx.Accounts().GetSystemAccount(ctx, a.ID)
				equal(t, "account in backup", got, a)
				return err
			})

			// Online: a backup taken while a write transaction is open
			// neither waits for it nor sees its uncommitted rows.
			during := filepath.Join(t.TempDir(), "during.db")
			write(t, db, func(tx storage.Tx) error {
				if err := tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "uncommitted", CreatedAt: t0, UpdatedAt: t0}); err != nil {
					return err
				}
				tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				return db.Backup(tctx, during)
			})
			wantCode(t, storetest.OpenUnmigrated(t, "sqlite:"+during).Read(ctx, func(tx storage.Tx) error {
				_, err := accountNamed(ctx, tx, "uncommitted")
				return err
			}), keyhold.ENOTFOUND)
		})
	}
}

func TestPools(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var pools []string
		for name, pool := range db.Pools() {
			pools = append(pools, name)
			if n := pool.Stats().OpenConnections; n < 1 {
				t.Errorf("pool %s: %d open connections after Open", name, n)
			}
		}
		slices.Sort(pools)
		want := []string{"sqlite_read", "sqlite_write"}
		if db.Dialect() == storetest.Postgres {
			want = []string{"postgres"}
		}
		equal(t, "pools", pools, want)
	})
}
