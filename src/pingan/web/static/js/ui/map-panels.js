// The staff UI's maps: the warning queue's people at risk, the desk queue's requests, and the small map in
// a task's detail. Locations come from the server already masked to what the role may see.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { DESK_CATEGORIES, LEVEL_ORDER, levelName } from '../labels.js';
import { LEVEL_COLOURS, countyMap } from './map.js';

const BASE_TTL_MS = 5 * 60 * 1000;
const REFRESH_MS = 15000;
const DESK_COLOURS = { consultation: '#1d4f91', fraud: '#b3261e', hazard: '#e8590c', dispute: '#7b3fa0', nuisance: '#2f7d32', emergency: '#d0021b' };
let base = null; // {at, promise}

/** GET /map/config and /map/areas, shared by every map on the page for a few minutes. */
export function mapBase() {
  if (!base || Date.now() - base.at > BASE_TTL_MS) {
    const promise = Promise.all([api.get('/map/config'), api.get('/map/areas')]).then((both) => ({ config: both[0], areas: both[1] }));
    base = { at: Date.now(), promise };
    promise.catch(() => {
      base = null;
    });
  }
  return base.promise;
}

function legend(items) {
  return h(
    'div',
    { class: 'map-legend' },
    items.map((i) => h('span', { class: 'map-legend-item' }, h('span', { class: 'map-swatch', style: { backgroundColor: i.colour } }), i.label)),
  );
}

function link(path, text) {
  return h('a', { href: '#' + path }, text);
}

/**
 * A collapsible map above a queue: `fetch()` resolves a FeatureCollection, `points(fc)` turns it into
 * countyMap points, `caption(fc)` says what is shown. Returns {el, button, refresh, destroy}.
 */
function queuePanel({ label, fetch, points, caption, legendItems }) {
  let handle = null;
  let timer = null;
  let seq = 0;
  const mapEl = h('div', { class: 'map-canvas', role: 'region', 'aria-label': label });
  const captionEl = h('div', { class: 'map-caption muted' }, '正在加载地图……');
  const el = h('section', { class: 'map-panel', hidden: true }, mapEl, h('div', { class: 'map-foot' }, captionEl, legend(legendItems)));
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small map-toggle', 'aria-pressed': 'false', onclick: toggle }, '地图');

  async function refresh() {
    if (el.hidden) return;
    const mine = ++seq;
    try {
      const b = await mapBase();
      if (mine !== seq || el.hidden) return;
      if (!handle) handle = countyMap(mapEl, { areas: b.areas, config: b.config });
      const fc = await fetch();
      if (mine !== seq || !handle) return;
      handle.clearPoints();
      handle.addPoints(points(fc));
      replace(captionEl, caption(fc));
      el.dataset.points = String(handle.pointCount());
    } catch (e) {
      if (mine === seq) replace(captionEl, h('span', { class: 'bad' }, '地图加载失败：' + e.message));
    }
  }

  function toggle() {
    el.hidden = !el.hidden;
    button.setAttribute('aria-pressed', String(!el.hidden));
    button.classList.toggle('is-on', !el.hidden);
    clearInterval(timer);
    if (!el.hidden) {
      if (handle) handle.invalidate();
      refresh();
      timer = setInterval(() => {
        if (!document.hidden) refresh();
      }, REFRESH_MS);
    }
  }

  return {
    el,
    button,
    refresh,
    destroy() {
      seq += 1;
      clearInterval(timer);
      if (handle) handle.destroy();
      handle = null;
    },
  };
}

