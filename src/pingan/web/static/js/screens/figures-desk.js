// The 数据 screen's second half: the desk's figures (E警通: residents, requests, pushes, 答复及时率,
// satisfaction, the score per station and per officer, hot topics) and both loops' figures over time.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtInt, fmtPercent, shanghaiDate, shanghaiMidnight } from '../format.js';
import { timeChart } from '../ui/chart.js';
import { exportTools } from '../ui/listing.js';

const DAY_MS = 24 * 3600 * 1000;
const MAX_DAILY_DAYS = 62;
const MIN_TREND_DAYS = 14; // a trend of today alone says nothing: the charts reach back at least this far

function card(label, value, sub, cls) {
  return h('div', { class: ['card', cls] }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
}

function shanghaiLabel(iso, step) {
  const d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
  const text = String(d.getUTCMonth() + 1).padStart(2, '0') + '-' + String(d.getUTCDate()).padStart(2, '0');
  return step === 'week' ? text + '起' : text;
}

function scoreTable(rows, nameKey, nameLabel) {
  if (!rows.length) return h('p', { class: 'empty' }, '该时间段没有群众诉求');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'tbl tbl-figures tbl-score' },
      h('thead', null, h('tr', null, ['排名', nameLabel, '诉求', '答复及时率', '满意度', '平均评分', '量化得分'].map((t, i) => h('th', { class: i > 1 ? 'num' : null }, t)))),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            h('td', null, String(r.rank)),
            h('td', null, r[nameKey]),
            h('td', { class: 'num' }, fmtInt(r.requests)),
            h('td', { class: 'num' }, fmtPercent(r.reply_timeliness)),
            h('td', { class: 'num' }, fmtPercent(r.satisfaction)),
            h('td', { class: 'num' }, r.mean_rating === null ? '—' : r.mean_rating.toFixed(2)),
            h('td', { class: 'num' }, r.score === null ? '—' : r.score.toFixed(1)),
          ),
        ),
      ),
    ),
  );
}

/**
 * deskFigures(ctx) → {el, load(range, now), destroy}: the desk's cards, rankings and hot topics, and the charts
 * of both loops over the same period (per day, or per week beyond two months). `range` is {start, end?}. Each
 * ranking table exports (the whole table, same period) and prints.
 */
