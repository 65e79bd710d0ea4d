package escalation_test

import (
	"net/url"
	"sort"
	"time"

	"github.com/keyhold/keyhold"
)

// move is one kind of thing P may do. do reports false when P has nothing
// to do it with, and another move is drawn.
type move struct {
	name   string
	weight int
	do     func(r *run) bool
}

// moves is everything P tries: every API and console operation that
// creates a principal, a token, a role, a membership, a setup link or a
// webhook, or changes whether one works, and the passing of time that
// makes webhooks deliver.
var moves = []move{
	{"create an account", 3, (*run).createAccount},
	{"mint a token", 7, (*run).mintToken},
	{"list an account's tokens", 2, (*run).listTokens},
	{"rotate a token", 4, (*run).rotateToken},
	{"assign a role", 6, (*run).assignRole},
	{"add a team member", 5, (*run).addMember},
	{"remove a team member", 1, (*run).removeMember},
	{"create a team", 2, (*run).createTeam},
	{"issue a setup link", 3, (*run).setupLink},
	{"enable or disable an account", 3, (*run).enableAccount},
	{"create or invite a user", 1, (*run).createUser},
	{"create a webhook", 3, (*run).createWebhook},
	{"update a webhook", 3, (*run).updateWebhook},
	{"list webhooks", 1, (*run).listWebhooks},
	{"redeliver a delivery", 2, (*run).redeliver},
	{"let time pass", 3, (*run).advance},
	{"create a personal token", 2, (*run).createPAT},
	{"activate or deactivate a user in the console", 2, (*run).consoleActivate},
	{"create a personal token in the console", 2, (*run).consolePAT},
	{"issue a setup link in the console", 1, (*run).consoleSetupLink},
	{"mint, rotate, enable, grant or subscribe in the console", 4, (*run).consoleWrite},
}

// step draws and makes one move.
func (r *run) step() {
	total := 0
	for _, m := range moves {
		total += m.weight
	}
	for range 20 {
		n := r.rng.IntN(total)
		for _, m := range moves {
			if n -= m.weight; n < 0 {
				if m.do(r) {
					return
				}
				break
			}
		}
	}
}

// roles are the roles P's moves give and scope: the strong and the narrow,
// P's own among them; a quarter of the draws take any role of the
// catalogue instead.
var roles = [][2]string{
	{keyhold.IdentityEntityType, "Admin"}, {keyhold.IdentityEntityType, keyhold.TokenIntrospectorRole},
	{keyhold.IdentityEntityType, keyhold.DirectoryReaderRole},
	{"Control Planes", "Admin"}, {"Control Planes", "Viewer"}, {"Audit Logs", "Admin"}, {"APIs", "Admin"},
	{"Portals", "Admin"}, {"Dashboards", "Viewer"}, {"Dashboards", "Admin"},
}

func (r *run) pickRole() (entityType, role, entity, region string) {
	if r.rng.IntN(4) == 0 {
		cat := r.e.Service.Roles.Catalogue()
		ets := cat.EntityTypes()
		entityType = ets[r.rng.IntN(len(ets))]
		rs := cat.RolesOf(entityType)
		role = rs[r.rng.IntN(len(rs))]
	} else {
		pick := roles[r.rng.IntN(len(roles))]
		entityType, role = pick[0], pick[1]
	}
	entity, region = entities[r.rng.IntN(len(entities))], regions[r.rng.IntN(len(regions))]
	if entityType == keyhold.IdentityEntityType {
		entity = "*"
	}
	return entityType, role, entity, region
}

func pick[T any](r *run, xs []T) T { return xs[r.rng.IntN(len(xs))] }

// pickAccount is P itself a fifth of the time, when P is an account, and
// a quarter of the time the account of P's last move on one, so that
// chains of moves on one target (enable it, then mint for it) happen.
func (r *run) pickAccount() string {
	switch {
	case r.p.ref.Type == keyhold.PrincipalSystemAccount && r.rng.IntN(5) == 0:
		r.lastAccount = r.p.ref.ID
	case r.lastAccount != "" && r.rng.IntN(4) == 0:
	default:
		r.lastAccount = pick(r, r.accounts)
	}
	return r.lastAccount
}

