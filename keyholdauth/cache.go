package keyholdauth

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// cache holds verdicts for a fixed time, under a digest of the
// credentials and the permission: the cache keeps no copy of the raw
// Authorization value, not even as a map key.
type cache struct {
	ttl   time.Duration
	limit int
	now   func() time.Time // injected by tests

	mu sync.Mutex
	m  map[[sha256.Size]byte]*list.Element
	// order runs from oldest to newest insertion. Every entry lives for
	// the same ttl, so it also runs by expiry: expired entries sit at the
	// front, and evicting from the front evicts them first.
	order *list.List
}

type cacheEntry struct {
	key     [sha256.Size]byte
	expires time.Time
	v       verdict
}

func newCache(ttl time.Duration, limit int) *cache {
	return &cache{ttl: ttl, limit: limit, now: time.Now, m: make(map[[sha256.Size]byte]*list.Element), order: list.New()}
}

// cacheKey digests the credentials and the permission. Each field is
// length-prefixed, so that no two different inputs share an encoding.
func cacheKey(authorization, clientIP string, p Permission) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, s := range [...]string{"keyholdauth/v2", authorization, clientIP, p.RoleName, p.EntityTypeName, p.EntityID, p.EntityRegion} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns a verdict younger than ttl.
func (c *cache) get(k [sha256.Size]byte) (verdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[k]
	if !ok {
		return verdict{}, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return verdict{}, false
	}
	return e.v, true
}

// put stores a verdict for ttl, first dropping expired entries, then the
// oldest ones while the cache is full.
func (c *cache) put(k [sha256.Size]byte, v verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if el, ok := c.m[k]; ok {
		c.remove(el)
	}
	for el := c.order.Front(); el != nil && !now.Before(el.Value.(*cacheEntry).expires); el = c.order.Front() {
		c.remove(el)
	}
	for c.order.Len() >= c.limit {
		c.remove(c.order.Front())
	}
	c.m[k] = c.order.PushBack(&cacheEntry{key: k, expires: now.Add(c.ttl), v: v})
}

func (c *cache) remove(el *list.Element) {
	delete(c.m, el.Value.(*cacheEntry).key)
	c.order.Remove(el)
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
