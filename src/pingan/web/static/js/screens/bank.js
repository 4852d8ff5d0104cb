// 止付冻结: emergency stops, freezes and returns with the banks. A bank's liaison (partner) sees only its own
// bank's requests and answers them (止付、冻结、续冻、返还反馈); the police send stops and order freezes, renewals and
// returns. Which buttons show is the server's `allowed_actions`: the one access decision.

import { api, serverNow } from '../api.js';
import { h, keyedList, replace, segmented } from '../dom.js';
import { fmtCountdown, fmtDateTime, fmtShort, fmtYuan } from '../format.js';
import { poll } from '../live.js';
import { navigate } from '../router.js';
import { field, modal } from '../ui/dialog.js';
import { splitDetail } from '../ui/split.js';

const POLL_MS = 5000;
const POLICE = ['admin', 'analyst', 'station_head', 'officer'];

export const ORDER_STATUS = {
  issued: '待止付',
  held: '已止付',
  withdrawn: '资金已转出',
  not_found: '账户不存在',
  lapsed: '止付已失效',
  freeze_ordered: '待冻结',
  frozen: '已冻结',
  renewal_ordered: '待续冻',
  freeze_lapsed: '冻结已到期',
  return_ordered: '待返还',
  returned: '已返还',
  closed: '已关闭',
};

const CLOSED = ['withdrawn', 'not_found', 'lapsed', 'freeze_lapsed', 'returned', 'closed'];

const TABS = [
  { value: 'open', label: '待处理', query: { open: true } },
  { value: 'closed', label: '已办结', query: { open: false } },
  { value: 'all', label: '全部', query: {} },
];

const RESULTS = [
  { value: 'stopped', label: '止付成功' },
  { value: 'withdrawn', label: '资金已转出' },
  { value: 'not_found', label: '账户不存在' },
];

function input(name, props) {
  return h('input', Object.assign({ name, class: 'input' }, props || {}));
}

function money(name) {
  return input(name, { type: 'text', inputmode: 'decimal', placeholder: '0.00', autocomplete: 'off' });
}

function area(name) {
  return h('textarea', { name, rows: 3, maxlength: 2000, class: 'input' });
}

// Each action: its button label and the form whose values make its payload.
const FORMS = {
  answer: {
    label: '止付反馈',
    primary: true,
    build() {
      const result = h('select', { name: 'result' }, RESULTS.map((r) => h('option', { value: r.value }, r.label)));
      const amount = money('amount_stopped_yuan');
      return {
        content: [field('止付结果', result, null, true), field('止付金额（元）', amount, '止付成功时必填')],
        payload: () => ({ result: result.value, amount_stopped_yuan: amount.value.trim() || undefined }),
      };
    },
  },
  order_freeze: {
    label: '下达冻结',
    primary: true,
    build() {
      const basis = area('basis');
      return { content: [field('冻结依据（法律文书）', basis, '须在止付 48 小时内冻结', true)], payload: () => ({ basis: basis.value }) };
    },
  },
  freeze: {
    label: '冻结反馈',
    primary: true,
    build() {
      const amount = money('amount_frozen_yuan');
      return { content: [field('冻结金额（元）', amount, '冻结期 6 个月，可续冻', true)], payload: () => ({ amount_frozen_yuan: amount.value.trim() }) };
    },
  },
  order_renewal: {
    label: '下达续冻',
    build() {
      const basis = area('basis');
      return { content: [field('续冻依据', basis, null, true)], payload: () => ({ basis: basis.value }) };
    },
  },
  renew: { label: '续冻反馈', primary: true, build: () => ({ content: [h('p', null, '确认已按续冻要求办理，冻结期自原到期日起延长。')], payload: () => ({}) }) },
  order_return: {
    label: '下达返还',
    build() {
      const amount = money('amount_yuan');
      const basis = area('basis');
      return {
        content: [field('返还金额（元）', amount, '不超过冻结金额', true), field('返还依据', basis, '银行须在 3 个工作日内返还受害人', true)],
        payload: () => ({ amount_yuan: amount.value.trim(), basis: basis.value }),
      };
    },
  },
  confirm_return: {
    label: '返还反馈',
    primary: true,
    build() {
      const amount = money('amount_returned_yuan');
      return { content: [field('已返还金额（元）', amount, null, true)], payload: () => ({ amount_returned_yuan: amount.value.trim() }) };
    },
  },
  note: {
    label: '备注',
    build() {
      const note = area('note');
      return { content: [field('备注', note, null, true)], payload: () => ({ note: note.value }) };
    },
  },
  close: {
    label: '关闭',
    build() {
      const reason = area('reason');
      return { content: [field('关闭理由', reason, null, true)], payload: () => ({ reason: reason.value }) };
    },
  },
};

function statusChip(o) {
  return h('span', { class: ['chip', 'pay-' + o.status, o.task && o.task.overdue && 'chip-escalated'] }, ORDER_STATUS[o.status] || o.status);
}

