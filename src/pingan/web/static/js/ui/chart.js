// Charts of figures over time: Apache ECharts (vendored), drawn as SVG, Chinese locale. Each chart also
// carries its numbers as a table (shown on request) for screen readers and for anyone who wants the digits.

import * as echarts from '../../vendor/echarts-5.6.0/echarts.esm.min.js';
import { h, replace } from '../dom.js';

// ECharts sets its own font family on every text it draws (legend, axis labels and names, tooltip), "sans-serif"
// unless told otherwise, so the page's font stack never reaches it: on a machine without a Chinese system font
// (Debian's chromium, a police workstation) "sans-serif" has no Chinese glyphs and every Chinese word came out
// as empty boxes. The charts name the app's own stack instead (styles.css `--font`, which ends in the Noto Sans SC
// this server ships), and draw once that face has loaded: ECharts measures its text to lay out the legend and
// the axes, and a width measured in a fallback font would stay wrong after the real one arrives.
const FALLBACK_FONT = '"Pingan Sans SC", "Noto Sans CJK SC", sans-serif';
const FONT_SAMPLE = '中文';
let fontStack = null;
let fontReady = null;

/** The font stack the charts draw their text in: the page's own (`--font`), read once. */
export function chartFont() {
  if (fontStack === null) {
    const css = getComputedStyle(document.documentElement).getPropertyValue('--font').replace(/\s+/g, ' ').trim();
    fontStack = css || FALLBACK_FONT;
  }
  return fontStack;
}

/** Resolves when the stack's Chinese faces (regular and bold) have loaded, or failed to: never rejects. */
export function chartFontReady() {
  if (fontReady === null) {
    const fonts = document.fonts;
    fontReady = fonts
      ? Promise.all(['400', '700'].map((w) => fonts.load(w + ' 16px ' + chartFont(), FONT_SAMPLE))).then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();
  }
  return fontReady;
}

const PALETTE = ['#1f5fb4', '#1b8a4b', '#e5650b', '#d0201c', '#7b3fa0', '#5b7086'];
const DARK_PALETTE = ['#4f9dff', '#3ad07f', '#ffa040', '#ff5a52', '#c58bff', '#9fb3c8'];

/**
 * timeChart({title, series: [{name, kind: 'bar'|'line', axis: 0|1, percent, money}], axes: [{name, percent}], theme})
 * → {el, set(labels, values), destroy}. `values[i]` is the i-th series' numbers, one per label.
 * `theme: 'dark'` draws light text in large type on a dark background (the big screen).
 */
export function timeChart(spec) {
  const canvas = h('div', { class: 'chart', role: 'img', 'aria-label': spec.title });
  const table = h('table', { class: 'tbl tbl-chart-data' });
  const details = h('details', { class: 'chart-data' }, h('summary', null, '查看数据'), h('div', { class: 'table-wrap' }, table));
  const el = h('div', { class: 'chart-box', dataset: { chart: spec.id || '' } }, canvas, details);
  let chart = null;
  let observer = null;
  let pending = null;
  let destroyed = false;

  function ensure() {
    if (chart) return chart;
    chart = echarts.init(canvas, null, { renderer: 'svg', locale: 'ZH' });
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => chart && chart.resize());
      observer.observe(canvas);
    }
    return chart;
  }

  function fmt(s, v) {
    if (v === null || v === undefined) return '—';
    if (s.percent) return (v * 100).toFixed(1) + '%';
    return String(v);
  }

  function draw(labels, values) {
    const axes = spec.axes || [{ name: '' }];
    const dark = spec.theme === 'dark';
    const ink = dark ? '#c9d6e8' : undefined;
    const size = dark ? 16 : 12;
    const small = dark ? 15 : 11;
    // The font named on each text style as well as globally: not every component falls back to the global one.
    // A colour only when there is one: `color: undefined` overrides ECharts' default and draws no text at all.
    const fontFamily = chartFont();
    const text = (more) => Object.assign({ fontFamily }, ink ? { color: ink } : null, more);
    ensure().setOption(
      {
        color: dark ? DARK_PALETTE : PALETTE,
        animation: false,
        tooltip: { trigger: 'axis', textStyle: { fontFamily } },
        textStyle: text(),
        legend: { top: 0, textStyle: text({ fontSize: size }) },
        grid: { left: dark ? 60 : 48, right: axes.length > 1 ? (dark ? 70 : 56) : 18, top: dark ? 40 : 34, bottom: dark ? 34 : 28 },
        xAxis: { type: 'category', data: labels, axisLabel: text({ fontSize: small }) },
        yAxis: axes.map((a) => ({
          type: 'value',
          name: a.name,
          min: 0,
          max: a.percent ? 1 : undefined,
          nameTextStyle: text({ fontSize: small }),
          axisLabel: text({ fontSize: small, formatter: a.percent ? (v) => Math.round(v * 100) + '%' : undefined }),
          splitLine: { show: !a.percent, lineStyle: dark ? { color: '#22344d' } : undefined },
        })),
        series: spec.series.map((s, i) => ({
          name: s.name,
          type: s.kind || 'bar',
          yAxisIndex: s.axis || 0,
          data: values[i],
          connectNulls: true,
          barMaxWidth: 28,
          symbolSize: dark ? 7 : 5,
          lineStyle: dark ? { width: 3 } : undefined,
        })),
      },
      true,
    );
  }

  return {
    el,
    /** The figures: the table at once, the chart once its font has loaded (the latest figures win). */
    set(labels, values) {
      replace(
        table,
        h('thead', null, h('tr', null, h('th', null, '时间'), spec.series.map((s) => h('th', { class: 'num' }, s.name)))),
        h(
          'tbody',
          null,
          labels.map((label, row) => h('tr', null, h('td', null, label), spec.series.map((s, i) => h('td', { class: 'num', dataset: { series: s.key || s.name } }, fmt(s, values[i][row]))))),
        ),
      );
      const first = pending === null;
      pending = { labels, values };
      if (!first) return;
      chartFontReady().then(() => {
        const next = pending;
        pending = null;
        if (!destroyed && next) draw(next.labels, next.values);
      });
    },
    destroy() {
      destroyed = true;
      if (observer) observer.disconnect();
      if (chart) chart.dispose();
      chart = null;
    },
  };
}
