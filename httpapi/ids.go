package httpapi

import (
	"net/http"
	"regexp"

	"github.com/keyhold/keyhold"
)

// idWildcard matches the path wildcards that hold keyhold's own ids:
// {accountId}, {tokenId} and the like.
var idWildcard = regexp.MustCompile(`\{([A-Za-z]+Id)\}`)

// pathIDs returns the names of the id wildcards of a route pattern.
func pathIDs(pattern string) []string {
	var names []string
	for _, m := range idWildcard.FindAllStringSubmatch(pattern, -1) {
		names = append(names, m[1])
	}
	return names
}

// foldPathIDs lower-cases a route's id wildcards before h runs: ids are
// UUIDs, accepted in any case and looked up in lower case, so that no
// handler or service method has to remember to.
func foldPathIDs(pattern string, h http.Handler) http.Handler {
	names := pathIDs(pattern)
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

// id returns a body field that holds one of keyhold's ids, in lower case,
// or nil when absent or null; a value that is not a UUID is a field error.
func (o *object) id(name string, required bool) *string {
	v := o.str(name, required)
	if v == nil {
		return nil
	}
	if !isUUID(*v) {
		o.fail(name, "invalid ID format", "is_uuid")
		return v
	}
	folded := keyhold.FoldID(*v)
	return &folded
}

// id returns an exact-match filter on one of keyhold's ids, in lower case,
// or nil.
func (q *query) id(field string) *string {
	v := q.eq(field)
	if v == nil {
		return nil
	}
	folded := keyhold.FoldID(*v)
	return &folded
}
