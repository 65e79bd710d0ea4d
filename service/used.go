package service

import (
	"bytes"
	"cmp"
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/storage"
)

// The audit of successful token use (docs/audit.md#use). A request writes
// nothing: the index reports a token's use at most once per resolution
// (authz.Decision.Use), the recorder keeps it, and the decider's flush
// writes last_used_at and these events in batches.
const (
	// auditTokenUsed is the action of every kind of use event; its reason
	// says which: first_use, new_network or rollup.
	auditTokenUsed = "token.used"

	// Reasons of token.used. The first two are followed by a space and the
	// client's network; rollup stands alone.
	reasonFirstUse   = "first_use"
	reasonNewNetwork = "new_network"
	reasonRollup     = "rollup"
)

// useBatch bounds the tokens of one transaction of a flush: their touch,
// first uses, networks and the events of those, appended last.
const useBatch = 1000

// maxUseEventsPerFlush bounds the first-use and new-network events of a
// periodic flush, give or take a batch: past it, the flush only touches
// tokens used before (see flushUses; a shutdown's flush writes
// everything). Right after an upgrade every token is new to
// token_networks, but its first network is recorded silently, so the bound
// is met only by a burst of tokens used for the first time.
const maxUseEventsPerFlush = 10_000

// maxRollupsPerFlush bounds the roll-up events of a periodic flush; those
// due beyond it wait for the next.
const maxRollupsPerFlush = 20_000

// useNetwork is the network of a client address that the audit of use
// tracks: the /24 of an IPv4 address (an IPv4-mapped IPv6 address counts
// as IPv4), the /64 of an IPv6 one; "" for no valid address.
func useNetwork(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap().WithZone("")
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// rollupKey is a token and the start of an hour (Unix seconds).
type rollupKey struct {
	id   [16]byte
	hour int64
}

// rollupCount is what a roll-up says: the uses counted, and the last
// client's address, user agent and method.
type rollupCount struct {
	n              int
	ip, ua, method string
}

// rollupEntry is a rollupCount as the map keeps it: without a pointer,
// its client interned in rollups.clients, so that a million tokens used in
// an hour are neither a million objects for the garbage collector to mark
// nor three string headers each.
type rollupEntry struct {
	n, client uint32
}

// rollups counts, per token and hour, the uses this replica has written.
// An hour's counts become token.used events (reason rollup) at the first
// flush after the hour ends, or at shutdown.
type rollups struct {
	mu      sync.Mutex
	counts  map[rollupKey]rollupEntry
	clients clientTable
}

func (r *rollups) add(id [16]byte, use recordedUse) {
	k := rollupKey{id, use.At.Truncate(time.Hour).Unix()}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[rollupKey]rollupEntry{}
	}
	i := r.clients.intern(usageClient{use.IP, use.UserAgent, use.Method})
	e := r.counts[k]
	e.n += max(use.n, 1)
	e.client = i
	r.counts[k] = e
}

// due returns up to limit roll-ups of hours before current (limit < 0: all
// of them, the current hour's too), oldest hour first.
func (r *rollups) due(current time.Time, limit int) []rollupKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := current.Truncate(time.Hour).Unix()
	var out []rollupKey
	for k := range r.counts {
		if limit < 0 || k.hour < cur {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b rollupKey) int {
		return cmp.Or(cmp.Compare(a.hour, b.hour), bytes.Compare(a.id[:], b.id[:]))
	})
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func (r *rollups) get(k rollupKey) rollupCount {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.counts[k]
	if !ok {
		return rollupCount{}
	}
	c := r.clients.get(e.client)
	return rollupCount{n: int(e.n), ip: c.ip, ua: c.userAgent, method: c.method}
}

// remove drops written roll-ups, and rebuilds the clients once more than
// half of them are no longer used, so that they stay bounded by the
// roll-ups waiting.
func (r *rollups) remove(keys []rollupKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		delete(r.counts, k)
	}
	r.clients.compact(len(r.counts), func(to func(uint32) uint32) {
		for k, e := range r.counts {
			e.client = to(e.client)
			r.counts[k] = e
		}
	})
}

