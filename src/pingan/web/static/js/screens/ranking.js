// 打榜: a board's ranking for a month (or any period), with each unit's change since the period before, the
// figures behind its score, the districts (片区) competing, and publishing (通报) for the commanders.
// Station heads see the whole table with their own row marked and their position on top. In a deployment of
// several counties, a city's or the province's users first see the county bureaus ranked against each other
// (县局打榜) and pick a county to open its stations' board; a county's users see their own county's.

import { api, serverNow } from '../api.js';
import { h, replace, segmented } from '../dom.js';
import { fmtDateTime, shanghaiDate } from '../format.js';
import { modal } from '../ui/dialog.js';
import { errorText, exportTools, filtersFrom, pushFilters } from '../ui/listing.js';

const NORMALISATION = { minmax: '极差法（最好 100 分，最差 0 分，其余按比例）', rank: '名次法（按名次均分 0–100 分）' };
const MISSING = { mean: '无数据的单位取其他单位的平均分', zero: '无数据的单位记 0 分' };
const PUBLISH_ROLES = ['admin', 'commander'];

function pad(n) {
  return (n < 10 ? '0' : '') + n;
}

export function thisMonth() {
  const d = shanghaiDate(serverNow());
  return d.y + '-' + pad(d.m);
}

export function lastMonth() {
  const d = shanghaiDate(serverNow());
  return d.m === 1 ? d.y - 1 + '-12' : d.y + '-' + pad(d.m - 1);
}

/** "↑2", "↓1", "—" (no change) or "新" (not ranked the period before), with its class. */
export function changeBadge(change) {
  if (change === null || change === undefined) return h('span', { class: 'rank-change is-new', title: '上期未参与排名' }, '新');
  if (change > 0) return h('span', { class: 'rank-change is-up', title: '比上期上升 ' + change + ' 名' }, '↑' + change);
  if (change < 0) return h('span', { class: 'rank-change is-down', title: '比上期下降 ' + -change + ' 名' }, '↓' + -change);
  return h('span', { class: 'rank-change is-same', title: '与上期持平' }, '—');
}

export function fmtIndicator(value, unit) {
  if (value === null || value === undefined) return '—';
  if (unit === '%') return (value * 100).toFixed(1) + '%';
  if (unit === '分') return Number(value).toFixed(1);
  return String(Math.round(value * 100) / 100);
}

