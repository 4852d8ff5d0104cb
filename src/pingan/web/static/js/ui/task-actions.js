// The dissuasion ladder as buttons: which actions the task's status allows, and a dialog for each.

import { api } from '../api.js';
import { h } from '../dom.js';
import { OUTCOMES } from '../labels.js';
import { field, modal, toast } from './dialog.js';

export const ACTION_LABELS = {
  sign: '签收',
  call: '电话',
  visit: '上门',
  meet: '见面',
  feedback: '反馈',
  evaluate: '评估',
  close: '关闭',
  note: '备注',
};

const LADDER_ORDER = ['sign', 'call', 'visit', 'meet', 'feedback', 'evaluate', 'close', 'note'];

/** The actions the server offers this user on this task now (its one access decision), in ladder order. */
export function availableActions(task) {
  const allowed = (task && task.allowed_actions) || [];
  return LADDER_ORDER.filter((a) => allowed.indexOf(a) >= 0);
}

/** The action the deadline is waiting for, to draw it as the primary button. */
export function nextAction(task, actions) {
  const byStep = { sign: 'sign', call: 'call', meet: task.status === 'visiting' ? 'visit' : 'meet', feedback: 'feedback', evaluate: 'evaluate' };
  const want = byStep[task.due_step];
  if (want && actions.indexOf(want) >= 0) return want;
  return actions.find((a) => a !== 'note' && a !== 'close') || null;
}

function inputError(message, name) {
  const e = new Error(message);
  e.field = name;
  return e;
}

function noteBox(placeholder, required) {
  return h('textarea', { name: required ? 'reason' : 'note', rows: 3, maxlength: 2000, placeholder: placeholder || '情况说明（选填）' });
}

function post(task, body) {
  return api.post('/tasks/' + task.id + '/actions', body);
}

function trimmed(el) {
  const v = (el.value || '').trim();
  return v || undefined;
}

/**
 * Run `action` on `task`: a dialog when it needs input, straight away for 签收.
 * `done(updatedTask)` is called after the server accepted it; `fail(err)` when a one-click action is refused.
 */
export function runAction(action, task, done, fail) {
  const label = ACTION_LABELS[action];
  if (action === 'sign') {
    post(task, { action: 'sign' })
      .then((t) => {
        toast('已签收，请尽快电话联系', 'ok');
        done(t);
      })
      .catch(fail);
    return;
  }
  if (action === 'call' || action === 'visit') {
    const note = noteBox(action === 'call' ? '通话情况（选填）：如对方反应、是否已转账' : '上门情况（选填）：地点、见到何人');
    const key = action === 'call' ? 'answered' : 'found';
    const yes = action === 'call' ? '接通' : '见到本人';
    const no = action === 'call' ? '未接通' : '未见到本人';
    modal({
      title: action === 'call' ? '登记电话劝阻' : '登记上门寻找',
      lead:
        action === 'call'
          ? '不接电话不放过：未接通将按规则重拨，多次未接通转上门寻找。'
          : '不见本人不放弃：未见到本人的任务保持开启，继续寻找。',
      content: field('备注', note),
      actions: [
        { label: yes, kind: 'ok', onClick: () => post(task, { action, [key]: true, note: trimmed(note) }).then(done) },
        { label: no, kind: 'warn', onClick: () => post(task, { action, [key]: false, note: trimmed(note) }).then(done) },
      ],
    });
    return;
  }
  if (action === 'meet' || action === 'evaluate') {
    const note = noteBox(action === 'meet' ? '见面劝阻情况（选填）' : '评估意见（选填）');
    modal({
      title: action === 'meet' ? '登记见面劝阻' : '评估办结',
      lead: action === 'meet' ? '确认已见到本人并当面劝阻。' : '评估后任务办结，预警关闭。',
      content: field(action === 'meet' ? '备注' : '评估意见', note),
      actions: [{ label: action === 'meet' ? '确认见面' : '评估办结', kind: 'primary', onClick: () => post(task, { action, note: trimmed(note) }).then(done) }],
    });
    return;
  }
  if (action === 'feedback') {
    feedbackDialog(task, done);
    return;
  }
  if (action === 'close') {
    const reason = noteBox('关闭理由（必填）：如多次上门未见到本人，已通知亲属，经研判无风险', true);
    const outcome = h(
      'select',
      { name: 'outcome' },
      ['unreachable', 'not_at_risk', 'dissuaded', 'defrauded'].map((o) => h('option', { value: o }, OUTCOMES[o])),
    );
    modal({
      title: '中心关闭任务',
      lead: '关闭后任务不再升级。关闭理由将记入处置记录。',
      content: [field('结果', outcome), field('关闭理由', reason, null, true)],
      actions: [
        {
          label: '关闭任务',
          kind: 'danger',
          onClick: () => {
            const r = trimmed(reason);
            if (!r) return Promise.reject(inputError('请填写关闭理由', 'reason'));
            return post(task, { action: 'close', reason: r, outcome: outcome.value }).then(done);
          },
        },
      ],
    });
    return;
  }
  if (action === 'note') {
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000, placeholder: '记入处置记录' });
    modal({
      title: '添加备注',
      content: field('备注', note, null, true),
      actions: [
        {
          label: '保存',
          kind: 'primary',
          onClick: () => {
            const n = trimmed(note);
            if (!n) return Promise.reject(inputError('请填写备注内容', 'note'));
            return post(task, { action: 'note', note: n }).then(done);
          },
        },
      ],
    });
    return;
  }
  if (fail) fail(new Error('不支持的操作：' + label));
}

