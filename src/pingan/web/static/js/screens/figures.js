// 数据: warnings, dissuasions and money protected for a period, county-wide and per station.

import { api, serverNow } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import {
  dateInputValue,
  fmtDateTime,
  fmtInt,
  fmtPercent,
  fmtYuan,
  parseDateInput,
  shanghaiDate,
  shanghaiMidnight,
} from '../format.js';
import { LEVEL_ORDER, isCentre, levelName } from '../labels.js';
import { dateInput } from '../ui/date-input.js';
import { exportTools } from '../ui/listing.js';
import { deskFigures } from './figures-desk.js';
import { interceptionFigures } from './figures-interception.js';

const REFRESH_MS = 60000;

const PERIODS = [
  { value: 'today', label: '今日' },
  { value: 'week', label: '本周' },
  { value: 'month', label: '本月' },
  { value: 'year', label: '本年' },
  { value: 'custom', label: '自定义' },
];

const COLUMNS = [
  { key: 'station', label: '派出所', text: true },
  { key: 'warnings', label: '预警', bar: true },
  { key: 'dissuaded', label: '劝阻成功' },
  { key: 'defrauded', label: '已被骗' },
  { key: 'protected_yuan', label: '挽回损失', money: true, bar: true },
  { key: 'lost_yuan', label: '被骗金额', money: true },
  { key: 'open', label: '未办结' },
];

/** {start, end} ISO strings (Shanghai midnights) for a named period; end undefined means "now". */
export function periodRange(name, now, custom) {
  const d = shanghaiDate(now);
  if (name === 'today') return { start: shanghaiMidnight(d.y, d.m, d.d) };
  if (name === 'week') {
    const back = (d.weekday + 6) % 7; // weeks start on Monday
    return { start: shanghaiMidnight(d.y, d.m, d.d - back) };
  }
  if (name === 'month') return { start: shanghaiMidnight(d.y, d.m, 1) };
  if (name === 'year') return { start: shanghaiMidnight(d.y, 1, 1) };
  const a = parseDateInput(custom && custom.start);
  const b = parseDateInput(custom && custom.end);
  if (!a || !b) return null;
  return { start: shanghaiMidnight(a.y, a.m, a.d), end: shanghaiMidnight(b.y, b.m, b.d + 1) };
}

