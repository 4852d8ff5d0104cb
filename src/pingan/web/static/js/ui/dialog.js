// Modal dialogs for actions: the API's refusal (409/422/403) is shown inside the dialog, which stays open.

import { h, icon, replace } from '../dom.js';

/**
 * modal({title, lead, content, actions: [{label, kind, onClick}], cancelLabel})
 * Each action's onClick may be async; while it runs every button is disabled. If it throws, its
 * message is shown in the dialog; if it returns anything but `false`, the dialog closes.
 * Returns {close, setError, element}.
 */
export function modal(opts) {
  const errorBox = h('div', { class: 'dlg-error', role: 'alert', hidden: true });
  const buttons = [];
  let busy = false;

  function setError(message) {
    replace(errorBox, message || '');
    errorBox.hidden = !message;
  }

  async function run(action) {
    if (busy) return;
    busy = true;
    setError('');
    buttons.forEach((b) => (b.disabled = true));
    const btn = buttons[opts.actions.indexOf(action)];
    if (btn) btn.classList.add('is-busy');
    try {
      const result = await action.onClick();
      if (result !== false) close();
    } catch (e) {
      setError((e && e.message) || '操作失败');
      if (e && e.field) {
        const input = dialog.querySelector('[name="' + e.field + '"]');
        if (input) input.focus();
      }
    } finally {
      busy = false;
      buttons.forEach((b) => (b.disabled = false));
      if (btn) btn.classList.remove('is-busy');
    }
  }

  for (const action of opts.actions || []) {
    buttons.push(
      h('button', { type: 'button', class: ['btn', action.kind ? 'btn-' + action.kind : null, action.cls], onclick: () => run(action) }, action.label),
    );
  }
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close() }, opts.cancelLabel || '取消');

  const dialog = h(
    'dialog',
    { class: ['dlg', opts.className], 'aria-label': opts.title },
    h(
      'form',
      {
        class: 'dlg-form',
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const actions = opts.actions || [];
          const primary = actions.find((a) => a.submit) || (actions.length === 1 ? actions[0] : null);
          if (primary) run(primary);
        },
      },
      h(
        'header',
        { class: 'dlg-head' },
        h('h2', null, opts.title),
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': '关闭', onclick: () => close() }, icon('close')),
      ),
      h('div', { class: 'dlg-body' }, opts.lead ? h('p', { class: 'dlg-lead' }, opts.lead) : null, opts.content || null, errorBox),
      h('footer', { class: 'dlg-foot' }, cancel, buttons),
    ),
  );

  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    if (dialog.parentNode) dialog.parentNode.removeChild(dialog);
    if (opts.onClose) opts.onClose();
  }

  function close() {
    if (dialog.open && typeof dialog.close === 'function') dialog.close(); // fires 'close' → finish
    finish();
  }

  dialog.addEventListener('cancel', (e) => {
    if (busy) e.preventDefault();
  });
  dialog.addEventListener('close', finish);
  document.body.appendChild(dialog);
  if (typeof dialog.showModal === 'function') dialog.showModal();
  else dialog.setAttribute('open', '');
  const first = dialog.querySelector('[autofocus], textarea, input, select');
  if (first) first.focus();
  return { close, setError, element: dialog };
}

/** A labelled form row. */
export function field(label, control, hint, required) {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hint ? h('span', { class: 'field-hint' }, hint) : null,
  );
}

/** Resolves true when confirmed. */
export function confirmDialog(title, message, confirmLabel, kind) {
  return new Promise((resolve) => {
    let answered = false;
    modal({
      title,
      lead: message,
      actions: [
        {
          label: confirmLabel || '确定',
          kind: kind || 'primary',
          onClick: () => {
            answered = true;
            resolve(true);
          },
        },
      ],
      onClose: () => {
        if (!answered) resolve(false);
      },
    });
  });
}

/** A short message at the bottom of the screen. */
export function toast(message, kind) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  const el = h('div', { class: ['toast', kind ? 'toast-' + kind : null] }, message);
  box.appendChild(el);
  setTimeout(() => el.classList.add('is-leaving'), 3200);
  setTimeout(() => el.parentNode && el.parentNode.removeChild(el), 3600);
}
