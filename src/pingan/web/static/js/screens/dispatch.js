// 派单: a station head assigns and reassigns the station's tasks to its officers, seeing each officer's open
// and overdue work; the centres do the same across units. Assigning is the task contract's `assign` action
// (POST /tasks/{id}/actions), decided by the server's one access decision.

import { api } from '../api.js';
import { h, replace, select } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { levelName } from '../labels.js';
import { errorText, exportTools, filtersFrom, pager, pushFilters, table } from '../ui/listing.js';

const PAGE = 50;
const SHOW = [
  { value: '', label: '全部在办' },
  { value: 'unassigned', label: '未指派' },
  { value: 'overdue', label: '已超时' },
];

export default {
  id: 'dispatch',
  title: '派单',
  group: '指挥',
  roles: ['station_head', 'commander', 'admin', 'analyst'],
  mount(root, ctx) {
    let f = {};
    let load = null;
    let seq = 0;

    const unitSlot = h('span');
    const showSlot = h('span');
    const totals = h('span', { class: 'muted', 'data-role': 'totals' });
    const loadBody = h('div', { class: 'dispatch-load' });
    const taskBody = h('div', { class: 'table-scroll' });
    const pages = pager({ limit: PAGE, onPage: (offset) => pushFilters('/dispatch', Object.assign({}, f, { offset })) });
    const tools = exportTools('tasks', () => taskQuery(), ctx);
    const loadTools = exportTools('dispatch-load', () => (f.unit_id ? { unit_id: f.unit_id } : {}), ctx);
    const screen = h(
      'div',
      { class: 'screen bo-screen dispatch-screen' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'bo-title' }, '派单'), unitSlot, showSlot, h('span', { class: 'grow' }), totals),
      h(
        'div',
        { class: 'dispatch-grid' },
        h('section', { class: 'bo-panel' }, h('div', { class: 'bo-panel-head' }, h('h3', null, '民警在办负荷'), h('span', { class: 'grow' }), loadTools), loadBody),
        h('section', { class: 'bo-panel' }, h('div', { class: 'bo-panel-head' }, h('h3', null, '在办任务'), h('span', { class: 'grow' }), tools), taskBody, pages.el),
      ),
    );
    replace(root, screen);

    function currentUnit() {
      if (!load || !load.units.length) return null;
      return load.units.find((u) => String(u.unit_id) === String(f.unit_id)) || load.units[0];
    }

    function taskQuery() {
      const unit = currentUnit();
      const q = { open: true, limit: PAGE, offset: Number(f.offset || 0) };
      if (unit) q.unit_id = unit.unit_id;
      if (f.show === 'unassigned') q.unassigned = true;
      if (f.show === 'overdue') q.overdue = true;
      return q;
    }

    async function refresh() {
      const mine = ++seq;
      try {
        const data = await api.get('/dispatch/load');
        if (mine !== seq) return;
        load = data;
      } catch (e) {
        replace(loadBody, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
        return;
      }
      paintControls();
      paintLoad();
      await loadTasks(mine);
    }

    function paintControls() {
      const unit = currentUnit();
      replace(
        unitSlot,
        load.units.length > 1
          ? select(
              load.units.map((u) => ({ value: u.unit_id, label: u.unit + '（在办 ' + u.open + '，超时 ' + u.overdue + '）' })),
              unit ? unit.unit_id : '',
              (v) => pushFilters('/dispatch', { unit_id: v, show: f.show }),
              { name: 'unit_id', 'aria-label': '单位' },
            )
          : h('b', null, unit ? unit.unit : ''),
      );
      replace(showSlot, select(SHOW, f.show || '', (v) => pushFilters('/dispatch', { unit_id: f.unit_id, show: v }), { name: 'show', 'aria-label': '范围' }));
      replace(totals, '全部在办 ' + load.total_open + ' · 超时 ' + load.total_overdue + ' · 未指派 ' + load.total_unassigned);
    }

    function paintLoad() {
      const unit = currentUnit();
      if (!unit) {
        replace(loadBody, h('p', { class: 'empty' }, '没有可派单的单位'));
        return;
      }
      const rows = [{ id: 'none', name: '（未指派）', open: unit.unassigned, overdue: unit.unassigned_overdue }].concat(
        unit.officers.map((o) => ({ id: o.user_id, name: o.name, username: o.username, open: o.open, overdue: o.overdue })),
      );
      replace(
        loadBody,
        table(
          [
            { label: '民警', cell: (r) => [h('div', null, r.name), r.username ? h('div', { class: 'sub mono' }, r.username) : null] },
            { label: '在办', cell: (r) => h('span', { class: 'num', 'data-role': 'open' }, String(r.open)) },
            { label: '超时', cell: (r) => h('span', { class: ['num', r.overdue ? 'is-bad' : null], 'data-role': 'overdue' }, String(r.overdue)) },
          ],
          rows,
          'tbl-compact load-table',
        ),
      );
    }

    async function loadTasks(mine) {
      const unit = currentUnit();
      if (!unit) {
        replace(taskBody);
        return;
      }
      const query = taskQuery();
      let data;
      try {
        data = await api.get('/tasks', query);
      } catch (e) {
        if (mine === seq) replace(taskBody, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
        return;
      }
      if (mine !== seq) return;
      pages.set(data.total, query.offset, data.items.length);
      if (!data.items.length) {
        replace(taskBody, h('p', { class: 'empty' }, '没有符合条件的在办任务'));
        return;
      }
      const people = unit.officers.map((o) => ({ value: o.user_id, label: o.name + '（在办 ' + o.open + '）' }));
      replace(
        taskBody,
        table(
          [
            { label: '编号', cell: (t) => h('a', { href: '#/tasks/' + t.id, class: 'mono' }, '#' + t.id) },
            { label: '等级', cell: (t) => (t.level ? levelName(t.level) : '—') },
            { label: '任务', cell: (t) => [h('div', null, t.title), h('div', { class: 'sub' }, t.kind_name + ' · ' + t.status_name)] },
            { label: '时限', cell: (t) => h('span', { class: t.overdue ? 'is-bad' : null }, t.due_at ? fmtDateTime(t.due_at) + (t.overdue ? '（已超时）' : '') : '—') },
            { label: '承办人', cell: (t) => h('span', { 'data-role': 'assignee' }, t.assignee || '未指派') },
            { label: '指派给', cell: (t) => assignCell(t, people), cls: 'no-print' },
          ],
          data.items,
          'tbl-compact dispatch-tasks',
        ),
      );
    }

    function assignCell(task, people) {
      if (task.allowed_actions.indexOf('assign') < 0) return h('span', { class: 'muted' }, '无权指派');
      const choice = select([{ value: '', label: '选择民警' }].concat(people), '', () => {}, { name: 'assignee_id', 'aria-label': '指派给' });
      const go = h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary btn-small',
          onclick: async () => {
            if (!choice.value) {
              ctx.toast('请选择民警', 'error');
              return;
            }
            go.disabled = true;
            try {
              await api.post('/tasks/' + task.id + '/actions', { action: 'assign', assignee_id: Number(choice.value) });
              ctx.toast('已指派', 'ok');
              await refresh();
            } catch (e) {
              ctx.toast(errorText(e), 'error');
              go.disabled = false;
            }
          },
        },
        task.assignee ? '改派' : '指派',
      );
      return h('span', { class: 'assign-cell' }, choice, go);
    }

    return {
      update(_params, query) {
        f = filtersFrom(query, {});
        refresh();
      },
      destroy() {
        seq += 1;
      },
    };
  },
};
