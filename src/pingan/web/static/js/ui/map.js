// The county map, offline: Leaflet (vendored) drawing the county's own jurisdictions from GeoJSON, with the
// bureau's own tile server as an optional base layer. Coordinates are WGS84 lon/lat as the server stores
// them; with no tile server the map is the polygons alone (no internet map is ever asked for).
// Shared by the staff UI and the residents' page; it knows no API, its callers hand it the data.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';

export const LEVEL_COLOURS = { critical: '#d0201c', high: '#e5650b', medium: '#e3a800', low: '#5b7086' }; // as styles.css' --critical… variables
const STATION_STYLE = { color: '#1d4f91', weight: 1.5, opacity: 0.9, fillColor: '#f4f1e6', fillOpacity: 0.85 };
const STATION_FOCUS = { color: '#0b3a75', weight: 3, fillColor: '#fff3c4', fillOpacity: 0.9 };

// GCJ-02 (the "Mars" offset Chinese map tiles are drawn in) from WGS84: the same formula as
// pingan.core.geo.wgs84_to_gcj02, which a browser test checks this against. Only the forward direction is
// needed here: a point read off a GCJ-02 map is sent with crs=gcj02 and the server takes it back to WGS84.
const GCJ_A = 6378245.0;
const GCJ_EE = 0.00669342162296594323;

function inChinaBox(lon, lat) {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

export function wgs84ToGcj02(lon, lat) {
  if (!inChinaBox(lon, lat)) return [lon, lat];
  const pi = Math.PI;
  const x = lon - 105.0;
  const y = lat - 35.0;
  const sqrtAbsX = Math.sqrt(Math.abs(x));
  const common = ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
  let tLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrtAbsX + common;
  tLat += ((20.0 * Math.sin(y * pi) + 40.0 * Math.sin((y / 3.0) * pi)) * 2.0) / 3.0;
  tLat += ((160.0 * Math.sin((y / 12.0) * pi) + 320.0 * Math.sin((y * pi) / 30.0)) * 2.0) / 3.0;
  let tLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrtAbsX + common;
  tLon += ((20.0 * Math.sin(x * pi) + 40.0 * Math.sin((x / 3.0) * pi)) * 2.0) / 3.0;
  tLon += ((150.0 * Math.sin((x / 12.0) * pi) + 300.0 * Math.sin((x / 30.0) * pi)) * 2.0) / 3.0;
  const radLat = (lat / 180.0) * pi;
  const magic = 1.0 - GCJ_EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (tLat * 180.0) / (((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrtMagic)) * pi);
  const dLon = (tLon * 180.0) / ((GCJ_A / sqrtMagic) * Math.cos(radLat) * pi);
  return [lon + dLon, lat + dLat];
}

/** A text-only element for a tooltip or popup: Leaflet would parse a string as HTML. */
export function textNode(tag, cls, ...lines) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  lines.filter((l) => l !== null && l !== undefined && l !== '').forEach((line, i) => {
    if (i) el.appendChild(document.createElement('br'));
    if (line instanceof Node) el.appendChild(line);
    else el.appendChild(document.createTextNode(String(line)));
  });
  return el;
}

/**
 * countyMap(el, {areas, config, labels, focusStation, onStation}) → {map, addPoints, clearPoints, addShapes,
 * drawTrack, clearOverlays, fit, invalidate, destroy}
 * `areas` is GET /map/areas (station polygons and station points); `config` GET /map/config.
 */
