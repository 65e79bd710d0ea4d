// The everyday flow of the keyhold console in headless Chromium, run by
// web/browser_test.go against a server it started on loopback. After each
// step the page's claim is checked through the API with an admin token.
//
// Environment: KEYHOLD_URL, KEYHOLD_ADMIN_TOKEN, KEYHOLD_EMAIL,
// KEYHOLD_PASSWORD, KEYHOLD_TEAM (a team's name), KEYHOLD_SCREENSHOTS (a
// directory, or empty for none), KEYHOLD_ROUTES (a JSON file listing the
// path patterns of the console's GET routes, every one of which the
// accessibility step must visit), CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

const base = process.env.KEYHOLD_URL;
const adminToken = process.env.KEYHOLD_ADMIN_TOKEN;
const email = process.env.KEYHOLD_EMAIL;
const password = process.env.KEYHOLD_PASSWORD;
const teamName = process.env.KEYHOLD_TEAM;
const shots = process.env.KEYHOLD_SCREENSHOTS || "";
const controlPlane = "6f1b0c7e-2d4a-4b8e-9a51-3c2d1e0f9a7b";
const routes = JSON.parse(readFileSync(process.env.KEYHOLD_ROUTES, "utf8"));
// axe-core, pinned in package-lock.json. It is evaluated through the
// DevTools protocol rather than added as a <script>: the console's
// Content-Security-Policy refuses inline scripts, as it should.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 800 };

function step(name) { console.log(`== ${name}`); }

async function api(method, p, { token = adminToken, body } = {}) {
  const res = await fetch(base + p, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

// Every console error and uncaught exception of every page fails the run;
// documents the test expects to be refused are allowed their status line.
const errors = [];
let expectRefusal = false;
function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (expectRefusal && msg.text().startsWith("Failed to load resource")) return;
    errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`${page.url()}: ${err.message}`));
}

// Accessibility problems of the pages checked where the flow meets them,
// reported with the others by the accessibility step.
const pageProblems = [];

// Secrets minted so far, and the documents allowed to carry each.
const secrets = [];
const documents = [];
const pending = [];
function record(page) {
  page.on("response", (res) => {
    if (!["document", "xhr", "fetch"].includes(res.request().resourceType())) return;
    pending.push(res.text().then(
      (body) => documents.push({ url: res.url(), method: res.request().method(), body }),
      () => { /* redirects have no body */ }));
  });
}

async function shot(page, name, mask = []) {
  if (!shots) return;
  await page.screenshot({ path: path.join(shots, name), fullPage: true, mask, maskColor: "#13233a" });
}

