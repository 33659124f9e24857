// Entry form: one "Add photos" button that makes a card per chosen photo, previews, and the
// upload's progress, with a way to cancel it (htmx 2 events).
// Without JavaScript the form posts normally, as fixed blocks; everything here is on top.
(function () {
  "use strict";

  function slotOf(el) { return el.closest(".photo-slot"); }
  function fileInputOf(slot) { return slot.querySelector(".photo-input"); }
  function hasFile(slot) { var input = fileInputOf(slot); return input.files && input.files.length > 0; }

  function showPreview(input) {
    var slot = slotOf(input);
    if (!slot) return;
    var figure = slot.querySelector(".preview");
    var img = figure.querySelector("img");
    var caption = figure.querySelector("figcaption");
    var form = input.closest("form");
    if (img.dataset.url) { URL.revokeObjectURL(img.dataset.url); delete img.dataset.url; }
    var file = input.files && input.files[0];
    if (!file) { figure.hidden = true; return; }
    caption.textContent = file.name;
    figure.classList.remove("no-preview");
    img.hidden = false;
    img.onerror = function () {
      // HEIC and other formats the browser cannot draw: say so instead of a broken image.
      img.hidden = true;
      figure.classList.add("no-preview");
      caption.textContent = file.name + " — " + form.dataset.heicLabel;
    };
    img.dataset.url = URL.createObjectURL(file);
    img.src = img.dataset.url;
    figure.hidden = false;
  }

  // A file list can be given to a file input only through a DataTransfer (not in browsers
  // older than 2021): without it the plain blocks stay, which work as well.
  function canMoveFiles() {
    try { return typeof DataTransfer === "function" && Boolean(new DataTransfer().files); }
    catch (error) { return false; }
  }

  function slotInUse(slot) {
    if (hasFile(slot) || slot.querySelector(".has-error")) return true;
    var fields = slot.querySelectorAll("input[type=text], textarea, select");
    for (var i = 0; i < fields.length; i++) { if (fields[i].value) return true; }
    return false;
  }

  function showSlot(slot, shown) {
    slot.hidden = !shown;
    // A card is a photo being sent: its fields are all needed, stars included.
    slot.classList.toggle("slot-optional", !shown && slot.dataset.first !== "true");
  }

  // The button stays while a block can still take a photo.
  function refreshPicker(form) {
    var room = Array.prototype.some.call(form.querySelectorAll(".photo-slot"), function (slot) {
      return !hasFile(slot);
    });
    form.querySelector(".picker-button").hidden = !room;
  }

  function enhance(form) {
    if (!form || form.dataset.enhanced || !canMoveFiles()) return;
    form.dataset.enhanced = "true";
    form.classList.add("enhanced");
    form.querySelector(".picker").hidden = false;
    var slots = form.querySelectorAll(".photo-slot");
    for (var i = 0; i < slots.length; i++) {
      slots[i].dataset.first = i === 0 ? "true" : "false";
      slots[i].querySelector(".slot-remove").hidden = false;
      showSlot(slots[i], slotInUse(slots[i]));
    }
    refreshPicker(form);
  }

  function addFiles(form, files) {
    var status = form.querySelector(".picker-status");
    var slots = Array.prototype.filter.call(form.querySelectorAll(".photo-slot"), function (slot) {
      return !hasFile(slot);
    });
    // Cards already shown (typed in, or sent back with an error) take a photo first.
    slots.sort(function (a, b) { return Number(a.hidden) - Number(b.hidden); });
    var first = null;
    var count = Math.min(files.length, slots.length);
    for (var i = 0; i < count; i++) {
      var transfer = new DataTransfer();
      transfer.items.add(files[i]);
      var input = fileInputOf(slots[i]);
      input.files = transfer.files;
      showSlot(slots[i], true);
      showPreview(input);
      if (!first) first = slots[i];
    }
    status.textContent = files.length > count ? form.dataset.leftOutLabel : form.dataset.addedLabel;
    refreshPicker(form);
    if (first) first.querySelector("input[type=text]").focus();
  }

  function removeSlot(slot) {
    var form = slot.closest("form");
    var input = fileInputOf(slot);
    input.value = "";
    showPreview(input);
    // .stop-id: the hidden id of the stop picked in combobox.js.
    var fields = slot.querySelectorAll("input[type=text], textarea, select, .stop-id");
    for (var i = 0; i < fields.length; i++) fields[i].value = "";
    showSlot(slot, false);
    form.querySelector(".picker-status").textContent = "";
    refreshPicker(form);
    form.querySelector(".picker-button").focus();
  }

  function enhanceAll() { enhance(document.getElementById("upload-form")); }
  enhanceAll();
  // The form comes back from the server in place of the old one (errors): enhance it again.
  document.addEventListener("htmx:afterSwap", enhanceAll);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var picker = target.closest(".picker-button");
    if (picker) { picker.closest("form").querySelector(".picker-input").click(); return; }
    var remove = target.closest(".slot-remove");
    if (remove) { removeSlot(slotOf(remove)); return; }
    var cancel = target.closest(".cancel-send");
    // htmx aborts the request in flight; its htmx:xhr:abort event restores the form.
    if (cancel) htmx.trigger(cancel.closest("form"), "htmx:abort");
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches(".picker-input")) {
      addFiles(target.closest("form"), Array.prototype.slice.call(target.files));
      target.value = "";  // the same photos can be picked again after a removal
    } else if (target.matches(".photo-input")) {
      showPreview(target);
      refreshPicker(target.closest("form"));
    }
  });

  function parts(form) {
    return {
      wrap: form.querySelector(".progress-wrap"),
      bar: form.querySelector("progress"),
      pct: form.querySelector(".progress-pct"),
      status: form.querySelector(".upload-status"),
      send: form.querySelector(".send"),
      cancel: form.querySelector(".cancel-send"),
    };
  }

  function uploadForm(event) {
    var el = event.target;
    return el && el.closest ? el.closest("#upload-form") : null;
  }

  function idle(form, message) {
    var p = parts(form);
    form.classList.remove("sending");
    form.removeAttribute("aria-busy");
    p.wrap.hidden = true;
    p.cancel.hidden = true;
    if (p.send.dataset.idleLabel) p.send.textContent = p.send.dataset.idleLabel;
    if (message) { p.status.textContent = message; p.status.hidden = false; }
  }

  // One post at a time: a second submit (Enter in a field, a double tap) is dropped.
  document.addEventListener("htmx:confirm", function (event) {
    var form = uploadForm(event);
    if (form && form.classList.contains("sending")) event.preventDefault();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (form.id !== "upload-form") return;
    var p = parts(form);
    form.classList.add("sending");
    form.setAttribute("aria-busy", "true");
    p.status.hidden = true;
    p.bar.value = 0;
    p.pct.textContent = "0 %";
    p.wrap.hidden = false;
    p.send.dataset.idleLabel = p.send.textContent;
    p.send.textContent = p.send.dataset.sendingLabel;
    p.cancel.hidden = false;
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    if (!form || !event.detail.lengthComputable) return;
    var p = parts(form);
    var pct = Math.round((event.detail.loaded / event.detail.total) * 100);
    p.bar.value = pct;
    p.bar.textContent = pct + " %";
    p.pct.textContent = pct + " %";
    // Every byte is out: the server is storing the photos, too late to take them back.
    if (event.detail.loaded >= event.detail.total) p.cancel.hidden = true;
  });

  document.addEventListener("htmx:xhr:abort", function (event) {
    var form = uploadForm(event);
    if (form) idle(form, form.dataset.cancelledLabel);
  });

  function failed(event) {
    var form = uploadForm(event);
    if (form) idle(form, form.dataset.failedLabel);
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);

  // The form comes back with its errors in place of the old one, and focus falls to <body>:
  // take the rider to the first field in error, which reads out its message.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id !== "upload-form") return;
    var invalid = event.target.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  });
})();
