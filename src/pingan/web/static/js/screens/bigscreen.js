// 大屏: the command centre's wall. Dark, full screen, readable from across the room, refreshing itself:
// the county map coloured by open and overdue work, the live queue of every task kind, a tile for each
// figure of the loops with 同比 (the same days a year before) and 环比 (the same days of the month before),
// trends, and the ranking's top and bottom. It reads the capabilities' own figures endpoints.

import { api, serverNow } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtInt, fmtYuan, shanghaiDate, shanghaiMidnight } from '../format.js';
import { ago, poll } from '../live.js';
import { navigate } from '../router.js';
import { timeChart } from '../ui/chart.js';
import { countyMap } from '../ui/map.js';
import { changeBadge } from './ranking.js';

const LIVE_MS = 20000;
const FIGURES_MS = 120000;
const DAY_MS = 86400000;
const TREND_DAYS = 30;
const LATEST = 7;

// Each tile: where its number comes from, and how it is shown. `rate`: compared in percentage points.
const TILES = [
  { key: 'warnings', label: '预警', src: 'fraud', get: (f) => f.warnings, kind: 'int' },
  { key: 'dissuaded', label: '劝阻成功', src: 'fraud', get: (f) => f.dissuaded, kind: 'int' },
  { key: 'protected', label: '挽回损失', src: 'fraud', get: (f) => Number(f.protected_yuan), kind: 'yuan' },
  { key: 'on_time', label: '劝阻按时办结率', src: 'fraud', get: (f) => f.on_time_rate, kind: 'rate' },
  { key: 'stopped', label: '止付账户', src: 'payments', get: (f) => f.total.accounts_stopped, kind: 'int', sub: (f) => fmtYuan(f.total.amount_stopped_yuan) },
  { key: 'frozen', label: '冻结账户', src: 'payments', get: (f) => f.total.accounts_frozen, kind: 'int', sub: (f) => fmtYuan(f.total.amount_frozen_yuan) },
  { key: 'returned', label: '返还资金', src: 'payments', get: (f) => Number(f.total.amount_returned_yuan), kind: 'yuan' },
  { key: 'requests', label: '群众诉求', src: 'desk', get: (f) => f.requests, kind: 'int' },
  { key: 'timeliness', label: '答复及时率', src: 'desk', get: (f) => f.reply_timeliness, kind: 'rate' },
  { key: 'satisfaction', label: '群众满意率', src: 'desk', get: (f) => f.satisfaction, kind: 'rate' },
  { key: 'pushes', label: '预警推送', src: 'desk', get: (f) => f.pushes, kind: 'int' },
  { key: 'residents', label: '新注册群众', src: 'desk', get: (f) => f.new_residents, kind: 'int' },
  { key: 'installed', label: '平安卡安装', src: 'tracking', get: (f) => f.cards_installed, kind: 'int' },
  { key: 'thefts', label: '车辆被盗', src: 'tracking', get: (f) => f.thefts, kind: 'int', lowerBetter: true },
  { key: 'recovered', label: '找回', src: 'tracking', get: (f) => f.recovered, kind: 'int' },
  { key: 'recovery', label: '找回率', src: 'tracking', get: (f) => f.recovery_rate, kind: 'rate' },
  { key: 'payouts', label: '理赔金额', src: 'tracking', get: (f) => f.payouts_yuan, kind: 'yuan' },
  { key: 'suspects', label: '盗车嫌疑人', src: 'tracking', get: (f) => f.suspects_caught, kind: 'int' },
  { key: 'blocked', label: '拦截号码', src: 'interception', get: (f) => f.total.numbers_blocked, kind: 'int' },
  { key: 'cards_cancelled', label: '断卡注销', src: 'interception', get: (f) => f.total.cards_cancelled, kind: 'int' },
  { key: 'cases_linked', label: '串并案件', src: 'interception', get: (f) => f.total.cases_linked, kind: 'int' },
  { key: 'cases_solved', label: '破案', src: 'interception', get: (f) => f.total.cases_solved, kind: 'int' },
  { key: 'fraud_suspects', label: '涉诈嫌疑人', src: 'interception', get: (f) => f.total.suspects_caught, kind: 'int' },
  { key: 'dangers_rectified', label: '隐患整改', src: 'dangers', get: (f) => f.total.rectified, kind: 'int' },
  { key: 'disputes_resolved', label: '纠纷化解', src: 'disputes', get: (f) => f.total.resolved, kind: 'int' },
];
const SOURCES = {
  fraud: '/fraud/figures',
  desk: '/desk/stats',
  payments: '/payments/figures',
  tracking: '/tracking/figures',
  interception: '/interception/figures',
  dangers: '/command/dangers/figures',
  disputes: '/command/disputes/figures',
};

