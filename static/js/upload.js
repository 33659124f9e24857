// Entry form: previews of chosen photos and the upload progress bar (htmx 2 events).
// Without JavaScript the form posts normally; everything here is an improvement on top.
(function () {
  "use strict";

  function slotOf(el) { return el.closest(".photo-slot"); }

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

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".photo-input")) showPreview(event.target);
  });

  function progressParts(form) {
    return {
      wrap: form.querySelector(".progress-wrap"),
      bar: form.querySelector("progress"),
      pct: form.querySelector(".progress-pct"),
      status: form.querySelector(".upload-status"),
    };
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (form.id !== "upload-form") return;
    var p = progressParts(form);
    p.status.hidden = true;
    p.bar.value = 0;
    p.pct.textContent = "0 %";
    p.wrap.hidden = false;
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("#upload-form") : null;
    if (!form || !event.detail.lengthComputable) return;
    var p = progressParts(form);
    var pct = Math.round((event.detail.loaded / event.detail.total) * 100);
    p.bar.value = pct;
    p.bar.textContent = pct + " %";
    p.pct.textContent = pct + " %";
  });

  function failed(event) {
    var form = event.target.closest ? event.target.closest("#upload-form") : null;
    if (!form) return;
    var p = progressParts(form);
    p.wrap.hidden = true;
    p.status.textContent = form.dataset.failedLabel;
    p.status.hidden = false;
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
