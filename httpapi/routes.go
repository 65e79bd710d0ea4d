package httpapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
)

// route is one route of the API. The API decides no permission: a route
// names the service operation it performs, which checks its caller
// against the service's permission table. The route only says whether
// the caller must present credentials first.
type route struct {
	method string
	path   string
	// op is the service operation the route performs ("" for none).
	op      string
	public  bool
	handler handlerFunc
	// direct handlers do their own authentication: the decision surfaces.
	direct http.HandlerFunc
}

// rt is a route for an authenticated caller.
func rt(method, path, op string, h handlerFunc) route {
	return route{method: method, path: path, op: op, handler: h}
}

// pub is a route that needs no credentials.
func pub(method, path, op string, h handlerFunc) route {
	return route{method: method, path: path, op: op, public: true, handler: h}
}

// anyMethod marks a route that serves every method.
const anyMethod = "*"

// anyMethods are the methods the OpenAPI document lists for such a route.
var anyMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Route is a method and path pattern that the server serves, the service
// operation it performs, and whether it needs no credentials.
type Route struct {
	Method, Path string
	Op           string
	Public       bool
}

// Routes lists every route, for the test that holds the OpenAPI document
// to the code.
func (s *Server) Routes() []Route {
	var out []Route
	for _, rt := range s.routes() {
		if rt.method == anyMethod {
			for _, m := range anyMethods {
				out = append(out, Route{Method: m, Path: rt.path, Op: "DecideRequest", Public: true})
			}
			continue
		}
		out = append(out, Route{Method: rt.method, Path: rt.path, Op: rt.op, Public: rt.public || rt.direct != nil})
	}
	return out
}

