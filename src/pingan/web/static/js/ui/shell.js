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
  const menu = navMenu(screens);
  const bell = bellMenu(user);
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, icon('shield', 'brand-icon'), h('span', { class: 'brand-name' }, '平安'), h('span', { class: 'brand-sub' }, '反诈预警劝阻')),
    menu.el,
    h('span', { class: 'grow' }),
    // The box opens 检索: shown to the roles that may search (a bank's liaison may not).
    screens.some((s) => s.id === 'search') ? searchBox() : null,
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
    setActive: menu.setActive,
    destroy() {
      menu.destroy();
      bell.destroy();
    },
  };
}

/** The menu's groups, in this order; a screen without a group stands alone, before them. */
export const MENU_GROUPS = ['反诈', '民意', '地网', '指挥', '后台'];

/**
 * The menu as items: [{screen}] for a screen shown on its own, [{group, screens}] for a group of two or
 * more (a group holding one screen is shown as that screen). Hidden screens are left out.
 */
export function menuItems(screens) {
  const loose = [];
  const groups = {};
  const order = MENU_GROUPS.slice();
  screens
    .filter((s) => !s.hidden)
    .forEach((s) => {
      if (!s.group) {
        loose.push({ screen: s });
        return;
      }
      if (order.indexOf(s.group) < 0) order.push(s.group);
      (groups[s.group] = groups[s.group] || []).push(s);
    });
  const grouped = order
    .filter((g) => groups[g])
    .map((g) => (groups[g].length === 1 ? { screen: groups[g][0] } : { group: g, screens: groups[g] }));
  return loose.concat(grouped);
}

function screenLink(s, extra) {
  return h('a', Object.assign({ href: '#/' + s.id, class: 'nav-link', dataset: { screen: s.id } }, extra || {}), s.title);
}

/**
 * The top menu: plain links, and for each group a button opening its list (a disclosure: Enter, Space or
 * ↓ opens it, ↑ ↓ Home End move, Esc closes, Tab leaves). The list is placed with fixed coordinates, so
 * the menu may scroll sideways on a phone without clipping it. The group holding the open screen is marked
 * and names that screen, after a reload too (the route says which screen is open).
 */
