// Small pieces shared by the resident screens: toasts, chips, stars, busy buttons, times.

import { h, icon, replace } from '../../js/dom.js';
import { fmtAgo, fmtShort } from '../../js/format.js';
import { category, statusOf } from './labels.js';

/** A short message at the bottom of the screen. */
export function toast(message, kind) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  const el = h('div', { class: ['toast', kind && 'toast-' + kind] }, message);
  box.appendChild(el);
  setTimeout(() => el.classList.add('is-leaving'), 2800);
  setTimeout(() => el.parentNode && el.parentNode.removeChild(el), 3200);
}

export function statusChip(request) {
  const s = statusOf(request);
  return h('span', { class: ['chip', 'st-' + s.tone] }, s.name);
}

export function categoryChip(value) {
  const c = category(value);
  return h('span', { class: ['cat-chip', 'tone-' + c.tone] }, icon(c.icon), c.name);
}

/** "刚刚" / "3分钟前" for recent times, else the short date. */
export function when(iso) {
  const t = Date.parse(iso);
  if (isNaN(t)) return '';
  return Date.now() - t < 86400000 ? fmtAgo(iso) : fmtShort(iso);
}

/** Run `fn` with the button disabled and showing `busyLabel`; errors go to `onError` (default: a toast). */
export async function busy(button, busyLabel, fn, onError) {
  if (button.disabled) return undefined;
  const label = Array.from(button.childNodes);
  button.disabled = true;
  button.classList.add('is-busy');
  replace(button, busyLabel);
  try {
    return await fn();
  } catch (e) {
    if (onError) onError(e);
    else toast((e && e.message) || '操作失败', 'error');
    return undefined;
  } finally {
    button.disabled = false;
    button.classList.remove('is-busy');
    replace(button, label);
  }
}

/** Five stars to choose from; onChange(n). Returns {el, value()}. */
export function starPicker(onChange) {
  let value = 0;
  const names = ['很不满意', '不满意', '一般', '满意', '非常满意'];
  const caption = h('span', { class: 'stars-caption' }, '请为答复打分');
  const buttons = [1, 2, 3, 4, 5].map((n) =>
    h(
      'button',
      {
        type: 'button',
        class: 'star',
        'aria-label': n + '星 ' + names[n - 1],
        'aria-pressed': 'false',
        onclick: () => {
          value = n;
          buttons.forEach((b, i) => {
            b.classList.toggle('is-on', i < n);
            b.setAttribute('aria-pressed', String(i < n));
          });
          replace(caption, names[n - 1]);
          if (onChange) onChange(n);
        },
      },
      icon('star'),
    ),
  );
  return { el: h('div', { class: 'stars', role: 'group', 'aria-label': '评分' }, buttons, caption), value: () => value };
}

export function starsShown(n) {
  return h(
    'span',
    { class: 'stars-shown', 'aria-label': n + '星' },
    [1, 2, 3, 4, 5].map((i) => h('span', { class: ['star-s', i <= n && 'is-on'] }, icon('star'))),
  );
}

export function emptyState(title, text, action) {
  return h('div', { class: 'empty' }, icon('shield', 'empty-icon'), h('p', { class: 'empty-title' }, title), text ? h('p', { class: 'empty-text' }, text) : null, action || null);
}

/** "丹东派出所 王警官", without saying the unit twice when the name already starts with it. */
export function who(unit, person) {
  if (!person) return unit || '';
  if (!unit || person.indexOf(unit) === 0) return person;
  return unit + ' ' + person;
}

/** The 110 notice: a big red call button. */
export function call110(lead) {
  return h(
    'div',
    { class: 'call110', role: 'alert' },
    h('div', { class: 'call110-text' }, h('strong', null, '紧急情况请立即拨打', h('span', { class: 'nowrap' }, '110')), h('span', null, lead || '本页面不能代替报警电话，民警会尽快与您联系。')),
    h('a', { class: 'call110-btn', href: 'tel:110' }, icon('phone'), '拨打 110'),
  );
}
