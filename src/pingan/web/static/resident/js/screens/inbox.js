// 提醒: alerts pushed to me (fraud warnings, disasters, traffic); opening one marks it read.

import { h, replace } from '../../../js/dom.js';
import { fmtDateTime } from '../../../js/format.js';
import { poll } from '../../../js/live.js';
import { api } from '../api.js';
import { PUSH_KINDS } from '../labels.js';
import { emptyState, when } from '../ui.js';

const POLL_MS = 30000;

export default {
  title: '提醒',
  mount(root, ctx) {
    const open = new Set();
    const list = h('div', { class: 'inbox' });
    const status = h('p', { class: 'muted center' }, '正在加载……');
    replace(root, status, list);
    let items = [];

    async function read(item) {
      if (item.read_at) return;
      item.read_at = new Date().toISOString();
      try {
        await api.post('/desk/pushes/inbox/' + item.id + '/read');
        ctx.refreshUnread();
      } catch (e) {
        item.read_at = null;
      }
    }

    function row(item) {
      const expanded = open.has(item.id);
      return h(
        'button',
        {
          type: 'button',
          class: ['card', 'alert-row', 'kind-' + item.kind, !item.read_at && 'is-unread', expanded && 'is-open'],
          dataset: { id: item.id },
          'aria-expanded': String(expanded),
          onclick: () => {
            if (expanded) open.delete(item.id);
            else open.add(item.id);
            read(item);
            render();
          },
        },
        h('div', { class: 'row-top' }, h('span', { class: 'alert-kind' }, PUSH_KINDS[item.kind] || '通知'), !item.read_at ? h('span', { class: 'unread-dot', 'aria-label': '未读' }) : null, h('span', { class: 'row-when', title: fmtDateTime(item.at) }, when(item.at))),
        h('p', { class: 'alert-title' }, item.title),
        h('p', { class: 'alert-body' }, item.body),
      );
    }

    function render() {
      status.hidden = items.length > 0;
      if (!items.length) replace(status, emptyState('暂无提醒', '电诈预警、灾害天气、交通安全等提醒会显示在这里。'));
      replace(list, items.map(row));
    }

    const poller = poll(
      async () => {
        items = await api.get('/desk/pushes/inbox', { limit: 50 });
        render();
      },
      POLL_MS,
      (e) => {
        if (!items.length) replace(status, e.message);
      },
    );
    return {
      destroy() {
        poller.stop();
      },
    };
  },
};
