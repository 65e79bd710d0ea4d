package web

import (
	"net/http"
	"regexp"

	"github.com/keyhold/keyhold"
)

// wildcard matches a route pattern's wildcards; every one of the console's
// ({id}, {tid}, {rid}, {did}) holds one of keyhold's ids.
var wildcard = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// foldPathIDs lower-cases a route's ids before h runs: ids are UUIDs,
// accepted in any case and looked up in lower case, as in the API.
func foldPathIDs(pattern string, h http.Handler) http.Handler {
	var names []string
	for _, m := range wildcard.FindAllStringSubmatch(pattern, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, n := range names {
			if v := r.PathValue(n); keyhold.FoldID(v) != v {
				r.SetPathValue(n, keyhold.FoldID(v))
			}
		}
		h.ServeHTTP(w, r)
	})
}

// formID returns a form field that holds an id, in lower case.
func formID(r *http.Request, name string) string { return keyhold.FoldID(r.PostFormValue(name)) }
