// 任务清单: a station's tasks of one kind (the dissuasions first; every kind the server declares may be chosen,
// each shown with its own name, status and facts), most urgent deadline first, each with a live countdown. The
// kind, the tab, the level and the page are in the URL (#/tasks?kind=tracking_theft&tab=overdue&offset=100):
// shareable, the back button and a reload restore them; the total is the server's, the pages real.

import { api, serverNow } from '../api.js';
import { h, keyedList, replace, segmented, select } from '../dom.js';
import { fmtDateTime, fmtShort } from '../format.js';
import { LEVEL_ORDER, levelName } from '../labels.js';
import { countdown, poll } from '../live.js';
import { navigate } from '../router.js';
import { caseView } from '../ui/case-view.js';
import { exportTools, filtersFrom, pager } from '../ui/listing.js';
import { escalationBadge, levelBadge, outcomeChip, taskStatusChip } from '../ui/badges.js';
import { splitDetail } from '../ui/split.js';
import { factText } from '../ui/task-generic.js';

const POLL_MS = 5000;
const PAGE = 100;

const TABS = [
  { value: 'open', label: '待办', query: {} },
  { value: 'overdue', label: '已超时', query: { overdue: true } },
  { value: 'mine', label: '我的', query: { mine: true } },
  // 'false', not false: the query builder leaves out a false flag, and the API's default is open only.
  { value: 'all', label: '全部（含已办结）', query: { open: 'false' } },
];

