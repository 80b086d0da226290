// The session room's actions for the host (the center that runs the session from the main
// venue) and for sub-venue operators, who follow their venue's session and send no requests:
// the host adds randomness for the seat assignment, moves the session on a phase at a time
// (a refused move lists every unmet condition with the seats concerned) and records a member's
// recusal or departure.

import * as api from '../api.js';
import { h, replace, field, errorSlot, action, toast, confirmAct, markInvalid } from '../dom.js';
import { t, formatTime } from '../i18n.js';
import { atOrAfter, nextPhase } from './state.js';
import { phaseName, seatLabel } from './labels.js';
import { entropyPanel, ratingsPanel } from './shared-panels.js';
import { settlementPanel } from '../fees.js';

export function hostPanel(room) {
  const { state } = room;
  const parts = [];
  if (state.role === 'host') {
    if (state.phase === 'scheduled' && state.view.assignment === 'random') parts.push(entropyPanel(room));
    const consents = consentPanel(room);
    if (consents) parts.push(consents);
    parts.push(...hostActions(room));
  }
  if (state.phase === 'closed') parts.push(h('p', { class: 'ok' }, t('session.closed_note')));
  if (state.phase === 'closed' && state.role === 'host') parts.push(ratingsPanel(room));
  if (state.phase === 'closed' && state.role === 'host') parts.push(settlementPanel(room.id));
  if (!parts.length) parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
  return parts;
}

function hostActions(room) {
  const { state } = room;
  const parts = [];
  const next = nextPhase(state.phase);
  if (next) {
    const slot = errorSlot();
    const problems = h('div', { id: 'advance-problems' });
    if (state.advanceProblem) replace(problems, problemList(state.advanceProblem));
    parts.push(h('div', { class: 'panel' },
      action(t('session.host.next', { phase: phaseName(next) }), async () => {
        const ok = await confirmAct({
          heading: t('session.host.next_heading', { phase: phaseName(next) }),
          text: t(`session.host.next_confirm.${next}`, { from: phaseName(state.phase), phase: phaseName(next) }),
          confirm: t('session.host.next', { phase: phaseName(next) }),
          danger: false,
        });
        if (!ok) return;
        replace(problems);
        try {
          await room.send('advance', { to: next });
        } catch (error) {
          if (error.code === 'precondition-failed') {
            replace(problems, problemList(error));
            if (room.consentBox) loadConsents(room);
            return;
          }
          throw error;
        }
      }, { slot, id: 'next-phase', attrs: { 'data-to': next } }),
      problems, slot.node));
  }
  if (atOrAfter(state.phase, 'check_in') && state.phase !== 'closed') {
    const active = [...state.seats.values()].filter((s) => s.state === 'active');
    const slot = errorSlot();
    const seat = h('select', { id: 'replace-seat' }, active.map((s) => h('option', { value: s.seat }, seatLabel(s.seat))));
    const reason = h('select', { id: 'replace-reason' },
      ['withdrew', 'recused'].map((r) => h('option', { value: r }, t(`session.host.reason.${r}`))));
    const confirm = h('input', { type: 'checkbox', id: 'replace-confirm' });
    parts.push(h('details', { class: 'panel' },
      h('summary', {}, t('session.host.replace_heading')),
      h('div', { class: 'inline' }, field(t('session.host.replace_seat'), seat), field(t('session.host.replace_reason'), reason)),
      h('label', { class: 'check' }, confirm, ' ', t('session.host.replace_confirm')),
      h('div', { class: 'buttons' }, action(t('session.host.replace_submit'), async () => {
        if (!confirm.checked) throw new Error(t('session.host.replace_need_confirm'));
        const n = Number(seat.value);
        await room.send('replace', { seat: n, reason: reason.value });
        confirm.checked = false;
        toast(t('session.host.replaced', { label: seatLabel(n) }));
      }, { slot, id: 'replace-submit', kind: 'danger' })),
      slot.node));
  }
  const successor = representativeSuccessor(room);
  if (successor) parts.push(successor);
  return parts;
}

/**
 * A tenderer's representative whose seat is void is succeeded by one the host names (招标投标法
 * §37: no reserve takes a representative's seat): name, employer, title; the new login, its
 * activation code and join code are shown once, to hand over. Ids: #successor-name,
 * #successor-employer, #successor-title, #successor-submit, #successor-login.
 */
