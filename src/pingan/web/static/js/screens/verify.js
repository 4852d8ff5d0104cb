// 核查清单: lists pushed down (研判→推送→排查→处置→反馈). The centre pushes a CSV list and follows its progress
// (done, overdue, by station, findings); a station works its rows here or in the worklist. Rows are masked.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtDateTime, fmtInt, fmtPercent } from '../format.js';
import { navigate } from '../router.js';
import { field, modal } from '../ui/dialog.js';

const CENTRE = ['admin', 'analyst', 'commander'];
const FINDINGS = [
  { value: 'cleared', label: '核查无异常' },
  { value: 'handled', label: '发现问题，已处置' },
  { value: 'not_found', label: '查无此人（此处）' },
];
const RESOLVED = { id_number: '身份证号', phone: '电话', point: '坐标', address: '地址', none: '未落地' };

export default {
  id: 'verify',
  title: '核查清单',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    const centre = CENTRE.indexOf(ctx.user.role) >= 0;
    let seq = 0;
    let current = null;
    const listBody = h('tbody');
    const empty = h('div', { class: 'empty', hidden: true }, '暂无核查清单');
    const detail = h('section', { class: 'panel panel-wide verify-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, '选择一个清单查看进度'));
    const screen = h(
      'div',
      { class: 'screen verify-screen' },
      h('div', { class: 'toolbar' }, centre ? pushButton() : null, h('span', { class: 'grow' }), h('span', { class: 'muted' }, '每行一条核查任务，派出所签收、核查并反馈结果')),
      h(
        'div',
        { class: 'panels' },
        h(
          'section',
          { class: 'panel' },
          h('h3', null, '清单'),
          h('table', { class: 'tbl verify-lists' }, h('thead', null, h('tr', null, ['清单', '来源', '时限', '进度', '超时'].map((t) => h('th', { scope: 'col' }, t)))), listBody),
          empty,
        ),
        detail,
      ),
    );
    replace(root, screen);

    function pushButton() {
      return h('button', { type: 'button', class: 'btn btn-primary', onclick: pushDialog }, '推送清单');
    }

    function pushDialog() {
      const title = h('input', { type: 'text', name: 'title', maxlength: 200, required: true, placeholder: '如：涉疫人员核查（11月23日）' });
      const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 2000, placeholder: '研判情况（随任务下发）' });
      const hours = h('input', { type: 'number', name: 'due_hours', min: 1, max: 720, value: 24 });
      const file = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv', required: true });
      modal({
        title: '推送核查清单',
        lead: 'CSV 文件列：id, kind（person 人员 / place 场所）, name, id_number, phone, address, lon, lat, crs, note。按身份证号、电话、坐标、地址落地到派出所；同一文件重复推送不会重复下发。',
        content: h('div', null, field('清单名称', title, null, true), field('研判情况', reason), field('核查时限（小时）', hours), field('清单文件', file, null, true)),
        actions: [
          {
            label: '推送',
            kind: 'primary',
            onClick: async () => {
              if (!file.files.length || !title.value.trim()) throw new Error('请填写清单名称并选择文件');
              const data = new FormData();
              data.append('file', file.files[0]);
              data.append('title', title.value.trim());
              if (reason.value.trim()) data.append('reason', reason.value.trim());
              if (hours.value) data.append('due_hours', hours.value);
              const out = await api.upload('/verify/lists/upload', data);
              showResult(out);
              await loadLists();
              navigate('/verify/' + out.list_id);
            },
          },
        ],
      });
    }

    function showResult(out) {
      const bad = out.rejected.map((r) => '第 ' + r.line + ' 行' + (r.error.field ? '（' + r.error.field + '）' : '') + '：' + r.error.message);
      modal({
        title: '推送结果',
        lead: '下发 ' + out.accepted + ' 条，重复 ' + out.duplicates + ' 条，拒收 ' + out.rejected.length + ' 条' + (out.unplaced ? '，未落地 ' + out.unplaced + ' 条（待情指中心分派）' : ''),
        content: bad.length ? h('ul', { class: 'import-rejected' }, bad.map((b) => h('li', null, b))) : null,
        actions: [],
        cancelLabel: '关闭',
      });
    }

    async function loadLists() {
      const page = await api.get('/verify/lists', { limit: 100 });
      replace(listBody, ...page.items.map(listRow));
      empty.hidden = page.items.length > 0;
      return page.items;
    }

    function progress(done, rows) {
      const rate = rows ? done / rows : 0;
      return h('span', { class: 'verify-progress' }, h('span', { class: 'bar-track' }, h('span', { class: 'bar bar-ok', style: { width: rate * 100 + '%' } })), ' ' + done + '/' + rows);
    }

    function listRow(r) {
      return h(
        'tr',
        { 'data-id': r.id, class: current === r.id ? 'is-selected' : null, onclick: () => navigate('/verify/' + r.id), style: { cursor: 'pointer' } },
        h('td', null, h('a', { href: '#/verify/' + r.id }, r.title)),
        h('td', null, r.source),
        h('td', null, fmtDateTime(r.due_at), r.past_due ? h('span', { class: 'badge badge-overdue' }, ' 已到期') : null),
        h('td', null, progress(r.done, r.rows)),
        h('td', null, r.overdue ? h('span', { class: 'badge badge-overdue' }, String(r.overdue)) : '0'),
      );
    }

    async function show(id) {
      const mine = ++seq;
      current = id ? Number(id) : null;
      try {
        await loadLists();
        if (!current) return;
        const [p, rows] = await Promise.all([api.get('/verify/lists/' + current), api.get('/verify/lists/' + current + '/items', { limit: 500 })]);
        if (mine !== seq) return;
        renderDetail(p, rows.items);
      } catch (e) {
        if (mine === seq) ctx.toast((e && e.message) || '加载失败', 'error');
      }
    }

    function card(label, value, sub, cls) {
      return h('div', { class: ['card', cls] }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
    }

    function renderDetail(p, rows) {
      replace(
        detail,
        h('h3', null, p.title, h('span', { class: 'muted' }, '  ' + p.source + ' · 推送于 ' + fmtDateTime(p.pushed_at) + ' · 时限 ' + fmtDateTime(p.due_at))),
        p.reason ? h('p', { class: 'muted' }, '研判：' + p.reason) : null,
        h(
          'div',
          { class: 'cards' },
          card('核查对象', fmtInt(p.rows), p.rejected ? '拒收 ' + p.rejected + ' 行' : null),
          card('已反馈', fmtInt(p.done), p.rows ? '完成率 ' + fmtPercent(p.done / p.rows) : null, p.done === p.rows ? 'card-ok' : null),
          card('待核查', fmtInt(p.open), null),
          card('超时未反馈', fmtInt(p.overdue), p.done_late ? '超时反馈 ' + p.done_late : null, p.overdue ? 'card-bad' : null),
          ...p.findings.map((f) => card(f.name, fmtInt(f.count), null)),
        ),
        h('h4', null, '各派出所进度'),
        h(
          'table',
          { class: 'tbl verify-stations' },
          h('thead', null, h('tr', null, ['单位', '对象', '已反馈', '待核查', '超时'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, p.by_station.map((s) => h('tr', null, h('td', null, s.unit), h('td', null, String(s.rows)), h('td', null, progress(s.done, s.rows)), h('td', null, String(s.open)), h('td', null, s.overdue ? h('span', { class: 'badge badge-overdue' }, String(s.overdue)) : '0')))),
        ),
        h('h4', null, '核查对象'),
        h(
          'table',
          { class: 'tbl verify-items' },
          h('thead', null, h('tr', null, ['行', '对象', '身份证号/电话', '落地', '核查单位', '状态', '结果', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, rows.map(itemRow)),
        ),
      );
    }

    function itemRow(r) {
      const task = r.task;
      const allowed = (task && task.allowed_actions) || [];
      const buttons = [];
      if (allowed.indexOf('sign') >= 0) buttons.push(h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => act(task, { action: 'sign' }) }, '签收'));
      if (allowed.indexOf('feedback') >= 0 && task.status !== 'issued') buttons.push(h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => feedback(task) }, '反馈'));
      if (allowed.indexOf('route') >= 0 && !r.unit_id) buttons.push(h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => route(task) }, '分派'));
      return h(
        'tr',
        { 'data-line': r.line },
        h('td', null, String(r.line)),
        h('td', null, (r.kind === 'place' ? '场所 ' : '') + (r.name || r.address || ''), r.note ? h('div', { class: 'muted' }, r.note) : null),
        h('td', { class: 'mono' }, r.id_number || r.phone || ''),
        h('td', null, RESOLVED[r.resolved_by] || r.resolved_by),
        h('td', null, r.unit || '待分派'),
        h('td', null, task ? task.status_name : '-', task && task.overdue ? h('span', { class: 'badge badge-overdue' }, ' 超时') : null),
        h('td', null, r.finding_name || '', r.measures ? h('div', { class: 'muted' }, '处置：' + r.measures) : null),
        h('td', null, buttons),
      );
    }

    function act(task, body) {
      return api.post('/tasks/' + task.id + '/actions', body).then(
        () => {
          ctx.toast('已提交', 'ok');
          show(current);
        },
        (e) => ctx.toast(e.message || '操作失败', 'error'),
      );
    }

    function feedback(task) {
      const finding = h('select', { name: 'finding' }, FINDINGS.map((o) => h('option', { value: o.value }, o.label)));
      const measures = h('textarea', { name: 'measures', rows: 2, maxlength: 2000, placeholder: '处置措施（“已处置”时必填）' });
      const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000, placeholder: '核查情况' });
      modal({
        title: '核查反馈',
        content: h('div', null, field('核查结果', finding, null, true), field('处置措施', measures), field('情况说明', note)),
        actions: [
          {
            label: '提交',
            kind: 'primary',
            onClick: () =>
              api
                .post('/tasks/' + task.id + '/actions', { action: 'feedback', finding: finding.value, measures: measures.value.trim() || undefined, note: note.value.trim() || undefined })
                .then(() => show(current)),
          },
        ],
      });
    }

    async function route(task) {
      const units = await api.get('/units');
      const pick = h('select', { name: 'unit_id' }, units.filter((u) => u.kind === 'station').map((u) => h('option', { value: String(u.id) }, u.name)));
      modal({
        title: '分派派出所',
        content: field('派出所', pick, null, true),
        actions: [{ label: '分派', kind: 'primary', onClick: () => api.post('/tasks/' + task.id + '/actions', { action: 'route', unit_id: Number(pick.value) }).then(() => show(current)) }],
      });
    }

    return {
      update(params) {
        show(params.id);
      },
      destroy() {
        seq += 1;
      },
    };
  },
};
