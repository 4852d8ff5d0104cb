// 接警 (unified alarm intake): a 110 call or a walk-in typed into the form (with its place picked on the
// map), the live list of alarms, and an alarm's detail: the patrol units the "135" reach proposes (nearest
// on-duty first, those left out with the reason), 派警 to one of them, 到场, 处置反馈 — the same task loop
// as every other kind, through POST /tasks/{id}/actions.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { poll } from '../live.js';
import { field } from '../ui/dialog.js';
import { countyMap, pinPicker } from '../ui/map.js';

const SOURCES = { 110: '110报警', walk_in: '来所报警', patrol: '巡逻发现', transfer: '转警', online: '网上报警' };
const CATEGORIES = {
  criminal: '刑事警情',
  public_order: '治安警情',
  traffic: '交通警情',
  fire: '火灾',
  rescue: '抢险救援',
  dispute: '纠纷',
  help: '群众求助',
  other: '其他',
};
const OUTCOMES = {
  handled: '现场处置完毕',
  criminal_case: '刑事立案',
  admin_case: '行政立案',
  mediated: '调解',
  referred: '移交分流',
  help_given: '求助已解决',
  false_alarm: '无效警情',
};
const INTAKE_ROLES = ['admin', 'commander', 'station_head', 'officer'];

function options(map, current) {
  return Object.keys(map).map((k) => h('option', { value: k, selected: k === current }, map[k]));
}

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  return (seconds / 60).toFixed(1) + ' 分钟';
}

function levelBadge(a) {
  return h('span', { class: 'badge level-' + a.level }, a.level_name);
}

function statusOf(a) {
  if (a.task) return a.task.status_name;
  return a.finished_at ? '已处置' : '待派警';
}

