// 预警队列: the centre's live warning queue, newest first, polled every 3 s. The filters are in the URL
// (#/queue?level=high&status=closed&period=7d): shareable, the back button and a reload restore them. The
// counts above the table are the server's for the filters (GET /fraud/warnings/summary), not the rows loaded;
// older pages load by before_id.

import { api, serverNow } from '../api.js';
import { h, icon, keyedList, replace, segmented, select } from '../dom.js';
import { fmtDateTime, fmtShort, isoShanghai, shanghaiDate, shanghaiMidnight } from '../format.js';
import { FRAUD_TYPES, LEVEL_ORDER, levelName } from '../labels.js';
import { ago, poll } from '../live.js';
import { navigate } from '../router.js';
import { caseView } from '../ui/case-view.js';
import { deadline, escalationBadge, levelBadge, taskStatusChip } from '../ui/badges.js';
import { beep, soundEnabled, setSoundEnabled } from '../ui/sound.js';
import { splitDetail } from '../ui/split.js';
import { exportTools, filtersFrom } from '../ui/listing.js';
import { warningMapPanel } from '../ui/map-panels.js';

const POLL_MS = 3000;
const PAGE = 200;

export default {
  id: 'queue',
  title: '预警队列',
  group: '反诈',
  roles: ['admin', 'analyst', 'commander'],
  mount(root, ctx) {
    const DEFAULTS = { level: '', area_id: '', status: 'open', period: '' };
    const filters = Object.assign({}, DEFAULTS);
    let counts = null; // the server's counts for the filters
    let selected = null;
    let head = []; // the newest page, refreshed by every poll
    let older = []; // pages loaded with before_id, kept as loaded
    let known = null; // ids seen so far (null until the first load)
    const unseenCritical = new Set();
    const fresh = new Set(); // ids that arrived since the page was opened, highlighted briefly
    let generation = 0; // bumped when filters change, so a late answer for old filters is ignored
    let exhausted = false;
    let lastOk = null;

    // -- layout ------------------------------------------------------------------------------------
    const liveDot = h('span', { class: 'live-dot' });
    const liveText = h('span', { class: 'live-text' }, '连接中……');
    const soundBtn = h('button', { type: 'button', class: 'icon-btn', onclick: toggleSound });
    paintSound();

    const stationSelect = select([{ value: '', label: '全部派出所' }], '', (v) => setFilter('area_id', v), { 'aria-label': '派出所' });
    const mapPanel = warningMapPanel(() => filters);
    const levelSeg = segmented(
      [{ value: '', label: '全部' }].concat(LEVEL_ORDER.map((l) => ({ value: l, label: levelName(l), cls: 'seg-' + l }))),
      '',
      (v) => setFilter('level', v),
      '等级',
    );
    const STATUSES = [
      { value: 'open', label: '待处置' },
      { value: 'closed', label: '已办结' },
      { value: 'any', label: '全部状态' },
    ];
    const statusSelect = select(STATUSES, 'open', (v) => setFilter('status', v), { 'aria-label': '状态' });
    const PERIODS = [
      { value: '', label: '全部时间' },
      { value: '1h', label: '近1小时' },
      { value: 'today', label: '今日' },
      { value: '7d', label: '近7天' },
    ];
    const periodSelect = select(PERIODS, '', (v) => setFilter('period', v), { 'aria-label': '时间' });
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      levelSeg,
      stationSelect,
      statusSelect,
      periodSelect,
      h('span', { class: 'grow' }),
      exportTools('warnings', () => query({ limit: 1000 }), ctx),
      h('span', { class: 'live', title: '每3秒自动刷新' }, liveDot, liveText),
      mapPanel.button,
      soundBtn,
    );
    const alertBar = h('div', { class: 'alert-bar', role: 'alert', hidden: true });
    const summary = h('div', { class: 'summary' });
    const tbody = h('tbody');
    const emptyRow = h('div', { class: 'empty', hidden: true });
    const moreBtn = h('button', { type: 'button', class: 'btn btn-secondary', onclick: loadOlder }, '加载更早的预警');
    const table = h(
      'table',
      { class: 'tbl tbl-queue' },
      h(
        'thead',
        null,
        h('tr', null, h('th', { class: 'c-level' }, '等级'), h('th', { class: 'c-time' }, '预警时间'), h('th', { class: 'c-person' }, '对象'), h('th', { class: 'c-station' }, '派出所'), h('th', { class: 'c-reason' }, '预警理由'), h('th', { class: 'c-task' }, '任务'), h('th', { class: 'c-due' }, '期限')),
      ),
      tbody,
    );
    const listPane = h('div', { class: 'list-pane' }, toolbar, alertBar, mapPanel.el, summary, h('div', { class: 'table-wrap table-scroll' }, table, emptyRow, h('div', { class: 'more' }, moreBtn)));
    const detailPane = h('div', { class: 'detail-pane', hidden: true });
    const screen = h('div', { class: 'screen screen-split' }, listPane, detailPane);
    const details = splitDetail({
      screen,
      pane: detailPane,
      basePath: '/queue',
      open: (id) => caseView({ warningId: id, user: ctx.user, onClose: () => navigate('/queue', urlFilters()), onChanged: () => poller.refresh() }),
      close: () => navigate('/queue', urlFilters()),
      onSelect: (id) => {
        const rows = tbody.querySelectorAll('tr.is-selected');
        for (let i = 0; i < rows.length; i++) rows[i].classList.remove('is-selected');
        if (id === null) return;
        if (unseenCritical.delete(id)) renderRows();
        const tr = tbody.querySelector('tr[data-id="' + id + '"]');
        if (tr) tr.classList.add('is-selected');
      },
    });
    replace(root, screen);

    // -- data --------------------------------------------------------------------------------------
    api
      .get('/areas', { kind: 'station' })
      .then((fc) => {
        const opts = [{ value: '', label: '全部派出所' }].concat((fc.features || []).map((f) => ({ value: f.properties.id, label: f.properties.name })));
        replace(stationSelect, opts.map((o) => h('option', { value: String(o.value), selected: String(o.value) === filters.area_id }, o.label)));
      })
      .catch(() => {});

    function query(extra) {
      return Object.assign(
        {
          status: filters.status === 'any' ? undefined : filters.status,
          level: filters.level,
          area_id: filters.area_id,
          since: sinceOf(filters.period),
          limit: PAGE,
        },
        extra || {},
      );
    }

    async function load() {
      const gen = generation;
      const q = query();
      const [rows, summary] = await Promise.all([
        api.get('/fraud/warnings', q),
        api.get('/fraud/warnings/summary', Object.assign({}, q, { limit: undefined })),
      ]);
      if (gen !== generation) return;
      counts = summary;
      lastOk = serverNow();
      const first = known === null;
      if (first) known = new Set();
      let newCritical = 0;
      for (const w of rows) {
        if (!known.has(w.id)) {
          known.add(w.id);
          if (!first) {
            fresh.add(w.id);
            setTimeout(() => fresh.delete(w.id), 15000);
            if (w.level === 'critical' && w.status === 'open') {
              unseenCritical.add(w.id);
              newCritical += 1;
            }
          }
        }
      }
      head = rows;
      if (first && rows.length < PAGE) exhausted = true;
      const headIds = new Set(rows.map((w) => w.id));
      older = older.filter((w) => !headIds.has(w.id));
      if (newCritical && soundEnabled()) beep();
      renderRows();
      paintLive(true);
    }

    async function loadOlder() {
      const all = head.concat(older);
      if (!all.length) return;
      const minId = Math.min.apply(null, all.map((w) => w.id));
      moreBtn.disabled = true;
      try {
        const gen = generation;
        const rows = await api.get('/fraud/warnings', query({ before_id: minId }));
        if (gen !== generation) return;
        rows.forEach((w) => known && known.add(w.id));
        older = older.concat(rows);
        exhausted = rows.length < PAGE;
        renderRows();
      } catch (e) {
        ctx.toast(e.message, 'error');
      } finally {
        moreBtn.disabled = false;
      }
    }

    /** The filters as the URL holds them (defaults left out). */
    function urlFilters(patch) {
      const f = Object.assign({}, filters, patch || {});
      const out = {};
      Object.keys(DEFAULTS).forEach((k) => {
        if (f[k] !== DEFAULTS[k]) out[k] = f[k];
      });
      return out;
    }

    function setFilter(key, value) {
      navigate('/queue' + (selected ? '/' + selected : ''), urlFilters({ [key]: value }));
    }

    function applyFilters(next) {
      let changed = false;
      Object.keys(DEFAULTS).forEach((k) => {
        if (filters[k] !== next[k]) changed = true;
        filters[k] = next[k];
      });
      levelSeg.setValue(filters.level);
      statusSelect.value = filters.status;
      periodSelect.value = filters.period;
      if (stationSelect.querySelector('option[value="' + filters.area_id + '"]')) stationSelect.value = filters.area_id;
      if (!changed) return;
      generation += 1;
      counts = null;
      head = [];
      older = [];
      known = null;
      exhausted = false;
      fresh.clear();
      replace(tbody);
      emptyRow.hidden = false;
      replace(emptyRow, '正在加载……');
      poller.refresh();
      mapPanel.refresh();
    }

    // -- rendering ---------------------------------------------------------------------------------
    // Rows are keyed by id and rebuilt only when their data changed, so a poll every 3 s keeps the
    // reader's place, focus and hover.
    const syncRows = keyedList(
      tbody,
      (w) => w.id,
      (w) => JSON.stringify(w) + (fresh.has(w.id) ? 'F' : '') + (unseenCritical.has(w.id) ? 'U' : ''),
      row,
    );

    function renderRows() {
      const rows = head.concat(older);
      const els = syncRows(rows);
      els.forEach((el) => el.classList.toggle('is-selected', Number(el.dataset.id) === details.selectedId));
      emptyRow.hidden = rows.length > 0;
      replace(emptyRow, filters.status === 'open' && !filters.level && !filters.area_id ? '当前没有待处置的预警' : '没有符合条件的预警');
      moreBtn.hidden = exhausted || rows.length === 0;
      renderSummary(rows);
      renderAlert();
      ctx.setBadge(unseenCritical.size);
    }

    function row(w) {
      const t = w.task;
      const reasons = (w.reasons || []).map((r) => r.text).join('；');
      const p = w.person || {};
      const tr = h(
        'tr',
        {
          class: [
            'row',
            'row-' + w.level,
            fresh.has(w.id) && 'is-fresh',
            unseenCritical.has(w.id) && 'is-unseen',
            t && t.overdue && 'is-late',
          ],
          tabindex: 0,
          dataset: { id: w.id },
          onclick: () => open(w.id),
          onkeydown: (e) => {
            if (e.key === 'Enter') open(w.id);
          },
        },
        h('td', { class: 'c-level' }, levelBadge(w.level)),
        h('td', { class: 'c-time', title: fmtDateTime(w.created_at) }, h('div', null, fmtShort(w.created_at)), h('div', { class: 'sub' }, ago(w.created_at))),
        h(
          'td',
          { class: 'c-person' },
          h('div', null, p.name || '未登记'),
          h('div', { class: 'sub mono' }, p.phone || ''),
          h('div', { class: 'sub only-compact' }, w.unit || w.station || '未落地', ' · ', fmtShort(w.created_at)),
        ),
        // The 派出所 that has it (its unit), with the town it was placed in beneath.
        h(
          'td',
          { class: ['c-station', !w.station && 'muted'] },
          w.station ? [h('div', null, w.unit || w.station), w.unit ? h('div', { class: 'sub' }, w.station) : null] : '未落地',
        ),
        h('td', { class: 'c-reason' }, h('div', { class: 'clamp', title: reasons }, reasons || '—'), h('div', { class: 'sub' }, FRAUD_TYPES[w.fraud_type] || w.fraud_type || '', w.event_count > 1 ? ' · 线索 ' + w.event_count + ' 条' : '')),
        h('td', { class: 'c-task' }, taskStatusChip(t), escalationBadge(t)),
        h('td', { class: 'c-due' }, deadline(t)),
      );
      return tr;
    }

    function renderSummary(rows) {
      if (!counts) {
        replace(summary, h('span', { class: 'muted' }, '正在统计……'));
        return;
      }
      const late = counts.overdue;
      const unsigned = counts.unsigned;
      const by = counts.by_level || {};
      summary.dataset.total = String(counts.total);
      replace(
        summary,
        h('span', { class: 'sum-total' }, '共 ', h('b', null, String(counts.total)), ' 条', rows.length < counts.total ? h('span', { class: 'muted' }, '（已显示 ' + rows.length + ' 条）') : null),
        LEVEL_ORDER.map((l) => h('span', { class: ['sum', 'sum-' + l] }, h('i', { class: 'dot dot-' + l }), levelName(l), ' ', h('b', null, String(by[l] || 0)))),
        h('span', { class: ['sum', unsigned ? 'sum-warn' : null] }, '未签收 ', h('b', null, String(unsigned))),
        h('span', { class: ['sum', late ? 'sum-late' : null] }, '超时 ', h('b', null, String(late))),
      );
    }

    function renderAlert() {
      const n = unseenCritical.size;
      alertBar.hidden = n === 0;
      if (!n) return;
      replace(
        alertBar,
        h('b', null, n + ' 条新的特高危预警'),
        h('span', null, '派出所须立即签收并当面劝阻，中心同步电话劝阻'),
        h('span', { class: 'grow' }),
        h('button', { type: 'button', class: 'btn btn-small btn-light', onclick: () => open(Math.max.apply(null, Array.from(unseenCritical))) }, '查看最新'),
        h('button', { type: 'button', class: 'btn btn-small btn-ghost-light', onclick: ack }, '知道了'),
      );
    }

    function ack() {
      unseenCritical.clear();
      renderRows();
    }

    function paintLive(ok, message) {
      liveDot.classList.toggle('is-down', !ok);
      replace(liveText, ok ? '实时 · ' + fmtShort(lastOk) : (message || '连接中断') + (lastOk ? '（最后更新 ' + fmtShort(lastOk) + '）' : ''));
    }

    function paintSound() {
      const on = soundEnabled();
      replace(soundBtn, icon(on ? 'sound' : 'mute'));
      soundBtn.title = on ? '特高危提示音：开' : '特高危提示音：关';
      soundBtn.setAttribute('aria-label', soundBtn.title);
      soundBtn.classList.toggle('is-off', !on);
    }

    function toggleSound() {
      setSoundEnabled(!soundEnabled());
      paintSound();
      if (soundEnabled()) beep();
    }

    // -- detail ------------------------------------------------------------------------------------
    function open(id) {
      navigate('/queue/' + id, urlFilters());
    }

    const poller = poll(load, POLL_MS, (e) => paintLive(false, e.message));

    return {
      update(params, query) {
        const f = filtersFrom(query, DEFAULTS);
        applyFilters({
          level: LEVEL_ORDER.indexOf(f.level) >= 0 ? f.level : '',
          area_id: /^\d+$/.test(f.area_id) ? f.area_id : '',
          status: STATUSES.some((x) => x.value === f.status) ? f.status : 'open',
          period: PERIODS.some((x) => x.value === f.period) ? f.period : '',
        });
        selected = params.id ? Number(params.id) : null;
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

function sinceOf(period) {
  const now = serverNow();
  if (period === '1h') return isoShanghai(now - 3600 * 1000);
  if (period === '7d') return isoShanghai(now - 7 * 86400 * 1000);
  if (period === 'today') {
    const d = shanghaiDate(now);
    return shanghaiMidnight(d.y, d.m, d.d);
  }
  return undefined;
}
