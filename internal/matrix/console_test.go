package matrix_test

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/matrix"
)

// Who may open what in the console: the same policy as the API's,
// through the signed-in user's session. A page that only shows a form
// follows the permission of the action it leads to.
var (
	cValid    = []string{orgAdmin, orgAdminRO, analyticsViewer, cpViewer, identityAdmin, auditAdmin, introspector, plainUser}
	cEveryone = concat(cValid, []string{anon, deactivatedUser, expiredSession})
	cIDRead   = []string{orgAdmin, orgAdminRO, identityAdmin}
	cIDWrite  = []string{orgAdmin, identityAdmin}
	cOrgAdmin = []string{orgAdmin}
	cAudit    = []string{orgAdmin, orgAdminRO, identityAdmin, auditAdmin}
	// cManagers: the console's managed accounts are made by the Identity
	// Admin user, with their personal access token.
	cManagers = []string{identityAdmin}
	// cSignedIn run the rows where a user acts on their own tokens.
	cSignedIn = concat(cValid, []string{deactivatedUser, expiredSession})
)

// consoleCase is one row of the console's matrix and how to call it.
type consoleCase struct {
	matrix.Row
	call func(k *consoleCell) consoleReq
}

func page(method, path, target string, allow []string, call func(k *consoleCell) consoleReq) consoleCase {
	return consoleCase{Row: matrix.Row{Route: matrix.Route{Method: method, Path: path}, Target: target, Allow: allow}, call: call}
}

func (c consoleCase) only(callers []string) consoleCase { c.Only = callers; return c }

// consoleReq is a request a row makes; the method is the row's.
type consoleReq struct {
	path string
	form url.Values
	// public forms carry the pre-session's token, not the session's.
	public bool
	// session replaces the caller's own, for a case that ends it.
	session string
	// passed is the status that shows the request was let through when
	// it is not a success: a form built to stop at a field check.
	passed int
}

type consoleCell struct {
	*world
	c       *consoleCaller
	key     string
	allowed bool
}

func (k *consoleCell) fresh(mk func() string) string { return sharedFor(k.world, k.allowed, k.key, mk) }

func (k *consoleCell) fresh2(mk func() [2]string) [2]string {
	return sharedFor(k.world, k.allowed, k.key, mk)
}

func show(path string) func(*consoleCell) consoleReq {
	return func(*consoleCell) consoleReq { return consoleReq{path: path} }
}

// consoleCases is every row of the console.
func consoleCases() []consoleCase {
	cs := []consoleCase{
		page("GET", "/ui/static/", "", cEveryone, show("/ui/static/app.css")),
		page("GET", "/ui/signin", "", cEveryone, show("/ui/signin")),
		page("POST", "/ui/signin", "", cEveryone, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/signin", public: true, form: url.Values{"email": {k.signInUser()}, "password": {matrixPassword}}}
		}),
		page("GET", "/ui/setup", "", cEveryone, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/setup?token=" + url.QueryEscape(k.setupSecret())}
		}),
		// Setting the password hashes it with argon2id, over a second under
		// -race: the form is sent with two passwords that differ, which the
		// handler answers with 400 after it has accepted the link.
		page("POST", "/ui/setup", "", cEveryone, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/setup", public: true, passed: http.StatusBadRequest,
				form: url.Values{"token": {k.setupSecret()}, "password": {matrixPassword}, "password_again": {"something else"}}}
		}),
		page("POST", "/ui/signout", "", cValid, func(k *consoleCell) consoleReq {
			r := consoleReq{path: "/ui/signout"}
			if k.allowed {
				r.session = k.signIn(k.c.email)
			}
			return r
		}),
		page("GET", "/ui/", "", cValid, show("/ui/")),
		page("GET", "/ui/me", "", cValid, show("/ui/me")),
		page("POST", "/ui/me/tokens/new", "", cValid, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/me/tokens/new", form: url.Values{"name": {k.name("pat")}, "expiry": {"30d"}}}
		}),
		page("POST", "/ui/me/tokens/{tid}/delete", "", cValid, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/me/tokens/" + k.ownPAT() + "/delete"}
		}),
		page("GET", "/ui/audit", "", cAudit, show("/ui/audit")),
		page("GET", "/ui/policy", "", cIDRead, show("/ui/policy")),
		page("POST", "/ui/policy", "", cIDWrite, func(k *consoleCell) consoleReq {
			p := k.policy()
			f := url.Values{"max_lifetime_days": {days(p["max_lifetime_seconds"])}, "default_lifetime_days": {days(p["default_lifetime_seconds"])}}
			if p["allow_non_expiring"] == true {
				f.Set("allow_non_expiring", "on")
			}
			return consoleReq{path: "/ui/policy", form: f}
		}),
	}
	cs = append(cs, consoleAccountCases()...)
	cs = append(cs, consoleTeamCases()...)
	cs = append(cs, consoleWebhookCases()...)
	cs = append(cs, consoleUserCases()...)
	return append(cs, consoleHolderCases()...)
}

