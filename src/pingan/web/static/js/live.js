// Things that change by themselves: deadline countdowns ticking every second, and polling.

import { serverNow } from './api.js';
import { fmtAgo, fmtCountdown, fmtDateTime } from './format.js';
import { h } from './dom.js';

const SOON_MS = 5 * 60 * 1000;

/**
 * A live countdown to `dueIso`. `overdue` (the server's view) forces the overdue style even if the
 * local estimate disagrees by a second. Returns a <span> that the ticker keeps up to date.
 */
export function countdown(dueIso, overdue, extraClass) {
  if (!dueIso) return h('span', { class: 'countdown is-none' }, '—');
  const el = h('span', {
    class: ['countdown', extraClass],
    dataset: { due: dueIso, overdue: overdue ? '1' : '' },
    title: '期限 ' + fmtDateTime(dueIso),
  });
  paintCountdown(el, serverNow());
  return el;
}

function paintCountdown(el, now) {
  const due = new Date(el.dataset.due).getTime();
  const left = due - now;
  const late = left < 0 || (el.dataset.overdue === '1' && left < 1000);
  const text = late && left >= 0 ? fmtCountdown(-1000) : fmtCountdown(left);
  if (el.textContent !== text) el.textContent = text;
  el.classList.toggle('is-overdue', late);
  el.classList.toggle('is-soon', !late && left < SOON_MS);
}

/** "3分钟前", kept fresh by the ticker. */
export function ago(iso) {
  const el = h('span', { class: 'ago', dataset: { since: iso }, title: fmtDateTime(iso) }, fmtAgo(iso, serverNow()));
  return el;
}

let tickerStarted = false;

/** One timer for the whole page: repaints every countdown and "ago" once a second. */
export function startTicker() {
  if (tickerStarted) return;
  tickerStarted = true;
  setInterval(() => {
    const now = serverNow();
    const dues = document.querySelectorAll('[data-due]');
    for (let i = 0; i < dues.length; i++) paintCountdown(dues[i], now);
    const agos = document.querySelectorAll('[data-since]');
    for (let i = 0; i < agos.length; i++) {
      const text = fmtAgo(agos[i].dataset.since, now);
      if (agos[i].textContent !== text) agos[i].textContent = text;
    }
  }, 1000);
}

/**
 * Call `fn` now and then every `intervalMs` after it finishes (never two at once).
 * `onError(err)` is told of failures; polling goes on, backing off to 30 s while they last.
 * Returns {stop(), refresh()}; refresh() polls at once.
 */
export function poll(fn, intervalMs, onError) {
  let stopped = false;
  let timer = null;
  let running = false;
  let again = false;
  let failures = 0;

  async function run() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = true;
    try {
      await fn();
      failures = 0;
    } catch (e) {
      failures += 1;
      if (onError) onError(e);
    } finally {
      running = false;
    }
    if (stopped) return;
    if (again) {
      again = false;
      run();
      return;
    }
    const wait = failures ? Math.min(30000, intervalMs * Math.pow(2, failures)) : intervalMs;
    timer = setTimeout(run, wait);
  }

  run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    refresh: run,
  };
}
