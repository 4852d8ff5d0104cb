// 地网: tagged e-bikes, bracelets and livestock seen by the village base stations: the map (base stations
// and their coverage of the villages, thefts and alerts where the tag was last heard, a tag's track with
// its impossible jumps marked), the alerts (stolen bikes seen, wearers out of their area, silences,
// removals), the thefts (a theft registered here), the base stations with their health, the figures for a
// period and an area, and the registry's CSV imports. The operating company (partner) sees the base stations,
// their coverage and the registry only.

import { api, serverNow } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { dateInputValue, dateTimeInputValue, fmtDateTime, fmtInt, fmtPercent, fmtYuan, parseDateTimeInput, shanghaiDate } from '../format.js';
import { isCentre } from '../labels.js';
import { dateInput, dateTimeInput } from '../ui/date-input.js';
import { field, modal } from '../ui/dialog.js';
import { countyMap } from '../ui/map.js';
import { mapBase } from '../ui/map-panels.js';
import { periodRange } from './figures.js';

const ALERT_KINDS = {
  theft_sighting: '被盗车辆出现',
  geofence_exit: '离开安全区域',
  silence: '长时间无信号',
  removal: '手环被拆除',
  low_battery: '电量低',
};
const THEFT_STATUS = { watched: '布控中', sighted: '已发现', recovered: '已找回', compensated: '已赔付', closed: '已关闭' };
const REASONS = {
  no_signal: '已无法追踪到信号',
  late_report: '报案距被盗超过两个月',
  not_found: '60日内仍未找到',
  card_destroyed: '平安卡损毁',
};
const TABS = [
  { value: 'map', label: '地图' },
  { value: 'alerts', label: '告警', staff: true },
  { value: 'thefts', label: '被盗布控', staff: true },
  { value: 'stations', label: '基站' },
  { value: 'figures', label: '统计', staff: true },
  { value: 'registry', label: '登记导入', registrar: true },
];
const REGISTRARS = ['admin', 'commander', 'partner'];
const FIGURE_PERIODS = [
  { value: 'month', label: '本月' },
  { value: 'last30', label: '近30天' },
  { value: 'year', label: '本年' },
  { value: 'custom', label: '自定义' },
];

function tabsFor(user) {
  const partner = user.role === 'partner';
  return TABS.filter((t) => (!t.staff || !partner) && (!t.registrar || REGISTRARS.indexOf(user.role) >= 0));
}

function table(headers, rows, emptyText, emptyHint) {
  if (!rows.length) return h('div', { class: 'empty' }, h('p', null, emptyText), emptyHint ? h('p', { class: 'muted' }, emptyHint) : null);
  return h(
    'div',
    { class: 'table-scroll' },
    h('table', { class: 'tbl tracking-table' }, h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows)),
  );
}

function cells(values) {
  return h('tr', null, values.map((v) => h('td', null, v === null || v === undefined ? '—' : v)));
}

/** A dialog for one action with one required text field; errors (a 4xx naming the field) stay in the dialog. */
function ask(title, lead, fields, send) {
  modal({
    title,
    lead,
    content: h('div', { class: 'form-grid' }, fields.map((f) => field(f.label, f.input, f.hint || null, f.required))),
    actions: [{ label: '确认', kind: 'primary', submit: true, onClick: send }],
  });
}

function handleAlert(ctx, a, reload) {
  const outcome = h('textarea', { name: 'outcome', rows: 3, maxlength: 500, required: true, placeholder: '如：已联系监护人，找到本人并送回' });
  ask('处置告警：' + (ALERT_KINDS[a.kind] || a.kind) + ' ' + a.tag, '处置后告警结束；同一标签再次出现同类情况会生成新的告警。', [{ label: '处置结果', input: outcome, required: true }], async () => {
    if (!outcome.value.trim()) throw Object.assign(new Error('请填写处置结果'), { field: 'outcome' });
    await api.post('/tasks/' + a.task_id + '/actions', { action: 'handle', outcome: outcome.value.trim() });
    ctx.toast('已处置', 'ok');
    reload();
  });
}

