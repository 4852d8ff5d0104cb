// 群众求助: the citizen desk's queue for officers, station heads, the 情指中心 and governance departments
// (a department sees only what was diverted to it). Reply deadlines count down live; overdue ones are red.
// The tab, the category and the page are in the URL (#/desk?tab=overdue&category=fraud&offset=100); the
// total is the server's, the pages real.

import { api, serverNow } from '../api.js';
import { h, keyedList, replace, segmented, select } from '../dom.js';
import { fmtDateTime, fmtShort } from '../format.js';
import { DESK_CATEGORIES, DESK_ROUTES } from '../labels.js';
import { poll } from '../live.js';
import { navigate } from '../router.js';
import { deskCategoryChip, deskStatusChip, deskView, replyClock } from '../ui/desk-view.js';
import { splitDetail } from '../ui/split.js';
import { exportTools, filtersFrom, pager } from '../ui/listing.js';
import { deskMapPanel } from '../ui/map-panels.js';
import { OPT_OUT_ROLES, optOutDialog } from '../ui/sms-opt-out.js';

const POLL_MS = 5000;
const LIMIT = 100;

const TABS = [
  { value: 'open', label: '待办', query: { state: 'open', order: 'due' } },
  { value: 'overdue', label: '答复超时', query: { state: 'open', overdue: true, order: 'due' } },
  { value: 'unreplied', label: '未答复', query: { state: 'open', unreplied: true, order: 'due' } },
  { value: 'duplicates', label: '疑似重复', query: { state: 'open', duplicates: true } },
  { value: 'closed', label: '已办结', query: { state: 'closed' } },
  { value: 'all', label: '全部', query: { state: 'all' } },
];

