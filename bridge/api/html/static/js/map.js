/* Map of the page's geometries (Leaflet). No tile server unless the bridge was configured with a base map:
   the land outline shipped with the bridge (Natural Earth 1:110m) is drawn instead. */
(function () {
  "use strict";
  var holder = document.getElementById("page-data");
  var el = document.getElementById("map");
  if (!holder || !el || typeof L === "undefined") return;
  var data = JSON.parse(holder.textContent);
  if (!data.features) return;
  /* Rings crossing the antimeridian (Fiji, Chukotka) are made continuous, so no line crosses the whole map. */
  function unwrap(collection) {
    function ring(coords) {
      for (var i = 1; i < coords.length; i++) {
        while (coords[i][0] - coords[i - 1][0] > 180) coords[i][0] -= 360;
        while (coords[i][0] - coords[i - 1][0] < -180) coords[i][0] += 360;
      }
    }
    collection.features.forEach(function (f) {
      var g = f.geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      polygons.forEach(function (p) { p.forEach(ring); });
    });
    return collection;
  }
  var map = L.map(el, { worldCopyJump: true, attributionControl: Boolean(data.basemap) });
  if (data.basemap) {
    L.tileLayer(data.basemap.url, { attribution: data.basemap.attribution || "" }).addTo(map);
  } else if (typeof topojson !== "undefined") {
    fetch(data.static + "/vendor/world-atlas-2.0.2/land-110m.json")
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (topo) {
        if (!topo) return;
        var land = L.geoJSON(unwrap(topojson.feature(topo, topo.objects.land)), {
          interactive: false, style: { color: "#b9ad94", weight: 1, fillColor: "#f2ecdc", fillOpacity: 1 }
        }).addTo(map);
        land.bringToBack();
        el.dataset.land = "drawn";
        if (window.performance && performance.mark) performance.mark("bridge:land");
      });
  }
  var layer = L.geoJSON(data.features, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 6, color: "#1d4e89", weight: 2, fillColor: "#4f8fd8", fillOpacity: 0.8 });
    },
    style: function () { return { color: "#1d4e89", weight: 2, fillColor: "#4f8fd8", fillOpacity: 0.25 }; },
    onEachFeature: function (feature, lyr) {
      var p = feature.properties || {};
      var box = document.createElement("span");
      if (p.href) {
        var a = document.createElement("a");
        a.href = p.href;
        a.textContent = p.name || p.href;
        box.appendChild(a);
      } else {
        box.textContent = p.name || "";
      }
      lyr.bindPopup(box);
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { maxZoom: 9, padding: [24, 24] });
  } else {
    map.setView([20, 0], 1);
  }
  el.dataset.features = String(layer.getLayers().length);
  if (window.performance && performance.mark) performance.mark("bridge:map");
})();
