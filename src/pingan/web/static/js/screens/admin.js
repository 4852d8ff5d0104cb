// 后台: indicator lists, users and roles, desk routing rules with a preview, push templates and pushes,
// DingTalk robots, campaign SMS opt-outs (短信退订). Each tab is a list over the API with its filters in the URL (#/admin?tab=…&q=…), the
// server's total and pages, and export / print where it is a list.

import { api, request } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { fmtDateTime, parseDateInput, shanghaiMidnight } from '../format.js';
import { DESK_CATEGORIES, DESK_ROUTES, FRAUD_TYPES, ROLE_NAMES } from '../labels.js';
import { navigate } from '../router.js';
import { getToken } from '../session.js';
import { dateInput } from '../ui/date-input.js';
import { field, modal } from '../ui/dialog.js';
import { errorText, exportTools, filtersFrom, pager, pushFilters, table } from '../ui/listing.js';
import { optOutDialog } from '../ui/sms-opt-out.js';

const PAGE = 50;
const TABS = [
  { value: 'indicators', label: '涉诈指标', roles: ['admin', 'analyst', 'commander'] },
  { value: 'users', label: '用户与角色', roles: ['admin'] },
  { value: 'routing', label: '分流规则', roles: ['admin', 'commander'] },
  { value: 'pushes', label: '推送', roles: ['admin', 'analyst', 'commander', 'station_head'] },
  { value: 'robots', label: '钉钉机器人', roles: ['admin'] },
  { value: 'optouts', label: '短信退订', roles: ['admin'] },
];
const REVEAL_PURPOSES = ['核查短信退订', '处理群众投诉'];
const KINDS = { phone: '电话号码', account: '银行账户', url: '网址', domain: '域名', app: 'APP' };
const PUSH_KINDS = { fraud: '电诈预警', weather: '天气提醒', disaster: '灾害警告', traffic: '交通安全', epidemic: '疫情防控', notice: '其他通知' };
const TOPICS = { household: '户籍', exit_entry: '出入境', traffic: '交管', legal: '法律求助', government: '政务服务', dog: '犬类管理', noise: '噪音扰民', other: '其他' };

function options(map, blank) {
  const out = blank ? [{ value: '', label: blank }] : [];
  return out.concat(Object.keys(map).map((k) => ({ value: k, label: typeof map[k] === 'string' ? map[k] : map[k].name })));
}

function input(name, props) {
  return h('input', Object.assign({ name, class: 'bo-input' }, props || {}));
}

export default {
  id: 'admin',
  title: '后台',
  group: '后台',
  roles: ['admin', 'analyst', 'commander', 'station_head'],
  mount(root, ctx) {
    const tabs = TABS.filter((t) => t.roles.indexOf(ctx.user.role) >= 0);
    const tabSlot = h('div', { class: 'bo-tabs no-print' });
    const pane = h('div', { class: 'bo-pane' });
    replace(root, h('div', { class: 'screen bo-screen admin-screen' }, tabSlot, pane));
    let tab = null;
    let instance = null;

    return {
      update(_params, query) {
        const want = tabs.find((t) => t.value === query.tab) || tabs[0];
        if (!want) return;
        if (!tab || tab.value !== want.value) {
          tab = want;
          replace(tabSlot, segmented(tabs, tab.value, (v) => navigate('/admin', { tab: v }), '后台'));
          replace(pane);
          instance = PANES[tab.value](pane, ctx);
        }
        instance.update(filtersFrom(query, {}));
      },
      destroy() {},
    };
  },
};

// -- 涉诈指标 -----------------------------------------------------------------------------------------

