package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/apitest"
)

const someID = "00000000-0000-4000-8000-000000000000"

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// A known path answers a method it does not serve with 405 problem+json
// and an Allow header of exactly its methods, before any authentication.
func TestMethodNotAllowed(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		for _, c := range []struct{ method, path, allow string }{
			{"PUT", "/v3/teams", "GET, HEAD, OPTIONS, POST"},
			{"POST", "/v3/teams/" + someID, "DELETE, GET, HEAD, OPTIONS, PATCH"},
			{"GET", "/v3/system-accounts/" + someID + "/disable", "OPTIONS, POST"},
			{"PUT", "/v2/system-accounts/" + someID + "/access-tokens/" + someID + "/rotate", "OPTIONS, POST"},
			{"POST", "/v3/users/me", "GET, HEAD, OPTIONS"},
			{"DELETE", "/v1/token-policy", "GET, HEAD, OPTIONS, PUT"},
			{"GET", "/oauth2/introspect", "OPTIONS, POST"},
			{"POST", "/healthz", "GET, HEAD, OPTIONS"},
			{"POST", "/metrics", "GET, HEAD, OPTIONS"},
			{"HEAD", "/v1/check", "OPTIONS, POST"},
		} {
			for _, token := range []string{e.Admin, ""} {
				r := sendRaw(t, e, c.method, c.path, rawReq{hdr: http.Header{"Authorization": {"Bearer " + token}}})
				if c.method == "HEAD" {
					r.Want(t, http.StatusMethodNotAllowed)
				} else {
					wantProblem(t, r, http.StatusMethodNotAllowed)
				}
				if got := r.Header.Get("Allow"); got != c.allow {
					t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
				}
			}
		}
	})
}

// Every path of the route table answers 405 to a method it does not
// serve, so that the catch-all route can never again turn one into 404.
func TestMethodNotAllowedEveryPath(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	methods := map[string][]string{}
	for _, r := range httpapi.New(httpapi.Config{}).Routes() {
		methods[r.Path] = append(methods[r.Path], r.Method)
	}
	for path, ms := range methods {
		if strings.HasPrefix(path, "/v1/authorize") {
			continue // every method is a decision there
		}
		probe := "PUT"
		if strings.Contains(strings.Join(ms, " "), "PUT") {
			probe = "PATCH"
		}
		p := wildcard.ReplaceAllString(path, someID)
		r := e.Do(probe, p, e.Admin, nil)
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", probe, p, r.Status)
			continue
		}
		for _, m := range ms {
			if !strings.Contains(r.Header.Get("Allow"), m) {
				t.Errorf("%s %s: Allow %q lacks %s", probe, p, r.Header.Get("Allow"), m)
			}
		}
	}
}

// OPTIONS on a known path answers 204 with Allow, no body and no CORS
// headers; on an unknown path 404; on the decision routes, a decision.
func TestOptions(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	for path, allow := range map[string]string{
		"/v3/teams":                           "GET, HEAD, OPTIONS, POST",
		"/v3/system-accounts/" + someID:       "DELETE, GET, HEAD, OPTIONS, PATCH",
		"/v3/users/me":                        "GET, HEAD, OPTIONS",
		"/v1/webhooks/" + someID + "/test":    "OPTIONS, POST",
		"/v3/users/" + someID + "/setup-link": "OPTIONS, POST",
	} {
		for _, token := range []string{e.Admin, ""} {
			r := e.Do("OPTIONS", path, token, nil).Want(t, http.StatusNoContent)
			if got := r.Header.Get("Allow"); got != allow {
				t.Errorf("OPTIONS %s: Allow %q, want %q", path, got, allow)
			}
			if len(r.Body) != 0 {
				t.Errorf("OPTIONS %s: body %q", path, r.Body)
			}
			for h := range r.Header {
				if strings.HasPrefix(h, "Access-Control-") {
					t.Errorf("OPTIONS %s: CORS header %s", path, h)
				}
			}
		}
	}
	wantProblem(t, e.Do("OPTIONS", "/v3/nothing", e.Admin, nil), http.StatusNotFound)
	wantProblem(t, e.Do("OPTIONS", "/v1/authorize", "", nil), http.StatusUnauthorized)
	e.Do("OPTIONS", "/v1/authorize/anything", e.Admin, nil).Want(t, http.StatusOK)
}

