// One citizen request as staff see it: what the resident wrote (photos shown, voice playable), where, who
// asked (masked, revealable with a recorded purpose), the conversation, the history, and the actions:
// sign, reply, re-route with a reason, divert to a governance department, merge a duplicate, close, and
// 已被骗，转立案: the resident was already defrauded, so the fraud case is opened from the request at once.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { fmtDateTime, fmtShort, fmtYuan, parseDateTimeInput } from '../format.js';
import { DESK_CATEGORIES, DESK_ROUTES, FRAUD_TYPES, TASK_STATUS } from '../labels.js';
import { countdown, poll } from '../live.js';
import { escalationBadge } from './badges.js';
import { historyTimeline } from './timeline.js';
import { placeMap } from './map-panels.js';
import { dateTimeInput } from './date-input.js';
import { field, modal, toast } from './dialog.js';

const REFRESH_MS = 5000;
const PURPOSES = ['联系群众处理诉求', '核实情况', '调解纠纷'];
const REVEAL_ROLES = ['admin', 'analyst', 'commander', 'station_head', 'officer'];
const WAITING = ['issued', 'signed'];

export function deskCategoryChip(category) {
  const c = DESK_CATEGORIES[category] || { name: category, tone: 'blue' };
  return h('span', { class: ['chip', 'dc-' + c.tone] }, c.name);
}

export function deskStatusChip(r) {
  const merged = r.resolution === 'merged' || r.merged_into_id;
  const name = merged ? '已合并' : TASK_STATUS[r.status] || r.status_name || r.status;
  return h('span', { class: ['chip', 'st-' + (merged ? 'closed' : r.status)] }, name);
}

/** "丹东派出所 王警官", without the unit twice when the name already starts with it. */
export function staffName(unit, person) {
  if (!person) return unit || '';
  if (!unit || person.indexOf(unit) === 0) return person;
  return unit + ' · ' + person;
}

/** The reply clock: a live countdown while the first reply is awaited, else what happened. */
export function replyClock(r) {
  if (r.closed_at) return h('span', { class: 'muted', title: fmtDateTime(r.closed_at) }, fmtShort(r.closed_at));
  if (r.reply_due_at && WAITING.indexOf(r.status) >= 0) return countdown(r.reply_due_at, r.overdue, 'desk-count');
  if (r.first_reply_at) return h('span', { class: 'ok', title: fmtDateTime(r.first_reply_at) }, fmtShort(r.first_reply_at));
  return h('span', { class: 'muted' }, '—');
}

let unitsCache = null;

function units() {
  if (!unitsCache) {
    unitsCache = api.get('/units').catch((e) => {
      unitsCache = null;
      throw e;
    });
  }
  return unitsCache;
}

function inputError(message, name) {
  const e = new Error(message);
  e.field = name;
  return e;
}

function required(el, message) {
  const v = (el.value || '').trim();
  if (!v) throw inputError(message, el.name);
  return v;
}

/**
 * deskView({requestId, user, onClose, onChanged}) → {el, destroy}
 * `onChanged()` is called after an action so the queue beside it can refresh.
 */
