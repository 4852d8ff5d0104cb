// Charts of figures over time: Apache ECharts (vendored), drawn as SVG, Chinese locale. Each chart also
// carries its numbers as a table (shown on request) for screen readers and for anyone who wants the digits.

import * as echarts from '../../vendor/echarts-5.6.0/echarts.esm.min.js';
import { h, replace } from '../dom.js';

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

  return {
    el,
    set(labels, values) {
      const axes = spec.axes || [{ name: '' }];
      const dark = spec.theme === 'dark';
      const ink = dark ? '#c9d6e8' : undefined;
      const size = dark ? 16 : 12;
      const small = dark ? 15 : 11;
      ensure().setOption(
        {
          color: dark ? DARK_PALETTE : PALETTE,
          animation: false,
          tooltip: { trigger: 'axis' },
          textStyle: ink ? { color: ink } : undefined,
          legend: { top: 0, textStyle: { fontSize: size, color: ink } },
          grid: { left: dark ? 60 : 48, right: axes.length > 1 ? (dark ? 70 : 56) : 18, top: dark ? 40 : 34, bottom: dark ? 34 : 28 },
          xAxis: { type: 'category', data: labels, axisLabel: { fontSize: small, color: ink } },
          yAxis: axes.map((a) => ({
            type: 'value',
            name: a.name,
            min: 0,
            max: a.percent ? 1 : undefined,
            nameTextStyle: { fontSize: small, color: ink },
            axisLabel: { fontSize: small, color: ink, formatter: a.percent ? (v) => Math.round(v * 100) + '%' : undefined },
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
      replace(
        table,
        h('thead', null, h('tr', null, h('th', null, '时间'), spec.series.map((s) => h('th', { class: 'num' }, s.name)))),
        h(
          'tbody',
          null,
          labels.map((label, row) => h('tr', null, h('td', null, label), spec.series.map((s, i) => h('td', { class: 'num', dataset: { series: s.key || s.name } }, fmt(s, values[i][row]))))),
        ),
      );
    },
    destroy() {
      if (observer) observer.disconnect();
      if (chart) chart.dispose();
      chart = null;
    },
  };
}
