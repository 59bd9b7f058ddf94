/* The visit form on the observer's phone: nothing typed is lost, and a visit is filed once.
 *
 * Without JavaScript the form posts as any form does. With it: the form is saved on the device
 * (IndexedDB, photos too) as the observer types and restored after a reload, a crash or a
 * closed tab; "Send" puts the visit in the outbox with its key and sends it through the
 * observer API, so a visit typed with no signal goes out when the signal returns; a refusal
 * comes back into the form with each message beside its field.
 */
(function () {
  "use strict";

  var form = document.getElementById("visit-form");
  if (!form) { return; }
  var gettext = window.gettext || function (text) { return text; };
  var Observa = window.Observa;
  var Store = Observa && Observa.Store;
  var draftId = form.dataset.mission + ":" + (Observa ? Observa.observer : "") + ":" + form.dataset.draft;
  var params = new URLSearchParams(window.location.search);

  // ----- small helpers of the page

  function focusFirst(id) {
    var element = document.getElementById(id);
    if (element) { element.focus(); }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function say(text) {
    var status = document.getElementById("draft-status");
    if (status) { status.textContent = text; }
  }

  // ----- "Now" buttons, in the mission's time zone whatever the phone's zone

  function nowInZone(zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  form.querySelectorAll("[data-now]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.now);
      input.value = nowInZone(form.dataset.timeZone);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // ----- "Not observed": the box and the answer exclude each other

  function markNotObserved(box) {
    var wrapper = box.closest(".answer");
    wrapper.classList.toggle("is-not-observed", box.checked);
    if (!box.checked) { return; }
    wrapper.querySelectorAll("input, textarea, select").forEach(function (input) {
      if (input === box) { return; }
      if (input.type === "radio" || input.type === "checkbox") { input.checked = false; }
      else { input.value = ""; }
    });
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name && target.name.indexOf("n_") === 0) { markNotObserved(target); return; }
    var wrapper = target.closest && target.closest(".answer");
    var box = wrapper && wrapper.querySelector("[data-not-observed] input[type=checkbox]");
    if (box && box !== target && box.checked) {
      box.checked = false;
      wrapper.classList.remove("is-not-observed");
    }
  });

  // ----- incidents added and removed in the page

  var incidents = document.getElementById("incidents");
  var prefix = incidents.dataset.prefix;
  var total = form.querySelector("[name=" + prefix + "-TOTAL_FORMS]");
  var list = incidents.querySelector("[data-incident-list]");
  var template = document.getElementById("incident-template");
  var addButton = incidents.querySelector("[data-incident-add]");

  function removable(card) {
    var remove = card.querySelector("input[name$='-DELETE']");
    if (!remove || card.querySelector("[data-incident-remove]")) { return; }
    remove.closest(".mb-3, .form-check").hidden = true;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-danger btn-sm";
    button.dataset.incidentRemove = "";
    button.textContent = gettext("Remove this incident");
    button.addEventListener("click", function () {
      remove.checked = true;
      card.hidden = true;
      saveSoon();
    });
    card.appendChild(button);
  }

  function addIncident() {
    var index = Number(total.value);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    list.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    removable(list.lastElementChild);
    return list.lastElementChild;
  }

  addButton.hidden = false;
  addButton.addEventListener("click", function () {
    var card = addIncident();
    card.querySelector("select, textarea, input").focus();
    saveSoon();
  });
  list.querySelectorAll(".incident").forEach(removable);

  // ----- the draft: what the form holds, kept on the device

  function entries() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof File && !value.name && !value.size) { return; }
      pairs.push([name, value]);
    });
    return pairs;
  }

  function fill(pairs) {
    var wanted = pairs.filter(function (pair) { return pair[0] === prefix + "-TOTAL_FORMS"; })[0];
    while (wanted && Number(total.value) < Number(wanted[1])) { addIncident(); }
    var byName = {};
    pairs.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.name === "csrfmiddlewaretoken" || input.type === "submit") { return; }
      var values = byName[input.name] || [];
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = values.indexOf(input.value) >= 0;
      } else if (input.type === "file") {
        var files = values.filter(function (value) { return value instanceof Blob; });
        if (files.length && window.DataTransfer) {
          var transfer = new DataTransfer();
          files.forEach(function (file) { transfer.items.add(file); });
          input.files = transfer.files;
        }
      } else if (input.name !== prefix + "-TOTAL_FORMS") {
        input.value = values.length ? values[0] : "";
      }
    });
    form.querySelectorAll("[data-not-observed] input[type=checkbox]").forEach(markNotObserved);
    list.querySelectorAll(".incident").forEach(function (card) {
      var remove = card.querySelector("input[name$='-DELETE']");
      card.hidden = Boolean(remove && remove.checked);
    });
  }

  var timer = null;
  function save() {
    timer = null;
    if (!Store) { return Promise.resolve(); }
    return Store.put("drafts", {
      id: draftId, mission: form.dataset.mission, entries: entries(), savedAt: Date.now(),
    }).then(function () { say(gettext("Saved on this phone.")); });
  }
  function saveSoon() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 300);
  }
  form.addEventListener("input", saveSoon);
  form.addEventListener("change", saveSoon);

  // ----- the server's messages beside the fields

  function clearErrors() {
    form.querySelectorAll("[data-server-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".is-invalid").forEach(function (node) { node.classList.remove("is-invalid"); });
    var summary = document.getElementById("sent-errors");
    if (summary) { summary.remove(); }
  }

  function showErrors(errors, detail) {
    clearErrors();
    var summary = document.createElement("div");
    summary.id = "sent-errors";
    summary.className = "alert alert-danger";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    summary.textContent = detail || gettext("Some answers need your attention. Everything you typed is still here.");
    Object.keys(errors).forEach(function (name) {
      var message = errors[name].join(" ");
      var input = form.querySelector("[name='" + name + "']");
      var wrapper = document.getElementById("div_id_" + name) || (input && input.parentElement);
      if (!wrapper || name === "__all__") {
        var line = document.createElement("div");
        line.textContent = message;
        summary.appendChild(line);
        return;
      }
      form.querySelectorAll("[name='" + name + "']").forEach(function (node) { node.classList.add("is-invalid"); });
      var feedback = document.createElement("div");
      feedback.className = "invalid-feedback d-block";
      feedback.dataset.serverError = name;
      feedback.id = "error_" + name;
      feedback.textContent = message;
      wrapper.appendChild(feedback);
      if (input) { input.setAttribute("aria-describedby", feedback.id); }
    });
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  function showDuplicate(item) {
    var panel = document.createElement("div");
    panel.id = "sent-errors";
    panel.className = "alert alert-warning";
    panel.setAttribute("role", "alert");
    panel.tabIndex = -1;
    var text = document.createElement("p");
    text.textContent = item.detail;
    var open = document.createElement("a");
    open.className = "btn btn-outline-dark me-2";
    open.href = item.duplicate.url;
    open.textContent = gettext("Open that visit");
    var again = document.createElement("button");
    again.type = "button";
    again.className = "btn btn-dark";
    again.textContent = gettext("File a second visit");
    again.addEventListener("click", function () { submit([["confirm_duplicate", "on"]]); });
    panel.append(text, open, again);
    clearErrors();
    form.parentNode.insertBefore(panel, form);
    panel.focus();
  }

  // ----- sending: through the outbox, with the form's key

  function outboxItem(extra) {
    var pairs = entries().filter(function (pair) { return pair[0] !== "confirm_duplicate"; });
    var station = pairs.filter(function (pair) { return pair[0] === "station"; })[0];
    return {
      key: form.querySelector("[name=key]").value,
      mission: form.dataset.mission,
      observer: Observa.observer,
      draft: draftId,
      api: form.dataset.api,
      page: window.location.pathname + "?checklist=" + form.querySelector("[name=checklist]").value,
      station: station ? station[1] : "",
      entries: pairs.concat(extra || []),
      status: "waiting",
      savedAt: Date.now(),
    };
  }

  function startAfresh() {
    form.reset();
    list.querySelectorAll(".incident").forEach(function (card, index) { if (index > 0) { card.remove(); } });
    total.value = String(list.querySelectorAll(".incident").length);
    form.querySelector("[name=key]").value = uuid();
    form.querySelectorAll("[data-not-observed] input[type=checkbox]").forEach(markNotObserved);
    clearErrors();
  }

  function submit(extra) {
    var item = outboxItem(extra);
    return Store.put("outbox", item)
      .then(function () { return Store.remove("drafts", draftId); })
      .then(function () {
        if (!navigator.onLine) { return { outcome: "later" }; }
        return Observa.send(item);
      })
      .then(function (result) {
        if (result.outcome === "sent") {
          // Coming Back to this page shows a fresh form with a new key, never this one.
          startAfresh();
          window.location.assign(result.body.url);
          return;
        }
        if (result.outcome === "refused" || result.outcome === "duplicate") {
          // Back into the form, which is again the draft, and out of the outbox.
          return Store.remove("outbox", item.key).then(function () {
            return save();
          }).then(function () {
            if (result.outcome === "duplicate") { showDuplicate(Object.assign(item, result.body)); }
            else { showErrors(result.body.errors || {}, result.body.detail); }
          });
        }
        startAfresh();
        say(result.outcome === "login" ? gettext("Log in again to send your visits.")
          : gettext("No connection: the visit is kept on this phone and will be sent when the connection returns."));
        window.scrollTo(0, 0);
      })
      .finally(function () { Observa.showOutbox(); });
  }

  var busy = false;
  if (form.dataset.api && Store) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      var extra = event.submitter && event.submitter.name === "confirm_duplicate" ? [["confirm_duplicate", "on"]] : [];
      submit(extra).finally(function () { busy = false; });
    });
  } else {
    // A second tap while the first is on its way would only be answered with the same visit.
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      if (Store) { Store.remove("drafts", draftId); }
    });
  }

  // ----- on opening: a visit sent back from the outbox, else the draft, else a fresh key

  function restore() {
    if (!Store || document.getElementById("form-errors") || document.getElementById("duplicate")) {
      // The server showed this form again with its messages: it holds what was typed.
      return Promise.resolve();
    }
    var fromOutbox = params.get("outbox");
    var pending = fromOutbox ? Store.get("outbox", fromOutbox) : Promise.resolve(null);
    return pending.then(function (item) {
      if (item && item.observer === Observa.observer) {
        fill(item.entries);
        return Store.remove("outbox", item.key).then(save).then(function () {
          if (item.status === "duplicate") { showDuplicate(item); }
          else if (item.status === "refused") { showErrors(item.errors || {}, item.detail); }
          Observa.showOutbox();
        });
      }
      return Store.get("drafts", draftId).then(function (draft) {
        if (draft) {
          fill(draft.entries);
          say(gettext("Restored what you typed on this phone."));
          return;
        }
        if (form.dataset.api) {
          // A page kept for offline use is shown many times: each visit gets its own key.
          form.querySelector("[name=key]").value = uuid();
        }
        var station = params.get("station");
        var option = station && document.querySelector("#station-numbers option[data-pk='" + station + "']");
        var field = form.querySelector("[name=station]");
        if (option && !field.value) { field.value = option.value; }
      });
    });
  }

  restore().finally(function () {
    form.dataset.ready = "yes";
    focusFirst("form-errors");
    focusFirst("duplicate");
  });
})();