async function alertsPane(root, ctx, reload) {
  const items = await api.get('/tracking/alerts', { limit: 200 });
  const staff = ctx.user.role !== 'partner';
  replace(
    root,
    table(
      ['事件时间', '类型', '标签', '基站', '方向', '最近一次', '状态', '任务', ''],
      items.map((a) =>
        cells([
          fmtDateTime(a.at),
          ALERT_KINDS[a.kind] || a.kind,
          a.tag,
          a.station_name,
          a.heading,
          a.last_at ? fmtDateTime(a.last_at) : null,
          a.open ? '进行中' : '已结束',
          a.task_id ? h('a', { href: '#/tasks/' + a.task_id }, '#' + a.task_id) : null,
          a.open && a.task_id && a.kind !== 'theft_sighting' && staff
            ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => handleAlert(ctx, a, reload) }, '处置')
            : null,
        ]),
      ),
      '暂无告警',
      '被盗车辆被基站侦测到、手环佩戴人离开安全区域、手环长时间无信号、防拆手环被拆除或电量低时，告警会列在这里，并生成任务派给相关派出所。',
    ),
  );
}

function theftForm(ctx, reload) {
  const tag = h('input', { type: 'text', name: 'tag', class: 'input', required: true, maxlength: 64, placeholder: '平安卡编号', 'aria-label': '平安卡编号' });
  const stolen = dateTimeInput({ name: 'stolen_at', required: true, value: dateTimeInputValue(serverNow()), 'aria-label': '被盗时间' });
  const place = h('input', { type: 'text', name: 'place', class: 'input', maxlength: 200, placeholder: '被盗地点（选填）', 'aria-label': '被盗地点' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h(
    'form',
    {
      class: 'toolbar tracking-theft-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        const stolenAt = parseDateTimeInput(stolen.value);
        if (!tag.value.trim()) return fail('请填写平安卡编号', tag);
        if (!stolenAt) return fail('被盗时间请按 YYYY-MM-DD HH:mm 填写', stolen);
        try {
          const t = await api.post('/tracking/thefts', { tag: tag.value.trim(), stolen_at: stolenAt, place: place.value.trim() || null });
          ctx.toast('已登记被盗：' + t.tag + '，基站侦测到即告警', 'ok');
          reload();
        } catch (err) {
          fail(err.message || String(err), err.field === 'tag' ? tag : err.field === 'stolen_at' ? stolen : null);
        }
      },
    },
    h('strong', null, '登记被盗'),
    tag,
    h('label', { class: 'inline-label' }, '被盗时间 ', stolen),
    place,
    h('button', { type: 'submit', class: 'btn btn-danger btn-small' }, '登记并布控'),
    error,
  );
  function fail(message, input) {
    replace(error, message);
    error.hidden = false;
    if (input) input.focus();
  }
  return form;
}

function recoverTheft(ctx, t, reload) {
  const place = h('input', { type: 'text', name: 'place', maxlength: 200, required: true, placeholder: '如：丹城镇某小区地下车库' });
  const suspects = h('input', { type: 'number', name: 'suspects', min: 0, max: 1000, value: '0', inputmode: 'numeric' });
  const gang = h('input', { type: 'text', name: 'gang', maxlength: 64, placeholder: '如：象公刑案〔2026〕118号；未打掉团伙则留空' });
  ask('登记找回：' + t.tag, '找回后布控解除，被盗任务办结；计入找回数、抓获嫌疑人数和打掉团伙数（同一团伙只计一次）。', [
    { label: '找回地点', input: place, required: true },
    { label: '抓获嫌疑人（人）', input: suspects },
    { label: '打掉团伙（案件编号或名称）', input: gang },
  ], async () => {
    if (!place.value.trim()) throw Object.assign(new Error('请填写找回地点'), { field: 'place' });
    const n = suspects.value.trim() === '' ? 0 : Number(suspects.value);
    if (!Number.isInteger(n) || n < 0) throw Object.assign(new Error('嫌疑人数须为不小于 0 的整数'), { field: 'suspects' });
    const body = { place: place.value.trim(), suspects: n };
    if (gang.value.trim()) body.gang = gang.value.trim();
    await api.post('/tracking/thefts/' + t.id + '/recovery', body);
    ctx.toast('已登记找回：' + t.tag, 'ok');
    reload();
  });
}

function compensateTheft(ctx, t, reload) {
  const certificate = h('input', { type: 'text', name: 'certificate_no', maxlength: 64, required: true, placeholder: '派出所证明编号' });
  const invoices = h('input', { type: 'text', name: 'invoices', maxlength: 500, required: true, placeholder: '如：购车发票、购卡发票' });
  const destroyed = h('input', { type: 'checkbox', name: 'card_destroyed' });
  ask('登记赔付：' + t.tag, '按平安卡保险协议：无法追踪到信号、报案距被盗超过两个月、60日内仍未找到或平安卡损毁，凭派出所证明和车主发票由保险公司赔付。', [
    { label: '派出所证明', input: certificate, required: true },
    { label: '车主发票', input: invoices, required: true },
    { label: '平安卡损毁', input: h('label', { class: 'check' }, destroyed, ' 平安卡已损毁（立即可赔）') },
  ], async () => {
    if (!certificate.value.trim()) throw Object.assign(new Error('请填写派出所证明编号'), { field: 'certificate_no' });
    if (!invoices.value.trim()) throw Object.assign(new Error('请填写车主发票'), { field: 'invoices' });
    const body = { certificate_no: certificate.value.trim(), invoices: invoices.value.trim() };
    if (destroyed.checked) body.card_destroyed = true;
    const out = await api.post('/tracking/thefts/' + t.id + '/compensation', body);
    ctx.toast('已登记赔付 ' + fmtYuan(out.payout_yuan), 'ok');
    reload();
  });
}

async function theftsPane(root, ctx, reload) {
  const items = await api.get('/tracking/thefts');
  replace(
    root,
    theftForm(ctx, reload),
    table(
      ['标签', '被盗时间', '报案时间', '状态', '首次发现', '找回时间', '找回地点', '嫌疑人（团伙）', '赔付条件', '赔付', '任务', ''],
      items.map((t) =>
        cells([
          t.tag,
          fmtDateTime(t.stolen_at),
          fmtDateTime(t.reported_at),
          THEFT_STATUS[t.status] || t.status,
          t.first_sighted_at ? fmtDateTime(t.first_sighted_at) : null,
          t.recovered_at ? fmtDateTime(t.recovered_at) : null,
          t.recovered_place,
          t.suspects ? fmtInt(t.suspects) + (t.gang ? '（' + t.gang + '）' : '') : t.gang,
          t.compensation_reason ? REASONS[t.compensation_reason] || t.compensation_reason : null,
          t.payout_yuan ? fmtYuan(t.payout_yuan) : null,
          t.task_id ? h('a', { href: '#/tasks/' + t.task_id }, '#' + t.task_id) : null,
          t.status === 'watched' || t.status === 'sighted'
            ? h(
                'span',
                { class: 'tracking-row-actions' },
                h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => recoverTheft(ctx, t, reload) }, '登记找回'),
                h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => compensateTheft(ctx, t, reload) }, '赔付'),
              )
            : null,
        ]),
      ),
      '暂无被盗登记',
      '车主在居民端“我的车”、或民警在上方登记被盗后，该车进入布控：任一基站侦测到即向侦测地和车主所在派出所告警；找回或赔付在任务中办理。',
    ),
  );
}

