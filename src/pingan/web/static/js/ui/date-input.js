// Date and date-and-time fields that read and show YYYY-MM-DD (HH:mm) in Shanghai time whatever the
// browser's locale: text fields checked against format.js's parsers, tidied to the canonical form on leaving,
// with the message in Chinese. Read them with parseDateInput / parseDateTimeInput.

import { h } from '../dom.js';
import { dateTimeInputValue, parseDateInput, parseDateTimeInput } from '../format.js';

function pad(n) {
  return n < 10 ? '0' + n : String(n);
}

function field(props, withTime) {
  const placeholder = withTime ? 'YYYY-MM-DD HH:mm' : 'YYYY-MM-DD';
  const message = withTime ? '请按“年-月-日 时:分”填写，如 2026-05-01 14:30' : '请按“年-月-日”填写，如 2026-05-01';
  const input = h('input', Object.assign({ type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder, maxlength: withTime ? 19 : 11 }, props, {
    class: ['input-date', withTime ? 'input-datetime' : null, props && props.class].filter(Boolean).join(' '),
  }));
  input.dataset.format = placeholder;
  function check(tidy) {
    const raw = input.value.trim();
    if (!raw) {
      input.setCustomValidity('');
      return;
    }
    if (withTime) {
      const iso = parseDateTimeInput(raw);
      input.setCustomValidity(iso ? '' : message);
      if (iso && tidy) input.value = dateTimeInputValue(iso);
    } else {
      const d = parseDateInput(raw);
      input.setCustomValidity(d ? '' : message);
      if (d && tidy) input.value = d.y + '-' + pad(d.m) + '-' + pad(d.d);
    }
  }
  input.addEventListener('input', () => check(false));
  input.addEventListener('change', () => check(true));
  input.addEventListener('blur', () => check(true));
  if (input.value) check(true);
  return input;
}

/** A date field: its value is YYYY-MM-DD (parseDateInput reads it). */
export function dateInput(props) {
  return field(props || {}, false);
}

/** A date-and-time field in Shanghai time: YYYY-MM-DD HH:mm (parseDateTimeInput reads it as ISO +08:00). */
export function dateTimeInput(props) {
  return field(props || {}, true);
}
