// The evaluation session screen, one for every participant: the list of the account's sessions
// and the live room over the session websocket (docs/PROTOCOL.md). What the room shows and
// offers depends on the role the server gives this account in the session: an expert checks in,
// declares, votes, scores and signs; the host moves the phases and records departures; a
// supervisor watches, decides clarification requests and posts warnings; a venue operator
// watches. Experts are "Expert n" everywhere: nothing here ever carries a name.
//
// The room keeps the number of the last event it has applied and, whenever the socket ends
// without the user leaving, asks for a new ticket and reconnects with `after=` that number,
// backing off between attempts; an event numbered at or below it is never applied or shown
// again. Requests carry ids unique for the session (a random prefix per page and a counter);
// one without a reply is resent with the same id after a reconnection, so the server applies
// it at most once (PROTOCOL.md §6).
//
// Stable ids for tests (N = seat number, B = bidder index, C = criterion index, both from 0 in
// the session's order, K = clarification number):
//   list:      #sessions, #open-<session id>
//   room:      #connection-state (data-state connecting|connected|reconnecting|disconnected),
//              #phase (data-phase), #own-seat, #chair, #committee (rows #seat-N, data-connected
//              for staff), #event-log (li[data-seq]), #warnings, #summary, #report-sha256,
//              #report-verified (data-verified true|false), #clarifications
//   expert:    #join-code, #check-in, #declare-none, #declare-conflict-confirm, #declare-conflict,
//              #vote-seat, #vote-submit, #score-B-C, #comment-B, #sheet-submit-B, #sheet-status-B,
//              #clarify-bidder, #clarify-question, #clarify-submit, #sign-report,
//              #dissent-reasons, #dissent-submit, #my-signature
//   host:      #next-phase (data-to), #advance-problems, #replace-seat, #replace-reason,
//              #replace-confirm, #replace-submit, #contribute-entropy
//   supervisor: #warn-text, #warn-submit, #clarification-K-approve, #clarification-K-refuse,
//              #contribute-entropy

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, randomHex, markInvalid } from './dom.js';
import { t, formatTime } from './i18n.js';
import { hex, sha256 } from './tlog.js';
export { strings } from './strings/session.js';

const PHASES = ['scheduled', 'check_in', 'recusal', 'chair_election', 'evaluation', 'summary', 'signing', 'closed'];
const STAFF = ['host', 'operator', 'supervisor'];
const LOG_LIMIT = 400;
const MAX_BACKOFF_MS = 15000;

const phaseName = (phase) => t(`session.phase.${phase}`);
const seatLabel = (n) => t('session.seat', { n });
const points = (centi) => (Number(centi) / 100).toFixed(2);
const atOrAfter = (phase, from) => PHASES.indexOf(phase) >= PHASES.indexOf(from);
const nextPhase = (phase) => PHASES[PHASES.indexOf(phase) + 1] || null;

// ---- The list ----

async function renderList(ctx) {
  const box = h('div', { id: 'sessions' });
  async function load() {
    const sessions = await api.get('/api/v1/sessions');
    replace(box, table([
      { label: t('session.list.session'), value: (s) => h('code', {}, s.session_id.slice(-12)) },
      { label: t('session.list.mode'), value: (s) => t(`session.mode.${s.mode}`) },
      { label: t('session.list.phase'), value: (s) => h('span', { class: `badge ${s.phase === 'closed' ? '' : 'good'}` }, phaseName(s.phase)) },
      { label: t('session.list.role'), value: (s) => `${t(`session.role.${s.your_role}`)}${s.your_seat ? ` · ${seatLabel(s.your_seat)}` : ''}` },
      { label: t('session.list.size'), value: (s) => String(s.committee_size) },
      {
        label: t('common.actions'),
        value: (s) => h('button', {
          type: 'button', class: 'primary', id: `open-${s.session_id}`,
          'aria-label': t('session.list.open_label', { id: s.session_id.slice(-12) }),
          on: { click: () => ctx.go('session/room', { id: s.session_id }) },
        }, t('session.list.open')),
      },
    ], sessions, { empty: t('session.list.none') }));
  }
  await load();
  ctx.every(15000, () => load().catch(() => { /* the next refresh tries again */ }));
  return h('div', {}, h('h1', {}, t('session.list.heading')), box);
}

// ---- The report's digest, checked here rather than trusted (PROTOCOL.md §10.4) ----

const encoder = new TextEncoder();

function compareUtf8(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/** The audit log's canonical JSON: sorted keys, no whitespace, integers only. */
function canonicalJson(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('a report holds integers only');
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareUtf8);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
}

// ---- The room ----

/** A refused request as the error slots show it. */
class Refusal extends Error {
  constructor(error) {
    super(error.detail || error.code);
    this.code = error.code;
    this.title = t(`session.code.${error.code}`) === `session.code.${error.code}` ? t('session.refused') : t(`session.code.${error.code}`);
    this.detail = error.detail;
    this.field = error.field;
    this.missing = error.missing;
  }
}

