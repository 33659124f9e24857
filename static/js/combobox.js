// Line and stop pickers: the WAI-ARIA 1.2 combobox pattern (editable, list autocomplete).
// https://www.w3.org/WAI/ARIA/apg/patterns/combobox/
// Without JavaScript the form has a select of the lines and a text field for the stop,
// resolved by the server; here the select gives way to a text field, both suggest as the
// rider types (the server folds accents and case), and the stop's id goes in a hidden field.
(function () {
  "use strict";

  var DELAY_MS = 200;  // one request per pause in typing, not per key
  var answers = {};    // url → results: the same question is asked once per page
  var counter = 0;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  function ask(url, callback) {
    if (answers[url]) { callback(answers[url]); return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { answers[url] = data.results || []; callback(answers[url]); })
      .catch(function () { callback([]); });
  }

  function Combobox(input, options) {
    this.input = input;
    this.suggestUrl = options.url;
    this.extraQuery = options.extraQuery || function () { return ""; };
    this.onChoose = options.onChoose;
    this.onType = options.onType || function () {};
    this.onLeave = options.onLeave || function () {};
    this.labels = options.labels;
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.asked = "";

    var id = input.id || "combobox-" + (++counter);
    input.id = id;
    var wrap = document.createElement("div");
    wrap.className = "combobox";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    this.list = document.createElement("ul");
    this.list.id = id + "-list";
    this.list.className = "combobox-list";
    this.list.setAttribute("role", "listbox");
    this.list.hidden = true;
    var label = document.querySelector("label[for='" + id + "']");
    if (label) {
      if (!label.id) label.id = id + "-label";
      this.list.setAttribute("aria-labelledby", label.id);
    }
    wrap.appendChild(this.list);
    this.status = document.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    wrap.appendChild(this.status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);
    input.setAttribute("autocomplete", "off");

    var self = this;
    input.addEventListener("input", function () { self.onType(); self.schedule(); });
    input.addEventListener("keydown", function (event) { self.key(event); });
    input.addEventListener("blur", function () {
      // After a click on an option (its mousedown keeps the focus here).
      self.close();
      self.onLeave();
    });
    // mousedown, not click: the input keeps the focus, so blur does not close the list first.
    this.list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (!option) return;
      event.preventDefault();
      self.choose(Number(option.dataset.index));
    });
  }

  Combobox.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.search(); }, DELAY_MS);
  };

  Combobox.prototype.search = function () {
    var query = this.input.value.trim();
    if (!fold(query)) { this.results = []; this.close(); this.status.textContent = ""; return; }
    var url = this.suggestUrl + "?q=" + encodeURIComponent(query) + this.extraQuery();
    this.asked = url;
    var self = this;
    ask(url, function (results) {
      if (self.asked !== url) return;  // a later question is on its way
      if (document.activeElement !== self.input) return;
      self.show(results);
    });
  };

  Combobox.prototype.show = function (results) {
    this.results = results;
    this.active = -1;
    this.list.textContent = "";
    for (var i = 0; i < results.length; i++) {
      var option = document.createElement("li");
      option.id = this.list.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.index = String(i);
      option.textContent = results[i].label;
      this.list.appendChild(option);
    }
    this.input.removeAttribute("aria-activedescendant");
    var open = results.length > 0;
    this.list.hidden = !open;
    this.input.setAttribute("aria-expanded", open ? "true" : "false");
    var n = results.length;
    this.status.textContent = n === 0 ? this.labels.none
      : n === 1 ? this.labels.one : this.labels.many.replace("{n}", String(n));
  };

  Combobox.prototype.isOpen = function () { return !this.list.hidden; };

  Combobox.prototype.close = function () {
    clearTimeout(this.timer);
    this.asked = "";
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combobox.prototype.move = function (to) {
    var options = this.list.querySelectorAll("[role=option]");
    if (!options.length) return;
    if (this.active >= 0) options[this.active].setAttribute("aria-selected", "false");
    this.active = (to + options.length) % options.length;
    var option = options[this.active];
    option.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.choose = function (index) {
    var result = this.results[index];
    if (!result) return;
    this.input.value = result.label;
    this.close();
    this.status.textContent = "";
    this.onChoose(result);
  };

  Combobox.prototype.key = function (event) {
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!this.isOpen()) {
          if (this.results.length) { this.show(this.results); this.move(0); } else this.search();
        } else this.move(this.active + 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (this.isOpen()) this.move(this.active - 1);
        break;
      case "Enter":
        // Enter picks the highlighted suggestion; it sends the form only when the list is shut.
        if (this.isOpen() && this.active >= 0) { event.preventDefault(); this.choose(this.active); }
        break;
      case "Escape":
        if (this.isOpen()) { event.preventDefault(); this.close(); }
        else if (this.input.value) { event.preventDefault(); this.input.value = ""; this.onType(); }
        break;
      case "Tab":
        this.close();
        break;
      default:
    }
  };

  function labelsOf(box) {
    return {
      one: box.dataset.countOne,
      many: box.dataset.countMany,
      none: box.dataset.countNone,
    };
  }

  // The line: the select stays in the form (it is what is sent), hidden behind a text field.
  function lineCombobox(select, labels) {
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id + "_text";
    input.className = "line-input";
    var chosen = select.options[select.selectedIndex];
    input.value = chosen && chosen.value ? chosen.textContent.trim() : "";
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    select.parentNode.insertBefore(input, select);
    var label = document.querySelector("label[for='" + select.id + "']");
    if (label) label.htmlFor = input.id;
    select.hidden = true;
    select.tabIndex = -1;

    function selectText() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.textContent.trim() : "";
    }
    function pick(value) {
      if (select.value === value) return;
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    new Combobox(input, {
      url: select.dataset.suggest,
      labels: labels,
      onChoose: function (result) { pick(String(result.id)); input.value = selectText(); },
      // Typed but not picked: the line whose number or whole name it is, else the one before.
      onLeave: function () {
        var typed = fold(input.value);
        if (!typed) { pick(""); return; }
        for (var i = 0; i < select.options.length; i++) {
          var option = select.options[i];
          var text = fold(option.textContent);
          if (option.value && (text === typed || text.split(" ")[0] === typed)) {
            pick(option.value);
            break;
          }
        }
        input.value = selectText();
      },
    });
    return select;
  }

  function stopCombobox(input, hidden, lineSelect, labels) {
    new Combobox(input, {
      url: input.dataset.suggest,
      labels: labels,
      // Only the stops of the chosen line, when the feed says which (the server knows).
      extraQuery: function () {
        return lineSelect && lineSelect.value ? "&ligne=" + encodeURIComponent(lineSelect.value) : "";
      },
      onChoose: function (result) { hidden.value = String(result.id); },
      // A name typed by hand is the server's to resolve, not the last stop picked.
      onType: function () { hidden.value = ""; },
    });
  }

  function enhance(root) {
    var boxes = root.querySelectorAll(".place-fields:not([data-enhanced])");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      box.dataset.enhanced = "true";
      var labels = labelsOf(box);
      var select = box.querySelector("select.line-select");
      var stop = box.querySelector("input.stop-input");
      var hidden = box.querySelector("input.stop-id");
      if (select) lineCombobox(select, labels);
      if (stop && hidden) stopCombobox(stop, hidden, select, labels);
    }
  }

  enhance(document);
  // The upload form comes back from the server in place of the old one (errors).
  document.addEventListener("htmx:afterSwap", function () { enhance(document); });
})();
