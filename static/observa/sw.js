/* Observa's service worker: the observer's mission pages open with no network.
 *
 * Served at /missions/<slug>/sw.js, so its scope is that mission's pages. Pages are
 * network-first (a fresh page whenever there is a connection) and fall back to the copy kept
 * here; the page's own code (app.js) fills the cache with the observer's assignments,
 * stations and checklists. It never intercepts anything but GET: visits are sent by the
 * page's code, with their submission key, never replayed from here.
 */
"use strict";

const CACHE = "observa-pages-v1";
// Never kept: other users' photos, the API and anything a page must get fresh.
const NEVER = [/\/attachments\//, /^\/api\//, /\/sw\.js$/, /^\/accounts\//, /^\/admin\//];
// Parameters the page's own code reads; the cached page without them is the same page.
const LOCAL_PARAMS = ["station", "outbox"];

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) { return name.startsWith("observa-pages-") && name !== CACHE; })
            .map(function (name) { return caches.delete(name); })
        );
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  // Sent by the page when the observer logs out: nothing of theirs stays on the device.
  if (event.data && event.data.type === "forget") {
    event.waitUntil(caches.delete(CACHE));
  }
});

function keepable(url, response) {
  return (
    response &&
    response.ok &&
    response.type === "basic" &&
    !response.redirected &&
    !NEVER.some(function (pattern) { return pattern.test(url.pathname); })
  );
}

function withoutLocalParams(url) {
  const copy = new URL(url.href);
  LOCAL_PARAMS.forEach(function (name) { copy.searchParams.delete(name); });
  return copy.href;
}

function fromCache(request, url) {
  const options = { ignoreVary: true };
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, options).then(function (hit) {
      if (hit) { return hit; }
      return cache.match(withoutLocalParams(url), options).then(function (hit2) {
        if (hit2 || request.mode !== "navigate") { return hit2; }
        // A page never kept: the mission's home, which says what waits to be sent.
        const home = new URL(self.registration.scope);
        return cache.match(home.href, options);
      });
    });
  });
}

function networkFirst(request, url) {
  return fetch(request)
    .then(function (response) {
      if (keepable(url, response)) {
        const copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    })
    .catch(function () {
      return fromCache(request, url).then(function (hit) {
        return hit || Response.error();
      });
    });
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  // Never a POST: some mobile browsers lose a multipart body a worker sends again.
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (NEVER.some(function (pattern) { return pattern.test(url.pathname); })) { return; }
  event.respondWith(networkFirst(request, url));
});
