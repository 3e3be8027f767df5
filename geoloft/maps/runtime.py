"""geoloft's own script and style sheet for map pages.

The script decodes the compact geometry of :mod:`geoloft.maps.prepare`,
draws polygons and markers from data passed as JSON, and wires the controls
(legends shown only while their layer is on, area search, full screen). It
holds no data: every string it puts on the page comes from the JSON arguments,
which hold HTML-escaped text only, or from the page's own escaped HTML (read
back with ``textContent``/``value``, never parsed as HTML).
"""

from __future__ import annotations

from typing import Final

__all__ = ["RUNTIME_CSS", "RUNTIME_JS"]

RUNTIME_JS: Final = r"""
var geoloft = (function () {
  "use strict";
  var Q = 1e5;

  function decode(e) {
    var n = e.d.length / 2, pts = new Array(n), x = 0, y = 0, i, g, p, r;
    for (i = 0; i < n; i++) {
      x += e.d[2 * i]; y += e.d[2 * i + 1];
      pts[i] = [y / Q, x / Q];
    }
    var out = [];
    for (g = 0; g + 1 < e.g.length; g++) {
      var parts = [];
      for (p = e.g[g]; p < e.g[g + 1]; p++) {
        var rings = [];
        for (r = e.p[p]; r < e.p[p + 1]; r++) { rings.push(pts.slice(e.r[r], e.r[r + 1])); }
        parts.push(rings);
      }
      out.push(parts);
    }
    return out;
  }

  function panes(map) {
    var list = [["gl-grid", 402], ["gl-areas", 404], ["gl-zones", 406], ["gl-top", 408]];
    for (var i = 0; i < list.length; i++) { map.createPane(list[i][0]).style.zIndex = list[i][1]; }
  }

  function fill(o, i) {
    var c = o.c[i];
    if (c >= 0) { return o.p[c]; }
    return c === -2 ? o.sup : o.na;
  }

  function tip(geo, o, i) {
    if (!o.label) { return "<strong>" + geo.n[i] + "</strong>"; }
    var value = o.t ? o.t[i] : null;
    if (o.c && o.c[i] === -2) { value = o.supText; } else if (value === null) { value = o.naText; }
    var name = geo.n ? geo.n[i] : "";
    return (name ? "<strong>" + name + "</strong><br>" : "") + o.label + ": " + value;
  }

  function polygons(geo, o) {
    var group = L.featureGroup();
    for (var i = 0; i < geo.g.length; i++) {
      if (!geo.g[i].length) { continue; }  // no polygon to draw (never sent; kept safe)
      var style = L.Util.extend({}, o.style, {pane: o.pane});
      if (o.c) { style.fillColor = fill(o, i); }
      var shape = L.polygon(geo.g[i], style);
      if (o.lab) {
        shape.bindTooltip(geo.n[i], {permanent: true, direction: "center", className: "gl-label"});
      } else if (o.tip) {
        shape.bindTooltip(tip(geo, o, i), {sticky: true});
      }
      if (o.pop) { shape.bindPopup(o.pop[i]); }
      group.addLayer(shape);
    }
    return group;
  }

  function glyph(cat, name) {
    var box = document.createElement("span"), mark = document.createElement("span");
    var sr = document.createElement("span");
    mark.className = "gl-glyph"; mark.style.background = cat.c; mark.style.color = cat.f;
    mark.setAttribute("aria-hidden", "true"); mark.textContent = cat.g;
    sr.className = "gl-sr"; sr.innerHTML = name;  // escaped text (see the module)
    box.appendChild(mark); box.appendChild(sr);
    return box;
  }

  function measures(m, o) {
    var group = (o.cluster && L.markerClusterGroup) ?
      L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40}) : L.featureGroup();
    for (var i = 0; i < m.k.length; i++) {
      var icon = L.divIcon({className: "gl-marker", html: glyph(m.cats[m.k[i]], m.n[i]),
        iconSize: [26, 26], iconAnchor: [13, 13], popupAnchor: [0, -12]});
      var marker = L.marker([m.ll[2 * i] / Q, m.ll[2 * i + 1] / Q], {icon: icon, keyboard: true});
      group.addLayer(marker.bindPopup(m.pop[i]));
    }
    return group;
  }

  // Colours given as data attributes (never as inline style markup, which a strict
  // Content-Security-Policy refuses): set them through the DOM.
  function paint(root) {
    var els = root.querySelectorAll("[data-bg], [data-fg], [data-line]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.hasAttribute("data-bg")) { el.style.background = el.getAttribute("data-bg"); }
      if (el.hasAttribute("data-fg")) { el.style.color = el.getAttribute("data-fg"); }
      if (el.hasAttribute("data-line")) { el.style.borderColor = el.getAttribute("data-line"); }
    }
  }

  // A panel whose heading button folds its body away (aria-expanded says which).
  function foldable(panel, open) {
    var button = panel.querySelector(".gl-toggle"), body = panel.querySelector(".gl-body");
    if (!button || !body) { return; }
    function set(on) {
      button.setAttribute("aria-expanded", String(on));
      body.hidden = !on;
      panel.classList.toggle("gl-open", on);
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    set(open);
  }

  function narrow(map) { return map.getContainer().clientWidth < 600; }

  function control(map, id, position) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var Box = L.Control.extend({
      onAdd: function () {
        el.hidden = false;
        L.DomEvent.disableClickPropagation(el);
        L.DomEvent.disableScrollPropagation(el);
        return el;
      }
    });
    return new Box({position: position}).addTo(map);
  }

  function legends(map, boxId, pairs) {
    var box = document.getElementById(boxId);
    if (!box) { return; }
    paint(box);
    control(map, boxId, "topright");
    foldable(box, !narrow(map));
    function sync() {
      var any = false;
      for (var i = 0; i < pairs.length; i++) {
        var el = document.getElementById(pairs[i][1]);
        if (el) { el.hidden = !map.hasLayer(pairs[i][0]); any = any || !el.hidden; }
      }
      box.hidden = !any;
    }
    map.on("gl-layers", sync);
    sync();
  }

  // The layer panel: basemaps and indicators are each a radio group (one at a time;
  // indicators also "none"), the other layers are check boxes. Inputs name their
  // layer by the key of `layers`.
  function layers(map, id, layers) {
    var panel = document.getElementById(id);
    if (!panel) { return; }
    control(map, id, "topright");
    foldable(panel, false);
    var inputs = panel.querySelectorAll("input[data-layer]");
    function apply() {
      for (var i = 0; i < inputs.length; i++) {
        var key = inputs[i].getAttribute("data-layer"), layer = layers[key];
        if (!layer) { continue; }
        if (inputs[i].checked && !map.hasLayer(layer)) { map.addLayer(layer); }
        else if (!inputs[i].checked && map.hasLayer(layer)) { map.removeLayer(layer); }
      }
      map.fire("gl-layers");
    }
    for (var i = 0; i < inputs.length; i++) {
      var layer = layers[inputs[i].getAttribute("data-layer")];
      inputs[i].checked = !!layer && map.hasLayer(layer);
      inputs[i].addEventListener("change", apply);
    }
    var none = panel.querySelectorAll("input[data-none]");
    for (var j = 0; j < none.length; j++) {
      var group = panel.querySelectorAll("input[name='" + none[j].name + "']:checked");
      none[j].checked = group.length === 0;
      none[j].addEventListener("change", apply);
    }
    map.fire("gl-layers");
  }

  // Permanent labels (intervention area names) that would cover an earlier one are
  // hidden until the reader zooms in far enough for them to fit.
  function declutter(map) {
    function run() {
      var els = map.getContainer().querySelectorAll(".leaflet-tooltip.gl-label"), kept = [];
      var i, j;
      for (i = 0; i < els.length; i++) { els[i].classList.remove("gl-crowded"); }
      for (i = 0; i < els.length; i++) {
        var r = els[i].getBoundingClientRect(), clash = false;
        for (j = 0; j < kept.length && !clash; j++) {
          var k = kept[j];
          clash = r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom;
        }
        if (clash) { els[i].classList.add("gl-crowded"); } else { kept.push(r); }
      }
    }
    map.on("zoomend moveend resize gl-layers", run);
    run();
  }

  // The page drew: hide the message shown while (or if) the map library cannot run.
  function ready(id) {
    var el = document.getElementById(id);
    if (el) { el.hidden = true; }
  }

  function fullscreen(map, id) {
    var button = document.getElementById(id), box = map.getContainer();
    if (!button) { return; }
    if (!box.requestFullscreen) { button.parentNode.removeChild(button); return; }
    control(map, id, "topleft");
    button.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else { box.requestFullscreen(); }
    });
    document.addEventListener("fullscreenchange", function () {
      button.setAttribute("aria-pressed", String(document.fullscreenElement === box));
      map.invalidateSize();
    });
  }

  function search(map, geo, id) {
    var form = document.getElementById(id);
    if (!form) { return; }
    control(map, id, "topleft");
    var input = form.querySelector("input"), list = form.querySelector("datalist");
    var status = form.querySelector("output"), mark = null;
    function find(q) {
      var opts = list.options, j;
      for (j = 0; j < opts.length; j++) {
        if (opts[j].value.toLowerCase() === q) { return opts[j]; }
      }
      for (j = 0; j < opts.length; j++) {
        if (opts[j].value.toLowerCase().indexOf(q) >= 0) { return opts[j]; }
      }
      return null;
    }
    function go(ev) {
      if (ev) { ev.preventDefault(); }
      var q = input.value.trim().toLowerCase();
      if (!q) { return; }
      var hit = find(q);
      if (!hit) {
        status.textContent = form.getAttribute("data-none");
        input.setAttribute("aria-invalid", "true");
        return;
      }
      input.removeAttribute("aria-invalid");
      status.textContent = hit.value;
      if (mark) { map.removeLayer(mark); }
      var shape = geo.g[+hit.getAttribute("data-i")];
      if (!shape || !shape.length) { return; }
      mark = L.polygon(shape, {pane: "gl-top", color: "#000",
        weight: 4, fill: false, interactive: false}).addTo(map);
      map.fitBounds(mark.getBounds(), {maxZoom: 15});
    }
    form.addEventListener("submit", go);
    input.addEventListener("change", go);
  }

  // Fit the map to its data; if the page had no size yet (a lazily loaded or hidden
  // frame), fit again as soon as it gets one.
  function fit(map, bounds) {
    var opts = {padding: [8, 8]}, box = map.getContainer();
    map.fitBounds(bounds, opts);
    if (box.clientWidth > 0 && box.clientHeight > 0) { return; }
    var refit = function () {
      if (box.clientWidth > 0 && box.clientHeight > 0) {
        map.invalidateSize(false);
        map.fitBounds(bounds, opts);
        return true;
      }
      return false;
    };
    if (window.ResizeObserver) {
      var seen = new ResizeObserver(function () { if (refit()) { seen.disconnect(); } });
      seen.observe(box);
    } else {
      window.addEventListener("load", refit);
    }
  }

  return {decode: decode, panes: panes, polygons: polygons, measures: measures,
    legends: legends, layers: layers, fullscreen: fullscreen, search: search, fit: fit,
    ready: ready, paint: paint, declutter: declutter};
})();
"""