function show(value, kind) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (kind === 'rate') return (value * 100).toFixed(1) + '%';
  if (kind === 'yuan') return value >= 10000 ? (value / 10000).toFixed(1) + '万' : fmtInt(Math.round(value));
  return fmtInt(value);
}

/** 同比/环比 of one figure: percent for counts and money, percentage points for rates. */
export function compare(cur, prev, kind) {
  if (cur === null || cur === undefined || prev === null || prev === undefined) return { text: '—', dir: 0 };
  if (kind === 'rate') {
    const d = (cur - prev) * 100;
    return { text: (d > 0 ? '+' : '') + d.toFixed(1) + '个百分点', dir: Math.sign(Math.round(d * 10)) };
  }
  if (prev === 0) return cur === 0 ? { text: '持平', dir: 0 } : { text: '新增', dir: 1 };
  const pct = ((cur - prev) / prev) * 100;
  if (Math.abs(pct) < 0.05) return { text: '持平', dir: 0 };
  return { text: (pct > 0 ? '+' : '') + pct.toFixed(1) + '%', dir: Math.sign(pct) };
}

/** This month so far, the same span of the month before (环比) and of the same month a year before (同比). */
export function periods(now) {
  const d = shanghaiDate(now);
  const start = Date.parse(shanghaiMidnight(d.y, d.m, 1));
  const span = now - start;
  const prevStart = Date.parse(shanghaiMidnight(d.y, d.m - 1, 1));
  const yoyStart = Date.parse(shanghaiMidnight(d.y - 1, d.m, 1));
  const iso = (ms) => new Date(ms).toISOString();
  const cap = (s, monthEnd) => Math.min(s + span, monthEnd);
  return {
    label: d.y + '年' + d.m + '月',
    current: { start: iso(start), end: iso(now) },
    mom: { start: iso(prevStart), end: iso(cap(prevStart, start)) },
    yoy: { start: iso(yoyStart), end: iso(cap(yoyStart, Date.parse(shanghaiMidnight(d.y - 1, d.m + 1, 1)))) },
  };
}

function colourOf(load, maxOpen) {
  if (!load) return { color: '#3a5273', weight: 1.5, fillColor: '#13243b', fillOpacity: 0.9 };
  if (load.overdue > 0) {
    const t = Math.min(1, 0.35 + load.overdue / 10);
    return { color: '#ff8a80', weight: 2, fillColor: 'rgba(229, 57, 53, ' + t.toFixed(2) + ')', fillOpacity: 1 };
  }
  const t = maxOpen ? 0.25 + (0.65 * load.open) / maxOpen : 0.2;
  return { color: '#6fa8ff', weight: 1.5, fillColor: 'rgba(47, 128, 237, ' + t.toFixed(2) + ')', fillOpacity: 1 };
}