function indicatorsPane(root, ctx) {
  let f = {};
  const may = ['admin', 'analyst'].indexOf(ctx.user.role) >= 0;
  const q = input('q', { type: 'search', placeholder: '号码、账户、网址……', 'aria-label': '指标值' });
  const kind = select(options(KINDS, '全部类型'), '', () => {}, { name: 'kind', 'aria-label': '类型' });
  const state = select([{ value: '', label: '有效' }, { value: 'false', label: '已失效' }], '', () => {}, { name: 'active', 'aria-label': '状态' });
  const form = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        pushFilters('/admin', { tab: 'indicators', q: q.value.trim(), kind: kind.value, active: state.value });
      },
    },
    q,
    kind,
    state,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '查询'),
    h('span', { class: 'grow' }),
    may ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: addDialog }, '添加指标') : null,
    may ? importButton() : null,
    exportTools('indicators', listQuery, ctx),
  );
  const body = h('div', { class: 'table-scroll' });
  const pages = pager({ limit: PAGE, onPage: (offset) => pushFilters('/admin', Object.assign({}, f, { tab: 'indicators', offset })) });
  replace(root, form, body, pages.el);

  function listQuery() {
    const out = { limit: PAGE, offset: Number(f.offset || 0) };
    if (f.q) out.q = f.q;
    if (f.kind) out.kind = f.kind;
    if (f.active === 'false') out.active = 'false';
    return out;
  }

  let seq = 0;
  async function load() {
    // A late answer for earlier filters (the first load, before the URL's) must not overwrite this one.
    const mine = ++seq;
    const query = listQuery();
    let res;
    try {
      res = await rawGet('/fraud/indicators', query);
    } catch (e) {
      if (mine !== seq) return;
      replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
      return;
    }
    if (mine !== seq) return;
    const rows = res.data;
    pages.set(res.total, query.offset, rows.length);
    if (!rows.length) {
      replace(body, h('p', { class: 'empty' }, '没有符合条件的指标'));
      return;
    }
    replace(
      body,
      table(
        [
          { label: '类型', cell: (r) => KINDS[r.kind] || r.kind },
          { label: '值（规范化）', cell: (r) => h('span', { class: 'mono', 'data-role': 'value' }, r.value) },
          { label: '诈骗类型', cell: (r) => FRAUD_TYPES[r.fraud_type] || r.fraud_type },
          { label: '来源', cell: (r) => r.source },
          { label: '备注', cell: (r) => r.note || '—', cls: 'wrap' },
          { label: '命中', cell: (r) => h('button', { type: 'button', class: 'link-btn', 'data-role': 'hits', onclick: () => hitsDialog(r) }, String(r.hits)) },
          { label: '添加时间', cell: (r) => fmtDateTime(r.created_at) },
          { label: '失效时间', cell: (r) => (r.expires_at ? fmtDateTime(r.expires_at) : '长期') },
          {
            label: '',
            cls: 'no-print',
            cell: (r) => (may && r.active ? h('button', { type: 'button', class: 'btn btn-danger-ghost btn-small', onclick: () => expire(r) }, '失效') : null),
          },
        ],
        rows,
        'tbl-compact indicator-table',
      ),
    );
  }

  function addDialog() {
    const k = select(options(KINDS), 'phone', () => {}, { name: 'kind' });
    const v = input('value', { type: 'text', required: true, maxlength: 255, placeholder: '+86 170-0000-0000、网址、域名、APP 包名' });
    const t = select(options(FRAUD_TYPES), 'other', () => {}, { name: 'fraud_type' });
    const note = input('note', { type: 'text', maxlength: 1000 });
    const exp = dateInput({ name: 'expires_at', class: 'bo-input' });
    modal({
      title: '添加涉诈指标',
      content: h('div', { class: 'form-grid' }, field('类型', k, null, true), field('值', v, '保存前自动规范化（号码去掉 +86、空格，网址取主机）', true), field('诈骗类型', t), field('备注', note), field('失效日期', exp)),
      actions: [
        {
          label: '保存',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            const body = { kind: k.value, value: v.value, fraud_type: t.value };
            if (note.value.trim()) body.note = note.value.trim();
            const d = parseDateInput(exp.value);
            if (exp.value.trim() && !d) throw Object.assign(new Error('失效日期请按 YYYY-MM-DD 填写'), { field: 'expires_at' });
            if (d) body.expires_at = shanghaiMidnight(d.y, d.m, d.d + 1);
            const row = await api.post('/fraud/indicators', body);
            ctx.toast('已添加：' + row.value, 'ok');
            load();
          },
        },
      ],
    });
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
          const report = await upload('/fraud/indicators/import', data);
          const bad = report.rejected.map((r) => '第 ' + r.line + ' 行' + (r.field ? '（' + r.field + '）' : '') + '：' + r.message);
          modal({
            title: '导入结果',
            lead: '新增 ' + report.created + ' 条，更新 ' + report.updated + ' 条，拒收 ' + report.rejected.length + ' 条',
            content: bad.length ? h('ul', { class: 'import-rejected' }, bad.map((b) => h('li', null, b))) : null,
            actions: [],
            cancelLabel: '关闭',
          });
          load();
        } catch (e) {
          ctx.toast(errorText(e), 'error');
        }
        file.value = '';
      },
    });
    return h('span', null, file, h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => file.click() }, '导入文件'));
  }

  async function expire(row) {
    try {
      await request('DELETE', '/fraud/indicators/' + row.id);
      ctx.toast('已失效：' + row.value, 'ok');
      load();
    } catch (e) {
      ctx.toast(errorText(e), 'error');
    }
  }

  async function hitsDialog(row) {
    let data;
    try {
      data = await api.get('/fraud/indicators/' + row.id + '/hits');
    } catch (e) {
      ctx.toast(errorText(e), 'error');
      return;
    }
    modal({
      title: '命中记录：' + row.value,
      lead: '共 ' + data.total + ' 次命中',
      className: 'dlg-wide',
      content: data.items.length
        ? table(
            [
              { label: '时间', cell: (e) => fmtDateTime(e.at) },
              { label: '来源', cell: (e) => e.source + ' · ' + e.kind },
              { label: '当事人', cell: (e) => e.subject_phone },
              { label: '预警', cell: (e) => (e.warning_id ? h('a', { href: '#/queue/' + e.warning_id }, '#' + e.warning_id) : '—') },
            ],
            data.items,
            'tbl-compact',
          )
        : h('p', { class: 'muted' }, '还没有命中'),
      actions: [],
      cancelLabel: '关闭',
    });
  }

  return {
    update(next) {
      f = next;
      q.value = f.q || '';
      kind.value = f.kind || '';
      state.value = f.active === 'false' ? 'false' : '';
      load();
    },
  };
}

