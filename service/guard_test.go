package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
)

// The permission table admits a caller by what it holds: a context without
// a principal is no one (EUNAUTHENTICATED), and a principal without the
// row's permission is refused with the permission named (EFORBIDDEN),
// whatever else it holds.
func TestPermissionTable(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		page := keyhold.SystemAccountFilter{Page: keyhold.Page{Number: 1, Size: 10}}
		audit := keyhold.AuditFilter{Page: keyhold.Page{Number: 1, Size: 10}}
		create := func(name string) keyhold.SystemAccountCreate { return keyhold.SystemAccountCreate{Name: name} }

		t.Run("ErrUnauthenticated", func(t *testing.T) {
			_, err := e.accounts.CreateSystemAccount(e.ctx, create("anonymous"))
			wantCode(t, "create without a principal", err, keyhold.EUNAUTHENTICATED)
			_, err = e.accounts.ListSystemAccounts(e.ctx, page)
			wantCode(t, "list without a principal", err, keyhold.EUNAUTHENTICATED)
			_, err = e.svc.Orgs.Organization(e.ctx)
			wantCode(t, "an authenticated-only operation without a principal", err, keyhold.EUNAUTHENTICATED)
		})

		t.Run("ReadOnlyAdmin", func(t *testing.T) {
			ro := e.userCtx(e.user("ro@example.com", orgAdminReadOnly))
			_, err := e.accounts.ListSystemAccounts(ro, page)
			ok(t, "read-only admin lists accounts", err)
			_, err = e.audit.ListAuditEvents(ro, audit)
			ok(t, "read-only admin reads the audit trail", err)
			_, err = e.accounts.CreateSystemAccount(ro, create("by-read-only"))
			wantRefused(t, "read-only admin creates an account", err, "requires identity:write")
		})

		t.Run("RoleOutsideIdentity", func(t *testing.T) {
			_, cp := e.caller("cp-admin", cpAdmin)
			_, err := e.accounts.ListSystemAccounts(cp, page)
			wantRefused(t, "a control-plane admin lists accounts", err, "requires identity:read")
			_, auditor := e.caller("auditor", auditAdmin)
			_, err = e.audit.ListAuditEvents(auditor, audit)
			ok(t, "an audit-logs admin reads the audit trail", err)
			_, err = e.accounts.ListSystemAccounts(auditor, page)
			wantRefused(t, "an audit-logs admin lists accounts", err, "requires identity:read")
		})

		t.Run("IdentityAdmin", func(t *testing.T) {
			_, ia := e.caller("identity-admin", identityAdmin)
			_, err := e.accounts.CreateSystemAccount(ia, create("by-identity-admin"))
			ok(t, "an identity admin creates an account", err)
		})

		// A scoped token holds its scope only, never the system teams'
		// privileges of its account.
		t.Run("ScopedTokenOfAnAdmin", func(t *testing.T) {
			a := e.account("admin-robot")
			ok(t, "add to Organization Admin", e.teams.AddTeamMember(e.admin, e.systemTeam(orgAdmin), accountRef(a.ID)))
			full := e.as(e.mint(a.ID, keyhold.TokenCreate{}).Value)
			_, err := e.accounts.CreateSystemAccount(full, create("by-admin-robot"))
			ok(t, "an unscoped token of an Organization Admin member creates an account", err)
			scoped := e.as(e.mint(a.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{auditAdmin}}).Value)
			_, err = e.audit.ListAuditEvents(scoped, audit)
			ok(t, "the scoped token reads the audit trail", err)
			_, err = e.accounts.ListSystemAccounts(scoped, page)
			wantRefused(t, "the scoped token lists accounts", err, "requires identity:read")
		})

		t.Run("SelfOr", func(t *testing.T) {
			alice, bob := e.user("alice@example.com"), e.user("bob@example.com")
			as := e.userCtx(alice)
			tokens := keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}}
			_, err := e.tokens.ListTokens(as, userRef(alice.ID), tokens)
			ok(t, "a user lists their own personal tokens", err)
			_, err = e.tokens.ListTokens(as, userRef(bob.ID), tokens)
			wantRefused(t, "a user lists another's personal tokens", err, "requires identity:read")
			// Personal tokens are their user's alone, whoever asks.
			in := keyhold.TokenCreate{Name: "laptop", TTL: dur(24 * time.Hour)}
			_, err = e.tokens.CreateToken(e.admin, userRef(alice.ID), in)
			wantRefused(t, "an Organization Admin mints a personal token for another user", err, "Only the user may manage their own personal access tokens")
			_, err = e.tokens.CreateToken(as, userRef(alice.ID), in)
			ok(t, "a user without roles mints their own personal token", err)
		})

		t.Run("SystemOnly", func(t *testing.T) {
			_, err := e.svc.Orgs.Bootstrap(e.admin, service.BootstrapInput{OrgName: "Other", AdminEmail: "other@example.com"})
			wantRefused(t, "an Organization Admin bootstraps", err, "operator commands")
			_, err = e.svc.Sessions.SetPassword(e.admin, "admin@example.com", "correct horse battery staple")
			wantRefused(t, "an Organization Admin sets a password as the operator", err, "operator commands")
		})
	})
}

