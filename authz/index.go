// Package authz is keyhold's in-memory decision index: token digest →
// principal → effective grants. Decisions read only memory; the service
// keeps the index current from the database's change feed.
//
// The index holds no policy of keyhold's own API and no database code: it
// answers "does this token's principal hold role R on entity E in region
// G", with role implications from the catalogue.
package authz

import (
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/keyhold/keyhold"
)

// Grant is one role a principal holds on an entity (or "*") in a region
// (or "*"). EntityID is in lower case, as GrantOf makes it, so that
// decisions match entity ids in any case.
type Grant struct {
	Role     keyhold.RoleID
	EntityID string
	Region   string
}

type principal struct {
	// The fields a decision reads come first, with a few effective grants
	// inline, so that they share the principal's first cache lines.
	active bool
	// owner is the principal's number in its token slots: 1 + its index
	// in Index.owners.
	owner uint32
	ref   keyhold.Ref
	name  string
	// effective is direct plus the grants of every team, recomputed on
	// change so that a decision only scans one slice; it points into inline
	// when it fits.
	effective   []Grant
	inline      [2]Grant
	direct      []Grant
	teams       []string // team ids
	systemTeams []string
	tokens      [][32]byte
}

type team struct {
	systemKey string
	grants    []Grant
	members   map[keyhold.Ref]struct{}
}

// Index is safe for concurrent use. Decisions take a read lock and do not
// allocate; changes take the write lock.
type Index struct {
	cat *keyhold.Catalogue
	mu  sync.RWMutex
	// tokens holds one cache line per token (see slot): at a million
	// tokens every pointer chased is a cache miss on the hot path.
	tokens *table
	// owners holds the principals by the number their token slots name;
	// a removed principal's number is reused from free.
	owners     []*principal
	free       []uint32
	principals map[keyhold.Ref]*principal
	teams      map[string]*team
	// restrictions holds, by token id, the scope and networks of the few
	// tokens whose slot has restrictedBit set.
	restrictions map[[16]byte]*restriction
	// useEvery is how often, at most, a decision reports a use of one token
	// (Decision.Use), in seconds; 0 reports every use.
	useEvery int64
}

// New returns an empty index over a catalogue.
func New(cat *keyhold.Catalogue) *Index {
	return &Index{cat: cat, tokens: newTable(), principals: map[keyhold.Ref]*principal{}, teams: map[string]*team{},
		restrictions: map[[16]byte]*restriction{}}
}

// ReportUseEvery sets how often, at most, decisions report a use of one
// token to be recorded (Decision.Use); 0, the default, reports every use.
// It survives Replace, so call it once on the index decisions read.
func (ix *Index) ReportUseEvery(d time.Duration) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.useEvery = int64(max(d, 0) / time.Second)
	if d > 0 && ix.useEvery == 0 {
		ix.useEvery = 1
	}
}

// Catalogue returns the catalogue the index resolves roles with.
func (ix *Index) Catalogue() *keyhold.Catalogue { return ix.cat }

// Outcome is the verdict of a decision: the domain's.
type Outcome = keyhold.DecisionOutcome

// Outcomes.
const (
	Unauthenticated = keyhold.DecisionUnauthenticated // missing, malformed, unknown, expired or revoked token
	Allowed         = keyhold.DecisionAllowed
	Forbidden       = keyhold.DecisionForbidden   // a valid token whose principal lacks the role
	RateLimited     = keyhold.DecisionRateLimited // the client address failed too often; decided by the service
)

// Query asks for one role on one entity: the domain's.
type Query = keyhold.Query

// Decision is the answer to a query. Principal is set unless the outcome
// is Unauthenticated.
type Decision struct {
	Outcome Outcome
	Reason  string
	// Principal names the token's owner; its TokenID is left empty, so that
	// a decision does not allocate: TokenID formats it on demand.
	Principal keyhold.Principal
	// Token is the token's id as UUID bytes.
	Token     [16]byte
	IssuedAt  int64 // unix seconds
	ExpiresAt int64 // unix seconds; 0 never
	// RetryAfter is set with RateLimited.
	RetryAfter time.Duration
	// Scoped is set for a token that carries only part of its principal's
	// roles.
	Scoped bool
	// Use is set on the first decision that counts as a use of the token
	// (any but a refusal for its networks) since one reported a resolution
	// ago (ReportUseEvery): the caller records it for last_used_at, and
	// the index keeps no more than one use per token and resolution
	// waiting.
	Use bool
}

// TokenID returns the token's id as a string.
func (d *Decision) TokenID() string { return formatUUID(d.Token) }

// Verdict is the decision as the transports see it, without the index's
// internals; its principal carries the token id.
func (d *Decision) Verdict() keyhold.Decision {
	v := keyhold.Decision{Outcome: d.Outcome, Reason: d.Reason, Principal: d.Principal,
		IssuedAt: d.IssuedAt, ExpiresAt: d.ExpiresAt, RetryAfter: d.RetryAfter}
	if d.Outcome != Unauthenticated && v.Principal.TokenID == "" {
		v.Principal.TokenID = d.TokenID()
	}
	return v
}

// Reasons for refusals; constant strings, so that a decision does not
// allocate.
const (
	ReasonMalformed = "The token is malformed"
	ReasonUnknown   = "A valid token is required"
	ReasonExpired   = "The token has expired"
	ReasonNoRole    = "The principal does not hold the required role"
)