export function deskView(opts) {
  const state = { r: null, revealed: null };
  const last = {};
  const title = h('div', { class: 'case-title' });
  const head = h(
    'header',
    { class: 'case-head' },
    h('button', { type: 'button', class: 'icon-btn case-back', 'aria-label': '返回列表', onclick: () => opts.onClose() }, icon('back')),
    title,
    h('button', { type: 'button', class: 'icon-btn case-close', 'aria-label': '关闭详情', title: '关闭（Esc）', onclick: () => opts.onClose() }, icon('close')),
  );
  const errorBox = h('div', { class: 'case-error', role: 'alert', hidden: true });
  const mainBox = h('section', { class: 'case-sec desk-main' }, h('div', { class: 'skeleton' }, '正在加载……'));
  const handleBox = h('section', { class: 'case-sec desk-handle' });
  const mapBox = h('section', { class: 'case-sec desk-map' });
  let mapView = null;
  const threadBox = h('section', { class: 'case-sec desk-thread' });
  const historyBox = h('section', { class: 'case-sec case-history' });
  const body = h('div', { class: 'case-body' }, errorBox, mainBox, mapBox, handleBox, threadBox, historyBox);
  const el = h('aside', { class: 'case desk-case', 'aria-label': '诉求详情' }, head, body);

  async function load() {
    const query = state.revealed ? { reveal: true, purpose: state.revealed } : undefined;
    state.r = await api.get('/desk/staff/requests/' + opts.requestId, query);
    errorBox.hidden = true;
    render();
  }

  function changed(key, value) {
    const s = JSON.stringify(value);
    if (last[key] === s) return false;
    last[key] = s;
    return true;
  }

  function render() {
    const r = state.r;
    if (!r) return;
    // Media links are signed anew on every read: compare without them so a poll does not reload images.
    const stable = Object.assign({}, r, { media: r.media.map((m) => m.id) });
    if (changed('title', [r.id, r.category, r.status, r.resolution, r.overdue])) renderTitle(r);
    if (changed('map', [r.id, r.station_id, r.lon, r.lat])) renderMap(r);
    if (changed('main', [stable.text, stable.media, r.phone, r.address, r.lon, r.lat, r.masked, r.station, r.community])) renderMain(r);
    if (changed('handle', [r.status, r.unit, r.handler, r.route, r.reply_due_at, r.first_reply_at, r.closed_at, r.overdue, r.suggested_unit, r.duplicate_of_id, r.task, r.rating, r.unit_id, r.case, r.allowed_actions])) renderHandle(r);
    if (changed('thread', r.messages)) renderThread(r);
    if (changed('history', r.history)) renderHistory(r);
  }

  function renderTitle(r) {
    replace(
      title,
      h(
        'div',
        { class: 'case-title-text' },
        h('h2', null, '群众诉求 #' + r.id),
        h('div', { class: 'case-sub' }, deskCategoryChip(r.category), deskStatusChip(r), r.overdue ? h('span', { class: 'chip chip-escalated' }, '答复超时') : null),
      ),
    );
  }

  function kv(label, value, cls) {
    return [h('dt', null, label), h('dd', { class: cls || null }, value === null || value === undefined || value === '' ? '—' : value)];
  }

  function media(list) {
    if (!list.length) return null;
    return h(
      'div',
      { class: 'desk-media' },
      list.map((m) =>
        m.kind === 'image'
          ? h('a', { href: m.url, target: '_blank', rel: 'noopener', class: 'desk-photo', title: m.filename || '照片' }, h('img', { src: m.url, alt: m.filename || '群众上传的照片', loading: 'lazy' }))
          : h('div', { class: 'desk-voice' }, icon('sound'), h('audio', { src: m.url, controls: true, preload: 'none' }), h('span', { class: 'muted small' }, Math.round(m.size / 1024) + ' KB')),
      ),
    );
  }

  function renderMain(r) {
    const canReveal = REVEAL_ROLES.indexOf(opts.user.role) >= 0 || (opts.user.role === 'governance' && opts.user.unit_id === r.unit_id);
    const toggle = r.masked
      ? canReveal
        ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: askReveal }, icon('eye'), '显示完整信息')
        : null
      : h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small btn-ghost',
            onclick: () => {
              state.revealed = null;
              load();
            },
          },
          icon('eye-off'),
          '隐藏',
        );
    const place = [r.station, r.community].filter(Boolean).join(' · ');
    replace(
      mainBox,
      h('div', { class: 'sec-head' }, h('h3', null, '群众诉求'), r.masked ? h('span', { class: 'chip chip-muted' }, '已脱敏') : h('span', { class: 'chip chip-audit' }, '完整信息 · 本次查看已记录'), h('span', { class: 'grow' }), toggle),
      h('p', { class: 'desk-text' }, r.text || '（语音留言）'),
      media(r.media),
      h(
        'dl',
        { class: ['kv', !r.masked && 'is-revealed'] },
        kv('群众', !r.masked && r.phone ? h('a', { href: 'tel:' + r.phone, class: 'tel' }, r.phone) : r.phone, 'mono'),
        kv('辖区', place),
        kv('地址', r.address),
        r.lon !== null && r.lon !== undefined ? kv('位置', r.lat.toFixed(r.masked ? 3 : 6) + ', ' + r.lon.toFixed(r.masked ? 3 : 6) + '（WGS84）', 'mono') : null,
        kv('提交时间', fmtDateTime(r.created_at)),
      ),
    );
  }

  function renderMap(r) {
    if (mapView) mapView.destroy();
    const here = r.lon !== null && r.lon !== undefined;
    mapView = placeMap({
      stationId: r.station_id,
      label: '诉求位置',
      place: () => Promise.resolve(here ? { lon: r.lon, lat: r.lat, colour: '#b3261e', title: '群众提交的位置', note: r.masked ? '群众提交的位置，已模糊到约100米' : '群众提交的精确位置（查看已记录）' } : null),
    });
    replace(mapBox, h('div', { class: 'sec-head' }, h('h3', null, '位置')), mapView.el);
  }

  function askReveal() {
    const purpose = h('select', { name: 'purpose' }, PURPOSES.map((p) => h('option', { value: p }, p)));
    modal({
      title: '显示完整个人信息',
      lead: '查看群众的手机号码、详细地址和精确位置将被记录：查看人、时间、用途。仅在工作需要时查看。',
      className: 'dlg-audit',
      content: field('用途', purpose),
      actions: [
        {
          label: '确认查看（记录在案）',
          kind: 'primary',
          onClick: async () => {
            state.revealed = purpose.value;
            await load();
          },
        },
      ],
    });
  }

  function renderHandle(r) {
    const actions = availableActions(r);
    const error = h('div', { class: 'inline-error', role: 'alert', hidden: true });
    const buttons = actions.map((a) =>
      h(
        'button',
        {
          type: 'button',
          class: ['btn', a.primary ? 'btn-primary' : a.id === 'close' ? 'btn-danger-ghost' : 'btn-secondary', 'desk-act-' + a.id],
          onclick: (e) => {
            error.hidden = true;
            a.run(r, e.currentTarget, (err) => {
              replace(error, (err && err.message) || '操作失败');
              error.hidden = false;
            });
          },
        },
        a.label,
      ),
    );
    replace(
      handleBox,
      h('div', { class: 'sec-head' }, h('h3', null, '处理'), r.task ? escalationBadge(r.task) : null),
      h('div', { class: ['task-deadline', r.overdue && 'is-overdue'] }, h('span', { class: 'muted' }, r.closed_at ? '办结' : r.first_reply_at ? '首次答复' : '答复期限'), replyClock(r)),
      h(
        'dl',
        { class: 'kv' },
        kv('流向', DESK_ROUTES[r.route] || r.route),
        kv('处理单位', r.unit || '情指中心'),
        kv('承办人', r.handler || '未签收'),
        r.suggested_unit ? kv('研判建议', '转' + r.suggested_unit) : null,
        r.duplicate_of_id ? kv('疑似重复', '与诉求 #' + r.duplicate_of_id + ' 相似' + (r.duplicate_score ? '（' + Math.round(r.duplicate_score * 100) + '%）' : ''), 'warn') : null,
        r.merged_into_id ? kv('合并至', '诉求 #' + r.merged_into_id) : null,
        r.rating ? kv('群众评价', '★'.repeat(r.rating) + '☆'.repeat(5 - r.rating) + (r.rating_comment ? ' ' + r.rating_comment : ''), r.rating >= 4 ? 'ok' : 'warn') : null,
        r.case ? kv('已立案', caseLink(r.case)) : null,
      ),
      buttons.length ? h('div', { class: 'action-bar' }, buttons) : !r.closed_at ? h('p', { class: 'muted small' }, '该诉求由' + (r.unit || '情指中心') + '处理，本单位仅可查看。') : null,
      error,
    );
  }

  function caseLink(c) {
    return h(
      'span',
      { class: 'desk-case-link' },
      h('a', { href: '#/cases/' + c.id, class: 'link' }, '案件 #' + c.id),
      h('span', { class: 'muted' }, ' · ' + c.fraud_type_name + ' · 损失 ' + fmtYuan(c.loss_yuan) + ' · ' + fmtShort(c.opened_at)),
    );
  }

  function renderThread(r) {
    replace(
      threadBox,
      h('div', { class: 'sec-head' }, h('h3', null, '对话'), h('span', { class: 'muted small' }, r.messages.length + ' 条')),
      h(
        'div',
        { class: 'desk-thread-list' },
        r.messages.map((m) =>
          h(
            'div',
            { class: ['desk-msg', 'desk-msg-' + m.author, m.internal && 'is-internal'] },
            h(
              'div',
              { class: 'desk-msg-head' },
              h('strong', null, m.author === 'resident' ? '群众' : m.author === 'system' ? '系统' : staffName(m.unit, m.author_name)),
              m.internal ? h('span', { class: 'chip chip-muted' }, '内部备注') : null,
              h('time', { datetime: m.at, title: fmtDateTime(m.at) }, fmtShort(m.at)),
            ),
            h('p', { class: 'desk-msg-body' }, m.body),
          ),
        ),
      ),
    );
  }

  function renderHistory(r) {
    replace(
      historyBox,
      historyTimeline(r.history, {
        statusName: (e) => (e.to_status && e.to_status !== e.from_status ? TASK_STATUS[e.to_status] || e.to_status : null),
      }),
    );
  }

  // -- actions ---------------------------------------------------------------------------------------

  function after(message) {
    if (message) toast(message, 'ok');
    if (opts.onChanged) opts.onChanged();
    return load().catch(showError);
  }

  function send(path, body, message) {
    return api.post('/desk/staff/requests/' + state.r.id + path, body).then(() => after(message));
  }

  /** The buttons for what the server offers this user now (`allowed_actions`: its one access decision). */
  function availableActions(r) {
    const allowed = r.allowed_actions || [];
    const toCase = !r.case ? [{ id: 'open_case', label: '已被骗，转立案', run: openCase }] : [];
    if (r.closed_at) return toCase.filter((a) => allowed.indexOf(a.id) >= 0);
    const out = [];
    const waiting = WAITING.indexOf(r.status) >= 0;
    if (r.status === 'issued') out.push({ id: 'sign', label: '签收', primary: true, run: sign });
    if (waiting || r.status === 'replied') out.push({ id: 'reply', label: r.status === 'replied' ? '继续答复' : '答复群众', primary: r.status === 'signed', run: reply });
    out.push({ id: 'reroute', label: '改派', run: reroute });
    if (r.category !== 'emergency') out.push({ id: 'divert', label: '分流治理部门', run: divert });
    out.push({ id: 'merge', label: '合并重复', run: merge });
    out.push({ id: 'close', label: '办结/关闭', run: close });
    return out.concat(toCase).filter((a) => allowed.indexOf(a.id) >= 0);
  }

  function openCase() {
    const r = state.r;
    const loss = h('input', { type: 'number', name: 'loss_yuan', min: '0.01', step: '0.01', inputmode: 'decimal', placeholder: '向群众核实的被骗金额', required: true });
    const narrative = h('textarea', { name: 'narrative', rows: 5, maxlength: 20000, placeholder: '留空则以群众提交的原文及补充说明作为笔录' });
    const type = h('select', { name: 'fraud_type' }, h('option', { value: '' }, '自动研判（按笔录）'), Object.keys(FRAUD_TYPES).filter((k) => k !== 'normal').map((k) => h('option', { value: k }, FRAUD_TYPES[k])));
    const when = dateTimeInput({ name: 'occurred_at' });
    modal({
      title: '已被骗，转立案 · 诉求 #' + r.id,
      lead: '群众已被骗：以提交人为受害人、按本诉求立案。笔录中的电话、银行卡、网址、微信号等将自动提取为串并线索；立案后可在案件页修改。',
      className: 'dlg-open-case',
      content: [
        field('损失金额（元）', loss, '须向群众核实', true),
        field('笔录', narrative, '含个人信息，仅办案人员可见'),
        field('诈骗类型', type),
        field('被骗时间', when, '选填'),
      ],
      actions: [
        {
          label: '立案',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            const amount = (loss.value || '').trim();
            if (!amount || !(Number(amount) > 0)) throw inputError('请填写损失金额（大于0）', 'loss_yuan');
            const body = { loss_yuan: amount };
            if (narrative.value.trim()) body.narrative = narrative.value.trim();
            if (type.value) body.fraud_type = type.value;
            if (when.value.trim()) {
              const at = parseDateTimeInput(when.value);
              if (!at) throw inputError('被骗时间请按“年-月-日 时:分”填写', 'occurred_at');
              body.occurred_at = at;
            }
            const out = await api.post('/desk/staff/requests/' + r.id + '/case', body);
            const c = out && out.case;
            return after(c ? (c.created ? '已立案：案件 #' + c.id : '该诉求已立案：案件 #' + c.id) : '已立案');
          },
        },
      ],
    });
  }

  function sign(r, button, fail) {
    button.disabled = true;
    send('/sign', undefined, '已签收，请尽快答复群众').catch((e) => {
      button.disabled = false;
      fail(e);
    });
  }

  function reply() {
    const text = h('textarea', { name: 'body', rows: 5, maxlength: 2000, placeholder: '答复内容（群众可见）' });
    const internal = h('input', { type: 'checkbox', name: 'internal' });
    modal({
      title: '答复群众',
      lead: '答复内容会立即推送给群众；勾选“内部备注”则只有工作人员可见。',
      content: [field('答复', text, null, true), h('label', { class: 'choice' }, internal, h('span', { class: 'choice-text' }, '内部备注（群众不可见，不计为答复）'))],
      actions: [
        {
          label: '发送',
          kind: 'primary',
          submit: true,
          onClick: () => send('/reply', { body: required(text, '请填写答复内容'), internal: internal.checked }, internal.checked ? '已添加内部备注' : '已答复群众'),
        },
      ],
    });
  }

  async function unitOptions(filter) {
    const all = await units();
    return all.filter(filter);
  }

  async function reroute() {
    const all = await unitOptions((u) => u.kind !== 'bank' && u.kind !== 'telecom' && u.id !== state.r.unit_id);
    const groups = { command_centre: '情指中心', station: '派出所', specialty: '警种', governance: '治理部门', bureau: '局机关', anti_fraud_centre: '反诈中心', community_team: '社区警务队' };
    const unit = h(
      'select',
      { name: 'unit_id' },
      h('option', { value: '' }, '请选择单位'),
      Object.keys(groups).map((kind) => {
        const members = all.filter((u) => u.kind === kind);
        return members.length ? h('optgroup', { label: groups[kind] }, members.map((u) => h('option', { value: String(u.id) }, u.name))) : null;
      }),
    );
    const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 500, placeholder: '改派理由（必填，记入处置记录）' });
    modal({
      title: '改派诉求 #' + state.r.id,
      lead: '转交其他单位处理，新的处理单位重新计算答复期限，历史记录保留。',
      content: [field('转交给', unit, null, true), field('理由', reason, null, true)],
      actions: [
        {
          label: '改派',
          kind: 'primary',
          onClick: async () => {
            if (!unit.value) throw inputError('请选择单位', 'unit_id');
            const why = required(reason, '请填写改派理由');
            const gone = await handOver('/reroute', { unit_id: Number(unit.value), reason: why });
            if (!gone) await after('已改派');
          },
        },
      ],
    });
  }

  /** Re-route or divert; resolves true when the request left this unit's view (a success, not an error). */
  async function handOver(path, body) {
    try {
      await api.post('/desk/staff/requests/' + state.r.id + path, body);
      return false;
    } catch (e) {
      if (!e || e.code !== 'handed_over') throw e;
      toast('已转出，本单位不再可见', 'ok');
      if (opts.onChanged) opts.onChanged();
      setTimeout(() => opts.onClose(), 0);
      return true;
    }
  }

  async function divert() {
    const all = await unitOptions((u) => u.kind === 'governance');
    const unit = h('select', { name: 'unit_id' }, h('option', { value: '' }, '按属地自动选择'), all.map((u) => h('option', { value: String(u.id) }, u.name)));
    const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 500 }, '非警务、非紧急事项，分流至属地治理部门处置');
    modal({
      title: '分流至治理部门',
      lead: '犬类管理、噪音扰民、矛盾纠纷等非警务事项分流至区级治理中心、街道综治或村社平安前哨，由其处置并反馈群众。',
      content: [field('治理部门', unit), field('理由', reason, null, true)],
      actions: [
        {
          label: '分流',
          kind: 'primary',
          onClick: async () => {
            const why = required(reason, '请填写分流理由');
            const body = { reason: why };
            if (unit.value) body.unit_id = Number(unit.value);
            const gone = await handOver('/divert', body);
            if (!gone) await after('已分流');
          },
        },
      ],
    });
  }

  async function merge() {
    const candidates = await api.get('/desk/staff/requests/' + state.r.id + '/duplicates');
    let chosen = candidates.length ? candidates[0].id : null;
    const list = candidates.length
      ? h(
          'div',
          { class: 'choice-list desk-candidates' },
          candidates.map((c, i) =>
            h(
              'label',
              { class: 'choice' },
              h('input', {
                type: 'radio',
                name: 'into_id',
                value: String(c.id),
                checked: i === 0,
                onchange: () => {
                  chosen = c.id;
                },
              }),
              h(
                'span',
                { class: 'choice-text' },
                h('b', null, '#' + c.id + ' '),
                c.excerpt,
                h('small', null, [DESK_CATEGORIES[c.category] ? DESK_CATEGORIES[c.category].name : c.category, c.station, c.unit, fmtShort(c.created_at), TASK_STATUS[c.status] || c.status].filter(Boolean).join(' · ')),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, '没有找到与该诉求相似的未办结诉求。');
    const manual = h('input', { type: 'number', name: 'into_id_manual', min: 1, placeholder: '或输入诉求编号' });
    const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, placeholder: '合并理由（选填）' });
    modal({
      title: '合并重复诉求 #' + state.r.id,
      lead: '本诉求关闭并合并到所选诉求，群众将看到合并后诉求的答复。',
      content: [h('div', { class: 'desk-field' }, h('span', { class: 'field-label' }, '合并到'), list), field('或按编号合并', manual), field('理由', reason)],
      actions: [
        {
          label: '合并',
          kind: 'primary',
          onClick: () => {
            const into = manual.value ? Number(manual.value) : chosen;
            if (!into) throw inputError('请选择或输入要合并到的诉求', 'into_id_manual');
            return send('/merge', { into_id: into, reason: reason.value.trim() || null }, '已合并');
          },
        },
      ],
    });
  }

  function close() {
    const r = state.r;
    const resolved = h('input', { type: 'radio', name: 'resolution', value: 'resolved', checked: true });
    const closed = h('input', { type: 'radio', name: 'resolution', value: 'closed' });
    const answer = h('textarea', { name: 'answer', rows: 4, maxlength: 2000, placeholder: r.first_reply_at ? '最终答复（选填，群众可见）' : '最终答复（群众可见，办结前须答复）' });
    const reason = h('input', { type: 'text', name: 'reason', maxlength: 500, placeholder: '关闭理由（关闭时必填）' });
    modal({
      title: '办结或关闭 #' + r.id,
      content: [
        h(
          'div',
          { class: 'choice-list desk-resolution' },
          h('label', { class: 'choice' }, resolved, h('span', { class: 'choice-text' }, '办结', h('small', null, '已答复并处理完毕，群众可以评价'))),
          h('label', { class: 'choice' }, closed, h('span', { class: 'choice-text' }, '关闭', h('small', null, '无需处理（撤回、无效、重复等），须说明理由'))),
        ),
        field('最终答复', answer),
        field('理由', reason),
      ],
      actions: [
        {
          label: '确定',
          kind: 'primary',
          onClick: () => {
            const body = { resolution: closed.checked ? 'closed' : 'resolved' };
            if (answer.value.trim()) body.answer = answer.value.trim();
            if (closed.checked) body.reason = required(reason, '关闭诉求须说明理由');
            else if (!r.first_reply_at && !body.answer) throw inputError('办结前须答复群众：请填写最终答复', 'answer');
            return send('/close', body, closed.checked ? '已关闭' : '已办结');
          },
        },
      ],
    });
  }

  function showError(e) {
    replace(errorBox, (e && e.message) || '加载失败');
    errorBox.hidden = false;
    if (!state.r) replace(mainBox);
  }

  const poller = poll(load, REFRESH_MS, showError);
  return {
    el,
    refresh: () => poller.refresh(),
    destroy() {
      poller.stop();
      if (mapView) mapView.destroy();
    },
  };
}
