package matrix_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/matrix"
)

// Who may call what on the API: the policy of issue 10, written down
// here and nowhere derived from keyhold's own tables.
var (
	// saValid are the system accounts' usable tokens.
	saValid = []string{orgAdmin, orgAdminRO, analyticsViewer, cpViewer, identityAdmin, auditAdmin, introspector, scoped}
	// usersValid are the users' usable personal access tokens.
	usersValid = []string{adminUser, plainUser, identityUser}
	// valid is every usable token: what an authenticated route asks.
	valid = concat(saValid, usersValid)
	// everyone includes no credentials and unusable ones: the public
	// routes ignore credentials.
	everyone = concat(valid, []string{anon, netBound, disabled, expired, rotatedOut, deactivatedUser})
	// idRead may read identities: Organization Admin, its read-only twin,
	// Identity Admin; never a scoped token, which holds only its scope.
	idRead = []string{orgAdmin, orgAdminRO, identityAdmin, adminUser, identityUser}
	// idWrite may change identities.
	idWrite = []string{orgAdmin, identityAdmin, adminUser, identityUser}
	// orgAdmins alone may act as a principal in Organization Admin, or
	// hand out a role that an Identity Admin does not hold.
	orgAdmins = []string{orgAdmin, adminUser}
	// managers: a managed account is changed only by the principal that
	// made it, the Identity Admin account.
	managers = []string{identityAdmin}
	auditors = concat(idRead, []string{auditAdmin})
	// introspectors may ask about other tokens.
	introspectors = concat(idRead, []string{introspector})
	nobody        = []string{}

	// saSelf run the rows where a system account's token acts on its own
	// account; userSelf where a user acts on their own tokens.
	saSelf   = concat(saValid, []string{netBound, disabled, expired, rotatedOut})
	userSelf = concat(usersValid, []string{deactivatedUser})
)

func concat(a, b []string) []string { return append(slices.Clip(a), b...) }

// apiCase is one row of the API's matrix and how to call it.
type apiCase struct {
	matrix.Row
	call func(k *apiCell) apiReq
}

func row(method, path, target string, allow []string, call func(k *apiCell) apiReq) apiCase {
	return apiCase{Row: matrix.Row{Route: matrix.Route{Method: method, Path: path}, Target: target, Allow: allow}, call: call}
}

func (c apiCase) only(callers []string) apiCase { c.Only = callers; return c }

// apiReq is a request a row makes; the method is the row's.
type apiReq struct {
	path string
	body any
	// as are credentials other than the caller's own, for a token acting
	// on itself.
	as string
}

// apiCell is one caller on one row.
type apiCell struct {
	*world
	c       *apiCaller
	key     string
	allowed bool
}

// fresh returns a fixture for this call: made anew when the caller is
// expected to be let through, since the call may consume it; shared by
// the row's refused callers otherwise.
func (k *apiCell) fresh(mk func() string) string { return sharedFor(k.world, k.allowed, k.key, mk) }

func (k *apiCell) fresh2(mk func() [2]string) [2]string {
	return sharedFor(k.world, k.allowed, k.key, mk)
}

func get(path string) func(*apiCell) apiReq {
	return func(*apiCell) apiReq { return apiReq{path: path} }
}

const managedT = "managed account"

func desc(k *apiCell) map[string]any { return map[string]any{"description": k.name("changed")} }

