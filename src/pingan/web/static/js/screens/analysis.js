// 研判分析 (A8, A9): fraud by type, area and age group for a period, 同比/环比, the hot types of the week, money lost
// and protected, the groups being hit; from a hot type or a group, a targeted warning campaign (宣防) through the
// desk's pushes and SMS, whose deliveries are counted in the list below.

import { api, serverNow } from '../api.js';
import { h, replace, segmented, select } from '../dom.js';
import { fmtDateTime, fmtInt, fmtYuan, shanghaiDate, shanghaiMidnight } from '../format.js';
import { isCentre } from '../labels.js';
import { timeChart } from '../ui/chart.js';
import { field, modal } from '../ui/dialog.js';

const PERIODS = [
  { value: '7', label: '近7天' },
  { value: '30', label: '近30天' },
  { value: '90', label: '近90天' },
  { value: '365', label: '近一年' },
];
const GROUPS = [
  { value: 'elderly', label: '60岁及以上老年人' },
  { value: 'young', label: '18–35岁青年' },
  { value: 'student', label: '学生（23岁以下）' },
  { value: 'all', label: '全体群众' },
];
const CAMPAIGN_ROLES = ['admin', 'analyst', 'station_head'];

function change(rate) {
  if (rate === null || rate === undefined) return h('span', { class: 'chg chg-none' }, '—');
  const pct = (rate * 100).toFixed(1) + '%';
  if (rate > 0) return h('span', { class: 'chg chg-up' }, '↑' + pct);
  if (rate < 0) return h('span', { class: 'chg chg-down' }, '↓' + pct.replace('-', ''));
  return h('span', { class: 'chg' }, '持平');
}

function label(iso, step) {
  const d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
  const text = String(d.getUTCMonth() + 1).padStart(2, '0') + '-' + String(d.getUTCDate()).padStart(2, '0');
  return step === 'week' ? text + '起' : text;
}

