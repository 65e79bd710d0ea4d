package keyhold

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// rolesJSON holds Konnect's exact strings: the GET /v3/roles body, which
// Kong's SDK decodes with closed enums, and the AssignRole request enums.
//
//go:embed roles.json
var rolesJSON []byte

// IdentityEntityType is the entity type of keyhold's own configuration.
// Konnect lists it in /roles but not in the AssignRole request enum; keyhold
// accepts it so that the Identity Admin role can be given.
const IdentityEntityType = "Identity"

// TokenIntrospectorRole is keyhold's one role of its own: on the Identity
// entity type (entity_id "*"), it grants tokens:introspect, the right to
// call POST /v1/check and POST /oauth2/introspect, and nothing else. It can
// be assigned but is not listed in /v3/roles, which stays Konnect's body.
// Identity Admin implies it.
const TokenIntrospectorRole = "Token Introspector"

// DirectoryReaderRole is keyhold's role for LDAP clients: on the Identity
// entity type (entity_id "*"), it grants directory:read, the right to
// search the whole LDAP directory (docs/ldap.md), and nothing else. An
// account without it sees only its own entry and its teams. Like Token
// Introspector it can be assigned but is not listed in /v3/roles, and
// Identity Admin implies it.
const DirectoryReaderRole = "Directory Reader"

// AnyEntity and AnyRegion are the wildcards of an assignment.
const (
	AnyEntity = "*"
	AnyRegion = "*"
)

// Regions lists the values entity_region may take.
var Regions = []string{"us", "eu", "au", "me", "in", "sg", AnyRegion}

// assignable is the one table of which roles may be assigned on which entity
// type, under the request names of the AssignRole body. It is Konnect's
// /roles catalogue widened by the documented catalogue, keeping only role
// names that the request enum carries, plus Identity's Admin, Token
// Introspector and Directory Reader.
var assignable = map[string][]string{
	"Add Ons":                     {"Add On Admin", "Add On Viewer"},
	"APIs":                        {"Admin", "Creator", "Maintainer", "Publisher", "Registration Approver", "Viewer"},
	"API Products":                {"Admin", "Application Registration", "Creator", "Deployer", "Maintainer", "Plugins Admin", "Publisher", "Viewer"},
	"Application Auth Strategies": {"Creator", "Maintainer", "Viewer"},
	"Audit Logs":                  {"Admin"},
	"Auth Servers":                {"Admin", "Viewer"},
	"Control Planes": {"Admin", "Certificate Admin", "Cloud Gateway Cluster Admin", "Cloud Gateway Cluster Viewer",
		"Consumer Admin", "Creator", "Debug Session Creator", "Deployer", "Gateway Service Admin", "Key Admin",
		"Plugin Admin", "Route Admin", "SNI Admin", "Upstream Admin", "Vault Admin", "Viewer"},
	"Dashboards":          {"Admin", "Creator", "Editor", "Viewer"},
	"DCR Providers":       {"Creator", "Maintainer", "Viewer"},
	IdentityEntityType:    {"Admin", TokenIntrospectorRole, DirectoryReaderRole},
	"Mesh Control Planes": {"Admin", "Connector", "Creator", "Viewer"},
	"Networks":            {"Network Admin", "Network Creator", "Network Viewer"},
	"Portals":             {"Admin", "Appearance Maintainer", "Content Editor", "Creator", "Maintainer", "Product Publisher", "Registration Approver", "Viewer"},
	"Reports":             {"Admin", "Creator", "Editor", "Viewer"},
	"Service Hub": {"Discovery Admin", "Discovery Viewer", "Integration Admin", "Integration Viewer",
		"Scorecard Admin", "Scorecard Viewer", "Service Admin", "Service Creator", "Service Viewer"},
}

// implications lists, beyond the rule that a role named Admin implies every
// role of its entity type, which roles include others, as Konnect's role
// descriptions state. Each role also implies itself.
var implications = map[string]map[string][]string{
	"Control Planes": {
		"Debug Session Creator":       {"Viewer"},
		"Cloud Gateway Cluster Admin": {"Cloud Gateway Cluster Viewer"},
	},
	"API Products": {"Maintainer": {"Plugins Admin", "Viewer"}},
	"APIs":         {"Maintainer": {"Viewer"}},
	"Dashboards":   {"Editor": {"Viewer"}},
	"Reports":      {"Editor": {"Viewer"}},
	"Portals":      {"Maintainer": {"Viewer"}},
	"Networks":     {"Network Admin": {"Network Creator", "Network Viewer"}},
	"Add Ons":      {"Add On Admin": {"Add On Viewer"}},
	"Service Hub": {
		"Discovery Admin": {"Discovery Viewer"}, "Integration Admin": {"Integration Viewer"},
		"Scorecard Admin": {"Scorecard Viewer"}, "Service Admin": {"Service Creator", "Service Viewer"},
	},
}