class Room {
  constructor(ctx, view) {
    this.ctx = ctx;
    this.id = view.session_id;
    this.view = view;
    this.role = view.your_role;
    this.mySeat = view.your_seat;
    this.phase = view.phase;
    this.bidders = view.bidders;
    this.criteria = view.criteria;
    this.chair = view.chair;
    this.contributions = view.contributions;
    this.seats = new Map();
    for (const seat of view.seats) this.seats.set(seat.seat, this.seatFrom(seat));
    this.lastSeq = 0;
    this.log = [];
    this.presence = new Map(); // who → open connections
    this.seatOnline = new Map(); // seat → open connections
    this.mySheets = new Map();
    this.summary = null;
    this.report = null; // { sha, report, verified }
    this.closed = null;
    this.clarifications = new Map();
    this.warnings = [];
    this.myVote = null;
    this.vacated = false;
    this.advanceProblem = null;
    // Connection.
    this.socket = null;
    this.synced = false;
    this.conn = 'connecting';
    this.connDetail = '';
    this.attempts = 0;
    this.timer = null;
    this.stopped = false;
    this.fatal = false;
    this.pending = new Map(); // request id → { frame, resolve, reject }
    this.prefix = `c${randomHex(6)}`;
    this.counter = 0;
    this.onOnline = () => { if (this.timer) { clearTimeout(this.timer); this.timer = null; this.connect(); } };
    this.root = h('div', { class: 'session-room' });
    this.build();
  }

  seatFrom(seat) {
    return {
      seat: seat.seat, label: seat.label, venue: seat.venue, state: seat.state,
      voidReason: seat.void_reason, confirmed: seat.confirmed, checkedIn: seat.checked_in,
      declared: seat.declared, voted: false, sheets: new Set(), signed: seat.signed, reasons: null,
    };
  }

  get isStaff() { return STAFF.includes(this.role); }
  get me() { return this.mySeat ? this.seats.get(this.mySeat) : null; }

  // -- connection --

  start() {
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    for (const { reject } of this.pending.values()) reject(new Error(t('session.conn.disconnected')));
    this.pending.clear();
  }

