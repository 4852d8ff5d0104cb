// 短信退订登记: staff record a resident's wish, told by phone or in person, to stop (or receive again) the
// anti-fraud campaign texts (宣传短信). Messages about the person's own request or case are not affected.

import { api } from '../api.js';
import { h } from '../dom.js';
import { field, modal } from './dialog.js';

export const OPT_OUT_ROLES = ['admin', 'analyst', 'commander', 'station_head', 'officer'];

/** The dialog; `done(state)` is called with the phone's state (masked) after it was recorded. */
export function optOutDialog(ctx, done) {
  const phone = h('input', { type: 'tel', name: 'phone', inputmode: 'tel', maxlength: 32, placeholder: '群众的手机号码', required: true });
  const out = h('input', { type: 'radio', name: 'opted_out', value: 'true', checked: true });
  const back = h('input', { type: 'radio', name: 'opted_out', value: 'false' });
  const note = h('input', { type: 'text', name: 'note', maxlength: 200, placeholder: '如：群众来电要求（选填）' });
  modal({
    title: '短信退订登记',
    lead: '按群众本人要求登记：退订后不再向该号码发送反诈宣传短信；与其本人诉求、案件有关的通知和登录验证码照常发送。',
    className: 'dlg-opt-out',
    content: [
      field('手机号码', phone, null, true),
      h(
        'div',
        { class: 'choice-list' },
        h('label', { class: 'choice' }, out, h('span', { class: 'choice-text' }, '退订宣传短信')),
        h('label', { class: 'choice' }, back, h('span', { class: 'choice-text' }, '恢复接收')),
      ),
      field('说明', note),
    ],
    actions: [
      {
        label: '登记',
        kind: 'primary',
        submit: true,
        onClick: async () => {
          const value = phone.value.trim();
          if (!value) {
            const e = new Error('请填写手机号码');
            e.field = 'phone';
            throw e;
          }
          const body = { phone: value, opted_out: out.checked };
          if (note.value.trim()) body.note = note.value.trim();
          const state = await api.post('/sms/opt-outs', body);
          const what = state.opted_out ? '已退订宣传短信' : '已恢复接收宣传短信';
          ctx.toast(state.phone + (state.changed ? ' ' + what : ' 原本就' + (state.opted_out ? '已退订' : '在接收')), 'ok');
          if (done) done(state);
        },
      },
    ],
  });
}