// accessible checks the page as it is at 1280 and at 390 px wide: no axe
// violation of impact serious or critical, and at 390 no sideways scroll
// of the page itself (wide tables scroll inside their own box). It leaves
// the page at the width it found it, after a 390-px screenshot when named.
async function accessible(page, label, phoneShot = null) {
  const found = page.viewportSize();
  const problems = [];
  for (const size of [desktop, phone]) {
    await page.setViewportSize(size);
    if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    assert.ok(result.passes.length > 15, `${label}: axe passed only ${result.passes.length} rules; did it run?`);
    if (process.env.AXE_DEBUG) console.log(label, size.width, result.passes.length, result.violations.map((v) => `${v.impact}:${v.id}`).join(" "));
    for (const v of result.violations) {
      if (v.impact !== "serious" && v.impact !== "critical") continue;
      problems.push(`${label} at ${size.width} px: ${v.impact} ${v.id} (${v.help}) on ` +
        v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", "));
    }
    if (size === phone) {
      const [scroll, inner, wide] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth,
        [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > window.innerWidth &&
          (!el.closest(".table-scroll") || getComputedStyle(el).position === "absolute")).slice(0, 5).map((el) => el.tagName.toLowerCase() +
          (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""))]);
      if (scroll > inner) problems.push(`${label} at 390 px scrolls sideways: ${scroll} > ${inner}, widest: ${wide.join(", ")}`);
      if (phoneShot) await shot(page, phoneShot);
    }
  }
  await page.setViewportSize(found);
  return problems;
}

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  watch(page);
  record(page);

  step("a system account's token cannot sign in");
  const bot = await api("POST", "/v3/system-accounts", { body: { name: "e2e-bot", description: "tries to sign in" } });
  assert.equal(bot.status, 201);
  const botToken = await api("POST", `/v3/system-accounts/${bot.json.id}/access-tokens`, { body: { name: "t", expires_at: new Date(Date.now() + 86400e3).toISOString() } });
  assert.equal(botToken.status, 201);
  await page.goto(base + "/ui/");
  assert.match(page.url(), /\/ui\/signin/);
  await shot(page, "signin.png");
  expectRefusal = true;
  await page.getByLabel("Email").fill("e2e-bot");
  await page.getByLabel("Password").fill(botToken.json.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("System accounts and tokens cannot sign in").waitFor();
  await page.getByLabel("Email").fill(botToken.json.token);
  await page.getByLabel("Password").fill("whatever it is");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("System accounts and tokens cannot sign in").waitFor();
  expectRefusal = false;
  assert.match(page.url(), /\/ui\/signin/);
  assert.equal((await context.cookies()).some((c) => c.name === "keyhold_session"), false, "a system account got a session");
  assert.equal((await api("DELETE", `/v3/system-accounts/${bot.json.id}`)).status, 204);

  step("a used or unknown setup link says so and what to do");
  expectRefusal = true;
  await page.goto(base + "/ui/setup?token=a-link-already-used");
  expectRefusal = false;
  await page.getByRole("heading", { name: "This setup link was already used or has expired" }).waitFor();
  await page.getByText("Ask an admin for a new setup link").waitFor();
  assert.equal(await page.getByText("Sign in again").count(), 0);
  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/ui\/signin/);

  step("sign in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "System accounts" }).waitFor();
  await page.getByText(email).waitFor();
  const session = (await context.cookies()).find((c) => c.name === "keyhold_session");
  assert.ok(session && session.httpOnly && session.sameSite === "Lax", "session cookie is HttpOnly and SameSite=Lax");

  step("create an account");
  await page.getByRole("link", { name: "New system account" }).click();
  const managedHint = page.locator("#konnect_managed-hint");
  assert.ok(await managedHint.isVisible(), "the Managed checkbox is explained");
  assert.match(await managedHint.textContent(), /only you may change it, its tokens and its roles/);
  assert.equal(await page.getByLabel("Managed", { exact: true }).getAttribute("aria-describedby"), "konnect_managed-hint");
  await page.getByLabel("Name", { exact: true }).fill("ci-deployer");
  await page.getByLabel(/Description/).fill("Deploys from CI");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("System account created.").waitFor();
  const accountID = (await page.locator("#account-id").textContent()).trim();
  let r = await api("GET", `/v3/system-accounts/${accountID}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.name, "ci-deployer");
  assert.equal(r.json.description, "Deploys from CI");

  step("mint a token and read its value once");
  await page.getByRole("link", { name: "New token" }).click();
  await page.getByLabel(/^Name/).fill("deploy");
  await page.getByLabel("Expires", { exact: true }).selectOption("30d");
  await page.getByRole("button", { name: "Create token" }).click();
  await page.getByText("It is shown only this once").waitFor();
  const value = await page.locator("#token-value").inputValue();
  assert.match(value, /^spat_[0-9A-Za-z]{49}$/);
  secrets.push(value);
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByText("Copied.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), value);
  await shot(page, "token-created.png", [page.locator("#token-value")]);
  pageProblems.push(...await accessible(page, "token value"));
  r = await api("GET", `/v3/system-accounts/${accountID}/access-tokens`);
  assert.equal(r.json.data.length, 1);
  assert.equal(r.json.data[0].name, "deploy");
  const tokenID = (await page.locator("#token-id").textContent()).trim();
  assert.equal(r.json.data[0].id, tokenID);
  r = await api("GET", "/v1/whoami", { token: value });
  assert.equal(r.status, 200, "the minted value authenticates");

  step("reload the page that showed the token: nothing minted, the value is gone");
  expectRefusal = true; // the reload is answered 409 Conflict
  const reloaded = await page.reload();
  assert.equal(reloaded.status(), 409);
  assert.equal(reloaded.headers()["cache-control"], "no-store");
  await page.getByRole("heading", { name: "Shown once, and gone" }).waitFor();
  await page.getByText("nothing new was created").waitFor();
  expectRefusal = false;
  assert.ok(!(await page.content()).includes(value), "the reloaded page shows the value");
  r = await api("GET", `/v3/system-accounts/${accountID}/access-tokens`);
  assert.equal(r.json.data.length, 1, "the reload minted a token");
  await shot(page, "token-gone.png");
  pageProblems.push(...await accessible(page, "token gone"));
  await page.getByRole("link", { name: "Back to the account page" }).click();
  await page.locator(`tr[data-token-id="${tokenID}"]`).getByText("ACTIVE").waitFor();

  step("under a 90-day policy the token form offers only what it allows, and says what each gives");
  const before = await api("GET", "/v1/token-policy");
  assert.equal(before.status, 200);
  async function savePolicy(maxDays, defaultDays, nonExpiring) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Token policy" }).click();
    await page.getByLabel(/^Maximum lifetime/).fill(String(maxDays));
    await page.getByLabel(/^Default lifetime/).fill(String(defaultDays));
    await page.getByRole("checkbox", { name: /Allow tokens that never expire/ }).setChecked(nonExpiring);
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByText("Token policy saved").waitFor();
  }
  await savePolicy(90, 30, false);
  r = await api("GET", "/v1/token-policy");
  assert.equal(r.json.max_lifetime_seconds, 90 * 86400);
  await page.goto(`${base}/ui/accounts/${accountID}`);
  await page.getByRole("link", { name: "New token" }).click();
  const expires = page.getByLabel("Expires", { exact: true });
  assert.deepEqual((await expires.locator("option").allTextContents()).map((t) => t.trim()), [
    "Organization default (30 days)",
    "Short-lived, for an API script (intent api: 30 minutes)",
    "Long-lived, as an app password (intent app_password: 90 days, the policy's maximum)",
    "7 days", "30 days", "90 days", "On the date below"]);
  assert.equal((await expires.locator("option:checked").textContent()).trim(), "Organization default (30 days)");
  step("a date beyond the policy's maximum is refused in days under Expires, and mints nothing");
  await page.getByLabel(/^Name/).fill("too-far");
  await expires.selectOption("date");
  await page.getByLabel(/^Date/).fill(new Date(Date.now() + 200 * 86400e3).toISOString().slice(0, 10));
  expectRefusal = true; // answered 400 Bad Request
  await page.getByRole("button", { name: "Create token" }).click();
  const expiryError = page.locator("#expiry-error");
  await expiryError.waitFor();
  expectRefusal = false;
  assert.match(await expiryError.textContent(), /at most 90 days/);
  assert.equal(await expires.getAttribute("aria-describedby"), "expiry-error");
  r = await api("GET", `/v3/system-accounts/${accountID}/access-tokens`);
  assert.equal(r.json.data.length, 1, "a date beyond the maximum minted a token");
  await savePolicy(before.json.max_lifetime_seconds / 86400, before.json.default_lifetime_seconds / 86400, before.json.allow_non_expiring);
  r = await api("GET", "/v1/token-policy");
  assert.deepEqual(r.json, before.json, "the policy was restored");
  await page.goto(`${base}/ui/accounts/${accountID}`);
  await page.locator(`tr[data-token-id="${tokenID}"]`).getByText("ACTIVE").waitFor();

  step("the role form starts empty and refuses an empty submit");
  await page.getByRole("link", { name: "Assign a role" }).click();
  for (const label of ["Entity type", "Role", "Region"]) {
    const picker = page.getByLabel(label, { exact: true });
    assert.equal(await picker.inputValue(), "", `${label} starts on the empty choice`);
    assert.equal(await picker.locator("option:checked").textContent(), "Choose…");
  }
  assert.equal(await page.getByLabel(/Entity id/).inputValue(), "", "the entity id is not * by default");
  assert.match(await page.getByLabel(/Entity id/).getAttribute("placeholder"), /\* for every entity/);
  expectRefusal = true;
  await page.getByRole("button", { name: "Assign role" }).click();
  await page.locator("#entity_type_name-error").getByText("choose an entity type").waitFor();
  await page.locator("#role_name-error").getByText("choose a role").waitFor();
  await page.locator("#entity_id-error").waitFor();
  await page.locator("#entity_region-error").getByText("choose a region").waitFor();
  expectRefusal = false;
  assert.equal(await page.getByLabel("Entity type").getAttribute("aria-invalid"), "true");
  r = await api("GET", `/v3/system-accounts/${accountID}/assigned-roles`);
  assert.deepEqual(r.json.data, [], "the empty submit gave no role");

  step("assign Viewer on a control plane in eu");
  await page.getByLabel("Entity type").selectOption("Control Planes");
  await page.getByLabel("Role", { exact: true }).selectOption("Viewer");
  await page.getByLabel(/Entity id/).fill(controlPlane);
  await page.getByLabel("Region").selectOption("eu");
  await shot(page, "assign-role.png");
  await page.getByRole("button", { name: "Assign role" }).click();
  await page.getByText("Role assigned.").waitFor();
  await page.locator(`tr[data-role="Viewer|Control Planes|${controlPlane}|eu"]`).waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/assigned-roles`);
  assert.deepEqual(r.json.data.map((a) => [a.role_name, a.entity_type_name, a.entity_id, a.entity_region]),
    [["Viewer", "Control Planes", controlPlane, "eu"]]);

  step("the team picker starts empty, sets administrator teams apart, and refuses an empty submit");
  const teamPicker = page.getByLabel("Add to team");
  assert.equal(await teamPicker.inputValue(), "", "the team picker starts on the empty choice");
  assert.equal(await teamPicker.locator("option:checked").textContent(), "Choose…");
  const groups = await teamPicker.locator("optgroup").evaluateAll((gs) => gs.map((g) => g.label));
  assert.deepEqual(groups, ["Teams", "Administrator teams (system)"]);
  await teamPicker.locator('optgroup[label="Administrator teams (system)"] option',
    { hasText: "Organization Admin — every permission in the organization" }).waitFor({ state: "attached" });
  assert.equal(await teamPicker.locator('optgroup[label="Teams"] option', { hasText: "Organization Admin" }).count(), 0,
    "Organization Admin is not among the ordinary teams");
  expectRefusal = true;
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.locator("#team_id-error").getByText("choose a team").waitFor();
  expectRefusal = false;
  r = await api("GET", `/v3/system-accounts/${accountID}/teams`);
  assert.deepEqual(r.json.data, [], "the empty submit added the account to no team");

  step("add the account to a team");
  await page.getByLabel("Add to team").selectOption({ label: teamName });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByText("Added to the team.").waitFor();
  await page.locator(".chips").getByRole("link", { name: teamName, exact: true }).waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/teams`);
  assert.deepEqual(r.json.data.map((t) => t.name), [teamName]);
  await shot(page, "account.png");

  step("rotate the token");
  await page.getByRole("link", { name: "Rotate deploy" }).click();
  await page.getByLabel("Keep the current token working for").selectOption("24h");
  await page.getByRole("button", { name: "Rotate token" }).click();
  await page.getByText("Token deploy rotated").waitFor();
  const rotated = await page.locator("#token-value").inputValue();
  assert.match(rotated, /^spat_/);
  assert.notEqual(rotated, value);
  secrets.push(rotated);
  await page.getByText("keeps working until").waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/access-tokens`);
  const states = Object.fromEntries(r.json.data.map((t) => [t.id, t.state]));
  assert.equal(states[tokenID], "ROTATING");
  const successorID = (await page.locator("#token-id").textContent()).trim();
  assert.equal(states[successorID], "ACTIVE");
  assert.equal((await api("GET", "/v1/whoami", { token: rotated })).status, 200, "the successor works");
  assert.equal((await api("GET", "/v1/whoami", { token: value })).status, 200, "the predecessor works during the overlap");
  // Reloading the successor's page rotates nothing again: it is not "Only
  // an active token can be rotated", but the page that says it is gone.
  expectRefusal = true;
  const rotReload = await page.reload();
  assert.equal(rotReload.status(), 409);
  assert.equal(rotReload.headers()["cache-control"], "no-store");
  await page.getByRole("heading", { name: "Shown once, and gone" }).waitFor();
  assert.equal(await page.getByText(/Only an active token/).count(), 0);
  expectRefusal = false;
  assert.ok(!(await page.content()).includes(rotated), "the reloaded page shows the successor's value");
  r = await api("GET", `/v3/system-accounts/${accountID}/access-tokens`);
  assert.equal(r.json.data.length, 2, "the reload rotated again");
  await page.getByRole("link", { name: "Back to the account page" }).click();
  const oldRow = page.locator(`tr[data-token-id="${tokenID}"]`);
  const newRow = page.locator(`tr[data-token-id="${successorID}"]`);
  await oldRow.getByText(/^ROTATING until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/).waitFor();
  await newRow.getByText("ACTIVE", { exact: true }).waitFor();

  step("the rotated tokens tell apart and link to each other");
  await oldRow.getByText(tokenID.slice(0, 8), { exact: true }).first().waitFor();
  await newRow.getByText(successorID.slice(0, 8), { exact: true }).first().waitFor();
  assert.notEqual(tokenID.slice(0, 8), successorID.slice(0, 8));
  assert.match(await oldRow.locator("time.token-created").textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  assert.match(await newRow.locator("time.token-created").textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await oldRow.getByText(/^replaced by/).waitFor();
  await newRow.getByText(/^replaces/).waitFor();
  await oldRow.getByRole("link", { name: successorID.slice(0, 8) }).click();
  await page.waitForURL(new RegExp(`#token-${successorID}$`));
  await newRow.getByRole("link", { name: tokenID.slice(0, 8) }).click();
  await page.waitForURL(new RegExp(`#token-${tokenID}$`));

  step("a disabled account's tokens are badged refused, as the API refuses them");
  await page.getByRole("link", { name: "Disable", exact: true }).click();
  await page.getByRole("button", { name: "Disable account" }).click();
  await page.getByText("System account disabled: its tokens are refused.").waitFor();
  for (const row of [oldRow, newRow]) {
    await row.getByText("REFUSED · account disabled", { exact: true }).waitFor();
    assert.equal(await row.getByText(/ACTIVE|ROTATING/).count(), 0, "a refused token shows a working badge");
  }
  assert.equal((await api("GET", "/v1/whoami", { token: rotated })).status, 401, "the disabled account's token is refused");
  await page.getByRole("button", { name: "Enable", exact: true }).click();
  await page.getByText("System account enabled.").waitFor();
  await newRow.getByText("ACTIVE", { exact: true }).waitFor();
  assert.equal((await api("GET", "/v1/whoami", { token: rotated })).status, 200, "the enabled account's token works again");

  step("the account's history holds its tokens' and memberships' events, and links to all of them");
  const history = page.locator("section", { has: page.getByRole("heading", { name: "Recent audit events" }) });
  for (const action of ["token.created", "token.rotated", "team.member_added", "system_account.disabled", "system_account.enabled"]) {
    await history.locator("code", { hasText: new RegExp(`^${action.replace(".", "\\.")}$`) }).first().waitFor();
  }
  await history.getByRole("link", { name: "All events of this account" }).click();
  await page.waitForURL(new RegExp(`/ui/audit\\?involving=${accountID}$`));
  assert.equal(await page.getByLabel("Account or user id").inputValue(), accountID);
  for (const action of ["token.created", "token.rotated", "team.member_added", "role.assigned", "system_account.created"]) {
    await page.locator("main code", { hasText: new RegExp(`^${action.replace(".", "\\.")}$`) }).first().waitFor();
  }
  assert.equal(await page.locator("main code", { hasText: /^console\.sign_in$/ }).count(), 0, "the admin's sign-in is not the account's");
  r = await api("GET", `/v3/audit-events?filter[principal_id]=${accountID}&page[size]=100`);
  const apiActions = new Set(r.json.data.map((e) => e.action));
  for (const action of ["token.created", "token.rotated", "team.member_added"]) assert.ok(apiActions.has(action), `the API's history lacks ${action}`);

  step("the accounts list counts working tokens, shows the last use, and filters by state");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "System accounts" }).click();
  let listRow = page.locator("#account-results tr", { has: page.getByRole("link", { name: "ci-deployer", exact: true }) });
  assert.equal((await listRow.locator("[data-active-tokens]").textContent()).trim(), "2", "two working tokens: the rotating one and its successor");
  assert.match(await listRow.locator("[data-last-used]").textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await page.getByLabel("State").selectOption("disabled");
  await page.waitForURL(/state=disabled/);
  await page.locator("#account-results").getByText("No system account matches").waitFor();
  await page.getByRole("link", { name: "Clear filters" }).click();
  await page.locator("#account-results").getByRole("link", { name: "ci-deployer", exact: true }).waitFor();
  await page.locator("#account-results").getByRole("link", { name: "ci-deployer", exact: true }).click();
  await page.getByRole("heading", { name: "ci-deployer" }).waitFor();

  step("every main page renders");
  for (const [link, heading, file] of [["Teams", "Teams", "teams.png"], ["Users", "Users", "users.png"],
    ["Audit log", "Audit log", "audit.png"], ["Webhooks", "Webhooks", null], ["Token policy", "Token policy", null],
    ["My tokens", "Your personal access tokens", null]]) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    if (file) await shot(page, file);
  }
  step("the teams list puts custom teams before system teams, each by name, and counts members");
  await page.getByRole("link", { name: "Teams" }).click();
  const teamRows = await page.locator("table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
  const byName = (a, b) => a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
  const customTeams = teamRows.filter((r) => r[2] === "custom").map((r) => r[0]);
  const systemTeams = teamRows.filter((r) => r[2] === "system").map((r) => r[0]);
  assert.ok(customTeams.includes(teamName) && systemTeams.includes("Organization Admin"), "both kinds are listed");
  assert.deepEqual(teamRows.map((r) => r[0]), [...[...customTeams].sort(byName), ...[...systemTeams].sort(byName)],
    "custom teams come first, then system teams, each by name");
  assert.equal(teamRows.find((r) => r[0] === teamName)[3], "1 (1 system account, 0 users)", "the team counts its member");
  await page.getByRole("link", { name: teamName }).click();
  await page.locator("#members").getByRole("link", { name: "ci-deployer", exact: true }).waitFor();
  await shot(page, "team.png");

  step("remove a role and a team membership, each asking first");
  await page.goto(base + `/ui/accounts/${accountID}`);
  await page.getByRole("link", { name: `Remove Viewer on Control Planes ${controlPlane} in eu` }).click();
  await page.getByRole("heading", { name: "Remove Viewer on Control Planes from ci-deployer?" }).waitFor();
  await page.getByText("What this breaks").waitFor();
  await page.getByText(`ci-deployer loses Viewer on Control Planes ${controlPlane} in eu.`).waitFor();
  await page.getByText(/2 working tokens lose what this grants at once/).waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/assigned-roles`);
  assert.equal(r.json.data.length, 1, "the role is kept until the confirmation's button");
  await shot(page, "confirm-remove-role.png");
  await page.getByRole("button", { name: "Remove role" }).click();
  await page.getByText("Role removed.").waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/assigned-roles`);
  assert.equal(r.json.data.length, 0);
  await page.getByRole("link", { name: `Remove from ${teamName}` }).click();
  await page.getByRole("heading", { name: `Remove ci-deployer from ${teamName}?` }).waitFor();
  await page.getByText(`${teamName} has no roles: ci-deployer loses none`).waitFor();
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.locator(".chips").getByRole("link", { name: teamName, exact: true }).waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/teams`);
  assert.deepEqual(r.json.data.map((t) => t.name), [teamName], "Cancel keeps the membership");
  await page.locator(".chips").getByRole("link", { name: teamName, exact: true }).click();
  await page.locator("#members").getByRole("link", { name: "Remove ci-deployer" }).click();
  await page.getByRole("heading", { name: `Remove ci-deployer from ${teamName}?` }).waitFor();
  await page.getByText("What this breaks").waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/teams`);
  assert.equal(r.json.data.length, 1, "the membership is kept until the confirmation's button");
  await page.getByRole("button", { name: "Remove member" }).click();
  await page.getByText("Member removed.").waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}/teams`);
  assert.equal(r.json.data.length, 0);

  step("delete one's own personal token, asking first");
  const me = await api("GET", "/v1/whoami");
  const pat = await api("POST", `/v3/users/${me.json.principal_id}/access-tokens`, { body: { name: "e2e-laptop", expires_at: new Date(Date.now() + 86400e3).toISOString() } });
  assert.equal(pat.status, 201);
  const patValue = pat.json.konnect_token;
  assert.ok(typeof patValue === "string" && patValue !== adminToken, "the personal token's value came back");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My tokens" }).click();
  await page.getByRole("link", { name: "Delete e2e-laptop" }).click();
  await page.getByRole("heading", { name: "Delete token e2e-laptop?" }).waitFor();
  await page.getByText("The token stops working at once.").waitFor();
  assert.equal((await api("GET", "/v1/whoami", { token: patValue })).status, 200, "the token works until the confirmation's button");
  await page.getByRole("button", { name: "Delete token" }).click();
  await page.getByText("Token deleted.").waitFor();
  assert.equal((await api("GET", "/v1/whoami", { token: patValue })).status, 401, "the deleted personal token is refused");

  step("invite a user with their name, then edit it");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await page.getByRole("link", { name: "New user" }).click();
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel(/^Full name/).fill("Ada Lovelace");
  await page.getByLabel(/^Preferred name/).fill("Ada");
  await page.getByRole("button", { name: "Add user" }).click();
  await page.getByText("User invited; they are inactive until they accept.").waitFor();
  const facts = page.locator("dl.facts");
  await facts.getByText("Ada Lovelace", { exact: true }).waitFor();
  await facts.getByText("Ada", { exact: true }).waitFor();
  r = await api("GET", "/v3/users?filter[email]=ada@example.com");
  assert.deepEqual(r.json.data.map((u) => [u.full_name, u.preferred_name, u.active]), [["Ada Lovelace", "Ada", false]]);
  const adaID = r.json.data[0].id;
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await page.getByRole("heading", { name: "Edit ada@example.com" }).waitFor();
  assert.equal(await page.getByLabel(/^Full name/).inputValue(), "Ada Lovelace");
  await page.getByLabel(/^Full name/).fill("");
  expectRefusal = true; // the emptied full name is answered 400, with the form
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#full_name-error").waitFor();
  expectRefusal = false;
  assert.equal(await page.getByLabel(/^Full name/).getAttribute("aria-invalid"), "true");
  await page.getByLabel(/^Full name/).fill("Augusta Ada King");
  await page.getByLabel(/^Preferred name/).fill("Countess");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("User saved.").waitFor();
  await facts.getByText("Augusta Ada King", { exact: true }).waitFor();
  await facts.getByText("Countess", { exact: true }).waitFor();
  assert.equal(await facts.getByText("Ada Lovelace", { exact: true }).count(), 0);
  r = await api("GET", `/v3/users/${adaID}`);
  assert.deepEqual([r.json.full_name, r.json.preferred_name], ["Augusta Ada King", "Countess"]);

  step("audit log: filter by part of an action, see the actions offered, clear filters, refuse reversed dates");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("heading", { name: "Audit log", exact: true }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Clear filters" }).count(), 0);
  const offered = await page.locator("#audit-actions option").evaluateAll((os) => os.map((o) => o.value));
  for (const a of ["console.signed_in", "system_account.created", "token.created", "user.invited"]) {
    assert.ok(offered.includes(a), `the action filter offers ${a}: ${offered}`);
  }
  assert.equal(await page.getByLabel("Action", { exact: true }).getAttribute("list"), "audit-actions");
  await page.getByLabel("Action", { exact: true }).fill("ACCOUNT.CRE");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=ACCOUNT.CRE/);
  const actions = await page.locator("table tbody td:nth-child(3) code").allTextContents();
  assert.ok(actions.length > 0, "the partial action matches the account created");
  assert.deepEqual([...new Set(actions)], ["system_account.created"]);
  await page.getByRole("link", { name: "Clear filters" }).click();
  await page.waitForURL(/\/ui\/audit$/);
  assert.equal(await page.getByLabel("Action", { exact: true }).inputValue(), "");
  assert.ok((await page.locator("table tbody td:nth-child(3) code").allTextContents()).includes("console.signed_in"));
  await page.getByLabel("From", { exact: true }).fill("2026-03-02");
  await page.getByLabel("To", { exact: true }).fill("2026-03-01");
  expectRefusal = true; // reversed dates are answered 400, with the form
  await page.getByRole("button", { name: "Filter" }).click();
  await page.locator("#until-error").getByText("pick a date on or after the From date").waitFor();
  expectRefusal = false;
  assert.equal(await page.getByLabel("To", { exact: true }).getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("table tbody tr").count(), 0);
  await page.getByRole("link", { name: "Clear filters" }).click();
  await page.waitForURL(/\/ui\/audit$/);

  step("keyboard: the search field filters the list as one types");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "System accounts" }).click();
  await page.getByLabel("Search by name").focus();
  await page.keyboard.type("deploy");
  await page.locator("#account-results").getByRole("link", { name: "ci-deployer" }).waitFor();
  await page.waitForURL(/q=deploy/);
  await shot(page, "accounts.png");

  step("the policy page speaks in days, and its errors too; date fields say UTC and ISO");
  await page.goto(`${base}/ui/policy`);
  assert.equal(await page.getByText(/expires_at|null/).count(), 0, "the policy page quotes API syntax");
  const savedMax = await page.getByLabel("Maximum lifetime, in days").inputValue();
  await page.getByLabel("Maximum lifetime, in days").fill("10");
  await page.getByLabel(/^Default lifetime, in days/).fill("20");
  expectRefusal = true;
  await page.getByRole("button", { name: "Save policy" }).click();
  await page.locator("#default_lifetime_days-error").getByText("The default lifetime must be at most the maximum lifetime, 10 days.").waitFor();
  expectRefusal = false;
  assert.equal(await page.getByText(/at least a minute|seconds/).count(), 0, "a policy error in seconds or minutes");
  r = await api("GET", "/v1/token-policy");
  assert.equal(r.json.max_lifetime_seconds, Number(savedMax) * 86400, "the refused policy changed the policy");
  await page.goto(`${base}/ui/audit`);
  for (const id of ["since", "until"]) {
    assert.equal(await page.locator(`#${id}-hint`).textContent(), "UTC, as yyyy-mm-dd");
    assert.equal(await page.locator(`#${id}`).getAttribute("aria-describedby"), `${id}-hint`);
  }
  for (const cell of await page.locator("main table time").allTextContents()) {
    assert.match(cell, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/, "a date not in ISO form with its zone");
  }

  step("the webhook log turns from pending to delivered without a reload");
  // A receiver on loopback that answers after a while, so that the page
  // shows the delivery pending before it is delivered.
  let received = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => { received++; res.writeHead(204).end(); }, 2500));
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  try {
    const live = await api("POST", "/v1/webhooks",
      { body: { name: "e2e-live", url: `http://127.0.0.1:${receiver.address().port}/events`, event_types: ["token.revoked"] } });
    assert.equal(live.status, 201, JSON.stringify(live.json));
    await page.goto(`${base}/ui/webhooks/${live.json.id}`);
    await page.getByRole("button", { name: "Send a test event" }).click();
    const log = page.locator("#deliveries");
    await log.getByText("Test event queued; it shows below once sent.").waitFor();
    await log.getByRole("cell", { name: /^pending/ }).waitFor();
    await log.getByText("Refreshing while a delivery is pending.").waitFor();
    // From here on the page must not load again: a marker on its window
    // survives only if the log is swapped in place.
    await page.evaluate(() => { window.keyholdSamePage = true; });
    await log.getByRole("cell", { name: "delivered", exact: true }).waitFor({ timeout: 20000 });
    assert.equal(await page.evaluate(() => window.keyholdSamePage), true, "the page was reloaded");
    assert.equal(received, 1, "the receiver got the test event once");
    assert.equal(await log.getByText("Test event queued").count(), 0, "the queued message lingers after delivery");
    assert.equal(await log.getByText(/Refreshing/).count(), 0, "the log still refreshes with nothing pending");
    const deliveries = await api("GET", `/v1/webhooks/${live.json.id}/deliveries`);
    assert.equal(deliveries.json.data[0].status, "delivered");
  } finally {
    receiver.close();
  }
  await page.goto(`${base}/ui/accounts`);

  step("every page passes axe at 1280 and 390, and none scrolls sideways at 390");
  // Something on every page: a role, a team and a membership of each kind,
  // a personal token, a webhook and a setup link.
  const teams = await api("GET", `/v3/teams?filter[name]=${encodeURIComponent(teamName)}`);
  const teamID = teams.json.data.find((t) => t.name === teamName).id;
  const role = { role_name: "Viewer", entity_type_name: "Control Planes", entity_id: controlPlane, entity_region: "eu" };
  const created = async (p, body) => {
    const res = await api("POST", p, { body });
    assert.equal(res.status, 201, `POST ${p}: ${JSON.stringify(res.json)}`);
    return res.json;
  };
  const accountRole = (await created(`/v3/system-accounts/${accountID}/assigned-roles`, role)).id;
  const teamRole = (await created(`/v3/teams/${teamID}/assigned-roles`, role)).id;
  const userRole = (await created(`/v3/users/${adaID}/assigned-roles`, role)).id;
  await created(`/v3/teams/${teamID}/system-accounts`, { id: accountID });
  await created(`/v3/teams/${teamID}/users`, { id: adaID });
  const myToken = (await created(`/v3/users/${me.json.principal_id}/access-tokens`,
    { name: "e2e-phone", expires_at: new Date(Date.now() + 86400e3).toISOString() })).id;
  const hook = (await created("/v1/webhooks", { name: "e2e-hook", url: base + "/hook", event_types: ["token.expired"] })).id;
  const setupURL = new URL((await created(`/v3/users/${adaID}/setup-link`)).setup_url);
  // Each GET route of the console's table, with the page that shows it; a
  // route missing here fails the step, so that a new page is checked too.
  const acc = `/ui/accounts/${accountID}`, team = `/ui/teams/${teamID}`, ada = `/ui/users/${adaID}`;
  const pages = [
    // [route pattern, path, screenshot at 390 px, signed out]
    ["/ui/", "/ui/"],
    ["/ui/signin", "/ui/signin", "signin-phone.png", true],
    ["/ui/setup", setupURL.pathname + setupURL.search, null, true],
    ["/ui/accounts", "/ui/accounts", "accounts-phone.png"],
    ["/ui/accounts/new", "/ui/accounts/new"],
    ["/ui/accounts/{id}", acc, "account-phone.png"],
    ["/ui/accounts/{id}/edit", `${acc}/edit`],
    ["/ui/accounts/{id}/disable", `${acc}/disable`],
    ["/ui/accounts/{id}/delete", `${acc}/delete`, "confirm-delete-phone.png"],
    ["/ui/accounts/{id}/tokens/new", `${acc}/tokens/new`, "token-form-phone.png"],
    ["/ui/accounts/{id}/tokens/{tid}/rotate", `${acc}/tokens/${successorID}/rotate`],
    ["/ui/accounts/{id}/tokens/{tid}/delete", `${acc}/tokens/${successorID}/delete`],
    ["/ui/accounts/{id}/roles/new", `${acc}/roles/new`, "assign-role-phone.png"],
    ["/ui/accounts/{id}/roles/{rid}/delete", `${acc}/roles/${accountRole}/delete`],
    ["/ui/accounts/{id}/teams/{tid}/remove", `${acc}/teams/${teamID}/remove`],
    ["/ui/teams", "/ui/teams", "teams-phone.png"],
    ["/ui/teams/new", "/ui/teams/new"],
    ["/ui/teams/{id}", team, "team-phone.png"],
    ["/ui/teams/{id}/edit", `${team}/edit`],
    ["/ui/teams/{id}/delete", `${team}/delete`],
    ["/ui/teams/{id}/members/remove", `${team}/members/remove?member_type=user&member_id=${adaID}`],
    ["/ui/teams/{id}/roles/new", `${team}/roles/new`],
    ["/ui/teams/{id}/roles/{rid}/delete", `${team}/roles/${teamRole}/delete`],
    ["/ui/users", "/ui/users", "users-phone.png"],
    ["/ui/users/new", "/ui/users/new"],
    ["/ui/users/{id}", ada, "user-phone.png"],
    ["/ui/users/{id}/edit", `${ada}/edit`],
    ["/ui/users/{id}/deactivate", `${ada}/deactivate`],
    ["/ui/users/{id}/roles/new", `${ada}/roles/new`],
    ["/ui/users/{id}/roles/{rid}/delete", `${ada}/roles/${userRole}/delete`],
    ["/ui/users/{id}/teams/{tid}/remove", `${ada}/teams/${teamID}/remove`],
    ["/ui/users/{id}/tokens/{tid}/revoke", `/ui/users/${me.json.principal_id}/tokens/${myToken}/revoke`],
    ["/ui/webhooks", "/ui/webhooks", "webhooks-phone.png"],
    ["/ui/webhooks/new", "/ui/webhooks/new"],
    ["/ui/webhooks/{id}", `/ui/webhooks/${hook}`, "webhook-phone.png"],
    ["/ui/webhooks/{id}/deliveries", `/ui/webhooks/${hook}/deliveries`],
    ["/ui/webhooks/{id}/edit", `/ui/webhooks/${hook}/edit`],
    ["/ui/webhooks/{id}/delete", `/ui/webhooks/${hook}/delete`],
    ["/ui/roles/entity-ids", "/ui/roles/entity-ids?entity_type_name=Control%20Planes"],
    ["/ui/policy", "/ui/policy", "policy-phone.png"],
    ["/ui/me", "/ui/me", "me-phone.png"],
    ["/ui/me/tokens/{tid}/delete", `/ui/me/tokens/${myToken}/delete`],
    ["/ui/audit", "/ui/audit", "audit-phone.png"],
  ];
  const listed = new Set(pages.map(([pattern]) => pattern));
  assert.deepEqual(routes.filter((p) => !listed.has(p)), [], "GET routes of the console with no page in the accessibility list");
  assert.deepEqual([...listed].filter((p) => !routes.includes(p)), [], "pages in the accessibility list with no GET route");
  const problems = [];
  const walker = await context.newPage();
  const strangerContext = await browser.newContext({ viewport: desktop });
  const stranger = await strangerContext.newPage();
  for (const p of [walker, stranger]) watch(p);
  for (const [pattern, url, phoneShot, signedOut] of pages) {
    const p = signedOut ? stranger : walker;
    const res = await p.goto(base + url);
    assert.equal(res.status(), 200, `${pattern} as ${url} answered ${res.status()}`);
    problems.push(...await accessible(p, `${pattern} (${url})`, phoneShot));
  }
  // The pages a POST answers with, shown once: a new setup link and a new
  // webhook secret (the token's are checked where the flow mints them).
  for (const [label, url, button, heading] of [
    ["setup link", ada, "Create invitation link", /link/i], ["webhook secret", `/ui/webhooks/${hook}`, "Rotate secret", /secret/i]]) {
    await walker.goto(base + url);
    await walker.getByRole("button", { name: button, exact: true }).click();
    await walker.getByRole("heading", { name: heading }).first().waitFor();
    problems.push(...await accessible(walker, label));
  }
  problems.push(...pageProblems);
  expectRefusal = true; // the 404 page and a refused setup link are the error page, with their status
  for (const [label, p, url] of [["not found", walker, "/ui/no-such-page"], ["used setup link", stranger, "/ui/setup?token=used"]]) {
    const res = await p.goto(base + url);
    assert.ok(res.status() >= 400, `${url} answered ${res.status()}`);
    problems.push(...await accessible(p, label, label === "not found" ? "not-found-phone.png" : null));
  }
  expectRefusal = false;
  await walker.close();
  await strangerContext.close();
  assert.deepEqual(problems, [], "accessibility problems");

  step("delete the account");
  await page.locator("#account-results").getByRole("link", { name: "ci-deployer" }).click();
  await page.getByRole("link", { name: "Delete", exact: true }).click();
  await page.getByText("What this breaks").waitFor();
  await page.getByText(/2 working tokens stop working at once/).waitFor();
  await page.getByText(/used in the last 24 h/).waitFor();
  await shot(page, "confirm-delete.png");
  await page.getByRole("button", { name: "Delete account" }).click();
  await page.getByText("System account deleted.").waitFor();
  r = await api("GET", `/v3/system-accounts/${accountID}`);
  assert.equal(r.status, 404);
  assert.equal((await api("GET", "/v1/whoami", { token: rotated })).status, 401, "the deleted account's token is refused");

  step("no token value on any later page");
  await Promise.all(pending);
  assert.ok(documents.length > 10, `only ${documents.length} documents recorded`);
  for (const s of secrets) {
    const carriers = documents.filter((d) => d.body.includes(s));
    assert.equal(carriers.length, 1, `a token value appeared on ${carriers.map((d) => d.url).join(", ")}`);
    assert.equal(carriers[0].method, "POST");
    assert.match(carriers[0].url, /\/tokens\/(new|[^/]+\/rotate)$/);
  }

  assert.deepEqual(errors, [], "pages logged console errors");
  await context.close();
  console.log("browser flow OK");
} finally {
  await browser.close();
}
