package matrix_test

import (
	"net/http"
	"net/url"
	"time"
)

// The kinds of caller. The API and the console share the names of the
// same kinds of principal: on the API most are system accounts with a
// token, on the console users with a session.
const (
	anon            = "anonymous"
	orgAdmin        = "Organization Admin member"
	orgAdminRO      = "Organization Admin (Read Only) member"
	analyticsViewer = "Analytics Viewer member"
	cpViewer        = "Viewer on Control Planes"
	identityAdmin   = "Identity Admin"
	auditAdmin      = "Audit Logs Admin"
	introspector    = "Token Introspector"
	appPassword     = "app password"
	scoped          = "scoped token"
	netBound        = "network-bound token"
	disabled        = "disabled account"
	expired         = "expired token"
	rotatedOut      = "rotated-out token"
	adminUser       = "admin user's PAT"
	plainUser       = "plain user"
	identityUser    = "Identity Admin user's PAT"
	deactivatedUser = "deactivated user"
	expiredSession  = "expired session"
)

// apiCaller is a kind of caller of the API.
type apiCaller struct {
	name    string
	token   string // "" for none
	tokenID string
	account string // its system account, for a system account's token
	user    string // its user, for a personal access token
	deny    int    // the status it gets when refused
	// fresh mints another token like the caller's own, as the admin (for a
	// system account) or as the user, for a case that consumes the token
	// it is called with; nil when the caller cannot get one, and is
	// refused with its own.
	fresh func() (id, value string)
}

// consoleCaller is a kind of caller of the console.
type consoleCaller struct {
	name    string
	user    string // "" for anonymous
	email   string
	session string // the session cookie; "" for none
	csrf    string // the session's form token
	pre     string // a pre-session cookie, the token of the public forms
	pat     string // a personal access token of the user, to make fixtures as them
	deny    int
}

