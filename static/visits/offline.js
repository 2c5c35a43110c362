// The offline outbox: a visit saved with no connection waits in IndexedDB, with its photos as
// files, and is sent, oldest first, when the connection returns. Each carries its
// client-generated id, so a replay never makes a second visit (nor a second copy of its photos).
(function () {
  "use strict";
  const DB_NAME = "grassroots";
  const STORE = "outbox";
  const API = "/api/v1/visits/";

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function withStore(mode, work) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);  // e.g. no room left on the phone for the photos
    }));
  }

  const outbox = {
    add: (item) => withStore("readwrite", (store) => store.put(item)),
    all: () => withStore("readonly", (store) => store.getAll()),
    remove: (id) => withStore("readwrite", (store) => store.delete(id)),
    clear: () => withStore("readwrite", (store) => store.clear()),
  };

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function showCount(items) {
    document.querySelectorAll("[data-outbox-badge]").forEach((badge) => {
      badge.hidden = items.length === 0;
      badge.querySelector("[data-outbox-count]").textContent = String(items.length);
    });
    const problems = items.filter((item) => item.problem);
    document.querySelectorAll("[data-outbox-problems]").forEach((box) => {
      box.hidden = problems.length === 0;
      box.querySelector("ul").innerHTML = "";
      problems.forEach((item) => {
        const li = document.createElement("li");
        li.textContent = item.summary + " — " + item.problem;
        box.querySelector("ul").appendChild(li);
      });
    });
  }

  function refresh() {
    return outbox.all().then((items) => { showCount(items); return items; });
  }

  // JSON, or with photos multipart/form-data: the visit's JSON in a "visit" part, each photo in a
  // "photos" part (the browser sets the Content-Type with its boundary).
  function send(item) {
    const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    let body;
    if (item.photos && item.photos.length) {
      body = new FormData();
      body.append("visit", JSON.stringify(item.body));
      item.photos.forEach((photo) => body.append("photos", photo, photo.name || "photo.jpg"));
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(item.body);
    }
    return fetch(API, { method: "POST", credentials: "same-origin", headers: headers, body: body });
  }

  let flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    return outbox.all()
      .then((items) => items.filter((item) => !item.problem).sort((a, b) => a.created - b.created))
      .then(async (items) => {
        for (const item of items) {
          let response;
          try {
            response = await send(item);
          } catch (error) {
            break;  // still offline: try again later, in the same order
          }
          if (response.ok || response.status === 409) {
            await outbox.remove(item.id);  // delivered (201 or a replay's 200), or the server has it
          } else if (response.status === 400) {
            item.problem = JSON.stringify(await response.json().catch(() => ({})));
            await outbox.add(item);  // kept and shown: it needs the cadre's attention
          } else {
            break;  // signed out or server trouble: keep everything for later
          }
        }
      })
      .finally(() => { flushing = false; return refresh(); });
  }

  window.grassrootsOutbox = { add: (item) => outbox.add(item).then(refresh), flush, refresh, clear: () => outbox.clear().then(refresh) };

  // Signing out: warn about unsent visits, then forget them and every cached page.
  document.querySelectorAll("form[data-logout]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      outbox.all().then((items) => {
        if (items.length && !window.confirm(form.dataset.unsentWarning.replace("%s", items.length))) return;
        const caches_ = "caches" in window ? caches.keys().then((keys) => Promise.all(keys.map((k) => caches.delete(k)))) : Promise.resolve();
        Promise.all([outbox.clear(), caches_]).finally(() => form.submit());
      });
    });
  });

  if ("serviceWorker" in navigator && document.body.dataset.serviceWorker) {
    navigator.serviceWorker.register(document.body.dataset.serviceWorker, { scope: "/" }).catch(() => null);
  }
  window.addEventListener("online", flush);
  refresh().then(flush);
})();