export default {
  id: 'figures',
  title: '数据',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let period = 'month';
    let areaId = '';
    let data = null;
    let sortKey = 'warnings';
    let sortDesc = true;
    let seq = 0;

    const today = shanghaiDate(serverNow());
    const startInput = dateInput({ name: 'start', 'aria-label': '开始日期', value: dateInputValue(today.y, today.m, 1) });
    const endInput = dateInput({ name: 'end', 'aria-label': '结束日期', value: dateInputValue(today.y, today.m, today.d) });
    const customBox = h(
      'div',
      { class: 'custom-range', hidden: true },
      startInput,
      h('span', null, '至'),
      endInput,
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => load() }, '查询'),
    );
    const stationSelect = select([{ value: '', label: '全县' }], '', (v) => {
      areaId = v;
      load();
    }, { 'aria-label': '范围' });
    const rangeText = h('span', { class: 'muted' });
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      segmented(PERIODS, period, (v) => {
        period = v;
        customBox.hidden = v !== 'custom';
        if (v !== 'custom') load();
      }, '时间段'),
      customBox,
      isCentre(ctx.user) ? stationSelect : null,
      h('span', { class: 'grow' }),
      rangeText,
      exportTools('fraud-figures', () => Object.assign({ area_id: areaId }, periodRange(period, serverNow(), { start: startInput.value, end: endInput.value }) || {}), ctx),
    );
    const errorBox = h('div', { class: 'case-error', role: 'alert', hidden: true });
    const cards = h('div', { class: 'cards' });
    const levels = h('section', { class: 'panel' });
    const stations = h('section', { class: 'panel panel-wide' });
    const desk = deskFigures(ctx);
    const interception = interceptionFigures(ctx);
    const screen = h('div', { class: 'screen screen-figures' }, toolbar, errorBox, cards, h('div', { class: 'panels' }, levels, stations), interception.el, desk.el);
    replace(root, screen);

    if (isCentre(ctx.user)) {
      api
        .get('/areas', { kind: 'station' })
        .then((fc) => {
          replace(
            stationSelect,
            h('option', { value: '' }, '全县'),
            (fc.features || []).map((f) => h('option', { value: String(f.properties.id) }, f.properties.name)),
          );
        })
        .catch(() => {});
    }

    async function load() {
      const range = periodRange(period, serverNow(), { start: startInput.value, end: endInput.value });
      if (!range) {
        showError('请选择开始和结束日期');
        return;
      }
      const mine = ++seq;
      screen.classList.add('is-loading');
      try {
        const result = await api.get('/fraud/figures', { start: range.start, end: range.end, area_id: areaId });
        if (mine !== seq) return;
        data = result;
        errorBox.hidden = true;
        render();
        desk.load(range, serverNow(), areaId);
        interception.load(range, areaId);
      } catch (e) {
        if (mine === seq) showError(e.message);
      } finally {
        if (mine === seq) screen.classList.remove('is-loading');
      }
    }

    function showError(message) {
      replace(errorBox, message);
      errorBox.hidden = false;
    }

    function card(label, value, sub, cls) {
      return h('div', { class: ['card', cls] }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
    }

    function render() {
      const f = data;
      replace(rangeText, fmtDateTime(f.period.start) + ' 至 ' + fmtDateTime(f.period.end));
      replace(
        cards,
        card('预警', fmtInt(f.warnings), '未办结 ' + fmtInt(f.open)),
        card('劝阻成功', fmtInt(f.dissuaded), f.warnings ? '占预警 ' + fmtPercent(f.dissuaded / f.warnings) : null, 'card-ok'),
        card('挽回损失', fmtYuan(f.protected_yuan), null, 'card-ok'),
        card('已被骗', fmtInt(f.defrauded), '被骗金额 ' + fmtYuan(f.lost_yuan), f.defrauded ? 'card-bad' : null),
        card('按时办结率', fmtPercent(f.on_time_rate), '办结 ' + fmtInt(f.tasks_closed) + '，按时 ' + fmtInt(f.tasks_closed_on_time)),
        h(
          'a',
          { class: 'card-link', href: '#/tasks?tab=overdue', title: '打开任务清单的“已超时”' },
          card('超时未办结', fmtInt(f.tasks_overdue_open), '当前已超时仍在办理（不限统计期）', f.tasks_overdue_open ? 'card-bad' : null),
        ),
      );
      renderLevels(f);
      renderStations(f);
    }

    function renderLevels(f) {
      const by = f.by_level || {};
      const max = Math.max.apply(null, [1].concat(LEVEL_ORDER.map((l) => by[l] || 0)));
      replace(
        levels,
        h('h3', null, '按等级'),
        h(
          'div',
          { class: 'bars' },
          LEVEL_ORDER.map((l) =>
            h(
              'div',
              { class: 'bar-row' },
              h('span', { class: 'bar-label' }, levelName(l)),
              h('span', { class: 'bar-track' }, h('span', { class: 'bar bar-' + l, style: { width: ((by[l] || 0) / max) * 100 + '%' } })),
              h('span', { class: 'bar-value' }, fmtInt(by[l] || 0)),
            ),
          ),
        ),
      );
    }

    function renderStations(f) {
      const rows = (f.per_station || []).slice();
      const col = COLUMNS.find((c) => c.key === sortKey);
      rows.sort((a, b) => {
        const x = col.text ? String(a[sortKey]) : Number(a[sortKey]);
        const y = col.text ? String(b[sortKey]) : Number(b[sortKey]);
        const c = col.text ? x.localeCompare(y, 'zh-CN') : x - y;
        return sortDesc ? -c : c;
      });
      const max = {};
      COLUMNS.filter((c) => c.bar).forEach((c) => {
        max[c.key] = Math.max.apply(null, [0].concat(rows.map((r) => Number(r[c.key]) || 0)));
      });
      const cell = (r, c) => {
        if (c.text) return h('td', null, r[c.key]);
        const v = Number(r[c.key]) || 0;
        const text = c.money ? fmtYuan(r[c.key]) : fmtInt(v);
        if (!c.bar) return h('td', { class: 'num' }, text);
        const pct = max[c.key] ? (v / max[c.key]) * 100 : 0;
        return h(
          'td',
          { class: 'num cell-bar' },
          h(
            'span',
            { class: 'cell-bar-wrap' },
            h('span', { class: 'cell-bar-track' }, h('span', { class: 'cell-bar-fill' + (c.money ? ' is-money' : ''), style: { width: pct + '%' } })),
            h('span', { class: 'cell-bar-text' }, text),
          ),
        );
      };
      replace(
        stations,
        h('h3', null, '各派出所'),
        rows.length
          ? h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'tbl tbl-figures' },
                h(
                  'thead',
                  null,
                  h(
                    'tr',
                    null,
                    COLUMNS.map((c) =>
                      h(
                        'th',
                        { class: [c.text ? null : 'num', 'sortable', c.key === sortKey && (sortDesc ? 'sort-desc' : 'sort-asc')], 'aria-sort': c.key === sortKey ? (sortDesc ? 'descending' : 'ascending') : null },
                        h(
                          'button',
                          {
                            type: 'button',
                            onclick: () => {
                              if (sortKey === c.key) sortDesc = !sortDesc;
                              else {
                                sortKey = c.key;
                                sortDesc = !c.text;
                              }
                              renderStations(data);
                            },
                          },
                          c.label,
                        ),
                      ),
                    ),
                  ),
                ),
                h('tbody', null, rows.map((r) => h('tr', null, COLUMNS.map((c) => cell(r, c))))),
                h(
                  'tfoot',
                  null,
                  h(
                    'tr',
                    null,
                    h('td', null, '合计'),
                    h('td', { class: 'num' }, fmtInt(f.warnings)),
                    h('td', { class: 'num' }, fmtInt(f.dissuaded)),
                    h('td', { class: 'num' }, fmtInt(f.defrauded)),
                    h('td', { class: 'num' }, fmtYuan(f.protected_yuan)),
                    h('td', { class: 'num' }, fmtYuan(f.lost_yuan)),
                    h('td', { class: 'num' }, fmtInt(f.open)),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, '该时间段没有预警'),
      );
    }

    load();
    // Current periods keep growing: refresh them now and then (a wall display stays current).
    const timer = setInterval(() => {
      if (period !== 'custom' && !document.hidden) load();
    }, REFRESH_MS);
    return {
      update() {},
      destroy() {
        seq += 1;
        clearInterval(timer);
        desk.destroy();
      },
    };
  },
};
