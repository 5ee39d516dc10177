/* Pantau wall screen (/board/unit/{id}?layout=wall): pages through every card, shows the clock and the
 * latest activity. board.js keeps the cards up to date and tells this script every message it applied
 * ("pantau:board" on document). Plain JavaScript; event data only reaches the page through textContent. */
(function () {
  "use strict";

  var labels = JSON.parse(document.getElementById("board-labels").textContent);
  var initial = JSON.parse(document.getElementById("board-data").textContent);
  var grid = document.getElementById("cards");
  var lang = document.documentElement.lang || "id";
  var NEW_MS = (initial.highlight_seconds || 12) * 1000;

  function say(key, values) {
    return labels[key].replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  // ---- the clock (WIB, as the server writes it: 14.05, or 14:05 in English) ---------------------
  var clockParts = new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Asia/Jakarta",
  });
  function hhmm(date) {
    var found = {};
    clockParts.formatToParts(date).forEach(function (part) { found[part.type] = part.value; });
    return found.hour + (lang === "en" ? ":" : ".") + found.minute;
  }
  var clock = document.getElementById("clock-time");
  function tick() { clock.textContent = hhmm(new Date()); }
  setInterval(tick, 1000);
  tick();

  // ---- pages: as many cards as the grid has cells (--cols × --rows in board.css) ----------------
  var seconds = Number(grid.getAttribute("data-page-seconds")) || 15;
  var pager = document.getElementById("pager");
  var pagerText = document.getElementById("pager-text");
  var dots = document.getElementById("pager-dots");
  var page = 0;
  var timer = null;

  function cards() { return Array.prototype.slice.call(grid.querySelectorAll("[data-project-id]")); }
  function perPage() {
    var style = getComputedStyle(grid);
    var cols = parseInt(style.getPropertyValue("--cols"), 10) || 1;
    var rows = parseInt(style.getPropertyValue("--rows"), 10) || 1;
    return cols * rows;
  }
  function show(wanted) {
    var list = cards();
    var size = perPage();
    var count = Math.max(1, Math.ceil(list.length / size));
    var next = ((wanted % count) + count) % count;
    page = next;
    list.forEach(function (card, index) { card.classList.toggle("is-off-page", Math.floor(index / size) !== page); });
    pager.hidden = count < 2;
    pagerText.textContent = say("page", { n: page + 1, count: count });
    if (dots.children.length !== count) {
      dots.replaceChildren();
      for (var i = 0; i < count; i++) dots.append(document.createElement("span"));
    }
    Array.prototype.forEach.call(dots.children, function (dot, index) { dot.classList.toggle("is-current", index === page); });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { show(page + 1); schedule(); }, seconds * 1000);
  }

  // ---- the activity strip: the latest events, newest first --------------------------------------
  var strip = document.getElementById("activity");
  var KEEP = 8;
  function activityText(message) {
    var data = message.data || {};
    var project = data.project ? data.project.name : data.blocker ? data.blocker.project_name : "";
    var title = data.milestone ? data.milestone.title : "";
    switch (message.type) {
      case "milestone.closed": return say("milestone_closed", { title: title, project: project });
      case "milestone.created": return say("milestone_created", { title: title, project: project });
      case "milestone.rescheduled": return say("milestone_rescheduled", { title: title, project: project });
      case "project.created": return say("project_created", { project: project });
      case "blocker.opened": return say("blocker_opened", { project: project, text: data.blocker.text });
      case "blocker.acknowledged": return say("blocker_acknowledged", { project: project });
      case "blocker.resolved": return say("blocker_resolved", { project: project });
    }
    return null;
  }
  // Evidence (bukti dukung) as the server draws it (web/templates/_macros.html, evidence_thumbs).
  var people = (initial.board && initial.board.people) || {};
  var when = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "id-ID", {
    dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Jakarta",
  });
  function hiddenText(e) {
    return say("evidence_hidden", { name: people[String(e.hidden_by)] || "–", reason: e.hidden_reason || "" });
  }
  function hiddenNote(e) {
    var note = document.createElement("p");
    note.className = "evidence__hidden";
    note.textContent = hiddenText(e);
    return note;
  }
  function evidenceItem(e) {
    var li = document.createElement("li");
    li.className = "evidence__item";
    li.setAttribute("data-evidence-id", String(e.id));
    if (e.hidden) {
      li.classList.add("evidence__item--hidden");
      li.append(hiddenNote(e));
      return li;
    }
    var link = document.createElement("a");
    link.href = e.url;
    if (e.kind === "document") {
      li.classList.add("evidence__item--doc");
      link.className = "evidence__doc";
      var icon = document.createElement("span");
      icon.className = "evidence__icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "PDF";
      var name = document.createElement("span");
      name.className = "evidence__name";
      name.textContent = e.original_name || labels.evidence_document;
      link.append(icon, " ", name);
    } else {
      link.className = "evidence__photo";
      var img = document.createElement("img");
      img.loading = "lazy";
      img.src = e.thumbnail_url;
      if (e.width && e.height) {
        var scale = Math.min(1, 320 / Math.max(e.width, e.height));
        img.width = Math.max(1, Math.round(e.width * scale));
        img.height = Math.max(1, Math.round(e.height * scale));
      }
      img.alt = e.captured_at ? say("evidence_photo_at", { when: when.format(new Date(e.captured_at)) }) : labels.evidence_photo;
      link.append(img);
    }
    li.append(link);
    return li;
  }
  function evidenceList(items) {
    var list = document.createElement("ul");
    list.className = "evidence";
    list.setAttribute("aria-label", labels.evidence);
    items.forEach(function (e) { list.append(evidenceItem(e)); });
    return list;
  }
  // The lead hid an item: the strip shows who hid it and why instead of the picture.
  function hideEvidence(e) {
    strip.querySelectorAll('[data-evidence-id="' + String(Number(e.id)) + '"]').forEach(function (li) {
      li.className = "evidence__item evidence__item--hidden";
      li.replaceChildren(hiddenNote(e));
    });
  }

  function addActivity(message) {
    var item = document.createElement("li");
    item.className = "activity__item is-new";
    var time = document.createElement("time");
    var at = message.at || new Date().toISOString();
    time.setAttribute("datetime", at);
    time.textContent = hhmm(new Date(at));
    item.append(time, " ");
    if (message.type === "progress.posted") {
      var update = message.data.update;
      var author = document.createElement("strong");
      author.textContent = update.author_name;
      item.append(author, " · " + message.data.project.name + " · " + update.progress_pct + "%");
      if (update.evidence && update.evidence.length) item.append(evidenceList(update.evidence));
      if (update.note) item.append(" — " + update.note);
    } else {
      var text = activityText(message);
      if (text === null) return;
      item.append(text);
    }
    strip.insertBefore(item, strip.firstChild);
    while (strip.children.length > KEEP) strip.lastElementChild.remove();
    setTimeout(function () { item.classList.remove("is-new"); }, NEW_MS);
  }

  document.addEventListener("pantau:board", function (event) {
    var message = event.detail;
    var data = message.data || {};
    if (message.type === "evidence.hidden") { hideEvidence(data.evidence); return; }
    if (message.type !== "snapshot") addActivity(message);
    // A changed card is brought into view and kept there for a whole page's time.
    var id = data.project ? String(data.project.id) : null;
    var index = id === null ? -1 : cards().findIndex(function (card) { return card.getAttribute("data-project-id") === id; });
    if (message.type !== "snapshot" && index >= 0) {
      show(Math.floor(index / perPage()));
      schedule();
    } else {
      show(page);
    }
  });
  window.addEventListener("resize", function () { show(page); });

  // ---- the session: a wall screen stays signed in while it is on (up to PANTAU_SESSION_MAX_DAYS) ----
  var csrf = document.querySelector('meta[name="csrf-token"]');
  function renew() {
    if (!csrf || !csrf.content) return;
    var body = new URLSearchParams({ csrf_token: csrf.content });
    fetch("/account/session/renew", { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
  }
  setInterval(renew, 30 * 60 * 1000);
  renew();

  show(0);
  schedule();
})();
