package keyholdauth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Services that use keyholdauth inherit none of keyhold's dependencies:
// the package and its example import only the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	const pkg = "github.com/keyhold/keyhold/keyholdauth"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg, pkg+"/example").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list listed nothing")
	}
	for _, d := range deps {
		if d != pkg && d != pkg+"/example" {
			t.Errorf("%s depends on %s, which is not in the standard library", pkg, d)
		}
	}
}
