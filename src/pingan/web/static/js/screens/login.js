// 登录: OAuth2 password form → bearer token in sessionStorage.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { saveSession, takeFlash } from '../session.js';

/** Render the log-in page into `root`; `onLogin(user)` after success. */
export function mountLogin(root, onLogin) {
  const flash = takeFlash();
  const username = h('input', { name: 'username', type: 'text', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'off' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('div', { class: 'login-error', role: 'alert', hidden: !flash }, flash || '');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '登录');

  async function onSubmit(e) {
    e.preventDefault();
    const u = username.value.trim();
    if (!u || !password.value) {
      replace(error, !u ? '请输入用户名' : '请输入密码');
      error.hidden = false;
      (!u ? username : password).focus();
      return;
    }
    submit.disabled = true;
    replace(submit, '正在登录……');
    error.hidden = true;
    try {
      const token = await api.login(u, password.value);
      saveSession(token.access_token, token.user, token.expires_at);
      onLogin(token.user);
    } catch (err) {
      replace(error, err.message || '登录失败');
      error.hidden = false;
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
      replace(submit, '登录');
    }
  }

  replace(
    root,
    h(
      'main',
      { class: 'login' },
      h(
        'form',
        { class: 'login-card', onsubmit: onSubmit, novalidate: true },
        h('div', { class: 'login-brand' }, icon('shield', 'brand-icon'), h('div', null, h('h1', null, '平安'), h('p', null, '县域公安闭环平台'))),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, '用户名'), username),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, '密码'), password),
        error,
        submit,
        h('p', { class: 'login-foot' }, '仅限公安信息网内使用 · 所有操作全程留痕'),
      ),
    ),
  );
  username.focus();
}
