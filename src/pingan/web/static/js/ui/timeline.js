// A task's history as the 处置记录 timeline, newest first: when, what, who, the new status, why, and any details.
import { h } from '../dom.js';
import { fmtDateTime, fmtShort } from '../format.js';
import { ACTIONS } from '../labels.js';

/**
 * historyTimeline(history, {statusName: (e) => string|null, details: (e) => Node|null}) → [heading, list]
 * `statusName` names the status an entry moved the task to (null: no move worth showing).
 */
export function historyTimeline(history, { statusName, details }) {
  const items = (history || []).slice().reverse();
  return [
    h('div', { class: 'sec-head' }, h('h3', null, '处置记录'), h('span', { class: 'muted small' }, items.length + ' 条')),
    h(
      'ol',
      { class: 'timeline' },
      items.map((e) => {
        const to = statusName(e);
        return h(
          'li',
          { class: ['tl-item', 'tl-' + e.action] },
          h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
          h(
            'div',
            { class: 'tl-main' },
            h(
              'div',
              { class: 'tl-line' },
              h('time', { datetime: e.at, title: fmtDateTime(e.at) }, fmtShort(e.at)),
              h('strong', null, e.action_name || ACTIONS[e.action] || e.action),
              h('span', { class: 'tl-actor' }, e.actor),
              to ? h('span', { class: 'tl-to' }, '→ ' + to) : null,
            ),
            e.reason ? h('div', { class: 'tl-reason' }, e.reason) : null,
            details ? details(e) : null,
          ),
        );
      }),
    ),
  ];
}
