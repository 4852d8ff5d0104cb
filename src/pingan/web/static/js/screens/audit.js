// 审计: who read whose unmasked personal data, when and why (the access log), and every staff sign-in, failed
// sign-in, lockout and account change (the log-in records), searchable by the admin. One tab per record kind,
// each over its own endpoint; both page the same way. The tab, the form's fields (as typed) and the page are in
// the URL (#/audit?tab=events&kind=lockout&offset=50): shareable, the back button and a reload restore them.

import { api } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { fmtDateTime, parseDateInput, shanghaiMidnight } from '../format.js';
import { navigate } from '../router.js';
import { dateInput } from '../ui/date-input.js';
import { exportTools, filtersFrom } from '../ui/listing.js';
import { ROLE_NAMES } from '../labels.js';

const PAGE = 50;

const SUBJECT_TYPES = [
  { value: '', label: '全部对象' },
  { value: 'person', label: '登记人员' },
  { value: 'phone', label: '未登记号码' },
  { value: 'desk_request', label: '群众诉求' },
];
const SUBJECT_NAMES = { person: '人员', phone: '号码（预警）', desk_request: '群众诉求' };
const FIELD_NAMES = { name: '姓名', phone: '手机', id_number: '身份证号', address: '住址', location: '位置', all: '全部信息' };

const EVENT_KINDS = {
  login: '登录',
  login_failed: '登录失败',
  lockout: '锁定',
  logout: '退出登录',
  password_changed: '修改密码',
  deactivated: '停用账号',
  reactivated: '启用账号',
  role_changed: '角色变更',
};
const EVENT_CLASSES = { login_failed: 'warn', lockout: 'bad', deactivated: 'bad', role_changed: 'warn' };

// The tabs of the screen: each mounts its own pane over its own endpoint.
const TABS = [
  { value: 'access', label: '个人信息查看记录', pane: accessPane },
  { value: 'events', label: '登录记录', pane: eventsPane },
];

export default {
  id: 'audit',
  title: '审计',
  group: '后台',
  roles: ['admin'],
  mount(root, ctx) {
    const pane = h('div', { class: 'audit-pane' });
    let shown = null;
    let current = null;
    const show = (value) => {
      if (shown) shown.destroy();
      const tab = TABS.find((t) => t.value === value) || TABS[0];
      current = tab.value;
      pane.dataset.tab = tab.value;
      const go = (query) => navigate('/audit', Object.assign({ tab: tab.value === 'access' ? undefined : tab.value }, query));
      shown = tab.pane(pane, ctx, go);
    };
    const tabs = segmented(TABS, 'access', (v) => navigate('/audit', { tab: v === 'access' ? undefined : v }), '审计记录类型');
    const screen = h('div', { class: 'screen audit-screen' }, h('div', { class: 'audit-tabs' }, tabs), pane);
    replace(root, screen);
    return {
      update(_params, query) {
        const want = TABS.some((t) => t.value === query.tab) ? query.tab : 'access';
        if (want !== current) show(want);
        tabs.setValue(want);
        const rest = filtersFrom(query, {});
        delete rest.tab;
        shown.apply(rest);
      },
      destroy() {
        if (shown) shown.destroy();
      },
    };
  },
};

// A filter form above a table of records, newest first, a page at a time: `endpoint` answers
// {total, limit, offset, items} for the filters `readFilters()` gives plus limit and offset.
// `go(query)` puts the form's fields as typed (and the page) in the URL; `apply(query)` fills the form from it
// and loads that page.
function pagedTable(root, ctx, go, { fields, columns, endpoint, readFilters, row, nothing, nothingMatches }) {
  let offset = 0;
  let seq = 0;
  let filters = {};
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
    fields,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '查询'),
    h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: reset }, '重置'),
  );
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'tbl audit-table' },
    h('thead', null, h('tr', null, columns.map((t) => h('th', { scope: 'col' }, t)))),
    body,
  );
  const empty = h('div', { class: 'empty', hidden: true });
  const counter = h('span', { class: 'muted audit-count' });
  const prev = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => page(-1) }, '上一页');
  const next = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => page(1) }, '下一页');
  const tools = exportTools('audit-access', () => filters, ctx);
  const pager = h('div', { class: 'audit-pager' }, counter, h('span', { class: 'grow' }), tools, prev, next);
  replace(root, form, h('div', { class: 'table-scroll' }, table, empty), pager);

  function typed() {
    const out = {};
    Array.from(form.elements).forEach((el) => {
      if (el.name && el.value !== '') out[el.name] = el.value;
    });
    return out;
  }

  function search() {
    go(typed());
  }

  function reset() {
    form.reset();
    go({});
  }

  function page(step) {
    go(Object.assign(typed(), { offset: Math.max(0, offset + step * PAGE) || undefined }));
  }

  function apply(query) {
    Array.from(form.elements).forEach((el) => {
      if (el.name) el.value = query[el.name] !== undefined ? query[el.name] : '';
    });
    filters = readFilters();
    offset = Math.max(0, parseInt(query.offset, 10) || 0);
    load();
  }

  async function load() {
    const mine = ++seq;
    prev.disabled = true;
    next.disabled = true;
    let data;
    try {
      data = await api.get(endpoint, Object.assign({ limit: PAGE, offset }, filters));
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
    replace(empty, Object.keys(filters).length ? nothingMatches : nothing);
    const pages = Math.max(1, Math.ceil(data.total / PAGE));
    const at = Math.floor(offset / PAGE) + 1;
    replace(counter, '共 ' + data.total + ' 条 · 第 ' + at + ' / ' + pages + ' 页');
    prev.disabled = offset === 0;
    next.disabled = offset + items.length >= data.total;
  }

  return {
    apply,
    destroy() {
      seq += 1; // an answer still on its way is dropped
    },
  };
}

