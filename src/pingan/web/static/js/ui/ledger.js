// A ledger (台账) of the command centre: a paged list of records that a search, two choices and 仅看超时
// filter, beside the views of the same records (figures, a map, ...) behind tabs, and the record's detail
// pane below, opened by its route (/<screen>/<id>). The 隐患整治 and 矛盾纠纷 screens are two of these; each
// declares its columns, views and detail, and keeps its own dialogs.

import { api } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { navigate } from '../router.js';
import { exportTools, pager } from './listing.js';

const PAGE = 50;

/** Options of a <select> from {value: label}, after a first blank one when `blank` names it. */
export function options(map, blank) {
  const out = blank ? [{ value: '', label: blank }] : [];
  return out.concat(Object.keys(map).map((k) => ({ value: k, label: map[k] })));
}

/** A table with a head row of `headings` (none when null) and the rows given; `cls` after `tbl tbl-compact`. */
export function table(cls, headings, rows) {
  return h(
    'table',
    { class: 'tbl tbl-compact' + (cls ? ' ' + cls : '') },
    headings ? h('thead', null, h('tr', null, headings.map((t) => h('th', { scope: 'col' }, t)))) : null,
    h('tbody', null, rows),
  );
}

/** 同比 as "+12.5%" (null: "—"), in a span coloured up or down. */
export function yoyChange(v) {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, '—');
  const pct = Math.round(v * 1000) / 10;
  return h('span', { class: pct > 0 ? 'up' : pct < 0 ? 'down' : '' }, yoyText(v));
}

/** 同比 as text: "+12.5%", "-3%", "0%"; "—" when there was nothing a year earlier. */
export function yoyText(v) {
  if (v === null || v === undefined) return '—';
  const pct = Math.round(v * 1000) / 10;
  return (pct > 0 ? '+' : '') + pct + '%';
}

/** The facts of a record: [term, value, wrap] triples (a null one is left out); `wrap` lets a long text wrap. */
export function facts(rows) {
  return h(
    'dl',
    { class: 'case-facts' },
    rows.filter(Boolean).map(([term, value, wrap]) => [h('dt', null, term), h('dd', wrap ? { class: 'wrap' } : null, value)]),
  );
}

/**
 * ledger(root, ctx, opts) → {body, show(id), reload(), load(), refresh(id), act(taskId, body, id), buttons(task, specs), head(...), selected(), screen}
 *
 * opts: {
 *   name, path: '/dangers', api: '/command/dangers', cls: 'dangers',   the export's name, the route, the list's URL, the class prefix
 *   search: {placeholder, label}, choices: [{name, options, label}], tabs: [{value, label}],
 *   views: {tab: {load(): Promise, show(data): Node | undefined}},     the tabs besides 'list' (a view that
 *                                                                      fills the body itself returns nothing)
 *   columns: [heading], row(record): [td], empty: '没有…', markSelected,   the list
 *   detailClass, detailLabel, fetch(id): Promise, render(data): Node,  the detail
 *   create: Node | null, onLoad(tab), onSelect(id), destroy(),
 * }
 * The screen's mount returns `screen`: the route's id opens the detail, and leaving stops what is in flight.
 */