// A refused change is audited as denied, with its actor, address and
// reason: the table's refusals and the guards' after it alike. Refusals
// are aggregated per actor, action, reason and minute, written when their
// minute is over; a caller without a principal is no actor, and leaves no
// denied event.
func TestRefusalsAreAuditedAsDenied(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		weak, weakCtx := e.caller("weak", cpAdmin)
		ia, iaCtx := e.caller("identity-admin", identityAdmin)
		strong := e.account("strong", cpAdmin)
		before := len(e.events(keyhold.OutcomeDenied, ""))

		for range 2 {
			_, err := e.accounts.CreateSystemAccount(weakCtx, keyhold.SystemAccountCreate{Name: "refused"})
			wantRefused(t, "create by a control-plane admin", err, "requires identity:write")
		}
		wantRefused(t, "delete by a control-plane admin", e.accounts.DeleteSystemAccount(weakCtx, strong.ID), "requires identity:write")
		_, err := e.tokens.CreateToken(iaCtx, accountRef(strong.ID), keyhold.TokenCreate{Name: "stolen"})
		wantRefused(t, "an identity admin mints for a control-plane admin", err, "Minting a token for it")
		_, err = e.accounts.CreateSystemAccount(e.ctx, keyhold.SystemAccountCreate{Name: "anonymous"})
		wantCode(t, "create without a principal", err, keyhold.EUNAUTHENTICATED)

		// The minute is not over: nothing is written yet.
		e.clock.Advance(30 * time.Second)
		e.svc.Decider.Flush(e.ctx, false)
		if got := e.list(keyhold.OutcomeDenied); len(got) != before {
			t.Fatalf("%d denied events before their minute ended, want %d", len(got), before)
		}
		e.clock.Advance(time.Minute)
		e.svc.Decider.Flush(e.ctx, false)
		got := e.list(keyhold.OutcomeDenied)
		if len(got)-before != 3 {
			t.Fatalf("%d new denied events, want 3 (two creates aggregated, a delete, a mint): %+v", len(got)-before, got)
		}
		byAction := map[string]*keyhold.AuditEvent{}
		for _, ev := range got {
			if ev.ActorID == "" {
				t.Errorf("a denied event without an actor: %+v", ev)
			}
			byAction[ev.Action] = ev
		}
		for _, want := range []struct {
			action, actor, reason string
			count                 int
		}{
			{"system_account.created", weak.ID, "requires identity:write", 2},
			{"system_account.deleted", weak.ID, "requires identity:write", 1},
			{"token.created", ia.ID, "would give you the privileges of the system account \"strong\"", 1},
		} {
			ev := byAction[want.action]
			switch {
			case ev == nil:
				t.Errorf("no denied %s event", want.action)
			case ev.ActorID != want.actor, ev.Count != want.count, ev.ClientIP != clientIP,
				!strings.Contains(ev.Reason, want.reason):
				t.Errorf("denied %s = %+v, want actor %s, count %d, address %s, a reason saying %q",
					want.action, ev, want.actor, want.count, clientIP, want.reason)
			}
		}
		// The refused changes left no trace but the refusal.
		if ev := e.events(keyhold.OutcomeSuccess, "system_account.created"); slices.ContainsFunc(ev, func(ev *keyhold.AuditEvent) bool { return ev.TargetName == "refused" }) {
			t.Error("a refused create was audited as a success")
		}
		if _, err := e.accounts.GetSystemAccount(e.admin, strong.ID); err != nil {
			t.Errorf("the account whose deletion was refused: %v", err)
		}
	})
}

