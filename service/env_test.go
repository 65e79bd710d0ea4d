package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/authz"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/storage"
	"github.com/keyhold/keyhold/store/storetest"
)

// env is the service over a fresh database: an organization bootstrapped
// with its first admin, and a clock the test drives. Tests call the
// service through its interfaces, as the transports do, so that how the
// service is put together matters to newEnv alone.
type env struct {
	t     *testing.T
	svc   *service.Service
	clock *clock
	// db is the store under svc, for tests that check what it keeps.
	db storage.Store

	auth     keyhold.Authenticator
	accounts keyhold.SystemAccountService
	tokens   keyhold.TokenService
	roles    keyhold.RoleService
	teams    keyhold.TeamService
	users    keyhold.UserService
	sessions keyhold.SessionService
	audit    keyhold.AuditService
	policy   keyhold.PolicyService
	webhooks keyhold.WebhookService

	// ctx is a request without a principal; sys is keyhold itself
	// (service.AsSystem); admin is the first admin, authenticated with the
	// token Bootstrap minted.
	ctx, sys, admin context.Context
	adminID         string
	minted          int
}

// t0 is when every env starts.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clientIP is the address of every request of an env.
const clientIP = "192.0.2.10"

// clock is the service's clock, moved by the test alone.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// eachEnv runs fn as a subtest per backend, each with a fresh env.
func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) { fn(t, newEnv(t, b)) })
	}
}

func newEnv(t *testing.T, backend string) *env {
	t.Helper()
	c := &clock{now: t0}
	// The secret key lets webhooks be created; the tests deliver none.
	key := make([]byte, service.SecretKeySize)
	db := storetest.Open(t, backend)
	svc := service.New(service.Config{Store: db, Now: c.Now, Webhooks: service.WebhookConfig{SecretKey: key}})
	e := &env{t: t, svc: svc, clock: c, db: db,
		auth: svc.Decider, accounts: svc.Accounts, tokens: svc.Tokens, roles: svc.Roles, teams: svc.Teams, users: svc.Users,
		sessions: svc.Sessions, audit: svc.Audit, policy: svc.Policy, webhooks: svc.Webhooks}
	e.ctx = keyhold.NewContextWithRequest(context.Background(), keyhold.RequestInfo{RequestID: "svctest", ClientIP: clientIP, UserAgent: "svctest"})
	e.sys = service.AsSystem(e.ctx)
	tok, err := svc.Orgs.Bootstrap(e.sys, service.BootstrapInput{OrgName: "Acme", AdminEmail: "admin@example.com"})
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := svc.Feed.LoadIndex(e.ctx); err != nil {
		t.Fatalf("load index: %v", err)
	}
	e.adminID = tok.Owner.ID
	e.admin = e.as(tok.Value)
	return e
}

// as returns a request context of the principal that value authenticates,
// as the transports make it.
func (e *env) as(value string) context.Context {
	e.t.Helper()
	p, err := e.auth.Authenticate(e.ctx, keyhold.Credentials{Bearer: value})
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return keyhold.NewContextWithPrincipal(e.ctx, p)
}

// authenticate reports whether value authenticates now.
func (e *env) authenticate(value string) error {
	_, err := e.auth.Authenticate(e.ctx, keyhold.Credentials{Bearer: value})
	return err
}

// decide asks whether the token value may use a role on an entity.
func (e *env) decide(value string, r keyhold.ScopeRole) keyhold.Decision {
	e.t.Helper()
	id, ok := e.roles.Catalogue().Role(r.EntityTypeName, r.RoleName)
	if !ok {
		e.t.Fatalf("unknown role %+v", r)
	}
	return e.svc.Decider.Decide(e.ctx, "api", keyhold.Credentials{Bearer: value}, &authz.Query{Role: id, EntityID: r.EntityID, Region: r.EntityRegion})
}

func role(entityType, name, entityID, region string) keyhold.ScopeRole {
	return keyhold.ScopeRole{RoleName: name, EntityTypeName: entityType, EntityID: entityID, EntityRegion: region}
}

func assignment(r keyhold.ScopeRole) keyhold.AssignRole {
	return keyhold.AssignRole{RoleName: r.RoleName, EntityTypeName: r.EntityTypeName, EntityID: r.EntityID, EntityRegion: r.EntityRegion}
}

func accountRef(id string) keyhold.Ref {
	return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: id}
}
func userRef(id string) keyhold.Ref { return keyhold.Ref{Type: keyhold.PrincipalUser, ID: id} }
func teamRef(id string) keyhold.Ref { return keyhold.Ref{Type: keyhold.PrincipalTeam, ID: id} }

// Roles used throughout.
var (
	identityAdmin = role(keyhold.IdentityEntityType, "Admin", keyhold.AnyEntity, keyhold.AnyRegion)
	cpAdmin       = role("Control Planes", "Admin", keyhold.AnyEntity, keyhold.AnyRegion)
	auditAdmin    = role("Audit Logs", "Admin", keyhold.AnyEntity, keyhold.AnyRegion)
)

