// The one way the UI talks to the server: /api/v1 with the bearer token, JSON in and out,
// errors as ApiError carrying the API's {"error": {code, message, field}}.

import { clearSession, getExpires, getToken, saveToken } from './session.js';

const BASE = '/api/v1';
const TIMEOUT_MS = 20000;

export class ApiError extends Error {
  constructor(status, code, message, field, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.details = details || null;
  }
}

// The server's clock, estimated from the Date header, so countdowns agree with the server's deadlines
// even when a workstation's clock is off.
let clockOffset = 0;

export function serverNow() {
  return Date.now() + clockOffset;
}

function learnClock(res, sentAt) {
  const header = res.headers.get('date');
  if (!header) return;
  const server = Date.parse(header);
  if (isNaN(server)) return;
  const receivedAt = Date.now();
  // The header is truncated to the second: its true value lies in [server, server + 1000).
  const offset = server + 500 - (sentAt + receivedAt) / 2;
  if (Math.abs(offset - clockOffset) > 1500) clockOffset = Math.abs(offset) < 1500 ? 0 : offset;
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (value === undefined || value === null || value === '' || value === false) continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, String(v)));
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? '?' + s : '';
}

// Tokens are short-lived: one is renewed (POST /auth/refresh) when it has less than this left, and once after
// a 401 (a workstation asleep past the expiry). One renewal at a time, shared by the calls that wait for it.
const REFRESH_BEFORE_MS = 5 * 60 * 1000;
let refreshing = null;

function refreshToken() {
  if (!refreshing) {
    refreshing = request('POST', '/auth/refresh', { noRefresh: true })
      .then((token) => {
        saveToken(token.access_token, token.expires_at);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

function expiresSoon() {
  const expires = Date.parse(getExpires() || '');
  return !isNaN(expires) && expires - serverNow() < REFRESH_BEFORE_MS;
}

/**
 * request('GET', '/fraud/warnings', {query: {status: 'open'}})
 * Options: query, json (a body sent as JSON), form (sent as x-www-form-urlencoded), auth (default true).
 * An authenticated call renews a token about to expire first; a 401 is retried once after a renewal, and
 * then ends the session and fires `pingan:unauthorized` on window.
 */
export async function request(method, path, options) {
  const opts = options || {};
  if (opts.auth !== false && !opts.noRefresh && getToken()) {
    if (expiresSoon()) await refreshToken();
    try {
      return await send(method, path, Object.assign({}, opts, { quiet: true }));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401 || !(await refreshToken())) {
        if (e instanceof ApiError && e.status === 401) unauthorized(e.message);
        throw e;
      }
    }
  }
  return send(method, path, opts);
}

function unauthorized(message) {
  clearSession(message);
  window.dispatchEvent(new CustomEvent('pingan:unauthorized', { detail: message }));
}

async function send(method, path, opts) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.multipart) {
    body = opts.multipart; // FormData: the browser writes the multipart boundary itself
  }
  const auth = opts.auth !== false;
  const token = getToken();
  if (auth && token) headers.Authorization = 'Bearer ' + token;

  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), opts.timeout || TIMEOUT_MS) : null;
  const sentAt = Date.now();
  let res;
  try {
    res = await fetch(BASE + path + queryString(opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller ? controller.signal : undefined,
    });
  } catch (e) {
    const aborted = e && e.name === 'AbortError';
    throw new ApiError(0, aborted ? 'timeout' : 'network', aborted ? '服务器响应超时，请稍后重试' : '无法连接服务器，请检查网络');
  } finally {
    if (timer) clearTimeout(timer);
  }
  learnClock(res, sentAt);

  let data = null;
  const type = res.headers.get('content-type') || '';
  if (res.status !== 204 && type.indexOf('json') >= 0) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  if (res.ok) return data;

  const err = (data && data.error) || {};
  const message = err.message || defaultMessage(res.status);
  const error = new ApiError(res.status, err.code || 'http_' + res.status, message, err.field, err.details);
  if (res.status === 401 && auth && !opts.quiet && !opts.noRefresh) unauthorized(message);
  throw error;
}

function defaultMessage(status) {
  if (status === 401) return '请先登录';
  if (status === 403) return '当前角色无权进行此操作';
  if (status === 404) return '未找到';
  if (status === 413) return '请求内容过大';
  if (status >= 500) return '服务器内部错误，请稍后重试';
  return '请求失败（HTTP ' + status + '）';
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, json) => request('POST', path, { json }),
  patch: (path, json) => request('PATCH', path, { json }),
  /** A file upload (FormData), with the same token renewal and error shape as every other call. */
  upload: (path, formData) => request('POST', path, { multipart: formData }),
  /** OAuth2 password flow; a wrong password is shown on the form, not treated as an expired session. */
  login: (username, password) =>
    request('POST', '/auth/token', { form: { username, password, grant_type: 'password' }, auth: false }),
  /** Ends the sign-in on the server (its tokens stop working); the page forgets it whatever the answer. */
  logout: () => request('POST', '/auth/logout', { noRefresh: true }).catch(() => null),
};