export function countyMap(el, options) {
  const opts = options || {};
  const config = opts.config || {};
  el.classList.add('pingan-map');
  const map = L.map(el, {
    attributionControl: false, // its default link points to the internet
    zoomControl: true,
    zoomSnap: 0.25,
    maxZoom: config.tile_max_zoom || 18,
    minZoom: 5,
    worldCopyJump: false,
    // No animated zoom or fades: a detail pane's map is often replaced or removed mid-animation, which
    // Leaflet does not survive (its animation frame then reads a removed pane).
    zoomAnimation: false,
    fadeAnimation: false,
    markerZoomAnimation: false,
  });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { maxZoom: config.tile_max_zoom || 18, crossOrigin: false }).addTo(map);
    el.classList.add('has-tiles');
  }
  // Everything is stored in WGS84; a base layer drawn in GCJ-02 gets everything shifted onto it.
  const crs = config.tile_crs === 'gcj02' ? 'gcj02' : 'wgs84';
  const toDisplay = crs === 'gcj02' ? (lon, lat) => wgs84ToGcj02(lon, lat) : (lon, lat) => [lon, lat];
  const latLng = (lon, lat) => {
    const d = toDisplay(lon, lat);
    return L.latLng(d[1], d[0]);
  };
  el.dataset.crs = crs;
  const features = (opts.areas && opts.areas.features) || [];
  const polygons = features.filter((f) => f.properties.kind === 'station');
  const stationPoints = features.filter((f) => f.properties.kind === 'station_point');
  const byId = {};
  const areaLayer = L.geoJSON(
    { type: 'FeatureCollection', features: polygons },
    {
      coordsToLatLng: (c) => latLng(c[0], c[1]),
      style: (f) => (f.properties.id === opts.focusStation ? STATION_FOCUS : STATION_STYLE),
      onEachFeature: (f, layer) => {
        byId[f.properties.id] = layer;
        if (opts.onStation) layer.on('click', (e) => opts.onStation(f.properties, e.latlng));
      },
    },
  ).addTo(map);
  const stationLayer = L.layerGroup().addTo(map);
  stationPoints.forEach((f) => {
    const c = f.geometry.coordinates;
    const marker = L.circleMarker(latLng(c[0], c[1]), { radius: 5, color: '#fff', weight: 1.5, fillColor: '#1d4f91', fillOpacity: 1, className: 'map-station station-' + f.properties.id });
    if (opts.labels !== false) {
      marker.bindTooltip(textNode('span', 'map-label', f.properties.unit || f.properties.name), { permanent: true, direction: 'right', offset: [6, 0], className: 'map-label-box' });
    }
    marker.addTo(stationLayer);
  });
  const overlayLayer = L.layerGroup().addTo(map); // coverage, tracks: between the areas and the points
  const pointLayer = L.layerGroup().addTo(map);

  function fit(target) {
    const layer = target !== undefined && byId[target] ? byId[target] : areaLayer;
    const bounds = layer.getBounds && layer.getBounds();
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else map.setView([29.47, 121.87], 10); // no jurisdictions loaded yet: the demo county's middle
  }
  fit(opts.focusStation);

  // A detail pane that opens beside the map changes its size without a window resize: measure again.
  let observer = null;
  let removed = false;
  if (typeof ResizeObserver !== 'undefined') {
    observer = new ResizeObserver(() => {
      if (!removed && el.isConnected && el.clientWidth) map.invalidateSize({ pan: false });
    });
    observer.observe(el);
  }

  return {
    map,
    L,
    crs,
    latLng,
    stationCount: stationPoints.length,
    /** Centre the map on a WGS84 point. */
    view(lon, lat, zoom) {
      map.setView(latLng(lon, lat), zoom);
    },
    /** Points: [{lon, lat, colour, radius, fillOpacity, title, lines, onClick, cls}] drawn above the polygons. */
    addPoints(points) {
      points.forEach((p) => {
        const marker = L.circleMarker(latLng(p.lon, p.lat), {
          radius: p.radius || 7,
          color: '#fff',
          weight: 1.5,
          fillColor: p.colour || '#1d4f91',
          fillOpacity: p.fillOpacity === undefined ? 0.9 : p.fillOpacity,
          className: p.cls || 'map-point',
        });
        if (p.lines) marker.bindPopup(textNode('div', 'map-popup', ...p.lines), { closeButton: true });
        if (p.title) marker.bindTooltip(textNode('span', null, p.title), { direction: 'top' });
        if (p.onClick) marker.on('click', () => p.onClick(p));
        marker.addTo(pointLayer);
      });
    },
    clearPoints() {
      pointLayer.clearLayers();
    },
    /** Restyle each station polygon: `styleOf(properties)` → a Leaflet path style (or null: the default). */
    paint(styleOf) {
      Object.keys(byId).forEach((id) => {
        const layer = byId[id];
        layer.setStyle(styleOf(layer.feature.properties) || STATION_STYLE);
      });
    },
    /** GeoJSON polygons (base stations' coverage circles…) under the points: `label(props)` names each. */
    addShapes(collection, style, label) {
      const layer = L.geoJSON(collection, {
        coordsToLatLng: (c) => latLng(c[0], c[1]),
        style: () => Object.assign({ color: '#2f7d32', weight: 1, opacity: 0.8, fillColor: '#2f7d32', fillOpacity: 0.12, className: 'map-shape' }, style || {}),
        onEachFeature: (f, l) => {
          if (label) l.bindTooltip(textNode('span', null, ...[].concat(label(f.properties))), { sticky: true });
        },
      });
      layer.addTo(overlayLayer);
      return layer.getLayers().length;
    },
    /**
     * A tag's track (GET /tracking/tags/{tag}/track): the line in time order, a dot per sighting (the
     * first hollow, the last larger), and each impossible jump marked: the leg into it dashed red, its dot
     * red with a ring. Fits the map to it. Returns {sightings, jumps}.
     */
    drawTrack(collection, opts) {
      const o = opts || {};
      const points = ((collection && collection.features) || []).filter((f) => f.geometry.type === 'Point');
      const group = L.featureGroup().addTo(overlayLayer);
      let jumps = 0;
      points.forEach((f, i) => {
        const c = f.geometry.coordinates;
        const here = latLng(c[0], c[1]);
        const p = f.properties;
        if (i > 0) {
          const prev = points[i - 1].geometry.coordinates;
          L.polyline([latLng(prev[0], prev[1]), here], p.jump
            ? { color: '#d0201c', weight: 3, dashArray: '6 6', className: 'map-track-leg map-track-jump-leg' }
            : { color: '#1d4f91', weight: 3, opacity: 0.85, className: 'map-track-leg' }).addTo(group);
        }
        if (p.jump) jumps += 1;
        const last = i === points.length - 1;
        const marker = L.circleMarker(here, {
          radius: last ? 8 : p.jump ? 7 : 5,
          color: p.jump ? '#d0201c' : '#fff',
          weight: p.jump ? 3 : 1.5,
          fillColor: p.jump ? '#fff3c4' : i === 0 ? '#fff' : '#1d4f91',
          fillOpacity: 1,
          className: 'map-track-point' + (p.jump ? ' map-track-jump' : '') + (last ? ' map-track-last' : ''),
        });
        const lines = [o.when ? o.when(p.at) : p.at, p.station_name || p.station];
        if (p.stations && p.stations.length > 1) lines.push('同时侦测：' + p.stations.join('、'));
        if (p.rssi !== null && p.rssi !== undefined) lines.push('信号 ' + p.rssi + ' dBm');
        if (p.jump) lines.push('异常跳变：与上一次侦测的距离超出该类标签的合理速度');
        marker.bindTooltip(textNode('span', null, ...lines), { direction: 'top' });
        marker.addTo(group);
      });
      // The points (stations, alerts) stay clickable above a track drawn after them.
      pointLayer.eachLayer((l) => l.bringToFront && l.bringToFront());
      const bounds = group.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.3), { maxZoom: 15 });
      return { sightings: points.length, jumps };
    },
    clearOverlays() {
      overlayLayer.clearLayers();
    },
    pointCount() {
      return pointLayer.getLayers().length;
    },
    fit,
    /** After the element was hidden or resized: Leaflet measures it again. */
    invalidate() {
      if (!removed) map.invalidateSize({ pan: false });
    },
    destroy() {
      if (removed) return;
      removed = true;
      if (observer) observer.disconnect();
      map.stop();
      map.remove();
    },
  };
}

