/* The map on the report form (templates/problems/report.html): an optional point.
 *
 * Progressive enhancement: without JavaScript the map stays hidden and the form works without
 * it. Tapping or clicking the map (or Enter on the focused map: the point goes in the middle)
 * fills in the hidden latitude and longitude inputs, with 6 decimals, and shows a marker.
 * Leaflet comes from static/vendor/leaflet; the tiles come from MAP_TILE_URL (a setting).
 */
(function () {
  "use strict";

  // The Netherlands, as problems/forms.py (NL_LATITUDE, NL_LONGITUDE) accepts it.
  var SOUTH = 50.7, NORTH = 53.7, WEST = 3.2, EAST = 7.3;

  function inNetherlands(lat, lng) {
    return lat >= SOUTH && lat <= NORTH && lng >= WEST && lng <= EAST;
  }

  function escapeHtml(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function start() {
    var field = document.getElementById("report-map-field");
    var latInput = document.getElementById("id_latitude");
    var lngInput = document.getElementById("id_longitude");
    if (!field || !latInput || !lngInput || typeof window.L === "undefined") {
      return;
    }
    var L = window.L;
    var data = field.dataset;
    var status = document.getElementById("report-map-status");
    var clear = document.getElementById("report-map-clear");
    var element = document.getElementById("report-map");

    field.hidden = false;
    var center = data.center.split(",").map(Number);
    var map = L.map(element, {
      center: center,
      zoom: Number(data.zoom),
      minZoom: 6,
      maxZoom: 19,
      zoomControl: false,
      keyboard: true,
      maxBounds: L.latLngBounds([SOUTH - 1, WEST - 2], [NORTH + 1, EAST + 2])
    });
    L.control.zoom({
      zoomInTitle: data.zoomIn,
      zoomOutTitle: data.zoomOut
    }).addTo(map);
    L.tileLayer(data.tileUrl, {
      maxZoom: 19,
      attribution: escapeHtml(data.attribution || "")
    }).addTo(map);
    var icon = L.icon({
      iconUrl: data.iconUrl,
      iconRetinaUrl: data.iconRetinaUrl,
      shadowUrl: data.shadowUrl,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      shadowSize: [41, 41]
    });
    var marker = null;

    function say(text) {
      status.textContent = text;
    }

    function show(lat, lng) {
      var point = L.latLng(lat, lng);
      if (marker) {
        marker.setLatLng(point);
      } else {
        marker = L.marker(point, {
          icon: icon,
          alt: data.marker,
          interactive: false,
          keyboard: false
        }).addTo(map);
      }
    }

    function choose(latlng) {
      var lat = Number(latlng.lat.toFixed(6));
      var lng = Number(latlng.lng.toFixed(6));
      if (!inNetherlands(lat, lng)) {
        say(data.outside);
        return;
      }
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      show(lat, lng);
      say(data.chosen);
    }

    map.on("click", function (event) {
      choose(event.latlng);
    });
    element.addEventListener("keydown", function (event) {
      // Only on the map itself, not on its zoom buttons or attribution links.
      if (event.target === element && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        choose(map.getCenter());
      }
    });
    clear.addEventListener("click", function () {
      latInput.value = "";
      lngInput.value = "";
      if (marker) {
        map.removeLayer(marker);
        marker = null;
      }
      say(data.cleared);
    });

    // The form came back (with errors elsewhere): show the point that was chosen.
    var lat = parseFloat(latInput.value);
    var lng = parseFloat(lngInput.value);
    if (latInput.value && lngInput.value && inNetherlands(lat, lng)) {
      show(lat, lng);
      map.setView([lat, lng], Number(data.pointZoom));
      say(data.chosen);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