export default {
  id: 'ranking',
  title: '打榜',
  group: '指挥',
  roles: ['admin', 'analyst', 'commander', 'station_head'],
  mount(root, ctx) {
    let f = {};
    let data = null;
    let seq = 0;
    let chosen = null;
    let defaultBoard = 'stations';

    const boardSlot = h('span');
    const countySlot = h('span', { 'data-role': 'county-picker' });
    const go = (over) => pushFilters('/ranking', { board: f.board, period: f.period, county: f.county, ...over });
    const boardNow = () => f.board || (f.county ? 'stations' : defaultBoard);
    // A list of months rather than the browser's month picker, whose text follows the browser's locale
    // ("November 2026" on an English system): the months read 2026年11月 whatever the machine.
    const monthInput = h('select', {
      'aria-label': '统计月份',
      name: 'period',
      onchange: () => {
        if (monthInput.value) go({ period: monthInput.value });
      },
    });
    function monthOptions(current) {
      const now = shanghaiDate(serverNow());
      const keys = [];
      for (let i = 0; i < 36; i += 1) {
        const total = now.y * 12 + (now.m - 1) - i;
        keys.push(Math.floor(total / 12) + '-' + pad((total % 12) + 1));
      }
      if (current && keys.indexOf(current) < 0) keys.push(current);
      replace(
        monthInput,
        keys.map((k) => h('option', { value: k, selected: k === current }, k.slice(0, 4) + '年' + Number(k.slice(5)) + '月')),
      );
      if (current) monthInput.value = current;
    }
    const state = h('span', { class: 'rank-state', 'data-role': 'state' });
    const tools = exportTools('rankings', () => ({ period: f.period || thisMonth(), board: boardNow(), county: f.county || undefined }), ctx);
    const publishBtn = h('button', { type: 'button', class: 'btn btn-primary', hidden: true, onclick: () => publish() }, '发布通报');
    const own = h('div', { class: 'rank-own', hidden: true, 'data-role': 'own' });
    const weights = h('div', { class: 'rank-weights', 'data-role': 'weights' });
    const body = h('div', { class: 'rank-table-wrap' });
    const districts = h('section', { class: 'bo-panel rank-districts', 'data-role': 'districts' });
    const detail = h('aside', { class: 'bo-panel rank-detail', 'data-role': 'detail', hidden: true });
    const notes = h('div', { class: 'rank-notes muted' });
    const screen = h(
      'div',
      { class: 'screen bo-screen ranking-screen' },
      h(
        'div',
        { class: 'toolbar' },
        h('h2', { class: 'bo-title' }, '打榜'),
        countySlot,
        boardSlot,
        h('label', { class: 'rank-month' }, '月份 ', monthInput),
        h('button', { type: 'button', class: 'btn', onclick: () => go({ period: lastMonth() }) }, '上月'),
        h('button', { type: 'button', class: 'btn', onclick: () => go({ period: thisMonth() }) }, '本月'),
        h('span', { class: 'grow' }),
        state,
        tools,
        publishBtn,
      ),
      own,
      h('div', { class: 'rank-grid' }, h('section', { class: 'bo-panel rank-main' }, weights, body, notes), h('div', { class: 'rank-side' }, detail, districts)),
    );
    replace(root, screen);

    async function boards() {
      try {
        const b = await api.get('/command/rankings/boards');
        defaultBoard = b.default_board || 'stations';
        const above = defaultBoard === 'counties';
        // Above a county: the counties board, or one county's boards once a county is picked.
        const shown = b.boards.filter((x) => (above && !f.county ? x.board === 'counties' : x.board !== 'counties'));
        replace(
          boardSlot,
          segmented(
            shown.map((x) => ({ value: x.board, label: x.label })),
            boardNow(),
            (v) => go({ board: v }),
            '榜单',
          ),
        );
        if (above && b.counties.length) {
          const picker = h(
            'select',
            {
              'aria-label': '县（市、区）',
              name: 'county',
              onchange: () => (picker.value ? go({ county: picker.value, board: 'stations' }) : go({ county: undefined, board: undefined })),
            },
            h('option', { value: '' }, '各县（市、区）公安局'),
            b.counties.map((c) => h('option', { value: c.code, selected: c.code === f.county }, c.name + ' 派出所')),
          );
          picker.value = f.county || '';
          replace(countySlot, h('label', { class: 'rank-county' }, '范围 ', picker));
        } else {
          replace(countySlot);
        }
      } catch (e) {
        replace(boardSlot, h('span', { class: 'muted' }, errorText(e)));
      }
    }

    async function load() {
      const mine = ++seq;
      const period = f.period || thisMonth();
      monthOptions(/^\d{4}-\d{2}$/.test(period) ? period : null);
      try {
        const params = { period };
        if (f.board) params.board = f.board;
        if (f.county) params.county = f.county;
        const got = await api.get('/command/rankings', params);
        if (mine !== seq) return;
        data = got;
      } catch (e) {
        if (mine === seq) replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
        return;
      }
      paint();
    }

    function paint() {
      const p = data.period;
      replace(
        state,
        data.published
          ? h('span', { class: 'badge badge-ok' }, p.label + ' 已发布（' + fmtDateTime(data.published_at) + '），名次不再变动')
          : h('span', { class: 'badge' }, p.label + ' 未发布，按当前数据实时计算'),
      );
      publishBtn.hidden = data.published || PUBLISH_ROLES.indexOf(ctx.user.role) < 0;
      replace(
        weights,
        h('div', { class: 'rank-weights-head' }, h('b', null, (data.county ? data.county.name + ' · ' : '') + data.board_label + ' · ' + p.label), ' 比较上期：' + data.previous_period.label + ({ published: '（按已发布名次）', computed: '（按当前数据）' }[data.previous_source] || '（上期无数据，不比较）')),
        h(
          'ul',
          { class: 'rank-weight-list' },
          data.indicators.map((c) =>
            h(
              'li',
              { class: c.used ? null : 'is-unused', dataset: { indicator: c.name } },
              h('b', null, c.label),
              ' 权重 ' + c.weight + '（占 ' + (c.share * 100).toFixed(0) + '%）' + (c.direction === 'lower' ? ' · 越低越好' : '') + (c.used ? '' : ' · 本期无数据不计分'),
            ),
          ),
        ),
        h('div', { class: 'muted' }, '计分：' + (NORMALISATION[data.normalisation] || data.normalisation) + '；' + (MISSING[data.missing] || data.missing) + '；总分为各项得分的加权平均，同分同名次。'),
      );
      const mineRow = data.own_unit_id ? data.rows.find((r) => r.unit_id === data.own_unit_id) : null;
      own.hidden = !mineRow;
      if (mineRow) replace(own, '本所排名：第 ', h('b', null, String(mineRow.position)), ' 名（共 ', String(data.rows.length), ' 个单位），总分 ', h('b', null, mineRow.score.toFixed(2)), ' ', changeBadge(mineRow.change));
      if (!data.rows.length) {
        replace(body, h('p', { class: 'empty' }, '本榜没有参与排名的单位'));
      } else {
        replace(body, rankTable());
      }
      replace(notes, data.notes.map((n) => h('div', null, n)));
      paintDistricts();
      paintDetail();
    }

    function rankTable() {
      const cols = data.indicators;
      return h(
        'table',
        { class: 'tbl rank-table' },
        h(
          'thead',
          null,
          h('tr', null, h('th', null, '名次'), h('th', null, '变化'), h('th', null, '单位'), data.districts.length ? h('th', null, '片区') : null, h('th', { class: 'num' }, '总分'), cols.map((c) => h('th', { class: 'num' }, c.label))),
        ),
        h(
          'tbody',
          null,
          data.rows.map((r) =>
            h(
              'tr',
              {
                class: [r.unit_id === data.own_unit_id && 'is-own', chosen === r.unit_id && 'is-chosen', r.position <= 3 && 'is-top'],
                dataset: { unit: r.unit_id, position: r.position },
                tabindex: '0',
                onclick: () => choose(r.unit_id),
                onkeydown: (e) => {
                  if (e.key === 'Enter') choose(r.unit_id);
                },
              },
              h('td', { class: 'rank-pos' }, String(r.position)),
              h('td', null, changeBadge(r.change)),
              h('td', null, r.name),
              data.districts.length ? h('td', null, r.district || '—') : null,
              h('td', { class: 'num rank-score' }, r.score.toFixed(2)),
              cols.map((c) => {
                const cell = r.cells[c.name];
                return h('td', { class: 'num', title: cell.detail || '' }, h('div', null, fmtIndicator(cell.value, c.unit)), h('div', { class: 'sub' }, cell.points === null ? '无数据' : cell.points.toFixed(1) + ' 分'));
              }),
            ),
          ),
        ),
      );
    }

    function choose(unitId) {
      chosen = chosen === unitId ? null : unitId;
      paint();
    }

    function paintDetail() {
      const r = chosen !== null && data.rows.find((x) => x.unit_id === chosen);
      detail.hidden = !r;
      if (!r) return;
      replace(
        detail,
        h('div', { class: 'bo-panel-head' }, h('h3', null, r.name + ' 得分明细'), h('span', { class: 'grow' }), h('button', { type: 'button', class: 'btn btn-small', onclick: () => choose(r.unit_id) }, '关闭')),
        h(
          'p',
          null,
          '第 ' + r.position + ' 名，总分 ' + r.score.toFixed(2) + '；上期 ' + (r.previous_position === null ? '未参与' : '第 ' + r.previous_position + ' 名（' + r.previous_score.toFixed(2) + ' 分）') + ' ',
          changeBadge(r.change),
        ),
        data.board === 'counties'
          ? h('p', null, h('button', { type: 'button', class: 'btn btn-small', 'data-role': 'open-county', onclick: () => go({ county: r.code, board: 'stations' }) }, '查看该县派出所榜单'))
          : null,
        h(
          'table',
          { class: 'tbl tbl-compact rank-breakdown' },
          h('thead', null, h('tr', null, h('th', null, '指标'), h('th', { class: 'num' }, '数值'), h('th', null, '依据'), h('th', { class: 'num' }, '得分'), h('th', { class: 'num' }, '计入总分'))),
          h(
            'tbody',
            null,
            data.indicators.map((c) => {
              const cell = r.cells[c.name];
              return h(
                'tr',
                { dataset: { indicator: c.name } },
                h('td', null, c.label),
                h('td', { class: 'num' }, fmtIndicator(cell.value, c.unit)),
                h('td', null, cell.detail || (c.used ? '无数据' : '本期无单位有数据')),
                h('td', { class: 'num' }, cell.points === null ? (c.used ? cell.scored.toFixed(1) + '（补）' : '—') : cell.points.toFixed(1)),
                h('td', { class: 'num' }, cell.contribution.toFixed(2)),
              );
            }),
          ),
        ),
      );
    }

    function paintDistricts() {
      districts.hidden = !data.districts.length;
      if (!data.districts.length) return;
      replace(
        districts,
        h('div', { class: 'bo-panel-head' }, h('h3', null, '片区竞赛')),
        h(
          'ol',
          { class: 'district-list' },
          data.districts.map((d) =>
            h(
              'li',
              { class: 'district', dataset: { district: d.name } },
              h('div', { class: 'district-head' }, h('span', { class: 'rank-pos' }, '第' + d.position + '名'), h('b', null, d.name), changeBadge(d.change), h('span', { class: 'grow' }), h('span', { class: 'rank-score' }, d.score.toFixed(2) + ' 分')),
              h('div', { class: 'sub' }, d.units.join('、')),
            ),
          ),
        ),
      );
    }

    function publish() {
      const p = data.period;
      modal({
        title: '发布通报',
        lead: '发布 ' + p.label + ' 的' + data.board_label + '榜单？发布后名次不再变动，下一期的名次变化以此为准。',
        actions: [
          {
            label: '发布',
            kind: 'primary',
            onClick: async () => {
              const county = data.county && data.county.kind === 'county' ? data.county.code : undefined;
              await api.post('/command/rankings/publish', { period: p.key, board: data.board, county });
              ctx.toast('已发布 ' + p.label + ' 榜单', 'ok');
              load();
            },
          },
        ],
      });
    }

    boards();
    return {
      update(_params, query) {
        const next = filtersFrom(query, {});
        if (next.board !== f.board || next.county !== f.county) chosen = null;
        f = next;
        boards();
        load();
      },
      destroy() {
        seq += 1;
      },
    };
  },
};