const AMOUNT_RE = /^\d{1,10}(\.\d{1,2})?$/;

function feedbackDialog(task, done) {
  let outcome = 'dissuaded';
  const amount = h('input', { name: 'amount_yuan', type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00' });
  const amountLabel = h('span', null, '挽回金额（元）');
  const amountRow = h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, amountLabel),
    amount,
    h('span', { class: 'field-hint' }, '劝阻成功填写避免损失的金额；已被骗填写被骗金额。可留空。'),
  );
  const note = noteBox('反馈情况（选填）');
  const choices = [
    { value: 'dissuaded', label: '劝阻成功', hint: '本人已知晓骗局，未再转账' },
    { value: 'defrauded', label: '已被骗', hint: '已发生转账，需止付、立案' },
    { value: 'not_at_risk', label: '无风险', hint: '核实后不涉诈' },
  ];
  const radios = h(
    'div',
    { class: 'choice-list', role: 'radiogroup' },
    choices.map((c) =>
      h(
        'label',
        { class: ['choice', 'oc-' + c.value] },
        h('input', {
          type: 'radio',
          name: 'outcome',
          value: c.value,
          checked: c.value === outcome,
          onchange: () => {
            outcome = c.value;
            amountRow.hidden = outcome === 'not_at_risk';
            amountLabel.textContent = outcome === 'defrauded' ? '被骗金额（元）' : '挽回金额（元）';
          },
        }),
        h('span', { class: 'choice-text' }, h('strong', null, c.label), h('small', null, c.hint)),
      ),
    ),
  );
  modal({
    title: '反馈劝阻结果',
    content: [field('结果', radios), amountRow, field('备注', note)],
    actions: [
      {
        label: '提交反馈',
        kind: 'primary',
        submit: true,
        onClick: () => {
          const body = { action: 'feedback', outcome, note: trimmed(note) };
          const raw = (amount.value || '').replace(/[,，\s¥]/g, '');
          if (outcome !== 'not_at_risk' && raw) {
            if (!AMOUNT_RE.test(raw)) return Promise.reject(inputError('金额须为数字，最多两位小数', 'amount_yuan'));
            body.amount_yuan = raw;
          }
          return post(task, body).then(done);
        },
      },
    ],
  });
}
