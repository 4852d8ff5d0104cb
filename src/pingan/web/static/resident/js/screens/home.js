// 首页: my community officer (from where I am, else my address), what I can ask, my latest request.

import { h, icon, replace } from '../../../js/dom.js';
import { api } from '../api.js';
import { canLocate, locate } from '../geo.js';
import { CATEGORIES, MATCHED_BY } from '../labels.js';
import { busy, call110, statusChip, when } from '../ui.js';

function maskedPhone(phone) {
  return phone && phone.length === 11 ? phone.slice(0, 3) + '****' + phone.slice(7) : phone || '';
}

export default {
  title: '平安E警通',
  mount(root, ctx) {
    let alive = true;
    const officerBox = h('section', { class: 'card officer-card is-loading', 'aria-label': '我的社区民警' }, h('div', { class: 'skeleton' }, '正在查找您的社区民警……'));
    const latestBox = h('section', { class: 'latest', hidden: true });
    const actions = h(
      'section',
      { class: 'card', 'aria-label': '我要求助' },
      h('h2', { class: 'card-title' }, '我要求助'),
      h(
        'div',
        { class: 'quick' },
        CATEGORIES.map((c) =>
          h(
            'a',
            { class: ['quick-item', 'tone-' + c.tone], href: '#/new?c=' + c.value, dataset: { category: c.value } },
            h('span', { class: 'quick-icon' }, icon(c.icon)),
            h('span', { class: 'quick-name' }, c.name),
            h('span', { class: 'quick-lead' }, c.lead),
          ),
        ),
      ),
    );
    const resident = ctx.resident || {};
    replace(
      root,
      h(
        'div',
        { class: 'hero' },
        h('p', { class: 'hero-hello' }, '您好，' + maskedPhone(resident.phone)),
        h('p', { class: 'hero-place' }, icon('pin'), [resident.station, resident.community].filter(Boolean).join(' · ') || '尚未登记住址'),
      ),
      call110('遇到正在发生的危险，打电话最快。'),
      officerBox,
      actions,
      latestBox,
    );

    async function findOfficer(point, address) {
      const query = point ? { lon: point.lon, lat: point.lat, crs: 'wgs84' } : address ? { address } : {};
      return api.get('/desk/me/officer', query);
    }

    async function loadOfficer() {
      let card = null;
      let failure = null;
      if (canLocate()) {
        try {
          card = await findOfficer(await locate({ timeout: 8000 }));
        } catch (e) {
          failure = e;
        }
      }
      if (!card) {
        try {
          card = await findOfficer(null);
        } catch (e) {
          if (!alive) return;
          if (e.code === 'place_required' || e.status === 422) askAddress(failure ? failure.message : null);
          else showError(e.message);
          return;
        }
      }
      if (alive) showOfficer(card);
    }

    function showError(message) {
      officerBox.classList.remove('is-loading');
      replace(officerBox, h('p', { class: 'muted' }, message), h('button', { type: 'button', class: 'btn btn-ghost', onclick: loadOfficer }, '重试'));
    }

    function askAddress(why) {
      officerBox.classList.remove('is-loading');
      const input = h('input', { type: 'text', class: 'input', name: 'address', placeholder: '例如：丹东街道东门社区中街12号', 'aria-label': '住址' });
      const save = h('button', { type: 'submit', class: 'btn btn-primary' }, '查找');
      const err = h('p', { class: 'form-error', hidden: true });
      replace(
        officerBox,
        h('h2', { class: 'card-title' }, '我的社区民警'),
        h('p', { class: 'muted' }, why ? why + '。' : '', '填写住址（街道/社区），为您找到社区民警。'),
        h(
          'form',
          {
            class: 'inline-form',
            onsubmit: async (e) => {
              e.preventDefault();
              const address = input.value.trim();
              if (!address) return;
              await busy(
                save,
                '查找中…',
                async () => {
                  const card = await findOfficer(null, address);
                  ctx.setResident(await api.put('/desk/me', { address }));
                  showOfficer(card);
                },
                (e2) => {
                  replace(err, e2.message);
                  err.hidden = false;
                },
              );
            },
          },
          input,
          save,
        ),
        err,
      );
    }

    function showOfficer(card) {
      officerBox.classList.remove('is-loading');
      const tel = (number, label, primary) =>
        number ? h('a', { class: ['btn', primary ? 'btn-primary' : 'btn-ghost'], href: 'tel:' + number.replace(/[^\d+]/g, '') }, icon('phone'), label) : null;
      if (!card.user_id) {
        replace(
          officerBox,
          h('h2', { class: 'card-title' }, '我的社区民警'),
          h('p', null, (card.area || '您所在的辖区') + '暂未配置社区民警，您的诉求由', h('strong', null, card.station || '属地派出所'), '处理。'),
          h('div', { class: 'officer-actions' }, tel(card.station_phone, '派出所电话', true), h('a', { class: 'btn btn-ghost', href: '#/new?c=consultation' }, icon('chat'), '留言咨询')),
        );
        return;
      }
      replace(
        officerBox,
        h(
          'div',
          { class: 'officer-head' },
          h('div', { class: 'officer-avatar', 'aria-hidden': 'true' }, icon('shield')),
          h(
            'div',
            { class: 'officer-who' },
            h('p', { class: 'officer-role' }, '我的社区民警', h('span', { class: 'officer-matched' }, MATCHED_BY[card.matched_by] || '')),
            h('p', { class: 'officer-name' }, card.name, card.badge ? h('span', { class: 'officer-badge' }, '警号 ' + card.badge) : null),
            h('p', { class: 'officer-unit' }, [card.station, card.area].filter(Boolean).join(' · ')),
          ),
        ),
        h(
          'dl',
          { class: 'officer-facts' },
          card.office ? [h('dt', null, '警务室'), h('dd', null, card.office)] : null,
          card.hours ? [h('dt', null, '工作时间'), h('dd', null, card.hours)] : null,
          card.intro ? [h('dt', null, '简介'), h('dd', null, card.intro)] : null,
        ),
        h(
          'div',
          { class: 'officer-actions' },
          h('a', { class: 'btn btn-primary', href: '#/new?c=consultation&officer=' + encodeURIComponent(card.user_id) + '&to=' + encodeURIComponent(card.name || '') }, icon('chat'), '给民警留言'),
          tel(card.contact_phone || card.station_phone, card.contact_phone ? '电话联系' : '派出所电话', false),
        ),
      );
    }

    async function loadLatest() {
      try {
        const page = await api.get('/desk/requests', { limit: 1 });
        const r = page.items && page.items[0];
        if (!alive || !r) return;
        replace(
          latestBox,
          h('h2', { class: 'section-title' }, '最近的诉求'),
          h(
            'a',
            { class: 'card request-row', href: '#/requests/' + r.id },
            h('div', { class: 'row-top' }, h('span', { class: 'row-cat' }, r.category_name), statusChip(r), h('span', { class: 'row-when' }, when(r.created_at))),
            h('p', { class: 'row-text' }, r.excerpt || '（语音）'),
            r.unit ? h('p', { class: 'row-unit' }, '处理单位：' + r.unit) : null,
          ),
        );
        latestBox.hidden = false;
      } catch (e) {
        /* the list page shows errors */
      }
    }

    loadOfficer();
    loadLatest();
    return {
      destroy() {
        alive = false;
      },
    };
  },
};
