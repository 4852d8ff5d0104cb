// One warning and its dissuasion task: the person (masked, revealable), why it was raised, the task with
// its deadline and ladder buttons, the full history and the leads. Used by the queue and the worklist.

import { ApiError, api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { fmtDateTime, fmtShort, fmtYuan, ageFrom } from '../format.js';
import {
  EVENT_KINDS,
  EVENT_SOURCES,
  FRAUD_TYPES,
  OUTCOMES,
  PERSON_TAGS,
  WARNING_STATUS,
  levelName,
} from '../labels.js';
import { poll } from '../live.js';
import { deadline, escalationBadge, levelBadge, outcomeChip, taskStatusChip } from './badges.js';
import { field, modal } from './dialog.js';
import { ACTION_LABELS, availableActions, nextAction, runAction } from './task-actions.js';
import { actionsElsewhere, factRows, genericActions, runGenericAction } from './task-generic.js';
import { historyTimeline } from './timeline.js';
import { LEVEL_COLOURS } from './map.js';
import { placeMap } from './map-panels.js';

const REFRESH_MS = 5000;
const PURPOSES = ['劝阻联系', '核查研判', '案件办理'];

/**
 * caseView({warningId | taskId, user, onClose, onChanged}) → {el, destroy}
 * `onChanged()` is called after an action so the list beside it can refresh.
 */
export function caseView(opts) {
  const state = { warning: null, task: null, revealed: null, error: null, noWarning: false };
  const last = {};
  let staleNotice = null; // the message of a refused (409) action, kept across the refresh it causes

  const title = h('div', { class: 'case-title' });
  const head = h(
    'header',
    { class: 'case-head' },
    h('button', { type: 'button', class: 'icon-btn case-back', 'aria-label': '返回列表', onclick: () => opts.onClose() }, icon('back')),
    title,
    h('button', { type: 'button', class: 'icon-btn case-close', 'aria-label': '关闭详情', title: '关闭（Esc）', onclick: () => opts.onClose() }, icon('close')),
  );
  const taskBox = h('section', { class: 'case-sec case-task' });
  const personBox = h('section', { class: 'case-sec case-person' });
  const reasonsBox = h('section', { class: 'case-sec case-reasons' });
  const mapBox = h('section', { class: 'case-sec case-map', hidden: true });
  let mapView = null;
  const historyBox = h('section', { class: 'case-sec case-history' });
  const eventsBox = h('section', { class: 'case-sec case-events' });
  const errorBox = h('div', { class: 'case-error', role: 'alert', hidden: true });
  const body = h('div', { class: 'case-body' }, errorBox, taskBox, personBox, mapBox, reasonsBox, historyBox, eventsBox);
  const el = h('aside', { class: 'case', 'aria-label': opts.warningId ? '预警详情' : '任务详情' }, head, body);
  replace(taskBox, h('div', { class: 'skeleton' }, '正在加载……'));

  async function load() {
    let warning = state.warning;
    let task = state.task;
    if (opts.warningId) {
      warning = await api.get('/fraud/warnings/' + opts.warningId);
      task = warning.task ? await api.get('/tasks/' + warning.task.id) : null;
    } else {
      const both = await Promise.all([
        api.get('/tasks/' + opts.taskId),
        state.noWarning
          ? Promise.resolve(null)
          : api.get('/fraud/warnings/by-task/' + opts.taskId).catch((e) => {
              if (e instanceof ApiError && e.status === 404) {
                state.noWarning = true;
                return null;
              }
              throw e;
            }),
      ]);
      task = both[0];
      warning = both[1];
    }
    state.warning = warning;
    state.task = task;
    state.error = null;
    render();
  }

  function showError(e) {
    const message = (e && e.message) || '加载失败';
    replace(errorBox, message);
    errorBox.hidden = false;
    if (!state.task && !state.warning) replace(taskBox);
  }

  // Re-render a section only when its data changed, so a poll does not disturb the reader.
  function changed(key, value) {
    const s = JSON.stringify(value);
    if (last[key] === s) return false;
    last[key] = s;
    return true;
  }

  function render() {
    errorBox.hidden = true;
    const w = state.warning;
    const t = state.task;
    if (changed('title', [w && w.level, w && w.status, w && w.id, t && t.title, t && t.level])) renderTitle(w, t);
    if (changed('task', [t, opts.user && opts.user.role])) renderTask(t);
    if (changed('person', [w && w.person, state.revealed])) renderPerson(w);
    if (changed('map', w && [w.id, w.station_id, w.status])) renderMap(w);
    if (changed('reasons', w && [w.reasons, w.fraud_type, w.predicted_type, w.predicted_confidence, w.event_count, w.outcome])) renderReasons(w);
    if (changed('history', t && t.history)) renderHistory(t);
    if (changed('events', w && w.events)) renderEvents(w);
  }

  function renderTitle(w, t) {
    const level = (w && w.level) || (t && t.level);
    replace(
      title,
      levelBadge(level, true),
      h(
        'div',
        { class: 'case-title-text' },
        h('h2', null, w ? '预警 #' + w.id : t ? '任务 #' + t.id : ''),
        h(
          'div',
          { class: 'case-sub' },
          w ? h('span', { class: ['chip', 'ws-' + w.status] }, WARNING_STATUS[w.status] || w.status) : null,
          w ? h('span', null, (w.station || '未落地') + ' · ' + fmtDateTime(w.created_at)) : t ? h('span', null, t.title) : null,
        ),
      ),
    );
  }

  function kv(label, value, cls) {
    return [h('dt', null, label), h('dd', { class: cls || null }, value === null || value === undefined || value === '' ? '—' : value)];
  }

  function renderTask(t) {
    if (t && t.kind !== 'dissuasion') return renderOtherTask(t);
    if (!t) {
      replace(taskBox, h('h3', null, '劝阻任务'), h('p', { class: 'muted' }, '该预警尚未生成任务。'));
      return;
    }
    const actions = availableActions(t);
    const primary = nextAction(t, actions);
    const actionError = h('div', { class: 'inline-error', role: 'alert', hidden: true });
    const buttons = actions.map((a) =>
      h(
        'button',
        {
          type: 'button',
          class: ['btn', a === primary ? 'btn-primary' : a === 'close' ? 'btn-danger-ghost' : 'btn-secondary', 'act-' + a],
          onclick: (e) => {
            actionError.hidden = true;
            const btn = e.currentTarget;
            if (a === 'sign') btn.disabled = true;
            runAction(
              a,
              t,
              () => afterAction(),
              (err) => {
                btn.disabled = false;
                const stale = err instanceof ApiError && err.status === 409;
                // Someone else moved the task meanwhile (signed it, say): say so, and show what it is now, with
                // only the actions still allowed.
                replace(actionError, stale ? '该任务已被他人处理，已刷新为最新状态：' + (err.message || '') : (err && err.message) || '操作失败');
                actionError.hidden = false;
                if (stale) {
                  staleNotice = actionError.textContent;
                  afterAction();
                }
              },
            );
          },
        },
        ACTION_LABELS[a],
      ),
    );
    const counts = h(
      'div',
      { class: 'counts' },
      count('电话', t.calls),
      // Every missed call, not only those since the last answered one (the retry rule's counter).
      count('未接通', t.missed != null ? t.missed : t.unanswered, t.unanswered > 0 ? 'warn' : null),
      count('上门', t.visits),
      count('超时', t.breaches, t.breaches > 0 ? 'bad' : null),
    );
    replace(
      taskBox,
      h('div', { class: 'sec-head' }, h('h3', null, '劝阻任务 #' + t.id), taskStatusChip(t), escalationBadge(t), outcomeChip(t.outcome)),
      h(
        'div',
        { class: 'task-deadline' + (t.overdue ? ' is-overdue' : '') },
        t.due_at
          ? [h('span', { class: 'muted' }, '当前环节'), deadline(t)]
          : h('span', { class: 'muted' }, t.closed_at ? '已办结 ' + fmtDateTime(t.closed_at) : '无期限'),
      ),
      counts,
      h(
        'dl',
        { class: 'kv' },
        kv('承办单位', t.unit || '未指派单位'),
        kv('承办人', t.assignee || '未签收'),
        kv('下发时间', fmtDateTime(t.created_at)),
        t.escalation ? kv('升级', '第' + t.escalation + '级 · ' + (t.escalation_name || ''), 'bad') : null,
      ),
      buttons.length ? h('div', { class: 'action-bar' }, buttons) : null,
      actionError,
    );
    if (staleNotice) {
      // The refresh after a 409 redraws the pane: the notice stays, once.
      replace(actionError, staleNotice);
      actionError.hidden = false;
      staleNotice = null;
    }
  }

  /** Any other kind, from its own declaration: its name, facts and actions (ui/task-generic.js). */
  function renderOtherTask(t) {
    const actionError = h('div', { class: 'inline-error', role: 'alert', hidden: true });
    const actions = genericActions(t);
    const primary = actions.find((a) => ['note', 'close', 'reopen'].indexOf(a.action) < 0);
    const buttons = actions.map((a) =>
      h(
        'button',
        {
          type: 'button',
          class: ['btn', a === primary ? 'btn-primary' : a.action === 'close' ? 'btn-danger-ghost' : 'btn-secondary', 'act-' + a.action],
          onclick: () => runGenericAction(t, a, () => afterAction()),
        },
        a.name,
      ),
    );
    replace(
      taskBox,
      h(
        'div',
        { class: 'sec-head' },
        h('h3', null, (t.kind_name || '任务') + ' #' + t.id),
        taskStatusChip(t),
        escalationBadge(t),
        t.outcome ? h('span', { class: ['chip', 'oc-' + t.outcome] }, t.outcome_name || t.outcome) : null,
      ),
      h(
        'div',
        { class: 'task-deadline' + (t.overdue ? ' is-overdue' : '') },
        t.due_at
          ? [h('span', { class: 'muted' }, '当前环节'), deadline(t)]
          : h('span', { class: 'muted' }, t.closed_at ? '已办结 ' + fmtDateTime(t.closed_at) : '无期限'),
      ),
      h(
        'dl',
        { class: 'kv task-facts' },
        factRows(t),
        kv('承办单位', t.unit || '未指派单位'),
        kv('承办人', t.assignee || '未指派'),
        kv('下发时间', fmtDateTime(t.created_at)),
        t.escalation ? kv('升级', '第' + t.escalation + '级 · ' + (t.escalation_name || ''), 'bad') : null,
      ),
      buttons.length ? h('div', { class: 'action-bar' }, buttons) : null,
      actionsElsewhere(t)
        ? h('p', { class: 'muted task-elsewhere' }, '其余操作请在' + (t.kind_name || '该业务') + '的业务页面办理。')
        : buttons.length
          ? null
          : h('p', { class: 'muted' }, t.closed_at ? '任务已办结。' : '当前角色在此任务上没有可进行的操作。'),
      actionError,
    );
  }

  function count(label, n, cls) {
    return h('div', { class: ['count', cls] }, h('b', null, String(n || 0)), h('span', null, label));
  }

  function afterAction() {
    if (opts.onChanged) opts.onChanged();
    poller.refresh();
  }

  function renderPerson(w) {
    if (!w) {
      replace(personBox);
      personBox.hidden = true;
      return;
    }
    personBox.hidden = false;
    const p = state.revealed || w.person || {};
    const revealed = Boolean(state.revealed);
    const age = ageFrom(p.birth_year);
    const tags = (p.tags || []).map((t) => h('span', { class: 'chip chip-muted' }, PERSON_TAGS[t] || t));
    const toggle = revealed
      ? h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => hide() }, icon('eye-off'), '隐藏')
      : h('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => askReveal(w) }, icon('eye'), '显示完整信息');
    replace(
      personBox,
      h('div', { class: 'sec-head' }, h('h3', null, '预警对象'), revealed ? h('span', { class: 'chip chip-audit' }, '完整信息 · 本次查看已记录') : h('span', { class: 'chip chip-muted' }, '已脱敏'), h('span', { class: 'grow' }), toggle),
      h(
        'dl',
        { class: ['kv', 'person', revealed && 'is-revealed'] },
        kv('姓名', p.name || (p.id ? null : '未登记人员')),
        kv('手机', revealed && p.phone ? h('a', { href: 'tel:' + p.phone, class: 'tel', title: '拨打' }, p.phone) : p.phone, 'mono'),
        p.id ? kv('身份证', p.id_number, 'mono') : null,
        p.id ? kv('住址', p.address) : null,
        p.birth_year ? kv('年龄', age + ' 岁（' + p.birth_year + ' 年生）', age >= 65 ? 'warn' : null) : null,
        tags.length ? kv('标签', h('span', { class: 'tags' }, tags)) : null,
      ),
    );
  }

  function askReveal(w) {
    const purpose = h('select', { name: 'purpose' }, PURPOSES.map((p) => h('option', { value: p }, p)));
    modal({
      title: '显示完整个人信息',
      lead: '查看完整个人信息（姓名、手机、身份证号、住址）将被记录：查看人、时间、用途。仅在工作需要时查看。',
      className: 'dlg-audit',
      content: field('用途', purpose),
      actions: [
        {
          label: '确认查看（记录在案）',
          kind: 'primary',
          onClick: async () => {
            const path = opts.warningId ? '/fraud/warnings/' + w.id : '/fraud/warnings/by-task/' + opts.taskId;
            const full = await api.get(path, { reveal: true, purpose: purpose.value });
            state.revealed = full.person;
            render();
          },
        },
      ],
    });
  }

  function hide() {
    state.revealed = null;
    render();
  }

  function renderMap(w) {
    if (mapView) mapView.destroy();
    mapView = null;
    mapBox.hidden = !w;
    if (!w) return replace(mapBox);
    mapView = placeMap({
      stationId: w.station_id,
      label: '预警对象位置',
      place: () =>
        api.get('/map/warnings', { warning_id: w.id, status: w.status }).then((fc) => {
          const f = fc.features[0];
          if (!f) return null;
          const c = f.geometry.coordinates;
          return { lon: c[0], lat: c[1], colour: LEVEL_COLOURS[w.level], title: '预警对象住址（约1公里）', note: '预警对象住址，已模糊到约1公里；完整住址见上方“显示完整信息”。' };
        }),
    });
    replace(mapBox, h('div', { class: 'sec-head' }, h('h3', null, '位置')), mapView.el);
  }

  function renderReasons(w) {
    if (!w) {
      reasonsBox.hidden = true;
      return;
    }
    reasonsBox.hidden = false;
    const reasons = w.reasons || [];
    replace(
      reasonsBox,
      h(
        'div',
        { class: 'sec-head' },
        h('h3', null, '预警理由'),
        h('span', { class: 'chip chip-type' }, FRAUD_TYPES[w.fraud_type] || w.fraud_type || '其他'),
        w.predicted_type
          ? h(
              'span',
              { class: 'muted small predicted-type', title: '按线索文本自动研判的诈骗类型及置信度' },
              '文本研判：' + (FRAUD_TYPES[w.predicted_type] || w.predicted_type) + ' ' + Math.round((w.predicted_confidence || 0) * 100) + '%',
            )
          : null,
        h('span', { class: 'muted small' }, '线索 ' + w.event_count + ' 条'),
      ),
      reasons.length
        ? h(
            'ul',
            { class: 'reasons' },
            reasons.map((r) =>
              h(
                'li',
                null,
                r.level ? h('span', { class: ['dot', 'dot-' + r.level], title: levelName(r.level) }) : h('span', { class: 'dot dot-raise', title: '升级因素' }),
                h('span', null, r.text),
              ),
            ),
          )
        : h('p', { class: 'muted' }, '无'),
      w.outcome
        ? h(
            'dl',
            { class: 'kv' },
            kv('结果', OUTCOMES[w.outcome] || w.outcome),
            Number(w.amount_protected_yuan) > 0 ? kv('挽回损失', fmtYuan(w.amount_protected_yuan), 'ok') : null,
            Number(w.amount_lost_yuan) > 0 ? kv('被骗金额', fmtYuan(w.amount_lost_yuan), 'bad') : null,
          )
        : null,
    );
  }

  function renderHistory(t) {
    if (!t) {
      historyBox.hidden = true;
      return;
    }
    historyBox.hidden = false;
    replace(
      historyBox,
      historyTimeline(t.history, {
        statusName: (e) => (e.to_status_name && e.to_status !== e.from_status ? e.to_status_name : null),
        details: historyDetails,
      }),
    );
  }

  function historyDetails(e) {
    const d = e.data || {};
    const bits = [];
    if (typeof d.answered === 'boolean') bits.push(d.answered ? '接通' : '未接通');
    if (typeof d.found === 'boolean') bits.push(d.found ? '见到本人' : '未见到本人');
    if (d.outcome && e.action !== 'close') bits.push(OUTCOMES[d.outcome] || d.outcome);
    if (d.amount_yuan && Number(d.amount_yuan) > 0) bits.push(fmtYuan(d.amount_yuan));
    if (d.level) bits.push('等级 ' + levelName(d.level));
    return bits.length ? h('div', { class: 'tl-data' }, bits.map((b) => h('span', { class: 'chip chip-muted' }, b))) : null;
  }

  function renderEvents(w) {
    if (!w || !w.events) {
      eventsBox.hidden = true;
      return;
    }
    eventsBox.hidden = false;
    replace(
      eventsBox,
      h('div', { class: 'sec-head' }, h('h3', null, '线索'), h('span', { class: 'muted small' }, w.events.length + ' 条')),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'tbl tbl-compact' },
          h('thead', null, h('tr', null, ['时间', '来源', '类型', '对方', '时长', '金额', '内容'].map((c) => h('th', null, c)))),
          h(
            'tbody',
            null,
            w.events.map((e) =>
              h(
                'tr',
                null,
                h('td', { class: 'nowrap' }, fmtShort(e.at)),
                h('td', null, EVENT_SOURCES[e.source] || e.source),
                h('td', null, EVENT_KINDS[e.kind] || e.kind),
                h('td', { class: 'mono' }, e.counterpart || '—'),
                h('td', { class: 'num' }, e.duration_s !== null && e.duration_s !== undefined ? e.duration_s + ' 秒' : '—'),
                h('td', { class: 'num' }, e.amount_yuan ? fmtYuan(e.amount_yuan) : '—'),
                h('td', { class: 'wrap' }, e.text || ''),
              ),
            ),
          ),
        ),
      ),
    );
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
