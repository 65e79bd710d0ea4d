package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
	"github.com/keyhold/keyhold/web"
)

// TestBrowserFlow walks the console in headless Chromium with Playwright
// (web/e2e/flow.mjs) against a real server on loopback. With
// KEYHOLD_UPDATE_SCREENSHOTS=1 it rewrites docs/screenshots. It runs with KEYHOLD_TEST_BROWSER=1,
// which .ci/run sets; it then fails, never skips, when Chromium, Node or
// playwright-core is missing.
func TestBrowserFlow(t *testing.T) {
	if os.Getenv("KEYHOLD_TEST_BROWSER") != "1" {
		t.Skip("browser tests skipped: set KEYHOLD_TEST_BROWSER=1 to run them (needs /usr/bin/chromium, node, and npm ci in web/e2e; .ci/run does all of it)")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("KEYHOLD_TEST_BROWSER=1 but Chromium is missing (%v); install Debian's package: apt-get install -y chromium", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("KEYHOLD_TEST_BROWSER=1 but node is missing: %v", err)
	}
	e2e, _ := filepath.Abs("e2e")
	if _, err := os.Stat(filepath.Join(e2e, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("KEYHOLD_TEST_BROWSER=1 but playwright-core is not installed; run: (cd web/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)")
	}
	// The committed screenshots change only when asked to, so that a CI
	// run leaves the checkout clean.
	shots := t.TempDir()
	if os.Getenv("KEYHOLD_UPDATE_SCREENSHOTS") == "1" {
		shots, _ = filepath.Abs(filepath.Join("..", "docs", "screenshots"))
	}

	// The background work runs as in production, only sooner: webhooks
	// go out by themselves, which the delivery log must show without a
	// reload, and token use reaches the accounts list within a second.
	e := newEnvAt(t, "sqlite", "", nil, func(c *service.Config) {
		c.Webhooks.Tick = 200 * time.Millisecond
		c.Decider.TouchInterval = time.Second
	})
	if _, err := e.svc.Teams.CreateTeam(e.adminCtx(), keyhold.TeamCreate{Name: "platform"}); err != nil {
		t.Fatal(err)
	}
	// The flow checks every page the console serves with axe-core, and
	// fails when a GET route of the table has no page in its list: a new
	// page cannot be forgotten.
	var pages []string
	for _, r := range web.New(web.Config{}).Routes() {
		if r.Method == "GET" && r.Path != "/ui/static/" {
			pages = append(pages, r.Path)
		}
	}
	routes := filepath.Join(t.TempDir(), "routes.json")
	if b, err := json.Marshal(pages); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(routes, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.mjs")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(),
		"KEYHOLD_URL="+e.srv.URL, "KEYHOLD_ADMIN_TOKEN="+e.admin,
		"KEYHOLD_EMAIL="+adminEmail, "KEYHOLD_PASSWORD="+adminPassword,
		"KEYHOLD_TEAM=platform", "KEYHOLD_ROUTES="+routes, "KEYHOLD_SCREENSHOTS="+shots, "CHROMIUM="+chromium,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("flow.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the browser flow failed: %v", err)
	}
}
