// Entry form: one "Add photos" button that makes a card per chosen photo, previews, and the
// upload's progress, with a way to cancel it.
// Where tus-js-client runs (vendored, static/vendor/), each photo goes by tus (contest.tus):
// pieces that resume after a lost connection. Elsewhere the form goes by htmx 2 in one post,
// and without JavaScript it posts normally, as fixed blocks; everything here is on top.
// Both ways tell the page's listeners "upload:start" and "upload:progress" on the form.
// A tus upload is remembered in localStorage until it ends, so that after a reload (or the
// browser closed) the same file picked again goes on from where the server stands, on Send.
(function () {
  "use strict";

  function slotOf(el) { return el.closest(".photo-slot"); }
  function fileInputOf(slot) { return slot.querySelector(".photo-input"); }
  function hasFile(slot) { var input = fileInputOf(slot); return input.files && input.files.length > 0; }

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

  // A file list can be given to a file input only through a DataTransfer (not in browsers
  // older than 2021): without it the plain blocks stay, which work as well.
  function canMoveFiles() {
    try { return typeof DataTransfer === "function" && Boolean(new DataTransfer().files); }
    catch (error) { return false; }
  }

  function slotInUse(slot) {
    if (hasFile(slot) || slot.querySelector(".has-error")) return true;
    var fields = slot.querySelectorAll("input[type=text], textarea, select");
    for (var i = 0; i < fields.length; i++) { if (fields[i].value) return true; }
    return false;
  }

  function showSlot(slot, shown) {
    slot.hidden = !shown;
    // A card is a photo being sent: its fields are all needed, stars included.
    slot.classList.toggle("slot-optional", !shown && slot.dataset.first !== "true");
  }

  // The button stays while a block can still take a photo.
  function refreshPicker(form) {
    var room = Array.prototype.some.call(form.querySelectorAll(".photo-slot"), function (slot) {
      return !hasFile(slot);
    });
    form.querySelector(".picker-button").hidden = !room;
  }

  function enhance(form) {
    if (!form || form.dataset.enhanced || !canMoveFiles()) return;
    form.dataset.enhanced = "true";
    form.classList.add("enhanced");
    form.querySelector(".picker").hidden = false;
    var slots = form.querySelectorAll(".photo-slot");
    for (var i = 0; i < slots.length; i++) {
      slots[i].dataset.first = i === 0 ? "true" : "false";
      slots[i].querySelector(".slot-remove").hidden = false;
      showSlot(slots[i], slotInUse(slots[i]));
    }
    refreshPicker(form);
    if (resumable(form)) showRemembered(form);
  }

  function addFiles(form, files) {
    var status = form.querySelector(".picker-status");
    var slots = Array.prototype.filter.call(form.querySelectorAll(".photo-slot"), function (slot) {
      return !hasFile(slot);
    });
    // Cards already shown (typed in, or sent back with an error) take a photo first.
    slots.sort(function (a, b) { return Number(a.hidden) - Number(b.hidden); });
    var first = null;
    var count = Math.min(files.length, slots.length);
    for (var i = 0; i < count; i++) {
      var transfer = new DataTransfer();
      transfer.items.add(files[i]);
      var input = fileInputOf(slots[i]);
      input.files = transfer.files;
      showSlot(slots[i], true);
      showPreview(input);
      if (!first) first = slots[i];
    }
    status.textContent = files.length > count ? form.dataset.leftOutLabel : form.dataset.addedLabel;
    refreshPicker(form);
    if (first) first.querySelector("input[type=text]").focus();
    resumeRemembered(form);
  }

  function removeSlot(slot) {
    var form = slot.closest("form");
    var input = fileInputOf(slot);
    input.value = "";
    showPreview(input);
    // .stop-id: the hidden id of the stop picked in combobox.js.
    var fields = slot.querySelectorAll("input[type=text], textarea, select, .stop-id");
    for (var i = 0; i < fields.length; i++) fields[i].value = "";
    showSlot(slot, false);
    form.querySelector(".picker-status").textContent = "";
    refreshPicker(form);
    form.querySelector(".picker-button").focus();
  }

  function enhanceAll() { enhance(document.getElementById("upload-form")); }
  enhanceAll();
  // The form comes back from the server in place of the old one (errors): enhance it again.
  document.addEventListener("htmx:afterSwap", enhanceAll);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var picker = target.closest(".picker-button");
    if (picker) { picker.closest("form").querySelector(".picker-input").click(); return; }
    var remove = target.closest(".slot-remove");
    if (remove) { removeSlot(slotOf(remove)); return; }
    var cancel = target.closest(".cancel-send");
    if (cancel && cancel.closest("form").tusSending) { cancelTus(cancel.closest("form")); return; }
    // htmx aborts the request in flight; its htmx:xhr:abort event restores the form.
    if (cancel) htmx.trigger(cancel.closest("form"), "htmx:abort");
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches(".picker-input")) {
      addFiles(target.closest("form"), Array.prototype.slice.call(target.files));
      target.value = "";  // the same photos can be picked again after a removal
    } else if (target.matches(".photo-input")) {
      showPreview(target);
      refreshPicker(target.closest("form"));
      resumeRemembered(target.closest("form"));
    }
  });

  function parts(form) {
    return {
      wrap: form.querySelector(".progress-wrap"),
      bar: form.querySelector("progress"),
      pct: form.querySelector(".progress-pct"),
      status: form.querySelector(".upload-status"),
      send: form.querySelector(".send"),
      cancel: form.querySelector(".cancel-send"),
      note: form.querySelector(".progress-note"),
      photo: form.querySelector(".progress-photo"),
    };
  }

  function announce(form, type) {
    form.dispatchEvent(new CustomEvent(type, { bubbles: true }));
  }

  function showProgress(form, pct) {
    var p = parts(form);
    p.bar.value = pct;
    p.bar.textContent = pct + " %";
    p.pct.textContent = pct + " %";
    announce(form, "upload:progress");
  }

  function uploadForm(event) {
    var el = event.target;
    return el && el.closest ? el.closest("#upload-form") : null;
  }

  function idle(form, message) {
    var p = parts(form);
    form.classList.remove("sending");
    form.removeAttribute("aria-busy");
    p.wrap.hidden = true;
    p.cancel.hidden = true;
    p.send.disabled = false;
    p.note.textContent = "";
    p.photo.textContent = "";
    if (p.send.dataset.idleLabel) p.send.textContent = p.send.dataset.idleLabel;
    if (message) { p.status.textContent = message; p.status.hidden = false; }
  }

  // One post at a time: a second submit (Enter in a field, a double tap) is dropped. With
  // tus, the photos go one by one by tus rather than in htmx's post.
  document.addEventListener("htmx:confirm", function (event) {
    var form = uploadForm(event);
    if (!form) return;
    if (form.classList.contains("sending")) { event.preventDefault(); return; }
    if (resumable(form)) { event.preventDefault(); sendByTus(form); }
  });

  function busy(form) {
    var p = parts(form);
    form.classList.add("sending");
    form.setAttribute("aria-busy", "true");
    p.status.hidden = true;
    p.bar.value = 0;
    p.bar.textContent = "0 %";
    p.pct.textContent = "0 %";
    p.note.textContent = "";
    p.photo.textContent = "";
    p.wrap.hidden = false;
    p.send.dataset.idleLabel = p.send.textContent;
    p.send.textContent = p.send.dataset.sendingLabel;
    p.cancel.hidden = false;
    announce(form, "upload:start");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (form.id === "upload-form") busy(form);
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    if (!form || !event.detail.lengthComputable) return;
    showProgress(form, Math.round((event.detail.loaded / event.detail.total) * 100));
    // Every byte is out: the server is storing the photos, too late to take them back.
    if (event.detail.loaded >= event.detail.total) parts(form).cancel.hidden = true;
  });

  document.addEventListener("htmx:xhr:abort", function (event) {
    var form = uploadForm(event);
    if (form) idle(form, form.dataset.cancelledLabel);
  });

  // Too many uploads (429), or the site too busy (nginx's 503, deploy/nginx/errors/, in French
  // and English): the answer says what to do. It goes in the form's status line rather than
  // in place of the form, so the photos chosen and the titles typed stay there for when the
  // wait is over.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = uploadForm(event);
    var xhr = event.detail.xhr;
    if (!form || (xhr.status !== 429 && xhr.status !== 503)) return;
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    idle(form, busyMessage(xhr.responseText) || form.dataset.failedLabel);
    // A 503 with Retry-After never reached the app (nothing saved): Send comes back after
    // the wait. Without it the photos may have been saved, and the page says to look first.
    var wait = xhr.status === 503 ? parseInt(xhr.getResponseHeader("Retry-After"), 10) : 0;
    if (wait > 0) {
      var send = parts(form).send;
      // Once htmx has given back the button it held during the post (hx-disabled-elt).
      setTimeout(function () {
        send.disabled = true;
        setTimeout(function () { send.disabled = false; }, wait * 1000);
      }, 0);
    }
  });

  // What a 429 or 503 page says, in the page's language ("" if it says nothing we know).
  function busyMessage(html) {
    var answer = new DOMParser().parseFromString(html || "", "text/html");
    var lang = (document.documentElement.lang || "fr").slice(0, 2);
    var said = answer.querySelector("[lang='" + lang + "'] .overloaded-message") ||
      answer.querySelector(".rate-limited-message, .overloaded-message");
    return said ? said.textContent.trim() : "";
  }

  function failed(event) {
    var form = uploadForm(event);
    if (form) idle(form, form.dataset.failedLabel);
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

  // --- Resumable uploads (tus) --------------------------------------------------------------
  // First every photo's upload is opened (its fields checked, nothing sent yet), so a missing
  // title refuses the lot as the plain post does; then the photos go one after the other,
  // in pieces. A lost connection pauses the bar where it stands; once the browser is back
  // online the upload asks the server how much arrived and goes on from there.

  var CHUNK_BYTES = 512 * 1024;
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];

  function resumable(form) {
    return Boolean(form.dataset.tusEndpoint && window.tus && window.tus.isSupported &&
      window.fetch && window.Blob);
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function tusHeaders(form, extra) {
    var headers = { "Tus-Resumable": "1.0.0", "X-CSRFToken": csrfToken(form) };
    for (var name in extra) headers[name] = extra[name];
    return headers;
  }

  function b64(text) {
    // UTF-8 bytes, then base64: btoa alone takes only Latin-1.
    var bytes = new TextEncoder().encode(text);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  function fieldOf(slot, name) {
    return slot.querySelector("[name$='-" + name + "']");
  }

  var DETAILS = ["title", "caption", "theme", "line", "stop", "stop_id"];

  // What was typed for the photo: the entry's fields of its upload.
  function detailsOf(slot) {
    var values = {};
    DETAILS.forEach(function (name) {
      var field = fieldOf(slot, name);
      if (field && field.value) values[name] = field.value;
    });
    return values;
  }

  function metadataOf(slot, file) {
    var values = detailsOf(slot);
    values.filename = file.name;
    values.filetype = file.type || "";
    return Object.keys(values).map(function (key) { return key + " " + b64(values[key]); })
      .join(",");
  }

  // The same markup as templates/fragment_field.html gives a field in error.
  function showFieldError(slot, name, message) {
    var input = fieldOf(slot, name) || fileInputOf(slot);
    var field = input.closest(".field");
    if (!field) return null;
    var errorId = input.id + "_error";
    var old = document.getElementById(errorId);
    if (old) old.remove();
    var error = document.createElement("p");
    error.className = "error";
    error.id = errorId;
    error.textContent = message;
    field.appendChild(error);
    field.classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(errorId) < 0) described.push(errorId);
    input.setAttribute("aria-describedby", described.join(" "));
    return input;
  }

  function clearErrors(slot) {
    Array.prototype.forEach.call(slot.querySelectorAll(".field.has-error"), function (field) {
      field.classList.remove("has-error");
      Array.prototype.forEach.call(field.querySelectorAll(".error"), function (e) { e.remove(); });
      Array.prototype.forEach.call(field.querySelectorAll("[aria-invalid]"), function (input) {
        input.removeAttribute("aria-invalid");
        var kept = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
          return id && !/_error$/.test(id);
        });
        if (kept.length) input.setAttribute("aria-describedby", kept.join(" "));
        else input.removeAttribute("aria-describedby");
      });
    });
  }

  function answerOf(response) {
    return response.json().catch(function () { return {}; });
  }

  // Opens one photo's upload: its Location, or {field errors | message} the server gave.
  function create(form, job) {
    // The server keeps the fields it is opened with: those are the ones remembered, whatever
    // is typed while the photo is sent.
    job.details = detailsOf(job.slot);
    return fetch(form.dataset.tusEndpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: tusHeaders(form, {
        "Upload-Length": String(job.file.size),
        "Upload-Metadata": metadataOf(job.slot, job.file),
      }),
    }).then(function (response) {
      if (response.status === 201) {
        job.url = response.headers.get("Location");
        job.expires = Date.parse(response.headers.get("Upload-Expires") || "") || 0;
        return job;
      }
      var json = (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
      if (!json && (response.status === 503 || response.status === 429)) {
        // The proxy's page, not the app's JSON: nothing was opened.
        return response.text().then(function (html) {
          job.refused = { status: response.status, answer: { message: busyMessage(html) } };
          return job;
        }, function () {
          job.refused = { status: response.status, answer: {} };
          return job;
        });
      }
      return answerOf(response).then(function (answer) {
        job.refused = { status: response.status, answer: answer };
        return job;
      });
    });
  }

  // Opened but not to be sent: the server forgets them now rather than at their expiry, and
  // so does the page. An upload taken up again from an earlier page is kept (`all` false)
  // when only another photo stopped the sending: it goes on at the next try.
  function forget(form, jobs, all) {
    jobs.forEach(function (job) {
      if (!job.url || job.done) return;
      if (!all && job.resumedFrom !== undefined) return;
      unremember(form, job.file);
      fetch(job.url, { method: "DELETE", credentials: "same-origin", headers: tusHeaders(form, {}) })
        .catch(function () {});
    });
  }

  // Puts a refusal next to its field; the ones of no field go in the status line.
  function showRefusal(form, job) {
    var answer = job.refused.answer || {};
    var errors = answer.errors || {};
    var names = Object.keys(errors);
    if (names.length) {
      return names.map(function (name) { return showFieldError(job.slot, name, errors[name][0]); })[0];
    }
    var message = answer.message || form.dataset.failedLabel;
    // Too large (413) or refused once received (a photo the policy refuses): the photo's own,
    // to be chosen again, as the plain form asks; what was typed stays.
    if (job.refused.status === 413 || job.refused.status === 200) {
      var input = fileInputOf(job.slot);
      input.value = "";
      showPreview(input);
      return showFieldError(job.slot, "photo", message);
    }
    form.tusMessage = message;
    return null;
  }

  function percent(jobs) {
    var total = 0;
    var sent = 0;
    jobs.forEach(function (job) { total += job.file.size; sent += job.sent || 0; });
    return total ? Math.floor((sent / total) * 100) : 100;
  }

  function photoLabel(form, index, total) {
    if (total < 2) return "";
    return " (" + form.dataset.photoOfLabel.replace("{n}", index + 1).replace("{total}", total) + ")";
  }

  // Sends one opened photo; resolves once the server says what became of it.
  function sendOne(form, jobs, index) {
    var job = jobs[index];
    var p = parts(form);
    p.photo.textContent = photoLabel(form, index, jobs.length);
    if (job.resumedFrom) {
      var from = Math.floor((job.resumedFrom / job.file.size) * 100);
      p.note.textContent = form.dataset.resumingLabel.replace("{pct}", from + " %");
      var pct = Math.min(percent(jobs), 99);
      if (pct > p.bar.value) showProgress(form, pct);
    }
    return new Promise(function (resolve) {
      var waiting = null;
      var upload = new window.tus.Upload(job.file, {
        uploadUrl: job.url,
        chunkSize: CHUNK_BYTES,
        retryDelays: RETRY_DELAYS,
        headers: { "X-CSRFToken": csrfToken(form) },
        // The page remembers its uploads itself (see remember): tus-js-client's own store
        // keeps only the uploads it creates.
        storeFingerprintForResuming: false,
        onAfterResponse: function (req, res) {
          // Each piece received pushes the server's expiry back: the page's memory follows.
          var expires = Date.parse(res.getHeader("Upload-Expires") || "");
          if (expires && expires !== job.expires) { job.expires = expires; remember(form, job); }
        },
        // A lost connection is the case this is for: never give up on it (see onError).
        onShouldRetry: function (err) {
          var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
          return navigator.onLine !== false && (status === 0 || status >= 500 ||
            status === 409 || status === 423);
        },
        onProgress: function (bytesSent) {
          job.sent = bytesSent;
          var pct = Math.min(percent(jobs), 99);  // 100 % once the server has the photo
          if (pct > p.bar.value) showProgress(form, pct);
        },
        onSuccess: function () {
          if (waiting) window.removeEventListener("online", waiting);
          unremember(form, job.file);
          job.sent = job.file.size;
          outcome(form, job).then(resolve);
        },
        onError: function (err) {
          var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
          if (form.tusCancelled) { resolve(job); return; }
          if (status === 0 || status >= 500 || navigator.onLine === false) {
            // Offline (or the server away): keep the bar, say so, and go on once back.
            p.note.textContent = form.dataset.offlineLabel;
            waiting = function () {
              window.removeEventListener("online", waiting);
              waiting = null;
              if (form.tusCancelled) return;
              p.note.textContent = form.dataset.resumedLabel;
              upload.start();
            };
            if (navigator.onLine === false) window.addEventListener("online", waiting);
            else window.setTimeout(waiting, RETRY_DELAYS[RETRY_DELAYS.length - 1]);
            return;
          }
          var body = err.originalResponse ? err.originalResponse.getBody() : "";
          var answer = {};
          try { answer = JSON.parse(body || "{}"); } catch (error) { answer = {}; }
          job.refused = { status: status, answer: answer };
          // Refused, or gone on the server (expired: 404): nothing to take up again.
          unremember(form, job.file);
          resolve(job);
        },
      });
      form.tusCurrent = upload;
      upload.start();
    });
  }

  function later(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  // What the server made of a complete photo: an entry, or why not. Still being checked
  // (the last piece was sent again while the first one's checks ran): ask again shortly.
  function outcome(form, job, attempt) {
    attempt = attempt || 0;
    return fetch(job.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        // A busy server (503 from the proxy, 429) or a gateway error is no verdict on the
        // photo, which may well be saved: ask again after the wait it gives.
        if (response.status >= 500 || response.status === 429) {
          if (attempt >= 60) throw new Error("no answer");
          var wait = parseInt(response.headers.get("Retry-After") || "", 10);
          return later((wait > 0 ? Math.min(wait, 60) : 2) * 1000).then(function () {
            return { state: "retry" };
          });
        }
        return answerOf(response);
      })
      .then(function (answer) {
        if (answer.state === "retry") return outcome(form, job, attempt + 1);
        if (answer.state === "completing" && attempt < 60) {
          return later(1000).then(function () { return outcome(form, job, attempt + 1); });
        }
        if (answer.state === "done") { job.done = true; form.tusNext = answer.next; }
        else job.refused = { status: 200, answer: answer };
        return job;
      })
      .catch(function () {
        job.refused = { status: 0, answer: {} };
        return job;
      });
  }

  // --- Taken up again after a reload ---------------------------------------------------------
  // Each upload's address and what was typed for it wait in localStorage, under the contest
  // and rider (data-resume-scope) and the file's fingerprint, until it ends: received,
  // refused, cancelled, or gone from the server; or until the rider signs out (signout.js).
  // A page cannot reopen a file by itself: the rider picks it again and presses Send, and it
  // goes on from where the server stands. tus-js-client has a
  // store of its own (findPreviousUploads), but it keeps only the uploads it creates, and
  // these are created here, every photo's fields checked before any is sent.

  function memory() {
    try { return window.localStorage || null; } catch (error) { return null; }  // blocked
  }

  // A literal, not a var: enhance() reads it before this part of the file has run.
  function scopeOf(form) { return "coverline.upload:" + (form.dataset.resumeScope || "") + ":"; }

  function fingerprint(file) {
    return [file.name, file.size, file.lastModified, file.type].join("/");
  }

  function read(store, key) {
    try {
      var saved = JSON.parse(store.getItem(key) || "null");
      return saved && typeof saved.url === "string" ? saved : null;
    } catch (error) { return null; }
  }

  function recall(form, file) {
    var store = memory();
    return store ? read(store, scopeOf(form) + fingerprint(file)) : null;
  }

  function remember(form, job) {
    var store = memory();
    if (!store || !job.url) return;
    try {
      store.setItem(scopeOf(form) + fingerprint(job.file), JSON.stringify({
        url: job.url, details: job.details || {}, name: job.file.name, expires: job.expires || 0,
      }));
    } catch (error) { return; }  // full, or private browsing: the upload goes on unremembered
  }

  function unremember(form, file) {
    var store = memory();
    if (!store) return;
    try { store.removeItem(scopeOf(form) + fingerprint(file)); } catch (error) { return; }
  }

  // The uploads remembered for this contest and rider; those past their expiry are dropped.
  function remembered(form) {
    var store = memory();
    if (!store) return [];
    var scope = scopeOf(form);
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(scope) === 0) keys.push(key);
    }
    var found = [];
    keys.forEach(function (key) {
      var saved = read(store, key);
      if (!saved || (saved.expires && saved.expires <= Date.now())) store.removeItem(key);
      else found.push(saved);
    });
    return found;
  }

  // Said when the page opens; gone once the rider sends (what is left is said next time).
  function showRemembered(form) {
    var notice = form.querySelector(".resume-notice");
    if (!notice) return;
    var found = remembered(form);
    notice.hidden = !found.length;
    if (!found.length) return;
    var label = found.length === 1 ? form.dataset.rememberedOneLabel : form.dataset.rememberedLabel;
    notice.querySelector(".resume-what").textContent = label.replace("{n}", found.length);
    var list = notice.querySelector(".resume-files");
    list.textContent = "";
    found.forEach(function (saved) {
      var item = document.createElement("li");
      var title = saved.details && saved.details.title;
      item.textContent = title ? saved.name + " (" + title + ")" : saved.name;
      list.appendChild(item);
    });
  }

  // A photo picked again whose upload is remembered gets what was typed for it back, and the
  // page says Send takes it up again. It does not go by itself: the rider may add other
  // photos first, and Send may be held back during a busy server's wait (Retry-After).
  function resumeRemembered(form) {
    if (!form || form.tusSending || !resumable(form)) return;
    var slots = Array.prototype.filter.call(form.querySelectorAll(".photo-slot"), hasFile);
    var found = slots.filter(function (slot) {
      var saved = recall(form, fileInputOf(slot).files[0]);
      if (!saved) return false;
      Object.keys(saved.details || {}).forEach(function (name) {
        var field = fieldOf(slot, name);
        if (field && !field.value) field.value = saved.details[name];
      });
      return true;
    });
    if (!found.length) return;
    form.querySelector(".picker-status").textContent = form.dataset.resumableLabel;
  }

  function sameDetails(a, b) {
    return DETAILS.every(function (name) { return (a[name] || "") === (b[name] || ""); });
  }

  // Opens one photo's upload: the remembered one if the server still has it (HEAD says from
  // where it goes on) and the fields are still those it was opened with, else a new one.
  function open(form, job) {
    var saved = recall(form, job.file);
    if (!saved) return create(form, job);
    if (!sameDetails(saved.details || {}, detailsOf(job.slot))) {
      // Changed since: the server holds the old fields, so that upload goes.
      forget(form, [{ url: saved.url, file: job.file }], true);
      return create(form, job);
    }
    return fetch(saved.url, {
      method: "HEAD", credentials: "same-origin", headers: tusHeaders(form, {}),
    }).then(function (response) {
      if (response.ok) {
        job.url = saved.url;
        job.details = saved.details || {};
        job.expires = saved.expires;
        job.resumedFrom = Number(response.headers.get("Upload-Offset")) || 0;
        job.sent = job.resumedFrom;
        return job;
      }
      // Expired (404, 410), or no longer this rider's: forgotten, and the photo starts anew.
      if (response.status === 404 || response.status === 410) {
        unremember(form, job.file);
        return create(form, job);
      }
      // Busy (429, the proxy's 503) or away (5xx), or any other answer: no word on the upload,
      // which stays remembered for the next Send (no connection: sendByTus's catch). An answer
      // to HEAD has no body: the page says it in its own words (busyMessage has none to read).
      var busyNow = response.status === 429 || response.status >= 500;
      job.refused = {
        status: response.status, answer: { message: busyNow ? form.dataset.busyLabel : "" },
      };
      return job;
    });
  }

  function sendByTus(form) {
    var slots = Array.prototype.filter.call(form.querySelectorAll(".photo-slot"), hasFile);
    if (!slots.length) return;  // the server says "Choose at least one photo" (htmx)
    var jobs = slots.map(function (slot) { return { slot: slot, file: fileInputOf(slot).files[0] }; });
    slots.forEach(clearErrors);
    form.tusJobs = jobs;
    form.tusSending = true;
    form.tusCancelled = false;
    form.tusMessage = "";
    form.tusNext = "";
    busy(form);
    parts(form).send.disabled = true;
    var notice = form.querySelector(".resume-notice");
    if (notice) notice.hidden = true;

    var opened = jobs.reduce(function (chain, job) {
      return chain.then(function () { return open(form, job); });
    }, Promise.resolve());
    opened.then(function () {
      if (form.tusCancelled) return;
      var refused = jobs.filter(function (job) { return job.refused; });
      if (refused.length) { forget(form, jobs, false); finish(form, jobs); return; }
      jobs.forEach(function (job) { remember(form, job); });
      var chain = Promise.resolve();
      jobs.forEach(function (job, index) {
        chain = chain.then(function () {
          if (form.tusCancelled) return null;
          return sendOne(form, jobs, index);
        });
      });
      chain.then(function () { if (!form.tusCancelled) finish(form, jobs); });
    }).catch(function () {
      // No answer to the opening (offline before a byte was sent): nothing was sent.
      forget(form, jobs, false);
      form.tusSending = false;
      idle(form, form.dataset.failedLabel);
    });
  }

  function finish(form, jobs) {
    form.tusSending = false;
    form.tusCurrent = null;
    var refused = jobs.filter(function (job) { return job.refused; });
    if (!refused.length) {
      showProgress(form, 100);
      window.location.assign(form.tusNext);
      return;
    }
    var first = null;
    refused.forEach(function (job) {
      var input = showRefusal(form, job);
      if (!first && input) first = input;
    });
    // The photos received are entries now: their cards go, the refused ones stay.
    var received = jobs.filter(function (job) { return job.done; });
    received.forEach(function (job) {
      var input = fileInputOf(job.slot);
      input.value = "";
      showPreview(input);
      var fields = job.slot.querySelectorAll("input[type=text], textarea, select, .stop-id");
      for (var i = 0; i < fields.length; i++) fields[i].value = "";
      showSlot(job.slot, false);
    });
    refreshPicker(form);
    idle(form, form.tusMessage || (received.length ? form.dataset.partialLabel : ""));
    if (first) first.focus();
  }

  function cancelTus(form) {
    form.tusCancelled = true;
    form.tusSending = false;
    if (form.tusCurrent) form.tusCurrent.abort(false);
    form.tusCurrent = null;
    forget(form, form.tusJobs || [], true);
    idle(form, form.tusNext ? form.dataset.cancelledKeptLabel : form.dataset.cancelledLabel);
  }
})();
