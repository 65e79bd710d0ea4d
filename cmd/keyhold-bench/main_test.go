package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/bench"
)

// runBench runs the command line in-process, with env as its environment.
func runBench(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errOut},
		func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// seed initializes an empty database, writes the first admin's token and
// the seeded values to their files, and adds to a database it has already
// initialized.
func TestSeed(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "keyhold.db")
	out, admin := filepath.Join(dir, "tokens.txt"), filepath.Join(dir, "admin.txt")
	code, _, stderr := runBench(t, nil, "seed", "--db", db, "--tokens", "30", "--out", out, "--admin-out", admin)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "Initialized the database") || !strings.Contains(stderr, "result seconds=") {
		t.Errorf("stderr:\n%s", stderr)
	}
	values, err := bench.ReadTokens(out)
	if err != nil || len(values) != 30 {
		t.Fatalf("read %d values (%v), want 30", len(values), err)
	}
	if a, err := bench.ReadTokens(admin); err != nil || len(a) != 1 || !strings.HasPrefix(a[0], "kpat_") {
		t.Fatalf("admin token %q (%v)", a, err)
	}

	// KEYHOLD_<FLAG> sets a flag, as for the keyhold command.
	env := map[string]string{"KEYHOLD_DB": db, "KEYHOLD_TOKENS": "20"}
	code, stdout, stderr := runBench(t, env, "seed", "--out", out)
	if code != 0 || strings.Contains(stderr, "Initialized") || stdout != "" {
		t.Fatalf("second seed: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	if values, err := bench.ReadTokens(out); err != nil || len(values) != 20 {
		t.Fatalf("read %d values (%v), want 20", len(values), err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"SeedWithoutOut", nil, []string{"seed", "--db", "sqlite:" + filepath.Join(t.TempDir(), "k.db")}, "--out is required"},
		{"LoadWithoutTokens", nil, []string{"load", "--url", "http://127.0.0.1:1"}, "--url and --tokens are required"},
		{"RevokeWithoutAdmin", nil, []string{"revoke", "--urls", "http://127.0.0.1:1"}, "--admin (or KEYHOLD_ADMIN) are required"},
		// KEYHOLD_ADMIN passes the admin check; the loopback check refuses next.
		{"RevokeElsewhere", map[string]string{"KEYHOLD_ADMIN": "x"}, []string{"revoke", "--urls", "http://127.0.0.1:1,http://10.1.2.3:80"}, "only loopback"},
		{"SoakWithoutPNG", map[string]string{"KEYHOLD_ADMIN_TOKEN": "x"}, []string{"soak", "--url", "http://127.0.0.1:1", "--csv", filepath.Join(t.TempDir(), "s.csv")}, "--png are required"},
		{"SoakElsewhere", map[string]string{"KEYHOLD_ADMIN_TOKEN": "x"}, []string{"soak", "--url", "http://10.1.2.3:80", "--csv", filepath.Join(t.TempDir(), "s.csv"), "--png", filepath.Join(t.TempDir(), "s.png")}, "only loopback"},
		{"NoServerCommand", nil, []string{"serve"}, `unknown command "serve"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runBench(t, tc.env, tc.args...)
			if code != 1 || !strings.HasPrefix(stderr, "keyhold-bench: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
			}
		})
	}
}