const MAINTAINERS = ['admin', 'commander', 'partner'];

/** The operating company's open maintenance tasks (a base station silent past its threshold), each repaired here. */
async function maintenanceSection(ctx, reload) {
  if (MAINTAINERS.indexOf(ctx.user.role) < 0) return null;
  const page = await api.get('/tasks', { kind: 'station_maintenance', limit: 200 });
  const rows = page.items.map((t) =>
    cells([
      '#' + t.id,
      t.station || t.title,
      t.silent_since ? fmtDateTime(t.silent_since) : null,
      t.due_at ? h('span', { class: t.overdue ? 'badge badge-danger' : null }, fmtDateTime(t.due_at)) : null,
      t.status_name,
      (t.allowed_actions || []).indexOf('repair') >= 0
        ? h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => repair(t) }, '登记修复')
        : null,
    ]),
  );
  function repair(task) {
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000, required: true, placeholder: '如：更换电源适配器，基站已恢复上报' });
    modal({
      title: '登记修复：' + (task.station || task.title),
      content: h('div', { class: 'form-grid' }, field('维修情况', note, null, true)),
      actions: [
        {
          label: '确认修复',
          kind: 'primary',
          submit: true,
          onClick: async () => {
            if (!note.value.trim()) throw Object.assign(new Error('请填写维修情况'), { field: 'note' });
            await api.post('/tasks/' + task.id + '/actions', { action: 'repair', note: note.value.trim() });
            ctx.toast('已登记修复', 'ok');
            reload();
          },
        },
      ],
    });
  }
  return h(
    'section',
    { class: 'tracking-maintenance' },
    h('h3', null, '维护任务（' + fmtInt(page.total) + '）'),
    table(['任务', '基站', '失联起', '修复期限', '状态', ''], rows, '暂无待维修的基站', '基站超过自己的失联阈值未上报时，系统给运维公司生成维护任务；基站恢复上报后任务自动完成。'),
  );
}

