// The resident page's one way to the server: /api/v1 with the resident's bearer token; JSON or
// multipart in, JSON out; failures as ApiError carrying the API's {"error": {code, message, field}}.

import { clearSession, getSession, saveSession } from './session.js';

const BASE = '/api/v1';
const TIMEOUT_MS = 30000;
const UPLOAD_TIMEOUT_MS = 120000;

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.retryAfter = retryAfter || null;
  }
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  Object.keys(query).forEach((k) => {
    const v = query[k];
    if (v !== undefined && v !== null && v !== '') params.append(k, String(v));
  });
  const s = params.toString();
  return s ? '?' + s : '';
}

function defaultMessage(status) {
  if (status === 401) return '登录已过期，请重新登录';
  if (status === 404) return '未找到';
  if (status === 413) return '文件太大，请压缩后再试';
  if (status === 429) return '操作太频繁，请稍后再试';
  if (status >= 500) return '服务器开小差了，请稍后再试';
  return '请求失败（' + status + '）';
}

// A resident's token lives for days: it is renewed (POST /auth/refresh, up to the sign-in's longest life) when
// it has less than this left, as the staff page does. One renewal at a time, shared by the calls waiting for it.
// A renewal refused with a 401 (signed out elsewhere, the account stopped, the sign-in too old) ends the
// session like any 401: the page goes back to sign-in.
const REFRESH_BEFORE_MS = 24 * 60 * 60 * 1000;
let refreshing = null;

function expiresSoon(session) {
  const expires = Date.parse(session.expires_at || '');
  return !isNaN(expires) && expires - Date.now() < REFRESH_BEFORE_MS;
}

function refreshToken() {
  if (!refreshing) {
    refreshing = send('POST', '/auth/refresh', {})
      .then((token) => {
        const session = getSession();
        if (session) saveSession(token.access_token, token.expires_at, session.resident);
      })
      .catch(() => undefined) // a 401 has already signed the page out; anything else: try again next call
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** request('POST', '/desk/requests', {form: FormData}) · options: query, json, form (FormData), auth (default true).
 * An authenticated call renews a token about to expire first. */
export async function request(method, path, options) {
  const opts = options || {};
  if (opts.auth !== false) {
    const session = getSession();
    if (session && expiresSoon(session)) await refreshToken();
  }
  return send(method, path, opts);
}

async function send(method, path, opts) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form; // the browser writes the multipart boundary itself
  }
  const session = getSession();
  if (opts.auth !== false && session) headers.Authorization = 'Bearer ' + session.token;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.form ? UPLOAD_TIMEOUT_MS : TIMEOUT_MS);
  let res;
  try {
    res = await fetch(BASE + path + queryString(opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch (e) {
    const aborted = e && e.name === 'AbortError';
    throw new ApiError(0, aborted ? 'timeout' : 'network', aborted ? '网络太慢，请稍后重试' : '网络未连接，请检查网络后重试');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  if (res.status !== 204 && (res.headers.get('content-type') || '').indexOf('json') >= 0) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  if (res.ok) return data;
  const err = (data && data.error) || {};
  const retry = Number(res.headers.get('retry-after')) || null;
  const error = new ApiError(res.status, err.code || 'http_' + res.status, err.message || defaultMessage(res.status), err.field, retry);
  if (res.status === 401 && opts.auth !== false) {
    clearSession();
    window.dispatchEvent(new CustomEvent('resident:signed-out', { detail: error.message }));
  }
  throw error;
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, json) => request('POST', path, { json }),
  put: (path, json) => request('PUT', path, { json }),
  upload: (path, form) => request('POST', path, { form }),
  sendCode: (phone) => request('POST', '/desk/auth/otp', { json: { phone }, auth: false }),
  verify: (phone, code) => request('POST', '/desk/auth/verify', { json: { phone, code }, auth: false }),
};