func days(seconds any) string {
	f, _ := seconds.(float64)
	return strconv.Itoa(int(f) / 86400)
}

func consoleAccountCases() []consoleCase {
	A := "/ui/accounts/{id}"
	T := A + "/tokens/{tid}"
	acct := func(id string) string { return "/ui/accounts/" + id }
	plain := func(k *consoleCell) string { return k.account() }
	inOrgAdmin := func(k *consoleCell) string { return k.accountIn("Organization Admin") }
	managed := func(k *consoleCell) string { return k.managed(k.consoleOwner()) }
	freshAccount := func(mk func(*consoleCell) string, suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			return consoleReq{path: acct(k.fresh(func() string { return mk(k) })) + suffix}
		}
	}
	edit := func(account func(*consoleCell) string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			return consoleReq{path: acct(account(k)) + "/edit", form: url.Values{"name": {k.name("renamed")}, "description": {"changed"}}}
		}
	}
	disabledOf := func(mk func(*consoleCell) string, by func(*consoleCell) string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			a := k.fresh(func() string {
				a := mk(k)
				k.must(200, "POST", "/v3/system-accounts/"+a+"/disable", by(k), nil)
				return a
			})
			return consoleReq{path: acct(a) + "/enable"}
		}
	}
	admin := func(k *consoleCell) string { return k.admin }
	owner := func(k *consoleCell) string { return k.consoleOwner() }
	mint := func(account func(*consoleCell) string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			return consoleReq{path: acct(account(k)) + "/tokens/new", form: url.Values{"name": {k.name("tok")}, "expiry": {"30d"}}}
		}
	}
	tokenOn := func(mk func(*consoleCell) string, by func(*consoleCell) string, suffix string, form url.Values) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			p := k.fresh2(func() [2]string { a := mk(k); id, _ := k.mintAs(by(k), a, nil); return [2]string{a, id} })
			return consoleReq{path: acct(p[0]) + "/tokens/" + p[1] + suffix, form: form}
		}
	}
	plainToken := func(suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			return consoleReq{path: acct(k.plainAccount()) + "/tokens/" + k.plainToken() + suffix}
		}
	}
	overlap := url.Values{"overlap": {"1h"}}
	onPlain := func(suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq { return consoleReq{path: acct(k.plainAccount()) + suffix} }
	}
	return []consoleCase{
		page("GET", "/ui/accounts", "", cIDRead, show("/ui/accounts")),
		page("GET", "/ui/accounts/new", "", cIDWrite, show("/ui/accounts/new")),
		page("POST", "/ui/accounts/new", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/accounts/new", form: url.Values{"name": {k.name("acct")}}}
		}),
		page("GET", A, "", cIDRead, onPlain("")),
		page("GET", A+"/edit", "", cIDWrite, onPlain("/edit")),
		page("POST", A+"/edit", "", cIDWrite, edit(func(k *consoleCell) string { return k.plainAccount() })),
		page("POST", A+"/edit", managedT, cManagers, edit(func(k *consoleCell) string { return k.consoleManaged() })),
		page("GET", A+"/disable", "", cIDWrite, onPlain("/disable")),
		page("POST", A+"/disable", "", cIDWrite, freshAccount(plain, "/disable")),
		page("POST", A+"/disable", managedT, cManagers, freshAccount(managed, "/disable")),
		page("POST", A+"/enable", "no roles", cIDWrite, disabledOf(plain, admin)),
		page("POST", A+"/enable", "in Organization Admin", cOrgAdmin, disabledOf(inOrgAdmin, admin)),
		page("POST", A+"/enable", managedT, cManagers, disabledOf(managed, owner)),
		page("GET", A+"/delete", "", cIDWrite, onPlain("/delete")),
		page("POST", A+"/delete", "", cIDWrite, freshAccount(plain, "/delete")),
		page("POST", A+"/delete", managedT, cManagers, freshAccount(managed, "/delete")),

		page("GET", A+"/tokens/new", "", cIDWrite, onPlain("/tokens/new")),
		page("POST", A+"/tokens/new", "no roles", cIDWrite, mint(func(k *consoleCell) string { return k.plainAccount() })),
		page("POST", A+"/tokens/new", "in Organization Admin", cOrgAdmin, mint(func(k *consoleCell) string { return k.orgAdminAccount() })),
		page("POST", A+"/tokens/new", managedT, cManagers, mint(func(k *consoleCell) string { return k.consoleManaged() })),
		page("GET", T+"/rotate", "", cIDWrite, plainToken("/rotate")),
		page("POST", T+"/rotate", "no roles", cIDWrite, tokenOn(plain, admin, "/rotate", overlap)),
		page("POST", T+"/rotate", "in Organization Admin", cOrgAdmin, tokenOn(inOrgAdmin, admin, "/rotate", overlap)),
		page("POST", T+"/rotate", managedT, cManagers, tokenOn(managed, owner, "/rotate", overlap)),
		page("GET", T+"/delete", "", cIDWrite, plainToken("/delete")),
		page("POST", T+"/delete", "", cIDWrite, tokenOn(plain, admin, "/delete", nil)),
		page("POST", T+"/delete", managedT, cManagers, tokenOn(managed, owner, "/delete", nil)),
	}
}

