/* Command form of a control stream page, built from the stream's command schema (SWE Common JSON). Values are
   checked here against the schema (required members, number intervals, allowed values and tokens, patterns,
   times), then POSTed as {"parameters": …} to the stream's commands, where the server validates them again and
   applies its access rules: the credential typed in the form (an API key or a bearer token) is sent as
   `Authorization: Bearer …`; it is kept in this tab's sessionStorage, never in a cookie, so no other site can
   make the browser use it. */
(function () {
  "use strict";
  var holder = document.getElementById("page-data");
  var form = document.getElementById("command-form");
  if (!holder || !form) return;
  var cfg = JSON.parse(holder.textContent).form;
  if (!cfg) return;
  var fields = document.getElementById("command-fields");
  var result = document.getElementById("command-result");
  var uid = 0;
  var credential = document.getElementById("command-credential");
  var STORED = "csapi-bridge.credential";
  try { if (credential && !credential.value) credential.value = window.sessionStorage.getItem(STORED) || ""; }
  catch (e) { /* storage disabled: the field is simply empty */ }

  /* Headers with the credential of the form, if one is given (remembered for this tab only). */
  function withCredential(headers) {
    var value = credential ? credential.value.trim() : "";
    try {
      if (value) window.sessionStorage.setItem(STORED, value); else window.sessionStorage.removeItem(STORED);
    } catch (e) { /* storage disabled */ }
    if (value) headers.Authorization = "Bearer " + value;
    return headers;
  }

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function title(c) { return c.label || c.name || "value"; }
  function unit(c) { return c.uom ? (c.uom.code || c.uom.symbol || (c.uom.href || "").split("/").pop()) : ""; }
  function constraint(c) { return c.constraint || {}; }

  function inRange(x, rule) {
    var ivs = rule.intervals || [], vals = rule.values || [];
    if (!ivs.length && !vals.length) return true;
    return vals.some(function (v) { return v === x; }) ||
      ivs.some(function (iv) { return x >= Number(iv[0]) && x <= Number(iv[1]); });
  }
  function describe(rule) {
    var parts = (rule.intervals || []).map(function (iv) { return iv[0] + " … " + iv[1]; });
    return parts.concat((rule.values || []).map(String)).join(", ");
  }

  /* One scalar input: a row with its label, input, unit/constraint hint and error line. */
  function row(c, input, hint) {
    var id = "cmd-" + (++uid);
    input.id = id;
    var box = make("div", { "class": "field" });
    box.appendChild(make("label", { "for": id }, title(c) + (c.optional ? " (optional)" : "")));
    box.appendChild(input);
    if (hint) box.appendChild(make("span", { "class": "hint" }, hint));
    var err = make("span", { "class": "error", "aria-live": "polite" });
    box.appendChild(err);
    return { box: box, fail: function (msg) { err.textContent = msg || ""; input.setCustomValidity(msg || ""); } };
  }

  function scalar(c, parent) {
    var rule = constraint(c), type = c.type, input, hint = [unit(c), describe(rule)].filter(Boolean).join(" · ");
    var tokens = rule.values && (type === "Category" || type === "Text");
    if (type === "Boolean" || tokens) {
      input = make("select");
      var options = type === "Boolean" ? ["true", "false"] : rule.values.map(String);
      input.appendChild(make("option", { value: "" }, c.optional ? "—" : "choose…"));
      options.forEach(function (o) { input.appendChild(make("option", { value: o }, o)); });
    } else if (type === "Time") {
      input = make("input", { type: "datetime-local", step: "1" });
      hint = "UTC" + (hint ? " · " + hint : "");
    } else if (type === "Quantity" || type === "Count") {
      input = make("input", { type: "number", step: type === "Count" ? "1" : "any" });
      var ivs = rule.intervals || [];
      if (ivs.length === 1) { input.min = ivs[0][0]; input.max = ivs[0][1]; }
    } else {
      input = make("input", { type: "text" });
      if (rule.pattern) input.pattern = rule.pattern;
    }
    if (c.value !== undefined && c.value !== null) input.value = type === "Time" ? String(c.value).slice(0, 19) : c.value;
    var r = row(c, input, hint);
    parent.appendChild(r.box);
    return {
      read: function () {
        r.fail("");
        var raw = input.value.trim();
        if (raw === "") {
          if (!c.optional) r.fail("A value is required.");
          return { value: undefined, ok: Boolean(c.optional) };
        }
        var value = raw, problem = null;
        if (type === "Boolean") value = raw === "true";
        else if (type === "Quantity" || type === "Count") {
          value = Number(raw);
          if (!isFinite(value)) problem = "Give a number.";
          else if (type === "Count" && !Number.isInteger(value)) problem = "Give a whole number.";
          else if (!inRange(value, rule)) problem = "Allowed: " + describe(rule) + ".";
        } else if (type === "Time") {
          value = raw.length === 16 ? raw + ":00Z" : raw + "Z";
          if (isNaN(Date.parse(value))) problem = "Give a date and time.";
        } else if (rule.values && rule.values.indexOf(raw) < 0) problem = "Allowed: " + describe(rule) + ".";
        else if (rule.pattern && !new RegExp("^(?:" + rule.pattern + ")$").test(raw)) problem = "Must match " + rule.pattern + ".";
        if (problem) { r.fail(problem); return { value: undefined, ok: false }; }
        return { value: value, ok: true };
      }
    };
  }

  function pair(c, parent) {
    var kind = c.type === "TimeRange" ? "Time" : (c.type === "CountRange" ? "Count" : "Quantity");
    var box = make("fieldset");
    box.appendChild(make("legend", {}, title(c) + (c.optional ? " (optional)" : "")));
    parent.appendChild(box);
    var base = { type: kind, uom: c.uom, constraint: c.constraint, optional: c.optional };
    var a = scalar(Object.assign({}, base, { label: "from" }), box), b = scalar(Object.assign({}, base, { label: "to" }), box);
    return {
      read: function () {
        var x = a.read(), y = b.read();
        if (!x.ok || !y.ok) return { value: undefined, ok: false };
        if (x.value === undefined && y.value === undefined) return { value: undefined, ok: Boolean(c.optional) };
        return { value: [x.value, y.value], ok: x.value !== undefined && y.value !== undefined };
      }
    };
  }

  function group(c, parent, members) {
    var box = make("fieldset");
    box.appendChild(make("legend", {}, title(c) + (c.optional ? " (optional: leave empty to omit)" : "")));
    parent.appendChild(box);
    var parts = members.map(function (m) { return { name: m.name, widget: build(m, box) }; });
    return {
      read: function () {
        var value = {}, ok = true, any = false;
        parts.forEach(function (p) {
          var got = p.widget.read();
          ok = ok && got.ok;
          if (got.value !== undefined) { value[p.name] = got.value; any = true; }
        });
        if (!any && c.optional) return { value: undefined, ok: true };
        return { value: value, ok: ok };
      }
    };
  }

  function choice(c, parent) {
    var box = make("fieldset");
    box.appendChild(make("legend", {}, title(c)));
    var select = make("select");
    select.appendChild(make("option", { value: "" }, c.optional ? "— none —" : "choose…"));
    (c.items || []).forEach(function (item) { select.appendChild(make("option", { value: item.name }, title(item))); });
    var r = row({ label: "choice", optional: c.optional }, select, "");
    box.appendChild(r.box);
    var inner = make("div");
    box.appendChild(inner);
    parent.appendChild(box);
    var current = null;
    select.addEventListener("change", function () {
      inner.textContent = "";
      var item = (c.items || []).filter(function (i) { return i.name === select.value; })[0];
      current = item ? { name: item.name, widget: build(item, inner) } : null;
    });
    return {
      read: function () {
        r.fail("");
        if (!current) {
          if (!c.optional) r.fail("Choose one.");
          return { value: undefined, ok: Boolean(c.optional) };
        }
        var got = current.widget.read(), value = {};
        value[current.name] = got.value;
        return { value: value, ok: got.ok && got.value !== undefined };
      }
    };
  }

  function raw(c, parent) {
    var area = make("textarea", { rows: "3", cols: "40" });
    var r = row(c, area, "JSON (" + c.type + ")");
    parent.appendChild(r.box);
    return {
      read: function () {
        r.fail("");
        if (!area.value.trim()) {
          if (!c.optional) r.fail("A value is required.");
          return { value: undefined, ok: Boolean(c.optional) };
        }
        try { return { value: JSON.parse(area.value), ok: true }; }
        catch (e) { r.fail("Not valid JSON."); return { value: undefined, ok: false }; }
      }
    };
  }

  function build(c, parent) {
    if (c.type === "DataRecord") return group(c, parent, c.fields || []);
    if (c.type === "Vector") return group(c, parent, c.coordinates || []);
    if (c.type === "DataChoice") return choice(c, parent);
    if (/Range$/.test(c.type || "")) return pair(c, parent);
    if (["Quantity", "Count", "Boolean", "Category", "Text", "Time"].indexOf(c.type) >= 0) return scalar(c, parent);
    return raw(c, parent);
  }

  function key() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function getJson(url) {
    return fetch(url, { headers: withCredential({ Accept: "application/json" }) })
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  function addRow(command, history, href) {
    var table = document.getElementById("commands-table");
    if (!table || !command) return;
    var body = table.tBodies[0];
    var empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    var tr = make("tr", { "class": "new" });
    var link = make("a", { href: href }, command.id);
    var cells = [link, document.createTextNode(command.issueTime || ""),
      make("span", { "class": "status status-" + String(command.currentStatus).toLowerCase() }, command.currentStatus),
      make("code", {}, JSON.stringify(command.parameters))];
    var list = make("ol", { "class": "history" });
    (history || []).forEach(function (h) {
      var li = make("li");
      li.appendChild(make("span", { "class": "status status-" + String(h.statusCode).toLowerCase() }, h.statusCode));
      li.appendChild(document.createTextNode(" " + h.reportTime + (h.message ? " — " + h.message : "")));
      list.appendChild(li);
    });
    cells.push(list);
    cells.forEach(function (node) { var td = make("td"); td.appendChild(node); tr.appendChild(td); });
    body.insertBefore(tr, body.firstChild);
  }

  function report(text, href, ok) {
    result.textContent = "";
    var p = make("p", { "class": ok ? "ok" : "error" }, text);
    if (href) { p.appendChild(document.createTextNode(" ")); p.appendChild(make("a", { href: href, id: "new-command" }, href)); }
    result.appendChild(p);
    result.dataset.state = ok ? "accepted" : "refused";
  }

  fields.textContent = "";
  var root = build(cfg.schema, fields);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var got = root.read();
    if (!got.ok) {
      report("Some values are missing or not allowed: see the messages next to them. Nothing was sent.", null, false);
      result.dataset.state = "invalid";
      var bad = form.querySelector(":invalid");
      if (bad) bad.focus();
      return;
    }
    var body = JSON.stringify({ parameters: got.value === undefined ? {} : got.value });
    result.dataset.state = "sending";
    fetch(cfg.post, {
      method: "POST",
      headers: withCredential({ "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key() }),
      body: body
    }).then(function (r) {
      if (r.status === 201) {
        var href = r.headers.get("Location");
        report("The server accepted the command:", href, true);
        return getJson(href).then(function (command) {
          var statusLink = command && (command.links || []).filter(function (l) { return l.rel === "status"; })[0];
          return (statusLink ? getJson(statusLink.href) : Promise.resolve(null)).then(function (s) {
            addRow(command, s ? s.items : [], href);
          });
        });
      }
      return r.json().catch(function () { return {}; }).then(function (err) {
        var why = String(err.description || r.statusText).replace(/\.?$/, ".");
        var hint = r.status === 401 ? " Type an API key or token with the command role in the Credential field." : "";
        report("The server refused the command (" + r.status + "): " + why + hint, null, false);
        if (r.status === 401 || r.status === 403) result.dataset.state = "unauthorized";
      });
    }).catch(function (err) { report("The command could not be sent: " + err.message, null, false); });
  });
})();
