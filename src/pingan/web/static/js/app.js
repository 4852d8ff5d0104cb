// Start-up and routing. Screens are modules with {id, title, group, roles, mount(root, ctx) → {update,
// destroy}}; a new screen is one more module and one more line in SCREENS. `group` ('反诈' | '民意' | '地网' |
// '指挥' | '后台') puts it in that menu group (ui/shell.js); a screen without one stands alone in the menu.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { CENTRE_ROLES } from './labels.js';
import { startTicker } from './live.js';
import { current, navigate, onRouteChange, route } from './router.js';
import { clearSession, getToken, getUser, saveUser } from './session.js';
import admin from './screens/admin.js';
import alarms from './screens/alarms.js';
import analysis from './screens/analysis.js';
import audit from './screens/audit.js';
import bigscreen from './screens/bigscreen.js';
import cases from './screens/cases.js';
import bank from './screens/bank.js';
import cards from './screens/cards.js';
import desk from './screens/desk.js';
import dangers from './screens/dangers.js';
import dispatch from './screens/dispatch.js';
import disputes from './screens/disputes.js';
import figures from './screens/figures.js';
import { mountLogin } from './screens/login.js';
import patrol from './screens/patrol.js';
import queue from './screens/queue.js';
import ranking from './screens/ranking.js';
import rehab from './screens/rehab.js';
import reports from './screens/reports.js';
import search from './screens/search.js';
import tracking from './screens/tracking.js';
import traffic from './screens/traffic.js';
import verify from './screens/verify.js';
import worklist from './screens/worklist.js';
import { toast } from './ui/dialog.js';
import { shell } from './ui/shell.js';

const SCREENS = [queue, worklist, dispatch, desk, cases, analysis, bank, cards, tracking, alarms, patrol, verify, rehab, traffic, dangers, disputes, figures, ranking, bigscreen, reports, admin, audit, search];

route('/login', 'login');
route('/queue/:id?', 'queue');
route('/tasks/:id?', 'tasks');
route('/dangers/:id?', 'dangers');
route('/disputes/:id?', 'disputes');
route('/desk/:id?', 'desk');
route('/cases/:id?', 'cases');
route('/bank/:id?', 'bank');
route('/cards', 'cards');
route('/analysis', 'analysis');
route('/tracking', 'tracking');
route('/alarms', 'alarms');
route('/patrol', 'patrol');
route('/figures', 'figures');
route('/ranking', 'ranking');
route('/screen', 'screen');
route('/reports', 'reports');
route('/audit', 'audit');
route('/dispatch', 'dispatch');
route('/admin', 'admin');
route('/search', 'search');
route('/verify/:id?', 'verify');
route('/rehab/:id?', 'rehab');
route('/traffic', 'traffic');

const root = document.getElementById('app');
let user = null;
let frame = null; // the shell, while logged in
let active = null; // {screen, instance}
let badge = 0;

function allowed(u) {
  // A screen may also ask for a duty (禁毒): the server refuses its data to anyone without it anyway.
  // And a screen may ask more of the user (`shows(u)`: the 地网 screen of a partner only for the operating company).
  return SCREENS.filter((s) => s.roles.indexOf(u.role) >= 0 && (!s.duty || (u.duties || []).indexOf(s.duty) >= 0) && (!s.shows || s.shows(u)));
}

function home(u) {
  const list = allowed(u);
  if (!list.length) return null;
  return CENTRE_ROLES.indexOf(u.role) >= 0 ? list[0].id : (list.find((s) => s.id === 'tasks') || list[0]).id;
}

function setTitle() {
  const name = active ? active.screen.title : '登录';
  document.title = (badge ? '(' + badge + ') ' : '') + name + ' · 平安';
}

function teardown() {
  if (active) active.instance.destroy();
  active = null;
  if (frame) frame.destroy();
  frame = null;
  badge = 0;
}

function showLogin() {
  teardown();
  user = null;
  setTitle();
  if (current().screen !== 'login') window.history.replaceState(null, '', '#/login');
  mountLogin(root, (u) => {
    user = u;
    navigate('/' + (home(u) || 'none'), null, true);
  });
}

function noScreens() {
  replace(
    frame.main,
    h('div', { class: 'empty-screen' }, h('h2', null, '暂无可用页面'), h('p', null, '当前角色在本系统中还没有可用的页面，请联系管理员。')),
  );
}

function render(r) {
  if (!getToken()) {
    showLogin();
    return;
  }
  if (!user) user = getUser();
  if (!user) {
    showLogin();
    return;
  }
  const list = allowed(user);
  const target = list.find((s) => s.id === r.screen);
  if (!target) {
    const h0 = home(user);
    if (h0) navigate('/' + h0, null, true);
    else {
      if (!frame) frame = shell(root, user, list, logout);
      noScreens();
    }
    return;
  }
  if (!frame) frame = shell(root, user, list, logout);
  if (!active || active.screen !== target) {
    if (active) active.instance.destroy();
    badge = 0;
    const ctx = {
      user,
      toast,
      setBadge(n) {
        badge = n;
        setTitle();
      },
    };
    replace(frame.main);
    active = { screen: target, instance: target.mount(frame.main, ctx) };
    frame.setActive(target.id);
  }
  active.instance.update(r.params, r.query);
  setTitle();
}

async function logout() {
  await api.logout();
  clearSession();
  showLogin();
}

async function boot() {
  startTicker();
  window.addEventListener('pingan:unauthorized', () => {
    if (user) showLogin();
  });
  onRouteChange(render);
  if (getToken()) {
    try {
      user = await api.get('/me');
      saveUser(user);
    } catch (e) {
      if (e.status !== 401) {
        user = getUser(); // server unreachable: keep the session, the screens show the connection state
      }
    }
  }
  render(current());
}

boot();