func consoleTeamCases() []consoleCase {
	T := "/ui/teams/{id}"
	team := func(id string) string { return "/ui/teams/" + id }
	onPlain := func(suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq { return consoleReq{path: team(k.plainTeam()) + suffix} }
	}
	addTo := func(teamOf func(*consoleCell) string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			return consoleReq{path: team(teamOf(k)) + "/members", form: url.Values{"member": {k.fresh(k.account)}}}
		}
	}
	return []consoleCase{
		page("GET", "/ui/teams", "", cIDRead, show("/ui/teams")),
		page("GET", "/ui/teams/new", "", cIDWrite, show("/ui/teams/new")),
		page("POST", "/ui/teams/new", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/teams/new", form: url.Values{"name": {k.name("team")}}}
		}),
		page("GET", T, "", cIDRead, onPlain("")),
		page("GET", T+"/edit", "", cIDWrite, onPlain("/edit")),
		page("POST", T+"/edit", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: team(k.plainTeam()) + "/edit", form: url.Values{"name": {k.name("team")}, "description": {"changed"}}}
		}),
		page("GET", T+"/delete", "", cIDWrite, onPlain("/delete")),
		page("POST", T+"/delete", "", cIDWrite, func(k *consoleCell) consoleReq { return consoleReq{path: team(k.fresh(k.team)) + "/delete"} }),
		page("POST", T+"/members", "a team without roles", cIDWrite, addTo(func(k *consoleCell) string { return k.plainTeam() })),
		page("POST", T+"/members", "Organization Admin", cOrgAdmin, addTo(func(k *consoleCell) string { return k.teams["Organization Admin"] })),
		page("POST", T+"/members/remove", "", cIDWrite, func(k *consoleCell) consoleReq {
			m := k.fresh(func() string { a := k.account(); k.join(k.plainTeam(), "system-accounts", a); return a })
			return consoleReq{path: team(k.plainTeam()) + "/members/remove", form: url.Values{"member_id": {m}, "member_type": {"account"}}}
		}),
	}
}

