/* Drafts: what a person types into a form marked data-draft="<name>" is kept in this browser until the
   server confirms it was saved, so nothing typed is lost to an expired session (the form's page comes
   back after signing in), a refusal, a closed tab or a flat battery.

   Markup: <script src="/static/drafts.js" defer data-user="<user id>" data-restored="<text>"
   data-discard="<text>"></script>, and data-draft="<name>" on a form or on an element holding one form.
   The name says which form it is wherever it appears ("update-12": milestone 12's update form, on the
   project page and on "Pekerjaan saya" alike), so the draft is found again on any page that draws it,
   including the page drawn in answer to a refused post, whose address is the form's POST address.

   A draft is cleared only when the server confirms the save: the page after the post carries
   data-draft-saved="<name> ..." or, for the form just sent from this tab, the redirect's `saved=1`.
   Submitting does not clear it: a post that ends on the login page or an error page keeps it.
   Signing out on purpose clears the person's drafts (a shared office computer).
   Progressive enhancement only: without JavaScript (or storage) the forms work as before. */
(function () {
  "use strict";

  var script = document.currentScript;
  var user = script && script.getAttribute("data-user");
  if (!user) return;
  var store, tab;
  try {
    store = window.localStorage;
    tab = window.sessionStorage;
    store.setItem("pantau.probe", "1");
    store.removeItem("pantau.probe");
  } catch (error) {
    return; // storage off (private mode, full): the forms still work, only without drafts
  }

  var PREFIX = "pantau.draft." + user + ".";
  var SENT = "pantau.draft.sent"; // this tab's last submitted form, to clear it when saved=1 follows
  var MAX_AGE = 30 * 24 * 3600 * 1000; // a month-old draft is not brought back
  var SENT_WITHIN = 10 * 60 * 1000;
  var SKIPPED = ["hidden", "password", "file", "submit", "button", "reset", "image"];

  function keyOf(name) { return PREFIX + name; }

  function forget(name) {
    try { store.removeItem(keyOf(name)); } catch (error) { /* nothing to do */ }
  }

  function load(name) {
    try {
      var draft = JSON.parse(store.getItem(keyOf(name)) || "null");
      if (!draft || typeof draft.values !== "object" || Date.now() - draft.at > MAX_AGE) return null;
      return draft;
    } catch (error) {
      return null;
    }
  }

  function kept(field) {
    if (!field.name || field.name === "csrf_token") return false;
    if (field.tagName === "TEXTAREA" || field.tagName === "SELECT") return true;
    return field.tagName === "INPUT" && SKIPPED.indexOf((field.type || "").toLowerCase()) < 0;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function read(form) {
    var values = {};
    fields(form).forEach(function (field) {
      var type = (field.type || "").toLowerCase();
      if (type === "radio") {
        if (field.checked) values[field.name] = field.value;
        else if (!(field.name in values)) values[field.name] = null;
      } else if (type === "checkbox") {
        values[field.name] = values[field.name] || [];
        if (field.checked) values[field.name].push(field.value);
      } else {
        values[field.name] = field.value;
      }
    });
    return values;
  }

  /* Puts the draft's values into the form; true when that changed anything the page showed. */
  function apply(form, values) {
    var changed = false;
    fields(form).forEach(function (field) {
      if (!(field.name in values) || field.matches(":disabled")) return;
      var value = values[field.name];
      var type = (field.type || "").toLowerCase();
      if (type === "radio" || type === "checkbox") {
        var on = type === "radio" ? value === field.value : Array.isArray(value) && value.indexOf(field.value) >= 0;
        if (type === "radio" && value === null) return; // nothing chosen in the draft: keep the page's choice
        if (field.checked !== on) { field.checked = on; changed = true; }
      } else if (typeof value === "string" && field.value !== value) {
        field.value = value;
        changed = true;
      }
    });
    return changed;
  }

  function save(name, form) {
    try {
      store.setItem(keyOf(name), JSON.stringify({ at: Date.now(), values: read(form) }));
    } catch (error) { /* storage full: the form still posts */ }
  }

  function note(name, form) {
    var box = document.createElement("p");
    box.className = "draft-note";
    box.setAttribute("role", "status");
    box.appendChild(document.createTextNode((script.getAttribute("data-restored") || "Draf dipulihkan.") + " "));
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "draft-note__discard";
    discard.textContent = script.getAttribute("data-discard") || "Buang draf";
    discard.addEventListener("click", function () {
      forget(name);
      form.reset(); // back to what the server drew
      box.remove();
    });
    box.appendChild(discard);
    form.insertBefore(box, form.firstChild);
    for (var open = form.parentElement; open; open = open.parentElement) {
      if (open.tagName === "DETAILS") open.open = true; // a restored draft is never hidden
    }
  }

  // What the server confirmed as saved: named by the page, or the form this tab sent just before.
  document.querySelectorAll("[data-draft-saved]").forEach(function (element) {
    element.getAttribute("data-draft-saved").split(/\s+/).filter(Boolean).forEach(forget);
  });
  var sent = null;
  try {
    sent = JSON.parse(tab.getItem(SENT) || "null");
    tab.removeItem(SENT);
  } catch (error) { /* nothing was sent from this tab */ }
  if (sent && typeof sent.name === "string" && Date.now() - sent.at < SENT_WITHIN &&
      new URLSearchParams(window.location.search).get("saved") === "1") {
    forget(sent.name);
  }

  // Signing out on purpose (an office's shared computer): this person's drafts go with the session.
  // A session that merely expired keeps them, which is the point.
  document.querySelectorAll('form[action="/logout"]').forEach(function (logout) {
    logout.addEventListener("submit", function () {
      try {
        Object.keys(store).filter(function (key) { return key.indexOf(PREFIX) === 0; }).forEach(function (key) {
          store.removeItem(key);
        });
      } catch (error) { /* nothing to do */ }
    });
  });

  document.querySelectorAll("[data-draft]").forEach(function (element) {
    var form = element.tagName === "FORM" ? element : element.querySelector("form");
    var name = element.getAttribute("data-draft");
    if (!form || !name) return;
    var draft = load(name);
    // Kept even when the page already shows it (a refused form drawn again): it is not saved yet.
    if (draft && apply(form, draft.values)) note(name, form);
    var keep = function () { save(name, form); };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () {
      try { tab.setItem(SENT, JSON.stringify({ name: name, at: Date.now() })); } catch (error) { /* ignore */ }
    });
  });
})();