// -- 用户与角色 ---------------------------------------------------------------------------------------

function usersPane(root, ctx) {
  let f = {};
  let units = [];
  const q = input('q', { type: 'search', placeholder: '登录名或姓名', 'aria-label': '用户' });
  const role = select(options(ROLE_NAMES, '全部角色').filter((o) => o.value !== 'resident'), '', () => {}, { name: 'role', 'aria-label': '角色' });
  const form = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        pushFilters('/admin', { tab: 'users', q: q.value.trim(), role: role.value });
      },
    },
    q,
    role,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '查询'),
    h('span', { class: 'grow' }),
    h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: addDialog }, '新建用户'),
    exportTools('users', listQuery, ctx),
  );
  const body = h('div', { class: 'table-scroll' });
  const pages = pager({ limit: PAGE, onPage: (offset) => pushFilters('/admin', Object.assign({}, f, { tab: 'users', offset })) });
  replace(root, form, body, pages.el);
  api.get('/units').then((u) => (units = u)).catch(() => {});

  function listQuery() {
    const out = { limit: PAGE, offset: Number(f.offset || 0) };
    if (f.q) out.q = f.q;
    if (f.role) out.role = f.role;
    return out;
  }

  let seq = 0;
  async function load() {
    const mine = ++seq; // a late answer for earlier filters is dropped
    const query = listQuery();
    let data;
    try {
      data = await api.get('/users', query);
    } catch (e) {
      if (mine !== seq) return;
      replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
      return;
    }
    if (mine !== seq) return;
    pages.set(data.total, query.offset, data.items.length);
    replace(
      body,
      table(
        [
          { label: '登录名', cell: (u) => h('span', { class: 'mono' }, u.username) },
          { label: '姓名', cell: (u) => u.display_name },
          { label: '单位', cell: (u) => u.unit_name || '—' },
          {
            label: '角色',
            cell: (u) =>
              u.id === ctx.user.id
                ? ROLE_NAMES[u.role] || u.role
                : select(options(ROLE_NAMES).filter((o) => o.value !== 'resident'), u.role, (v) => patch(u, { role: v }), { name: 'role', 'aria-label': '角色' }),
          },
          { label: '状态', cell: (u) => (u.active ? '启用' : h('span', { class: 'chip chip-muted' }, '已停用')) },
          {
            // 禁毒: the duty that opens community rehabilitation (社区戒毒), on top of the role
            label: '禁毒岗位',
            cell: (u) => {
              const held = (u.duties || []).indexOf('narcotics') >= 0;
              if (u.role === 'partner' || u.role === 'governance') return '—';
              const next = held ? (u.duties || []).filter((d) => d !== 'narcotics') : (u.duties || []).concat(['narcotics']);
              return h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'duty-narcotics', checked: held, onchange: () => patch(u, { duties: next }) }), ' 禁毒');
            },
          },
          {
            label: '',
            cls: 'no-print',
            cell: (u) =>
              u.id === ctx.user.id
                ? null
                : h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => patch(u, { active: !u.active }) }, u.active ? '停用' : '启用'),
          },
        ],
        data.items,
        'tbl-compact users-table',
      ),
    );
  }

  async function patch(u, body) {
    try {
      await request('PATCH', '/users/' + u.id, { json: body });
      ctx.toast('已更新：' + u.username, 'ok');
    } catch (e) {
      ctx.toast(errorText(e), 'error');
    }
    load();
  }

  async function addDialog() {
    // The unit list may still be on its way when the button is pressed: wait for it, never offer none.
    if (!units.length) units = await api.get('/units').catch(() => []);
    const username = input('username', { type: 'text', required: true, maxlength: 64 });
    const name = input('display_name', { type: 'text', required: true, maxlength: 100 });
    const r = select(options(ROLE_NAMES).filter((o) => o.value !== 'resident'), 'officer', () => {}, { name: 'role' });
    const unit = select([{ value: '', label: '（无）' }].concat(units.map((u) => ({ value: u.id, label: u.name }))), '', () => {}, { name: 'unit_id' });
    const password = input('password', { type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
    modal({
      title: '新建用户',
      content: h('div', { class: 'form-grid' }, field('登录名', username, '字母、数字、下划线', true), field('姓名', name, null, true), field('角色', r, null, true), field('单位', unit), field('初始密码', password, '至少 8 位', true)),
      actions: [
        {
          label: '创建',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            const body = { username: username.value.trim(), display_name: name.value.trim(), role: r.value, password: password.value };
            if (unit.value) body.unit_id = Number(unit.value);
            await api.post('/users', body);
            ctx.toast('已创建：' + body.username, 'ok');
            load();
          },
        },
      ],
    });
  }

  return {
    update(next) {
      f = next;
      q.value = f.q || '';
      role.value = f.role || '';
      load();
    },
  };
}