// hookAccount is, half of the time, an account with an auto_rotate token,
// whose successors a webhook would receive.
func (r *run) hookAccount() string {
	if r.rng.IntN(2) == 0 {
		return pick(r, r.autoRotating)
	}
	return r.pickAccount()
}

// pickUser is like pickAccount.
func (r *run) pickUser() string {
	switch {
	case r.p.ref.Type == keyhold.PrincipalUser && r.rng.IntN(5) == 0:
		r.lastUser = r.p.ref.ID
	case r.lastUser != "" && r.rng.IntN(4) == 0:
	default:
		r.lastUser = pick(r, r.users)
	}
	return r.lastUser
}

// pickMember is a member for a team, or a holder of roles: P itself a
// quarter of the time.
func (r *run) pickMember() keyhold.Ref {
	if r.rng.IntN(4) == 0 {
		return r.p.ref
	}
	if r.rng.IntN(2) == 0 {
		return usr(r.pickUser())
	}
	return sa(r.pickAccount())
}

func (r *run) later(d time.Duration) string { return r.e.Clock.Now().Add(d).Format(time.RFC3339) }

func (r *run) createAccount() bool {
	name := r.name("p-acct")
	resp := r.call("POST", "/v3/system-accounts", map[string]any{"name": name, "description": "P's",
		"konnect_managed": r.rng.IntN(4) == 0})
	if resp != nil && resp.Status == 201 {
		id := resp.Map(r.t)["id"].(string)
		r.w.names[id], r.accounts = name, append(r.accounts, id)
	}
	return resp != nil
}

func (r *run) mintToken() bool {
	acct := r.pickAccount()
	name := r.name("m")
	body := map[string]any{"name": name, "expires_at": r.later(30 * 24 * time.Hour)}
	switch r.rng.IntN(10) {
	case 0, 1:
		et, role, ent, reg := r.pickRole()
		body["scope"] = []map[string]string{{"role_name": role, "entity_type_name": et, "entity_id": ent, "entity_region": reg}}
	case 2, 3, 4:
		body["auto_rotate"], body["expires_at"] = true, r.later(10*24*time.Hour)
	case 5:
		body["allowed_cidrs"] = []string{"127.0.0.1/32"}
	}
	resp := r.call("POST", "/v3/system-accounts/"+acct+"/access-tokens", body)
	if resp != nil && resp.Status == 201 {
		r.tokens = append(r.tokens, tokenRef{account: acct, id: resp.Map(r.t)["id"].(string), name: name})
		if body["auto_rotate"] == true {
			r.autoRotating = append(r.autoRotating, acct)
		}
	}
	return resp != nil
}

func (r *run) listTokens() bool {
	acct := r.pickAccount()
	resp := r.call("GET", "/v3/system-accounts/"+acct+"/access-tokens?page[size]=100", nil)
	if resp == nil || resp.Status != 200 {
		return resp != nil
	}
	var l struct{ Data []struct{ ID, Name string } }
	resp.JSON(r.t, &l)
	sort.SliceStable(l.Data, func(i, j int) bool { return l.Data[i].Name < l.Data[j].Name })
	for _, d := range l.Data {
		known := false
		for _, t := range r.tokens {
			known = known || t.id == d.ID
		}
		if !known {
			r.tokens = append(r.tokens, tokenRef{account: acct, id: d.ID, name: d.Name})
		}
	}
	return true
}

func (r *run) rotateToken() bool {
	if len(r.tokens) == 0 {
		return false
	}
	tk := pick(r, r.tokens)
	body := map[string]any{}
	if r.rng.IntN(2) == 0 {
		body["overlap_seconds"] = 3600
	}
	resp := r.call("POST", "/v3/system-accounts/"+tk.account+"/access-tokens/"+tk.id+"/rotate", body)
	if resp != nil && resp.Status/100 == 2 {
		r.tokens = append(r.tokens, tokenRef{account: tk.account, id: resp.Map(r.t)["id"].(string), name: tk.name})
	}
	return resp != nil
}

