package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/apitest"
)

func TestCLIWithoutServerHintsLogin(t *testing.T) {
	k := newTerm(t, apitest.New(t, "sqlite", apitest.Options{}))
	for _, args := range [][]string{{"sa", "list"}, {"tokens", "list", "x"}, {"auth", "status"}, {"teams", "list"}, {"audit", "tail"}} {
		got := k.fail(3, args...)
		if got != "keyhold: no server configured; run \"keyhold login --server URL\"\n" {
			t.Errorf("keyhold %v: stderr %q", args, got)
		}
	}
}

func TestCLILoginProfilesAndSecrets(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		cfg := filepath.Join(k.dir, "config.json")
		if fi, err := os.Stat(cfg); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("config.json: %v, mode %v", err, fi.Mode().Perm())
		}
		k.golden("auth-status", k.run("auth", "status"))

		// A system account's token logs in too, into a second profile.
		k.run("sa", "create", "ci-bot")
		spat := strings.TrimSpace(k.run("tokens", "create", "ci-bot", "--name", "login", "-q"))
		if _, errOut, code := k.exec(context.Background(), spat+"\n", nil, "login", "--profile", "bot", "--server", e.Server.URL); code != 0 {
			t.Fatalf("login --profile bot: %d %s", code, errOut)
		}
		var st map[string]any
		if err := json.Unmarshal([]byte(k.run("auth", "status", "-o", "json")), &st); err != nil || st["principal_name"] != "ci-bot" || st["profile"] != "bot" {
			t.Fatalf("the current profile is not bot: %v %v", st, err)
		}
		k.env["KEYHOLD_PROFILE"] = "default"
		if out := k.run("auth", "status", "-q"); strings.TrimSpace(out) != e.AdminID {
			t.Errorf("KEYHOLD_PROFILE=default: %q", out)
		}
		delete(k.env, "KEYHOLD_PROFILE")
		// KEYHOLD_SERVER and KEYHOLD_TOKEN override the profile.
		k.env["KEYHOLD_TOKEN"] = e.Admin
		if out := k.run("auth", "status", "-o", "json"); !strings.Contains(out, `"token_from": "KEYHOLD_TOKEN"`) || !strings.Contains(out, "admin@example.com") {
			t.Errorf("KEYHOLD_TOKEN: %s", out)
		}
		delete(k.env, "KEYHOLD_TOKEN")
		k.run("logout", "--profile", "bot")
		k.fail(4, "auth", "status", "--profile", "bot")
		k.run("logout")
		k.fail(3, "sa", "list")

		// Login refuses a bad token and stores nothing.
		if _, _, code := k.exec(context.Background(), "kpat_nope\n", nil, "login", "--server", e.Server.URL); code != 3 {
			t.Errorf("login with a bad token: exit %d, want 3", code)
		}
		raw, _ := os.ReadFile(cfg)
		if strings.Contains(string(raw), "kpat_nope") {
			t.Error("a refused token was stored")
		}
		for _, v := range k.minted {
			if strings.Contains(string(raw), v) && v != spat {
				t.Errorf("a minted token reached the config file")
			}
			if strings.Contains(e.Logs.String(), v) {
				t.Errorf("a minted token reached the server log")
			}
		}
	})
}