/**
 * pinPicker(handle, {lon, lat, at, onMove}) — a draggable pin on a countyMap, placed at a WGS84 point (or
 * at `at`, a point of the map itself, such as its centre);
 * onMove({lon, lat, crs}) whenever the pin is dropped (or the map tapped), in the map's own CRS (`crs` says
 * which: send it with the point). Returns {set(lon, lat), get()}.
 */
export function pinPicker(handle, options) {
  const icon = L.divIcon({ className: 'map-pin', html: '', iconSize: [28, 40], iconAnchor: [14, 38] });
  const marker = L.marker(options.at || handle.latLng(options.lon, options.lat), { draggable: true, icon, keyboard: true, title: '拖动以选择位置', alt: '所选位置' }).addTo(handle.map);
  const read = () => {
    const p = marker.getLatLng();
    return { lon: Number(p.lng.toFixed(6)), lat: Number(p.lat.toFixed(6)), crs: handle.crs };
  };
  marker.on('dragend', () => options.onMove(read()));
  handle.map.on('click', (e) => {
    marker.setLatLng(e.latlng);
    options.onMove(read());
  });
  return {
    marker,
    /** Move the pin to a WGS84 point. */
    set(lon, lat) {
      marker.setLatLng(handle.latLng(lon, lat));
    },
    get: read,
  };
}
