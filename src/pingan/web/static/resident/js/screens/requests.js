// 我的诉求: my requests, newest first, with their state and who handles them.

import { h, icon, replace } from '../../../js/dom.js';
import { poll } from '../../../js/live.js';
import { api } from '../api.js';
import { busy, categoryChip, emptyState, statusChip, when } from '../ui.js';

const POLL_MS = 20000;
const PAGE = 20;

export default {
  title: '我的诉求',
  mount(root) {
    let head = [];
    let older = [];
    let next = null;
    const list = h('div', { class: 'request-list' });
    const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block', hidden: true, onclick: loadMore }, '加载更早的诉求');
    const status = h('p', { class: 'muted center' }, '正在加载……');
    replace(root, h('a', { class: 'btn btn-primary btn-block new-btn', href: '#/new' }, icon('chat'), '我要求助'), status, list, more);

    function row(r) {
      const late = r.overdue;
      return h(
        'a',
        { class: ['card', 'request-row', late && 'is-late'], href: '#/requests/' + r.id, dataset: { id: r.id } },
        h('div', { class: 'row-top' }, categoryChip(r.category), statusChip(r), h('span', { class: 'row-when' }, when(r.created_at))),
        h('p', { class: 'row-text' }, r.excerpt || '（语音）'),
        h(
          'p',
          { class: 'row-unit' },
          r.route === 'governance' ? '已分流至 ' : '处理单位 ',
          h('strong', null, r.unit || '情指中心'),
          r.rating ? h('span', { class: 'row-rated' }, '已评价') : null,
          r.media_count ? h('span', { class: 'row-media' }, '附件 ' + r.media_count) : null,
        ),
      );
    }

    function render() {
      const all = head.concat(older.filter((o) => !head.some((x) => x.id === o.id)));
      status.hidden = all.length > 0;
      if (!all.length) replace(status, emptyState('还没有诉求', '有事找民警，点上面的“我要求助”。'));
      replace(list, all.map(row));
      more.hidden = !next;
    }

    async function load() {
      const page = await api.get('/desk/requests', { limit: PAGE });
      head = page.items || [];
      if (!older.length) next = page.next_before_id;
      render();
    }

    async function loadMore() {
      await busy(more, '加载中……', async () => {
        const page = await api.get('/desk/requests', { limit: PAGE, before_id: next });
        older = older.concat(page.items || []);
        next = page.next_before_id;
        render();
      });
    }

    const poller = poll(load, POLL_MS, (e) => {
      if (!head.length) replace(status, e.message);
    });
    return {
      destroy() {
        poller.stop();
      },
    };
  },
};