function representativeSuccessor(room) {
  const { state } = room;
  const seats = [...state.seats.values()];
  const vacated = seats.some((s) => s.representative && s.state === 'void');
  if (!vacated || state.phase === 'closed') return null;
  const slot = errorSlot();
  const name = h('input', { id: 'successor-name', maxlength: 50, 'data-field': 'name' });
  const employer = h('input', { id: 'successor-employer', maxlength: 100, 'data-field': 'employer' });
  const title = h('input', { id: 'successor-title', maxlength: 50, 'data-field': 'title' });
  // Kept on the room: the panel is redrawn as events arrive, and the login is shown only once.
  const shown = h('div', { id: 'successor-login', 'aria-live': 'polite' },
    room.successorLogins ? representativeLogins(room.successorLogins) : null);
  return h('details', { class: 'panel', open: true },
    h('summary', {}, t('session.host.successor_heading')),
    h('p', { class: 'hint' }, t('session.host.successor_hint')),
    h('div', { class: 'inline' }, field(t('center.session.rep_name'), name), field(t('center.session.rep_employer'), employer),
      field(t('center.session.rep_title'), title)),
    h('div', { class: 'buttons' }, action(t('session.host.successor_submit'), async () => {
      if (!name.value.trim()) {
        markInvalid(name, t('center.check.required'));
        throw new Error(t('center.check.fix'));
      }
      markInvalid(name, null);
      const body = { name: name.value.trim() };
      if (employer.value.trim()) body.employer = employer.value.trim();
      if (title.value.trim()) body.title = title.value.trim();
      const login = await api.post(`/api/v1/sessions/${encodeURIComponent(room.id)}/representatives`, body);
      name.value = '';
      employer.value = '';
      title.value = '';
      room.successorLogins = [...(room.successorLogins || []), login];
      replace(shown, representativeLogins(room.successorLogins));
    }, { slot, id: 'successor-submit' })),
    slot.node, shown);
}

/**
 * The logins of tenderer's representatives as the server hands them over, once: seat, name,
 * username, activation code (until when) and join code, to give each representative through a
 * trusted channel. Shared with the center's session form.
 */
export function representativeLogins(logins) {
  return h('div', { class: 'card once', role: 'status' },
    h('p', { class: 'warning' }, t('center.session.logins_once')),
    h('table', { class: 'data', id: 'representative-logins' },
      h('thead', {}, h('tr', {}, ['rep_seat', 'rep_name', 'rep_username', 'rep_code', 'rep_expires', 'rep_join'].map((k) => h('th', { scope: 'col' }, t(`center.session.${k}`))))),
      h('tbody', {}, logins.map((l) => h('tr', { id: `representative-login-${l.seat}` },
        h('td', {}, t('session.representative_seat', { n: l.seat })), h('td', {}, l.name),
        h('td', { class: 'mono', 'data-part': 'username' }, l.username),
        h('td', { class: 'mono', 'data-part': 'activation_code' }, l.activation_code),
        h('td', {}, formatTime(l.activation_expires_at)),
        h('td', { class: 'mono', 'data-part': 'join_code' }, l.join_code))))),
    h('p', { class: 'hint' }, t('center.session.logins_hint')));
}

/**
 * The consent of each catalogue sub-venue's center (docs/VENUES.md §4), read from the venue
 * requests this center made for this session: check-in waits for every one, and a refusal
 * gives its reason. The list is kept on the room and read again on demand and after a refused
 * move, not on every redraw.
 */
function consentPanel(room) {
  const subs = (room.state.view.venues || []).filter((v) => !v.main && v.venue_id);
  if (!subs.length || room.state.phase !== 'scheduled') return null;
  if (!room.consentBox) {
    room.consentBox = h('div', { id: 'venue-consents', 'aria-live': 'polite' }, t('app.loading'));
    loadConsents(room);
  }
  return h('div', { class: 'panel' }, h('h3', {}, t('session.consent.heading')), room.consentBox,
    action(t('session.consent.refresh'), () => loadConsents(room), { kind: '', id: 'venue-consents-refresh' }));
}

async function loadConsents(room) {
  let requests;
  try {
    requests = await api.get('/api/v1/venue-requests');
  } catch (error) {
    replace(room.consentBox, h('p', { class: 'error' }, error.detail || error.message));
    return;
  }
  const mine = requests.filter((r) => r.holder?.kind === 'session' && r.holder.id === room.id);
  replace(room.consentBox, mine.length
    ? h('ul', { class: 'plain' }, mine.map((r) => h('li', { 'data-state': r.state, id: `venue-consent-${r.venue_id}` },
      h('strong', {}, r.venue_name), ` (${r.venue_center})：`,
      t(`session.consent.${r.state}`, { reason: r.reason || '' }))))
    : h('p', { class: 'muted' }, t('common.none')));
}

/** A refused move: every unmet condition, with the seats concerned (PROTOCOL.md §3.2). */
function problemList(error) {
  const missing = Array.isArray(error.missing) ? error.missing : [];
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, t('session.host.problems')),
    missing.length
      ? h('ul', {}, missing.map((m) => {
        const key = `session.missing.${m.code}`;
        // A sub-venue's consent names the venue and any refusal's reason: both are kept.
        const text = t(key) === key ? m.detail : m.code === 'sub-venue-consent' ? `${t(key)}：${m.detail}` : t(key);
        return h('li', { 'data-code': m.code }, text, m.seats && m.seats.length ? `：${m.seats.map(seatLabel).join('、')}` : '');
      }))
      : h('p', {}, error.detail));
}
