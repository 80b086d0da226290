// Each member's decision on the report and what stands behind it (issue 19 §1): signed with an
// enrolled key the server verified (the key's kind and fingerprint, from the `signed` event's
// `signing_key`), agreed without a signature, dissented with reasons, deemed to agree at
// closing, or not yet decided. Drawn from the room's state, so it follows the events as they
// come; everyone in the room sees it (the room's own access rules decide who is in it).
//
// Stable ids for tests: #signature-status, rows #signature-status-N (N = seat) with
// data-decision (agree|dissent|deemed_agree|undecided|void) and data-signed (true|false),
// and data-fingerprint for a verified signature.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { seatLabel } from './labels.js';

/** A seat's decision as the table names it. */
export function decisionOf(seat) {
  if (seat.state === 'void') return 'void';
  return seat.signed || 'undecided';
}

export function signatureStatus(state) {
  const seats = [...state.seats.values()].sort((a, b) => a.seat - b.seat);
  const headers = [t('signing.status.seat'), t('signing.status.decision'), t('signing.status.signature'), t('signing.status.reasons')];
  return h('div', { class: 'signature-status' },
    h('h3', {}, t('signing.status.heading')),
    h('div', { class: 'table-scroll' }, h('table', { id: 'signature-status', class: 'compact' },
      h('thead', {}, h('tr', {}, headers.map((label) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, seats.map((seat) => {
        const decision = decisionOf(seat);
        const key = seat.signingKey;
        const tone = { agree: 'good', deemed_agree: 'warn', dissent: 'warn', void: 'bad' }[decision] || '';
        const cells = [
          seatLabel(seat.seat),
          h('span', { class: `badge ${tone}` }, t(`signing.decision.${decision}`)),
          key
            ? h('span', { class: 'ok', title: key.fingerprint }, t('signing.signature.verified', { kind: t(`signing.kind.${key.kind}`), fingerprint: String(key.fingerprint).slice(0, 16) }))
            : h('span', { class: 'muted' }, seat.signed && seat.signed !== 'deemed_agree' ? t('signing.signature.none') : '—'),
          decision === 'dissent' ? h('span', { class: 'reasons' }, seat.reasons || '') : '',
        ];
        return h('tr', {
          id: `signature-status-${seat.seat}`, 'data-decision': decision, 'data-signed': String(Boolean(key)),
          'data-fingerprint': key ? key.fingerprint : null,
        }, cells.map((cell, i) => h('td', { 'data-label': headers[i] }, cell)));
      })))));
}

/** What the table's drawing depends on. */
export function signatureStatusKey(state) {
  return [...state.seats.values()].map((s) => [s.seat, s.state, s.signed, s.reasons, s.signingKey?.key_id]);
}
