// 审计: who read whose unmasked personal data, when and why (the access log), searchable by the admin.
// One tab per record kind; the log-in records will be the second tab (another table, another endpoint).

import { api } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { fmtDateTime, parseDateInput, shanghaiMidnight } from '../format.js';
import { exportTools } from '../ui/listing.js';

const PAGE = 50;

const SUBJECT_TYPES = [
  { value: '', label: '全部对象' },
  { value: 'person', label: '登记人员' },
  { value: 'phone', label: '未登记号码' },
  { value: 'desk_request', label: '群众诉求' },
];
const SUBJECT_NAMES = { person: '人员', phone: '号码（预警）', desk_request: '群众诉求' };
const FIELD_NAMES = { name: '姓名', phone: '手机', id_number: '身份证号', address: '住址', location: '位置', all: '全部信息' };

// The tabs of the screen: each names its endpoint and mounts its own pane.
const TABS = [{ value: 'access', label: '个人信息查看记录' }];

export default {
  id: 'audit',
  title: '审计',
  roles: ['admin'],
  mount(root, ctx) {
    const pane = h('div', { class: 'audit-pane' });
    const tabs = segmented(TABS, 'access', () => {}, '审计记录类型');
    const screen = h('div', { class: 'screen audit-screen' }, h('div', { class: 'audit-tabs' }, tabs), pane);
    replace(root, screen);
    const access = accessPane(pane, ctx);
    return {
      update() {},
      destroy() {
        access.destroy();
      },
    };
  },
};

function accessPane(root, ctx) {
  let offset = 0;
  let seq = 0;
  let filters = {};

  const reader = h('input', { type: 'search', name: 'user', placeholder: '查看人（账号或姓名）', 'aria-label': '查看人', maxlength: 64 });
  const subjectType = select(SUBJECT_TYPES, '', () => {}, { name: 'subject_type', 'aria-label': '对象类型' });
  const subjectId = h('input', { type: 'number', name: 'subject_id', min: 1, step: 1, placeholder: '对象编号', 'aria-label': '对象编号', class: 'audit-id' });
  const startInput = h('input', { type: 'date', name: 'start', 'aria-label': '开始日期' });
  const endInput = h('input', { type: 'date', name: 'end', 'aria-label': '结束日期' });
  const purpose = h('input', { type: 'search', name: 'q', placeholder: '用途包含……', 'aria-label': '用途', maxlength: 100 });
  const form = h(
    'form',
    {
      class: 'toolbar audit-filters',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        search();
      },
    },
    reader,
    subjectType,
    subjectId,
    h('span', { class: 'audit-range' }, startInput, h('span', null, '至'), endInput),
    purpose,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '查询'),
    h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: reset }, '重置'),
  );
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'tbl audit-table' },
    h('thead', null, h('tr', null, ['时间', '查看人', '单位', '查看对象', '字段', '用途'].map((t) => h('th', { scope: 'col' }, t)))),
    body,
  );
  const empty = h('div', { class: 'empty', hidden: true });
  const counter = h('span', { class: 'muted audit-count' });
  const prev = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => page(-1) }, '上一页');
  const next = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => page(1) }, '下一页');
  const tools = exportTools('audit-access', () => filters, ctx, 1000);
  const pager = h('div', { class: 'audit-pager' }, counter, h('span', { class: 'grow' }), tools, prev, next);
  replace(root, form, h('div', { class: 'table-scroll' }, table, empty), pager);

  function readFilters() {
    const out = {};
    if (reader.value.trim()) out.user = reader.value.trim();
    if (subjectType.value) out.subject_type = subjectType.value;
    if (subjectId.value) out.subject_id = subjectId.value;
    const a = parseDateInput(startInput.value);
    const b = parseDateInput(endInput.value);
    // Calendar days in Shanghai: from the first day's midnight to the midnight after the last day.
    if (a) out.start = shanghaiMidnight(a.y, a.m, a.d);
    if (b) out.end = shanghaiMidnight(b.y, b.m, b.d + 1);
    if (purpose.value.trim()) out.q = purpose.value.trim();
    return out;
  }

  function search() {
    filters = readFilters();
    offset = 0;
    load();
  }

  function reset() {
    form.reset();
    search();
  }

  function page(step) {
    offset = Math.max(0, offset + step * PAGE);
    load();
  }

  async function load() {
    const mine = ++seq;
    prev.disabled = true;
    next.disabled = true;
    let data;
    try {
      data = await api.get('/audit/access', Object.assign({ limit: PAGE, offset }, filters));
    } catch (e) {
      if (mine !== seq) return;
      replace(body);
      empty.hidden = false;
      replace(empty, e.message);
      ctx.toast(e.field ? e.message + '（' + e.field + '）' : e.message, 'error');
      return;
    }
    if (mine !== seq) return;
    const items = data.items || [];
    replace(body, items.map(row));
    empty.hidden = items.length > 0;
    replace(empty, Object.keys(filters).length ? '没有符合条件的查看记录' : '还没有查看记录');
    const pages = Math.max(1, Math.ceil(data.total / PAGE));
    const at = Math.floor(offset / PAGE) + 1;
    replace(counter, '共 ' + data.total + ' 条 · 第 ' + at + ' / ' + pages + ' 页');
    prev.disabled = offset === 0;
    next.disabled = offset + items.length >= data.total;
  }

  function row(a) {
    const fields = String(a.fields || '')
      .split(',')
      .filter(Boolean)
      .map((f) => FIELD_NAMES[f] || f);
    return h(
      'tr',
      { dataset: { id: a.id } },
      h('td', { class: 'mono' }, fmtDateTime(a.at)),
      h('td', null, h('div', null, a.user_name || a.username), h('div', { class: 'sub mono' }, a.username)),
      h('td', null, a.unit_name || h('span', { class: 'muted' }, '—')),
      h('td', null, h('div', null, SUBJECT_NAMES[a.subject_type] || a.subject_type), h('div', { class: 'sub mono' }, '编号 ' + a.subject_id)),
      h('td', null, fields.join('、')),
      h('td', { class: 'wrap' }, a.purpose),
    );
  }

  load();
  return {
    destroy() {
      seq += 1; // an answer still on its way is dropped
    },
  };
}
