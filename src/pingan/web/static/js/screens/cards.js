// 断卡核查: the card openings the county's rules flagged, with their reasons and the station's verification task.
// Holders are masked; 显示完整信息 unmasks them for the roles that need it (the server records every reveal).

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { field, modal } from '../ui/dialog.js';

const KIND_NAMES = { sim: '电话卡', bank_card: '银行卡' };
const OUTCOMES = [
  { value: 'cancelled', label: '注销' },
  { value: 'cleared', label: '正常' },
  { value: 'suspect', label: '发现涉诈嫌疑' },
];
const VIEWS = [
  { value: 'open', label: '待核查' },
  { value: 'all', label: '全部' },
];

export default {
  id: 'cards',
  title: '断卡核查',
  group: '反诈',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let view = 'open';
    let reveal = false;
    let seq = 0;
    const body = h('tbody');
    const empty = h('div', { class: 'empty', hidden: true }, '暂无异常开卡');
    const figures = h('div', { class: 'cards-figures muted', 'aria-live': 'polite' });
    const revealBox = h('input', { type: 'checkbox', name: 'reveal', onchange: (e) => { reveal = e.target.checked; load(); } });
    const tabs = segmented(VIEWS, view, (v) => { view = v; load(); }, '核查状态');
    const canReveal = ['admin', 'analyst', 'commander', 'station_head', 'officer'].indexOf(ctx.user.role) >= 0;
    const screen = h(
      'div',
      { class: 'screen cards-screen' },
      h('div', { class: 'toolbar' }, tabs, canReveal ? h('label', { class: 'check' }, revealBox, ' 显示完整信息（将记录查看）') : null, figures),
      // Nine columns: on a phone the table scrolls sideways inside its box, not the whole page.
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'tbl cards-table' },
          h('thead', null, h('tr', null, ['开卡时间', '持卡人', '身份证号', '卡', '网点', '派出所', '原因', '核查', ''].map((t) => h('th', { scope: 'col' }, t)))),
          body,
        ),
      ),
      empty,
    );
    replace(root, screen);

    async function load() {
      const mine = ++seq;
      try {
        const query = { limit: 200, reveal: reveal ? 'true' : undefined };
        if (view === 'open') query.open = 'true';
        const [rows, counts] = await Promise.all([api.get('/cards/flagged', query), api.get('/cards/figures')]);
        if (mine !== seq) return;
        replace(body, ...rows.map(row));
        empty.hidden = rows.length > 0;
        replace(figures, `开卡 ${counts.openings} 张，异常 ${counts.flagged} 张，已注销 ${counts.cancelled} 张，正常 ${counts.cleared} 张，涉诈嫌疑 ${counts.suspect} 张`);
      } catch (e) {
        ctx.toast((e && e.message) || '加载失败', 'error');
      }
    }

    function row(r) {
      const task = r.task;
      const allowed = (task && task.allowed_actions) || [];
      const buttons = [];
      if (allowed.indexOf('sign') >= 0) buttons.push(h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => act(task, { action: 'sign' }) }, '签收'));
      if (allowed.indexOf('verify') >= 0) buttons.push(h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => verify(task) }, '核查结果'));
      return h(
        'tr',
        { 'data-id': r.id },
        h('td', null, fmtDateTime(r.opened_at)),
        h('td', null, r.holder.name),
        h('td', { class: 'mono' }, r.holder.id_number),
        h('td', null, (KIND_NAMES[r.kind] || r.kind) + ' ', h('span', { class: 'mono' }, r.number), h('div', { class: 'muted' }, r.source)),
        h('td', null, r.outlet.name || r.outlet.id),
        h('td', null, r.station || '未落地'),
        h('td', null, r.reasons.map((x) => h('div', null, x.text))),
        h('td', null, task ? task.status_name : '-', task && task.overdue ? h('span', { class: 'badge badge-overdue' }, ' 超时') : null),
        h('td', null, buttons),
      );
    }

    function act(task, body) {
      return api.post('/tasks/' + task.id + '/actions', body).then(() => { ctx.toast('已提交', 'ok'); load(); }, (e) => ctx.toast(e.message || '操作失败', 'error'));
    }

    function verify(task) {
      const outcome = h('select', { name: 'outcome' }, OUTCOMES.map((o) => h('option', { value: o.value }, o.label)));
      const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000, placeholder: '核查情况（结果为“正常”时必填）' });
      modal({
        title: '登记核查结果',
        lead: '注销：卡为出租、出售或代他人办理，已注销；正常：本人正常使用；发现涉诈嫌疑：转反诈中心研判。',
        content: h('div', null, field('核查结果', outcome, null, true), field('情况说明', note)),
        actions: [
          {
            label: '提交',
            kind: 'primary',
            onClick: () =>
              api.post('/tasks/' + task.id + '/actions', { action: 'verify', outcome: outcome.value, note: note.value.trim() || undefined }).then(() => load()),
          },
        ],
      });
    }

    load();
    return { update() {}, destroy() { seq++; } };
  },
};
