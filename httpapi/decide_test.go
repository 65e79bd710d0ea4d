package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
)

const cpID = "5f0c1a52-3c2b-4f6e-9a59-1b0c2d3e4f50"

func authorizeQuery(role, et, id, region string) string {
	v := url.Values{"role_name": {role}, "entity_type_name": {et}, "entity_id": {id}, "entity_region": {region}}
	return "/v1/authorize?" + v.Encode()
}

// flipLast returns tok with its last character changed, so that its
// checksum no longer matches.
func flipLast(tok string) string {
	last := byte('x')
	if tok[len(tok)-1] == last {
		last = 'y'
	}
	return tok[:len(tok)-1] + string(last)
}

func TestForwardAuth(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "gateway-client")
		assign(t, e, "/v3/system-accounts/"+acct, "Viewer", "Control Planes", cpID, "eu")
		_, spat := mintSPAT(t, e, acct, "t")

		t.Run("OK", func(t *testing.T) {
			r := e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "eu"), spat, nil).Want(t, 200)
			if r.Header.Get("X-Keyhold-Principal-Type") != "system_account" || r.Header.Get("X-Keyhold-Principal-Id") != acct ||
				r.Header.Get("X-Keyhold-Principal-Name") != "gateway-client" || r.Header.Get("X-Keyhold-Token-Id") == "" {
				t.Errorf("principal headers: %v", r.Header)
			}
			e.Do("GET", "/v1/authorize", spat, nil).Want(t, 200) // authentication alone
			e.Do("GET", "/v1/authorize", basic("gateway-client", spat), nil).Want(t, 200)
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "us"), spat, nil), 403)
			wantProblem(t, e.Do("GET", authorizeQuery("Admin", "Control Planes", cpID, "eu"), spat, nil), 403)
			wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "Control Planes", "*", "eu"), spat, nil), 403)
		})
		t.Run("ErrUnauthenticated", func(t *testing.T) {
			other, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)
			for _, tok := range []string{"", "spat_garbage", other, flipLast(spat)} {
				wantProblem(t, e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "eu"), tok, nil), 401)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			wantInvalid(t, e.Do("GET", authorizeQuery("Overlord", "Control Planes", cpID, "eu"), spat, nil), "role_name", "enum")
			wantInvalid(t, e.Do("GET", authorizeQuery("Viewer", "Spaceships", cpID, "eu"), spat, nil), "entity_type_name", "enum")
			wantInvalid(t, e.Do("GET", authorizeQuery("Viewer", "Control Planes", cpID, "mars"), spat, nil), "entity_region", "enum")
			wantInvalid(t, e.Do("GET", "/v1/authorize?role_name=Viewer", spat, nil), "entity_type_name", "required")
		})
		t.Run("PathForm", func(t *testing.T) {
			want := http.Header{"X-Keyhold-Role-Name": {"Viewer"}, "X-Keyhold-Entity-Type-Name": {"Control Planes"},
				"X-Keyhold-Entity-Id": {cpID}, "X-Keyhold-Entity-Region": {"eu"}}
			do(t, e, "POST", "/v1/authorize/deploy", spat, nil, want).Want(t, 200)
			do(t, e, "DELETE", "/v1/authorize/anything", spat, nil, want).Want(t, 200)
			// The client's own query never names the permission on this path:
			// without the gateway's headers it is authentication alone, and
			// with them the headers decide.
			do(t, e, "GET", "/v1/authorize/x?role_name=Admin&entity_type_name=Control%20Planes&entity_id=*&entity_region=*", spat, nil, nil).Want(t, 200)
			wrong := http.Header{"X-Keyhold-Role-Name": {"Admin"}, "X-Keyhold-Entity-Type-Name": {"Control Planes"},
				"X-Keyhold-Entity-Id": {cpID}, "X-Keyhold-Entity-Region": {"eu"}}
			wantProblem(t, do(t, e, "GET", "/v1/authorize/x?role_name=Viewer&entity_type_name=Control%20Planes&entity_id="+cpID+"&entity_region=eu", spat, nil, wrong), 403)
		})
		t.Run("RevocationIsImmediate", func(t *testing.T) {
			tokID, tok := mintSPAT(t, e, acct, "short")
			e.Do("GET", "/v1/authorize", tok, nil).Want(t, 200)
			e.Do("DELETE", "/v3/system-accounts/"+acct+"/access-tokens/"+tokID, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", "/v1/authorize", tok, nil), 401)
		})
		t.Run("TeamGrantsAndImplication", func(t *testing.T) {
			team := createTeam(t, e, "cp-admins")
			assign(t, e, "/v3/teams/"+team, "Admin", "Control Planes", "*", "*")
			e.Do("POST", "/v3/teams/"+team+"/system-accounts", e.Admin, map[string]any{"id": acct}).Want(t, 201)
			e.Do("GET", authorizeQuery("Route Admin", "Control Planes", cpID, "us"), spat, nil).Want(t, 200)
			e.Do("DELETE", "/v3/teams/"+team+"/system-accounts/"+acct, e.Admin, nil).Want(t, 204)
			wantProblem(t, e.Do("GET", authorizeQuery("Route Admin", "Control Planes", cpID, "us"), spat, nil), 403)
		})
	})
}

