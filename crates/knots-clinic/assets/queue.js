// The offline queue of the runner's pages, in IndexedDB. Shared by the service worker (sw.js,
// through importScripts) and the page (pwa.js): both define `self.knotsQueue`.
//
// Stores: `queue` — the forms waiting to be sent, in the order they were made (an
// auto-increment key `seq`); each is {seq, id (the request id), user, path, body (the form,
// urlencoded), at (ISO instant)}. `failed` — forms the server refused, with `why`, until the
// runner dismisses them.
(function (g) {
  "use strict";
  const NAME = "knots-queue";

  function open() {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open(NAME, 1);
      r.onupgradeneeded = () => {
        r.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        r.result.createObjectStore("failed", { keyPath: "seq", autoIncrement: true });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  // Runs `work(transaction)` over `stores`; resolves with the result of the request `work`
  // returns (if any) once the transaction has committed.
  async function within(stores, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(stores, mode);
      const request = work(t);
      t.oncomplete = () => {
        db.close();
        resolve(request ? request.result : undefined);
      };
      t.onerror = t.onabort = () => {
        db.close();
        reject(t.error);
      };
    });
  }

  g.knotsQueue = {
    // Appends a form to the queue.
    add: (entry) => within(["queue"], "readwrite", (t) => t.objectStore("queue").add(entry)),
    // Every entry of `store` ("queue" or "failed"), oldest first.
    all: (store) => within([store], "readonly", (t) => t.objectStore(store).getAll()),
    // Removes a sent entry from the queue.
    sent: (seq) => within(["queue"], "readwrite", (t) => t.objectStore("queue").delete(seq)),
    // Moves a refused entry from the queue to `failed`, in one transaction.
    refused: (entry, why) =>
      within(["queue", "failed"], "readwrite", (t) => {
        t.objectStore("queue").delete(entry.seq);
        const kept = Object.assign({}, entry, { why });
        delete kept.seq;
        t.objectStore("failed").add(kept);
      }),
    // Forgets a refused entry (the runner dismissed it).
    dismiss: (seq) => within(["failed"], "readwrite", (t) => t.objectStore("failed").delete(seq)),
  };
})(self);
