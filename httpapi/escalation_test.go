package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// deniedEvents flushes the aggregated refusals and lists the denied
// events of an actor.
func deniedEvents(t *testing.T, e *apitest.Env, actorID string) []wire.AuditEvent {
	t.Helper()
	e.Service.Decider.Flush(context.Background(), true)
	return audit(t, e, "?filter[outcome][eq]=denied&filter[actor_id][eq]="+actorID).Data
}

func wantDenied(t *testing.T, events []wire.AuditEvent, action, reason string) {
	t.Helper()
	for _, ev := range events {
		if ev.Action == action && strings.Contains(ev.Reason, reason) && ev.Outcome == "denied" && ev.Count >= 1 {
			return
		}
	}
	t.Errorf("no denied %s event whose reason names %q in %+v", action, reason, events)
}

// The first escalation, as it was found: an account holding only
// Identity Admin asked for a setup link of the Organization Admin user,
// which would have let it set that user's password, sign in as them and
// add itself to Organization Admin. The link is a password: it is refused,
// naming what the caller lacks, and the refusal is audited.
func TestSetupLinkForAStrongerUserIsRefused(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		admin, _ := userByEmail(t, e, "admin@example.com")
		ia := createAccount(t, e, e.Admin, "identity-admin")
		identityAdmin(t, e, "/v3/system-accounts/"+ia)
		_, iaTok := mintSPAT(t, e, ia, "t")

		p := wantProblem(t, e.Do("POST", "/v3/users/"+admin+"/setup-link", iaTok, nil), 403)
		if !strings.Contains(p.Detail, "admin@example.com") || !strings.Contains(p.Detail, "a member of Organization Admin") {
			t.Errorf("the refusal does not name what is lacking: %q", p.Detail)
		}
		// Nor can it take the console's way round, or add itself.
		orgAdmin := systemTeam(t, e, "Organization Admin")
		wantProblem(t, e.Do("POST", "/v3/teams/"+orgAdmin+"/system-accounts", iaTok, map[string]any{"id": ia}), 403)
		wantDenied(t, deniedEvents(t, e, ia), "user.setup_link_issued", "Organization Admin")

		// A user who holds nothing the caller lacks gets a link.
		plain := createUser(t, e, "plain@example.com", "Plain")
		e.Do("POST", "/v3/users/"+plain+"/setup-link", iaTok, nil).Want(t, 201)
		// One who holds a role the caller lacks does not.
		assign(t, e, "/v3/users/"+plain, "Admin", "Control Planes", "*", "*")
		p = wantProblem(t, e.Do("POST", "/v3/users/"+plain+"/setup-link", iaTok, nil), 403)
		if !strings.Contains(p.Detail, "you do not hold Admin on Control Planes * in *") {
			t.Errorf("detail %q", p.Detail)
		}
		// The organization's admins are not bound by the rule.
		e.Do("POST", "/v3/users/"+plain+"/setup-link", e.Admin, nil).Want(t, 201)
	})
}

