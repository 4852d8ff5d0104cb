// 矛盾纠纷: disputes registered by a station or a street, mediated (a station's room such as 刘大姐工作室, a
// street mediator), agreed, visited again (回访) and resolved, or referred. Parties are masked unless the
// user asks (the server records the read). The buttons are the task actions the server offers this user.

import { api } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { fmtDateTime, fmtInt, fmtPercent } from '../format.js';
import { navigate } from '../router.js';
import { field, modal } from '../ui/dialog.js';
import { exportTools, pager } from '../ui/listing.js';

const CATEGORIES = {
  neighbour: '邻里纠纷',
  family: '婚姻家庭',
  emotional: '情感纠葛',
  debt: '经济债务',
  labour: '劳资纠纷',
  property: '土地物业',
  traffic: '交通事故',
  other: '其他纠纷',
};
const STATES = { received: '待调解', mediating: '调解中', agreed: '已达成协议', resolved: '已化解', failed: '调解未成', closed: '已关闭' };
const STEPS = { session: '首次调解', agree: '达成协议', follow_up: '回访' };
const REFERRALS = { court: '引导诉讼', arbitration: '申请仲裁', petition: '信访渠道', department: '移交主管部门', none: '无' };
const MEDIATOR_KINDS = { room: '调解工作室', street: '街道调解员', officer: '社区民警', joint: '联合调处中心' };
const REVEALERS = ['admin', 'analyst', 'commander', 'station_head', 'officer'];
const MEDIATOR_ADMINS = ['admin', 'commander', 'station_head'];
const PAGE = 50;

function options(map, blank) {
  const out = blank ? [{ value: '', label: blank }] : [];
  return out.concat(Object.keys(map).map((k) => ({ value: k, label: map[k] })));
}

function parties(list) {
  return list.map((p) => h('div', null, h('span', { class: 'sub' }, p.role_name + ' '), p.name, p.phone ? h('span', { class: 'mono sub' }, ' ' + p.phone) : null));
}

