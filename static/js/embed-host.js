/*
 * Coverline gallery embed: sizes the gallery's iframe to its content.
 *
 * Paste after the iframe, on the page that shows the gallery:
 *
 *   <iframe src="https://concours.example/concours/<contest>/integrer/" title="..."
 *           loading="lazy" width="100%" height="600"></iframe>
 *   <script src="https://concours.example/static/js/embed-host.js" async></script>
 *
 * The gallery posts {type: "coverline:height", height} to this page on load and whenever
 * its height changes. A message is believed only when it comes from an iframe of this page
 * and from that iframe's own origin (the origin of its src); anything else is ignored.
 * Without this script the iframe keeps its height attribute (600) and scrolls inside.
 * No cookie, no network request, no global name.
 */
(function () {
  "use strict";

  var MAX_HEIGHT = 20000;  // a sane bound: a broken page must not make an endless frame

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "coverline:height") return;
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      var origin;
      try {
        origin = new URL(frame.src, document.baseURI).origin;
      } catch (error) {
        return;
      }
      if (origin !== event.origin) return;
      // A page whose CSS sizes boxes with their borders would cut the frame's last pixels.
      var style = window.getComputedStyle(frame);
      var edges = style.boxSizing === "border-box"
        ? parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth) +
          parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
        : 0;
      frame.style.height = Math.min(Math.ceil(height + edges), MAX_HEIGHT) + "px";
      return;
    }
  });
})();
