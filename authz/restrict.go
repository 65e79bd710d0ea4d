package authz

import (
	"net/netip"
	"slices"

	"github.com/keyhold/keyhold"
)

// restrictedBit marks, in a slot's issued field, a token that carries a
// scope or allowed networks, or is an app password. Most tokens carry neither, so the decision
// reads the side table only for those that do; issued counts seconds
// since 2020 in the low 31 bits (good until 2088).
const restrictedBit = 1 << 31

// restriction is what narrows a token below its principal.
type restriction struct {
	// scope is nil for a token with all of its principal's roles.
	scope []Grant
	nets  []netip.Prefix
	// appPassword marks a token of intent app_password: it binds to the
	// directory and the service refuses it elsewhere. Most tokens are not,
	// so an app password is a restriction too, and the hot path of an
	// unrestricted token does not pay for it.
	appPassword bool
}

// Refusal reasons of restricted tokens.
const (
	ReasonNetwork = "The token may not be used from this client address"
	ReasonScope   = "The token's scope does not include the required role"
)

func (r *restriction) allows(text string) bool {
	if len(r.nets) == 0 {
		return true
	}
	client, err := netip.ParseAddr(text)
	if err != nil {
		return false
	}
	client = client.Unmap()
	for _, n := range r.nets {
		if n.Contains(client) {
			return true
		}
	}
	return false
}

// coversAnyCase is covers with q's entity id in any case: grants hold
// theirs in lower case (GrantOf), so a query in lower case, the usual one,
// is decided as it is (covers), and only a query that no grant covers as
// it is may need to be decided again folded (coversFolded). Decide spells
// the two out, so that its allowed decisions call exactly what they did.
func coversAnyCase(cat *keyhold.Catalogue, grants []Grant, q *Query) bool {
	return covers(cat, grants, q) || coversFolded(cat, grants, q)
}

// coversFolded decides q again with its entity id in lower case, when it
// has an upper-case letter: into a copy on the stack and one new string.
func coversFolded(cat *keyhold.Catalogue, grants []Grant, q *Query) bool {
	if !hasUpper(q.EntityID) {
		return false
	}
	folded := *q
	folded.EntityID = keyhold.FoldID(q.EntityID)
	return covers(cat, grants, &folded)
}

// covers reports whether grants hold q: one grant's role is q's or implies
// it, on q's entity or every entity, in q's region or every region. Entity
// ids are compared exactly: coversAnyCase folds them.
func covers(cat *keyhold.Catalogue, grants []Grant, q *Query) bool {
	for i := range grants {
		g := &grants[i]
		if cat.Implies(g.Role, q.Role) &&
			(g.EntityID == keyhold.AnyEntity || g.EntityID == q.EntityID) &&
			(q.AnyRegion || g.Region == keyhold.AnyRegion || g.Region == q.Region) {
			return true
		}
	}
	return false
}

// restrictionOf builds a token's restriction, or nil for a token as wide
// as its principal. Scope entries outside the catalogue hold nothing.
func (ix *Index) restrictionOf(t *keyhold.Token) *restriction {
	app := t.Intent == keyhold.IntentAppPassword
	if !t.Restricted() && !app {
		return nil
	}
	r := &restriction{nets: slices.Clone(t.AllowedCIDRs), appPassword: app}
	if t.Scope != nil {
		r.scope = make([]Grant, 0, len(t.Scope))
		for _, s := range t.Scope {
			if role, ok := ix.cat.Role(s.EntityTypeName, s.RoleName); ok {
				r.scope = append(r.scope, Grant{Role: role, EntityID: intern(keyhold.FoldID(s.EntityID)), Region: intern(s.EntityRegion)})
			}
		}
	}
	return r
}

// ScopeCovers reports whether scope entries hold a role on an entity, with
// the same rules as a decision: the account's grants are checked the same
// way when a scoped token is created, and whenever the account loses a
// role.
func ScopeCovers(cat *keyhold.Catalogue, held []keyhold.ScopeRole, want keyhold.ScopeRole) bool {
	role, ok := cat.Role(want.EntityTypeName, want.RoleName)
	if !ok {
		return false
	}
	q := Query{Role: role, EntityID: keyhold.FoldID(want.EntityID), Region: want.EntityRegion}
	for _, h := range held {
		r, ok := cat.Role(h.EntityTypeName, h.RoleName)
		if ok && covers(cat, []Grant{{Role: r, EntityID: keyhold.FoldID(h.EntityID), Region: h.EntityRegion}}, &q) {
			return true
		}
	}
	return false
}

// TokenHolds reports whether a token may use q: its principal holds q and,
// for a scoped token, so does its scope. known is false for a token the
// index does not hold.
func (ix *Index) TokenHolds(ref keyhold.Ref, tokenID string, q *Query) (holds, known bool) {
	id, ok := parseUUID(tokenID)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.principals[ref]
	if p == nil || !p.active {
		return false, false
	}
	if !ix.holds(p, q) {
		return false, true
	}
	if r := ix.restrictions[id]; ok && r != nil && r.scope != nil {
		return coversAnyCase(ix.cat, r.scope, q), true
	}
	return true, true
}

// TokenGrants returns a copy of what a token may use: its principal's
// effective grants or, for a scoped token, the entries of its scope that
// the principal holds.
func (ix *Index) TokenGrants(ref keyhold.Ref, tokenID string) []Grant {
	id, ok := parseUUID(tokenID)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.principals[ref]
	if p == nil {
		return nil
	}
	r := ix.restrictions[id]
	if !ok || r == nil || r.scope == nil {
		return append([]Grant(nil), p.effective...)
	}
	out := []Grant{}
	for _, g := range r.scope {
		if ix.holds(p, &Query{Role: g.Role, EntityID: g.EntityID, Region: g.Region}) {
			out = append(out, g)
		}
	}
	return out
}
