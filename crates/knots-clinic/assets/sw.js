// The service worker of the runner's pages (knots clinic; knots_clinic::pwa explains the design).
//
// - `GET /today` and its assets: network first; a good answer for /today is kept in the cache,
//   and offline the kept copy is shown. Another user's page is never shown: the cache is emptied
//   when anyone logs in or out through this browser.
// - `POST /today/tick` and `/today/run`: the form gets a request id, joins the IndexedDB queue
//   (queue.js) tagged with its user, and the queue is sent in order; the answer is a redirect to
//   /today, which lists what still waits. Sending stops at the first network failure; a form the
//   server refuses (4xx) is moved to the "not sent" list, never retried; a 5xx stays queued.
// - The queue is sent again when a page asks (its `online` event, every page load) and on
//   Background Sync where the browser has it.
importScripts("/queue.js");

const CACHE = "knots-pages-v1";
const PAGE = "/today";
const ASSETS = ["/clinic.css", "/queue.js", "/pwa.js", "/manifest.webmanifest", "/icon.svg"];
const QUEUED = ["/today/tick", "/today/run"];
const SYNC_TAG = "knots-queue";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(ASSETS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && QUEUED.includes(url.pathname)) {
    event.respondWith(queueAndSend(request, url.pathname));
  } else if (request.method === "POST" && (url.pathname === "/login" || url.pathname === "/logout")) {
    // The kept page is the signed-in user's: forget it before anyone else signs in.
    event.respondWith(forgetPages().then(() => fetch(request)));
  } else if (request.method === "GET" && url.pathname === PAGE) {
    event.respondWith(pageFirst(request));
  } else if (request.method === "GET" && ASSETS.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  }
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "replay") event.waitUntil(replay().then(tell));
});

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    replay().then((result) => {
      tell(result);
      // Rejecting asks the browser to try this sync again later.
      if (result.offline) throw new Error("still offline");
    }),
  );
});

async function forgetPages() {
  await caches.delete(CACHE);
}

// The live page, kept for offline use; the kept copy when the network fails.
async function pageFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic" && !response.redirected) {
      const cache = await caches.open(CACHE);
      await cache.put(PAGE, response.clone());
    }
    return response;
  } catch (e) {
    const kept = await caches.match(PAGE, { cacheName: CACHE });
    return kept || offline();
  }
}

async function networkFirst(request, path) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(path, response.clone());
    }
    return response;
  } catch (e) {
    const kept = await caches.match(path, { cacheName: CACHE });
    return kept || Response.error();
  }
}

function offline() {
  return new Response(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · knots clinic</title>' +
      '<link rel="stylesheet" href="/clinic.css"></head><body><main><h1>Offline</h1>' +
      "<p>This page was not kept on this phone. Open it again when you are online.</p></main></body></html>",
    { status: 503, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

// A form of the runner's: queued with a request id and its user, then the queue is sent.
async function queueAndSend(request, path) {
  const form = new URLSearchParams(await request.text());
  const user = form.get("user");
  form.delete("user");
  if (!form.get("request_id")) form.set("request_id", crypto.randomUUID());
  try {
    await self.knotsQueue.add({
      id: form.get("request_id"),
      user,
      path,
      body: form.toString(),
      at: new Date().toISOString(),
    });
  } catch (e) {
    // No IndexedDB here (a private window of some browsers): send it as the page would have.
    return fetch(path, { method: "POST", body: form, credentials: "same-origin", redirect: "manual" });
  }
  const result = await replay();
  if (result.offline && self.registration.sync) {
    try {
      await self.registration.sync.register(SYNC_TAG);
    } catch (e) {
      // Background Sync refused (not allowed here): the page's `online` event still replays.
    }
  }
  // No message to the page: it is being replaced by /today, which lists what is still queued.
  return Response.redirect(PAGE, 303);
}

// One replay at a time; a replay asked for while one runs makes it go round once more (a form
// queued meanwhile is sent in the same go).
let running = null;
let again = false;
function replay() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    const total = { sent: 0, refused: 0, offline: false, signedOut: false };
    do {
      again = false;
      const r = await sendQueue();
      total.sent += r.sent;
      total.refused += r.refused;
      total.offline = r.offline;
      total.signedOut = r.signedOut;
    } while (again && !total.offline && !total.signedOut);
    return total;
  })().finally(() => {
    running = null;
  });
  return running;
}

// Sends the queued forms of the signed-in user, oldest first, each with the session's current
// CSRF token; stops at the first network failure, 5xx or lost session.
async function sendQueue() {
  const result = { sent: 0, refused: 0, offline: false, signedOut: false };
  const entries = await self.knotsQueue.all("queue");
  if (entries.length === 0) return result;
  let session;
  try {
    const r = await fetch("/api/csrf", { credentials: "same-origin", cache: "no-store" });
    if (r.status === 401) return { ...result, signedOut: true };
    if (!r.ok) return { ...result, offline: true };
    session = await r.json();
  } catch (e) {
    return { ...result, offline: true };
  }
  for (const entry of entries) {
    // Another user's forms wait for that user to sign in on this phone again.
    if (entry.user && String(entry.user) !== String(session.user)) continue;
    const body = new URLSearchParams(entry.body);
    body.set("csrf", session.csrf);
    let response;
    try {
      // Followed: the handlers answer 303 to /today when stored, 303 to /login without a session.
      response = await fetch(entry.path, { method: "POST", body, credentials: "same-origin" });
    } catch (e) {
      return { ...result, offline: true };
    }
    const landed = new URL(response.url).pathname;
    if (response.ok && landed === PAGE) {
      await self.knotsQueue.sent(entry.seq);
      result.sent += 1;
    } else if (response.ok && landed === "/login") {
      return { ...result, signedOut: true };
    } else if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) {
      await self.knotsQueue.refused(entry, `${response.status}: ${await reason(response)}`);
      result.refused += 1;
    } else {
      return { ...result, offline: true };
    }
  }
  return result;
}

// The server's reason in words: the fields of a 422 (`{"errors": [{field, message}]}`), else
// the start of the answer.
async function reason(response) {
  const text = await response.text();
  try {
    const errors = JSON.parse(text).errors;
    if (Array.isArray(errors)) return errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  } catch (e) {
    // Not JSON: the text itself.
  }
  return text.slice(0, 300);
}

async function tell(result) {
  for (const client of await self.clients.matchAll({ type: "window" })) {
    client.postMessage({ type: "queue", ...result });
  }
}
