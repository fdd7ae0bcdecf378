// Map of the directory's organisations: Leaflet + markercluster, markers from the map_data JSON.
// Works with no tile server (empty data-tile-url or tiles failing): the markers still show on a plain
// background. Settings and French messages come from data- attributes (no inline script under the CSP).
(function () {
  "use strict";

  function format(template, count) {
    return (template || "").replace("%(count)s", count.toLocaleString("fr-FR"));
  }

  function popupContent(marker, messages) {
    const box = document.createElement("div");
    box.className = "map-popup";
    const title = document.createElement("p");
    title.className = "map-popup-title";
    const link = document.createElement("a");
    link.href = marker.url;
    link.textContent = marker.name;
    title.appendChild(link);
    box.appendChild(title);
    const details = document.createElement("p");
    details.textContent = [marker.kind, marker.commune].filter(Boolean).join(" · ");
    box.appendChild(details);
    if (marker.approx) {
      const note = document.createElement("p");
      note.className = "map-popup-note";
      note.textContent = messages.msgApprox;
      box.appendChild(note);
    }
    return box;
  }

  // Offline background: the department outlines of the page's department map, laid over their real
  // position (the drawing is in Mercator like Leaflet; bounds calibrated server-side).
  function addOutlines(L, map, data) {
    const drawing = document.querySelector("svg.dept-map");
    const bounds = (data.outlineBounds || "").split(",").map(Number);
    if (!drawing || bounds.length !== 4 || bounds.some(isNaN)) { return null; }
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", drawing.getAttribute("viewBox"));
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "map-outlines");
    drawing.querySelectorAll("path").forEach(function (source) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", source.getAttribute("d"));
      svg.appendChild(path);
    });
    return L.svgOverlay(svg, [[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { interactive: false }).addTo(map);
  }

  function init() {
    const container = document.getElementById("carte-acteurs");
    if (!container || typeof window.L === "undefined") { return; }
    const L = window.L;
    const data = container.dataset;
    const status = document.getElementById("map-status");
    const say = function (text) { if (status) { status.textContent = text; } };

    if (data.iconPath) { L.Icon.Default.imagePath = data.iconPath; }
    const map = L.map(container, { zoomControl: false, keyboard: true, minZoom: 3, maxZoom: 18 });
    map.setView([46.6, 2.4], 5);
    L.control.zoom({ zoomInTitle: data.msgZoomIn, zoomOutTitle: data.msgZoomOut }).addTo(map);
    map.attributionControl.setPrefix(
      '<a href="https://leafletjs.com" title="Leaflet, bibliothèque de cartes">Leaflet</a>'
    );

    let outlines = null;
    const goOffline = function () {
      container.classList.add("no-tiles");
      if (!outlines) { outlines = addOutlines(L, map, data); }
    };
    if (data.tileUrl) {
      const tiles = L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 19 });
      let failures = 0;
      let loaded = 0;
      tiles.on("tileerror", function () {
        failures += 1;
        if (failures >= 3 && !loaded) { goOffline(); }
      });
      tiles.on("tileload", function () { loaded += 1; });
      tiles.addTo(map);
    } else {
      goOffline();
    }

    say(data.msgLoading);
    fetch(data.markersUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (payload) {
        const markers = (payload.markers || []).map(function (m) {
          const marker = L.marker([m.lat, m.lon], { title: m.name, alt: m.name, keyboard: true });
          marker.bindPopup(function () { return popupContent(m, data); });
          return marker;
        });
        let finished = false;
        const finish = function () {
          if (finished) { return; }
          finished = true;
          if (markers.length) {
            const bounds = L.latLngBounds(markers.map(function (marker) { return marker.getLatLng(); }));
            map.fitBounds(bounds, { padding: [30, 30], maxZoom: 12, animate: false });
          }
          let message;
          if (!markers.length) { message = data.msgNone; }
          else if (markers.length === 1) { message = data.msgCountOne; }
          else { message = format(data.msgCount, markers.length); }
          if (payload.truncated) { message += " " + format(data.msgTruncated, markers.length); }
          say(message);
          container.dataset.markerCount = String(markers.length);
          container.dataset.state = "ready";
        };
        // Large sets are clustered in chunks so the page stays responsive; finish once all are in.
        const cluster = L.markerClusterGroup({
          chunkedLoading: true,
          showCoverageOnHover: false,
          chunkProgress: function (done, total) {
            if (total === markers.length && done >= total) { finish(); }
          }
        });
        map.addLayer(cluster);
        if (markers.length) { cluster.addLayers(markers); } else { finish(); }
      })
      .catch(function () {
        say(data.msgError);
        container.dataset.state = "error";
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
