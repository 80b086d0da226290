// The session room's actions for a supervisor, who watches everything live: add randomness for
// the seat assignment, post warnings to everyone, and approve or refuse the experts'
// clarification requests during the evaluation (the buttons sit beside each request in the
// shared list).

import { h, field, errorSlot, action, toast, markInvalid } from '../dom.js';
import { t } from '../i18n.js';
import { entropyPanel, ratingsPanel } from './shared-panels.js';

export function supervisorPanel(room) {
  const { state } = room;
  const parts = [];
  if (state.phase === 'scheduled' && state.view.assignment === 'random') parts.push(entropyPanel(room));
  parts.push(state.phase === 'closed' ? h('p', { class: 'ok' }, t('session.closed_note')) : warnPanel(room));
  if (state.phase === 'closed') parts.push(ratingsPanel(room));
  return parts;
}

function warnPanel(room) {
  const slot = errorSlot();
  const text = h('textarea', { id: 'warn-text', maxlength: 2000, rows: 3 });
  return h('div', { class: 'panel' },
    h('h3', {}, t('session.warn.heading')),
    field(t('session.warn.text'), text),
    action(t('session.warn.submit'), async () => {
      const value = text.value.trim();
      markInvalid(text, value ? null : t('session.warn.empty'));
      if (!value) return;
      await room.send('warn', { text: value });
      text.value = '';
      toast(t('session.warn.sent'));
    }, { slot, id: 'warn-submit' }),
    slot.node);
}

/** Approve and refuse buttons for a pending clarification request; errors go to `slot`. */
export function clarificationDecision(room, clarification, slot) {
  const decide = (approve) => action(
    t(approve ? 'session.clar.approve' : 'session.clar.refuse', { n: clarification.number }),
    async () => { await room.send('decide_clarification', { number: clarification.number, approve }); },
    { slot, id: `clarification-${clarification.number}-${approve ? 'approve' : 'refuse'}`, kind: approve ? 'primary' : 'danger' },
  );
  return h('div', { class: 'buttons' }, decide(true), decide(false));
}
