// 地网: tagged e-bikes, bracelets and livestock seen by the village base stations: the map (base stations
// and their coverage of the villages, thefts and alerts where the tag was last heard, a tag's track with
// its impossible jumps marked), the alerts (stolen bikes seen, wearers out of their area, silences,
// removals), the thefts, the base stations with their health, and the figures.

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDateTime, fmtInt, fmtPercent, fmtYuan } from '../format.js';
import { countyMap } from '../ui/map.js';
import { mapBase } from '../ui/map-panels.js';

const ALERT_KINDS = {
  theft_sighting: '被盗车辆出现',
  geofence_exit: '离开安全区域',
  silence: '长时间无信号',
  removal: '手环被拆除',
  low_battery: '电量低',
};
const THEFT_STATUS = { watched: '布控中', sighted: '已发现', recovered: '已找回', compensated: '已赔付', closed: '已关闭' };
const REASONS = {
  no_signal: '已无法追踪到信号',
  late_report: '报案距被盗超过两个月',
  not_found: '60日内仍未找到',
  card_destroyed: '平安卡损毁',
};
const TABS = [
  { value: 'map', label: '地图' },
  { value: 'alerts', label: '告警' },
  { value: 'thefts', label: '被盗布控' },
  { value: 'stations', label: '基站' },
  { value: 'figures', label: '统计' },
];

function table(headers, rows, emptyText) {
  if (!rows.length) return h('div', { class: 'empty' }, emptyText);
  return h(
    'div',
    { class: 'table-scroll' },
    h('table', { class: 'tbl tracking-table' }, h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows)),
  );
}

function cells(values) {
  return h('tr', null, values.map((v) => h('td', null, v === null || v === undefined ? '—' : v)));
}

async function alertsPane(root) {
  const items = await api.get('/tracking/alerts', { limit: 200 });
  replace(
    root,
    table(
      ['事件时间', '类型', '标签', '基站', '方向', '最近一次', '状态', '任务'],
      items.map((a) =>
        cells([
          fmtDateTime(a.at),
          ALERT_KINDS[a.kind] || a.kind,
          a.tag,
          a.station_name,
          a.heading,
          a.last_at ? fmtDateTime(a.last_at) : null,
          a.open ? '进行中' : '已结束',
          a.task_id ? h('a', { href: '#/tasks/' + a.task_id }, '#' + a.task_id) : null,
        ]),
      ),
      '暂无告警',
    ),
  );
}

async function theftsPane(root) {
  const items = await api.get('/tracking/thefts');
  replace(
    root,
    table(
      ['标签', '被盗时间', '报案时间', '状态', '首次发现', '找回地点', '嫌疑人', '赔付条件', '赔付', '任务'],
      items.map((t) =>
        cells([
          t.tag,
          fmtDateTime(t.stolen_at),
          fmtDateTime(t.reported_at),
          THEFT_STATUS[t.status] || t.status,
          t.first_sighted_at ? fmtDateTime(t.first_sighted_at) : null,
          t.recovered_place,
          t.suspects ? fmtInt(t.suspects) : null,
          t.compensation_reason ? REASONS[t.compensation_reason] || t.compensation_reason : null,
          t.payout_yuan ? fmtYuan(t.payout_yuan) : null,
          t.task_id ? h('a', { href: '#/tasks/' + t.task_id }, '#' + t.task_id) : null,
        ]),
      ),
      '暂无被盗登记',
    ),
  );
}

async function stationsPane(root) {
  const [stations, coverage] = await Promise.all([api.get('/tracking/stations'), api.get('/tracking/coverage')]);
  const summary = h(
    'p',
    { class: 'tracking-coverage' },
    '基站 ' + fmtInt(coverage.stations) + ' 个，覆盖村寨 ' + fmtInt(coverage.villages_covered) + ' / ' + fmtInt(coverage.villages_total),
    coverage.coverage_rate !== null ? '，覆盖率 ' + fmtPercent(coverage.coverage_rate) : '',
  );
  const rows = stations.features.map((f) => {
    const s = f.properties;
    return cells([
      s.code,
      s.name,
      s.village,
      s.last_heard_at ? fmtDateTime(s.last_heard_at) : '从未',
      fmtInt(s.detections_last_hour),
      s.silent ? h('span', { class: 'badge badge-danger' }, '失联') : h('span', { class: 'badge' }, '正常'),
      s.silence_minutes + ' 分钟',
    ]);
  });
  replace(root, summary, table(['编号', '名称', '村寨', '最近心跳', '近1小时侦测', '状态', '失联阈值'], rows, '暂无基站'));
}

