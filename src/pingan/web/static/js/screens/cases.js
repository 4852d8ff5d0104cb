// 案件: the list of fraud cases in the user's jurisdiction, one case with its identifiers (read from the
// narrative, editable), a new case by hand, and the 串并 view: clusters of cases and warnings sharing an
// identifier (a cluster of warnings alone is named 预警组).

import { api } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { fmtDateTime, fmtYuan, parseDateTimeInput } from '../format.js';
import { FRAUD_TYPES } from '../labels.js';
import { navigate } from '../router.js';
import { dateTimeInput } from '../ui/date-input.js';
import { field, modal } from '../ui/dialog.js';

const STATUS = { open: '侦办中', solved: '已破案', prosecuted: '已移送起诉', closed: '已结案' };
const SOURCES = { manual: '手工立案', import: '批量导入', dissuasion: '劝阻转案', desk: '群众诉求', open311: 'Open311', hotline: '96110 报案', citizen: '群众举报' };
const KINDS = {
  phone: '电话',
  account: '银行卡/账户',
  card_tail: '卡号尾号',
  url: '网址',
  domain: '域名',
  app: 'APP',
  wechat: '微信号',
  qq: 'QQ号',
  alipay: '支付宝账号',
  imei: 'IMEI',
};
const OUTCOMES = { dissuaded: '劝阻成功', defrauded: '已被骗', not_at_risk: '无受骗风险', unreachable: '联系不上' };
const ORIGINS = { narrative: '笔录提取', given: '手工录入', derived: '由网址派生' };
const WRITERS = ['admin', 'analyst', 'station_head', 'officer'];

function typeName(t) {
  return FRAUD_TYPES[t] || t;
}

function options(map, blank) {
  const out = blank ? [{ value: '', label: blank }] : [];
  return out.concat(Object.keys(map).map((k) => ({ value: k, label: map[k] })));
}

