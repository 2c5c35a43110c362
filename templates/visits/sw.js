{% load static %}// Grassroots service worker: keeps the app shell so the visit form opens with no connection.
// Pages: network first, the cached copy when offline. Static files: cache first.
const CACHE = "grassroots-shell-{{ version }}";
const SHELL = [
  "{% url 'visit_new' %}",
  "{% static 'vendor/bootstrap-5.3.9/bootstrap.min.css' %}",
  "{% static 'vendor/bootstrap-5.3.9/bootstrap.bundle.min.js' %}",
  "{% static 'css/app.css' %}",
  "{% static 'visits/visit_form.js' %}",
  "{% static 'visits/offline.js' %}",
];
const STATIC_PREFIX = "{% get_static_prefix %}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(SHELL.map((url) => cache.add(new Request(url, { credentials: "same-origin" })).catch(() => null)))
    ).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === "navigate" && url.pathname === "{% url 'visit_new' %}") {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put("{% url 'visit_new' %}", copy));
          }
          return response;
        })
        .catch(() => caches.match("{% url 'visit_new' %}"))
    );
  }
});
