package httpapi_test

import (
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

// null means what docs/api.md says for each nullable field: a team's and
// a system account's description are cleared (Kong's Terraform provider
// removes a team description so), a label is removed, "labels": null
// removes them all, and leaving a field out changes nothing.
func TestNullableFields(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		var team struct{ ID string }
		e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "null-team", "description": "about it",
			"labels": map[string]string{"env": "prod", "tier": "one"}}).Want(t, 201).JSON(t, &team)
		T := "/v3/teams/" + team.ID
		got := e.Do("PATCH", T, e.Admin, map[string]any{"name": "null-team"}).Want(t, 200).Map(t)
		if got["description"] != "about it" {
			t.Fatalf("description changed without being sent: %v", got)
		}
		// As Kong's Terraform provider sends it.
		got = e.Do("PATCH", T, e.Admin, `{"name":"null-team","description":null,"labels":{"env":null}}`).Want(t, 200).Map(t)
		if d, ok := got["description"]; !ok || d != nil {
			t.Errorf("description after null: %v", got)
		}
		if l := got["labels"].(map[string]any); len(l) != 1 || l["tier"] != "one" {
			t.Errorf("labels after env:null: %v", l)
		}
		if got := e.Do("GET", T, e.Admin, nil).Want(t, 200).Map(t); got["description"] != nil {
			t.Errorf("description read back: %v", got["description"])
		}
		got = e.Do("PATCH", T, e.Admin, `{"labels":null}`).Want(t, 200).Map(t)
		if l := got["labels"].(map[string]any); len(l) != 0 {
			t.Errorf("labels after null: %v", l)
		}
		e.Do("POST", "/v3/teams", e.Admin, `{"name":"no-description","description":null}`).Want(t, 201)

		acct := createAccount(t, e, e.Admin, "null-bot")
		A := "/v3/system-accounts/" + acct
		if got := e.Do("PATCH", A, e.Admin, map[string]any{"name": "null-bot2"}).Want(t, 200).Map(t); got["description"] != "about null-bot" {
			t.Fatalf("description changed without being sent: %v", got)
		}
		if got := e.Do("PATCH", A, e.Admin, `{"description":null}`).Want(t, 200).Map(t); got["description"] != "" || got["name"] != "null-bot2" {
			t.Errorf("account after description null: %v", got)
		}
		// null on an optional field is as if it were left out.
		if got := e.Do("PATCH", A, e.Admin, `{"name":null,"konnect_managed":null}`).Want(t, 200).Map(t); got["name"] != "null-bot2" {
			t.Errorf("account after name null: %v", got)
		}

		// expires_at null asks for a token that never expires, which the
		// default policy refuses and a permissive one grants.
		wantInvalid(t, e.Do("POST", A+"/access-tokens", e.Admin, `{"name":"forever","expires_at":null}`), "expires_at", "required")
		e.Do("PUT", "/v1/token-policy", e.Admin, map[string]any{"max_lifetime_seconds": 365 * 24 * 3600,
			"default_lifetime_seconds": 30 * 24 * 3600, "allow_non_expiring": true}).Want(t, 200)
		tok := e.Do("POST", A+"/access-tokens", e.Admin, `{"name":"forever","expires_at":null}`).Want(t, 201).Map(t)
		if v, ok := tok["expires_at"]; !ok || v != nil {
			t.Errorf("expires_at of a token asked to never expire: %v", tok)
		}
		// Omitted, it is the policy's default lifetime.
		tok = e.Do("POST", A+"/access-tokens", e.Admin, `{"name":"default"}`).Want(t, 201).Map(t)
		if exp, err := time.Parse(time.RFC3339, tok["expires_at"].(string)); err != nil || exp.Sub(e.Clock.Now()) != 30*24*time.Hour {
			t.Errorf("expires_at of a token without one: %v", tok["expires_at"])
		}
	})
}
