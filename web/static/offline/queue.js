/* The offline queue (issue 14): progress updates made without signal, kept in this browser's IndexedDB
   with their photos until the server has them. Loaded by the pages (<script>) and by the service worker
   (importScripts), which share one database and one sender; it defines self.PantauQueue.

   An entry: {id, key (the post's Idempotency-Key), user_id, project_id, project_name, milestone_id,
   milestone_title, progress_pct, note, blockers, files: [{blob, name, type}], evidence_ids (one per file,
   null until uploaded), created_at (ms), state: "waiting" | "signin" | "refused", reason}.

   Sending (sendAll): one sender at a time in this browser (a Web Lock shared by pages and worker); only
   the entries of whoever this browser is signed in as now; per milestone in the order they were made.
   Each file is uploaded with the key "<post key>:file:<n>" and its id kept in the entry, then the update
   is posted with the post's key: a retry after a lost answer replays the server's first answer instead
   of writing again, so each post arrives exactly once. A refusal (4xx but 401/408/429) keeps the entry
   with the server's reason, and later posts of that milestone wait behind it until it is edited or
   discarded; 401 waits for the person to sign in again; no signal or a server error waits for the next
   try. Nothing is dropped but by the person, or after the server confirmed it. */
(function (scope) {
  "use strict";

  var DB_NAME = "pantau-offline";
  var STORE = "posts";
  var SENT = "sent"; // what was sent with no page watching, until a page of its sender has said so
  var CHANNEL = "pantau-offline";
  var LOCK = "pantau-offline-send";
  var dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = scope.indexedDB.open(DB_NAME, 2);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
          if (!db.objectStoreNames.contains(SENT)) db.createObjectStore(SENT, { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, work, storeName) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName || STORE, mode);
        var result = work(tx.objectStore(storeName || STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function announce(message) {
    try {
      var channel = new BroadcastChannel(CHANNEL);
      channel.postMessage(message);
      channel.close();
    } catch (error) { /* no BroadcastChannel: the page that changed it redraws itself */ }
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (entries) {
      return (entries || []).sort(function (a, b) { return a.created_at - b.created_at || a.id - b.id; });
    });
  }

  function get(id) {
    return run("readonly", function (store) { return store.get(id); });
  }

  function put(entry) {
    return run("readwrite", function (store) { return store.put(entry); }).then(function (id) {
      announce({ type: "changed" });
      return id;
    });
  }

  function remove(id) {
    return run("readwrite", function (store) { return store.delete(id); }).then(function () {
      announce({ type: "changed" });
    });
  }

  /* The posts of `userId` sent since one of their pages last said so; taken (deleted) as they are read. */
  function takeSent(userId) {
    return run("readwrite", function (store) {
      var request = store.getAll();
      request.onsuccess = function () {
        request.result.forEach(function (summary) { if (summary.user_id === userId) store.delete(summary.id); });
      };
      return request;
    }, SENT).then(function (summaries) {
      return (summaries || []).filter(function (summary) { return summary.user_id === userId; });
    });
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  /* Queues a post; `fields` as the form had them, `files` a list of File/Blob. */
  function add(fields, files) {
    var entry = {
      key: newKey(),
      user_id: Number(fields.user_id),
      project_id: Number(fields.project_id),
      project_name: fields.project_name || "",
      milestone_id: Number(fields.milestone_id),
      milestone_title: fields.milestone_title || "",
      progress_pct: Number(fields.progress_pct),
      note: fields.note || "",
      blockers: fields.blockers || "",
      files: Array.prototype.map.call(files || [], function (file) {
        return { blob: file, name: file.name || "bukti", type: file.type || "" };
      }),
      evidence_ids: Array.prototype.map.call(files || [], function () { return null; }),
      created_at: fields.created_at || Date.now(), // an edited refused post keeps its place
      state: "waiting",
      reason: "",
    };
    return put(entry).then(function (id) { entry.id = id; return entry; });
  }

  // --- sending ------------------------------------------------------------------------------------------

  function reasonOf(body, status) {
    var detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map(function (item) { return item && item.msg ? item.msg : String(item); }).join("; ");
    }
    return "HTTP " + status;
  }

  /* What an answer means for the queue: "ok", "signin" (401), "later" (no signal, 408, 429, 5xx) or a
     refusal {refused: reason}. */
  function judge(response) {
    if (!response) return Promise.resolve("later");
    if (response.ok) return Promise.resolve("ok");
    if (response.status === 401) return Promise.resolve("signin");
    if (response.status === 408 || response.status === 429 || response.status >= 500) return Promise.resolve("later");
    return response.json().then(
      function (body) { return { refused: reasonOf(body, response.status) }; },
      function () { return { refused: "HTTP " + response.status }; }
    );
  }

  function post(url, body, headers) {
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin", cache: "no-store" })
      .catch(function () { return null; }); // no signal: a null answer, judged "later"
  }

  function nullIfEmpty(text) { return text && String(text).trim() ? text : null; }

  /* Sends one entry; resolves "sent", "signin", "later" or "refused" (the entry then says why). */
  async function sendOne(entry, csrf) {
    for (var n = 0; n < entry.files.length; n++) {
      if (entry.evidence_ids[n] != null) continue; // uploaded on an earlier try
      var file = entry.files[n];
      var form = new FormData();
      form.append("file", file.blob, file.name);
      var uploaded = await post("/api/v1/evidence", form, { "Idempotency-Key": entry.key + ":file:" + n, "X-CSRF-Token": csrf });
      var verdict = await judge(uploaded);
      if (verdict !== "ok") return settle(entry, verdict);
      entry.evidence_ids[n] = (await uploaded.json()).id;
      await put(entry);
    }
    var body = JSON.stringify({
      milestone_id: entry.milestone_id,
      progress_pct: entry.progress_pct,
      note: nullIfEmpty(entry.note),
      blockers: nullIfEmpty(entry.blockers),
      evidence_ids: entry.evidence_ids,
    });
    var answer = await post("/api/v1/projects/" + entry.project_id + "/updates", body, {
      "Content-Type": "application/json",
      "Idempotency-Key": entry.key,
      "X-CSRF-Token": csrf,
    });
    var outcome = await judge(answer);
    if (outcome !== "ok") return settle(entry, outcome);
    var summary = {
      id: entry.id,
      user_id: entry.user_id,
      milestone_id: entry.milestone_id,
      milestone_title: entry.milestone_title,
      project_name: entry.project_name,
      created_at: entry.created_at,
    };
    await run("readwrite", function (store) { store.put(summary); }, SENT);
    await remove(entry.id);
    announce({ type: "sent", entry: summary });
    return "sent";
  }

  /* The API's reason (English) in the language of the person's pages, as the pages say a refusal. */
  async function localised(reason) {
    try {
      var answer = await fetch("/offline/message?text=" + encodeURIComponent(reason), { credentials: "same-origin" });
      if (answer.ok) return (await answer.json()).text || reason;
    } catch (error) { /* the English reason is still a reason */ }
    return reason;
  }

  async function settle(entry, verdict) {
    if (verdict === "later") return "later";
    if (verdict === "signin") {
      entry.state = "signin";
      await put(entry);
      return "signin";
    }
    entry.state = "refused";
    entry.reason = await localised(verdict.refused);
    await put(entry);
    return "refused";
  }

  /* Who this browser is signed in as, and the session's form token: null without signal, {user_id: null}
     when nobody is signed in. Asked each time: a cached page's token may belong to an ended session. */
  async function currentSession() {
    var response;
    try {
      response = await fetch("/offline/session", { credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      return null;
    }
    if (response.status === 401) return { user_id: null };
    if (!response.ok) return null;
    return response.json();
  }

  async function markSignIn(entries) {
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].state === "waiting") {
        entries[i].state = "signin";
        await put(entries[i]);
      }
    }
  }

  /* One pass over the queue; resolves "done" (nothing sendable left), "later" (try again when there is
     signal), "signin" or "busy" (another page or the worker is sending). */
  async function sendQueued() {
    var entries = await all();
    if (!entries.length) return "done";
    var who = await currentSession();
    if (who === null) return "later";
    if (who.user_id === null) {
      await markSignIn(entries);
      return "signin";
    }
    var tried = {};
    for (;;) {
      // Read again each round: a post queued meanwhile is sent in this pass too.
      var mine = (await all()).filter(function (entry) { return entry.user_id === who.user_id; });
      var held = {}; // milestones behind a refused (or failed) post: later ones wait
      var next = null;
      for (var i = 0; i < mine.length; i++) {
        var entry = mine[i];
        if (entry.state === "refused" || tried[entry.id]) { held[entry.milestone_id] = true; continue; }
        if (held[entry.milestone_id]) continue;
        next = entry;
        break;
      }
      if (!next) return "done";
      tried[next.id] = true;
      if (next.state !== "waiting") { next.state = "waiting"; await put(next); }
      var outcome = await sendOne(next, who.csrf_token);
      if (outcome === "later" || outcome === "signin") return outcome;
    }
  }

  function sendAll() {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, { ifAvailable: true }, function (lock) {
        return lock ? sendQueued() : "busy";
      });
    }
    return sendQueued(); // no Web Locks: the Idempotency-Keys still make a double send write once
  }

  scope.PantauQueue = {
    CHANNEL: CHANNEL,
    add: add,
    all: all,
    get: get,
    put: put,
    remove: remove,
    sendAll: sendAll,
    takeSent: takeSent,
  };
})(self);
