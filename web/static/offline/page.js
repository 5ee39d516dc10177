/* The installable app's page side (issue 14), on every signed-in page:
   - registers the service worker (/sw.js) and tells it who is signed in, so it keeps "Pekerjaan saya"
     and this page for opening with no signal; signing out tells it to forget them;
   - a form marked data-offline-queue sent with no signal goes into the offline queue (queue.js) instead
     of failing: its photos included, shown as "menunggu sinyal" on "Pekerjaan saya" and project pages,
     and sent when the signal returns (the online event, Background Sync, or the next page opened);
   - a queued post the server refused is shown with its reason, to be edited (the form filled with it
     again) or discarded. Nothing is dropped without the person choosing it.

   Markup: <script src="/static/offline/page.js" defer data-user="<id>" data-text='{...}'> after
   offline/queue.js. */
(function () {
  "use strict";

  var script = document.currentScript;
  var user = Number(script && script.getAttribute("data-user"));
  var Queue = window.PantauQueue;
  if (!user || !Queue || !window.indexedDB) return; // without them the forms post as they always did
  var text = {};
  try { text = JSON.parse(script.getAttribute("data-text") || "{}"); } catch (error) { /* defaults */ }
  var LIST_PAGE = /^\/(projects\/(\d+))?$/.exec(window.location.pathname);
  var sent = []; // posts sent since this person's last page: this page says "terkirim" for them

  function say(key, fallback, values) {
    var words = text[key] || fallback;
    Object.keys(values || {}).forEach(function (name) { words = words.split("{" + name + "}").join(values[name]); });
    return words;
  }

  // --- the service worker ------------------------------------------------------------------------------

  var worker = "serviceWorker" in navigator ? navigator.serviceWorker : null;
  if (worker) {
    worker.register("/sw.js", { scope: "/" }).catch(function () { /* no worker: no offline pages */ });
    worker.ready.then(function (registration) {
      var pages = ["/"];
      if (LIST_PAGE) pages.push(window.location.pathname);
      registration.active.postMessage({ type: "signed-in", user_id: user, pages: pages });
    });
  }

  document.querySelectorAll('form[action="/logout"]').forEach(function (logout) {
    logout.addEventListener("submit", function () {
      if (worker && worker.controller) worker.controller.postMessage({ type: "signed-out" });
    });
  });

  function askToSend() {
    // Background Sync wakes the worker when the signal returns, even if this page was closed by then;
    // while the page is open it sends itself (the online event). One sender at a time (queue.js).
    if (worker) {
      worker.ready.then(function (registration) {
        if (registration.sync) return registration.sync.register("pantau-send");
      }).catch(function () { /* no Background Sync: the online event and the next page open do */ });
    }
    if (!navigator.onLine) return Promise.resolve("later");
    return Queue.sendAll().catch(function () { return "later"; }).then(function (outcome) {
      draw();
      return outcome;
    });
  }

  // --- queuing a form ------------------------------------------------------------------------------------

  function fieldValue(form, name) {
    var field = form.elements.namedItem(name);
    return field && "value" in field ? field.value : "";
  }

  function projectIdOf(form) {
    var match = /\/projects\/(\d+)\//.exec(form.getAttribute("action") || "");
    return form.getAttribute("data-project-id") || (match && match[1]);
  }

  function describe(form) {
    var item = form.closest("li");
    var title = item && item.querySelector("h3, h2");
    var project = (item && item.querySelector(".task__project")) || document.querySelector("main h1");
    return {
      milestone_title: title ? title.textContent.trim() : "",
      project_name: project ? project.textContent.trim() : "",
    };
  }

  function forgetDraftNamed(name) {
    // drafts.js would bring the text back on the next page open, inviting a second post of the same.
    try { window.localStorage.removeItem("pantau.draft." + user + "." + name); } catch (error) { /* none */ }
  }

  function forgetDraft(form) {
    var holder = form.closest("[data-draft]");
    if (holder) forgetDraftNamed(holder.getAttribute("data-draft"));
  }

  // The worker queued a form whose post failed on the way (sw.js): this page is where it came back to.
  // Before drafts.js runs (it comes later in the page), so that the queued text is not offered again.
  var queuedHere = new URLSearchParams(window.location.search).get("queued");
  if (queuedHere && /^\d+$/.test(queuedHere)) {
    forgetDraftNamed("update-" + queuedHere);
    var plain = new URL(window.location.href);
    plain.searchParams.delete("queued");
    window.history.replaceState(null, "", plain.pathname + plain.search + plain.hash);
  }

  async function queue(form) {
    var input = form.querySelector("[data-evidence-input]");
    var about = describe(form);
    var replaces = Number(form.getAttribute("data-offline-replaces"));
    var replaced = replaces ? await Queue.get(replaces) : null;
    await Queue.add({
      created_at: replaced ? replaced.created_at : 0,
      user_id: user,
      project_id: projectIdOf(form),
      project_name: about.project_name,
      milestone_id: fieldValue(form, "milestone_id"),
      milestone_title: about.milestone_title,
      progress_pct: fieldValue(form, "progress_pct"),
      note: fieldValue(form, "note"),
      blockers: fieldValue(form, "blockers"),
    }, input ? input.files : []);
    if (replaces) await Queue.remove(replaces);
    form.removeAttribute("data-offline-replaces");
    forgetDraft(form);
    form.reset();
    var earlier = form.querySelector(".offline-queued");
    if (earlier) earlier.remove(); // one note per form, however many posts it queued
    var done = document.createElement("p");
    done.className = "offline-queued";
    done.setAttribute("role", "status");
    done.textContent = say("queued", "Tanpa sinyal: pembaruan disimpan di perangkat ini dan dikirim otomatis begitu ada sinyal.");
    form.insertBefore(done, form.firstChild);
    await draw();
    askToSend();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-offline-queue]")) return;
    var busy = form.querySelector("[data-evidence-busy]");
    if (busy) { // photos still being made small (evidence.js): send once they are
      event.preventDefault();
      busy.addEventListener("evidence-ready", function () { form.requestSubmit(); }, { once: true });
      return;
    }
    if (form.hasAttribute("data-offline-queueing")) { event.preventDefault(); return; } // a double tap
    var replaces = Number(form.getAttribute("data-offline-replaces"));
    if (navigator.onLine) {
      if (!replaces) return; // online: the form posts as it always did
      // Sending an edited refused post: the old entry goes once this one is on its way.
      event.preventDefault();
      form.removeAttribute("data-offline-replaces");
      Queue.remove(replaces).then(function () { form.submit(); });
      return;
    }
    event.preventDefault();
    form.setAttribute("data-offline-queueing", "");
    queue(form).catch(function () {
      form.submit(); // no storage (private mode, full): the browser tries and says it has no connection
    }).then(function () { form.removeAttribute("data-offline-queueing"); });
  });

  // --- the list of queued posts --------------------------------------------------------------------------

  function when(ms) {
    var locale = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
    return new Date(ms).toLocaleString(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function container() {
    var box = document.querySelector("[data-offline-list]");
    if (box) return box;
    box = element("section", "offline-queue");
    box.setAttribute("data-offline-list", "");
    box.setAttribute("aria-live", "polite");
    var main = document.querySelector("main");
    var heading = main && main.querySelector("h1");
    if (heading) heading.insertAdjacentElement("afterend", box);
    else if (main) main.insertBefore(box, main.firstChild);
    return box;
  }

  function stateText(entry, behind) {
    if (entry.state === "refused") return say("refused", "Ditolak server") + ": " + entry.reason;
    if (entry.state === "signin") return say("signin", "Masuk lagi untuk mengirim");
    if (behind) return say("behind", "Menunggu: kiriman sebelumnya di tonggak ini ditolak");
    return say("waiting", "Menunggu sinyal");
  }

  function formFor(entry) {
    var forms = document.querySelectorAll("form[data-offline-queue]");
    for (var i = 0; i < forms.length; i++) {
      if (String(fieldValue(forms[i], "milestone_id")) === String(entry.milestone_id)) return forms[i];
    }
    return null;
  }

  /* Fills the milestone's form with a refused post, to be corrected and sent again (then the entry goes). */
  function edit(entry) {
    var form = formFor(entry);
    if (!form) {
      window.location.href = "/projects/" + entry.project_id + "?offline_edit=" + entry.id;
      return;
    }
    ["progress_pct", "note", "blockers"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field) field.value = entry[name] == null ? "" : String(entry[name]);
    });
    var input = form.querySelector("[data-evidence-input]");
    if (input && window.PantauEvidence) {
      window.PantauEvidence.set(input, entry.files.map(function (file) {
        return new File([file.blob], file.name, { type: file.type });
      }));
    }
    form.setAttribute("data-offline-replaces", String(entry.id));
    for (var open = form.parentElement; open; open = open.parentElement) {
      if (open.tagName === "DETAILS") open.open = true;
    }
    form.scrollIntoView({ block: "center" });
    var first = form.elements.namedItem("progress_pct");
    if (first && first.focus) first.focus();
  }

  function discard(entry) {
    if (!window.confirm(say("confirm_discard", "Buang pembaruan ini? Isinya tidak akan terkirim."))) return;
    Queue.remove(entry.id).then(draw).then(askToSend); // the posts behind it may go now
  }

  function item(entry, behind) {
    var row = element("li", "offline-queue__item offline-queue__item--" + (behind ? "behind" : entry.state));
    row.setAttribute("data-offline-entry", String(entry.id));
    var head = element("p", "offline-queue__what");
    var form = entry.milestone_title ? null : formFor(entry); // queued by the worker: named by this page
    var title = entry.milestone_title || (form && describe(form).milestone_title) || "#" + entry.milestone_id;
    head.appendChild(element("strong", "", title));
    head.appendChild(document.createTextNode(
      (entry.project_name ? " · " + entry.project_name : "") + " · " + entry.progress_pct + "% · " + when(entry.created_at) +
      (entry.files.length ? " · " + say("files", "{n} berkas", { n: entry.files.length }) : "")
    ));
    row.appendChild(head);
    row.appendChild(element("p", "offline-queue__state", stateText(entry, behind)));
    if (entry.state === "refused") {
      var actions = element("p", "offline-queue__actions");
      var change = element("button", "button button--quiet", say("edit", "Ubah"));
      change.type = "button";
      change.addEventListener("click", function () { edit(entry); });
      var drop = element("button", "button button--quiet", say("discard", "Buang"));
      drop.type = "button";
      drop.addEventListener("click", function () { discard(entry); });
      actions.appendChild(change);
      actions.appendChild(drop);
      row.appendChild(actions);
    }
    return row;
  }

  var drawing = Promise.resolve();

  function draw() {
    drawing = drawing.then(function () {
      // Only pages that show the list take the "sent" notes (others would lose them unseen).
      if (!LIST_PAGE && !document.querySelector("[data-offline-list]")) return;
      return Queue.takeSent(user).then(function (taken) {
        taken.forEach(function (summary) {
          if (!sent.some(function (known) { return known.id === summary.id; })) sent.push(summary);
        });
        return Queue.all();
      }).then(function (entries) {
        var mine = entries.filter(function (entry) { return entry.user_id === user; });
        if (!mine.length && !sent.length) {
          var old = document.querySelector("[data-offline-list]");
          if (old) old.remove();
          return;
        }
        var box = container();
        box.textContent = "";
        if (mine.length) {
          box.appendChild(element("h2", "section__title", say("title", "Menunggu sinyal") + " (" + mine.length + ")"));
          var list = element("ol", "offline-queue__list");
          var held = {};
          mine.forEach(function (entry) {
            list.appendChild(item(entry, held[entry.milestone_id] && entry.state !== "refused"));
            if (entry.state === "refused") held[entry.milestone_id] = true;
          });
          box.appendChild(list);
        }
        if (sent.length) {
          var done = element("ul", "offline-queue__sent");
          sent.forEach(function (entry) {
            var form = entry.milestone_title ? null : formFor(entry);
            var title = entry.milestone_title || (form && describe(form).milestone_title) || "#" + entry.milestone_id;
            done.appendChild(element("li", "", say("sent", "Terkirim") + ": " + title + " · " + when(entry.created_at)));
          });
          box.appendChild(done);
        }
      });
    }).catch(function () { /* storage unreadable: nothing to show */ });
    return drawing;
  }

  try {
    var channel = new BroadcastChannel(Queue.CHANNEL);
    channel.onmessage = function () {
      draw(); // a post sent by another page or the worker is taken from the queue's "sent" list
    };
  } catch (error) { /* one tab: it redraws after its own changes */ }

  window.addEventListener("online", askToSend);
  draw().then(function () {
    var wanted = Number(new URLSearchParams(window.location.search).get("offline_edit"));
    if (wanted) Queue.get(wanted).then(function (entry) { if (entry && entry.user_id === user) edit(entry); });
    return Queue.all();
  }).then(function (entries) {
    if (entries && entries.some(function (entry) { return entry.user_id === user; })) askToSend();
  });
})();
