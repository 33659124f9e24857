// Keyboard triage. Every action is a real button or link (usable by touch and without
// JavaScript); this file maps keys to them, keeps the way back, and fetches the next
// photos ahead so the moderator never waits for an image.
(function () {
  "use strict";

  var back = [];        // entry ids seen before the current one
  var goingBack = false;
  var refusing = false;
  // From the request until the next photo is in place and live: keys pressed meanwhile are
  // dropped, not queued. A key repeat or a quick double press must never decide on a photo
  // the moderator has not seen, nor click a button htmx has not taken over yet (its form
  // would be posted as a whole page).
  var busy = false;

  function triage() { return document.getElementById("triage"); }

  function press(key) {
    var scope = key === "u" ? document.getElementById("toast") : triage();
    var el = scope && scope.querySelector('[data-key="' + key + '"]');
    if (!el) return false;
    el.click();
    return true;
  }

  function reasons() { return triage().querySelector(".reasons"); }

  function startRefusing() {
    var box = reasons();
    if (!box) return;
    refusing = true;
    box.classList.add("open");
    var first = box.querySelector("input[type=radio]");
    if (first) first.focus();
  }

  function stopRefusing() {
    refusing = false;
    var box = reasons();
    if (box) box.classList.remove("open");
  }

  function pickReason(number) {
    var radios = reasons().querySelectorAll("input[type=radio]");
    var radio = radios[number - 1];
    if (!radio) return;
    radio.checked = true;
    if (radio.value === "other") {
      document.getElementById("refuse-note").focus();  // "Other" needs a few words
    } else {
      press("r-confirm");
    }
  }

  // L: the line and stop form opens on its first field. Typing there is typing, not keys
  // (see the keydown handler): "Gare Maritime" must not approve, refuse nor turn anything.
  function correctPlace() {
    var box = triage().querySelector(".place-correct");
    if (!box) return;
    box.open = true;
    var field = box.querySelector("input[type=text]");
    if (field) field.focus();
  }

  function goBack() {
    var id = back.pop();
    if (!id) return;
    goingBack = true;
    htmx.ajax("GET", triage().dataset.entryUrl.replace("/0/", "/" + id + "/"),
      { target: "#triage", swap: "outerHTML" });
  }

  function toggleHelp() {
    var keys = document.getElementById("keys");
    var button = document.querySelector('[data-key="?"]');
    keys.hidden = !keys.hidden;
    button.setAttribute("aria-expanded", String(!keys.hidden));
  }

  function closeHelp() {
    var keys = document.getElementById("keys");
    if (keys && !keys.hidden) toggleHelp();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest('[data-key="?"]')) toggleHelp();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || !triage()) return;
    var target = event.target;
    var typing = target.matches && target.matches("input[type=text], textarea, select");
    if (typing) {
      // An Escape the field used itself (a picker closing its list) leaves the focus there.
      if (event.key === "Escape" && !event.defaultPrevented) { target.blur(); stopRefusing(); }
      return;
    }
    if (busy) { event.preventDefault(); return; }
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    var handled = true;
    if (refusing && /^[1-9]$/.test(key)) pickReason(Number(key));
    else if (key === "Escape") { stopRefusing(); closeHelp(); press("a-cancel"); }
    else if (key === "a") press("a");
    else if (key === "r") startRefusing();
    else if (key === "s" || key === "ArrowRight") press("s");
    else if (key === "ArrowLeft") goBack();
    else if (key === "u") press("u");
    else if (key === "t") press("t");
    else if (key === "f") press("f");
    else if (key === "l") correctPlace();
    else if (key === "p") press("p");  // identifiable person: mark or clear
    else if (key === "?") toggleHelp();
    else handled = false;
    if (handled) event.preventDefault();
  });

  function setBusy(value) {
    busy = value;
    var main = document.getElementById("main");
    if (value) main.setAttribute("aria-busy", "true");
    else main.removeAttribute("aria-busy");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target && event.detail.target.id === "triage") setBusy(true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // Nothing is swapped after a failure (network, server error): let the moderator retry.
    if (!event.detail.successful) setBusy(false);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "triage") return;
    var current = triage().dataset.entry;
    if (current && !goingBack && back[back.length - 1] !== current) back.push(current);
    goingBack = false;
    refusing = false;
  });

  function preload() {
    var el = triage();
    if (!el || !el.dataset.preload) return;
    el.dataset.preload.split(" ").forEach(function (url) {
      if (url) { var img = new Image(); img.src = url; }
    });
  }

  function expireUndo() {
    var button = document.querySelector('#toast [data-key="u"]');
    // The toast outlives the swaps that bring no news (skip, back): count from its arrival.
    if (!button || button.dataset.armed) return;
    button.dataset.armed = "1";
    var seconds = Number(button.dataset.expires || 8);
    window.setTimeout(function () {
      var form = button.closest("form");
      if (form && document.body.contains(form)) form.remove();
    }, seconds * 1000);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "triage" && event.detail.elt.id !== "triage") return;
    setBusy(false);
    // "Approve anyway?" after A on a possible duplicate: Enter confirms, Esc cancels.
    var confirm = triage().querySelector('[data-key="a-confirm"]');
    var title = document.getElementById("triage-title");
    // The same photo again (its line and stop saved, a decision undone) is no step forward.
    if (back[back.length - 1] === triage().dataset.entry) back.pop();
    // The line and stop refused: back to the field that says why.
    var invalid = triage().querySelector(".place-correct .has-error input[type=text]");
    if (confirm) confirm.focus();
    else if (invalid) invalid.focus();
    else if (title) title.focus({ preventScroll: false });  // announce the new photo
    preload();
    expireUndo();
  });

  document.addEventListener("DOMContentLoaded", function () { preload(); expireUndo(); });
})();
