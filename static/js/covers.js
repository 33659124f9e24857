// The crop editor. Every action is a real button or field of a plain form (usable by touch,
// keyboard and without JavaScript); this file maps keys to those buttons when the photo is
// focused, lets the frame be dragged, and redraws the frame, the cover preview and the print
// resolution live while it moves. The form is then sent as it would be by hand.
(function () {
  "use strict";

  function editor() { return document.getElementById("crop-editor"); }

  function num(el, name) { return parseFloat(el.dataset[name]); }

  function field(ed, name) { return ed.querySelector('input[name="' + name + '"]'); }

  function readBox(ed) {
    return {
      left: parseFloat(field(ed, "left").value),
      top: parseFloat(field(ed, "top").value),
      width: parseFloat(field(ed, "width").value),
      height: parseFloat(field(ed, "height").value)
    };
  }

  function setAttrs(el, attrs) {
    if (!el) return;
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k].toFixed ? attrs[k].toFixed(2) : attrs[k]); });
  }

  // The same drawing as covers.views._crop_svg, in a 1000-unit-wide space.
  function draw(ed, box) {
    var W = 1000, H = num(ed, "viewH");
    var x = box.left * W, y = box.top * H, w = box.width * W, h = box.height * H;
    var zone = ed.dataset.zone.split(" ").map(parseFloat);
    setAttrs(ed.querySelector(".crop-frame"), { x: x, y: y, width: w, height: h });
    setAttrs(ed.querySelector(".crop-frame-inner"), { x: x, y: y, width: w, height: h });
    ed.querySelector(".crop-dim").setAttribute("d",
      "M0 0H" + W + "V" + H.toFixed(2) + "H0Z" + "M" + x.toFixed(2) + " " + y.toFixed(2) +
      "h" + w.toFixed(2) + "v" + h.toFixed(2) + "h" + (-w).toFixed(2) + "Z");
    ed.querySelector("#cover-svg").setAttribute("viewBox", [x, y, w, h].map(function (v) { return v.toFixed(2); }).join(" "));
    // The zone is in fractions of the cover's width on both axes, as covers.geometry has it.
    setAttrs(ed.querySelector(".cover-band"), { x: x + zone[0] * w, y: y + zone[1] * w, width: zone[2] * w, height: zone[3] * w });
    setAttrs(ed.querySelector(".cover-title"), {
      x: x + zone[0] * w + zone[3] * w * 0.3, y: y + (zone[1] + zone[3] * 0.62) * w, "font-size": zone[3] * w * 0.38
    });
    var ppi = box.width * num(ed, "photoWidth") / num(ed, "bleedInches");
    var badge = ed.querySelector("#crop-ppi");
    var level = ppi >= num(ed, "ppiGood") ? "good" : ppi >= num(ed, "ppiMin") ? "warning" : "refused";
    badge.textContent = Math.round(ppi) + " ppi";
    badge.className = "badge ppi-" + level;
    legibility(ed);
  }

  // The title's legibility, measured here on the display rendition at every move (the rule
  // of covers/legibility.py, ported in covers-legibility.js): a DL title zone, the largest,
  // took 8 ms in Chromium here and 47 ms with the CPU slowed six times (a cheap phone), where
  // asking the server at each move would wait on the network, then decode the photo there
  // again (24 ms of server time), and could not follow a drag. The photo is read
  // once into a canvas; when it cannot be (another origin without CORS), the server's
  // verdict for the saved frame stays.
  var pictures = {};

  function picture(url, ready) {
    var known = pictures[url];
    if (known) {
      if (known.ctx) ready(known);
      else if (known.waiting) known.waiting.push(ready);
      return;
    }
    var entry = pictures[url] = { waiting: [ready] };
    var img = new Image();
    img.crossOrigin = "anonymous";
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(img, 0, 0);
      try {
        ctx.getImageData(0, 0, 1, 1);
      } catch (e) {
        entry.waiting = null;
        return;  // a tainted canvas: the server's figure stays
      }
      entry.ctx = ctx;
      entry.width = img.naturalWidth;
      entry.height = img.naturalHeight;
      var waiting = entry.waiting;
      entry.waiting = null;
      waiting.forEach(function (fn) { fn(entry); });
    };
    img.onerror = function () { entry.waiting = null; };
    img.src = url;
  }

  function numbers(text) { return text.split(" ").map(parseFloat); }

  var pending = null;

  function legibility(ed) {
    var out = ed.querySelector("#crop-legibility");
    if (!out || !ed.dataset.display || !window.CoverLegibility) return;
    // One measure per frame at most while dragging: the last position wins.
    var first = pending === null;
    pending = ed;
    if (!first) return;
    window.requestAnimationFrame(function () {
      var job = pending;
      pending = null;
      picture(job.dataset.display, function (pic) { measure(job, pic); });
    });
  }

  // Measured on the box the fields hold (five decimals), the one the server measures too.
  function measure(ed, pic) {
    if (!ed.isConnected) return;
    var box = readBox(ed);
    var out = ed.querySelector("#crop-legibility");
    var mm = numbers(ed.dataset.titleZone);  // x, y, width, height, bleed, bleed width (mm)
    // covers.geometry: FracBox.to_box on the rendition's size, zone_box, Box.rounded.
    var cropLeft = box.left * pic.width, cropTop = box.top * pic.height, cropWidth = box.width * pic.width;
    var scale = cropWidth / mm[5];
    var zl = cropLeft + (mm[0] + mm[4]) * scale, zt = cropTop + (mm[1] + mm[4]) * scale;
    var round = window.CoverLegibility.roundHalfEven;
    var left = round(zl), top = round(zt);
    var right = Math.max(left + 1, round(zl + mm[2] * scale)), bottom = Math.max(top + 1, round(zt + mm[3] * scale));
    var data = pic.ctx.getImageData(left, top, right - left, bottom - top);
    var result = window.CoverLegibility.measure(
      data.data, data.width, data.height, 4, numbers(ed.dataset.textRgb), numbers(ed.dataset.bandRgb),
      parseFloat(ed.dataset.bandOpacity), window.CoverLegibility.parseRule(ed.dataset.legibilityRule));
    var words = [out.dataset[result.level]];
    result.reasons.forEach(function (reason) { words.push(out.dataset[reason === "busy" ? "busy" : "lowContrast"]); });
    var text = words.join(" ");
    if (out.textContent !== text) out.textContent = text;  // an unchanged verdict is not read again
    out.className = "legibility legibility-" + result.level;
    out.dataset.contrast = result.contrast.toFixed(2);
    out.dataset.busyness = result.busyness.toFixed(3);
  }

  // Each editor the page gets (the first one, then every swap) is measured once in place.
  function measureEditor() {
    var ed = editor();
    if (ed && ed.querySelector("#crop-legibility")) legibility(ed);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", measureEditor);
  else measureEditor();

  function writeBox(ed, box) {
    ["left", "top", "width", "height"].forEach(function (k) { field(ed, k).value = box[k].toFixed(5); });
  }

  function send(ed) {
    var form = ed.querySelector("form.crop-form");
    var apply = form.querySelector('button[name="step"][value=""]');
    form.requestSubmit(apply);
  }

  // From a step's request until the editor it answers is in place, keys are dropped, not
  // queued: a step sent from the old form would carry the frame as it was before the last
  // one, and the two answers could land in either order.
  var busy = false;
  // The editor says so (aria-busy) while a step is on its way.
  function setBusy(value) {
    busy = value;
    var ed = editor();
    if (!ed) return;
    if (value) ed.setAttribute("aria-busy", "true");
    else ed.removeAttribute("aria-busy");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.closest && event.target.closest("#crop-editor")) setBusy(true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && !event.detail.successful) setBusy(false);
  });

  document.addEventListener("keydown", function (event) {
    var ed = editor();
    if (!ed || event.target.id !== "crop-svg" || event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key === "=" ? "+" : event.key;
    var button = ed.querySelector('button[data-key="' + key + '"]');
    if (!button) return;
    event.preventDefault();
    if (busy) return;
    button.click();
  });

  // Dragging the frame: pointer moves are converted to the photo's fractions.
  var drag = null;
  document.addEventListener("pointerdown", function (event) {
    var ed = editor();
    var svg = ed && event.target.closest && event.target.closest("#crop-svg");
    if (!svg || busy) return;
    var rect = svg.getBoundingClientRect();
    drag = { ed: ed, x: event.clientX, y: event.clientY, box: readBox(ed), w: rect.width, h: rect.height, moved: false };
    svg.setPointerCapture(event.pointerId);
  });
  document.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var b = drag.box;
    var left = Math.min(Math.max(b.left + (event.clientX - drag.x) / drag.w, 0), 1 - b.width);
    var top = Math.min(Math.max(b.top + (event.clientY - drag.y) / drag.h, 0), 1 - b.height);
    var box = { left: left, top: top, width: b.width, height: b.height };
    drag.moved = true;
    writeBox(drag.ed, box);
    draw(drag.ed, box);
  });
  document.addEventListener("pointerup", function () {
    if (!drag) return;
    var done = drag;
    drag = null;
    if (done.moved) send(done.ed);
  });

  // After htmx swaps the editor in, focus goes back to the photo for the next key.
  // Keys wait for the settle, not the swap: htmx wires the new form (hx-post) only then,
  // and a button pressed in between submitted the form as a plain page (a full reload).
  document.addEventListener("htmx:afterSettle", function () {
    if (editor()) setBusy(false);  // the editor in place is the one the last step answered with
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!editor()) return;
    if (busy) setBusy(true);  // the new editor, until it settles
    measureEditor();
    var svg = document.getElementById("crop-svg");
    if (svg && window.__coversKeyFocus) svg.focus();
  });
  document.addEventListener("focusin", function (event) { window.__coversKeyFocus = event.target.id === "crop-svg"; });
})();
