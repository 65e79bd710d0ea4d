package service

import (
	"context"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
)

var errNoToken = keyhold.Errorf(keyhold.EUNAUTHENTICATED, "A valid token is required")

// reasonAppPassword refuses an app-password token where it may not be used.
const reasonAppPassword = "This token is an app password: it binds to the LDAP directory and cannot call the API"

// errAppPassword is the refusal of an app password by the permission table.
var errAppPassword = keyhold.Errorf(keyhold.EUNAUTHENTICATED, "%s", reasonAppPassword)

// Surfaces a decision is made for. An app-password token is decided only on
// surfaceLDAP, and on surfaceAPI for a request rotating that very token.
const (
	surfaceAPI  = "api"
	surfaceLDAP = "ldap"
)

// appPasswordMay reports whether an app-password token, decided as d, may
// be used on surface with credentials c.
func appPasswordMay(surface string, c keyhold.Credentials, d *authz.Decision) bool {
	return surface == surfaceLDAP || surface == surfaceAPI && c.Rotating != "" && c.Rotating == d.TokenID()
}

// Authenticate implements keyhold.Authenticator. A bearer token, or HTTP
// Basic with an account name (or user email) and a token as password. It
// reads only the in-memory index.
func (s *Decider) Authenticate(ctx context.Context, c keyhold.Credentials) (*keyhold.Principal, error) {
	d := s.decide(keyhold.RequestFromContext(ctx), surfaceAPI, c, nil)
	if d.Outcome == authz.RateLimited {
		return nil, &keyhold.Error{Code: keyhold.ERATELIMITED, Message: d.Reason, RetryAfter: d.RetryAfter}
	}
	if d.Outcome == authz.Forbidden { // a restricted token used from outside its networks
		return nil, keyhold.Errorf(keyhold.EFORBIDDEN, "%s", d.Reason)
	}
	if d.Outcome != authz.Allowed {
		return nil, keyhold.Errorf(keyhold.EUNAUTHENTICATED, "%s", d.Reason)
	}
	p := d.Principal
	p.Auth = tokenAuth(c, p.TokenID)
	return &p, nil
}

// tokenAuth is the authentication of a request by the token in c, whose
// id is id: its digest is computed once more here, for the audit trail,
// so that the decision itself carries nothing more.
func tokenAuth(c keyhold.Credentials, id string) *keyhold.Authentication {
	if c.Bearer != "" {
		return &keyhold.Authentication{Method: keyhold.AuthBearer, ID: id, Digest: keyhold.TokenDigestArray(c.Bearer)}
	}
	return &keyhold.Authentication{Method: keyhold.AuthBasic, ID: id, Digest: keyhold.TokenDigestArray(c.BasicPass)}
}

// Decide authenticates credentials and, with q, checks one role, from the
// index alone. Every refusal to authenticate is counted in the aggregated
// audit of failed authentications; every use of a valid token is recorded
// for last_used_at. surface names the caller for metrics.
func (s *Decider) Decide(ctx context.Context, surface string, c keyhold.Credentials, q *keyhold.Query) keyhold.Decision {
	d := s.decide(keyhold.RequestFromContext(ctx), surface, c, q)
	return d.Verdict()
}

// DecideRequest is Decide for a request described by ri, without a
// context: the decision routes call it on every request, and a context
// carrying ri would cost two allocations each time.
func (s *Decider) DecideRequest(ri keyhold.RequestInfo, surface string, c keyhold.Credentials, q *keyhold.Query) keyhold.Decision {
	d := s.decide(ri, surface, c, q)
	return d.Verdict()
}

