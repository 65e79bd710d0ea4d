package matrix_test

import (
	"net/url"
	"time"

	"github.com/keyhold/keyhold"
)

// accountCases are the rows of system accounts, their tokens and roles,
// under v ("/v3" or "/v2").
func accountCases(v string) []apiCase {
	sa := v + "/system-accounts"
	A, T, R := sa+"/{accountId}", sa+"/{accountId}/access-tokens/{tokenId}", sa+"/{accountId}/assigned-roles/{roleId}"
	acct := func(id string) string { return sa + "/" + id }
	tok := func(a, t string) string { return acct(a) + "/access-tokens/" + t }
	mintFor := func(account func(*apiCell) string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq { return apiReq{path: acct(account(k)) + "/access-tokens", body: k.tokenBody()} }
	}
	// tokenOn makes a token on a fresh account of mkAccount's kind.
	tokenOn := func(mkAccount func(*apiCell) string, mint func(k *apiCell, a string) string, suffix string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			p := k.fresh2(func() [2]string { a := mkAccount(k); return [2]string{a, mint(k, a)} })
			return apiReq{path: tok(p[0], p[1]) + suffix}
		}
	}
	byAdmin := func(k *apiCell, a string) string { id, _ := k.mint(a); return id }
	byOwner := func(k *apiCell, a string) string { id, _ := k.mintAs(k.owner(), a, nil); return id }
	plain := func(k *apiCell) string { return k.account() }
	inOrgAdmin := func(k *apiCell) string { return k.accountIn("Organization Admin") }
	managed := func(k *apiCell) string { return k.managed(k.owner()) }
	disabledOf := func(mk func(*apiCell) string, by func(*apiCell) string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			a := k.fresh(func() string {
				a := mk(k)
				k.must(200, "POST", acct(a)+"/disable", by(k), nil)
				return a
			})
			return apiReq{path: acct(a) + "/enable"}
		}
	}
	admin := func(k *apiCell) string { return k.admin }
	owner := func(k *apiCell) string { return k.owner() }
	assignTo := func(mk func(*apiCell) string, role map[string]any) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			return apiReq{path: acct(k.fresh(func() string { return mk(k) })) + "/assigned-roles", body: role}
		}
	}
	unassign := func(mk func(*apiCell) string, by func(*apiCell) string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			p := k.fresh2(func() [2]string {
				a := mk(k)
				return [2]string{a, k.assignAs(by(k), acct(a), identityAdminRole)}
			})
			return apiReq{path: acct(p[0]) + "/assigned-roles/" + p[1]}
		}
	}
	freshAccount := func(mk func(*apiCell) string, suffix string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq { return apiReq{path: acct(k.fresh(func() string { return mk(k) })) + suffix} }
	}
	return []apiCase{
		row("GET", sa, "", idRead, get(sa)),
		row("POST", sa, "", idWrite, func(k *apiCell) apiReq { return apiReq{path: sa, body: k.accountBody()} }),
		row("GET", A, "", idRead, func(k *apiCell) apiReq { return apiReq{path: acct(k.plainAccount())} }),
		row("PATCH", A, "", idWrite, func(k *apiCell) apiReq { return apiReq{path: acct(k.plainAccount()), body: desc(k)} }),
		row("PATCH", A, managedT, managers, func(k *apiCell) apiReq { return apiReq{path: acct(k.managedAccount()), body: desc(k)} }),
		row("DELETE", A, "", idWrite, freshAccount(plain, "")),
		row("DELETE", A, managedT, managers, freshAccount(managed, "")),
		row("POST", A+"/disable", "", idWrite, freshAccount(plain, "/disable")),
		row("POST", A+"/disable", managedT, managers, freshAccount(managed, "/disable")),
		row("POST", A+"/enable", "no roles", idWrite, disabledOf(plain, admin)),
		row("POST", A+"/enable", "in Organization Admin", orgAdmins, disabledOf(inOrgAdmin, admin)),
		row("POST", A+"/enable", managedT, managers, disabledOf(managed, owner)),

		row("GET", A+"/access-tokens", "", idRead, func(k *apiCell) apiReq { return apiReq{path: acct(k.plainAccount()) + "/access-tokens"} }),
		row("POST", A+"/access-tokens", "no roles", idWrite, mintFor(func(k *apiCell) string { return k.plainAccount() })),
		row("POST", A+"/access-tokens", "in Organization Admin", orgAdmins, mintFor(func(k *apiCell) string { return k.orgAdminAccount() })),
		row("POST", A+"/access-tokens", managedT, managers, mintFor(func(k *apiCell) string { return k.managedAccount() })),
		// A system account may not mint for itself; rotation renews it.
		row("POST", A+"/access-tokens", "self", nobody, mintFor(func(k *apiCell) string { return k.c.account })).only(saSelf),
		row("GET", T, "", idRead, func(k *apiCell) apiReq { return apiReq{path: tok(k.plainAccount(), k.plainToken())} }),
		row("PATCH", T, "", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: tok(k.plainAccount(), k.plainToken()), body: map[string]any{"name": k.name("renamed")}}
		}),
		row("PATCH", T, managedT, managers, func(k *apiCell) apiReq {
			return apiReq{path: tok(k.managedAccount(), k.managedToken()), body: map[string]any{"name": k.name("renamed")}}
		}),
		row("DELETE", T, "", idWrite, tokenOn(plain, byAdmin, "")),
		row("DELETE", T, managedT, managers, tokenOn(managed, byOwner, "")),
		row("POST", T+"/rotate", "no roles", idWrite, tokenOn(plain, byAdmin, "/rotate")),
		row("POST", T+"/rotate", "in Organization Admin", orgAdmins, tokenOn(inOrgAdmin, byAdmin, "/rotate")),
		row("POST", T+"/rotate", managedT, managers, tokenOn(managed, byOwner, "/rotate")),
		// A token rotates itself with no role at all; so does an app
		// password, which may do nothing else.
		row("POST", T+"/rotate", "self", concat(saValid, []string{appPassword}), func(k *apiCell) apiReq {
			id, value := k.c.tokenID, k.c.token
			if k.c.fresh != nil {
				id, value = k.c.fresh()
			}
			return apiReq{path: tok(k.c.account, id) + "/rotate", as: value}
		}).only(saSelf),
		// Nor does it rotate another token of its account: that would mint
		// for itself.
		row("POST", T+"/rotate", "a sibling of self", nobody, func(k *apiCell) apiReq {
			id, _ := k.mint(k.c.account)
			return apiReq{path: tok(k.c.account, id) + "/rotate"}
		}).only(saSelf),

		row("GET", A+"/assigned-roles", "", idRead, func(k *apiCell) apiReq { return apiReq{path: acct(k.plainAccount()) + "/assigned-roles"} }),
		row("POST", A+"/assigned-roles", "Admin on Identity", idWrite, assignTo(plain, identityAdminRole)),
		row("POST", A+"/assigned-roles", "Viewer on Control Planes", orgAdmins, assignTo(plain, cpViewerRole)),
		row("POST", A+"/assigned-roles", managedT, managers, assignTo(managed, identityAdminRole)),
		row("GET", R, "", idRead, func(k *apiCell) apiReq {
			return apiReq{path: acct(k.assignedAccount()) + "/assigned-roles/" + k.plainAssignment()}
		}),
		row("DELETE", R, "", idWrite, unassign(plain, admin)),
		row("DELETE", R, managedT, managers, unassign(managed, owner)),
		row("GET", A+"/teams", "", idRead, func(k *apiCell) apiReq { return apiReq{path: acct(k.plainAccount()) + "/teams"} }),
	}
}

