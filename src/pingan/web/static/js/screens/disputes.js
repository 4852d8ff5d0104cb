// 矛盾纠纷: disputes registered by a station or a street, mediated (a station's room such as 刘大姐工作室, a
// street mediator), agreed, visited again (回访) and resolved, or referred. Parties are masked unless the
// user asks (the server records the read). The buttons are the task actions the server offers this user.

import { api } from '../api.js';
import { h, select } from '../dom.js';
import { fmtDateTime, fmtInt, fmtPercent } from '../format.js';
import { navigate } from '../router.js';
import { field, modal } from '../ui/dialog.js';
import { facts, ledger, options, table, yoyText } from '../ui/ledger.js';

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
    let reveal = false;
    const create = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-action': 'new-dispute', onclick: () => newDispute() }, '登记纠纷');
    const L = ledger(root, ctx, {
      name: 'disputes',
      path: '/disputes',
      api: '/command/disputes',
      cls: 'disputes',
      search: { placeholder: '纠纷名称或地点', label: '搜索纠纷' },
      choices: [
        { name: 'category', options: options(CATEGORIES, '全部类别'), label: '纠纷类别' },
        { name: 'state', options: options(STATES, '全部状态'), label: '调解状态' },
      ],
      tabs: [
        { value: 'list', label: '纠纷台账' },
        { value: 'mediators', label: '调解组织' },
        { value: 'figures', label: '统计' },
      ],
      views: {
        figures: { load: () => api.get('/command/disputes/figures'), show: (f) => figuresView(f) },
        mediators: { load: () => api.get('/command/disputes/mediators'), show: (rows) => mediatorsView(rows) },
      },
      columns: ['编号', '类别', '纠纷', '当事人', '调解组织', '状态', '当前环节 · 期限', '登记'],
      row: (d) => [
        h('td', { class: 'mono' }, String(d.id)),
        h('td', null, h('span', { class: 'chip chip-type' }, d.category_name)),
        h('td', null, h('div', null, d.title), h('div', { class: 'sub' }, [d.place, d.area].filter(Boolean).join(' · '))),
        h('td', null, parties(d.parties)),
        h('td', null, d.mediator || d.unit),
        h('td', null, h('span', { class: 'chip state-' + d.state }, d.state_name)),
        h('td', null, d.step ? (STEPS[d.step] || d.step) + ' · ' + fmtDateTime(d.step_due_at) : '—', d.overdue ? h('span', { class: 'badge badge-overdue' }, ' 超时') : null),
        h('td', { class: 'mono' }, fmtDateTime(d.received_at)),
      ],
      empty: '没有符合条件的纠纷',
      detailClass: 'danger-detail dispute-detail',
      detailLabel: '纠纷详情',
      fetch: async (id) => {
        const d = await api.get('/command/disputes/' + id, reveal ? { reveal: true } : null);
        const task = d.task_id ? await api.get('/tasks/' + d.task_id).catch(() => null) : null;
        return { d, task };
      },
      render: ({ d, task }) => detailView(d, task),
      create,
      onSelect() {
        reveal = false;
      },
    });

    function mediatorsView(rows) {
      const add = MEDIATOR_ADMINS.indexOf(role) >= 0 ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => newMediator() }, '新增调解组织') : null;
      return h(
        'div',
        null,
        h('div', { class: 'toolbar' }, h('span', { class: 'grow' }), add),
        rows.length
          ? table('mediators-table', ['名称', '类型', '所属单位', '说明', '已化解'], rows.map((m) => h('tr', { dataset: { id: m.id } }, h('td', null, m.name), h('td', null, m.kind_name), h('td', null, m.unit), h('td', { class: 'wrap' }, m.note || '—'), h('td', { class: 'num' }, fmtInt(m.resolved)))))
          : h('div', { class: 'empty' }, '尚未登记调解组织'),
      );
    }

    function figuresView(f) {
      const t = f.total;
      const rows = f.categories.concat([Object.assign({ category_name: '合计' }, t)]).map((c) =>
        h('tr', null, h('th', { scope: 'row' }, c.category_name), ...['received', 'resolved', 'failed', 'open', 'overdue', 'received_year_ago', 'resolved_year_ago'].map((k) => h('td', { class: 'num' }, fmtInt(c[k]))), h('td', { class: 'num' }, fmtPercent(c.resolution_rate))),
      );
      return h(
        'div',
        { class: 'danger-figures-view' },
        h('p', { class: 'figures-lead' }, '近 30 天：受理 ' + t.received + ' 起（同比 ' + yoyText(t.received_change) + '），化解 ' + t.resolved + ' 起（同比 ' + yoyText(t.resolved_change) + '），调解未成 ' + t.failed + ' 起，化解率 ' + fmtPercent(t.resolution_rate) + '，在办 ' + t.open + ' 起，超时 ' + t.overdue + ' 起'),
        table('dispute-figures', ['类别', '受理', '化解', '未成', '在办', '超时', '去年同期受理', '去年同期化解', '化解率'], rows),
        h('h3', null, '按调解组织（化解数）'),
        f.mediators.length ? table(null, null, f.mediators.map((m) => h('tr', null, h('th', { scope: 'row' }, m.mediator), h('td', { class: 'num' }, fmtInt(m.resolved))))) : h('div', { class: 'empty' }, '近 30 天尚无化解'),
        h('h3', null, '按辖区（化解数）'),
        f.areas.length ? table(null, null, f.areas.map((a) => h('tr', null, h('th', { scope: 'row' }, a.area), h('td', { class: 'num' }, fmtInt(a.resolved))))) : h('div', { class: 'empty' }, '近 30 天尚无化解'),
      );
    }

    // -- the detail -------------------------------------------------------------------------------------

    const act = (d, body) => L.act(d.task_id, body, d.id);

    function buttons(d, task) {
      return L.buttons(task, [
        ['session', '登记调解', 'btn-primary', () => sessionDialog(d)],
        ['agree', '达成协议', 'btn-primary', () => agreeDialog(d)],
        ['follow_up', '回访', 'btn-primary', () => followUpDialog(d)],
        ['fail', '调解未成', 'btn-danger', () => failDialog(d)],
      ]);
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
        L.head(
          '纠纷 ' + d.id + ' · ' + d.title,
          [h('span', { class: 'chip chip-type' }, d.category_name), h('span', { class: 'chip state-' + d.state }, d.state_name)],
          d.overdue && '超时',
          canReveal && !reveal ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => { reveal = true; L.show(d.id); } }, '显示完整信息（将记录查看）') : null,
          task ? d.task_id : null,
        ), // prettier-ignore
        facts([
          ['当事人', parties(d.parties)],
          ['地点', [d.place, d.area].filter(Boolean).join(' · ') || '—'],
          ['调解组织', (d.mediator ? d.mediator + ' · ' : '') + d.unit],
          ['登记', fmtDateTime(d.received_at)],
          ['纠纷情况', d.description || '—', true],
          d.agreement ? ['调解协议', d.agreement + (d.compensation_yuan ? '（赔偿 ' + fmtInt(d.compensation_yuan) + ' 元）' : ''), true] : null,
          d.referral ? ['引导去向', REFERRALS[d.referral] || d.referral] : null,
        ]),
        h('div', { class: 'toolbar dispute-actions' }, buttons(d, task)),
        h('h3', null, '调解记录（' + d.sessions_list.length + ' 次）'),
        d.sessions_list.length
          ? table('dispute-sessions', ['时间', '地点', '调解人员', '情况', '记录人'], d.sessions_list.map((s) => h('tr', null, h('td', { class: 'mono' }, fmtDateTime(s.at)), h('td', null, s.place), h('td', null, s.mediators || '—'), h('td', { class: 'wrap' }, s.summary), h('td', null, s.recorded_by || '—'))))
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
              L.load();
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
              L.load();
            },
          },
        ],
      });
    }

    return L.screen;
  },
};
