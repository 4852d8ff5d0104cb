// 巡防勤务: the patrol zones (片区) and patrol units on the county map; a click on the map draws the "135"
// circles around the point (1, 3 and 5 minutes of a patrol car's travel) and lists the units inside each,
// with those left out and why (no position, a stale one, off duty, on leave, busy); today's roster (勤务)
// and the units with their last position.

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { poll } from '../live.js';
import { countyMap, textNode } from '../ui/map.js';

const KIND_COLOURS = { car: '#1d4f91', motorbike: '#7a3fb0', ebike: '#0f8a6a', foot: '#b26a00' };
const CIRCLE_COLOURS = ['#d0201c', '#e5650b', '#e3a800'];
const ZONE_STYLE = { color: '#0f8a6a', weight: 2, dashArray: '4 3', fillColor: '#0f8a6a', fillOpacity: 0.06 };
const TABS = [
  { value: 'reach', label: '135 圈' },
  { value: 'roster', label: '今日勤务' },
  { value: 'units', label: '巡组' },
];

function tbl(headers, rows, emptyText) {
  if (!rows.length) return h('div', { class: 'empty' }, emptyText);
  return h(
    'div',
    { class: 'table-scroll' },
    h('table', { class: 'tbl patrol-table' }, h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows)),
  );
}

function row(values, props) {
  return h('tr', props || null, values.map((v) => h('td', null, v === null || v === undefined ? '—' : v)));
}

