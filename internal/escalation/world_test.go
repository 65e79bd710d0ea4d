package escalation_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/internal/server"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/web"
)

// entityOne is a specific entity that some assignments name instead of
// "*": the queries ask about it too, so a role on one entity counts.
const entityOne = "6f1c1d2e-5b3a-4c7d-9e8f-0a1b2c3d4e5f"

// Keys of the predefined teams whose membership is itself a privilege
// (service/bootstrap.go); the property asks about them by key.
const (
	keyOrgAdmin         = "organization-admin"
	keyOrgAdminReadOnly = "organization-admin-read-only"
)

// world is what the bootstrap admin built before P acts: principals of
// every strength, with ids in creation order so that a seed always picks
// the same targets.
type world struct {
	t       testing.TB
	e       *apitest.Env
	console string // base URL of the console, over the same service; see consoleURL
	names   map[string]string
	emails  map[string]string // user id → email
	// accounts, users and teams are ids, in creation order; system teams
	// come first among teams.
	accounts, users, teams []string
	orgAdmin, orgAdminRO   string
	autoRotating           []string // accounts with an auto_rotate token
	candidates             []candidate
}

// candidate is a principal that may play P, with the credential it starts
// with.
type candidate struct {
	label  string // what kind of principal it is
	ref    keyhold.Ref
	token  string
	weight int // how often it plays P: more for those that may write
	// email and password let a user sign in to the console, as such a
	// user would, besides using the personal token.
	email, password string
}

// consoleURL serves the console over the world's service, as keyhold
// serve mounts it beside the API, from the first time P needs it.
func (w *world) consoleURL() string {
	if w.console == "" {
		e := w.e
		console := httptest.NewServer(web.New(web.Config{Now: e.Clock.Now, Services: server.ConsoleServices(e.Service)}))
		w.t.Cleanup(console.Close)
		w.console = console.URL
	}
	return w.console
}

// on is the same world over e, whose database is a copy of this world's.
func (w *world) on(t testing.TB, e *apitest.Env) *world {
	c := *w
	c.t, c.e, c.names, c.emails, c.console = t, e, maps.Clone(w.names), maps.Clone(w.emails), ""
	return &c
}

// adminPost sends a POST as the bootstrap admin and wants status.
func (w *world) adminPost(path string, body any, status int) map[string]any {
	w.t.Helper()
	r := w.e.Do("POST", path, w.e.Admin, body)
	r.Want(w.t, status)
	if len(r.Body) == 0 {
		return nil
	}
	return r.Map(w.t)
}

func (w *world) account(name string) string {
	id := w.adminPost("/v3/system-accounts", map[string]any{"name": name, "description": "world"}, 201)["id"].(string)
	w.names[id], w.accounts = name, append(w.accounts, id)
	return id
}

func (w *world) user(email string, invite bool) string {
	var id string
	if invite {
		w.adminPost("/v3/invites", map[string]any{"email": email}, 201)
		var l struct{ Data []struct{ ID string } }
		w.e.Do("GET", "/v3/users?filter[email][eq]="+url.QueryEscape(email), w.e.Admin, nil).Want(w.t, 200).JSON(w.t, &l)
		id = l.Data[0].ID
	} else {
		id = w.adminPost("/v3/users", map[string]any{"email": email, "full_name": email}, 201)["id"].(string)
	}
	w.names[id], w.emails[id], w.users = email, email, append(w.users, id)
	return id
}

func (w *world) team(name string) string {
	id := w.adminPost("/v3/teams", map[string]any{"name": name}, 201)["id"].(string)
	w.names[id], w.teams = name, append(w.teams, id)
	return id
}

func (w *world) systemTeam(name string) string {
	var l struct{ Data []struct{ ID string } }
	w.e.Do("GET", "/v3/teams?filter[name][eq]="+url.QueryEscape(name), w.e.Admin, nil).Want(w.t, 200).JSON(w.t, &l)
	if len(l.Data) != 1 {
		w.t.Fatalf("system team %q: %d found", name, len(l.Data))
	}
	id := l.Data[0].ID
	w.names[id], w.teams = name, append(w.teams, id)
	return id
}

// id returns the id of what the world calls name.
func (w *world) id(name string) string {
	for id, n := range w.names {
		if n == name {
			return id
		}
	}
	w.t.Fatalf("nothing is called %q", name)
	return ""
}

// holderPath is the API path of a principal's assigned roles and tokens.
func holderPath(ref keyhold.Ref) string {
	switch ref.Type {
	case keyhold.PrincipalUser:
		return "/v3/users/" + ref.ID
	case keyhold.PrincipalTeam:
		return "/v3/teams/" + ref.ID
	}
	return "/v3/system-accounts/" + ref.ID
}