// teamCases are the rows of teams, their members and roles.
func teamCases() []apiCase {
	const tm = "/v3/teams"
	TM := tm + "/{teamId}"
	team := func(id string) string { return tm + "/" + id }
	addTo := func(teamOf func(*apiCell) string, kind string, mk func(*apiCell) string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			return apiReq{path: team(teamOf(k)) + "/" + kind, body: map[string]any{"id": k.fresh(func() string { return mk(k) })}}
		}
	}
	plainTeam := func(k *apiCell) string { return k.plainTeam() }
	predefined := func(name string) func(*apiCell) string { return func(k *apiCell) string { return k.teams[name] } }
	newAccount := func(k *apiCell) string { return k.account() }
	newUser := func(k *apiCell) string { return k.user() }
	removeFrom := func(kind string, mk func(*apiCell) string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			m := k.fresh(func() string { m := mk(k); k.join(k.plainTeam(), kind, m); return m })
			return apiReq{path: team(k.plainTeam()) + "/" + kind + "/" + m}
		}
	}
	assignTo := func(role map[string]any) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq { return apiReq{path: team(k.fresh(k.team)) + "/assigned-roles", body: role} }
	}
	return []apiCase{
		row("GET", tm, "", idRead, get(tm)),
		row("POST", tm, "", idWrite, func(k *apiCell) apiReq { return apiReq{path: tm, body: map[string]any{"name": k.name("team")}} }),
		row("GET", TM, "", idRead, func(k *apiCell) apiReq { return apiReq{path: team(k.plainTeam())} }),
		row("PATCH", TM, "", idWrite, func(k *apiCell) apiReq { return apiReq{path: team(k.plainTeam()), body: desc(k)} }),
		row("DELETE", TM, "", idWrite, func(k *apiCell) apiReq { return apiReq{path: team(k.fresh(k.team))} }),
		row("GET", TM+"/system-accounts", "", idRead, func(k *apiCell) apiReq { return apiReq{path: team(k.plainTeam()) + "/system-accounts"} }),
		row("POST", TM+"/system-accounts", "a team without roles", idWrite, addTo(plainTeam, "system-accounts", newAccount)),
		row("POST", TM+"/system-accounts", "Organization Admin", orgAdmins, addTo(predefined("Organization Admin"), "system-accounts", newAccount)),
		row("POST", TM+"/system-accounts", "Organization Admin (Read Only)", orgAdmins, addTo(predefined("Organization Admin (Read Only)"), "system-accounts", newAccount)),
		row("DELETE", TM+"/system-accounts/{accountId}", "", idWrite, removeFrom("system-accounts", newAccount)),
		row("GET", TM+"/users", "", idRead, func(k *apiCell) apiReq { return apiReq{path: team(k.plainTeam()) + "/users"} }),
		row("POST", TM+"/users", "a team without roles", idWrite, addTo(plainTeam, "users", newUser)),
		row("POST", TM+"/users", "Organization Admin", orgAdmins, addTo(predefined("Organization Admin"), "users", newUser)),
		row("DELETE", TM+"/users/{userId}", "", idWrite, removeFrom("users", newUser)),
		row("GET", TM+"/assigned-roles", "", idRead, func(k *apiCell) apiReq { return apiReq{path: team(k.plainTeam()) + "/assigned-roles"} }),
		row("POST", TM+"/assigned-roles", "Admin on Identity", idWrite, assignTo(identityAdminRole)),
		row("POST", TM+"/assigned-roles", "Viewer on Control Planes", orgAdmins, assignTo(cpViewerRole)),
		row("GET", TM+"/assigned-roles/{roleId}", "", idRead, func(k *apiCell) apiReq {
			return apiReq{path: team(k.assignedTeam()) + "/assigned-roles/" + k.teamAssignment()}
		}),
		row("DELETE", TM+"/assigned-roles/{roleId}", "", idWrite, func(k *apiCell) apiReq {
			p := k.fresh2(func() [2]string { t := k.team(); return [2]string{t, k.assign(team(t), cpViewerRole)} })
			return apiReq{path: team(p[0]) + "/assigned-roles/" + p[1]}
		}),
	}
}