export default {
  id: 'alarms',
  title: '接警',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    const canTake = INTAKE_ROLES.indexOf(ctx.user.role) >= 0;
    const list = h('div', { class: 'alarm-list', 'aria-live': 'polite' });
    const detail = h('div', { class: 'alarm-detail', hidden: true });
    const formBox = h('div', { class: 'alarm-form' });
    let selected = null;
    let handle = null;
    let pin = null;
    let point = null;

    replace(
      root,
      h(
        'div',
        { class: 'screen alarms-screen' },
        canTake ? h('section', { class: 'alarm-intake', 'aria-label': '接警登记' }, h('h2', null, '接警登记'), formBox) : null,
        h('section', { class: 'alarm-live', 'aria-label': '警情列表' }, h('h2', null, '实时警情'), list),
        h('section', { class: 'alarm-side', 'aria-label': '警情详情' }, detail),
      ),
    );

    // -- the intake form ------------------------------------------------------------------------------
    const source = h('select', { name: 'source' }, options(SOURCES, '110'));
    const sourceId = h('input', { name: 'source_id', required: true, value: '' });
    const category = h('select', { name: 'category' }, options(CATEGORIES, 'public_order'));
    const text = h('textarea', { name: 'text', required: true, rows: 3, placeholder: '报警内容' });
    const caller = h('input', { name: 'caller_name', placeholder: '报警人' });
    const phone = h('input', { name: 'caller_phone', placeholder: '联系电话' });
    const address = h('input', { name: 'address', placeholder: '案发地址' });
    const where = h('span', { class: 'muted alarm-where' }, '在地图上点击选择案发位置');
    const mapEl = h('div', { class: 'alarm-map' });
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, '接警');
    function freshId() {
      const d = new Date();
      sourceId.value = 'JJ' + d.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14) + String(Math.floor(Math.random() * 100)).padStart(2, '0');
    }
    freshId();
    const form = h(
      'form',
      { class: 'form-grid alarm-form-grid', onsubmit: onSubmit },
      field('来源', source, null, true),
      field('警情编号', sourceId, '同一编号重复提交不会重复登记', true),
      field('类别', category, null, true),
      field('报警内容', text, null, true),
      field('报警人', caller),
      field('联系电话', phone),
      field('地址', address),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, '位置'), mapEl, where),
      h('div', { class: 'alarm-form-foot' }, submit),
    );
    if (canTake) replace(formBox, form);

    async function setupMap() {
      if (!canTake) return;
      try {
        const [areas, config] = await Promise.all([api.get('/map/areas'), api.get('/map/config')]);
        handle = countyMap(mapEl, { areas, config, labels: false });
        const c = handle.map.getCenter();
        pin = pinPicker(handle, {
          at: c,
          onMove(p) {
            point = p;
            where.textContent = '已选位置：' + p.lon.toFixed(5) + ', ' + p.lat.toFixed(5) + (p.crs === 'gcj02' ? '（GCJ-02）' : '');
          },
        });
      } catch (e) {
        where.textContent = '地图加载失败：' + (e.message || e);
      }
    }

    async function onSubmit(e) {
      e.preventDefault();
      const body = { source: source.value, source_id: sourceId.value.trim(), category: category.value, text: text.value.trim() };
      if (caller.value.trim()) body.caller_name = caller.value.trim();
      if (phone.value.trim()) body.caller_phone = phone.value.trim();
      if (address.value.trim()) body.address = address.value.trim();
      if (point) Object.assign(body, { lon: point.lon, lat: point.lat, crs: point.crs });
      submit.disabled = true;
      try {
        const alarm = await api.post('/command/alarms', body);
        ctx.toast(alarm.duplicate ? '该警情已登记（编号重复）' : '已接警：' + alarm.level_name, alarm.duplicate ? 'warn' : 'ok');
        text.value = '';
        caller.value = '';
        phone.value = '';
        address.value = '';
        freshId();
        await refresh();
        open(alarm.id);
      } catch (err) {
        ctx.toast(err.message || String(err), 'error');
      } finally {
        submit.disabled = false;
      }
    }

    // -- the live list -------------------------------------------------------------------------------
    async function refresh() {
      const page = await api.get('/command/alarms', { limit: 50 });
      const rows = page.items.map((a) =>
        h(
          'tr',
          { class: ['alarm-row', a.id === selected ? 'is-selected' : null], dataset: { id: a.id }, onclick: () => open(a.id), tabIndex: 0 },
          h('td', null, fmtDateTime(a.received_at)),
          h('td', null, levelBadge(a)),
          h('td', null, a.category_name),
          h('td', { class: 'alarm-text' }, a.text),
          h('td', null, a.zone_name || a.unit_name || '—'),
          h('td', null, a.patrol_unit_code || '—'),
          h('td', { class: 'alarm-status' }, statusOf(a)),
        ),
      );
      replace(
        list,
        rows.length
          ? h(
              'div',
              { class: 'table-scroll' },
              h(
                'table',
                { class: 'tbl alarm-table' },
                h('thead', null, h('tr', null, ['接警时间', '等级', '类别', '内容', '片区/单位', '处警巡组', '状态'].map((t) => h('th', { scope: 'col' }, t)))),
                h('tbody', null, rows),
              ),
            )
          : h('div', { class: 'empty' }, '暂无警情'),
      );
    }
    const poller = poll(refresh, 5000, (e) => ctx.toast(e.message || String(e), 'error'));

    // -- one alarm -----------------------------------------------------------------------------------
    async function act(taskId, body, done) {
      try {
        await api.post('/tasks/' + taskId + '/actions', body);
        ctx.toast(done, 'ok');
        await Promise.all([refresh(), open(selected)]);
      } catch (err) {
        ctx.toast(err.message || String(err), 'error');
      }
    }

    async function open(id) {
      selected = id;
      detail.hidden = false;
      list.querySelectorAll('.alarm-row').forEach((r) => r.classList.toggle('is-selected', Number(r.dataset.id) === id));
      let a;
      try {
        a = await api.get('/command/alarms/' + id);
      } catch (err) {
        replace(detail, h('div', { class: 'empty' }, '加载失败：' + (err.message || err)));
        return;
      }
      if (selected !== id) return;
      const allowed = a.allowed_actions || [];
      const facts = h(
        'dl',
        { class: 'alarm-facts' },
        [
          ['等级', levelBadge(a)],
          ['定级依据', (a.reasons || []).join('；')],
          ['来源', a.source_name + ' ' + a.source_id],
          ['接警时间', fmtDateTime(a.received_at)],
          ['类别', a.category_name],
          ['内容', a.text],
          ['报警人', [a.caller_name, a.caller_phone].filter(Boolean).join(' ') || '—'],
          ['地址', a.address || '—'],
          ['管辖单位', a.unit_name || '—'],
          ['片区', a.zone_name || '片区外'],
          ['状态', statusOf(a)],
          ['处警巡组', a.patrol_unit_code || '—'],
          ['派警用时', minutes(a.dispatch_s)],
          ['到场用时', minutes(a.arrive_s)],
          ['处置结果', a.outcome_name ? a.outcome_name + '：' + (a.result || '') : '—'],
        ].map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      );
      const parts = [h('h2', null, '警情 #' + a.id, a.task_id ? h('a', { class: 'alarm-task-link', href: '#/tasks/' + a.task_id }, '任务 #' + a.task_id) : null), facts];
      if (allowed.indexOf('dispatch') >= 0) parts.push(proposals(a));
      if (allowed.indexOf('arrive') >= 0) {
        parts.push(h('div', { class: 'alarm-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: () => act(a.task_id, { action: 'arrive' }, '已登记到场') }, '到场')));
      }
      if (allowed.indexOf('finish') >= 0) parts.push(finishForm(a));
      replace(detail, ...parts);
    }

    function proposals(a) {
      const box = h('div', { class: 'alarm-proposals' }, h('h3', null, '“135”就近派警'));
      if (!a.reach) {
        box.appendChild(h('p', { class: 'muted' }, '警情未定位，无法计算就近警力；请在任务中直接指派。'));
        return box;
      }
      const proposed = new Set(a.reach.proposed);
      const rows = a.reach.units
        .filter((u) => proposed.has(u.id))
        .map((u) =>
          h(
            'tr',
            { class: 'reach-row', dataset: { unit: u.code } },
            h('td', null, u.code),
            h('td', null, u.kind_name),
            h('td', null, u.circle ? u.circle + ' 分钟圈' : '5 分钟圈外'),
            h('td', null, minutes(u.travel_s)),
            h('td', null, Math.round(u.distance_m) + ' 米'),
            h('td', null, h('button', { class: 'btn btn-small btn-primary', type: 'button', onclick: () => act(a.task_id, { action: 'dispatch', patrol_unit_id: u.id }, '已派警：' + u.code) }, '派警')),
          ),
        );
      box.appendChild(
        rows.length
          ? h('table', { class: 'tbl reach-table' }, h('thead', null, h('tr', null, ['巡组', '类型', '圈层', '预计到场', '直线距离', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows))
          : h('p', { class: 'empty' }, '附近暂无在岗可派巡组'),
      );
      if (a.reach.excluded.length) {
        box.appendChild(
          h(
            'details',
            { class: 'reach-excluded' },
            h('summary', null, '未纳入 ' + a.reach.excluded.length + ' 个巡组'),
            h('ul', null, a.reach.excluded.map((x) => h('li', { dataset: { unit: x.code } }, x.code + '：' + x.reason_name + (x.detail && x.detail !== x.reason_name ? '（' + x.detail + '）' : '')))),
          ),
        );
      }
      return box;
    }

    function finishForm(a) {
      const outcome = h('select', { name: 'outcome' }, options(OUTCOMES, 'handled'));
      const result = h('textarea', { name: 'result', rows: 2, required: true, placeholder: '处警经过与结果' });
      return h(
        'form',
        {
          class: 'alarm-finish form-grid',
          onsubmit: (e) => {
            e.preventDefault();
            act(a.task_id, { action: 'finish', outcome: outcome.value, result: result.value.trim() }, '已反馈处置结果');
          },
        },
        h('h3', null, '处置反馈'),
        field('处置结果', outcome, null, true),
        field('处警经过', result, null, true),
        h('button', { class: 'btn btn-primary', type: 'submit' }, '提交反馈'),
      );
    }

    setupMap();
    return {
      update() {},
      destroy() {
        poller.stop();
        if (handle) handle.destroy();
        pin = null;
      },
    };
  },
};
