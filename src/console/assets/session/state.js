// The session room's state and the one function that changes it: reduce(state, input) returns a
// new state and never alters the one it was given. An input is a frame from the session
// websocket (docs/PROTOCOL.md §2: welcome, event, synced, error, and a reply together with the
// request it answers) or one of the room's own notes (NOTES below). Nothing here touches the
// page, the network or the clock: Node tests every case (integration/console_js/
// session-state.test.mjs), and the panels only draw what the state says.
//
// An input that changes nothing returns the very same state, which is how the room knows that
// an event was a repeat (its number at or below the last one applied) and draws nothing.
//
// Seats are "Expert n" by number: the protocol carries no names, and neither does the state.

const PHASES = ['scheduled', 'check_in', 'recusal', 'chair_election', 'evaluation', 'summary', 'signing', 'closed'];
export const STAFF = ['host', 'operator', 'supervisor'];
/** The most events the room keeps (and lists); older ones drop off the end. */
export const LOG_LIMIT = 400;

export const atOrAfter = (phase, from) => PHASES.indexOf(phase) >= PHASES.indexOf(from);
export const nextPhase = (phase) => PHASES[PHASES.indexOf(phase) + 1] || null;

/** The room as the session view (GET /api/v1/sessions/{id}) shows it, before any event. */
export function initialState(view) {
  return {
    view, // mode, venues, bidders, criteria, assignment, deviation_percent: fixed at creation
    role: view.your_role,
    mySeat: view.your_seat,
    phase: view.phase,
    chair: view.chair,
    contributions: view.contributions,
    endsAt: view.ends_at, // when the evaluation is due to end, moved by each extension
    extensions: view.extensions || 0,
    timeDeclared: 0, // declarations toward the next extension, as the last time_declared said
    myTimeDeclared: false,
    seats: new Map(view.seats.map((seat) => [seat.seat, seatFrom(seat)])),
    live: false, // the replay is over: what arrives now is news
    lastSeq: 0,
    log: [],
    presence: new Map(), // who → { count: open connections, data: their latest presence event }
    seatOnline: new Map(), // seat → open connections
    mySheets: new Map(), // bidder → this expert's own sheet, as the server recorded it
    summary: null,
    report: null, // { sha, report, verified: null until checked here, then true | false }
    closed: null,
    clarifications: new Map(), // number → clarification
    rejections: new Map(), // proposal → { proposal, bidder, ground, reasons, seat, state, votes: Map seat → reject, votesFor, votesAgainst, members }
    warnings: [],
    myVote: null,
    vacated: false,
    advanceProblem: null, // the refusal of the host's last move, with every unmet condition
    hold: view.hold || null, // 'suspended' | 'cancelled' (issue 16 §4): members cannot act
  };
}

export function reduce(state, input) {
  const handler = Object.hasOwn(FRAMES, input.type) ? FRAMES[input.type]
    : Object.hasOwn(NOTES, input.type) ? NOTES[input.type] : null;
  // Later minor versions may add frames: ignored (§4).
  return handler ? handler(state, input) : state;
}

// ---- Frames (PROTOCOL.md §2) ----

const FRAMES = {
  welcome(state, frame) {
    return { ...state, live: false, phase: frame.phase, role: frame.role, mySeat: frame.seat || state.mySeat };
  },
  event(state, event) {
    if (typeof event.seq !== 'number' || event.seq <= state.lastSeq) return state;
    const log = [...state.log, event];
    if (log.length > LOG_LIMIT) log.shift();
    const next = { ...state, lastSeq: event.seq, log };
    // Unknown kinds are kept in the log and otherwise ignored (§4).
    return Object.hasOwn(EVENTS, event.kind) ? EVENTS[event.kind](next, event.data || {}, event) : next;
  },
  synced(state) {
    return state.live ? state : { ...state, live: true };
  },
  /** A reply arrives with `request`, the request it answers (the connection pairs them by id). */
  reply(state, reply) {
    const request = reply.request || {};
    if (reply.ok && request.type === 'vote') return { ...state, myVote: request.seat };
    if (!reply.ok && request.type === 'advance' && reply.error?.code === 'precondition-failed') {
      return { ...state, advanceProblem: reply.error };
    }
    return state;
  },
  error(state, frame) {
    return frame.code === 'seat-vacated' ? { ...state, vacated: true } : state;
  },
};

