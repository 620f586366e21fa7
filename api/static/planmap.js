/* The planner's map (/map/frame): layers that fetch what is in view.
 *
 * The page holds an empty Leaflet map and window.memorialsPlannerConfig
 * (maps/planner.py). This script adds the base maps and the layers, and on
 * every move asks the server for the viewport, snapped outward to the tile
 * grid so that small pans ask for the same URL (answered 304 from the
 * browser's cache until the registry changes). Text from the registry is
 * put in with textContent only. Base maps drawn in GCJ-02 (Gaode) get every
 * point and shape shifted with the public WGS84 -> GCJ-02 formula.
 */
(function () {
    'use strict';
    var cfg = window.memorialsPlannerConfig;
    var state = {map: null, layers: {}, data: {}, requests: [], pending: 0, ready: false, crs: 'wgs84'};
    window.memorialsPlanner = state;

    // WGS84 -> GCJ-02 (the same formula as gis.coords.wgs84_to_gcj02) ------------------------------
    var A = 6378245.0, EE = 0.00669342162296594323;
    function outOfChina(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
    function tLat(x, y) {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
        r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
        r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
        return r;
    }
    function tLon(x, y) {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
        r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
        r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
        return r;
    }
    function wgsToGcj(lon, lat) {
        if (outOfChina(lon, lat)) return [lon, lat];
        var dLat = tLat(lon - 105.0, lat - 35.0), dLon = tLon(lon - 105.0, lat - 35.0);
        var radLat = lat / 180.0 * Math.PI, magic = Math.sin(radLat);
        magic = 1 - EE * magic * magic;
        var sqrtMagic = Math.sqrt(magic);
        dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
        dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
        return [lon + dLon, lat + dLat];
    }
    // A display position (Leaflet LatLng) for a WGS84 longitude and latitude.
    function display(lon, lat) {
        if (state.crs === 'gcj02') { var g = wgsToGcj(lon, lat); return L.latLng(g[1], g[0]); }
        return L.latLng(lat, lon);
    }
    function toWgs(latlng) {  // one step back: metres off, well inside the snapped margin
        if (state.crs !== 'gcj02') return [latlng.lng, latlng.lat];
        var g = wgsToGcj(latlng.lng, latlng.lat);
        return [2 * latlng.lng - g[0], 2 * latlng.lat - g[1]];
    }
    state.display = display;
    state.wgsToGcj = wgsToGcj;

    function el(tag, text, cls) {
        var e = document.createElement(tag);
        if (text !== undefined && text !== null) e.textContent = text;
        if (cls) e.className = cls;
        return e;
    }

    // The viewport as a WGS84 bbox, snapped outward to the tile grid of this zoom.
    function viewBox() {
        var map = state.map, b = map.getBounds(), z = map.getZoom();
        var sw = toWgs(b.getSouthWest()), ne = toWgs(b.getNorthEast());
        var step = 360 / Math.pow(2, z);
        function down(v) { return Math.floor(v / step) * step; }
        function up(v) { return Math.ceil(v / step) * step; }
        var box = [Math.max(-180, down(sw[0])), Math.max(-90, down(sw[1])), Math.min(180, up(ne[0])),
                   Math.min(90, up(ne[1]))];
        return box.map(function (v) { return Math.round(v * 1e6) / 1e6; }).join(',');
    }

    // One request per URL at a time, shared by the layers that need it (kinds and grades).
    var inflight = {};
    function fetchJson(url, params, key) {
        var query = new URLSearchParams(params).toString();
        var full = url + (query ? '?' + query : '');
        var known = state.data[key];
        if (known && known.url === full) return known.promise;
        var promise = inflight[full];
        if (!promise) {
            state.requests.push(full);
            state.pending += 1;
            document.documentElement.dataset.mapPending = String(state.pending);
            promise = fetch(full, {credentials: 'same-origin'})
                .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
                .catch(function (e) { console.warn(full, e.message); return null; })
                .finally(function () {
                    delete inflight[full];
                    state.pending -= 1;
                    document.documentElement.dataset.mapPending = String(state.pending);
                });
            inflight[full] = promise;
        }
        state.data[key] = {url: full, promise: promise};
        return promise.then(function (json) {
            // A later move asked for another box meanwhile: this answer is stale.
            return state.data[key] && state.data[key].url === full ? json : undefined;
        });
    }

    // Facilities: cells with counts, single facilities as circles ------------------------------------
    function kindColour(p) { return cfg.kindColours[p.kind] || '#616161'; }
    function gradeColour(p) { return cfg.gradeColours[p.grade || 'none'] || '#9e9e9e'; }
    var LAYER_COLOURS = {overdue: '#b91c1c', defects: '#7c3aed'};

    function popup(p) {
        var box = el('div', null, 'facility-popup');
        var link = document.createElement('a');
        link.href = cfg.urls.facility.replace('{id}', p.id);
        link.appendChild(el('b', p.name));
        box.appendChild(link);
        var status = p.status && p.status !== 'in_use' ? ' · ' + (cfg.statuses[p.status] || p.status) : '';
        box.appendChild(el('div', (cfg.kinds[p.kind] || p.kind) + ' · ' + (cfg.levels[p.level] || p.level) + status));
        if (p.defects) box.appendChild(el('div', '未整改隐患 ' + p.defects + ' 处', 'overdue'));
        var patrol = el('div', '正在读取巡查情况…', 'patrol');
        var buried = el('div', null, 'buried');
        box.appendChild(patrol);
        box.appendChild(buried);
        fetch(cfg.urls.popup.replace('{id}', p.id), {credentials: 'same-origin'})
            .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
            .then(function (d) {
                patrol.textContent = d.patrol;
                if (d.overdue) patrol.className = 'patrol overdue';
                buried.textContent = d.buried;
                if (d.thumb) {
                    var img = document.createElement('img');
                    img.src = d.thumb;
                    img.alt = '最近一次巡查的照片';
                    img.className = 'patrol-thumb';
                    box.appendChild(img);
                }
            })
            .catch(function () { patrol.textContent = '暂时无法读取巡查情况'; });
        return box;
    }

    function cellIcon(count, colour) {
        var size = Math.round(22 + Math.min(18, Math.log(count) * 2.5));
        var div = el('div', count >= 10000 ? Math.round(count / 1000) + 'k' : String(count), 'planner-cell');
        div.style.width = size + 'px';
        div.style.height = size + 'px';
        div.style.background = colour;
        return L.divIcon({html: div, className: '', iconSize: [size, size]});
    }

    function cellColour(layerKey, props) {
        if (LAYER_COLOURS[layerKey]) return LAYER_COLOURS[layerKey];
        if (layerKey === 'grades') {
            var bad = props.poor / props.count;
            return bad > 0.2 ? cfg.gradeColours.critical : bad > 0.05 ? cfg.gradeColours.poor : cfg.gradeColours.good;
        }
        return 'rgba(183,28,28,0.85)';
    }

    function drawFacilities(layerKey, group, json) {
        // A popup's pan may move the map to a new box: keep that facility's popup open across the redraw.
        var openId = null, reopen = null;
        group.eachLayer(function (l) { if (l.feature && l.isPopupOpen()) openId = l.feature.properties.id; });
        group.clearLayers();
        var map = state.map;
        json.features.forEach(function (f) {
            var p = f.properties, c = f.geometry.coordinates, at = display(c[0], c[1]);
            if (p.count > 1) {
                var m = L.marker(at, {icon: cellIcon(p.count, cellColour(layerKey, p)), keyboard: false});
                m.bindTooltip(el('span', p.count + ' 处设施' + (p.overdue ? '，' + p.overdue + ' 处逾期未巡查' : '')));
                m.on('click', function () { map.setView(at, Math.min(map.getZoom() + 2, map.getMaxZoom())); });
                group.addLayer(m);
                return;
            }
            var colour = layerKey === 'grades' ? gradeColour(p) : LAYER_COLOURS[layerKey] || kindColour(p);
            var marker = L.circleMarker(at, {radius: 7, color: '#fff', weight: 1.5, fillColor: colour, fillOpacity: 0.92});
            marker.feature = f;
            marker.bindPopup(function () { return popup(p); }, {maxWidth: 320});
            marker.bindTooltip(function () { return el('span', p.name); });
            group.addLayer(marker);
            if (p.id === openId) reopen = marker;
        });
        if (reopen) { reopen.getPopup().options.autoPan = false; reopen.openPopup(); }
    }

    // Heat map of scattered graves: our own canvas layer (no plugin) ---------------------------------
    function heatLayer() { return new (L.Layer.extend({
        onAdd: function (map) {
            this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide planner-heat');
            this._canvas.style.pointerEvents = 'none';
            map.getPanes().overlayPane.appendChild(this._canvas);
            map.on('moveend', this._redraw, this);
            this._redraw();
        },
        onRemove: function (map) {
            L.DomUtil.remove(this._canvas);
            map.off('moveend', this._redraw, this);
        },
        setData: function (points) { this._points = points; if (this._map) this._redraw(); },
        _redraw: function () {
            var map = this._map, size = map.getSize(), canvas = this._canvas;
            L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
            canvas.width = size.x;
            canvas.height = size.y;
            var ctx = canvas.getContext('2d'), pts = this._points || [];
            var max = pts.reduce(function (m, p) { return Math.max(m, p[2]); }, 1), r = 22;
            pts.forEach(function (p) {
                var xy = map.latLngToContainerPoint(display(p[0], p[1]));
                var g = ctx.createRadialGradient(xy.x, xy.y, 0, xy.x, xy.y, r);
                var a = Math.min(1, 0.25 + 0.75 * Math.sqrt(p[2] / max));
                g.addColorStop(0, 'rgba(0,0,0,' + a + ')');
                g.addColorStop(1, 'rgba(0,0,0,0)');
                ctx.fillStyle = g;
                ctx.fillRect(xy.x - r, xy.y - r, 2 * r, 2 * r);
            });
            if (!pts.length || !size.x || !size.y) return;
            var img = ctx.getImageData(0, 0, size.x, size.y), d = img.data;
            for (var i = 3; i < d.length; i += 4) {
                var v = d[i] / 255;
                if (!v) continue;
                d[i - 3] = Math.round(255 * Math.min(1, v * 2));
                d[i - 2] = Math.round(255 * Math.min(1, 2 - v * 2) * (v < 0.5 ? v * 2 : 1));
                d[i - 1] = Math.round(255 * Math.max(0, 1 - v * 3));
                d[i] = Math.round(200 * Math.min(1, v * 1.6));
            }
            ctx.putImageData(img, 0, 0);
        }
    }))(); }

    // Shapes: zones, outlines, the compliance choropleth ---------------------------------------------
    function shifted(geometry) {
        function walk(c) {
            if (typeof c[0] === 'number') { var g = display(c[0], c[1]); return [g.lng, g.lat]; }
            return c.map(walk);
        }
        return {type: geometry.type, coordinates: walk(geometry.coordinates)};
    }
    function shapes(json) {
        return {type: 'FeatureCollection', features: json.features.map(function (f) {
            return {type: 'Feature', properties: f.properties, geometry: shifted(f.geometry)};
        })};
    }
    function rateColour(rate) {
        if (rate === null || rate === undefined) return '#bdbdbd';
        return rate >= 0.9 ? '#1a9850' : rate >= 0.7 ? '#91cf60' : rate >= 0.5 ? '#fee08b' : rate >= 0.3 ? '#fc8d59' : '#d73027';
    }
    function percent(rate) { return rate === null || rate === undefined ? '无应巡任务' : Math.round(rate * 100) + '%'; }

    function drawShapes(key, group, json) {
        group.clearLayers();
        var options = {
            zones: {style: {color: '#c2410c', weight: 2, fillColor: '#fb923c', fillOpacity: 0.18, dashArray: '5 4'},
                    tip: function (p) { return p.name + ' 保护范围'; }},
            boundaries: {style: function (f) {
                             var w = {province: 2.5, city: 2, county: 1.6, township: 1.2}[f.properties.level] || 1.2;
                             return {color: '#475569', weight: w, fill: false, dashArray: f.properties.level === 'township' ? '4 3' : null};
                         },
                         tip: null},
            compliance: {style: function (f) {
                             return {color: '#334155', weight: 1, fillColor: rateColour(f.properties.rate), fillOpacity: 0.6};
                         },
                         tip: function (p) {
                             return p.name + '：巡查完成率 ' + percent(p.rate) + '（应巡 ' + p.due + '，已巡 ' + p.done + '）';
                         }}
        }[key];
        var layer = L.geoJSON(shapes(json), {
            style: options.style,
            interactive: !!options.tip,
            onEachFeature: function (f, l) {
                l.feature = f;
                if (options.tip) l.bindTooltip(el('span', options.tip(f.properties)), {sticky: true});
            }
        });
        group.addLayer(layer);
    }

    // Layers, what each fetches, and the control -------------------------------------------------------
    var overlays = [
        {key: 'kinds', label: '纪念设施（按类型）', on: true, kind: 'facilities', layer: 'facilities'},
        {key: 'grades', label: '纪念设施（按最近巡查等级）', kind: 'facilities', layer: 'facilities'},
        {key: 'overdue', label: '逾期未巡查', kind: 'facilities', layer: 'overdue'},
        {key: 'defects', label: '未整改隐患', kind: 'facilities', layer: 'defects'},
        {key: 'zones', label: '保护范围', kind: 'shapes', url: 'zones'},
        {key: 'boundaries', label: '行政区划边界', on: true, kind: 'shapes', url: 'boundaries'},
        {key: 'compliance', label: '巡查完成率（分区着色）', kind: 'shapes', url: 'compliance', fixed: true},
        {key: 'heat', label: '零散烈士墓热力图', kind: 'heat', layer: 'heat'}
    ];

    function refresh(def) {
        var map = state.map, group = state.layers[def.key];
        if (!map.hasLayer(group)) return Promise.resolve();
        var zoom = map.getZoom(), params, url;
        if (def.kind === 'shapes') {
            url = cfg.urls[def.url];
            params = def.fixed ? (cfg.division ? {division: cfg.division} : {}) : {bbox: viewBox(), zoom: zoom};
            if (def.key === 'zones' && zoom < cfg.zonesFromZoom) { group.clearLayers(); return Promise.resolve(); }
        } else {
            url = cfg.urls.data;
            params = Object.assign({}, cfg.filters, {layer: def.layer, bbox: viewBox(), zoom: zoom});
        }
        return fetchJson(url, params, def.key).then(function (json) {
            var entry = state.data[def.key];
            if (!json || !entry || entry.drawn === entry.url || !map.hasLayer(group)) return;
            entry.drawn = entry.url;
            if (def.kind === 'facilities') drawFacilities(def.key, group, json);
            else if (def.kind === 'heat') group.setData(json.features.map(function (f) {
                return [f.geometry.coordinates[0], f.geometry.coordinates[1], f.properties.count];
            }));
            else drawShapes(def.key, group, json);
            group.fire('memorials:drawn');
        });
    }
    function redrawAll(force) {
        if (force) Object.keys(state.data).forEach(function (k) { delete state.data[k]; });
        return Promise.all(overlays.map(refresh));
    }

    function legend() {
        var control = L.control({position: 'bottomright'});
        control.onAdd = function () {
            var div = el('div', null, 'planner-legend');
            div.id = 'map-legend';
            control.update = function () {
                div.textContent = '';
                function rows(title, entries, square) {
                    div.appendChild(el('b', title));
                    entries.forEach(function (e) {
                        var row = el('div'), dot = el('i', null, square ? 'sq' : '');
                        dot.style.background = e[1];
                        row.appendChild(dot);
                        row.appendChild(document.createTextNode(e[0]));
                        div.appendChild(row);
                    });
                }
                var map = state.map;
                if (map.hasLayer(state.layers.grades)) {
                    rows('最近巡查等级', Object.keys(cfg.gradeColours).map(function (g) {
                        return [g === 'none' ? '从未巡查' : cfg.grades[g] || g, cfg.gradeColours[g]];
                    }));
                } else if (map.hasLayer(state.layers.kinds)) {
                    rows('设施类型', Object.keys(cfg.kindColours).map(function (k) { return [cfg.kinds[k] || k, cfg.kindColours[k]]; }));
                }
                if (map.hasLayer(state.layers.compliance)) {
                    rows('巡查完成率（近六个月）', [['≥90%', rateColour(0.95)], ['70–90%', rateColour(0.8)],
                        ['50–70%', rateColour(0.6)], ['30–50%', rateColour(0.4)], ['<30%', rateColour(0.1)],
                        ['无应巡任务', rateColour(null)]], true);
                }
            };
            control.update();
            return div;
        };
        return control;
    }

    // Base maps, and a Chinese note when none can be shown ---------------------------------------------
    function baseLayers(map) {
        var out = {}, first = null;
        cfg.baseMaps.forEach(function (b) {
            var layer;
            if (!b.url) {
                layer = L.layerGroup();
            } else {
                var opts = {attribution: b.attribution, subdomains: b.subdomains, maxZoom: b.maxZoom};
                var tiles = L.tileLayer(b.url, opts);
                var parts = [tiles].concat(b.overlays.map(function (u) { return L.tileLayer(u, opts); }));
                layer = L.layerGroup(parts);
                layer.tiles = tiles;
            }
            layer.base = b;
            out[b.label] = layer;
            if (!first) first = layer;
        });
        return {layers: out, first: first};
    }

    function watchBase(map, note) {
        var timer = null;
        function say(text) { note.textContent = text; note.style.display = text ? 'block' : 'none'; }
        function watch(layer) {
            if (timer) window.clearTimeout(timer);
            var b = layer.base;
            state.crs = b.crs || 'wgs84';
            document.documentElement.dataset.mapCrs = state.crs;
            if (!b.url) {
                say((cfg.baseMaps.length === 1 ? '未配置底图' : '未显示底图') +
                    '：设施和行政区划边界按坐标显示在空白背景上（可在系统设置中配置天地图等底图）。');
                return;
            }
            say('');
            if (map.attributionControl && !map.attributionControl._map) map.attributionControl.addTo(map);
            var loaded = 0, failed = false;
            function fail() {
                if (loaded || failed) return;
                failed = true;
                var name = /[A-Za-z]/.test(b.label) ? '' : '（' + b.label + '）';
                say('底图' + name + '无法加载：本机可能无法访问互联网或底图服务器。设施和行政区划边界仍按坐标显示，位置准确。');
                document.documentElement.dataset.baseMap = 'failed';
                // Nothing of the base map is shown: its attribution would only mislead.
                if (map.attributionControl) map.attributionControl.remove();
                if (!map.hasLayer(state.layers.boundaries)) map.addLayer(state.layers.boundaries);
            }
            layer.tiles.on('tileload', function () { loaded += 1; say(''); document.documentElement.dataset.baseMap = 'loaded'; });
            layer.tiles.on('tileerror', fail);
            timer = window.setTimeout(fail, 8000);
        }
        return watch;
    }

    function start() {
        var map = window[cfg.map];
        state.map = map;
        if (map.attributionControl) map.attributionControl.setPrefix(false);
        L.control.scale({metric: true, imperial: false}).addTo(map);
        var zin = map.getContainer().querySelector('.leaflet-control-zoom-in');
        var zout = map.getContainer().querySelector('.leaflet-control-zoom-out');
        if (zin) { zin.title = '放大'; zin.setAttribute('aria-label', '放大'); }
        if (zout) { zout.title = '缩小'; zout.setAttribute('aria-label', '缩小'); }
        map.on('popupopen', function (e) {
            var close = e.popup.getElement() && e.popup.getElement().querySelector('.leaflet-popup-close-button');
            if (close) { close.setAttribute('aria-label', '关闭'); close.title = '关闭'; }
        });
        var note = el('div');
        note.id = 'basemap-note';
        note.setAttribute('role', 'status');
        map.getContainer().appendChild(note);

        var bases = baseLayers(map), watch = watchBase(map, note);
        var named = {};
        overlays.forEach(function (def) {
            var group = def.kind === 'heat' ? heatLayer() : L.featureGroup();
            state.layers[def.key] = group;
            named[def.label] = group;
        });
        var control = L.control.layers(bases.layers, named, {collapsed: false, position: 'topright'}).addTo(map);
        control.getContainer().id = 'layer-control';
        var toggle = control.getContainer().querySelector('.leaflet-control-layers-toggle');
        if (toggle) { toggle.title = '图层'; toggle.setAttribute('aria-label', '图层'); }
        var key = legend().addTo(map);
        state.legend = key;

        if (cfg.bounds) {
            var sw = display(cfg.bounds[0], cfg.bounds[1]), ne = display(cfg.bounds[2], cfg.bounds[3]);
            if (Math.abs(cfg.bounds[2] - cfg.bounds[0]) < 1e-4 && Math.abs(cfg.bounds[3] - cfg.bounds[1]) < 1e-4) {
                map.setView(sw, 15, {animate: false});
            } else {
                map.fitBounds(L.latLngBounds(sw, ne), {padding: [30, 30], animate: false});
            }
        }
        map.on('baselayerchange', function (e) {
            var before = state.crs;
            watch(e.layer);
            if (state.crs !== before) redrawAll(true);
        });
        map.addLayer(bases.first);
        map.on('overlayadd', function (e) {
            overlays.forEach(function (def) { if (state.layers[def.key] === e.layer) refresh(def); });
            key.update();
        });
        map.on('overlayremove', function (e) {
            overlays.forEach(function (def) { if (state.layers[def.key] === e.layer) delete state.data[def.key]; });
            key.update();
        });
        map.on('moveend', function () { redrawAll(false); });
        overlays.forEach(function (def) { if (def.on) map.addLayer(state.layers[def.key]); });
        key.update();
        redrawAll(false).then(function () {
            state.ready = true;
            document.documentElement.dataset.mapReady = '1';
            if (window.performance && performance.mark) performance.mark('map-ready');
        });
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
})();
