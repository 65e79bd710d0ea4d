package service

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyhold/keyhold"
)

// DefaultLastUseResolution is how often, at most, a replica writes the last
// use of one token. A token in steady use is used thousands of times per
// interval; writing each of a million tokens every 30 s took a whole core
// on SQLite (bench/README.md, row 3).
const DefaultLastUseResolution = 5 * time.Minute

// maxTouchPerFlush bounds the uses one periodic flush writes. Right after a
// start every token in use is new to the recorder: at a million tokens the
// first flush would write some 700,000 rows at once (6 s of CPU on SQLite).
// The rest wait for later flushes, but never longer than a resolution, so
// that last_used_at is at most two resolutions plus the touch interval
// older than the true last use.
const maxTouchPerFlush = 100_000

// usageShards spreads the recorder over independent locks, so that
// concurrent decisions on different tokens do not queue on one mutex.
const usageShards = 64

// usageRecorder keeps the uses of tokens waiting to be written, so that
// last_used_at costs one batched write per interval instead of one per
// request. It is told of at most one use per token and resolution: the
// index stamps each token with the last use it reported
// (authz.Decision.Use), so that a decision on a token whose use is already
// recorded touches no map at all.
//
// A waiting use holds no pointer: its client address and user agent are
// interned per shard, so that a million waiting uses are not a million
// objects for the garbage collector to mark.
type usageRecorder struct {
	resolution int64         // microseconds
	next       atomic.Uint32 // the shard the next drain starts at
	shards     [usageShards]usageShard
}

type usageShard struct {
	mu      sync.Mutex
	pending map[[16]byte]pendingUse
	// clients interns the clients of pending uses; it is rebuilt from
	// pending when a drain leaves it mostly unused, so that it stays
	// bounded by it.
	clients clientTable
	_       [64]byte // keeps neighbouring shards' locks off one cache line
}

type usageClient struct{ ip, userAgent, method string }

// clientTable interns clients (address, user agent, method) by number, so
// that what waits to be written holds no pointer: a million waiting uses
// or roll-ups are not a million objects for the garbage collector to mark.
// Its owner's lock guards it.
type clientTable struct {
	list []usageClient
	by   map[usageClient]uint32
}

// intern returns c's number, adding a copy of it if new, so that a
// request's buffers are not kept alive.
func (t *clientTable) intern(c usageClient) uint32 {
	// Most uses come from the client seen last.
	if n := len(t.list); n > 0 && t.list[n-1] == c {
		return uint32(n - 1)
	}
	if i, ok := t.by[c]; ok {
		return i
	}
	if t.by == nil {
		t.by = map[usageClient]uint32{}
	}
	c = usageClient{strings.Clone(c.ip), strings.Clone(c.userAgent), c.method}
	t.list = append(t.list, c)
	i := uint32(len(t.list) - 1)
	t.by[c] = i
	return i
}

func (t *clientTable) get(i uint32) usageClient { return t.list[i] }

// reset empties the table, keeping its list's memory.
func (t *clientTable) reset() {
	clear(t.list)
	t.list, t.by = t.list[:0], nil
}

// compact rebuilds the table from the numbers still in use once more than
// half of its clients are not: live is how many entries use a number, and
// renumber must call to with each entry's number and store what it
// returns, the number of the same client in the rebuilt table.
func (t *clientTable) compact(live int, renumber func(to func(old uint32) uint32)) {
	if len(t.list) <= 64 || len(t.list) <= 2*live {
		return
	}
	old := t.list
	t.list, t.by = nil, make(map[usageClient]uint32, live)
	seen := map[uint32]uint32{}
	renumber(func(o uint32) uint32 {
		n, ok := seen[o]
		if !ok {
			c := old[o]
			t.list = append(t.list, c)
			n = uint32(len(t.list) - 1)
			t.by[c] = n
			seen[o] = n
		}
		return n
	})
}

// pendingUse is the latest use of a token not yet written, and since when
// the token has had one waiting (Unix microseconds).
type pendingUse struct {
	at, since int64
	client    uint32 // index in usageShard.clients
	// n is how many uses the index reported for the token since it was
	// last drained: 1, unless a use waited past a resolution (a flush over
	// its limit, or a failed write) and a newer one joined it.
	n uint32
}

// recordedUse is a drained use and the number of reported uses it
// stands for (pendingUse.n).
type recordedUse struct {
	keyhold.TokenUse
	n uint32
}

// maxUserAgent bounds what is kept of a client's User-Agent.
const maxUserAgent = 512

func newUsageRecorder(resolution time.Duration) *usageRecorder {
	u := &usageRecorder{resolution: resolution.Microseconds()}
	for i := range u.shards {
		u.shards[i] = usageShard{pending: map[[16]byte]pendingUse{}}
	}
	return u
}

