// 报告: the command centre's 日研判、周通报、月点评、季总结. Any period made on demand as PDF or HTML (every station,
// with charts and rankings), and the archive the worker writes each morning for the periods just ended.
// Every file handed out is recorded on the server as an export. With several counties in one deployment the
// archive holds the viewer's counties' reports, each row naming its county (县（市、区）). A city's or a
// province's users pick what the page is of: the whole (全市/全省, made on demand; the archive lists every
// county's) or one county below them, kept in the URL (#/reports?county=330225); a county's users see no picker.

import { api } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { downloadFile, errorText, filtersFrom, pushFilters } from '../ui/listing.js';

const CADENCES = [
  { value: 'daily', label: '日研判', hint: '2026-11-30', what: '某一天' },
  { value: 'weekly', label: '周通报', hint: '2026-W47', what: '某一周（ISO 周）' },
  { value: 'monthly', label: '月点评', hint: '2026-11', what: '某一月' },
  { value: 'quarterly', label: '季总结', hint: '2026-Q3', what: '某一季度' },
];
const NAMES = Object.fromEntries(CADENCES.map((c) => [c.value, c.label]));
const FORMATS = { pdf: 'PDF', html: 'HTML' };
const WHOLE = { city: '全市', province: '全省' };
const FIELDS = { period: '时段', county: '县（市、区）' };

function size(bytes) {
  return bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toFixed(1) + ' MB' : Math.max(1, Math.round(bytes / 1024)) + ' KB';
}

export default {
  id: 'reports',
  title: '报告',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander'],
  mount(root, ctx) {
    let cadence = 'monthly';
    let seq = 0;
    let f = {};
    const tenancy = ctx.user && ctx.user.tenancy;
    const above = Boolean(tenancy && WHOLE[tenancy.kind]);
    const picker = above
      ? h('select', { name: 'county', 'aria-label': '县（市、区）', onchange: () => pushFilters('/reports', { county: picker.value }) }, h('option', { value: '' }, WHOLE[tenancy.kind] + '（' + tenancy.name + '，汇总）'))
      : null;
    const scopeNote = h('p', { class: 'muted figures-section-note', 'data-role': 'scope-note', hidden: true }, '自动生成的报告按县（市、区）分别存档，下表列出各县的；' + (above ? WHOLE[tenancy.kind] : '') + '汇总报告请在上方即时生成。');
    const period = h('input', { type: 'text', name: 'period', maxlength: 20, autocomplete: 'off', class: 'reports-period' });
    const hint = h('span', { class: 'muted', 'data-role': 'hint' });
    const status = h('span', { class: 'muted', 'aria-live': 'polite', 'data-role': 'status' });
    const body = h('tbody');
    const empty = h('div', { class: 'empty', hidden: true }, '暂无自动生成的报告：工作进程每天 7 时后生成上一日（周一另有上周、每月 1 日另有上月、每季首日另有上季）的报告');
    const busy = [];
    const head = h('tr');
    function headings(withCounty) {
      const titles = ['报告', ...(withCounty ? ['县（市、区）'] : []), '时段', '格式', '大小', '生成时间', ''];
      replace(head, ...titles.map((t) => h('th', { scope: 'col' }, t)));
    }
    headings(false);

    function describe() {
      const c = CADENCES.find((x) => x.value === cadence);
      period.placeholder = '如 ' + c.hint + '（留空：上一期）';
      replace(hint, '时段填' + c.what + '，形如 ' + c.hint);
    }

    function make(format) {
      const label = NAMES[cadence] + ' ' + FORMATS[format];
      busy.forEach((b) => { b.disabled = true; });
      replace(status, '正在生成' + label + '…');
      downloadFile('/command/reports/' + cadence, { period: period.value.trim() || undefined, format, county: f.county }, cadence + '.' + format)
        .then(() => replace(status, '已生成' + label))
        .catch((e) => {
          replace(status, '');
          ctx.toast(e.field ? e.message + '（' + (FIELDS[e.field] || e.field) + '）' : errorText(e), 'error');
        })
        .finally(() => busy.forEach((b) => { b.disabled = false; }));
    }

    const pdf = h('button', { type: 'button', class: 'btn btn-primary', 'data-make': 'pdf', onclick: () => make('pdf') }, '生成 PDF');
    const html = h('button', { type: 'button', class: 'btn btn-secondary', 'data-make': 'html', onclick: () => make('html') }, '生成 HTML');
    busy.push(pdf, html);
    const tabs = segmented(CADENCES, cadence, (v) => { cadence = v; describe(); }, '报告类型');

    const screen = h(
      'div',
      { class: 'screen bo-screen reports-screen' },
      h('div', { class: 'toolbar' }, h('h2', { class: 'bo-title' }, '报告'), picker ? h('label', { class: 'reports-county' }, '范围 ', picker) : null, tabs),
      h(
        'form',
        { class: 'toolbar reports-make', onsubmit: (e) => { e.preventDefault(); make('pdf'); } },
        h('label', null, '时段 ', period),
        pdf,
        html,
        hint,
        status,
      ),
      h('h3', { class: 'figures-section-title' }, '自动生成的报告'),
      scopeNote,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'tbl reports-archive' },
          h('thead', null, head),
          body,
        ),
      ),
      empty,
    );
    replace(root, screen);
    describe();

    function row(r, withCounty) {
      return h(
        'tr',
        { 'data-name': r.name, 'data-county': r.county || '' },
        h('td', null, r.cadence_name),
        withCounty ? h('td', null, r.county_name || r.county || '') : null,
        h('td', { class: 'mono' }, r.period),
        h('td', null, FORMATS[r.format] || r.format),
        h('td', null, size(r.size)),
        h('td', null, fmtDateTime(r.written_at)),
        h(
          'td',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost btn-small',
              onclick: () => downloadFile('/command/reports/archive/' + encodeURIComponent(r.name), { county: r.county || undefined }, (r.county ? r.county + '-' : '') + r.name).catch((e) => ctx.toast(errorText(e), 'error')),
            },
            '下载',
          ),
        ),
      );
    }

    async function load() {
      const mine = ++seq;
      try {
        const rows = await api.get('/command/reports', { county: f.county });
        if (mine !== seq) return;
        const withCounty = rows.some((r) => r.county);
        headings(withCounty);
        replace(body, ...rows.map((r) => row(r, withCounty)));
        empty.hidden = rows.length > 0;
      } catch (e) {
        ctx.toast(errorText(e), 'error');
      }
    }

    async function counties() {
      try {
        const got = await api.get('/areas', { kind: 'county' });
        const options = got.features.map((x) => h('option', { value: x.properties.code }, x.properties.name));
        replace(picker, picker.firstChild, ...options);
        picker.value = f.county || '';
      } catch (e) {
        ctx.toast(errorText(e), 'error');
      }
    }

    if (picker) counties();
    return {
      update(_params, query) {
        f = filtersFrom(query, {});
        if (picker) {
          picker.value = f.county || '';
          scopeNote.hidden = Boolean(f.county);
        }
        load();
      },
      destroy() { seq++; },
    };
  },
};
