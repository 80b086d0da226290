// The console's shell: login, the header, the role's navigation and a hash router over the
// views that each screen module exports.
//
// A screen module exports `strings` ({ zh, en }, re-exported from its table in strings/) and
// `views`:
//   { 'module/name': { roles: ['expert'], nav: 'i18n.key' | undefined, render: async (ctx) => Node } }
// `ctx` gives the signed-in account (`me`), the route's parameters (`params`), `go(route,
// params)`, `every(ms, fn)` for live refreshes and `onLeave(fn)` for cleanup; both end when the
// user leaves the view. A view may set `ctx.relabel = () => …` to redraw itself in the new
// language without being rebuilt (the session screen keeps its websocket that way).

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast } from './dom.js';
import { t, register, lang, setLang, onLangChange } from './i18n.js';
import * as expert from './expert.js';
import * as session from './session.js';
import * as center from './center.js';
import * as supervisor from './supervisor.js';
import * as audit from './audit.js';
import * as admin from './admin.js';
import * as assessment from './assessment.js';
import * as venues from './venues.js';
import * as interruptions from './interruptions.js';
import * as alerts from './alerts.js';
import * as analytics from './analytics.js';
import * as signing from './signing.js';
import * as selfService from './self-service.js';
import * as apply from './apply.js';
import * as applications from './applications.js';

const MODULES = [expert, selfService, center, session, supervisor, interruptions, analytics, alerts, audit, admin, assessment, applications, venues, signing, apply];
const views = {};
for (const module of MODULES) {
  register(module.strings || {});
  Object.assign(views, module.views || {});
}

const HOME = { expert: 'expert/invitations', center: 'center/draws', supervisor: 'supervisor/overview', admin: 'admin/import' };

// A tenderer's representative (招标人代表) logs in with the expert role but has no pool record:
// their login serves one session, so the expert's own screens (invitations, record, ratings)
// are not offered and they land on their sessions.
const POOL_ONLY = (name) => name.startsWith('expert/');

let me = null;
let current = null; // { ctx, view, name }

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, search = ''] = hash.split('?');
  return { name, params: Object.fromEntries(new URLSearchParams(search)) };
}

export function go(name, params = {}) {
  const search = new URLSearchParams(params).toString();
  const target = `#/${name}${search ? `?${search}` : ''}`;
  if (location.hash === target) route();
  else location.hash = target;
}

function leave() {
  if (!current) return;
  for (const cleanup of current.ctx.cleanups) {
    try { cleanup(); } catch { /* leaving must not fail */ }
  }
  current = null;
}

async function route() {
  leave();
  const main = document.getElementById('main');
  if (!me) {
    const { name } = parseHash();
    const page = { activate: activationView, apply: apply.applyView }[name] || loginView;
    replace(main, page());
    renderHeader();
    return;
  }
  let { name, params } = parseHash();
  if (!name) name = me.representative ? 'session/list' : HOME[me.role];
  const view = views[name];
  renderHeader(name);
  if (!view) {
    replace(main, h('p', { role: 'alert', class: 'error' }, t('app.not_found')));
    return;
  }
  if (!view.roles.includes(me.role)) {
    replace(main, h('p', { role: 'alert', class: 'error' }, t('app.forbidden')));
    return;
  }
  const ctx = {
    me, params, go, cleanups: [], relabel: null,
    every(ms, fn) { const timer = setInterval(fn, ms); this.cleanups.push(() => clearInterval(timer)); },
    onLeave(fn) { this.cleanups.push(fn); },
  };
  current = { ctx, view, name };
  replace(main, h('p', { class: 'muted' }, t('app.loading')));
  try {
    const node = await view.render(ctx);
    if (current?.ctx === ctx) replace(main, node);
  } catch (error) {
    const slot = errorSlot();
    slot.show(error);
    if (current?.ctx === ctx) replace(main, slot.node);
  }
  document.title = `${t(view.nav || 'app.title')} — sealdraw`;
}