func TestCLISystemAccountsAndTokens(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.golden("sa-create", k.run("sa", "create", "ci-bot", "--description", "CI deployer"))
		k.tick()
		k.run("system-accounts", "create", "web-bot", "--description", "web", "--create-team")
		k.tick()
		k.run("sa", "create", "batch", "--managed")
		k.tick()
		k.golden("sa-list", k.run("sa", "list"))
		if out := k.run("sa", "list", "--name-contains", "BOT", "-q", "--limit", "1"); len(strings.Fields(out)) != 1 {
			t.Errorf("--limit 1 -q: %q", out)
		}
		k.run("sa", "update", "batch", "--name", "batch-jobs", "--description", "nightly")
		k.golden("sa-disable", k.run("sa", "disable", "batch-jobs"))
		if out := k.run("sa", "list", "--disabled", "true", "-o", "yaml"); !strings.Contains(out, "name: batch-jobs") || !strings.Contains(out, "disabled: true") {
			t.Errorf("yaml: %s", out)
		}
		k.run("sa", "enable", "batch-jobs")
		var got map[string]any
		if err := json.Unmarshal([]byte(k.run("sa", "get", "batch-jobs", "-o", "json")), &got); err != nil || got["disabled"] != false || got["description"] != "nightly" {
			t.Fatalf("sa get -o json: %v %v", got, err)
		}
		k.run("sa", "delete", "batch-jobs")
		k.fail(4, "sa", "get", "batch-jobs")

		// A new token's value is printed once, on stdout alone.
		out, errOut, code := k.exec(context.Background(), "", nil, "tokens", "create", "ci-bot", "--name", "deploy")
		if code != 0 || !tokenValue.MatchString(strings.TrimSpace(out)) || strings.Count(out, "\n") != 1 {
			t.Fatalf("tokens create: %d %q %q", code, out, errOut)
		}
		k.golden("tokens-create-stderr", errOut)
		k.tick()
		var created map[string]any
		if err := json.Unmarshal([]byte(k.run("tokens", "create", "ci-bot", "--name", "json", "--expires-in", "30d", "-o", "json")), &created); err != nil || !tokenValue.MatchString(created["token"].(string)) {
			t.Fatalf("tokens create -o json: %v %v", created, err)
		}
		k.tick()
		// --save-to writes a new 0600 file and refuses to overwrite one.
		file := filepath.Join(t.TempDir(), "ci.token")
		if out := k.run("tokens", "create", "ci-bot", "--name", "saved", "--save-to", file); out != "" {
			t.Errorf("--save-to printed %q on stdout", out)
		}
		raw, err := os.ReadFile(file)
		fi, _ := os.Stat(file)
		if err != nil || !tokenValue.Match(raw) || fi.Mode().Perm() != 0o600 {
			t.Fatalf("saved token: %v %q %v", err, raw, fi.Mode())
		}
		k.minted = append(k.minted, strings.TrimSpace(string(raw)))
		k.fail(5, "tokens", "create", "ci-bot", "--name", "again", "--save-to", file)
		if again, _ := os.ReadFile(file); string(again) != string(raw) {
			t.Error("--save-to overwrote an existing file")
		}
		if strings.Contains(k.run("tokens", "list", "ci-bot", "-q"), "again") {
			t.Error("a refused --save-to still minted")
		}
		k.tick()
		k.golden("tokens-list", k.run("tokens", "list", "ci-bot"))
		k.golden("tokens-get", k.run("tokens", "get", "ci-bot", "deploy"))
		rotated := k.run("tokens", "rotate", "ci-bot", "deploy", "--overlap", "1h")
		if !tokenValue.MatchString(rotated) {
			t.Fatalf("rotate printed %q", rotated)
		}
		k.golden("tokens-list-rotated", k.run("tokens", "list", "ci-bot", "--name-contains", "deploy"))
		// Use the successor, record the use, and look three hours later.
		k.env["KEYHOLD_TOKEN"] = strings.TrimSpace(rotated)
		k.run("auth", "status")
		delete(k.env, "KEYHOLD_TOKEN")
		e.Service.Decider.Flush(context.Background(), true)
		e.Clock.Advance(3 * time.Hour)
		k.golden("tokens-list-used", k.run("tokens", "list", "ci-bot", "--name-contains", "deploy"))
		k.golden("tokens-expiring", k.run("tokens", "expiring", "--within-days", "40"))
		k.run("tokens", "delete", "ci-bot", "json")
		k.fail(4, "tokens", "get", "ci-bot", "json")

		// Minted values are nowhere but stdout and --save-to.
		cfg, _ := os.ReadFile(filepath.Join(k.dir, "config.json"))
		if len(k.minted) < 4 {
			t.Fatalf("minted %d values", len(k.minted))
		}
		for _, v := range k.minted {
			if strings.Contains(string(cfg), v) || strings.Contains(e.Logs.String(), v) {
				t.Errorf("a minted token reached the config file or the server log")
			}
		}
	})
}
