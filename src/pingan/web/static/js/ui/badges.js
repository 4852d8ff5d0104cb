// Small pieces shared by the screens: level badges, status chips, deadlines.

import { h } from '../dom.js';
import { LEVELS, OUTCOMES, TASK_STATUS, levelName } from '../labels.js';
import { countdown } from '../live.js';

/**
 * The badge of a warning's or a task's level (特高危/高/中/低); null when there is no level. A level is a
 * property of some kinds only (warnings, alarms, tracking alerts, a desk emergency): a theft, a base
 * station's maintenance or a dispute has none, and a grey "—" badge beside it read as "level unknown".
 */
export function levelBadge(level, large) {
  if (!level) return null;
  return h('span', { class: ['level', 'level-' + (LEVELS[level] ? level : 'unknown'), large && 'level-lg'], title: '预警等级：' + levelName(level) }, levelName(level));
}

export function taskStatusChip(task) {
  if (!task) return h('span', { class: 'chip chip-muted' }, '无任务');
  const name = task.status_name || TASK_STATUS[task.status] || task.status;
  return h('span', { class: ['chip', 'st-' + task.status] }, name);
}

export function escalationBadge(task) {
  if (!task || !task.escalation) return null;
  // The rung's name is the task's own workflow's (a desk request climbs to the 情指中心, a warning to the centres).
  const rung = task.escalation_name || '第' + task.escalation + '级';
  return h('span', { class: 'chip chip-escalated', title: '超时已升级（第' + task.escalation + '级）' }, '已升级·' + rung);
}

export function outcomeChip(outcome) {
  if (!outcome) return null;
  return h('span', { class: ['chip', 'oc-' + outcome] }, OUTCOMES[outcome] || outcome);
}

/** The current step and a live countdown to its deadline, or the closing outcome. */
export function deadline(task, compact) {
  if (!task) return h('span', { class: 'muted' }, '—');
  if (!task.due_at) {
    return task.outcome ? outcomeChip(task.outcome) : h('span', { class: 'muted' }, '—');
  }
  return h(
    'span',
    { class: ['deadline', compact && 'deadline-compact'] },
    h('span', { class: 'deadline-step' }, task.due_step_name || ''),
    countdown(task.due_at, task.overdue),
  );
}