export function deskFigures(ctx) {
  let period = {};
  const head = (title, table) =>
    h('div', { class: 'panel-head' }, h('h3', null, title), h('span', { class: 'grow' }), exportTools('desk-figures', () => Object.assign({ table }, period), ctx));
  const errorBox = h('div', { class: 'case-error', role: 'alert', hidden: true });
  const cards = h('div', { class: 'cards cards-desk' });
  const units = h('section', { class: 'panel panel-units' });
  const officers = h('section', { class: 'panel panel-officers' });
  const topics = h('section', { class: 'panel panel-topics' });
  const fraudChart = timeChart({
    id: 'fraud',
    title: '预警与劝阻趋势',
    axes: [{ name: '件' }],
    series: [
      { key: 'warnings', name: '预警', kind: 'bar' },
      { key: 'dissuaded', name: '劝阻成功', kind: 'bar' },
      { key: 'defrauded', name: '已被骗', kind: 'line' },
    ],
  });
  const moneyChart = timeChart({
    id: 'money',
    title: '挽回损失趋势',
    axes: [{ name: '元' }],
    series: [
      { key: 'protected_yuan', name: '挽回损失（元）', kind: 'bar' },
      { key: 'lost_yuan', name: '被骗金额（元）', kind: 'line' },
    ],
  });
  const deskChart = timeChart({
    id: 'desk',
    title: '群众诉求与答复趋势',
    axes: [{ name: '件' }, { name: '比率', percent: true }],
    series: [
      { key: 'requests', name: '诉求', kind: 'bar' },
      { key: 'new_residents', name: '新注册', kind: 'bar' },
      { key: 'reply_timeliness', name: '答复及时率', kind: 'line', axis: 1, percent: true },
      { key: 'satisfaction', name: '满意度', kind: 'line', axis: 1, percent: true },
    ],
  });
  const stepText = h('span', { class: 'muted' });
  const el = h(
    'div',
    { class: 'figures-desk' },
    h('h2', { class: 'figures-section-title' }, '趋势 ', stepText),
    h(
      'div',
      { class: 'panels panels-even' },
      h('section', { class: 'panel panel-chart' }, h('h3', null, '预警与劝阻'), fraudChart.el),
      h('section', { class: 'panel panel-chart' }, h('h3', null, '挽回损失'), moneyChart.el),
    ),
    h('h2', { class: 'figures-section-title' }, '群众求助（E警通）'),
    errorBox,
    cards,
    h('div', { class: 'panels panels-one' }, h('section', { class: 'panel panel-chart' }, h('h3', null, '诉求与答复'), deskChart.el)),
    h('div', { class: 'panels panels-even' }, units, officers),
    h('div', { class: 'panels panels-one' }, topics),
  );
  let seq = 0;

  async function load(range, now, areaId) {
    const mine = ++seq;
    const end = range.end ? Date.parse(range.end) : now;
    const back = shanghaiDate(end - (MIN_TREND_DAYS - 1) * DAY_MS);
    const floor = shanghaiMidnight(back.y, back.m, back.d);
    const trendStart = Date.parse(range.start) < Date.parse(floor) ? range.start : floor;
    const step = (end - Date.parse(trendStart)) / DAY_MS > MAX_DAILY_DAYS ? 'week' : 'day';
    const q = { start: range.start, end: range.end };
    period = q;
    const t = { start: trendStart, end: range.end, step };
    try {
      const [fraud, series, figures, hot] = await Promise.all([
        api.get('/fraud/figures/series', Object.assign({ area_id: areaId || undefined }, t)),
        api.get('/desk/stats/series', t),
        api.get('/desk/stats', q),
        api.get('/desk/stats/hot-topics', q),
      ]);
      if (mine !== seq) return;
      errorBox.hidden = true;
      replace(stepText, '（' + shanghaiLabel(trendStart, 'day') + ' 起，' + (step === 'week' ? '按周' : '按日') + '）');
      el.dataset.trendStart = trendStart;
      el.dataset.trendStep = step;
      const labels = fraud.buckets.map((b) => shanghaiLabel(b.start, step));
      fraudChart.set(labels, ['warnings', 'dissuaded', 'defrauded'].map((k) => fraud.buckets.map((b) => b[k])));
      moneyChart.set(labels, ['protected_yuan', 'lost_yuan'].map((k) => fraud.buckets.map((b) => Number(b[k]))));
      deskChart.set(
        series.buckets.map((b) => shanghaiLabel(b.start, step)),
        ['requests', 'new_residents', 'reply_timeliness', 'satisfaction'].map((k) => series.buckets.map((b) => b[k])),
      );
      render(figures, hot);
    } catch (e) {
      if (mine !== seq) return;
      replace(errorBox, '群众求助数据加载失败：' + e.message);
      errorBox.hidden = false;
    }
  }

  function render(f, hot) {
    replace(
      cards,
      card('注册群众', fmtInt(f.registered_residents), '本期新注册 ' + fmtInt(f.new_residents)),
      card('群众诉求', fmtInt(f.requests), '已答复 ' + fmtInt(f.replied) + '，已解决 ' + fmtInt(f.resolved)),
      card('答复及时率', fmtPercent(f.reply_timeliness), '按时答复 ' + fmtInt(f.replied_on_time) + ' / ' + fmtInt(f.requests), f.reply_timeliness === null ? null : f.reply_timeliness < 0.9 ? 'card-bad' : 'card-ok'),
      card('满意度', fmtPercent(f.satisfaction), '评价 ' + fmtInt(f.ratings) + ' 次，平均 ' + (f.mean_rating === null ? '—' : f.mean_rating.toFixed(2)) + ' 星', f.satisfaction === null ? null : 'card-ok'),
      card('推送提醒', fmtInt(f.pushes), '送达 ' + fmtInt(f.push_messages_delivered) + ' 条'),
      card('超时未答复', fmtInt(f.late_unreplied), '已过答复期限仍未答复', f.late_unreplied ? 'card-bad' : null),
    );
    const stationRows = (f.per_unit || []).filter((u) => u.kind === 'station');
    replace(units, head('各派出所量化评价', 'unit'), scoreTable(stationRows.length ? stationRows : f.per_unit || [], 'unit', '单位'));
    replace(officers, head('民警量化评价', 'officer'), scoreTable(f.per_officer || [], 'name', '民警'));
    const weeks = hot.county || [];
    const latest = weeks.length ? weeks[weeks.length - 1] : null;
    replace(
      topics,
      h('h3', null, '热点问题' + (latest ? '（' + latest.week + '）' : '')),
      latest && latest.topics.length
        ? h(
            'ol',
            { class: 'topic-list' },
            latest.topics.map((t) =>
              h('li', null, t.name + ' · ' + fmtInt(t.requests) + ' 件', t.change === null ? null : h('span', { class: t.change > 0 ? 'bad' : 'muted' }, '（较上周 ' + (t.change > 0 ? '+' : '') + t.change + '）')),
            ),
          )
        : h('p', { class: 'empty' }, '本周没有群众诉求'),
    );
  }

  return {
    el,
    load,
    destroy() {
      seq += 1;
      fraudChart.destroy();
      moneyChart.destroy();
      deskChart.destroy();
    },
  };
}
