// Marketing's dashboard polls its figures every 30 s (hx-trigger on #figures). Not while the
// tab is hidden (no one reads it, and the server has better to do), and not while someone
// has the focus in the figures (a swap would take it away); tables left open stay open.
(function () {
  "use strict";

  var open = [];

  function figures() { return document.getElementById("figures"); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = figures();
    if (!box || event.detail.elt !== box) return;
    if (document.visibilityState !== "visible" || box.contains(document.activeElement)) {
      event.preventDefault();
      return;
    }
    open = Array.prototype.map.call(box.querySelectorAll("details[open]"), function (d) {
      return d.id;
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.elt !== figures()) return;
    open.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) details.open = true;
    });
  });

  // Back on the tab: fresh figures at once rather than up to 30 s later.
  document.addEventListener("visibilitychange", function () {
    var box = figures();
    if (box && document.visibilityState === "visible" && window.htmx) {
      window.htmx.trigger(box, "dashboard-refresh");
    }
  });
})();
