package httpapi_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/httpapi"
	"github.com/keyhold/keyhold/internal/apitest"
)

// The route table and the OpenAPI document must describe the same API:
// every served route is documented, and nothing documented is missing.
// A Go wildcard that matches the rest of the path, {name...}, is written
// {name} in OpenAPI, which has no such syntax. OPTIONS, which every path
// answers (the decision routes as a decision), is left out of the
// document, as is usual.
func TestRoutesMatchOpenAPI(t *testing.T) {
	doc := apitest.Document(t)
	served := map[string]bool{}
	for _, r := range httpapi.New(httpapi.Config{}).Routes() {
		if r.Method == "OPTIONS" {
			continue
		}
		path := strings.ReplaceAll(r.Path, "...}", "}")
		key := r.Method + " " + path
		if served[key] {
			t.Errorf("route %s registered twice", key)
		}
		served[key] = true
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("served but not documented: %s", key)
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(documented)
	for _, key := range documented {
		if !served[key] {
			t.Errorf("documented but not served: %s", key)
		}
	}
	if len(served) < 60 {
		t.Errorf("only %d routes served; the table looks truncated", len(served))
	}
}
