package keyhold_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The layout's dependency direction: the domain imports only the standard
// library, the store implements the storage interfaces without knowing the
// service, and no transport imports the store. No transport, nor the CLI's
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
		// The transports render the decider's verdicts; the index's
		// internals stay behind the service.
		{pkg: module + "/httpapi", forbidden: []string{module + "/store", module + "/storage", module + "/service", module + "/authz", module + "/cli"}},
		{pkg: module + "/web", forbidden: []string{module + "/store", module + "/storage", module + "/service", module + "/authz", module + "/httpapi", module + "/cli"}},
		{pkg: module + "/store", forbidden: []string{module + "/service", module + "/httpapi", module + "/cli", module + "/web"}},
		// The storage interfaces are the contract between the service and
		// the store: a leaf over the domain.
		{pkg: module + "/storage", forbidden: []string{module + "/service", module + "/store", module + "/authz", module + "/httpapi", module + "/web", module + "/cli", module + "/client"}},
		{pkg: module + "/cli", forbidden: []string{module + "/store", module + "/service"}},
		{pkg: module + "/client", forbidden: []string{module + "/store", module + "/service"}},
		// The LDAP protocol layer decides nothing: the service's
		// DirectoryService does, through the root package's contract.
		{pkg: module + "/internal/ldapserver", forbidden: []string{module + "/store", module + "/storage", module + "/service",
			module + "/authz", module + "/httpapi", module + "/web", module + "/cli"}},
		// The API's shapes: the domain and the standard library only.
		{pkg: module + "/wire", forbidden: []string{module + "/store", module + "/service", module + "/authz", module + "/httpapi",
			module + "/client", module + "/cli", module + "/web", module + "/internal"}},
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

// The server links no benchmark code: cmd/keyhold depends on no package
// under bench/ nor on the soak's plotting library (gonum.org/..., issue
// 13), and the store's default build declares none of the benchmark's
// bulk loading (issue 11). The check first finds each where it belongs,
// cmd/keyhold-bench and bench, so that it cannot pass by looking in the
// wrong place.
func TestNoBenchmarkCodeInServer(t *testing.T) {
	const module = "github.com/keyhold/keyhold"
	imports := func(pkg, prefix string) bool {
		t.Helper()
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if d == prefix || strings.HasPrefix(d, prefix+"/") {
				return true
			}
		}
		return false
	}
	if !imports(module+"/cmd/keyhold-bench", module+"/bench") {
		t.Fatalf("cmd/keyhold-bench does not depend on bench: the check cannot see it")
	}
	if imports(module+"/cmd/keyhold", module+"/bench") {
		t.Errorf("cmd/keyhold depends on %s/bench; benchmark tools belong in cmd/keyhold-bench", module)
	}
	// The soak's plotting library (issue 13) is the benchmark's alone.
	if !imports(module+"/cmd/keyhold-bench", "gonum.org/v1/plot") {
		t.Fatalf("cmd/keyhold-bench does not depend on gonum.org/v1/plot: the check cannot see it")
	}
	if imports(module+"/cmd/keyhold", "gonum.org") {
		t.Errorf("cmd/keyhold depends on a gonum.org package; the plotting library belongs in cmd/keyhold-bench")
	}

	// Names of the bulk loading that serves only the benchmarks: the loader
	// and its data set, and the dialect methods only it called.
	bulk := []string{"BulkLoad", "Bulk", "bulkInsert", "bulkSettings", "deferIndexes", "indexes", "maxParams"}
	if d := declared(t, module+"/bench"); !d["BulkLoad"] || !d["Bulk"] {
		t.Fatalf("bench declares no BulkLoad and Bulk: the check cannot see them")
	}
	d := declared(t, module+"/store")
	for _, name := range bulk {
		if d[name] {
			t.Errorf("store declares %s in its default build; bulk loading belongs in bench", name)
		}
	}
}

// declared returns the names of the functions, methods, types and
// interface methods declared in the non-test files of pkg's default build.
func declared(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.Dir}}{{range .GoFiles}} {{.}}{{end}}`, pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		t.Fatalf("go list %s listed no files", pkg)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range fields[1:] {
		file, err := parser.ParseFile(fset, filepath.Join(fields[0], f), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				names[n.Name.Name] = true
			case *ast.TypeSpec:
				names[n.Name.Name] = true
			case *ast.InterfaceType:
				for _, m := range n.Methods.List {
					for _, id := range m.Names {
						names[id.Name] = true
					}
				}
			}
			return true
		})
	}
	return names
}
