// What everyone in the session room sees, whatever their role: the committee, the clarification
// requests, the supervisors' warnings, the summary, the report's digest (checked in this
// browser), one line per event, and the seat-assignment randomness the host and supervisors
// may add. Each function draws from the room's state (state.js) and returns nodes.

import * as api from '../api.js';
import { h, errorSlot, action, toast, randomHex } from '../dom.js';
import { t, formatTime } from '../i18n.js';
import { atOrAfter, STAFF } from './state.js';
import { seatLabel, points, whoLabel, describeEvent } from './labels.js';
import { reportDocument } from './report-view.js';
import { signatureStatus } from './signature-status.js';
import { ratingControl } from '../ratings.js';

const isStaff = (state) => STAFF.includes(state.role);

export function committee(state) {
  const staff = isStaff(state);
  const yes = (value) => (value ? h('span', { class: 'badge good' }, t('session.yes')) : h('span', { class: 'muted' }, '—'));
  const online = (s) => (state.seatOnline.get(s.seat) || 0) > 0;
  const columns = [
    { label: t('session.col.seat'), value: (s) => [h('strong', {}, seatLabel(s.seat)), s.seat === state.mySeat ? t('session.mine') : '', s.seat === state.chair ? [' ', h('span', { class: 'badge good' }, t('session.chair_mark'))] : ''] },
  ];
  if (state.view.mode === 'cross_site') columns.push({ label: t('session.col.venue'), value: (s) => venueName(state, s.venue) });
  columns.push(
    {
      label: t('session.col.state'),
      value: (s) => (s.state === 'void'
        ? h('span', { class: 'badge bad' }, `${t('session.state.void')}${s.voidReason ? `（${t(`session.void.${s.voidReason}`)}）` : ''}`)
        : s.confirmed ? t('session.state.active') : h('span', { class: 'badge warn' }, t('session.state.pending'))),
    },
    { label: t('session.col.checked_in'), value: (s) => yes(s.checkedIn) },
    { label: t('session.col.declared'), value: (s) => yes(s.declared) },
    { label: t('session.col.voted'), value: (s) => yes(s.voted) },
    { label: t('session.col.sheets'), value: (s) => `${s.sheets.size}/${state.view.bidders.length}` },
    { label: t('session.col.signed'), value: (s) => (s.signed ? h('span', { class: `badge ${s.signed === 'agree' ? 'good' : 'warn'}` }, t(`session.signed.${s.signed}`)) : '—') },
  );
  if (staff) {
    columns.push({
      label: t('session.col.connected'),
      value: (s) => (online(s)
        ? h('span', { class: 'badge good' }, t('session.online'))
        : h('span', { class: 'muted' }, t('session.offline'))),
    });
  }
  const rows = [...state.seats.values()].sort((a, b) => a.seat - b.seat);
  const node = h('table', { id: 'committee', class: 'compact' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((s) => h('tr', {
      id: `seat-${s.seat}`, 'data-state': s.state,
      'data-connected': staff ? String(online(s)) : null,
      class: s.seat === state.mySeat ? 'mine' : null,
    }, columns.map((c) => h('td', { 'data-label': c.label }, c.value(s)))))));
  const connectedStaff = staff
    ? [...state.presence.values()].filter((p) => p.count > 0 && !p.data.seat)
    : [];
  return [h('div', { class: 'table-scroll' }, node), connectedStaff.length
    ? h('p', { class: 'muted', id: 'staff-connections' }, `${t('session.staff_connections')}: `,
      connectedStaff.map((p) => whoLabel(p.data)).join('、'))
    : null];
}

/** What the committee table's drawing depends on: it is redrawn only when this changes. */
export function committeeKey(state) {
  return [state.role, state.mySeat, state.chair, state.phase,
    [...state.seats.values()].map((s) => [s.seat, s.venue, s.state, s.voidReason, s.confirmed, s.checkedIn, s.declared, s.voted, s.sheets.size, s.signed]),
    isStaff(state) ? [...state.seatOnline.entries(), ...[...state.presence.values()].map((p) => p.count)] : null];
}

