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
    setAttrs(ed.querySelector(".cover-band"), { x: x + zone[0] * w, y: y + zone[1] * h, width: zone[2] * w, height: zone[3] * h });
    setAttrs(ed.querySelector(".cover-title"), {
      x: x + zone[0] * w + zone[3] * h * 0.3, y: y + (zone[1] + zone[3] * 0.62) * h, "font-size": zone[3] * h * 0.38
    });
    var ppi = box.width * num(ed, "photoWidth") / num(ed, "bleedInches");
    var badge = ed.querySelector("#crop-ppi");
    var level = ppi >= num(ed, "ppiGood") ? "good" : ppi >= num(ed, "ppiMin") ? "warning" : "refused";
    badge.textContent = Math.round(ppi) + " ppi";
    badge.className = "badge ppi-" + level;
  }

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
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.closest && event.target.closest("#crop-editor")) busy = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && !event.detail.successful) busy = false;
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
    if (!svg) return;
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
  document.addEventListener("htmx:afterSwap", function () {
    if (!editor()) return;
    busy = false;  // the editor in place is the one the last step answered with
    var svg = document.getElementById("crop-svg");
    if (svg && window.__coversKeyFocus) svg.focus();
  });
  document.addEventListener("focusin", function (event) { window.__coversKeyFocus = event.target.id === "crop-svg"; });
})();
