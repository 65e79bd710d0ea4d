package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// Accounts and users take uidNumbers from one counter, teams gidNumbers
// from another, in their create transaction; a deleted holder's number is
// never given again, and a create that fails gives its number back.
func TestPOSIXNumbers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a1 := newAccount(t, db, "a1", 0)
		u1 := newUser(t, db, "u1@example.com", 1)
		a2 := newAccount(t, db, "a2", 2)
		t1 := newTeam(t, db, "t1", nil, 0)
		t2 := newTeam(t, db, "t2", nil, 1)
		equal(t, "uidNumbers", []int64{a1.UIDNumber, u1.UIDNumber, a2.UIDNumber},
			[]int64{keyhold.DefaultUIDStart, keyhold.DefaultUIDStart + 1, keyhold.DefaultUIDStart + 2})
		equal(t, "gidNumbers", []int64{t1.GIDNumber, t2.GIDNumber}, []int64{keyhold.DefaultGIDStart, keyhold.DefaultGIDStart + 1})
		read(t, db, func(tx storage.Tx) error {
			a, err := tx.Accounts().GetSystemAccount(ctx, a2.ID)
			if err != nil {
				return err
			}
			u, err := tx.Users().GetUser(ctx, u1.ID)
			if err != nil {
				return err
			}
			tm, err := tx.Teams().GetTeam(ctx, t2.ID)
			if err != nil {
				return err
			}
			equal(t, "stored numbers", []int64{a.UIDNumber, u.UIDNumber, tm.GIDNumber}, []int64{a2.UIDNumber, u1.UIDNumber, t2.GIDNumber})
			return nil
		})

		// A conflict rolls its transaction back, and the number with it.
		err := db.Write(ctx, func(tx storage.Tx) error {
			return tx.Accounts().CreateSystemAccount(ctx, &keyhold.SystemAccount{ID: newID(), Name: "A1", CreatedAt: at(3), UpdatedAt: at(3)})
		})
		wantCode(t, err, keyhold.ECONFLICT)

		// Deleting the newest holders does not give their numbers back.
		write(t, db, func(tx storage.Tx) error {
			if err := tx.Accounts().DeleteSystemAccount(ctx, a2.ID); err != nil {
				return err
			}
			return tx.Teams().DeleteTeam(ctx, t2.ID)
		})
		u2 := newUser(t, db, "u2@example.com", 4)
		t3 := newTeam(t, db, "t3", nil, 4)
		equal(t, "uid after a deletion", u2.UIDNumber, a2.UIDNumber+1)
		equal(t, "gid after a deletion", t3.GIDNumber, t2.GIDNumber+1)

		// The configured starts raise the counters, never lower them.
		write(t, db, func(tx storage.Tx) error { return tx.POSIX().RaisePOSIXCounters(ctx, 10000, 20000) })
		a3 := newAccount(t, db, "a3", 5)
		t4 := newTeam(t, db, "t4", nil, 5)
		equal(t, "raised", []int64{a3.UIDNumber, t4.GIDNumber}, []int64{10000, 20000})
		write(t, db, func(tx storage.Tx) error { return tx.POSIX().RaisePOSIXCounters(ctx, 2000, 4000) })
		read(t, db, func(tx storage.Tx) error {
			uid, gid, err := tx.POSIX().POSIXCounters(ctx)
			equal(t, "counters after a lower start", []int64{uid, gid}, []int64{10001, 20001})
			return err
		})
	})
}

// Migration 0017 numbers existing accounts and users together, oldest
// first (created_at, then id), and teams apart, and starts each counter
// past the numbers it gave.
func TestMigratePOSIXBackfill(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := migratedFrom(t, b, 16)
			// Created out of order, and two at the same minute: ids break the tie.
			u3 := seedUserRaw(t, db, "late@example.com", 3)
			a1 := seedAccountRaw(t, db, "first", 1)
			u1 := seedUserRaw(t, db, "early@example.com", 0)
			a2 := seedAccountRaw(t, db, "second", 2)
			u2 := seedUserRaw(t, db, "same@example.com", 2) // newer id than a2
			t2 := seedTeamRaw(t, db, "later", 5)
			t1 := seedTeamRaw(t, db, "earlier", 4)
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			read(t, db, func(tx storage.Tx) error {
				uids := map[string]int64{}
				for _, id := range []string{a1.ID, a2.ID} {
					a, err := tx.Accounts().GetSystemAccount(ctx, id)
					if err != nil {
						return err
					}
					uids[a.Name] = a.UIDNumber
				}
				for _, id := range []string{u1.ID, u2.ID, u3.ID} {
					u, err := tx.Users().GetUser(ctx, id)
					if err != nil {
						return err
					}
					uids[u.Email] = u.UIDNumber
				}
				equal(t, "backfilled uidNumbers", uids, map[string]int64{"early@example.com": 2000, "first": 2001,
					"second": 2002, "same@example.com": 2003, "late@example.com": 2004})
				gids := map[string]int64{}
				for _, id := range []string{t1.ID, t2.ID} {
					tm, err := tx.Teams().GetTeam(ctx, id)
					if err != nil {
						return err
					}
					gids[tm.Name] = tm.GIDNumber
				}
				equal(t, "backfilled gidNumbers", gids, map[string]int64{"earlier": 4000, "later": 4001})
				uid, gid, err := tx.POSIX().POSIXCounters(ctx)
				equal(t, "counters", []int64{uid, gid}, []int64{2005, 4002})
				return err
			})
			a := newAccount(t, db, "after", 6)
			equal(t, "first number after the migration", a.UIDNumber, int64(2005))
		})
	}
}