function venueName(state, venue) {
  if (venue === null || venue === undefined) return '—';
  return state.view.venues.find((v) => v.venue === venue)?.name || String(venue);
}

/** The clarification requests this account may see; `decide(clarification, slot)`, if given, adds a supervisor's buttons to a pending one. */
export function clarifications(state, decide) {
  const list = [...state.clarifications.values()].sort((a, b) => a.number - b.number);
  if (!list.length) return null;
  return h('section', { class: 'card', id: 'clarifications' },
    h('h2', {}, t('session.clarifications')),
    h('ul', { class: 'plain' }, list.map((c) => {
      const slot = errorSlot();
      return h('li', { id: `clarification-${c.number}`, 'data-state': c.state },
        h('span', { class: `badge ${c.state === 'approved' ? 'good' : c.state === 'refused' ? 'bad' : 'warn'}` }, t(`session.clar.${c.state}`)), ' ',
        t('session.clar.line', { n: c.number, label: seatLabel(c.seat), bidder: c.bidder, question: c.question }),
        decide && c.state === 'pending' ? decide(c, slot) : null,
        slot.node);
    })));
}

/** Proposals to reject a bid (实施条例 §51), their votes and the committee's decisions. */
export function rejections(state) {
  const list = [...state.rejections.values()].sort((a, b) => a.proposal - b.proposal);
  if (!list.length) return null;
  return h('section', { class: 'card', id: 'rejections' },
    h('h2', {}, t('session.rej.list_heading')),
    h('ul', { class: 'plain' }, list.map((r) => h('li', { id: `rejection-${r.proposal}`, 'data-state': r.state, 'data-bidder': r.bidder },
      h('span', { class: `badge ${r.state === 'rejected' ? 'bad' : r.state === 'open' ? 'warn' : 'good'}` }, t(`session.rej.${r.state}`)), ' ',
      t('session.rej.line', { n: r.proposal, bidder: r.bidder, ground: t(`session.ground.${r.ground}`), label: seatLabel(r.seat) }), ' ',
      h('span', { class: 'reasons' }, r.reasons || ''), ' ',
      h('span', { class: 'muted' }, t('session.rej.tally', {
        for: [...(r.votes || new Map()).values()].filter(Boolean).length,
        against: [...(r.votes || new Map()).values()].filter((v) => !v).length,
        members: r.members || '?',
      }))))));
}

export function warnings(state) {
  if (!state.warnings.length) return null;
  return h('div', { class: 'warning', id: 'warnings', role: 'region', 'aria-label': t('session.warnings') },
    h('strong', {}, t('session.warnings')),
    h('ul', {}, state.warnings.slice().reverse().map((w) => h('li', { 'data-seq': w.seq }, h('span', { class: 'mono' }, formatTime(w.at).slice(-8)), ' ', w.text))));
}

export function summary(state) {
  if (!state.summary || !atOrAfter(state.phase, 'summary')) return null;
  const criteria = state.view.criteria.map((c) => c.name);
  return h('section', { class: 'card', id: 'summary' },
    h('h2', {}, t('session.summary.heading')),
    h('p', { class: 'muted' }, t('session.summary.deviation_note', { p: state.view.deviation_percent })),
    state.summary.map((bidder) => h('div', { class: 'summary-bidder' },
      h('h3', {}, bidder.bidder, ' — ', t('session.summary.median', { median: points(bidder.median_total_centi) })),
      h('div', { class: 'table-scroll' }, h('table', {},
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, t('session.col.seat')),
          criteria.map((name) => h('th', { scope: 'col' }, name)),
          h('th', { scope: 'col' }, t('session.summary.total')),
          h('th', { scope: 'col' }, t('session.summary.comment')))),
        h('tbody', {}, (bidder.sheets || []).map((sheet) => h('tr', { class: sheet.deviates ? 'deviates' : null, 'data-deviates': String(Boolean(sheet.deviates)) },
          h('th', { scope: 'row' }, seatLabel(sheet.seat)),
          criteria.map((name) => h('td', { class: 'num', 'data-label': name }, points(sheet.scores_centi?.[name] ?? 0))),
          h('td', { class: 'num', 'data-label': t('session.summary.total') }, h('strong', {}, points(sheet.total_centi)), sheet.deviates ? [' ', h('span', { class: 'badge bad' }, t('session.summary.deviates'))] : null),
          h('td', { 'data-label': t('session.summary.comment') }, sheet.comment || '')))))))));
}

