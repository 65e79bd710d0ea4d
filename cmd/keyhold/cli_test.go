package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

var update = flag.Bool("update", false, "rewrite testdata/cli/*.golden with the current output")

// term is a terminal session: the keyhold entry point run in-process
// against an apitest server, with its own config directory and the
// server's clock.
type term struct {
	t      *testing.T
	e      *apitest.Env
	dir    string
	env    map[string]string
	minted []string // every token value a command printed
}

func newTerm(t *testing.T, e *apitest.Env) *term {
	return &term{t: t, e: e, dir: t.TempDir(), env: map[string]string{}}
}

func (k *term) getenv(name string) string {
	if name == "KEYHOLD_CONFIG_DIR" {
		return k.dir
	}
	return k.env[name]
}

var tokenValue = regexp.MustCompile(`\b(?:spat|kpat)_[0-9A-Za-z]{49}\b`)

// shortFingerprint is a credential as audit tables show it: it depends
// on the random token that acted.
var shortFingerprint = regexp.MustCompile(`\b(bearer|basic|session|ldap) [0-9a-f]{8}\b`)

// exec runs keyhold with args and stdin; stderr must never hold a token.
func (k *term) exec(ctx context.Context, stdin string, h *hooks, args ...string) (string, string, int) {
	k.t.Helper()
	out, errOut := &apitest.Buffer{}, &apitest.Buffer{}
	if h == nil {
		h = &hooks{}
	}
	h.now = k.e.Clock.Now
	code := run(ctx, args, stdio{in: strings.NewReader(stdin), out: out, err: errOut}, k.getenv, h)
	if v := tokenValue.FindString(errOut.String()); v != "" {
		k.t.Errorf("keyhold %s: a token value reached stderr: %s", strings.Join(args, " "), errOut.String())
	}
	k.minted = append(k.minted, tokenValue.FindAllString(out.String(), -1)...)
	return out.String(), errOut.String(), code
}

// run runs keyhold and wants exit code 0; it returns stdout.
func (k *term) run(args ...string) string {
	k.t.Helper()
	out, errOut, code := k.exec(context.Background(), "", nil, args...)
	if code != 0 {
		k.t.Fatalf("keyhold %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fail runs keyhold, wants exit code want, and returns stderr.
func (k *term) fail(want int, args ...string) string {
	k.t.Helper()
	out, errOut, code := k.exec(context.Background(), "", nil, args...)
	if code != want {
		k.t.Fatalf("keyhold %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return errOut
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// scrub replaces what differs from run to run: ids (by fake ids of the
// same width, numbered by first appearance, so tables stay aligned), token values, the server's URL and the config directory.
func (k *term) scrub(s string) string {
	s = strings.ReplaceAll(s, k.e.Server.URL, "http://SERVER")
	s = strings.ReplaceAll(s, k.dir, "CONFIG")
	s = tokenValue.ReplaceAllString(s, "TOKEN")
	s = shortFingerprint.ReplaceAllString(s, "$1 FINGERPR")
	ids := map[string]string{}
	return uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := ids[id]; !ok {
			ids[id] = fmt.Sprintf("00000000-0000-4000-8000-%012d", len(ids)+1)
		}
		return ids[id]
	})
}

// golden compares output, scrubbed, with testdata/cli/name.golden.
func (k *term) golden(name, output string) {
	k.t.Helper()
	path := filepath.Join("testdata", "cli", name+".golden")
	got := k.scrub(output)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			k.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			k.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		k.t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		k.t.Errorf("%s differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// login stores the admin's token in the default profile.
func (k *term) login() {
	k.t.Helper()
	if _, errOut, code := k.exec(context.Background(), k.e.Admin+"\n", nil, "login", "--server", k.e.Server.URL); code != 0 {
		k.t.Fatalf("login: exit %d: %s", code, errOut)
	}
}

// tick moves the server's clock, so that lists ordered by creation time
// have one order.
func (k *term) tick() { k.e.Clock.Advance(time.Minute) }
