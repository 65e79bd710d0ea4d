package httpapi_test

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

func TestLeakReport(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "leaky")
		id1, leaked1 := mintSPAT(t, e, acct, "one")
		_, leaked2 := mintSPAT(t, e, acct, "two")
		_, kept := mintSPAT(t, e, acct, "kept")
		unknown, _ := keyhold.GenerateTokenValue(keyhold.TokenKindSystemAccount)

		var got wire.LeakReport
		e.Do("POST", "/v1/leak-reports", "", map[string]any{
			"tokens": []string{leaked1, leaked2, leaked1, unknown, "spat_garbage"}, "source": "https://git.example.com/acme/app"}).Want(t, 200).JSON(t, &got)
		if got.Received != 5 || got.Revoked != 2 {
			t.Errorf("report = %+v, want 5 received, 2 revoked", got)
		}
		wantProblem(t, e.Do("GET", "/v1/whoami", leaked1, nil), 401)
		wantProblem(t, e.Do("GET", "/v1/authorize", leaked2, nil), 401)
		e.Do("GET", "/v1/whoami", kept, nil).Want(t, 200)

		tok := e.Do("GET", "/v3/system-accounts/"+acct+"/access-tokens/"+id1, e.Admin, nil).Want(t, 200).Map(t)
		if tok["state"] != "REVOKED" {
			t.Errorf("leaked token state = %v", tok["state"])
		}
		events := audit(t, e, "?filter[action][eq]=token.leaked")
		if events.Meta.Page.Total != 2 {
			t.Errorf("%d leak events, want 2", events.Meta.Page.Total)
		}
		// A revoked token frees its name.
		mintSPAT(t, e, acct, "one")
		// Reporting again revokes nothing more.
		e.Do("POST", "/v1/leak-reports", "", map[string]any{"tokens": []string{leaked1}}).Want(t, 200).JSON(t, &got)
		if got.Revoked != 0 {
			t.Errorf("second report revoked %d", got.Revoked)
		}
		wantInvalid(t, e.Do("POST", "/v1/leak-reports", "", map[string]any{"tokens": []string{}}), "tokens", "max_items")
		wantInvalid(t, e.Do("POST", "/v1/leak-reports", "", map[string]any{"tokens": "spat_x"}), "tokens", "is_array")
		wantInvalid(t, e.Do("POST", "/v1/leak-reports", "", map[string]any{"tokens": []string{"x"}, "extra": 1}), "extra", "unknown_property")
	})
}