export default {
  id: 'screen',
  title: '大屏',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander'],
  mount(root) {
    document.body.classList.add('is-bigscreen');
    const clock = h('div', { class: 'bs-clock', 'data-role': 'clock' });
    const status = h('div', { class: 'bs-status', 'data-role': 'status' });
    const tiles = h('div', { class: 'bs-tiles', 'data-role': 'tiles' });
    const title = h('h1', { 'data-role': 'title' }, '县公安局 · 情指联勤大屏');
    const tilesHead = h('div', { class: 'bs-panel-head' }, h('h3', null, '本月数据'), h('span', { class: 'bs-hint' }, '同比：去年同期　环比：上月同期'));
    const mapEl = h('div', { class: 'bs-map', 'data-role': 'map' });
    const mapLegend = h(
      'div',
      { class: 'bs-legend' },
      h('span', { class: 'bs-swatch is-overdue' }), '有超时任务',
      h('span', { class: 'bs-swatch is-open' }), '在办（颜色越深越多）',
      h('span', { class: 'bs-swatch is-idle' }), '无在办',
    );
    const mapTotals = h('span', { class: 'bs-map-totals', 'data-role': 'map-totals' });
    const kinds = h('div', { class: 'bs-kinds', 'data-role': 'kinds' });
    const latest = h('ol', { class: 'bs-latest', 'data-role': 'latest' });
    const ranking = h('div', { class: 'bs-ranking', 'data-role': 'ranking' });
    const fraudChart = timeChart({
      id: 'bs-fraud',
      title: '近30日预警与劝阻',
      theme: 'dark',
      series: [
        { name: '预警', key: 'warnings', kind: 'bar' },
        { name: '劝阻成功', key: 'dissuaded', kind: 'line' },
      ],
    });
    const deskChart = timeChart({
      id: 'bs-desk',
      title: '近30日群众诉求与答复及时率',
      theme: 'dark',
      axes: [{ name: '件' }, { name: '及时率', percent: true }],
      series: [
        { name: '诉求', key: 'requests', kind: 'bar' },
        { name: '答复及时率', key: 'reply_timeliness', kind: 'line', axis: 1, percent: true },
      ],
    });
    const wall = h(
      'div',
      { class: 'bigscreen', 'data-role': 'bigscreen' },
      h(
        'header',
        { class: 'bs-header' },
        title,
        status,
        h('span', { class: 'grow' }),
        clock,
        h('button', { type: 'button', class: 'bs-btn', onclick: () => fullscreen() }, '全屏'),
        h('button', { type: 'button', class: 'bs-btn', onclick: () => navigate('/ranking') }, '退出大屏'),
      ),
      h(
        'div',
        { class: 'bs-grid' },
        h('section', { class: 'bs-panel bs-figures' }, tilesHead, tiles),
        h('section', { class: 'bs-panel bs-centre' }, h('div', { class: 'bs-panel-head' }, h('h3', null, '各派出所在办与超时'), h('span', { class: 'grow' }), mapTotals), mapEl, mapLegend),
        h('section', { class: 'bs-panel bs-queues' }, h('div', { class: 'bs-panel-head' }, h('h3', null, '实时队列')), kinds, latest),
        h('section', { class: 'bs-panel bs-trend' }, h('div', { class: 'bs-panel-head' }, h('h3', null, '近30日预警与劝阻')), fraudChart.el),
        h('section', { class: 'bs-panel bs-trend' }, h('div', { class: 'bs-panel-head' }, h('h3', null, '近30日群众诉求')), deskChart.el),
        h('section', { class: 'bs-panel bs-rank' }, h('div', { class: 'bs-panel-head' }, h('h3', null, '本月打榜')), ranking),
      ),
    );
    replace(root, wall);

    let map = null;
    let stations = [];
    let destroyed = false;

    function tick() {
      const d = new Date(serverNow() + 8 * 3600000);
      const p = (n) => String(n).padStart(2, '0');
      replace(clock, d.getUTCFullYear() + '-' + p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' + p(d.getUTCHours()) + ':' + p(d.getUTCMinutes()) + ':' + p(d.getUTCSeconds()));
    }
    tick();
    const clockTimer = setInterval(tick, 1000);

    function fullscreen() {
      const el = document.documentElement;
      if (document.fullscreenElement) document.exitFullscreen();
      else if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
    }

    async function setupMap() {
      try {
        const [areas, config] = await Promise.all([api.get('/map/areas'), api.get('/map/config')]);
        if (destroyed) return;
        map = countyMap(mapEl, { areas, config });
        paintMap();
      } catch (e) {
        replace(mapEl, h('p', { class: 'bs-empty' }, '地图加载失败：' + e.message));
      }
    }

    function paintMap() {
      if (!map) return;
      const byArea = {};
      stations.forEach((s) => {
        if (s.area_id !== null) byArea[s.area_id] = s;
      });
      const maxOpen = Math.max(0, ...stations.map((s) => s.open));
      map.paint((props) => colourOf(byArea[props.id], maxOpen));
      map.fit();
    }

    async function live() {
      const data = await api.get('/command/screen');
      if (destroyed) return;
      stations = data.stations;
      // Whose wall: a county's bureau, or a city's or the province's (the sum of its counties).
      if (data.county) replace(title, data.county.name + (data.county.kind === 'county' ? '公安局' : '') + ' · 情指联勤大屏');
      paintMap();
      const open = stations.reduce((n, s) => n + s.open, 0);
      const overdue = stations.reduce((n, s) => n + s.overdue, 0);
      replace(mapTotals, '派出所在办 ', h('b', null, fmtInt(open)), ' · 超时 ', h('b', { class: overdue ? 'is-bad' : null }, fmtInt(overdue)));
      replace(
        kinds,
        data.queues.kinds
          .slice()
          .sort((a, b) => b.open - a.open)
          .map((k) =>
            h(
              'div',
              { class: ['bs-kind', k.overdue && 'has-overdue'], dataset: { kind: k.kind } },
              h('div', { class: 'bs-kind-name' }, k.kind_name),
              h('div', { class: 'bs-kind-num' }, fmtInt(k.open)),
              h('div', { class: 'bs-kind-late' }, k.overdue ? '超时 ' + fmtInt(k.overdue) : '无超时'),
            ),
          ),
      );
      replace(
        latest,
        data.queues.latest.slice(0, LATEST).map((t) =>
          h(
            'li',
            { class: ['bs-task', t.overdue && 'is-overdue', t.level && 'bs-level-' + t.level] },
            h('span', { class: 'bs-task-kind' }, t.kind_name),
            h('span', { class: 'bs-task-title' }, t.title),
            h('span', { class: 'bs-task-unit' }, t.unit || '—'),
            h('span', { class: 'bs-task-time' }, t.overdue ? '已超时' : ago(t.created_at)),
          ),
        ),
      );
      if (!data.queues.latest.length) replace(latest, h('li', { class: 'bs-empty' }, '暂无在办任务'));
      paintRanking(data.ranking);
      replace(status, h('span', { class: 'bs-dot' }), '实时 · ' + new Date(serverNow() + 8 * 3600000).toISOString().slice(11, 19) + ' 更新');
    }

    function paintRanking(r) {
      const line = (row) =>
        h(
          'li',
          { class: 'bs-rank-row', dataset: { position: row.position } },
          h('span', { class: 'bs-rank-pos' }, String(row.position)),
          h('span', { class: 'bs-rank-name', title: row.name }, row.name),
          h('span', { class: 'bs-rank-fig' }, h('span', { class: 'bs-rank-score' }, row.score.toFixed(1)), changeBadge(row.change)),
        );
      replace(
        ranking,
        h('div', { class: 'bs-rank-period' }, r.board_label + ' · ' + r.period.label + (r.published ? '（已发布）' : '（实时）')),
        h('div', { class: 'bs-rank-cols' }, h('div', null, h('h4', null, '前三'), h('ol', { class: 'bs-rank-list is-top' }, r.top.map(line))), h('div', null, h('h4', null, '后三'), h('ol', { class: 'bs-rank-list is-bottom' }, r.bottom.map(line)))),
        r.districts.length ? h('div', { class: 'bs-districts' }, r.districts.map((d) => h('span', { class: 'bs-district' }, '第' + d.position + ' ' + d.name + ' ' + d.score.toFixed(1)))) : null,
      );
    }

    async function figures() {
      const now = serverNow();
      const p = periods(now);
      replace(tilesHead.firstChild, p.label + '数据');
      const got = {};
      await Promise.all(
        Object.keys(SOURCES).flatMap((src) =>
          ['current', 'mom', 'yoy'].map(async (which) => {
            try {
              got[src + ':' + which] = await api.get(SOURCES[src], p[which]);
            } catch (e) {
              got[src + ':' + which] = null;
            }
          }),
        ),
      );
      if (destroyed) return;
      replace(
        tiles,
        TILES.map((t) => {
          const cur = got[t.src + ':current'];
          const value = cur ? t.get(cur) : null;
          const mom = got[t.src + ':mom'] ? t.get(got[t.src + ':mom']) : null;
          const yoy = got[t.src + ':yoy'] ? t.get(got[t.src + ':yoy']) : null;
          const cmp = (other, name) => {
            const c = compare(value, other, t.kind);
            const good = t.lowerBetter ? -c.dir : c.dir;
            return h('span', { class: ['bs-cmp', good > 0 && 'is-up', good < 0 && 'is-down'], dataset: { cmp: name } }, name + ' ' + c.text);
          };
          return h(
            'div',
            { class: 'bs-tile', dataset: { tile: t.key } },
            h('div', { class: 'bs-tile-label' }, t.label),
            h('div', { class: 'bs-tile-value' }, show(value, t.kind), t.sub && cur ? h('small', null, ' ' + t.sub(cur)) : null),
            h('div', { class: 'bs-tile-cmp' }, cmp(yoy, '同比'), cmp(mom, '环比')),
          );
        }),
      );
      const d = shanghaiDate(now - (TREND_DAYS - 1) * DAY_MS);
      const t = { start: shanghaiMidnight(d.y, d.m, d.d), step: 'day' };
      try {
        const [fraud, desk] = await Promise.all([api.get('/fraud/figures/series', t), api.get('/desk/stats/series', t)]);
        if (destroyed) return;
        const label = (b) => {
          const x = shanghaiDate(Date.parse(b.start));
          return x.m + '/' + x.d;
        };
        fraudChart.set(fraud.buckets.map(label), ['warnings', 'dissuaded'].map((k) => fraud.buckets.map((b) => b[k])));
        deskChart.set(desk.buckets.map(label), ['requests', 'reply_timeliness'].map((k) => desk.buckets.map((b) => b[k])));
      } catch (e) {
        // the tiles still show; the trends come back on the next round
      }
    }

    const onError = (e) => replace(status, h('span', { class: 'bs-dot is-bad' }), '连接中断，正在重试：' + e.message);
    setupMap();
    const livePoll = poll(live, LIVE_MS, onError);
    const figurePoll = poll(figures, FIGURES_MS, onError);

    return {
      update() {},
      destroy() {
        destroyed = true;
        livePoll.stop();
        figurePoll.stop();
        clearInterval(clockTimer);
        fraudChart.destroy();
        deskChart.destroy();
        if (map) map.destroy();
        document.body.classList.remove('is-bigscreen');
      },
    };
  },
};
