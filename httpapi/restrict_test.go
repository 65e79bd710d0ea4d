package httpapi_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/store/storetest"
	"github.com/keyhold/keyhold/wire"
)

// eachBehindProxy runs fn on every backend with loopback as a trusted
// proxy, so that a test can speak for any client address through
// X-Forwarded-For.
func eachBehindProxy(t *testing.T, fn func(t *testing.T, e *apitest.Env)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b, func(t *testing.T) {
			fn(t, apitest.New(t, b, apitest.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}))
		})
	}
}

func from(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

func perm(role, et, id, region string) map[string]string {
	return map[string]string{"role_name": role, "entity_type_name": et, "entity_id": id, "entity_region": region}
}

type restrictedToken struct {
	ID           string
	Token        string
	State        string
	Scope        []map[string]string
	AllowedCIDRs []string `json:"allowed_cidrs"`
}

func TestScopedTokens(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		hooks := newReceiver(t, e)
		createWebhook(t, e, hooks, "", "token.revoked")
		acct := createAccount(t, e, e.Admin, "deployer")
		assign(t, e, "/v3/system-accounts/"+acct, "Admin", "Control Planes", "*", "*")
		team := createTeam(t, e, "api-viewers")
		assign(t, e, "/v3/teams/"+team, "Viewer", "API Products", "*", "eu")
		e.Do("POST", "/v3/teams/"+team+"/system-accounts", e.Admin, map[string]any{"id": acct}).Want(t, 201)
		tokens := "/v3/system-accounts/" + acct + "/access-tokens"

		var tok restrictedToken
		e.Do("POST", tokens, e.Admin, map[string]any{"name": "narrow", "scope": []map[string]string{
			perm("Viewer", "Control Planes", cpID, "eu"),
			perm("Viewer", "Control Planes", cpID, "eu"), // duplicates collapse
			perm("Viewer", "API Products", "*", "eu"),    // held through the team
		}}).Want(t, 201).JSON(t, &tok)
		if len(tok.Scope) != 2 || tok.Scope[0]["role_name"] != "Viewer" || tok.AllowedCIDRs != nil {
			t.Fatalf("created scoped token = %+v", tok)
		}
		var got restrictedToken
		e.Do("GET", tokens+"/"+tok.ID, e.Admin, nil).Want(t, 200).JSON(t, &got)
		if len(got.Scope) != 2 {
			t.Errorf("scope not kept: %+v", got)
		}

		// Decisions: the scope, never more, though the account holds more.
		e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "eu"), tok.Token, nil).Want(t, 200)
		p := wantProblem(t, e.Do("GET", authorizeQuery("Admin", "Control Planes", cpID, "eu"), tok.Token, nil), 403)
		if !strings.Contains(p.Detail, "scope") {
			t.Errorf("scope refusal detail = %q", p.Detail)
		}
		wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "us"), tok.Token, nil), 403)
		e.Do("GET", authorizeQuery("Viewer", "API Products", cpID, "eu"), tok.Token, nil).Want(t, 200)

		// Batch check and introspection see the scope too.
		svc := createAccount(t, e, e.Admin, "checker")
		identityAdmin(t, e, "/v3/system-accounts/"+svc)
		_, svcTok := mintSPAT(t, e, svc, "svc")
		var check struct {
			Active  bool
			Results []struct{ Allowed bool }
		}
		e.Do("POST", "/v1/check", svcTok, map[string]any{"token": tok.Token, "checks": []map[string]string{
			perm("Viewer", "Control Planes", cpID, "eu"), perm("Admin", "Control Planes", cpID, "eu")}}).Want(t, 200).JSON(t, &check)
		if !check.Active || !check.Results[0].Allowed || check.Results[1].Allowed {
			t.Errorf("check of scoped token = %+v", check)
		}
		var in struct{ Roles []map[string]string }
		do(t, e, "POST", "/oauth2/introspect", svcTok, "token="+url.QueryEscape(tok.Token),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}).Want(t, 200).JSON(t, &in)
		if len(in.Roles) != 2 {
			t.Errorf("introspection roles of scoped token = %v", in.Roles)
		}

		// keyhold's own API: an account with Identity Admin whose token is
		// scoped to a control-plane role may not administer identities.
		identityAdmin(t, e, "/v3/system-accounts/"+acct)
		var idTok restrictedToken
		e.Do("POST", tokens, e.Admin, map[string]any{"name": "cp-only", "scope": []map[string]string{perm("Viewer", "Control Planes", "*", "*")}}).
			Want(t, 201).JSON(t, &idTok)
		wantProblem(t, e.Do("GET", "/v3/system-accounts", idTok.Token, nil), 403)
		var wide restrictedToken
		e.Do("POST", tokens, e.Admin, map[string]any{"name": "identity", "scope": []map[string]string{perm("Admin", "Identity", "*", "*")}}).
			Want(t, 201).JSON(t, &wide)
		e.Do("GET", "/v3/system-accounts", wide.Token, nil).Want(t, 200)

		t.Run("ErrNotHeld", func(t *testing.T) {
			for _, scope := range [][]map[string]string{
				{perm("Admin", "API Products", "*", "eu")},                                         // the team has Viewer only
				{perm("Viewer", "API Products", "*", "us")},                                        // other region
				{perm("Viewer", "API Products", "*", "*")},                                         // wider region than held
				{perm("Viewer", "Portals", "*", "eu")},                                             // other entity type
				{perm("Viewer", "Control Planes", cpID, "eu"), perm("Admin", "Portals", "*", "*")}, // one bad entry
			} {
				r := e.Do("POST", tokens, e.Admin, map[string]any{"name": "too-wide", "scope": scope})
				wantInvalid(t, r, "scope["+strconv.Itoa(len(scope)-1)+"]", "invalid")
			}
			// Nothing was written.
			if names := list(t, e, tokens, e.Admin).names("name"); contains(names, "too-wide") {
				t.Errorf("a refused token was stored: %v", names)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "scope": []any{}}), "scope", "min_items")
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "scope": "Admin"}), "scope", "is_array")
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "scope": []map[string]string{perm("Overlord", "Control Planes", "*", "*")}}), "scope[0].role_name", "enum")
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "scope": []map[string]string{perm("Viewer", "Control Planes", "nope", "*")}}), "scope[0].entity_id", "is_uuid")
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "scope": []map[string]string{perm("Viewer", "Control Planes", "*", "mars")}}), "scope[0].entity_region", "enum")
			many := make([]map[string]string, 33)
			for i := range many {
				many[i] = perm("Viewer", "Control Planes", "*", "*")
			}
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "scope": many}), "scope", "max_items")
		})

		t.Run("RotationKeepsScope", func(t *testing.T) {
			var succ restrictedToken
			e.Do("POST", tokens+"/"+tok.ID+"/rotate", e.Admin, nil).Want(t, 201).JSON(t, &succ)
			if len(succ.Scope) != 2 {
				t.Fatalf("successor scope = %v", succ.Scope)
			}
			wantProblem(t, e.Do("GET", authorizeQuery("Admin", "Control Planes", cpID, "eu"), succ.Token, nil), 403)
			e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "eu"), succ.Token, nil).Want(t, 200)
			tok = succ
		})

		t.Run("AccountLosesRole", func(t *testing.T) {
			// Leaving the team takes API Products Viewer: that entry leaves
			// the scope, the rest stays.
			e.Do("DELETE", "/v3/teams/"+team+"/system-accounts/"+acct, e.Admin, nil).Want(t, 204)
			e.Do("GET", tokens+"/"+tok.ID, e.Admin, nil).Want(t, 200).JSON(t, &got)
			if len(got.Scope) != 1 || got.Scope[0]["entity_type_name"] != "Control Planes" || got.State != "ACTIVE" {
				t.Fatalf("after leaving the team: %+v", got)
			}
			wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "API Products", cpID, "eu"), tok.Token, nil), 403)
			// Re-joining does not widen the token again.
			e.Do("POST", "/v3/teams/"+team+"/system-accounts", e.Admin, map[string]any{"id": acct}).Want(t, 201)
			wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "API Products", cpID, "eu"), tok.Token, nil), 403)

			// Losing the last role the scope relies on revokes the token.
			var roles wire.List[wire.AssignedRole]
			e.Do("GET", "/v3/system-accounts/"+acct+"/assigned-roles", e.Admin, nil).Want(t, 200).JSON(t, &roles)
			for _, r := range roles.Data {
				if r.EntityTypeName == "Control Planes" {
					e.Do("DELETE", "/v3/system-accounts/"+acct+"/assigned-roles/"+r.ID, e.Admin, nil).Want(t, 204)
				}
			}
			e.Do("GET", tokens+"/"+tok.ID, e.Admin, nil).Want(t, 200).JSON(t, &got)
			if got.State != "REVOKED" {
				t.Errorf("token whose whole scope was lost: state %s", got.State)
			}
			wantProblem(t, e.Do("GET", "/v1/authorize", tok.Token, nil), 401)
			actions := map[string]bool{}
			for _, ev := range audit(t, e, "?page[size]=100").Data {
				if ev.TargetID == tok.ID {
					actions[ev.Action] = true
				}
			}
			if !actions["token.scope_narrowed"] || !actions["token.revoked"] {
				t.Errorf("audit of the token = %v", actions)
			}
			// Receivers learn why each token stopped working: this one, its
			// predecessor still in its overlap, and the other scoped token
			// whose scope was the same role.
			deliver(t, e)
			reasons := map[string]any{}
			for _, m := range hooks.messages("token.revoked") {
				reasons[fmt.Sprint(m.Data["token_id"])] = m.Data["reason"]
			}
			if len(reasons) != 3 || reasons[tok.ID] != "scope_lost" {
				t.Errorf("token.revoked reasons by token = %v", reasons)
			}
			for id, why := range reasons {
				if why != "scope_lost" {
					t.Errorf("token %s revoked for %v", id, why)
				}
			}
		})
	})
}

