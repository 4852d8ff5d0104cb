// The 数据 screen's 打击拦截 panel (A11): numbers blocked, cards cancelled, accounts stopped and frozen with their
// amounts, money returned, cases opened, linked and solved, suspects — for the screen's period and area, with
// the same table per station as a CSV or Excel file.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtInt, fmtYuan } from '../format.js';
import { exportTools } from '../ui/listing.js';

const CARDS = [
  { key: 'numbers_blocked', sub: '全县涉诈号码名单' },
  { key: 'cards_cancelled', sub: (t) => '电话卡 ' + fmtInt(t.sim_cancelled) + '，银行卡 ' + fmtInt(t.bank_cards_cancelled) },
  { key: 'accounts_stopped', money: 'amount_stopped_yuan' },
  { key: 'accounts_frozen', money: 'amount_frozen_yuan' },
  { key: 'amount_returned_yuan', isMoney: true, sub: (t) => '返还 ' + fmtInt(t.returns) + ' 笔' },
  { key: 'cases', sub: (t) => '损失 ' + fmtYuan(t.loss_yuan) },
  { key: 'cases_linked', sub: '与其他案件串并' },
  { key: 'cases_solved' },
  { key: 'suspects', sub: (t) => '抓获 ' + fmtInt(t.suspects_caught) },
];
const COLUMNS = [
  'cards_cancelled', 'accounts_stopped', 'amount_stopped_yuan', 'accounts_frozen', 'amount_frozen_yuan',
  'amount_returned_yuan', 'cases', 'cases_linked', 'cases_solved', 'suspects',
];

/** interceptionFigures(ctx) → {el, load(range, areaId)}: the panel, loaded for a period {start, end?}. */
export function interceptionFigures(ctx) {
  let query = {};
  const errorBox = h('div', { class: 'case-error', role: 'alert', hidden: true });
  const cards = h('div', { class: 'cards cards-interception' });
  const table = h('div', { class: 'table-wrap' });
  const el = h(
    'section',
    { class: 'panel panel-wide panel-interception', dataset: { panel: 'interception' } },
    h('div', { class: 'panel-head' }, h('h3', null, '打击拦截'), h('span', { class: 'grow' }), exportTools('interception-figures', () => query, ctx)),
    errorBox,
    cards,
    table,
  );

  function value(t, c) {
    return c.isMoney || c.key.indexOf('amount_') === 0 || c.key === 'loss_yuan' ? fmtYuan(t[c.key]) : fmtInt(t[c.key]);
  }

  function render(f) {
    const t = f.total;
    const names = f.names;
    replace(
      cards,
      CARDS.map((c) =>
        h(
          'div',
          { class: 'card', dataset: { figure: c.key } },
          h('div', { class: 'card-label' }, names[c.key].replace('（元）', '')),
          h('div', { class: 'card-value' }, value(t, c)),
          c.money ? h('div', { class: 'card-sub' }, fmtYuan(t[c.money])) : c.sub ? h('div', { class: 'card-sub' }, typeof c.sub === 'function' ? c.sub(t) : c.sub) : null,
        ),
      ),
    );
    const rows = f.areas || [];
    replace(
      table,
      rows.length
        ? h(
            'table',
            { class: 'tbl tbl-figures tbl-interception' },
            h('thead', null, h('tr', null, h('th', null, '辖区'), COLUMNS.map((k) => h('th', { class: 'num' }, names[k])))),
            h('tbody', null, rows.map((r) => h('tr', null, h('td', null, r.area), COLUMNS.map((k) => h('td', { class: 'num' }, value(r, { key: k })))))),
          )
        : h('p', { class: 'empty' }, '该时间段没有止付、断卡或案件'),
    );
  }

  return {
    el,
    async load(range, areaId) {
      query = Object.assign({ area_id: areaId || '' }, range);
      try {
        const f = await api.get('/interception/figures', query);
        errorBox.hidden = true;
        render(f);
      } catch (e) {
        replace(errorBox, e.message);
        errorBox.hidden = false;
      }
    },
  };
}