function deadline(o) {
  const t = o.task;
  if (!t || !t.due_at) return h('span', { class: 'muted' }, '—');
  const left = Date.parse(t.due_at) - serverNow();
  return h('span', { class: left < 0 ? 'bad' : null, title: fmtDateTime(t.due_at) }, (t.due_step_name || '') + ' ' + fmtCountdown(left));
}

function kv(label, value, cls) {
  return [h('dt', null, label), h('dd', { class: cls || null }, value === null || value === undefined || value === '' ? '—' : value)];
}

function orderView(opts) {
  const state = { o: null, revealed: false };
  const title = h('div', { class: 'case-title' });
  const body = h('div', { class: 'case-body' }, h('div', { class: 'skeleton' }, '正在加载……'));
  const el = h(
    'aside',
    { class: 'case bank-case', 'aria-label': '止付请求详情' },
    h('header', { class: 'case-head' }, title, h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => opts.onClose() }, '关闭')),
    body,
  );

  async function load() {
    state.o = await api.get('/payments/orders/' + opts.id, state.revealed ? { reveal: true, purpose: '止付冻结处置' } : undefined);
    render();
  }

  function act(action) {
    const form = FORMS[action].build();
    modal({
      title: FORMS[action].label,
      lead: '止付请求 #' + state.o.id + ' · ' + state.o.bank,
      content: form.content,
      actions: [
        {
          label: '提交',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            state.o = await api.post('/payments/orders/' + state.o.id + '/actions', Object.assign({ action }, form.payload()));
            render();
            opts.onChanged();
          },
        },
      ],
    });
  }

  function render() {
    const o = state.o;
    replace(title, h('div', { class: 'case-title-text' }, h('h2', null, '止付请求 #' + o.id), h('div', { class: 'case-sub' }, statusChip(o), o.case_ref ? h('span', { class: 'chip chip-muted' }, '案件 ' + o.case_ref) : null)));
    const actions = (o.allowed_actions || []).filter((a) => FORMS[a]);
    const reveal = o.masked
      ? h('button', { type: 'button', class: 'btn btn-ghost btn-small bank-reveal', onclick: () => { state.revealed = true; load(); } }, '显示完整账号（记录在案）')
      : h('span', { class: 'chip chip-audit' }, '完整信息 · 本次查看已记录');
    replace(
      body,
      h('section', { class: 'case-sec' },
        h('div', { class: 'sec-head' }, h('h3', null, '账户'), h('span', { class: 'grow' }), reveal),
        h('dl', { class: 'kv' },
          kv('开户行', o.bank),
          kv('账号', o.account, 'mono'),
          kv('户名', o.account_name),
          kv('请求止付金额', fmtYuan(o.amount_yuan)),
          kv('依据', o.basis),
          kv('辖区', o.area),
          kv('下发时间', fmtDateTime(o.requested_at)),
        ),
      ),
      h('section', { class: 'case-sec' },
        h('div', { class: 'sec-head' }, h('h3', null, '处置'), o.task && o.task.escalation_name ? h('span', { class: 'chip chip-escalated' }, '已升级：' + o.task.escalation_name) : null),
        h('dl', { class: 'kv' },
          kv('当前期限', deadline(o)),
          kv('止付金额', fmtYuan(o.amount_stopped_yuan)),
          kv('止付失效', o.hold_ends_at ? fmtDateTime(o.hold_ends_at) : null),
          kv('冻结金额', fmtYuan(o.amount_frozen_yuan)),
          kv('冻结到期', o.freeze_ends_at ? fmtDateTime(o.freeze_ends_at) + (o.renewals ? '（已续冻 ' + o.renewals + ' 次）' : '') : null),
          kv('返还期限', o.return_due_at ? fmtDateTime(o.return_due_at) : null),
          kv('已返还', o.returned_at ? fmtYuan(o.amount_returned_yuan) + ' · ' + fmtDateTime(o.returned_at) : null),
        ),
        actions.length
          ? h('div', { class: 'action-bar' }, actions.map((a) => h('button', { type: 'button', class: ['btn', FORMS[a].primary ? 'btn-primary' : 'btn-secondary', 'bank-act-' + a], onclick: () => act(a) }, FORMS[a].label)))
          : h('p', { class: 'muted small' }, CLOSED.indexOf(o.status) >= 0 ? '已办结' : '当前无需本单位操作'),
      ),
    );
  }

  load().catch((e) => replace(body, h('div', { class: 'case-error', role: 'alert' }, e.message)));
  return { el, destroy() {} };
}

