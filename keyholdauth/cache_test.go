package keyholdauth_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold/keyholdauth"
)

// clock is the cache's injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// cachedService is a service whose cache runs on a test clock.
func cachedService(t *testing.T, k *keyhold, staleness time.Duration, maxEntries int) (*service, *clock) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc := newService(t, keyholdauth.Config{URL: k.Server.URL, Client: k.client(), MaxStaleness: staleness, MaxEntries: maxEntries},
		func(a *keyholdauth.Authenticator) { keyholdauth.SetNow(a, c.Now) })
	return svc, c
}

// Without a cache, a deleted token is refused on the very next request.
func TestRevocationWithoutCache(t *testing.T) {
	k := startKeyhold(t)
	svc := newService(t, keyholdauth.Config{URL: k.Server.URL, Client: k.client()})
	svc.get(t, somePlane, bearer(k.Token)).want(t, 200)
	k.deleteToken(t)
	svc.get(t, somePlane, bearer(k.Token)).want(t, 401)
	if n := keyholdauth.CacheLen(svc.Auth); n != 0 {
		t.Errorf("%d verdicts cached with MaxStaleness 0", n)
	}
}

// With a cache, a deleted token keeps working for at most MaxStaleness:
// the staleness bound.
func TestRevocationWithinStaleness(t *testing.T) {
	k := startKeyhold(t)
	svc, clk := cachedService(t, k, time.Minute, 0)
	svc.get(t, somePlane, bearer(k.Token)).want(t, 200)
	k.deleteToken(t)

	// keyhold itself refuses the token at once.
	direct, err := keyholdauth.New(keyholdauth.Config{URL: k.Server.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Check(t.Context(), bearer(k.Token), nil); err == nil {
		t.Fatal("keyhold still accepts the deleted token")
	}

	clk.Advance(time.Minute - time.Nanosecond)
	svc.get(t, somePlane, bearer(k.Token)).want(t, 200)
	if n := k.calls.Load(); n != 1 {
		t.Fatalf("%d decision requests; want the second answered from the cache", n)
	}
	clk.Advance(time.Nanosecond)
	svc.get(t, somePlane, bearer(k.Token)).want(t, 401)
	svc.get(t, somePlane, bearer(k.Token)).want(t, 401)
	if n := k.calls.Load(); n != 3 {
		t.Errorf("%d decision requests; want 401s never cached", n)
	}
}

// 200 and 403 are reused; 401, 400 and 502 never are.
func TestCachedVerdicts(t *testing.T) {
	k := startKeyhold(t)
	svc, _ := cachedService(t, k, time.Minute, 0)
	for _, tc := range []struct {
		name, path, authorization string
		status, calls             int
	}{
		{"OK", somePlane, bearer(k.Token), 200, 1},
		{"ErrForbidden", somePlane + "?region=us", bearer(k.Token), 403, 1},
		{"ErrUnauthenticated", somePlane, "Bearer garbage", 401, 3},
		{"ErrInvalidPermission", somePlane + "?role=Overlord", bearer(k.Token), 500, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := k.calls.Load()
			for range 3 {
				svc.get(t, tc.path, tc.authorization).want(t, tc.status)
			}
			if n := k.calls.Load() - before; n != int64(tc.calls) {
				t.Errorf("%d decision requests for 3 identical requests, want %d", n, tc.calls)
			}
		})
	}
	if n := keyholdauth.CacheLen(svc.Auth); n != 2 {
		t.Errorf("%d verdicts cached, want 2", n)
	}
}

func TestCacheBounded(t *testing.T) {
	k := startKeyhold(t)
	const limit = 5
	svc, clk := cachedService(t, k, time.Hour, limit)
	for i := range 3 * limit {
		svc.get(t, fmt.Sprintf("/control-planes/cp-%d/reports", i), bearer(k.Token)).want(t, 200)
		if n := keyholdauth.CacheLen(svc.Auth); n > limit {
			t.Fatalf("after %d requests, %d verdicts cached; MaxEntries is %d", i+1, n, limit)
		}
	}
	if n := keyholdauth.CacheLen(svc.Auth); n != limit {
		t.Errorf("%d verdicts cached, want %d", n, limit)
	}
	// The newest verdicts stayed; the oldest went.
	calls := k.calls.Load()
	svc.get(t, fmt.Sprintf("/control-planes/cp-%d/reports", 3*limit-1), bearer(k.Token)).want(t, 200)
	if k.calls.Load() != calls {
		t.Error("the newest verdict was evicted")
	}
	svc.get(t, "/control-planes/cp-0/reports", bearer(k.Token)).want(t, 200)
	if k.calls.Load() != calls+1 {
		t.Error("the oldest verdict was kept")
	}

	t.Run("ExpiredFirst", func(t *testing.T) {
		// Everything cached so far expires; two fresh verdicts, then one
		// more: the expired entries go, not the fresh ones.
		clk.Advance(time.Hour)
		for _, id := range []string{"a", "b", "c"} {
			svc.get(t, "/control-planes/fresh-"+id+"/reports", bearer(k.Token)).want(t, 200)
		}
		if n := keyholdauth.CacheLen(svc.Auth); n != 3 {
			t.Errorf("%d verdicts cached, want the 3 fresh ones", n)
		}
	})
}

// The cache is keyed by a digest; neither its keys nor its entries hold
// the Authorization value or the token.
func TestCacheHoldsNoSecret(t *testing.T) {
	k := startKeyhold(t)
	svc, _ := cachedService(t, k, time.Minute, 0)
	perm := func(region string) *keyholdauth.Permission {
		return &keyholdauth.Permission{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "cp-1", EntityRegion: region}
	}
	want := map[[32]byte]bool{}
	for _, authz := range []string{bearer(k.Token), basic(accountName, k.Token)} {
		svc.get(t, somePlane, authz).want(t, 200)
		svc.get(t, somePlane+"?region=us", authz).want(t, 403)
		want[keyholdauth.Key(authz, perm("eu"))] = true
		want[keyholdauth.Key(authz, perm("us"))] = true
	}
	keys := keyholdauth.CacheKeys(svc.Auth)
	if len(keys) != len(want) {
		t.Fatalf("%d keys, want %d", len(keys), len(want))
	}
	for _, key := range keys {
		if !want[key] {
			t.Errorf("key %x is not the digest of a request", key)
		}
	}
	dump := keyholdauth.CacheDump(svc.Auth)
	encoded := base64.StdEncoding.EncodeToString([]byte(accountName + ":" + k.Token))
	for _, secret := range []string{k.Token, k.Token[5:], encoded, "Bearer", "Basic"} {
		if strings.Contains(dump, secret) {
			t.Errorf("the cache holds %q:\n%s", secret, dump)
		}
	}
}

// Many goroutines share one Authenticator; run with -race.
func TestConcurrent(t *testing.T) {
	k := startKeyhold(t)
	svc, clk := cachedService(t, k, time.Second, 8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				perm := &keyholdauth.Permission{RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: fmt.Sprint("cp-", (g+i)%12), EntityRegion: "eu"}
				if p, err := svc.Auth.Check(t.Context(), bearer(k.Token), perm); err != nil || p.ID != k.AccountID {
					t.Errorf("Check = %+v, %v", p, err)
					return
				}
				if i%5 == 0 {
					clk.Advance(300 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if n := keyholdauth.CacheLen(svc.Auth); n > 8 {
		t.Errorf("%d verdicts cached, MaxEntries is 8", n)
	}
}
