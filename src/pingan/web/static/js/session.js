// The log-in session: the bearer token and the user, kept in sessionStorage (gone when the tab closes).

const TOKEN = 'pingan.token';
const USER = 'pingan.user';
const EXPIRES = 'pingan.expires';
const FLASH = 'pingan.flash';

function store() {
  try {
    return window.sessionStorage;
  } catch (e) {
    return null; // storage disabled: the session lives only in this page
  }
}

const memory = {};

function get(key) {
  const s = store();
  return s ? s.getItem(key) : memory[key] || null;
}

function set(key, value) {
  const s = store();
  if (value === null) {
    if (s) s.removeItem(key);
    delete memory[key];
  } else if (s) {
    s.setItem(key, value);
  } else {
    memory[key] = value;
  }
}

export function getToken() {
  return get(TOKEN);
}

export function getUser() {
  const raw = get(USER);
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch (e) {
    return null;
  }
}

export function saveSession(token, user, expiresAt) {
  set(TOKEN, token);
  set(USER, JSON.stringify(user));
  set(EXPIRES, expiresAt || null);
}

/** The token's expiry (ISO 8601, as the server gave it), or null. */
export function getExpires() {
  return get(EXPIRES);
}

/** A refreshed token for the same sign-in. */
export function saveToken(token, expiresAt) {
  set(TOKEN, token);
  set(EXPIRES, expiresAt || null);
}

export function saveUser(user) {
  set(USER, JSON.stringify(user));
}

export function clearSession(flash) {
  set(TOKEN, null);
  set(USER, null);
  set(EXPIRES, null);
  if (flash) set(FLASH, flash);
}

/** A message for the log-in screen (why the user was sent back there); read once. */
export function takeFlash() {
  const msg = get(FLASH);
  set(FLASH, null);
  return msg;
}
