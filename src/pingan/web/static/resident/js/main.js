// 平安E警通 for residents: sign in with a phone and a one-time code, find my community officer, ask,
// report and follow my requests, read alerts. Hash routes; one screen module per page.

import { h, icon, replace } from '../../js/dom.js';
import { current, navigate, onRouteChange, route } from '../../js/router.js';
import { api } from './api.js';
import { clearSession, getSession, saveResident } from './session.js';
import compose from './screens/compose.js';
import home from './screens/home.js';
import inbox from './screens/inbox.js';
import { mountLogin } from './screens/login.js';
import me from './screens/me.js';
import requestView from './screens/request.js';
import requests from './screens/requests.js';
import tags from './screens/tags.js';
import { toast } from './ui.js';

const SCREENS = { home, compose, requests, request: requestView, tags, inbox, me };
const TABS = [
  { screen: 'home', path: '/', label: '首页', icon: 'home' },
  { screen: 'requests', path: '/requests', label: '我的诉求', icon: 'list' },
  { screen: 'tags', path: '/tags', label: '我的车', icon: 'pin' },
  { screen: 'inbox', path: '/inbox', label: '提醒', icon: 'bell' },
  { screen: 'me', path: '/me', label: '我的', icon: 'user' },
];
const INBOX_POLL_MS = 60000;

route('/login', 'login');
route('/', 'home');
route('/new', 'compose');
route('/requests', 'requests');
route('/requests/:id', 'request');
route('/tags', 'tags');
route('/inbox', 'inbox');
route('/me', 'me');

const root = document.getElementById('app');
let frame = null;
let active = null; // {name, instance}
let inboxTimer = null;

function buildFrame() {
  const title = h('h1', { class: 'bar-title' }, '平安E警通');
  const back = h('button', { type: 'button', class: 'bar-back', 'aria-label': '返回', onclick: goBack }, icon('back'));
  const header = h('header', { class: 'bar' }, back, title);
  const main = h('main', { class: 'page', id: 'page' });
  const badge = h('span', { class: 'tab-badge', hidden: true });
  const tabs = TABS.map((t) =>
    h(
      'a',
      { class: 'tab', href: '#' + t.path, dataset: { screen: t.screen } },
      icon(t.icon),
      h('span', { class: 'tab-label' }, t.label),
      t.screen === 'inbox' ? badge : null,
    ),
  );
  const nav = h('nav', { class: 'tabs', 'aria-label': '主菜单' }, tabs);
  replace(root, header, main, nav);
  return {
    main,
    setTitle(text, withBack) {
      replace(title, text);
      back.hidden = !withBack;
      header.classList.toggle('has-back', Boolean(withBack));
    },
    setTab(name) {
      tabs.forEach((a) => {
        const on = a.dataset.screen === name || (name === 'request' && a.dataset.screen === 'requests');
        a.classList.toggle('is-on', on);
        if (on) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      });
    },
    setUnread(n) {
      badge.hidden = !n;
      replace(badge, n > 99 ? '99+' : String(n));
    },
  };
}

function goBack() {
  if (window.history.length > 1) window.history.back();
  else navigate('/');
}

async function refreshUnread() {
  if (!frame || !getSession()) return;
  try {
    const items = await api.get('/desk/pushes/inbox', { unread: true, limit: 100 });
    frame.setUnread(items.length);
  } catch (e) {
    /* shown again at the next poll */
  }
}

function teardown() {
  if (active) active.instance.destroy();
  active = null;
  frame = null;
  clearInterval(inboxTimer);
  inboxTimer = null;
}

function showLogin(message) {
  teardown();
  if (current().screen !== 'login') window.history.replaceState(null, '', '#/login');
  mountLogin(root, message, () => navigate('/', null, true));
}

function render(r) {
  const session = getSession();
  if (!session) {
    showLogin();
    return;
  }
  if (r.screen === 'login' || !r.screen || !SCREENS[r.screen]) {
    navigate('/', null, true);
    return;
  }
  if (!frame) {
    frame = buildFrame();
    refreshUnread();
    inboxTimer = setInterval(refreshUnread, INBOX_POLL_MS);
  }
  if (active) active.instance.destroy();
  const screen = SCREENS[r.screen];
  replace(frame.main);
  frame.main.scrollTop = 0;
  window.scrollTo(0, 0);
  const ctx = {
    resident: session.resident,
    toast,
    setTitle: (text, withBack) => frame && frame.setTitle(text, withBack),
    refreshUnread,
    setResident(resident) {
      saveResident(resident);
      ctx.resident = resident;
    },
  };
  frame.setTab(r.screen);
  frame.setTitle(screen.title, Boolean(screen.back));
  active = { name: r.screen, instance: screen.mount(frame.main, ctx, r.params, r.query) };
  document.title = screen.title + ' · 平安E警通';
}

window.addEventListener('resident:signed-out', (e) => showLogin(e.detail));
onRouteChange(render);

async function boot() {
  if (getSession()) {
    try {
      saveResident(await api.get('/desk/me'));
    } catch (e) {
      if (e.status === 401 || e.status === 403) clearSession();
    }
  }
  render(current());
}

boot();
