package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
)

func TestCLIRolesAndTeams(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.run("sa", "create", "ci-bot")
		catalogue := k.run("roles", "catalogue")
		if !strings.Contains(catalogue, "Control Planes") || !strings.Contains(catalogue, "Identity") {
			t.Fatalf("catalogue: %s", catalogue)
		}
		k.golden("roles-catalogue", catalogue)
		k.run("roles", "assign", "--account", "ci-bot", "--role", "Admin", "--entity-type", "Control Planes")
		k.run("roles", "assign", "--account", "ci-bot", "--role", "Viewer", "--entity-type", "API Products", "--region", "eu")
		k.golden("roles-list-account", k.run("roles", "list", "--account", "ci-bot"))
		k.run("roles", "unassign", "--account", "ci-bot", "--role", "Viewer", "--entity-type", "API Products")
		if out := k.run("roles", "list", "--account", "ci-bot", "-q"); len(strings.Fields(out)) != 1 {
			t.Errorf("after unassign: %q", out)
		}
		k.fail(4, "roles", "unassign", "--account", "ci-bot", "--role", "Viewer", "--entity-type", "API Products")
		k.fail(2, "roles", "list", "--account", "ci-bot", "--team", "x")

		k.golden("teams-create", k.run("teams", "create", "platform", "--description", "Platform engineers", "--label", "env=prod"))
		k.tick()
		k.run("teams", "create", "ops")
		k.tick()
		k.golden("teams-list", k.run("teams", "list", "--system=false"))
		if out := k.run("teams", "list", "--label", "env=prod", "-q"); len(strings.Fields(out)) != 1 {
			t.Errorf("--label env=prod: %q", out)
		}
		if out := k.run("teams", "list", "--system", "-q", "--limit", "2"); len(strings.Fields(out)) != 2 {
			t.Errorf("--system --limit 2: %q", out)
		}
		k.run("teams", "update", "platform", "--label", "tier=1", "--remove-label", "env", "--description", "Platform")
		k.golden("teams-get", k.run("teams", "get", "platform"))
		k.run("roles", "assign", "--team", "platform", "--role", "Viewer", "--entity-type", "Control Planes")
		k.golden("roles-list-team", k.run("roles", "list", "--team", "platform"))
		assignment := strings.TrimSpace(k.run("roles", "list", "--team", "platform", "-q"))
		k.run("roles", "unassign", "--team", "platform", assignment)

		k.run("teams", "members", "add", "platform", "--account", "ci-bot")
		k.run("teams", "members", "add", "platform", "--user", "admin@example.com")
		k.golden("teams-members-list", k.run("teams", "members", "list", "platform"))
		k.fail(5, "teams", "members", "add", "platform", "--account", "ci-bot")
		k.run("teams", "members", "remove", "platform", "--account", "ci-bot")
		k.run("teams", "members", "remove", "platform", "--user", "admin@example.com")
		if out := k.run("teams", "members", "list", "platform", "-q"); out != "" {
			t.Errorf("members after remove: %q", out)
		}

		// Team names may repeat: a name then is ambiguous, and ids work.
		k.run("teams", "create", "ops")
		errOut := k.fail(2, "teams", "get", "ops")
		ids := strings.Fields(k.run("teams", "list", "--name-contains", "ops", "-q"))
		if len(ids) != 2 || !strings.Contains(errOut, ids[0]) || !strings.Contains(errOut, ids[1]) {
			t.Errorf("ambiguous name: %s (ids %v)", errOut, ids)
		}
		k.run("teams", "delete", ids[0])
		k.run("teams", "delete", "ops")
		k.run("teams", "delete", "platform")
		k.fail(4, "teams", "get", "platform")
	})
}

func TestCLIUsers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.tick()
		k.run("users", "create", "ops@example.com", "--full-name", "Olga Ops")
		k.tick()
		k.run("users", "invite", "new@example.com")
		k.tick()
		k.golden("users-list", k.run("users", "list"))
		if out := k.run("users", "list", "--active", "false", "-q"); len(strings.Fields(out)) != 1 {
			t.Errorf("--active false: %q", out)
		}
		// The invited user accepts through a setup link printed alone on
		// stdout.
		link := strings.TrimSpace(k.run("users", "setup-link", "new@example.com"))
		secret := strings.TrimPrefix(link, e.Server.URL+"/ui/setup?token=")
		if secret == link || secret == "" {
			t.Fatalf("users setup-link printed %q", link)
		}
		if _, err := e.Service.Sessions.SetPasswordWithSetup(t.Context(), secret, "a long passphrase"); err != nil {
			t.Fatal(err)
		}
		if out := k.run("users", "list", "--active", "false", "-q"); strings.TrimSpace(out) != "" {
			t.Errorf("after accepting, inactive users: %q", out)
		}
		k.fail(4, "users", "setup-link", "nobody@example.com")
		k.golden("users-update", k.run("users", "update", "ops@example.com", "--full-name", "Olga Operations", "--preferred-name", "Olga"))
		var me map[string]any
		if err := json.Unmarshal([]byte(k.run("users", "get", "me", "-o", "json")), &me); err != nil || me["email"] != "admin@example.com" {
			t.Fatalf("users get me: %v %v", me, err)
		}
		k.run("roles", "assign", "--user", "ops@example.com", "--role", "Viewer", "--entity-type", "Control Planes")
		if out := k.run("roles", "list", "--user", "ops@example.com", "-q"); len(strings.Fields(out)) != 1 {
			t.Errorf("user roles: %q", out)
		}

		// Personal access tokens: the admin mints their own.
		value := strings.TrimSpace(k.run("users", "tokens", "create", "me", "--name", "laptop", "--ttl", "30d"))
		if !tokenValue.MatchString(value) {
			t.Fatalf("users tokens create: %q", value)
		}
		k.tick()
		k.golden("users-tokens-list", k.run("users", "tokens", "list", "me"))
		k.run("users", "tokens", "revoke", "admin@example.com", "laptop")
		if out := k.run("users", "tokens", "list", "me", "-o", "json"); !strings.Contains(out, `"REVOKED"`) {
			t.Errorf("after revoke: %s", out)
		}
		k.run("users", "tokens", "delete", "me", "laptop")
		if out := k.run("users", "tokens", "list", "me", "-q"); len(strings.Fields(out)) != 1 {
			t.Errorf("after delete: %q", out) // the login token remains
		}
		k.run("users", "delete", "ops@example.com")
		k.fail(4, "users", "get", "ops@example.com")
	})
}

