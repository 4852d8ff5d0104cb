// 我的车: the owner's tagged vehicles (平安卡) and bracelets, each with its track (on a map, impossible jumps
// marked, and as the list of base stations that heard it, latest first) and, for a vehicle, a theft report.

import { h, replace } from '../../../js/dom.js';
import { dateTimeInputValue, fmtDateTime, parseDateTimeInput } from '../../../js/format.js';
import { dateTimeInput } from '../../../js/ui/date-input.js';
import { countyMap } from '../../../js/ui/map.js';
import { api } from '../api.js';
import { emptyState } from '../ui.js';

let mapBase = null;

function loadMapBase() {
  if (!mapBase) {
    mapBase = Promise.all([api.get('/map/config'), api.get('/map/areas')]).then(([config, areas]) => ({ config, areas }));
    mapBase.catch(() => {
      mapBase = null;
    });
  }
  return mapBase;
}

const KINDS = { vehicle_card: '平安卡', bracelet: '定位手环', anti_removal_bracelet: '防拆手环', livestock: '牲畜卡' };
const STATUS = { active: '正常', stolen: '已报被盗，布控中', retired: '已注销' };
const ALERTS = {
  theft_sighting: '被盗车辆被基站发现',
  geofence_exit: '离开安全区域',
  silence: '长时间无信号',
  removal: '手环被拆除',
  low_battery: '电量低',
};

/** The tag's alerts of the last 30 days (a guardian: the wearer's), newest first; the police are told too. */
function alertList(tag) {
  const items = tag.alerts || [];
  if (!items.length) return null;
  return h(
    'div',
    { class: 'tag-alerts' },
    h('p', { class: 'tag-alerts-title' }, '近30天提醒（民警已同步收到）'),
    h(
      'ul',
      null,
      items.map((a) =>
        h(
          'li',
          { class: a.open ? 'is-open' : null },
          h('strong', null, ALERTS[a.kind] || a.kind),
          ' ',
          h('span', { class: 'row-when' }, fmtDateTime(a.last_at || a.at)),
          a.station_name ? ' · ' + a.station_name : '',
          a.heading ? ' · 向' + a.heading : '',
          ' · ',
          a.open ? h('span', { class: 'badge-open' }, '处理中') : '已结束',
        ),
      ),
    ),
  );
}

/** "from 至 to", the day written once when both are on it. */
function span(from, to) {
  const [fromDay] = from.split(' ');
  const [toDay, toTime] = to.split(' ');
  return from + ' 至 ' + (fromDay === toDay && toTime ? toTime : to);
}

/**
 * A track's sightings (newest first) as stays: consecutive sightings at one base station are one line, from
 * the first to the last time it was heard there (a parked bike is heard every few seconds). A sighting
 * reached by an impossible jump stands alone, so it is never hidden in a stay.
 */
function stays(points) {
  const out = [];
  for (const p of points) {
    const station = p.properties.station_name || p.properties.station;
    const last = out[out.length - 1];
    if (last && !last.jump && !p.properties.jump && last.code === p.properties.station) {
      last.from = p.properties.at;
      last.count += 1;
      continue;
    }
    out.push({ code: p.properties.station, station, from: p.properties.at, to: p.properties.at, count: 1, jump: Boolean(p.properties.jump) });
  }
  return out;
}