// account creates a system account, as the first admin, holding roles.
func (e *env) account(name string, roles ...keyhold.ScopeRole) *keyhold.SystemAccount {
	e.t.Helper()
	a, err := e.accounts.CreateSystemAccount(e.admin, keyhold.SystemAccountCreate{Name: name})
	if err != nil {
		e.t.Fatalf("create account %s: %v", name, err)
	}
	for _, r := range roles {
		e.assign(accountRef(a.ID), r)
	}
	return a
}

// assign gives p a role, as the first admin, and returns the assignment.
func (e *env) assign(p keyhold.Ref, r keyhold.ScopeRole) *keyhold.AssignedRole {
	e.t.Helper()
	a, err := e.roles.AssignRole(e.admin, p, assignment(r))
	if err != nil {
		e.t.Fatalf("assign %+v to %v: %v", r, p, err)
	}
	return a
}

// mint mints a token of the account as the first admin.
func (e *env) mint(accountID string, in keyhold.TokenCreate) *keyhold.MintedToken {
	e.t.Helper()
	if in.Name == "" {
		e.minted++
		in.Name = fmt.Sprintf("token-%d", e.minted)
	}
	tok, err := e.tokens.CreateToken(e.admin, accountRef(accountID), in)
	if err != nil {
		e.t.Fatalf("mint for %s: %v", accountID, err)
	}
	return tok
}

// caller creates an account holding roles and returns it with a request
// context of a token of it.
func (e *env) caller(name string, roles ...keyhold.ScopeRole) (*keyhold.SystemAccount, context.Context) {
	e.t.Helper()
	a := e.account(name, roles...)
	return a, e.as(e.mint(a.ID, keyhold.TokenCreate{Name: name}).Value)
}

// user creates an active user, as the first admin, member of the
// predefined teams of keys.
func (e *env) user(email string, teamKeys ...string) *keyhold.User {
	e.t.Helper()
	u, err := e.users.CreateUser(e.admin, keyhold.UserCreate{Email: email, FullName: email})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	for _, k := range teamKeys {
		if err := e.teams.AddTeamMember(e.admin, e.systemTeam(k), userRef(u.ID)); err != nil {
			e.t.Fatalf("add %s to %s: %v", email, k, err)
		}
	}
	return u
}

// userCtx returns a request context of the user, with a personal access
// token minted by keyhold itself.
func (e *env) userCtx(u *keyhold.User) context.Context {
	e.t.Helper()
	ttl := 30 * 24 * time.Hour
	tok, err := e.tokens.CreateToken(e.sys, userRef(u.ID), keyhold.TokenCreate{Name: "svctest", TTL: &ttl})
	if err != nil {
		e.t.Fatalf("personal token of %s: %v", u.Email, err)
	}
	return e.as(tok.Value)
}

// Keys of the predefined teams.
const (
	orgAdmin         = "organization-admin"
	orgAdminReadOnly = "organization-admin-read-only"
)

// systemTeam returns the id of the predefined team of key.
func (e *env) systemTeam(key string) string {
	e.t.Helper()
	l, err := e.teams.ListTeams(e.sys, keyhold.TeamFilter{Page: keyhold.Page{Number: 1, Size: 100}})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range l.Items {
		if t.SystemKey == key {
			return t.ID
		}
	}
	e.t.Fatalf("no predefined team %q", key)
	return ""
}

// events flushes the recorded refusals and returns the audit events of
// outcome and action, oldest first.
func (e *env) events(outcome, action string) []*keyhold.AuditEvent {
	e.t.Helper()
	e.svc.Decider.Flush(e.ctx, true)
	f := keyhold.AuditFilter{Page: keyhold.Page{Number: 1, Size: keyhold.MaxPageSize}}
	if outcome != "" {
		f.Outcome = &outcome
	}
	if action != "" {
		f.Action = &keyhold.StringFilter{Op: keyhold.OpEq, Value: action}
	}
	l, err := e.audit.ListAuditEvents(e.sys, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

// wantCode fails unless err has code, and returns its message.
func wantCode(t *testing.T, what string, err error, code string) string {
	t.Helper()
	if got := keyhold.ErrorCode(err); got != code {
		t.Fatalf("%s: %v (%q), want %s", what, err, got, code)
	}
	return keyhold.ErrorMessage(err)
}

// wantRefused fails unless err is EFORBIDDEN with a message containing
// every part of want.
func wantRefused(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	msg := wantCode(t, what, err, keyhold.EFORBIDDEN)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: refusal %q does not say %q", what, msg, w)
		}
	}
}

// fieldErrors returns the field errors of err, by field.
func fieldErrors(err error) map[string]string {
	out := map[string]string{}
	var e *keyhold.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			out[f.Field] = f.Reason
		}
	}
	return out
}

func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