// shard picks by the id's last byte, which is random in a version 4 UUID.
func (u *usageRecorder) shard(id [16]byte) *usageShard { return &u.shards[id[15]%usageShards] }

// record keeps a use of a token to be written, unless a newer one is
// already waiting.
func (u *usageRecorder) record(id [16]byte, use keyhold.TokenUse) { u.recordN(id, use, 1) }

// recordN keeps a use standing for n reported uses: they are counted
// whichever use is kept.
func (u *usageRecorder) recordN(id [16]byte, use keyhold.TokenUse, n uint32) {
	at := use.At.UnixMicro()
	sh := u.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	p, ok := sh.pending[id]
	p.n += n
	if ok && at <= p.at {
		sh.pending[id] = p
		return
	}
	if !ok {
		p.since = at
	}
	p.at, p.client = at, sh.intern(use.IP, use.UserAgent, use.Method)
	sh.pending[id] = p
}

// intern returns the number of a client, adding it if new; the caller
// holds the shard's lock.
func (sh *usageShard) intern(ip, userAgent, method string) uint32 {
	if len(userAgent) > maxUserAgent {
		userAgent = strings.ToValidUTF8(userAgent[:maxUserAgent], "")
	}
	return sh.clients.intern(usageClient{ip, userAgent, method})
}

// compact rebuilds the shard's clients from its pending uses once more
// than half of them are no longer used; the caller holds the lock.
func (sh *usageShard) compact() {
	sh.clients.compact(len(sh.pending), func(to func(uint32) uint32) {
		for id, p := range sh.pending {
			p.client = to(p.client)
			sh.pending[id] = p
		}
	})
}

// drain returns at most limit pending uses, and every use that has waited
// a resolution; limit < 0 takes all.
func (u *usageRecorder) drain(now time.Time, limit int) map[[16]byte]recordedUse {
	out := map[[16]byte]recordedUse{}
	cutoff := now.UnixMicro() - u.resolution
	// Start where the last drain stopped, so that no shard's uses wait
	// behind the others'.
	start := int(u.next.Add(1))
	for k := range usageShards {
		sh := &u.shards[(start+k)%usageShards]
		sh.mu.Lock()
		for id, p := range sh.pending {
			if limit >= 0 && len(out) >= limit && p.since > cutoff {
				continue
			}
			c := sh.clients.get(p.client)
			out[id] = recordedUse{keyhold.TokenUse{At: time.UnixMicro(p.at).UTC(), IP: c.ip, UserAgent: c.userAgent, Method: c.method}, p.n}
			delete(sh.pending, id)
		}
		if len(sh.pending) == 0 {
			sh.clients.reset()
		} else {
			sh.compact()
		}
		sh.mu.Unlock()
	}
	return out
}

// restore puts back a batch whose write failed, keeping newer uses.
func (u *usageRecorder) restore(batch map[[16]byte]recordedUse) {
	for id, use := range batch {
		u.recordN(id, use.TokenUse, use.n)
	}
}

// maxFailureKeys bounds the memory a flood from many addresses can take;
// past it, failures are counted under one overflow address.
const maxFailureKeys = 10000

type failureKey struct {
	ip     string
	minute time.Time
	// refusal is set for a valid token refused for its restrictions, and
	// empty for a failed authentication.
	refusal refusal
	// denial is set for an operation refused to its caller; ip is then
	// empty, since refusals are aggregated per actor, not per address.
	denial denial
	// bind is set for an LDAP bind, accepted or refused.
	bind bindAttempt
}

// bindAttempt is an LDAP bind (action ldap.bind), aggregated per account,
// token, outcome, reason, client address and minute like failed
// authentications, so that a client binding on every connection costs no
// write per bind.
type bindAttempt struct {
	outcome string // keyhold.OutcomeSuccess or keyhold.OutcomeFailure
	account keyhold.Ref
	name    string // the account's name, or the name the bind DN gave
	token   string // the token's id, when known
	reason  string // why a bind was refused
	// cred is the token's credential when the token is known (its id is
	// token, so that it splits no aggregate); zero for an unknown one,
	// whose fingerprint nothing computes.
	cred credential
}

// credential is an aggregated event's credential, comparable so that it
// can be part of the aggregate's key. Its fingerprint is computed when
// the event is drained, not on the path that counts it.
type credential struct {
	method string
	id     string
	digest [32]byte
}

// credentialOf is the credential of an authentication; zero for nil.
func credentialOf(a *keyhold.Authentication) credential {
	if a == nil {
		return credential{}
	}
	return credential{method: a.Method, id: a.ID, digest: a.Digest}
}

// audit returns the credential as an audit event records it.
func (c credential) audit() keyhold.AuditCredential {
	if c.method == "" {
		return keyhold.AuditCredential{}
	}
	return keyhold.AuditCredential{ID: c.id, Fingerprint: keyhold.TokenFingerprint(c.digest[:]), Method: c.method}
}