function navMenu(screens) {
  const links = [];
  const groups = [];
  let openGroup = null;
  const items = menuItems(screens).map((item, n) => {
    if (item.screen) {
      const a = screenLink(item.screen);
      links.push(a);
      return a;
    }
    const menuId = 'nav-menu-' + n;
    const current = h('span', { class: 'nav-group-current' });
    const button = h(
      'button',
      { type: 'button', class: 'nav-group-btn', 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': menuId, dataset: { group: item.group } },
      h('span', { class: 'nav-group-name' }, item.group),
      current,
      h('span', { class: 'nav-caret', 'aria-hidden': 'true' }, '▾'),
    );
    const inner = item.screens.map((s) => screenLink(s, { onclick: () => close() }));
    inner.forEach((a) => links.push(a));
    const list = h('div', { class: 'nav-menu', id: menuId, hidden: true, 'aria-label': item.group }, inner);
    const wrap = h('div', { class: 'nav-group', dataset: { group: item.group } }, button, list);
    const g = { group: item.group, button, list, inner, current, wrap, screens: item.screens };
    button.addEventListener('click', () => (openGroup === g ? close(true) : open(g, false)));
    button.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        open(g, true, e.key === 'ArrowUp' ? inner.length - 1 : undefined);
      } else if (e.key === 'Escape' && openGroup === g) {
        e.preventDefault();
        close(true);
      }
    });
    list.addEventListener('keydown', (e) => {
      const at = inner.indexOf(document.activeElement);
      let to = null;
      if (e.key === 'ArrowDown') to = (at + 1) % inner.length;
      else if (e.key === 'ArrowUp') to = (at - 1 + inner.length) % inner.length;
      else if (e.key === 'Home') to = 0;
      else if (e.key === 'End') to = inner.length - 1;
      else if (e.key === 'Escape') {
        e.preventDefault();
        close(true);
        return;
      }
      if (to !== null) {
        e.preventDefault();
        inner[to].focus();
      }
    });
    wrap.addEventListener('focusout', (e) => {
      if (openGroup === g && e.relatedTarget && !wrap.contains(e.relatedTarget)) close();
    });
    groups.push(g);
    return wrap;
  });
  const nav = h('nav', { class: 'nav', 'aria-label': '主菜单' }, items);

  function place(g) {
    const r = g.button.getBoundingClientRect();
    const narrow = window.innerWidth < 560;
    g.list.style.top = Math.round(r.bottom) + 'px';
    if (narrow) {
      g.list.style.left = '8px';
      g.list.style.right = '8px';
    } else {
      g.list.style.right = 'auto';
      const width = g.list.offsetWidth || 180;
      g.list.style.left = Math.round(Math.max(8, Math.min(r.left, window.innerWidth - width - 8))) + 'px';
    }
  }

  function open(g, focus, index) {
    if (openGroup && openGroup !== g) close();
    openGroup = g;
    nav.classList.add('is-menu-open'); // a mask on the bar would clip the list
    g.list.hidden = false;
    g.button.setAttribute('aria-expanded', 'true');
    g.wrap.classList.add('is-open');
    place(g);
    if (focus) {
      const active = g.inner.findIndex((a) => a.classList.contains('is-active'));
      g.inner[index !== undefined ? index : Math.max(0, active)].focus();
    }
    document.addEventListener('click', outside, true);
  }

  function close(refocus) {
    const g = openGroup;
    if (!g) return;
    openGroup = null;
    nav.classList.remove('is-menu-open');
    g.list.hidden = true;
    g.button.setAttribute('aria-expanded', 'false');
    g.wrap.classList.remove('is-open');
    document.removeEventListener('click', outside, true);
    if (refocus) g.button.focus();
  }

  function outside(e) {
    if (openGroup && !openGroup.wrap.contains(e.target)) close();
  }

  // On a phone the bar scrolls sideways: its edges fade where more of it lies beyond.
  function edges() {
    const more = nav.scrollWidth - nav.clientWidth;
    nav.classList.toggle('has-more-left', more > 1 && nav.scrollLeft > 1);
    nav.classList.toggle('has-more-right', more > 1 && nav.scrollLeft < more - 1);
  }
  // The open screen's item in sight where the bar scrolls (after a resize too).
  let current = null;
  function reveal() {
    if (current && nav.scrollWidth > nav.clientWidth) {
      const a = current.getBoundingClientRect();
      const b = nav.getBoundingClientRect();
      if (a.left < b.left) nav.scrollLeft -= b.left - a.left + 16;
      else if (a.right > b.right) nav.scrollLeft += a.right - b.right + 16;
    }
    edges();
  }
  const onMove = () => {
    close();
    edges();
  };
  const onResize = () => {
    close();
    reveal();
  };
  nav.addEventListener('scroll', onMove);
  window.addEventListener('resize', onResize);
  window.addEventListener('hashchange', onMove);
  requestAnimationFrame(edges);

  return {
    el: nav,
    setActive(id) {
      links.forEach((a) => {
        const on = a.dataset.screen === id;
        a.classList.toggle('is-active', on);
        if (on) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      });
      let shown = links.find((a) => a.dataset.screen === id && !a.closest('.nav-menu')) || null;
      groups.forEach((g) => {
        const hit = g.screens.find((s) => s.id === id);
        g.button.classList.toggle('is-active', !!hit);
        replace(g.current, hit ? hit.title : '');
        g.button.title = hit ? g.group + ' · ' + hit.title : g.group;
        if (hit) shown = g.button;
      });
      current = shown;
      reveal();
    },
    destroy() {
      close();
      nav.removeEventListener('scroll', onMove);
      window.removeEventListener('resize', onResize);
      window.removeEventListener('hashchange', onMove);
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