function renderHeader(active) {
  const top = document.getElementById('top');
  document.getElementById('skip-link').textContent = t('app.skip');
  const langButton = h('button', {
    type: 'button', id: 'lang-switch', class: 'link', lang: lang() === 'zh' ? 'en' : 'zh-CN',
    'aria-label': t('app.lang_switch_label'), on: { click: () => setLang(lang() === 'zh' ? 'en' : 'zh') },
  }, t('app.lang_switch'));
  const nav = me
    ? h('nav', { 'aria-label': t('app.title') }, h('ul', {},
      Object.entries(views)
        .filter(([name, view]) => view.nav && view.roles.includes(me.role) && !(me.representative && POOL_ONLY(name)))
        .map(([name, view]) => h('li', {}, h('a', {
          href: `#/${name}`, 'data-route': name, 'aria-current': name === active ? 'page' : null,
        }, t(view.nav))))))
    : null;
  const account = me
    ? h('div', { class: 'account' },
      h('span', { class: 'muted' }, t('app.signed_in_as'), ' '),
      h('strong', { id: 'whoami' }, me.username),
      h('span', { class: 'role' }, ` (${t(`role.${me.role}`)}${me.center_name ? ` · ${me.center_name}` : ''})`),
      action(t('app.logout'), logout, { kind: 'link', id: 'logout' }))
    : null;
  replace(top,
    h('div', { class: 'brand' }, h('img', { src: '/console/favicon.svg', alt: '', width: 28, height: 28 }), h('span', {}, t('app.title'))),
    nav, h('div', { class: 'top-right' }, account, langButton));
}

async function logout() {
  try { await api.post('/api/v1/auth/logout'); } catch { /* the token may already have ended */ }
  api.clearToken();
  me = null;
  location.hash = '#/';
  route();
}

/** The login form; `onDone(me)` runs after a successful login. */
function loginForm(prefix, onDone) {
  const slot = errorSlot();
  const username = h('input', { id: `${prefix}-username`, name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: `${prefix}-password`, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const totp = h('input', { id: `${prefix}-totp`, name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
  const submit = action(t('login.submit'), async () => {
    api.clearToken();
    const body = { username: username.value.trim(), password: password.value };
    if (totp.value.trim()) body.totp = totp.value.trim();
    const issued = await api.post('/api/v1/auth/login', body);
    api.setToken(issued.token);
    password.value = '';
    await onDone(await api.get('/api/v1/me'));
  }, { slot, id: `${prefix}-submit`, type: 'submit' });
  return h('form', { id: `${prefix}-form`, class: 'login', novalidate: true },
    field(t('login.username'), username),
    field(t('login.password'), password),
    field(t('login.totp'), totp, t('login.totp_hint')),
    slot.node, submit);
}

function loginView() {
  return h('section', { class: 'card narrow' },
    h('h1', {}, t('login.heading')),
    loginForm('login', async (account) => { me = account; route(); }),
    h('p', {}, h('a', { href: '#/activate' }, t('login.activate_link'))),
    h('p', {}, h('a', { href: '#/apply', id: 'apply-link' }, t('apply.link'))));
}

function activationView() {
  const slot = errorSlot();
  const username = h('input', { id: 'activate-username', autocomplete: 'username', required: true });
  const code = h('input', { id: 'activate-code', autocomplete: 'off', required: true });
  const password = h('input', { id: 'activate-password', type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  return h('section', { class: 'card narrow' },
    h('h1', {}, t('activate.heading')),
    h('form', { id: 'activate-form', novalidate: true },
      field(t('login.username'), username),
      field(t('activate.code'), code),
      field(t('activate.password'), password, t('activate.password_hint')),
      slot.node,
      action(t('activate.submit'), async () => {
        await api.post('/api/v1/auth/activate', { username: username.value.trim(), code: code.value.trim(), password: password.value });
        toast(t('activate.done'));
        location.hash = '#/';
      }, { slot, id: 'activate-submit', type: 'submit' })),
    h('p', {}, h('a', { href: '#/' }, t('common.back'))));
}

/** The token ended mid-work: ask for the password over the page, keeping what is on it. */
function askToLogInAgain() {
  if (!me || document.getElementById('relogin')) return;
  const expectedUser = me.username;
  api.clearToken();
  const dialog = h('dialog', { id: 'relogin', 'aria-labelledby': 'relogin-heading' },
    h('h2', { id: 'relogin-heading' }, t('login.relogin_heading')),
    h('p', { role: 'alert' }, t('login.expired')),
    loginForm('relogin', async (account) => {
      dialog.close();
      dialog.remove();
      if (account.username !== expectedUser) {
        toast(t('login.other_user'), 'bad');
        me = account;
        location.hash = '#/';
        route();
      }
    }));
  dialog.addEventListener('cancel', (event) => event.preventDefault());
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector('input[name=username]').value = expectedUser;
  dialog.querySelector('input[name=password]').focus();
}

async function start() {
  onLangChange(() => {
    renderHeader(current?.name);
    if (current?.ctx.relabel) current.ctx.relabel();
    else route();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('sealdraw:expired', askToLogInAgain);
  if (api.hasToken()) {
    try {
      me = await api.get('/api/v1/me');
    } catch {
      api.clearToken();
    }
  }
  route();
}

start();
