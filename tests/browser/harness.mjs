// What the browser tests share: where the binary and the screenshots are, the PostgreSQL database
// a test makes and drops (through psql), running `knots`, starting `knots serve` on a random port
// and waiting for it, the step reporter, polling, and launching Debian Chromium.
// The binary is $KNOTS_BIN, else knots in $CARGO_TARGET_DIR/debug, else target/debug/knots of this
// checkout; screenshots go to browser/ in that target folder ($CARGO_TARGET_DIR, else target/).
import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// This checkout's root folder.
export const root = resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");
// The knots binary under test.
export const bin = process.env.KNOTS_BIN || join(target, "debug/knots");
// The folder the screenshots go to (made if missing).
export const shots = join(target, "browser");
mkdirSync(shots, { recursive: true });

// The PostgreSQL server's admin URL, KNOTS_TEST_POSTGRES_URL; exits the test if it is not set.
export function postgresAdminUrl() {
  const adminUrl = process.env.KNOTS_TEST_POSTGRES_URL;
  if (!adminUrl) {
    console.error("KNOTS_TEST_POSTGRES_URL is not set: run scripts/test, or point it at a PostgreSQL server");
    process.exit(1);
  }
  return adminUrl;
}

// psql from PATH, else Debian's server folder (the newest version).
function psqlBin() {
  if (spawnSync("psql", ["--version"]).status === 0) return "psql";
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  for (const v of versions.reverse()) if (existsSync(join(base, v, "bin/psql"))) return join(base, v, "bin/psql");
  throw new Error("no psql to create the test database");
}
let psql;

// Runs one SQL statement through psql on the database at `url`; throws with psql's stderr.
export function sql(url, statement) {
  psql ??= psqlBin();
  const r = spawnSync(psql, [url, "-qAtc", statement], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
}

// A name `<prefix>_<pid>_<ms>` for a fresh database and its URL on the server at `adminUrl`
// (not created yet: `sql(adminUrl, `CREATE DATABASE ${name}`)`).
export function freshDatabase(adminUrl, prefix) {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const u = new URL(adminUrl);
  u.pathname = "/" + name;
  return { name, url: u.toString() };
}

// Drops the database `name` (closing its connections); a failure is logged, not thrown.
export function dropDatabase(adminUrl, name) {
  try {
    sql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch (e) {
    console.error(e.message);
  }
}

// Writes `password` and a newline to `dir`/pw, for `--password-file`; returns the file's path.
export function passwordFile(dir, password) {
  const file = join(dir, "pw");
  writeFileSync(file, password + "\n");
  return file;
}

// Runs `knots --db DB ARGS...` to its end; returns its stdout, throws with its stderr on failure.
export function knots(db, ...args) {
  const r = spawnSync(bin, ["--db", db, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`knots ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

// A random port from 20000 to 39999 on 127.0.0.1, and the base URL of a server on it.
export function pickPort() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  return { port, base: `http://127.0.0.1:${port}` };
}

// Starts `knots --db DB serve ARGS... --listen 127.0.0.1:PORT`; its stderr gathers in `.log`.
export function serve(db, args, port) {
  const proc = spawn(bin, ["--db", db, "serve", ...args, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  const server = { proc, log: "" };
  proc.stderr.on("data", (d) => (server.log += d));
  return server;
}

// Waits (100 tries, 100 ms apart) until `url` answers 2xx; else throws with the server's log.
export async function waitForServer(server, url) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error("server did not start: " + server.log);
}

// Stops a started server (`server` may be undefined) and waits for it to exit.
export async function stopServer(server) {
  if (!server) return;
  const { proc } = server;
  proc.kill();
  await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.on("exit", r)));
}

// A clinic-mode test's setting: a fresh database `<dbPrefix>_<pid>_<ms>` on the PostgreSQL server
// of KNOTS_TEST_POSTGRES_URL (the test exits if it is not set), a temp folder `work` (from
// `tmpPrefix`) holding a password file with `password`, and a port (`base`). Nothing is made on
// the server before `start`; `stop` undoes it all.
export function clinicSetting(dbPrefix, tmpPrefix, password) {
  const adminUrl = postgresAdminUrl();
  const { name: dbName, url: dbUrl } = freshDatabase(adminUrl, dbPrefix);
  const work = mkdtempSync(join(tmpdir(), tmpPrefix));
  const pwFile = passwordFile(work, password);
  const { port, base } = pickPort();
  const setting = {
    dbUrl,
    work,
    base,
    server: undefined,
    // Creates the database and, through the real `knots clinic init` / `clinic user add`, the clinic
    // `clinic` with its admin admin@`domain` and a therapist t@`domain`; starts `knots serve
    // --clinic` and waits for its login page.
    async start(clinic, domain) {
      sql(adminUrl, `CREATE DATABASE ${dbName}`);
      knots(dbUrl, "clinic", "init", clinic, "--admin-email", `admin@${domain}`, "--password-file", pwFile);
      knots(dbUrl, "clinic", "user", "add", "--clinic", clinic, "--role", "therapist", "--email", `t@${domain}`, "--password-file", pwFile);
      setting.server = serve(dbUrl, ["--clinic"], port);
      await waitForServer(setting.server, base + "/login");
    },
    // Stops the server (if started), drops the database and removes `work`.
    async stop() {
      await stopServer(setting.server);
      dropDatabase(adminUrl, dbName);
      rmSync(work, { recursive: true, force: true });
    },
  };
  return setting;
}

// The names of the steps passed so far.
export const steps = [];

// Runs one named step of a test: prints `- name ... ` and then `ok` once it has passed.
export async function step(name, fn) {
  process.stdout.write(`- ${name} ... `);
  await fn();
  steps.push(name);
  console.log("ok");
}

// Prints that the test passed: `<label>: N steps passed; screenshots in <folder>`.
export function passed(label) {
  console.log(`${label}: ${steps.length} steps passed; screenshots in ${shots}`);
}

// Prints a test's failure and the end of the server's log (`server` may be undefined); the test
// will exit 1.
export function failed(e, server) {
  console.error("\nFAILED:", e.message);
  console.error((server?.log ?? "").slice(-2000));
  process.exitCode = 1;
}

// Waits `ms` milliseconds.
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Polls `check` (which may throw while a page reloads) until it returns a truthy value.
export async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

// Options to launch Debian Chromium ($CHROMIUM, else /usr/bin/chromium) headless, sandbox off,
// with no traffic of its own (updates, sync, QUIC); `extra` is added to them.
export function chromiumOptions(extra = {}) {
  return {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    ...extra,
  };
}

// Launches Chromium with `chromiumOptions()`: an incognito browser.
export function launchChromium() {
  return chromium.launch(chromiumOptions());
}