export default {
  id: 'disputes',
  title: '矛盾纠纷',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer', 'governance'],
  mount(root, ctx) {
    const role = ctx.user.role;
    let tab = 'list';
    let seq = 0;
    let offset = 0;
    let selected = null;
    let reveal = false;
    const q = h('input', { type: 'search', name: 'q', placeholder: '纠纷名称或地点', 'aria-label': '搜索纠纷', maxlength: 100 });
    const category = select(options(CATEGORIES, '全部类别'), '', () => reload(), { name: 'category', 'aria-label': '纠纷类别' });
    const state = select(options(STATES, '全部状态'), '', () => reload(), { name: 'state', 'aria-label': '调解状态' });
    const overdue = h('input', { type: 'checkbox', name: 'overdue', onchange: () => reload() });
    const tabs = segmented(
      [
        { value: 'list', label: '纠纷台账' },
        { value: 'mediators', label: '调解组织' },
        { value: 'figures', label: '统计' },
      ],
      tab,
      (v) => {
        tab = v;
        reload();
      },
      '视图',
    );
    const create = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-action': 'new-dispute', onclick: () => newDispute() }, '登记纠纷');
    const toolbar = h(
      'form',
      { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); reload(); } },
      tabs, q, category, state, h('label', { class: 'check' }, overdue, ' 仅看超时'), h('button', { type: 'submit', class: 'btn btn-secondary btn-small' }, '查询'), h('span', { class: 'grow' }), exportTools('disputes', () => filters(), ctx), create,
    ); // prettier-ignore
    const pages = pager({ limit: PAGE, onPage: (o) => { offset = o; load(); } }); // prettier-ignore
    const body = h('div', { class: 'disputes-body' });
    const detail = h('section', { class: 'danger-detail dispute-detail', 'aria-label': '纠纷详情', hidden: true });
    replace(root, h('div', { class: 'screen disputes-screen' }, toolbar, body, detail));

    function filters() {
      return { q: q.value.trim(), category: category.value, state: state.value, overdue: overdue.checked ? 'true' : undefined };
    }

    function reload() {
      offset = 0;
      load();
    }

    async function load() {
      const mine = ++seq;
      try {
        if (tab === 'figures') {
          const f = await api.get('/command/disputes/figures');
          if (mine === seq) replace(body, figuresView(f));
        } else if (tab === 'mediators') {
          const rows = await api.get('/command/disputes/mediators');
          if (mine === seq) replace(body, mediatorsView(rows));
        } else {
          const data = await api.get('/command/disputes', Object.assign(filters(), { limit: PAGE, offset }));
          if (mine !== seq) return;
          replace(body, listView(data.items), pages.el);
          pages.set(data.total, data.offset, data.items.length);
        }
      } catch (e) {
        if (mine === seq) replace(body, h('div', { class: 'empty' }, e.message));
      }
    }

    function listView(rows) {
      if (!rows.length) return h('div', { class: 'empty' }, '没有符合条件的纠纷');
      return h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'tbl tbl-queue disputes-table' },
          h('thead', null, h('tr', null, ['编号', '类别', '纠纷', '当事人', '调解组织', '状态', '当前环节 · 期限', '登记'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            rows.map((d) =>
              h(
                'tr',
                { tabindex: 0, dataset: { id: d.id, state: d.state }, onclick: () => navigate('/disputes/' + d.id), onkeydown: (e) => e.key === 'Enter' && navigate('/disputes/' + d.id) },
                h('td', { class: 'mono' }, String(d.id)),
                h('td', null, h('span', { class: 'chip chip-type' }, d.category_name)),
                h('td', null, h('div', null, d.title), h('div', { class: 'sub' }, [d.place, d.area].filter(Boolean).join(' · '))),
                h('td', null, parties(d.parties)),
                h('td', null, d.mediator || d.unit),
                h('td', null, h('span', { class: 'chip state-' + d.state }, d.state_name)),
                h('td', null, d.step ? (STEPS[d.step] || d.step) + ' · ' + fmtDateTime(d.step_due_at) : '—', d.overdue ? h('span', { class: 'badge badge-overdue' }, ' 超时') : null),
                h('td', { class: 'mono' }, fmtDateTime(d.received_at)),
              ),
            ),
          ),
        ),
      );
    }

    function mediatorsView(rows) {
      const add = MEDIATOR_ADMINS.indexOf(role) >= 0 ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => newMediator() }, '新增调解组织') : null;
      return h(
        'div',
        null,
        h('div', { class: 'toolbar' }, h('span', { class: 'grow' }), add),
        rows.length
          ? h('table', { class: 'tbl tbl-compact mediators-table' }, h('thead', null, h('tr', null, ['名称', '类型', '所属单位', '说明', '已化解'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows.map((m) => h('tr', { dataset: { id: m.id } }, h('td', null, m.name), h('td', null, m.kind_name), h('td', null, m.unit), h('td', { class: 'wrap' }, m.note || '—'), h('td', { class: 'num' }, fmtInt(m.resolved))))))
          : h('div', { class: 'empty' }, '尚未登记调解组织'),
      );
    }

    function figuresView(f) {
      const t = f.total;
      const rows = f.categories.concat([Object.assign({ category_name: '合计' }, t)]).map((c) =>
        h('tr', null, h('th', { scope: 'row' }, c.category_name), ...['received', 'resolved', 'failed', 'open', 'overdue', 'received_year_ago', 'resolved_year_ago'].map((k) => h('td', { class: 'num' }, fmtInt(c[k]))), h('td', { class: 'num' }, fmtPercent(c.resolution_rate))),
      );
      const pct = (v) => (v === null || v === undefined ? '—' : (v > 0 ? '+' : '') + Math.round(v * 1000) / 10 + '%');
      return h(
        'div',
        { class: 'danger-figures-view' },
        h('p', { class: 'figures-lead' }, '近 30 天：受理 ' + t.received + ' 起（同比 ' + pct(t.received_change) + '），化解 ' + t.resolved + ' 起（同比 ' + pct(t.resolved_change) + '），调解未成 ' + t.failed + ' 起，化解率 ' + fmtPercent(t.resolution_rate) + '，在办 ' + t.open + ' 起，超时 ' + t.overdue + ' 起'),
        h('table', { class: 'tbl tbl-compact dispute-figures' }, h('thead', null, h('tr', null, ['类别', '受理', '化解', '未成', '在办', '超时', '去年同期受理', '去年同期化解', '化解率'].map((x) => h('th', { scope: 'col' }, x)))), h('tbody', null, rows)),
        h('h3', null, '按调解组织（化解数）'),
        f.mediators.length ? h('table', { class: 'tbl tbl-compact' }, h('tbody', null, f.mediators.map((m) => h('tr', null, h('th', { scope: 'row' }, m.mediator), h('td', { class: 'num' }, fmtInt(m.resolved)))))) : h('div', { class: 'empty' }, '近 30 天尚无化解'),
        h('h3', null, '按辖区（化解数）'),
        f.areas.length ? h('table', { class: 'tbl tbl-compact' }, h('tbody', null, f.areas.map((a) => h('tr', null, h('th', { scope: 'row' }, a.area), h('td', { class: 'num' }, fmtInt(a.resolved)))))) : h('div', { class: 'empty' }, '近 30 天尚无化解'),
      );
    }

    // -- the detail -------------------------------------------------------------------------------------

    async function show(id) {
      selected = id;
      if (!id) {
        detail.hidden = true;
        replace(detail);
        return;
      }
      let d;
      let task = null;
      try {
        d = await api.get('/command/disputes/' + id, reveal ? { reveal: true } : null);
        task = d.task_id ? await api.get('/tasks/' + d.task_id).catch(() => null) : null;
      } catch (e) {
        ctx.toast(e.message, 'error');
        detail.hidden = true;
        return;
      }
      if (selected !== id) return;
      detail.hidden = false;
      replace(detail, detailView(d, task));
    }

    function act(d, body) {
      return api.post('/tasks/' + d.task_id + '/actions', body).then(() => {
        ctx.toast('已提交', 'success');
        show(d.id);
        load();
      });
    }

    function buttons(d, task) {
      const allowed = (task && task.allowed_actions) || [];
      const out = [];
      const add = (action, label, kind, onClick) => (allowed.indexOf(action) >= 0 ? out.push(h('button', { type: 'button', class: 'btn btn-small ' + kind, 'data-action': action, onclick: onClick }, label)) : null);
      add('session', '登记调解', 'btn-primary', () => sessionDialog(d));
      add('agree', '达成协议', 'btn-primary', () => agreeDialog(d));
      add('follow_up', '回访', 'btn-primary', () => followUpDialog(d));
      add('fail', '调解未成', 'btn-danger', () => failDialog(d));
      return out;
    }

    function sessionDialog(d) {
      const place = h('input', { type: 'text', name: 'place', maxlength: 200, value: d.mediator || '派出所综合调解室', required: true });
      const mediators = h('input', { type: 'text', name: 'mediators', maxlength: 200, placeholder: '参与调解的民警、调解员' });
      const summary = h('textarea', { name: 'summary', rows: 4, maxlength: 4000, required: true, placeholder: '双方诉求、调解经过' });
      modal({
        title: '登记调解',
        content: h('div', null, field('调解地点', place, null, true), field('调解人员', mediators), field('调解情况', summary, null, true)),
        actions: [{ label: '提交', kind: 'primary', onClick: () => act(d, { action: 'session', place: place.value.trim(), mediators: mediators.value.trim(), summary: summary.value.trim() }) }],
      });
    }

    function agreeDialog(d) {
      const terms = h('textarea', { name: 'terms', rows: 4, maxlength: 4000, required: true, placeholder: '调解协议内容' });
      const amount = h('input', { type: 'number', name: 'compensation_yuan', min: 0, placeholder: '赔偿金额（元，可不填）' });
      modal({
        title: '达成调解协议',
        content: h('div', null, field('协议内容', terms, null, true), field('赔偿金额（元）', amount)),
        actions: [
          {
            label: '提交',
            kind: 'primary',
            onClick: () => act(d, Object.assign({ action: 'agree', terms: terms.value.trim() }, amount.value ? { compensation_yuan: Number(amount.value) } : {})),
          },
        ],
      });
    }

    function followUpDialog(d) {
      const stable = select([{ value: 'true', label: '协议履行，矛盾化解' }, { value: 'false', label: '矛盾反弹，重新调解' }], 'true', () => {}, { name: 'stable' });
      const summary = h('textarea', { name: 'summary', rows: 3, maxlength: 2000, required: true, placeholder: '回访情况' });
      modal({
        title: '回访',
        content: h('div', null, field('回访结论', stable, null, true), field('回访情况', summary, null, true)),
        actions: [{ label: '提交', kind: 'primary', onClick: () => act(d, { action: 'follow_up', stable: stable.value === 'true', summary: summary.value.trim() }) }],
      });
    }

    function failDialog(d) {
      const referral = select(options(REFERRALS), 'court', () => {}, { name: 'referral' });
      const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, required: true, placeholder: '未能达成协议的原因' });
      modal({
        title: '调解未成',
        content: h('div', null, field('引导去向', referral, null, true), field('原因', reason, null, true)),
        actions: [{ label: '提交', kind: 'danger', onClick: () => act(d, { action: 'fail', referral: referral.value, reason: reason.value.trim() }) }],
      });
    }

    function detailView(d, task) {
      const canReveal = REVEALERS.indexOf(role) >= 0;
      return h(
        'div',
        null,
        h(
          'div',
          { class: 'case-head' },
          h('h2', null, '纠纷 ' + d.id + ' · ' + d.title),
          h('span', { class: 'chip chip-type' }, d.category_name),
          h('span', { class: 'chip state-' + d.state }, d.state_name),
          d.overdue ? h('span', { class: 'badge badge-overdue' }, '超时') : null,
          h('span', { class: 'grow' }),
          canReveal && !reveal ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => { reveal = true; show(d.id); } }, '显示完整信息（将记录查看）') : null,
          task ? h('a', { class: 'btn btn-ghost btn-small', href: '#/tasks/' + d.task_id }, '任务记录') : null,
          h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => navigate('/disputes') }, '关闭'),
        ), // prettier-ignore
        h('dl', { class: 'case-facts' },
          h('dt', null, '当事人'), h('dd', null, parties(d.parties)),
          h('dt', null, '地点'), h('dd', null, [d.place, d.area].filter(Boolean).join(' · ') || '—'),
          h('dt', null, '调解组织'), h('dd', null, (d.mediator ? d.mediator + ' · ' : '') + d.unit),
          h('dt', null, '登记'), h('dd', null, fmtDateTime(d.received_at)),
          h('dt', null, '纠纷情况'), h('dd', { class: 'wrap' }, d.description || '—'),
          d.agreement ? h('dt', null, '调解协议') : null, d.agreement ? h('dd', { class: 'wrap' }, d.agreement + (d.compensation_yuan ? '（赔偿 ' + fmtInt(d.compensation_yuan) + ' 元）' : '')) : null,
          d.referral ? h('dt', null, '引导去向') : null, d.referral ? h('dd', null, REFERRALS[d.referral] || d.referral) : null,
        ), // prettier-ignore
        h('div', { class: 'toolbar dispute-actions' }, buttons(d, task)),
        h('h3', null, '调解记录（' + d.sessions_list.length + ' 次）'),
        d.sessions_list.length
          ? h('table', { class: 'tbl tbl-compact dispute-sessions' }, h('thead', null, h('tr', null, ['时间', '地点', '调解人员', '情况', '记录人'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, d.sessions_list.map((s) => h('tr', null, h('td', { class: 'mono' }, fmtDateTime(s.at)), h('td', null, s.place), h('td', null, s.mediators || '—'), h('td', { class: 'wrap' }, s.summary), h('td', null, s.recorded_by || '—')))))
          : h('div', { class: 'muted' }, '尚未调解'),
      );
    }

    // -- registering ------------------------------------------------------------------------------------

    async function newDispute() {
      let mediators = [];
      try {
        mediators = await api.get('/command/disputes/mediators');
      } catch (e) {
        /* a dispute may be registered without a mediator */
      }
      const cat = select(options(CATEGORIES), 'neighbour', () => {}, { name: 'category' });
      const title = h('input', { type: 'text', name: 'title', maxlength: 200, required: true, placeholder: '如：楼上漏水引发邻里纠纷' });
      const place = h('input', { type: 'text', name: 'place', maxlength: 200 });
      const med = select([{ value: '', label: '本单位调解' }].concat(mediators.map((m) => ({ value: String(m.id), label: m.name + '（' + m.unit + '）' }))), '', () => {}, { name: 'mediator_id' });
      const a = h('input', { type: 'text', name: 'party_a', maxlength: 100, required: true, placeholder: '申请人姓名' });
      const aPhone = h('input', { type: 'tel', name: 'party_a_phone', maxlength: 32, placeholder: '电话' });
      const b = h('input', { type: 'text', name: 'party_b', maxlength: 100, required: true, placeholder: '被申请人姓名' });
      const bPhone = h('input', { type: 'tel', name: 'party_b_phone', maxlength: 32, placeholder: '电话' });
      const description = h('textarea', { name: 'description', rows: 3, maxlength: 4000 });
      modal({
        title: '登记矛盾纠纷',
        content: h(
          'div',
          { class: 'form-grid' },
          field('类别', cat, null, true), field('名称', title, null, true), field('申请人', a, null, true), field('申请人电话', aPhone),
          field('被申请人', b, null, true), field('被申请人电话', bPhone), field('地点', place), field('调解组织', med), field('纠纷情况', description),
        ), // prettier-ignore
        actions: [
          {
            label: '登记',
            kind: 'primary',
            onClick: async () => {
              const party = (name, phone, r) => Object.assign({ name: name.value.trim(), role: r }, phone.value.trim() ? { phone: phone.value.trim() } : {});
              const body = { category: cat.value, title: title.value.trim(), place: place.value.trim(), description: description.value.trim(), parties: [party(a, aPhone, 'applicant'), party(b, bPhone, 'respondent')] };
              if (med.value) body.mediator_id = Number(med.value);
              const created = await api.post('/command/disputes', body);
              ctx.toast('已登记纠纷 ' + created.id, 'success');
              navigate('/disputes/' + created.id);
              load();
            },
          },
        ],
      });
    }

    async function newMediator() {
      let units = [];
      try {
        units = (await api.get('/units')).filter((u) => u.kind === 'station' || u.kind === 'governance' || u.kind === 'community_team');
      } catch (e) {
        ctx.toast(e.message, 'error');
        return;
      }
      if (role === 'station_head') units = units.filter((u) => u.id === ctx.user.unit_id);
      const name = h('input', { type: 'text', name: 'name', maxlength: 100, required: true, placeholder: '如：刘大姐工作室' });
      const kind = select(options(MEDIATOR_KINDS), 'room', () => {}, { name: 'kind' });
      const unit = select(units.map((u) => ({ value: String(u.id), label: u.name })), units.length ? String(units[0].id) : '', () => {}, { name: 'unit_id' });
      const note = h('input', { type: 'text', name: 'note', maxlength: 500 });
      modal({
        title: '新增调解组织',
        content: h('div', null, field('名称', name, null, true), field('类型', kind, null, true), field('所属单位', unit, null, true), field('说明', note)),
        actions: [
          {
            label: '保存',
            kind: 'primary',
            onClick: async () => {
              await api.post('/command/disputes/mediators', { name: name.value.trim(), kind: kind.value, unit_id: Number(unit.value), note: note.value.trim() });
              load();
            },
          },
        ],
      });
    }

    load();
    return {
      update(params) {
        const id = params && params.id ? Number(params.id) : null;
        if (id !== selected) {
          reveal = false;
          show(id);
        }
      },
      destroy() {
        seq++;
        selected = null;
      },
    };
  },
};
