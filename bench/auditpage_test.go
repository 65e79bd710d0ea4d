package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// BenchmarkAuditPage reads the newest page of 10 audit events, with its
// total, from a trail of 100,000 events, on each backend: what the
// console's audit log and GET /v3/audit-events cost as the trail grows.
// The page is read through the time index and stops after it; the total is
// a count apart. Before keyhold counted apart, the page query carried
// COUNT(*) OVER (), which read and sorted every row for every page.
func BenchmarkAuditPage(b *testing.B) {
	const events = 100_000
	for _, backend := range storetest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			ctx := context.Background()
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for batch := 0; batch < events; batch += 5000 {
				err := db.Write(ctx, func(tx storage.Tx) error {
					for i := batch; i < batch+5000; i++ {
						e := &keyhold.AuditEvent{ID: uuid.NewString(), Time: t0.Add(time.Duration(i) * time.Second),
							ActorType: keyhold.PrincipalUser, ActorID: "u", ActorName: "admin@example.com",
							Action: "token.created", TargetType: "token", TargetID: fmt.Sprint(i), TargetName: "ci",
							Outcome: keyhold.OutcomeSuccess, Count: 1}
						if err := tx.Audit().AppendAuditEvent(ctx, e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				err := db.Read(ctx, func(tx storage.Tx) error {
					items, total, err := tx.Audit().ListAuditEvents(ctx, keyhold.AuditFilter{Page: keyhold.Page{Number: 1, Size: 10}})
					if err == nil && (len(items) != 10 || total != events) {
						err = fmt.Errorf("%d items of %d", len(items), total)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