export default {
  id: 'desk',
  title: '群众求助',
  group: '民意',
  roles: ['officer', 'station_head', 'governance', 'commander', 'admin', 'analyst'],
  mount(root, ctx) {
    let tab = 'open';
    let category = '';
    let offset = 0;
    let total = 0;
    let selected = null;
    let items = [];
    let generation = 0;
    let lastOk = null;
    const governance = ctx.user.role === 'governance';

    const tabs = segmented(TABS, tab, (v) => go({ tab: v, offset: 0 }), '范围');
    const categories = select(
      [{ value: '', label: '全部类别' }].concat(Object.keys(DESK_CATEGORIES).map((k) => ({ value: k, label: DESK_CATEGORIES[k].name }))),
      '',
      (v) => go({ category: v, offset: 0 }),
      { 'aria-label': '类别' },
    );
    const pages = pager({ limit: LIMIT, onPage: (o) => go({ offset: o }) });

    function filters(patch) {
      const f = Object.assign({ tab, category, offset }, patch || {});
      return { tab: f.tab === 'open' ? undefined : f.tab, category: f.category || undefined, offset: f.offset || undefined };
    }

    function go(patch) {
      navigate('/desk' + (selected ? '/' + selected : ''), filters(patch));
    }

    const liveDot = h('span', { class: 'live-dot' });
    const liveText = h('span', { class: 'live-text' }, '连接中……');
    const counter = h('span', { class: 'muted' });
    const mapPanel = deskMapPanel(() => ({ state: TABS.find((t) => t.value === tab).query.state, category: category || undefined }));
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      tabs,
      categories,
      h('span', { class: 'grow' }),
      OPT_OUT_ROLES.indexOf(ctx.user.role) >= 0
        ? h('button', { type: 'button', class: 'btn btn-ghost btn-small desk-opt-out', title: '群众来电或当面要求不再接收反诈宣传短信', onclick: () => optOutDialog(ctx) }, '短信退订登记')
        : null,
      exportTools('desk-requests', () => Object.assign({ category: category || undefined }, TABS.find((t) => t.value === tab).query), ctx),
      counter,
      h('span', { class: 'live', title: '每5秒自动刷新' }, liveDot, liveText),
      mapPanel.button,
    );
    const intro = h(
      'p',
      { class: 'desk-intro muted' },
      governance ? (ctx.user.unit_name || '本部门') + '：公安分流来的非警务事项，处理后答复群众并办结。' : '群众通过E警通提交的咨询、举报和求助。答复期限内未答复的标红并逐级提醒。',
    );
    const list = h('div', { class: 'tasks desk-list', role: 'list' });
    const empty = h('div', { class: 'empty', hidden: true });
    const listPane = h('div', { class: 'list-pane' }, toolbar, intro, mapPanel.el, h('div', { class: 'task-scroll' }, list, empty, pages.el));
    const detailPane = h('div', { class: 'detail-pane', hidden: true });
    const screen = h('div', { class: 'screen screen-split screen-desk' }, listPane, detailPane);
    const details = splitDetail({
      screen,
      pane: detailPane,
      basePath: '/desk',
      open: (id) => deskView({ requestId: id, user: ctx.user, onClose: () => navigate('/desk', filters()), onChanged: () => poller.refresh() }),
      close: () => navigate('/desk', filters()),
      onSelect: (id) => {
        Array.from(list.children).forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === id));
      },
    });
    replace(root, screen);

    const sync = keyedList(list, (r) => r.id, (r) => JSON.stringify(r), card);

    async function load() {
      const gen = generation;
      const current = TABS.find((t) => t.value === tab);
      const page = await api.get('/desk/staff/requests', Object.assign({ limit: LIMIT, offset, category: category || undefined }, current.query));
      if (gen !== generation) return;
      items = page.items || [];
      total = page.total || 0;
      lastOk = serverNow();
      if (!items.length && offset > 0 && total > 0) {
        go({ offset: Math.floor((total - 1) / LIMIT) * LIMIT }); // past the last page (it shrank)
        return;
      }
      render();
      liveDot.classList.remove('is-down');
      replace(liveText, '实时 · ' + fmtShort(lastOk));
    }

    function reload() {
      generation += 1;
      items = [];
      replace(list);
      empty.hidden = false;
      replace(empty, '正在加载……');
      poller.refresh();
      mapPanel.refresh();
    }

    function render() {
      const els = sync(items);
      els.forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === details.selectedId));
      empty.hidden = items.length > 0;
      replace(empty, tab === 'overdue' ? '没有答复超时的诉求' : tab === 'open' ? '没有待办的群众诉求' : '没有诉求');
      const late = items.filter((r) => r.overdue).length;
      replace(counter, '共 ' + total + ' 条', late && tab !== 'overdue' ? h('span', { class: 'bad' }, ' · 本页超时 ' + late) : null);
      counter.dataset.total = String(total);
      pages.set(total, offset, items.length);
      pages.el.hidden = total <= LIMIT;
      ctx.setBadge(items.filter((r) => r.status === 'issued').length);
    }

    function card(r) {
      const closed = Boolean(r.closed_at);
      return h(
        'div',
        {
          class: ['task-card', 'desk-card', 'dcat-' + r.category, r.overdue && 'is-late', closed && 'is-closed'],
          role: 'listitem',
          tabindex: 0,
          dataset: { id: r.id },
          onclick: () => navigate('/desk/' + r.id, filters()),
          onkeydown: (e) => {
            if (e.key === 'Enter') navigate('/desk/' + r.id, filters());
          },
        },
        h('div', { class: 'tc-clock' }, h('span', { class: 'tc-step' }, closed ? '已办结' : r.first_reply_at ? '首次答复' : '答复期限'), replyClock(r)),
        h(
          'div',
          { class: 'tc-main' },
          h('div', { class: 'tc-title' }, deskCategoryChip(r.category), h('span', { class: 'tc-name' }, '#' + r.id + ' ' + (r.excerpt || '（语音留言）'))),
          h(
            'div',
            { class: 'tc-meta' },
            deskStatusChip(r),
            r.duplicate_of_id ? h('span', { class: 'chip chip-escalated', title: '与 #' + r.duplicate_of_id + ' 相似' }, '疑似重复') : null,
            r.media_count ? h('span', { class: 'chip chip-muted' }, '附件 ' + r.media_count) : null,
            h('span', null, r.station || '辖区未知'),
            h('span', { class: 'muted' }, (DESK_ROUTES[r.route] || r.route) + ' · ' + (r.unit || '情指中心')),
            h('span', { class: 'muted mono' }, r.phone || ''),
            h('span', { class: 'muted', title: fmtDateTime(r.created_at) }, '提交 ' + fmtShort(r.created_at)),
            r.rating ? h('span', { class: r.rating >= 4 ? 'ok' : 'warn' }, '评价 ' + r.rating + '星') : null,
          ),
        ),
      );
    }

    const poller = poll(load, POLL_MS, (e) => {
      liveDot.classList.add('is-down');
      replace(liveText, e.message + (lastOk ? '（最后更新 ' + fmtShort(lastOk) + '）' : ''));
      if (!items.length) replace(empty, e.message);
    });

    return {
      update(params, query) {
        const f = filtersFrom(query, { tab: 'open', category: '', offset: '0' });
        const nextTab = TABS.some((t) => t.value === f.tab) ? f.tab : 'open';
        const nextCategory = DESK_CATEGORIES[f.category] ? f.category : '';
        const nextOffset = Math.max(0, parseInt(f.offset, 10) || 0);
        const changed = nextTab !== tab || nextCategory !== category || nextOffset !== offset;
        tab = nextTab;
        category = nextCategory;
        offset = nextOffset;
        tabs.setValue(tab);
        categories.value = category;
        selected = params.id ? Number(params.id) : null;
        if (changed) reload();
        details.show(selected);
      },
      destroy() {
        poller.stop();
        details.destroy();
        mapPanel.destroy();
        ctx.setBadge(0);
      },
    };
  },
};