/** 基站 N 个，覆盖村寨 covered / total，覆盖率 x %, and the villages no station covers yet (named, a few). */
function coverageSummary(coverage) {
  const missing = coverage.villages_uncovered || [];
  return h(
    'p',
    { class: 'tracking-coverage' },
    '基站 ' + fmtInt(coverage.stations) + ' 个，覆盖村寨 ' + fmtInt(coverage.villages_covered) + ' / ' + fmtInt(coverage.villages_total),
    coverage.coverage_rate !== null ? '，覆盖率 ' + fmtPercent(coverage.coverage_rate) : '',
    missing.length
      ? h('span', { class: 'tracking-uncovered', title: missing.join('、') }, '；未覆盖：' + missing.slice(0, 5).join('、') + (missing.length > 5 ? ' 等 ' + missing.length + ' 个' : ''))
      : null,
  );
}

async function stationsPane(root, ctx, reload) {
  const [stations, coverage, maintenance] = await Promise.all([api.get('/tracking/stations'), api.get('/tracking/coverage'), maintenanceSection(ctx, reload)]);
  const summary = coverageSummary(coverage);
  // Silent ones first (they are the work), then by code.
  const all = stations.features
    .map((f) => f.properties)
    .sort((a, b) => Number(Boolean(b.silent)) - Number(Boolean(a.silent)) || String(a.code).localeCompare(String(b.code)));
  const silentCount = all.filter((s) => s.silent).length;
  let show = 'all';
  let query = '';
  const body = h('div', { class: 'tracking-stations' });
  const search = h('input', {
    type: 'search',
    name: 'q',
    class: 'input',
    placeholder: '搜索编号、名称或村寨',
    'aria-label': '搜索基站',
    oninput: () => {
      query = search.value.trim();
      draw();
    },
  });
  const count = h('span', { class: 'muted tracking-stations-count' });
  function draw() {
    const q = query.toLowerCase();
    const shown = all.filter(
      (s) => (show === 'all' || s.silent) && (!q || [s.code, s.name, s.village].some((v) => String(v || '').toLowerCase().includes(q))),
    );
    count.textContent = '显示 ' + fmtInt(shown.length) + ' / ' + fmtInt(all.length) + ' 个';
    const rows = shown.map((s) =>
      cells([
        s.code,
        s.name,
        s.village,
        s.last_heard_at ? fmtDateTime(s.last_heard_at) : '从未',
        fmtInt(s.detections_last_hour),
        s.silent ? h('span', { class: 'badge badge-danger' }, '失联') : h('span', { class: 'badge' }, '正常'),
        s.silence_minutes + ' 分钟',
      ]),
    );
    replace(
      body,
      table(
        ['编号', '名称', '村寨', '最近上报', '近1小时侦测', '状态', '失联阈值'],
        rows,
        all.length ? '没有符合条件的基站' : '暂无基站',
        all.length ? '换个关键词，或选“全部”。' : '在“登记导入”中上传基站 CSV，或用命令 pingan stations import 导入。基站超过失联阈值未上报，会给运维公司生成维护任务。',
      ),
    );
  }
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    segmented(
      [
        { value: 'all', label: '全部 ' + fmtInt(all.length) },
        { value: 'silent', label: '失联 ' + fmtInt(silentCount) },
      ],
      show,
      (v) => {
        show = v;
        draw();
      },
      '基站状态',
    ),
    search,
    count,
  );
  draw();
  replace(root, summary, maintenance, toolbar, body);
}

