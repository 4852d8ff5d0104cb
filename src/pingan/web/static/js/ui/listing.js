// What every back-office list shares: its filters live in the URL (shareable, the back button works), the
// server's true total with real pages, export to CSV / XLSX from the server (same filters, same scope, masked
// as shown; the server records the export), and printing.

import { ApiError, request } from '../api.js';
import { h, replace } from '../dom.js';
import { navigate } from '../router.js';
import { getToken } from '../session.js';

/** The filters of a list from the route's query, with defaults; numbers stay strings as typed. */
export function filtersFrom(query, defaults) {
  const out = Object.assign({}, defaults || {});
  Object.keys(query || {}).forEach((k) => {
    if (query[k] !== '') out[k] = query[k];
  });
  return out;
}

/** Put a list's filters in the URL: a new history entry, so the back button returns to the previous ones. */
export function pushFilters(path, filters) {
  const clean = {};
  Object.keys(filters).forEach((k) => {
    const v = filters[k];
    if (v !== undefined && v !== null && v !== '' && v !== false) clean[k] = v;
  });
  navigate(path, clean);
}

/**
 * pager({limit, onPage(offset)}) → {el, set(total, offset, shown)}
 * "共 N 条 · 第 x / y 页" with previous and next, from the server's total.
 */
export function pager(opts) {
  const counter = h('span', { class: 'muted pager-count', 'data-role': 'total' });
  let offset = 0;
  let total = 0;
  const prev = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => opts.onPage(Math.max(0, offset - opts.limit)) }, '上一页');
  const next = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => opts.onPage(offset + opts.limit) }, '下一页');
  const el = h('div', { class: 'pager no-print' }, counter, h('span', { class: 'grow' }), prev, next);
  return {
    el,
    set(t, o, shown) {
      total = t;
      offset = o;
      const pages = Math.max(1, Math.ceil(total / opts.limit));
      const at = Math.floor(offset / opts.limit) + 1;
      replace(counter, '共 ' + total + ' 条 · 第 ' + at + ' / ' + pages + ' 页');
      counter.dataset.total = String(total);
      prev.disabled = offset === 0;
      next.disabled = offset + shown >= total;
    },
  };
}

function filename(res, fallback) {
  const header = res.headers.get('content-disposition') || '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch (e) {
      /* fall through */
    }
  }
  const plain = /filename="([^"]+)"/i.exec(header);
  return plain ? plain[1] : fallback;
}

/** Download `/api/v1/exports/<name>` in a format, with the list's query; the token goes in the header.
 * Resolves to the number of rows the server wrote (its X-Export-Rows) and whether it cut the list short. */
export async function download(name, format, query) {
  return downloadFile('/exports/' + name, Object.assign({ format }, query || {}), name + '.' + format);
}

/** Download the file at an API path (under /api/v1) with a query, saved under the server's name for it. */
export async function downloadFile(path, query, fallbackName) {
  // A call through the API client first renews a token about to run out (and signs out on a 401).
  await request('GET', '/me');
  const params = new URLSearchParams();
  Object.keys(query || {}).forEach((k) => {
    const v = query[k];
    if (v === undefined || v === null || v === '' || v === false) return;
    if (Array.isArray(v)) v.forEach((x) => params.append(k, String(x)));
    else params.set(k, String(v));
  });
  const qs = params.toString();
  const res = await fetch('/api/v1' + path + (qs ? '?' + qs : ''), {
    headers: { Authorization: 'Bearer ' + getToken() },
    cache: 'no-store',
  });
  if (!res.ok) {
    let err = {};
    try {
      err = (await res.json()).error || {};
    } catch (e) {
      err = {};
    }
    throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || '下载失败', err.field);
  }
  const rows = Number(res.headers.get('x-export-rows') || 0);
  const truncated = res.headers.get('x-export-truncated') === '1';
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename(res, fallbackName), hidden: true });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
    a.remove();
  }, 1000);
  return { rows, truncated };
}

/**
 * exportTools(name, queryFn, ctx) → element with 导出 CSV, 导出 Excel and 打印.
 * `queryFn()` gives the list's current filters (as sent to the list); the file holds the whole list with
 * those filters, every page of it (the server reads them all), so the paging is left out.
 */
export function exportTools(name, queryFn, ctx) {
  function run(format) {
    const q = Object.assign({}, queryFn());
    delete q.offset;
    delete q.limit;
    delete q.before_id;
    download(name, format, q)
      .then((r) => ctx.toast(r.truncated ? '已导出前 ' + r.rows + ' 条（超过导出上限，请缩小范围）' : '已导出 ' + r.rows + ' 条', r.truncated ? 'error' : undefined))
      .catch((e) => ctx.toast(e.field ? e.message + '（' + e.field + '）' : e.message, 'error'));
  }
  return h(
    'span',
    { class: 'export-tools no-print' },
    h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-export': 'csv', onclick: () => run('csv') }, '导出 CSV'),
    h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-export': 'xlsx', onclick: () => run('xlsx') }, '导出 Excel'),
    h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => window.print() }, '打印'),
  );
}

/** A plain table: columns [{label, cell(row) → node|text}], rows. */
export function table(columns, rows, cls) {
  return h(
    'table',
    { class: ['tbl', cls] },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', null, rows.map((r) => h('tr', { dataset: { id: r.id !== undefined ? r.id : '' } }, columns.map((c) => h('td', { class: c.cls }, c.cell(r)))))),
  );
}

export function errorText(e) {
  return e.field ? e.message + '（' + e.field + '）' : e.message;
}