export function ledger(root, ctx, opts) {
  let tab = opts.tabs[0].value;
  let seq = 0;
  let offset = 0;
  let selected = null;
  const q = h('input', { type: 'search', name: 'q', placeholder: opts.search.placeholder, 'aria-label': opts.search.label, maxlength: 100 });
  const choices = opts.choices.map((c) => ({ name: c.name, el: select(c.options, '', () => reload(), { name: c.name, 'aria-label': c.label }) }));
  const overdue = h('input', { type: 'checkbox', name: 'overdue', onchange: () => reload() });
  const tabs = segmented(
    opts.tabs,
    tab,
    (v) => {
      tab = v;
      reload();
    },
    '视图',
  );
  const toolbar = h(
    'form',
    { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); reload(); } },
    tabs, q, choices.map((c) => c.el), h('label', { class: 'check' }, overdue, ' 仅看超时'), h('button', { type: 'submit', class: 'btn btn-secondary btn-small' }, '查询'), h('span', { class: 'grow' }), exportTools(opts.name, () => filters(), ctx), opts.create,
  ); // prettier-ignore
  const pages = pager({ limit: PAGE, onPage: (o) => { offset = o; load(); } }); // prettier-ignore
  const body = h('div', { class: opts.cls + '-body' });
  const detail = h('section', { class: opts.detailClass, 'aria-label': opts.detailLabel, hidden: true });
  replace(root, h('div', { class: 'screen ' + opts.cls + '-screen' }, toolbar, body, detail));

  function filters() {
    const out = { q: q.value.trim() };
    choices.forEach((c) => (out[c.name] = c.el.value));
    out.overdue = overdue.checked ? 'true' : undefined;
    return out;
  }

  function reload() {
    offset = 0;
    load();
  }

  async function load() {
    const mine = ++seq;
    if (opts.onLoad) opts.onLoad(tab);
    try {
      const view = opts.views[tab];
      if (view) {
        const data = await view.load(filters());
        if (mine !== seq) return;
        const node = view.show(data);
        if (node) replace(body, node);
      } else {
        const data = await api.get(opts.api, Object.assign(filters(), { limit: PAGE, offset }));
        if (mine !== seq) return;
        replace(body, listView(data.items), pages.el);
        pages.set(data.total, data.offset, data.items.length);
      }
    } catch (e) {
      if (mine === seq) replace(body, h('div', { class: 'empty' }, e.message));
    }
  }

  function listView(rows) {
    if (!rows.length) return h('div', { class: 'empty' }, opts.empty);
    const open = (d) => navigate(opts.path + '/' + d.id);
    return h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'tbl tbl-queue ' + opts.cls + '-table' },
        h('thead', null, h('tr', null, opts.columns.map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          null,
          rows.map((d) =>
            h(
              'tr',
              { tabindex: 0, class: opts.markSelected ? (d.id === selected ? 'is-selected' : '') : null, dataset: { id: d.id, state: d.state }, onclick: () => open(d), onkeydown: (e) => e.key === 'Enter' && open(d) },
              opts.row(d),
            ),
          ),
        ),
      ),
    );
  }

  async function show(id) {
    selected = id;
    if (!id) {
      detail.hidden = true;
      replace(detail);
      return;
    }
    let data;
    try {
      data = await opts.fetch(id);
    } catch (e) {
      ctx.toast(e.message, 'error');
      detail.hidden = true;
      return;
    }
    if (selected !== id) return;
    detail.hidden = false;
    replace(detail, opts.render(data));
  }

  /** After a change: the detail and the list again. */
  function refresh(id) {
    show(id);
    load();
  }

  /** A task action; the promise fails with the server's error (a dialog shows it by its field). */
  async function act(taskId, payload, id) {
    await api.post('/tasks/' + taskId + '/actions', payload);
    ctx.toast('已提交', 'success');
    refresh(id);
  }

  /** The buttons of `specs` ([action, label, kind, onClick]) that the task allows this user. */
  function buttons(task, specs) {
    const allowed = (task && task.allowed_actions) || [];
    return specs
      .filter((s) => s && allowed.indexOf(s[0]) >= 0)
      .map(([action, label, kind, onClick]) => h('button', { type: 'button', class: 'btn btn-small ' + kind, 'data-action': action, 'data-task': task.id, onclick: onClick }, label));
  }

  /** The detail's head: its title and chips, an overdue badge, extra buttons, the task's history, 关闭. */
  function head(title, chips, late, extras, taskId) {
    return h(
      'div',
      { class: 'case-head' },
      h('h2', null, title),
      chips,
      late ? h('span', { class: 'badge badge-overdue' }, late) : null,
      h('span', { class: 'grow' }),
      extras,
      taskId ? h('a', { class: 'btn btn-ghost btn-small', href: '#/tasks/' + taskId }, '任务记录') : null,
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => navigate(opts.path) }, '关闭'),
    );
  }

  load();
  return {
    body,
    show,
    reload,
    load,
    refresh,
    act,
    buttons,
    head,
    selected: () => selected,
    screen: {
      update(params) {
        const id = params && params.id ? Number(params.id) : null;
        if (id !== selected) {
          if (opts.onSelect) opts.onSelect(id);
          show(id);
        }
      },
      destroy() {
        seq++;
        selected = null;
        if (opts.destroy) opts.destroy();
      },
    },
  };
}
