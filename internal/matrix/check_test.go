package matrix_test

import (
	"slices"
	"testing"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/matrix"
	"github.com/keyhold/keyhold/web"
)

// A route that the tables do not name is reported, on both surfaces: a
// new route cannot be added without deciding who may call it. So is a
// row whose route is gone.
func TestRouteWithoutRowIsReported(t *testing.T) {
	fake := matrix.Route{Method: "POST", Path: "/v3/system-accounts/{accountId}/impersonate"}
	routes := append(apiRoutes(httpapi.New(httpapi.Config{})), fake)
	if got := matrix.Missing(routes, rowsOf(apiCases())); !slices.Equal(got, []matrix.Route{fake}) {
		t.Errorf("API: missing rows reported for %v, want only %v", got, fake)
	}
	fakePage := matrix.Route{Method: "POST", Path: "/ui/accounts/{id}/impersonate"}
	pages := append(consoleRoutes(web.New(web.Config{})), fakePage)
	if got := matrix.Missing(pages, rowsOf(consoleCases())); !slices.Equal(got, []matrix.Route{fakePage}) {
		t.Errorf("console: missing rows reported for %v, want only %v", got, fakePage)
	}
	gone := matrix.Row{Route: matrix.Route{Method: "GET", Path: "/v3/gone"}, Allow: idRead}
	if got := matrix.Stale(routes, append(rowsOf(apiCases()), gone)); len(got) != 1 || got[0].Key() != gone.Key() {
		t.Errorf("stale rows reported: %v, want %s", got, gone.Key())
	}
}

// The checker reports every cell that did not run, a caller name that is
// no caller, and two rows with one key, besides decisions that differ.
func TestCheckerReportsEveryKindOfDifference(t *testing.T) {
	callers := []matrix.Caller{{Name: "a", DenyStatus: 401}, {Name: "b", DenyStatus: 403}}
	route := matrix.Route{Method: "GET", Path: "/x"}
	rows := []matrix.Row{
		{Route: route, Allow: []string{"a"}},
		{Route: route, Target: "t", Allow: []string{"c"}, Only: []string{"b"}},
		{Route: route, Target: "t"},
	}
	got := matrix.Check(rows, callers, map[matrix.Cell]matrix.Outcome{
		{Row: "GET /x", Caller: "a"}:     {Got: matrix.Other, Status: 404},
		{Row: "GET /x", Caller: "b"}:     {Got: matrix.Deny, Status: 401},
		{Row: "GET /x [t]", Caller: "b"}: {Got: matrix.Deny, Status: 403},
	})
	wantDiffs(t, got,
		"GET /x as a: want allow, got other (404",
		"GET /x as b: refused with 401, want 403",
		`GET /x [t]: names "c", which is no caller`,
		"GET /x [t]: two rows have this key",
		"GET /x [t] as a: did not run",
	)
}