// decide is DecideRequest with the index's own decision, which the
// subject checks read further.
func (s *Decider) decide(ri keyhold.RequestInfo, surface string, c keyhold.Credentials, q *authz.Query) authz.Decision {
	start := time.Now()
	value, basic := c.Bearer, false
	if value == "" && c.BasicPass != "" {
		value, basic = c.BasicPass, true
	}
	var d authz.Decision
	now := start
	if !s.realClock {
		now = s.now()
	}
	wait := time.Duration(0)
	if value != "" {
		wait = s.limiter.retryAfter(ri.ClientIP, now)
	}
	switch {
	case wait > 0:
		d = authz.Decision{Outcome: authz.RateLimited, Reason: "Too many failed authentications from this address; try again later", RetryAfter: wait}
	case value == "":
		d = authz.Decision{Reason: authz.ReasonUnknown}
	case !s.feed.Loaded():
		d = authz.Decision{Reason: "The server is starting; try again"}
	default:
		from := ri.ClientIP
		if c.Subject {
			from = c.ClientIP
		}
		if basic {
			d = s.index.DecideBasic(c.BasicUser, value, q, from, now)
		} else {
			d = s.index.Decide(value, q, from, now)
		}
		switch {
		case d.Outcome == authz.Unauthenticated:
			s.failures.record(ri.ClientIP, ri.UserAgent, now)
			s.limiter.fail(ri.ClientIP, now)
		case d.Principal.AppPassword && !appPasswordMay(surface, c, &d):
			// A valid token used where it may not be: no failed
			// authentication to limit, and no use of it.
			d = authz.Decision{Reason: reasonAppPassword}
		default:
			d.Principal.TokenID = d.TokenID()
			if action := refusalAction(d.Reason); action != "" {
				s.failures.refuse(refusal{action: action, owner: d.Principal.Ref(), name: d.Principal.Name, token: d.Principal.TokenID,
					cred: refusedCredential(surface, basic, d.Principal.TokenID, value)}, from, ri.UserAgent, now)
			}
			// The index reports a token's use once per resolution, and
			// never a use from outside the token's networks.
			if d.Use {
				// A subject token checked for a caller is used from the
				// address the caller names (client_ip), when it names one.
				ip := ri.ClientIP
				if c.Subject && c.ClientIP != "" {
					ip = c.ClientIP
				}
				s.usage.record(d.Token, keyhold.TokenUse{At: now, IP: ip, UserAgent: ri.UserAgent, Method: tokenMethod(surface, basic)})
			}
		}
	}
	s.observer.Decision(surface, d.Outcome.String(), time.Since(start))
	return d
}

// refusedCredential is the credential of a token refused for its
// restrictions: its digest is computed once more, on the refusal's path
// only.
func refusedCredential(surface string, basic bool, id, value string) credential {
	return credential{method: tokenMethod(surface, basic), id: id, digest: keyhold.TokenDigestArray(value)}
}

// tokenMethod is how a decided token was presented: an LDAP bind, HTTP
// Basic, or a bearer token.
func tokenMethod(surface string, basic bool) string {
	switch {
	case surface == surfaceLDAP:
		return keyhold.AuthLDAP
	case basic:
		return keyhold.AuthBasic
	}
	return keyhold.AuthBearer
}

// refusalAction names the audit action of a valid token refused for its
// restrictions, or "" for any other decision.
func refusalAction(reason string) string {
	switch reason {
	case authz.ReasonNetwork:
		return auditRefusedNetwork
	case authz.ReasonScope:
		return auditRefusedScope
	}
	return ""
}

// grant is one way to hold a permission: membership of a predefined team,
// or a role on an entity type (on every entity, in any region).
type grant struct {
	systemTeam string
	entityType string
	role       string
}

// permissionGrants is the whole policy of keyhold's own API, as data.
var permissionGrants = map[keyhold.Permission][]grant{
	keyhold.PermIdentityRead: {
		{systemTeam: teamOrgAdmin}, {systemTeam: teamOrgAdminReadOnly},
		{entityType: keyhold.IdentityEntityType, role: "Admin"},
	},
	keyhold.PermIdentityWrite: {
		{systemTeam: teamOrgAdmin},
		{entityType: keyhold.IdentityEntityType, role: "Admin"},
	},
	keyhold.PermIntrospect: {
		{systemTeam: teamOrgAdmin}, {systemTeam: teamOrgAdminReadOnly},
		{entityType: keyhold.IdentityEntityType, role: "Admin"},
		{entityType: keyhold.IdentityEntityType, role: keyhold.TokenIntrospectorRole},
	},
	keyhold.PermDirectoryRead: {
		{systemTeam: teamOrgAdmin}, {systemTeam: teamOrgAdminReadOnly},
		{entityType: keyhold.IdentityEntityType, role: "Admin"},
		{entityType: keyhold.IdentityEntityType, role: keyhold.DirectoryReaderRole},
	},
	keyhold.PermAuditRead: {
		{systemTeam: teamOrgAdmin}, {systemTeam: teamOrgAdminReadOnly},
		{entityType: keyhold.IdentityEntityType, role: "Admin"},
		{entityType: "Audit Logs", role: "Admin"},
	},
	keyhold.PermAuditAdmin: {
		{systemTeam: teamOrgAdmin},
		{entityType: "Audit Logs", role: "Admin"},
	},
}

