// Hash routes: #/queue, #/queue/123, #/tasks?tab=overdue. A route names a screen and its params.

const routes = [];

/** route('/queue/:id?', 'queue') — `:name` captures digits or a word; a trailing `?` makes it optional. */
export function route(pattern, screen) {
  const names = [];
  const source = pattern
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const m = /^:(\w+)(\?)?$/.exec(part);
      if (!m) return '/' + part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return m[2] ? '(?:/([\\w-]+))?' : '/([\\w-]+)';
    })
    .join('');
  routes.push({ re: new RegExp('^' + source + '/?$'), names, screen });
}

/** The current location as {screen, params, query, path}; screen is null when nothing matches. */
export function current() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = {};
  new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '').forEach((v, k) => {
    query[k] = v;
  });
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params = {};
    r.names.forEach((name, i) => {
      if (m[i + 1] !== undefined) params[name] = m[i + 1];
    });
    return { screen: r.screen, params, query, path };
  }
  return { screen: null, params: {}, query, path };
}

export function href(path, query) {
  const qs = query ? new URLSearchParams(Object.keys(query).filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '').map((k) => [k, String(query[k])])).toString() : '';
  return '#' + path + (qs ? '?' + qs : '');
}

export function navigate(path, query, replaceEntry) {
  const target = href(path, query);
  if (window.location.hash === target) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else if (replaceEntry) {
    window.history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target;
  }
}

export function onRouteChange(fn) {
  window.addEventListener('hashchange', () => fn(current()));
}
