package escalation_test

import (
	"net/url"

	"github.com/keyhold/keyhold"
)

// The console's moves: P needs a console session, its own or one a setup
// link gave it.

func (r *run) consoleActivate() bool {
	c := r.session()
	if c == nil {
		return false
	}
	action := "/activate"
	if r.rng.IntN(5) == 0 {
		action = "/deactivate"
	}
	r.consolePost(c, "/ui/users/"+r.pickUser()+action, url.Values{})
	return true
}

func (r *run) consolePAT() bool {
	c := r.session()
	if c == nil {
		return false
	}
	r.consolePost(c, "/ui/me/tokens/new", url.Values{"name": {r.name("console-pat")}, "expiry": {"30d"}})
	return true
}

func (r *run) consoleSetupLink() bool {
	c := r.session()
	if c == nil {
		return false
	}
	r.consolePost(c, "/ui/users/"+r.pickUser()+"/setup-link", url.Values{})
	return true
}

// consoleWrite does in the console what the API moves do: the console
// calls the same services through its own route table.
func (r *run) consoleWrite() bool {
	c := r.session()
	if c == nil {
		return false
	}
	switch r.rng.IntN(6) {
	case 0:
		form := url.Values{"name": {r.name("console-m")}, "expiry": {"30d"}}
		if r.rng.IntN(2) == 0 {
			form.Set("expiry", "10d")
			form.Set("auto_rotate", "on")
		}
		r.consolePost(c, "/ui/accounts/"+r.pickAccount()+"/tokens/new", form)
	case 1:
		if len(r.tokens) == 0 {
			return false
		}
		tk := pick(r, r.tokens)
		r.consolePost(c, "/ui/accounts/"+tk.account+"/tokens/"+tk.id+"/rotate", url.Values{"overlap": {"1h"}})
	case 2:
		r.consolePost(c, "/ui/accounts/"+r.pickAccount()+"/enable", url.Values{})
	case 3:
		u := r.hookURL()
		form := url.Values{"name": {r.name("console-hook")}, "url": {u}, "event_types": r.eventTypes(),
			"account": {r.hookAccount()}, "enabled": {"on"}}
		r.consolePost(c, "/ui/webhooks/new", form)
		r.pointed[mustPath(u)] = origin{r.move, c.n}
	case 4:
		m := r.pickMember()
		kind := "/ui/accounts/"
		if m.Type == keyhold.PrincipalUser {
			kind = "/ui/users/"
		}
		r.consolePost(c, kind+m.ID+"/teams", url.Values{"team_id": {pick(r, r.teams)}})
	case 5:
		m := r.pickMember()
		kind := "/ui/accounts/"
		if m.Type == keyhold.PrincipalUser {
			kind = "/ui/users/"
		}
		et, role, ent, reg := r.pickRole()
		r.consolePost(c, kind+m.ID+"/roles/new", url.Values{"role_name": {role}, "entity_type_name": {et},
			"entity_id": {ent}, "entity_region": {reg}})
	}
	return true
}