export default {
  id: 'patrol',
  title: '巡防勤务',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    const mapEl = h('div', { class: 'patrol-map' });
    const pane = h('div', { class: 'patrol-pane' });
    let tab = 'reach';
    let handle = null;
    let zoneLayer = null;
    let circleLayer = null;
    let units = [];
    let lastReach = null;
    const tabs = segmented(TABS, tab, (value) => {
      tab = value;
      paint();
    }, '巡防视图');
    replace(
      root,
      h(
        'div',
        { class: 'screen patrol-screen' },
        h('div', { class: 'patrol-main' }, mapEl, h('p', { class: 'muted patrol-hint' }, '点击地图任意位置，查看“135”快速反应圈内的巡组')),
        h('aside', { class: 'patrol-side' }, h('div', { class: 'toolbar' }, tabs), pane),
      ),
    );

    function drawUnits() {
      if (!handle) return;
      handle.clearPoints();
      const inCircle = {};
      if (lastReach) lastReach.units.forEach((u) => (inCircle[u.id] = u.circle));
      handle.addPoints(
        units
          .filter((u) => u.lon !== null && u.lat !== null)
          .map((u) => ({
            lon: u.lon,
            lat: u.lat,
            radius: inCircle[u.id] ? 8 : 6,
            colour: u.on_duty && !u.stale ? KIND_COLOURS[u.kind] || '#1d4f91' : '#9aa5b1',
            cls: 'map-point patrol-unit unit-' + u.code,
            title: u.code + ' ' + u.kind_name + (u.on_duty ? '' : '（' + (u.unavailable_reason || '不在岗') + '）'),
            lines: [u.name, u.kind_name + ' · ' + (u.unit_name || ''), '定位：' + (u.position_at ? fmtDateTime(u.position_at) : '无') + (u.stale ? '（过时）' : ''), u.busy || null],
          })),
      );
    }

    async function loadUnits() {
      const page = await api.get('/command/patrol/units');
      units = page.items;
      drawUnits();
      if (tab === 'units') paint();
    }

    async function reachAt(latlng) {
      const body = { lon: Number(latlng.lng.toFixed(6)), lat: Number(latlng.lat.toFixed(6)), crs: handle.crs };
      try {
        lastReach = await api.get('/command/reach', body);
      } catch (e) {
        ctx.toast(e.message || String(e), 'error');
        return;
      }
      circleLayer.clearLayers();
      const centre = handle.latLng(lastReach.point.lon, lastReach.point.lat);
      lastReach.circles
        .slice()
        .reverse()
        .forEach((c, i, all) => {
          const colour = CIRCLE_COLOURS[all.length - 1 - i] || '#e3a800';
          handle.L.circle(centre, { radius: c.radius_m.car, color: colour, weight: 2, fillColor: colour, fillOpacity: 0.08, className: 'reach-circle reach-circle-' + c.minutes })
            .bindTooltip(textNode('span', null, c.minutes + ' 分钟（巡逻车）'), { sticky: true })
            .addTo(circleLayer);
        });
      handle.L.circleMarker(centre, { radius: 5, color: '#000', weight: 2, fillColor: '#fff', fillOpacity: 1, className: 'reach-centre' }).addTo(circleLayer);
      tab = 'reach';
      tabs.querySelectorAll('button').forEach((b, i) => {
        b.classList.toggle('is-on', i === 0);
        b.setAttribute('aria-pressed', String(i === 0));
      });
      drawUnits();
      paint();
    }

    function reachPane() {
      if (!lastReach) return h('p', { class: 'empty' }, '在地图上点击一个位置');
      const byCircle = lastReach.circles.map((c) => {
        const inside = lastReach.units.filter((u) => u.circle === c.minutes);
        return h(
          'div',
          { class: 'reach-circle-list', dataset: { minutes: c.minutes } },
          h('h3', null, c.minutes + ' 分钟圈（' + inside.length + ' 个巡组）'),
          inside.length
            ? h('ul', null, inside.map((u) => h('li', { dataset: { unit: u.code } }, u.code + ' ' + u.kind_name + ' · 约 ' + (u.travel_s / 60).toFixed(1) + ' 分钟 · ' + Math.round(u.distance_m) + ' 米')))
            : h('p', { class: 'muted' }, '无'),
        );
      });
      const outside = lastReach.units.filter((u) => !u.circle);
      return h(
        'div',
        { class: 'reach-result' },
        h('p', { class: 'muted' }, '道路系数 ' + lastReach.road_factor + '，定位超过 ' + lastReach.stale_minutes + ' 分钟视为过时'),
        byCircle,
        outside.length ? h('p', { class: 'muted' }, '5 分钟圈外在岗巡组 ' + outside.length + ' 个') : null,
        lastReach.excluded.length
          ? h(
              'div',
              { class: 'reach-excluded' },
              h('h3', null, '未纳入（' + lastReach.excluded.length + '）'),
              h('ul', null, lastReach.excluded.map((x) => h('li', { dataset: { unit: x.code, reason: x.reason } }, x.code + '：' + x.detail))),
            )
          : null,
      );
    }

    async function rosterPane() {
      const r = await api.get('/command/patrol/roster');
      const rows = r.items.map((s) =>
        row([s.kind === 'leave' ? h('span', { class: 'badge badge-danger' }, s.kind_name) : h('span', { class: 'badge' }, s.kind_name), s.patrol_unit_code || s.user_name, fmtDateTime(s.starts_at), fmtDateTime(s.ends_at), s.note], { class: 'roster-row' }),
      );
      return h('div', null, h('p', { class: 'muted' }, fmtDateTime(r.start) + ' 至 ' + fmtDateTime(r.end)), tbl(['', '巡组/民警', '开始', '结束', '备注'], rows, '今日暂无勤务安排'));
    }

    function unitsPane() {
      const rows = units.map((u) =>
        row(
          [
            u.code,
            u.kind_name,
            u.unit_name,
            u.position_at ? fmtDateTime(u.position_at) + (u.stale ? '（过时）' : '') : '未上报',
            u.busy ? h('span', { class: 'badge badge-warn' }, '处警中') : u.on_duty ? h('span', { class: 'badge' }, '在岗') : h('span', { class: 'badge badge-danger' }, u.unavailable_reason || '不在岗'),
          ],
          { class: 'unit-row' },
        ),
      );
      return tbl(['巡组', '类型', '单位', '最后定位', '状态'], rows, '暂无巡组');
    }

    let seq = 0;
    async function paint() {
      const mine = ++seq;
      try {
        const el = tab === 'reach' ? reachPane() : tab === 'roster' ? await rosterPane() : unitsPane();
        if (mine === seq) replace(pane, el);
      } catch (e) {
        if (mine === seq) replace(pane, h('div', { class: 'empty' }, '加载失败：' + (e.message || e)));
      }
    }

    async function setup() {
      try {
        const [areas, config, zones] = await Promise.all([api.get('/map/areas'), api.get('/map/config'), api.get('/command/patrol/zones')]);
        handle = countyMap(mapEl, { areas, config, labels: false });
        zoneLayer = handle.L.geoJSON(zones, {
          coordsToLatLng: (c) => handle.latLng(c[0], c[1]),
          style: () => ZONE_STYLE,
          onEachFeature: (f, layer) => layer.bindTooltip(textNode('span', 'map-label', f.properties.name), { sticky: true }),
        }).addTo(handle.map);
        if (zones.features.length) handle.map.fitBounds(zoneLayer.getBounds(), { padding: [16, 16] });
        circleLayer = handle.L.layerGroup().addTo(handle.map);
        handle.map.on('click', (e) => reachAt(e.latlng));
        mapEl.dataset.zones = String(zones.features.length);
      } catch (e) {
        ctx.toast(e.message || String(e), 'error');
      }
    }

    const poller = poll(loadUnits, 10000, (e) => ctx.toast(e.message || String(e), 'error'));
    setup().then(drawUnits);
    paint();
    return {
      update() {},
      destroy() {
        seq += 1;
        poller.stop();
        if (handle) handle.destroy();
      },
    };
  },
};
