// Unit tests of the session room's state (src/console/assets/session/state.js): every frame type
// and event kind the protocol documents, fed to the reducer as the session websocket delivers
// them (docs/PROTOCOL.md), and what the room must make of them: a resumed connection applies no
// event twice, a reply that arrives on a later connection still counts, other experts' sheets
// stay hidden until the summary, a vacated seat voids what it held. Every step also checks that
// the state it was given is left as it was. And the report's digest, recomputed as an expert's
// browser does before signing, against the example in PROTOCOL.md §10.3.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { importAsset } from './assets.mjs';

const { initialState, reduce, FRAME_TYPES, EVENT_KINDS, LOG_LIMIT } = await importAsset('session/state.js');
const { reportDigest } = await importAsset('session/report-digest.js');

const PROTOCOL = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** A session view as GET /api/v1/sessions/{id} gives it to the expert in seat 3. */
function sessionView(changes = {}) {
  return {
    session_id: '0190f1e2-7c3a-7000-8000-00000000a001',
    mode: 'cross_site',
    phase: 'scheduled',
    assignment: 'random',
    contributions: 0,
    venues: [{ venue: 0, name: '武汉主场', seats: 2, main: true }, { venue: 1, name: '宜昌副场', seats: 3, main: false }],
    seats: [1, 2, 3, 4, 5].map((seat) => ({
      seat, label: `Expert ${seat}`, venue: null, state: 'active', void_reason: null,
      confirmed: true, checked_in: false, declared: false, signed: null,
    })),
    chair: null,
    bidders: ['Bidder A', 'Bidder B'],
    criteria: [{ name: 'technical', max_points: 60 }, { name: 'price', max_points: 40 }],
    deviation_percent: 20,
    ends_at: '2026-12-04T12:00:00Z',
    extensions: 0,
    your_role: 'expert',
    your_seat: 3,
    last_seq: 0,
    ...changes,
  };
}

/** Applies each input in turn, checking that none alters the state it was given. */
function run(state, ...inputs) {
  for (const input of inputs) {
    const before = structuredClone(state);
    const next = reduce(state, input);
    assert.deepEqual(state, before, `reducing ${JSON.stringify(input)} changed the state it was given`);
    state = next;
  }
  return state;
}

let at = 0;
const event = (seq, kind, data = {}) => {
  at += 1;
  return { type: 'event', v: 1, seq, at: `2026-11-26T00:41:${String(at % 60).padStart(2, '0')}.512Z`, kind, data };
};
const welcome = (changes = {}) => ({ type: 'welcome', v: 1, session_id: 'x', role: 'expert', seat: 3, phase: 'check_in', last_seq: 0, ...changes });
const synced = { type: 'synced', v: 1, last_seq: 0 };
const seat = (state, n) => state.seats.get(n);
const seqs = (state) => state.log.map((e) => e.seq);

/** A state just connected: welcomed, replayed up to now and live. */
function connected(view = sessionView(), ...replay) {
  return run(initialState(view), welcome({ role: view.your_role, seat: view.your_seat, phase: view.phase }), ...replay, synced);
}

// ---- PROTOCOL.md and the reducer name the same frames and events ----

