/* Pantau live unit board: keeps the server-rendered cards up to date over a WebSocket.
 * Plain JavaScript, no libraries. Event data only ever reaches the page through textContent. */
(function () {
  "use strict";

  var labels = JSON.parse(document.getElementById("board-labels").textContent);
  var initial = JSON.parse(document.getElementById("board-data").textContent);
  var lang = document.documentElement.lang || "id";
  var ZONE = "Asia/Jakarta";

  // ---- full screen (a wall screen shows only the board) --------------------------------------
  var fsButton = document.getElementById("fullscreen");
  if (fsButton && document.fullscreenEnabled) {
    fsButton.hidden = false;
    fsButton.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen();
    });
    document.addEventListener("fullscreenchange", function () {
      var on = Boolean(document.fullscreenElement);
      fsButton.textContent = on ? labels.exit_fullscreen : labels.fullscreen;
      fsButton.setAttribute("aria-pressed", String(on));
    });
  }

  // ---- formatting (the same forms as the server's Babel filters, server/pages/render.py) -----
  // The page's language, not the browser's: "17 Agu 2026" and "28 Nov 2026 14.05 WIB" in Indonesian,
  // "17 Aug 2026" and "28 Nov 2026 14:05 WIB" in English. The dates are put together from Intl's parts
  // in Babel's order ("d MMM y"), because Intl's own English order is American ("Aug 17, 2026") and
  // en-GB abbreviates September as "Sept" where Babel's "en" writes "Sep".
  var tag = lang === "en" ? "en" : "id-ID";
  var timeMark = lang === "en" ? ":" : ".";
  var pctFormat = new Intl.NumberFormat(tag, { maximumFractionDigits: 1 });
  var dateParts = new Intl.DateTimeFormat(tag, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  var timeParts = new Intl.DateTimeFormat(tag, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZone: ZONE,
  });
  var dayKey = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE });
  var relative = "RelativeTimeFormat" in Intl ? new Intl.RelativeTimeFormat(tag, { numeric: "auto" }) : null;

  function say(key, values) {
    return labels[key].replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  function parts(format, date) {
    var found = {};
    format.formatToParts(date).forEach(function (part) { found[part.type] = part.value; });
    return found;
  }
  function shortDate(iso) {
    var p = parts(dateParts, new Date(iso + "T00:00:00Z"));
    return p.day + " " + p.month + " " + p.year;
  }
  function wib(iso) {
    var p = parts(timeParts, new Date(iso));
    return p.day + " " + p.month + " " + p.year + " " + p.hour + timeMark + p.minute + " WIB";
  }
  function ago(iso) {
    var seconds = Math.min(0, (new Date(iso).getTime() - Date.now()) / 1000);
    if (!relative || seconds < -7 * 86400) return wib(iso);
    var steps = [[60, "second"], [3600, "minute"], [86400, "hour"], [Infinity, "day"]];
    for (var i = 0, size = 1; i < steps.length; size = steps[i][0], i++) {
      if (Math.abs(seconds) < steps[i][0]) return relative.format(Math.round(seconds / size), steps[i][1]);
    }
  }

  // ---- board state ---------------------------------------------------------------------------
  var state;
  var lastSeq = initial.seq;
  var grid = document.getElementById("cards");
  var template = document.getElementById("card-template");
  var showUnit = initial.board.units.length > 1;

  function load(board) {
    state = { projects: {}, latest: board.latest_updates || {}, units: {}, adoption: board.adoption,
              blockers: board.open_blockers || [] };
    board.projects.forEach(function (p) { state.projects[p.id] = p; });
    board.units.forEach(function (u) { state.units[u.id] = u.name; });
  }

  function openMilestones(p) { return p.milestones.filter(function (m) { return m.status === "open"; }); }
  function overdueCount(p) { return openMilestones(p).filter(function (m) { return m.days_overdue > 0; }).length; }

  var RANK = { off_track: 0, at_risk: 1, on_track: 2 };
  // The same order as attention_order() in server/pages/render.py.
  function sortKey(p) {
    var update = state.latest[p.id];
    var attention = overdueCount(p) > 0 || Boolean(update && update.blockers);
    return [p.status === "completed" ? 1 : 0, attention ? 0 : 1, RANK[p.health], p.stale ? 0 : 1, p.name.toLowerCase()];
  }
  function compare(a, b) {
    var x = sortKey(a), y = sortKey(b);
    for (var i = 0; i < x.length; i++) { if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1; }
    return 0;
  }

  // ---- cards ---------------------------------------------------------------------------------
  function part(card, name) { return card.querySelector('[data-f="' + name + '"]'); }

  function fill(card, p) {
    var update = state.latest[p.id];
    var tone = p.status === "completed" ? "done" : p.health;
    var open = openMilestones(p);
    var next = open[0];
    var overdue = overdueCount(p);

    card.className = card.className.replace(/\bcard--\S+/, "card--" + tone);
    card.classList.toggle("is-stale", Boolean(p.stale));
    card.setAttribute("data-project-id", p.id);
    card.setAttribute("aria-labelledby", "card-" + p.id + "-name");
    var name = part(card, "name");
    name.parentNode.id = "card-" + p.id + "-name";
    name.href = "/projects/" + p.id;
    name.textContent = p.name;
    var badge = part(card, "health");
    badge.className = "badge badge--" + tone;
    badge.textContent = labels[tone];
    part(card, "unit").textContent = state.units[p.unit_id] || "";
    part(card, "unit").hidden = !showUnit;

    part(card, "pct").textContent = pctFormat.format(p.progress_pct) + "%";
    part(card, "meter").className = "meter meter--lg meter--" + (tone === "done" ? "on_track" : tone);
    part(card, "meter").setAttribute("aria-valuenow", String(Math.round(p.progress_pct)));
    part(card, "bar").style.width = Math.max(0, Math.min(100, p.progress_pct)) + "%";

    part(card, "overdue").textContent = say("overdue", { n: overdue });
    part(card, "overdue").hidden = overdue === 0;
    part(card, "stale").textContent = say("stale", { n: initial.stale_days });
    part(card, "stale").hidden = !p.stale;

    part(card, "next-title").textContent = next ? next.title : p.milestones.length ? labels.all_done : labels.no_milestones;
    var due = part(card, "next-due");
    due.hidden = !next;
    due.textContent = next ? say("due", { date: shortDate(next.due_date) }) : "";
    if (next && next.days_overdue > 0) {
      var late = document.createElement("strong");
      late.textContent = say("late", { n: next.days_overdue });
      due.append(" · ", late);
    }

    part(card, "blockers").hidden = !(update && update.blockers);
    part(card, "blockers-text").textContent = update && update.blockers ? update.blockers : "";
    part(card, "latest").hidden = !update;
    part(card, "no-update").hidden = Boolean(update);
    if (update) {
      part(card, "author").textContent = update.author_name;
      part(card, "when").setAttribute("datetime", update.created_at);
      part(card, "when").textContent = ago(update.created_at);
      part(card, "when").title = wib(update.created_at);
      part(card, "note").textContent = update.progress_pct + "%" + (update.note ? " — " + update.note : "");
    }
  }

  function signature(p) { return JSON.stringify([p, state.latest[p.id] || null]); }
  var shown = {};  // project id -> signature of what its card shows

  // Long enough to be noticed from across the room (a wall screen), not only by someone watching.
  var HIGHLIGHT_MS = (initial.highlight_seconds || 3) * 1000;
  function highlight(card) {
    card.classList.remove("is-changed");
    void card.offsetWidth;  // restart the animation when two events arrive close together
    card.classList.add("is-changed");
    clearTimeout(card.changedTimer);
    card.changedTimer = setTimeout(function () { card.classList.remove("is-changed"); }, HIGHLIGHT_MS);
  }

  // Re-render the cards whose project changed, then move (never rebuild) cards into board order.
  function render(changedIds, flash) {
    changedIds.forEach(function (id) {
      var p = state.projects[id];
      var card = grid.querySelector('[data-project-id="' + id + '"]');
      if (!p) { if (card) card.remove(); delete shown[id]; return; }
      var sig = signature(p);
      if (card && shown[id] === sig) return;
      if (!card) card = template.content.firstElementChild.cloneNode(true);
      fill(card, p);
      shown[id] = sig;
      if (!card.parentNode) grid.append(card);
      if (flash) highlight(card);
    });
    var ordered = Object.keys(state.projects).map(function (id) { return state.projects[id]; }).sort(compare);
    ordered.forEach(function (p, index) {
      var card = grid.querySelector('[data-project-id="' + p.id + '"]');
      if (card && grid.children[index] !== card) grid.insertBefore(card, grid.children[index] || null);
    });
    document.getElementById("no-projects").hidden = ordered.length > 0;
    summarise(ordered);
  }

  function summarise(projects) {
    var counts = { total: projects.length, on_track: 0, at_risk: 0, off_track: 0, stale: 0 };
    projects.forEach(function (p) { counts[p.health] += 1; if (p.stale) counts.stale += 1; });
    Object.keys(counts).forEach(function (key) {
      var el = document.querySelector('[data-count="' + key + '"]');
      if (el) el.textContent = String(counts[key]);
    });
  }

  function renderAdoption() {
    var adoption = state.adoption;
    var active = adoption.staff_count - adoption.quiet.length;
    document.getElementById("adoption-active").textContent = String(active);
    document.getElementById("quiet-count").textContent = String(adoption.quiet.length);
    var meter = document.getElementById("adoption-meter");
    meter.setAttribute("aria-valuenow", String(active));
    meter.firstElementChild.style.width = (adoption.staff_count ? (100 * active) / adoption.staff_count : 0) + "%";
    var list = document.getElementById("quiet-list");
    list.replaceChildren.apply(list, adoption.quiet.map(function (person) {
      var item = document.createElement("li");
      item.setAttribute("data-user-id", person.id);
      item.textContent = person.name;
      return item;
    }));
    document.getElementById("quiet-none").hidden = adoption.quiet.length > 0;
  }

  // ---- open blockers, oldest first; a leader acknowledges one with the item's own form ----------
  var blockerList = document.getElementById("blocker-list");
  var blockerTemplate = document.getElementById("blocker-template");

  function age(iso) {
    var minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 60) return say("age_minutes", { n: minutes });
    if (minutes < 1440) return say("age_hours", { n: Math.floor(minutes / 60) });
    return say("age_days", { n: Math.floor(minutes / 1440) });
  }
  function fillBlocker(item, b) {
    function el(name) { return item.querySelector('[data-b="' + name + '"]'); }
    item.className = "blocker-item blocker-item--" + b.status;
    item.setAttribute("data-update-id", b.update_id);
    el("project").href = "/projects/" + b.project_id;
    el("project").textContent = b.project_name;
    el("age").setAttribute("data-opened", b.opened_at);
    el("age").textContent = age(b.opened_at);
    el("text").textContent = b.text;
    el("author").textContent = b.author_name;
    el("acknowledged").hidden = b.status !== "acknowledged";
    el("acknowledged").textContent = say("acknowledged", { name: b.acknowledged_by_name || "" });
    el("form").action = "/updates/" + b.update_id + "/blocker/acknowledge";
    el("form").hidden = b.status !== "open";
  }
  function renderBlockers() {
    if (!blockerList) return;
    state.blockers.sort(function (a, b) {
      return a.opened_at < b.opened_at ? -1 : a.opened_at > b.opened_at ? 1 : a.update_id - b.update_id;
    });
    var items = state.blockers.map(function (b) {
      var item = blockerList.querySelector('[data-update-id="' + b.update_id + '"]') ||
        blockerTemplate.content.firstElementChild.cloneNode(true);
      fillBlocker(item, b);
      return item;
    });
    blockerList.replaceChildren.apply(blockerList, items);
    document.getElementById("blocker-count").textContent = String(items.length);
    document.getElementById("blockers-none").hidden = items.length > 0;
  }
  function changeBlocker(type, b) {
    state.blockers = state.blockers.filter(function (known) { return known.update_id !== b.update_id; });
    if (type !== "blocker.resolved") state.blockers.push(b);
    renderBlockers();
  }

  // ---- events --------------------------------------------------------------------------------
  // Every applied message is also told to the page (wall.js pages to a changed card, lists the activity).
  function announce(message) {
    document.dispatchEvent(new CustomEvent("pantau:board", { detail: message }));
  }
  function apply(message) {
    if (message.type === "snapshot") {
      var before = Object.keys(state.projects);
      load(message.data);
      lastSeq = message.seq;
      render(before.concat(Object.keys(state.projects)), true);
      renderAdoption();
      renderBlockers();
      announce(message);
      return;
    }
    if (message.seq <= lastSeq) return;             // already seen (a replay overlapping live events)
    if (message.seq > lastSeq + 1) { resync(); return; }  // a gap: let the server replay from lastSeq
    lastSeq = message.seq;
    var data = message.data || {};
    if (message.type === "progress.posted") {
      state.latest[data.project.id] = data.update;
      var quiet = state.adoption.quiet.filter(function (person) { return person.id !== data.update.author_id; });
      if (quiet.length !== state.adoption.quiet.length) { state.adoption.quiet = quiet; renderAdoption(); }
    } else if (message.type === "member.added") {
      var known = state.projects[data.project_id];
      if (known && known.member_ids.indexOf(data.user_id) < 0) known.member_ids.push(data.user_id);
      return;  // nothing on the card shows members
    } else if (data.blocker && message.type.indexOf("blocker.") === 0) {
      changeBlocker(message.type, data.blocker);
    }
    if (data.project && data.project.archived_at) {
      // Archived: off the board (its card and its blockers), as the next snapshot would have it.
      delete state.projects[data.project.id];
      state.blockers = state.blockers.filter(function (b) { return b.project_id !== data.project.id; });
      render([String(data.project.id)], false);
      renderBlockers();
    } else if (data.project) {
      state.projects[data.project.id] = data.project;
      render([String(data.project.id)], true);
    }
    announce(message);
  }

  // ---- connection: reconnect with exponential backoff, resume with since=<last seq> -----------
  var live = document.getElementById("live");
  var liveText = document.getElementById("live-text");
  var socket = null;
  var attempt = 0;
  var retry = null;
  var openedAt = 0;

  function status(kind) {
    live.setAttribute("data-state", kind);
    liveText.textContent = labels[kind];
  }

  function connect() {
    retry = null;
    status(attempt ? "reconnecting" : "connecting");
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/board/unit/" + initial.unit_id;
    var ws = new WebSocket(lastSeq === null ? url : url + "?since=" + lastSeq);
    socket = ws;
    ws.onopen = function () { openedAt = Date.now(); status("live"); };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      apply(message);
    };
    ws.onclose = function (event) {
      if (ws !== socket) return;
      socket = null;
      if (event.code === 4401) return status("expired");  // the session ended: a reconnect cannot help
      if (event.code === 4404) return status("gone");
      if (event.code === 4403) return status("gone");  // opened from a page the server does not count as this site
      if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
      openedAt = 0;
      attempt += 1;
      var delay = Math.min(10000, 500 * Math.pow(2, attempt - 1)) * (0.8 + Math.random() * 0.2);
      status("reconnecting");
      retry = setTimeout(connect, delay);
    };
  }

  function resync() {
    var old = socket;
    socket = null;
    if (old) old.close(1000);
    if (retry) clearTimeout(retry);
    connect();
  }

  window.addEventListener("online", function () { if (retry) { clearTimeout(retry); connect(); } });

  // Every minute: refresh "5 minutes ago"; at midnight WIB ask for a fresh snapshot, because
  // lateness and health are computed for "today".
  var today = dayKey.format(new Date());
  setInterval(function () {
    grid.querySelectorAll('[data-f="when"][datetime]').forEach(function (el) {
      if (el.getAttribute("datetime")) el.textContent = ago(el.getAttribute("datetime"));
    });
    if (blockerList) blockerList.querySelectorAll("[data-opened]").forEach(function (el) {
      el.textContent = age(el.getAttribute("data-opened"));
    });
    if (dayKey.format(new Date()) !== today) {
      today = dayKey.format(new Date());
      lastSeq = null;
      resync();
    }
  }, 60000);

  load(initial.board);
  grid.querySelectorAll("[data-project-id]").forEach(function (card) {
    var p = state.projects[card.getAttribute("data-project-id")];
    if (p) { fill(card, p); shown[p.id] = signature(p); }
  });
  renderBlockers();
  if ("WebSocket" in window) connect();
})();