func (w *world) assign(ref keyhold.Ref, entityType, role, entity, region string) {
	w.adminPost(holderPath(ref)+"/assigned-roles", map[string]any{"role_name": role, "entity_type_name": entityType,
		"entity_id": entity, "entity_region": region}, 201)
}

func (w *world) join(team string, m keyhold.Ref) {
	kind := "/system-accounts"
	if m.Type == keyhold.PrincipalUser {
		kind = "/users"
	}
	w.adminPost("/v3/teams/"+team+kind, map[string]any{"id": m.ID}, 201)
}

// mint gives an account a token and returns its value.
func (w *world) mint(account, name string, ttl time.Duration, extra map[string]any) string {
	body := map[string]any{"name": name, "expires_at": w.e.Clock.Now().Add(ttl).Format(time.RFC3339)}
	for k, v := range extra {
		body[k] = v
	}
	return w.adminPost("/v3/system-accounts/"+account+"/access-tokens", body, 201)["token"].(string)
}

// firstPAT mints a user's first personal access token in-process as the
// user, as a console sign-in would: only the user may create their own.
func (w *world) firstPAT(user string) string {
	ctx := keyhold.NewContextWithPrincipal(context.Background(), &keyhold.Principal{Type: keyhold.PrincipalUser, ID: user,
		Name: w.emails[user], TokenKind: keyhold.TokenKindPersonal})
	ttl := 90 * 24 * time.Hour
	m, err := w.e.Service.Tokens.CreateToken(ctx, keyhold.Ref{Type: keyhold.PrincipalUser, ID: user}, keyhold.TokenCreate{Name: "first", TTL: &ttl})
	if err != nil {
		w.t.Fatalf("first PAT of %s: %v", w.emails[user], err)
	}
	return m.Value
}

func sa(id string) keyhold.Ref   { return keyhold.Ref{Type: keyhold.PrincipalSystemAccount, ID: id} }
func usr(id string) keyhold.Ref  { return keyhold.Ref{Type: keyhold.PrincipalUser, ID: id} }
func team(id string) keyhold.Ref { return keyhold.Ref{Type: keyhold.PrincipalTeam, ID: id} }