// Calendar days in Shanghai: from the first day's midnight to the midnight after the last day.
function dateRange() {
  const startInput = dateInput({ name: 'start', 'aria-label': '开始日期' });
  const endInput = dateInput({ name: 'end', 'aria-label': '结束日期' });
  return {
    el: h('span', { class: 'audit-range' }, startInput, h('span', null, '至'), endInput),
    into(out) {
      const a = parseDateInput(startInput.value);
      const b = parseDateInput(endInput.value);
      if (a) out.start = shanghaiMidnight(a.y, a.m, a.d);
      if (b) out.end = shanghaiMidnight(b.y, b.m, b.d + 1);
    },
  };
}

function eventsPane(root, ctx, go) {
  const who = h('input', { type: 'search', name: 'user', placeholder: '账号或姓名', 'aria-label': '账号', maxlength: 64 });
  const kinds = [{ value: '', label: '全部事件' }].concat(Object.keys(EVENT_KINDS).map((k) => ({ value: k, label: EVENT_KINDS[k] })));
  const kind = select(kinds, '', () => {}, { name: 'kind', 'aria-label': '事件' });
  const range = dateRange();
  return pagedTable(root, ctx, go, {
    fields: [who, kind, range.el],
    columns: ['时间', '账号', '事件', '来源地址', '操作人', '说明'],
    endpoint: '/audit/events',
    nothing: '还没有登录记录',
    nothingMatches: '没有符合条件的登录记录',
    readFilters() {
      const out = {};
      if (who.value.trim()) out.user = who.value.trim();
      if (kind.value) out.kind = kind.value;
      range.into(out);
      return out;
    },
    row: (e) =>
      h(
        'tr',
        { dataset: { id: e.id, kind: e.kind } },
        h('td', { class: 'mono' }, fmtDateTime(e.at)),
        h('td', null, h('div', null, e.user_name || e.username || '—'), h('div', { class: 'sub mono' }, e.username || '')),
        h('td', null, h('span', { class: ['chip', EVENT_CLASSES[e.kind] && 'chip-' + EVENT_CLASSES[e.kind]] }, EVENT_KINDS[e.kind] || e.kind)),
        h('td', { class: 'mono' }, e.address || h('span', { class: 'muted' }, '—')),
        h('td', null, e.actor_id ? e.actor_name || '编号 ' + e.actor_id : h('span', { class: 'muted' }, '本人')),
        h('td', { class: 'wrap' }, eventDetail(e)),
      ),
  });
}

function eventDetail(e) {
  const d = e.detail || {};
  if (e.kind === 'role_changed') {
    const name = (r) => ROLE_NAMES[r] || r || '?';
    return d.to ? name(d.from) + ' → ' + name(d.to) : '原角色 ' + name(d.from);
  }
  if (e.kind === 'password_changed') return d.reset ? '管理员重置' : '本人修改';
  if (e.kind === 'lockout') {
    const what = d.scope === 'address' ? '来源地址锁定' : '账号锁定';
    return d.until ? what + '至 ' + fmtDateTime(d.until) : what;
  }
  if (e.kind === 'login_failed' && !e.user_id) return '账号不存在';
  return '';
}

function accessPane(root, ctx, go) {
  const reader = h('input', { type: 'search', name: 'user', placeholder: '查看人（账号或姓名）', 'aria-label': '查看人', maxlength: 64 });
  const subjectType = select(SUBJECT_TYPES, '', () => {}, { name: 'subject_type', 'aria-label': '对象类型' });
  const subjectId = h('input', { type: 'number', name: 'subject_id', min: 1, step: 1, placeholder: '对象编号', 'aria-label': '对象编号', class: 'audit-id' });
  const range = dateRange();
  const purpose = h('input', { type: 'search', name: 'q', placeholder: '用途包含……', 'aria-label': '用途', maxlength: 100 });
  return pagedTable(root, ctx, go, {
    fields: [reader, subjectType, subjectId, range.el, purpose],
    columns: ['时间', '查看人', '单位', '查看对象', '字段', '用途'],
    endpoint: '/audit/access',
    nothing: '还没有查看记录',
    nothingMatches: '没有符合条件的查看记录',
    readFilters() {
      const out = {};
      if (reader.value.trim()) out.user = reader.value.trim();
      if (subjectType.value) out.subject_type = subjectType.value;
      if (subjectId.value) out.subject_id = subjectId.value;
      range.into(out);
      if (purpose.value.trim()) out.q = purpose.value.trim();
      return out;
    },
    row(a) {
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
    },
  });
}
