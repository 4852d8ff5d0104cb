// Sign-in: a mobile number and the one-time code texted to it. A new number is registered on the spot.

import { h, icon, replace } from '../../../js/dom.js';
import { api } from '../api.js';
import { saveSession } from '../session.js';
import { busy } from '../ui.js';

const PHONE_RE = /^1[3-9]\d{9}$/;

function normalise(raw) {
  return String(raw || '')
    .replace(/[\s\-()]/g, '')
    .replace(/^\+?86/, '');
}

export function mountLogin(root, message, onDone) {
  let cooldown = 0;
  let timer = null;
  const phone = h('input', {
    type: 'tel',
    name: 'phone',
    inputmode: 'numeric',
    autocomplete: 'tel',
    maxlength: '16',
    placeholder: '请输入手机号码',
    class: 'input input-lg',
    'aria-label': '手机号码',
  });
  const code = h('input', {
    type: 'text',
    name: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    maxlength: '8',
    placeholder: '短信验证码',
    class: 'input input-lg',
    'aria-label': '验证码',
  });
  const sendBtn = h('button', { type: 'button', class: 'btn btn-ghost send-code', onclick: send }, '获取验证码');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg' }, '登录');
  const note = h('p', { class: 'login-note', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: !message }, message || '');
  const form = h(
    'form',
    { class: 'login-form', novalidate: true, onsubmit: verify },
    h('label', { class: 'login-field' }, icon('phone', 'field-icon'), phone),
    h('div', { class: 'login-field' }, icon('shield', 'field-icon'), code, sendBtn),
    note,
    error,
    submit,
    h('p', { class: 'login-terms' }, '未注册的手机号验证后自动注册。民警不会向您索要验证码。'),
  );
  replace(
    root,
    h(
      'div',
      { class: 'login' },
      h(
        'div',
        { class: 'login-hero' },
        h('div', { class: 'login-badge' }, icon('shield')),
        h('h1', null, '平安E警通'),
        h('p', null, '掌上警务室 · 警民零距离'),
      ),
      h('div', { class: 'login-card' }, h('h2', null, '手机号登录'), form),
      h('div', { class: 'login-110' }, '紧急情况请直接拨打 ', h('a', { href: 'tel:110' }, '110')),
    ),
  );

  function showError(text) {
    replace(error, text || '');
    error.hidden = !text;
  }

  function tick() {
    cooldown -= 1;
    if (cooldown <= 0) {
      clearInterval(timer);
      sendBtn.disabled = false;
      replace(sendBtn, '重新获取');
    } else {
      sendBtn.disabled = true;
      replace(sendBtn, cooldown + '秒后重发');
    }
  }

  function startCooldown(seconds) {
    clearInterval(timer);
    cooldown = seconds + 1;
    tick();
    timer = setInterval(tick, 1000);
  }

  async function send() {
    const number = normalise(phone.value);
    if (!PHONE_RE.test(number)) {
      showError('请输入11位手机号码');
      phone.focus();
      return;
    }
    showError('');
    await busy(
      sendBtn,
      '发送中…',
      async () => {
        const sent = await api.sendCode(number);
        const minutes = Math.max(1, Math.round((sent.expires_in || 300) / 60));
        const parts = ['验证码已发送至 ' + number.slice(0, 3) + '****' + number.slice(7) + '，' + minutes + '分钟内有效。'];
        // A development server may return the code itself (no SMS gateway in the demo).
        if (sent.dev_code) parts.push('演示环境验证码：' + sent.dev_code);
        replace(note, parts.join(' '));
        note.classList.toggle('is-demo', Boolean(sent.dev_code));
        code.focus();
        startCooldown(typeof sent.retry_after === 'number' ? sent.retry_after : 60);
      },
      (e) => {
        showError(e.message);
        if (e.retryAfter) startCooldown(e.retryAfter);
      },
    );
    if (cooldown > 0) {
      sendBtn.disabled = true;
      replace(sendBtn, cooldown + '秒后重发');
    }
  }

  async function verify(e) {
    e.preventDefault();
    const number = normalise(phone.value);
    if (!PHONE_RE.test(number)) {
      showError('请输入11位手机号码');
      phone.focus();
      return;
    }
    if (!/^\d{4,8}$/.test(code.value.trim())) {
      showError('请输入短信验证码');
      code.focus();
      return;
    }
    showError('');
    await busy(
      submit,
      '登录中…',
      async () => {
        const token = await api.verify(number, code.value.trim());
        saveSession(token.access_token, token.expires_at, token.resident);
        clearInterval(timer);
        onDone();
      },
      (err) => {
        showError(err.message);
        if (err.field === 'code') code.select();
      },
    );
  }

  phone.focus();
}