// apiCases is every row of the API.
func apiCases() []apiCase {
	var cs []apiCase
	for _, v := range []string{"/v3", "/v2"} {
		cs = append(cs, accountCases(v)...)
	}
	cs = append(cs, teamCases()...)
	cs = append(cs, userCases()...)
	cs = append(cs, webhookCases()...)
	cs = append(cs, decisionCases()...)
	return append(cs,
		row("GET", "/v3/roles", "", valid, get("/v3/roles")),
		row("GET", "/v3/organizations/me", "", valid, get("/v3/organizations/me")),
		row("GET", "/v1/whoami", "", valid, get("/v1/whoami")),
		row("GET", "/v3/audit-events", "", auditors, get("/v3/audit-events")),
		row("GET", "/v1/tokens/expiring", "", idRead, get("/v1/tokens/expiring?within_days=5")),
		row("GET", "/v1/token-policy", "", idRead, get("/v1/token-policy")),
		row("PUT", "/v1/token-policy", "", idWrite, func(k *apiCell) apiReq {
			return apiReq{path: "/v1/token-policy", body: k.policy()}
		}),
		row("POST", "/v1/leak-reports", "", everyone, func(k *apiCell) apiReq {
			return apiReq{path: "/v1/leak-reports", body: map[string]any{"tokens": []string{"not a token at all"}}}
		}),
		row("GET", "/openapi.yaml", "", everyone, get("/openapi.yaml")),
		row("GET", "/healthz", "", everyone, get("/healthz")),
		row("GET", "/readyz", "", everyone, get("/readyz")),
		row("GET", "/metrics", "", everyone, get("/metrics")),
	)
}

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
		// A token rotates itself with no role at all.
		row("POST", T+"/rotate", "self", saValid, func(k *apiCell) apiReq {
			id, value := k.c.tokenID, k.c.token
			if k.c.fresh != nil {
				id, value = k.c.fresh()
			}
			return apiReq{path: tok(k.c.account, id) + "/rotate", as: value}
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

// Shared fixtures, made once and only read, or changed harmlessly.

func keep[T any](x *world, key string, mk func() T) T { return sharedFor(x, false, "keep: "+key, mk) }

func (x *world) plainAccount() string { return keep(x, "plain account", x.account) }

func (x *world) plainTokenPair() [2]string {
	return keep(x, "plain token", func() [2]string { id, v := x.mint(x.plainAccount()); return [2]string{id, v} })
}

func (x *world) plainToken() string      { return x.plainTokenPair()[0] }
func (x *world) plainTokenValue() string { return x.plainTokenPair()[1] }

// The assignments are on holders of their own: the plain account, team
// and user hold no role, so that acting on them gives nothing.

func (x *world) assignedAccount() string { return keep(x, "account with a role", x.account) }

func (x *world) plainAssignment() string {
	return keep(x, "plain assignment", func() string { return x.assign("/v3/system-accounts/"+x.assignedAccount(), cpViewerRole) })
}

func (x *world) orgAdminAccount() string {
	return keep(x, "Organization Admin account", func() string { return x.accountIn("Organization Admin") })
}

// owner is the token of the principal that manages the managed accounts.
func (x *world) owner() string { return x.apiCaller(identityAdmin).token }

func (x *world) managedAccount() string {
	return keep(x, "managed account", func() string { return x.managed(x.owner()) })
}

func (x *world) managedToken() string {
	return keep(x, "managed token", func() string { id, _ := x.mintAs(x.owner(), x.managedAccount(), nil); return id })
}

func (x *world) plainTeam() string { return keep(x, "plain team", x.team) }

func (x *world) assignedTeam() string { return keep(x, "team with a role", x.team) }

func (x *world) teamAssignment() string {
	return keep(x, "team assignment", func() string { return x.assign("/v3/teams/"+x.assignedTeam(), cpViewerRole) })
}

func (x *world) plainUser() string { return keep(x, "plain user", x.user) }

func (x *world) orgAdminUser() string {
	return keep(x, "Organization Admin user", func() string { return x.userIn("Organization Admin") })
}

func (x *world) assignedUser() string { return keep(x, "user with a role", x.user) }

func (x *world) userAssignment() string {
	return keep(x, "user assignment", func() string { return x.assign("/v3/users/"+x.assignedUser(), cpViewerRole) })
}

// patOwner is another user with a personal access token, made in the
// console as they would: id, token, token id.
func (x *world) patOwnerAll() [3]string {
	return keep(x, "PAT owner", func() [3]string {
		n := x.name("owner")
		id := x.id(x.must(201, "POST", "/v3/users", x.admin, map[string]any{"email": n + "@example.com"}))
		x.setPassword(id)
		pat := x.firstPAT(x.signIn(n + "@example.com"))
		_, tid := x.whoami(pat)
		return [3]string{id, pat, tid}
	})
}

func (x *world) patOwnerID() string           { return x.patOwnerAll()[0] }
func (x *world) patOwner() (user, pat string) { p := x.patOwnerAll(); return p[0], p[1] }
func (x *world) patOwnerTokenID() string      { return x.patOwnerAll()[2] }
func (x *world) sharedHook() string {
	return keep(x, "webhook", func() string { return x.webhook(nil) })
}
func (x *world) apiCaller(name string) *apiCaller      { return x.apiByName[name] }
func (x *world) consoleCaller(n string) *consoleCaller { return x.consoleByName[n] }

// autoRotatedHook is an enabled destination of token.auto_rotated of the
// Organization Admin account.
func (x *world) autoRotatedHook() string {
	return keep(x, "auto-rotated hook", func() string {
		return x.webhook(map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": x.orgAdminAccount()})
	})
}

// autoRotated returns a destination of token.auto_rotated of account and
// a delivery to it that has been attempted, so that it may be delivered
// again: account has an auto-rotate token that came due while the clock
// moved on (see callers).
func (x *world) autoRotated(account string) [2]string {
	all := keep(x, "auto-rotated deliveries", func() map[string][2]string {
		hooks := map[string]string{}
		for _, a := range []string{x.plainAccount(), x.orgAdminAccount()} {
			hooks[a] = x.webhook(map[string]any{"event_types": []string{keyhold.EventTokenAutoRotated}, "system_account_id": a})
		}
		x.e.Service.RunJobs(x.t.Context())
		out := map[string][2]string{}
		for a, h := range hooks {
			var l struct {
				Data []struct {
					ID        string
					EventType string `json:"event_type"`
				}
			}
			x.decode(x.must(200, "GET", "/v1/webhooks/"+h+"/deliveries", x.admin, nil), &l)
			for _, d := range l.Data {
				if d.EventType == keyhold.EventTokenAutoRotated {
					out[a] = [2]string{h, d.ID}
				}
			}
			if out[a][1] == "" {
				x.t.Fatalf("no token.auto_rotated delivery for %s: %+v", a, l.Data)
			}
		}
		return out
	})
	// A redelivery is refused while the delivery is pending: attempt it.
	if _, err := x.e.Service.DeliverWebhooks(x.t.Context()); err != nil {
		x.t.Fatal(err)
	}
	return all[account]
}

// policy is the token policy in force, to put back unchanged.
func (x *world) policy() map[string]any {
	return keep(x, "policy", func() map[string]any {
		var p map[string]any
		x.decode(x.must(200, "GET", "/v1/token-policy", x.admin, nil), &p)
		out := map[string]any{}
		for _, k := range []string{"max_lifetime_seconds", "default_lifetime_seconds", "allow_non_expiring"} {
			out[k] = p[k]
		}
		return out
	})
}

// runAPI calls every row as every caller it applies to.
func runAPI(x *world, cases []apiCase, callers []*apiCaller) map[matrix.Cell]matrix.Outcome {
	out := map[matrix.Cell]matrix.Outcome{}
	for _, cs := range cases {
		for _, c := range callers {
			if !cs.AppliesTo(c.name) {
				continue
			}
			k := &apiCell{world: x, c: c, key: cs.Key(), allowed: cs.Want(c.name) == matrix.Allow}
			r := cs.call(k)
			token := c.token
			if r.as != "" {
				token = r.as
			}
			o := apiOutcome(x.call(cs.Method, r.path, token, r.body))
			if o.Got == matrix.Allow && !k.allowed {
				delete(x.shared, k.key) // consumed, perhaps: the next refused caller gets its own
			}
			out[matrix.Cell{Row: cs.Key(), Caller: c.name}] = o
		}
	}
	return out
}

// apiOutcome reads a decision from an answer: let through is 2xx or 3xx.
func apiOutcome(r reply) matrix.Outcome {
	o := matrix.Outcome{Status: r.status, Got: matrix.Other}
	switch {
	case r.status >= 200 && r.status < 400:
		o.Got = matrix.Allow
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		o.Got = matrix.Deny
	}
	var p struct{ Detail string }
	if json.Unmarshal(r.body, &p) == nil && p.Detail != "" {
		o.Detail = p.Detail
	} else if o.Got != matrix.Allow {
		o.Detail = strings.TrimSpace(string(r.body[:min(len(r.body), 160)]))
	}
	return o
}
