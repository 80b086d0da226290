// The session room's actions for the host (the center that runs the session from the main
// venue) and for sub-venue operators, who follow their venue's session and send no requests:
// the host adds randomness for the seat assignment, moves the session on a phase at a time
// (a refused move lists every unmet condition with the seats concerned) and records a member's
// recusal or departure.

import { h, replace, field, errorSlot, action, toast } from '../dom.js';
import { t } from '../i18n.js';
import { atOrAfter, nextPhase } from './state.js';
import { phaseName, seatLabel } from './labels.js';
import { entropyPanel } from './shared-panels.js';

export function hostPanel(room) {
  const { state } = room;
  const parts = [];
  if (state.role === 'host') {
    if (state.phase === 'scheduled' && state.view.assignment === 'random') parts.push(entropyPanel(room));
    parts.push(...hostActions(room));
  }
  if (state.phase === 'closed') parts.push(h('p', { class: 'ok' }, t('session.closed_note')));
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
        replace(problems);
        try {
          await room.send('advance', { to: next });
        } catch (error) {
          if (error.code === 'precondition-failed') {
            replace(problems, problemList(error));
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
  return parts;
}

/** A refused move: every unmet condition, with the seats concerned (PROTOCOL.md §3.2). */
function problemList(error) {
  const missing = Array.isArray(error.missing) ? error.missing : [];
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, t('session.host.problems')),
    missing.length
      ? h('ul', {}, missing.map((m) => {
        const key = `session.missing.${m.code}`;
        const text = t(key) === key ? m.detail : t(key);
        return h('li', { 'data-code': m.code }, text, m.seats && m.seats.length ? `：${m.seats.map(seatLabel).join('、')}` : '');
      }))
      : h('p', {}, error.detail));
}
