package httpapi_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
)

// GET /v3/roles must be Konnect's body exactly: Kong's SDK decodes every
// name and description as a closed enum. testdata/konnect-roles.json is a
// copy of the reference taken from Konnect's contract, kept apart from the
// roles.json the server embeds so that an edit there cannot pass unseen.
func TestRolesCatalogue(t *testing.T) {
	raw, err := os.ReadFile("testdata/konnect-roles.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Roles any `json:"get_roles_response"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil || ref.Roles == nil {
		t.Fatalf("testdata: %v", err)
	}
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "no-roles")
		_, spat := mintSPAT(t, e, acct, "t")
		for name, token := range map[string]string{"Admin": e.Admin, "NoRoles": spat} {
			t.Run(name, func(t *testing.T) {
				r := e.Do("GET", "/v3/roles", token, nil).Want(t, 200)
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				var got any
				r.JSON(t, &got)
				if !reflect.DeepEqual(got, ref.Roles) {
					t.Errorf("GET /v3/roles differs from Konnect's:\n%s", r.Body)
				}
				if _, paged := got.(map[string]any)["meta"]; paged {
					t.Error("/v3/roles is not paginated")
				}
			})
		}
		wantProblem(t, e.Do("GET", "/v3/roles", "", nil), 401)
	})
}
