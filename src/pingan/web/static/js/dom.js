// A tiny DOM builder. Text always goes in through text nodes, so data is never parsed as HTML.

const BOOLEAN_PROPS = new Set(['disabled', 'hidden', 'checked', 'required', 'selected', 'readOnly', 'multiple', 'open']);
const VALUE_PROPS = new Set(['value', 'htmlFor', 'tabIndex', 'type', 'name', 'placeholder', 'min', 'max', 'step']);

/**
 * h('div', {class: 'row', onclick: fn, dataset: {id: 3}}, 'text', child, [more, children])
 * Strings and numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) setProps(el, props);
  append(el, children);
  return el;
}

export function setProps(el, props) {
  for (const key of Object.keys(props)) {
    const value = props[key];
    if (value === undefined || value === null) continue;
    if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'dataset') {
      for (const k of Object.keys(value)) el.dataset[k] = String(value[k]);
    } else if (key === 'style') {
      for (const k of Object.keys(value)) {
        if (k.startsWith('--')) el.style.setProperty(k, value[k]);
        else el.style[k] = value[k];
      }
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (BOOLEAN_PROPS.has(key)) {
      el[key] = Boolean(value);
    } else if (VALUE_PROPS.has(key)) {
      el[key] = value;
    } else if (value !== false) {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return append(el, children);
}

/** An icon from the <template id="icons"> in index.html. */
export function icon(name, cls) {
  const tpl = document.getElementById('icons');
  const src = tpl && tpl.content.querySelector('[data-icon="' + name + '"]');
  if (!src) return document.createElement('span');
  const svg = src.cloneNode(true);
  svg.setAttribute('class', 'icon' + (cls ? ' ' + cls : ''));
  return svg;
}

/** Radio-like segmented buttons. options: [{value, label, cls}]; onChange(value). */
export function segmented(options, current, onChange, label) {
  const group = h('div', { class: 'seg', role: 'group', 'aria-label': label || null });
  const buttons = options.map((opt) =>
    h(
      'button',
      {
        type: 'button',
        class: ['seg-btn', opt.cls, opt.value === current && 'is-on'],
        'aria-pressed': String(opt.value === current),
        onclick: () => {
          for (const b of buttons) {
            const on = b === buttons[options.indexOf(opt)];
            b.classList.toggle('is-on', on);
            b.setAttribute('aria-pressed', String(on));
          }
          onChange(opt.value);
        },
      },
      opt.label,
    ),
  );
  append(group, buttons);
  // Set from outside (the route changed: back button, a shared link) without calling onChange.
  group.setValue = (value) => {
    buttons.forEach((b, i) => {
      const on = options[i].value === value;
      b.classList.toggle('is-on', on);
      b.setAttribute('aria-pressed', String(on));
    });
  };
  return group;
}

/** <select> from [{value, label}]. */
export function select(options, current, onChange, props) {
  const el = h(
    'select',
    Object.assign({ onchange: () => onChange(el.value) }, props || {}),
    options.map((o) => h('option', { value: String(o.value), selected: String(o.value) === String(current) }, o.label)),
  );
  return el;
}

/**
 * A keyed list that rebuilds an item's element only when its signature changes, so polling does
 * not disturb focus, hover or scroll. Returns update(items).
 */
export function keyedList(container, key, sig, render) {
  const cache = new Map();
  return function update(items) {
    const els = items.map((item) => {
      const k = key(item);
      const s = sig(item);
      const hit = cache.get(k);
      if (hit && hit.sig === s) return hit.el;
      const el = render(item);
      cache.set(k, { sig: s, el });
      return el;
    });
    const keep = new Set(els);
    Array.from(container.children).forEach((el) => {
      if (!keep.has(el)) container.removeChild(el);
    });
    let cursor = container.firstChild;
    for (const el of els) {
      if (cursor === el) cursor = cursor.nextSibling;
      else container.insertBefore(el, cursor);
    }
    if (cache.size > items.length * 2 + 50) {
      const live = new Set(items.map(key));
      Array.from(cache.keys()).forEach((k) => live.has(k) || cache.delete(k));
    }
    return els;
  };
}
