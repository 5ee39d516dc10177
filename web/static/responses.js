/* Answers to progress updates, kept current without a reload (server/projects/response_pages.py).
   - The board's companion page (#board-feed): the unit board's socket says an update was posted or
     answered; the list is fetched again from its fragment URL (typed comments and open forms are kept).
   - The home page (#my-responses): bell.js, which follows the person's own board ("user:{id}"), says a
     notification of kind "update_response" arrived (`pantau:notification`); the section is fetched again
     from /home/responses.
   The pages work without this script: every form posts and comes back. */
(function () {
  "use strict";

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  // One socket that reconnects with backoff; `onEvent(message)` for each board event, `onReopen()` after a
  // reconnect (events may have been missed: fetch again). `marker` gets data-live="true" once the board's
  // snapshot came (from then on every event reaches the page).
  function follow(path, marker, onEvent, onReopen) {
    var attempt = 0;
    var opened = false;
    function connect() {
      var ws = new WebSocket(socketUrl(path));
      ws.onopen = function () {
        if (opened) onReopen();
        opened = true;
        attempt = 0;
      };
      ws.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (!message) return;
        if (message.type === "snapshot") marker.setAttribute("data-live", "true");
        else onEvent(message);
      };
      ws.onclose = function (event) {
        marker.setAttribute("data-live", "false");
        if (event.code === 4401 || event.code === 4403 || event.code === 4404) return;
        attempt += 1;
        setTimeout(connect, Math.min(10000, 500 * Math.pow(2, attempt - 1)));
      };
    }
    if ("WebSocket" in window) connect();
  }

  // Fetch `url` and put its HTML in place of `target`'s content (or `target` itself when `outer`),
  // keeping what the reader was typing and which forms were open. One fetch at a time; a change that
  // arrives meanwhile fetches once more afterwards.
  function refresher(target, url, outer) {
    var busy = false;
    var again = false;
    function run() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var current = target();
          if (!current) return;
          var typed = {};
          var open = {};
          current.querySelectorAll("textarea[id]").forEach(function (el) { typed[el.id] = el.value; });
          current.querySelectorAll("details[open] textarea[id]").forEach(function (el) { open[el.id] = true; });
          var focused = document.activeElement && document.activeElement.id;
          if (outer) current.outerHTML = html; else current.innerHTML = html;
          var fresh = target();
          if (!fresh) return;
          Object.keys(typed).forEach(function (id) {
            var el = document.getElementById(id);
            if (!el) return;
            if (typed[id]) el.value = typed[id];
            var details = el.closest("details");
            if (details && open[id]) details.open = true;
          });
          var refocus = focused && document.getElementById(focused);
          if (refocus) {
            refocus.focus();
            if (refocus.setSelectionRange && refocus.value) refocus.setSelectionRange(refocus.value.length, refocus.value.length);
          }
        })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) { again = false; run(); }
        });
    }
    return run;
  }

  var feed = document.getElementById("board-feed");
  if (feed) {
    var refreshFeed = refresher(function () { return document.getElementById("board-feed"); }, feed.getAttribute("data-src"), false);
    var changes = { "progress.posted": 1, "update.seen": 1, "update.reacted": 1, "update.commented": 1 };
    follow("/ws/board/unit/" + feed.getAttribute("data-unit-id"), feed, function (message) {
      if (changes[message.type]) refreshFeed();
    }, refreshFeed);
  }

  var mine = document.getElementById("my-responses");
  if (mine) {
    var refreshMine = refresher(function () { return document.getElementById("my-responses"); }, mine.getAttribute("data-src"), true);
    document.addEventListener("pantau:notification", function (event) {
      var told = event.detail && event.detail.notification;
      if (told && told.kind === "update_response") refreshMine();
    });
  }
})();
