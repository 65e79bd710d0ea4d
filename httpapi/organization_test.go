package httpapi_test

import (
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
)

// PATCH /v3/organizations/me sets the audit retention within 1 to 3650
// days; anything else is a 400 naming the field, and changes nothing.
func TestPatchOrganizationRetention(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		if got := e.Do("GET", "/v3/organizations/me", e.Admin, nil).Want(t, 200).Map(t); got["retention_period_days"] != float64(90) {
			t.Fatalf("default retention: %v", got["retention_period_days"])
		}
		for _, c := range []struct {
			body        any
			field, rule string
		}{
			{map[string]any{"retention_period_days": 0}, "retention_period_days", "min"},
			{map[string]any{"retention_period_days": 3651}, "retention_period_days", "max"},
			{map[string]any{"retention_period_days": 1e30}, "retention_period_days", "is_integer"},
			{map[string]any{"retention_period_days": 1.5}, "retention_period_days", "is_integer"},
			{map[string]any{"retention_period_days": "30"}, "retention_period_days", "is_integer"},
			{map[string]any{"retention_period_days": 9223372036854775807}, "retention_period_days", "max"},
			{map[string]any{"name": "other"}, "name", "unknown_property"},
		} {
			wantInvalid(t, e.Do("PATCH", "/v3/organizations/me", e.Admin, c.body), c.field, c.rule)
		}
		got := e.Do("PATCH", "/v3/organizations/me", e.Admin, map[string]any{"retention_period_days": 30}).Want(t, 200).Map(t)
		if got["retention_period_days"] != float64(30) {
			t.Errorf("after PATCH: %v", got)
		}
		if got := e.Do("GET", "/v3/organizations/me", e.Admin, nil).Want(t, 200).Map(t); got["retention_period_days"] != float64(30) {
			t.Errorf("read back: %v", got["retention_period_days"])
		}
		// An empty object changes nothing.
		if got := e.Do("PATCH", "/v3/organizations/me", e.Admin, map[string]any{}).Want(t, 200).Map(t); got["retention_period_days"] != float64(30) {
			t.Errorf("an empty PATCH: %v", got["retention_period_days"])
		}
	})
}
