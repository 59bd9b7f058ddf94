/* Observa on the observer's phone: the service worker, the device's store and the outbox.
 *
 * Every observer page loads this file. It registers the service worker, keeps the pages the
 * observer needs offline in its cache, and sends the visits waiting in the outbox (IndexedDB)
 * when the connection returns or when the observer asks. A visit goes out with the key it was
 * given when its form was first shown, so sending it twice files it once.
 */
(function () {
  "use strict";

  var script = document.getElementById("observa-app");
  var CACHE = "observa-pages-v1";
  var DB_NAME = "observa";
  var REFRESH_MS = 5 * 60 * 1000;
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var fmt = window.interpolate || function (text, values) { return text.replace("%s", values[0]); };

  // ----- the device's store: drafts being typed, and visits waiting to be sent

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("drafts", { keyPath: "id" });
          request.result.createObjectStore("outbox", { keyPath: "key" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(name, mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(name, mode);
        var result = work(transaction.objectStore(name));
        transaction.oncomplete = function () { resolve(result && result.result); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  var Store = {
    get: function (name, id) { return store(name, "readonly", function (s) { return s.get(id); }); },
    put: function (name, item) { return store(name, "readwrite", function (s) { s.put(item); }); },
    remove: function (name, id) { return store(name, "readwrite", function (s) { s.delete(id); }); },
    all: function (name) { return store(name, "readonly", function (s) { return s.getAll(); }); },
  };

  // ----- sending the outbox

  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (part) {
      return part.indexOf(name + "=") === 0;
    })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
  }

  function formData(entries) {
    var data = new FormData();
    entries.forEach(function (pair) {
      if (pair[1] instanceof Blob) { data.append(pair[0], pair[1], pair[1].name || "photo"); }
      else { data.append(pair[0], pair[1]); }
    });
    return data;
  }

  // Send one visit; resolve to what became of it: sent, refused, duplicate, login or later.
  function send(item) {
    var token = cookie("csrftoken");
    var posted = item.entries.filter(function (pair) { return pair[0] === "csrfmiddlewaretoken"; })[0];
    return fetch(item.api, {
      method: "POST",
      body: formData(item.entries),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token || (posted && posted[1]) || "" },
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 200 || response.status === 201) {
            return Store.remove("outbox", item.key).then(function () {
              return { outcome: "sent", body: body };
            });
          }
          if (response.status === 400 || response.status === 409) {
            item.status = response.status === 409 ? "duplicate" : "refused";
            item.errors = body.errors || {};
            item.detail = body.detail || "";
            item.duplicate = body.duplicate || null;
            return Store.put("outbox", item).then(function () {
              return { outcome: item.status, body: body };
            });
          }
          if (response.status === 401 || response.status === 403) {
            item.detail = body.detail || gettext("Log in again to send your visits.");
            return Store.put("outbox", item).then(function () { return { outcome: "login", body: body }; });
          }
          return { outcome: "later", body: body };
        });
      })
      .catch(function () { return { outcome: "later", body: {} }; });
  }

  var sending = null;
  function sendWaiting(mission) {
    if (sending) { return sending; }
    sending = Store.all("outbox")
      .then(function (items) {
        // Only this observer's visits: a phone may be handed to someone else.
        var waiting = items.filter(function (item) {
          return item.mission === mission && item.observer === observer && item.status === "waiting";
        });
        return waiting.reduce(function (chain, item) {
          return chain.then(function (outcomes) {
            return send(item).then(function (outcome) { return outcomes.concat([outcome]); });
          });
        }, Promise.resolve([]));
      })
      .finally(function () { sending = null; showOutbox(mission); });
    return sending;
  }

  // ----- what the observer sees: visits waiting, visits to correct

  function showOutbox(mission) {
    var box = document.getElementById("outbox-status");
    if (!box || !mission) { return Promise.resolve(); }
    return Store.all("outbox").then(function (items) {
      var mine = items.filter(function (item) {
        return item.mission === mission && item.observer === observer;
      });
      var waiting = mine.filter(function (item) { return item.status === "waiting"; });
      var returned = mine.filter(function (item) { return item.status !== "waiting"; });
      var text = box.querySelector("[data-outbox-text]");
      text.textContent = "";
      if (waiting.length) {
        text.appendChild(document.createTextNode(fmt(ngettext(
          "%s visit waiting to send", "%s visits waiting to send", waiting.length
        ), [waiting.length])));
      }
      returned.forEach(function (item) {
        var line = document.createElement("div");
        var link = document.createElement("a");
        link.href = item.page + (item.page.indexOf("?") < 0 ? "?" : "&") + "outbox=" + item.key;
        link.className = "alert-link";
        link.textContent = fmt(gettext("Visit to station No. %s was not accepted: open it to correct it."), [item.station || "?"]);
        line.appendChild(link);
        text.appendChild(line);
      });
      box.querySelector("[data-outbox-send]").hidden = !waiting.length;
      box.hidden = !mine.length;
      box.dataset.waiting = String(waiting.length);
    });
  }

  // ----- the pages kept for offline use

  function keepPages() {
    if (!script || !navigator.onLine || !window.caches) { return Promise.resolve(); }
    var last = Number(localStorage.getItem("observa-kept") || 0);
    if (Date.now() - last < REFRESH_MS && localStorage.getItem("observa-kept-for") === observer) {
      return Promise.resolve();
    }
    return fetch(script.dataset.pages, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { pages: [], assets: [] }; })
      .then(function (list) {
        return caches.open(CACHE).then(function (cache) {
          return Promise.all(list.pages.concat(list.assets).map(function (url) {
            return fetch(url, { credentials: "same-origin" }).then(function (response) {
              if (response.ok && !response.redirected) { return cache.put(url, response); }
            }).catch(function () {});
          }));
        });
      })
      .then(function () {
        localStorage.setItem("observa-kept", String(Date.now()));
        localStorage.setItem("observa-kept-for", observer);
      });
  }

  function registerWorker() {
    if (!script || !("serviceWorker" in navigator)) { return Promise.resolve(); }
    return navigator.serviceWorker
      .register(script.dataset.worker, { scope: script.dataset.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .catch(function () {});
  }

  function forgetOnLogout() {
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", function () {
        localStorage.removeItem("observa-kept");
        if (window.caches) { caches.delete(CACHE); }
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: "forget" });
        }
      });
    });
  }

  var observer = script ? script.dataset.observer : "";
  var mission = document.body.dataset.mission || null;
  var form = document.getElementById("visit-form");
  if (!mission && form) { mission = form.dataset.mission; }
  if (!mission && script) { mission = script.dataset.scope.split("/").filter(Boolean).pop(); }

  window.Observa = {
    Store: Store,
    mission: mission,
    observer: observer,
    send: send,
    sendWaiting: function () { return sendWaiting(mission); },
    showOutbox: function () { return showOutbox(mission); },
  };

  document.addEventListener("DOMContentLoaded", function () {
    forgetOnLogout();
    var button = document.querySelector("[data-outbox-send]");
    if (button) {
      button.addEventListener("click", function () { sendWaiting(mission); });
    }
    showOutbox(mission).then(function () {
      if (navigator.onLine) { return sendWaiting(mission); }
    });
    window.addEventListener("online", function () { sendWaiting(mission); });
    registerWorker()
      .then(keepPages)
      .finally(function () { document.documentElement.dataset.offlineReady = "yes"; });
  });
})();
