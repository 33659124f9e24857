// "Load more photos" appends the next page with htmx and replaces its own link. Without
// this, focus falls back to the top of the page and a keyboard or screen-reader user has to
// find their place again: it goes to the first photo that came in.
(function () {
  "use strict";

  var firstNew = null;  // index of the first tile the pending request will add

  function grid() { return document.getElementById("grid"); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.detail.elt.closest("#more") || !grid()) return;
    firstNew = grid().children.length;
    grid().setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (firstNew === null || event.detail.successful) return;
    firstNew = null;  // nothing came: the link is still there, and still focused
    grid().removeAttribute("aria-busy");
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (firstNew === null || !grid()) return;
    var tile = grid().children[firstNew];
    firstNew = null;
    grid().removeAttribute("aria-busy");
    var link = tile && tile.querySelector("a");
    if (link) link.focus();
  });
})();
