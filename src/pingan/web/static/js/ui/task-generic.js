// Any task kind from its own declaration: the kind's name, its status and outcome names, its facts (each
// named by its workflow) and the person's actions with the fields each asks for (GET /tasks/{id} →
// `facts`, `actions`). The dissuasion keeps its ladder panel (case-view.js); every other kind is drawn here.

import { api } from '../api.js';
import { h } from '../dom.js';
import { dateInputValue, fmtDateTime, parseDateInput, parseDateTimeInput } from '../format.js';
import { field, modal, toast } from './dialog.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
// Assigning picks a person: the dispatch screen does it with the unit's staff list.
const ELSEWHERE = ['assign'];

/** A fact's value as a person reads it: an ISO time in Shanghai's wall clock, the rest as the server said. */
export function factText(value) {
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (typeof value === 'string' && ISO_TIME.test(value)) return fmtDateTime(value);
  if (Array.isArray(value)) return value.join('、');
  return value === null || value === undefined || value === '' ? '—' : String(value);
}

/** The facts as dt/dd pairs for a `kv` list. */
export function factRows(task) {
  return (task.facts || []).map((f) => [h('dt', null, f.name), h('dd', { class: 'fact-' + f.key }, factText(f.value))]);
}

/** The actions this person may take now, as the server declared them, leaving out those done elsewhere. */
export function genericActions(task) {
  return (task.actions || []).filter((a) => a.generic && ELSEWHERE.indexOf(a.action) < 0);
}

/** Whether some of the person's actions need the kind's own screen (an id to pick, a choice of codes). */
export function actionsElsewhere(task) {
  return (task.actions || []).some((a) => !a.generic && ELSEWHERE.indexOf(a.action) < 0);
}

function inputFor(f) {
  const attrs = { name: f.name, 'aria-label': f.label };
  if (f.required) attrs.required = true;
  if (f.type === 'boolean') return h('input', Object.assign({ type: 'checkbox' }, attrs));
  if (f.type === 'number') return h('input', Object.assign({ type: 'number', class: 'input', min: f.ge, max: f.le, step: 1, value: f.required ? '' : '0' }, attrs));
  if (f.type === 'date') return h('input', Object.assign({ type: 'text', class: 'input', placeholder: 'YYYY-MM-DD' }, attrs));
  if (f.type === 'datetime') return h('input', Object.assign({ type: 'text', class: 'input', placeholder: 'YYYY-MM-DD HH:mm' }, attrs));
  if ((f.max_length || 0) > 200) return h('textarea', Object.assign({ rows: 3, maxlength: f.max_length }, attrs));
  return h('input', Object.assign({ type: 'text', class: 'input', maxlength: f.max_length }, attrs));
}

function fieldError(message, name) {
  return Object.assign(new Error(message), { field: name });
}

/** The body of an action from its form, checked as the payload is (required, numbers, dates). */
function bodyOf(action, inputs) {
  const body = { action: action.action };
  for (const f of action.fields) {
    const el = inputs[f.name];
    if (f.type === 'boolean') {
      body[f.name] = el.checked;
      continue;
    }
    const raw = (el.value || '').trim();
    if (!raw) {
      if (f.required) throw fieldError('请填写' + f.label, f.name);
      continue;
    }
    if (f.type === 'number') {
      const n = Number(raw);
      if (!Number.isInteger(n) || (f.ge !== undefined && n < f.ge) || (f.le !== undefined && n > f.le)) throw fieldError(f.label + '须为整数' + (f.ge !== undefined ? '（不小于' + f.ge + '）' : ''), f.name);
      body[f.name] = n;
    } else if (f.type === 'date' || f.type === 'datetime') {
      const d = f.type === 'date' ? parseDateInput(raw) : null;
      const v = f.type === 'date' ? d && dateInputValue(d.y, d.m, d.d) : parseDateTimeInput(raw);
      if (!v) throw fieldError(f.label + '请按 ' + (f.type === 'date' ? 'YYYY-MM-DD' : 'YYYY-MM-DD HH:mm') + ' 填写', f.name);
      body[f.name] = v;
    } else {
      body[f.name] = raw;
    }
  }
  return body;
}

/** A dialog for one declared action: its fields (required first), posted to the one task API. */
export function runGenericAction(task, action, done) {
  const inputs = {};
  // Required fields first, the note (every payload has one) last.
  const rank = (f) => (f.required ? 0 : f.name === 'note' ? 2 : 1);
  const fields = action.fields.slice().sort((a, b) => rank(a) - rank(b));
  const content = h(
    'div',
    { class: 'form-grid generic-action' },
    fields.map((f) => {
      inputs[f.name] = inputFor(f);
      return field(f.label, inputs[f.name], f.hint || null, f.required);
    }),
  );
  modal({
    title: action.name + '：' + (task.title || task.kind_name + ' #' + task.id),
    content,
    actions: [
      {
        label: '确认' + action.name,
        kind: action.action === 'close' ? 'danger' : 'primary',
        submit: true,
        onClick: async () => {
          const body = bodyOf(action, inputs);
          const updated = await api.post('/tasks/' + task.id + '/actions', body);
          toast(action.name + '：已记录', 'ok');
          done(updated);
        },
      },
    ],
  });
}