  async connect() {
    this.timer = null;
    if (this.stopped || this.fatal) return;
    this.setConn(this.attempts === 0 && !this.everConnected ? 'connecting' : 'reconnecting');
    let ticket;
    try {
      ticket = await api.post(`/api/v1/sessions/${encodeURIComponent(this.id)}/ticket`);
    } catch (error) {
      if (this.stopped) return;
      // Not (or no longer) a participant: retrying cannot help.
      if (error.status === 403 || error.status === 404) {
        this.end(t('session.conn.refused', { detail: error.detail || error.message }));
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const url = `wss://${location.host}${ticket.path}?ticket=${encodeURIComponent(ticket.ticket)}&after=${this.lastSeq}`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    this.synced = false;
    this.welcomed = false;
    socket.addEventListener('message', (event) => { if (socket === this.socket) this.onFrame(socket, event.data); });
    socket.addEventListener('close', () => { if (socket === this.socket) this.onClose(); });
  }

  retry() {
    if (this.stopped || this.fatal) return;
    this.attempts += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.attempts - 1, 4));
    this.setConn('reconnecting');
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  onClose() {
    this.socket = null;
    this.synced = false;
    this.welcomed = false;
    if (this.stopped || this.fatal) return;
    this.retry();
  }

  end(detail) {
    this.fatal = true;
    this.connDetail = detail;
    this.setConn('disconnected');
    for (const { reject } of this.pending.values()) reject(new Error(detail));
    this.pending.clear();
    this.render();
  }

  onFrame(socket, text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'welcome':
        this.phase = frame.phase;
        this.role = frame.role;
        if (frame.seat) this.mySeat = frame.seat;
        this.welcomed = true;
        // Whatever had no reply on the last connection goes again, with its id (§6).
        for (const { frame: request } of this.pending.values()) socket.send(request);
        break;
      case 'event':
        if (typeof frame.seq !== 'number' || frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
        this.apply(frame, this.synced);
        if (this.synced) {
          this.prependLog(frame);
          this.render();
        }
        break;
      case 'synced':
        this.synced = true;
        this.attempts = 0;
        this.everConnected = true;
        this.setConn('connected');
        this.drawLog();
        this.render();
        this.refreshView();
        break;
      case 'reply': {
        const waiting = this.pending.get(frame.id);
        if (!waiting) return;
        this.pending.delete(frame.id);
        if (frame.ok) waiting.resolve(frame.result);
        else waiting.reject(new Refusal(frame.error || {}));
        break;
      }
      case 'error':
        if (frame.code === 'seat-vacated') {
          this.vacated = true;
          this.end(t('session.conn.vacated'));
        }
        break;
      default:
        // Later minor versions may add frames: ignored (§4).
    }
  }

  /** The session view says what events do not: whether a successor has accepted. */
  async refreshView() {
    try {
      const view = await api.get(`/api/v1/sessions/${encodeURIComponent(this.id)}`);
      for (const seat of view.seats) {
        const known = this.seats.get(seat.seat);
        if (known) known.confirmed = seat.confirmed;
        else this.seats.set(seat.seat, this.seatFrom(seat));
      }
      this.render();
    } catch {
      // The room works on events alone; the view only adds the confirmations.
    }
  }

  /** Sends a request; resolves with its result, rejects with a Refusal. */
  send(type, fields = {}) {
    if (this.fatal) return Promise.reject(new Error(this.connDetail));
    this.counter += 1;
    const id = `${this.prefix}-${this.counter}`;
    const frame = JSON.stringify({ v: 1, id, type, ...fields });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject });
      if (this.socket && this.welcomed && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
      // Otherwise the welcome of the next connection sends it.
    });
  }

  setConn(state) {
    this.conn = state;
    const node = this.root.querySelector('#connection-state');
    if (!node) return;
    node.dataset.state = state;
    node.className = `badge ${{ connected: 'good', reconnecting: 'warn', connecting: 'warn', disconnected: 'bad' }[state]}`;
    node.textContent = t(`session.conn.${state}`);
    const detail = this.root.querySelector('#connection-detail');
    if (detail) detail.textContent = state === 'disconnected' ? this.connDetail : '';
  }

  // -- events --

  seat(n) {
    if (!this.seats.has(n)) {
      this.seats.set(n, this.seatFrom({ seat: n, label: `Expert ${n}`, venue: null, state: 'active', confirmed: true }));
    }
    return this.seats.get(n);
  }

  apply(event, live) {
    const data = event.data || {};
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    switch (event.kind) {
      case 'contribution':
        this.contributions = Math.max(this.contributions || 0, data.position || 0);
        break;
      case 'presence': {
        const change = data.connected ? 1 : -1;
        const known = this.presence.get(data.who) || { count: 0, data };
        this.presence.set(data.who, { count: Math.max(0, known.count + change), data });
        if (data.seat) this.seatOnline.set(data.seat, Math.max(0, (this.seatOnline.get(data.seat) || 0) + change));
        break;
      }
      case 'seats_assigned':
        for (const { seat, venue } of data.seats || []) this.seat(seat).venue = venue;
        break;
      case 'checked_in': {
        const seat = this.seat(data.seat);
        seat.checkedIn = true;
        seat.confirmed = true;
        if (data.venue !== undefined) seat.venue = data.venue;
        break;
      }
      case 'declared':
        this.seat(data.seat).declared = true;
        break;
      case 'seat_vacated': {
        const seat = this.seat(data.seat);
        seat.state = 'void';
        seat.voidReason = data.reason;
        seat.sheets.clear();
        seat.signed = null;
        if (this.chair === data.seat) this.chair = null;
        if (data.seat === this.mySeat) this.vacated = true;
        break;
      }
      case 'seat_added':
        this.seats.set(data.seat, this.seatFrom({ seat: data.seat, label: data.label, venue: data.venue, state: 'active', confirmed: false }));
        break;
      case 'chair_vacated':
        this.chair = null;
        break;
      case 'vote_cast':
        this.seat(data.seat).voted = true;
        break;
      case 'chair_elected':
        this.chair = data.seat;
        break;
      case 'sheet_submitted':
        this.seat(data.seat).sheets.add(data.bidder);
        break;
      case 'sheet_recorded':
        if (data.sheet) this.mySheets.set(data.sheet.bidder, data.sheet);
        break;
      case 'clarification_requested':
        this.clarifications.set(data.number, { ...data, state: 'pending' });
        break;
      case 'clarification_decided':
        this.clarifications.set(data.number, { ...data });
        break;
      case 'warning':
        this.warnings.push({ seq: event.seq, at: event.at, text: data.text });
        if (live) toast(t('session.ev.warning', { text: data.text }), 'bad');
        break;
      case 'sheets_revealed':
        this.summary = data.bidders || [];
        break;
      case 'report_ready':
        for (const seat of this.seats.values()) { seat.signed = null; seat.reasons = null; }
        this.report = { sha: data.report_sha256, report: data.report, verified: null };
        this.verifyReport(this.report);
        break;
      case 'signed': {
        const seat = this.seat(data.seat);
        seat.signed = data.signature;
        seat.reasons = data.reasons;
        break;
      }
      case 'closed':
        this.closed = data;
        break;
      case 'phase_changed':
        this.phase = data.to;
        this.advanceProblem = null;
        if (data.reason) {
          // A vacancy in summary or signing: the draft and every signature are void.
          this.summary = null;
          this.report = null;
          for (const seat of this.seats.values()) { seat.signed = null; seat.reasons = null; }
        }
        if (live) toast(t('session.host.moved', { phase: phaseName(data.to) }));
        break;
      default:
        // Unknown kinds are ignored (§4).
    }
  }

  async verifyReport(report) {
    try {
      report.verified = hex(await sha256(encoder.encode(canonicalJson(report.report)))) === report.sha;
    } catch {
      report.verified = false;
    }
    if (this.synced) this.render();
  }

  describe(event) {
    const d = event.data || {};
    const label = d.seat ? seatLabel(d.seat) : '';
    const kind = event.kind;
    switch (kind) {
      case 'presence':
        return t(d.connected ? 'session.ev.presence.on' : 'session.ev.presence.off', { who: whoLabel(d) });
      case 'seat_vacated':
        return t('session.ev.seat_vacated', { label, reason: t(`session.void.${d.reason}`) });
      case 'seat_added':
        return t('session.ev.seat_added', { label: seatLabel(d.seat) });
      case 'chair_elected':
        return t('session.ev.chair_elected', { label, votes: d.votes, cast: d.cast });
      case 'sheet_recorded':
        return t('session.ev.sheet_recorded', { bidder: d.sheet?.bidder, total: points(d.sheet?.total_centi) });
      case 'clarification_decided':
        return t('session.ev.clarification_decided', { number: d.number, state: t(`session.clar.${d.state}`) });
      case 'signed':
        return t('session.ev.signed', { label, signature: t(`session.signed.${d.signature}`) });
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

  // -- drawing --

  /** The whole room, anew (first draw and a language switch). Typed values are kept. */
  build() {
    const kept = snapshot(this.root);
    this.regions = [];
    const region = (id, key, draw) => {
      const node = h('div', { id: id ? `${id}-region` : null });
      this.regions.push({ node, key, draw, last: null });
      return node;
    };
    this.logNode = h('ol', { id: 'event-log', class: 'event-log' });
    replace(this.root,
      h('h1', {}, t('session.room.heading'), ' ', h('code', { class: 'muted' }, this.id.slice(-12))),
      h('section', { class: 'card session-status' },
        h('dl', { class: 'facts inline-facts' },
          h('dt', {}, t('session.room.phase')),
          h('dd', {}, region(null, () => [this.phase], () => h('strong', { id: 'phase', 'data-phase': this.phase }, phaseName(this.phase)))),
          h('dt', {}, this.mySeat ? t('session.room.you') : t('session.room.you_staff')),
          h('dd', { id: 'own-seat' }, this.mySeat ? seatLabel(this.mySeat) : t(`session.role.${this.role}`)),
          h('dt', {}, t('session.room.chair')),
          h('dd', {}, region(null, () => [this.chair], () => h('span', { id: 'chair' }, this.chair ? seatLabel(this.chair) : t('session.room.no_chair')))),
          h('dt', {}, t('session.room.connection')),
          h('dd', {},
            h('span', { id: 'connection-state', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' }),
            ' ', h('span', { id: 'connection-detail', class: 'muted' }))),
        region('warnings', () => this.warnings.map((w) => w.seq), () => this.drawWarnings())),
      h('div', { class: 'columns session-columns' },
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'actions-heading' },
            h('h2', { id: 'actions-heading' }, t('session.actions')),
            region('actions', () => this.actionsKey(), () => this.drawActions()))),
        h('div', {},
          h('section', { class: 'card' }, h('h2', {}, t('session.committee')),
            region('committee', () => this.committeeKey(), () => this.drawCommittee())),
          region('clarifications', () => [this.role, this.phase, [...this.clarifications.values()]], () => this.drawClarifications()))),
      region('summary', () => [this.summary ? this.summary.length : null, this.phase], () => this.drawSummary()),
      region('report', () => [this.report?.sha, this.report?.verified, this.closed?.report_sha256], () => this.drawReport()),
      h('section', { class: 'card' }, h('h2', { id: 'log-heading' }, t('session.log')),
        h('div', { class: 'event-log-box', tabindex: '0', role: 'region', 'aria-labelledby': 'log-heading' }, this.logNode)));
    this.setConn(this.conn);
    this.render(true);
    this.drawLog();
    restore(this.root, kept);
  }

  render(force = false) {
    if (!this.regions) return;
    for (const r of this.regions) {
      const key = JSON.stringify(r.key());
      if (!force && key === r.last) continue;
      r.last = key;
      const kept = snapshot(r.node);
      replace(r.node, r.draw());
      restore(r.node, kept);
    }
  }

  drawLog() {
    const items = this.log.slice().reverse().map((event) => this.logItem(event));
    replace(this.logNode, items);
  }

  logItem(event) {
    return h('li', { 'data-seq': event.seq, 'data-kind': event.kind },
      h('span', { class: 'muted mono' }, `#${event.seq} ${formatTime(event.at).slice(-8)} `), this.describe(event));
  }

  prependLog(event) {
    this.logNode.insertBefore(this.logItem(event), this.logNode.firstChild);
    while (this.logNode.childElementCount > LOG_LIMIT) this.logNode.lastElementChild.remove();
  }

  drawWarnings() {
    if (!this.warnings.length) return null;
    return h('div', { class: 'warning', id: 'warnings', role: 'region', 'aria-label': t('session.warnings') },
      h('strong', {}, t('session.warnings')),
      h('ul', {}, this.warnings.slice().reverse().map((w) => h('li', { 'data-seq': w.seq }, h('span', { class: 'mono' }, formatTime(w.at).slice(-8)), ' ', w.text))));
  }

  committeeKey() {
    return [this.role, this.mySeat, this.chair, this.phase,
      [...this.seats.values()].map((s) => [s.seat, s.venue, s.state, s.voidReason, s.confirmed, s.checkedIn, s.declared, s.voted, s.sheets.size, s.signed]),
      this.isStaff ? [...this.seatOnline.entries(), ...[...this.presence.values()].map((p) => p.count)] : null];
  }

  venueName(venue) {
    if (venue === null || venue === undefined) return '—';
    return this.view.venues.find((v) => v.venue === venue)?.name || String(venue);
  }

  drawCommittee() {
    const yes = (value) => (value ? h('span', { class: 'badge good' }, t('session.yes')) : h('span', { class: 'muted' }, '—'));
    const columns = [
      { label: t('session.col.seat'), value: (s) => [h('strong', {}, seatLabel(s.seat)), s.seat === this.mySeat ? t('session.mine') : '', s.seat === this.chair ? [' ', h('span', { class: 'badge good' }, t('session.chair_mark'))] : ''] },
    ];
    if (this.view.mode === 'cross_site') columns.push({ label: t('session.col.venue'), value: (s) => this.venueName(s.venue) });
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
      { label: t('session.col.sheets'), value: (s) => `${s.sheets.size}/${this.bidders.length}` },
      { label: t('session.col.signed'), value: (s) => (s.signed ? h('span', { class: `badge ${s.signed === 'agree' ? 'good' : 'warn'}` }, t(`session.signed.${s.signed}`)) : '—') },
    );
    if (this.isStaff) {
      columns.push({
        label: t('session.col.connected'),
        value: (s) => ((this.seatOnline.get(s.seat) || 0) > 0
          ? h('span', { class: 'badge good' }, t('session.online'))
          : h('span', { class: 'muted' }, t('session.offline'))),
      });
    }
    const rows = [...this.seats.values()].sort((a, b) => a.seat - b.seat);
    const node = h('table', { id: 'committee', class: 'compact' },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', {}, rows.map((s) => h('tr', {
        id: `seat-${s.seat}`, 'data-state': s.state,
        'data-connected': this.isStaff ? String((this.seatOnline.get(s.seat) || 0) > 0) : null,
        class: s.seat === this.mySeat ? 'mine' : null,
      }, columns.map((c) => h('td', {}, c.value(s)))))));
    const staff = this.isStaff
      ? [...this.presence.values()].filter((p) => p.count > 0 && !p.data.seat)
      : [];
    return [h('div', { class: 'table-scroll' }, node), staff.length
      ? h('p', { class: 'muted', id: 'staff-connections' }, `${t('session.staff_connections')}: `,
        staff.map((p) => whoLabel(p.data)).join('、'))
      : null];
  }

  drawClarifications() {
    const list = [...this.clarifications.values()].sort((a, b) => a.number - b.number);
    if (!list.length) return null;
    const deciding = this.role === 'supervisor' && this.phase === 'evaluation';
    return h('section', { class: 'card', id: 'clarifications' },
      h('h2', {}, t('session.clarifications')),
      h('ul', { class: 'plain' }, list.map((c) => {
        const slot = errorSlot();
        const decide = (approve) => action(
          t(approve ? 'session.clar.approve' : 'session.clar.refuse', { n: c.number }),
          async () => { await this.send('decide_clarification', { number: c.number, approve }); },
          { slot, id: `clarification-${c.number}-${approve ? 'approve' : 'refuse'}`, kind: approve ? 'primary' : 'danger' },
        );
        return h('li', { id: `clarification-${c.number}`, 'data-state': c.state },
          h('span', { class: `badge ${c.state === 'approved' ? 'good' : c.state === 'refused' ? 'bad' : 'warn'}` }, t(`session.clar.${c.state}`)), ' ',
          t('session.clar.line', { n: c.number, label: seatLabel(c.seat), bidder: c.bidder, question: c.question }),
          deciding && c.state === 'pending' ? h('div', { class: 'buttons' }, decide(true), decide(false)) : null,
          slot.node);
      })));
  }

  drawSummary() {
    if (!this.summary || !atOrAfter(this.phase, 'summary')) return null;
    const criteria = this.criteria.map((c) => c.name);
    return h('section', { class: 'card', id: 'summary' },
      h('h2', {}, t('session.summary.heading')),
      h('p', { class: 'muted' }, t('session.summary.deviation_note', { p: this.view.deviation_percent })),
      this.summary.map((bidder) => h('div', { class: 'summary-bidder' },
        h('h3', {}, bidder.bidder, ' — ', t('session.summary.median', { median: points(bidder.median_total_centi) })),
        h('div', { class: 'table-scroll' }, h('table', {},
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('session.col.seat')),
            criteria.map((name) => h('th', { scope: 'col' }, name)),
            h('th', { scope: 'col' }, t('session.summary.total')),
            h('th', { scope: 'col' }, t('session.summary.comment')))),
          h('tbody', {}, (bidder.sheets || []).map((sheet) => h('tr', { class: sheet.deviates ? 'deviates' : null, 'data-deviates': String(Boolean(sheet.deviates)) },
            h('th', { scope: 'row' }, seatLabel(sheet.seat)),
            criteria.map((name) => h('td', { class: 'num' }, points(sheet.scores_centi?.[name] ?? 0))),
            h('td', { class: 'num' }, h('strong', {}, points(sheet.total_centi)), sheet.deviates ? [' ', h('span', { class: 'badge bad' }, t('session.summary.deviates'))] : null),
            h('td', {}, sheet.comment || '')))))))));
  }

  drawReport() {
    if (!this.report && !this.closed) return null;
    const parts = [h('h2', {}, t('session.report.heading'))];
    if (this.report) {
      const verified = this.report.verified;
      parts.push(h('dl', { class: 'facts' },
        h('dt', {}, t('session.report.sha')),
        h('dd', {}, h('code', { id: 'report-sha256' }, this.report.sha))),
      h('p', {
        id: 'report-verified', 'data-verified': verified === null ? null : String(verified),
        class: verified === null ? 'muted' : verified ? 'ok' : 'error',
      }, verified === null ? t('session.report.checking') : verified ? t('session.report.verified') : t('session.report.mismatch')));
    }
    if (this.closed) {
      parts.push(h('dl', { class: 'facts' },
        h('dt', {}, t('session.report.final')),
        h('dd', {}, h('code', { id: 'final-report-sha256' }, this.closed.report_sha256))));
    }
    return h('section', { class: 'card', id: 'report' }, parts);
  }

  actionsKey() {
    const me = this.me;
    return [this.role, this.phase, this.vacated, this.chair, this.myVote, this.contributions,
      me ? [me.checkedIn, me.declared, me.voted, me.signed, me.state] : null,
      [...this.mySheets.values()].map((s) => [s.bidder, s.total_centi]),
      [...this.seats.values()].map((s) => [s.seat, s.state, s.confirmed]),
      this.report?.sha, this.report?.verified, this.advanceProblem?.detail, this.fatal];
  }

  drawActions() {
    if (this.role === 'expert') return this.expertActions();
    const parts = [];
    if (this.phase === 'scheduled' && this.view.assignment === 'random' && (this.role === 'host' || this.role === 'supervisor')) {
      parts.push(this.entropyPanel());
    }
    if (this.role === 'host') parts.push(...this.hostActions());
    if (this.role === 'supervisor' && this.phase !== 'closed') parts.push(this.warnPanel());
    if (this.phase === 'closed') parts.push(h('p', { class: 'ok' }, t('session.closed_note')));
    if (!parts.length) parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
    return parts;
  }

  entropyPanel() {
    const slot = errorSlot();
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.entropy.heading')),
      h('p', {}, t('session.entropy.count', { n: this.contributions || 0 })),
      action(t('session.entropy.submit'), async () => {
        const result = await api.post(`/api/v1/sessions/${encodeURIComponent(this.id)}/entropy`, { entropy: randomHex(32) });
        toast(t('session.entropy.done', { n: result.position }));
      }, { slot, id: 'contribute-entropy', kind: 'secondary' }),
      slot.node);
  }

  hostActions() {
    const parts = [];
    const next = nextPhase(this.phase);
    if (next) {
      const slot = errorSlot();
      const problems = h('div', { id: 'advance-problems' });
      if (this.advanceProblem) replace(problems, this.problemList(this.advanceProblem));
      parts.push(h('div', { class: 'panel' },
        action(t('session.host.next', { phase: phaseName(next) }), async () => {
          this.advanceProblem = null;
          replace(problems);
          try {
            await this.send('advance', { to: next });
          } catch (error) {
            if (error.code === 'precondition-failed') {
              this.advanceProblem = error;
              replace(problems, this.problemList(error));
              return;
            }
            throw error;
          }
        }, { slot, id: 'next-phase', attrs: { 'data-to': next } }),
        problems, slot.node));
    }
    if (atOrAfter(this.phase, 'check_in') && this.phase !== 'closed') {
      const active = [...this.seats.values()].filter((s) => s.state === 'active');
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
          await this.send('replace', { seat: n, reason: reason.value });
          confirm.checked = false;
          toast(t('session.host.replaced', { label: seatLabel(n) }));
        }, { slot, id: 'replace-submit', kind: 'danger' })),
        slot.node));
    }
    return parts;
  }

  problemList(error) {
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

  warnPanel() {
    const slot = errorSlot();
    const text = h('textarea', { id: 'warn-text', maxlength: 2000, rows: 3 });
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.warn.heading')),
      field(t('session.warn.text'), text),
      action(t('session.warn.submit'), async () => {
        const value = text.value.trim();
        markInvalid(text, value ? null : t('session.warn.empty'));
        if (!value) return;
        await this.send('warn', { text: value });
        text.value = '';
        toast(t('session.warn.sent'));
      }, { slot, id: 'warn-submit' }),
      slot.node);
  }

  expertActions() {
    const me = this.me;
    if (this.vacated || (me && me.state === 'void')) return h('p', { class: 'error' }, t('session.vacated'));
    if (this.phase === 'closed') return h('p', { class: 'ok' }, t('session.closed_note'));
    if (this.phase === 'scheduled') return h('p', { class: 'muted' }, t('session.wait.scheduled'));
    if (!me) return h('p', { class: 'muted' }, t('session.wait.generic'));
    if (!me.checkedIn) return this.checkInPanel();
    const parts = [h('p', { class: 'ok' }, t('session.checkin.done'))];
    if (this.phase === 'check_in') {
      parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
      return parts;
    }
    if (!me.declared) {
      parts.push(this.declarePanel());
      return parts;
    }
    parts.push(h('p', { class: 'ok' }, t('session.declare.done')));
    if (this.phase === 'recusal') parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
    if (this.phase === 'chair_election' || this.phase === 'evaluation') parts.push(this.votePanel());
    if (this.phase === 'evaluation') parts.push(this.sheetsPanel(), this.clarifyPanel());
    if (this.phase === 'summary') parts.push(h('p', { class: 'muted' }, t('session.wait.summary')));
    if (this.phase === 'signing') parts.push(this.signPanel());
    return parts;
  }

  checkInPanel() {
    const slot = errorSlot();
    const code = h('input', { id: 'join-code', autocomplete: 'off', spellcheck: 'false', maxlength: 32, class: 'mono', inputmode: 'latin' });
    return h('form', { class: 'panel', novalidate: true },
      h('h3', {}, t('session.checkin.heading')),
      field(t('session.checkin.code'), code, t('session.checkin.hint')),
      action(t('session.checkin.submit'), async () => {
        const value = code.value.trim().toLowerCase();
        const valid = /^[0-9a-f]{10}$/.test(value);
        markInvalid(code, valid ? null : t('session.checkin.invalid'));
        if (!valid) { code.focus(); return; }
        try {
          await this.send('check_in', { join_code: value });
        } catch (error) {
          if (error.code === 'wrong-join-code') markInvalid(code, error.title);
          throw error;
        }
        code.value = '';
      }, { slot, id: 'check-in', type: 'submit' }),
      slot.node);
  }

  declarePanel() {
    const slot = errorSlot();
    const confirm = h('input', { type: 'checkbox', id: 'declare-conflict-confirm' });
    const conflict = action(t('session.declare.conflict'), async () => {
      if (!confirm.checked) return;
      await this.send('declare', { conflict: true });
    }, { slot, id: 'declare-conflict', kind: 'danger' });
    conflict.disabled = true;
    confirm.addEventListener('change', () => { conflict.disabled = !confirm.checked; });
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.declare.heading')),
      h('p', {}, t('session.declare.text')),
      h('div', { class: 'buttons' }, action(t('session.declare.none'), async () => {
        await this.send('declare', { conflict: false });
      }, { slot, id: 'declare-none' })),
      h('fieldset', { class: 'decline' },
        h('legend', {}, t('session.declare.conflict')),
        h('label', { class: 'check' }, confirm, ' ', t('session.declare.conflict_confirm')),
        h('p', { class: 'hint' }, t('session.declare.conflict_note')),
        conflict),
      slot.node);
  }

  votePanel() {
    if (this.chair) return h('p', { class: 'ok', id: 'vote-result' }, t('session.vote.elected', { label: seatLabel(this.chair) }));
    const slot = errorSlot();
    const candidates = [...this.seats.values()].filter((s) => s.state === 'active' && s.confirmed).sort((a, b) => a.seat - b.seat);
    const select = h('select', { id: 'vote-seat' },
      h('option', { value: '' }, t('expert.inv.reason.choose')),
      candidates.map((s) => h('option', { value: s.seat, selected: this.myVote === s.seat }, `${seatLabel(s.seat)}${s.seat === this.mySeat ? t('session.mine') : ''}`)));
    const status = this.myVote
      ? h('p', { class: 'ok' }, t('session.vote.yours', { label: seatLabel(this.myVote) }))
      : this.me?.voted ? h('p', { class: 'ok' }, t('session.vote.voted')) : null;
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.vote.heading')),
      status,
      h('div', { class: 'inline' }, field(t('session.vote.seat'), select),
        action(t('session.vote.submit'), async () => {
          const seat = Number(select.value);
          markInvalid(select, seat ? null : t('session.vote.choose'));
          if (!seat) return;
          await this.send('vote', { seat });
          this.myVote = seat;
          this.render();
        }, { slot, id: 'vote-submit' })),
      slot.node);
  }

  sheetsPanel() {
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.score.heading')),
      this.bidders.map((bidder, b) => {
        const recorded = this.mySheets.get(bidder);
        const slot = errorSlot();
        const inputs = this.criteria.map((criterion, c) => h('input', {
          id: `score-${b}-${c}`, inputmode: 'decimal', autocomplete: 'off', class: 'score',
          value: recorded ? points(recorded.scores_centi?.[criterion.name] ?? 0) : '',
        }));
        const comment = h('textarea', { id: `comment-${b}`, rows: 2, maxlength: 2000, value: recorded?.comment || '' });
        return h('fieldset', { class: 'sheet', id: `sheet-${b}` },
          h('legend', {}, bidder),
          h('div', { class: 'inline' }, this.criteria.map((criterion, c) => field(t('session.score.range', { name: criterion.name, max: criterion.max_points }), inputs[c]))),
          field(t('session.score.comment'), comment),
          h('div', { class: 'buttons' },
            action(t(recorded ? 'session.score.resubmit' : 'session.score.submit', { bidder }), async () => {
              const scores = {};
              let valid = true;
              this.criteria.forEach((criterion, c) => {
                const value = parseScore(inputs[c].value, criterion.max_points);
                markInvalid(inputs[c], value === null ? t('session.score.invalid', { max: criterion.max_points }) : null);
                if (value === null) valid = false;
                else scores[criterion.name] = value;
              });
              const text = comment.value.trim();
              const tooLong = Array.from(text).length > 2000;
              markInvalid(comment, tooLong ? t('session.score.comment_long') : null);
              if (!valid || tooLong) {
                slot.show({ title: t('common.error'), detail: t('session.score.fix') });
                return;
              }
              const request = { bidder, scores };
              if (text) request.comment = text;
              try {
                await this.send('submit_sheet', request);
              } catch (error) {
                const at = String(error.field || '').match(/^scores\.(.+)$/);
                const index = at ? this.criteria.findIndex((c) => c.name === at[1]) : -1;
                if (index >= 0) markInvalid(inputs[index], error.detail);
                if (error.field === 'comment') markInvalid(comment, error.detail);
                throw error;
              }
              toast(t('session.score.sent'));
            }, { slot, id: `sheet-submit-${b}` }),
            h('span', { id: `sheet-status-${b}`, class: recorded ? 'badge good' : 'muted', 'data-recorded': recorded ? 'true' : 'false' },
              recorded ? t('session.score.recorded', { total: points(recorded.total_centi) }) : t('session.score.not_yet'))),
          slot.node);
      }));
  }

  clarifyPanel() {
    const slot = errorSlot();
    const bidder = h('select', { id: 'clarify-bidder' }, this.bidders.map((b) => h('option', { value: b }, b)));
    const question = h('textarea', { id: 'clarify-question', rows: 2, maxlength: 2000 });
    return h('details', { class: 'panel', id: 'clarify-panel' },
      h('summary', {}, t('session.clarify.heading')),
      field(t('session.clarify.bidder'), bidder),
      field(t('session.clarify.question'), question),
      action(t('session.clarify.submit'), async () => {
        const text = question.value.trim();
        markInvalid(question, text ? null : t('session.clarify.empty'));
        if (!text) return;
        await this.send('request_clarification', { bidder: bidder.value, question: text });
        question.value = '';
        toast(t('session.clarify.sent'));
      }, { slot, id: 'clarify-submit' }),
      slot.node);
  }

  signPanel() {
    const me = this.me;
    if (me.signed) {
      return h('p', { class: 'ok', id: 'my-signature', 'data-signature': me.signed },
        me.signed === 'agree' ? t('session.sign.done.agree') : t('session.sign.done.dissent', { reasons: me.reasons || '' }));
    }
    if (!this.report) return h('p', { class: 'muted' }, t('session.report.checking'));
    const slot = errorSlot();
    const verified = this.report.verified === true;
    const sha = this.report.sha;
    const reasons = h('textarea', { id: 'dissent-reasons', rows: 3, maxlength: 2000 });
    const sign = action(t('session.sign.agree'), async () => {
      await this.send('sign', { report_sha256: sha, agree: true });
    }, { slot, id: 'sign-report' });
    const dissent = action(t('session.sign.dissent'), async () => {
      const text = reasons.value.trim();
      const length = Array.from(text).length;
      const ok = length >= 10 && length <= 2000;
      markInvalid(reasons, ok ? null : t('session.sign.reasons_short'));
      if (!ok) { reasons.focus(); return; }
      try {
        await this.send('sign', { report_sha256: sha, agree: false, reasons: text });
      } catch (error) {
        if (error.field === 'reasons') markInvalid(reasons, error.detail);
        throw error;
      }
    }, { slot, id: 'dissent-submit', kind: 'danger' });
    // Only a report this computer has matched to its digest is signed.
    sign.disabled = !verified;
    dissent.disabled = !verified;
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.sign.heading')),
      h('p', {}, t('session.report.sha'), ': ', h('code', {}, sha)),
      h('p', { class: verified ? 'ok' : 'error' }, verified ? t('session.report.verified') : t('session.report.mismatch')),
      h('div', { class: 'buttons' }, sign),
      h('fieldset', { class: 'decline' },
        h('legend', {}, t('session.sign.dissent_heading')),
        field(t('session.sign.reasons'), reasons),
        dissent),
      slot.node);
  }
}