/** The warning queue's map: where the people at risk live (cells of about 1 km), coloured by level. */
export function warningMapPanel(filters) {
  return queuePanel({
    label: '预警对象分布地图',
    fetch: () => {
      const f = filters();
      return api.get('/map/warnings', { status: f.status && f.status !== 'any' ? f.status : undefined, level: f.level || undefined, area_id: f.area_id || undefined });
    },
    points: (fc) =>
      fc.features.map((f) => {
        const p = f.properties;
        const c = f.geometry.coordinates;
        const ids = p.warning_ids || [];
        return {
          lon: c[0],
          lat: c[1],
          colour: LEVEL_COLOURS[p.level],
          radius: Math.min(6 + Math.sqrt(p.warnings) * 3, 22),
          cls: 'map-point map-warning level-' + p.level,
          title: p.warnings + ' 条预警 · 最高' + levelName(p.level),
          lines: [
            h('strong', null, p.warnings + ' 条预警'),
            '最高等级：' + levelName(p.level),
            p.station ? '辖区：' + p.station : null,
            p.exact ? '精确位置（已记录）' : '位置已模糊到约1公里',
            h('span', { class: 'map-links' }, ids.slice(0, 6).map((id) => link('/queue/' + id, '#' + id + ' '))),
          ],
        };
      }),
    caption: (fc) => {
      const n = fc.features.reduce((s, f) => s + f.properties.warnings, 0);
      return '地图上 ' + n + ' 条预警，' + fc.features.length + ' 处' + (fc.unplaced ? '；' + fc.unplaced + ' 条无登记住址未上图' : '') + '。住址已模糊到约1公里。';
    },
    legendItems: LEVEL_ORDER.map((l) => ({ colour: LEVEL_COLOURS[l], label: levelName(l) })),
  });
}

/** The desk queue's map: where the requests were sent from (to about 100 m). */
export function deskMapPanel(query) {
  return queuePanel({
    label: '群众诉求分布地图',
    fetch: () => api.get('/map/desk-requests', query()),
    points: (fc) =>
      fc.features.map((f) => {
        const p = f.properties;
        const c = f.geometry.coordinates;
        return {
          lon: c[0],
          lat: c[1],
          colour: DESK_COLOURS[p.category] || '#1d4f91',
          cls: 'map-point map-request cat-' + p.category,
          title: '#' + p.request_id + ' ' + p.category_name,
          lines: [h('strong', null, '#' + p.request_id + ' ' + p.category_name), p.station ? '辖区：' + p.station : null, link('/desk/' + p.request_id, '打开诉求')],
        };
      }),
    caption: (fc) => '地图上 ' + fc.features.length + ' 条诉求（有定位的）。位置精确到约100米。',
    legendItems: Object.keys(DESK_CATEGORIES).map((k) => ({ colour: DESK_COLOURS[k] || '#1d4f91', label: DESK_CATEGORIES[k].name })),
  });
}

/**
 * The small map of one task's detail: its station outlined, and its place when it has one.
 * `place()` resolves {lon, lat, colour, title, note} or null. Returns {el, destroy}.
 */
export function placeMap({ stationId, place, label }) {
  let handle = null;
  let gone = false;
  const mapEl = h('div', { class: 'map-canvas map-small', role: 'region', 'aria-label': label || '位置地图' });
  const note = h('div', { class: 'map-caption muted' });
  const el = h('div', { class: 'map-detail' }, mapEl, note);
  Promise.all([mapBase(), place ? place() : Promise.resolve(null)])
    .then(([b, p]) => {
      if (gone) return;
      handle = countyMap(mapEl, { areas: b.areas, config: b.config, focusStation: stationId, labels: true });
      if (p) {
        handle.addPoints([{ lon: p.lon, lat: p.lat, colour: p.colour, radius: 8, title: p.title, cls: 'map-point map-here' }]);
        handle.view(p.lon, p.lat, Math.max(handle.map.getZoom(), 12));
      }
      replace(note, p ? p.note : '没有定位信息，显示所属辖区');
      el.dataset.ready = 'true';
    })
    .catch((e) => {
      if (!gone) replace(note, h('span', { class: 'bad' }, '地图加载失败：' + e.message));
    });
  return {
    el,
    destroy() {
      gone = true;
      if (handle) handle.destroy();
    },
  };
}
