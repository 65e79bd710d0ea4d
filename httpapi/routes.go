package httpapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
)

type route struct {
	method  string
	path    string
	perm    keyhold.Permission
	handler handlerFunc
	// direct handlers do their own authentication: the decision surfaces.
	direct http.HandlerFunc
}

func rt(method, path string, perm keyhold.Permission, h handlerFunc) route {
	return route{method: method, path: path, perm: perm, handler: h}
}

// anyMethod marks a route that serves every method.
const anyMethod = "*"

// anyMethods are the methods the OpenAPI document lists for such a route.
var anyMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Route is a method and path pattern that the server serves.
type Route struct{ Method, Path string }

// Routes lists every route, for the test that holds the OpenAPI document
// to the code.
func (s *Server) Routes() []Route {
	var out []Route
	for _, rt := range s.routes() {
		if rt.method == anyMethod {
			for _, m := range anyMethods {
				out = append(out, Route{Method: m, Path: rt.path})
			}
			continue
		}
		out = append(out, Route{Method: rt.method, Path: rt.path})
	}
	return out
}

const (
	read  = keyhold.PermIdentityRead
	write = keyhold.PermIdentityWrite
	authn = keyhold.PermAuthenticated
)

// routes is the whole API surface, each route with the permission it needs.
// Personal access tokens and /users/me are open to any authenticated
// principal because the service applies their owner rules.
func (s *Server) routes() []route {
	var rs []route
	// Kong's older documents create system accounts under /v2.
	for _, v := range []string{"/v3", "/v2"} {
		rs = append(rs,
			rt("GET", v+"/system-accounts", read, s.listSystemAccounts),
			rt("POST", v+"/system-accounts", write, s.createSystemAccount),
			rt("GET", v+"/system-accounts/{accountId}", read, s.getSystemAccount),
			rt("PATCH", v+"/system-accounts/{accountId}", write, s.updateSystemAccount),
			rt("DELETE", v+"/system-accounts/{accountId}", write, s.deleteSystemAccount),
			rt("POST", v+"/system-accounts/{accountId}/disable", write, s.setDisabled(true)),
			rt("POST", v+"/system-accounts/{accountId}/enable", write, s.setDisabled(false)),
			rt("GET", v+"/system-accounts/{accountId}/access-tokens", read, s.listAccessTokens),
			rt("POST", v+"/system-accounts/{accountId}/access-tokens", write, s.createAccessToken),
			rt("GET", v+"/system-accounts/{accountId}/access-tokens/{tokenId}", read, s.getAccessToken),
			rt("PATCH", v+"/system-accounts/{accountId}/access-tokens/{tokenId}", write, s.renameAccessToken),
			rt("DELETE", v+"/system-accounts/{accountId}/access-tokens/{tokenId}", write, s.deleteAccessToken),
			// A token may rotate itself; the service applies that rule.
			rt("POST", v+"/system-accounts/{accountId}/access-tokens/{tokenId}/rotate", authn, s.rotateAccessToken),
			rt("GET", v+"/system-accounts/{accountId}/assigned-roles", read, s.listAssignedRoles(keyhold.PrincipalSystemAccount)),
			rt("POST", v+"/system-accounts/{accountId}/assigned-roles", write, s.assignRole(keyhold.PrincipalSystemAccount)),
			rt("GET", v+"/system-accounts/{accountId}/assigned-roles/{roleId}", read, s.getAssignedRole(keyhold.PrincipalSystemAccount)),
			rt("DELETE", v+"/system-accounts/{accountId}/assigned-roles/{roleId}", write, s.unassignRole(keyhold.PrincipalSystemAccount)),
			rt("GET", v+"/system-accounts/{accountId}/teams", read, s.listMemberTeams(keyhold.PrincipalSystemAccount)),
		)
	}
	return append(rs,
		rt("GET", "/v3/teams", read, s.listTeams),
		rt("POST", "/v3/teams", write, s.createTeam),
		rt("GET", "/v3/teams/{teamId}", read, s.getTeam),
		rt("PATCH", "/v3/teams/{teamId}", write, s.updateTeam),
		rt("DELETE", "/v3/teams/{teamId}", write, s.deleteTeam),
		rt("GET", "/v3/teams/{teamId}/system-accounts", read, s.listTeamSystemAccounts),
		rt("POST", "/v3/teams/{teamId}/system-accounts", write, s.addTeamMember(keyhold.PrincipalSystemAccount)),
		rt("DELETE", "/v3/teams/{teamId}/system-accounts/{accountId}", write, s.removeTeamMember(keyhold.PrincipalSystemAccount)),
		rt("GET", "/v3/teams/{teamId}/users", read, s.listTeamUsers),
		rt("POST", "/v3/teams/{teamId}/users", write, s.addTeamMember(keyhold.PrincipalUser)),
		rt("DELETE", "/v3/teams/{teamId}/users/{userId}", write, s.removeTeamMember(keyhold.PrincipalUser)),
		rt("GET", "/v3/teams/{teamId}/assigned-roles", read, s.listAssignedRoles(keyhold.PrincipalTeam)),
		rt("POST", "/v3/teams/{teamId}/assigned-roles", write, s.assignRole(keyhold.PrincipalTeam)),
		rt("GET", "/v3/teams/{teamId}/assigned-roles/{roleId}", read, s.getAssignedRole(keyhold.PrincipalTeam)),
		rt("DELETE", "/v3/teams/{teamId}/assigned-roles/{roleId}", write, s.unassignRole(keyhold.PrincipalTeam)),

		rt("GET", "/v3/roles", authn, s.getRoles),

		rt("GET", "/v3/users", read, s.listUsers),
		rt("POST", "/v3/users", write, s.createUser),
		rt("GET", "/v3/users/me", authn, s.getMe),
		rt("GET", "/v3/users/{userId}", read, s.getUser),
		rt("PATCH", "/v3/users/{userId}", write, s.updateUser),
		rt("DELETE", "/v3/users/{userId}", write, s.deleteUser),
		rt("POST", "/v3/users/{userId}/setup-link", write, s.issueSetupLink),
		rt("GET", "/v3/users/{userId}/teams", read, s.listMemberTeams(keyhold.PrincipalUser)),
		rt("GET", "/v3/users/{userId}/assigned-roles", read, s.listAssignedRoles(keyhold.PrincipalUser)),
		rt("POST", "/v3/users/{userId}/assigned-roles", write, s.assignRole(keyhold.PrincipalUser)),
		rt("GET", "/v3/users/{userId}/assigned-roles/{roleId}", read, s.getAssignedRole(keyhold.PrincipalUser)),
		rt("DELETE", "/v3/users/{userId}/assigned-roles/{roleId}", write, s.unassignRole(keyhold.PrincipalUser)),
		rt("GET", "/v3/users/{userId}/access-tokens", authn, s.listPersonalTokens),
		rt("POST", "/v3/users/{userId}/access-tokens", authn, s.createPersonalToken),
		rt("GET", "/v3/users/{userId}/access-tokens/{tokenId}", authn, s.getPersonalToken),
		rt("PATCH", "/v3/users/{userId}/access-tokens/{tokenId}", authn, s.renamePersonalToken),
		rt("DELETE", "/v3/users/{userId}/access-tokens/{tokenId}", authn, s.deletePersonalToken),
		rt("PATCH", "/v3/users/{userId}/access-tokens/{tokenId}/revoke", authn, s.revokePersonalToken),
		rt("POST", "/v3/invites", write, s.invite),
		rt("GET", "/v3/organizations/me", authn, s.getOrganization),

		rt("GET", "/v3/audit-events", keyhold.PermAuditRead, s.listAuditEvents),
		rt("GET", "/v1/tokens/expiring", read, s.listExpiringTokens),
		rt("GET", "/v1/token-policy", read, s.getTokenPolicy),
		rt("POST", "/v1/leak-reports", keyhold.PermPublic, s.reportLeak),
		rt("PUT", "/v1/token-policy", write, s.putTokenPolicy),
		rt("GET", "/v1/webhooks", read, s.listWebhooks),
		rt("POST", "/v1/webhooks", write, s.createWebhook),
		rt("GET", "/v1/webhooks/{webhookId}", read, s.getWebhook),
		rt("PATCH", "/v1/webhooks/{webhookId}", write, s.updateWebhook),
		rt("DELETE", "/v1/webhooks/{webhookId}", write, s.deleteWebhook),
		rt("POST", "/v1/webhooks/{webhookId}/rotate-secret", write, s.rotateWebhookSecret),
		rt("POST", "/v1/webhooks/{webhookId}/test", write, s.testWebhook),
		rt("GET", "/v1/webhooks/{webhookId}/deliveries", read, s.listWebhookDeliveries),
		rt("POST", "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", write, s.redeliverWebhook),
		rt("GET", "/v1/whoami", authn, s.whoami),
		route{method: "GET", path: "/metrics", direct: s.serveMetrics},
		route{method: anyMethod, path: "/v1/authorize", direct: s.authorize},
		route{method: anyMethod, path: "/v1/authorize/{rest...}", direct: s.authorize},
		rt("POST", "/v1/check", keyhold.PermIntrospect, s.check),
		rt("POST", "/oauth2/introspect", keyhold.PermIntrospect, s.introspect),
		rt("GET", "/openapi.yaml", keyhold.PermPublic, s.openAPI),
		rt("GET", "/healthz", keyhold.PermPublic, s.healthz),
		rt("GET", "/readyz", keyhold.PermPublic, s.readyz),
	)
}
