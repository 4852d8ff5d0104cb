// Times in Asia/Shanghai, money in yuan, countdowns.

const TZ = 'Asia/Shanghai';
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000; // China keeps UTC+8 all year, no daylight saving

const partsFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function parts(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (isNaN(d.getTime())) return null;
  const out = {};
  for (const p of partsFormat.formatToParts(d)) out[p.type] = p.value;
  if (out.hour === '24') out.hour = '00'; // older engines ignore hourCycle
  return out;
}

/** 2024-05-01 14:03:22 */
export function fmtDateTime(value) {
  const p = parts(value);
  if (!p) return '—';
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second;
}

/** 2024-05-01 */
export function fmtDate(value) {
  const p = parts(value);
  return p ? p.year + '-' + p.month + '-' + p.day : '—';
}

/** 14:03:22 today, 05-01 14:03 this year, else 2023-05-01 14:03. */
export function fmtShort(value, now) {
  const p = parts(value);
  if (!p) return '—';
  const n = parts(now || Date.now());
  if (p.year === n.year && p.month === n.month && p.day === n.day) return p.hour + ':' + p.minute + ':' + p.second;
  if (p.year === n.year) return p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
}

/** 刚刚 / 3分钟前 / 2小时前 / 3天前 */
export function fmtAgo(value, now) {
  const t = new Date(value).getTime();
  if (isNaN(t)) return '';
  const s = Math.floor(((now || Date.now()) - t) / 1000);
  if (s < 30) return '刚刚';
  if (s < 3600) return Math.max(1, Math.floor(s / 60)) + '分钟前';
  if (s < 86400) return Math.floor(s / 3600) + '小时前';
  return Math.floor(s / 86400) + '天前';
}

function pad(n) {
  return n < 10 ? '0' + n : String(n);
}

/** A length of time: 04:32, 1小时05分, 2天3小时. */
export function fmtSpan(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return d + '天' + (h ? h + '小时' : '');
  if (h > 0) return h + '小时' + pad(m) + '分';
  return pad(m) + ':' + pad(s);
}

/** 剩 04:32 or 超时 12:05, for a deadline `ms` from now (negative when past). */
export function fmtCountdown(ms) {
  return (ms < 0 ? '超时 ' : '剩 ') + fmtSpan(ms);
}

const moneyFormat = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const intFormat = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });

/** ¥1,234.50 from the API's decimal strings ("1234.50") or numbers. */
export function fmtYuan(value) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  if (!isFinite(n)) return '—';
  return '¥' + moneyFormat.format(n);
}

export function fmtInt(value) {
  if (value === null || value === undefined) return '—';
  return intFormat.format(Number(value));
}

export function fmtPercent(rate) {
  if (rate === null || rate === undefined) return '—';
  return (Number(rate) * 100).toFixed(1) + '%';
}

/** The Shanghai calendar date (y, m 1-12, d) of an instant. */
export function shanghaiDate(ms) {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), weekday: d.getUTCDay() };
}

/** ISO 8601 with +08:00 for midnight of a Shanghai calendar date (month and day may overflow). */
export function shanghaiMidnight(y, m, d) {
  const ms = Date.UTC(y, m - 1, d) - SHANGHAI_OFFSET_MS;
  return isoShanghai(ms);
}

/** An instant as ISO 8601 in Shanghai time: 2024-05-01T00:00:00+08:00 */
export function isoShanghai(ms) {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return (
    d.getUTCFullYear() +
    '-' +
    pad(d.getUTCMonth() + 1) +
    '-' +
    pad(d.getUTCDate()) +
    'T' +
    pad(d.getUTCHours()) +
    ':' +
    pad(d.getUTCMinutes()) +
    ':' +
    pad(d.getUTCSeconds()) +
    '+08:00'
  );
}

// Dates typed in: the screens' date fields are text fields (ui/date-input.js), so that a browser in any
// locale shows and takes YYYY-MM-DD (a native <input type=date> shows mm/dd/yyyy in an en-US browser).
const DATE_RE = /^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$/;
const DATETIME_RE = /^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:T|\s)\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})\s*秒?)?\s*$/;

function toAscii(value) {
  return String(value || '').replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

function realDate(y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** "2024-05-01" (also 2024/5/1, 2024年5月1日, full-width digits) → {y, m, d}, or null when not a real date. */
export function parseDateInput(value) {
  const m = DATE_RE.exec(toAscii(value));
  if (!m) return null;
  const out = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
  return realDate(out.y, out.m, out.d) ? out : null;
}

/** "2024-05-01 14:03" (or with T, seconds, 2024/5/1 14:03) read as Shanghai time → ISO 8601 with +08:00, or null. */
export function parseDateTimeInput(value) {
  const m = DATETIME_RE.exec(toAscii(value));
  if (!m) return null;
  const [y, mo, d, hh, mi, ss] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] || 0));
  if (!realDate(y, mo, d) || hh > 23 || mi > 59 || ss > 59) return null;
  return isoShanghai(Date.UTC(y, mo - 1, d, hh, mi, ss) - SHANGHAI_OFFSET_MS);
}

/** An instant as a date-and-time field's value in Shanghai time: 2024-05-01 14:03 */
export function dateTimeInputValue(value) {
  const p = parts(value);
  return p ? p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute : '';
}

export function dateInputValue(y, m, d) {
  return y + '-' + pad(m) + '-' + pad(d);
}

/** Age in years from a birth year, by the Shanghai calendar. */
export function ageFrom(birthYear, now) {
  if (!birthYear) return null;
  return shanghaiDate(now || Date.now()).y - birthYear;
}