// Every route that changes state refuses a field it does not know, its
// body-less ones included, before it reads or writes anything: a route
// added later cannot forget to.
func TestEveryWriteRefusesUnknownFields(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	for _, r := range httpapi.New(httpapi.Config{}).Routes() {
		if r.Method == "GET" || r.Method == "HEAD" || r.Method == "OPTIONS" || strings.HasPrefix(r.Path, "/v1/authorize") {
			continue
		}
		p := wildcard.ReplaceAllString(r.Path, someID)
		res := e.Do(r.Method, p, e.Admin, map[string]any{"zz_unknown": 1})
		if r.Path == "/oauth2/introspect" { // form-encoded only
			wantProblem(t, res, http.StatusUnsupportedMediaType)
			continue
		}
		if ip := wantInvalid(t, res, "zz_unknown", "unknown_property"); ip.Source != "body" {
			t.Errorf("%s %s: source %q", r.Method, p, ip.Source)
		}
	}
}

// Bodies that say they are JSON in any accepted way are read; empty
// bodies are never checked, whatever their Content-Type.
func TestContentTypesAccepted(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "ct-bot")
		tokID, _ := mintSPAT(t, e, acct, "ct-token")
		A := "/v3/system-accounts/" + acct
		for i, v := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; Charset=UTF-8",
			"application/merge-patch+json", "application/vnd.konghq+json;charset=\"utf-8\""} {
			team := map[string]any{}
			sendRaw(t, e, "POST", "/v3/teams", rawReq{`{"name":"ct-` + string(rune('a'+i)) + `"}`, ct(v)}).Want(t, http.StatusCreated).JSON(t, &team)
			sendRaw(t, e, "PATCH", "/v3/teams/"+team["id"].(string), rawReq{`{"description":"by type ` + string(rune('a'+i)) + `"}`, ct(v)}).Want(t, http.StatusOK)
		}
		sendRaw(t, e, "POST", A+"/disable", rawReq{"", ct("text/plain")}).Want(t, http.StatusOK)
		sendRaw(t, e, "POST", A+"/enable", rawReq{"", nil}).Want(t, http.StatusOK)
		sendRaw(t, e, "POST", A+"/disable", rawReq{`{}`, ct("application/json")}).Want(t, http.StatusOK)
		sendRaw(t, e, "POST", A+"/enable", rawReq{" \n", ct("application/json")}).Want(t, http.StatusOK)
		sendRaw(t, e, "POST", A+"/access-tokens/"+tokID+"/rotate", rawReq{"", nil}).Want(t, http.StatusCreated)
		sendRaw(t, e, "POST", "/oauth2/introspect", rawReq{"token=spat_x", ct("application/x-www-form-urlencoded; charset=utf-8")}).Want(t, http.StatusOK)
	})
}

// Responses that carry a token value or a secret must not be cached.
func TestNoStoreOnSecrets(t *testing.T) {
	apitest.EachWith(t, apitest.Options{SecretKey: secretKey(t), WebhookNetworks: apitest.Loopback}, func(t *testing.T, e *apitest.Env) {
		acct := createAccount(t, e, e.Admin, "secret-bot")
		A := "/v3/system-accounts/" + acct
		future := e.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
		var tok, hook struct{ ID string }
		created := e.Do("POST", A+"/access-tokens", e.Admin, map[string]any{"name": "t", "expires_at": future}).Want(t, 201)
		created.JSON(t, &tok)
		user := createUser(t, e, "pat@example.com", "Pat")
		hookRes := e.Do("POST", "/v1/webhooks", e.Admin, map[string]any{"name": "h", "url": newReceiver(t, e).srv.URL, "event_types": []string{"token.expired"}}).Want(t, 201)
		hookRes.JSON(t, &hook)
		for name, r := range map[string]*apitest.Response{
			"TokenCreate":         created,
			"TokenRotate":         e.Do("POST", A+"/access-tokens/"+tok.ID+"/rotate", e.Admin, nil).Want(t, 201),
			"PersonalTokenCreate": e.Do("POST", "/v3/users/"+e.AdminID+"/access-tokens", e.Admin, map[string]any{"name": "ci", "ttl_seconds": 86400}).Want(t, 201),
			"WebhookCreate":       hookRes,
			"WebhookRotate":       e.Do("POST", "/v1/webhooks/"+hook.ID+"/rotate-secret", e.Admin, nil).Want(t, 200),
			"SetupLink":           e.Do("POST", "/v3/users/"+user+"/setup-link", e.Admin, nil).Want(t, 201),
		} {
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", name, got)
			}
		}
	})
}

