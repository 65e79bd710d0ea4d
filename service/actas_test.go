package service_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// Whatever yields a credential of a principal, or lets it act again,
// needs every privilege it holds: an identity admin with fewer privileges
// may not mint for a stronger account, rotate its token, enable it, issue
// a setup link for a stronger user or activate them, and the refusal names
// what the caller lacks. An Organization Admin may; so may the identity
// admin once it holds as much; a scoped token holds only its scope.
func TestActingAsAStrongerPrincipal(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ops, opsCtx := e.caller("ops", identityAdmin)

		strong := e.account("strong", cpAdmin)
		strongTok := e.mint(strong.ID, keyhold.TokenCreate{})
		viaTeam := e.account("via-team")
		e.team("cp-admins", []keyhold.ScopeRole{cpAdmin}, viaTeam.ID)
		viewer := e.account("viewer", cpViewerEU)
		root := e.account("root")
		ok(t, "add root to Organization Admin", e.teams.AddTeamMember(e.admin, e.systemTeam(orgAdmin), accountRef(root.ID)))
		rootUser := e.user("root@example.com", orgAdmin)
		cpUser := e.user("cp@example.com")
		e.assign(userRef(cpUser.ID), cpAdmin)
		disabled := e.account("disabled", cpAdmin)
		_, err := e.accounts.SetSystemAccountDisabled(opsCtx, disabled.ID, true)
		ok(t, "the weaker admin disables a stronger account", err)
		_, err = e.sessions.SetUserActive(opsCtx, cpUser.ID, false)
		ok(t, "the weaker admin deactivates a stronger user", err)
		weak := e.account("weak")
		weakTok := e.mint(weak.ID, keyhold.TokenCreate{})
		weakUser := e.user("weak@example.com")

		const lacksCP = "and you do not hold Admin on Control Planes * in *"
		type op = func(ctx context.Context) error
		minted := 0
		mint := func(id string) op {
			return func(ctx context.Context) error {
				minted++
				_, err := e.tokens.CreateToken(ctx, accountRef(id), keyhold.TokenCreate{Name: fmt.Sprint("minted-", minted)})
				return err
			}
		}
		rotate := func(id, tokenID string) op {
			return func(ctx context.Context) error {
				_, err := e.tokens.RotateToken(ctx, accountRef(id), tokenID, keyhold.TokenRotate{})
				return err
			}
		}
		enable := func(id string) op {
			return func(ctx context.Context) error {
				_, err := e.accounts.SetSystemAccountDisabled(ctx, id, false)
				return err
			}
		}
		setupLink := func(id string) op {
			return func(ctx context.Context) error { _, err := e.users.IssueSetupLink(ctx, id); return err }
		}
		activate := func(id string) op {
			return func(ctx context.Context) error { _, err := e.sessions.SetUserActive(ctx, id, true); return err }
		}

		refused := []struct {
			name string
			op   op
			want []string
		}{
			{"mint for a control-plane admin", mint(strong.ID),
				[]string{`Minting a token for it would give you the privileges of the system account "strong"`, lacksCP}},
			{"mint for an account whose role comes through a team", mint(viaTeam.ID), []string{`"via-team"`, lacksCP}},
			{"mint for an account holding a role on one control plane", mint(viewer.ID),
				[]string{`"viewer"`, "you do not hold Viewer on Control Planes " + cpID + " in eu"}},
			{"mint for a member of Organization Admin", mint(root.ID),
				[]string{`the system account "root", a member of Organization Admin, and you are not one`}},
			{"rotate a stronger account's token", rotate(strong.ID, strongTok.ID), []string{"Rotating its token would give you", lacksCP}},
			{"enable a stronger account", enable(disabled.ID), []string{`Enabling it would give you the privileges of the system account "disabled"`, lacksCP}},
			{"a setup link for an Organization Admin", setupLink(rootUser.ID),
				[]string{`A setup link for them would give you the privileges of the user "root@example.com", a member of Organization Admin`}},
			{"activate a stronger user", activate(cpUser.ID), []string{`Activating them would give you the privileges of the user "cp@example.com"`, lacksCP}},
		}
		for _, c := range refused {
			wantRefused(t, c.name, c.op(opsCtx), c.want...)
		}
		// The refusals changed nothing.
		if l, err := e.tokens.ListTokens(e.admin, accountRef(strong.ID), keyhold.TokenFilter{Page: keyhold.Page{Number: 1, Size: 10}}); err != nil || l.Total != 1 {
			t.Errorf("the stronger account's tokens after refusals: %v, %v; want its one token", l, err)
		}
		if got := e.getToken(strong.ID, strongTok.ID); got.SuccessorID != nil {
			t.Error("a refused rotation rotated the token")
		}
		if a, err := e.accounts.GetSystemAccount(e.admin, disabled.ID); err != nil || !a.Disabled {
			t.Errorf("a refused enabling: %+v, %v", a, err)
		}
		if u, err := e.users.GetUser(e.admin, cpUser.ID); err != nil || u.Active {
			t.Errorf("a refused activation: %+v, %v", u, err)
		}
		// Each refusal is audited as denied, with its own reason.
		denied := map[string]int{}
		for _, ev := range e.events(keyhold.OutcomeDenied, "") {
			if ev.ActorID == ops.ID && strings.Contains(ev.Reason, "would give you the privileges of") {
				denied[ev.Action]++
			}
		}
		if want := map[string]int{"token.created": 4, "token.rotated": 1, "system_account.enabled": 1, "user.setup_link_issued": 1, "user.activated": 1}; !maps.Equal(denied, want) {
			t.Errorf("denied events by action = %v, want %v", denied, want)
		}

		t.Run("OK", func(t *testing.T) {
			for name, op := range map[string]op{
				"mint for a weaker account":      mint(weak.ID),
				"rotate a weaker account token":  rotate(weak.ID, weakTok.ID),
				"a setup link for a weaker user": setupLink(weakUser.ID),
			} {
				ok(t, "the weaker admin: "+name, op(opsCtx))
			}
			for _, c := range refused {
				ok(t, "the Organization Admin: "+c.name, c.op(e.admin))
			}
		})

		t.Run("HoldingAsMuch", func(t *testing.T) {
			e.assign(accountRef(ops.ID), cpAdmin)
			ok(t, "mint for a control-plane admin, holding it", mint(strong.ID)(opsCtx))
			ok(t, "mint for an account holding a role it implies", mint(viewer.ID)(opsCtx))
			wantRefused(t, "mint for a member of Organization Admin, holding every role of the team", mint(root.ID)(opsCtx), "a member of Organization Admin")
		})

		t.Run("ScopedTokenOfAnAdmin", func(t *testing.T) {
			admin := e.account("admin-robot")
			ok(t, "add to Organization Admin", e.teams.AddTeamMember(e.admin, e.systemTeam(orgAdmin), accountRef(admin.ID)))
			scoped := e.as(e.mint(admin.ID, keyhold.TokenCreate{Scope: []keyhold.ScopeRole{identityAdmin}}).Value)
			wantRefused(t, "a scoped token mints for a member of Organization Admin", mint(root.ID)(scoped), "a member of Organization Admin")
			wantRefused(t, "a scoped token mints for a control-plane admin", mint(strong.ID)(scoped), lacksCP)
			ok(t, "a scoped token mints for a weaker account", mint(weak.ID)(scoped))
		})
	})
}
