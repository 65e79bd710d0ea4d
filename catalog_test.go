package keyhold_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// Every assignable pair must use Konnect's request names (but for
// keyhold's Identity extensions), and every role of the /roles body must be
// assignable under its request entity type.
func TestCatalogueMatchesKonnect(t *testing.T) {
	c := keyhold.DefaultCatalogue()
	roleEnum, typeEnum, regionEnum := c.RequestEnums()
	for _, et := range c.EntityTypes() {
		if et != keyhold.IdentityEntityType && !slices.Contains(typeEnum, et) {
			t.Errorf("entity type %q is not in the request enum", et)
		}
		for _, r := range c.RolesOf(et) {
			// keyhold's own role, an extension like Identity itself.
			if et == keyhold.IdentityEntityType && (r == keyhold.TokenIntrospectorRole || r == keyhold.DirectoryReaderRole) {
				continue
			}
			if !slices.Contains(roleEnum, r) {
				t.Errorf("role %q on %q is not in the request enum", r, et)
			}
		}
	}
	if !slices.Equal(regionEnum, keyhold.Regions) {
		t.Errorf("regions = %v, want %v", keyhold.Regions, regionEnum)
	}
	requestName := map[string]string{
		"control_planes": "Control Planes", "api_products": "API Products", "audit_logs": "Audit Logs",
		"identity": "Identity", "mesh_control_planes": "Mesh Control Planes", "dashboards": "Dashboards", "reports": "Reports",
	}
	var body map[string]struct {
		Roles map[string]struct{ Name string } `json:"roles"`
	}
	if err := json.Unmarshal(c.RolesBody(), &body); err != nil {
		t.Fatal(err)
	}
	for key, et := range body {
		name, ok := requestName[key]
		if !ok {
			t.Errorf("no request name for /roles key %q", key)
			continue
		}
		for _, r := range et.Roles {
			if !c.Assignable(name, r.Name) {
				t.Errorf("%s/%s from /roles is not assignable", name, r.Name)
			}
		}
	}
	if c.Assignable("Control Planes", "Connector") || c.Assignable("Nope", "Admin") {
		t.Error("unexpected assignable pair")
	}
}

func TestImplications(t *testing.T) {
	c := keyhold.DefaultCatalogue()
	id := func(et, r string) keyhold.RoleID {
		t.Helper()
		x, ok := c.Role(et, r)
		if !ok {
			t.Fatalf("no role %s/%s", et, r)
		}
		return x
	}
	cases := []struct {
		heldType, held, wantedType, wanted string
		implies                            bool
	}{
		{"Control Planes", "Admin", "Control Planes", "Viewer", true},
		{"Control Planes", "Admin", "Control Planes", "Route Admin", true},
		{"Control Planes", "Viewer", "Control Planes", "Viewer", true},
		{"Control Planes", "Viewer", "Control Planes", "Admin", false},
		{"Control Planes", "Debug Session Creator", "Control Planes", "Viewer", true},
		{"Control Planes", "Admin", "API Products", "Viewer", false},
		{"Identity", "Admin", "Control Planes", "Admin", false},
		{"Service Hub", "Service Admin", "Service Hub", "Service Viewer", true},
		{"Dashboards", "Viewer", "Dashboards", "Editor", false},
	}
	for _, k := range cases {
		if got := c.Implies(id(k.heldType, k.held), id(k.wantedType, k.wanted)); got != k.implies {
			t.Errorf("%s/%s implies %s/%s = %v", k.heldType, k.held, k.wantedType, k.wanted, got)
		}
	}
}

func TestCustomRoles(t *testing.T) {
	cr, err := keyhold.ParseCustomRoles(strings.NewReader(`{"entity_types":[{"key":"billing","name":"Billing","roles":[
		{"key":"admin","name":"Admin","description":"Everything"},
		{"key":"refunder","name":"Refunder","description":"Refunds","implies":["Viewer"]},
		{"key":"viewer","name":"Viewer","description":"Reads"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := keyhold.NewCatalogue(cr)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := c.Role("Billing", "Admin")
	refunder, _ := c.Role("Billing", "Refunder")
	viewer, ok := c.Role("Billing", "Viewer")
	if !ok || !c.Implies(admin, refunder) || !c.Implies(refunder, viewer) || c.Implies(viewer, refunder) {
		t.Error("custom implications wrong")
	}
	body := string(c.RolesBody())
	builtin := string(keyhold.DefaultCatalogue().RolesBody())
	if !strings.HasPrefix(body, strings.TrimRight(strings.TrimSpace(builtin), "}")) || !strings.Contains(body, `"billing":{"name":"Billing"`) {
		t.Errorf("custom types must follow Konnect's, unchanged: %s", body[len(body)-200:])
	}
	var decoded map[string]any
	if err := json.Unmarshal(c.RolesBody(), &decoded); err != nil || len(decoded) != 8 {
		t.Errorf("body is not one object of 8 types: %v", err)
	}
	for name, bad := range map[string]string{
		"clashes with Konnect": `{"entity_types":[{"key":"cp","name":"Control Planes","roles":[{"key":"a","name":"A"}]}]}`,
		"unknown implied role": `{"entity_types":[{"key":"x","name":"X","roles":[{"key":"a","name":"A","implies":["B"]}]}]}`,
		"no roles":             `{"entity_types":[{"key":"x","name":"X","roles":[]}]}`,
		"unknown field":        `{"entity_types":[],"extra":1}`,
	} {
		cr, err := keyhold.ParseCustomRoles(strings.NewReader(bad))
		if err == nil {
			_, err = keyhold.NewCatalogue(cr)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