func (s *core) holds(p *keyhold.Principal, perm keyhold.Permission) bool {
	ref := p.Ref()
	for _, want := range permissionGrants[perm] {
		// A scoped token holds only roles of its scope, never a system
		// team's privileges.
		if want.systemTeam != "" && !p.Scoped && s.index.InSystemTeam(ref, want.systemTeam) {
			return true
		}
		if want.role == "" {
			continue
		}
		role, ok := s.catalogue.Role(want.entityType, want.role)
		if !ok {
			continue
		}
		if s.principalHolds(p, &authz.Query{Role: role, EntityID: keyhold.AnyEntity, AnyRegion: true}) {
			return true
		}
	}
	return false
}

// principalHolds reports whether the principal of a request may use q:
// through its token's scope when the token is scoped.
func (s *core) principalHolds(p *keyhold.Principal, q *authz.Query) bool {
	if p.Scoped {
		held, _ := s.index.TokenHolds(p.Ref(), p.TokenID, q)
		return held
	}
	held, _ := s.index.Holds(p.Ref(), q)
	return held
}

// SubjectUsable reports whether a subject token, decided with
// Credentials.Subject, may be used at all: valid and, when bound to
// networks, used from one of them. A role refusal still leaves it usable.
func SubjectUsable(d keyhold.Decision) bool {
	return d.Outcome == authz.Allowed || d.Outcome == authz.Forbidden && d.Reason != authz.ReasonNetwork
}

// CheckSubject decides a subject token (the batch check) and, when it is
// usable, each query against what the token may use: its principal's roles
// or, for a scoped token, its scope within them.
// The caller in ctx needs tokens:introspect, so that the check cannot be
// used to scan for tokens.
func (s *Decider) CheckSubject(ctx context.Context, c keyhold.Credentials, queries []*keyhold.Query) (keyhold.Decision, bool, []bool, error) {
	if err := s.authorize(ctx, "CheckSubject", false); err != nil {
		return keyhold.Decision{}, false, nil, err
	}
	c.Subject = true
	d := s.Decide(ctx, "check", c, nil)
	results := make([]bool, len(queries))
	if !SubjectUsable(d) {
		return d, false, results, nil
	}
	for i, q := range queries {
		results[i], _ = s.index.TokenHolds(d.Principal.Ref(), d.Principal.TokenID, q)
	}
	return d, true, results, nil
}

// IntrospectSubject decides a subject token (RFC 7662 introspection) and,
// when it is usable, returns the roles it may use. The caller in ctx needs
// tokens:introspect (RFC 7662 §4).
func (s *Decider) IntrospectSubject(ctx context.Context, c keyhold.Credentials) (keyhold.Decision, bool, []keyhold.ScopeRole, error) {
	if err := s.authorize(ctx, "IntrospectSubject", false); err != nil {
		return keyhold.Decision{}, false, nil, err
	}
	c.Subject = true
	d := s.Decide(ctx, "introspect", c, nil)
	if !SubjectUsable(d) {
		return d, false, nil, nil
	}
	roles := []keyhold.ScopeRole{}
	for _, g := range s.index.TokenGrants(d.Principal.Ref(), d.Principal.TokenID) {
		et, role := s.catalogue.RoleName(g.Role)
		roles = append(roles, keyhold.ScopeRole{RoleName: role, EntityTypeName: et, EntityID: g.EntityID, EntityRegion: g.Region})
	}
	return d, true, roles, nil
}