// -- 分流规则 -----------------------------------------------------------------------------------------

function routingPane(root, ctx) {
  const category = select(options(DESK_CATEGORIES), 'nuisance', () => {}, { name: 'category', 'aria-label': '类别' });
  const topic = select(options(TOPICS, '（不限）'), '', () => {}, { name: 'topic', 'aria-label': '主题' });
  const address = input('address', { type: 'text', placeholder: '输入地址，如：丹东街道某某路 12 号', 'aria-label': '地址', maxlength: 255, class: 'bo-input bo-wide' });
  const result = h('div', { class: 'route-result', 'aria-live': 'polite' });
  const preview = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { category: category.value };
        if (topic.value) body.topic = topic.value;
        if (address.value.trim()) body.address = address.value.trim();
        try {
          const d = await api.post('/desk/admin/routing-rules/preview', body);
          replace(
            result,
            h('div', { class: 'route-decision' }, h('b', null, '将分流至：'), h('span', { 'data-role': 'unit' }, d.unit || '（未定）'), ' · ', DESK_ROUTES[d.route] || d.route, d.assignee ? ' · ' + d.assignee : null),
            h('div', { class: 'muted' }, d.explanation),
          );
        } catch (err) {
          replace(result, h('p', { class: 'empty', role: 'alert' }, errorText(err)));
        }
      },
    },
    h('b', null, '试算：'),
    category,
    topic,
    address,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '试算去向'),
  );
  const body = h('div', { class: 'table-scroll' });
  replace(root, preview, result, h('div', { class: 'bo-panel-head' }, h('h3', null, '规则（按尝试顺序）'), h('span', { class: 'grow' }), h('button', { type: 'button', class: 'btn btn-ghost btn-small no-print', onclick: () => window.print() }, '打印')), body);

  async function load() {
    let rules;
    try {
      rules = await api.get('/desk/admin/routing-rules');
    } catch (e) {
      replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
      return;
    }
    replace(
      body,
      table(
        [
          { label: '来源', cell: (r) => (r.source === 'admin' ? '管理员' : '县规则文件') },
          { label: '优先级', cell: (r) => (r.priority === null ? '—' : String(r.priority)) },
          { label: '名称', cell: (r) => r.name || '—' },
          { label: '规则', cell: (r) => r.description, cls: 'wrap' },
          { label: '启用', cell: (r) => (r.active ? '是' : '否') },
        ],
        rules,
        'tbl-compact',
      ),
    );
  }
  return { update: load };
}

