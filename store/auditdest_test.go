package store_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// Audit-log destinations: the webhook is one and apart from the list; a
// destination is leased to one sender while it is behind the log and due,
// and an attempt is recorded only under its lease.
func TestAuditDestinations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mk := func(name string, webhook, enabled bool, next int64) *keyhold.AuditDestination {
			return &keyhold.AuditDestination{ID: newID(), Name: name, Endpoint: "https://siem.example.com/" + name, LogFormat: "json",
				Enabled: enabled, Webhook: webhook, NextSeq: next, CreatedAt: t0, UpdatedAt: t0}
		}
		a, b, off, hook := mk("Alpha", false, true, 3), mk("beta", false, true, 10), mk("off", false, false, 0), mk("hook", true, true, 5)
		write(t, db, func(tx storage.Tx) error {
			for _, d := range []*keyhold.AuditDestination{a, b, off, hook} {
				if err := tx.AuditDestinations().CreateAuditDestination(ctx, d, []byte("sealed-"+d.Name)); err != nil {
					return err
				}
			}
			return nil
		})
		wantCode(t, db.Write(ctx, func(tx storage.Tx) error {
			return tx.AuditDestinations().CreateAuditDestination(ctx, mk("hook2", true, false, 0), []byte("x"))
		}), keyhold.ECONFLICT)

		write(t, db, func(tx storage.Tx) error {
			items, total, err := tx.AuditDestinations().ListAuditDestinations(ctx, keyhold.AuditDestinationFilter{Page: page(1, 10)})
			if err != nil || total != 3 || len(items) != 3 {
				t.Errorf("list: %d of %d, %v (the webhook is not listed)", len(items), total, err)
			}
			items, total, _ = tx.AuditDestinations().ListAuditDestinations(ctx, keyhold.AuditDestinationFilter{
				Name: &keyhold.StringFilter{Op: keyhold.OpContains, Value: "ALP"}, Page: page(1, 10)})
			if total != 1 || items[0].ID != a.ID {
				t.Errorf("filter[name][contains]: %d", total)
			}
			if _, _, err := tx.AuditDestinations().GetAuditDestination(ctx, hook.ID); keyhold.ErrorCode(err) != keyhold.ENOTFOUND {
				t.Errorf("the webhook as a destination: %v", err)
			}
			if got, sealed, err := tx.AuditDestinations().AuditLogWebhook(ctx); err != nil || got.ID != hook.ID || string(sealed) != "sealed-hook" {
				t.Errorf("webhook: %v", err)
			}
			return nil
		})

		// A log of 8 leaves: a (3) and the webhook (5) are behind; b (10) is
		// not, off is disabled.
		var claimed []*keyhold.AuditDestination
		write(t, db, func(tx storage.Tx) (err error) {
			claimed, _, err = tx.AuditDestinations().ClaimAuditDestinations(ctx, 8, at(1), at(3), "one", 10)
			return err
		})
		if len(claimed) != 2 {
			t.Fatalf("claimed %d, want a and the webhook", len(claimed))
		}
		write(t, db, func(tx storage.Tx) error {
			again, _, err := tx.AuditDestinations().ClaimAuditDestinations(ctx, 8, at(2), at(4), "two", 10)
			if err != nil || len(again) != 0 {
				t.Errorf("leased twice: %d, %v", len(again), err)
			}
			return nil
		})
		claimed[0].NextSeq = 8
		write(t, db, func(tx storage.Tx) error {
			if ok, err := tx.AuditDestinations().FinishAuditDelivery(ctx, claimed[0], "two"); ok || err != nil {
				t.Errorf("finished under another's lease: %v %v", ok, err)
			}
			if ok, err := tx.AuditDestinations().FinishAuditDelivery(ctx, claimed[0], "one"); !ok || err != nil {
				t.Errorf("finish: %v %v", ok, err)
			}
			return nil
		})
		// After the lease, only the one still behind is claimed again.
		write(t, db, func(tx storage.Tx) error {
			again, _, err := tx.AuditDestinations().ClaimAuditDestinations(ctx, 8, at(5), at(6), "three", 10)
			if err != nil || len(again) != 1 || again[0].ID != claimed[1].ID {
				t.Errorf("after the lease: %d, %v", len(again), err)
			}
			return nil
		})
		wantCode(t, db.Write(ctx, func(tx storage.Tx) error { return tx.AuditDestinations().DeleteAuditDestination(ctx, hook.ID) }),
			keyhold.ENOTFOUND) // the webhook is not deleted as a destination
		write(t, db, func(tx storage.Tx) error { return tx.AuditDestinations().DeleteAuditDestination(ctx, a.ID) })
	})
}
