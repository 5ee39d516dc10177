/* Pantau staff import: sends the "Periksa" and "Impor" forms with XMLHttpRequest so the page can show the
 * upload's progress and a "Memeriksa…"/"Mengimpor…" state, then shows the page the server answered.
 * Without JavaScript the same forms post normally. Every visible word comes from the page (translated
 * there); this file only shows and hides it. */
(function () {
  "use strict";

  function show(box, state) {
    box.hidden = false;
    box.querySelectorAll("[data-state]").forEach(function (el) {
      el.hidden = el.getAttribute("data-state") !== state;
    });
    box.querySelector("progress").hidden = state === "error" || state === "too_big";
    box.scrollIntoView({ block: "nearest" });
  }

  function indeterminate(bar) {
    bar.removeAttribute("value");
  }

  function swapIn(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main) {
      window.location.reload();
      return;
    }
    document.querySelector("main").replaceWith(main);
    document.title = doc.title;
    bind(main);
    var focus = main.querySelector("[data-focus]") || main.querySelector("h1");
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
  }

  function send(form, event) {
    var box = form.querySelector("[data-progress]");
    var button = form.querySelector("button[type=submit]");
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var busy = form.getAttribute("data-import-form") === "import" ? "import" : "check";
    if (!box || (input && !file)) return; // let the browser (or the server) say that a file is missing
    event.preventDefault();
    if (button.disabled) return;
    if (file && file.size > Number(form.getAttribute("data-max-bytes"))) {
      show(box, "too_big");
      return;
    }
    var bar = box.querySelector("progress");
    var percent = box.querySelector("[data-percent]");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    if (file) {
      bar.value = 0;
      show(box, "upload");
    } else {
      indeterminate(bar);
      show(box, busy);
    }

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((100 * e.loaded) / e.total);
      bar.value = pct;
      if (percent) percent.textContent = pct + "%";
    });
    xhr.upload.addEventListener("load", function () {
      indeterminate(bar);
      show(box, busy);
    });
    xhr.addEventListener("load", function () {
      var action = new URL(form.action, window.location.href);
      var landed = xhr.responseURL ? new URL(xhr.responseURL) : action;
      if (landed.pathname !== action.pathname) {
        window.location.assign(landed.href); // redirected after a finished import: a real page load
        return;
      }
      swapIn(xhr.responseText);
    });
    xhr.addEventListener("error", function () {
      show(box, "error");
      button.disabled = false;
      form.removeAttribute("aria-busy");
    });
    xhr.send(new FormData(form));
  }

  function bind(root) {
    root.querySelectorAll("form[data-import-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        send(form, event);
      });
    });
  }

  bind(document);
})();
