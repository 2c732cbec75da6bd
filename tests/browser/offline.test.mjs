// Browser test of the runner's installable web app (knots clinic, crates/knots-clinic/src/pwa.rs)
// in headless Debian Chromium, driven by playwright-core. Needs a PostgreSQL server:
// KNOTS_TEST_POSTGRES_URL (scripts/test starts a throwaway one). Makes a fresh database and a clinic
// through the real `knots clinic init` / `clinic user add`, starts `knots serve --clinic`; the
// therapist (through the JSON API) adds a client, prescribes a program and makes an invitation;
// on a 375 px phone the runner registers, the service worker installs and keeps /today; then,
// offline, the runner ticks an item and logs a run (both listed as queued, nothing reaches the
// server), reloads (the kept page shows); back online the queue is sent, in order, with a fresh
// CSRF token (the queued forms carry a stale one), and the therapist finds both. The same two
// forms replayed again (as if their answers had been lost) change nothing. Logging out empties the
// page cache. Screenshots go to target/browser/offline-*.png; the database is dropped at the end.
import { chromium, request } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const root = resolve(import.meta.dirname, "../..");
const bin = process.env.KNOTS_BIN || join(process.env.CARGO_TARGET_DIR || join(root, "target"), "debug/knots");
const shots = join(root, "target/browser");
mkdirSync(shots, { recursive: true });
const adminUrl = process.env.KNOTS_TEST_POSTGRES_URL;
if (!adminUrl) {
  console.error("KNOTS_TEST_POSTGRES_URL is not set: run scripts/test, or point it at a PostgreSQL server");
  process.exit(1);
}

// psql from PATH, else Debian's server folder.
function psqlBin() {
  if (spawnSync("psql", ["--version"]).status === 0) return "psql";
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  for (const v of versions.reverse()) if (existsSync(join(base, v, "bin/psql"))) return join(base, v, "bin/psql");
  throw new Error("no psql to create the test database");
}
const psql = psqlBin();
function sql(statement) {
  const r = spawnSync(psql, [adminUrl, "-qAtc", statement], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
}

const dbName = `knots_offline_${process.pid}_${Date.now()}`;
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = "/" + dbName;
  return u.toString();
})();
const work = mkdtempSync(join(tmpdir(), "knots-offline-browser-"));
const pwFile = join(work, "pw");
const password = "correct horse battery";
writeFileSync(pwFile, password + "\n");

function knots(...args) {
  const r = spawnSync(bin, ["--db", dbUrl, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`knots ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
let server;
let serverLog = "";

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(base + "/login");
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start: " + serverLog);
}

const steps = [];
async function step(name, fn) {
  process.stdout.write(`- ${name} ... `);
  await fn();
  steps.push(name);
  console.log("ok");
}

// Polls `check` (which may throw while a page reloads) until it returns a truthy value.
async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

// The therapist, through the JSON API (the request client keeps the session cookie).
async function therapistApi(client) {
  const login = await client.post(base + "/login", {
    form: { email: "t@offline.test", password },
    maxRedirects: 0,
  });
  assert.equal(login.status(), 303, "the therapist logs in");
  const { csrf } = await (await client.get(base + "/api/csrf")).json();
  const call = async (method, path, data) => {
    const r = await client.fetch(base + path, { method, data, headers: { "x-csrf-token": csrf } });
    assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`);
    return r.json();
  };
  return call;
}

