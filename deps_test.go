package keyhold_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The layout's dependency direction: the domain imports only the standard
// library, and no transport imports the store. No transport, nor the CLI's
// client, imports the service either: only cmd/keyhold can call
// service.AsSystem, so no request can act as keyhold itself.
func TestDependencyDirection(t *testing.T) {
	const module = "github.com/keyhold/keyhold"
	rules := []struct {
		pkg       string
		forbidden []string // module-internal prefixes
		stdOnly   bool
	}{
		{pkg: module, stdOnly: true},
		{pkg: module + "/service", forbidden: []string{module + "/store", module + "/httpapi", module + "/cli", module + "/web"}},
		{pkg: module + "/httpapi", forbidden: []string{module + "/store", module + "/service", module + "/cli"}},
		{pkg: module + "/web", forbidden: []string{module + "/store", module + "/service", module + "/httpapi", module + "/cli"}},
		{pkg: module + "/store", forbidden: []string{module + "/httpapi", module + "/cli", module + "/web"}},
		{pkg: module + "/cli", forbidden: []string{module + "/store", module + "/service"}},
		{pkg: module + "/client", forbidden: []string{module + "/store", module + "/service"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", r.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", r.pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list %s listed nothing", r.pkg)
		}
		for _, d := range deps {
			if d == r.pkg {
				continue
			}
			if r.stdOnly {
				t.Errorf("%s imports %s; the domain may import only the standard library", r.pkg, d)
			}
			for _, f := range r.forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s imports %s", r.pkg, d)
				}
			}
		}
	}
}