func (r *run) assignRole() bool {
	var holder keyhold.Ref
	if r.rng.IntN(3) == 0 {
		holder = team(pick(r, r.teams))
	} else {
		holder = r.pickMember()
	}
	et, role, ent, reg := r.pickRole()
	return r.call("POST", holderPath(holder)+"/assigned-roles", map[string]any{"role_name": role, "entity_type_name": et,
		"entity_id": ent, "entity_region": reg}) != nil
}

func memberPath(m keyhold.Ref) string {
	if m.Type == keyhold.PrincipalUser {
		return "/users"
	}
	return "/system-accounts"
}

func (r *run) addMember() bool {
	tm, m := pick(r, r.teams), r.pickMember()
	return r.call("POST", "/v3/teams/"+tm+memberPath(m), map[string]any{"id": m.ID}) != nil
}

func (r *run) removeMember() bool {
	tm, m := pick(r, r.teams), r.pickMember()
	return r.call("DELETE", "/v3/teams/"+tm+memberPath(m)+"/"+m.ID, nil) != nil
}

func (r *run) createTeam() bool {
	name := r.name("p-team")
	resp := r.call("POST", "/v3/teams", map[string]any{"name": name})
	if resp != nil && resp.Status == 201 {
		id := resp.Map(r.t)["id"].(string)
		r.w.names[id], r.teams = name, append(r.teams, id)
	}
	return resp != nil
}

// setupLink asks for a setup link; call uses any link in the answer. A
// deactivated user gets none, so P, when signed in to the console,
// activates them there and asks again.
func (r *run) setupLink() bool {
	u := r.pickUser()
	resp := r.call("POST", "/v3/users/"+u+"/setup-link", nil)
	if resp == nil {
		return false
	}
	if c := r.session(); resp.Status == 409 && c != nil {
		r.consolePost(c, "/ui/users/"+u+"/activate", url.Values{})
		r.call("POST", "/v3/users/"+u+"/setup-link", nil)
	}
	return true
}

func (r *run) enableAccount() bool {
	action := "/enable"
	if r.rng.IntN(4) == 0 {
		action = "/disable"
	}
	return r.call("POST", "/v3/system-accounts/"+r.pickAccount()+action, nil) != nil
}

func (r *run) createUser() bool {
	email := r.name("p-user") + "@example.com"
	if r.rng.IntN(2) == 0 {
		resp := r.call("POST", "/v3/users", map[string]any{"email": email, "full_name": email})
		if resp != nil && resp.Status == 201 {
			id := resp.Map(r.t)["id"].(string)
			r.w.names[id], r.users = email, append(r.users, id)
		}
		return resp != nil
	}
	resp := r.call("POST", "/v3/invites", map[string]any{"email": email})
	if resp != nil && resp.Status == 201 {
		var l struct{ Data []struct{ ID string } }
		if lr := r.call("GET", "/v3/users?filter[email][eq]="+url.QueryEscape(email), nil); lr != nil && lr.Status == 200 {
			lr.JSON(r.t, &l)
			for _, u := range l.Data {
				r.w.names[u.ID], r.users = email, append(r.users, u.ID)
			}
		}
	}
	return resp != nil
}

// hookURL is a fresh path on P's receiver.
func (r *run) hookURL() string { return r.recv.srv.URL + "/" + r.name("h") }

func (r *run) eventTypes() []string {
	var types []string
	if r.rng.IntN(10) < 7 {
		types = append(types, keyhold.EventTokenAutoRotated)
	}
	if r.rng.IntN(2) == 0 {
		types = append(types, keyhold.EventTokenRotated)
	}
	if len(types) == 0 || r.rng.IntN(5) == 0 {
		types = append(types, keyhold.EventTokenExpiring)
	}
	return types
}

func (r *run) createWebhook() bool {
	u := r.hookURL()
	name := r.name("p-hook")
	body := map[string]any{"name": name, "url": u, "event_types": r.eventTypes()}
	if r.rng.IntN(5) != 0 {
		body["system_account_id"] = r.hookAccount()
	}
	resp := r.call("POST", "/v1/webhooks", body)
	if resp != nil && resp.Status == 201 {
		id := resp.Map(r.t)["id"].(string)
		r.w.names[id], r.hooks = name, append(r.hooks, id)
		r.pointed[mustPath(u)] = origin{r.move, r.acting.n}
	}
	return resp != nil
}

