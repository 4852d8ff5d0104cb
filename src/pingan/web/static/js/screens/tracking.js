// 地网: tagged e-bikes, bracelets and livestock seen by the village base stations. Tables only: the alerts
// (stolen bikes seen, wearers out of their area, silences, removals), the thefts, the base stations with
// their health and the coverage, and the figures. The API gives tracks and coverage as GeoJSON for a map.

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDateTime, fmtInt, fmtPercent, fmtYuan } from '../format.js';

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

const PANES = { alerts: alertsPane, thefts: theftsPane, stations: stationsPane, figures: figuresPane };

export default {
  id: 'tracking',
  title: '地网',
  group: '地网',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let tab = 'alerts';
    const pane = h('div', { class: 'tracking-pane' });
    const tabs = segmented(TABS, tab, (value) => {
      tab = value;
      load();
    }, '地网视图');
    replace(root, h('div', { class: 'screen tracking-screen' }, h('div', { class: 'toolbar' }, tabs), pane));
    let seq = 0;
    async function load() {
      const mine = ++seq;
      replace(pane, h('p', { class: 'muted' }, '正在加载……'));
      try {
        const target = h('div');
        await PANES[tab](target);
        if (mine === seq) replace(pane, target);
      } catch (e) {
        if (mine === seq) replace(pane, h('div', { class: 'empty' }, '加载失败：' + (e.message || e)));
        ctx.toast(e.message || String(e), 'error');
      }
    }
    load();
    return { update() {}, destroy() { seq += 1; } };
  },
};
