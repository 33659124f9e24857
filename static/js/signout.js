// Signing out, as on a shared computer, takes along what upload.js remembers in localStorage
// of unfinished uploads (titles and captions typed): the next person on the browser does not
// see them. The form posts as usual; this only clears the memory before it goes.
(function () {
  "use strict";

  var PREFIX = "coverline.upload:";  // upload.js's scopeOf

  function forgetUploads() {
    var store;
    try { store = window.localStorage; } catch (error) { return; }  // blocked: nothing kept
    if (!store) return;
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) keys.push(key);
    }
    keys.forEach(function (key) {
      try { store.removeItem(key); } catch (error) { return; }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.matches && form.matches("form.signout")) forgetUploads();
  });
})();
