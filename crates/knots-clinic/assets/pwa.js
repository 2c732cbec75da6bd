// The runner's pages as an installable app (knots clinic; knots_clinic::pwa explains the design):
// registers the service worker (sw.js), lists in #queue what waits to be sent and what the server
// refused, and asks the worker to send the queue on every page load and when the phone is back
// online. No inline script: the page's CSP allows only scripts of this server.
(function () {
  "use strict";
  const me = document.currentScript && document.currentScript.dataset.user;
  if (!("serviceWorker" in navigator) || !self.knotsQueue) return;

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((e) => {
    show({ error: `This browser did not install the offline app: ${e.message}` });
  });

  function ask() {
    navigator.serviceWorker.ready.then((reg) => {
      if (reg.active) reg.active.postMessage({ type: "replay" });
    });
  }

  // What a queued form was, in words: the checklist item's text, or the run's date and distance.
  function label(entry) {
    const f = new URLSearchParams(entry.body);
    if (entry.path === "/today/run") {
      return `Run on ${f.get("date")}: ${f.get("km")} km` + (f.get("max_pain") ? `, max pain ${f.get("max_pain")}/10` : "");
    }
    const item = document.querySelector(`.checklist input[name="item"][value="${CSS.escape(f.get("item") || "")}"]`);
    const what = item ? item.form.querySelector("button").textContent.replace(/^[☐☑]\s*/, "") : `item ${f.get("item")}`;
    return `${f.get("done") === "false" ? "Untick" : "Tick"} ${what} (${f.get("date") || "today"})`;
  }

  function li(text, extra) {
    const el = document.createElement("li");
    el.textContent = text;
    if (extra) el.append(" ", extra);
    return el;
  }

  async function show(note) {
    const box = document.getElementById("queue");
    if (!box) return;
    const mine = (e) => !e.user || !me || String(e.user) === String(me);
    const waiting = (await self.knotsQueue.all("queue")).filter(mine);
    const failed = (await self.knotsQueue.all("failed")).filter(mine);
    box.replaceChildren();
    if (note && note.error) box.append(Object.assign(document.createElement("p"), { className: "err", textContent: note.error }));
    if (waiting.length > 0) {
      box.append(Object.assign(document.createElement("h2"), { textContent: "Queued — will send when online" }));
      const ul = Object.assign(document.createElement("ul"), { className: "queued" });
      for (const e of waiting) ul.append(li(label(e)));
      box.append(ul);
      if (note && note.signedOut) box.append(Object.assign(document.createElement("p"), { textContent: "Log in again to send them." }));
    }
    // A queued tick shows on its item until it is sent.
    for (const e of waiting.filter((e) => e.path === "/today/tick")) {
      const item = new URLSearchParams(e.body).get("item") || "";
      const input = document.querySelector(`.checklist input[name="item"][value="${CSS.escape(item)}"]`);
      if (input) input.form.querySelector("button").classList.add("queued");
    }
    if (failed.length > 0) {
      box.append(Object.assign(document.createElement("h2"), { textContent: "Not sent — the server refused" }));
      const ul = Object.assign(document.createElement("ul"), { className: "failed" });
      for (const e of failed) {
        const dismiss = Object.assign(document.createElement("button"), { type: "button", textContent: "Dismiss" });
        dismiss.addEventListener("click", () => self.knotsQueue.dismiss(e.seq).then(() => show()));
        ul.append(li(`${label(e)} — ${e.why}`, dismiss));
      }
      box.append(ul);
    }
  }

  navigator.serviceWorker.addEventListener("message", (event) => {
    const m = event.data || {};
    if (m.type !== "queue") return;
    // Something was sent while this page was open: show the server's state (unless the runner
    // is typing a run), else refresh the list.
    const typing = [...document.querySelectorAll('form[action="/today/run"] input[name="km"]')].some((i) => i.value);
    if (m.sent > 0 && location.pathname === "/today" && !typing) location.reload();
    else show(m);
  });
  window.addEventListener("online", ask);
  show();
  ask();
})();
