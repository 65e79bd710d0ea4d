package main

import (
	"strings"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
)

func TestCLIErrorsAndExitCodes(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	k := newTerm(t, e)
	k.login()
	k.run("sa", "create", "ci-bot")
	for _, c := range []struct {
		name string
		code int
		args []string
		want string
	}{
		{"NotFound", 4, []string{"sa", "get", "nope"}, `keyhold: system account "nope" not found`},
		{"NotFoundByID", 4, []string{"sa", "get", "00000000-0000-4000-8000-000000000000"}, "keyhold: Not Found (404)"},
		{"Conflict", 5, []string{"sa", "create", "ci-bot"}, "keyhold: Conflict (409)"},
		{"InvalidParameters", 2, []string{"sa", "create", strings.Repeat("x", 300)}, "\n  name: "},
		{"UnknownFlag", 2, []string{"sa", "list", "--frobnicate"}, "unknown flag: --frobnicate"},
		{"MissingArg", 2, []string{"sa", "get"}, "accepts 1 arg(s), received 0"},
		{"UnknownSubcommand", 2, []string{"sa", "frobnicate"}, `unknown command "frobnicate" for "keyhold system-accounts"`},
		{"UnknownCommand", 2, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"BadOutput", 2, []string{"sa", "list", "-o", "xml"}, "--output must be table, json or yaml"},
		{"MissingName", 2, []string{"tokens", "create", "ci-bot"}, "--name is required"},
		{"BadDuration", 2, []string{"tokens", "create", "ci-bot", "--name", "x", "--expires-in", "soon"}, `invalid duration "soon"`},
		{"NothingToUpdate", 2, []string{"sa", "update", "ci-bot"}, "nothing to update"},
		{"LeakWithoutTokens", 2, []string{"leak-report"}, "no token values found"},
		{"ExpiringOutOfRange", 2, []string{"tokens", "expiring", "--within-days", "0"}, "within_days"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := k.fail(c.code, c.args...)
			if !strings.Contains(got, c.want) {
				t.Errorf("stderr %q does not contain %q", got, c.want)
			}
		})
	}
	t.Run("Unauthenticated", func(t *testing.T) {
		k.env["KEYHOLD_TOKEN"] = "kpat_" + strings.Repeat("a", 49)
		defer delete(k.env, "KEYHOLD_TOKEN")
		got := k.fail(3, "sa", "list")
		if !strings.Contains(got, "Unauthenticated (401)") || !strings.Contains(got, "keyhold login") {
			t.Errorf("stderr %q", got)
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		k.env["KEYHOLD_TOKEN"] = strings.TrimSpace(k.run("tokens", "create", "ci-bot", "--name", "weak", "-q"))
		defer delete(k.env, "KEYHOLD_TOKEN")
		if got := k.fail(3, "sa", "list"); !strings.Contains(got, "Forbidden (403)") {
			t.Errorf("stderr %q", got)
		}
	})
}

func TestCLICompletion(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	k := newTerm(t, e)
	// Without a server, completion offers nothing and does not fail.
	if out := k.run("__complete", "sa", "get", ""); strings.Contains(out, "ci-bot") {
		t.Errorf("completion without a server: %q", out)
	}
	k.login()
	k.run("sa", "create", "ci-bot", "--description", "CI")
	k.run("sa", "create", "web-bot")
	k.run("teams", "create", "platform")
	out := k.run("__complete", "sa", "get", "ci")
	if !strings.Contains(out, "ci-bot\tCI") || strings.Contains(out, "web-bot") {
		t.Errorf("account completion: %q", out)
	}
	if out := k.run("__complete", "tokens", "create", ""); !strings.Contains(out, "ci-bot") || !strings.Contains(out, "web-bot") {
		t.Errorf("account completion for tokens: %q", out)
	}
	if out := k.run("__complete", "teams", "members", "add", "pl"); !strings.Contains(out, "platform") {
		t.Errorf("team completion: %q", out)
	}
	if out := k.run("__complete", "roles", "list", "--team", ""); !strings.Contains(out, "platform") {
		t.Errorf("--team completion: %q", out)
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if out := k.run("completion", shell); !strings.Contains(out, "keyhold") {
			t.Errorf("completion %s: %.100q", shell, out)
		}
	}
}