// -- 推送 ---------------------------------------------------------------------------------------------

function pushesPane(root, ctx) {
  let templates = [];
  let stations = [];
  // A city's or a province's centres may share a template with the counties below (下发); a county sees
  // those as read-only, named by whose they are.
  const tenancy = ctx.user && ctx.user.tenancy;
  const sharer = Boolean(tenancy && (tenancy.kind === 'city' || tenancy.kind === 'province') && ['admin', 'analyst', 'commander'].indexOf(ctx.user.role) >= 0);
  const body = h('div', { class: 'bo-section pushes-list' }, h('p', { class: 'muted' }, '正在加载……'));
  const send = h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: sendDialog }, '发布推送');
  const add = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => templateDialog(null) }, '新建模板');
  const tplBody = h('div', { class: 'bo-section bo-templates' });
  replace(
    root,
    h('div', { class: 'toolbar' }, h('h3', null, '推送记录'), h('span', { class: 'grow' }), add, send, h('button', { type: 'button', class: 'btn btn-ghost btn-small no-print', onclick: () => window.print() }, '打印')),
    body,
    h('div', { class: 'bo-panel-head' }, h('h3', null, '模板')),
    tplBody,
  );

  async function load() {
    try {
      const [list, tpl, areas] = await Promise.all([api.get('/desk/pushes', { limit: 100 }), api.get('/desk/push-templates'), api.get('/areas', { kind: 'station' })]);
      templates = tpl;
      stations = areas.features.map((f) => f.properties);
      replace(
        body,
        list.length
          ? table(
              [
                { label: '时间', cell: (p) => fmtDateTime(p.created_at) },
                { label: '类别', cell: (p) => PUSH_KINDS[p.kind] || p.kind },
                { label: '标题', cell: (p) => [h('div', null, p.title), h('div', { class: 'sub' }, p.body.slice(0, 60))] },
                { label: '对象', cell: (p) => target(p.target) },
                { label: '目标人数', cell: (p) => String(p.targeted) },
                { label: '送达', cell: (p) => h('span', { 'data-role': 'delivered' }, String(p.delivered)) },
                { label: '超限暂缓', cell: (p) => String(p.held) },
                { label: '已读', cell: (p) => (p.read === null || p.read === undefined ? '—' : String(p.read)) },
              ],
              list,
              'tbl-compact pushes-table',
            )
          : h('p', { class: 'empty' }, '还没有推送'),
      );
      replace(
        tplBody,
        templates.length
          ? table(
              [
                { label: '代码', cell: (t) => h('span', { class: 'mono' }, t.code) },
                { label: '类别', cell: (t) => PUSH_KINDS[t.kind] || t.kind },
                { label: '标题', cell: (t) => t.title },
                { label: '内容', cell: (t) => t.body, cls: 'wrap' },
                {
                  label: '来源',
                  cell: (t) => (t.shared ? h('span', { class: 'chip chip-muted', 'data-role': 'inherited' }, (t.tenancy_name || '上级') + '下发 · 只读') : '本级'),
                },
                ...(sharer ? [{ label: '下发下级', cell: (t) => h('span', { 'data-role': 'shared-below' }, t.shared_below ? '已下发' : '不下发') }] : []),
                {
                  label: '',
                  cell: (t) => (t.shared ? null : h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-role': 'edit-template', onclick: () => templateDialog(t) }, '编辑')),
                },
              ],
              templates,
              'tbl-compact templates-table',
            )
          : h('p', { class: 'empty' }, '还没有模板'),
      );
    } catch (e) {
      replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
    }
  }

  function target(t) {
    const parts = [];
    if (t.area_ids && t.area_ids.length) {
      const names = t.area_ids.map((id) => (stations.find((s) => s.id === id) || { name: '#' + id }).name);
      parts.push(names.join('、'));
    }
    if (t.tags && t.tags.length) parts.push(t.tags.map((x) => (x === 'elderly' ? '老年人' : x === 'student' ? '在校学生' : x)).join('、'));
    if (t.polygon) parts.push('自绘区域');
    return parts.join(' · ') || '全县';
  }

  async function sendDialog() {
    if (!stations.length) await load(); // pressed before the first load came back: the areas come with it
    const tpl = select([{ value: '', label: '（不用模板）' }].concat(templates.map((t) => ({ value: t.id, label: t.title }))), '', () => {}, { name: 'template_id' });
    const kind = select(options(PUSH_KINDS), 'fraud', () => {}, { name: 'kind' });
    const title = input('title', { type: 'text', maxlength: 100 });
    const text = h('textarea', { name: 'body', rows: 4, maxlength: 2000, class: 'bo-input' });
    const areaBoxes = stations.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'area_ids', value: String(s.id) }), s.name));
    const elderly = h('input', { type: 'checkbox', name: 'tags', value: 'elderly' });
    const student = h('input', { type: 'checkbox', name: 'tags', value: 'student' });
    modal({
      title: '发布推送',
      content: h(
        'div',
        { class: 'form-grid' },
        field('模板', tpl, '选模板则用模板的标题和内容'),
        field('类别', kind),
        field('标题', title),
        field('内容', text),
        field('辖区', h('div', { class: 'checks' }, areaBoxes), '不选则全县'),
        field('人群', h('div', { class: 'checks' }, h('label', { class: 'check' }, elderly, '老年人'), h('label', { class: 'check' }, student, '在校学生'))),
      ),
      actions: [
        {
          label: '发布',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            const body = { area_ids: areaBoxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => Number(c.value)), tags: [elderly, student].filter((c) => c.checked).map((c) => c.value) };
            if (tpl.value) body.template_id = Number(tpl.value);
            else {
              body.kind = kind.value;
              body.title = title.value.trim() || null;
              body.body = text.value.trim() || null;
            }
            const p = await api.post('/desk/pushes', body);
            ctx.toast('已发布：送达 ' + p.delivered + ' 人', 'ok');
            load();
          },
        },
      ],
    });
  }

  /** A new template (`t` null) or one of the user's own to change: its code stays as written. */
  function templateDialog(t) {
    const code = input('code', { type: 'text', maxlength: 64, placeholder: 'fraud_weekly', value: t ? t.code : '', disabled: Boolean(t) });
    const kind = select(options(PUSH_KINDS), t ? t.kind : 'fraud', () => {}, { name: 'kind' });
    const title = input('title', { type: 'text', maxlength: 100, value: t ? t.title : '' });
    const text = h('textarea', { name: 'body', rows: 4, maxlength: 2000, class: 'bo-input' }, t ? t.body : '');
    const share = h('input', { type: 'checkbox', name: 'shared_below', checked: t ? t.shared_below : true });
    modal({
      title: t ? '编辑推送模板' : '新建推送模板',
      content: h(
        'div',
        { class: 'form-grid' },
        field('代码', code, t ? null : '小写字母、数字、下划线', !t),
        field('类别', kind, null, true),
        field('标题', title, null, true),
        field('内容', text, '可用 {area} 与 {date}', true),
        sharer ? field('下发', h('div', { class: 'checks' }, h('label', { class: 'check' }, share, '下发给' + tenancy.name + '下辖各县（市、区）')), '下发后各县只读使用，可据此推送') : null,
      ),
      actions: [
        {
          label: '保存',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            const body = { kind: kind.value, title: title.value.trim(), body: text.value.trim() };
            if (sharer) body.shared_below = share.checked;
            if (t) await api.patch('/desk/push-templates/' + t.id, body);
            else await api.post('/desk/push-templates', Object.assign({ code: code.value.trim() }, body));
            load();
          },
        },
      ],
    });
  }

  return { update: load };
}