let browser;
try {
  sql(`CREATE DATABASE ${dbName}`);
  knots("clinic", "init", "Offline Clinic", "--admin-email", "admin@offline.test", "--password-file", pwFile);
  knots("clinic", "user", "add", "--clinic", "Offline Clinic", "--role", "therapist", "--email", "t@offline.test", "--password-file", pwFile);
  server = spawn(bin, ["--db", dbUrl, "serve", "--clinic", "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  server.stderr.on("data", (d) => (serverLog += d));
  await waitForServer();
  const therapist = await therapistApi(await request.newContext());
  let client;
  let code;
  await step("the therapist adds a client, prescribes two items and makes an invitation", async () => {
    client = (await therapist("POST", "/api/clients", { name: "Offline Runner" })).id;
    // Local dates: the server's today is the machine's, as this test's.
    const local = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
    await therapist("POST", `/api/clients/${client}/programs`, {
      title: "Week 1",
      items: [
        { what: "ball on vastus lateralis", dose: "60 s", per_week: 7, start: local, end: local },
        { what: "side-lying abduction", dose: "3 x 12", per_week: 7, start: local, end: local },
      ],
    });
    code = (await therapist("POST", `/api/clients/${client}/invite`, {})).code;
  });
  const journal = () => therapist("GET", `/api/clients/${client}/journal`);
  const items = async () => (await therapist("GET", `/api/clients/${client}/today`)).items;

  // A profile on disk, not an incognito context: Chromium installs no app from incognito.
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 375, height: 812 },
  });
  browser = context;
  const r = context.pages()[0] || (await context.newPage());
  const problems = [];
  r.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  r.on("console", (m) => {
    // Offline, the browser reports the requests that could not leave; nothing else may fail.
    if (m.type() === "error" && !/ERR_INTERNET_DISCONNECTED/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  context.on("request", (q) => { if (!q.url().startsWith(base)) problems.push(`request off the server: ${q.url()}`); });
  // Offline for the pages and for the service worker: Chromium's network emulation does not hold
  // for a service worker's own fetches (microsoft/playwright#2311), so while offline those are
  // aborted as a lost connection would fail them.
  const dropWorkerRequests = (route) =>
    route.request().serviceWorker() ? route.abort("internetdisconnected") : route.fallback();
  async function offline(yes) {
    if (yes) {
      await context.route("**", dropWorkerRequests);
      await context.setOffline(true);
    } else {
      await context.unroute("**", dropWorkerRequests);
      await context.setOffline(false);
    }
  }
  const queued = () => r.locator("#queue ul.queued li").allTextContents();

  await step("the runner registers; the app is installable and its worker keeps /today", async () => {
    await r.goto(base + "/register");
    await r.fill('input[name="code"]', code);
    await r.fill('input[name="email"]', "ana@offline.test");
    await r.fill('input[name="password"]', password);
    await r.getByRole("button", { name: "Create my account" }).click();
    await r.waitForURL(/\/today$/);
    assert.equal(await r.locator('link[rel="manifest"]').getAttribute("href"), "/manifest.webmanifest");
    await until("the service worker to control the page", () => r.evaluate(() => navigator.serviceWorker.controller !== null));
    // The first /today came before the worker; the next one is kept.
    await r.reload();
    await until("/today kept in the cache", () => r.evaluate(async () => !!(await caches.match("/today"))));
    const manifest = await (await context.request.get(base + "/manifest.webmanifest")).json();
    assert.equal(manifest.start_url, "/today");
    assert.equal(manifest.display, "standalone");
    for (const icon of manifest.icons) {
      const res = await context.request.get(base + icon.src);
      assert.equal(res.status(), 200, icon.src);
      assert.equal(res.headers()["content-type"], icon.type, icon.src);
    }
    const sw = await context.request.get(base + "/sw.js");
    assert.equal(sw.headers()["cache-control"], "no-cache");
    assert.equal(sw.headers()["service-worker-allowed"], "/");
    // Everything else stays out of the HTTP cache; the worker alone keeps /today.
    assert.equal((await context.request.get(base + "/today")).headers()["cache-control"], "no-store");
    const cdp = await context.newCDPSession(r);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    assert.deepEqual(installabilityErrors, [], "Chromium finds the app installable");
    await cdp.detach();
    await r.screenshot({ path: join(shots, "offline-1-today.png"), fullPage: true });
  });

  let kept;
  await step("offline, a tick and a run are queued and shown as queued", async () => {
    await offline(true);
    await r.locator(".checklist button", { hasText: "ball on vastus lateralis" }).click();
    await r.waitForURL(/\/today$/);
    await until("the tick listed as queued", async () => (await queued()).length === 1);
    assert.match((await queued())[0], /Tick ball on vastus lateralis/);
    assert.equal(await r.locator(".checklist button.queued", { hasText: "ball on vastus lateralis" }).count(), 1);
    await r.fill('input[name="km"]', "6.4");
    await r.fill('input[name="minutes"]', "38");
    await r.fill('input[name="max_pain"]', "2");
    await r.getByRole("button", { name: "Save run" }).click();
    await r.waitForURL(/\/today$/);
    await until("the run listed as queued", async () => (await queued()).length === 2);
    assert.match((await queued())[1], /Run on \d{4}-\d\d-\d\d: 6\.4 km, max pain 2\/10/);
    assert.match(await r.locator("#queue h2").first().textContent(), /queued — will send when online/i);
    await r.screenshot({ path: join(shots, "offline-2-queued.png"), fullPage: true });
    // Nothing reached the server.
    assert.equal((await journal()).runs.length, 0);
    assert.ok((await items()).every((i) => !i.done_today));
    kept = await r.evaluate(() => self.knotsQueue.all("queue"));
    assert.equal(kept.length, 2);
    assert.ok(kept.every((e) => /^[0-9a-f-]{36}$/.test(e.id)), "each form has a request id");
  });

  await step("a reload offline shows the kept page and the queue", async () => {
    await r.reload();
    assert.equal(await r.locator("h1").textContent(), "Today");
    await until("the queue listed after the reload", async () => (await queued()).length === 2);
    // The queued forms carry the page's CSRF token; make it stale, as after a new login: the
    // replay must fetch the session's current one.
    await r.evaluate(async () => {
      for (const e of await self.knotsQueue.all("queue")) {
        await self.knotsQueue.sent(e.seq);
        const body = new URLSearchParams(e.body);
        body.set("csrf", "stale-token-from-an-old-session");
        const { seq, ...rest } = e;
        await self.knotsQueue.add({ ...rest, body: body.toString() });
      }
    });
  });

  await step("back online, the queue is sent in order and the therapist finds both", async () => {
    const sent = [];
    context.on("request", (q) => {
      if (q.method() === "POST" && /\/today\/(tick|run)$/.test(q.url())) sent.push(new URL(q.url()).pathname);
    });
    await offline(false);
    await until("the queue to empty", async () => (await r.evaluate(() => self.knotsQueue.all("queue"))).length === 0);
    assert.deepEqual(sent, ["/today/tick", "/today/run"], "sent in the order they were made");
    const runs = (await journal()).runs.filter((x) => x.km === 6.4);
    assert.equal(runs.length, 1, "the run is on the server");
    assert.equal(runs[0].max_pain, 2);
    const done = (await items()).filter((i) => i.done_today).map((i) => i.what);
    assert.deepEqual(done, ["ball on vastus lateralis"], "the tick is on the server");
    await until("the page shows the tick from the server", async () =>
      (await r.locator(".checklist button", { hasText: "ball on vastus lateralis" }).getAttribute("aria-pressed")) === "true");
    assert.equal(await r.evaluate(() => self.knotsQueue.all("failed").then((f) => f.length)), 0, "nothing refused");
    await r.screenshot({ path: join(shots, "offline-3-sent.png"), fullPage: true });
  });

  await step("the same forms replayed again change nothing", async () => {
    await r.evaluate(async (entries) => {
      for (const { seq, ...e } of entries) await self.knotsQueue.add(e);
      (await navigator.serviceWorker.ready).active.postMessage({ type: "replay" });
    }, kept);
    await until("the replayed queue to empty", async () => (await r.evaluate(() => self.knotsQueue.all("queue"))).length === 0);
    assert.equal((await journal()).runs.filter((x) => x.km === 6.4).length, 1, "still one run");
    assert.equal((await items()).filter((i) => i.done_today).length, 1, "still one tick");
    assert.equal(await r.evaluate(() => self.knotsQueue.all("failed").then((f) => f.length)), 0, "a repeat is not an error");
  });

  await step("a form the server refuses is listed as not sent, not retried", async () => {
    await offline(true);
    await r.fill('input[name="km"]', "999");
    await r.getByRole("button", { name: "Save run" }).click();
    await r.waitForURL(/\/today$/);
    await until("the bad run queued", async () => (await queued()).length === 1);
    await offline(false);
    await until("the bad run refused", async () => (await r.locator("#queue ul.failed li").count()) === 1);
    assert.match(await r.locator("#queue ul.failed li").textContent(), /Run on .*999 km — 422: km: must be 0-250 km/);
    assert.equal((await r.evaluate(() => self.knotsQueue.all("queue"))).length, 0);
    assert.equal((await journal()).runs.filter((x) => x.km === 999).length, 0);
    await r.screenshot({ path: join(shots, "offline-4-refused.png"), fullPage: true });
    await r.locator("#queue ul.failed button", { hasText: "Dismiss" }).click();
    await until("the refusal dismissed", async () => (await r.locator("#queue ul.failed li").count()) === 0);
  });

  await step("logging out forgets the kept page", async () => {
    await r.getByRole("button", { name: "Log out" }).click();
    await r.waitForURL(/\/login$/);
    assert.equal(await r.evaluate(async () => !!(await caches.match("/today"))), false);
    await offline(true);
    const before = problems.length;
    const res = await r.goto(base + "/today");
    assert.equal(res.status(), 503, "offline, no page is shown from the cache");
    assert.match(await r.locator("h1").textContent(), /Offline/);
    // The 503 is the worker's own answer; the browser logs it as a failed load.
    problems.push(...problems.splice(before).filter((p) => !/status of 503/.test(p)));
    await offline(false);
  });

  assert.deepEqual(problems, [], "no page errors, console errors or requests off the server");
  console.log(`offline browser tests: ${steps.length} steps passed; screenshots in ${shots}`);
} catch (e) {
  console.error("\nFAILED:", e.message);
  console.error(serverLog.slice(-2000));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (server) {
    server.kill();
    await new Promise((r) => (server.exitCode !== null ? r() : server.on("exit", r)));
  }
  try {
    sql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  } catch (e) {
    console.error(e.message);
  }
  rmSync(work, { recursive: true, force: true });
}
