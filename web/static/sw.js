/* Pantau's service worker (issue 14), served from /sw.js so that it controls every page of the site.

   - Static files (/static/...): answered from the cache at once and refreshed behind (stale while
     revalidate), so the pages open with no signal.
   - "Pekerjaan saya" (/) and project pages (/projects/<id>), opened signed in: network first; the copy of
     the last good answer is the fallback with no signal. These pages are `no-store` for the HTTP cache
     (server/middleware.py: nothing a signed-in person sees stays behind for the next person), so they are
     kept only in PAGES, a cache this worker empties whenever a session may have changed hands: signing
     out (the POST to /logout, and the page's message), signing in (the POST to /login), a page answered
     with a redirect (the session ended), and a page announcing another user than the one cached.
   - Never cached: the API (answers and evidence files), /offline/session, anything not a GET.
   - The offline queue (offline/queue.js) is sent from here on Background Sync, or when a page asks. */
importScripts("/static/offline/queue.js");

var STATIC = "pantau-static-v1";
var PAGES = "pantau-pages";
var OWNER = "/__pantau/pages-owner"; // in PAGES: whose pages these are
var STATIC_FILES = [
  "/static/app.css",
  "/static/performance.css",
  "/static/bell.js",
  "/static/drafts.js",
  "/static/evidence.js",
  "/static/offline/queue.js",
  "/static/offline/page.js",
  "/static/favicon.png",
  "/static/icons/pantau-192.png",
  "/manifest.webmanifest",
];
var CACHED_PAGE = /^\/(projects\/\d+)?$/;
var UPDATE_FORM = /^\/projects\/(\d+)\/updates$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(STATIC_FILES); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("pantau-static-") === 0 && name !== STATIC;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function forgetPages() {
  return caches.delete(PAGES);
}

function staleWhileRevalidate(event) {
  var request = event.request;
  var fresh = fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.put(request, copy); }));
    }
    return response;
  });
  event.waitUntil(fresh.catch(function () { /* no signal: the cached copy answered */ }));
  return caches.match(request, { cacheName: STATIC }).then(function (cached) { return cached || fresh; });
}

/* The update form sent while the phone believes it has signal (the page queues it itself otherwise), and
   the network fails: the post goes into the offline queue instead of the browser's error page, for the
   person whose pages these are, and the form's page opens again (from the cache) with ?queued=<milestone>,
   which tells it to drop the form's draft (drafts.js) so that it is not sent twice. */
async function postOrQueue(request, projectId) {
  var copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    var owner = await caches.match(OWNER, { cacheName: PAGES });
    var form = await copy.formData().catch(function () { return null; });
    if (!owner || !form || !form.get("milestone_id")) throw error;
    var files = form.getAll("evidence").filter(function (file) { return file && file.size > 0; });
    var milestoneId = String(form.get("milestone_id"));
    await self.PantauQueue.add({
      user_id: await owner.text(),
      project_id: projectId,
      milestone_id: milestoneId,
      progress_pct: form.get("progress_pct"),
      note: form.get("note"),
      blockers: form.get("blockers"),
    }, files);
    var back = String(form.get("back") || "/");
    if (back.charAt(0) !== "/" || back.charAt(1) === "/" || back.indexOf("\\") >= 0) back = "/";
    var target = new URL(back, self.location.origin);
    target.searchParams.set("queued", milestoneId);
    if (self.registration.sync) self.registration.sync.register("pantau-send").catch(function () {});
    return Response.redirect(target.href, 303);
  }
}

async function networkFirstPage(request, key) {
  var response;
  try {
    response = await fetch(request);
  } catch (error) {
    var cached = await caches.match(key, { cacheName: PAGES });
    if (cached) return cached;
    throw error; // never opened signed in here: the browser's own "no connection" page
  }
  if (response.type === "opaqueredirect" || response.redirected) {
    await forgetPages(); // to the login page (or a first password): the session these pages were for ended
  } else if (response.ok && response.type === "basic" && new URL(request.url).search === "") {
    // Only the plain address: a copy of /?saved=1 would say "Tersimpan." each time it opens offline.
    var cache = await caches.open(PAGES);
    await cache.put(key, response.clone());
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && (url.pathname === "/logout" || url.pathname === "/login")) {
    event.waitUntil(forgetPages()); // the request itself goes on untouched
    return;
  }
  if (request.method === "POST" && request.mode === "navigate" && UPDATE_FORM.test(url.pathname)) {
    event.respondWith(postOrQueue(request, Number(UPDATE_FORM.exec(url.pathname)[1])));
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(staleWhileRevalidate(event));
  } else if (request.mode === "navigate" && CACHED_PAGE.test(url.pathname)) {
    // One copy per page, whatever its query (/?saved=1 is still "Pekerjaan saya").
    event.respondWith(networkFirstPage(request, url.origin + url.pathname));
  }
  // Everything else (the API, evidence files, other pages) goes to the network as if there were no worker.
});

async function checkOwner(userId) {
  var cache = await caches.open(PAGES);
  var owner = await cache.match(OWNER);
  var known = owner ? await owner.text() : null;
  if (known !== String(userId)) {
    await forgetPages();
    cache = await caches.open(PAGES);
    await cache.put(OWNER, new Response(String(userId)));
  }
}

/* A page's first visit happens before this worker controls it: fetch the pages it names (its own and
   "Pekerjaan saya") into PAGES once, so that they open offline from the very next time. */
async function warm(paths) {
  var cache = await caches.open(PAGES);
  for (var i = 0; i < paths.length; i++) {
    var key = self.location.origin + paths[i];
    if (!CACHED_PAGE.test(paths[i]) || (await cache.match(key))) continue;
    try {
      var response = await fetch(key, { credentials: "same-origin", redirect: "manual" });
      if (response.ok && response.type === "basic") await cache.put(key, response);
    } catch (error) { /* no signal: the next visit caches it */ }
  }
}

async function send() {
  var outcome = await self.PantauQueue.sendAll();
  // Background Sync tries again later when this rejects; "signin" waits for a page instead.
  if (outcome === "later") throw new Error("no signal yet");
  return outcome;
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "signed-out") event.waitUntil(forgetPages());
  else if (data.type === "signed-in") {
    event.waitUntil(checkOwner(data.user_id).then(function () { return warm(data.pages || []); }));
  }
  else if (data.type === "send") event.waitUntil(send().catch(function () { /* next online event */ }));
});

self.addEventListener("sync", function (event) {
  if (event.tag === "pantau-send") event.waitUntil(send());
});
