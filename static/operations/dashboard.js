/* The operations room: htmx settings fit for a strict Content-Security-Policy, and the map.
 *
 * Loaded after htmx and Leaflet and before the page's DOMContentLoaded, so htmx reads these
 * settings before it starts: no <style> element injected, no eval of attribute code. */
(function () {
  "use strict";

  if (window.htmx) {
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
    window.htmx.config.allowScriptTags = false;
  }

  var COLOURS = {
    not_visited: "#adb5bd",
    clear: "#198754",
    minor: "#ffc107",
    serious: "#fd7e14",
    critical: "#b02a37"
  };
  // Drawn over lesser ones, so a critical station is never hidden under a clear neighbour.
  var ORDER = ["not_visited", "clear", "minor", "serious", "critical"];

  function showMap(element, stations) {
    var map = window.L.map(element, { preferCanvas: true, zoomControl: true });
    var tiles = window.L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 18,
      attribution: element.dataset.tileAttribution || ""
    });
    // Without tiles (no network, a blocked host) the stations stay on the plain background.
    tiles.on("tileerror", function () {
      element.classList.add("ops-tiles-failed");
    });
    if (element.dataset.tileUrl) {
      tiles.addTo(map);
    }
    var label = element.dataset.labelStation || "No.";
    var points = [];
    stations.sort(function (a, b) {
      return ORDER.indexOf(a.status) - ORDER.indexOf(b.status);
    });
    stations.forEach(function (station) {
      var marker = window.L.circleMarker([station.lat, station.lon], {
        radius: 6,
        color: "#343a40",
        weight: 1,
        fillColor: COLOURS[station.status] || COLOURS.not_visited,
        fillOpacity: 0.9
      });
      // Text, not HTML: a station's name comes from data.
      var text = document.createElement("span");
      text.textContent = label + " " + station.number + (station.name ? " — " + station.name : "");
      marker.bindTooltip(text);
      marker.addTo(map);
      points.push([station.lat, station.lon]);
    });
    element.dataset.stationCount = String(points.length);
    if (points.length) {
      map.fitBounds(points, { padding: [20, 20], maxZoom: 14 });
    } else {
      map.setView([0, 0], 2);
    }
  }

  function loadMap() {
    var element = document.getElementById("station-map");
    if (!element || !window.L) {
      return;
    }
    fetch(element.dataset.stationsUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        showMap(element, data.stations);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", loadMap);
  } else {
    loadMap();
  }
})();
