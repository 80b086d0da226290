// The evaluation session screens, one for every participant: the list of the account's sessions
// and the live room over the session websocket (docs/PROTOCOL.md). What the room shows and
// offers depends on the role the server gives this account in the session: an expert checks in,
// declares, votes, scores and signs; the host moves the phases and records departures; a
// supervisor watches, decides clarification requests and posts warnings; a venue operator
// watches. Experts are "Expert n" everywhere: nothing here ever carries a name.
//
// The room is in session/: room.js wires the connection (connection.js), the state and its
// reducer (state.js) and the panels (shared-panels.js and one per role); its header lists the
// ids the tests drive. Ids of the list: #sessions, #open-<session id>.

import * as api from './api.js';
import { h, replace, table } from './dom.js';
import { t } from './i18n.js';
import { Room } from './session/room.js';
import { phaseName, seatLabel } from './session/labels.js';
export { strings } from './strings/session.js';

async function renderList(ctx) {
  const box = h('div', { id: 'sessions' });
  async function load() {
    const sessions = await api.get('/api/v1/sessions');
    replace(box, table([
      { label: t('session.list.session'), value: (s) => h('span', { title: s.session_id }, h('strong', {}, s.tender_reference || ''), ' ', s.tender_name || '') },
      { label: t('session.list.mode'), value: (s) => t(`session.mode.${s.mode}`) },
      { label: t('session.list.phase'), value: (s) => h('span', { class: `badge ${s.phase === 'closed' ? '' : 'good'}` }, phaseName(s.phase)) },
      { label: t('session.list.role'), value: (s) => `${t(`session.role.${s.your_role}`)}${s.your_seat ? ` · ${seatLabel(s.your_seat)}` : ''}` },
      { label: t('session.list.size'), value: (s) => String(s.committee_size) },
      {
        label: t('common.actions'),
        value: (s) => h('button', {
          type: 'button', class: 'primary', id: `open-${s.session_id}`,
          'aria-label': t('session.list.open_label', { id: s.tender_reference || s.session_id.slice(-12) }),
          on: { click: () => ctx.go('session/room', { id: s.session_id }) },
        }, t('session.list.open')),
      },
    ], sessions, { empty: t('session.list.none') }));
  }
  await load();
  ctx.every(15000, () => load().catch(() => { /* the next refresh tries again */ }));
  return h('div', {}, h('h1', {}, t('session.list.heading')), box);
}

async function renderRoom(ctx) {
  const id = ctx.params.id;
  if (!id) {
    ctx.go('session/list');
    return h('p', {}, t('app.loading'));
  }
  const view = await api.get(`/api/v1/sessions/${encodeURIComponent(id)}`);
  const room = new Room(view);
  // Whose signing key on this device signs the member's decision (signing-key.js).
  room.accountId = ctx.me.account_id;
  room.start();
  ctx.onLeave(() => room.stop());
  ctx.relabel = () => room.build();
  // The countdown to the evaluation's end moves by the minute, events or not.
  ctx.every(30000, () => room.render());
  return room.root;
}

export const views = {
  'session/list': {
    roles: ['expert', 'center', 'supervisor'],
    nav: 'session.nav.list',
    render: renderList,
  },
  'session/room': {
    roles: ['expert', 'center', 'supervisor'],
    render: renderRoom,
  },
};