async function figuresPane(root) {
  const f = await api.get('/tracking/figures');
  const item = (label, value) => h('div', { class: 'figure' }, h('div', { class: 'figure-value' }, value), h('div', { class: 'figure-label' }, label));
  replace(
    root,
    h('p', { class: 'muted' }, '近30天（' + fmtDateTime(f.start) + ' 至 ' + fmtDateTime(f.end) + '）'),
    h(
      'div',
      { class: 'figure-grid' },
      item('安装平安卡', fmtInt(f.cards_installed)),
      item('被盗报案', fmtInt(f.thefts)),
      item('找回', fmtInt(f.recovered)),
      item('找回率', f.recovery_rate === null ? '—' : fmtPercent(f.recovery_rate)),
      item('赔付（起）', fmtInt(f.compensated)),
      item('赔付金额', fmtYuan(f.payouts_yuan)),
      item('抓获嫌疑人', fmtInt(f.suspects_caught)),
    ),
  );
}

const ALERT_COLOURS = { theft_sighting: '#d0201c', geofence_exit: '#e5650b', removal: '#7b3fa0', silence: '#5b7086', low_battery: '#e3a800' };
const MAP_LEGEND = [
  { colour: '#2f7d32', label: '基站（圈为覆盖范围）' },
  { colour: '#8a8f98', label: '失联基站' },
  { colour: '#d0201c', label: '被盗车辆最近出现' },
  { colour: '#e5650b', label: '离开安全区域' },
  { colour: '#7b3fa0', label: '手环被拆除' },
  { colour: '#1d4f91', label: '轨迹' },
];

function legend(items) {
  return h(
    'div',
    { class: 'map-legend' },
    items.map((i) => h('span', { class: 'map-legend-item' }, h('span', { class: 'map-swatch', style: { backgroundColor: i.colour } }), i.label)),
    h('span', { class: 'map-legend-item' }, h('span', { class: 'map-swatch map-swatch-jump' }), '异常跳变（虚线）'),
  );
}