// -- 钉钉机器人 ---------------------------------------------------------------------------------------

function robotsPane(root, ctx) {
  let units = [];
  const body = h('div', { class: 'table-scroll' });
  replace(root, h('div', { class: 'toolbar' }, h('h3', null, '钉钉机器人'), h('span', { class: 'grow' }), h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: addDialog }, '添加机器人')), body);

  async function load() {
    try {
      const [robots, u] = await Promise.all([api.get('/desk/admin/dingtalk-robots'), api.get('/units')]);
      units = u;
      const unitName = (id) => (units.find((x) => x.id === id) || { name: '#' + id }).name;
      replace(
        body,
        robots.length
          ? table(
              [
                { label: '名称', cell: (r) => r.name || '—' },
                { label: '绑定', cell: (r) => (r.unit_id ? unitName(r.unit_id) : '民警 #' + r.user_id) },
                { label: '地址', cell: (r) => h('span', { class: 'mono' }, r.webhook), cls: 'wrap' },
                { label: '加签', cell: (r) => (r.signed ? '是' : '否') },
                { label: '状态', cell: (r) => (r.active ? '启用' : '已停用') },
                { label: '最近发送', cell: (r) => (r.last_sends.length ? r.last_sends.map((s) => (s.ok ? '成功' : '失败') + ' ' + fmtDateTime(s.at)).join('；') : '—'), cls: 'wrap' },
                { label: '', cls: 'no-print', cell: (r) => (r.active ? h('button', { type: 'button', class: 'btn btn-danger-ghost btn-small', onclick: () => remove(r) }, '停用') : null) },
              ],
              robots,
              'tbl-compact',
            )
          : h('p', { class: 'empty' }, '还没有机器人'),
      );
    } catch (e) {
      replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
    }
  }

  async function remove(r) {
    try {
      await request('DELETE', '/desk/admin/dingtalk-robots/' + r.id);
    } catch (e) {
      ctx.toast(errorText(e), 'error');
    }
    load();
  }

  async function addDialog() {
    if (!units.length) units = await api.get('/units').catch(() => []);
    const name = input('name', { type: 'text', maxlength: 100 });
    const unit = select(units.map((u) => ({ value: u.id, label: u.name })), '', () => {}, { name: 'unit_id' });
    const hook = input('webhook', { type: 'url', maxlength: 500, placeholder: '钉钉群机器人的 Webhook 地址' });
    const secret = input('secret', { type: 'password', maxlength: 200, autocomplete: 'off' });
    modal({
      title: '添加钉钉机器人',
      content: h('div', { class: 'form-grid' }, field('名称', name), field('绑定单位', unit, null, true), field('Webhook 地址', hook, null, true), field('加签密钥', secret)),
      actions: [
        {
          label: '保存',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            const b = { name: name.value.trim(), unit_id: Number(unit.value), webhook: hook.value.trim() };
            if (secret.value) b.secret = secret.value;
            await api.post('/desk/admin/dingtalk-robots', b);
            load();
          },
        },
      ],
    });
  }

  return { update: load };
}

