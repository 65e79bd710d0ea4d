package service

import (
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// usageRecorder keeps the last use of each token in memory, so that
// last_used_at costs one batched write per interval instead of one per
// request.
type usageRecorder struct {
	mu   sync.Mutex
	used map[string]keyhold.TokenUse
}

// maxUserAgent bounds what is kept of a client's User-Agent.
const maxUserAgent = 512

func newUsageRecorder() *usageRecorder { return &usageRecorder{used: map[string]keyhold.TokenUse{}} }

func (u *usageRecorder) record(tokenID string, use keyhold.TokenUse) {
	u.mu.Lock()
	if use.At.After(u.used[tokenID].At) {
		if len(use.UserAgent) > maxUserAgent {
			use.UserAgent = strings.ToValidUTF8(use.UserAgent[:maxUserAgent], "")
		}
		u.used[tokenID] = use
	}
	u.mu.Unlock()
}

func (u *usageRecorder) drain() map[string]keyhold.TokenUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.used
	u.used = map[string]keyhold.TokenUse{}
	return out
}

// restore puts back a batch whose write failed, keeping newer uses.
func (u *usageRecorder) restore(batch map[string]keyhold.TokenUse) {
	for id, use := range batch {
		u.record(id, use)
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
}

// refusal names a restricted token refused, and why.
type refusal struct {
	action string // auditRefusedNetwork or auditRefusedScope
	owner  keyhold.Ref
	name   string // the owner's name
	token  string // the token's id
}

// Audit actions of refused uses of restricted tokens.
const (
	auditRefusedNetwork = "token.use.refused_network"
	auditRefusedScope   = "token.use.refused_scope"
)

type failureCount struct {
	n         int
	userAgent string
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

func (f *failureRecorder) add(k failureKey, userAgent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.counts[k]
	if c == nil {
		if len(f.counts) >= maxFailureKeys {
			k.ip = "overflow"
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
			e.Action, e.TargetID, e.Outcome = r.action, r.token, keyhold.OutcomeDenied
		}
		out = append(out, e)
		delete(f.counts, k)
	}
	return out
}