// RoleID is the dense number of an (entity type, role) pair in a Catalogue.
type RoleID int32

// Catalogue answers which roles exist, which may be assigned, and which
// imply which. It is immutable once built.
type Catalogue struct {
	roles       map[string]map[string]RoleID // entity type → role name → id
	byID        [][2]string                  // id → entity type, role name
	entityTypes []string
	roleNames   []string
	// implies[held*n+wanted] reports whether holding role held grants wanted.
	implies   []bool
	n         int
	rolesBody json.RawMessage
	enums     struct {
		RoleName       []string `json:"role_name"`
		EntityTypeName []string `json:"entity_type_name"`
		EntityRegion   []string `json:"entity_region"`
	}
}

// DefaultCatalogue returns Konnect's catalogue.
func DefaultCatalogue() *Catalogue {
	c, err := NewCatalogue(nil)
	if err != nil {
		panic(fmt.Sprintf("keyhold: built-in catalogue: %v", err))
	}
	return c
}

// CustomRoles are an organization's own entity types and roles, for its own
// services, read from a config file.
type CustomRoles struct {
	EntityTypes []CustomEntityType `json:"entity_types"`
}

// CustomEntityType is one entity type of a CustomRoles file. Key is the
// snake_case key under which /v3/roles lists it; Name is what assignments
// use as entity_type_name.
type CustomEntityType struct {
	Key   string       `json:"key"`
	Name  string       `json:"name"`
	Roles []CustomRole `json:"roles"`
}

// CustomRole is one role of a custom entity type. Implies names other roles
// of the same type that this one includes.
type CustomRole struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Implies     []string `json:"implies,omitempty"`
}

// ParseCustomRoles reads a CustomRoles file (JSON), refusing unknown fields.
func ParseCustomRoles(r io.Reader) (*CustomRoles, error) {
	var cr CustomRoles
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cr); err != nil {
		return nil, fmt.Errorf("custom roles: %w", err)
	}
	return &cr, nil
}

// NewCatalogue returns Konnect's catalogue followed by custom's entity
// types, which /v3/roles serves after the built-in ones.
func NewCatalogue(custom *CustomRoles) (*Catalogue, error) {
	var raw struct {
		Roles json.RawMessage `json:"get_roles_response"`
		Enums json.RawMessage `json:"assign_role_request_enums"`
	}
	c := &Catalogue{roles: map[string]map[string]RoleID{}}
	if err := json.Unmarshal(rolesJSON, &raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw.Enums, &c.enums); err != nil {
		return nil, err
	}
	table := map[string][]string{}
	implied := map[string]map[string][]string{}
	for et, rs := range assignable {
		table[et] = rs
	}
	for et, m := range implications {
		implied[et] = m
	}
	body, err := c.addCustom(raw.Roles, custom, table, implied)
	if err != nil {
		return nil, err
	}
	c.rolesBody = body
	c.build(table, implied)
	return c, nil
}

