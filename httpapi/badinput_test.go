package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/wire"
)

// snapshot reads everything a bad request could have changed: every list,
// the fixture's sub-resources and the whole audit trail. Reads record token
// use only in memory, so two snapshots without a write between them are
// byte for byte equal.
func snapshot(t testing.TB, e *apitest.Env, paths []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		out[p] = string(e.Do("GET", p, e.Admin, nil).Want(t, 200).Body)
	}
	return out
}

// rawReq is a TestBadInput body sent verbatim with exactly these headers:
// no Content-Type unless hdr has one, the admin's token unless hdr has an
// Authorization.
type rawReq struct {
	body string
	hdr  http.Header
}

// sendRaw sends a rawReq; the answer is validated against openapi.yaml as
// Env.Do's are.
func sendRaw(t testing.TB, e *apitest.Env, method, path string, rr rawReq) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.Server.URL+path, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Admin)
	for k, vs := range rr.hdr {
		req.Header[k] = vs
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp := &apitest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
	if err := e.Validate(req, resp); err != nil {
		t.Errorf("%v\nbody: %s", err, raw)
	}
	return resp
}

// ct is a header set of one Content-Type.
func ct(v string) http.Header { return http.Header{"Content-Type": {v}} }

func wantUnchanged(t testing.TB, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if after[p] != b {
			t.Errorf("GET %s changed:\nbefore %s\nafter  %s", p, b, after[p])
		}
	}
}