function figuresPane(root, ctx) {
  let period = 'month';
  let areaId = '';
  let seq = 0;
  const today = shanghaiDate(serverNow());
  const startInput = dateInput({ name: 'start', 'aria-label': '开始日期', value: dateInputValue(today.y, today.m, 1) });
  const endInput = dateInput({ name: 'end', 'aria-label': '结束日期', value: dateInputValue(today.y, today.m, today.d) });
  const customBox = h(
    'span',
    { class: 'custom-range', hidden: true },
    startInput,
    h('span', null, '至'),
    endInput,
    h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => load() }, '查询'),
  );
  const areaSelect = select([{ value: '', label: '全县' }], '', (v) => {
    areaId = v;
    load();
  }, { 'aria-label': '范围', name: 'area' });
  const rangeText = h('p', { class: 'muted tracking-figures-range' });
  const cards = h('div', { class: 'cards tracking-figures' });
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    segmented(FIGURE_PERIODS, period, (v) => {
      period = v;
      customBox.hidden = v !== 'custom';
      if (v !== 'custom') load();
    }, '时间段'),
    customBox,
    isCentre(ctx.user) ? areaSelect : null,
  );
  if (isCentre(ctx.user)) {
    api
      .get('/areas', { kind: 'station' })
      .then((fc) => replace(areaSelect, h('option', { value: '' }, '全县'), (fc.features || []).map((f) => h('option', { value: String(f.properties.id) }, f.properties.name))))
      .catch(() => {});
  }
  const card = (label, value, sub) => h('div', { class: 'card' }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);

  async function load() {
    const mine = ++seq;
    const range = period === 'last30' ? { start: new Date(serverNow() - 30 * 86400000).toISOString() } : periodRange(period, serverNow(), { start: startInput.value, end: endInput.value });
    if (!range) {
      replace(rangeText, h('span', { class: 'error' }, '请按 YYYY-MM-DD 填写开始和结束日期'));
      return;
    }
    const query = Object.assign({}, range);
    if (areaId) query.area_id = areaId;
    try {
      const [f, coverage] = await Promise.all([api.get('/tracking/figures', query), api.get('/tracking/coverage')]);
      if (mine !== seq) return;
      const where = areaId ? areaSelect.options[areaSelect.selectedIndex].text : isCentre(ctx.user) ? '全县' : '本辖区';
      replace(rangeText, where + '，' + fmtDateTime(f.start).slice(0, 16) + ' 至 ' + fmtDateTime(f.end).slice(0, 16));
      const tags = f.tags_installed || {};
      replace(
        cards,
        card('安装平安卡', fmtInt(f.cards_installed), '手环 ' + fmtInt((tags.bracelet || 0) + (tags.anti_removal_bracelet || 0)) + ' · 牲畜卡 ' + fmtInt(tags.livestock || 0)),
        card('被盗报案', fmtInt(f.thefts)),
        card('找回', fmtInt(f.recovered)),
        card('找回率', f.recovery_rate === null ? '—' : fmtPercent(f.recovery_rate), f.thefts ? null : '期内无被盗报案'),
        card('赔付（起）', fmtInt(f.compensated)),
        card('赔付金额', fmtYuan(f.payouts_yuan)),
        card('抓获嫌疑人', fmtInt(f.suspects_caught)),
        card('打掉团伙', fmtInt(f.gangs_broken)),
        // Coverage is today's, whatever the period: the stations standing now.
        card('基站覆盖村寨', coverage.coverage_rate === null ? '—' : fmtPercent(coverage.coverage_rate), fmtInt(coverage.villages_covered) + ' / ' + fmtInt(coverage.villages_total) + ' 个村寨（当前）'),
      );
    } catch (e) {
      if (mine === seq) replace(rangeText, h('span', { class: 'error' }, '统计加载失败：' + (e.message || e)));
    }
  }
  replace(root, toolbar, rangeText, cards);
  return load().then(() => ({ destroy() { seq += 1; } }));
}

