package keyholdauth

import (
	"fmt"
	"time"
)

// SetNow replaces the cache's clock; call it before the first request.
func SetNow(a *Authenticator, now func() time.Time) { a.cache.now = now }

// CacheLen is the number of stored verdicts, expired or not; 0 without a
// cache.
func CacheLen(a *Authenticator) int {
	if a.cache == nil {
		return 0
	}
	return a.cache.len()
}

// CacheKeys returns the cache's map keys.
func CacheKeys(a *Authenticator) [][32]byte {
	a.cache.mu.Lock()
	defer a.cache.mu.Unlock()
	var keys [][32]byte
	for k := range a.cache.m {
		keys = append(keys, k)
	}
	return keys
}

// CacheDump prints every key and entry of the cache, values included.
func CacheDump(a *Authenticator) string {
	a.cache.mu.Lock()
	defer a.cache.mu.Unlock()
	s := ""
	for k, el := range a.cache.m {
		e := el.Value.(*cacheEntry)
		s += fmt.Sprintf("%x %q %+v\n", k, k[:], *e)
		if r := e.v.refusal; r != nil {
			s += fmt.Sprintf("%+v %s\n", *r, r.Problem)
		}
	}
	return s
}

// Key is the cache key of a request.
func Key(authorization string, p *Permission) [32]byte {
	var perm Permission
	if p != nil {
		perm = *p
	}
	return cacheKey(authorization, "", perm)
}