export default {
  id: 'analysis',
  title: '研判分析',
  group: '反诈',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer'],
  mount(root, ctx) {
    let days = '30';
    let areaId = '';
    let stations = [];
    let seq = 0;
    const canCampaign = CAMPAIGN_ROLES.indexOf(ctx.user.role) >= 0;

    const stationSelect = select([{ value: '', label: '全县' }], '', (v) => {
      areaId = v;
      load();
    }, { 'aria-label': '范围' });
    const rangeText = h('span', { class: 'muted' });
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      segmented(PERIODS, days, (v) => {
        days = v;
        load();
      }, '时间段'),
      isCentre(ctx.user) ? stationSelect : null,
      h('span', { class: 'grow' }),
      rangeText,
    );
    const errorBox = h('div', { class: 'case-error', role: 'alert', hidden: true });
    const cards = h('div', { class: 'cards' });
    const trend = timeChart({
      id: 'analysis-trend',
      title: '案件与预警趋势',
      axes: [{ name: '起' }],
      series: [
        { key: 'cases', name: '案件', kind: 'bar' },
        { key: 'warnings', name: '预警', kind: 'bar' },
      ],
    });
    let typeChart = null;
    const typeChartBox = h('div');
    const hot = h('section', { class: 'panel', dataset: { panel: 'hot' } });
    const byType = h('section', { class: 'panel panel-wide', dataset: { panel: 'types' } });
    const byAge = h('section', { class: 'panel', dataset: { panel: 'ages' } });
    const byArea = h('section', { class: 'panel', dataset: { panel: 'areas' } });
    const groups = h('section', { class: 'panel panel-wide', dataset: { panel: 'groups' } });
    const campaigns = h('section', { class: 'panel panel-wide', dataset: { panel: 'campaigns' } });
    const screen = h(
      'div',
      { class: 'screen screen-figures screen-analysis' },
      toolbar,
      errorBox,
      cards,
      h(
        'div',
        { class: 'panels panels-even' },
        h('section', { class: 'panel panel-chart' }, h('h3', null, '案件与预警趋势'), trend.el),
        h('section', { class: 'panel panel-chart' }, h('h3', null, '高发类型趋势'), typeChartBox),
      ),
      h('div', { class: 'panels' }, hot, byType),
      h('div', { class: 'panels panels-even' }, byAge, byArea),
      h('div', { class: 'panels panels-one' }, groups),
      h('div', { class: 'panels panels-one' }, campaigns),
    );
    replace(root, screen);

    api
      .get('/areas', { kind: 'station' })
      .then((fc) => {
        stations = (fc.features || []).map((f) => ({ value: String(f.properties.id), label: f.properties.name }));
        replace(stationSelect, h('option', { value: '' }, '全县'), stations.map((s) => h('option', { value: s.value }, s.label)));
      })
      .catch(() => {});

    function range() {
      const now = serverNow();
      const d = shanghaiDate(now);
      const n = Number(days);
      return { start: shanghaiMidnight(d.y, d.m, d.d - n + 1), step: n > 62 ? 'week' : 'day' };
    }

    async function load() {
      const mine = ++seq;
      const r = range();
      screen.classList.add('is-loading');
      try {
        const data = await api.get('/analysis', { start: r.start, step: r.step, area_id: areaId });
        if (mine !== seq) return;
        errorBox.hidden = true;
        render(data);
      } catch (e) {
        if (mine === seq) {
          replace(errorBox, e.message);
          errorBox.hidden = false;
        }
      } finally {
        if (mine === seq) screen.classList.remove('is-loading');
      }
      loadCampaigns();
    }

    function card(title, value, sub, mom, yoy, cls) {
      return h(
        'div',
        { class: ['card', cls] },
        h('div', { class: 'card-label' }, title),
        h('div', { class: 'card-value' }, value),
        h('div', { class: 'card-sub' }, sub ? sub + ' · ' : '', '环比 ', change(mom), ' 同比 ', change(yoy)),
      );
    }

    function render(data) {
      const t = data.total;
      replace(rangeText, fmtDateTime(data.period.start) + ' 至 ' + fmtDateTime(data.period.end));
      replace(
        cards,
        card('案件', fmtInt(t.cases), null, t.mom.cases, t.yoy.cases, t.cases ? 'card-bad' : null),
        card('损失金额', fmtYuan(t.loss_yuan), null, t.mom.loss, t.yoy.loss, null),
        card('预警', fmtInt(t.warnings), '劝阻成功 ' + fmtInt(t.dissuaded), t.mom.warnings, t.yoy.warnings, null),
        h('div', { class: 'card card-ok' }, h('div', { class: 'card-label' }, '挽回损失'), h('div', { class: 'card-value' }, fmtYuan(t.protected_yuan)), h('div', { class: 'card-sub' }, '上期 ' + fmtYuan(t.previous.protected_yuan))),
      );
      const labels = data.series.map((b) => label(b.start, data.step));
      trend.set(labels, [data.series.map((b) => b.cases), data.series.map((b) => b.warnings)]);
      if (typeChart) typeChart.destroy();
      typeChart = timeChart({
        id: 'analysis-types',
        title: '高发类型趋势',
        axes: [{ name: '起' }],
        series: data.series_types.map((s) => ({ key: s.fraud_type, name: s.name, kind: 'line' })),
      });
      replace(typeChartBox, typeChart.el);
      if (data.series_types.length) typeChart.set(labels, data.series_types.map((s) => data.series.map((b) => b.by_type[s.fraud_type] || 0)));
      renderHot(data);
      renderTypes(data);
      renderAges(data);
      renderAreas(data);
      renderGroups(data);
    }

    function campaignButton(preset) {
      if (!canCampaign) return null;
      return h('button', { type: 'button', class: 'btn btn-secondary btn-small', dataset: { campaign: preset.fraud_type }, onclick: () => openCampaign(preset) }, '发起宣防');
    }

    function renderHot(data) {
      replace(
        hot,
        h('h3', null, '本周高发'),
        data.hot_types.length
          ? h(
              'ol',
              { class: 'hot-list' },
              data.hot_types.map((x) =>
                h(
                  'li',
                  { class: 'hot-item', dataset: { type: x.fraud_type } },
                  h('strong', null, x.name),
                  h('span', { class: 'muted' }, ' 本周 ' + fmtInt(x.incidents) + ' 起（案件 ' + fmtInt(x.cases) + '，预警 ' + fmtInt(x.warnings) + '），上周 ' + fmtInt(x.last_week) + ' '),
                  change(x.change),
                  ' ',
                  campaignButton({ fraud_type: x.fraud_type, area_id: areaId }),
                ),
              ),
            )
          : h('p', { class: 'empty' }, '本周没有上升的诈骗类型'),
      );
    }

    function renderTypes(data) {
      replace(
        byType,
        h('h3', null, '按诈骗类型'),
        data.by_type.length
          ? h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'tbl tbl-figures' },
                h('thead', null, h('tr', null, ['类型', '案件', '环比', '同比', '损失', '预警', '挽回损失'].map((x, i) => h('th', { class: i ? 'num' : null }, x)))),
                h(
                  'tbody',
                  null,
                  data.by_type.map((r) =>
                    h(
                      'tr',
                      { dataset: { type: r.fraud_type } },
                      h('td', null, r.name),
                      h('td', { class: 'num' }, fmtInt(r.cases)),
                      h('td', { class: 'num' }, change(r.mom.cases)),
                      h('td', { class: 'num' }, change(r.yoy.cases)),
                      h('td', { class: 'num' }, fmtYuan(r.loss_yuan)),
                      h('td', { class: 'num' }, fmtInt(r.warnings)),
                      h('td', { class: 'num' }, fmtYuan(r.protected_yuan)),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, '该时间段没有案件或预警'),
      );
    }

    function bars(rows, nameKey) {
      const max = Math.max.apply(null, [1].concat(rows.map((r) => r.cases + r.warnings)));
      return h(
        'div',
        { class: 'bars' },
        rows.map((r) =>
          h(
            'div',
            { class: 'bar-row' },
            h('span', { class: 'bar-label' }, r[nameKey]),
            h('span', { class: 'bar-track' }, h('span', { class: 'bar bar-high', style: { width: ((r.cases + r.warnings) / max) * 100 + '%' } })),
            h('span', { class: 'bar-value' }, fmtInt(r.cases) + ' / ' + fmtInt(r.warnings)),
          ),
        ),
      );
    }

    function renderAges(data) {
      replace(byAge, h('h3', null, '按年龄段（案件 / 预警）'), bars(data.by_age, 'name'));
    }

    function renderAreas(data) {
      replace(byArea, h('h3', null, '按辖区（案件 / 预警）'), data.by_area.length ? bars(data.by_area, 'area') : h('p', { class: 'empty' }, '本期各辖区无案件、无预警'));
    }

    function renderGroups(data) {
      replace(
        groups,
        h('h3', null, '受害重点人群（辖区 × 年龄段 × 类型）'),
        data.groups_hit.length
          ? h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'tbl tbl-figures' },
                h('thead', null, h('tr', null, ['辖区', '年龄段', '类型', '案件', '损失', '预警', ''].map((x, i) => h('th', { class: i > 2 && i < 6 ? 'num' : null }, x)))),
                h(
                  'tbody',
                  null,
                  data.groups_hit.map((g) =>
                    h(
                      'tr',
                      null,
                      h('td', null, g.area),
                      h('td', null, g.age_group_name),
                      h('td', null, g.name),
                      h('td', { class: 'num' }, fmtInt(g.cases)),
                      h('td', { class: 'num' }, fmtYuan(g.loss_yuan)),
                      h('td', { class: 'num' }, fmtInt(g.warnings)),
                      h('td', null, g.area_id ? campaignButton({ fraud_type: g.fraud_type, area_id: String(g.area_id), group: g.campaign_group }) : null),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, '该时间段没有受害记录'),
      );
    }

    async function loadCampaigns() {
      if (['admin', 'analyst', 'commander', 'station_head'].indexOf(ctx.user.role) < 0) {
        campaigns.hidden = true;
        return;
      }
      try {
        const rows = await api.get('/campaigns', { limit: 20 });
        replace(
          campaigns,
          h('h3', null, '宣防推送'),
          rows.length
            ? h(
                'div',
                { class: 'table-wrap' },
                h(
                  'table',
                  { class: 'tbl tbl-figures tbl-campaigns' },
                  h('thead', null, h('tr', null, ['时间', '类型', '对象', '辖区', 'E警通推送 送达/目标', '暂缓', '短信 已发/目标', '已退订'].map((x) => h('th', null, x)))),
                  h(
                    'tbody',
                    null,
                    rows.map((c) =>
                      h(
                        'tr',
                        { dataset: { campaign: String(c.id) } },
                        h('td', null, fmtDateTime(c.created_at)),
                        h('td', null, c.fraud_type_name),
                        h('td', null, c.group_name),
                        h('td', null, c.areas.map((a) => a.name).join('、')),
                        h('td', { class: 'num' }, fmtInt(c.push.delivered) + ' / ' + fmtInt(c.push.targeted)),
                        h('td', { class: 'num' }, fmtInt(c.push.held)),
                        h('td', { class: 'num' }, fmtInt(c.sms.sent) + ' / ' + fmtInt(c.sms.targeted)),
                        h('td', { class: 'num', title: '已退订宣传短信的号码，不发送' }, fmtInt(c.sms.opted_out || 0)),
                      ),
                    ),
                  ),
                ),
              )
            : h('p', { class: 'empty' }, '还没有宣防推送'),
        );
      } catch (e) {
        replace(campaigns, h('h3', null, '宣防推送'), h('p', { class: 'case-error' }, e.message));
      }
    }

    function openCampaign(preset) {
      const mineOnly = !isCentre(ctx.user);
      const areaOptions = stations.length ? stations : [];
      const area = h('select', { name: 'area_ids' }, areaOptions.map((s) => h('option', { value: s.value, selected: s.value === String(preset.area_id || '') }, s.label)));
      const group = h('select', { name: 'group' }, GROUPS.map((g) => h('option', { value: g.value, selected: g.value === (preset.group || 'elderly') }, g.label)));
      const title = h('input', { name: 'title', maxlength: 100, placeholder: '默认：反诈预警：警惕…诈骗' });
      const body = h('textarea', { name: 'body', rows: 3, maxlength: 500, placeholder: '默认：该类型的防范提示' });
      const push = h('input', { type: 'checkbox', name: 'push', checked: true });
      const sms = h('input', { type: 'checkbox', name: 'sms', checked: true });
      modal({
        title: '发起宣防推送',
        lead: '向所选辖区的目标人群发送反诈预警：E警通推送给已注册群众，短信发给登记人口。',
        content: h(
          'div',
          { class: 'form' },
          field('诈骗类型', h('input', { value: preset.fraud_type, readonly: true, name: 'fraud_type' })),
          field('辖区', area, mineOnly ? '只能选择本所辖区' : null, true),
          field('人群', group, null, true),
          field('标题', title),
          field('内容', body),
          h('label', { class: 'check' }, push, ' E警通推送'),
          h('label', { class: 'check' }, sms, ' 短信'),
        ),
        actions: [
          {
            label: '发送',
            kind: 'primary',
            onClick: async () => {
              const payload = { fraud_type: preset.fraud_type, area_ids: [Number(area.value)], group: group.value, push: push.checked, sms: sms.checked };
              if (title.value.trim()) payload.title = title.value.trim();
              if (body.value.trim()) payload.body = body.value.trim();
              const made = await api.post('/campaigns', payload);
              ctx.toast('已发送：推送送达 ' + made.push.delivered + ' 人，短信 ' + made.sms.queued + ' 条待发' + (made.sms.opted_out ? '（' + made.sms.opted_out + ' 人已退订，不发送）' : ''), 'ok');
              loadCampaigns();
            },
          },
        ],
      });
    }

    load();
    return {
      update() {},
      destroy() {
        trend.destroy();
        if (typeChart) typeChart.destroy();
      },
    };
  },
};