// ---- Events (PROTOCOL.md §4) ----

const EVENTS = {
  // The session view the room opened with already holds all of it.
  session_created: (state) => state,
  contribution: (state, data) => ({ ...state, contributions: Math.max(state.contributions || 0, data.position || 0) }),
  presence(state, data) {
    const change = data.connected ? 1 : -1;
    const known = state.presence.get(data.who);
    const presence = new Map(state.presence).set(data.who, { count: Math.max(0, (known?.count || 0) + change), data });
    let { seatOnline } = state;
    if (data.seat) seatOnline = new Map(seatOnline).set(data.seat, Math.max(0, (seatOnline.get(data.seat) || 0) + change));
    return { ...state, presence, seatOnline };
  },
  seats_assigned: (state, data) => (data.seats || []).reduce((next, { seat, venue }) => withSeat(next, seat, { venue }), state),
  checked_in: (state, data) => withSeat(state, data.seat, {
    checkedIn: true, confirmed: true, ...(data.venue !== undefined ? { venue: data.venue } : {}),
  }),
  declared: (state, data) => withSeat(state, data.seat, { declared: true }),
  seat_vacated(state, data) {
    const next = withSeat(state, data.seat, { state: 'void', voidReason: data.reason, sheets: new Set(), signed: null });
    return {
      ...next,
      chair: state.chair === data.seat ? null : state.chair,
      vacated: state.vacated || data.seat === state.mySeat,
    };
  },
  seat_added: (state, data) => ({
    ...state,
    seats: new Map(state.seats).set(data.seat, seatFrom({
      seat: data.seat, label: data.label, venue: data.venue, state: 'active', confirmed: Boolean(data.representative), representative: data.representative,
    })),
  }),
  chair_vacated: (state) => ({ ...state, chair: null }),
  time_declared: (state, data) => ({
    ...state,
    timeDeclared: data.declared,
    myTimeDeclared: state.myTimeDeclared || data.seat === state.mySeat,
  }),
  // Declarations count toward the next extension afresh.
  time_extended: (state, data) => ({ ...state, endsAt: data.ends_at, extensions: data.number, timeDeclared: 0, myTimeDeclared: false }),
  vote_cast: (state, data) => withSeat(state, data.seat, { voted: true }),
  chair_elected: (state, data) => ({ ...state, chair: data.seat }),
  sheet_submitted: (state, data) => withSeat(state, data.seat, (seat) => ({ sheets: new Set(seat.sheets).add(data.bidder) })),
  sheet_recorded: (state, data) => (data.sheet
    ? { ...state, mySheets: new Map(state.mySheets).set(data.sheet.bidder, data.sheet) }
    : state),
  clarification_requested: (state, data) => ({ ...state, clarifications: new Map(state.clarifications).set(data.number, { ...data, state: 'pending' }) }),
  clarification_decided: (state, data) => ({ ...state, clarifications: new Map(state.clarifications).set(data.number, { ...data }) }),
  // 实施条例 §51: proposals to reject a bid, every member's vote, and the committee's decision.
  rejection_proposed: (state, data) => withRejection(state, data.proposal, (known) => ({
    bidder: data.bidder, ground: data.ground, reasons: data.reasons, seat: data.seat, members: data.members, state: known.state || 'open',
  })),
  rejection_voted: (state, data) => withRejection(state, data.proposal, (known) => ({ votes: new Map(known.votes).set(data.seat, data.reject) })),
  rejection_decided: (state, data) => withRejection(state, data.proposal, () => ({
    bidder: data.bidder, ground: data.ground, state: data.state, votesFor: data.votes_for, votesAgainst: data.votes_against, members: data.members,
  })),
  warning: (state, data, event) => ({ ...state, warnings: [...state.warnings, { seq: event.seq, at: event.at, text: data.text }] }),
  sheets_revealed: (state, data) => ({ ...state, summary: data.bidders || [] }),
  report_ready: (state, data) => ({
    ...withoutSignatures(state),
    report: { sha: data.report_sha256, suite: data.suite || 'intl2024', report: data.report, verified: null, signingDeadline: data.signing_deadline },
  }),
  // `signing_key` (protocol 1.5): the enrolled key the member's signature verified with.
  signed: (state, data) => withSeat(state, data.seat, { signed: data.signature, reasons: data.reasons, signingKey: data.signing_key || null }),
  closed: (state, data) => ({ ...state, closed: data }),
  // A supervisor approved suspending, resuming or cancelling the evaluation (PROTOCOL.md 1.4).
  suspended: (state) => ({ ...state, hold: 'suspended' }),
  resumed: (state) => ({ ...state, hold: null }),
  cancelled: (state) => ({ ...state, hold: 'cancelled' }),
  // The evaluation moved to a new window; the members answer their invitations again.
  postponed: (state, data) => ({ ...state, endsAt: data.ends_at || state.endsAt }),
  phase_changed(state, data) {
    const next = { ...state, phase: data.to, advanceProblem: null };
    // A vacancy in summary or signing: the draft and every signature are void.
    return data.reason ? { ...withoutSignatures(next), summary: null, report: null } : next;
  },
};

