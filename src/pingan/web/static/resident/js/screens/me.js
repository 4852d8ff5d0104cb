// 我的: my phone, where I live (for my officer and local alerts), who I am (for targeted alerts), whether I
// receive the anti-fraud campaign texts (退订 / 恢复), sign out.

import { h, icon, replace } from '../../../js/dom.js';
import { navigate } from '../../../js/router.js';
import { api } from '../api.js';
import { clearSession } from '../session.js';
import { TAGS } from '../labels.js';
import { busy, toast } from '../ui.js';

export default {
  title: '我的',
  mount(root, ctx) {
    const r = ctx.resident || {};
    const address = h('input', { type: 'text', class: 'input', name: 'address', maxlength: '255', value: r.address || '', placeholder: '街道/社区/门牌', 'aria-label': '住址' });
    const tags = Object.keys(TAGS).map((tag) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'tags', value: tag, checked: (r.tags || []).indexOf(tag) >= 0 }), TAGS[tag]),
    );
    const place = h('p', { class: 'muted' }, [r.station, r.community].filter(Boolean).join(' · ') || '尚未确定所属社区');
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '保存');
    const smsBox = h('input', { type: 'checkbox', name: 'campaign_sms', disabled: true });
    const smsNote = h('p', { class: 'field-hint sms-note' }, '正在读取……');
    function showSms(state) {
      smsBox.checked = !state.opted_out;
      smsBox.disabled = false;
      replace(smsNote, state.opted_out ? '已退订反诈宣传短信。与您本人诉求、报案有关的通知和登录验证码仍会发送。' : '接收反诈宣传短信（公安机关发布的防骗提醒）。也可回复 TD 退订。');
    }
    api
      .get('/sms/me')
      .then(showSms)
      .catch((e) => replace(smsNote, e.message));
    smsBox.addEventListener('change', async () => {
      const wanted = smsBox.checked;
      smsBox.disabled = true;
      try {
        const state = await api.put('/sms/me', { opted_out: !wanted });
        showSms(state);
        toast(state.opted_out ? '已退订反诈宣传短信' : '已恢复接收反诈宣传短信', 'ok');
      } catch (e) {
        smsBox.checked = !wanted;
        smsBox.disabled = false;
        toast(e.message, 'error');
      }
    });
    replace(
      root,
      h('section', { class: 'card me-head' }, h('div', { class: 'officer-avatar' }, icon('user')), h('div', null, h('p', { class: 'me-phone' }, r.phone || ''), place)),
      h(
        'form',
        {
          class: 'card',
          onsubmit: async (e) => {
            e.preventDefault();
            await busy(save, '保存中……', async () => {
              const chosen = tags.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
              const updated = await api.put('/desk/me', { address: address.value.trim() || null, tags: chosen });
              ctx.setResident(updated);
              replace(place, [updated.station, updated.community].filter(Boolean).join(' · ') || '尚未确定所属社区');
              toast('已保存', 'ok');
            });
          },
        },
        h('h2', { class: 'card-title' }, '住址'),
        address,
        h('p', { class: 'field-hint' }, '用于查找您的社区民警和接收本地提醒。'),
        h('h2', { class: 'card-title' }, '身份（用于精准提醒）'),
        h('div', { class: 'checks' }, tags),
        save,
      ),
      h(
        'section',
        { class: 'card me-sms' },
        h('h2', { class: 'card-title' }, '短信提醒'),
        h('label', { class: 'check' }, smsBox, '接收反诈宣传短信'),
        smsNote,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-ghost btn-block',
          onclick: () => {
            clearSession();
            navigate('/login', null, true);
          },
        },
        '退出登录',
      ),
      h('p', { class: 'muted center small' }, '平安E警通 · 紧急情况请拨打 ', h('a', { href: 'tel:110' }, '110'), ' · 反诈专线 ', h('a', { href: 'tel:96110' }, '96110')),
    );
    return { destroy() {} };
  },
};