/** Who a presence event is about, in the reader's language. */
function whoLabel(data) {
  if (data.seat) return seatLabel(data.seat);
  if (data.role === 'host') return t('session.who.host');
  if (data.role === 'supervisor') return t('session.who.supervisor');
  if (data.role === 'operator') return t('session.who.operator', { venue: (String(data.who).match(/[0-9]+/) || [''])[0] });
  return String(data.who);
}

/** A score as the protocol takes it: 0 to max with at most two decimals, else null. */
export function parseScore(text, max) {
  const value = String(text).trim();
  if (!/^[0-9]{1,4}(\.[0-9]{1,2})?$/.test(value)) return null;
  const number = Number(value);
  return number >= 0 && number <= max ? number : null;
}

/** What the user has typed or ticked, and where the focus is, by element id. */
function snapshot(node) {
  const values = new Map();
  for (const control of node.querySelectorAll('input[id], textarea[id], select[id]')) {
    values.set(control.id, { value: control.value, checked: control.checked });
  }
  for (const details of node.querySelectorAll('details')) {
    if (details.open) values.set(`open:${details.querySelector('summary')?.textContent}`, true);
  }
  const active = document.activeElement;
  let focus = null;
  if (active && active.id && node.contains(active)) {
    focus = { id: active.id };
    try { focus.start = active.selectionStart; focus.end = active.selectionEnd; } catch { /* not a text control */ }
  }
  return { values, focus };
}