func TestNetworkBoundTokens(t *testing.T) {
	eachBehindProxy(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "ci")
		assign(t, e, "/v3/system-accounts/"+acct, "Viewer", "Control Planes", "*", "*")
		identityAdmin(t, e, "/v3/system-accounts/"+acct)
		tokens := "/v3/system-accounts/" + acct + "/access-tokens"
		var tok restrictedToken
		e.Do("POST", tokens, e.Admin, map[string]any{"name": "bound", "allowed_cidrs": []string{"10.1.2.3/16", "2001:db8::/32", "192.0.2.7"}}).
			Want(t, 201).JSON(t, &tok)
		if strings.Join(tok.AllowedCIDRs, ",") != "10.1.0.0/16,2001:db8::/32,192.0.2.7/32" || tok.Scope != nil {
			t.Fatalf("allowed_cidrs = %v (want canonical)", tok.AllowedCIDRs)
		}
		q := authorizeQuery("Viewer", "Control Planes", cpID, "eu")
		do(t, e, "GET", q, tok.Token, nil, from("10.1.200.9")).Want(t, 200)
		do(t, e, "GET", q, tok.Token, nil, from("2001:db8:5::1")).Want(t, 200)
		do(t, e, "GET", q, tok.Token, nil, from("192.0.2.7")).Want(t, 200)
		p := wantProblem(t, do(t, e, "GET", q, tok.Token, nil, from("10.2.0.1")), 403)
		if !strings.Contains(p.Detail, "address") {
			t.Errorf("network refusal detail = %q", p.Detail)
		}
		wantProblem(t, do(t, e, "GET", "/v1/authorize", tok.Token, nil, from("198.51.100.1")), 403)
		// keyhold's own API refuses it as well, with 403. A use is written
		// at most once per resolution: the first a resolution later is.
		e.Clock.Advance(service.DefaultLastUseResolution)
		do(t, e, "GET", "/v3/system-accounts", tok.Token, nil, from("10.1.0.1")).Want(t, 200)
		e.Service.Decider.Flush(t.Context(), true)
		e.Clock.Advance(service.DefaultLastUseResolution)
		wantProblem(t, do(t, e, "GET", "/v3/system-accounts", tok.Token, nil, from("203.0.113.5")), 403)

		// A refused use is no use, even when a use would be written again:
		// last_used_ip stays the allowed one.
		e.Service.Decider.Flush(t.Context(), true)
		var got struct {
			LastUsedIP string `json:"last_used_ip"`
		}
		e.Do("GET", tokens+"/"+tok.ID, e.Admin, nil).Want(t, 200).JSON(t, &got)
		if got.LastUsedIP != "10.1.0.1" {
			t.Errorf("last_used_ip = %q, want the last allowed use", got.LastUsedIP)
		}

		// Refusals are audited with the reason, aggregated per token,
		// address and minute.
		var refused []wire.AuditEvent
		for _, ev := range audit(t, e, "?page[size]=100").Data {
			if ev.Action == "token.use_refused_network" {
				refused = append(refused, ev)
			}
		}
		total := 0
		for _, ev := range refused {
			if ev.TargetID != tok.ID || ev.ActorID != acct || ev.ActorName != "ci" || ev.Outcome != "denied" {
				t.Errorf("refusal event = %+v", ev)
			}
			total += ev.Count
		}
		if len(refused) != 3 || total != 3 {
			t.Errorf("refusal events = %+v", refused)
		}

		// Rotation keeps the networks.
		var succ restrictedToken
		e.Do("POST", tokens+"/"+tok.ID+"/rotate", e.Admin, nil).Want(t, 201).JSON(t, &succ)
		if len(succ.AllowedCIDRs) != 3 {
			t.Errorf("successor allowed_cidrs = %v", succ.AllowedCIDRs)
		}
		wantProblem(t, do(t, e, "GET", q, succ.Token, nil, from("10.2.0.1")), 403)

		// Services asking about the token say where it is used from.
		var check struct{ Active bool }
		e.Do("POST", "/v1/check", e.Admin, map[string]any{"token": tok.Token, "client_ip": "10.1.0.9"}).Want(t, 200).JSON(t, &check)
		if !check.Active {
			t.Error("check from inside the networks: inactive")
		}
		for _, body := range []map[string]any{{"token": tok.Token, "client_ip": "10.9.0.9"}, {"token": tok.Token}} {
			e.Do("POST", "/v1/check", e.Admin, body).Want(t, 200).JSON(t, &check)
			if check.Active {
				t.Errorf("check %v: active", body)
			}
		}
		wantInvalid(t, e.Do("POST", "/v1/check", e.Admin, map[string]any{"token": tok.Token, "client_ip": "10.0.0.0/8"}), "client_ip", "invalid")
		var in struct{ Active bool }
		intro := func(form string) *apitest.Response {
			return do(t, e, "POST", "/oauth2/introspect", e.Admin, form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		}
		intro("token="+url.QueryEscape(tok.Token)+"&client_ip=2001:db8::9").Want(t, 200).JSON(t, &in)
		if !in.Active {
			t.Error("introspection from inside the networks: inactive")
		}
		intro("token="+url.QueryEscape(tok.Token)).Want(t, 200).JSON(t, &in)
		if in.Active {
			t.Error("introspection without client_ip of a bound token: active")
		}

		t.Run("ErrInvalid", func(t *testing.T) {
			for i, bad := range []string{"10.0.0.0/33", "example.com", "", "fe80::1%eth0"} {
				wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x" + strconv.Itoa(i), "allowed_cidrs": []string{"10.0.0.0/8", bad}}), "allowed_cidrs[1]", "invalid")
			}
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "allowed_cidrs": []string{}}), "allowed_cidrs", "min_items")
			wantInvalid(t, e.Do("POST", tokens, e.Admin, map[string]any{"name": "x", "allowed_cidrs": "10.0.0.0/8"}), "allowed_cidrs", "is_array")
		})
		t.Run("PersonalTokensCannotBeBound", func(t *testing.T) {
			r := e.Do("POST", "/v3/users/"+e.AdminID+"/personal-access-tokens", e.Admin, map[string]any{
				"name": "mine", "ttl_seconds": 86400 * 2, "allowed_cidrs": []string{"10.0.0.0/8"}})
			if r.Status == 201 {
				var pat wire.PersonalAccessTokenCreated
				r.JSON(t, &pat)
				do(t, e, "GET", "/v1/authorize", pat.KonnectToken, nil, from("203.0.113.9")).Want(t, 200)
			}
		})

	})
}