// userCases are the rows of users, their roles and personal access
// tokens.
func userCases() []apiCase {
	U := "/v3/users/{userId}"
	P, PT := U+"/access-tokens", U+"/access-tokens/{tokenId}"
	user := func(id string) string { return "/v3/users/" + id }
	assignTo := func(role map[string]any) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq { return apiReq{path: user(k.fresh(k.user)) + "/assigned-roles", body: role} }
	}
	patBody := func(k *apiCell) map[string]any {
		return map[string]any{"name": k.name("pat"), "ttl_seconds": 7 * 24 * 3600}
	}
	rename := func(k *apiCell) map[string]any { return map[string]any{"name": k.name("renamed")} }
	// own is one of the caller's own tokens: a fresh one when it may be
	// consumed and the caller can make one.
	own := func(k *apiCell, consumed bool) string {
		if consumed && k.c.fresh != nil {
			id, _ := k.c.fresh()
			return id
		}
		return k.c.tokenID
	}
	// other is a token of another user: fresh for a caller that may
	// consume it.
	other := func(k *apiCell) string {
		return k.fresh(func() string { id, _ := k.pat(k.patOwner()); return id })
	}
	return []apiCase{
		row("GET", "/v3/users", "", idRead, get("/v3/users")),
		row("POST", "/v3/users", "", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: "/v3/users", body: map[string]any{"email": k.name("new") + "@example.com"}}
		}),
		row("GET", "/v3/users/me", "", usersValid, get("/v3/users/me")),
		row("GET", U, "", idRead, func(k *apiCell) apiReq { return apiReq{path: user(k.plainUser())} }),
		row("PATCH", U, "", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: user(k.plainUser()), body: map[string]any{"full_name": k.name("renamed")}}
		}),
		row("DELETE", U, "", idWrite, func(k *apiCell) apiReq { return apiReq{path: user(k.fresh(k.user))} }),
		// A setup link is the user's password.
		row("POST", U+"/setup-link", "no roles", idWrite, func(k *apiCell) apiReq { return apiReq{path: user(k.plainUser()) + "/setup-link"} }),
		row("POST", U+"/setup-link", "in Organization Admin", orgAdmins, func(k *apiCell) apiReq {
			return apiReq{path: user(k.orgAdminUser()) + "/setup-link"}
		}),
		row("GET", U+"/teams", "", idRead, func(k *apiCell) apiReq { return apiReq{path: user(k.plainUser()) + "/teams"} }),
		row("GET", U+"/assigned-roles", "", idRead, func(k *apiCell) apiReq { return apiReq{path: user(k.plainUser()) + "/assigned-roles"} }),
		row("POST", U+"/assigned-roles", "Admin on Identity", idWrite, assignTo(identityAdminRole)),
		row("POST", U+"/assigned-roles", "Viewer on Control Planes", orgAdmins, assignTo(cpViewerRole)),
		row("GET", U+"/assigned-roles/{roleId}", "", idRead, func(k *apiCell) apiReq {
			return apiReq{path: user(k.assignedUser()) + "/assigned-roles/" + k.userAssignment()}
		}),
		row("DELETE", U+"/assigned-roles/{roleId}", "", idWrite, func(k *apiCell) apiReq {
			p := k.fresh2(func() [2]string { u := k.user(); return [2]string{u, k.assign(user(u), cpViewerRole)} })
			return apiReq{path: user(p[0]) + "/assigned-roles/" + p[1]}
		}),

		// Personal access tokens: the user's own; identity admins may read
		// and revoke anyone's, and mint, rename or delete no one's.
		row("GET", P, "self", usersValid, func(k *apiCell) apiReq { return apiReq{path: user(k.c.user) + "/access-tokens"} }).only(userSelf),
		row("GET", P, "another user", idRead, func(k *apiCell) apiReq { return apiReq{path: user(k.patOwnerID()) + "/access-tokens"} }),
		row("POST", P, "self", usersValid, func(k *apiCell) apiReq { return apiReq{path: user(k.c.user) + "/access-tokens", body: patBody(k)} }).only(userSelf),
		row("POST", P, "another user", nobody, func(k *apiCell) apiReq {
			return apiReq{path: user(k.patOwnerID()) + "/access-tokens", body: patBody(k)}
		}),
		row("GET", PT, "self", usersValid, func(k *apiCell) apiReq {
			return apiReq{path: user(k.c.user) + "/access-tokens/" + own(k, false)}
		}).only(userSelf),
		row("GET", PT, "another user", idRead, func(k *apiCell) apiReq {
			return apiReq{path: user(k.patOwnerID()) + "/access-tokens/" + k.patOwnerTokenID()}
		}),
		row("PATCH", PT, "self", usersValid, func(k *apiCell) apiReq {
			return apiReq{path: user(k.c.user) + "/access-tokens/" + own(k, false), body: rename(k)}
		}).only(userSelf),
		row("PATCH", PT, "another user", nobody, func(k *apiCell) apiReq {
			return apiReq{path: user(k.patOwnerID()) + "/access-tokens/" + k.patOwnerTokenID(), body: rename(k)}
		}),
		row("DELETE", PT, "self", usersValid, func(k *apiCell) apiReq {
			return apiReq{path: user(k.c.user) + "/access-tokens/" + own(k, true)}
		}).only(userSelf),
		row("DELETE", PT, "another user", nobody, func(k *apiCell) apiReq {
			return apiReq{path: user(k.patOwnerID()) + "/access-tokens/" + other(k)}
		}),
		row("PATCH", PT+"/revoke", "self", usersValid, func(k *apiCell) apiReq {
			return apiReq{path: user(k.c.user) + "/access-tokens/" + own(k, true) + "/revoke"}
		}).only(userSelf),
		row("PATCH", PT+"/revoke", "another user", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: user(k.patOwnerID()) + "/access-tokens/" + other(k) + "/revoke"}
		}),
		row("POST", "/v3/invites", "", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: "/v3/invites", body: map[string]any{"email": k.name("invited") + "@example.com"}}
		}),
	}
}