function restore(node, { values, focus }) {
  for (const control of node.querySelectorAll('input[id], textarea[id], select[id]')) {
    const kept = values.get(control.id);
    if (!kept) continue;
    if (control.type === 'checkbox') control.checked = kept.checked;
    else if (kept.value !== '' || control.tagName === 'SELECT') {
      if (control.tagName !== 'SELECT' || [...control.options].some((o) => o.value === kept.value)) control.value = kept.value;
    }
  }
  for (const details of node.querySelectorAll('details')) {
    if (values.get(`open:${details.querySelector('summary')?.textContent}`)) details.open = true;
  }
  if (focus) {
    const target = node.querySelector(`#${CSS.escape(focus.id)}`);
    if (target) {
      target.focus();
      try { if (focus.start !== undefined && focus.start !== null) target.setSelectionRange(focus.start, focus.end); } catch { /* not a text control */ }
    }
  }
}

async function renderRoom(ctx) {
  const id = ctx.params.id;
  if (!id) {
    ctx.go('session/list');
    return h('p', {}, t('app.loading'));
  }
  const view = await api.get(`/api/v1/sessions/${encodeURIComponent(id)}`);
  const room = new Room(ctx, view);
  room.start();
  ctx.onLeave(() => room.stop());
  ctx.relabel = () => room.build();
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
