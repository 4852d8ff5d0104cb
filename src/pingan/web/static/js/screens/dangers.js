// 隐患整治: hidden dangers (交通隐患点、生命通道、出租房屋) found, rectified by a lead department and its
// co-departments, and accepted on site by the police. The centre sees every finding, a station those of its
// area, a department (住建、消防、交通、街道) those it leads or works on. Each department's part is a task of
// its own: 签收 and 反馈 for a co-department, 签收 and 提请验收 for the lead, 验收 for the police; the buttons
// are the actions the server offers this user. Photos before and after; a map; the figures against the year's
// targets with 同比.

import { api, request } from '../api.js';
import { h, replace, select } from '../dom.js';
import { dateInputValue, fmtDate, fmtDateTime, fmtInt, fmtPercent, parseDateInput } from '../format.js';
import { navigate } from '../router.js';
import { getToken } from '../session.js';
import { field, modal } from '../ui/dialog.js';
import { facts, ledger, options, table, yoyChange } from '../ui/ledger.js';
import { dateInput } from '../ui/date-input.js';
import { countyMap } from '../ui/map.js';
import { mapBase } from '../ui/map-panels.js';

const KINDS = { traffic: '交通隐患点', fire_lane: '生命通道', rental_housing: '出租房屋', other: '其他隐患' };
const STATES = { rectifying: '整改中', submitted: '待验收', rectified: '已整改', closed: '已关闭' };
const STATE_COLOURS = { rectifying: '#e3a800', submitted: '#1d4f91', rectified: '#2f7d32', closed: '#5b7086' };
const STEPS = { sign: '签收', rectify: '整改', accept: '现场验收', report: '反馈' };
const STAGES = { before: '整改前', after: '整改后', acceptance: '现场验收' };
const CREATORS = ['admin', 'analyst', 'commander', 'station_head', 'officer'];
const POLICE = ['admin', 'analyst', 'commander', 'station_head', 'officer'];

function stepText(d) {
  if (d.state === 'rectified' || d.state === 'closed') return h('span', { class: 'muted' }, d.rectified_at ? '验收于 ' + fmtDate(d.rectified_at) : '—');
  return h(
    'span',
    null,
    (STEPS[d.step] || d.step || '') + ' · ' + (d.step_due_at ? fmtDateTime(d.step_due_at) : '—'),
    d.overdue ? h('span', { class: 'badge badge-overdue' }, ' 超时' + (d.escalation ? '（已升级' + d.escalation + '级）' : '')) : null,
  );
}

async function upload(path, formData) {
  await request('GET', '/me'); // renews a token about to expire first
  const res = await fetch('/api/v1' + path, { method: 'POST', headers: { Authorization: 'Bearer ' + getToken(), Accept: 'application/json' }, body: formData });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw Object.assign(new Error(err.message || '上传失败'), { field: err.field });
  }
  return data;
}

/** A photo loaded with the bearer token (an <img> cannot send it) and shown as a data: URL, which the pages'
 * image policy allows (blob: it does not). */
function photoTile(p) {
  const img = h('img', { alt: STAGES[p.stage] + '照片', class: 'danger-photo-img', loading: 'lazy' });
  fetch(p.url, { headers: { Authorization: 'Bearer ' + getToken() } })
    .then((res) => (res.ok ? res.blob() : null))
    .then((blob) => {
      if (!blob) return;
      const reader = new FileReader();
      reader.onload = () => {
        img.src = reader.result;
      };
      reader.readAsDataURL(blob);
    })
    .catch(() => null);
  return h('figure', { class: 'danger-photo', dataset: { stage: p.stage } }, img, h('figcaption', null, STAGES[p.stage] + ' · ' + (p.unit || '') + ' · ' + fmtDateTime(p.at)));
}