func consoleWebhookCases() []consoleCase {
	W := "/ui/webhooks/{id}"
	hook := func(id string) string { return "/ui/webhooks/" + id }
	form := func(k *consoleCell, account func(*consoleCell) string) url.Values {
		f := url.Values{"name": {k.name("hook")}, "url": {k.hook}, "event_types": {keyhold.EventTokenExpiring}, "enabled": {"on"}}
		if account != nil {
			f.Set("event_types", keyhold.EventTokenAutoRotated)
			f.Set("account", account(k))
		}
		return f
	}
	create := func(account func(*consoleCell) string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq { return consoleReq{path: "/ui/webhooks/new", form: form(k, account)} }
	}
	shared := func(suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq { return consoleReq{path: hook(k.sharedHook()) + suffix} }
	}
	plainAccount := func(k *consoleCell) string { return k.plainAccount() }
	orgAdminAccount := func(k *consoleCell) string { return k.orgAdminAccount() }
	return []consoleCase{
		page("GET", "/ui/webhooks", "", cIDRead, show("/ui/webhooks")),
		page("GET", "/ui/webhooks/new", "", cIDWrite, show("/ui/webhooks/new")),
		page("POST", "/ui/webhooks/new", "", cIDWrite, create(nil)),
		page("POST", "/ui/webhooks/new", "token.auto_rotated of an account without roles", cIDWrite, create(plainAccount)),
		page("POST", "/ui/webhooks/new", "token.auto_rotated of an Organization Admin account", cOrgAdmin, create(orgAdminAccount)),
		page("GET", W, "", cIDRead, shared("")),
		page("GET", W+"/edit", "", cIDWrite, shared("/edit")),
		page("POST", W+"/edit", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: hook(k.sharedHook()) + "/edit", form: form(k, nil)}
		}),
		page("POST", W+"/edit", "to token.auto_rotated of an Organization Admin account", cOrgAdmin, func(k *consoleCell) consoleReq {
			return consoleReq{path: hook(k.fresh(func() string { return k.webhook(nil) })) + "/edit", form: form(k, orgAdminAccount)}
		}),
		page("POST", W+"/test", "", cIDWrite, shared("/test")),
		page("POST", W+"/disable", "", cIDWrite, shared("/disable")),
		page("POST", W+"/enable", "", cIDWrite, shared("/enable")),
		page("POST", W+"/enable", "a destination of token.auto_rotated of an Organization Admin account", cOrgAdmin, func(k *consoleCell) consoleReq {
			h := k.fresh(func() string {
				return k.webhook(map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": k.orgAdminAccount(), "enabled": false})
			})
			return consoleReq{path: hook(h) + "/enable"}
		}),
		page("POST", W+"/rotate-secret", "", cIDWrite, shared("/rotate-secret")),
		page("GET", W+"/delete", "", cIDWrite, shared("/delete")),
		page("POST", W+"/delete", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: hook(k.fresh(func() string { return k.webhook(nil) })) + "/delete"}
		}),
		page("POST", W+"/deliveries/{did}/redeliver", "", cIDWrite, func(k *consoleCell) consoleReq {
			p := k.fresh2(func() [2]string { h := k.webhook(nil); return [2]string{h, k.delivered(h)} })
			return consoleReq{path: hook(p[0]) + "/deliveries/" + p[1] + "/redeliver"}
		}),
		page("POST", W+"/deliveries/{did}/redeliver", "token.auto_rotated of an account without roles", cIDWrite, func(k *consoleCell) consoleReq {
			p := k.autoRotated(k.plainAccount())
			return consoleReq{path: hook(p[0]) + "/deliveries/" + p[1] + "/redeliver"}
		}),
		page("POST", W+"/deliveries/{did}/redeliver", "token.auto_rotated of an Organization Admin account", cOrgAdmin, func(k *consoleCell) consoleReq {
			p := k.autoRotated(k.orgAdminAccount())
			return consoleReq{path: hook(p[0]) + "/deliveries/" + p[1] + "/redeliver"}
		}),
	}
}

