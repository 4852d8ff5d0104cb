// The frame around every screen: brand, navigation by role, the notifications bell, the user, log-out.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { fmtShort } from '../format.js';
import { ROLE_NAMES } from '../labels.js';
import { ago, poll } from '../live.js';
import { navigate } from '../router.js';
import { searchBox } from './search-box.js';

const BELL_POLL_MS = 15000;

/**
 * shell(root, user, screens, onLogout) → {main, setActive(id), destroy()}
 * `screens` are the screen modules the user's role may open, in menu order.
 */
export function shell(root, user, screens, onLogout) {
  const links = screens.filter((s) => !s.hidden).map((s) => h('a', { href: '#/' + s.id, class: 'nav-link', dataset: { screen: s.id } }, s.title));
  const bell = bellMenu(user);
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, icon('shield', 'brand-icon'), h('span', { class: 'brand-name' }, '平安'), h('span', { class: 'brand-sub' }, '反诈预警劝阻')),
    h('nav', { class: 'nav', 'aria-label': '主菜单' }, links),
    h('span', { class: 'grow' }),
    searchBox(),
    bell.el,
    h(
      'div',
      { class: 'user', title: user.username },
      h('span', { class: 'user-name' }, user.display_name || user.username),
      h('span', { class: 'user-unit' }, [user.unit_name, ROLE_NAMES[user.role] || user.role].filter(Boolean).join(' · ')),
    ),
    h('button', { type: 'button', class: 'icon-btn topbar-btn', title: '退出登录', 'aria-label': '退出登录', onclick: onLogout }, icon('logout')),
  );
  const main = h('main', { class: 'main', id: 'main' });
  replace(root, header, main);

  return {
    main,
    setActive(id) {
      links.forEach((a) => {
        const on = a.dataset.screen === id;
        a.classList.toggle('is-active', on);
        if (on) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      });
    },
    destroy() {
      bell.destroy();
    },
  };
}

// No API marks a notification read yet, so "seen" is remembered in this browser, per user.
function seenStore(userId) {
  const key = 'pingan.seen.' + userId;
  let ids = [];
  try {
    ids = JSON.parse(window.localStorage.getItem(key) || '[]');
  } catch (e) {
    ids = [];
  }
  const set = new Set(ids);
  return {
    has: (id) => set.has(id),
    add(list) {
      list.forEach((id) => set.add(id));
      const keep = Array.from(set).sort((a, b) => b - a).slice(0, 1000);
      try {
        window.localStorage.setItem(key, JSON.stringify(keep));
      } catch (e) {
        /* storage full or disabled */
      }
    },
  };
}

function bellMenu(user) {
  const seen = seenStore(user.id);
  let items = [];
  const badge = h('span', { class: 'bell-badge', hidden: true });
  const button = h('button', { type: 'button', class: 'icon-btn topbar-btn bell', 'aria-label': '通知', 'aria-haspopup': 'true', 'aria-expanded': 'false', onclick: toggle }, icon('bell'), badge);
  const list = h('div', { class: 'bell-list' });
  const panel = h(
    'div',
    { class: 'bell-panel', hidden: true, role: 'dialog', 'aria-label': '通知' },
    h('div', { class: 'bell-head' }, h('b', null, '未读通知'), h('span', { class: 'grow' }), h('button', { type: 'button', class: 'link-btn', onclick: markAll }, '全部标为已看')),
    list,
  );
  const el = h('div', { class: 'bell-wrap' }, button, panel);

  function unseen() {
    return items.filter((n) => !seen.has(n.id));
  }

  function paint() {
    const fresh = unseen();
    badge.hidden = fresh.length === 0;
    replace(badge, fresh.length > 99 ? '99+' : String(fresh.length));
    badge.classList.toggle('is-urgent', fresh.some((n) => n.title.indexOf('特高危') >= 0 || n.title.indexOf('升级') >= 0));
    button.title = fresh.length ? fresh.length + ' 条新通知' : '通知';
    replace(
      list,
      items.length
        ? items.map((n) =>
            h(
              'button',
              { type: 'button', class: ['bell-item', !seen.has(n.id) && 'is-new'], onclick: () => openItem(n) },
              h('span', { class: 'bell-title' }, n.title),
              n.body ? h('span', { class: 'bell-body' }, n.body) : null,
              h('span', { class: 'bell-time', title: fmtShort(n.at) }, ago(n.at)),
            ),
          )
        : h('p', { class: 'empty' }, '没有未读通知'),
    );
  }

  function openItem(n) {
    seen.add([n.id]);
    close();
    paint();
    if (n.task_id) navigate('/tasks/' + n.task_id);
  }

  function markAll() {
    seen.add(items.map((n) => n.id));
    paint();
  }

  function toggle() {
    if (panel.hidden) {
      panel.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      document.addEventListener('click', outside, true);
    } else close();
  }

  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', outside, true);
  }

  function outside(e) {
    if (!el.contains(e.target)) close();
  }

  const poller = poll(async () => {
    items = await api.get('/notifications', { unread: true, limit: 50 });
    paint();
  }, BELL_POLL_MS);
  window.addEventListener('hashchange', close);

  return {
    el,
    destroy() {
      poller.stop();
      close();
      window.removeEventListener('hashchange', close);
    },
  };
}