export default {
  title: '我的车',
  mount(root, ctx) {
    const list = h('div', { class: 'tags' });
    const status = h('p', { class: 'muted center' }, '正在加载……');
    replace(root, status, list);
    let maps = [];

    function dropMaps() {
      maps.forEach((m) => m.destroy());
      maps = [];
    }

    async function showTrack(tag, box) {
      replace(box, h('p', { class: 'muted' }, '正在加载轨迹……'));
      try {
        const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
        const track = await api.get('/tracking/tags/' + encodeURIComponent(tag.tag) + '/track', { from: since });
        const points = track.features.filter((f) => f.geometry.type === 'Point').reverse();
        if (!points.length) {
          replace(box, h('p', { class: 'muted' }, '近7天没有基站侦测到该标签'));
          return;
        }
        const mapEl = h('div', { class: 'track-map', role: 'img', 'aria-label': '轨迹地图' });
        const jumps = points.filter((p) => p.properties.jump).length;
        const truncated = Boolean(track.features[0].properties.truncated);
        replace(
          box,
          mapEl,
          jumps ? h('p', { class: 'track-jumps' }, '有 ' + jumps + ' 处异常跳变（地图上红色虚线）：可能是误读或标签被复制，请留意') : null,
          truncated ? h('p', { class: 'muted track-truncated' }, '侦测次数较多，仅显示最近 ' + points.length + ' 次') : null,
          h(
            'ol',
            { class: 'track-list' },
            stays(points).map((s) =>
              h(
                'li',
                { class: s.jump ? 'is-jump' : null },
                h('span', { class: 'row-when' }, s.count > 1 ? span(fmtDateTime(s.from), fmtDateTime(s.to)) : fmtDateTime(s.to)),
                ' ',
                s.station,
                s.count > 1 ? h('span', { class: 'muted track-count' }, ' · ' + s.count + ' 次') : null,
                s.jump ? h('span', { class: 'badge badge-danger' }, '异常跳变') : null,
              ),
            ),
          ),
        );
        try {
          const b = await loadMapBase();
          if (!mapEl.isConnected) return;
          const handle = countyMap(mapEl, { areas: b.areas, config: b.config, labels: false });
          maps.push(handle);
          handle.drawTrack(track, { when: fmtDateTime });
        } catch (e) {
          replace(mapEl, h('p', { class: 'muted' }, '地图暂不可用'));
        }
      } catch (e) {
        replace(box, h('p', { class: 'error' }, e.message || String(e)));
      }
    }

    function theftForm(tag, box) {
      const when = dateTimeInput({ name: 'stolen_at', class: 'input', value: dateTimeInputValue(Date.now()), required: true, 'aria-label': '被盗时间' });
      const place = h('input', { type: 'text', name: 'place', class: 'input', maxlength: 200, placeholder: '被盗地点（选填）', 'aria-label': '被盗地点' });
      const form = h(
        'form',
        {
          class: 'card theft-form',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              const stolenAt = parseDateTimeInput(when.value);
              if (!stolenAt) {
                ctx.toast('被盗时间请按 YYYY-MM-DD HH:mm 填写', 'error');
                when.focus();
                return;
              }
              await api.post('/tracking/thefts', { tag: tag.tag, stolen_at: stolenAt, place: place.value.trim() || null });
              ctx.toast('已报告被盗，民警和地网正在布控', 'ok');
              load();
            } catch (err) {
              ctx.toast(err.message || String(err), 'error');
            }
          },
        },
        h('label', { class: 'theft-field' }, h('span', null, '被盗时间（北京时间，年-月-日 时:分）'), when),
        h('label', { class: 'theft-field' }, h('span', null, '被盗地点'), place),
        h('p', { class: 'muted' }, '报告后车辆进入布控，任一基站侦测到即通知民警。'),
        h('button', { type: 'submit', class: 'btn btn-danger' }, '确认报告被盗'),
      );
      replace(box, form);
    }

    function card(tag) {
      const box = h('div', { class: 'tag-extra' });
      const vehicle = [tag.plate, tag.model, tag.colour].filter(Boolean).join(' · ');
      return h(
        'div',
        { class: 'card tag-card', dataset: { tag: tag.tag } },
        h('div', { class: 'row-top' }, h('strong', null, KINDS[tag.kind] || tag.kind), ' ', h('span', { class: 'muted' }, tag.tag)),
        vehicle ? h('p', null, vehicle) : null,
        tag.wearer_name ? h('p', null, '佩戴人：' + tag.wearer_name) : null,
        h('p', { class: 'muted' }, STATUS[tag.status] || tag.status),
        h('p', { class: 'muted' }, tag.last_seen_at ? '最近出现：' + fmtDateTime(tag.last_seen_at) + ' ' + (tag.last_station || '') : '尚未被基站侦测到'),
        alertList(tag),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => showTrack(tag, box) }, '查看轨迹'),
          tag.kind === 'vehicle_card' && tag.status === 'active'
            ? h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => theftForm(tag, box) }, '报告被盗')
            : null,
        ),
        box,
      );
    }

    async function load() {
      dropMaps();
      try {
        const tags = await api.get('/tracking/me/tags');
        status.hidden = tags.length > 0;
        if (!tags.length) replace(status, emptyState('暂无登记的平安卡或手环', '在服务网点安装平安卡或领取定位手环后，这里会显示轨迹。'));
        replace(list, tags.map(card));
      } catch (e) {
        replace(status, e.message || String(e));
      }
    }
    load();
    return { destroy: dropMaps };
  },
};
