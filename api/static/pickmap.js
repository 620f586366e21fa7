// A small Leaflet map beside the coordinate fields: a click fills longitude and latitude.
(function () {
  "use strict";
  var box = document.getElementById("pickmap");
  if (!box || !window.L) return;
  var form = box.closest("form");
  var lon = form.querySelector("input[name=longitude]");
  var lat = form.querySelector("input[name=latitude]");
  var crs = form.querySelector("select[name=crs]");
  var note = document.getElementById("pickmap-note");
  var tiles = box.getAttribute("data-tiles");
  var tilesCrs = box.getAttribute("data-tiles-crs") || "wgs84";
  var map = L.map(box, { attributionControl: false, zoomControl: false });
  L.control.zoom({ zoomInTitle: "放大", zoomOutTitle: "缩小" }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  var start = [Number(lat.value), Number(lon.value)];
  var known = isFinite(start[0]) && isFinite(start[1]) && start[0] !== 0;
  map.setView(known ? start : [31.29, 114.62], known ? 14 : 10);
  var marker = known ? L.circleMarker(start, { radius: 7, color: "#9b1c1c" }).addTo(map) : null;
  var base = tilesCrs === "gcj02" ? "GCJ-02" : "WGS84";

  function say(text) { note.textContent = text; }
  if (!tiles) {
    say("未配置底图（显示为空白），仍可在图上点选位置，点选后填入 " + base + " 坐标。");
  } else {
    var loaded = 0, failed = 0;
    var layer = L.tileLayer(tiles, { subdomains: box.getAttribute("data-subdomains") || "abc",
                                     maxZoom: Number(box.getAttribute("data-max-zoom")) || 18 }).addTo(map);
    layer.on("tileload", function () { loaded += 1; });
    layer.on("tileerror", function () {
      failed += 1;
      if (!loaded) say("底图无法加载（可能没有连接互联网），仍可点选位置，或直接输入坐标。");
    });
    say("点击地图即填入 " + base + " 坐标。");
    // No answer at all from the tile server (an intranet without internet) is a failure too.
    window.setTimeout(function () {
      if (!loaded) say("底图无法加载（可能没有连接互联网），仍可点选位置，或直接输入坐标。");
    }, 6000);
  }
  map.on("click", function (e) {
    lon.value = e.latlng.lng.toFixed(6);
    lat.value = e.latlng.lat.toFixed(6);
    if (crs) crs.value = tilesCrs === "gcj02" ? "gcj02" : "wgs84";
    if (marker) marker.setLatLng(e.latlng); else marker = L.circleMarker(e.latlng, { radius: 7, color: "#9b1c1c" }).addTo(map);
  });
})();