// addCustom validates custom entity types, adds them to the tables and
// returns the /v3/roles body with them appended after Konnect's.
func (c *Catalogue) addCustom(builtin json.RawMessage, custom *CustomRoles, table map[string][]string, implied map[string]map[string][]string) (json.RawMessage, error) {
	if custom == nil || len(custom.EntityTypes) == 0 {
		return builtin, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(builtin, &keys); err != nil {
		return nil, err
	}
	var extra bytes.Buffer
	for _, et := range custom.EntityTypes {
		if et.Key == "" || et.Name == "" || len(et.Roles) == 0 {
			return nil, fmt.Errorf("custom roles: entity type %q needs a key, a name and roles", et.Name)
		}
		if _, dup := keys[et.Key]; dup || table[et.Name] != nil {
			return nil, fmt.Errorf("custom roles: entity type %q (key %q) is already defined", et.Name, et.Key)
		}
		keys[et.Key] = nil
		names := map[string]bool{}
		rolesBody := map[string]map[string]string{}
		for _, r := range et.Roles {
			if r.Key == "" || r.Name == "" || names[r.Name] {
				return nil, fmt.Errorf("custom roles: %s: each role needs a unique name and a key", et.Name)
			}
			names[r.Name] = true
			rolesBody[r.Key] = map[string]string{"name": r.Name, "description": r.Description}
			table[et.Name] = append(table[et.Name], r.Name)
		}
		for _, r := range et.Roles {
			for _, imp := range r.Implies {
				if !names[imp] {
					return nil, fmt.Errorf("custom roles: %s/%s implies unknown role %q", et.Name, r.Name, imp)
				}
			}
			if len(r.Implies) > 0 {
				if implied[et.Name] == nil {
					implied[et.Name] = map[string][]string{}
				}
				implied[et.Name][r.Name] = r.Implies
			}
		}
		entry, _ := json.Marshal(map[string]any{"name": et.Name, "roles": rolesBody})
		extra.WriteString(",")
		kb, _ := json.Marshal(et.Key)
		extra.Write(kb)
		extra.WriteString(":")
		extra.Write(entry)
	}
	trimmed := bytes.TrimRight(bytes.TrimSpace(builtin), "}")
	out := append(append(append([]byte{}, trimmed...), extra.Bytes()...), '}')
	return out, nil
}

// build interns every (entity type, role) pair and fills the implication
// matrix, closing it transitively.
func (c *Catalogue) build(table map[string][]string, implied map[string]map[string][]string) {
	names := map[string]bool{}
	for et, roles := range table {
		c.entityTypes = append(c.entityTypes, et)
		for _, r := range roles {
			names[r] = true
		}
	}
	sort.Strings(c.entityTypes)
	for _, et := range c.entityTypes {
		c.roles[et] = map[string]RoleID{}
		for _, r := range table[et] {
			c.roles[et][r] = RoleID(c.n)
			c.byID = append(c.byID, [2]string{et, r})
			c.n++
		}
	}
	for r := range names {
		c.roleNames = append(c.roleNames, r)
	}
	sort.Strings(c.roleNames)
	c.implies = make([]bool, c.n*c.n)
	for et, roles := range c.roles {
		for name, id := range roles {
			c.implies[int(id)*c.n+int(id)] = true
			if name == "Admin" {
				for _, other := range roles {
					c.implies[int(id)*c.n+int(other)] = true
				}
			}
			for _, imp := range implied[et][name] {
				c.implies[int(id)*c.n+int(roles[imp])] = true
			}
		}
	}
	for k := 0; k < c.n; k++ { // Floyd–Warshall closure: implication is transitive
		for i := 0; i < c.n; i++ {
			if !c.implies[i*c.n+k] {
				continue
			}
			for j := 0; j < c.n; j++ {
				if c.implies[k*c.n+j] {
					c.implies[i*c.n+j] = true
				}
			}
		}
	}
}

// RolesBody returns the GET /roles response body: Konnect's, byte for byte,
// followed by any custom entity types.
func (c *Catalogue) RolesBody() []byte { return c.rolesBody }

// EntityTypes returns every assignable entity type, sorted.
func (c *Catalogue) EntityTypes() []string { return c.entityTypes }

// RoleNames returns every role name assignable on some entity type, sorted.
func (c *Catalogue) RoleNames() []string { return c.roleNames }

// RolesOf returns the roles assignable on an entity type, sorted.
func (c *Catalogue) RolesOf(entityType string) []string {
	m := c.roles[entityType]
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// RequestEnums returns Konnect's AssignRole request enums: role names,
// entity type names and regions.
func (c *Catalogue) RequestEnums() (roles, entityTypes, regions []string) {
	return c.enums.RoleName, c.enums.EntityTypeName, c.enums.EntityRegion
}

// HasEntityType reports whether entityType is known, without allocating.
func (c *Catalogue) HasEntityType(entityType string) bool {
	_, ok := c.roles[entityType]
	return ok
}

// Assignable reports whether role may be assigned on entityType.
func (c *Catalogue) Assignable(entityType, role string) bool {
	_, ok := c.roles[entityType][role]
	return ok
}

// Role returns the id of an assignable role, without allocating.
func (c *Catalogue) Role(entityType, role string) (RoleID, bool) {
	id, ok := c.roles[entityType][role]
	return id, ok
}

// Implies reports whether holding role held grants role wanted.
func (c *Catalogue) Implies(held, wanted RoleID) bool {
	return c.implies[int(held)*c.n+int(wanted)]
}

// RoleName returns the entity type and role name of id.
func (c *Catalogue) RoleName(id RoleID) (entityType, role string) {
	return c.byID[id][0], c.byID[id][1]
}

// NumRoles returns how many roles the catalogue has.
func (c *Catalogue) NumRoles() int { return c.n }

// ValidRegion reports whether r is a known region or "*".
func ValidRegion(r string) bool {
	for _, x := range Regions {
		if x == r {
			return true
		}
	}
	return false
}