// Every answer of the API, refusals and the decision routes included,
// tells browsers not to sniff its content type.
func TestNosniffEverywhere(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	acct := createAccount(t, e, e.Admin, "sniff-bot")
	for name, r := range map[string]*apitest.Response{
		"200":           e.Do("GET", "/v3/teams", e.Admin, nil).Want(t, 200),
		"201":           e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "n"}).Want(t, 201),
		"204":           e.Do("DELETE", "/v3/system-accounts/"+acct, e.Admin, nil).Want(t, 204),
		"400":           e.Do("GET", "/v3/teams?page[size]=0", e.Admin, nil).Want(t, 400),
		"401":           e.Do("GET", "/v3/teams", "", nil).Want(t, 401),
		"404":           e.Do("GET", "/v3/nothing", e.Admin, nil).Want(t, 404),
		"405":           e.Do("PUT", "/v3/teams", e.Admin, nil).Want(t, 405),
		"413":           e.Do("POST", "/v3/teams", e.Admin, `{"name":"`+strings.Repeat("x", 1<<20)+`"}`).Want(t, 413),
		"415":           sendRaw(t, e, "POST", "/v3/teams", rawReq{`{}`, ct("text/plain")}).Want(t, 415),
		"431":           sendRaw(t, e, "GET", "/v3/teams", rawReq{hdr: http.Header{"X-Padding": {strings.Repeat("p", 65<<10)}}}).Want(t, 431),
		"OPTIONS":       e.Do("OPTIONS", "/v3/teams", e.Admin, nil).Want(t, 204),
		"OpenAPI":       e.Do("GET", "/openapi.yaml", "", nil).Want(t, 200),
		"Healthz":       e.Do("GET", "/healthz", "", nil).Want(t, 200),
		"AuthorizeOK":   e.Do("GET", "/v1/authorize", e.Admin, nil).Want(t, 200),
		"AuthorizeNo":   e.Do("GET", "/v1/authorize", "", nil).Want(t, 401),
		"AuthorizePath": e.Do("POST", "/v1/authorize/x", e.Admin, nil).Want(t, 200),
		"Introspect":    sendRaw(t, e, "POST", "/oauth2/introspect", rawReq{"token=x", ct("application/x-www-form-urlencoded")}).Want(t, 200),
	} {
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", name, got)
		}
	}
}

// The API's header limit answers 431 problem+json, and a request just
// under it is served.
func TestHeaderLimit(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	pad := func(n int) rawReq { return rawReq{hdr: http.Header{"X-Padding": {strings.Repeat("p", n)}}} }
	sendRaw(t, e, "GET", "/v1/whoami", pad(httpapi.DefaultMaxHeaderBytes-1024)).Want(t, 200)
	p := wantProblem(t, sendRaw(t, e, "GET", "/v1/whoami", pad(httpapi.DefaultMaxHeaderBytes)), http.StatusRequestHeaderFieldsTooLarge)
	if p.Title != "Request Header Fields Too Large" || !strings.Contains(p.Detail, "65536") {
		t.Errorf("problem %+v", p)
	}
	// A long query counts: it is in the request line.
	wantProblem(t, e.Do("GET", "/v3/teams?filter[name]="+strings.Repeat("q", 70<<10), e.Admin, nil), http.StatusRequestHeaderFieldsTooLarge)
}