// webhookCases are the rows of webhook destinations.
func webhookCases() []apiCase {
	const wh = "/v1/webhooks"
	W := wh + "/{webhookId}"
	hook := func(id string) string { return wh + "/" + id }
	create := func(account func(*apiCell) string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			b := map[string]any{"name": k.name("hook"), "url": k.hook, "event_types": []string{keyhold.EventTokenExpiring}}
			if account != nil {
				b["event_types"], b["system_account_id"] = []string{keyhold.EventTokenAutoRotated}, account(k)
			}
			return apiReq{path: wh, body: b}
		}
	}
	freshHook := func(suffix string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq {
			return apiReq{path: hook(k.fresh(func() string { return k.webhook(nil) })) + suffix}
		}
	}
	shared := func(suffix string) func(*apiCell) apiReq {
		return func(k *apiCell) apiReq { return apiReq{path: hook(k.sharedHook()) + suffix} }
	}
	return []apiCase{
		row("GET", wh, "", idRead, get(wh)),
		row("POST", wh, "", idWrite, create(nil)),
		// A destination of token.auto_rotated receives the account's new
		// tokens.
		row("POST", wh, "token.auto_rotated of an account without roles", idWrite, create(func(k *apiCell) string { return k.plainAccount() })),
		row("POST", wh, "token.auto_rotated of an Organization Admin account", orgAdmins, create(func(k *apiCell) string { return k.orgAdminAccount() })),
		// Never of the caller's own account: that would mint for itself.
		row("POST", wh, "token.auto_rotated of self", nobody, create(func(k *apiCell) string { return k.c.account })).only(saSelf),
		row("GET", W, "", idRead, shared("")),
		row("PATCH", W, "", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: hook(k.sharedHook()), body: map[string]any{"name": k.name("hook")}}
		}),
		row("PATCH", W, "to token.auto_rotated of an Organization Admin account", orgAdmins, func(k *apiCell) apiReq {
			return apiReq{path: hook(k.fresh(func() string { return k.webhook(nil) })),
				body: map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": k.orgAdminAccount()}}
		}),
		// Enabling a destination of token.auto_rotated, or pointing it
		// elsewhere, hands it the account's next tokens; renaming does not.
		row("PATCH", W, "enable a destination of token.auto_rotated of an Organization Admin account", orgAdmins, func(k *apiCell) apiReq {
			h := k.fresh(func() string {
				return k.webhook(map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": k.orgAdminAccount(), "enabled": false})
			})
			return apiReq{path: hook(h), body: map[string]any{"enabled": true}}
		}),
		row("PATCH", W, "rename a destination of token.auto_rotated of an Organization Admin account", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: hook(k.autoRotatedHook()), body: map[string]any{"name": k.name("hook")}}
		}),
		row("DELETE", W, "", idWrite, freshHook("")),
		row("POST", W+"/rotate-secret", "", idWrite, shared("/rotate-secret")),
		row("POST", W+"/test", "", idWrite, shared("/test")),
		row("GET", W+"/deliveries", "", idRead, shared("/deliveries")),
		row("POST", W+"/deliveries/{deliveryId}/redeliver", "", idWrite, func(k *apiCell) apiReq {
			p := k.fresh2(func() [2]string { h := k.webhook(nil); return [2]string{h, k.delivered(h)} })
			return apiReq{path: hook(p[0]) + "/deliveries/" + p[1] + "/redeliver"}
		}),
		// Each attempt of a token.auto_rotated delivery mints a successor.
		row("POST", W+"/deliveries/{deliveryId}/redeliver", "token.auto_rotated of an account without roles", idWrite, func(k *apiCell) apiReq {
			p := k.autoRotated(k.plainAccount())
			return apiReq{path: hook(p[0]) + "/deliveries/" + p[1] + "/redeliver"}
		}),
		row("POST", W+"/deliveries/{deliveryId}/redeliver", "token.auto_rotated of an Organization Admin account", orgAdmins, func(k *apiCell) apiReq {
			p := k.autoRotated(k.orgAdminAccount())
			return apiReq{path: hook(p[0]) + "/deliveries/" + p[1] + "/redeliver"}
		}),
	}
}

