package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		list := func(after int64, limit int) []keyhold.Change {
			t.Helper()
			var got []keyhold.Change
			read(t, db, func(tx storage.Tx) (err error) {
				got, err = tx.Changes().ListChanges(ctx, after, limit)
				return err
			})
			return got
		}
		last := func() int64 {
			t.Helper()
			var seq int64
			read(t, db, func(tx storage.Tx) (err error) {
				seq, err = tx.Changes().LastChangeSeq(ctx)
				return err
			})
			return seq
		}
		appendAll := func(cs []*keyhold.Change) {
			t.Helper()
			write(t, db, func(tx storage.Tx) error {
				for _, c := range cs {
					if err := tx.Changes().AppendChange(ctx, c); err != nil {
						return err
					}
				}
				return nil
			})
		}

		t.Run("Empty", func(t *testing.T) {
			equal(t, "last seq", last(), 0)
			equal(t, "changes", list(0, 10), []keyhold.Change{})
		})

		// Written from another zone with nanoseconds: read back in UTC,
		// truncated to microseconds.
		local := at(1).In(time.FixedZone("X", 3600)).Add(999 * time.Nanosecond)
		cs := []*keyhold.Change{
			{Kind: keyhold.ChangeToken, ID: newID(), Digest: []byte{0, 1, 0xfe, 0xff}, At: local},
			{Kind: keyhold.ChangeSystemAccount, ID: newID(), At: at(1)},
			{Kind: keyhold.ChangeTeam, ID: newID(), Digest: []byte{}, At: at(2)},
		}
		appendAll(cs)
		cs = append(cs, &keyhold.Change{Kind: keyhold.ChangeUser, ID: newID(), At: at(3)})
		appendAll(cs[3:])
		want := make([]keyhold.Change, len(cs))
		for i, c := range cs {
			if i > 0 && c.Seq <= cs[i-1].Seq {
				t.Fatalf("seq %d after %d", c.Seq, cs[i-1].Seq)
			}
			want[i] = *c
			want[i].At = c.At.UTC().Truncate(time.Microsecond)
		}
		want[2].Digest = nil // empty is stored as NULL

		t.Run("RoundTrip", func(t *testing.T) {
			equal(t, "changes", list(0, 100), want)
			equal(t, "last seq", last(), cs[3].Seq)
		})
		t.Run("AfterAndLimit", func(t *testing.T) {
			equal(t, "after first, 2", list(cs[0].Seq, 2), want[1:3])
			equal(t, "after last", list(cs[3].Seq, 2), []keyhold.Change{})
			if err := db.Read(ctx, func(tx storage.Tx) error {
				_, err := tx.Changes().ListChanges(ctx, 0, 0)
				return err
			}); err == nil {
				t.Fatal("ListChanges with limit 0 succeeded")
			}
		})
		t.Run("RolledBack", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.Write(ctx, func(tx storage.Tx) error {
				if err := tx.Changes().AppendChange(ctx, &keyhold.Change{Kind: keyhold.ChangeUser, ID: newID(), At: at(4)}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			equal(t, "changes", list(0, 100), want)
		})
		t.Run("Prune", func(t *testing.T) {
			var n int64
			write(t, db, func(tx storage.Tx) (err error) {
				n, err = tx.Changes().PruneChanges(ctx, at(2)) // strictly older
				return err
			})
			equal(t, "pruned", n, 2)
			equal(t, "changes", list(0, 100), want[2:])
			write(t, db, func(tx storage.Tx) (err error) {
				n, err = tx.Changes().PruneChanges(ctx, at(10))
				return err
			})
			equal(t, "pruned", n, 2)
			equal(t, "last seq when empty", last(), 0)
			// Numbers are never reused, even once the table is empty.
			next := &keyhold.Change{Kind: keyhold.ChangeUser, ID: newID(), At: at(11)}
			appendAll([]*keyhold.Change{next})
			if next.Seq <= cs[3].Seq {
				t.Fatalf("seq %d after pruning %d", next.Seq, cs[3].Seq)
			}
			equal(t, "last seq", last(), next.Seq)
		})
	})
}