test('the reducer handles exactly the server frame types that PROTOCOL.md documents', () => {
  // Server frames open with their type and version; requests in the examples do not.
  const documented = new Set([...PROTOCOL.matchAll(/\{"type":"([a-z_]+)","v":1/g)].map((m) => m[1]));
  assert.deepEqual([...FRAME_TYPES].sort(), [...documented].sort());
});

test('the reducer handles exactly the event kinds of PROTOCOL.md §4', () => {
  const section = PROTOCOL.slice(PROTOCOL.indexOf('\n## 4. Events'), PROTOCOL.indexOf('\n## 5.'));
  // The rows of the table under its header (`| kind | audience | …`) and separator lines.
  const body = section.slice(section.indexOf('\n|---'));
  const documented = [...body.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
  assert.ok(documented.length >= 20, `the table of §4 was found: ${documented}`);
  assert.deepEqual([...EVENT_KINDS].sort(), [...documented].sort());
});

// ---- Frames ----

test('the first state is the session view, not yet live', () => {
  const state = initialState(sessionView({ phase: 'check_in', chair: 2, contributions: 1 }));
  assert.equal(state.role, 'expert');
  assert.equal(state.mySeat, 3);
  assert.equal(state.phase, 'check_in');
  assert.equal(state.chair, 2);
  assert.equal(state.contributions, 1);
  assert.deepEqual([...state.seats.keys()], [1, 2, 3, 4, 5]);
  assert.equal(seat(state, 3).confirmed, true);
  assert.equal(seat(state, 3).sheets.size, 0);
  assert.equal(state.live, false);
  assert.equal(state.lastSeq, 0);
});

test('a welcome gives the phase and role, and events are news only once the replay is over', () => {
  let state = run(initialState(sessionView({ your_seat: null, your_role: 'supervisor' })),
    welcome({ role: 'expert', seat: 4, phase: 'recusal' }));
  assert.equal(state.role, 'expert');
  assert.equal(state.mySeat, 4);
  assert.equal(state.phase, 'recusal');
  assert.equal(state.live, false);
  state = run(state, event(1, 'session_created', { seats: 5 }));
  assert.equal(state.live, false, 'a replayed event is history');
  state = run(state, synced);
  assert.equal(state.live, true);
  assert.equal(run(state, { type: 'connection_lost' }).live, false);
  // A staff welcome names no seat: the seat known stays (none).
  assert.equal(run(initialState(sessionView({ your_seat: null, your_role: 'host' })), welcome({ role: 'host', seat: undefined })).mySeat, null);
});

test('an error frame that vacates this seat ends the expert\'s part; other errors change nothing', () => {
  const state = connected();
  for (const code of ['too-slow', 'heartbeat-timeout', 'malformed-frame', 'unavailable']) {
    assert.equal(reduce(state, { type: 'error', v: 1, code, detail: '' }), state, code);
  }
  assert.equal(run(state, { type: 'error', v: 1, code: 'seat-vacated', detail: '' }).vacated, true);
});

test('frames and notes of unknown types are ignored (later minor versions may add frames)', () => {
  const state = connected();
  assert.equal(reduce(state, { type: 'hello', v: 1 }), state);
  assert.equal(reduce(state, { type: 'toString' }), state);
  assert.equal(reduce(state, { type: 'constructor' }), state);
});

// ---- Events, kind by kind ----

test('session_created is recorded and changes nothing the view did not already say', () => {
  const before = connected();
  const after = run(before, event(1, 'session_created', { mode: 'cross_site', seats: 5, bidders: ['X'], criteria: [] }));
  assert.deepEqual(seqs(after), [1]);
  assert.deepEqual({ ...after, log: [], lastSeq: 0 }, { ...before, log: [], lastSeq: 0 });
});

test('contribution counts the randomness received, by its position', () => {
  let state = run(connected(), event(2, 'contribution', { position: 1, role: 'host' }));
  assert.equal(state.contributions, 1);
  state = run(state, event(3, 'contribution', { position: 2, role: 'supervisor' }));
  assert.equal(state.contributions, 2);
  // The view may already count more than an event replayed from before it.
  assert.equal(run(initialState(sessionView({ contributions: 2 })), event(2, 'contribution', { position: 1 })).contributions, 2);
});

test('presence counts each participant\'s open connections and each seat\'s, never below zero', () => {
  const host = { who: 'host', role: 'host', seat: null };
  const expert = { who: 'Expert 3', role: 'expert', seat: 3 };
  let state = run(connected(sessionView({ your_role: 'host', your_seat: null })),
    event(4, 'presence', { ...host, connected: true }),
    event(5, 'presence', { ...expert, connected: true }),
    event(6, 'presence', { ...expert, connected: true }),
    event(7, 'presence', { ...expert, connected: false }));
  assert.equal(state.presence.get('host').count, 1);
  assert.equal(state.presence.get('Expert 3').count, 1);
  assert.equal(state.seatOnline.get(3), 1);
  assert.equal(state.seatOnline.has(null), false, 'staff are not a seat');
  state = run(state,
    event(8, 'presence', { ...expert, connected: false }),
    event(9, 'presence', { ...expert, connected: false }),
    event(10, 'presence', { ...host, connected: false }));
  assert.equal(state.seatOnline.get(3), 0);
  assert.equal(state.presence.get('Expert 3').count, 0);
  assert.equal(state.presence.get('host').count, 0);
  assert.equal(state.presence.get('host').data.connected, false, 'the latest presence is kept');
});

test('seats_assigned places each seat in its venue', () => {
  const state = run(connected(), event(5, 'seats_assigned', { seats: [{ seat: 1, venue: 0 }, { seat: 2, venue: 1 }, { seat: 3, venue: 1 }] }));
  assert.deepEqual([1, 2, 3, 4].map((n) => seat(state, n).venue), [0, 1, 1, null]);
});

test('checked_in marks the seat checked in and confirmed, in its venue', () => {
  const state = run(connected(), event(15, 'checked_in', { seat: 3, label: 'Expert 3', venue: 1 }));
  assert.equal(seat(state, 3).checkedIn, true);
  assert.equal(seat(state, 3).confirmed, true);
  assert.equal(seat(state, 3).venue, 1);
  assert.equal(seat(state, 2).checkedIn, false);
  // A distributed session's event may name no venue: the seat keeps the one it had.
  const placed = run(connected(), event(5, 'seats_assigned', { seats: [{ seat: 2, venue: 0 }] }), event(6, 'checked_in', { seat: 2, label: 'Expert 2' }));
  assert.equal(seat(placed, 2).venue, 0);
});

test('declared marks the seat as having declared', () => {
  const state = run(connected(), event(19, 'declared', { seat: 2, conflict: false }));
  assert.equal(seat(state, 2).declared, true);
  assert.equal(seat(state, 3).declared, false);
});

test('vote_cast says who voted, never for whom, and chair_elected names the chair', () => {
  let state = run(connected(), event(26, 'vote_cast', { seat: 1 }));
  assert.equal(seat(state, 1).voted, true);
  assert.equal(state.chair, null);
  assert.equal(state.myVote, null, 'another seat\'s vote is not this expert\'s');
  state = run(state, event(28, 'chair_elected', { seat: 2, label: 'Expert 2', votes: 3, cast: 3 }));
  assert.equal(state.chair, 2);
  state = run(state, event(40, 'chair_vacated', { seat: 2 }));
  assert.equal(state.chair, null, 'chair_vacated reopens the election');
});

test('sheet_submitted counts a bidder once however often the sheet is replaced', () => {
  const state = run(connected(),
    event(30, 'sheet_submitted', { seat: 1, bidder: 'Bidder A' }),
    event(31, 'sheet_submitted', { seat: 1, bidder: 'Bidder A' }),
    event(32, 'sheet_submitted', { seat: 1, bidder: 'Bidder B' }));
  assert.deepEqual([...seat(state, 1).sheets], ['Bidder A', 'Bidder B']);
  assert.equal(seat(state, 2).sheets.size, 0);
});

test('sheet_recorded keeps this expert\'s own sheet, the latest per bidder', () => {
  const first = { bidder: 'Bidder A', scores_centi: { technical: 5400, price: 2800 }, total_centi: 8200 };
  const second = { bidder: 'Bidder A', scores_centi: { technical: 5000, price: 2800 }, total_centi: 7800, comment: 'looked again' };
  let state = run(connected(), event(31, 'sheet_recorded', { seat: 3, sheet: first }));
  assert.deepEqual(state.mySheets.get('Bidder A'), first);
  state = run(state, event(35, 'sheet_recorded', { seat: 3, sheet: second }));
  assert.deepEqual([...state.mySheets.values()], [second]);
  assert.equal(run(state, event(36, 'sheet_recorded', { seat: 3 })).mySheets.size, 1, 'an event without a sheet adds none');
});

test('other experts\' sheets stay hidden until the summary reveals them all', () => {
  const mine = { bidder: 'Bidder A', scores_centi: { technical: 5400, price: 2800 }, total_centi: 8200 };
  let state = run(connected(sessionView({ phase: 'evaluation' })),
    event(30, 'sheet_submitted', { seat: 3, bidder: 'Bidder A' }),
    event(31, 'sheet_recorded', { seat: 3, sheet: mine }),
    event(32, 'sheet_submitted', { seat: 1, bidder: 'Bidder A' }),
    event(34, 'sheet_submitted', { seat: 2, bidder: 'Bidder B' }));
  // The only scores in the state are this expert's own.
  const scored = JSON.stringify([...state.seats.values()].map((s) => ({ ...s, sheets: [...s.sheets] })));
  assert.ok(!scored.includes('scores_centi') && !scored.includes('total'), scored);
  assert.deepEqual([...state.mySheets.keys()], ['Bidder A']);
  assert.equal(state.summary, null);
  const summary = [{ bidder: 'Bidder A', median_total_centi: 8200, sheets: [
    { seat: 1, bidder: 'Bidder A', scores_centi: { technical: 5000, price: 3000 }, total_centi: 8000, deviates: false },
    { seat: 3, ...mine, deviates: false },
  ] }];
  state = run(state, event(53, 'sheets_revealed', { bidders: summary }), event(54, 'phase_changed', { from: 'evaluation', to: 'summary' }));
  assert.deepEqual(state.summary, summary);
  assert.equal(state.phase, 'summary');
});

test('clarification requests are numbered, pending until a supervisor decides', () => {
  const asked = { number: 1, seat: 2, bidder: 'Bidder B', question: 'Does the price include maintenance?' };
  let state = run(connected(sessionView({ your_role: 'supervisor', your_seat: null })), event(50, 'clarification_requested', asked));
  assert.deepEqual(state.clarifications.get(1), { ...asked, state: 'pending' });
  state = run(state, event(51, 'clarification_decided', { ...asked, state: 'approved' }));
  assert.equal(state.clarifications.get(1).state, 'approved');
  // An expert who never saw the request learns of it by its approval.
  const expert = run(connected(), event(51, 'clarification_decided', { ...asked, state: 'approved' }));
  assert.deepEqual(expert.clarifications.get(1), { ...asked, state: 'approved' });
});

test('warnings are kept in order with their number and time', () => {
  const state = run(connected(), event(52, 'warning', { text: '请勿讨论投标人背景' }), event(60, 'warning', { text: 'Cameras on, please.' }));
  assert.deepEqual(state.warnings.map((w) => [w.seq, w.text]), [[52, '请勿讨论投标人背景'], [60, 'Cameras on, please.']]);
  assert.ok(state.warnings.every((w) => w.at.endsWith('Z')));
});

test('report_ready brings a draft to check here, and clears earlier signatures', () => {
  let state = run(connected(sessionView({ phase: 'evaluation' })), event(61, 'signed', { seat: 1, signature: 'agree', reasons: null }));
  state = run(state, event(55, 'report_ready', { report_sha256: 'aa'.repeat(32), report: { format: 'sealdraw-session-report-v1' } }));
  assert.equal(state.report, null, 'an event numbered below the last one is not applied');
  state = run(state, event(62, 'report_ready', { report_sha256: 'aa'.repeat(32), report: { format: 'sealdraw-session-report-v1' }, signing_deadline: '2026-12-04T13:00:00Z' }));
  assert.deepEqual(state.report, { sha: 'aa'.repeat(32), suite: 'intl2024', report: { format: 'sealdraw-session-report-v1' }, verified: null, signingDeadline: '2026-12-04T13:00:00Z' });
  assert.equal(seat(state, 1).signed, null);
  assert.equal(run(state, { type: 'report_checked', sha: 'aa'.repeat(32), verified: true }).report.verified, true);
  assert.equal(run(state, { type: 'report_checked', sha: 'aa'.repeat(32), verified: false }).report.verified, false);
  // A check of a draft that has since been replaced says nothing about the new one.
  assert.equal(reduce(state, { type: 'report_checked', sha: 'bb'.repeat(32), verified: true }), state);
});

test('signed records each member\'s signature or dissent, and closed the signed report', () => {
  let state = run(connected(sessionView({ phase: 'signing' })),
    event(60, 'signed', { seat: 3, signature: 'agree', reasons: null }),
    event(61, 'signed', { seat: 5, signature: 'dissent', reasons: 'Bidder A has no safety plan.' }));
  assert.equal(seat(state, 3).signed, 'agree');
  assert.equal(seat(state, 5).signed, 'dissent');
  assert.equal(seat(state, 5).reasons, 'Bidder A has no safety plan.');
  state = run(state, event(62, 'closed', { report_sha256: 'd0'.repeat(32), signed_report_of: '12'.repeat(32) }),
    event(63, 'phase_changed', { from: 'signing', to: 'closed' }));
  assert.equal(state.closed.report_sha256, 'd0'.repeat(32));
  assert.equal(state.phase, 'closed');
});

test('phase_changed moves the phase and drops a refused move\'s problems', () => {
  let state = connected(sessionView({ your_role: 'host', your_seat: null, phase: 'check_in' }));
  state = run(state, { type: 'reply', v: 1, id: 'c1-1', ok: false, error: { code: 'precondition-failed', detail: 'not yet', missing: [{ code: 'not-checked-in', seats: [5] }] }, request: { type: 'advance', to: 'recusal' } });
  assert.equal(state.advanceProblem.missing[0].seats[0], 5);
  state = run(state, event(18, 'phase_changed', { from: 'check_in', to: 'recusal' }));
  assert.equal(state.phase, 'recusal');
  assert.equal(state.advanceProblem, null);
});

// ---- Seats falling vacant ----

test('a vacated seat is void with its sheets and signature, reopens the chair, and its successor waits to accept', () => {
  let state = run(connected(sessionView({ phase: 'evaluation' })),
    event(28, 'chair_elected', { seat: 2, label: 'Expert 2', votes: 3, cast: 3 }),
    event(30, 'sheet_submitted', { seat: 2, bidder: 'Bidder A' }),
    event(40, 'seat_vacated', { seat: 2, label: 'Expert 2', reason: 'withdrew', voided_sheets: 1 }));
  assert.equal(seat(state, 2).state, 'void');
  assert.equal(seat(state, 2).voidReason, 'withdrew');
  assert.equal(seat(state, 2).sheets.size, 0);
  assert.equal(state.chair, null);
  assert.equal(state.vacated, false, 'another member\'s seat');
  state = run(state, event(41, 'seat_added', { seat: 6, label: 'Expert 6', venue: 1 }));
  assert.deepEqual([...state.seats.keys()], [1, 2, 3, 4, 5, 6]);
  assert.equal(seat(state, 6).state, 'active');
  assert.equal(seat(state, 6).confirmed, false, 'the successor has not accepted yet');
  assert.equal(seat(state, 6).venue, 1);
  // The session view says when the successor has accepted.
  const view = sessionView();
  view.seats.push({ seat: 6, label: 'Expert 6', venue: 1, state: 'active', void_reason: null, confirmed: true, checked_in: false, declared: false, signed: null });
  state = run(state, { type: 'view_refreshed', view });
  assert.equal(seat(state, 6).confirmed, true);
  assert.equal(seat(state, 2).state, 'void', 'a refreshed view changes confirmations only');
});

test('this expert\'s own seat falling vacant ends their part', () => {
  const state = run(connected(sessionView({ phase: 'evaluation' })), event(40, 'seat_vacated', { seat: 3, label: 'Expert 3', reason: 'recused', voided_sheets: 0 }));
  assert.equal(state.vacated, true);
  assert.equal(seat(state, 3).state, 'void');
});

test('a vacancy in signing voids the summary, the draft and every signature', () => {
  let state = run(connected(sessionView({ phase: 'summary' })),
    event(53, 'sheets_revealed', { bidders: [] }),
    event(55, 'report_ready', { report_sha256: 'aa'.repeat(32), report: {} }),
    event(56, 'phase_changed', { from: 'summary', to: 'signing' }),
    event(57, 'signed', { seat: 1, signature: 'agree', reasons: null }),
    event(58, 'signed', { seat: 4, signature: 'dissent', reasons: 'ten characters at least' }));
  state = run(state,
    event(59, 'seat_vacated', { seat: 5, label: 'Expert 5', reason: 'withdrew', voided_sheets: 2 }),
    event(60, 'phase_changed', { from: 'signing', to: 'evaluation', reason: 'vacancy' }));
  assert.equal(state.phase, 'evaluation');
  assert.equal(state.summary, null);
  assert.equal(state.report, null);
  assert.ok([...state.seats.values()].every((s) => s.signed === null && s.reasons === null));
});

test('an event about a seat the room has not heard of adds that seat', () => {
  const state = run(connected(), event(20, 'declared', { seat: 9, conflict: false }));
  assert.equal(seat(state, 9).declared, true);
  assert.equal(seat(state, 9).state, 'active');
});

// ---- Resuming and the record ----

test('resuming after a drop applies no event twice and keeps the numbers in order, gaps allowed', () => {
  const online = { who: 'Expert 1', role: 'expert', seat: 1, connected: true };
  let state = connected(sessionView({ your_role: 'host', your_seat: null }),
    event(1, 'session_created', {}), event(2, 'presence', online), event(4, 'declared', { seat: 1 }));
  assert.equal(state.lastSeq, 4);
  state = run(state, { type: 'connection_lost' }, welcome({ role: 'host', seat: undefined, phase: 'recusal', last_seq: 7 }));
  // A server replaying from an older number than asked, and the same event twice: each once.
  for (const repeat of [event(2, 'presence', online), event(4, 'declared', { seat: 1 })]) {
    assert.equal(reduce(state, repeat), state, `event ${repeat.seq} again`);
  }
  state = run(state, event(5, 'declared', { seat: 2 }), event(5, 'declared', { seat: 2 }), event(7, 'presence', online), synced);
  assert.deepEqual(seqs(state), [1, 2, 4, 5, 7]);
  assert.equal(state.presence.get('Expert 1').count, 2, 'two connections, each announced once');
  assert.equal(state.lastSeq, 7);
  assert.equal(state.live, true);
  assert.equal(reduce(state, event(3, 'chair_elected', { seat: 1 })), state, 'an older number is not applied');
});

test('an event without a number is not applied', () => {
  const state = connected();
  assert.equal(reduce(state, { type: 'event', v: 1, kind: 'chair_elected', data: { seat: 1 } }), state);
  assert.equal(reduce(state, { type: 'event', v: 1, seq: '9', kind: 'chair_elected', data: { seat: 1 } }), state);
});

test('an unknown event kind is recorded and otherwise ignored', () => {
  const before = connected();
  const after = run(before, event(3, 'camera_check', { seat: 1 }), event(4, 'constructor', {}));
  assert.deepEqual(seqs(after), [3, 4]);
  assert.deepEqual([...after.seats.values()], [...before.seats.values()]);
});

test('the record keeps the newest events up to its limit', () => {
  let state = connected();
  for (let seq = 1; seq <= LOG_LIMIT + 5; seq += 1) state = reduce(state, event(seq, 'vote_cast', { seat: 1 }));
  assert.equal(state.log.length, LOG_LIMIT);
  assert.equal(state.log[0].seq, 6);
  assert.equal(state.log.at(-1).seq, LOG_LIMIT + 5);
});

// ---- Replies ----

test('a vote counts as this expert\'s once its reply says so, even on a later connection', () => {
  const vote = { type: 'vote', seat: 2 };
  let state = connected(sessionView({ phase: 'chair_election' }));
  state = run(state, { type: 'request_sent', request: vote });
  assert.equal(state.myVote, null, 'not before the reply');
  // The connection drops before the reply; the request goes again under its id on the next one.
  state = run(state, { type: 'connection_lost' }, welcome({ phase: 'chair_election' }), event(27, 'vote_cast', { seat: 3 }),
    { type: 'reply', v: 1, id: 'c0a1b2c3d4e5f-1', ok: true, result: { chair: null }, request: vote }, synced);
  assert.equal(state.myVote, 2);
  assert.equal(seat(state, 3).voted, true);
});

test('a refused reply changes nothing unless it is a refused move, whose conditions are kept', () => {
  const state = connected(sessionView({ your_role: 'host', your_seat: null, phase: 'check_in' }));
  const refused = (request, code) => ({ type: 'reply', v: 1, id: 'c1-2', ok: false, error: { code, detail: 'no' }, request });
  assert.equal(reduce(state, refused({ type: 'vote', seat: 2 }, 'wrong-phase')), state);
  assert.equal(reduce(state, refused({ type: 'advance', to: 'evaluation' }, 'wrong-phase')), state);
  assert.equal(reduce(state, { type: 'reply', v: 1, id: 'c1-3', ok: true, result: {}, request: { type: 'warn', text: 'x' } }), state);
  const problem = run(state, refused({ type: 'advance', to: 'recusal' }, 'precondition-failed'));
  assert.equal(problem.advanceProblem.code, 'precondition-failed');
  // Moving again starts from a clean slate; sending anything else keeps the problems shown.
  assert.equal(reduce(problem, { type: 'request_sent', request: { type: 'replace', seat: 4, reason: 'withdrew' } }), problem);
  assert.equal(run(problem, { type: 'request_sent', request: { type: 'advance', to: 'recusal' } }).advanceProblem, null);
});

// ---- The report's digest (PROTOCOL.md §10.3, §10.4) ----

test('the report digest is PROTOCOL.md §10.3\'s for its example draft, and any change alters it', async () => {
  const section = PROTOCOL.slice(PROTOCOL.indexOf('### 10.3 Example draft'));
  const draft = JSON.parse(section.slice(section.indexOf('```json') + 7, section.indexOf('```', section.indexOf('```json') + 7)));
  assert.equal(await reportDigest(draft), '1270401a679f12edebcb7861ed65238ec0db8b8a16df537bac50ea1919e24d61');
  // Key order does not matter; a score does.
  const reordered = Object.fromEntries(Object.entries(draft).reverse());
  assert.equal(await reportDigest(reordered), '1270401a679f12edebcb7861ed65238ec0db8b8a16df537bac50ea1919e24d61');
  const altered = structuredClone(draft);
  altered.summary[0].sheets[4].total_centi += 1;
  assert.notEqual(await reportDigest(altered), '1270401a679f12edebcb7861ed65238ec0db8b8a16df537bac50ea1919e24d61');
  // A report holds integers only: a fraction is not a report this browser signs.
  altered.summary[0].sheets[4].total_centi = 64.5;
  await assert.rejects(reportDigest(altered));
});

test('time declarations count toward the next extension, which moves the end and starts afresh', () => {
  let state = connected();
  assert.equal(state.endsAt, '2026-12-04T12:00:00Z');
  state = run(state, event(70, 'time_declared', { seat: 1, declared: 1, members: 5 }));
  assert.equal(state.timeDeclared, 1);
  assert.equal(state.myTimeDeclared, false, 'seat 1 is not this expert (seat 3)');
  state = run(state, event(71, 'time_declared', { seat: 3, declared: 2, members: 5 }));
  assert.equal(state.myTimeDeclared, true);
  state = run(state, event(72, 'time_extended', { number: 1, minutes: 60, ends_at: '2026-12-04T13:00:00Z', declared: 2, members: 5 }));
  assert.equal(state.endsAt, '2026-12-04T13:00:00Z');
  assert.equal(state.extensions, 1);
  assert.equal(state.timeDeclared, 0);
  assert.equal(state.myTimeDeclared, false, 'this expert may ask again toward the next extension');
});

test('rejection proposals gather every vote and the decision; a rejected bidder is out of the scoring', async () => {
  const { rejectedBidders } = await importAsset('session/state.js');
  let state = connected(sessionView({ phase: 'evaluation', bidders: ['Bidder A', 'Bidder B', 'Bidder C'] }));
  assert.equal(rejectedBidders(state).size, 0);
  state = run(state,
    event(80, 'rejection_proposed', { proposal: 1, seat: 1, bidder: 'Bidder C', ground: 'price_out_of_bounds', reasons: '报价低于成本且不能说明', members: 5 }),
    event(81, 'rejection_voted', { proposal: 1, seat: 1, reject: true }),
    event(82, 'rejection_voted', { proposal: 1, seat: 3, reject: false }));
  const open = state.rejections.get(1);
  assert.equal(open.state, 'open');
  assert.equal(open.bidder, 'Bidder C');
  assert.equal(open.votes.get(1), true);
  assert.equal(open.votes.get(3), false, 'this expert (seat 3) has voted against');
  assert.equal(rejectedBidders(state).size, 0, 'not before the decision');
  state = run(state,
    event(83, 'rejection_voted', { proposal: 1, seat: 2, reject: true }),
    event(84, 'rejection_voted', { proposal: 1, seat: 4, reject: true }),
    event(85, 'rejection_decided', { proposal: 1, bidder: 'Bidder C', ground: 'price_out_of_bounds', state: 'rejected', votes_for: 3, votes_against: 1, members: 5 }));
  const decided = state.rejections.get(1);
  assert.equal(decided.state, 'rejected');
  assert.equal(decided.votesFor, 3);
  assert.equal(decided.votes.size, 4, 'the votes stay on the record');
  assert.deepEqual([...rejectedBidders(state)], ['Bidder C']);
  // A proposal that fails leaves the bid in; a vote heard before its proposal (a resumed
  // connection's replay starts later) still lands on it.
  state = run(state,
    event(86, 'rejection_voted', { proposal: 2, seat: 5, reject: false }),
    event(87, 'rejection_decided', { proposal: 2, bidder: 'Bidder A', ground: 'not_responsive', state: 'not_rejected', votes_for: 1, votes_against: 3, members: 5 }));
  assert.equal(state.rejections.get(2).state, 'not_rejected');
  assert.equal(state.rejections.get(2).votes.get(5), false);
  assert.deepEqual([...rejectedBidders(state)], ['Bidder C']);
  // A repeated event changes nothing.
  assert.equal(reduce(state, event(85, 'rejection_decided', { proposal: 1, state: 'not_rejected' })), state);
});

test('a suspension holds the room until it is resumed; a cancellation for good; the view says so on opening', () => {
  let state = connected();
  assert.equal(state.hold, null);
  state = run(state, event(80, 'suspended', { interruption: 'i-1' }));
  assert.equal(state.hold, 'suspended');
  state = run(state, event(81, 'resumed', { interruption: 'i-2' }));
  assert.equal(state.hold, null);
  state = run(state, event(82, 'cancelled', { interruption: 'i-3', retender: true }));
  assert.equal(state.hold, 'cancelled');
  assert.equal(initialState(sessionView({ hold: 'suspended' })).hold, 'suspended');
});

test('a postponement moves the evaluation\'s end and holds nothing', () => {
  const state = run(connected(), event(90, 'postponed', { interruption: 'i-4', evaluation_start: '2026-12-05T09:00:00Z', ends_at: '2026-12-05T13:00:00Z' }));
  assert.equal(state.endsAt, '2026-12-05T13:00:00Z');
  assert.equal(state.hold, null);
});
