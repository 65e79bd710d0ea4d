// Package matrix checks the authorization matrix: every route of keyhold's
// API and console, called by every kind of caller, against a decision
// written down in the tests, never derived from the code under test. A
// route without a row is reported, so that adding a route forces a
// decision about who may call it. It is for tests only.
package matrix

import (
	"fmt"
	"slices"
)

// Route is a method and a path pattern, as a server lists its routes.
type Route struct{ Method, Path string }

func (r Route) String() string { return r.Method + " " + r.Path }

// Decision is how a request was answered.
type Decision string

// The decisions. Deny is 401 or 403, or the console's redirect to its
// sign-in page; anything that is neither let through nor refused (a 400,
// a 404, a 500) is Other: the case was built badly or the server failed,
// and either way it proves nothing about authorization.
const (
	Allow Decision = "allow"
	Deny  Decision = "deny"
	Other Decision = "other"
)

// Caller is a kind of caller and the status it gets when it is refused:
// 401 without usable credentials, 403 with credentials that do not
// suffice, 303 to the sign-in page on the console.
type Caller struct {
	Name       string
	DenyStatus int
}

// Row says, for one route and one target of it, which callers are let
// through; every other caller the row applies to must be refused.
type Row struct {
	Route
	// Target names what the request acts on when one route has several
	// cases, such as "self" or "an Organization Admin account"; "" for
	// the plain case.
	Target string
	// Allow are the callers expected to be let through.
	Allow []string
	// Only restricts the row to these callers, for targets that exist for
	// some callers only (a token rotating itself needs a token); nil for
	// every caller.
	Only []string
}

// Key names the row in reports.
func (r Row) Key() string {
	if r.Target == "" {
		return r.Route.String()
	}
	return r.Route.String() + " [" + r.Target + "]"
}

// AppliesTo reports whether caller runs this row.
func (r Row) AppliesTo(caller string) bool { return r.Only == nil || slices.Contains(r.Only, caller) }

// Want is the decision the row expects for caller.
func (r Row) Want(caller string) Decision {
	if slices.Contains(r.Allow, caller) {
		return Allow
	}
	return Deny
}

// Missing lists the routes that no row names.
func Missing(routes []Route, rows []Row) []Route {
	named := map[Route]bool{}
	for _, r := range rows {
		named[r.Route] = true
	}
	var out []Route
	for _, rt := range routes {
		if !named[rt] {
			out = append(out, rt)
		}
	}
	return out
}

// Stale lists the rows whose route is not served: a typo in the table, or
// a route that was removed.
func Stale(routes []Route, rows []Row) []Row {
	served := map[Route]bool{}
	for _, rt := range routes {
		served[rt] = true
	}
	var out []Row
	for _, r := range rows {
		if !served[r.Route] {
			out = append(out, r)
		}
	}
	return out
}

// Cell is one caller on one row.
type Cell struct{ Row, Caller string }

// Outcome is what a caller got on a row.
type Outcome struct {
	Got    Decision
	Status int
	// Detail is the start of the answer, to tell a refusal's reason.
	Detail string
}

// Check compares outcomes with the table and returns one line per
// difference: a cell that did not run, a decision other than the row's,
// a refusal with another status than the caller's, a row whose callers
// name no known caller, and a key used twice.
func Check(rows []Row, callers []Caller, outcomes map[Cell]Outcome) []string {
	var out []string
	known := map[string]bool{}
	for _, c := range callers {
		known[c.Name] = true
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Key()] {
			out = append(out, r.Key()+": two rows have this key")
		}
		seen[r.Key()] = true
		for _, name := range append(slices.Clone(r.Allow), r.Only...) {
			if !known[name] {
				out = append(out, fmt.Sprintf("%s: names %q, which is no caller", r.Key(), name))
			}
		}
		for _, c := range callers {
			if !r.AppliesTo(c.Name) {
				continue
			}
			o, ok := outcomes[Cell{r.Key(), c.Name}]
			want := r.Want(c.Name)
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s as %s: did not run", r.Key(), c.Name))
			case o.Got != want:
				out = append(out, fmt.Sprintf("%s as %s: want %s, got %s (%d %s)", r.Key(), c.Name, want, o.Got, o.Status, o.Detail))
			case want == Deny && o.Status != c.DenyStatus:
				out = append(out, fmt.Sprintf("%s as %s: refused with %d, want %d (%s)", r.Key(), c.Name, o.Status, c.DenyStatus, o.Detail))
			}
		}
	}
	return out
}
