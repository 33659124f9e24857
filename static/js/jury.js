// The jurors' pages. Every action is a real button, link or form field (usable by touch and
// without JavaScript); this file maps keys to them on the judging screen, fetches the next
// photo ahead, and on the ranking page moves photos by keyboard, buttons or dragging while
// keeping the rank numbers of the plain form up to date (the same POST either way).
(function () {
  "use strict";

  // --- judging screen --------------------------------------------------------------------

  // From a request until the next photo is in place and live, keys are dropped, not queued:
  // a key repeat or a quick double press must never vote on a photo not yet seen.
  var busy = false;

  function judge() { return document.getElementById("judge"); }

  function press(key) {
    var scope = judge();
    var el = scope && scope.querySelector('[data-key="' + key + '"]');
    if (!el) return false;
    el.click();
    return true;
  }

  function voteForm() {
    var scope = judge();
    return scope && scope.querySelector("form.vote[data-criteria]");
  }

  function rows(form) { return Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion")); }

  function markCurrent(row) {
    rows(row.form || row.closest("form")).forEach(function (other) {
      other.classList.toggle("is-current", other === row);
    });
  }

  function currentRow(form) {
    var all = rows(form);
    var focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("fieldset.criterion") : null;
    if (focused && form.contains(focused)) return focused;
    return form.querySelector("fieldset.criterion.is-current") || all[0];
  }

  function focusRow(row) {
    markCurrent(row);
    var radio = row.querySelector("input:checked") || row.querySelector("input[type=radio]");
    if (radio) radio.focus();
  }

  // 1 to 5 on a rating round with criteria: score the current criterion, go to the next;
  // after the last, the send button has the focus and Enter sends.
  function score(digit) {
    var form = voteForm();
    var row = currentRow(form);
    var radio = row && row.querySelector('input[value="' + digit + '"]');
    if (!radio) return;
    radio.checked = true;
    var all = rows(form);
    var next = all[all.indexOf(row) + 1];
    if (next) focusRow(next);
    else {
      markCurrent(row);
      var send = form.querySelector('[data-key="enter"]');
      if (send) send.focus();
    }
  }

  function send() {
    var form = voteForm();
    if (!form) return false;
    var missing = rows(form).filter(function (row) { return !row.querySelector("input:checked"); });
    if (missing.length) { focusRow(missing[0]); return true; }
    form.requestSubmit(form.querySelector('[data-key="enter"]'));
    return true;
  }

  function toggleHelp() {
    var keys = document.getElementById("keys");
    var button = document.querySelector('[data-key="?"]');
    if (!keys || !button) return;
    keys.hidden = !keys.hidden;
    button.setAttribute("aria-expanded", String(!keys.hidden));
  }

  function closeHelp() {
    var keys = document.getElementById("keys");
    if (keys && !keys.hidden) toggleHelp();
  }

  function onJudgeKey(event) {
    var target = event.target;
    var typing = target.matches && target.matches("input[type=text], textarea, select");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (busy) { event.preventDefault(); return; }
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    var onControl = target.matches && target.matches("button, a, summary, input[type=checkbox]");
    var handled = true;
    if (/^[1-5]$/.test(key)) {
      if (voteForm()) score(key); else press(key);
    }
    else if (key === "Enter" && !onControl) handled = send();
    else if (key === "y" || key === "o") press("y");  // o for "oui"
    else if (key === "n") press("n");
    else if (key === "s" || key === "u" || key === "f" || key === "z" || key === "c") press(key);
    else if (key === "m") {
      var note = document.getElementById("note-text");
      if (note) note.focus(); else handled = false;
    }
    else if (key === "?") toggleHelp();
    else if (key === "Escape") closeHelp();
    else handled = false;
    if (handled) event.preventDefault();
  }

  function setBusy(value) {
    busy = value;
    var main = document.getElementById("main");
    if (value) main.setAttribute("aria-busy", "true");
    else main.removeAttribute("aria-busy");
  }

  function preload() {
    var el = judge();
    if (!el || !el.dataset.preloadSrcset) return;
    var img = new Image();
    img.sizes = el.dataset.preloadSizes || "100vw";
    img.srcset = el.dataset.preloadSrcset;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest('[data-key="?"]')) toggleHelp();
  });

  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("fieldset.criterion");
    if (row) markCurrent(row);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target && event.detail.target.id === "judge") setBusy(true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // Nothing is swapped after a failure (network, server error): let the juror retry.
    if (!event.detail.successful) setBusy(false);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "judge" && event.detail.elt.id !== "judge") return;
    setBusy(false);
    var title = document.getElementById("judge-title");
    if (title) title.focus();  // announces the new photo
    preload();
  });

  // --- ranking ---------------------------------------------------------------------------

  function list() { return document.getElementById("ranking"); }

  function items() { return Array.prototype.slice.call(list().querySelectorAll(".rank-item")); }

  function renumber() {
    items().forEach(function (item, index) {
      item.querySelector("input[type=number]").value = String(index + 1);
    });
  }

  function announce(item) {
    var all = items();
    var text = list().dataset.moved
      .replace("{code}", item.dataset.code)
      .replace("{position}", String(all.indexOf(item) + 1))
      .replace("{total}", String(all.length));
    document.getElementById("ranking-live").textContent = text;
  }

  function move(item, step, focusAfter) {
    var all = items();
    var index = all.indexOf(item);
    var to = index + step;
    if (to < 0 || to >= all.length) return;
    if (step < 0) list().insertBefore(item, all[to]);
    else list().insertBefore(item, all[to].nextSibling);
    renumber();
    // Moving a node in the document takes the focus away from it: give it back.
    (focusAfter || item).focus();
    announce(item);
  }

  function onRankingKey(event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    var item = event.target.closest && event.target.closest(".rank-item");
    if (!item) return;
    event.preventDefault();
    var focusAfter = event.target === item ? item : event.target;
    move(item, event.key === "ArrowUp" ? -1 : 1, focusAfter);
  }

  // Dragging by the handle, with pointer events: mouse, pen and touch alike.
  var dragged = null;

  function startDrag(event) {
    var handle = event.target.closest && event.target.closest(".rank-handle");
    if (!handle) return;
    dragged = handle.closest(".rank-item");
    dragged.classList.add("is-dragged");
    handle.setPointerCapture(event.pointerId);
    event.preventDefault();
  }

  function drag(event) {
    if (!dragged) return;
    var under = document.elementFromPoint(event.clientX, event.clientY);
    var over = under && under.closest && under.closest(".rank-item");
    if (!over || over === dragged || over.parentNode !== list()) return;
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    list().insertBefore(dragged, after ? over.nextSibling : over);
  }

  function endDrag() {
    if (!dragged) return;
    var item = dragged;
    dragged = null;
    item.classList.remove("is-dragged");
    renumber();
    announce(item);
  }

  function startRanking() {
    var el = list();
    if (!el) return;
    el.querySelectorAll(".rank-moves, .rank-handle").forEach(function (part) { part.hidden = false; });
    el.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-move]");
      if (!button) return;
      move(button.closest(".rank-item"), button.dataset.move === "up" ? -1 : 1, button);
    });
    el.addEventListener("keydown", onRankingKey);
    el.addEventListener("pointerdown", startDrag);
    el.addEventListener("pointermove", drag);
    el.addEventListener("pointerup", endDrag);
    el.addEventListener("pointercancel", endDrag);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || !judge()) return;
    onJudgeKey(event);
  });

  document.addEventListener("DOMContentLoaded", function () { preload(); startRanking(); });
})();
