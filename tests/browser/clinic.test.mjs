// Browser test of clinic mode in headless Debian Chromium, driven by playwright-core.
// Needs a PostgreSQL server: KNOTS_TEST_POSTGRES_URL (scripts/test starts a throwaway one and runs
// this before stopping it). Makes a fresh database, a clinic with an admin and a therapist through
// the real `knots clinic init` / `clinic user add`, starts `knots serve --clinic`, then on a 375 px
// page: the therapist logs in, adds a client, records a session with 5 findings and 3 treatments,
// prescribes a program and makes an invitation code; the runner registers with the code, ticks two
// items and logs a run. Every page is checked for horizontal overflow and console errors.
// Screenshots go to target/browser/clinic-*.png. The database is dropped at the end. The harness
// (binary, database, server, Chromium) is in harness.mjs.
import { join } from "node:path";
import assert from "node:assert/strict";
import { shots, clinicSetting, step, passed, failed, launchChromium } from "./harness.mjs";

const password = "correct horse battery";
const setting = clinicSetting("knots_browser", "knots-clinic-browser-", password);
const { base } = setting;

// A 375 px page whose console errors, page errors and requests leaving the server are collected.
async function phonePage(browser) {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`); });
  page.on("request", (r) => { if (!r.url().startsWith(base)) problems.push(`request off the server: ${r.url()}`); });
  return { page, problems };
}

// The page in view: no wider than 375 px, and nothing went wrong on it.
async function checkPage({ page, problems }, shot) {
  await page.waitForLoadState("load");
  await page.screenshot({ path: join(shots, `clinic-${shot}.png`), fullPage: true });
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  const path = new URL(page.url()).pathname;
  if (width > 375) {
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > 375)
        .slice(0, 5)
        .map((e) => `<${e.tagName.toLowerCase()} name=${e.getAttribute("name")}> right=${Math.round(e.getBoundingClientRect().right)}`),
    );
    assert.fail(`${path} is ${width}px wide at 375: ${wide.join(", ")}`);
  }
  assert.deepEqual(problems, [], `problems on ${path}`);
}

let browser;
try {
  await setting.start("Browser Clinic", "browser.test");
  browser = await launchChromium();

  const therapist = await phonePage(browser);
  const t = therapist.page;
  let clientPath;
  let code;

  await step("the therapist logs in", async () => {
    await t.goto(base + "/");
    assert.equal(new URL(t.url()).pathname, "/login", "no session: the login page");
    await checkPage(therapist, "1-login");
    await t.fill('input[name="email"]', "t@browser.test");
    await t.fill('input[name="password"]', password);
    await t.getByRole("button", { name: "Log in" }).click();
    await t.waitForURL(/\/clients$/);
    await checkPage(therapist, "2-clients-empty");
  });

  await step("adds a client", async () => {
    await t.fill('input[name="name"]', "Ana Runner");
    await t.getByRole("button", { name: "Add client" }).click();
    await t.waitForURL(/\/clients\/\d+$/);
    clientPath = new URL(t.url()).pathname;
    assert.equal(await t.locator("h1").textContent(), "Ana Runner");
    await checkPage(therapist, "3-record-new");
    await t.goto(base + "/clients");
    assert.match(await t.locator("table").textContent(), /Ana Runner/);
    await checkPage(therapist, "4-clients");
  });

  await step("records a session with 5 findings and 3 treatments", async () => {
    await t.goto(base + clientPath);
    await t.getByRole("link", { name: "Record a session" }).click();
    await t.waitForURL(/\/session$/);
    await checkPage(therapist, "5-session-form");
    await t.fill('input[name="pressure_ceiling"]', "7");
    await t.fill('input[name="relaxation"]', "3");
    await t.fill('textarea[name="subjective"]', "outer-knee pain after 1.6 km");
    await t.fill('textarea[name="objective"]', "taut bands along the lateral thigh");
    await t.fill('textarea[name="assessment"]', "findings consistent with trigger points in vastus lateralis");
    await t.fill('textarea[name="plan"]', "ball 60 s daily at <= 7/10");
    // A spot clicked on the body map goes into the first empty finding row, with its side.
    await t.locator('#session-map a.dot[data-tp="vastus_lateralis_distal"][data-side="right"]').first().click();
    assert.equal(await t.inputValue('select[name="f0_tp"]'), "vastus_lateralis_distal", "the map fills the first row");
    assert.equal(await t.inputValue('select[name="f0_side"]'), "right");
    assert.equal(await t.locator("#session-map a.dot.chosen").count(), 1, "the chosen spot is marked");
    const points = (await t.locator('select[name="f0_tp"] option').evaluateAll((os) => os.map((o) => o.value))).filter((v) => v);
    assert.ok(points.length >= 5, `only ${points.length} trigger points offered`);
    for (let i = 0; i < 5; i++) {
      await t.selectOption(`select[name="f${i}_tp"]`, points[i]);
      await t.selectOption(`select[name="f${i}_side"]`, i % 2 ? "right" : "left");
      await t.fill(`input[name="f${i}_tenderness"]`, String(4 + i));
      if (i === 4) await t.check(`input[name="f${i}_reproduces"]`);
      if (i >= 3) await t.check(`input[name="f${i}_taut"]`);
    }
    const treatments = [["deep_tissue", 7, 20], ["stretch", 3, 5], ["heat", 2, 10]];
    for (const [i, [kind, pressure, minutes]] of treatments.entries()) {
      await t.selectOption(`select[name="t${i}_kind"]`, kind);
      await t.fill(`input[name="t${i}_target"]`, points[0]);
      await t.fill(`input[name="t${i}_pressure"]`, String(pressure));
      await t.fill(`input[name="t${i}_minutes"]`, String(minutes));
    }
    await t.getByRole("button", { name: "Save session" }).click();
    await t.waitForURL(new RegExp(`${clientPath}$`));
    assert.match(await t.locator("details summary").first().textContent(), /ceiling 7\/10/);
    const knots = await t.locator("h2:has-text('Knots over time') + ul li").count();
    assert.equal(knots, 5, "the 5 findings are on the record");
    await checkPage(therapist, "6-record-session");
  });

  await step("prescribes a home program", async () => {
    await t.getByRole("link", { name: "Prescribe a program" }).click();
    await t.waitForURL(/\/program$/);
    await checkPage(therapist, "7-program-form");
    await t.fill('input[name="title"]', "Weeks 1-4");
    await t.fill('input[name="i0_what"]', "ball on vastus lateralis");
    await t.fill('input[name="i0_dose"]', "60 s at <= 7/10");
    await t.fill('input[name="i1_what"]', "side-lying abduction");
    await t.fill('input[name="i1_dose"]', "3 x 12");
    await t.fill('input[name="i2_what"]', "walk-run 1:1");
    await t.fill('input[name="i2_dose"]', "20 min");
    await t.fill('input[name="i2_per_week"]', "3");
    await t.getByRole("button", { name: "Prescribe" }).click();
    await t.waitForURL(new RegExp(`${clientPath}$`));
    assert.equal(await t.locator("h2:has-text('Home program') + h3").textContent(), "Weeks 1-4");
    await checkPage(therapist, "8-record-program");
    await t.goto(base + clientPath + "/handout");
    assert.match(await t.locator("table").textContent(), /side-lying abduction/);
    await checkPage(therapist, "9-handout");
  });

  await step("makes an invitation code and logs out", async () => {
    await t.goto(base + clientPath);
    await t.getByRole("button", { name: "Invitation code" }).click();
    await t.waitForSelector("#code");
    code = (await t.locator("#code").textContent()).trim();
    assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    await checkPage(therapist, "10-invitation");
    await t.getByRole("button", { name: "Log out" }).click();
    await t.waitForURL(/\/login$/);
    await checkPage(therapist, "11-logged-out");
  });

  const runner = await phonePage(browser);
  const r = runner.page;

  await step("the runner registers with the code", async () => {
    await r.goto(base + "/login");
    await r.getByRole("link", { name: "I have an invitation code" }).click();
    await r.waitForURL(/\/register$/);
    await checkPage(runner, "12-register");
    await r.fill('input[name="code"]', code.toLowerCase());
    await r.fill('input[name="email"]', "ana@browser.test");
    await r.fill('input[name="password"]', password);
    await r.getByRole("button", { name: "Create my account" }).click();
    await r.waitForURL(/\/today$/);
    assert.equal(await r.locator(".checklist li").count(), 3, "today's three items");
    await checkPage(runner, "13-today");
  });

  await step("ticks two items", async () => {
    for (const what of ["ball on vastus lateralis", "side-lying abduction"]) {
      await r.locator(".checklist button", { hasText: what }).click();
      await r.waitForURL(/\/today$/);
      assert.equal(await r.locator(".checklist button", { hasText: what }).getAttribute("aria-pressed"), "true", `${what} ticked`);
    }
    assert.equal(await r.locator('.checklist button[aria-pressed="true"]').count(), 2);
    await checkPage(runner, "14-ticked");
  });

  await step("logs a run and sees it on the record", async () => {
    await r.fill('input[name="km"]', "5.2");
    await r.fill('input[name="minutes"]', "31");
    await r.fill('input[name="max_pain"]', "2");
    await r.getByRole("button", { name: "Save run" }).click();
    await r.waitForURL(/\/today$/);
    await checkPage(runner, "15-run-logged");
    await r.getByRole("link", { name: "My report" }).click();
    await r.waitForURL(new RegExp(`${clientPath}$`));
    assert.match(await r.locator("h2:has-text('Runs') + div table tbody").textContent(), /5\.2/);
    assert.equal(await r.getByRole("link", { name: "Record a session" }).count(), 0, "a runner has no staff links");
    await checkPage(runner, "16-runner-record");
  });

  await step("the therapist sees the adherence and the run", async () => {
    await t.goto(base + "/login");
    await t.fill('input[name="email"]', "t@browser.test");
    await t.fill('input[name="password"]', password);
    await t.getByRole("button", { name: "Log in" }).click();
    await t.waitForURL(/\/clients$/);
    await t.goto(base + clientPath);
    const weeks = await t.locator("h2:has-text('Adherence') + div table tbody").textContent();
    assert.match(weeks, /%/, `adherence shown: ${weeks}`);
    assert.match(await t.locator("h2:has-text('Runs') + div table tbody").textContent(), /5\.2/);
    await checkPage(therapist, "17-record-after");
  });

  passed("clinic browser tests");
} catch (e) {
  failed(e, setting.server);
} finally {
  if (browser) await browser.close();
  await setting.stop();
}