// decisionCases are the decision surfaces. /v1/authorize answers every
// method: 200 for any usable token when no role is asked.
func decisionCases() []apiCase {
	var cs []apiCase
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		cs = append(cs,
			row(m, "/v1/authorize", "", valid, get("/v1/authorize")),
			row(m, "/v1/authorize/{rest...}", "", valid, get("/v1/authorize/orders/42?page=2")))
	}
	subject := func(k *apiCell) string { return k.plainTokenValue() }
	return append(cs,
		row("GET", "/v1/authorize", "asks Viewer on a control plane", []string{cpViewer, scoped},
			get("/v1/authorize?role_name=Viewer&entity_type_name=Control%20Planes&entity_id=cp-1&entity_region=us")),
		row("POST", "/v1/check", "", introspectors, func(k *apiCell) apiReq {
			return apiReq{path: "/v1/check", body: map[string]any{"token": subject(k), "checks": []any{cpViewerRole}}}
		}),
		row("POST", "/oauth2/introspect", "", introspectors, func(k *apiCell) apiReq {
			return apiReq{path: "/oauth2/introspect", body: url.Values{"token": {subject(k)}}}
		}),
	)
}

// auditExportCases are the rows of the audit trail's export: Konnect's
// audit_logs Admin, which keyhold grants Organization Admin and the Audit
// Logs Admin role; never identity admins or the read-only twin.
func auditExportCases() []apiCase {
	const ad = "/v2/audit-log-destinations"
	D := ad + "/{auditLogDestinationId}"
	dest := func(id string) string { return ad + "/" + id }
	shared := func(k *apiCell) string { return dest(k.sharedAuditDestination()) }
	return []apiCase{
		row("GET", ad, "", auditAdmins, get(ad+"?filter[name][contains]=siem")),
		row("POST", ad, "", auditAdmins, func(k *apiCell) apiReq {
			return apiReq{path: ad, body: map[string]any{"name": k.name("siem"), "endpoint": k.hook, "authorization": "Bearer matrix", "enabled": false}}
		}),
		row("GET", D, "", auditAdmins, func(k *apiCell) apiReq { return apiReq{path: shared(k)} }),
		row("PATCH", D, "", auditAdmins, func(k *apiCell) apiReq {
			return apiReq{path: shared(k), body: map[string]any{"name": k.name("siem"), "log_format": "json"}}
		}),
		row("DELETE", D, "", auditAdmins, func(k *apiCell) apiReq {
			return apiReq{path: dest(k.fresh(func() string { return k.auditDestination() }))}
		}),
		row("GET", "/v2/audit-log-webhook", "", auditAdmins, get("/v2/audit-log-webhook")),
		row("PATCH", "/v2/audit-log-webhook", "", auditAdmins, func(k *apiCell) apiReq {
			return apiReq{path: "/v2/audit-log-webhook", body: map[string]any{"endpoint": k.hook, "enabled": false, "log_format": "json"}}
		}),
		row("GET", "/v2/audit-log-webhook/status", "", auditAdmins, get("/v2/audit-log-webhook/status")),
		row("GET", "/v2/audit-log-replay-job", "", auditAdmins, get("/v2/audit-log-replay-job")),
		// Each allowed caller's job must find none running: the rows run
		// the job to its end before the next call.
		row("PUT", "/v2/audit-log-replay-job", "", auditAdmins, func(k *apiCell) apiReq {
			k.finishReplay()
			end := k.e.Clock.Now()
			return apiReq{path: "/v2/audit-log-replay-job", body: map[string]any{
				"start_at": end.Add(-time.Hour).Format(time.RFC3339), "end_at": end.Format(time.RFC3339)}}
		}),
	}
}
