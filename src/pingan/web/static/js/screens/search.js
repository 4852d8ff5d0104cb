// 检索: what the header's search box found, across warnings, tasks, desk requests, people, indicator lists
// and (for the 禁毒 duty only) community drug rehabilitation plans, within the user's scope and masked.
// 显示 unmasks one record through its own reveal, which the server records in the access log.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { errorText, exportTools } from '../ui/listing.js';

const GROUPS = [
  { type: 'person', label: '人员' },
  { type: 'warning', label: '预警' },
  { type: 'task', label: '任务' },
  { type: 'request', label: '群众诉求' },
  { type: 'indicator', label: '涉诈指标' },
  { type: 'rehab', label: '社区戒毒（康复）' },
];
const READINGS = { phone: '手机号', id_number: '身份证号', number: '编号', name: '姓名' };
const PURPOSE = '检索核查';

function link(hit) {
  if (hit.type === 'task') return '#/tasks/' + hit.id;
  if (hit.type === 'warning') return '#/queue/' + hit.id;
  if (hit.type === 'request') return '#/desk/' + hit.id;
  if (hit.type === 'indicator') return '#/admin?tab=indicators&active=all&id=' + hit.id;
  if (hit.type === 'rehab') return '#/rehab?id=' + hit.id;
  return null;
}

// Each kind's own reveal endpoint (each records the read); what it shows once unmasked.
async function reveal(hit) {
  if (hit.type === 'person') {
    const p = await api.get('/people/' + hit.id, { reveal: true, purpose: PURPOSE });
    return [p.name, p.phones.join('、'), p.id_number, p.address].filter(Boolean).join(' · ');
  }
  if (hit.type === 'warning') {
    const w = await api.get('/fraud/warnings/' + hit.id, { reveal: true, purpose: PURPOSE });
    return [w.person.name, w.person.phone, w.person.id_number, w.person.address].filter(Boolean).join(' · ');
  }
  if (hit.type === 'request') {
    const r = await api.get('/desk/staff/requests/' + hit.id, { reveal: true, purpose: PURPOSE });
    return [r.phone, r.address, r.text].filter(Boolean).join(' · ');
  }
  if (hit.type === 'rehab') {
    const p = await api.get('/rehab/plans/' + hit.id, { reveal: true, purpose: PURPOSE });
    return [p.name, p.phone, p.id_number, p.address].filter(Boolean).join(' · ');
  }
  return null;
}

export default {
  id: 'search',
  title: '检索',
  roles: ['admin', 'analyst', 'commander', 'station_head', 'officer', 'governance'],
  hidden: true,
  mount(root, ctx) {
    let q = '';
    let seq = 0;
    const heading = h('h2', { class: 'search-heading' });
    const readings = h('div', { class: 'search-readings muted' });
    const body = h('div', { class: 'search-results' });
    const tools = exportTools('search', () => ({ q }), ctx);
    const screen = h(
      'div',
      { class: 'screen bo-screen search-screen' },
      h('div', { class: 'toolbar' }, heading, h('span', { class: 'grow' }), tools),
      h('div', { class: 'bo-body' }, readings, body),
    );
    replace(root, screen);

    async function load() {
      const mine = ++seq;
      replace(heading, '检索：' + q);
      replace(body, h('p', { class: 'muted' }, '正在检索……'));
      let data;
      try {
        data = await api.get('/search', { q });
      } catch (e) {
        if (mine !== seq) return;
        replace(readings);
        replace(body, h('p', { class: 'empty', role: 'alert' }, errorText(e)));
        return;
      }
      if (mine !== seq) return;
      replace(
        readings,
        data.readings.length
          ? '按 ' + data.readings.map((r) => (READINGS[r.kind] || (r.kind.indexOf('indicator:') === 0 ? '指标' : r.kind)) + ' ' + r.value).join('，') + ' 查找'
          : '',
      );
      if (!data.items.length) {
        replace(body, h('p', { class: 'empty' }, '本辖区内没有找到相关记录'));
        return;
      }
      replace(
        body,
        GROUPS.filter((g) => data.counts[g.type]).map((g) =>
          h(
            'section',
            { class: 'search-group', dataset: { type: g.type } },
            h('h3', null, g.label, h('span', { class: 'muted' }, ' ' + data.counts[g.type])),
            h('ul', { class: 'search-list' }, data.items.filter((i) => i.type === g.type).map(row)),
          ),
        ),
        data.truncated ? h('p', { class: 'muted' }, '结果较多，只显示每类前 20 条，请输入更完整的内容') : null,
      );
    }

    function row(hit) {
      const shown = h('div', { class: 'search-revealed', hidden: true });
      const href = link(hit);
      const canReveal = ['person', 'warning', 'request'].indexOf(hit.type) >= 0;
      const btn = canReveal
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost btn-small no-print',
              onclick: async () => {
                try {
                  const text = await reveal(hit);
                  replace(shown, text || '—');
                  shown.hidden = false;
                  btn.disabled = true;
                } catch (e) {
                  ctx.toast(errorText(e), 'error');
                }
              },
            },
            '显示完整信息',
          )
        : null;
      return h(
        'li',
        { class: 'search-hit', dataset: { type: hit.type, id: hit.id } },
        h(
          'div',
          { class: 'search-hit-main' },
          href ? h('a', { href, class: 'search-title' }, hit.title) : h('span', { class: 'search-title' }, hit.title),
          hit.status ? h('span', { class: 'chip chip-muted' }, hit.status) : null,
          hit.station ? h('span', { class: 'muted' }, hit.station) : null,
          hit.at ? h('span', { class: 'muted mono' }, fmtDateTime(hit.at)) : null,
          h('span', { class: 'grow' }),
          btn,
        ),
        hit.detail ? h('div', { class: 'sub' }, hit.detail) : null,
        shown,
      );
    }

    return {
      update(_params, query) {
        const next = (query.q || '').trim();
        if (!next) {
          replace(heading, '检索');
          replace(body, h('p', { class: 'empty' }, '在页面顶部的检索框输入手机号、身份证号、姓名、编号或涉诈指标'));
          return;
        }
        if (next === q) return;
        q = next;
        load();
      },
      destroy() {
        seq += 1;
      },
    };
  },
};