RUNTIME_CSS: Final = """
html, body { margin: 0; padding: 0; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, Arial, sans-serif; color: #1a1a1a; background: #fff; }
.gl-skip { position: absolute; left: -10000px; top: 0; z-index: 2000; background: #fff;
  padding: .5rem 1rem; border: 2px solid #000; }
.gl-skip:focus { left: .5rem; }
.gl-header h1 { font-size: 1.15rem; margin: 0; padding: .5rem .75rem; }
.gl-map { position: relative; width: 100%; height: 78vh; min-height: 320px; }
.gl-map:fullscreen { height: 100%; }
.gl-panel { background: #fff; padding: .4rem .6rem; border-radius: 4px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); font-size: .85rem; line-height: 1.3; max-width: 17rem; }
.gl-panel h2 { font-size: .9rem; margin: .1rem 0 .3rem; }
/* Layer panel and legend share the top right corner as one column that never grows
   past the map (above the attribution): they cannot overlap, each scrolls instead. */
.gl-map .leaflet-top.leaflet-right { bottom: 1.6rem; display: flex; flex-direction: column;
  align-items: flex-end; }
.gl-map .leaflet-top.leaflet-right > .leaflet-control { float: none; flex: 0 1 auto;
  min-height: 2.4rem; overflow-y: auto; box-sizing: border-box; }
.gl-map .leaflet-top.leaflet-right > .leaflet-control[hidden] { display: none; }
.gl-map .leaflet-top.leaflet-right > .gl-legends { flex-shrink: 3; }
.gl-toggle { display: block; width: 100%; min-height: 2rem; text-align: left; font: inherit;
  font-weight: 600; background: none; border: 0; padding: .2rem .1rem; cursor: pointer; }
.gl-toggle::after { content: " \\25B8"; }
.gl-toggle[aria-expanded="true"]::after { content: " \\25BE"; }
.gl-layers fieldset { border: 0; margin: .2rem 0 .3rem; padding: 0; }
.gl-layers legend { font-weight: 600; font-size: .8rem; color: #444; padding: 0; }
.gl-layers label { display: flex; align-items: center; gap: .35rem; margin: .1rem 0;
  min-height: 1.5rem; cursor: pointer; }
.gl-nolib { margin: .5rem .75rem; padding: .6rem .8rem; border: 2px solid #b00020;
  background: #fff4f4; }
.gl-legend + .gl-legend { border-top: 1px solid #ddd; margin-top: .4rem; padding-top: .3rem; }
.gl-legend ul { list-style: none; margin: 0; padding: 0; }
.gl-legend li { display: flex; align-items: center; gap: .4rem; margin: .1rem 0; }
.gl-swatch { display: inline-block; width: 1.1rem; height: .9rem; border: 1px solid #555;
  flex: none; }
.gl-line { display: inline-block; width: 1.1rem; height: 0; border-top: 3px solid #000;
  flex: none; }
.gl-note { color: #444; font-size: .75rem; margin: .25rem 0 0; }
.gl-search label { display: block; font-weight: 600; }
.gl-search input { width: 11rem; font-size: .9rem; }
.gl-search output { display: block; font-size: .8rem; min-height: 1em; }
.gl-fullscreen { display: flex; align-items: center; justify-content: center; width: 34px;
  height: 34px; padding: 0; cursor: pointer; color: #333; background: #fff;
  border: 2px solid rgba(0,0,0,.3); border-radius: 4px; }
.gl-marker { background: none; border: none; }
.gl-glyph.gl-glyph-small { width: 18px; height: 18px; font-size: 11px; }
.gl-glyph { display: flex; align-items: center; justify-content: center; width: 24px;
  height: 24px; border-radius: 50%; border: 1px solid #fff; font-size: 14px;
  box-shadow: 0 0 2px #000; }
.gl-label { background: rgba(255,255,255,.85); border: none; box-shadow: none; font-weight: 600;
  padding: 1px 4px; }
.gl-label.gl-crowded { visibility: hidden; }
.gl-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.gl-tables { padding: .5rem .75rem 2rem; }
.gl-tables h2 { font-size: 1.1rem; }
.gl-table { overflow: auto; max-height: 60vh; margin-bottom: 1.2rem; }
.gl-table:focus { outline: 3px solid #0072b2; }
.gl-table table { border-collapse: collapse; font-size: .85rem; }
.gl-table caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.gl-table th, .gl-table td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
.gl-table td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.gl-table thead th { background: #f2f2f2; position: sticky; top: 0; }
:focus-visible { outline: 3px solid #0072b2; outline-offset: 1px; }
@media (max-width: 600px) {
  .gl-panel { max-width: 46vw; font-size: .8rem; }
  .gl-search input { width: 6.5rem; }
}
"""
