// 社区戒毒/社区康复: people under a plan, their check-ins and tests, the missed ones, and the 在管率. Only for
// users holding the 禁毒 duty (the server refuses everyone else and records every plan shown).

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDate, fmtDateTime, fmtInt, fmtPercent } from '../format.js';
import { field, modal } from '../ui/dialog.js';

const VIEWS = [
  { value: 'active', label: '在管' },
  { value: 'lost', label: '失联' },
  { value: 'all', label: '全部' },
];

export default {
  id: 'rehab',
  title: '社区戒毒',
  group: '指挥',
  duty: 'narcotics',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let view = 'active';
    let seq = 0;
    let current = null;
    const cards = h('div', { class: 'cards' });
    const body = h('tbody');
    const empty = h('div', { class: 'empty', hidden: true }, '暂无人员');
    const detail = h('section', { class: 'panel panel-wide rehab-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, '选择一人查看报到和检测记录'));
    const query = h('input', { type: 'search', name: 'q', placeholder: '姓名或身份证号', onkeydown: (e) => e.key === 'Enter' && load() });
    const screen = h(
      'div',
      { class: 'screen rehab-screen' },
      h('div', { class: 'toolbar' }, segmented(VIEWS, view, (v) => { view = v; load(); }, '人员范围'), query, h('span', { class: 'grow' }), h('span', { class: 'muted' }, '社区戒毒、社区康复人员信息仅限禁毒岗位查看，每次查看均记录')),
      cards,
      h(
        'div',
        { class: 'rehab-stack' },
        h(
          'section',
          { class: 'panel panel-wide' },
          h('h3', null, '管控人员'),
          h('table', { class: 'tbl rehab-plans' }, h('thead', null, h('tr', null, ['姓名', '类型', '派出所', '社区民警', '下次', '未按期', ''].map((t) => h('th', { scope: 'col' }, t)))), body),
          empty,
        ),
        detail,
      ),
    );
    replace(root, screen);

    function card(label, value, sub, cls) {
      return h('div', { class: ['card', cls] }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
    }

    async function load() {
      const mine = ++seq;
      const params = { limit: 500, q: query.value.trim() || undefined };
      if (view === 'active') params.active = 'true';
      if (view === 'lost') params.lost = 'true';
      try {
        const [page, f] = await Promise.all([api.get('/rehab/plans', params), api.get('/rehab/figures')]);
        if (mine !== seq) return;
        replace(
          cards,
          card('在管率', f.rate === null ? '—' : fmtPercent(f.rate), '在管 ' + f.under_management + ' / 应管 ' + f.in_force, f.rate === 1 ? 'card-ok' : 'card-bad'),
          ...f.by_kind.map((k) => card(k.name, fmtInt(k.count), null)),
          card('失联', fmtInt(f.lost), null, f.lost ? 'card-bad' : null),
          card('近30天应报到/检测', fmtInt(f.checks_due), '已完成 ' + f.checks_done),
          card('未按期', fmtInt(f.checks_missed), null, f.checks_missed ? 'card-bad' : null),
          card('检测', fmtInt(f.tests_done), '阳性 ' + f.tests_positive, f.tests_positive ? 'card-bad' : null),
        );
        replace(body, ...page.items.map(row));
        empty.hidden = page.items.length > 0;
        if (current) showDetail(current);
      } catch (e) {
        if (mine === seq) ctx.toast((e && e.message) || '加载失败', 'error');
      }
    }

    function row(p) {
      return h(
        'tr',
        { 'data-id': p.id, class: p.lost ? 'is-bad' : null },
        h('td', null, h('a', { href: '#/rehab/' + p.id }, p.name), p.lost ? h('span', { class: 'badge badge-overdue' }, ' 失联') : null),
        h('td', null, p.kind_name),
        h('td', null, p.unit || '未落地'),
        h('td', null, p.officer || '—'),
        h('td', null, p.next_due ? fmtDate(p.next_due) : '—'),
        h('td', null, p.missed ? h('span', { class: 'badge badge-overdue' }, String(p.missed)) : '0'),
        h('td', null, p.ended_at ? '已解除' : h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => record(p) }, '登记')),
      );
    }

    async function showDetail(id) {
      try {
        const p = await api.get('/rehab/plans/' + id);
        replace(
          detail,
          h('h3', null, p.name + '（' + p.kind_name + '）'),
          h('p', { class: 'muted' }, p.id_number + ' · ' + (p.unit || '未落地') + ' · 社区民警 ' + (p.officer || '—') + ' · ' + p.starts_on + ' 至 ' + p.ends_on + ' · 每 ' + p.checkin_days + ' 天报到，每 ' + p.test_days + ' 天检测'),
          h(
            'table',
            { class: 'tbl rehab-checks' },
            h('thead', null, h('tr', null, ['日期', '项目', '完成', '结果', '备注'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              null,
              p.checks.map((c) =>
                h(
                  'tr',
                  { class: c.missed && !c.done_at ? 'is-bad' : null },
                  h('td', null, c.due_on),
                  h('td', null, c.kind_name),
                  h('td', null, c.done_at ? fmtDateTime(c.done_at) : c.missed ? h('span', { class: 'badge badge-overdue' }, '未按期') : '待完成'),
                  h('td', null, c.result === 'positive' ? '阳性' : c.result === 'negative' ? '阴性' : ''),
                  h('td', null, c.note || (c.task_id ? h('a', { href: '#/tasks/' + c.task_id }, '任务 #' + c.task_id) : '')),
                ),
              ),
            ),
          ),
        );
      } catch (e) {
        ctx.toast((e && e.message) || '加载失败', 'error');
      }
    }

    function record(p) {
      const kind = h('select', { name: 'kind' }, h('option', { value: 'checkin' }, '报到'), h('option', { value: 'test' }, '检测'));
      const result = h('select', { name: 'result' }, h('option', { value: '' }, '—'), h('option', { value: 'negative' }, '阴性'), h('option', { value: 'positive' }, '阳性'));
      const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
      modal({
        title: '登记报到/检测：' + p.name,
        content: h('div', null, field('项目', kind, null, true), field('检测结果', result, '检测时必填'), field('备注', note)),
        actions: [
          {
            label: '登记',
            kind: 'primary',
            onClick: () =>
              api.post('/rehab/plans/' + p.id + '/checks', { kind: kind.value, result: result.value || undefined, note: note.value.trim() || undefined }).then(() => {
                ctx.toast('已登记', 'ok');
                load();
              }),
          },
        ],
      });
    }

    return {
      update(params) {
        current = params.id ? Number(params.id) : null;
        load();
      },
      destroy() {
        seq += 1;
      },
    };
  },
};