// The second escalation, as it was found: an Identity Admin that may not
// join Organization Admin minted a token for an account in it, then used
// the token to add itself. A minted token is the account: minting for a
// principal that holds more than the caller is refused, as is rotating
// its token, enabling it, or pointing its auto-rotated tokens at a
// webhook.
func TestMintingForAStrongerAccountIsRefused(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		ia := createAccount(t, e, e.Admin, "identity-admin")
		identityAdmin(t, e, "/v3/system-accounts/"+ia)
		_, iaTok := mintSPAT(t, e, ia, "t")
		strong := createAccount(t, e, e.Admin, "org-admin-bot")
		orgAdmin := systemTeam(t, e, "Organization Admin")
		e.Do("POST", "/v3/teams/"+orgAdmin+"/system-accounts", e.Admin, map[string]any{"id": strong}).Want(t, 201)
		strongTok, _ := mintSPAT(t, e, strong, "existing")

		p := wantProblem(t, e.Do("POST", "/v3/system-accounts/"+strong+"/access-tokens", iaTok, map[string]any{"name": "mine"}), 403)
		if !strings.Contains(p.Detail, `the system account "org-admin-bot", a member of Organization Admin`) {
			t.Errorf("detail %q", p.Detail)
		}
		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+strong+"/access-tokens/"+strongTok+"/rotate", iaTok, nil), 403)
		wantProblem(t, e.Do("POST", "/v1/webhooks", iaTok, map[string]any{"name": "catch", "url": "http://127.0.0.1:9/hook",
			"event_types": []string{"token.auto_rotated"}, "system_account_id": strong}), 403)
		e.Do("POST", "/v3/system-accounts/"+strong+"/disable", e.Admin, nil).Want(t, 200)
		wantProblem(t, e.Do("POST", "/v3/system-accounts/"+strong+"/enable", iaTok, nil), 403)
		// What it could not do, it also cannot reach by the team.
		wantProblem(t, e.Do("POST", "/v3/teams/"+orgAdmin+"/system-accounts", iaTok, map[string]any{"id": ia}), 403)
		events := deniedEvents(t, e, ia)
		for _, action := range []string{"token.created", "token.rotated", "webhook.created", "system_account.enabled", "team.member_added"} {
			wantDenied(t, events, action, "Organization Admin")
		}

		// A role the account holds through a team counts, and holding a
		// role that implies it is enough.
		cp := createAccount(t, e, e.Admin, "cp-viewer")
		team := createTeam(t, e, "viewers")
		assign(t, e, "/v3/teams/"+team, "Viewer", "Control Planes", "*", "*")
		e.Do("POST", "/v3/teams/"+team+"/system-accounts", e.Admin, map[string]any{"id": cp}).Want(t, 201)
		p = wantProblem(t, e.Do("POST", "/v3/system-accounts/"+cp+"/access-tokens", iaTok, map[string]any{"name": "mine"}), 403)
		if !strings.Contains(p.Detail, "you do not hold Viewer on Control Planes * in *") {
			t.Errorf("detail %q", p.Detail)
		}
		assign(t, e, "/v3/system-accounts/"+ia, "Admin", "Control Planes", "*", "*")
		e.Do("POST", "/v3/system-accounts/"+cp+"/access-tokens", iaTok, map[string]any{"name": "mine"}).Want(t, 201)
		// A token still renews itself without any role.
		weak := createAccount(t, e, e.Admin, "weak")
		weakID, weakTok := mintSPAT(t, e, weak, "self")
		e.Do("POST", "/v3/system-accounts/"+weak+"/access-tokens/"+weakID+"/rotate", weakTok, nil).Want(t, 201)
		// An account that holds nothing the caller lacks: mint, rotate,
		// enable and webhook are all allowed.
		plainID, _ := mintSPAT(t, e, weak, "other")
		e.Do("POST", "/v3/system-accounts/"+weak+"/access-tokens/"+plainID+"/rotate", iaTok, nil).Want(t, 201)
		e.Do("POST", "/v3/system-accounts/"+weak+"/disable", iaTok, nil).Want(t, 200)
		e.Do("POST", "/v3/system-accounts/"+weak+"/enable", iaTok, nil).Want(t, 200)
		e.Do("POST", "/v1/webhooks", iaTok, map[string]any{"name": "mine", "url": "http://127.0.0.1:9/hook",
			"event_types": []string{"token.auto_rotated"}, "system_account_id": weak}).Want(t, 201)
	})
}

// Refusals are aggregated per actor, action, reason and minute, so that a
// flood of them costs one row.
func TestRefusalsAreAggregated(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "nobody")
		_, tok := mintSPAT(t, e, acct, "t")
		for range 50 {
			wantProblem(t, e.Do("POST", "/v3/teams", tok, map[string]any{"name": "x"}), 403)
		}
		e.Clock.Advance(time.Minute)
		wantProblem(t, e.Do("POST", "/v3/teams", tok, map[string]any{"name": "x"}), 403)
		events := deniedEvents(t, e, acct)
		if len(events) != 2 || events[0].Count+events[1].Count != 51 || events[0].Reason != "You do not have permission to perform this action (requires identity:write)" ||
			events[0].Action != "team.created" || events[0].ActorName != "nobody" || events[0].ActorType != "system_account" {
			t.Fatalf("events = %+v", events)
		}
		// Reads that are refused change nothing and are not audited.
		wantProblem(t, e.Do("GET", "/v3/teams", tok, nil), 403)
		if n := len(deniedEvents(t, e, acct)); n != 2 {
			t.Errorf("%d denied events after a refused read", n)
		}
	})
}
