package escalation_test

import (
	"context"
	"fmt"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/internal/apitest"
)

// loopback is the client address of every request P sends.
const loopback = "127.0.0.1"

// query is one thing a credential may or may not do: a role of the
// catalogue on an entity in a region, one of keyhold's own permissions
// (asked as the service's permission table asks it for an operation that
// needs it), or membership of a predefined team whose membership is a
// privilege.
type query struct {
	label string
	role  *authz.Query
	op    string // an operation that needs the permission of the label
	team  string
}

// regions and entities are where the queries ask for each role: a grant on
// "*" answers every one of them, a grant on one entity or region only its
// own. P's moves assign roles on the same ones.
var (
	regions  = []string{"us", "eu", "*"}
	entities = []string{"*", entityOne}
)

// queries enumerates every role of the catalogue, on every entity and in
// every region above, and every membership-based privilege.
func queries(cat *keyhold.Catalogue) []query {
	var qs []query
	for _, et := range cat.EntityTypes() {
		for _, name := range cat.RolesOf(et) {
			id, _ := cat.Role(et, name)
			for _, ent := range entities {
				for _, reg := range regions {
					qs = append(qs, query{label: fmt.Sprintf("%s %s on %s in %s", et, name, ent, reg),
						role: &authz.Query{Role: id, EntityID: ent, Region: reg}})
				}
			}
		}
	}
	for _, p := range []struct {
		perm keyhold.Permission
		op   string
	}{
		{keyhold.PermIdentityRead, "ListSystemAccounts"}, {keyhold.PermIdentityWrite, "CreateSystemAccount"},
		{keyhold.PermAuditRead, "ListAuditEvents"}, {keyhold.PermIntrospect, "CheckSubject"},
	} {
		qs = append(qs, query{label: string(p.perm), op: p.op})
	}
	qs = append(qs, query{label: "membership of Organization Admin", team: keyOrgAdmin},
		query{label: "membership of Organization Admin (Read Only)", team: keyOrgAdminReadOnly})
	return qs
}

// grants is what one credential may do now: allowed[i] answers qs[i].
// usable is false for a credential that no longer works at all.
type grants struct {
	usable  bool
	who     string // the principal it acts as
	allowed []bool
}

// grantsOf decides every query for a credential with the real decision
// index and the service's own authorization, as keyhold decides them for
// a request that presents it from loopback.
func grantsOf(e *apitest.Env, qs []query, c *cred) grants {
	ix := e.Service.Feed.Index()
	g := grants{allowed: make([]bool, len(qs))}
	var p keyhold.Principal
	var holds func(q *authz.Query) bool
	switch c.kind {
	case credToken:
		d := ix.Decide(c.value, nil, loopback, e.Clock.Now())
		if d.Outcome != authz.Allowed {
			return g
		}
		p = d.Principal
		p.TokenID = d.TokenID()
		holds = func(q *authz.Query) bool { h, _ := ix.TokenHolds(p.Ref(), p.TokenID, q); return h }
	case credSession:
		_, sp, err := e.Service.Sessions.Session(context.Background(), c.value)
		if err != nil {
			return g
		}
		p = *sp
		holds = func(q *authz.Query) bool { h, _ := ix.Holds(p.Ref(), q); return h }
	}
	g.usable, g.who = true, p.Name
	ctx := keyhold.NewContextWithPrincipal(context.Background(), &p)
	for i, q := range qs {
		switch {
		case q.role != nil:
			g.allowed[i] = holds(q.role)
		case q.op != "":
			g.allowed[i] = e.Service.Decider.May(ctx, q.op, false) == nil
		default:
			g.allowed[i] = !p.Scoped && ix.InSystemTeam(p.Ref(), q.team)
		}
	}
	return g
}

// beyond lists what g allows that start does not.
func beyond(qs []query, start, g grants) []string {
	var out []string
	for i := range qs {
		if g.allowed[i] && !start.allowed[i] {
			out = append(out, qs[i].label)
		}
	}
	return out
}
