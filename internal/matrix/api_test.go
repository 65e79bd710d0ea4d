package matrix_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

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
	everyone = concat(valid, []string{anon, netBound, disabled, expired, rotatedOut, deactivatedUser, appPassword})
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
	// auditAdmins manage the audit trail's export.
	auditAdmins = []string{orgAdmin, adminUser, auditAdmin}
	// introspectors may ask about other tokens.
	introspectors = concat(idRead, []string{introspector})
	nobody        = []string{}

	// saSelf run the rows where a system account's token acts on its own
	// account; userSelf where a user acts on their own tokens.
	saSelf   = concat(saValid, []string{netBound, disabled, expired, rotatedOut, appPassword})
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
	cs = append(cs, auditExportCases()...)
	cs = append(cs, decisionCases()...)
	return append(cs,
		row("GET", "/v3/roles", "", valid, get("/v3/roles")),
		row("GET", "/v3/organizations/me", "", valid, get("/v3/organizations/me")),
		// The audit trail's retention is Organization Admin's alone.
		row("PATCH", "/v3/organizations/me", "", orgAdmins, func(*apiCell) apiReq {
			return apiReq{path: "/v3/organizations/me", body: map[string]any{"retention_period_days": 90}}
		}),
		row("GET", "/v1/whoami", "", valid, get("/v1/whoami")),
		row("GET", "/v3/audit-events", "", auditors, get("/v3/audit-events")),
		// The audit log's integrity: what proves the trail is read like
		// the trail; the keys that verify it are public; only
		// Organization Admin rotates them.
		row("GET", "/v1/audit/checkpoint", "", auditors, get("/v1/audit/checkpoint")),
		row("GET", "/v1/audit/checkpoints", "", auditors, get("/v1/audit/checkpoints?limit=5")),
		row("GET", "/v1/audit/leaves", "", auditors, get("/v1/audit/leaves?from=0&limit=5")),
		row("GET", "/v1/audit/proof/inclusion", "", auditors, get("/v1/audit/proof/inclusion?seq=0&size=1")),
		row("GET", "/v1/audit/proof/consistency", "", auditors, get("/v1/audit/proof/consistency?from=1&to=1")),
		row("GET", "/v1/audit/keys", "", everyone, get("/v1/audit/keys")),
		row("GET", "/v2/audit-log-webhook/jwks.json", "", everyone, get("/v2/audit-log-webhook/jwks.json")),
		row("POST", "/v1/audit/keys/rotate", "", orgAdmins, func(*apiCell) apiReq {
			return apiReq{path: "/v1/audit/keys/rotate", body: map[string]any{"purpose": "entry"}}
		}),
		row("GET", "/v1/tokens/expiring", "", idRead, get("/v1/tokens/expiring?within_days=5")),
		row("GET", "/v1/token-policy", "", valid, get("/v1/token-policy")),
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