export default {
  id: 'dangers',
  title: '隐患整治',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer', 'governance'],
  mount(root, ctx) {
    const role = ctx.user.role;
    let mapHandle = null;
    let units = null;
    const create = CREATORS.indexOf(role) >= 0 ? h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-action': 'new-danger', onclick: () => newDanger() }, '登记隐患') : null;
    const L = ledger(root, ctx, {
      name: 'dangers',
      path: '/dangers',
      api: '/command/dangers',
      cls: 'dangers',
      search: { placeholder: '隐患名称或地点', label: '搜索隐患' },
      choices: [
        { name: 'kind', options: options(KINDS, '全部类型'), label: '隐患类型' },
        { name: 'state', options: options(STATES, '全部状态'), label: '整改状态' },
      ],
      tabs: [
        { value: 'list', label: '隐患清单' },
        { value: 'map', label: '地图' },
        { value: 'figures', label: '统计' },
      ],
      views: {
        figures: {
          load: () => Promise.all([api.get('/command/dangers/figures'), api.get('/command/dangers/figures', { start: yearStart() })]),
          show: ([month, year]) => figuresView(month, year),
        },
        map: {
          load: (filters) => Promise.all([mapBase(), api.get('/command/dangers/map', filters)]),
          show: ([b, fc]) => showMap(b, fc),
        },
      },
      columns: ['编号', '类型', '隐患', '辖区', '牵头部门', '协办反馈', '状态', '当前环节 · 期限'],
      row: (d) => [
        h('td', { class: 'mono' }, String(d.id)),
        h('td', null, h('span', { class: 'chip chip-type' }, d.kind_name)),
        h('td', null, h('div', null, d.title), h('div', { class: 'sub' }, d.place)),
        h('td', null, d.area || h('span', { class: 'muted' }, '未落地')),
        h('td', null, d.lead || '—'),
        h('td', { class: 'mono' }, d.parts ? d.parts_reported + ' / ' + d.parts : '—'),
        h('td', null, h('span', { class: 'chip state-' + d.state }, d.state_name)),
        h('td', null, stepText(d)),
      ],
      empty: '没有符合条件的隐患',
      markSelected: true,
      detailClass: 'danger-detail',
      detailLabel: '隐患详情',
      fetch: fetchDetail,
      render: ({ d, tasks }) => detailView(d, tasks),
      create,
      onLoad(tab) {
        if (mapHandle && tab !== 'map') {
          mapHandle.destroy();
          mapHandle = null;
        }
      },
      destroy() {
        if (mapHandle) mapHandle.destroy();
      },
    });
    const body = L.body;

    function yearStart() {
      const now = new Date();
      const y = new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(now);
      return y + '-01-01T00:00:00+08:00';
    }

    function showMap(b, fc) {
      const el = h('div', { class: 'map-canvas dangers-map', role: 'region', 'aria-label': '隐患分布地图' });
      const legend = h('div', { class: 'map-legend' }, Object.keys(STATES).map((s) => h('span', { class: 'map-legend-item' }, h('span', { class: 'map-swatch', style: { backgroundColor: STATE_COLOURS[s] } }), STATES[s])));
      replace(body, h('section', { class: 'map-panel' }, el, h('div', { class: 'map-foot' }, h('div', { class: 'map-caption muted' }, '共 ' + fc.features.length + ' 处隐患（有坐标的）'), legend)));
      mapHandle = countyMap(el, { areas: b.areas, config: b.config });
      mapHandle.addPoints(
        fc.features.map((f) => ({
          lon: f.geometry.coordinates[0],
          lat: f.geometry.coordinates[1],
          colour: f.properties.overdue ? '#d0201c' : STATE_COLOURS[f.properties.state],
          radius: 8,
          cls: 'map-point danger-point',
          title: f.properties.kind_name + '：' + f.properties.title,
          lines: [f.properties.title, f.properties.place, '牵头：' + (f.properties.lead || ''), f.properties.state_name + (f.properties.overdue ? '（超时）' : '')],
          onClick: () => navigate('/dangers/' + f.properties.id),
        })),
      );
      if (!mapHandle.stationCount && fc.features.length) {
        const pts = fc.features.map((f) => mapHandle.latLng(f.geometry.coordinates[0], f.geometry.coordinates[1]));
        mapHandle.map.fitBounds(mapHandle.L.latLngBounds(pts), { padding: [24, 24], maxZoom: 15 });
      }
      el.dataset.points = String(mapHandle.pointCount());
    }

    function figuresView(month, year) {
      const rows = (f) =>
        f.kinds.concat([Object.assign({ kind_name: '合计' }, f.total)]).map((k) =>
          h(
            'tr',
            { class: k.kind ? '' : 'total' },
            h('th', { scope: 'row' }, k.kind_name),
            h('td', { class: 'num' }, fmtInt(k.found)),
            h('td', { class: 'num' }, fmtInt(k.rectified)),
            h('td', { class: 'num' }, fmtInt(k.rectified_on_time)),
            h('td', { class: 'num' }, fmtInt(k.open)),
            h('td', { class: 'num' }, fmtInt(k.overdue)),
            h('td', { class: 'num' }, fmtInt(k.found_year_ago), ' ', yoyChange(k.found_change)),
            h('td', { class: 'num' }, fmtInt(k.rectified_year_ago), ' ', yoyChange(k.rectified_change)),
          ),
        );
      const head = ['类型', '发现', '整改完成', '按期完成', '在办', '超时', '去年同期发现 · 同比', '去年同期整改 · 同比'];
      const kindTable = (f) => table('danger-figures', head, rows(f));
      const targets = year.kinds.filter((k) => k.year_target);
      const targetRows = targets.concat(year.total.year_target ? [Object.assign({ kind_name: '合计' }, year.total)] : []).map((k) =>
        h(
          'tr',
          { dataset: { kind: k.kind || 'total' } },
          h('th', { scope: 'row' }, k.kind_name),
          h('td', { class: 'num' }, fmtInt(k.year_target)),
          h('td', { class: 'num' }, fmtInt(k.year_rectified)),
          h('td', null, h('div', { class: 'target-bar', title: fmtPercent(k.year_target_rate) }, h('span', { style: { width: Math.min(100, Math.round((k.year_target_rate || 0) * 100)) + '%' } })), ' ', fmtPercent(k.year_target_rate)),
        ),
      );
      const areaRows = month.areas.map((a) => h('tr', null, h('th', { scope: 'row' }, a.area), h('td', { class: 'num' }, fmtInt(a.found)), h('td', { class: 'num' }, fmtInt(a.rectified)), h('td', { class: 'num' }, fmtInt(a.overdue))));
      return h(
        'div',
        { class: 'danger-figures-view' },
        h('h3', null, year.year + ' 年度隐患治理目标'),
        targetRows.length
          ? table('danger-targets', ['类型', '年度目标', '已整改', '完成率'], targetRows)
          : h('div', { class: 'empty' }, '本年度尚未设定治理目标（县规则文件 [dangers.targets.' + year.year + ']）'),
        h('h3', null, '近 30 天'),
        kindTable(month),
        h('h3', null, '本年以来'),
        kindTable(year),
        h('h3', null, '按辖区（近 30 天）'),
        areaRows.length ? table(null, ['辖区', '发现', '整改完成', '超时'], areaRows) : h('div', { class: 'empty' }, '近 30 天没有新发现的隐患'),
      );
    }

    // -- the detail -------------------------------------------------------------------------------------

    async function fetchDetail(id) {
      const d = await api.get('/command/dangers/' + id);
      const tasks = {};
      const ids = [d.task_id].concat(d.departments.map((p) => p.task_id)).filter((t, i, all) => t && all.indexOf(t) === i);
      await Promise.all(ids.map((t) => api.get('/tasks/' + t).then((task) => (tasks[t] = task), () => null)));
      return { d, tasks };
    }

    function actionButtons(d, task, own) {
      if (!task) return [];
      const perform = (payload) => L.act(task.id, payload, d.id).catch((e) => ctx.toast(e.message, 'error'));
      return L.buttons(task, [
        own !== 'acceptance' && ['sign', '签收', 'btn-primary', () => perform({ action: 'sign' })],
        own === 'co' && ['report', '反馈整改情况', 'btn-primary', () => textAction(task.id, d.id, 'report', '反馈整改情况', 'summary', '本部门完成了哪些整改')],
        own === 'lead' && ['submit', '提请验收', 'btn-primary', () => textAction(task.id, d.id, 'submit', '提请验收', 'summary', '整改情况（已上传整改后照片，各协办部门均已反馈）')],
        own === 'lead' && ['revise', '修改方案', 'btn-secondary', () => reviseAction(task.id, d)],
        own === 'acceptance' && ['accept', '验收通过', 'btn-primary', () => textAction(task.id, d.id, 'accept', '现场验收通过', 'opinion', '现场验收意见')],
        own === 'acceptance' && ['reject', '验收不通过', 'btn-danger', () => rejectAction(task.id, d.id)],
      ]);
    }

    function textAction(taskId, dangerId, action, title, name, placeholder) {
      const text = h('textarea', { name, rows: 4, maxlength: 2000, placeholder, required: true });
      modal({
        title,
        content: field(placeholder, text, null, true),
        actions: [
          {
            label: '提交',
            kind: 'primary',
            onClick: async () => {
              if (!text.value.trim()) throw Object.assign(new Error('请填写' + placeholder), { field: name });
              await L.act(taskId, { action, [name]: text.value.trim() }, dangerId);
            },
          },
        ],
      });
    }

    // 修改方案: the plan, the deadline and the co-departments after the finding was issued; the reason goes to
    // the history. A co-department left out has its open part withdrawn (one that has reported stays).
    async function reviseAction(taskId, d) {
      if (!units) {
        try {
          units = await api.get('/units');
        } catch (e) {
          ctx.toast(e.message, 'error');
          return;
        }
      }
      const lead = d.departments.find((p) => p.role === 'lead');
      const cos = d.departments.filter((p) => p.role === 'co').map((p) => p.unit_id);
      const departments = units.filter((u) => u.kind === 'governance' && (!lead || u.id !== lead.unit_id));
      const plan = h('textarea', { name: 'plan', rows: 3, maxlength: 4000 }, d.plan || '');
      const dueWas = d.due_at ? fmtDate(d.due_at) : '';
      const due = dateInput({ name: 'due_date', value: dueWas });
      const boxes = departments.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'co', value: String(u.id), checked: cos.indexOf(u.id) >= 0 }), ' ' + u.name));
      const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 500, required: true, placeholder: '为何修改（记入任务记录）' });
      modal({
        title: '修改方案、期限和协办部门',
        lead: '去掉的协办部门，其未完成的协办任务将撤销；已反馈的不能去掉。',
        content: h('div', { class: 'form-grid' }, field('整改方案', plan), field('整改期限', due), field('协办部门', h('div', { class: 'co-departments' }, boxes)), field('修改理由', reason, null, true)),
        actions: [
          {
            label: '保存',
            kind: 'primary',
            onClick: async () => {
              if (!reason.value.trim()) throw Object.assign(new Error('请填写修改理由'), { field: 'reason' });
              const chosen = boxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => Number(i.value));
              const body = { action: 'revise', reason: reason.value.trim() };
              if (plan.value !== (d.plan || '')) body.plan = plan.value;
              if (due.value.trim()) {
                const day = parseDateInput(due.value);
                if (!day) throw Object.assign(new Error('整改期限请按“年-月-日”填写'), { field: 'due_date' });
                const value = dateInputValue(day.y, day.m, day.d);
                if (value !== dueWas) body.due_date = value;
              }
              if (chosen.length !== cos.length || chosen.some((c) => cos.indexOf(c) < 0)) body.co_departments = chosen.map((c) => ({ unit_id: c }));
              await api.post('/tasks/' + taskId + '/actions', body);
              ctx.toast('已修改', 'success');
              L.refresh(d.id);
            },
          },
        ],
      });
    }

    function rejectAction(taskId, dangerId) {
      const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, required: true, placeholder: '未达标之处' });
      const days = h('input', { type: 'number', name: 'days', min: 1, max: 365, value: 15 });
      modal({
        title: '验收不通过，退回整改',
        content: h('div', null, field('原因', reason, null, true), field('重新整改期限（天）', days)),
        actions: [
          {
            label: '退回',
            kind: 'danger',
            onClick: async () => {
              if (!reason.value.trim()) throw Object.assign(new Error('请填写原因'), { field: 'reason' });
              await api.post('/tasks/' + taskId + '/actions', { action: 'reject', reason: reason.value.trim(), days: Number(days.value) || 15 });
              L.refresh(dangerId);
            },
          },
        ],
      });
    }

    function photoUploader(d) {
      const stages = [];
      const mine = d.departments.some((p) => p.unit_id === ctx.user.unit_id);
      stages.push({ value: 'before', label: '整改前' });
      if (mine || ['admin', 'analyst', 'commander'].indexOf(role) >= 0) stages.push({ value: 'after', label: '整改后' });
      if (POLICE.indexOf(role) >= 0) stages.push({ value: 'acceptance', label: '现场验收' });
      if (d.state === 'rectified' || d.state === 'closed') stages.splice(0, stages.length, ...stages.filter((s) => s.value === 'acceptance'));
      if (!stages.length) return null;
      const stage = select(stages, stages[stages.length > 1 && mine ? 1 : 0].value, () => {}, { name: 'stage', 'aria-label': '照片类别' });
      const input = h('input', {
        type: 'file',
        name: 'files',
        accept: 'image/jpeg,image/png,image/webp',
        multiple: true,
        'aria-label': '选择照片',
        onchange: async () => {
          if (!input.files.length) return;
          const data = new FormData();
          data.append('stage', stage.value);
          Array.prototype.forEach.call(input.files, (f) => data.append('files', f));
          try {
            await upload('/command/dangers/' + d.id + '/photos', data);
            ctx.toast('照片已上传', 'success');
            L.show(d.id);
          } catch (e) {
            ctx.toast(e.message, 'error');
          }
          input.value = '';
        },
      });
      return h('div', { class: 'toolbar danger-upload' }, stage, h('label', { class: 'btn btn-secondary btn-small file-button' }, '上传照片', input));
    }

    function detailView(d, tasks) {
      const lead = d.departments.find((p) => p.role === 'lead');
      const mainTask = tasks[d.task_id];
      const progressRows = d.departments.map((p) => {
        const task = tasks[p.task_id];
        const own = p.role === 'lead' ? 'lead' : 'co';
        return h(
          'tr',
          { dataset: { unit: p.unit_id, role: p.role } },
          h('td', null, h('span', { class: 'chip' }, p.role_name), ' ', p.unit),
          h('td', { class: 'wrap' }, p.duty || '—'),
          h('td', null, p.reported_at ? h('span', { class: 'ok' }, (p.role === 'lead' ? '已提请验收 ' : '已反馈 ') + fmtDateTime(p.reported_at)) : h('span', null, (STEPS[p.due_step] || '') + (p.due_at ? ' · ' + fmtDateTime(p.due_at) : ''), p.overdue ? h('span', { class: 'badge badge-overdue' }, ' 超时') : null)),
          h('td', { class: 'wrap' }, p.report || '—'),
          h('td', null, actionButtons(d, task, own)),
        );
      });
      const police = mainTask ? actionButtons(d, mainTask, 'acceptance') : [];
      const byStage = (s) => d.photos.filter((p) => p.stage === s);
      return h(
        'div',
        null,
        L.head(
          '隐患 ' + d.id + ' · ' + d.title,
          [h('span', { class: 'chip chip-type' }, d.kind_name), h('span', { class: 'chip state-' + d.state }, d.state_name)],
          d.overdue && '超时' + (d.escalation ? '，已升级' + d.escalation + '级' : ''),
          null,
          d.task_id && mainTask ? d.task_id : null,
        ),
        facts([
          ['地点', d.place + (d.area ? '（' + d.area + '）' : '')],
          ['发现', fmtDateTime(d.found_at) + (d.created_by ? ' · ' + d.created_by : '')],
          ['整改期限', fmtDate(d.due_at)],
          ['牵头部门', lead ? lead.unit : '—'],
          d.budget_yuan ? ['治理资金', fmtInt(d.budget_yuan) + ' 元'] : null,
          ['隐患情况', d.description || '—', true],
          ['整改方案', d.plan || '—', true],
        ]),
        police.length ? h('div', { class: 'toolbar danger-acceptance' }, h('strong', null, '现场验收：'), police) : null,
        h('h3', null, '各部门进度'),
        table('danger-progress', ['部门', '职责', '进度', '反馈', ''], progressRows),
        h('h3', null, '照片'),
        photoUploader(d),
        h(
          'div',
          { class: 'danger-photos' },
          ['before', 'after', 'acceptance'].map((s) => h('div', { class: 'danger-photo-group' }, h('h4', null, STAGES[s] + '（' + byStage(s).length + '）'), byStage(s).length ? byStage(s).map((p) => photoTile(p)) : h('div', { class: 'muted' }, '暂无'))),
        ),
      );
    }

    // -- a new finding ----------------------------------------------------------------------------------

    async function newDanger() {
      if (!units) {
        try {
          units = await api.get('/units');
        } catch (e) {
          ctx.toast(e.message, 'error');
          return;
        }
      }
      const departments = units.filter((u) => u.kind === 'governance');
      const kindSel = select(options(KINDS), 'fire_lane', () => {}, { name: 'kind' });
      const title = h('input', { type: 'text', name: 'title', maxlength: 200, required: true, placeholder: '如：商贸小区消防通道被摩托车占用' });
      const place = h('input', { type: 'text', name: 'place', maxlength: 200, required: true });
      const lon = h('input', { type: 'text', name: 'lon', inputmode: 'decimal', placeholder: '经度（WGS84）' });
      const lat = h('input', { type: 'text', name: 'lat', inputmode: 'decimal', placeholder: '纬度（WGS84）' });
      const description = h('textarea', { name: 'description', rows: 2, maxlength: 4000 });
      const plan = h('textarea', { name: 'plan', rows: 2, maxlength: 4000, placeholder: '一个问题一个整改方案' });
      const due = dateInput({ name: 'due_date' });
      const leadSel = select(departments.map((u) => ({ value: String(u.id), label: u.name })), departments.length ? String(departments[0].id) : '', () => {}, { name: 'lead_unit_id' });
      const coBoxes = departments.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'co', value: String(u.id) }), ' ' + u.name));
      modal({
        title: '登记隐患',
        lead: '牵头部门负责整改并提请验收，协办部门各自反馈；公安机关现场验收。',
        content: h(
          'div',
          { class: 'form-grid' },
          field('类型', kindSel, null, true), field('名称', title, null, true), field('地点', place, null, true), field('整改期限', due, '不填按类型默认天数'),
          field('经度', lon), field('纬度', lat), field('牵头部门', leadSel, null, true),
          field('协办部门', h('div', { class: 'co-departments' }, coBoxes)), field('隐患情况', description), field('整改方案', plan),
        ), // prettier-ignore
        actions: [
          {
            label: '登记',
            kind: 'primary',
            onClick: async () => {
              const body = {
                kind: kindSel.value,
                title: title.value.trim(),
                place: place.value.trim(),
                description: description.value.trim(),
                plan: plan.value.trim(),
                lead_unit_id: Number(leadSel.value),
                co_departments: coBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked && i.value !== leadSel.value).map((i) => ({ unit_id: Number(i.value) })),
              };
              if (lon.value.trim() && lat.value.trim()) {
                body.lon = Number(lon.value);
                body.lat = Number(lat.value);
              }
              const dueDate = parseDateInput(due.value);
              if (due.value.trim() && !dueDate) throw Object.assign(new Error('整改期限请按 YYYY-MM-DD 填写'), { field: 'due_date' });
              if (dueDate) body.due_date = dateInputValue(dueDate.y, dueDate.m, dueDate.d);
              const created = await api.post('/command/dangers', body);
              ctx.toast('已登记隐患 ' + created.id, 'success');
              navigate('/dangers/' + created.id);
              L.load();
            },
          },
        ],
      });
    }

    return L.screen;
  },
};