export default {
  id: 'tasks',
  title: '任务清单',
  roles: ['station_head', 'officer', 'admin', 'analyst', 'commander'],
  mount(root, ctx) {
    let tab = 'open';
    let kind = 'dissuasion';
    let level = '';
    let offset = 0;
    let items = [];
    let total = 0;
    let generation = 0;
    let lastOk = null;

    // Filtered by the server, so the total is the true one, not a count of the rows loaded.
    const tabs = segmented(TABS, tab, (v) => go({ tab: v, offset: 0 }), '范围');
    const levels = segmented(
      [{ value: '', label: '全部等级' }].concat(LEVEL_ORDER.map((l) => ({ value: l, label: levelName(l), cls: 'seg-' + l }))),
      '',
      (v) => go({ level: v, offset: 0 }),
      '等级',
    );
    // Every kind the server declares, by its own name (GET /tasks/kinds).
    const kinds = select([{ value: 'dissuasion', label: '预警劝阻' }], kind, (v) => go({ kind: v, offset: 0 }), { name: 'kind', 'aria-label': '任务类型', class: 'input input-small' });
    api.get('/tasks/kinds').then(
      (list) => {
        replace(kinds, list.map((k) => h('option', { value: k.kind, selected: k.kind === kind }, k.name)));
        kinds.value = kind;
      },
      () => null,
    );
    const pages = pager({ limit: PAGE, onPage: (o) => go({ offset: o }) });
    let selected = null;

    function filters(patch) {
      const f = Object.assign({ tab, kind, level, offset }, patch || {});
      return { kind: f.kind === 'dissuasion' ? undefined : f.kind, tab: f.tab === 'open' ? undefined : f.tab, level: f.level || undefined, offset: f.offset || undefined };
    }

    /** A new history entry for new filters, keeping the open task (if any). */
    function go(patch) {
      navigate('/tasks' + (selected ? '/' + selected : ''), filters(patch));
    }

    const liveDot = h('span', { class: 'live-dot' });
    const liveText = h('span', { class: 'live-text' }, '连接中……');
    const counter = h('span', { class: 'muted' });
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      kinds,
      tabs,
      levels,
      h('span', { class: 'grow' }),
      exportTools('tasks', () => Object.assign({ kind, level: level || undefined }, TABS.find((t) => t.value === tab).query), ctx),
      counter,
      h('span', { class: 'live', title: '每5秒自动刷新' }, liveDot, liveText),
    );
    const list = h('div', { class: 'tasks', role: 'list' });
    const empty = h('div', { class: 'empty', hidden: true });
    const listPane = h('div', { class: 'list-pane' }, toolbar, h('div', { class: 'task-scroll' }, list, empty, pages.el));
    const detailPane = h('div', { class: 'detail-pane', hidden: true });
    const screen = h('div', { class: 'screen screen-split' }, listPane, detailPane);
    const details = splitDetail({
      screen,
      pane: detailPane,
      basePath: '/tasks',
      open: (id) => caseView({ taskId: id, user: ctx.user, onClose: () => navigate('/tasks', filters()), onChanged: () => poller.refresh() }),
      close: () => navigate('/tasks', filters()),
      onSelect: (id) => {
        Array.from(list.children).forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === id));
      },
    });
    replace(root, screen);

    const sync = keyedList(list, (t) => t.id, (t) => JSON.stringify(t), card);

    async function load() {
      const gen = generation;
      const current = TABS.find((t) => t.value === tab);
      const data = await api.get('/tasks', Object.assign({ kind, limit: PAGE, offset, level: level || null }, current.query));
      if (gen !== generation) return;
      items = data.items || [];
      total = data.total || 0;
      lastOk = serverNow();
      if (!items.length && offset > 0 && total > 0) {
        go({ offset: Math.max(0, Math.floor((total - 1) / PAGE) * PAGE) }); // past the last page (it shrank)
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
    }

    function render() {
      const shown = items;
      const els = sync(shown);
      els.forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === details.selectedId));
      empty.hidden = shown.length > 0;
      replace(empty, tab === 'overdue' ? '没有超时的任务' : tab === 'open' ? '没有待办任务' : '没有任务');
      const late = items.filter((t) => t.overdue).length;
      replace(counter, '共 ' + total + ' 条', late && tab !== 'overdue' ? h('span', { class: 'bad' }, ' · 本页超时 ' + late) : null);
      counter.dataset.total = String(total);
      pages.set(total, offset, items.length);
      pages.el.hidden = total <= PAGE;
      ctx.setBadge(items.filter((t) => t.status === 'issued').length);
    }

    function card(t) {
      const closed = Boolean(t.closed_at);
      return h(
        'div',
        {
          class: ['task-card', t.level && 'row-' + t.level, t.overdue && 'is-late', closed && 'is-closed'],
          role: 'listitem',
          tabindex: 0,
          dataset: { id: t.id },
          onclick: () => navigate('/tasks/' + t.id, filters()),
          onkeydown: (e) => {
            if (e.key === 'Enter') navigate('/tasks/' + t.id, filters());
          },
        },
        h(
          'div',
          { class: 'tc-clock' },
          closed
            ? [h('span', { class: 'tc-step' }, '已办结'), h('span', { class: 'tc-closed' }, fmtShort(t.closed_at))]
            : t.due_at
              ? [h('span', { class: 'tc-step' }, t.due_step_name || ''), countdown(t.due_at, t.overdue, 'tc-count')]
              : h('span', { class: 'muted' }, '—'),
        ),
        h(
          'div',
          { class: 'tc-main' },
          h('div', { class: 'tc-title' }, levelBadge(t.level), h('span', { class: 'tc-name' }, t.title)),
          h(
            'div',
            { class: 'tc-meta' },
            taskStatusChip(t),
            escalationBadge(t),
            outcomeChip(t.outcome),
            t.kind === 'dissuasion'
              ? [h('span', null, '电话 ' + t.calls + (t.unanswered ? '（未接 ' + t.unanswered + '）' : '')), h('span', null, '上门 ' + t.visits)]
              : [h('span', { class: 'chip chip-muted tc-kind' }, t.kind_name)].concat((t.facts || []).slice(0, 3).map((f) => h('span', { class: 'tc-fact' }, f.name + ' ' + factText(f.value)))),
            h('span', { class: 'muted' }, t.unit || '未指派单位'),
            h('span', { class: 'muted' }, t.assignee ? '承办 ' + t.assignee : '未签收'),
            h('span', { class: 'muted', title: fmtDateTime(t.created_at) }, '下发 ' + fmtShort(t.created_at)),
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
        const f = filtersFrom(query, { tab: 'open', kind: 'dissuasion', level: '', offset: '0' });
        const nextKind = /^[a-z_]{1,32}$/.test(f.kind) ? f.kind : 'dissuasion';
        const nextTab = TABS.some((t) => t.value === f.tab) ? f.tab : 'open';
        const nextLevel = LEVEL_ORDER.indexOf(f.level) >= 0 ? f.level : '';
        const nextOffset = Math.max(0, parseInt(f.offset, 10) || 0);
        const changed = nextTab !== tab || nextKind !== kind || nextLevel !== level || nextOffset !== offset;
        tab = nextTab;
        kind = nextKind;
        if (kinds.querySelector('option[value="' + kind + '"]')) kinds.value = kind;
        else kinds.appendChild(h('option', { value: kind, selected: true }, kind));
        level = nextLevel;
        offset = nextOffset;
        tabs.setValue(tab);
        levels.setValue(level);
        selected = params.id ? Number(params.id) : null;
        if (changed) reload();
        details.show(selected);
      },
      destroy() {
        poller.stop();
        details.destroy();
        ctx.setBadge(0);
      },
    };
  },
};
