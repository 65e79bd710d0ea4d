package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store"
	"github.com/keyhold/keyhold/store/storetest"
)

// Replicas agree on rate limits through merged counts: failures spread
// over two replicas block the address on both once merged.
func TestRateLimitMergedAcrossReplicas(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			_, url := storetest.OpenURL(t, backend)
			now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
			clock := func() time.Time { return now }
			replica := func() *service.Service {
				db, err := store.Open(context.Background(), url, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				s := service.New(service.Config{Store: db, Now: clock, Decider: service.DeciderConfig{AuthFailureLimit: 10}})
				if err := s.Feed.LoadIndex(context.Background()); err != nil {
					t.Fatal(err)
				}
				return s
			}
			a, b := replica(), replica()
			ctx := keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{ClientIP: "192.0.2.9"})
			other := keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{ClientIP: "192.0.2.10"})
			bad := keyhold.Credentials{Bearer: "spat_guess"}
			for i := 0; i < 6; i++ {
				a.Decider.Decide(ctx, "test", bad, nil)
			}
			for i := 0; i < 5; i++ {
				b.Decider.Decide(ctx, "test", bad, nil)
			}
			b.Decider.Decide(other, "test", bad, nil)
			for _, s := range []*service.Service{a, b} {
				if d := s.Decider.Decide(ctx, "test", bad, nil); d.Outcome == authz.RateLimited {
					t.Fatal("blocked before the counts were merged; neither replica alone reached the limit")
				}
			}
			for _, s := range []*service.Service{a, b, a} {
				if err := s.Decider.MergeFailures(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			for i, s := range []*service.Service{a, b} {
				d := s.Decider.Decide(ctx, "test", bad, nil)
				if d.Outcome != authz.RateLimited || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Second {
					t.Errorf("replica %d: %v, retry after %v", i, d.Outcome, d.RetryAfter)
				}
				if d := s.Decider.Decide(other, "test", bad, nil); d.Outcome == authz.RateLimited {
					t.Errorf("replica %d blocked an address below the limit", i)
				}
			}
			now = now.Add(time.Minute) // a new window
			if d := a.Decider.Decide(ctx, "test", bad, nil); d.Outcome == authz.RateLimited {
				t.Error("still blocked in the next minute")
			}
		})
	}
}

// Console sign-in limits are shared the same way: failed sign-ins for one
// email spread over two replicas refuse it on both once merged, and they
// never block the API.
func TestSignInLimitMergedAcrossReplicas(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			_, url := storetest.OpenURL(t, backend)
			now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
			clock := func() time.Time { return now }
			replica := func() *service.Service {
				db, err := store.Open(context.Background(), url, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				s := service.New(service.Config{Store: db, Now: clock})
				if err := s.Feed.LoadIndex(context.Background()); err != nil {
					t.Fatal(err)
				}
				return s
			}
			a, b := replica(), replica()
			signIn := func(s *service.Service, ip string) error {
				ctx := keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{ClientIP: ip})
				_, _, err := s.Sessions.SignIn(ctx, keyhold.SignIn{Email: "victim@example.com", Password: "not the password"})
				return err
			}
			// Six and four failures from different addresses: neither replica
			// alone, nor any address, reaches the limit of ten.
			for i := range 6 {
				if code := keyhold.ErrorCode(signIn(a, "192.0.2."+string(rune('1'+i)))); code == keyhold.ERATELIMITED {
					t.Fatal("limited before the limit")
				}
			}
			for i := range 4 {
				if code := keyhold.ErrorCode(signIn(b, "198.51.100."+string(rune('1'+i)))); code == keyhold.ERATELIMITED {
					t.Fatal("limited before the limit")
				}
			}
			for _, s := range []*service.Service{a, b, a} {
				if err := s.Sessions.MergeFailures(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			for i, s := range []*service.Service{a, b} {
				if code := keyhold.ErrorCode(signIn(s, "203.0.113.1")); code != keyhold.ERATELIMITED {
					t.Errorf("replica %d: sign-in for the email after merged failures: %q, want rate limited", i, code)
				}
				ctx := keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{ClientIP: "192.0.2.1"})
				if d := s.Decider.Decide(ctx, "test", keyhold.Credentials{Bearer: "spat_guess"}, nil); d.Outcome == authz.RateLimited {
					t.Errorf("replica %d: sign-in failures blocked the API", i)
				}
			}
		})
	}
}
