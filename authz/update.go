package authz

import (
	"slices"

	"github.com/keyhold/keyhold"
)

// PrincipalState is what the index needs of a user or system account.
type PrincipalState struct {
	Ref    keyhold.Ref
	Name   string
	Active bool
	Direct []Grant
	Teams  []string
}

// TeamState is what the index needs of a team.
type TeamState struct {
	ID        string
	SystemKey string
	Grants    []Grant
}

// GrantOf converts an assignment; ok is false for a role the catalogue does
// not know (assigned under a custom catalogue since removed). The entity id
// is folded to lower case here, once, so that a decision matches it in any
// case (coversAnyCase).
func (ix *Index) GrantOf(r *keyhold.AssignedRole) (Grant, bool) {
	id, ok := ix.cat.Role(r.EntityTypeName, r.RoleName)
	return Grant{Role: id, EntityID: intern(keyhold.FoldID(r.EntityID)), Region: intern(r.EntityRegion)}, ok
}

// intern returns the shared copy of the wildcard and of region names, so
// that a decision comparing them reads memory that is already in cache
// rather than a copy scanned from the database for each grant.
func intern(s string) string {
	if s == keyhold.AnyEntity {
		return keyhold.AnyEntity
	}
	for _, r := range keyhold.Regions {
		if s == r {
			return r
		}
	}
	return s
}

// PutPrincipal adds or replaces a principal, keeping its tokens.
func (ix *Index) PutPrincipal(s PrincipalState) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	p := ix.principal(s.Ref)
	for _, id := range p.teams {
		if t := ix.teams[id]; t != nil {
			delete(t.members, s.Ref)
		}
	}
	// The id and the name every allowed decision answers with share one
	// allocation: at a million tokens each is a cache miss of its own.
	idName := s.Ref.ID + s.Name
	p.ref.ID, p.name = idName[:len(s.Ref.ID)], idName[len(s.Ref.ID):]
	p.active, p.direct, p.teams = s.Active, s.Direct, s.Teams
	for _, id := range p.teams {
		ix.team(id).members[s.Ref] = struct{}{}
	}
	ix.recompute(p)
}

// RemovePrincipal drops a principal and every token it held.
func (ix *Index) RemovePrincipal(ref keyhold.Ref) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	p := ix.principals[ref]
	if p == nil {
		return
	}
	for i := range p.tokens {
		if old, ok := ix.tokens.remove(&p.tokens[i]); ok {
			delete(ix.restrictions, old.id)
		}
	}
	for _, id := range p.teams {
		if t := ix.teams[id]; t != nil {
			delete(t.members, ref)
		}
	}
	delete(ix.principals, ref)
	ix.owners[p.owner-1] = nil
	ix.free = append(ix.free, p.owner)
}

// PutTeam adds or replaces a team's grants and recomputes its members.
func (ix *Index) PutTeam(s TeamState) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t := ix.team(s.ID)
	t.systemKey, t.grants = s.SystemKey, s.Grants
	for ref := range t.members {
		ix.recompute(ix.principals[ref])
	}
}

// RemoveTeam drops a team; its members lose what it gave them.
func (ix *Index) RemoveTeam(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t := ix.teams[id]
	if t == nil {
		return
	}
	delete(ix.teams, id)
	for ref := range t.members {
		p := ix.principals[ref]
		p.teams = slices.DeleteFunc(slices.Clone(p.teams), func(x string) bool { return x == id })
		ix.recompute(p)
	}
}

// PutToken adds or replaces a token of a principal already in the index;
// it reports false when the principal is unknown.
func (ix *Index) PutToken(t *keyhold.Token) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.putToken(t)
}

func (ix *Index) putToken(t *keyhold.Token) bool {
	p := ix.principals[t.Owner]
	id, ok := parseUUID(t.ID)
	if p == nil || !ok || kindOf(p.ref.Type) != t.Kind {
		return false
	}
	v := slot{owner: p.owner, id: id, issued: seconds(t.CreatedAt.Unix()) &^ restrictedBit}
	if r := ix.restrictionOf(t); r != nil {
		v.issued |= restrictedBit
		ix.restrictions[id] = r
	} else {
		delete(ix.restrictions, id)
	}
	copy(v.digest[:], t.Digest)
	if until := t.ValidUntil(); until != nil {
		v.expires = max(seconds(until.Unix()), 1)
	}
	old, existed := ix.tokens.put(v)
	if !existed {
		p.tokens = append(p.tokens, v.digest)
	} else if old.owner != p.owner { // the token moved owner: keep the lists true
		ix.owners[old.owner-1].dropToken(v.digest)
		p.tokens = append(p.tokens, v.digest)
	}
	return true
}

// seconds converts unix seconds to a slot's 32-bit count, clamped.
func seconds(unix int64) uint32 {
	return uint32(min(max(unix-epoch2020, 0), 1<<32-1))
}

// RemoveToken drops a token by digest.
func (ix *Index) RemoveToken(digest []byte) {
	var d [32]byte
	copy(d[:], digest)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.tokens.remove(&d); ok {
		ix.owners[old.owner-1].dropToken(d)
		delete(ix.restrictions, old.id)
	}
}

func (p *principal) dropToken(d [32]byte) {
	if i := slices.Index(p.tokens, d); i >= 0 {
		p.tokens[i] = p.tokens[len(p.tokens)-1]
		p.tokens = p.tokens[:len(p.tokens)-1]
	}
}

func (ix *Index) principal(ref keyhold.Ref) *principal {
	p := ix.principals[ref]
	if p == nil {
		p = &principal{ref: ref}
		if n := len(ix.free); n > 0 {
			p.owner, ix.free = ix.free[n-1], ix.free[:n-1]
			ix.owners[p.owner-1] = p
		} else {
			ix.owners = append(ix.owners, p)
			p.owner = uint32(len(ix.owners))
		}
		ix.principals[ref] = p
	}
	return p
}

func (ix *Index) team(id string) *team {
	t := ix.teams[id]
	if t == nil {
		t = &team{members: map[keyhold.Ref]struct{}{}}
		ix.teams[id] = t
	}
	return t
}

// recompute rebuilds a principal's effective grants and system teams into
// new slices, so that a reader never sees a slice being written.
func (ix *Index) recompute(p *principal) {
	if p == nil {
		return
	}
	n := len(p.direct)
	for _, id := range p.teams {
		if t := ix.teams[id]; t != nil {
			n += len(t.grants)
		}
	}
	var eff []Grant
	if n <= len(p.inline) {
		// Safe to overwrite in place: writers hold the write lock, so no
		// decision is reading, and readers copy nothing out of the index.
		eff = p.inline[:0]
	} else {
		eff = make([]Grant, 0, n)
	}
	eff = append(eff, p.direct...)
	var keys []string
	for _, id := range p.teams {
		t := ix.teams[id]
		if t == nil {
			continue
		}
		eff = append(eff, t.grants...)
		if t.systemKey != "" {
			keys = append(keys, t.systemKey)
		}
	}
	p.effective, p.systemTeams = eff, keys
}

// Replace swaps in the contents of a freshly loaded index; the use
// resolution stays this index's.
func (ix *Index) Replace(from *Index) {
	from.mu.Lock()
	defer from.mu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.tokens, ix.owners, ix.free = from.tokens, from.owners, from.free
	ix.principals, ix.teams, ix.restrictions = from.principals, from.teams, from.restrictions
}
