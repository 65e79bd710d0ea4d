package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/store/storetest"
)

// raw lists what must never reach a terminal unescaped: C0 controls but
// tab and line feed, DEL, a C1 control (CSI), and a bidirectional override
// and a zero-width space.
var raw = []string{"\x1b", "\x07", "\r", "\x7f", "\u009b", "\u202e", "\u200b"}

func wantNoRaw(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range raw {
		if strings.Contains(out, r) {
			t.Errorf("%s holds %q unescaped:\n%q", what, r, out)
		}
	}
}

// Whatever the server holds, the CLI prints it escaped: in tables, in -q,
// in its messages, and in -o json and -o yaml, which still decode to the
// exact value. The account's name and description are written under the
// service, which would refuse them.
func TestCLIEscapesServerText(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.run("sa", "create", "evil", "--description", "d")
		id := strings.TrimSpace(k.run("sa", "get", "evil", "-q"))
		name := "ci\x1b]0;pwned\x07\u202eexe.txt\u009b2J\x7f\u200b"
		desc := "first\nforged row\tcell\r\x1b[2J"
		if _, err := storetest.Raw(t, e.DBURL).Exec(`UPDATE system_accounts SET name = $1, description = $2 WHERE id = $3`, name, desc, id); err != nil {
			t.Fatal(err)
		}

		table := k.run("sa", "list")
		wantNoRaw(t, "sa list", table)
		if n := strings.Count(table, "\n"); n != 2 {
			t.Errorf("sa list has %d lines, want the header and one row:\n%s", n, table)
		}
		for _, want := range []string{`ci\x1b]0;pwned\x07\u202eexe.txt\u009b2J\u007f\u200b`, `first\nforged row\tcell\r\x1b[2J`} {
			if !strings.Contains(table, want) {
				t.Errorf("sa list lacks %s:\n%s", want, table)
			}
		}
		wantNoRaw(t, "sa get", k.run("sa", "get", id))
		_, errOut, code := k.exec(t.Context(), "", nil, "sa", "update", id, "--description", "fine")
		if code != 0 {
			t.Fatalf("sa update: exit %d: %s", code, errOut)
		}
		wantNoRaw(t, "sa update's message", errOut)
		if _, err := storetest.Raw(t, e.DBURL).Exec(`UPDATE system_accounts SET description = $1 WHERE id = $2`, desc, id); err != nil {
			t.Fatal(err)
		}

		out := k.run("sa", "get", id, "-o", "json")
		wantNoRaw(t, "-o json", out)
		var j map[string]any
		if err := json.Unmarshal([]byte(out), &j); err != nil || j["name"] != name || j["description"] != desc {
			t.Errorf("-o json decodes to %q %q (%v), want the values as held", j["name"], j["description"], err)
		}
		out = k.run("sa", "get", id, "-o", "yaml")
		wantNoRaw(t, "-o yaml", out)
		var y map[string]any
		if err := yaml.Unmarshal([]byte(out), &y); err != nil || y["name"] != name || y["description"] != desc {
			t.Errorf("-o yaml decodes to %q %q (%v), want the values as held:\n%s", y["name"], y["description"], err, out)
		}
		// Invisible characters alone, which YAML would write as they are.
		if _, err := storetest.Raw(t, e.DBURL).Exec(`UPDATE system_accounts SET name = $1 WHERE id = $2`, "a\u202eb\u200bc", id); err != nil {
			t.Fatal(err)
		}
		out = k.run("sa", "get", id, "-o", "yaml")
		wantNoRaw(t, "-o yaml", out)
		if err := yaml.Unmarshal([]byte(out), &y); err != nil || y["name"] != "a\u202eb\u200bc" {
			t.Errorf("-o yaml decodes to %q (%v):\n%s", y["name"], err, out)
		}
		// ZWJ and ZWNJ are text, not formatting to hide.
		if _, err := storetest.Raw(t, e.DBURL).Exec(`UPDATE system_accounts SET name = $1 WHERE id = $2`, "می\u200cخواهم 👩\u200d💻", id); err != nil {
			t.Fatal(err)
		}
		if out := k.run("sa", "list"); !strings.Contains(out, "می\u200cخواهم 👩\u200d💻") {
			t.Errorf("ZWNJ or ZWJ escaped:\n%s", out)
		}
	})
}

// A server's error, title, detail and invalid parameters alike, is printed
// escaped: a line break in it cannot forge another line.
func TestCLIEscapesServerErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": 400, "title": "Bad\x1b[2J", "detail": "no\u202e\nkeyhold: forged",
			"invalid_parameters": []map[string]any{{"field": "name\x07", "reason": "is\u009b bad\nforged"}}})
	}))
	defer srv.Close()
	k := &term{t: t, dir: t.TempDir(), env: map[string]string{"KEYHOLD_SERVER": srv.URL, "KEYHOLD_TOKEN": "kpat_" + strings.Repeat("a", 49)}}
	k.e = &apitest.Env{Clock: &apitest.Clock{}}
	got := k.fail(2, "sa", "list")
	wantNoRaw(t, "stderr", got)
	for _, want := range []string{`keyhold: Bad\x1b[2J (400): no\u202e\nkeyhold: forged`, `  name\x07: is\u009b bad\nforged`} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 2 {
		t.Errorf("stderr has %d lines, want 2:\n%s", n, got)
	}
}

// --save-to creates its file before anything is minted: a file that cannot
// be created mints nothing, and a refused mint leaves no file behind.
func TestCLISaveToBeforeMinting(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.run("sa", "create", "ci-bot")
		k.run("tokens", "create", "ci-bot", "--name", "deploy")
		dir := t.TempDir()
		missing := filepath.Join(dir, "no-such-dir", "x.token")

		got := k.fail(2, "tokens", "create", "ci-bot", "--name", "lost", "--save-to", missing)
		if !strings.Contains(got, "nothing was minted") {
			t.Errorf("stderr %q", got)
		}
		if out := k.run("tokens", "list", "ci-bot", "--name-contains", "lost", "-q"); out != "" {
			t.Errorf("a token was minted for an unwritable --save-to: %q", out)
		}
		k.fail(2, "users", "tokens", "create", "me", "--name", "lost", "--save-to", missing)
		if out := k.run("users", "tokens", "list", "me"); strings.Contains(out, "lost") {
			t.Errorf("a personal token was minted for an unwritable --save-to:\n%s", out)
		}
		k.fail(2, "tokens", "rotate", "ci-bot", "deploy", "--save-to", missing)
		if out := k.run("tokens", "list", "ci-bot"); strings.Count(out, "deploy") != 1 || !strings.Contains(out, "ACTIVE") {
			t.Errorf("the token was rotated for an unwritable --save-to:\n%s", out)
		}

		// The server refuses: the file created for the value is removed.
		file := filepath.Join(dir, "refused.token")
		for _, args := range [][]string{
			{"tokens", "create", "ci-bot", "--name", "bad\x01name", "--save-to", file},
			{"users", "tokens", "create", "me", "--name", "x", "--save-to", file},
		} {
			k.fail(2, args...)
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Errorf("%v left %s behind: %v", args, file, err)
			}
		}
	})
}