export function report(state) {
  if (!state.report && !state.closed) return null;
  const parts = [h('h2', {}, t('session.report.heading'))];
  if (state.report) {
    const verified = state.report.verified;
    parts.push(h('dl', { class: 'facts' },
      h('dt', {}, t('session.report.sha')),
      h('dd', {}, h('code', { id: 'report-sha256' }, state.report.sha))),
    h('p', {
      id: 'report-verified', 'data-verified': verified === null ? null : String(verified),
      class: verified === null ? 'muted' : verified ? 'ok' : 'error',
    }, verified === null ? t('session.report.checking') : verified ? t('session.report.verified') : t('session.report.mismatch')));
    // Members read it on their signing screen while signing; staff here, and everyone once
    // the session has closed. Only a report that matched its digest in this browser is drawn.
    if ((isStaff(state) || state.phase === 'closed') && verified) parts.push(reportDocument(state.report.report, { sha: state.report.sha }));
    // Who has signed, and with what, as the decisions come in (issue 19 §1).
    parts.push(signatureStatus(state));
  }
  if (state.closed) {
    parts.push(h('dl', { class: 'facts' },
      h('dt', {}, t('session.report.final')),
      h('dd', {}, h('code', { id: 'final-report-sha256' }, state.closed.report_sha256))));
  }
  return h('section', { class: 'card', id: 'report' }, parts);
}

/** One event in the session record. */
export function logItem(event) {
  return h('li', { 'data-seq': event.seq, 'data-kind': event.kind },
    h('span', { class: 'muted mono' }, `#${event.seq} ${formatTime(event.at).slice(-8)} `), describeEvent(event));
}

/** Randomness for the seat assignment, which the host and the supervisors may each add. */
export function entropyPanel(room) {
  const slot = errorSlot();
  return h('div', { class: 'panel' },
    h('h3', {}, t('session.entropy.heading')),
    h('p', {}, t('session.entropy.count', { n: room.state.contributions || 0 })),
    action(t('session.entropy.submit'), async () => {
      const result = await api.post(`/api/v1/sessions/${encodeURIComponent(room.id)}/entropy`, { entropy: randomHex(32) });
      toast(t('session.entropy.done', { n: result.position }));
    }, { slot, id: 'contribute-entropy', kind: 'secondary' }),
    slot.node);
}

/**
 * Once the session has closed, its host and supervisors rate each member who served (checked
 * in), once per seat (issue 16 §6). The marks go to the expert's credit file by seat; the
 * expert reads them without learning who rated.
 */
export function ratingsPanel(room) {
  const { state } = room;
  if (state.phase !== 'closed' || !['host', 'supervisor'].includes(state.role)) return null;
  const slot = errorSlot();
  // A tenderer's representative has no pool record, so no credit file to rate into.
  const served = [...state.seats.values()].filter((seat) => seat.checkedIn && !seat.representative).sort((a, b) => a.seat - b.seat);
  return h('div', { class: 'panel', id: 'session-ratings' },
    h('h3', {}, t('session.rate.heading')),
    h('p', { class: 'hint' }, t('session.rate.hint')),
    h('ul', { class: 'plain ratings' }, served.map((seat) => ratingControl({
      key: `seat-${seat.seat}`,
      label: seatLabel(seat.seat),
      rated: room.ratedSeats.has(seat.seat),
      slot,
      send: async (marks) => {
        try {
          await api.post(`/api/v1/sessions/${encodeURIComponent(room.id)}/ratings`, { seat: seat.seat, ...marks });
          toast(t('session.rate.done', { seat: seatLabel(seat.seat) }));
        } catch (error) {
          if (error.status !== 409) throw error;
        }
        room.ratedSeats.add(seat.seat);
        room.render(true);
      },
    }))),
    slot.node);
}
