// One of my requests: its state, who handles it (the department when it was diverted), the conversation
// with the officer's replies, my photos and voice notes, a follow-up, and the rating once answered.

import { h, icon, replace } from '../../../js/dom.js';
import { fmtDateTime } from '../../../js/format.js';
import { poll } from '../../../js/live.js';
import { api } from '../api.js';
import { busy, call110, categoryChip, starPicker, starsShown, statusChip, toast, when, who } from '../ui.js';

const POLL_MS = 8000;

export default {
  title: '诉求详情',
  back: true,
  mount(root, ctx, params) {
    const id = Number(params.id);
    let last = '';
    let draft = null; // the follow-up being written survives a poll
    const body = h('div', { class: 'request-view' }, h('p', { class: 'muted center' }, '正在加载……'));
    replace(root, body);

    function handlerLine(r) {
      const name = who(r.handler.unit, r.handler.officer);
      if (r.handler.route === 'governance') {
        return h('div', { class: 'handler is-diverted' }, h('span', { class: 'handler-label' }, '已分流至'), h('strong', { class: 'handler-who' }, name || '属地治理部门'), h('span', { class: 'handler-note' }, '非警务事项由该部门处理'));
      }
      if (r.handler.route === 'triage' && !r.first_reply_at) {
        return h('div', { class: 'handler' }, h('span', { class: 'handler-label' }, '处理单位'), h('strong', { class: 'handler-who' }, '情指中心研判中'));
      }
      return h('div', { class: 'handler' }, h('span', { class: 'handler-label' }, '处理单位'), h('strong', { class: 'handler-who' }, name || '属地派出所'));
    }

    function message(m) {
      if (m.author === 'system') return h('div', { class: 'msg msg-system' }, h('p', null, m.body), h('span', { class: 'msg-time' }, when(m.at)));
      const mine = m.author === 'resident';
      return h(
        'div',
        { class: ['msg', mine ? 'msg-mine' : 'msg-staff'] },
        mine ? null : h('div', { class: 'msg-avatar', 'aria-hidden': 'true' }, icon('shield')),
        h(
          'div',
          { class: 'msg-bubble' },
          mine ? null : h('p', { class: 'msg-who' }, who(m.unit, m.author_name)),
          h('p', { class: 'msg-body' }, m.body),
          h('span', { class: 'msg-time', title: fmtDateTime(m.at) }, when(m.at)),
        ),
      );
    }

    function mediaBlock(media) {
      if (!media.length) return null;
      return h(
        'div',
        { class: 'media' },
        media.map((m) =>
          m.kind === 'image'
            ? h('a', { class: 'media-photo', href: m.url, target: '_blank', rel: 'noopener' }, h('img', { src: m.url, alt: m.filename || '照片', loading: 'lazy' }))
            : h('div', { class: 'voice' }, icon('mic', 'voice-icon'), h('audio', { src: m.url, controls: true, preload: 'none' })),
        ),
      );
    }

    function ratingBlock(r) {
      if (r.rating) {
        return h('section', { class: 'card rated' }, h('h2', { class: 'card-title' }, '我的评价'), starsShown(r.rating), r.rating_comment ? h('p', { class: 'muted' }, r.rating_comment) : null);
      }
      if (!r.can_rate) return null;
      const comment = h('textarea', { class: 'input', rows: '2', maxlength: '500', name: 'comment', placeholder: '说说您的感受（选填）', 'aria-label': '评价内容' });
      const submit = h('button', { type: 'button', class: 'btn btn-primary btn-block', disabled: true }, '提交评价');
      const stars = starPicker(() => {
        submit.disabled = false;
      });
      submit.addEventListener('click', () =>
        busy(submit, '提交中……', async () => {
          const updated = await api.post('/desk/requests/' + id + '/rate', { rating: stars.value(), comment: comment.value.trim() || null });
          toast('感谢您的评价', 'ok');
          show(updated, true);
        }),
      );
      const title = r.handler.route === 'governance' ? '已有答复，请您评价处理结果' : '民警已答复，请您评价';
      return h('section', { class: 'card rate-card' }, h('h2', { class: 'card-title' }, title), stars.el, comment, submit);
    }

    function followUp(r) {
      if (r.closed_at || r.merged_into_id) return null;
      const input = draft || h('textarea', { class: 'input', rows: '2', maxlength: '2000', name: 'follow_up', placeholder: r.first_reply_at ? '还有疑问？继续追问' : '补充说明', 'aria-label': '追问' });
      draft = input;
      const send = h('button', { type: 'button', class: 'btn btn-primary send-btn', 'aria-label': '发送' }, icon('send'));
      send.addEventListener('click', () => {
        const text = input.value.trim();
        if (!text) return;
        busy(send, '…', async () => {
          const updated = await api.post('/desk/requests/' + id + '/messages', { body: text });
          input.value = '';
          show(updated, true);
        });
      });
      return h('div', { class: 'follow-up' }, input, send);
    }

    function show(r, force) {
      const sig = JSON.stringify(r);
      if (!force && sig === last) return;
      last = sig;
      ctx.setTitle('诉求 #' + r.id, true);
      const closed = Boolean(r.closed_at);
      replace(
        body,
        r.call_110 ? call110('如情况仍在发生，请立即拨打110。') : null,
        h(
          'section',
          { class: 'card request-head' },
          h('div', { class: 'row-top' }, categoryChip(r.category), r.topic_name ? h('span', { class: 'topic-chip' }, r.topic_name) : null, statusChip(r)),
          h('p', { class: 'request-text' }, r.text || '（语音）'),
          mediaBlock(r.media),
          h('p', { class: 'request-meta' }, '提交于 ' + fmtDateTime(r.created_at), r.address ? ' · ' + r.address : r.station ? ' · ' + r.station : ''),
          handlerLine(r),
          r.notice && !r.call_110 ? h('p', { class: 'notice' }, r.notice) : null,
          !closed && r.reply_due_at && !r.first_reply_at ? h('p', { class: 'due' }, '预计 ' + fmtDateTime(r.reply_due_at).slice(5, 16) + ' 前答复') : null,
          r.merged_into_id ? h('p', { class: 'notice' }, '您的诉求与同类诉求合并处理，答复会同步显示在这里。') : null,
        ),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, '处理进度'), h('div', { class: 'thread' }, r.messages.map(message))),
        ratingBlock(r),
        followUp(r),
      );
    }

    const poller = poll(
      async () => {
        const r = await api.get('/desk/requests/' + id);
        // Do not redraw while the resident is typing or choosing stars.
        const active = document.activeElement;
        if (last && active && body.contains(active) && (active.tagName === 'TEXTAREA' || active.classList.contains('star'))) return;
        show(r, false);
      },
      POLL_MS,
      (e) => {
        if (!last) replace(body, h('p', { class: 'muted center' }, e.message));
      },
    );
    return {
      destroy() {
        poller.stop();
      },
    };
  },
};
