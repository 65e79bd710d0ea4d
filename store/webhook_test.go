package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// Replicas that claim deliveries at the same moment never lease the same
// one: each due delivery goes to exactly one claimant.
func TestClaimDeliveriesConcurrently(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dest := &keyhold.WebhookDestination{ID: newID(), Name: "sink", URL: "http://127.0.0.1:9/hook",
			EventTypes: []string{keyhold.EventTokenRevoked}, Enabled: true, CreatedAt: t0, UpdatedAt: t0}
		const n = 60
		due := at(0)
		write(t, db, func(tx storage.Tx) error {
			if err := tx.Webhooks().CreateWebhook(ctx, dest, []byte("sealed")); err != nil {
				return err
			}
			for i := range n {
				d := &keyhold.WebhookDelivery{ID: newID(), DestinationID: dest.ID, EventID: fmt.Sprintf("msg_%d", i),
					EventType: keyhold.EventTokenRevoked, Payload: []byte(`{}`), Status: "pending",
					NextAttemptAt: &due, CreatedAt: t0, UpdatedAt: t0}
				if err := tx.Deliveries().AppendDelivery(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})

		var mu sync.Mutex
		owners := map[string]string{}
		var wg sync.WaitGroup
		for r := range 4 {
			owner := fmt.Sprintf("replica-%d", r)
			wg.Go(func() {
				for {
					var got []*keyhold.WebhookDelivery
					err := db.Write(ctx, func(tx storage.Tx) (err error) {
						got, err = tx.Deliveries().ClaimDeliveries(ctx, at(1), at(10), owner, 7)
						return err
					})
					if err != nil {
						t.Errorf("%s: claim: %v", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						if prev, ok := owners[d.ID]; ok {
							t.Errorf("delivery %s leased to %s and %s", d.EventID, prev, owner)
						}
						owners[d.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(owners) != n {
			t.Errorf("%d of %d deliveries claimed", len(owners), n)
		}
		// Leases hold until they pass: nothing is due again before then.
		write(t, db, func(tx storage.Tx) error {
			again, err := tx.Deliveries().ClaimDeliveries(ctx, at(5), at(20), "late", n)
			if err == nil && len(again) != 0 {
				t.Errorf("%d leased deliveries claimed again before their lease passed", len(again))
			}
			return err
		})
		write(t, db, func(tx storage.Tx) error {
			again, err := tx.Deliveries().ClaimDeliveries(ctx, at(11), at(20), "late", n)
			if err == nil && len(again) != n {
				t.Errorf("after the leases passed, %d of %d claimed again", len(again), n)
			}
			return err
		})
	})
}