/** The map: coverage circles and base stations, open alerts and thefts as markers, a tag's track on demand. */
async function mapPane(root, ctx) {
  const [b, stations, coverage, alerts] = await Promise.all([
    mapBase(),
    api.get('/tracking/stations'),
    api.get('/tracking/coverage'),
    api.get('/tracking/alerts', { limit: 500 }),
  ]);
  const mapEl = h('div', { class: 'map-canvas tracking-map', role: 'region', 'aria-label': '地网地图' });
  const tagInput = h('input', { type: 'search', name: 'tag', class: 'input', placeholder: '标签编号', 'aria-label': '标签编号', maxlength: 64 });
  const note = h('p', { class: 'muted tracking-track-note' }, '输入标签编号，或点选地图上的告警，查看近7天轨迹');
  const summary = h(
    'p',
    { class: 'tracking-coverage' },
    '基站 ' + fmtInt(coverage.stations) + ' 个，覆盖村寨 ' + fmtInt(coverage.villages_covered) + ' / ' + fmtInt(coverage.villages_total),
    coverage.coverage_rate !== null ? '，覆盖率 ' + fmtPercent(coverage.coverage_rate) : '',
  );
  let handle = null;
  let seq = 0;

  async function show(tag) {
    if (!tag || !handle) return;
    tagInput.value = tag;
    const mine = ++seq;
    replace(note, '正在加载 ' + tag + ' 的轨迹……');
    try {
      const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
      const track = await api.get('/tracking/tags/' + encodeURIComponent(tag) + '/track', { from: since });
      if (mine !== seq || !handle) return;
      handle.clearOverlays();
      handle.addShapes(coverage.geojson, null, coverageLabel);
      const drawn = handle.drawTrack(track, { when: fmtDateTime });
      replace(
        note,
        drawn.sightings
          ? tag + '：近7天 ' + fmtInt(drawn.sightings) + ' 次侦测' + (drawn.jumps ? '，其中 ' + fmtInt(drawn.jumps) + ' 处异常跳变（红色虚线）' : '，无异常跳变')
          : tag + '：近7天没有基站侦测到该标签',
      );
      note.dataset.sightings = String(drawn.sightings);
      note.dataset.jumps = String(drawn.jumps);
    } catch (e) {
      if (mine === seq) replace(note, h('span', { class: 'error' }, '轨迹加载失败：' + (e.message || e)));
    }
  }

  const form = h(
    'form',
    { class: 'toolbar tracking-track-form', onsubmit: (e) => { e.preventDefault(); show(tagInput.value.trim()); } },
    tagInput,
    h('button', { type: 'submit', class: 'btn btn-secondary' }, '查看轨迹'),
  );
  replace(root, summary, form, h('section', { class: 'map-panel tracking-map-panel' }, mapEl, h('div', { class: 'map-foot' }, note, legend(MAP_LEGEND))));
  return {
    after() {
      handle = countyMap(mapEl, { areas: b.areas, config: b.config, labels: false });
      handle.addShapes(coverage.geojson, null, coverageLabel);
      handle.addPoints(
        stations.features.map((f) => {
          const s = f.properties;
          return {
            lon: f.geometry.coordinates[0],
            lat: f.geometry.coordinates[1],
            radius: 4,
            colour: s.silent ? '#8a8f98' : '#2f7d32',
            cls: 'map-point map-bs' + (s.silent ? ' map-bs-silent' : ''),
            title: s.name + (s.silent ? '（失联）' : ''),
            lines: [s.name + '（' + s.code + '）', s.village, '最近心跳：' + (s.last_heard_at ? fmtDateTime(s.last_heard_at) : '从未'), '近1小时侦测 ' + fmtInt(s.detections_last_hour)],
          };
        }),
      );
      const open = alerts.filter((a) => a.lon !== null && a.lat !== null && a.open);
      handle.addPoints(
        open.map((a) => ({
          lon: a.lon,
          lat: a.lat,
          // A halo around the place: the track's last dot stays visible inside it.
          radius: 13,
          fillOpacity: 0.35,
          colour: ALERT_COLOURS[a.kind] || '#5b7086',
          cls: 'map-point ' + (a.kind === 'theft_sighting' ? 'map-theft' : 'map-alert'),
          title: (ALERT_KINDS[a.kind] || a.kind) + '：' + a.tag,
          lines: [
            (ALERT_KINDS[a.kind] || a.kind) + '：' + a.tag,
            '最近：' + fmtDateTime(a.last_at || a.at) + ' ' + (a.station_name || ''),
            a.heading ? '方向：向' + a.heading : null,
          ],
          onClick: () => show(a.tag),
        })),
      );
      const first = open.find((a) => a.kind === 'theft_sighting') || open[0];
      if (first) show(first.tag);
    },
    destroy() {
      seq += 1;
      if (handle) handle.destroy();
      handle = null;
    },
  };
}

function coverageLabel(p) {
  return [p.name, p.village ? '覆盖村寨：' + p.village : null, '半径 ' + fmtInt(p.radius_m) + ' 米'];
}

const PANES = { map: mapPane, alerts: alertsPane, thefts: theftsPane, stations: stationsPane, figures: figuresPane };

export default {
  id: 'tracking',
  title: '地网',
  group: '地网',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let tab = 'map';
    let current = null;
    const pane = h('div', { class: 'tracking-pane' });
    const tabs = segmented(TABS, tab, (value) => {
      tab = value;
      load();
    }, '地网视图');
    replace(root, h('div', { class: 'screen tracking-screen' }, h('div', { class: 'toolbar' }, tabs), pane));
    let seq = 0;
    function drop() {
      if (current && current.destroy) current.destroy();
      current = null;
    }
    async function load() {
      const mine = ++seq;
      drop();
      replace(pane, h('p', { class: 'muted' }, '正在加载……'));
      try {
        const target = h('div');
        const made = await PANES[tab](target, ctx);
        if (mine !== seq) {
          if (made && made.destroy) made.destroy();
          return;
        }
        replace(pane, target);
        current = made || null;
        if (current && current.after) current.after();
      } catch (e) {
        if (mine === seq) replace(pane, h('div', { class: 'empty' }, '加载失败：' + (e.message || e)));
        ctx.toast(e.message || String(e), 'error');
      }
    }
    load();
    return {
      update() {},
      destroy() {
        seq += 1;
        drop();
      },
    };
  },
};
