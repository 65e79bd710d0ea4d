package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// Migration 0019 and the step after it make the events of earlier
// releases leaves of the audit log, in (occurred_at, seq) order, with the
// names 0018 gave them; running the migrations again appends nothing.
func TestMigrateAppendsEarlierEventsToTheLog(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			db := migratedFrom(t, b, 17)
			// Inserted out of time order; two share an instant, which seq
			// (insertion order) breaks.
			late := seedEventRaw(t, db, "token.create", "", "", 3)
			first := seedEventRaw(t, db, "team.create", "", "", 1)
			tieA := seedEventRaw(t, db, "user.invite", "", "", 2)
			tieB := seedEventRaw(t, db, "auth.failed", "", "", 2)
			want := []struct{ id, action string }{{first, "team.created"}, {tieA, "user.invited"}, {tieB, "auth.failed"}, {late, "token.created"}}

			for range 2 {
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			read(t, db, func(tx storage.Tx) error {
				st, err := tx.Audit().AuditLog(ctx)
				if err != nil {
					return err
				}
				equal(t, "log size", st.Size, int64(len(want)))
				leaves, err := tx.Audit().ListAuditLeaves(ctx, 0, 100)
				if err != nil {
					return err
				}
				equal(t, "leaves", len(leaves), len(want))
				for i, l := range leaves {
					if l.Event == nil || l.Event.ID != want[i].id || l.Event.Action != want[i].action || l.Event.Seq != int64(i) {
						t.Fatalf("leaf %d: %+v, want %+v", i, l.Event, want[i])
					}
					if l.Event.LeafHash() != l.Hash {
						t.Fatalf("leaf %d: the stored hash is not the event's", i)
					}
				}
				return nil
			})
		})
	}
}

// An event that cannot be stored takes no leaf: on SQLite the transaction
// goes on without it, on PostgreSQL it cannot commit; either way every
// leaf has its event and the indexes have no gap.
func TestAuditAppendFailureTakesNoLeaf(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ev := func() *keyhold.AuditEvent {
			return &keyhold.AuditEvent{ID: newID(), Time: at(1), ActorType: keyhold.PrincipalUser, Action: "team.created", Outcome: "success", Count: 1}
		}
		first := ev()
		write(t, db, func(tx storage.Tx) error { return tx.Audit().AppendAuditEvent(ctx, first) })
		second := ev()
		err := db.Write(ctx, func(tx storage.Tx) error {
			if err := tx.Audit().AppendAuditEvent(ctx, first); keyhold.ErrorCode(err) != keyhold.ECONFLICT {
				t.Errorf("the same event again: %v, want ECONFLICT", err)
			}
			return tx.Audit().AppendAuditEvent(ctx, second)
		})
		if db.Dialect() == "sqlite" && err != nil {
			t.Fatal(err)
		}
		third := ev()
		write(t, db, func(tx storage.Tx) error { return tx.Audit().AppendAuditEvent(ctx, third) })
		read(t, db, func(tx storage.Tx) error {
			leaves, err := tx.Audit().ListAuditLeaves(ctx, 0, 100)
			if err != nil {
				return err
			}
			for i, l := range leaves {
				if l.Event == nil || l.Event.Seq != int64(i) {
					t.Fatalf("leaf %d of %d has no event", i, len(leaves))
				}
			}
			if want := map[string]int{"sqlite": 3, "postgres": 2}[db.Dialect()]; len(leaves) != want || leaves[len(leaves)-1].Event.ID != third.ID {
				t.Fatalf("%d leaves, want %d ending with the third event", len(leaves), want)
			}
			return nil
		})
	})
}
