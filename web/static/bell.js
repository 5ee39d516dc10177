/* Pantau bell: keeps the header's unread count live over the signed-in user's own board
 * (/ws/board/user/{id}), and tells the page of each new notification with a `pantau:notification`
 * DOM event (detail: the event's data). Without JavaScript the count is the one the page was drawn with. */
(function () {
  "use strict";

  var bell = document.querySelector("[data-bell]");
  if (!bell || !("WebSocket" in window)) return;
  var count = bell.querySelector("[data-bell-count]");
  var userId = bell.getAttribute("data-bell");
  var lastSeq = null;
  var socket = null;
  var attempt = 0;
  var openedAt = 0;
  var retry = null;

  function show(unread) {
    if (typeof unread !== "number" || !count) return;
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.hidden = unread === 0;
    bell.setAttribute("data-unread", String(unread));
  }

  function apply(message) {
    if (message.type === "snapshot") {
      lastSeq = message.seq;
      show(message.data.unread);
      bell.setAttribute("data-live", "true");
      return;
    }
    if (lastSeq !== null && message.seq <= lastSeq) return;  // already seen (a replay after a reconnect)
    lastSeq = message.seq;
    if (message.type === "notification.created") {
      show(message.data.unread);
      document.dispatchEvent(new CustomEvent("pantau:notification", { detail: message.data }));
    } else if (message.type === "notification.read") {
      show(message.data.unread);
    }
  }

  function connect() {
    retry = null;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/board/user/" + userId;
    var ws = new WebSocket(lastSeq === null ? url : url + "?since=" + lastSeq);
    socket = ws;
    ws.onopen = function () {
      openedAt = Date.now();
      // A resumed board replays what it missed (maybe nothing); a new one is live with its snapshot.
      if (lastSeq !== null) bell.setAttribute("data-live", "true");
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      apply(message);
    };
    ws.onclose = function (event) {
      if (ws !== socket) return;
      socket = null;
      bell.setAttribute("data-live", "false");
      // Signed out, deactivated, or not this user's board: a reconnect cannot help.
      if (event.code === 4401 || event.code === 4403 || event.code === 4404) return;
      if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
      openedAt = 0;
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.8 + Math.random() * 0.2);
      retry = setTimeout(connect, delay);
    };
  }

  window.addEventListener("online", function () { if (retry) { clearTimeout(retry); connect(); } });
  connect();
})();