// newWorld builds the world on a fresh Env. Every candidate for P exists in
// every world, so that the others are targets when one of them plays P.
func newWorld(t testing.TB, e *apitest.Env) *world {
	w := &world{t: t, e: e, names: map[string]string{e.AdminID: "admin@example.com"},
		emails: map[string]string{e.AdminID: "admin@example.com"}, users: []string{e.AdminID}}

	w.orgAdmin = w.systemTeam("Organization Admin")
	w.orgAdminRO = w.systemTeam("Organization Admin (Read Only)")
	cpTeam := w.systemTeam("Control Plane Admin")
	const id, cp = keyhold.IdentityEntityType, "Control Planes"

	// Accounts with privileges P lacks, each with a token P does not know.
	oa := w.account("w-orgadmin")
	w.join(w.orgAdmin, sa(oa))
	w.mint(oa, "oa-ci", 10*24*time.Hour, map[string]any{"auto_rotate": true})
	w.autoRotating = append(w.autoRotating, oa)
	ro := w.account("w-orgadmin-ro")
	w.join(w.orgAdminRO, sa(ro))
	w.mint(ro, "ro-ci", 30*24*time.Hour, nil)
	cpa := w.account("w-cpadmin")
	w.assign(sa(cpa), cp, "Admin", "*", "*")
	w.mint(cpa, "cp-ci", 10*24*time.Hour, map[string]any{"auto_rotate": true})
	w.autoRotating = append(w.autoRotating, cpa)
	ida := w.account("w-idadmin")
	w.assign(sa(ida), id, "Admin", "*", "*")
	w.assign(sa(ida), "APIs", "Admin", "*", "*")
	w.mint(ida, "id-ci", 30*24*time.Hour, nil)
	aud := w.account("w-audit")
	w.assign(sa(aud), "Audit Logs", "Admin", "*", "*")
	w.account("w-plain")
	cpm := w.account("w-cpteam")
	w.join(cpTeam, sa(cpm))
	dormant := w.account("w-dormant")
	w.join(w.orgAdmin, sa(dormant))
	w.assign(sa(dormant), cp, "Admin", "*", "*")
	w.mint(dormant, "dormant-ci", 10*24*time.Hour, map[string]any{"auto_rotate": true})
	w.autoRotating = append(w.autoRotating, dormant)
	w.adminPost("/v3/system-accounts/"+dormant+"/disable", nil, 200)

	// Teams of the organization's own.
	platform := w.team("w-platform")
	w.assign(team(platform), cp, "Admin", "*", "*")
	w.assign(team(platform), "APIs", "Admin", "*", "*")
	pm := w.account("w-platform-member")
	w.join(platform, sa(pm))
	viewers := w.team("w-viewers")
	w.assign(team(viewers), cp, "Viewer", "*", "us")
	identity := w.team("w-identity")
	w.assign(team(identity), id, "Admin", "*", "*")

	// Users: an organization admin, a role holder, an invited one holding
	// roles, a deactivated one holding roles, a read-only admin.
	boss := w.user("boss@example.com", false)
	w.join(w.orgAdmin, usr(boss))
	cpu := w.user("cp@example.com", false)
	w.assign(usr(cpu), cp, "Admin", entityOne, "eu")
	w.assign(usr(cpu), "Portals", "Admin", "*", "*")
	inv := w.user("invitee@example.com", true)
	w.assign(usr(inv), id, "Admin", "*", "*")
	w.assign(usr(inv), "Dashboards", "Admin", "*", "*")
	gone := w.user("gone@example.com", false)
	w.join(w.orgAdmin, usr(gone))
	w.assign(usr(gone), "Portals", "Admin", "*", "*")
	admin := keyhold.NewContextWithPrincipal(context.Background(), &keyhold.Principal{Type: keyhold.PrincipalUser,
		ID: e.AdminID, Name: "admin@example.com", TokenKind: keyhold.TokenKindPersonal})
	if _, err := e.Service.Sessions.SetUserActive(admin, gone, false); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	rou := w.user("ro@example.com", false)
	w.join(w.orgAdminRO, usr(rou))

	// An admin's webhook that receives w-orgadmin's successors, at a
	// receiver that P does not control. It is down: a successor becomes
	// valid only when its delivery succeeds, and deliveries run in
	// parallel, so a working one would race P's receivers for which
	// successor counts, and a seed would not always find the same thing.
	adminHook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(adminHook.Close)
	w.adminPost("/v1/webhooks", map[string]any{"name": "w-ops", "url": adminHook.URL + "/ops",
		"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": oa}, 201)

	// The candidates for P. None is in Organization Admin. A user has a
	// password, set by an operator, to sign in to the console.
	add := func(label string, weight int, ref keyhold.Ref, token string) {
		c := candidate{label: label, ref: ref, token: token, weight: weight}
		if ref.Type == keyhold.PrincipalUser {
			c.email, c.password = w.emails[ref.ID], "the password of "+w.emails[ref.ID]
			if _, err := e.Service.Sessions.SetPassword(service.AsSystem(context.Background()), c.email, c.password); err != nil {
				t.Fatalf("set password: %v", err)
			}
		}
		w.candidates = append(w.candidates, c)
	}
	p := w.account("p-idadmin")
	w.assign(sa(p), id, "Admin", "*", "*")
	add("an Identity Admin system account", 3, sa(p), w.mint(p, "own", 90*24*time.Hour, nil))

	pu := w.user("p-idadmin@example.com", false)
	w.assign(usr(pu), id, "Admin", "*", "*")
	add("an Identity Admin user (personal token)", 3, usr(pu), w.firstPAT(pu))

	ps := w.account("p-scoped")
	w.assign(sa(ps), id, "Admin", "*", "*")
	w.assign(sa(ps), cp, "Admin", "*", "*")
	add("an Identity Admin and Control Planes Admin account whose token is scoped to Identity Admin", 3, sa(ps),
		w.mint(ps, "own", 90*24*time.Hour, map[string]any{"scope": []map[string]string{
			{"role_name": "Admin", "entity_type_name": id, "entity_id": "*", "entity_region": "*"}}}))

	pv := w.account("p-id-cpviewer")
	w.assign(sa(pv), id, "Admin", "*", "*")
	w.assign(sa(pv), cp, "Viewer", "*", "*")
	add("an Identity Admin and Control Planes Viewer account", 2, sa(pv), w.mint(pv, "own", 90*24*time.Hour, nil))

	pt := w.account("p-idteam")
	w.join(identity, sa(pt))
	add("an account holding Identity Admin through a team", 2, sa(pt), w.mint(pt, "own", 90*24*time.Hour, nil))

	pr := w.account("p-readonly")
	w.join(w.orgAdminRO, sa(pr))
	add("a member of Organization Admin (Read Only)", 1, sa(pr), w.mint(pr, "own", 90*24*time.Hour, nil))

	pn := w.account("p-narrow")
	w.assign(sa(pn), cp, "Viewer", entityOne, "eu")
	add("an account with one narrow role", 1, sa(pn), w.mint(pn, "own", 90*24*time.Hour, nil))

	pi := w.account("p-introspector")
	w.assign(sa(pi), id, keyhold.TokenIntrospectorRole, "*", "*")
	add("a Token Introspector account", 1, sa(pi), w.mint(pi, "own", 90*24*time.Hour, nil))

	pun := w.user("p-narrow@example.com", false)
	w.assign(usr(pun), "Dashboards", "Viewer", "*", "*")
	add("a user with one narrow role (personal token)", 1, usr(pun), w.firstPAT(pun))
	return w
}