// useEvent is the token.used event of a use of token t.
func useEvent(t storage.UsedToken, at time.Time, use keyhold.TokenUse, reason string, count int) *keyhold.AuditEvent {
	return &keyhold.AuditEvent{
		ID: newID(), Time: at.UTC().Truncate(time.Microsecond),
		ActorType: t.Owner.Type, ActorID: t.Owner.ID, ActorName: t.OwnerName,
		Action: auditTokenUsed, TargetType: targetToken, TargetID: t.ID, TargetName: t.Name, SubjectID: t.Owner.ID,
		Outcome: keyhold.OutcomeSuccess, ClientIP: use.IP, UserAgent: use.UserAgent, Count: count, Reason: reason,
		Credential: keyhold.AuditCredential{ID: t.ID, Fingerprint: keyhold.TokenFingerprint(t.Digest), Method: use.Method},
	}
}

// flushUses writes drained uses, useBatch tokens per transaction: in each,
// last_used_at of every token, the first use of those never used
// (conditionally, so that of two replicas one sees it), the networks new
// to each token, and then the token.used events of first uses and new
// networks. A token's first recorded network is no new network: for a
// token used for the first time its first_use event names it, and for a
// token used before token_networks existed it is the baseline later uses
// are compared with. A written use is counted for its hour's roll-up.
//
// Once a periodic flush (limit true) has written maxUseEventsPerFlush
// events, its remaining batches only raise last_used_at of tokens used
// before, so that their last use stays as fresh as ever; the uses of
// tokens never used go back to the recorder, to be written with their
// first_use event by a later flush, and those batches' networks are not
// compared (the token's next reported use is). A batch whose write fails
// goes back to the recorder with every batch after it.
func (s *Decider) flushUses(ctx context.Context, used map[[16]byte]recordedUse, limit bool) {
	ids := make([][16]byte, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	events := 0
	for i := 0; i < len(ids); i += s.useBatch {
		batch := ids[i:min(i+s.useBatch, len(ids))]
		var back [][16]byte
		var err error
		if limit && events >= s.maxUseEvents {
			back, err = s.touchUsed(ctx, used, batch)
		} else {
			var n int
			n, err = s.writeUses(ctx, used, batch)
			events += n
		}
		if err != nil {
			s.log.Error("record token use", "err", err)
			s.restoreUses(used, ids[i:])
			return
		}
		s.restoreUses(used, back)
		waiting := make(map[[16]byte]bool, len(back))
		for _, id := range back {
			waiting[id] = true
		}
		for _, id := range batch {
			if !waiting[id] {
				s.rollups.add(id, used[id])
			}
		}
	}
}

// touchUsed raises last_used_at of the batch's tokens used before, and
// returns those never used, whose first use waits for a later flush.
func (s *Decider) touchUsed(ctx context.Context, used map[[16]byte]recordedUse, batch [][16]byte) ([][16]byte, error) {
	byID := make(map[string]keyhold.TokenUse, len(batch))
	for _, id := range batch {
		byID[uuid.UUID(id).String()] = used[id].TokenUse
	}
	var never []string
	err := s.store.Write(ctx, func(tx storage.Tx) (err error) {
		never, err = tx.Usage().TouchUsedTokens(ctx, byID)
		return err
	})
	if err != nil {
		return nil, err
	}
	back := make([][16]byte, 0, len(never))
	for _, id := range never {
		if u, err := uuid.Parse(id); err == nil {
			back = append(back, u)
		}
	}
	return back, nil
}

func (s *Decider) restoreUses(used map[[16]byte]recordedUse, ids [][16]byte) {
	if len(ids) == 0 {
		return
	}
	back := make(map[[16]byte]recordedUse, len(ids))
	for _, id := range ids {
		back[id] = used[id]
	}
	s.usage.restore(back)
}

// writeUses writes one batch of uses in one transaction and returns how
// many events it appended.
func (s *Decider) writeUses(ctx context.Context, used map[[16]byte]recordedUse, batch [][16]byte) (int, error) {
	byID := make(map[string]keyhold.TokenUse, len(batch))
	var nets []storage.TokenNetwork
	for _, id := range batch {
		u := used[id]
		sid := uuid.UUID(id).String()
		byID[sid] = u.TokenUse
		if n := useNetwork(u.IP); n != "" {
			nets = append(nets, storage.TokenNetwork{TokenID: sid, Network: n, FirstSeen: u.At})
		}
	}
	written := 0
	err := s.store.Write(ctx, func(tx storage.Tx) error {
		written = 0
		first, err := tx.Usage().TouchFirstUse(ctx, byID)
		if err != nil {
			return err
		}
		if err := tx.Usage().TouchTokens(ctx, byID); err != nil {
			return err
		}
		added, err := tx.Usage().AddTokenNetworks(ctx, nets)
		if err != nil {
			return err
		}
		var fresh []storage.TokenNetwork
		for _, n := range added {
			if n.Known {
				fresh = append(fresh, n)
			}
		}
		if len(first) == 0 && len(fresh) == 0 {
			return nil
		}
		need := slices.Clone(first)
		for _, n := range fresh {
			need = append(need, n.TokenID)
		}
		slices.Sort(need)
		tokens, err := tx.Usage().UsedTokens(ctx, slices.Compact(need))
		if err != nil {
			return err
		}
		byToken := make(map[string]storage.UsedToken, len(tokens))
		for _, t := range tokens {
			byToken[t.ID] = t
		}
		var evs []*keyhold.AuditEvent
		for _, id := range first {
			if t, ok := byToken[id]; ok {
				u := byID[id]
				evs = append(evs, useEvent(t, u.At, u, withNetwork(reasonFirstUse, useNetwork(u.IP)), 1))
			}
		}
		for _, n := range fresh {
			if t, ok := byToken[n.TokenID]; ok {
				u := byID[n.TokenID]
				evs = append(evs, useEvent(t, u.At, u, withNetwork(reasonNewNetwork, n.Network), 1))
			}
		}
		// The audit append is last: on PostgreSQL it takes the log's lock.
		for _, e := range evs {
			if err := tx.Audit().AppendAuditEvent(ctx, e); err != nil {
				return err
			}
		}
		written = len(evs)
		return nil
	})
	return written, err
}

func withNetwork(reason, network string) string {
	if network == "" {
		return reason
	}
	return reason + " " + network
}

// flushRollups writes the roll-ups due (all of them with all), useBatch per
// transaction, at most maxRollupsPerFlush in a periodic flush. Each is one
// token.used event stamped with the start of its hour; Count is the uses
// this replica wrote for the token in that hour (see docs/audit.md#use for
// what that counts). A token deleted since keeps its roll-up, with the
// token as target and no owner.
func (s *Decider) flushRollups(ctx context.Context, all bool) {
	limit := maxRollupsPerFlush
	if all {
		limit = -1
	}
	due := s.rollups.due(s.clock(), limit)
	for len(due) > 0 {
		batch := due[:min(len(due), s.useBatch)]
		due = due[len(batch):]
		ids := make([]string, len(batch))
		for i, k := range batch {
			ids[i] = uuid.UUID(k.id).String()
		}
		err := s.store.Write(ctx, func(tx storage.Tx) error {
			tokens, err := tx.Usage().UsedTokens(ctx, slices.Compact(slices.Sorted(slices.Values(ids))))
			if err != nil {
				return err
			}
			byToken := make(map[string]storage.UsedToken, len(tokens))
			for _, t := range tokens {
				byToken[t.ID] = t
			}
			for i, k := range batch {
				t, ok := byToken[ids[i]]
				if !ok {
					t = storage.UsedToken{ID: ids[i], Owner: keyhold.Ref{Type: keyhold.PrincipalAnonymous}}
				}
				c := s.rollups.get(k)
				e := useEvent(t, time.Unix(k.hour, 0), keyhold.TokenUse{IP: c.ip, UserAgent: c.ua, Method: c.method}, reasonRollup, c.n)
				if !ok {
					e.Credential.Fingerprint = ""
				}
				if err := tx.Audit().AppendAuditEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.log.Error("record token use roll-ups", "err", err)
			return
		}
		s.rollups.remove(batch)
	}
}
