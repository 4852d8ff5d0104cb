// 交通执法: the traffic police system's enforcement records, counted by type (三小车、涉酒驾驶、电动自行车、重点车辆),
// station area, outcome and month, each against the same period a year before (同比).

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtInt, fmtPercent } from '../format.js';
import { modal } from '../ui/dialog.js';
import { timeChart } from '../ui/chart.js';

const PERIODS = [
  { value: 'month', label: '本月' },
  { value: '30', label: '近30天' },
  { value: 'year', label: '今年' },
  { value: '365', label: '近一年' },
];

function yoyText(v) {
  if (v === null || v === undefined) return '—';
  return (v > 0 ? '+' : '') + fmtPercent(v);
}

function range(period) {
  const now = new Date();
  const sh = new Date(now.getTime() + 8 * 3600 * 1000); // Shanghai wall clock in UTC fields
  const end = new Date(now.getTime() + 1000);
  let start;
  if (period === 'month') start = new Date(Date.UTC(sh.getUTCFullYear(), sh.getUTCMonth(), 1) - 8 * 3600 * 1000);
  else if (period === 'year') start = new Date(Date.UTC(sh.getUTCFullYear(), 0, 1) - 8 * 3600 * 1000);
  else start = new Date(now.getTime() - Number(period) * 86400 * 1000);
  return { start: start.toISOString(), end: end.toISOString() };
}

export default {
  id: 'traffic',
  title: '交通执法',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let period = 'year';
    let seq = 0;
    const canImport = ['admin', 'commander'].indexOf(ctx.user.role) >= 0;
    const cards = h('div', { class: 'cards' });
    const types = h('section', { class: 'panel' });
    const areas = h('section', { class: 'panel' });
    const chart = timeChart({ id: 'traffic-months', title: '按月查处数与去年同期', series: [{ name: '本期', kind: 'bar' }, { name: '去年同期', kind: 'line' }] });
    const screen = h(
      'div',
      { class: 'screen traffic-screen' },
      h('div', { class: 'toolbar' }, segmented(PERIODS, period, (v) => { period = v; load(); }, '时间段'), h('span', { class: 'grow' }), canImport ? importButton() : null),
      cards,
      h('div', { class: 'panels' }, types, areas),
      h('section', { class: 'panel panel-wide' }, h('h3', null, '按月'), chart.el),
    );
    replace(root, screen);

    function card(label, value, sub, cls) {
      return h('div', { class: ['card', cls] }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
    }

    function table(title, rows) {
      return [
        h('h3', null, title),
        h(
          'table',
          { class: 'tbl' },
          h('thead', null, h('tr', null, ['', '本期', '去年同期', '同比'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, rows.map((r) => h('tr', { 'data-key': String(r.key) }, h('td', null, r.name), h('td', null, fmtInt(r.count)), h('td', null, fmtInt(r.last_year)), h('td', { class: r.yoy > 0 ? 'up' : r.yoy < 0 ? 'down' : null }, yoyText(r.yoy))))),
        ),
      ];
    }

    async function load() {
      const mine = ++seq;
      try {
        const f = await api.get('/traffic/figures', range(period));
        if (mine !== seq) return;
        const by = {};
        f.by_type.forEach((r) => (by[r.key] = r));
        replace(
          cards,
          card('查处交通违法', fmtInt(f.total), '同比 ' + yoyText(f.yoy)),
          ...['three_small', 'drink', 'ebike', 'key_vehicle'].map((k) => card(by[k].name, fmtInt(by[k].count), '同比 ' + yoyText(by[k].yoy))),
        );
        replace(types, ...table('按类型', f.by_type), ...table('按处理结果', f.by_outcome));
        replace(areas, ...table('按辖区', f.by_area));
        chart.set(
          f.by_month.map((m) => m.month),
          [f.by_month.map((m) => m.count), f.by_month.map((m) => m.last_year)],
        );
      } catch (e) {
        if (mine === seq) ctx.toast((e && e.message) || '加载失败', 'error');
      }
    }

    function importButton() {
      const file = h('input', {
        type: 'file',
        name: 'file',
        accept: '.csv,text/csv',
        hidden: true,
        onchange: async () => {
          if (!file.files.length) return;
          const data = new FormData();
          data.append('file', file.files[0]);
          try {
            const out = await api.upload('/traffic/records/import', data);
            const bad = out.rejected.map((r) => '第 ' + r.line + ' 行' + (r.field ? '（' + r.field + '）' : '') + '：' + r.message);
            modal({
              title: '导入结果',
              lead: '导入 ' + out.accepted + ' 条，重复 ' + out.duplicates + ' 条，拒收 ' + out.rejected.length + ' 条',
              content: bad.length ? h('ul', { class: 'import-rejected' }, bad.map((b) => h('li', null, b))) : null,
              actions: [],
              cancelLabel: '关闭',
            });
            load();
          } catch (e) {
            ctx.toast(e.message || '导入失败', 'error');
          }
          file.value = '';
        },
      });
      return h('span', null, file, h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => file.click() }, '导入交警数据'));
    }

    load();
    return { update() {}, destroy() { seq += 1; chart.destroy && chart.destroy(); } };
  },
};