func TestCheckAndIntrospect(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		subject := createAccount(t, e, e.Admin, "subject")
		assign(t, e, "/v3/system-accounts/"+subject, "Viewer", "Control Planes", "*", "eu")
		tokID, spat := mintSPAT(t, e, subject, "t")

		// A service allowed to introspect: Identity Admin.
		svc := createAccount(t, e, e.Admin, "checker")
		identityAdmin(t, e, "/v3/system-accounts/"+svc)
		_, svcTok := mintSPAT(t, e, svc, "svc")

		checks := []map[string]string{
			{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cpID, "entity_region": "eu"},
			{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": cpID, "entity_region": "us"},
		}
		var got struct {
			Active    bool
			Principal map[string]string
			Results   []struct{ Allowed bool }
		}
		e.Do("POST", "/v1/check", svcTok, map[string]any{"token": spat, "checks": checks}).Want(t, 200).JSON(t, &got)
		if !got.Active || got.Principal["principal_id"] != subject || len(got.Results) != 2 || !got.Results[0].Allowed || got.Results[1].Allowed {
			t.Errorf("check = %+v", got)
		}
		got.Principal, got.Results = nil, nil
		e.Do("POST", "/v1/check", svcTok, map[string]any{"token": "spat_nope", "checks": checks}).Want(t, 200).JSON(t, &got)
		if got.Active || got.Principal != nil || len(got.Results) != 2 || got.Results[0].Allowed {
			t.Errorf("check of garbage = %+v", got)
		}
		wantInvalid(t, e.Do("POST", "/v1/check", svcTok, map[string]any{"token": spat, "checks": []map[string]string{{"role_name": "Nope", "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "eu"}}}), "checks[0].role_name", "enum")
		// The subject itself holds no right to ask about tokens.
		wantProblem(t, e.Do("POST", "/v1/check", spat, map[string]any{"token": spat, "checks": checks}), 403)

		intro := func(caller, token string) *apitest.Response {
			return do(t, e, "POST", "/oauth2/introspect", caller, "token="+url.QueryEscape(token),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		}
		var in map[string]any
		intro(svcTok, spat).Want(t, 200).JSON(t, &in)
		roles, _ := in["roles"].([]any)
		if in["active"] != true || in["sub"] != subject || in["jti"] != tokID || in["token_type"] != "Bearer" || in["exp"] == nil || in["iat"] == nil || len(roles) != 1 {
			t.Errorf("introspection = %v", in)
		}
		in = nil
		intro(svcTok, "spat_nope").Want(t, 200).JSON(t, &in)
		if len(in) != 1 || in["active"] != false {
			t.Errorf("inactive introspection = %v", in)
		}
		wantProblem(t, intro(spat, spat), 403)
		wantProblem(t, intro("", spat), 401)
		if body := intro(svcTok, spat).Body; strings.Contains(string(body), spat) {
			t.Error("introspection echoes the token")
		}

		// Least privilege: Identity's Token Introspector may check and
		// introspect tokens, and read or change nothing else.
		gw := createAccount(t, e, e.Admin, "gateway")
		assign(t, e, "/v3/system-accounts/"+gw, keyhold.TokenIntrospectorRole, keyhold.IdentityEntityType, "*", "*")
		_, gwTok := mintSPAT(t, e, gw, "gw")
		e.Do("POST", "/v1/check", gwTok, map[string]any{"token": spat, "checks": checks}).Want(t, 200)
		in = nil
		intro(gwTok, spat).Want(t, 200).JSON(t, &in)
		if in["active"] != true || in["sub"] != subject {
			t.Errorf("introspection by a Token Introspector = %v", in)
		}
		for _, path := range []string{"/v3/system-accounts", "/v3/users", "/v3/teams", "/v3/audit-events", "/v1/webhooks", "/v1/tokens/expiring"} {
			wantProblem(t, e.Do("GET", path, gwTok, nil), 403)
		}
		wantProblem(t, e.Do("POST", "/v3/system-accounts", gwTok, map[string]any{"name": "sneaky", "description": "x"}), 403)
		// On one entity only, the role grants nothing: the permission is
		// about every token.
		one := createAccount(t, e, e.Admin, "narrow-gateway")
		assign(t, e, "/v3/system-accounts/"+one, keyhold.TokenIntrospectorRole, keyhold.IdentityEntityType, cpID, "*")
		_, oneTok := mintSPAT(t, e, one, "gw")
		wantProblem(t, intro(oneTok, spat), 403)
		// /v3/roles stays Konnect's body: the role is not listed there.
		if body := e.Do("GET", "/v3/roles", e.Admin, nil).Want(t, 200).Body; strings.Contains(string(body), keyhold.TokenIntrospectorRole) {
			t.Error("/v3/roles lists keyhold's own role")
		}
	})
}

// A gateway that forwards the client's method to the query form must get a
// decision on the permission it asked, never a redirect to the path form
// that would drop it; unclean appended paths are decided too.
func TestForwardAuthNeverRedirects(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	acct := createAccount(t, e, e.Admin, "client")
	_, spat := mintSPAT(t, e, acct, "t")
	admin := authorizeQuery("Admin", "Identity", "*", "*")
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		wantProblem(t, e.Do(m, admin, spat, nil), 403)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/v1/authorize//x", "/v1/authorize/a/../b", "/v1/authorize/"} {
		req, _ := http.NewRequest("GET", e.Server.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+spat)
		req.Header.Set("X-Keyhold-Role-Name", "Admin")
		req.Header.Set("X-Keyhold-Entity-Type-Name", "Identity")
		req.Header.Set("X-Keyhold-Entity-Id", "*")
		req.Header.Set("X-Keyhold-Entity-Region", "*")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Errorf("%s: %d, want 403 (a decision, not a redirect)", path, res.StatusCode)
		}
	}
}