func TestCLIAuditPolicyAndLeaks(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		k := newTerm(t, e)
		k.login()
		k.run("sa", "create", "ci-bot")
		k.tick()
		k.run("sa", "create", "web-bot")
		k.tick()
		k.golden("audit-list", k.run("audit", "list", "--action", "system_account.created"))
		if out := k.run("audit", "list", "--actor", "admin@example.com", "--since", "1h", "--outcome", "success", "-o", "json"); !strings.Contains(out, "system_account.created") {
			t.Errorf("audit list filters: %s", out)
		}
		k.fail(2, "audit", "list", "--since", "yesterday")

		// audit tail prints the past, then follows until interrupted.
		ctx, cancel := context.WithCancel(context.Background())
		polls := make(chan struct{})
		var tailOut string
		var tailCode int
		var wg sync.WaitGroup
		wg.Go(func() {
			h := &hooks{afterPoll: func() {
				select {
				case polls <- struct{}{}:
				case <-ctx.Done():
				}
			}}
			tailOut, _, tailCode = k.exec(ctx, "", h, "audit", "tail", "--action", "system_account.created", "--interval", "1ms")
		})
		<-polls // the past is printed
		k.run("sa", "create", "late-bot")
		<-polls // a poll that started after the create
		<-polls
		cancel()
		wg.Wait()
		if tailCode != 0 || !strings.Contains(tailOut, "ci-bot") || strings.Count(tailOut, "late-bot") != 1 {
			t.Errorf("audit tail: exit %d\n%s", tailCode, tailOut)
		}

		k.golden("token-policy-get", k.run("token-policy", "get"))
		k.golden("token-policy-set", k.run("token-policy", "set", "--max-lifetime", "90d", "--default-lifetime", "30d"))
		k.fail(2, "token-policy", "set", "--default-lifetime", "100d")

		// A leaked value is revoked; the report needs no token.
		leaked := strings.TrimSpace(k.run("tokens", "create", "ci-bot", "--name", "leaky", "-q"))
		k.env["KEYHOLD_SERVER"] = e.Server.URL
		k.env["KEYHOLD_TOKEN"] = leaked
		k.run("auth", "status")
		delete(k.env, "KEYHOLD_TOKEN")
		out, errOut, code := k.exec(context.Background(), "build log\nexport T="+leaked+"\n", nil, "leak-report", "--source", "test")
		if code != 0 {
			t.Fatalf("leak-report: %d %s", code, errOut)
		}
		k.golden("leak-report", out)
		k.env["KEYHOLD_TOKEN"] = leaked
		k.fail(3, "auth", "status")
	})
}

// The README's "From the terminal" flow works as written, read from the
// README itself, on a server where the curl section already ran: its
// names must not collide with that section's.
func TestCLIReadmeFlow(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	k := newTerm(t, e)
	e.Do("POST", "/v3/system-accounts", e.Admin, map[string]any{"name": "ci-deployer", "description": "Deploys from CI"}).Want(t, 201)
	e.Do("POST", "/v3/teams", e.Admin, map[string]any{"name": "Deployers"}).Want(t, 201)
	k.login()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(strings.SplitN(string(readme), "## From the terminal", 2)[1], "\n## ")
	dir := t.TempDir()
	var ran int
	for _, line := range strings.Split(section, "\n") {
		args := shellWords(t, line)
		if len(args) < 2 || args[0] != "keyhold" || args[1] == "login" {
			continue
		}
		args = args[1:]
		for i := range args {
			if i > 0 && args[i-1] == "--save-to" {
				args[i] = filepath.Join(dir, args[i])
			}
		}
		out := k.run(args...)
		ran++
		if args[0] == "tokens" && args[1] == "list" && (!strings.Contains(out, "ROTATING") || !strings.Contains(out, "ACTIVE")) {
			t.Errorf("tokens list: %s", out)
		}
	}
	if ran < 7 {
		t.Fatalf("ran %d commands of the README's section", ran)
	}
}

// shellWords splits a command line of the README as sh would: words
// separated by spaces, double-quoted strings kept whole, and a # comment
// dropped.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == '#' && !quoted && !inWord:
			return words
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
			}
			inWord = false
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
