package httpapi

import (
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/keyhold/keyhold"
)

// maxCachedQueries bounds the query cache. A gateway's configuration fixes
// a handful of queries; anyone may send others, so past the bound the cache
// starts over rather than grow.
const maxCachedQueries = 1024

// queryCache maps the raw query string of /v1/authorize to its resolved
// permission, or to the error that refuses it, so that a gateway's fixed
// query is parsed once instead of on every request. Entries are immutable:
// a cached *keyhold.Query is shared by concurrent decisions, which only
// read it.
type queryCache struct {
	// last is the query resolved last: one gateway route sends the same
	// query again and again, and comparing one string is cheaper than
	// hashing it into m.
	last atomic.Pointer[resolvedQuery]
	m    sync.Map // string → *resolvedQuery
	n    atomic.Int64
}

type resolvedQuery struct {
	raw   string
	query *keyhold.Query
	err   error
}

// resolver is the part of the Decider the cache calls.
type resolver interface {
	Resolve(q keyhold.RoleQuery, prefix string) (*keyhold.Query, error)
}

// resolve returns the permission of a raw /v1/authorize query.
func (c *queryCache) resolve(d resolver, raw string) (*keyhold.Query, error) {
	if rq := c.last.Load(); rq != nil && rq.raw == raw {
		return rq.query, rq.err
	}
	if v, ok := c.m.Load(raw); ok {
		rq := v.(*resolvedQuery)
		c.last.Store(rq)
		return rq.query, rq.err
	}
	// As url.URL.Query does, a malformed pair is skipped, not refused.
	q, _ := url.ParseQuery(raw)
	query, err := d.Resolve(keyhold.RoleQuery{RoleName: q.Get("role_name"), EntityTypeName: q.Get("entity_type_name"),
		EntityID: q.Get("entity_id"), EntityRegion: q.Get("entity_region")}, "")
	if c.n.Add(1) > maxCachedQueries {
		c.m.Clear()
		c.n.Store(1)
	}
	rq := &resolvedQuery{raw: raw, query: query, err: err}
	c.m.Store(raw, rq)
	c.last.Store(rq)
	return query, err
}