func consoleUserCases() []consoleCase {
	U := "/ui/users/{id}"
	user := func(id string) string { return "/ui/users/" + id }
	onPlain := func(suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq { return consoleReq{path: user(k.plainUser()) + suffix} }
	}
	deactivated := func(mk func() string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			u := k.fresh(func() string { u := mk(); k.deactivate(u); return u })
			return consoleReq{path: user(u) + "/activate"}
		}
	}
	return []consoleCase{
		page("GET", "/ui/users", "", cIDRead, show("/ui/users")),
		page("GET", "/ui/users/new", "", cIDWrite, show("/ui/users/new")),
		page("POST", "/ui/users/new", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: "/ui/users/new", form: url.Values{"mode": {"invite"}, "email": {k.name("invited") + "@example.com"}}}
		}),
		page("GET", U, "", cIDRead, onPlain("")),
		page("GET", U+"/deactivate", "", cIDWrite, onPlain("/deactivate")),
		page("POST", U+"/deactivate", "", cIDWrite, func(k *consoleCell) consoleReq { return consoleReq{path: user(k.fresh(k.user)) + "/deactivate"} }),
		// Activating a user lets their tokens and sessions work again.
		page("POST", U+"/activate", "no roles", cIDWrite, func(k *consoleCell) consoleReq { return deactivated(k.user)(k) }),
		page("POST", U+"/activate", "in Organization Admin", cOrgAdmin, func(k *consoleCell) consoleReq {
			return deactivated(func() string { return k.userIn("Organization Admin") })(k)
		}),
		page("POST", U+"/setup-link", "no roles", cIDWrite, onPlain("/setup-link")),
		page("POST", U+"/setup-link", "in Organization Admin", cOrgAdmin, func(k *consoleCell) consoleReq {
			return consoleReq{path: user(k.orgAdminUser()) + "/setup-link"}
		}),
		page("POST", U+"/tokens/{tid}/revoke", "self", cValid, func(k *consoleCell) consoleReq {
			u := k.c.user
			return consoleReq{path: user(u) + "/tokens/" + k.ownPAT() + "/revoke"}
		}).only(cSignedIn),
		page("POST", U+"/tokens/{tid}/revoke", "another user", cIDWrite, func(k *consoleCell) consoleReq {
			id := k.fresh(func() string { id, _ := k.pat(k.patOwner()); return id })
			return consoleReq{path: user(k.patOwnerID()) + "/tokens/" + id + "/revoke"}
		}),
	}
}