const IMPORTS = [
  {
    what: '基站',
    path: '/tracking/stations',
    columns: 'code,name,lon,lat,village,radius_m',
    optional: '可选列：crs（WGS84 或 GCJ-02）, silence_minutes（失联阈值，分钟）',
  },
  {
    what: '标签（平安卡、手环、牲畜卡）',
    path: '/tracking/tags',
    columns: 'tag,kind,owner_phone,owner_name,plate,frame_no,installed_at,service_point',
    optional: 'kind 为 vehicle_card、bracelet、anti_removal_bracelet 或 livestock；可选列：model, colour, installer, wearer_name, species, safe_stations, silence_hours',
  },
];

function registryPane(root, ctx) {
  const boxes = IMPORTS.map((imp) => {
    // The browser's own file button speaks the browser's language: a label of ours stands in for it.
    const chosen = h('span', { class: 'muted tracking-file-name' }, '未选择文件');
    const file = h('input', {
      type: 'file',
      accept: '.csv,text/csv',
      name: 'file',
      'aria-label': imp.what + ' CSV 文件',
      onchange: () => replace(chosen, file.files && file.files.length ? file.files[0].name : '未选择文件'),
    });
    const picker = h('label', { class: 'btn btn-secondary btn-small tracking-file' }, '选择 CSV 文件', file);
    const result = h('div', { class: 'import-result', role: 'status' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, '上传导入');
    const form = h(
      'form',
      {
        class: 'card tracking-upload',
        dataset: { path: imp.path },
        onsubmit: async (e) => {
          e.preventDefault();
          if (!file.files || !file.files.length) {
            replace(result, h('p', { class: 'error' }, '请选择 CSV 文件'));
            return;
          }
          const data = new FormData();
          data.append('file', file.files[0]);
          button.disabled = true;
          replace(result, h('p', { class: 'muted' }, '正在导入……'));
          try {
            const out = await api.upload(imp.path, data);
            replace(
              result,
              h('p', null, '新增 ' + fmtInt(out.created) + ' 条，更新 ' + fmtInt(out.updated) + ' 条，未变 ' + fmtInt(out.unchanged) + ' 条，有误 ' + fmtInt(out.rejected.length) + ' 条'),
              out.rejected.length
                ? h('ul', { class: 'import-rejected' }, out.rejected.slice(0, 100).map((r) => h('li', null, '第 ' + r.index + ' 行' + (r.field ? '（' + r.field + '）' : '') + '：' + r.message)))
                : null,
            );
            ctx.toast(imp.what + '导入完成', out.rejected.length ? 'warn' : 'ok');
          } catch (err) {
            replace(result, h('p', { class: 'error' }, err.message || String(err)));
          } finally {
            button.disabled = false;
          }
        },
      },
      h('h3', null, '导入' + imp.what),
      h('p', null, 'CSV（UTF-8）的表头：', h('code', null, imp.columns)),
      h('p', { class: 'muted' }, imp.optional),
      h('p', { class: 'muted' }, '按编号更新：重复导入不会重复登记；有误的行会列出行号和字段，其余照常导入。'),
      h('div', { class: 'actions' }, picker, chosen, button),
      result,
    );
    return form;
  });
  replace(root, h('div', { class: 'tracking-uploads' }, boxes));
}

const ALERT_COLOURS = { theft_sighting: '#d0201c', geofence_exit: '#e5650b', removal: '#7b3fa0', silence: '#5b7086', low_battery: '#e3a800' };
const MAP_LEGEND = [
  { colour: '#2f7d32', label: '基站（圈为覆盖范围）' },
  { colour: '#8a8f98', label: '失联基站' },
  { colour: '#d0201c', label: '被盗车辆最近出现' },
  { colour: '#e5650b', label: '离开安全区域' },
  { colour: '#7b3fa0', label: '手环被拆除' },
  { colour: '#1d4f91', label: '派出所 · 轨迹（蓝线）' },
];

function legend(items) {
  return h(
    'div',
    { class: 'map-legend' },
    items.map((i) => h('span', { class: 'map-legend-item' }, h('span', { class: 'map-swatch', style: { backgroundColor: i.colour } }), i.label)),
    h('span', { class: 'map-legend-item' }, h('span', { class: 'map-swatch map-swatch-jump' }), '异常跳变（虚线）'),
  );
}

/** The map: coverage circles and base stations, open alerts and thefts as markers, a tag's track on demand. */
async function mapPane(root, ctx) {
  const [b, stations, coverage, alerts] = await Promise.all([
    mapBase(),
    api.get('/tracking/stations'),
    api.get('/tracking/coverage'),
    ctx.user.role === 'partner' ? Promise.resolve([]) : api.get('/tracking/alerts', { limit: 500 }),
  ]);
  const mapEl = h('div', { class: 'map-canvas tracking-map', role: 'region', 'aria-label': '地网地图' });
  const tagInput = h('input', { type: 'search', name: 'tag', class: 'input', placeholder: '标签编号', 'aria-label': '标签编号', maxlength: 64 });
  const note = h('p', { class: 'muted tracking-track-note' }, '输入标签编号，或点选地图上的告警，查看近7天轨迹');
  const summary = coverageSummary(coverage);
  let handle = null;
  let seq = 0;

  async function show(tag) {
    if (!tag || !handle) return;
    tagInput.value = tag;
    const mine = ++seq;
    replace(note, '正在加载 ' + tag + ' 的轨迹……');
    try {
      const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
      const track = await api.get('/tracking/tags/' + encodeURIComponent(tag) + '/track', { from: since });
      if (mine !== seq || !handle) return;
      handle.clearOverlays();
      handle.addShapes(coverage.geojson, null, coverageLabel);
      const drawn = handle.drawTrack(track, { when: fmtDateTime });
      const truncated = Boolean(track.features.length && track.features[0].properties.truncated);
      replace(
        note,
        drawn.sightings
          ? tag + '：近7天 ' + (truncated ? '侦测较多，显示最近 ' : '') + fmtInt(drawn.sightings) + ' 次侦测' + (drawn.jumps ? '，其中 ' + fmtInt(drawn.jumps) + ' 处异常跳变（红色虚线）' : '，无异常跳变')
          : tag + '：近7天没有基站侦测到该标签',
      );
      note.dataset.sightings = String(drawn.sightings);
      note.dataset.jumps = String(drawn.jumps);
    } catch (e) {
      if (mine === seq) replace(note, h('span', { class: 'error' }, '轨迹加载失败：' + (e.message || e)));
    }
  }

  const form = h(
    'form',
    { class: 'toolbar tracking-track-form', onsubmit: (e) => { e.preventDefault(); show(tagInput.value.trim()); } },
    tagInput,
    h('button', { type: 'submit', class: 'btn btn-secondary' }, '查看轨迹'),
  );
  replace(root, summary, ctx.user.role === 'partner' ? null : form, h('section', { class: 'map-panel tracking-map-panel' }, mapEl, h('div', { class: 'map-foot' }, note, legend(MAP_LEGEND))));
  return {
    after() {
      handle = countyMap(mapEl, { areas: b.areas, config: b.config, labels: false });
      handle.addShapes(coverage.geojson, null, coverageLabel);
      handle.addPoints(
        stations.features.map((f) => {
          const s = f.properties;
          return {
            lon: f.geometry.coordinates[0],
            lat: f.geometry.coordinates[1],
            radius: 4,
            colour: s.silent ? '#8a8f98' : '#2f7d32',
            cls: 'map-point map-bs' + (s.silent ? ' map-bs-silent' : ''),
            title: s.name + (s.silent ? '（失联）' : ''),
            lines: [s.name + '（' + s.code + '）', s.village, '最近心跳：' + (s.last_heard_at ? fmtDateTime(s.last_heard_at) : '从未'), '近1小时侦测 ' + fmtInt(s.detections_last_hour)],
          };
        }),
      );
      const open = alerts.filter((a) => a.lon !== null && a.lat !== null && a.open);
      handle.addPoints(
        open.map((a) => ({
          lon: a.lon,
          lat: a.lat,
          // A halo around the place: the track's last dot stays visible inside it.
          radius: 13,
          fillOpacity: 0.35,
          colour: ALERT_COLOURS[a.kind] || '#5b7086',
          cls: 'map-point ' + (a.kind === 'theft_sighting' ? 'map-theft' : 'map-alert'),
          title: (ALERT_KINDS[a.kind] || a.kind) + '：' + a.tag,
          lines: [
            (ALERT_KINDS[a.kind] || a.kind) + '：' + a.tag,
            '最近：' + fmtDateTime(a.last_at || a.at) + ' ' + (a.station_name || ''),
            a.heading ? '方向：向' + a.heading : null,
          ],
          onClick: () => show(a.tag),
        })),
      );
      const first = open.find((a) => a.kind === 'theft_sighting') || open[0];
      if (first) show(first.tag);
    },
    destroy() {
      seq += 1;
      if (handle) handle.destroy();
      handle = null;
    },
  };
}

function coverageLabel(p) {
  return [p.name, p.village ? '覆盖村寨：' + p.village : null, '半径 ' + fmtInt(p.radius_m) + ' 米'];
}

const PANES = { map: mapPane, alerts: alertsPane, thefts: theftsPane, stations: stationsPane, figures: figuresPane, registry: registryPane };

export default {
  id: 'tracking',
  title: '地网',
  group: '地网',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer', 'partner'],
  // A bank's liaison is a partner too: the base stations are the operating company's (a telecom unit).
  shows: (u) => u.role !== 'partner' || u.unit_kind === 'telecom',
  mount(root, ctx) {
    let tab = 'map';
    let current = null;
    const pane = h('div', { class: 'tracking-pane' });
    const tabs = segmented(tabsFor(ctx.user), tab, (value) => {
      tab = value;
      load();
    }, '地网视图');
    replace(root, h('div', { class: 'screen tracking-screen' }, h('div', { class: 'toolbar' }, tabs), pane));
    let seq = 0;
    function drop() {
      if (current && current.destroy) current.destroy();
      current = null;
    }
    async function load() {
      const mine = ++seq;
      drop();
      replace(pane, h('p', { class: 'muted' }, '正在加载……'));
      try {
        const target = h('div');
        const made = await PANES[tab](target, ctx, load);
        if (mine !== seq) {
          if (made && made.destroy) made.destroy();
          return;
        }
        replace(pane, target);
        current = made || null;
        if (current && current.after) current.after();
      } catch (e) {
        if (mine === seq) replace(pane, h('div', { class: 'empty' }, '加载失败：' + (e.message || e)));
        ctx.toast(e.message || String(e), 'error');
      }
    }
    load();
    return {
      update() {},
      destroy() {
        seq += 1;
        drop();
      },
    };
  },
};