// Decide authenticates a token value used from a client address (its
// text; parsed only for a token bound to networks) and, with q, checks one
// role. It reads memory only and does not allocate. A token bound to
// networks refuses a client outside them, and an invalid client address.
func (ix *Index) Decide(value string, q *Query, client string, now time.Time) Decision {
	return ix.decide(value, "", false, q, client, now)
}

// DecideBasic is Decide for HTTP Basic credentials: the user name must be
// the token's principal's name, ignoring case as name uniqueness does, or
// the token is refused as unknown, and its use is not reported. The name
// is no secret (the token, found by its digest, is; its holder may ask
// /v1/whoami), so the comparison need not take constant time.
func (ix *Index) DecideBasic(user, value string, q *Query, client string, now time.Time) Decision {
	return ix.decide(value, user, true, q, client, now)
}

func (ix *Index) decide(value, user string, basic bool, q *Query, client string, now time.Time) Decision {
	kind, ok := keyhold.ParseTokenValue(value)
	if !ok {
		return Decision{Reason: ReasonMalformed}
	}
	digest := keyhold.TokenDigestArray(value)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e := ix.tokens.find(&digest)
	if e == nil {
		return Decision{Reason: ReasonUnknown}
	}
	p := ix.owners[e.owner-1]
	if kindOf(p.ref.Type) != kind || !p.active ||
		basic && !sameName(user, p.name) {
		return Decision{Reason: ReasonUnknown}
	}
	unix := now.Unix()
	if e.expires != 0 && unix-epoch2020 >= int64(e.expires) {
		return Decision{Reason: ReasonExpired}
	}
	d := Decision{Outcome: Allowed, Token: e.id, IssuedAt: int64(e.issued&^restrictedBit) + epoch2020,
		Principal: keyhold.Principal{Type: p.ref.Type, ID: p.ref.ID, Name: p.name, TokenKind: kind}}
	if e.expires != 0 {
		d.ExpiresAt = int64(e.expires) + epoch2020
	}
	var r *restriction
	if e.issued&restrictedBit != 0 {
		r = ix.restrictions[e.id]
	}
	switch {
	case r != nil && !r.allows(client):
		d.Outcome, d.Reason = Forbidden, ReasonNetwork
	case q != nil && !covers(ix.cat, p.effective, q) && !coversFolded(ix.cat, p.effective, q):
		d.Outcome, d.Reason = Forbidden, ReasonNoRole
	case r != nil && r.scope != nil && q != nil && !covers(ix.cat, r.scope, q) && !coversFolded(ix.cat, r.scope, q):
		d.Outcome, d.Reason = Forbidden, ReasonScope
	}
	if r != nil {
		d.Scoped, d.Principal.Scoped = r.scope != nil, r.scope != nil
		d.Principal.AppPassword = r.appPassword
	}
	// A use from outside the token's networks is no use of it.
	if d.Reason != ReasonNetwork {
		d.Use = ix.reportUse(e, unix)
	}
	return d
}

// reportUse reports whether a use at unix seconds is the token's first
// since one reported at least useEvery earlier, and stamps it if so.
// Concurrent decisions race on one compare-and-swap: one of them wins.
func (ix *Index) reportUse(e *slot, unix int64) bool {
	at := seconds(unix)
	last := atomic.LoadUint32(&e.used)
	if last != 0 && int64(at)-int64(last) < ix.useEvery {
		return false
	}
	return atomic.CompareAndSwapUint32(&e.used, last, max(at, 1))
}

func kindOf(t keyhold.PrincipalType) keyhold.TokenKind {
	if t == keyhold.PrincipalUser {
		return keyhold.TokenKindPersonal
	}
	return keyhold.TokenKindSystemAccount
}

func (ix *Index) holds(p *principal, q *Query) bool {
	return coversAnyCase(ix.cat, p.effective, q)
}

// Holds reports whether a principal holds q, and whether it is known.
func (ix *Index) Holds(ref keyhold.Ref, q *Query) (holds, known bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.principals[ref]
	if p == nil || !p.active {
		return false, false
	}
	return ix.holds(p, q), true
}

// InSystemTeam reports whether a principal belongs to the predefined team
// with the given key.
func (ix *Index) InSystemTeam(ref keyhold.Ref, key string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.principals[ref]
	if p == nil {
		return false
	}
	for _, k := range p.systemTeams {
		if k == key {
			return true
		}
	}
	return false
}

// EffectiveGrants returns a copy of a principal's effective grants.
func (ix *Index) EffectiveGrants(ref keyhold.Ref) []Grant {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.principals[ref]
	if p == nil {
		return nil
	}
	return append([]Grant(nil), p.effective...)
}

// Stats counts what the index holds.
type Stats struct {
	Tokens, Principals, Teams int
	// TableBytes is the size of the token table, which on Linux lives
	// outside the Go heap (slots_linux.go).
	TableBytes int
}

// Stats returns the index's sizes.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return Stats{Tokens: ix.tokens.len(), Principals: len(ix.principals), Teams: len(ix.teams),
		TableBytes: len(ix.tokens.slots) * int(unsafe.Sizeof(slot{}))}
}

// sameName reports whether two names are equal in lower case, as the
// store folds them (strings.ToLower) to keep them unique, without
// allocating.
func sameName(a, b string) bool {
	if a == b {
		return true
	}
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb && unicode.ToLower(ra) != unicode.ToLower(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b == ""
}