function newStop(banks, done) {
  const bank = h('select', { name: 'bank_unit_id' }, banks.map((b) => h('option', { value: String(b.id) }, b.name)));
  const account = input('account', { type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: '银行卡号或账号' });
  const name = input('account_name', { type: 'text', maxlength: 100 });
  const amount = money('amount_yuan');
  const basis = area('basis');
  const caseRef = input('case_ref', { type: 'text', maxlength: 64, placeholder: '可选' });
  modal({
    title: '发起紧急止付',
    lead: '止付自银行执行起 48 小时内有效；同一账户最多止付两次。',
    content: [
      field('开户行', bank, null, true),
      field('账号', account, null, true),
      field('户名', name),
      field('止付金额（元）', amount, null, true),
      field('依据', basis, '受害人转账情况、报案信息', true),
      field('关联案件编号', caseRef),
    ],
    actions: [
      {
        label: '下发银行',
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const created = await api.post('/payments/stops', {
            bank_unit_id: Number(bank.value),
            account: account.value,
            account_name: name.value.trim() || undefined,
            amount_yuan: amount.value.trim(),
            basis: basis.value,
            case_ref: caseRef.value.trim() || undefined,
          });
          done(created);
        },
      },
    ],
  });
}

export default {
  id: 'bank',
  title: '止付冻结',
  group: '反诈',
  roles: ['partner', 'admin', 'analyst', 'commander', 'station_head', 'officer'],
  // The operating company of the base stations is a partner too: only a bank's liaison works stop-payments.
  shows: (u) => u.role !== 'partner' || u.unit_kind === 'bank',
  mount(root, ctx) {
    let tab = 'open';
    let items = [];
    let generation = 0;
    const partner = ctx.user.role === 'partner';
    const counter = h('span', { class: 'muted' });
    const liveText = h('span', { class: 'live-text' }, '连接中……');
    const create = POLICE.indexOf(ctx.user.role) >= 0
      ? h('button', { type: 'button', class: 'btn btn-primary btn-small bank-new', onclick: async () => newStop(await api.get('/payments/banks'), (o) => { poller.refresh(); navigate('/bank/' + o.id); }) }, '发起紧急止付')
      : null;
    const toolbar = h('div', { class: 'toolbar' }, segmented(TABS, tab, (v) => { tab = v; reload(); }, '范围'), create, h('span', { class: 'grow' }), counter, h('span', { class: 'live' }, h('span', { class: 'live-dot' }), liveText));
    const intro = h('p', { class: 'desk-intro muted' }, partner
      ? (ctx.user.unit_name || '本行') + '：公安机关下发的紧急止付、冻结、续冻与返还要求。请在期限内反馈，超时将逐级上报反诈中心和局领导。'
      : '发往银行的紧急止付：止付 48 小时内须冻结，冻结 6 个月可续冻，冻结资金 3 个工作日内返还受害人。');
    const body = h('tbody');
    const table = h('table', { class: 'tbl tbl-queue bank-table' },
      h('thead', null, h('tr', null, ['编号', '开户行', '账号', '金额', '状态', '期限', '下发时间'].map((t) => h('th', { scope: 'col' }, t)))),
      body);
    const empty = h('div', { class: 'empty', hidden: true });
    const listPane = h('div', { class: 'list-pane' }, toolbar, intro, h('div', { class: 'task-scroll' }, table, empty));
    const detailPane = h('div', { class: 'detail-pane', hidden: true });
    const screen = h('div', { class: 'screen screen-split screen-bank' }, listPane, detailPane);
    const details = splitDetail({
      screen,
      pane: detailPane,
      basePath: '/bank',
      open: (id) => orderView({ id, onClose: () => navigate('/bank'), onChanged: () => poller.refresh() }),
      onSelect: (id) => Array.from(body.children).forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === id)),
    });
    replace(root, screen);
    const sync = keyedList(body, (o) => o.id, (o) => JSON.stringify(o), row);

    function row(o) {
      return h('tr', { 'data-id': String(o.id), tabindex: 0, class: o.task && o.task.overdue ? 'is-late' : null, onclick: () => navigate('/bank/' + o.id), onkeydown: (e) => { if (e.key === 'Enter') navigate('/bank/' + o.id); } },
        h('td', null, '#' + o.id),
        h('td', null, o.bank),
        h('td', { class: 'mono' }, o.account),
        h('td', null, fmtYuan(o.amount_yuan)),
        h('td', null, statusChip(o)),
        h('td', null, deadline(o)),
        h('td', null, fmtShort(o.requested_at)));
    }

    async function load() {
      const gen = generation;
      const page = await api.get('/payments/orders', Object.assign({ limit: 200 }, TABS.find((t) => t.value === tab).query));
      if (gen !== generation) return;
      items = page.items || [];
      sync(items).forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === details.selectedId));
      empty.hidden = items.length > 0;
      replace(empty, tab === 'open' ? '没有待处理的止付请求' : '没有止付请求');
      replace(counter, '共 ' + page.total + ' 条');
      replace(liveText, '实时 · ' + fmtShort(serverNow()));
      ctx.setBadge(items.filter((o) => o.task && o.task.overdue).length);
    }

    function reload() {
      generation += 1;
      replace(body);
      poller.refresh();
    }

    const poller = poll(load, POLL_MS);
    return {
      update(params) {
        details.show(params.id ? Number(params.id) : null);
      },
      destroy() {
        poller.stop();
        details.destroy();
      },
    };
  },
};
