/* Observation chart of a datastream page (uPlot): reads the datastream's observations in JSON over the chosen
   phenomenon-time range (following `next` links up to MAX_POINTS), one series per numeric result member and
   sampling feature. Drag across the chart to zoom in; the buttons move or widen the range. "Live" follows the
   datastream over its WebSocket (`/datastreams/{id}/observations`, JSON frames of one observation each): the range
   slides to keep the newest observation in view. */
(function () {
  "use strict";
  var MAX_POINTS = 20000;
  var PAGE = 1000;
  var COLORS = ["#1d4e89", "#c4452c", "#2e8540", "#8e44ad", "#d98c00", "#00838f", "#6d4c41", "#c2185b"];
  var holder = document.getElementById("page-data");
  var el = document.getElementById("chart");
  if (!holder || !el || typeof uPlot === "undefined") return;
  var cfg = JSON.parse(holder.textContent).chart;
  if (!cfg) return;
  var form = document.getElementById("chart-range");
  var status = document.getElementById("chart-status");
  var startInput = document.getElementById("range-start");
  var endInput = document.getElementById("range-end");
  var plot = null;
  var range = extent();
  var generation = 0;
  var shown = [];  // the observations drawn (live ones appended)
  var socket = null;
  var redraw = null;
  var liveBox = document.getElementById("chart-live");

  function extent() {
    var e = cfg.extent;
    if (!e || !e[0]) return null;
    var start = Date.parse(e[0]);
    var end = e[1] === "now" ? Date.now() : Date.parse(e[1]);
    if (end <= start) end = start + 1000;
    return { start: start, end: end };
  }
  function toInput(ms) { return new Date(ms).toISOString().slice(0, 19); }
  function fromInput(value) { return value ? Date.parse(value + "Z") : NaN; }
  function say(text, state) { status.textContent = text; el.dataset.state = state; }
  function member(result, path) {
    if (path === "") return result;
    var value = result;
    path.split(".").forEach(function (key) { value = value == null ? undefined : value[key]; });
    return value;
  }

  function read(url, collected, done) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("the server answered " + r.status);
      return r.json();
    }).then(function (page) {
      var items = page.items || [];
      Array.prototype.push.apply(collected, items);
      var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
      if (next && collected.length < MAX_POINTS) return read(next.href, collected, done);
      return done(collected, Boolean(next));
    });
  }

  function columns(items) {
    var keys = [], labels = {}, points = {};
    items.forEach(function (o) {
      var t = Date.parse(o.phenomenonTime) / 1000;
      if (isNaN(t) || o.result === undefined) return;
      var foi = o["samplingFeature@id"] || "";
      cfg.series.forEach(function (s) {
        var v = member(o.result, s.path);
        if (typeof v !== "number") return;
        var key = s.path + "|" + foi;
        if (!points[key]) {
          points[key] = {};
          keys.push(key);
          var place = foi ? (cfg.features || {})[foi] || foi : "";
          labels[key] = s.label + (place ? " — " + place : "") + (s.uom ? " [" + s.uom + "]" : "");
        }
        points[key][t] = v;
      });
    });
    var times = {};
    keys.forEach(function (k) { Object.keys(points[k]).forEach(function (t) { times[t] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs].concat(keys.map(function (k) {
      return xs.map(function (t) { return points[k][t] === undefined ? null : points[k][t]; });
    }));
    return { data: data, labels: keys.map(function (k) { return labels[k]; }) };
  }

  function draw(cols) {
    var units = cfg.series.map(function (s) { return s.uom; }).filter(Boolean);
    var sparse = cols.data[0].length < 200;
    var opts = {
      width: Math.max(320, el.clientWidth), height: 320,
      scales: { x: { time: true, min: range.start / 1000, max: range.end / 1000 } },
      cursor: { drag: { x: true, y: false, setScale: false } },
      axes: [{}, { label: units.filter(function (u, i) { return units.indexOf(u) === i; }).join(", ") }],
      series: [{}].concat(cols.labels.map(function (label, i) {
        return { label: label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: sparse } };
      })),
      hooks: { setSelect: [function (u) {
        if (u.select.width < 5) return;
        var a = u.posToVal(u.select.left, "x") * 1000, b = u.posToVal(u.select.left + u.select.width, "x") * 1000;
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        show(a, b);
      }] }
    };
    if (plot) plot.destroy();
    el.textContent = "";
    plot = new uPlot(opts, cols.data, el);
  }

  function load() {
    var mine = ++generation;
    startInput.value = toInput(range.start);
    endInput.value = toInput(range.end);
    var url = new URL(cfg.observations, window.location.href);
    url.searchParams.set("phenomenonTime", new Date(range.start).toISOString() + "/" + new Date(range.end).toISOString());
    url.searchParams.set("limit", String(PAGE));
    say("Loading observations…", "loading");
    read(url.href, [], function (items, more) {
      if (mine !== generation) return;
      shown = items;
      var cols = columns(items);
      el.dataset.points = String(cols.data[0].length);
      if (!cols.labels.length) {
        if (plot) { plot.destroy(); plot = null; }
        el.textContent = "";
        say(items.length ? "These observations have no numeric result to plot; the observations list shows them."
                         : "No observation in this time range.", "empty");
        return;
      }
      draw(cols);
      if (window.performance && performance.mark) performance.mark("bridge:chart");
      say(items.length + " observations" + (more ? " (the first " + items.length + "; zoom in for the rest)" : "") +
          ", " + new Date(range.start).toISOString() + " to " + new Date(range.end).toISOString() + ".", "ready");
    }).catch(function (err) {
      if (mine === generation) say("The observations could not be read: " + err.message, "error");
    });
  }

  function show(start, end) {
    if (!(end > start)) return;
    range = { start: start, end: end };
    load();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var a = fromInput(startInput.value), b = fromInput(endInput.value);
    if (isNaN(a) || isNaN(b) || b <= a) { say("Give a start before the end.", "invalid"); return; }
    show(a, b);
  });
  form.addEventListener("click", function (e) {
    var action = e.target && e.target.dataset ? e.target.dataset.action : null;
    if (!action || !range) return;
    var width = range.end - range.start;
    if (action === "left") show(range.start - width / 2, range.end - width / 2);
    if (action === "right") show(range.start + width / 2, range.end + width / 2);
    if (action === "out") show(range.start - width / 2, range.end + width / 2);
    if (action === "all" && extent()) { range = extent(); load(); }
  });
  function plotShown() {
    redraw = null;
    startInput.value = toInput(range.start);
    endInput.value = toInput(range.end);
    var cols = columns(shown);
    el.dataset.points = String(cols.data[0].length);
    if (!cols.labels.length) return;
    draw(cols);
    say(shown.length + " observations, following live (newest " + new Date(range.end).toISOString() + ").", "live");
  }
  function arrived(o) {
    var t = Date.parse(o.phenomenonTime);
    if (isNaN(t)) return;
    shown.push(o);
    if (shown.length > MAX_POINTS) shown.splice(0, shown.length - MAX_POINTS);
    if (!range) range = { start: t - 60000, end: t };
    if (t > range.end) { var width = range.end - range.start; range = { start: t - width, end: t }; }
    if (!redraw) redraw = setTimeout(plotShown, 250);  // at most four redraws a second
  }
  function follow(on) {
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    if (!on) return;
    var url = new URL(cfg.observations, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.search = "?f=application/json";
    socket = new WebSocket(url.href);
    socket.onopen = function () { say("Following live: new observations are added as they are stored.", "live"); };
    socket.onmessage = function (e) { try { arrived(JSON.parse(e.data)); } catch (err) { /* not one observation */ } };
    socket.onclose = function (e) {
      socket = null;
      liveBox.checked = false;
      say("Live updates stopped (" + (e.reason || "connection closed, code " + e.code) + ").", "error");
    };
  }
  if (liveBox) liveBox.addEventListener("change", function () { follow(liveBox.checked); });

  window.addEventListener("resize", function () {
    if (plot) plot.setSize({ width: Math.max(320, el.clientWidth), height: 320 });
  });

  if (!range) {
    say("This datastream has no observations yet.", "empty");
    return;
  }
  if (!cfg.series.length) {
    say("The result of this datastream has no numeric member to plot; the observations list shows them.", "empty");
    return;
  }
  load();
})();