// callers makes every kind of caller of both surfaces. It moves the clock
// 13 hours on, past the expired token's expiry, the rotated-out token's
// overlap and the expired session's lifetime (12 hours); everything else
// is made to outlive that.
func callers(x *world) ([]*apiCaller, []*consoleCaller) {
	t := x.t
	t.Helper()
	sa := func(name, account string, extra map[string]any, deny int) *apiCaller {
		id, v := x.mintAs(x.admin, account, extra)
		return &apiCaller{name: name, token: v, tokenID: id, account: account, deny: deny,
			fresh: func() (string, string) { return x.mintAs(x.admin, account, extra) }}
	}
	withRoles := func(account string, roles ...map[string]any) string {
		for _, r := range roles {
			x.assign("/v3/system-accounts/"+account, r)
		}
		return account
	}
	api := []*apiCaller{
		{name: anon, deny: http.StatusUnauthorized},
		sa(orgAdmin, x.accountIn("Organization Admin"), nil, http.StatusForbidden),
		sa(orgAdminRO, x.accountIn("Organization Admin (Read Only)"), nil, http.StatusForbidden),
		sa(analyticsViewer, x.accountIn("Analytics Viewer"), nil, http.StatusForbidden),
		sa(cpViewer, withRoles(x.account(), cpViewerRole), nil, http.StatusForbidden),
		sa(identityAdmin, withRoles(x.account(), identityAdminRole), nil, http.StatusForbidden),
		sa(auditAdmin, withRoles(x.account(), auditAdminRole), nil, http.StatusForbidden),
		sa(introspector, withRoles(x.account(), introspectorRole), nil, http.StatusForbidden),
		// An Identity Admin account's token scoped to one narrow role.
		sa(scoped, withRoles(x.account(), identityAdminRole, cpViewerRole), map[string]any{"scope": []any{cpViewerRole}}, http.StatusForbidden),
	}
	// Tokens that would do anything, but for their state or restriction.
	bound := sa(netBound, x.accountIn("Organization Admin"), map[string]any{"allowed_cidrs": []string{"192.0.2.0/24"}}, http.StatusForbidden)
	off := sa(disabled, x.accountIn("Organization Admin"), nil, http.StatusUnauthorized)
	x.must(200, "POST", "/v3/system-accounts/"+off.account+"/disable", x.admin, nil)
	exp := sa(expired, x.accountIn("Organization Admin"), map[string]any{"expires_at": x.e.Clock.Now().Add(time.Hour).Format(time.RFC3339)}, http.StatusUnauthorized)
	rot := sa(rotatedOut, x.accountIn("Organization Admin"), nil, http.StatusUnauthorized)
	x.must(201, "POST", "/v3/system-accounts/"+rot.account+"/access-tokens/"+rot.tokenID+"/rotate", x.admin, map[string]any{"overlap_seconds": 60})
	for _, c := range []*apiCaller{bound, off, exp, rot} {
		c.fresh = nil
		api = append(api, c)
	}
	// An app password of an Organization Admin account: it binds to the
	// LDAP directory and is refused (401) everywhere else on the API,
	// but for rotating itself.
	api = append(api, sa(appPassword, x.accountIn("Organization Admin"), map[string]any{"intent": "app_password"}, http.StatusUnauthorized))

	// Users, each with the matrix password.
	type person struct{ id, email string }
	newUser := func(team string, roles ...map[string]any) person {
		n := x.name("user")
		p := person{email: n + "@example.com"}
		p.id = x.id(x.must(201, "POST", "/v3/users", x.admin, map[string]any{"email": p.email, "full_name": n}))
		if team != "" {
			x.join(x.teams[team], "users", p.id)
		}
		for _, r := range roles {
			x.assign("/v3/users/"+p.id, r)
		}
		x.setPassword(p.id)
		return p
	}
	x.setPassword(x.e.AdminID)
	admin := person{x.e.AdminID, "admin@example.com"}
	people := map[string]person{
		orgAdmin:        admin,
		orgAdminRO:      newUser("Organization Admin (Read Only)"),
		analyticsViewer: newUser("Analytics Viewer"),
		cpViewer:        newUser("", cpViewerRole),
		identityAdmin:   newUser("", identityAdminRole),
		auditAdmin:      newUser("", auditAdminRole),
		introspector:    newUser("", introspectorRole),
		plainUser:       newUser(""),
		deactivatedUser: newUser("Organization Admin"),
		expiredSession:  newUser("Organization Admin"),
	}
	stale := x.signIn(people[expiredSession].email)
	// Auto-rotate tokens that come due while the clock moves on (their
	// lead is half their lifetime), for the deliveries of
	// token.auto_rotated that the redeliver rows send again.
	for _, a := range []string{x.plainAccount(), x.orgAdminAccount()} {
		x.mintAs(x.admin, a, map[string]any{"auto_rotate": true, "expires_at": x.e.Clock.Now().Add(20 * time.Hour).Format(time.RFC3339)})
	}
	x.e.Clock.Advance(13 * time.Hour)

	console := []*consoleCaller{{name: anon, deny: http.StatusSeeOther, pre: x.preSession()}}
	for _, name := range []string{orgAdmin, orgAdminRO, analyticsViewer, cpViewer, identityAdmin, auditAdmin, introspector, plainUser, deactivatedUser} {
		p := people[name]
		c := &consoleCaller{name: name, user: p.id, email: p.email, session: x.signIn(p.email), pre: x.preSession(), deny: http.StatusForbidden}
		c.csrf = x.csrf(c.session)
		if name == orgAdmin {
			c.pat = x.admin
		} else {
			c.pat = x.firstPAT(c.session)
		}
		console = append(console, c)
	}
	p := people[expiredSession]
	console = append(console, &consoleCaller{name: expiredSession, user: p.id, email: p.email, session: stale, pre: x.preSession(), deny: http.StatusSeeOther})

	// The users on the API, by their personal access tokens.
	byName := map[string]*consoleCaller{}
	for _, c := range console {
		byName[c.name] = c
	}
	pat := func(name, as string, deny int) *apiCaller {
		c := byName[as]
		id := x.tokenID(c.pat)
		ac := &apiCaller{name: name, token: c.pat, tokenID: id, user: c.user, deny: deny}
		ac.fresh = func() (string, string) { return x.pat(c.user, c.pat) }
		return ac
	}
	gone := pat(deactivatedUser, deactivatedUser, http.StatusUnauthorized)
	gone.fresh = nil
	api = append(api,
		pat(adminUser, orgAdmin, http.StatusForbidden),
		pat(plainUser, plainUser, http.StatusForbidden),
		pat(identityUser, identityAdmin, http.StatusForbidden),
		gone)
	// Deactivated after signing in and minting: its session and its
	// token are now refused.
	if r := x.consolePost(byName[orgAdmin].session, "/ui/users/"+byName[deactivatedUser].user+"/deactivate", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	byName[deactivatedUser].deny = http.StatusSeeOther
	return api, console
}