// Every malformed request gets a problem+json 4xx, never a 500, with
// invalid_parameters on 400, and writes nothing: no row and no audit event.
func TestBadInput(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "fixture")
		tokID, _ := mintSPAT(t, e, acct, "fixture-token")
		team := createTeam(t, e, "Fixture team")
		user := createUser(t, e, "fixture@example.com", "Fixture User")
		identityAdmin(t, e, "/v3/system-accounts/"+acct)
		assign(t, e, "/v3/users/"+user, "Viewer", "Control Planes", "*", "us")
		e.Do("POST", "/v3/teams/"+team+"/users", e.Admin, map[string]any{"id": user}).Want(t, 201)
		orgAdmin := systemTeam(t, e, "Organization Admin")
		// An entity id with letters, assigned in lower case.
		const cpID = "c0ffee00-aaaa-4bbb-8ccc-0123456789ab"
		assign(t, e, "/v3/system-accounts/"+acct, "Viewer", "Control Planes", cpID, "eu")

		A := "/v3/system-accounts/" + acct
		T := "/v3/teams/" + team
		U := "/v3/users/" + user
		PAT := "/v3/users/" + e.AdminID + "/access-tokens"
		long := strings.Repeat("a", 251)
		past := e.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		future := e.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
		huge := `{"name":"big","description":"` + strings.Repeat("x", 1<<20) + `"}`
		tokenBody := func(extra string) string {
			return `{"name":"strict","expires_at":"` + future + `"` + extra + `}`
		}
		patID := list(t, e, PAT, e.Admin).Data[0]["id"].(string)
		bigHeader := http.Header{"X-Padding": {strings.Repeat("p", 65<<10)}}
		badJSON := func(body string) rawReq { return rawReq{body, ct("application/json")} }
		goodRole := func(k, v string) map[string]any {
			m := map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "us"}
			m[k] = v
			return m
		}

		type row struct {
			name         string
			method, path string
			body         any
			status       int
			field, rule  string
			check        func(t *testing.T, ip wire.InvalidParameter)
		}
		maxIs := func(n int64) func(t *testing.T, ip wire.InvalidParameter) {
			return func(t *testing.T, ip wire.InvalidParameter) {
				if ip.Maximum == nil || *ip.Maximum != n {
					t.Errorf("maximum = %v, want %d", ip.Maximum, n)
				}
			}
		}
		minIs := func(n int64) func(t *testing.T, ip wire.InvalidParameter) {
			return func(t *testing.T, ip wire.InvalidParameter) {
				if ip.Minimum == nil || *ip.Minimum != n {
					t.Errorf("minimum = %v, want %d", ip.Minimum, n)
				}
			}
		}
		choicesHave := func(want ...string) func(t *testing.T, ip wire.InvalidParameter) {
			return func(t *testing.T, ip wire.InvalidParameter) {
				for _, w := range want {
					if !contains(ip.Choices, w) {
						t.Errorf("choices %v lack %q", ip.Choices, w)
					}
				}
			}
		}
		rows := []row{
			// Bodies that are not one JSON object.
			{"MalformedJSON", "POST", "/v3/system-accounts", `{"name":`, 400, "body", "", nil},
			{"MalformedJSONTeam", "POST", "/v3/teams", `{`, 400, "body", "", nil},
			{"MalformedJSONPatch", "PATCH", A, `not json`, 400, "body", "", nil},
			{"TrailingGarbage", "POST", "/v3/system-accounts", `{"name":"a","description":"b"} x`, 400, "body", "", nil},
			{"TwoObjects", "POST", "/v3/teams", `{"name":"a"}{"name":"b"}`, 400, "body", "", nil},
			{"ArrayBody", "POST", "/v3/system-accounts", `[{"name":"a","description":"b"}]`, 400, "body", "", nil},
			{"NullBody", "POST", "/v3/teams", `null`, 400, "body", "", nil},
			{"EmptyBody", "POST", "/v3/teams", ``, 400, "body", "", nil},
			{"StringBody", "POST", T + "/users", `"` + user + `"`, 400, "body", "", nil},

			// Wrong types.
			{"NameNumber", "POST", "/v3/system-accounts", map[string]any{"name": 5, "description": "d"}, 400, "name", "is_string", nil},
			{"ManagedString", "POST", "/v3/system-accounts", map[string]any{"name": "x", "description": "d", "konnect_managed": "yes"}, 400, "konnect_managed", "is_boolean", nil},
			{"ExpiresNumber", "POST", A + "/access-tokens", map[string]any{"name": "t", "expires_at": 12}, 400, "expires_at", "is_date_time", nil},
			{"ExpiresNotADate", "POST", A + "/access-tokens", map[string]any{"name": "t", "expires_at": "tomorrow"}, 400, "expires_at", "is_date_time", nil},
			{"TeamNameArray", "POST", "/v3/teams", map[string]any{"name": []string{"x"}}, 400, "name", "is_string", nil},
			{"LabelsString", "POST", "/v3/teams", map[string]any{"name": "x", "labels": "env=prod"}, 400, "labels", "is_object", nil},
			{"LabelValueNumber", "PATCH", T, map[string]any{"labels": map[string]any{"env": 1}}, 400, "labels", "is_object", nil},
			{"MemberIDNumber", "POST", T + "/users", map[string]any{"id": 5}, 400, "id", "is_string", nil},
			{"RoleNameNumber", "POST", A + "/assigned-roles", map[string]any{"role_name": 1, "entity_type_name": "Control Planes", "entity_id": "*", "entity_region": "us"}, 400, "role_name", "is_string", nil},
			{"FullNameBool", "PATCH", U, map[string]any{"full_name": true}, 400, "full_name", "is_string", nil},
			{"TTLString", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": "86400"}, 400, "ttl_seconds", "is_integer", nil},
			{"TTLFraction", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": 86400.5}, 400, "ttl_seconds", "is_integer", nil},
			{"EmailNumber", "POST", "/v3/invites", map[string]any{"email": 7}, 400, "email", "is_string", nil},

			// Missing required fields.
			{"AccountNoName", "POST", "/v3/system-accounts", map[string]any{"description": "d"}, 400, "name", "required", nil},
			{"AccountNoDescription", "POST", "/v3/system-accounts", map[string]any{"name": "n"}, 400, "description", "required", nil},
			// Omitting expires_at takes the policy's default lifetime; asking
			// for none is refused while the policy forbids it.
			{"TokenNeverExpires", "POST", A + "/access-tokens", map[string]any{"name": "t", "expires_at": nil}, 400, "expires_at", "required", nil},
			{"TokenUnknownIntent", "POST", A + "/access-tokens", map[string]any{"name": "t", "intent": "forever"}, 400, "intent", "enum", nil},
			{"MemberNoID", "POST", T + "/system-accounts", map[string]any{}, 400, "id", "required", nil},
			{"InviteNoEmail", "POST", "/v3/invites", map[string]any{}, 400, "email", "required", nil},
			{"InviteBadEmail", "POST", "/v3/invites", map[string]any{"email": "not-an-email"}, 400, "email", "invalid", nil},

			// Unknown filters and operators.
			{"FilterOpGt", "GET", "/v3/system-accounts?filter[name][gt]=x", nil, 400, "filter[name][gt]", "", nil},
			{"FilterUnknownField", "GET", "/v3/system-accounts?filter[colour]=red", nil, 400, "filter[colour]", "", nil},
			{"FilterTeamsStarts", "GET", "/v3/teams?filter[name][starts]=x", nil, 400, "filter[name][starts]", "", nil},
			{"FilterUsersEmailGt", "GET", "/v3/users?filter[email][gt]=x", nil, 400, "filter[email][gt]", "", nil},
			{"FilterBoolContains", "GET", "/v3/system-accounts?filter[konnect_managed][contains]=true", nil, 400, "filter[konnect_managed][contains]", "", nil},
			{"FilterBoolNotBool", "GET", "/v3/system-accounts?filter[konnect_managed]=yes", nil, 400, "filter[konnect_managed]", "", nil},
			{"FilterActiveNotBool", "GET", "/v3/users?filter[active]=1", nil, 400, "filter[active]", "", nil},
			{"FilterLabelOp", "GET", "/v3/teams?filter[labels.env][gt]=x", nil, 400, "filter[labels.env][gt]", "", nil},
			{"FilterLabelsOnAccounts", "GET", "/v3/system-accounts?filter[labels.env]=x", nil, 400, "filter[labels.env]", "", nil},
			{"FilterTokenDescription", "GET", A + "/access-tokens?filter[description]=x", nil, 400, "filter[description]", "", nil},
			{"FilterTeamEntityID", "GET", T + "/assigned-roles?filter[entity_id]=*", nil, 400, "filter[entity_id]", "", nil},
			{"FilterRoleContains", "GET", A + "/assigned-roles?filter[role_name][contains]=View", nil, 400, "filter[role_name][contains]", "", nil},
			{"FilterAuditTime", "GET", "/v3/audit-events?filter[occurred_at][gte]=yesterday", nil, 400, "filter[occurred_at][gte]", "", nil},
			{"FilterAuditTimeEq", "GET", "/v3/audit-events?filter[occurred_at][eq]=" + future, nil, 400, "filter[occurred_at][eq]", "", nil},
			{"FilterAuditReversed", "GET", "/v3/audit-events?filter[occurred_at][gte]=" + future + "&filter[occurred_at][lt]=" + past, nil, 400, "filter[occurred_at][lt]", "invalid", nil},
			{"FilterAuditEmptyWindow", "GET", "/v3/audit-events?filter[occurred_at][gte]=" + past + "&filter[occurred_at][lt]=" + past, nil, 400, "filter[occurred_at][lt]", "invalid", nil},
			{"FilterAuditOutcomeContains", "GET", "/v3/audit-events?filter[outcome][contains]=succ", nil, 400, "filter[outcome][contains]", "", nil},
			{"FilterAuditActorIDContains", "GET", "/v3/audit-events?filter[actor_id][contains]=a", nil, 400, "filter[actor_id][contains]", "", nil},
			{"FilterTwoOperators", "GET", "/v3/system-accounts?filter[name][eq]=fixture&filter[name][contains]=zzz", nil, 400, "filter[name][eq]", "", nil},
			{"FilterNotAFilter", "GET", "/v3/teams?filter[name", nil, 400, "filter[name", "", nil},

			// Names: blank and 251 characters.
			{"AccountNameEmpty", "POST", "/v3/system-accounts", map[string]any{"name": "", "description": "d"}, 400, "name", "required", nil},
			{"AccountNameBlank", "POST", "/v3/system-accounts", map[string]any{"name": "   ", "description": "d"}, 400, "name", "required", nil},
			{"AccountNameLong", "POST", "/v3/system-accounts", map[string]any{"name": long, "description": "d"}, 400, "name", "max_length", maxIs(250)},
			{"AccountRenameEmpty", "PATCH", A, map[string]any{"name": ""}, 400, "name", "required", nil},
			{"AccountRenameLong", "PATCH", A, map[string]any{"name": long}, 400, "name", "max_length", maxIs(250)},
			{"TeamNameEmpty", "POST", "/v3/teams", map[string]any{"name": ""}, 400, "name", "required", nil},
			{"TeamNameLong", "POST", "/v3/teams", map[string]any{"name": long}, 400, "name", "max_length", maxIs(250)},
			{"TeamRenameLong", "PATCH", T, map[string]any{"name": long}, 400, "name", "max_length", maxIs(250)},
			{"TeamDescriptionEmpty", "POST", "/v3/teams", map[string]any{"name": "x", "description": ""}, 400, "description", "", nil},
			{"TeamLabelReservedKey", "POST", "/v3/teams", map[string]any{"name": "x", "labels": map[string]any{"konnect-env": "a"}}, 400, "labels.konnect-env", "is_label", nil},
			{"TeamLabelBadValue", "PATCH", T, map[string]any{"labels": map[string]any{"env": "-bad-"}}, 400, "labels.env", "is_label", nil},
			{"SPATNameEmpty", "POST", A + "/access-tokens", map[string]any{"name": "", "expires_at": future}, 400, "name", "required", nil},
			{"SPATNameLong", "POST", A + "/access-tokens", map[string]any{"name": long, "expires_at": future}, 400, "name", "max_length", maxIs(250)},
			{"SPATRenameLong", "PATCH", A + "/access-tokens/" + tokID, map[string]any{"name": long}, 400, "name", "max_length", maxIs(250)},
			{"PATNameOneChar", "POST", PAT, map[string]any{"name": "a", "ttl_seconds": 86400}, 400, "name", "matches_regex", nil},

			// NUL characters and invalid UTF-8, which PostgreSQL cannot store
			// or compare, are refused on every backend alike.
			{"NULAccountName", "POST", "/v3/system-accounts", `{"name":"a\u0000b","description":""}`, 400, "name", "", nil},
			{"NULAccountDescription", "PATCH", A, `{"description":"\u0000"}`, 400, "description", "", nil},
			{"NULTeamName", "POST", "/v3/teams", `{"name":"a\u0000b"}`, 400, "name", "", nil},
			{"NULLabelKey", "POST", "/v3/teams", `{"name":"x","labels":{"env\u0000":"prod"}}`, 400, "labels.env\x00", "", nil},
			{"NULSPATName", "POST", A + "/access-tokens", `{"name":"t\u0000","expires_at":"` + future + `"}`, 400, "name", "", nil},
			{"NULFullName", "PATCH", U, `{"full_name":"Ann\u0000"}`, 400, "full_name", "", nil},
			{"NULFilterValue", "GET", "/v3/system-accounts?filter[name][eq]=a%00b", nil, 400, "filter[name][eq]", "", nil},
			{"NULFilterContains", "GET", "/v3/users?filter[email][contains]=%00", nil, 400, "filter[email][contains]", "", nil},
			{"NULFilterID", "GET", "/v3/users?filter[id]=%00", nil, 400, "filter[id]", "", nil},
			{"NULFilterAudit", "GET", "/v3/audit-events?filter[actor_name]=a%00", nil, 400, "filter[actor_name]", "", nil},
			{"NULFilterRole", "GET", U + "/assigned-roles?filter[role_name]=%00", nil, 400, "filter[role_name]", "", nil},
			{"NULFilterLabelKey", "GET", "/v3/teams?filter[labels.a%00]=x", nil, 400, "filter[labels.a\x00]", "", nil},
			{"BadUTF8FilterValue", "GET", "/v3/system-accounts?filter[name][eq]=a%ffb", nil, 400, "filter[name][eq]", "", nil},
			{"BadUTF8FilterLabelKey", "GET", "/v3/teams?filter[labels.%ff]=x", nil, 400, "filter[labels.\uFFFD]", "", nil},

			// Control characters (Cc) and invisible formatting characters in
			// names and descriptions; descriptions keep tabs and line feeds.
			{"CcAccountNameESC", "POST", "/v3/system-accounts", `{"name":"a\u001b[2Jb","description":""}`, 400, "name", "invalid", nil},
			{"CcAccountNameTab", "POST", "/v3/system-accounts", `{"name":"a\tb","description":""}`, 400, "name", "invalid", nil},
			{"CcAccountNameLF", "POST", "/v3/system-accounts", `{"name":"a\nb","description":""}`, 400, "name", "invalid", nil},
			{"CcAccountDescriptionCR", "POST", "/v3/system-accounts", `{"name":"ok","description":"a\rb"}`, 400, "description", "invalid", nil},
			{"CcAccountDescriptionDEL", "PATCH", A, `{"description":"a\u007f"}`, 400, "description", "invalid", nil},
			{"CcAccountDescriptionC1", "PATCH", A, `{"description":"\u009b2J"}`, 400, "description", "invalid", nil},
			{"CcAccountRenameBEL", "PATCH", A, `{"name":"a\u0007"}`, 400, "name", "invalid", nil},
			{"HiddenAccountNameRLO", "POST", "/v3/system-accounts", `{"name":"invoice\u202egpj.exe","description":""}`, 400, "name", "invalid", nil},
			{"HiddenAccountRenameZWSP", "PATCH", A, `{"name":"fix\u200bture"}`, 400, "name", "invalid", nil},
			{"HiddenAccountDescriptionBOM", "PATCH", A, `{"description":"\ufeffd"}`, 400, "description", "invalid", nil},
			{"HiddenTeamNameWJ", "POST", "/v3/teams", `{"name":"a\u2060b"}`, 400, "name", "invalid", nil},
			{"HiddenTeamNameLRE", "POST", "/v3/teams", `{"name":"\u202ax"}`, 400, "name", "invalid", nil},
			{"HiddenTeamDescriptionLRI", "POST", "/v3/teams", `{"name":"x","description":"\u2066x"}`, 400, "description", "invalid", nil},
			{"HiddenTeamRenamePDF", "PATCH", T, `{"name":"x\u202c"}`, 400, "name", "invalid", nil},
			{"HiddenTeamDescriptionPDI", "PATCH", T, `{"description":"x\u2069"}`, 400, "description", "invalid", nil},
			{"CcTeamDescriptionESC", "PATCH", T, `{"description":"x\u001b"}`, 400, "description", "invalid", nil},
			{"CcSPATName", "POST", A + "/access-tokens", `{"name":"t\u0001","expires_at":"` + future + `"}`, 400, "name", "invalid", nil},
			{"HiddenSPATName", "POST", A + "/access-tokens", `{"name":"t\u202d","expires_at":"` + future + `"}`, 400, "name", "invalid", nil},
			{"CcSPATRename", "PATCH", A + "/access-tokens/" + tokID, `{"name":"t\nx"}`, 400, "name", "invalid", nil},
			{"HiddenPATName", "POST", PAT, `{"name":"ab\u202ecd","ttl_seconds":86400}`, 400, "name", "", nil},
			{"CcUserFullName", "PATCH", U, `{"full_name":"Ann\u001b[2J"}`, 400, "full_name", "invalid", nil},
			{"HiddenUserPreferredName", "PATCH", U, `{"preferred_name":"\u200bAnn"}`, 400, "preferred_name", "invalid", nil},
			{"CcUserCreateFullName", "POST", "/v3/users", `{"email":"new@example.com","full_name":"A\u0085"}`, 400, "full_name", "invalid", nil},

			// Ids in any case: an upper-case id finds no other object, and
			// an entity id differing only in case is the same assignment.
			{"UpperCaseUnknownAccount", "GET", "/v3/system-accounts/" + strings.ToUpper("0000abcd-0000-4000-8000-00000000abcd"), nil, 404, "", "", nil},
			{"UpperCaseEntityIDConflict", "POST", A + "/assigned-roles", map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": strings.ToUpper(cpID), "entity_region": "eu"}, 409, "", "", nil},
			{"MixedCaseEntityIDConflict", "POST", A + "/assigned-roles", map[string]any{"role_name": "Viewer", "entity_type_name": "Control Planes", "entity_id": strings.ToUpper(cpID[:8]) + cpID[8:], "entity_region": "eu"}, 409, "", "", nil},
			{"UpperCaseMemberNotUUID", "POST", T + "/users", map[string]any{"id": strings.ToUpper("not-a-uuid")}, 400, "id", "is_uuid", nil},

			// Path ids that are not UUIDs, for every kind of id.
			{"AccountIDGet", "GET", "/v3/system-accounts/not-a-uuid", nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDPatch", "PATCH", "/v3/system-accounts/not-a-uuid", map[string]any{"name": "n"}, 400, "accountId", "is_uuid", nil},
			{"AccountIDDelete", "DELETE", "/v3/system-accounts/1234", nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDV2", "GET", "/v2/system-accounts/not-a-uuid", nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDTokens", "GET", "/v3/system-accounts/not-a-uuid/access-tokens", nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDTokenCreate", "POST", "/v3/system-accounts/not-a-uuid/access-tokens", map[string]any{"name": "t", "expires_at": future}, 400, "accountId", "is_uuid", nil},
			{"AccountIDRoles", "GET", "/v3/system-accounts/not-a-uuid/assigned-roles", nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDTeams", "GET", "/v3/system-accounts/not-a-uuid/teams", nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDUnbraced", "GET", "/v3/system-accounts/" + strings.ReplaceAll(acct, "-", ""), nil, 400, "accountId", "is_uuid", nil},
			{"AccountIDMember", "DELETE", T + "/system-accounts/not-a-uuid", nil, 400, "accountId", "is_uuid", nil},
			{"TokenIDGet", "GET", A + "/access-tokens/not-a-uuid", nil, 400, "tokenId", "is_uuid", nil},
			{"TokenIDPatch", "PATCH", A + "/access-tokens/not-a-uuid", map[string]any{"name": "n"}, 400, "tokenId", "is_uuid", nil},
			{"TokenIDDelete", "DELETE", A + "/access-tokens/not-a-uuid", nil, 400, "tokenId", "is_uuid", nil},
			{"TokenIDPAT", "GET", PAT + "/not-a-uuid", nil, 400, "tokenId", "is_uuid", nil},
			{"TokenIDRevoke", "PATCH", PAT + "/not-a-uuid/revoke", nil, 400, "tokenId", "is_uuid", nil},
			{"TeamIDGet", "GET", "/v3/teams/not-a-uuid", nil, 400, "teamId", "is_uuid", nil},
			{"TeamIDPatch", "PATCH", "/v3/teams/not-a-uuid", map[string]any{"name": "n"}, 400, "teamId", "is_uuid", nil},
			{"TeamIDDelete", "DELETE", "/v3/teams/not-a-uuid", nil, 400, "teamId", "is_uuid", nil},
			{"TeamIDUsers", "GET", "/v3/teams/not-a-uuid/users", nil, 400, "teamId", "is_uuid", nil},
			{"TeamIDAddUser", "POST", "/v3/teams/not-a-uuid/users", map[string]any{"id": user}, 400, "teamId", "is_uuid", nil},
			{"TeamIDAccounts", "GET", "/v3/teams/not-a-uuid/system-accounts", nil, 400, "teamId", "is_uuid", nil},
			{"TeamIDRoles", "GET", "/v3/teams/not-a-uuid/assigned-roles", nil, 400, "teamId", "is_uuid", nil},
			{"TeamIDAssign", "POST", "/v3/teams/not-a-uuid/assigned-roles", goodRole("entity_region", "us"), 400, "teamId", "is_uuid", nil},
			{"UserIDGet", "GET", "/v3/users/not-a-uuid", nil, 400, "userId", "is_uuid", nil},
			{"UserIDPatch", "PATCH", "/v3/users/not-a-uuid", map[string]any{"full_name": "n"}, 400, "userId", "is_uuid", nil},
			{"UserIDDelete", "DELETE", "/v3/users/not-a-uuid", nil, 400, "userId", "is_uuid", nil},
			{"UserIDTeams", "GET", "/v3/users/not-a-uuid/teams", nil, 400, "userId", "is_uuid", nil},
			{"UserIDRoles", "GET", "/v3/users/not-a-uuid/assigned-roles", nil, 400, "userId", "is_uuid", nil},
			{"UserIDPATs", "GET", "/v3/users/not-a-uuid/access-tokens", nil, 400, "userId", "is_uuid", nil},
			{"UserIDMember", "DELETE", T + "/users/not-a-uuid", nil, 400, "userId", "is_uuid", nil},
			{"RoleIDAccount", "GET", A + "/assigned-roles/not-a-uuid", nil, 400, "roleId", "is_uuid", nil},
			{"RoleIDAccountDelete", "DELETE", A + "/assigned-roles/not-a-uuid", nil, 400, "roleId", "is_uuid", nil},
			{"RoleIDTeam", "GET", T + "/assigned-roles/not-a-uuid", nil, 400, "roleId", "is_uuid", nil},
			{"RoleIDTeamDelete", "DELETE", T + "/assigned-roles/not-a-uuid", nil, 400, "roleId", "is_uuid", nil},
			{"RoleIDUser", "GET", U + "/assigned-roles/not-a-uuid", nil, 400, "roleId", "is_uuid", nil},
			{"RoleIDUserDelete", "DELETE", U + "/assigned-roles/not-a-uuid", nil, 400, "roleId", "is_uuid", nil},
			// A member id in the body is the body's field "id", not a path id.
			{"MemberIDNotUUID", "POST", T + "/users", map[string]any{"id": "not-a-uuid"}, 400, "id", "is_uuid", nil},
			{"MemberAccountIDNotUUID", "POST", T + "/system-accounts", map[string]any{"id": "not-a-uuid"}, 400, "id", "is_uuid", nil},

			// Paging.
			{"PageSizeTooBig", "GET", "/v3/system-accounts?page[size]=1001", nil, 400, "page[size]", "max", maxIs(1000)},
			{"PageSizeZero", "GET", "/v3/teams?page[size]=0", nil, 400, "page[size]", "min", minIs(1)},
			{"PageSizeNegative", "GET", "/v3/users?page[size]=-5", nil, 400, "page[size]", "min", minIs(1)},
			{"PageSizeNotInt", "GET", "/v3/audit-events?page[size]=ten", nil, 400, "page[size]", "is_integer", nil},
			{"PageNumberNotInt", "GET", "/v3/system-accounts?page[number]=abc", nil, 400, "page[number]", "", nil},
			{"PageNumberZero", "GET", A + "/access-tokens?page[number]=0", nil, 400, "page[number]", "", nil},
			{"PageSizeTeamUsers", "GET", T + "/users?page[size]=1001", nil, 400, "page[size]", "max", maxIs(1000)},
			{"PageSizeMemberTeams", "GET", U + "/teams?page[size]=1001", nil, 400, "page[size]", "max", maxIs(1000)},

			// Bodies over 1 MiB.
			{"TooLargeAccount", "POST", "/v3/system-accounts", huge, 413, "", "", nil},
			{"TooLargeTeamPatch", "PATCH", T, huge, 413, "", "", nil},
			{"TooLargeToken", "POST", A + "/access-tokens", huge, 413, "", "", nil},

			// Lifetimes.
			{"SPATExpiresPast", "POST", A + "/access-tokens", map[string]any{"name": "late", "expires_at": past}, 400, "expires_at", "", nil},
			{"SPATExpiresNow", "POST", A + "/access-tokens", map[string]any{"name": "late", "expires_at": e.Clock.Now().Format(time.RFC3339)}, 400, "expires_at", "", nil},
			{"SPATExpiresTooFar", "POST", A + "/access-tokens", map[string]any{"name": "far", "expires_at": e.Clock.Now().Add(366 * 24 * time.Hour).Format(time.RFC3339)}, 400, "expires_at", "max", nil},
			{"PATExpiresPast", "POST", PAT, map[string]any{"name": "late", "expires_at": past}, 400, "expires_at", "", nil},

			// Role assignments outside the catalogue.
			{"UnknownRole", "POST", A + "/assigned-roles", goodRole("role_name", "Overlord"), 400, "role_name", "enum", choicesHave("Viewer", "Admin")},
			{"RoleOfOtherType", "POST", T + "/assigned-roles", goodRole("role_name", "Connector"), 400, "role_name", "enum", choicesHave("Viewer")},
			{"UnknownEntityType", "POST", U + "/assigned-roles", goodRole("entity_type_name", "Spaceships"), 400, "entity_type_name", "enum", choicesHave("Control Planes", "Identity")},
			{"UnknownRegion", "POST", A + "/assigned-roles", goodRole("entity_region", "mars"), 400, "entity_region", "enum", choicesHave("us", "eu", "*")},
			{"EmptyRegion", "POST", T + "/assigned-roles", goodRole("entity_region", ""), 400, "entity_region", "enum", choicesHave("us")},
			{"BadEntityID", "POST", U + "/assigned-roles", goodRole("entity_id", "cp-1"), 400, "entity_id", "is_uuid", nil},
			{"MissingEntityID", "POST", A + "/assigned-roles", goodRole("entity_id", ""), 400, "entity_id", "required", nil},
			{"EmptyAssignment", "POST", A + "/assigned-roles", map[string]any{}, 400, "entity_type_name", "required", nil},

			// Rules that hold whatever the input's shape.
			{"PatchManaged", "PATCH", A, map[string]any{"konnect_managed": true}, 400, "konnect_managed", "", nil},
			{"PATUnknownProperty", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": 86400, "scope": "all"}, 400, "scope", "unknown_property", nil},
			{"PATBothLifetimes", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": 86400, "expires_at": future}, 400, "", "", nil},
			{"PATTTLTooShort", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": 86399}, 400, "ttl_seconds", "min", minIs(86400)},
			{"PATTTLTooLong", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": 31536001}, 400, "ttl_seconds", "max", maxIs(31536000)},
			{"SystemTeamPatch", "PATCH", "/v3/teams/" + orgAdmin, map[string]any{"name": "Renamed"}, 400, "teamID", "", nil},
			{"SystemTeamDelete", "DELETE", "/v3/teams/" + orgAdmin, nil, 400, "teamID", "", nil},

			// Unknown fields, on every kind of body: a misspelt restriction
			// must not mint an unrestricted token.
			{"UnknownAllowedCIDR", "POST", A + "/access-tokens", badJSON(tokenBody(`,"allowed_cidr":["10.0.0.0/8"]`)), 400, "allowed_cidr", "unknown_property", nil},
			{"UnknownScopes", "POST", A + "/access-tokens", badJSON(tokenBody(`,"scopes":[]`)), 400, "scopes", "unknown_property", nil},
			{"UnknownInScopeItem", "POST", A + "/access-tokens", badJSON(tokenBody(`,"scope":[{"role_name":"Viewer","entity_type_name":"Control Planes","entity_id":"*","entity_region":"us","entity":"x"}]`)), 400, "scope[0].entity", "unknown_property", nil},
			{"ScopeItemNotObject", "POST", A + "/access-tokens", badJSON(tokenBody(`,"scope":["Viewer"]`)), 400, "scope[0]", "is_object", nil},
			{"UnknownAccountCreate", "POST", "/v3/system-accounts", map[string]any{"name": "n", "description": "d", "colour": "red"}, 400, "colour", "unknown_property", nil},
			{"UnknownAccountPatch", "PATCH", A, map[string]any{"nmae": "n"}, 400, "nmae", "unknown_property", nil},
			{"UnknownTeamCreate", "POST", "/v3/teams", map[string]any{"name": "n", "label": map[string]string{"a": "b"}}, 400, "label", "unknown_property", nil},
			{"UnknownTeamPatch", "PATCH", T, map[string]any{"descripton": "d"}, 400, "descripton", "unknown_property", nil},
			{"UnknownAssign", "POST", A + "/assigned-roles", goodRole("entity", "x"), 400, "entity", "unknown_property", nil},
			{"UnknownMember", "POST", T + "/users", map[string]any{"id": user, "role": "owner"}, 400, "role", "unknown_property", nil},
			{"UnknownUserPatch", "PATCH", U, map[string]any{"email": "new@example.com"}, 400, "email", "unknown_property", nil},
			{"UnknownUserCreate", "POST", "/v3/users", map[string]any{"email": "new@example.com", "admin": true}, 400, "admin", "unknown_property", nil},
			{"UnknownInvite", "POST", "/v3/invites", map[string]any{"email": "new@example.com", "team": "x"}, 400, "team", "unknown_property", nil},
			{"UnknownTokenRename", "PATCH", A + "/access-tokens/" + tokID, map[string]any{"name": "n", "expires_at": future}, 400, "expires_at", "unknown_property", nil},
			{"UnknownRotate", "POST", A + "/access-tokens/" + tokID + "/rotate", map[string]any{"overlap": 5}, 400, "overlap", "unknown_property", nil},
			{"UnknownPolicy", "PUT", "/v1/token-policy", map[string]any{"max_lifetime_seconds": 7200, "default_lifetime_seconds": 3600, "allow_non_expiring": true, "force": true}, 400, "force", "unknown_property", nil},
			{"UnknownCheck", "POST", "/v1/check", map[string]any{"token": "spat_x", "check": []any{}}, 400, "check", "unknown_property", nil},
			{"UnknownInCheckItem", "POST", "/v1/check", map[string]any{"token": "spat_x", "checks": []any{map[string]any{"role": "Viewer"}}}, 400, "checks[0].role", "unknown_property", nil},
			{"UnknownLeakReport", "POST", "/v1/leak-reports", map[string]any{"tokens": []string{"spat_x"}, "src": "x"}, 400, "src", "unknown_property", nil},
			{"UnknownWebhook", "POST", "/v1/webhooks", map[string]any{"name": "n", "url": "https://example.com/", "event_types": []string{"token.expired"}, "secret": "mine"}, 400, "secret", "unknown_property", nil},
			// Operations without a body refuse any field rather than ignore it.
			{"UnknownOnDisable", "POST", A + "/disable", map[string]any{"reason": "x"}, 400, "reason", "unknown_property", nil},
			{"UnknownOnTokenDelete", "DELETE", A + "/access-tokens/" + tokID, map[string]any{"force": true}, 400, "force", "unknown_property", nil},
			{"UnknownOnTeamDelete", "DELETE", T, map[string]any{"cascade": true}, 400, "cascade", "unknown_property", nil},
			{"UnknownOnSetupLink", "POST", U + "/setup-link", map[string]any{"ttl": 60}, 400, "ttl", "unknown_property", nil},
			{"UnknownOnRevoke", "PATCH", PAT + "/" + patID + "/revoke", map[string]any{"reason": "x"}, 400, "reason", "unknown_property", nil},
			{"ArrayOnDisable", "POST", A + "/disable", badJSON(`[]`), 400, "body", "", nil},

			// Repeated keys, at the top and nested, however they are spelt.
			{"DuplicateKey", "POST", "/v3/system-accounts", badJSON(`{"name":"a","description":"b","name":"c"}`), 400, "name", "invalid", nil},
			{"DuplicateKeyEscaped", "POST", "/v3/system-accounts", badJSON(`{"name":"a","description":"b","n\u0061me":"c"}`), 400, "name", "invalid", nil},
			{"DuplicateLabel", "POST", "/v3/teams", badJSON(`{"name":"x","labels":{"env":"a","env":"b"}}`), 400, "labels.env", "invalid", nil},
			{"DuplicateInScopeItem", "POST", A + "/access-tokens", badJSON(tokenBody(`,"scope":[{"role_name":"Viewer","role_name":"Admin","entity_type_name":"Control Planes","entity_id":"*","entity_region":"us"}]`)), 400, "scope[0].role_name", "invalid", nil},
			{"DuplicateOnDisable", "POST", A + "/disable", badJSON(`{"a":1,"a":2}`), 400, "a", "invalid", nil},

			// Invalid UTF-8, raw or as an escaped lone surrogate, is refused
			// rather than stored as U+FFFD.
			{"BadUTF8Body", "POST", "/v3/teams", badJSON("{\"name\":\"a\xffb\"}"), 400, "body", "invalid", nil},
			{"BadUTF8Patch", "PATCH", A, badJSON("{\"description\":\"\xc3\"}"), 400, "body", "invalid", nil},
			{"LoneSurrogate", "POST", "/v3/teams", badJSON(`{"name":"a\ud800b"}`), 400, "name", "invalid", nil},
			{"LoneLowSurrogate", "PATCH", T, badJSON(`{"description":"\udc00"}`), 400, "description", "invalid", nil},

			// A non-empty body must say it is JSON.
			{"ContentTypeText", "POST", "/v3/teams", rawReq{`{"name":"x"}`, ct("text/plain")}, 415, "", "", nil},
			{"ContentTypeMissing", "POST", "/v3/system-accounts", rawReq{`{"name":"x","description":""}`, nil}, 415, "", "", nil},
			{"ContentTypeForm", "PATCH", T, rawReq{`name=x`, ct("application/x-www-form-urlencoded")}, 415, "", "", nil},
			{"ContentTypeLatin1", "POST", A + "/access-tokens", rawReq{tokenBody(""), ct("application/json; charset=iso-8859-1")}, 415, "", "", nil},
			{"ContentTypeParam", "POST", T + "/users", rawReq{`{"id":"` + user + `"}`, ct("application/json; profile=x")}, 415, "", "", nil},
			{"ContentTypeXML", "PUT", "/v1/token-policy", rawReq{`<policy/>`, ct("application/xml")}, 415, "", "", nil},
			{"ContentTypeOnDisable", "POST", A + "/disable", rawReq{`{}`, ct("text/plain")}, 415, "", "", nil},
			{"ContentTypeOnDelete", "DELETE", T, rawReq{`{}`, ct("text/plain")}, 415, "", "", nil},
			{"IntrospectJSON", "POST", "/oauth2/introspect", rawReq{`{"token":"spat_x"}`, ct("application/json")}, 415, "", "", nil},
			{"IntrospectTokenTwice", "POST", "/oauth2/introspect", rawReq{`token=a&token=b`, ct("application/x-www-form-urlencoded")}, 400, "token", "invalid", nil},

			// Query limits.
			{"FilterValueHuge", "GET", "/v3/system-accounts?filter[name][contains]=" + strings.Repeat("a", 50001), nil, 400, "filter[name][contains]", "max_length", maxIs(256)},
			{"FilterValue257", "GET", "/v3/users?filter[email][eq]=" + strings.Repeat("é", 257), nil, 400, "filter[email][eq]", "max_length", maxIs(256)},
			{"FilterLabelKeyLong", "GET", "/v3/teams?filter[labels." + strings.Repeat("k", 256) + "]=x", nil, 400, "filter[labels." + strings.Repeat("k", 256) + "]", "max_length", maxIs(256)},
			{"FilterAuditLong", "GET", "/v3/audit-events?filter[action]=" + strings.Repeat("a", 300), nil, 400, "filter[action]", "max_length", maxIs(256)},
			{"FilterTwice", "GET", "/v3/teams?filter[name]=a&filter[name]=b", nil, 400, "filter[name]", "invalid", nil},
			{"PageNumberTooLarge", "GET", "/v3/teams?page[number]=1073741825", nil, 400, "page[number]", "max", maxIs(1 << 30)},
			{"PageNumberOverflow", "GET", "/v3/users?page[number]=99999999999999999999", nil, 400, "page[number]", "max", maxIs(1 << 30)},
			{"PageNumberNegativeOverflow", "GET", "/v3/users?page[number]=-99999999999999999999", nil, 400, "page[number]", "min", minIs(1)},
			{"PageSizeOverflow", "GET", "/v3/system-accounts?page[size]=99999999999999999999", nil, 400, "page[size]", "max", maxIs(1000)},
			{"PageSizeTwice", "GET", "/v3/system-accounts?page[size]=1&page[size]=2", nil, 400, "page[size]", "invalid", nil},

			// Methods a path does not serve.
			{"MethodPutTeams", "PUT", "/v3/teams", map[string]any{"name": "x"}, 405, "", "", nil},
			{"MethodPostAccount", "POST", A, map[string]any{"name": "x"}, 405, "", "", nil},
			{"MethodDeleteRoles", "DELETE", "/v3/roles", nil, 405, "", "", nil},
			{"MethodPatchV2", "PATCH", "/v2/system-accounts", map[string]any{"name": "x"}, 405, "", "", nil},
			{"MethodGetRotate", "GET", A + "/access-tokens/" + tokID + "/rotate", nil, 405, "", "", nil},
			{"MethodBrew", "BREW", T, nil, 405, "", "", nil},

			// Edges: request headers over the limit.
			{"HeadersTooLarge", "POST", "/v3/teams", rawReq{`{"name":"x"}`, bigHeader}, 431, "", "", nil},

			// Null where a value is required, and where none may be cleared.
			{"AccountNameNull", "POST", "/v3/system-accounts", map[string]any{"name": nil, "description": "d"}, 400, "name", "required", nil},
			{"AccountDescriptionNullOnCreate", "POST", "/v3/system-accounts", map[string]any{"name": "n", "description": nil}, 400, "description", "required", nil},
			{"TeamLabelNullOnCreate", "POST", "/v3/teams", map[string]any{"name": "n", "labels": map[string]any{"env": nil}}, 400, "labels.env", "is_string", nil},
			{"PolicyAllowNull", "PUT", "/v1/token-policy", map[string]any{"max_lifetime_seconds": 7200, "default_lifetime_seconds": 3600, "allow_non_expiring": nil}, 400, "allow_non_expiring", "required", nil},
			{"PATTTLNull", "POST", PAT, map[string]any{"name": "ci", "ttl_seconds": nil}, 400, "expires_at", "required", nil},
			{"SystemTeamDescriptionNull", "PATCH", "/v3/teams/" + orgAdmin, map[string]any{"description": nil}, 400, "teamID", "", nil},

			// Basic credentials with another principal's name write nothing.
			{"BasicWrongName", "POST", "/v3/teams", rawReq{`{"name":"x"}`, http.Header{"Content-Type": {"application/json"}, "Authorization": {basic("fixture", e.Admin)}}}, 401, "", "", nil},
		}

		watched := []string{
			"/v3/system-accounts?page[size]=1000", "/v3/teams?page[size]=1000", "/v3/users?page[size]=1000",
			"/v3/audit-events?page[size]=1000", A, A + "/access-tokens", A + "/assigned-roles", A + "/teams",
			T, T + "/users", T + "/system-accounts", T + "/assigned-roles", U, U + "/assigned-roles", U + "/teams",
			PAT, "/v3/teams/" + orgAdmin + "/assigned-roles", "/v3/teams/" + orgAdmin, "/v1/token-policy", "/v1/webhooks",
		}
		// Each row must add no audit event, and all rows together must leave
		// every watched resource byte for byte as it was. (A full snapshot
		// per row would cost more than the whole suite may take.)
		before := snapshot(t, e, watched)
		lastAudit := audit(t, e, "?page[size]=1")
		for _, c := range rows {
			t.Run(c.name, func(t *testing.T) {
				var r *apitest.Response
				if rr, ok := c.body.(rawReq); ok {
					r = sendRaw(t, e, c.method, c.path, rr)
				} else {
					r = e.Do(c.method, c.path, e.Admin, c.body)
				}
				now := audit(t, e, "?page[size]=1")
				if now.Meta.Page.Total != lastAudit.Meta.Page.Total {
					t.Errorf("audit events %d → %d: newest %+v", lastAudit.Meta.Page.Total, now.Meta.Page.Total, now.Data)
				}
				lastAudit = now
				if r.Status >= 500 {
					t.Fatalf("%s %s → %d: %s", c.method, c.path, r.Status, r.Body)
				}
				if c.field == "" {
					wantProblem(t, r, c.status)
				} else {
					ip := wantInvalid(t, r, c.field, c.rule)
					if c.check != nil {
						c.check(t, ip)
					}
				}
			})
		}
		wantUnchanged(t, before, snapshot(t, e, watched))
	})
}

// The reason of a system-team refusal is Konnect's own words.
func TestBadInputSystemTeamReason(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		id := systemTeam(t, e, "Portal Admin")
		for _, m := range []string{"PATCH", "DELETE"} {
			var body any
			if m == "PATCH" {
				body = map[string]any{"description": "mine now"}
			}
			ip := wantInvalid(t, e.Do(m, "/v3/teams/"+id, e.Admin, body), "teamID", "")
			if ip.Reason != "system teams cannot be modified" {
				t.Errorf("%s: reason %q", m, ip.Reason)
			}
		}
		got := e.Do("GET", "/v3/teams/"+id, e.Admin, nil).Want(t, 200).Map(t)
		if got["name"] != "Portal Admin" || got["description"] == "mine now" {
			t.Errorf("system team changed: %v", got)
		}
	})
}

// Unknown routes and methods are problem+json too.
func TestBadInputRoutes(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/v3/nothing-here", http.StatusNotFound},
			{"GET", "/v3/system-accounts/00000000-0000-4000-8000-000000000000", http.StatusNotFound},
			{"GET", fmt.Sprintf("/v3/teams/%s", "00000000-0000-4000-8000-000000000000"), http.StatusNotFound},
			{"GET", "/v3/users/00000000-0000-4000-8000-000000000000", http.StatusNotFound},
		} {
			wantProblem(t, e.Do(c.method, c.path, e.Admin, nil), c.status)
		}
	})
}
