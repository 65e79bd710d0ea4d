package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// TestAuditLogReplicas has four replicas write concurrently to one
// database, each with its own pool, while each also signs checkpoints:
// the leaf indexes are exactly 0..n-1, no gap and no duplicate, every event
// hashes to its leaf, and every checkpoint verifies and is consistent with
// the one before it. On SQLite the replicas share a file; on PostgreSQL
// their appends queue on the audit_log row.
func TestAuditLogReplicas(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			_, url := storetest.OpenURL(t, backend)
			c := &clock{now: t0}
			key := make([]byte, service.SecretKeySize)
			replica := func() *service.Service {
				db, err := store.Open(context.Background(), url, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				s := service.New(service.Config{Store: db, Now: c.Now, Webhooks: service.WebhookConfig{SecretKey: key}})
				if err := s.Feed.LoadIndex(context.Background()); err != nil {
					t.Fatal(err)
				}
				return s
			}
			ctx := context.Background()
			sys := service.AsSystem(ctx)
			first := replica()
			if _, err := first.Orgs.Bootstrap(sys, service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"}); err != nil {
				t.Fatal(err)
			}
			replicas := []*service.Service{first, replica(), replica(), replica()}
			var wg sync.WaitGroup
			for _, r := range replicas {
				wg.Go(func() {
					if err := r.AuditLog.Setup(sys); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()

			const writers, each = 2, 12
			errs := make(chan error, len(replicas)*(writers*each+each))
			for i, r := range replicas {
				for w := range writers {
					wg.Go(func() {
						for n := range each {
							if _, err := r.Accounts.CreateSystemAccount(sys, keyhold.SystemAccountCreate{Name: fmt.Sprintf("r%d-w%d-%d", i, w, n)}); err != nil {
								errs <- err
							}
						}
					})
				}
				wg.Go(func() {
					for range each {
						if _, err := r.AuditLog.Checkpoint(sys, true); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			c.Advance(time.Minute)
			if _, err := first.AuditLog.Checkpoint(sys, false); err != nil {
				t.Fatal(err)
			}

			// Every leaf 0..n-1 once, with its event.
			leaves, size, err := first.AuditLog.Leaves(sys, 0, service.MaxAuditPage)
			if err != nil {
				t.Fatal(err)
			}
			want := len(replicas)*writers*each + 1 // an event per account, and the bootstrap's
			if int(size) != want || int64(len(leaves)) != size {
				t.Fatalf("%d leaves of a log of %d, want %d", len(leaves), size, want)
			}
			seen := map[string]bool{}
			var tree memTree
			for i, l := range leaves {
				if l.Index != int64(i) || l.Event == nil || l.Event.Seq != int64(i) {
					t.Fatalf("leaf %d: %+v", i, l)
				}
				if seen[l.Event.ID] {
					t.Fatalf("event %s is two leaves", l.Event.ID)
				}
				seen[l.Event.ID] = true
				if l.Event.LeafHash() != l.Hash {
					t.Fatalf("leaf %d does not hash to its event", i)
				}
				hs, err := tlog.StoredHashesForRecordHash(int64(i), l.Hash, tree)
				if err != nil {
					t.Fatal(err)
				}
				tree = append(tree, hs...)
			}

			// Every checkpoint verifies, matches the tree at its size, and
			// extends the one before.
			keys, err := first.AuditLog.Keys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var vs []note.Verifier
			for _, k := range keys {
				if k.Purpose == keyhold.AuditKeyCheckpoint {
					vk, _ := service.CheckpointVerifierKey(k)
					v, err := note.NewVerifier(vk)
					if err != nil {
						t.Fatal(err)
					}
					vs = append(vs, v)
				}
			}
			if len(vs) != 1 {
				t.Fatalf("%d checkpoint keys after four first starts, want 1", len(vs))
			}
			cps, err := first.AuditLog.Checkpoints(sys, 0, service.MaxAuditPage)
			if err != nil {
				t.Fatal(err)
			}
			if len(cps) < len(replicas)*each {
				t.Fatalf("%d checkpoints", len(cps))
			}
			var prevSize int64
			var prevRoot tlog.Hash
			for _, cp := range cps {
				if _, err := note.Open(cp.Note, note.VerifierList(vs...)); err != nil {
					t.Fatalf("checkpoint %d: %v", cp.Seq, err)
				}
				root, err := tlog.TreeHash(cp.Size, tree)
				if err != nil || root != cp.Root {
					t.Fatalf("checkpoint %d of size %d is not the tree's", cp.Seq, cp.Size)
				}
				if cp.Size < prevSize {
					t.Fatalf("checkpoint %d shrinks the log from %d to %d", cp.Seq, prevSize, cp.Size)
				}
				if prevSize > 0 {
					p, err := first.AuditLog.ConsistencyProof(sys, prevSize, cp.Size)
					if err != nil {
						t.Fatal(err)
					}
					if err := tlog.CheckTree(p, cp.Size, cp.Root, prevSize, prevRoot); err != nil {
						t.Fatalf("checkpoint %d does not extend the one before: %v", cp.Seq, err)
					}
				}
				prevSize, prevRoot = cp.Size, cp.Root
			}
			if prevSize != size {
				t.Fatalf("the last checkpoint covers %d of %d leaves", prevSize, size)
			}
		})
	}
}

type memTree []tlog.Hash

func (m memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}
