package service_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
)

// actionLike is the shape of an audit action: dotted lower-case words.
var actionLike = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// writtenActions returns every string literal of the service's code that
// has the shape of an audit action: those it passes to audit, assigns to
// an action variable or names in a rule. Comments are not literals.
func writtenActions(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && actionLike.MatchString(s) {
				found[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	return found
}

// TestAuditActionsRegistry checks that keyhold.AuditActions, which the
// console offers as the action filter's choices, is every action the
// service writes and no other, sorted.
func TestAuditActionsRegistry(t *testing.T) {
	t.Parallel()
	registry := keyhold.AuditActions()
	if !slices.IsSorted(registry) || len(slices.Compact(slices.Clone(registry))) != len(registry) {
		t.Errorf("keyhold.AuditActions is not sorted and unique: %v", registry)
	}
	written := writtenActions(t)
	if len(written) < 10 {
		t.Fatalf("found %d actions in the service's code: the scan is broken", len(written))
	}
	for a, at := range written {
		if !slices.Contains(registry, a) {
			t.Errorf("%s: the service writes %q, which keyhold.AuditActions lacks", at, a)
		}
	}
	for name, r := range service.Rules() {
		if r.Action == "" {
			continue
		}
		// An operation that writes one of several actions lists them.
		for _, a := range strings.Split(r.Action, ", ") {
			if !slices.Contains(registry, a) {
				t.Errorf("rule %s audits %q, which keyhold.AuditActions lacks", name, a)
			}
		}
	}
	for _, a := range registry {
		if _, ok := written[a]; !ok {
			t.Errorf("keyhold.AuditActions has %q, which the service never writes", a)
		}
	}
}
