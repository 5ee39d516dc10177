/* Evidence (bukti dukung) chosen in a form's <input type="file" data-evidence-input> (issue 14): each photo
   is made small in the browser before it is sent (longest side 1,600 px, JPEG at 0.82, turned upright
   as the camera meant it), so that a post from a village with weak signal carries ~300 KB instead of
   ~4 MB. PDFs go as they are. The input then holds the small files (DataTransfer), so the form's own
   submit, or the offline queue (offline/page.js), sends those. Choosing again adds to what was chosen
   (a phone's camera gives one photo per choice), up to 4; a 5th is refused with a message. Each file is
   shown as a small preview with a button to remove it.

   The capture time (EXIF DateTimeOriginal) is read from the original and written into the small JPEG,
   the only EXIF it carries: the server keeps exactly that and drops the rest.

   Markup: <script src="/static/evidence.js" defer data-text='{"count": "... {n} ... {max}", ...}'>.
   Without JavaScript the files go as chosen and the server downscales them. */
(function () {
  "use strict";

  var script = document.currentScript;
  var text = {};
  try { text = JSON.parse(script.getAttribute("data-text") || "{}"); } catch (error) { /* defaults below */ }
  var MAX_FILES = 4;
  var LONGEST = 1600;
  var QUALITY = 0.82;
  var kept = new WeakMap(); // input -> the files it holds, small ones once ready

  function say(key, fallback, values) {
    var words = text[key] || fallback;
    Object.keys(values || {}).forEach(function (name) { words = words.split("{" + name + "}").join(values[name]); });
    return words;
  }

  // --- the capture time: read from the original, written into the small JPEG --------------------------

  function capturedAt(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    for (var at = 2; at + 4 < view.byteLength;) {
      var marker = view.getUint16(at);
      var length = view.getUint16(at + 2);
      if (marker === 0xffe1 && view.getUint32(at + 4) === 0x45786966) return fromTiff(view, at + 10);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
      at += 2 + length;
    }
    return null;
  }

  function fromTiff(view, start) {
    try {
      var little = view.getUint16(start) === 0x4949;
      var u16 = function (at) { return view.getUint16(start + at, little); };
      var u32 = function (at) { return view.getUint32(start + at, little); };
      var find = function (ifd, tag) {
        for (var i = 0, n = u16(ifd); i < n; i++) {
          var entry = ifd + 2 + i * 12;
          if (u16(entry) === tag) return entry;
        }
        return null;
      };
      var pointer = find(u32(4), 0x8769);
      if (pointer === null) return null;
      var date = find(u32(pointer + 8), 0x9003);
      if (date === null) return null;
      var offset = u32(date + 8);
      var value = "";
      for (var c = 0; c < 19; c++) value += String.fromCharCode(view.getUint8(start + offset + c));
      return /^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$/.test(value) ? value : null;
    } catch (error) {
      return null; // a broken EXIF block: no capture time, the photo still goes
    }
  }

  /* An APP1 segment with a TIFF header whose IFD0 points to an Exif IFD holding only DateTimeOriginal. */
  function exifSegment(value) {
    var tiff = new Uint8Array(8 + 18 + 18 + 20);
    var view = new DataView(tiff.buffer);
    view.setUint16(0, 0x4d4d); view.setUint16(2, 42); view.setUint32(4, 8); // big-endian, IFD0 at 8
    view.setUint16(8, 1); // IFD0: one entry, ExifIFD pointer
    view.setUint16(10, 0x8769); view.setUint16(12, 4); view.setUint32(14, 1); view.setUint32(18, 26);
    view.setUint32(22, 0); // no next IFD
    view.setUint16(26, 1); // Exif IFD at 26: one entry, DateTimeOriginal (ASCII, 20 bytes at 44)
    view.setUint16(28, 0x9003); view.setUint16(30, 2); view.setUint32(32, 20); view.setUint32(36, 44);
    view.setUint32(40, 0);
    for (var i = 0; i < 19; i++) tiff[44 + i] = value.charCodeAt(i);
    var segment = new Uint8Array(4 + 6 + tiff.length);
    var head = new DataView(segment.buffer);
    head.setUint16(0, 0xffe1); head.setUint16(2, 2 + 6 + tiff.length);
    segment.set([0x45, 0x78, 0x69, 0x66, 0, 0], 4);
    segment.set(tiff, 10);
    return segment;
  }

  /* After the JFIF header (APP0) when there is one, as the JPEG/Exif files cameras write. */
  async function withCaptureTime(jpeg, value) {
    if (!value) return jpeg;
    var head = new DataView(await jpeg.slice(0, 6).arrayBuffer());
    var at = head.byteLength === 6 && head.getUint16(2) === 0xffe0 ? 4 + head.getUint16(4) : 2;
    return new Blob([jpeg.slice(0, at), exifSegment(value), jpeg.slice(at)], { type: "image/jpeg" });
  }

  // --- downscaling ---------------------------------------------------------------------------------------

  function smallName(name) {
    return (name || "foto").replace(/\.[^.]*$/, "") + ".jpg";
  }

  async function shrink(file) {
    if (!/^image\//.test(file.type) || !window.createImageBitmap) return file; // a PDF, or an old browser
    var bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      return file; // a format this browser cannot read (HEIC): the server says whether it takes it
    }
    var scale = Math.min(1, LONGEST / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg" && file.size < 1024 * 1024) {
      bitmap.close();
      return file; // small already: re-encoding would only lose quality
    }
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    var jpeg = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    if (!jpeg) return file;
    var when = file.type === "image/jpeg" ? capturedAt(await file.slice(0, 128 * 1024).arrayBuffer()) : null;
    var blob = await withCaptureTime(jpeg, when);
    return new File([blob], smallName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
  }

  // --- the field -------------------------------------------------------------------------------------------

  function setFiles(input, files) {
    kept.set(input, files);
    try {
      var transfer = new DataTransfer();
      files.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files; // setting files fires no change event
    } catch (error) { /* no DataTransfer constructor: the originals go, the server downscales */ }
    draw(input);
  }

  function box(input) {
    var next = input.nextElementSibling;
    if (next && next.classList.contains("evidence-chosen")) return next;
    var created = document.createElement("div");
    created.className = "evidence-chosen";
    created.innerHTML = '<p class="evidence-chosen__count hint" role="status"></p><p class="evidence-chosen__refused" role="alert" hidden></p><ul class="evidence-chosen__list"></ul>';
    input.insertAdjacentElement("afterend", created);
    return created;
  }

  function draw(input) {
    var files = kept.get(input) || [];
    var holder = box(input);
    var list = holder.querySelector(".evidence-chosen__list");
    list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    list.textContent = "";
    holder.querySelector(".evidence-chosen__count").textContent = files.length
      ? say("count", "{n} dari {max} berkas dipilih", { n: files.length, max: MAX_FILES }) : "";
    files.forEach(function (file, index) {
      var item = document.createElement("li");
      item.className = "evidence-chosen__item";
      if (/^image\//.test(file.type)) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = file.name;
        item.appendChild(img);
      } else {
        var doc = document.createElement("span");
        doc.className = "evidence-chosen__doc";
        doc.textContent = "PDF · " + file.name;
        item.appendChild(doc);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button--quiet evidence-chosen__remove";
      remove.textContent = say("remove", "Hapus");
      remove.setAttribute("aria-label", say("remove", "Hapus") + ": " + file.name);
      remove.addEventListener("click", function () {
        setFiles(input, (kept.get(input) || []).filter(function (_, i) { return i !== index; }));
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function refuse(input, message) {
    var note = box(input).querySelector(".evidence-chosen__refused");
    note.textContent = message;
    note.hidden = !message;
  }

  async function chosen(input) {
    var before = kept.get(input) || [];
    var added = Array.prototype.slice.call(input.files || []);
    var room = MAX_FILES - before.length;
    refuse(input, added.length > room
      ? say("too_many", "Paling banyak {max} berkas per kiriman; berkas lebihnya tidak diambil.", { max: MAX_FILES }) : "");
    added = added.slice(0, Math.max(0, room));
    input.setAttribute("data-evidence-busy", "");
    setFiles(input, before.concat(added)); // shown at once; replaced by the small ones when ready
    var small = await Promise.all(added.map(function (file) {
      return shrink(file).catch(function () { return file; });
    }));
    setFiles(input, before.concat(small));
    input.removeAttribute("data-evidence-busy");
    input.dispatchEvent(new CustomEvent("evidence-ready", { bubbles: true }));
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.matches("[data-evidence-input]")) chosen(input);
  });

  // A form reset (the offline queue took the post) empties the choice too.
  document.addEventListener("reset", function (event) {
    event.target.querySelectorAll("[data-evidence-input]").forEach(function (input) {
      window.setTimeout(function () { setFiles(input, []); refuse(input, ""); }, 0);
    });
  });

  // For the offline queue's "edit": put a refused post's files back into the field.
  window.PantauEvidence = {
    set: function (input, files) { setFiles(input, Array.prototype.slice.call(files).slice(0, MAX_FILES)); },
  };
})();
