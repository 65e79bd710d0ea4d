package matrix_test

import (
	"net/url"

	"github.com/keyhold/keyhold"
)

// consoleAccountCases are the pages of system accounts and their tokens.
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

// consoleTeamCases are the pages of teams and their members.
func consoleTeamCases() []consoleCase {
	T := "/ui/teams/{id}"
	team := func(id string) string { return "/ui/teams/" + id }
	onPlain := func(suffix string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq { return consoleReq{path: team(k.plainTeam()) + suffix} }
	}
	addTo := func(teamOf func(*consoleCell) string) func(*consoleCell) consoleReq {
		return func(k *consoleCell) consoleReq {
			return consoleReq{path: team(teamOf(k)) + "/members", form: url.Values{"member_type": {"system_account"}, "member": {k.fresh(k.account)}}}
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
		page("GET", T+"/members/remove", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: team(k.plainTeam()) + "/members/remove?member_type=system_account&member_id=" + k.plainAccount()}
		}),
		page("POST", T+"/members/remove", "", cIDWrite, func(k *consoleCell) consoleReq {
			m := k.fresh(func() string { a := k.account(); k.join(k.plainTeam(), "system-accounts", a); return a })
			return consoleReq{path: team(k.plainTeam()) + "/members/remove", form: url.Values{"member_id": {m}, "member_type": {"account"}}}
		}),
	}
}

// consoleWebhookCases are the pages of webhook destinations.
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
		page("GET", W+"/deliveries", "", cIDRead, shared("/deliveries")),
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

// consoleUserCases are the pages of users.
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
		page("GET", U+"/edit", "", cIDWrite, onPlain("/edit")),
		page("POST", U+"/edit", "", cIDWrite, func(k *consoleCell) consoleReq {
			return consoleReq{path: user(k.plainUser()) + "/edit", form: url.Values{"full_name": {k.name("renamed")}, "preferred_name": {"changed"}}}
		}),
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
		page("GET", U+"/tokens/{tid}/revoke", "another user", cIDWrite, func(k *consoleCell) consoleReq {
			id := keep(k.world, "console revoke confirmation", func() string { id, _ := k.pat(k.patOwner()); return id })
			return consoleReq{path: user(k.patOwnerID()) + "/tokens/" + id + "/revoke"}
		}),
		page("POST", U+"/tokens/{tid}/revoke", "another user", cIDWrite, func(k *consoleCell) consoleReq {
			id := k.fresh(func() string { id, _ := k.pat(k.patOwner()); return id })
			return consoleReq{path: user(k.patOwnerID()) + "/tokens/" + id + "/revoke"}
		}),
	}
}

// consoleHolderCases are the role and team pages of accounts, teams and
// users.
func consoleHolderCases() []consoleCase {
	// The entity id suggestions of the role form, whoever holds the role.
	cs := []consoleCase{
		page("GET", "/ui/roles/entity-ids", "", cIDWrite, show("/ui/roles/entity-ids?entity_type_name=Control+Planes")),
	}
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
			page("GET", base+"/roles/{rid}/delete", "", cIDWrite, func(k *consoleCell) consoleReq {
				p := keep(k.world, "console role confirmation "+kind, func() [2]string { id, api := holder(k); return [2]string{id, k.assign(api, cpViewerRole)} })
				return consoleReq{path: path(p[0]) + "/roles/" + p[1] + "/delete"}
			}),
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
			page("GET", base+"/teams/{tid}/remove", "", cIDWrite, func(k *consoleCell) consoleReq {
				id := keep(k.world, "console leave confirmation "+kind, func() string { id, _ := holder(k); k.join(k.plainTeam(), member, id); return id })
				return consoleReq{path: path(id) + "/teams/" + k.plainTeam() + "/remove"}
			}),
			page("POST", base+"/teams/{tid}/remove", "", cIDWrite, func(k *consoleCell) consoleReq {
				id := k.fresh(func() string { id, _ := holder(k); k.join(k.plainTeam(), member, id); return id })
				return consoleReq{path: path(id) + "/teams/" + k.plainTeam() + "/remove"}
			}))
	}
	return cs
}

// roleForm is the role form filled in with role.
func roleForm(role map[string]any) url.Values {
	f := url.Values{}
	for k, v := range role {
		f.Set(k, v.(string))
	}
	return f
}