// consoleHolderCases are the role and team pages of accounts, teams and
// users.
func consoleHolderCases() []consoleCase {
	var cs []consoleCase
	for _, kind := range []string{"accounts", "teams", "users"} {
		base := "/ui/" + kind + "/{id}"
		path := func(id string) string { return "/ui/" + kind + "/" + id }
		holder := func(k *consoleCell) (string, string) {
			switch kind {
			case "accounts":
				id := k.account()
				return id, "/v3/system-accounts/" + id
			case "teams":
				id := k.team()
				return id, "/v3/teams/" + id
			}
			id := k.user()
			return id, "/v3/users/" + id
		}
		plainHolder := func(k *consoleCell) string {
			return keep(k.world, "console holder "+kind, func() string { id, _ := holder(k); return id })
		}
		assign := func(role map[string]any) func(*consoleCell) consoleReq {
			return func(k *consoleCell) consoleReq {
				id := k.fresh(func() string { id, _ := holder(k); return id })
				return consoleReq{path: path(id) + "/roles/new", form: roleForm(role)}
			}
		}
		cs = append(cs,
			page("GET", base+"/roles/new", "", cIDWrite, func(k *consoleCell) consoleReq { return consoleReq{path: path(plainHolder(k)) + "/roles/new"} }),
			page("POST", base+"/roles/new", "Admin on Identity", cIDWrite, assign(identityAdminRole)),
			page("POST", base+"/roles/new", "Viewer on Control Planes", cOrgAdmin, assign(cpViewerRole)),
			page("POST", base+"/roles/{rid}/delete", "", cIDWrite, func(k *consoleCell) consoleReq {
				p := k.fresh2(func() [2]string { id, api := holder(k); return [2]string{id, k.assign(api, cpViewerRole)} })
				return consoleReq{path: path(p[0]) + "/roles/" + p[1] + "/delete"}
			}))
		if kind == "accounts" {
			cs = append(cs,
				page("POST", base+"/roles/new", managedT, cManagers, func(k *consoleCell) consoleReq {
					return consoleReq{path: path(k.fresh(func() string { return k.managed(k.consoleOwner()) })) + "/roles/new", form: roleForm(identityAdminRole)}
				}),
				page("POST", base+"/roles/{rid}/delete", managedT, cManagers, func(k *consoleCell) consoleReq {
					p := k.fresh2(func() [2]string {
						a := k.managed(k.consoleOwner())
						return [2]string{a, k.assignAs(k.consoleOwner(), "/v3/system-accounts/"+a, identityAdminRole)}
					})
					return consoleReq{path: path(p[0]) + "/roles/" + p[1] + "/delete"}
				}))
		}
		if kind == "teams" {
			continue
		}
		member := map[string]string{"accounts": "system-accounts", "users": "users"}[kind]
		join := func(team func(*consoleCell) string) func(*consoleCell) consoleReq {
			return func(k *consoleCell) consoleReq {
				id := k.fresh(func() string { id, _ := holder(k); return id })
				return consoleReq{path: path(id) + "/teams", form: url.Values{"team_id": {team(k)}}}
			}
		}
		cs = append(cs,
			page("POST", base+"/teams", "a team without roles", cIDWrite, join(func(k *consoleCell) string { return k.plainTeam() })),
			page("POST", base+"/teams", "Organization Admin", cOrgAdmin, join(func(k *consoleCell) string { return k.teams["Organization Admin"] })),
			page("POST", base+"/teams/{tid}/remove", "", cIDWrite, func(k *consoleCell) consoleReq {
				id := k.fresh(func() string { id, _ := holder(k); k.join(k.plainTeam(), member, id); return id })
				return consoleReq{path: path(id) + "/teams/" + k.plainTeam() + "/remove"}
			}))
	}
	return cs
}

func roleForm(role map[string]any) url.Values {
	f := url.Values{}
	for k, v := range role {
		f.Set(k, v.(string))
	}
	return f
}

// Console fixtures.

// consoleOwner is the personal access token of the user who manages the
// console's managed accounts.
func (x *world) consoleOwner() string { return x.consoleCaller(identityAdmin).pat }

func (x *world) consoleManaged() string {
	return keep(x, "console managed account", func() string { return x.managed(x.consoleOwner()) })
}

// ownPAT is a personal access token of the caller's own, fresh; a
// caller who cannot mint one is refused before the id matters.
func (k *consoleCell) ownPAT() string {
	if !k.allowed || k.c.pat == "" {
		return newUUID()
	}
	id, _ := k.pat(k.c.user, k.c.pat)
	return id
}

// signInUser is a user the sign-in form signs in as.
func (x *world) signInUser() string {
	return keep(x, "sign-in user", func() string {
		n := x.name("signin") + "@example.com"
		id := x.id(x.must(201, "POST", "/v3/users", x.admin, map[string]any{"email": n}))
		x.setPassword(id)
		return n
	})
}