// routes is the whole API surface, each route with the service operation
// it performs.
func (s *Server) routes() []route {
	var rs []route
	// Kong's older documents create system accounts under /v2.
	for _, v := range []string{"/v3", "/v2"} {
		rs = append(rs,
			rt("GET", v+"/system-accounts", "ListSystemAccounts", s.listSystemAccounts),
			rt("POST", v+"/system-accounts", "CreateSystemAccount", s.createSystemAccount),
			rt("GET", v+"/system-accounts/{accountId}", "GetSystemAccount", s.getSystemAccount),
			rt("PATCH", v+"/system-accounts/{accountId}", "UpdateSystemAccount", s.updateSystemAccount),
			rt("DELETE", v+"/system-accounts/{accountId}", "DeleteSystemAccount", s.deleteSystemAccount),
			rt("POST", v+"/system-accounts/{accountId}/disable", "SetSystemAccountDisabled", s.setDisabled(true)),
			rt("POST", v+"/system-accounts/{accountId}/enable", "SetSystemAccountDisabled", s.setDisabled(false)),
			rt("GET", v+"/system-accounts/{accountId}/access-tokens", "ListTokens", s.listAccessTokens),
			rt("POST", v+"/system-accounts/{accountId}/access-tokens", "CreateToken", s.createAccessToken),
			rt("GET", v+"/system-accounts/{accountId}/access-tokens/{tokenId}", "GetToken", s.getAccessToken),
			rt("PATCH", v+"/system-accounts/{accountId}/access-tokens/{tokenId}", "RenameToken", s.renameAccessToken),
			rt("DELETE", v+"/system-accounts/{accountId}/access-tokens/{tokenId}", "DeleteToken", s.deleteAccessToken),
			// A token may rotate itself; the service applies that rule.
			rt("POST", v+"/system-accounts/{accountId}/access-tokens/{tokenId}/rotate", "RotateToken", s.rotateAccessToken),
			rt("GET", v+"/system-accounts/{accountId}/assigned-roles", "ListAssignedRoles", s.listAssignedRoles(keyhold.PrincipalSystemAccount)),
			rt("POST", v+"/system-accounts/{accountId}/assigned-roles", "AssignRole", s.assignRole(keyhold.PrincipalSystemAccount)),
			rt("GET", v+"/system-accounts/{accountId}/assigned-roles/{roleId}", "GetAssignedRole", s.getAssignedRole(keyhold.PrincipalSystemAccount)),
			rt("DELETE", v+"/system-accounts/{accountId}/assigned-roles/{roleId}", "UnassignRole", s.unassignRole(keyhold.PrincipalSystemAccount)),
			rt("GET", v+"/system-accounts/{accountId}/teams", "ListMemberTeams", s.listMemberTeams(keyhold.PrincipalSystemAccount)),
		)
	}
	return append(rs,
		rt("GET", "/v3/teams", "ListTeams", s.listTeams),
		rt("POST", "/v3/teams", "CreateTeam", s.createTeam),
		rt("GET", "/v3/teams/{teamId}", "GetTeam", s.getTeam),
		rt("PATCH", "/v3/teams/{teamId}", "UpdateTeam", s.updateTeam),
		rt("DELETE", "/v3/teams/{teamId}", "DeleteTeam", s.deleteTeam),
		rt("GET", "/v3/teams/{teamId}/system-accounts", "ListTeamSystemAccounts", s.listTeamSystemAccounts),
		rt("POST", "/v3/teams/{teamId}/system-accounts", "AddTeamMember", s.addTeamMember(keyhold.PrincipalSystemAccount)),
		rt("DELETE", "/v3/teams/{teamId}/system-accounts/{accountId}", "RemoveTeamMember", s.removeTeamMember(keyhold.PrincipalSystemAccount)),
		rt("GET", "/v3/teams/{teamId}/users", "ListTeamUsers", s.listTeamUsers),
		rt("POST", "/v3/teams/{teamId}/users", "AddTeamMember", s.addTeamMember(keyhold.PrincipalUser)),
		rt("DELETE", "/v3/teams/{teamId}/users/{userId}", "RemoveTeamMember", s.removeTeamMember(keyhold.PrincipalUser)),
		rt("GET", "/v3/teams/{teamId}/assigned-roles", "ListAssignedRoles", s.listAssignedRoles(keyhold.PrincipalTeam)),
		rt("POST", "/v3/teams/{teamId}/assigned-roles", "AssignRole", s.assignRole(keyhold.PrincipalTeam)),
		rt("GET", "/v3/teams/{teamId}/assigned-roles/{roleId}", "GetAssignedRole", s.getAssignedRole(keyhold.PrincipalTeam)),
		rt("DELETE", "/v3/teams/{teamId}/assigned-roles/{roleId}", "UnassignRole", s.unassignRole(keyhold.PrincipalTeam)),

		rt("GET", "/v3/roles", "Catalogue", s.getRoles),

		rt("GET", "/v3/users", "ListUsers", s.listUsers),
		rt("POST", "/v3/users", "CreateUser", s.createUser),
		rt("GET", "/v3/users/me", "Me", s.getMe),
		rt("GET", "/v3/users/{userId}", "GetUser", s.getUser),
		rt("PATCH", "/v3/users/{userId}", "UpdateUser", s.updateUser),
		rt("DELETE", "/v3/users/{userId}", "DeleteUser", s.deleteUser),
		rt("POST", "/v3/users/{userId}/setup-link", "IssueSetupLink", s.issueSetupLink),
		rt("GET", "/v3/users/{userId}/teams", "ListMemberTeams", s.listMemberTeams(keyhold.PrincipalUser)),
		rt("GET", "/v3/users/{userId}/assigned-roles", "ListAssignedRoles", s.listAssignedRoles(keyhold.PrincipalUser)),
		rt("POST", "/v3/users/{userId}/assigned-roles", "AssignRole", s.assignRole(keyhold.PrincipalUser)),
		rt("GET", "/v3/users/{userId}/assigned-roles/{roleId}", "GetAssignedRole", s.getAssignedRole(keyhold.PrincipalUser)),
		rt("DELETE", "/v3/users/{userId}/assigned-roles/{roleId}", "UnassignRole", s.unassignRole(keyhold.PrincipalUser)),
		rt("GET", "/v3/users/{userId}/access-tokens", "ListTokens", s.listPersonalTokens),
		rt("POST", "/v3/users/{userId}/access-tokens", "CreateToken", s.createPersonalToken),
		rt("GET", "/v3/users/{userId}/access-tokens/{tokenId}", "GetToken", s.getPersonalToken),
		rt("PATCH", "/v3/users/{userId}/access-tokens/{tokenId}", "RenameToken", s.renamePersonalToken),
		rt("DELETE", "/v3/users/{userId}/access-tokens/{tokenId}", "DeleteToken", s.deletePersonalToken),
		rt("PATCH", "/v3/users/{userId}/access-tokens/{tokenId}/revoke", "RevokeToken", s.revokePersonalToken),
		rt("POST", "/v3/invites", "InviteUser", s.invite),
		rt("GET", "/v3/organizations/me", "Organization", s.getOrganization),
		rt("PATCH", "/v3/organizations/me", "UpdateOrganization", s.patchOrganization),

		rt("GET", "/v3/audit-events", "ListAuditEvents", s.listAuditEvents),
		rt("GET", "/v1/audit/checkpoint", "LatestCheckpoint", s.getAuditCheckpoint),
		rt("GET", "/v1/audit/checkpoints", "Checkpoints", s.listAuditCheckpoints),
		rt("GET", "/v1/audit/leaves", "Leaves", s.listAuditLeaves),
		rt("GET", "/v1/audit/proof/inclusion", "InclusionProof", s.getInclusionProof),
		rt("GET", "/v1/audit/proof/consistency", "ConsistencyProof", s.getConsistencyProof),
		pub("GET", "/v1/audit/keys", "Keys", s.getAuditKeys),
		rt("POST", "/v1/audit/keys/rotate", "RotateAuditKey", s.rotateAuditKey),
		pub("GET", "/v2/audit-log-webhook/jwks.json", "Keys", s.getJWKS),
		rt("GET", "/v2/audit-log-destinations", "ListAuditDestinations", s.listAuditDestinations),
		rt("POST", "/v2/audit-log-destinations", "CreateAuditDestination", s.createAuditDestination),
		rt("GET", "/v2/audit-log-destinations/{auditLogDestinationId}", "GetAuditDestination", s.getAuditDestination),
		rt("PATCH", "/v2/audit-log-destinations/{auditLogDestinationId}", "UpdateAuditDestination", s.updateAuditDestination),
		rt("DELETE", "/v2/audit-log-destinations/{auditLogDestinationId}", "DeleteAuditDestination", s.deleteAuditDestination),
		rt("GET", "/v2/audit-log-webhook", "AuditLogWebhook", s.getAuditLogWebhook),
		rt("PATCH", "/v2/audit-log-webhook", "UpdateAuditLogWebhook", s.updateAuditLogWebhook),
		rt("GET", "/v2/audit-log-webhook/status", "AuditLogWebhook", s.getAuditLogWebhookStatus),
		rt("PUT", "/v2/audit-log-replay-job", "ReplayAuditLogs", s.putAuditLogReplayJob),
		rt("GET", "/v2/audit-log-replay-job", "AuditLogReplayJob", s.getAuditLogReplayJob),
		rt("GET", "/v1/tokens/expiring", "ListExpiringTokens", s.listExpiringTokens),
		rt("GET", "/v1/token-policy", "TokenPolicy", s.getTokenPolicy),
		pub("POST", "/v1/leak-reports", "ReportLeak", s.reportLeak),
		rt("PUT", "/v1/token-policy", "SetTokenPolicy", s.putTokenPolicy),
		rt("GET", "/v1/webhooks", "ListWebhooks", s.listWebhooks),
		rt("POST", "/v1/webhooks", "CreateWebhook", s.createWebhook),
		rt("GET", "/v1/webhooks/{webhookId}", "GetWebhook", s.getWebhook),
		rt("PATCH", "/v1/webhooks/{webhookId}", "UpdateWebhook", s.updateWebhook),
		rt("DELETE", "/v1/webhooks/{webhookId}", "DeleteWebhook", s.deleteWebhook),
		rt("POST", "/v1/webhooks/{webhookId}/rotate-secret", "RotateWebhookSecret", s.rotateWebhookSecret),
		rt("POST", "/v1/webhooks/{webhookId}/test", "TestWebhook", s.testWebhook),
		rt("GET", "/v1/webhooks/{webhookId}/deliveries", "ListWebhookDeliveries", s.listWebhookDeliveries),
		rt("POST", "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", "RedeliverWebhook", s.redeliverWebhook),
		rt("GET", "/v1/whoami", "Authenticate", s.whoami),
		route{method: "GET", path: "/metrics", public: true, direct: s.serveMetrics},
		route{method: anyMethod, path: "/v1/authorize", direct: s.authorize},
		route{method: anyMethod, path: "/v1/authorize/{rest...}", direct: s.authorize},
		rt("POST", "/v1/check", "CheckSubject", s.check),
		rt("POST", "/oauth2/introspect", "IntrospectSubject", s.introspect),
		pub("GET", "/openapi.yaml", "", s.openAPI),
		pub("GET", "/healthz", "", s.healthz),
		pub("GET", "/readyz", "", s.readyz),
	)
}