// -- 短信退订 -----------------------------------------------------------------------------------------

function optOutsPane(root, ctx) {
  let f = {};
  let revealed = null;
  const q = input('q', { type: 'search', placeholder: '手机号码或后四位', 'aria-label': '手机号码', maxlength: 32 });
  const form = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        pushFilters('/admin', { tab: 'optouts', q: q.value.trim() });
      },
    },
    q,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '查询'),
    h('span', { class: 'grow' }),
    h('button', { type: 'button', class: 'btn btn-secondary btn-small opt-reveal', onclick: toggleReveal }, '显示完整号码'),
    h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => optOutDialog(ctx, () => load()) }, '登记退订/恢复'),
  );
  const lead = h('p', { class: 'muted small bo-lead' }, '退订的号码不再收到反诈宣传短信（宣防推送的短信），在宣防记录中计为“已退订”；与群众本人诉求、案件有关的通知和登录验证码照常发送。群众可回复 TD 退订、在E警通“我的”中设置，或请民警代为登记。');
  const status = h('div', { class: 'muted small opt-status' });
  const body = h('div', { class: 'table-scroll' });
  const history = h('div', { class: 'bo-section opt-history' });
  const pages = pager({ limit: PAGE, onPage: (offset) => pushFilters('/admin', Object.assign({}, f, { tab: 'optouts', offset })) });
  replace(root, form, lead, status, body, pages.el, history);

  function toggleReveal() {
    if (revealed) {
      revealed = null;
      load();
      return;
    }
    const purpose = h('select', { name: 'purpose' }, REVEAL_PURPOSES.map((p) => h('option', { value: p }, p)));
    modal({
      title: '显示完整号码',
      lead: '查看完整手机号码将被记录：查看人、时间、用途。',
      className: 'dlg-audit',
      content: field('用途', purpose),
      actions: [
        {
          label: '确认查看（记录在案）',
          kind: 'primary',
          onClick: async () => {
            revealed = purpose.value;
            await load();
          },
        },
      ],
    });
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const query = { limit: PAGE, offset: Number(f.offset || 0) };
    if (f.q) query.q = f.q;
    if (revealed) Object.assign(query, { reveal: true, purpose: revealed });
    let data;
    let events;
    try {
      [data, events] = await Promise.all([api.get('/sms/opt-outs', query), api.get('/sms/opt-outs/history', { limit: 20 })]);
    } catch (e) {
      if (mine !== seq) return;
      replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
      return;
    }
    if (mine !== seq) return;
    pages.set(data.total, query.offset, data.items.length);
    root.querySelector('.opt-reveal').textContent = revealed ? '隐藏完整号码' : '显示完整号码';
    replace(status, '共 ' + data.total + ' 个号码已退订', data.masked ? '（已脱敏）' : h('span', { class: 'chip chip-audit' }, '完整号码 · 本次查看已记录'));
    replace(
      body,
      data.items.length
        ? table(
            [
              { label: '手机号码', cell: (x) => h('span', { class: 'mono' }, x.phone) },
              { label: '退订时间', cell: (x) => fmtDateTime(x.at) },
              { label: '方式', cell: (x) => x.channel_name },
              { label: '登记人', cell: (x) => x.by || '—' },
              { label: '说明', cell: (x) => x.note || '—' },
            ],
            data.items,
            'tbl-compact optouts-table',
          )
        : h('p', { class: 'empty' }, f.q ? '没有找到该号码的退订记录' : '还没有退订宣传短信的号码'),
    );
    replace(
      history,
      h('h3', null, '最近变更'),
      events.length
        ? table(
            [
              { label: '时间', cell: (x) => fmtDateTime(x.at) },
              { label: '手机号码', cell: (x) => h('span', { class: 'mono' }, x.phone) },
              { label: '变更', cell: (x) => (x.action === 'opt_out' ? '退订' : '恢复接收') },
              { label: '方式', cell: (x) => x.channel_name },
              { label: '操作人', cell: (x) => x.by || '—' },
            ],
            events,
            'tbl-compact optout-history-table',
          )
        : h('p', { class: 'muted' }, '暂无变更'),
    );
  }

  return {
    update(next) {
      f = next;
      q.value = f.q || '';
      load();
    },
  };
}

const PANES = { indicators: indicatorsPane, users: usersPane, routing: routingPane, pushes: pushesPane, robots: robotsPane, optouts: optOutsPane };

// -- transport for what api.js does not do: a list's total header, a file upload ---------------------

async function rawGet(path, query) {
  await request('GET', '/me'); // renews a token about to run out, signs out on a 401
  const params = new URLSearchParams();
  Object.keys(query).forEach((k) => params.set(k, String(query[k])));
  const res = await fetch('/api/v1' + path + '?' + params.toString(), { headers: { Authorization: 'Bearer ' + getToken(), Accept: 'application/json' }, cache: 'no-store' });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data && data.error) || {};
    const e = new Error(err.message || '请求失败');
    e.field = err.field;
    throw e;
  }
  return { data, total: Number(res.headers.get('x-total-count') || (data ? data.length : 0)) };
}

async function upload(path, formData) {
  await request('GET', '/me');
  const res = await fetch('/api/v1' + path, { method: 'POST', headers: { Authorization: 'Bearer ' + getToken(), Accept: 'application/json' }, body: formData });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data && data.error) || {};
    const e = new Error(err.message || '上传失败');
    e.field = err.field;
    throw e;
  }
  return data;
}