// auditLDAPBind is the action of binds to the directory.
const auditLDAPBind = "ldap.bind"

// bind counts an LDAP bind, per account, token, outcome, reason, client
// address and minute.
func (f *failureRecorder) bind(b bindAttempt, ip, userAgent string, at time.Time) {
	f.add(failureKey{ip: ip, minute: at.Truncate(time.Minute), bind: b}, userAgent)
}

// denial names an operation refused to its caller, and why.
type denial struct {
	action string
	actor  keyhold.Ref
	name   string // the actor's name
	reason string
	cred   credential // how the actor authenticated
}

// refusal names a restricted token refused, and why.
type refusal struct {
	action string // auditRefusedNetwork or auditRefusedScope
	owner  keyhold.Ref
	name   string // the owner's name
	token  string // the token's id
	// cred is the token's credential: its digest is one per token id, so
	// only a token presented by two methods in one minute makes two
	// aggregates.
	cred credential
}

// Audit actions of refused uses of restricted tokens.
const (
	auditRefusedNetwork = "token.use_refused_network"
	auditRefusedScope   = "token.use_refused_scope"
)

type failureCount struct {
	n         int
	userAgent string
	ip        string // the last client address of a denial
}

// failureRecorder aggregates failed authentications per client address and
// minute, so that a flood of garbage tokens costs no write per request.
type failureRecorder struct {
	mu     sync.Mutex
	counts map[failureKey]*failureCount
}

func newFailureRecorder() *failureRecorder {
	return &failureRecorder{counts: map[failureKey]*failureCount{}}
}

func (f *failureRecorder) record(ip, userAgent string, at time.Time) {
	f.add(failureKey{ip: ip, minute: at.Truncate(time.Minute)}, userAgent)
}

// refuse counts a use of a restricted token refused for its restrictions,
// per token, reason, client address and minute.
func (f *failureRecorder) refuse(r refusal, ip, userAgent string, at time.Time) {
	f.add(failureKey{ip: ip, minute: at.Truncate(time.Minute), refusal: r}, userAgent)
}

// deny counts an operation refused to its caller, per actor, action,
// reason and minute; the event keeps the last client address.
func (f *failureRecorder) deny(d denial, ip, userAgent string, at time.Time) {
	f.add(failureKey{minute: at.Truncate(time.Minute), denial: d}, userAgent).ip = ip
}

func (f *failureRecorder) add(k failureKey, userAgent string) *failureCount {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.counts[k]
	if c == nil {
		if len(f.counts) >= maxFailureKeys {
			// One key for the whole overflow of the minute, whatever it
			// was, so that the map stays bounded.
			k = failureKey{ip: "overflow", minute: k.minute}
			if c = f.counts[k]; c == nil {
				c = &failureCount{}
				f.counts[k] = c
			}
		} else {
			c = &failureCount{}
			f.counts[k] = c
		}
	}
	c.n++
	c.userAgent = userAgent
	return c
}

// drain returns one event per address and finished minute; with all, the
// current minute too.
func (f *failureRecorder) drain(now time.Time, all bool) []*keyhold.AuditEvent {
	current := now.Truncate(time.Minute)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*keyhold.AuditEvent
	for k, c := range f.counts {
		if !all && !k.minute.Before(current) {
			continue
		}
		e := &keyhold.AuditEvent{
			Time: k.minute, ActorType: keyhold.PrincipalAnonymous, Action: "auth.failed",
			TargetType: targetToken, Outcome: keyhold.OutcomeFailure, ClientIP: k.ip, UserAgent: c.userAgent, Count: c.n,
		}
		if r := k.refusal; r.action != "" {
			e.ActorType, e.ActorID, e.ActorName = r.owner.Type, r.owner.ID, r.name
			e.Action, e.TargetID, e.SubjectID, e.Outcome = r.action, r.token, r.owner.ID, keyhold.OutcomeDenied
			e.Credential = r.cred.audit()
		}
		if b := k.bind; b.outcome != "" {
			e.ActorType, e.ActorID, e.ActorName = keyhold.PrincipalAnonymous, "", b.name
			if b.account.ID != "" {
				e.ActorType, e.ActorID, e.SubjectID = b.account.Type, b.account.ID, b.account.ID
			}
			e.Action, e.TargetID, e.TargetName, e.Outcome, e.Reason = auditLDAPBind, b.token, b.name, b.outcome, b.reason
			e.Credential = b.cred.audit()
		}
		if d := k.denial; d.action != "" {
			e.ActorType, e.ActorID, e.ActorName = d.actor.Type, d.actor.ID, d.name
			e.Action, e.TargetType, e.Outcome, e.Reason, e.ClientIP = d.action, "", keyhold.OutcomeDenied, d.reason, c.ip
			e.Credential = d.cred.audit()
		}
		out = append(out, e)
		delete(f.counts, k)
	}
	return out
}
