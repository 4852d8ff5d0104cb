// The resident's sign-in, kept in localStorage so that the phone stays signed in (the token expires by itself).

const KEY = 'pingan.resident';

function storage() {
  try {
    return window.localStorage;
  } catch (e) {
    return null;
  }
}

let memory = null;

export function getSession() {
  const s = storage();
  const raw = s ? s.getItem(KEY) : memory;
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    if (!session || !session.token) return null;
    if (session.expires_at && Date.parse(session.expires_at) <= Date.now()) return null;
    return session;
  } catch (e) {
    return null;
  }
}

export function saveSession(token, expiresAt, resident) {
  const raw = JSON.stringify({ token, expires_at: expiresAt, resident });
  const s = storage();
  if (s) s.setItem(KEY, raw);
  else memory = raw;
}

export function saveResident(resident) {
  const session = getSession();
  if (session) saveSession(session.token, session.expires_at, resident);
}

export function clearSession() {
  const s = storage();
  if (s) s.removeItem(KEY);
  memory = null;
}