// ---- The room's own notes ----

const NOTES = {
  /** The room is about to send `request`. */
  request_sent(state, { request }) {
    return request.type === 'advance' && state.advanceProblem ? { ...state, advanceProblem: null } : state;
  },
  /** The socket is gone; until the next replay is over, events are not news. */
  connection_lost(state) {
    return state.live ? { ...state, live: false } : state;
  },
  /** The session view again: what events do not say, whether a successor has accepted. */
  view_refreshed(state, { view }) {
    const seats = new Map(state.seats);
    for (const seat of view.seats) {
      const known = seats.get(seat.seat);
      seats.set(seat.seat, known ? { ...known, confirmed: seat.confirmed } : seatFrom(seat));
    }
    return { ...state, seats };
  },
  /** This browser has recomputed the digest of the report whose digest is `sha`. */
  report_checked(state, { sha, verified }) {
    if (state.report?.sha !== sha) return state; // a draft since voided
    return { ...state, report: { ...state.report, verified } };
  },
};

/** The frame types and event kinds this reducer knows, for the test that holds them to PROTOCOL.md. */
export const FRAME_TYPES = Object.keys(FRAMES);
export const EVENT_KINDS = Object.keys(EVENTS);

// ---- Helpers ----

function seatFrom(seat) {
  return {
    seat: seat.seat, label: seat.label, venue: seat.venue, state: seat.state,
    voidReason: seat.void_reason, confirmed: seat.confirmed, checkedIn: seat.checked_in,
    declared: seat.declared, voted: false, sheets: new Set(), signed: seat.signed, reasons: null, signingKey: null,
    representative: Boolean(seat.representative), // a tenderer's representative's seat (招标人代表)
  };
}

/** `state` with seat `n` changed (an object of fields, or a function of the seat giving one). */
function withSeat(state, n, change) {
  // An event about a seat this room has not heard of: a seat it must have missed.
  const seat = state.seats.get(n) || seatFrom({ seat: n, label: `Expert ${n}`, venue: null, state: 'active', confirmed: true });
  const fields = typeof change === 'function' ? change(seat) : change;
  return { ...state, seats: new Map(state.seats).set(n, { ...seat, ...fields }) };
}

/** `state` with rejection proposal `n` changed by `change(proposal)`, which gives the new fields. */
function withRejection(state, n, change) {
  const known = state.rejections.get(n) || { proposal: n, state: 'open', votes: new Map() };
  return { ...state, rejections: new Map(state.rejections).set(n, { ...known, ...change(known) }) };
}

/** The bidders the committee has rejected: out of the scoring. */
export function rejectedBidders(state) {
  return new Set([...state.rejections.values()].filter((r) => r.state === 'rejected').map((r) => r.bidder));
}

function withoutSignatures(state) {
  const seats = new Map();
  for (const [n, seat] of state.seats) seats.set(n, { ...seat, signed: null, reasons: null, signingKey: null });
  return { ...state, seats };
}