func mustPath(u string) string {
	p, _ := url.Parse(u)
	return p.Path
}

func (r *run) updateWebhook() bool {
	if len(r.hooks) == 0 {
		return false
	}
	body := map[string]any{}
	u := ""
	if r.rng.IntN(3) != 0 {
		u = r.hookURL()
		body["url"] = u
	}
	if r.rng.IntN(2) == 0 {
		body["system_account_id"] = r.hookAccount()
	}
	if r.rng.IntN(3) == 0 {
		body["event_types"] = r.eventTypes()
	}
	if len(body) == 0 || r.rng.IntN(4) == 0 {
		body["enabled"] = true
	}
	resp := r.call("PATCH", "/v1/webhooks/"+pick(r, r.hooks), body)
	if resp != nil && resp.Status == 200 && u != "" {
		r.pointed[mustPath(u)] = origin{r.move, r.acting.n}
	}
	return resp != nil
}

func (r *run) listWebhooks() bool {
	resp := r.call("GET", "/v1/webhooks?page[size]=100", nil)
	if resp == nil || resp.Status != 200 {
		return resp != nil
	}
	var l struct{ Data []struct{ ID, Name string } }
	resp.JSON(r.t, &l)
	sort.SliceStable(l.Data, func(i, j int) bool { return l.Data[i].Name < l.Data[j].Name })
	for _, d := range l.Data {
		known := false
		for _, h := range r.hooks {
			known = known || h == d.ID
		}
		if !known {
			r.hooks = append(r.hooks, d.ID)
			r.w.names[d.ID] = d.Name
		}
	}
	return true
}

func (r *run) redeliver() bool {
	if len(r.hooks) == 0 {
		return false
	}
	h := pick(r, r.hooks)
	resp := r.call("GET", "/v1/webhooks/"+h+"/deliveries?page[size]=100", nil)
	if resp == nil || resp.Status != 200 {
		return resp != nil
	}
	var l struct {
		Data []struct {
			ID        string    `json:"id"`
			EventType string    `json:"event_type"`
			Status    string    `json:"status"`
			CreatedAt time.Time `json:"created_at"`
		}
	}
	resp.JSON(r.t, &l)
	sort.SliceStable(l.Data, func(i, j int) bool {
		a, b := l.Data[i], l.Data[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.EventType < b.EventType
	})
	var done []string
	for _, d := range l.Data {
		if d.Status != "pending" {
			done = append(done, d.ID)
		}
	}
	if len(done) == 0 {
		return true
	}
	r.call("POST", "/v1/webhooks/"+h+"/deliveries/"+pick(r, done)+"/redeliver", nil)
	r.deliver()
	return true
}

// advance moves the clock, runs the jobs (auto-rotation among them) and
// delivers. Time passes for at most 40 days in a sequence, so that P's own
// token (90 days) keeps working.
func (r *run) advance() bool {
	d := []time.Duration{time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 6 * 24 * time.Hour}[r.rng.IntN(4)]
	if r.advanced+d > 40*24*time.Hour {
		d = time.Hour
	}
	r.advanced += d
	r.e.Clock.Advance(d)
	r.logf("time passes: %v; jobs run and webhooks deliver", d)
	r.e.Service.Jobs.RunJobs(r.t.Context())
	r.deliver()
	return true
}

// createPAT uses one of P's personal tokens to create a personal token,
// for its own user most of the time.
func (r *run) createPAT() bool {
	c, d := r.usableToken(keyhold.TokenKindPersonal)
	if c == nil {
		return false
	}
	u := d.Principal.ID
	if r.rng.IntN(5) == 0 {
		u = pick(r, r.users)
	}
	r.callAs(c, "POST", "/v3/users/"+u+"/access-tokens", map[string]any{"name": r.name("pat"), "ttl_seconds": 30 * 24 * 3600})
	return true
}
