package matrix_test

import (
	"strings"
	"testing"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/internal/matrix"
	"github.com/keyhold/keyhold/metrics"
	"github.com/keyhold/keyhold/web"
)

func apiRoutes(s *httpapi.Server) []matrix.Route {
	var out []matrix.Route
	for _, r := range s.Routes() {
		out = append(out, matrix.Route{Method: r.Method, Path: r.Path})
	}
	return out
}

func consoleRoutes(s *web.Server) []matrix.Route {
	var out []matrix.Route
	for _, r := range s.Routes() {
		out = append(out, matrix.Route{Method: r.Method, Path: r.Path})
	}
	return out
}

func rowsOf[C interface{ row() matrix.Row }](cs []C) []matrix.Row {
	out := make([]matrix.Row, len(cs))
	for i, c := range cs {
		out[i] = c.row()
	}
	return out
}

func (c apiCase) row() matrix.Row     { return c.Row }
func (c consoleCase) row() matrix.Row { return c.Row }

func apiCallerList(cs []*apiCaller) []matrix.Caller {
	var out []matrix.Caller
	for _, c := range cs {
		out = append(out, matrix.Caller{Name: c.name, DenyStatus: c.deny})
	}
	return out
}

func consoleCallerList(cs []*consoleCaller) []matrix.Caller {
	var out []matrix.Caller
	for _, c := range cs {
		out = append(out, matrix.Caller{Name: c.name, DenyStatus: c.deny})
	}
	return out
}

// TestAuthorizationMatrix runs every route of the API and of the console as every kind
// of caller, and compares who was let through with the tables of
// api_test.go and console_test.go.
func TestAuthorizationMatrix(t *testing.T) {
	o := apitest.Options{Console: true, Metrics: metrics.New(), AuthFailureLimit: -1,
		SecretKey: make([]byte, 32), WebhookNetworks: apitest.Loopback}
	apitest.EachWith(t, o, func(t *testing.T, e *apitest.Env) {
		api, console := apiCases(), consoleCases()
		everyRouteHasARow(t, "API", apiRoutes(e.API), rowsOf(api))
		everyRouteHasARow(t, "console", consoleRoutes(e.Console), rowsOf(console))
		x := newWorld(t, e)
		apiCallers, consoleCallers := callers(x)
		x.index(apiCallers, consoleCallers)
		t.Run("API", func(t *testing.T) {
			x.t = t
			report(t, matrix.Check(rowsOf(api), apiCallerList(apiCallers), runAPI(x, api, apiCallers)))
		})
		t.Run("Console", func(t *testing.T) {
			x.t = t
			report(t, matrix.Check(rowsOf(console), consoleCallerList(consoleCallers), runConsole(x, console, consoleCallers)))
		})
		t.Logf("%d requests", x.sent)
		// The test of the test: a table with one row changed fails, in
		// each direction, and so does a refusal with the wrong status.
		t.Run("FlippedRowIsReported", func(t *testing.T) {
			x.t = t
			r := rowNamed(api, "GET /v3/teams")
			r.Allow = flip(r.Allow, orgAdminRO, cpViewer)
			callers := apiCallerList(apiCallers)
			for i := range callers {
				if callers[i].Name == netBound {
					callers[i].DenyStatus = 401
				}
			}
			wantDiffs(t, matrix.Check(rowsOf([]apiCase{r}), callers, runAPI(x, []apiCase{r}, apiCallers)),
				"GET /v3/teams as "+orgAdminRO+": want deny, got allow (200",
				"GET /v3/teams as "+cpViewer+": want allow, got deny (403",
				"GET /v3/teams as "+netBound+": refused with 403, want 401")
			c := rowNamed(console, "GET /ui/teams")
			c.Allow = flip(c.Allow, identityAdmin, plainUser)
			wantDiffs(t, matrix.Check(rowsOf([]consoleCase{c}), consoleCallerList(consoleCallers), runConsole(x, []consoleCase{c}, consoleCallers)),
				"GET /ui/teams as "+identityAdmin+": want deny, got allow (200",
				"GET /ui/teams as "+plainUser+": want allow, got deny (403")
		})
	})
}

// rowNamed returns the case of a table with the key given.
func rowNamed[C interface{ row() matrix.Row }](cs []C, key string) C {
	for _, c := range cs {
		if c.row().Key() == key {
			return c
		}
	}
	panic("no row " + key)
}

// flip takes out of callers one that is in, and puts in one that is not.
func flip(callers []string, out, in string) []string {
	var res []string
	for _, c := range callers {
		if c != out {
			res = append(res, c)
		}
	}
	return append(res, in)
}

// wantDiffs fails unless diffs are exactly the lines that start as want.
func wantDiffs(t *testing.T, diffs []string, want ...string) {
	t.Helper()
	ok := len(diffs) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(diffs[i], want[i])
	}
	if !ok {
		t.Errorf("the checker reported:\n%s\nwant lines starting:\n%s", strings.Join(diffs, "\n"), strings.Join(want, "\n"))
	}
}

func everyRouteHasARow(t *testing.T, surface string, routes []matrix.Route, rows []matrix.Row) {
	t.Helper()
	for _, r := range matrix.Missing(routes, rows) {
		t.Errorf("%s route %s has no row in the matrix: decide who may call it", surface, r)
	}
	for _, r := range matrix.Stale(routes, rows) {
		t.Errorf("%s row %s names no route", surface, r.Key())
	}
}

func report(t *testing.T, diffs []string) {
	t.Helper()
	if len(diffs) > 0 {
		t.Errorf("%d cells differ from the matrix:\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
}
