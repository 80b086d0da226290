// How the session room names things in the reader's language: phases, seats ("Expert n" or
// "Representative n", never a name), points, who a presence event is about, and one line per event for the session record.

import { t, formatTime } from '../i18n.js';

export const phaseName = (phase) => t(`session.phase.${phase}`);
// The seats of the tenderer's representatives (招标人代表) in the room being shown, which are
// labelled apart ("Representative n"); the room notes them before each redraw.
const representativeSeats = new Set();
/** Notes which of the room's seats (session view seats, or the room state's) are representatives'. */
export function noteRepresentatives(seats) {
  representativeSeats.clear();
  for (const seat of seats) if (seat.representative) representativeSeats.add(Number(seat.seat));
}
export const seatLabel = (n) => t(representativeSeats.has(Number(n)) ? 'session.representative_seat' : 'session.seat', { n });
/** Hundredths, as the server sends points, shown as points with two decimals. */
export const points = (centi) => (Number(centi) / 100).toFixed(2);

/** Who a presence event is about. */
export function whoLabel(data) {
  if (data.seat) return seatLabel(data.seat);
  if (data.role === 'host') return t('session.who.host');
  if (data.role === 'supervisor') return t('session.who.supervisor');
  if (data.role === 'operator') return t('session.who.operator', { venue: (String(data.who).match(/[0-9]+/) || [''])[0] });
  return String(data.who);
}

/** An event as a line of the session record; a kind without a line of its own shows its name. */
export function describeEvent(event) {
  const d = event.data || {};
  const label = d.seat ? seatLabel(d.seat) : '';
  const kind = event.kind;
  switch (kind) {
    case 'presence':
      return t(d.connected ? 'session.ev.presence.on' : 'session.ev.presence.off', { who: whoLabel(d) });
    case 'seat_vacated':
      return t('session.ev.seat_vacated', { label, reason: t(`session.void.${d.reason}`) });
    case 'seat_added':
      return t(d.representative ? 'session.ev.representative_added' : 'session.ev.seat_added', { label: seatLabel(d.seat) });
    case 'chair_elected':
      return t('session.ev.chair_elected', { label, votes: d.votes, cast: d.cast });
    case 'sheet_recorded':
      return t('session.ev.sheet_recorded', { bidder: d.sheet?.bidder, total: points(d.sheet?.total_centi) });
    case 'clarification_decided':
      return t('session.ev.clarification_decided', { number: d.number, state: t(`session.clar.${d.state}`) });
    case 'signed':
      return t('session.ev.signed', { label, signature: t(`session.signed.${d.signature}`) });
    case 'postponed':
      return t('session.ev.postponed', { ends: formatTime(d.ends_at) });
    case 'phase_changed':
      if (d.reason) return t('session.ev.phase_returned');
      return t('session.ev.phase_changed', { from: phaseName(d.from), to: phaseName(d.to) });
    default: {
      const key = `session.ev.${kind}`;
      const text = t(key, { ...d, label });
      return text === key ? kind : text;
    }
  }
}