// setupSecret is the secret of a setup link of a user without a password.
func (x *world) setupSecret() string {
	return keep(x, "setup link", func() string {
		var link struct {
			URL string `json:"setup_url"`
		}
		x.decode(x.must(201, "POST", "/v3/users/"+x.user()+"/setup-link", x.admin, nil), &link)
		u, err := url.Parse(link.URL)
		if err != nil || u.Query().Get("token") == "" {
			x.t.Fatalf("no secret in setup URL %q", link.URL)
		}
		return u.Query().Get("token")
	})
}

// deactivate deactivates a user in the console as the admin.
func (x *world) deactivate(user string) {
	if r := x.consolePost(x.consoleCaller(orgAdmin).session, "/ui/users/"+user+"/deactivate", url.Values{}); r.status != http.StatusSeeOther {
		x.t.Fatalf("deactivate %s: %d %s", user, r.status, r.body)
	}
}

// runConsole opens every row as every caller it applies to.
func runConsole(x *world, cases []consoleCase, callers []*consoleCaller) map[matrix.Cell]matrix.Outcome {
	out := map[matrix.Cell]matrix.Outcome{}
	for _, cs := range cases {
		for _, c := range callers {
			if !cs.AppliesTo(c.name) {
				continue
			}
			k := &consoleCell{world: x, c: c, key: cs.Key(), allowed: cs.Want(c.name) == matrix.Allow}
			r := cs.call(k)
			session, token := c.session, c.csrf
			if r.session != "" {
				session, token = r.session, x.csrf(r.session)
			}
			if r.public {
				token = c.pre
			}
			var cookies []string
			if session != "" {
				cookies = append(cookies, "keyhold_session="+session)
			}
			cookies = append(cookies, "keyhold_presession="+c.pre)
			hdr := http.Header{"Cookie": {strings.Join(cookies, "; ")}}
			var body io.Reader
			if cs.Method == http.MethodPost {
				f := url.Values{}
				for k, v := range r.form {
					f[k] = v
				}
				f.Set("csrf", token)
				body = strings.NewReader(f.Encode())
				hdr.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			o := consoleOutcome(x.send(cs.Method, r.path, hdr, body), r.passed)
			if o.Got == matrix.Allow && !k.allowed {
				delete(x.shared, k.key)
			}
			out[matrix.Cell{Row: cs.Key(), Caller: c.name}] = o
		}
	}
	return out
}

var (
	headingRE = regexp.MustCompile(`(?s)<h1>(.*?)</h1>`)
	alertRE   = regexp.MustCompile(`(?s)role="alert"><p>(.*?)</p>`)
)

// consoleOutcome reads a decision from a page. Refused is a redirect to
// the sign-in page (no session) or 401 and 403; a 403 for a form's token
// is no decision about the caller but a case built badly.
func consoleOutcome(r reply, passed int) matrix.Outcome {
	o := matrix.Outcome{Status: r.status, Got: matrix.Other}
	if m := headingRE.FindSubmatch(r.body); m != nil {
		o.Detail = html.UnescapeString(string(bytes.TrimSpace(m[1])))
		if a := alertRE.FindSubmatch(r.body); a != nil {
			o.Detail += ": " + html.UnescapeString(string(bytes.TrimSpace(a[1])))
		}
	}
	loc := r.header.Get("Location")
	switch {
	case r.status == http.StatusSeeOther && (loc == "/ui/signin" || strings.HasPrefix(loc, "/ui/signin?next=")):
		o.Got, o.Detail = matrix.Deny, "to "+loc
	case r.status == http.StatusForbidden && strings.HasPrefix(o.Detail, "Form expired"):
		o.Detail = "the form's CSRF token was refused: " + o.Detail
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		o.Got = matrix.Deny
	case r.status >= 200 && r.status < 400 || r.status == passed:
		o.Got = matrix.Allow
		if loc != "" {
			o.Detail = "to " + loc
		}
	}
	return o
}
