// Browser tests of the knots web app in headless Debian Chromium, driven by playwright-core.
// Starts the real `knots serve` on a temp demo journal, then: clicks lateral knee on the front map,
// finds knots, saves a pain report, marks a knot "that's the spot" and sees it rank first, clicks
// the upper trapezius on the back map and finds the neck and shoulder knots, fills a therapist
// session, edits a run and deletes a treatment through the pages' forms, checks the
// keyboard path, the report, and on every page at 375 px: no horizontal overflow and no console
// error. Screenshots go to target/browser/ as test artefacts. The binary is $KNOTS_BIN, else
// knots in $CARGO_TARGET_DIR/debug, else target/debug/knots of this checkout (see harness.mjs).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { root, shots, pickPort, serve, waitForServer, stopServer, step, passed, failed, launchChromium } from "./harness.mjs";

// `KNOTS_BROWSER_DB` runs the same steps on another journal, e.g. a PostgreSQL database
// (scripts/test runs them on SQLite and on its throwaway PostgreSQL server).
const db = process.env.KNOTS_BROWSER_DB || join(mkdtempSync(join(tmpdir(), "knots-browser-")), "demo.db");
const { port, base } = pickPort();
const server = serve(db, ["--demo"], port);

let browser;
try {
  await waitForServer(server, base + "/");
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`); });

  await step("the body map loads with both views", async () => {
    await page.goto(base + "/");
    assert.equal(await page.locator("#map-front").count(), 1);
    assert.equal(await page.locator("#map-back").count(), 1);
    await page.screenshot({ path: join(shots, "1-body-map.png"), fullPage: true });
  });

  await step("clicking the left lateral knee ticks it and finds knots", async () => {
    await page.locator('#map-front g[data-region="lateral_knee"][data-side="left"]').click();
    assert.equal(await page.locator('#find input[name="region"][value="lateral_knee"]').isChecked(), true);
    assert.equal(await page.locator("#side").inputValue(), "left");
    await page.selectOption('select[name="context"]', "during_run");
    await page.getByRole("button", { name: "Find knots" }).click();
    await page.waitForSelector("#results .candidates li");
    const dots = await page.locator("#map-front a.dot").count();
    assert.ok(dots >= 3, `expected dots on the front map, got ${dots}`);
    const muscles = await page.locator("#results .candidates li h3").allTextContents();
    const top5 = muscles.slice(0, 5).join(" | ");
    // The demo runner has recovered: her TFL was found not tender lately, so it sank; VL and gluteus
    // minimus stay in the top 5.
    for (const m of ["Vastus lateralis", "Gluteus minimus"]) assert.ok(top5.includes(m), `${m} not in top 5: ${top5}`);
    await page.screenshot({ path: join(shots, "2-finder-dots.png"), fullPage: true });
  });

  await step("a pain report is saved from the same form", async () => {
    await page.locator("details.painreport summary").click();
    await page.selectOption('select[name="pain"]', "6");
    await page.getByRole("button", { name: "Save pain report" }).click();
    await page.waitForSelector(".saved");
    assert.match(await page.locator(".saved").textContent(), /pain report/);
  });

  await step("'that's the spot' on a lower knot moves it to rank 1", async () => {
    const items = page.locator("#results .candidates li");
    const n = await items.count();
    assert.ok(n >= 3);
    const third = items.nth(2);
    const id = await third.getAttribute("id");
    await third.locator('select[name="tenderness"]').selectOption("8");
    await third.getByRole("button", { name: "That's the spot" }).click();
    // htmx swaps the page in place: wait for the new ranking rather than reading the old one.
    await page
      .waitForFunction((want) => document.querySelector("#results .candidates li")?.id === want, id, { timeout: 5000 })
      .catch(async () => {
        const first = await page.locator("#results .candidates li").first().getAttribute("id");
        assert.fail(`expected ${id} first, got ${first}`);
      });
    await page.screenshot({ path: join(shots, "3-thats-the-spot.png"), fullPage: true });
  });

  await step("the keyboard reaches and toggles a region", async () => {
    await page.goto(base + "/");
    const heel = page.locator('#map-back g[data-region="heel"][data-side="right"]');
    await heel.focus();
    await page.keyboard.press("Enter");
    assert.equal(await page.locator('#find input[name="region"][value="heel"]').isChecked(), true);
    assert.equal(await heel.getAttribute("aria-pressed"), "true");
  });

  await step("clicking the left upper trapezius on the back map finds the neck and shoulder knots", async () => {
    await page.goto(base + "/");
    const traps = page.locator('#map-back g[data-region="upper_trapezius"][data-side="left"]');
    assert.equal(await traps.getAttribute("role"), "button");
    assert.match(await traps.getAttribute("aria-label"), /^left top of the shoulder/);
    await traps.click();
    assert.equal(await page.locator('#find input[name="region"][value="upper_trapezius"]').isChecked(), true);
    assert.equal(await traps.getAttribute("aria-pressed"), "true");
    assert.equal(await page.locator("#side").inputValue(), "left");
    await page.getByRole("button", { name: "Find knots" }).click();
    await page.waitForSelector("#results .candidates li");
    const muscles = (await page.locator("#results .candidates li h3").allTextContents()).join(" | ");
    for (const m of ["Levator scapulae", "Upper trapezius"]) assert.ok(muscles.includes(m), `${m} not in the results: ${muscles}`);
    assert.ok((await page.locator('#map-back a.dot[data-side="left"]').count()) >= 1, "the knots are on the back map");
    await page.screenshot({ path: join(shots, "12-upper-body.png"), fullPage: true });
  });

  await step("a therapist session is saved, and a pressure above the ceiling is refused", async () => {
    await page.goto(base + "/session/new");
    await page.fill('textarea[name="subjective"]', "outer-knee pain after 1.6 km");
    await page.fill("#ceiling", "7");
    await page.fill('textarea[name="objective"]', "taut bands, relaxation poor");
    await page.fill('input[name="relaxation"]', "3");
    // Place the finding on the map: a click on the spot fills the first empty row.
    await page.locator('#session-map a.dot[data-tp="vastus_lateralis_distal"][data-side="left"]').click();
    assert.equal(await page.locator('select[name="f0_tp"]').inputValue(), "vastus_lateralis_distal");
    assert.equal(await page.locator('select[name="f0_side"]').inputValue(), "left");
    await page.fill('input[name="f0_tenderness"]', "7");
    await page.check('input[name="f0_reproduces"]');
    await page.selectOption('select[name="t0_kind"]', "deep_tissue");
    await page.fill('input[name="t0_target"]', "vastus_lateralis_distal");
    assert.equal(await page.locator('input[name="t0_pressure"]').getAttribute("max"), "7");
    await page.fill("#ceiling", "6");
    assert.equal(await page.locator('input[name="t0_pressure"]').getAttribute("max"), "6", "pressure inputs follow the ceiling");
    // Bypass the browser's own max check to prove the server refuses it too.
    await page.locator('input[name="t0_pressure"]').evaluate((el) => { el.removeAttribute("max"); el.value = "9"; });
    await page.getByRole("button", { name: "Save session" }).click();
    await page.waitForSelector(".error");
    assert.match(await page.locator(".error").first().textContent(), /pressure ceiling/);
    assert.equal(await page.locator('input[name="f0_reproduces"]').isChecked(), true, "the form keeps what was entered");
    assert.ok((await page.locator("#session-map a.dot.chosen").count()) >= 1, "the chosen spot is marked on the map");
    await page.screenshot({ path: join(shots, "4-session-refused.png"), fullPage: true });
    await page.fill('input[name="t0_pressure"]', "6");
    await page.getByRole("button", { name: "Save session" }).click();
    await page.waitForURL(/timeline/);
    assert.match(await page.locator("table").textContent(), /therapist session, pressure ceiling 6\/10/);
    await page.screenshot({ path: join(shots, "5-timeline.png") });
  });

  await step("the guided search asks one spot at a time and reaches a conclusion", async () => {
    await page.goto(base + "/search?region=lateral_knee&side=left&context=during_run");
    let asked = 0;
    for (; asked < 12 && (await page.locator("#next").count()) > 0; asked++) {
      const heading = await page.locator("#next h2").textContent();
      assert.match(heading, /Press here/);
      assert.equal(await page.locator("#map-front a.dot.chosen, #map-back a.dot.chosen").count() >= 1, true, "the spot is on the map");
      // Answer like a runner whose mother knot is in vastus lateralis.
      const isVl = /Vastus lateralis/i.test(heading);
      await page.selectOption('#next select[name="tenderness"]', isVl ? "8" : "3");
      await page.check(`#next input[name="reproduces"][value="${isVl ? "yes" : "no"}"]`);
      const before = heading;
      await page.locator("#next button[type=submit]").click();
      await page.waitForFunction((h) => document.querySelector("#next h2")?.textContent !== h, before);
    }
    assert.ok(asked >= 1);
    assert.equal(await page.locator("#conclusion").count(), 1, `no conclusion after ${asked} presses`);
    assert.match(await page.locator("#conclusion").textContent(), /Vastus lateralis/i);
    await page.screenshot({ path: join(shots, "9-guided-search.png"), fullPage: true });
  });

  await step("a run is edited through its form; a broken rule is shown next to its field", async () => {
    await page.goto(base + "/runs");
    const row = page.locator("#runs tbody tr").first();
    const date = await row.locator("td a").first().textContent();
    await row.getByRole("link", { name: "Edit" }).click();
    await page.waitForSelector("#edit");
    assert.equal(await page.locator('#edit input[name="date"]').inputValue(), date, "the form is prefilled");
    // Bypass the browser's own max check to prove the server refuses it too.
    await page.locator('#edit input[name="max_pain"]').evaluate((el) => { el.removeAttribute("max"); el.value = "11"; });
    await page.fill('#edit input[name="km"]', "12.3");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForSelector("#err-max_pain");
    assert.equal(await page.locator('#edit input[name="km"]').inputValue(), "12.3", "the form keeps what was entered");
    await page.fill('#edit input[name="max_pain"]', "2");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/\/runs$/);
    assert.match(await page.locator("#runs tbody tr").first().textContent(), /12\.3/);
    await page.screenshot({ path: join(shots, "10-run-edited.png"), fullPage: true });
  });

  await step("a treatment of a past session is deleted after a confirm step", async () => {
    await page.goto(base + "/sessions");
    const items = page.locator("article.session li").filter({ has: page.getByRole("link", { name: /^delete treatment/ }) });
    const before = await page.locator("article.session li").count();
    assert.ok((await items.count()) >= 1, "a session with a treatment is shown");
    await items.first().getByRole("link", { name: /^delete treatment/ }).click();
    await page.waitForSelector("#delete");
    await page.getByRole("button", { name: "Delete treatment" }).click();
    await page.waitForURL(/\/sessions$/);
    assert.equal(await page.locator("article.session li").count(), before - 1);
  });

  await step("every page fits 375 px and logs no console error", async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 812 } });
    phone.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${phone.url()}: ${m.text()}`); });
    phone.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
    await phone.goto(base + "/?region=lateral_knee&side=left&context=during_run");
    await phone.screenshot({ path: join(shots, "6-phone.png"), fullPage: true });
    const paths = ["/?region=lateral_knee&side=left&context=during_run", "/record", "/session/new", "/sessions", "/timeline", "/runs", "/runs/1", "/plan", "/import", "/search?region=lateral_knee&side=left", "/knots/vastus_lateralis_distal", "/report", "/journal/run/1/edit", "/journal/session/1/edit", "/journal/session/1/delete", "/journal/shoe/1/delete"];
    for (const path of paths) {
      const r = await phone.goto(base + path);
      assert.equal(r.status(), 200, path);
      // Give the browser its favicon request before moving on.
      await phone.waitForLoadState("networkidle");
      const w = await phone.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(w <= 375, `${path} is ${w}px wide at 375`);
    }
    await phone.goto(base + "/report");
    await phone.screenshot({ path: join(shots, "11-phone-report.png"), fullPage: true });
    await phone.close();
  });

  await step("dropping files on the import page imports them and names the broken one", async () => {
    await page.goto(base + "/import");
    const files = [
      ["Activity.fit", readFileSync(join(root, "testdata/fit/Activity.fit")).toString("base64")],
      ["shopping-list.gpx", readFileSync(join(root, "testdata/broken/shopping-list.gpx")).toString("base64")],
    ];
    await page.evaluate((files) => {
      const dt = new DataTransfer();
      for (const [name, b64] of files) {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], name));
      }
      document.getElementById("dropzone").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    await page.waitForSelector("#import-report");
    const report = await page.locator("#import-report").textContent();
    assert.match(report, /Imported 1 activities/);
    assert.match(report, /shopping-list\.gpx: xml at line 1, column 1/);
    await page.screenshot({ path: join(shots, "8-import.png"), fullPage: true });
  });

  await step("the report page shows its plots", async () => {
    const r = await page.goto(base + "/report");
    assert.equal(r.status(), 200);
    assert.ok((await page.locator("svg").count()) >= 2);
    await page.screenshot({ path: join(shots, "7-report.png"), fullPage: true });
  });

  assert.deepEqual(external, [], "no request may leave the machine");
  // The two refusals above (the session over its ceiling, the run with pain 11) answer 422 on
  // purpose, and Chromium logs every 4xx; anything else (CSP, a missing favicon) is a failure.
  const refused = (e) => /\/(session\/new|journal\/run\/\d+\/edit)\b.*status of 422/.test(e);
  assert.equal(consoleErrors.filter(refused).length, 2, "the two refusals");
  assert.deepEqual(consoleErrors.filter((e) => !refused(e)), [], "no console errors (CSP, a missing favicon, a failed request)");
  passed("browser tests");
} catch (e) {
  failed(e, server);
} finally {
  if (browser) await browser.close();
  await stopServer(server);
}
