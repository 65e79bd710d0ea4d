package main

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keyhold/keyhold/store/storetest"
)

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// printedSetting finds a setting's line in --print-config's output.
func printedSetting(t *testing.T, out, name string) (value, source string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` +(\S+) +(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in --print-config: %s", name, out)
	}
	return m[1], m[2]
}

// serve --print-config shows every setting with the source that won (flag,
// then environment, then file, then default), masks passwords, and opens
// no database (db.invalid does not resolve).
func TestPrintConfig(t *testing.T) {
	dir := t.TempDir()
	db := "postgres://keyhold:s3cret-in-url@db.invalid:5432/keyhold?sslmode=disable"
	config := writeTemp(t, "keyhold.yaml", `# keyhold's settings
listen: 0.0.0.0:8443
log-level: debug
org-name: From the file
db: `+db+`
db-password-file: /run/secrets/db-password
tls-cert: /etc/keyhold/tls.crt
tls-key: /etc/keyhold/tls.key
trusted-proxies: [10.0.0.0/8, 192.168.1.7]
`)
	env := map[string]string{"KEYHOLD_CONFIG": config, "KEYHOLD_LISTEN": "0.0.0.0:9443", "KEYHOLD_LOG_LEVEL": "warn",
		"KEYHOLD_SECRET_KEY_FILE": filepath.Join(dir, "secret.key")}
	var out, errb strings.Builder
	code := run(t.Context(), []string{"serve", "--print-config", "--listen", "127.0.0.1:7443"}, stdio{out: &out, err: &errb},
		func(k string) string { return env[k] }, nil)
	if code != 0 {
		t.Fatalf("--print-config exited %d: %s", code, errb.String())
	}
	for name, want := range map[string][2]string{
		"listen":           {"127.0.0.1:7443", "flag"}, // flag, env, file and default
		"log-level":        {"warn", "env"},            // env, file and default
		"org-name":         {"From", "file"},           // file and default (the value has spaces)
		"admin-email":      {"admin@localhost", "default"},
		"db":               {"postgres://keyhold:****@db.invalid:5432/keyhold?sslmode=disable", "file"},
		"db-password-file": {"/run/secrets/db-password", "file"},
		"secret-key-file":  {filepath.Join(dir, "secret.key"), "env"},
		"trusted-proxies":  {"10.0.0.0/8,192.168.1.7", "file"},
		"tls-cert":         {"/etc/keyhold/tls.crt", "file"},
		"config":           {config, "env"},
	} {
		if name == "org-name" {
			if !regexp.MustCompile(`(?m)^org-name +From the file +file$`).MatchString(out.String()) {
				t.Errorf("org-name: %s", out.String())
			}
			continue
		}
		if v, s := printedSetting(t, out.String(), name); v != want[0] || s != want[1] {
			t.Errorf("%s = %s from %s, want %s from %s", name, v, s, want[0], want[1])
		}
	}
	if strings.Contains(out.String(), "s3cret") || strings.Contains(errb.String(), "s3cret") {
		t.Errorf("the URL's password was printed: %s", out.String())
	}

	// A misspelt key stops the command, naming it.
	bad := writeTemp(t, "bad.yaml", "listen: 127.0.0.1:0\ntls-crt: /etc/keyhold/tls.crt\n")
	out.Reset()
	errb.Reset()
	code = run(t.Context(), []string{"serve", "--config", bad, "--print-config"}, stdio{out: &out, err: &errb}, noEnv, nil)
	if code == 0 || !strings.Contains(errb.String(), `line 2: unknown setting "tls-crt"`) {
		t.Errorf("a misspelt key: exit %d, stderr %q", code, errb.String())
	}
}

// A config file drives a real serve.
func TestServeFromConfigFile(t *testing.T) {
	db := storetest.NewURL(t, storetest.SQLite)
	config := writeTemp(t, "keyhold.yaml", "db: "+db+"\nadmin-email: file@example.com\n")
	p := startServe(t, "--config", config)
	token := kpatPattern.FindString(p.out.String())
	if status, me := p.call(t, "GET", "/v3/users/me", token, ""); status != 200 || me["email"] != "file@example.com" {
		t.Errorf("users/me = %d %v", status, me)
	}
}

// The PostgreSQL password comes from a file and reaches the server: the
// test server trusts any password, so the end-to-end run shows the file is
// read and a URL without a password works; the store's unit test shows the
// password is set on the connection configuration. It appears in no log.
func TestDBPasswordFile(t *testing.T) {
	const password = "file-password-7f3a"
	file := writeTemp(t, "db-password", password+"\n")
	if hasPostgres(t) {
		u, err := url.Parse(storetest.NewURL(t, storetest.Postgres))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(u.User.Username()) // no password in the URL
		db := u.String()
		p := startServe(t, "--db", db, "--db-password-file", file, "--log-level", "debug")
		token := kpatPattern.FindString(p.out.String())
		if status, _ := p.call(t, "GET", "/v3/users/me", token, ""); status != 200 {
			t.Errorf("users/me = %d", status)
		}
		p.shutdown(t)
		var out, errb strings.Builder
		if code := run(t.Context(), []string{"migrate", "--db", db, "--db-password-file", file}, stdio{out: &out, err: &errb}, noEnv, nil); code != 0 {
			t.Errorf("migrate with --db-password-file: %d %s", code, errb.String())
		}
		if strings.Contains(p.err.String(), password) || strings.Contains(p.out.String(), password) {
			t.Error("the database password reached the output")
		}
	}
	for _, c := range []struct {
		db, file, want string
	}{
		{storetest.NewURL(t, storetest.SQLite), file, "--db-password-file is for PostgreSQL"},
		{"postgres://keyhold@127.0.0.1:1/keyhold", writeTemp(t, "empty", "\n"), "the file is empty"},
		{"postgres://keyhold@127.0.0.1:1/keyhold", filepath.Join(t.TempDir(), "missing"), "--db-password-file: open"},
	} {
		var out, errb strings.Builder
		code := run(t.Context(), []string{"serve", "--listen", "127.0.0.1:0", "--db", c.db, "--db-password-file", c.file},
			stdio{out: &out, err: &errb}, noEnv, nil)
		if code == 0 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s with %s: exit %d, stderr %q, want %q", c.db, c.file, code, errb.String(), c.want)
		}
	}
	var out, errb strings.Builder
	code := run(t.Context(), []string{"init", "--admin-email", "a@example.com", "--db", storetest.NewURL(t, storetest.SQLite), "--db-password-file", file},
		stdio{out: &out, err: &errb}, noEnv, nil)
	if code == 0 || !strings.Contains(errb.String(), "--db-password-file is for PostgreSQL") {
		t.Errorf("init on SQLite with a password file: exit %d, stderr %q", code, errb.String())
	}
}
