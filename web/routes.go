package web

import "strings"

// Route is a page or form of the console: its method and path pattern,
// and the service operation it performs or leads to ("public" or
// "authenticated" for the pages that perform none).
type Route struct {
	Method, Path string
	Op           string
}

// Routes lists every route of the console, for the tests that hold the
// routes to the service's permission table and to the authorization
// matrix, and for docs/security.md.
func (s *Server) Routes() []Route {
	out := []Route{{Method: "GET", Path: "/ui/static/", Op: public}}
	for _, r := range s.routes() {
		method, path, _ := strings.Cut(r.pattern, " ")
		out = append(out, Route{Method: method, Path: path, Op: r.op})
	}
	return out
}