export default {
  id: 'cases',
  title: '案件',
  group: '反诈',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    const canWrite = WRITERS.indexOf(ctx.user.role) >= 0;
    let tab = 'list';
    let seq = 0;
    const q = h('input', { type: 'search', name: 'q', placeholder: '笔录或来源编号包含……', 'aria-label': '搜索案件', maxlength: 100 });
    const status = select(options(STATUS, '全部状态'), '', () => load(), { name: 'status', 'aria-label': '状态' });
    const tabs = segmented(
      [
        { value: 'list', label: '案件列表' },
        { value: 'clusters', label: '串并线索' },
      ],
      'list',
      (v) => {
        tab = v;
        load();
      },
      '视图',
    );
    const create = canWrite ? h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => newCase() }, '新建案件') : null;
    const toolbar = h(
      'form',
      { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } },
      tabs, q, status, h('button', { type: 'submit', class: 'btn btn-secondary btn-small' }, '查询'), h('span', { class: 'grow' }), create,
    ); // prettier-ignore
    const list = h('div', { class: 'table-scroll cases-list' });
    const detail = h('section', { class: 'case-detail', 'aria-label': '案件详情', hidden: true });
    replace(root, h('div', { class: 'screen cases-screen' }, toolbar, list, detail));

    async function load() {
      const mine = ++seq;
      try {
        if (tab === 'clusters') {
          const data = await api.get('/cases/clusters');
          if (mine === seq) replace(list, clusterTable(data));
        } else {
          const data = await api.get('/cases', { q: q.value.trim(), status: status.value });
          if (mine === seq) replace(list, caseTable(data));
        }
      } catch (e) {
        if (mine === seq) replace(list, h('div', { class: 'empty' }, e.message));
      }
    }

    function caseTable(rows) {
      if (!rows.length) return h('div', { class: 'empty' }, '没有案件');
      return h(
        'table',
        { class: 'tbl tbl-queue cases-table' },
        h('thead', null, h('tr', null, ['编号', '来源', '报案时间', '受害人', '损失', '类型', '派出所', '状态', '串并'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          null,
          rows.map((c) =>
            h(
              'tr',
              { tabindex: 0, dataset: { id: c.id }, onclick: () => navigate('/cases/' + c.id), onkeydown: (e) => e.key === 'Enter' && navigate('/cases/' + c.id) },
              h('td', { class: 'mono' }, String(c.id)),
              h('td', null, h('div', null, SOURCES[c.source] || c.source), h('div', { class: 'sub mono' }, c.source_id)),
              h('td', { class: 'mono' }, fmtDateTime(c.reported_at)),
              h('td', null, h('div', null, c.victim.name || '—'), h('div', { class: 'sub mono' }, c.victim.phone || '')),
              h('td', { class: 'mono' }, fmtYuan(c.loss_yuan)),
              h('td', null, typeName(c.fraud_type)),
              h('td', null, c.station || h('span', { class: 'muted' }, '未落地')),
              h('td', null, STATUS[c.status] || c.status),
              h('td', null, c.cluster_size > 1 ? h('span', { class: 'chip' }, '串并 ' + c.cluster_size + ' 起') : h('span', { class: 'muted' }, '—')),
            ),
          ),
        ),
      );
    }

    function clusterTable(rows) {
      if (!rows.length) return h('div', { class: 'empty' }, '暂无串并线索：还没有案件或预警共用同一号码、账户或网址');
      return h(
        'table',
        { class: 'tbl cases-clusters' },
        h('thead', null, h('tr', null, ['串并组', '案件数', '预警数', '涉及地区', '损失合计', '串并依据', '案件', '预警'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          null,
          rows.map((c) =>
            h(
              'tr',
              { dataset: { cluster: c.cluster_id } },
              h('td', { class: 'mono' }, c.cluster_id < 0 ? '预警组 ' + -c.cluster_id : String(c.cluster_id)),
              h('td', null, String(c.size), c.hidden_cases ? h('div', { class: 'sub' }, '其中 ' + c.hidden_cases + ' 起在其他辖区') : null),
              h('td', null, String(c.warning_count), c.hidden_warnings ? h('div', { class: 'sub' }, '其中 ' + c.hidden_warnings + ' 条在其他辖区') : null),
              h('td', { class: 'mono' }, c.counties.join('、')),
              h('td', { class: 'mono' }, fmtYuan(c.loss_yuan)),
              h('td', { class: 'wrap' }, c.links.map((l) => h('div', null, h('span', { class: 'chip chip-type' }, l.kind_name), ' ', h('span', { class: 'mono' }, l.value), h('span', { class: 'sub' }, '（' + holders(l) + '）')))),
              h('td', { class: 'wrap' }, c.cases.length ? c.cases.map((x) => h('a', { href: '#/cases/' + x.id, class: 'case-link mono' }, x.source_id + ' ')) : h('span', { class: 'muted' }, '—')),
              h('td', { class: 'wrap' }, c.warnings.length ? c.warnings.map((w) => h('div', { class: 'cluster-warning' }, h('span', { class: 'mono' }, w.source_ids.join('、')), h('span', { class: 'sub' }, ' ' + fmtDateTime(w.at) + (w.outcome ? ' · ' + (OUTCOMES[w.outcome] || w.outcome) : ' · 劝阻中')))) : h('span', { class: 'muted' }, '—')),
            ),
          ),
        ),
      );
    }

    function clusterText(c) {
      const parts = [];
      if (c.cluster_size > 1) parts.push((c.cluster_size - 1) + ' 起案件');
      if (c.cluster_warnings) parts.push(c.cluster_warnings + ' 条预警');
      return parts.length ? '与 ' + parts.join('、') + '串并（组 ' + c.cluster_id + '）' : '暂无';
    }

    function holders(l) {
      const parts = [];
      if (l.case_ids.length) parts.push(l.case_ids.length + ' 起案件');
      if (l.warning_ids.length) parts.push(l.warning_ids.length + ' 条预警');
      return parts.join('、');
    }

    async function show(id, reveal) {
      if (!id) {
        detail.hidden = true;
        return;
      }
      let c;
      try {
        c = await api.get('/cases/' + id, reveal ? { reveal: true, purpose: '案件侦办' } : null);
      } catch (e) {
        ctx.toast(e.message, 'error');
        return;
      }
      detail.hidden = false;
      replace(detail, caseDetail(c));
    }

    // The investigation's actions (kind `case`), as the server allows them to this user now.
    const CASE_ACTIONS = [
      { action: 'investigate', label: '受理侦办' },
      { action: 'add_suspect', label: '记录嫌疑人' },
      { action: 'solve', label: '破案', note: '破案情况（必填）' },
      { action: 'transfer', label: '移送起诉', note: '移送单位及文书编号（必填）' },
      { action: 'close', label: '撤案', note: '撤案理由（必填）', key: 'reason' },
    ];

    function caseActions(c) {
      const box = h('div', { class: 'toolbar case-actions' });
      if (!c.task_id) return box;
      api
        .get('/tasks/' + c.task_id)
        .then((t) => {
          const allowed = t.allowed_actions || [];
          replace(
            box,
            CASE_ACTIONS.filter((a) => allowed.indexOf(a.action) >= 0).map((a) =>
              h('button', { type: 'button', class: a.action === 'close' ? 'btn btn-ghost btn-small' : 'btn btn-secondary btn-small', dataset: { action: a.action }, onclick: () => caseAction(c, a) }, a.label),
            ),
            t.due_at && !t.closed_at ? h('span', { class: 'muted' }, (t.due_step_name || '') + ' 期限 ' + fmtDateTime(t.due_at)) : null,
          );
        })
        .catch(() => {});
      return box;
    }

    function caseAction(c, a) {
      const post = (body) => api.post('/tasks/' + c.task_id + '/actions', Object.assign({ action: a.action }, body)).then(() => { ctx.toast(a.label + '：已记录', 'success'); show(c.id); load(); }); // prettier-ignore
      if (a.action === 'investigate') {
        modal({ title: a.label, lead: '由本单位受理侦办，开始破案期限。', actions: [{ label: '确认受理', kind: 'primary', onClick: () => post({}) }] });
        return;
      }
      if (a.action === 'add_suspect') {
        const name = h('input', { type: 'text', name: 'name', maxlength: 100, required: true });
        const role = h('input', { type: 'text', name: 'role', maxlength: 100, placeholder: '卡农、取款人、话务员……' });
        const idNumber = h('input', { type: 'text', name: 'id_number', maxlength: 18 });
        const phone = h('input', { type: 'tel', name: 'phone', maxlength: 40 });
        const caught = h('input', { type: 'checkbox', name: 'caught' });
        modal({
          title: a.label,
          content: h('div', { class: 'form-grid' }, field('姓名或代号', name, null, true), field('角色', role), field('身份证号', idNumber), field('电话', phone), h('label', { class: 'check' }, caught, ' 已抓获')),
          actions: [
            {
              label: '保存嫌疑人',
              kind: 'primary',
              onClick: () => {
                const body = { name: name.value.trim(), caught: caught.checked };
                if (role.value.trim()) body.role = role.value.trim();
                if (idNumber.value.trim()) body.id_number = idNumber.value.trim();
                if (phone.value.trim()) body.phone = phone.value.trim();
                return post(body);
              },
            },
          ],
        });
        return;
      }
      const note = h('textarea', { name: a.key || 'note', rows: 3, maxlength: 2000, placeholder: a.note });
      modal({
        title: a.label,
        content: field(a.note.replace('（必填）', ''), note, null, true),
        actions: [{ label: '确认' + a.label, kind: 'primary', onClick: () => post({ [a.key || 'note']: note.value.trim() }) }],
      });
    }

    function caseDetail(c) {
      const ids = c.identifiers.slice();
      const body = h('tbody');
      function drawIds() {
        replace(
          body,
          ids.map((i, n) =>
            h(
              'tr',
              { dataset: { kind: i.kind, value: i.value } },
              h('td', null, KINDS[i.kind] || i.kind),
              h('td', { class: 'mono' }, i.value),
              h('td', { class: 'sub' }, ORIGINS[i.origin] || i.origin),
              h('td', null, !i.linkable ? h('span', { class: 'muted' }, '不参与串并') : i.blocked ? h('span', { class: 'chip chip-muted', title: '常见号码或已超过上限，不用于串并' }, '已屏蔽 · ' + i.cases + ' 起') : h('span', null, i.cases + ' 起')),
              h('td', null, canWrite && i.origin !== 'derived' ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => { ids.splice(n, 1); drawIds(); } }, '删除') : null),
            ),
          ),
        );
      }
      drawIds();
      const kind = select(options(KINDS), 'phone', () => {}, { name: 'kind', 'aria-label': '标识类型' });
      const value = h('input', { type: 'text', name: 'value', placeholder: '号码、账户、网址……', 'aria-label': '标识值', maxlength: 255 });
      const add = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => { if (value.value.trim()) { ids.push({ kind: kind.value, value: value.value.trim(), origin: 'given', linkable: true, blocked: false, cases: 0 }); value.value = ''; drawIds(); } } }, '添加'); // prettier-ignore
      const loss = h('input', { type: 'text', name: 'loss_yuan', value: c.loss_yuan, inputmode: 'decimal' });
      const type = select(options(FRAUD_TYPES), c.fraud_type, () => {}, { name: 'fraud_type' });
      // A case with its investigation task changes status through the task's actions (任务清单), not here.
      const st = c.task_id ? null : select(options(STATUS), c.status, () => {}, { name: 'status' });
      const save = h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => saveCase() }, '保存');
      async function saveCase() {
        const payload = {
          loss_yuan: loss.value.trim(),
          fraud_type: type.value,
          ...(st ? { status: st.value } : {}),
          identifiers: ids.filter((i) => i.origin !== 'derived' && i.linkable !== false || i.kind === 'card_tail').map((i) => ({ kind: i.kind, value: i.value })),
        };
        try {
          await api.patch('/cases/' + c.id, payload);
          ctx.toast('案件已保存', 'success');
          show(c.id);
          load();
        } catch (e) {
          ctx.toast(e.field ? e.message + '（' + e.field + '）' : e.message, 'error');
        }
      }
      return h(
        'div',
        { class: 'case-card' },
        h('header', { class: 'case-head' },
          h('h2', null, '案件 ' + c.id + ' · ' + typeName(c.fraud_type)),
          h('span', { class: 'sub mono' }, (SOURCES[c.source] || c.source) + ' ' + c.source_id + ' · 地区 ' + c.county_code),
          h('span', { class: 'grow' }),
          c.victim.masked ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => show(c.id, true) }, '查看完整信息') : h('span', { class: 'chip chip-audit' }, '已记录查看'),
          h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => navigate('/cases') }, '关闭'),
        ), // prettier-ignore
        h('dl', { class: 'case-facts' },
          h('dt', null, '受害人'), h('dd', null, [c.victim.name, c.victim.phone, c.victim.id_number].filter(Boolean).join(' · ') || '—'),
          h('dt', null, '报案时间'), h('dd', { class: 'mono' }, fmtDateTime(c.reported_at)),
          h('dt', null, '派出所'), h('dd', null, c.station || '未落地'),
          h('dt', null, '串并'), h('dd', null, clusterText(c)),
          h('dt', null, '研判类型'), h('dd', { class: 'case-predicted' }, c.predicted_type ? typeName(c.predicted_type) + '（置信度 ' + Math.round((c.predicted_confidence || 0) * 100) + '%）' : '—'),
          h('dt', null, '侦办'), h('dd', { class: 'case-task' }, STATUS[c.status] || c.status, c.task_id ? [' · ', h('a', { href: '#/tasks/' + c.task_id }, '侦办任务 #' + c.task_id)] : null, c.solved_at ? ' · 破案 ' + fmtDateTime(c.solved_at) : null),
          h('dt', null, '嫌疑人'), h('dd', { class: 'case-suspects' }, (c.suspects || []).length ? c.suspects.map((x) => x.name + (x.role ? '（' + x.role + '）' : '') + (x.caught ? ' 已抓获' : ' 在逃')).join('；') : '暂无'),
        ), // prettier-ignore
        caseActions(c),
        h('div', { class: 'case-narrative' }, h('h3', null, '笔录'), h('p', { class: 'wrap' }, c.narrative || '（无）')),
        canWrite ? h('div', { class: 'toolbar case-edit' }, field('损失（元）', loss), field('类型', type), st ? field('状态', st) : null) : null,
        h('h3', null, '涉案标识'),
        h('table', { class: 'tbl tbl-compact case-ids' }, h('thead', null, h('tr', null, ['类型', '值', '来源', '串并', ''].map((t) => h('th', { scope: 'col' }, t)))), body),
        canWrite ? h('div', { class: 'toolbar' }, kind, value, add, h('span', { class: 'grow' }), save) : null,
      );
    }

    function newCase() {
      const reported = dateTimeInput({ name: 'reported_at', required: true });
      const name = h('input', { type: 'text', name: 'victim.name', maxlength: 100 });
      const phone = h('input', { type: 'tel', name: 'victim.phone', maxlength: 40 });
      const idNumber = h('input', { type: 'text', name: 'victim.id_number', maxlength: 32 });
      const loss = h('input', { type: 'text', name: 'loss_yuan', inputmode: 'decimal', value: '0' });
      const type = select(options(FRAUD_TYPES), 'other', () => {}, { name: 'fraud_type' });
      const narrative = h('textarea', { name: 'narrative', rows: 6, maxlength: 20000, placeholder: '受害人陈述：对方电话、银行卡号、网址、微信号等会自动提取' });
      modal({
        title: '新建案件',
        content: h('div', { class: 'form-grid' }, field('报案时间', reported, null, true), field('受害人姓名', name), field('受害人电话', phone), field('身份证号', idNumber), field('损失（元）', loss), field('诈骗类型', type), field('笔录', narrative)),
        actions: [
          {
            label: '立案',
            kind: 'primary',
            submit: true,
            onClick: async () => {
              if (!reported.value.trim()) throw Object.assign(new Error('请填写报案时间'), { field: 'reported_at' });
              const reportedAt = parseDateTimeInput(reported.value);
              if (!reportedAt) throw Object.assign(new Error('报案时间请按 YYYY-MM-DD HH:mm 填写'), { field: 'reported_at' });
              const victim = {};
              if (name.value.trim()) victim.name = name.value.trim();
              if (phone.value.trim()) victim.phone = phone.value.trim();
              if (idNumber.value.trim()) victim.id_number = idNumber.value.trim();
              const created = await api.post('/cases', {
                reported_at: reportedAt,
                victim,
                loss_yuan: loss.value.trim() || '0',
                fraud_type: type.value,
                narrative: narrative.value,
              });
              ctx.toast('已立案：案件 ' + created.id, 'success');
              navigate('/cases/' + created.id);
              load();
            },
          },
        ],
      });
    }

    load();
    return {
      update(params) {
        show(params.id);
      },
      destroy() {
        seq += 1;
      },
    };
  },
};