// list returns the audit events of outcome as written, without a flush.
func (e *env) list(outcome string) []*keyhold.AuditEvent {
	e.t.Helper()
	l, err := e.audit.ListAuditEvents(e.sys, keyhold.AuditFilter{Outcome: &outcome, Page: keyhold.Page{Number: 1, Size: keyhold.MaxPageSize}})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

// Nobody hands out more than they hold: a role is given only by who holds
// it, or one implying it, on the same entity or every one, in the same
// region or every one; adding a member to a team gives every role of the
// team; and only Organization Admin adds members to the predefined admin
// teams. The refusal names what the caller lacks.
func TestNoEscalation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		cpAdminEU := role("Control Planes", "Admin", keyhold.AnyEntity, "eu")
		ops, opsCtx := e.caller("ops", identityAdmin, cpAdminEU)
		target := e.account("target")
		give := func(r keyhold.ScopeRole) error {
			_, err := e.roles.AssignRole(opsCtx, accountRef(target.ID), assignment(r))
			return err
		}
		ok(t, "a role held", give(identityAdmin))
		ok(t, "a role implied by one held, on one entity of the region", give(cpViewerEU))
		wantRefused(t, "the held role in another region", give(role("Control Planes", "Viewer", cpID, "us")),
			"you do not hold Viewer on Control Planes "+cpID+" in us")
		wantRefused(t, "the held role in every region", give(role("Control Planes", "Admin", keyhold.AnyEntity, keyhold.AnyRegion)),
			"you do not hold Admin on Control Planes * in *")
		wantRefused(t, "a role not held", give(auditAdmin), "you do not hold Admin on Audit Logs * in *")

		cpAdmins := e.team("cp-admins", []keyhold.ScopeRole{cpAdmin})
		wantRefused(t, "join a team holding more", e.teams.AddTeamMember(opsCtx, cpAdmins, accountRef(ops.ID)),
			`Adding a member to "cp-admins" gives its roles, and you do not hold Admin on Control Planes * in *`)
		wantRefused(t, "add another to a team holding more", e.teams.AddTeamMember(opsCtx, cpAdmins, accountRef(target.ID)), `"cp-admins"`)
		euAdmins := e.team("eu-admins", []keyhold.ScopeRole{cpAdminEU})
		ok(t, "join a team holding no more", e.teams.AddTeamMember(opsCtx, euAdmins, accountRef(target.ID)))
		for _, key := range []string{orgAdmin, orgAdminReadOnly} {
			wantRefused(t, "join "+key, e.teams.AddTeamMember(opsCtx, e.systemTeam(key), accountRef(ops.ID)), "Only members of Organization Admin may add members")
		}

		// What was refused was not written.
		roles, err := e.roles.ListAssignedRoles(e.admin, accountRef(target.ID), keyhold.AssignedRoleFilter{})
		ok(t, "the target's roles", err)
		if len(roles) != 2 {
			t.Errorf("the target holds %d direct roles, want the 2 given", len(roles))
		}
		members, err := e.teams.ListTeamSystemAccounts(e.admin, cpAdmins, keyhold.SystemAccountFilter{Page: keyhold.Page{Number: 1, Size: 10}})
		if ok(t, "members", err); members.Total != 0 {
			t.Errorf("a refused membership was written: %d members", members.Total)
		}

		// Organization Admin holds every role; a scoped token of one of its
		// members, only its scope.
		_, err = e.roles.AssignRole(e.admin, accountRef(target.ID), assignment(auditAdmin))
		ok(t, "the Organization Admin gives any role", err)
		ok(t, "the Organization Admin adds to a team", e.teams.AddTeamMember(e.admin, cpAdmins, accountRef(target.ID)))
		robot := e.account("admin-robot")
		ok(t, "add to Organization Admin", e.teams.AddTeamMember(e.admin, e.systemTeam(orgAdmin), accountRef(robot.ID)))
		scoped := e.as(e.mint(robot.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{identityAdmin}}).Value)
		_, err = e.roles.AssignRole(scoped, accountRef(target.ID), assignment(cpAdmin))
		wantRefused(t, "a scoped token of an Organization Admin member gives a role outside its scope", err, "you do not hold Admin on Control Planes * in *")
		wantRefused(t, "a scoped token of an Organization Admin member adds to Organization Admin",
			e.teams.AddTeamMember(scoped, e.systemTeam(orgAdmin), accountRef(target.ID)), "Only members of Organization Admin")
	})
}
