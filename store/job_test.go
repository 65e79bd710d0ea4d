package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

func TestClaimJob(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			_, u := storetest.OpenURL(t, b)
			// Eight replicas, each with its own handle on the database.
			replicas := make([]*store.DB, 8)
			for i := range replicas {
				replicas[i] = storetest.OpenUnmigrated(t, u)
			}
			claims := func(name string, now time.Time) int {
				t.Helper()
				var wg sync.WaitGroup
				won := make([]bool, len(replicas))
				errs := make([]error, len(replicas))
				for i, db := range replicas {
					wg.Go(func() { won[i], errs[i] = db.ClaimJob(ctx, name, now, time.Hour) })
				}
				wg.Wait()
				n := 0
				for i := range replicas {
					if errs[i] != nil {
						t.Fatalf("replica %d: %v", i, errs[i])
					}
					if won[i] {
						n++
					}
				}
				return n
			}

			equal(t, "claims of a new job", claims("prune", t0), 1)
			equal(t, "claims again at once", claims("prune", t0), 0)
			equal(t, "claims before the period ends", claims("prune", t0.Add(time.Hour-time.Microsecond)), 0)
			for p := 1; p <= 3; p++ {
				now := t0.Add(time.Duration(p) * time.Hour)
				equal(t, "claims once the period passed", claims("prune", now), 1)
				equal(t, "claims in the same period", claims("prune", now.Add(time.Minute)), 0)
			}
			// Jobs are independent.
			equal(t, "claims of another job", claims("expire", t0), 1)

			if _, err := replicas[0].ClaimJob(ctx, "prune", t0, 0); err == nil {
				t.Fatal("ClaimJob with a zero period succeeded")
			}
		})
	}
}
