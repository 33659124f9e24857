// The embeddable gallery tells the page that frames it how tall it is, so that page can size
// the iframe to the photos instead of a fixed height with a scrollbar inside. The message is
// {type: "coverline:height", height} (CSS pixels), sent on load and whenever the height
// changes (a narrower frame, a font loaded); static/js/embed-host.js listens on the host page.
// The height is no secret: it goes to whatever origin frames us ("*").
(function () {
  "use strict";

  if (window.parent === window) return;  // opened on its own: nobody to tell

  var sent = 0;

  function tell() {
    // The root element's own box: its height is the content's, not the frame's, so the
    // frame can shrink as well as grow.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === sent) return;
    sent = height;
    window.parent.postMessage({ type: "coverline:height", height: height }, "*");
  }

  if ("ResizeObserver" in window) {
    new ResizeObserver(tell).observe(document.documentElement);
  } else {
    window.addEventListener("resize", tell);
  }
  window.addEventListener("load", tell);
  tell();
})();
