// The county map, offline: Leaflet (vendored) drawing the county's own jurisdictions from GeoJSON, with the
// bureau's own tile server as an optional base layer. Coordinates are WGS84 lon/lat as the server stores
// them; with no tile server the map is the polygons alone (no internet map is ever asked for).
// Shared by the staff UI and the residents' page; it knows no API, its callers hand it the data.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';

export const LEVEL_COLOURS = { critical: '#d0201c', high: '#e5650b', medium: '#e3a800', low: '#5b7086' }; // as styles.css' --critical… variables
const STATION_STYLE = { color: '#1d4f91', weight: 1.5, opacity: 0.9, fillColor: '#f4f1e6', fillOpacity: 0.85 };
const STATION_FOCUS = { color: '#0b3a75', weight: 3, fillColor: '#e3ecf8', fillOpacity: 0.9 };

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
 * countyMap(el, {areas, config, labels, focusStation, onStation}) → {map, addPoints, clearPoints, fit, invalidate, destroy}
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
  });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { maxZoom: config.tile_max_zoom || 18, crossOrigin: false }).addTo(map);
    el.classList.add('has-tiles');
  }
  const features = (opts.areas && opts.areas.features) || [];
  const polygons = features.filter((f) => f.properties.kind === 'station');
  const stationPoints = features.filter((f) => f.properties.kind === 'station_point');
  const byId = {};
  const areaLayer = L.geoJSON(
    { type: 'FeatureCollection', features: polygons },
    {
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
    const marker = L.circleMarker([c[1], c[0]], { radius: 5, color: '#fff', weight: 1.5, fillColor: '#1d4f91', fillOpacity: 1, className: 'map-station station-' + f.properties.id });
    if (opts.labels !== false) {
      marker.bindTooltip(textNode('span', 'map-label', f.properties.unit || f.properties.name), { permanent: true, direction: 'right', offset: [6, 0], className: 'map-label-box' });
    }
    marker.addTo(stationLayer);
  });
  const pointLayer = L.layerGroup().addTo(map);

  function fit(target) {
    const layer = target !== undefined && byId[target] ? byId[target] : areaLayer;
    const bounds = layer.getBounds && layer.getBounds();
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else map.setView([29.47, 121.87], 10); // no jurisdictions loaded yet: the demo county's middle
  }
  fit(opts.focusStation);

  return {
    map,
    L,
    stationCount: stationPoints.length,
    /** Points: [{lon, lat, colour, radius, title, lines, onClick, cls}] drawn above the polygons. */
    addPoints(points) {
      points.forEach((p) => {
        const marker = L.circleMarker([p.lat, p.lon], {
          radius: p.radius || 7,
          color: '#fff',
          weight: 1.5,
          fillColor: p.colour || '#1d4f91',
          fillOpacity: 0.9,
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
    pointCount() {
      return pointLayer.getLayers().length;
    },
    fit,
    /** After the element was hidden or resized: Leaflet measures it again. */
    invalidate() {
      map.invalidateSize();
    },
    destroy() {
      map.remove();
    },
  };
}

/**
 * pinPicker(handle, {lon, lat, onMove}) — a draggable pin on a countyMap; onMove({lon, lat}) in WGS84
 * whenever the pin is dropped (or the map tapped). Returns {set(lon, lat), get()}.
 */
export function pinPicker(handle, options) {
  const icon = L.divIcon({ className: 'map-pin', html: '', iconSize: [28, 40], iconAnchor: [14, 38] });
  const marker = L.marker([options.lat, options.lon], { draggable: true, icon, keyboard: true, title: '拖动以选择位置', alt: '所选位置' }).addTo(handle.map);
  const read = () => {
    const p = marker.getLatLng();
    return { lon: Number(p.lng.toFixed(6)), lat: Number(p.lat.toFixed(6)) };
  };
  marker.on('dragend', () => options.onMove(read()));
  handle.map.on('click', (e) => {
    marker.setLatLng(e.latlng);
    options.onMove(read());
  });
  return {
    marker,
    set(lon, lat) {
      marker.setLatLng([lat, lon]);
    },
    get: read,
  };
}
