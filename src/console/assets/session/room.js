// The live session room: one screen for everyone in a session, wired from four parts. The
// connection (connection.js) keeps the websocket; every frame goes through the reducer
// (state.js) into the room's state; the panels draw that state: what everyone sees
// (shared-panels.js) and the actions of the account's role in the session (expert-panel.js,
// host-panel.js for the host and sub-venue operators, supervisor-panel.js). This module only
// connects them: it applies frames and replies, runs their effects (toasts, the report's digest
// check, a fresh session view once resumed) and redraws the regions whose state changed,
// keeping what the user has typed.
//
// Stable ids for tests (N = seat number, B = bidder index, C = criterion index, both from 0 in
// the session's order, K = clarification number):
//   room:      #connection-state (data-state connecting|connected|reconnecting|disconnected),
//              #phase (data-phase), #own-seat, #chair, #committee (rows #seat-N, data-connected
//              for staff), #event-log (li[data-seq]), #warnings, #summary, #report-sha256,
//              #report-verified (data-verified true|false), #clarifications, #rejections
//              (li #rejection-K, data-state), #report-document (report-view.js),
//              #signature-status (signature-status.js)
//   expert:    #join-code, #check-in, #declare-none, #declare-conflict-confirm, #declare-conflict,
//              #vote-seat, #vote-submit, #score-B-C, #comment-B, #sheet-submit-B, #sheet-status-B,
//              #clarify-bidder, #clarify-question, #clarify-submit, #reject-panel,
//              #reject-bidder, #reject-ground, #reject-reasons, #reject-submit,
//              #rejection-K-yes, #rejection-K-no (K = proposal), #price-B, #sign-report,
//              #dissent-reasons, #dissent-submit, #my-signature, #signing-key-note (data-state
//              none|active|pending|revoked|unknown), #to-signing-keys
//   host:      #next-phase (data-to), #advance-problems, #replace-seat, #replace-reason,
//              #replace-confirm, #replace-submit, #contribute-entropy, #venue-consents
//              (li#venue-consent-<venue id>, data-state), #venue-consents-refresh
//   supervisor: #warn-text, #warn-submit, #clarification-K-approve, #clarification-K-refuse,
//              #contribute-entropy

import * as api from '../api.js';
import { h, replace, toast, snapshotEdits as snapshot, restoreEdits as restore } from '../dom.js';
import { t, formatTime, formatCountdown } from '../i18n.js';
import { initialState, reduce, LOG_LIMIT } from './state.js';
import { ConnectionEnded, SessionConnection } from './connection.js';
import { reportDigest } from './report-digest.js';
import { phaseName, seatLabel, noteRepresentatives } from './labels.js';
import { signatureStatusKey } from './signature-status.js';
import * as shared from './shared-panels.js';
import { expertPanel, timePanel, timeKey } from './expert-panel.js';
import { hostPanel } from './host-panel.js';
import { supervisorPanel, clarificationDecision } from './supervisor-panel.js';

const PANELS = { expert: expertPanel, host: hostPanel, operator: hostPanel, supervisor: supervisorPanel };

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

/** A suspended evaluation takes only its supervisors' acts; a cancelled one nobody's. */
function heldBack(state) {
  return state.hold === 'cancelled' || (state.hold === 'suspended' && state.role !== 'supervisor');
}

function endMessage(ended) {
  if (ended.reason === 'seat-vacated') return t('session.conn.vacated');
  if (ended.reason === 'refused') return t('session.conn.refused', { detail: ended.detail });
  return t('session.conn.disconnected');
}

export class Room {
  constructor(view) {
    this.id = view.session_id;
    // Seats this reader has rated here once the session closed (the server refuses a second).
    this.ratedSeats = new Set(view.rated_by_you || []);
    this.state = initialState(view);
    noteRepresentatives(this.state.seats.values());
    this.status = 'connecting';
    this.endDetail = '';
    this.connection = new SessionConnection(this.id, {
      resumeAfter: () => this.state.lastSeq,
      onFrame: (frame) => this.receive(frame),
      onStatus: (status) => {
        if (status !== 'connected') this.dispatch({ type: 'connection_lost' });
        this.showStatus(status);
      },
      onEnd: (ended) => {
        this.endDetail = endMessage(ended);
        this.showStatus('disconnected');
        this.render();
      },
    });
    this.root = h('div', { class: 'session-room' });
    this.build();
  }

  start() {
    this.connection.start();
  }

  stop() {
    this.connection.stop();
  }

  /** Applies a frame or note to the state; whether anything changed. */
  dispatch(input) {
    const next = reduce(this.state, input);
    const changed = next !== this.state;
    this.state = next;
    // Labels in log lines and panels name a representative's seat as one.
    if (changed) noteRepresentatives(next.seats.values());
    return changed;
  }

  receive(frame) {
    const live = this.state.live;
    const changed = this.dispatch(frame);
    if (frame.type === 'event' && changed) {
      this.effects(frame, live);
      if (live) {
        this.prependLog(frame);
        this.render();
      }
    } else if (frame.type === 'synced') {
      this.drawLog();
      this.render();
      this.refreshView();
    }
  }

  /** What an applied event does beyond the state; a replayed one is history, not news. */
  effects(event, live) {
    const data = event.data || {};
    if (event.kind === 'warning' && live) toast(t('session.ev.warning', { text: data.text }), 'bad');
    if (event.kind === 'phase_changed' && live) toast(t('session.host.moved', { phase: phaseName(data.to) }));
    if (event.kind === 'report_ready') this.checkReport(this.state.report);
  }

  /** Sends a request; resolves with its result, rejects with a Refusal. */
  async send(type, fields = {}) {
    const request = { type, ...fields };
    this.dispatch({ type: 'request_sent', request });
    let reply;
    try {
      reply = await this.connection.request(request);
    } catch (error) {
      throw error instanceof ConnectionEnded ? new Error(endMessage(error)) : error;
    }
    if (this.dispatch(reply)) this.render();
    if (!reply.ok) throw new Refusal(reply.error || {});
    return reply.result;
  }

  async checkReport(report) {
    let verified;
    try {
      verified = await reportDigest(report.report, report.suite) === report.sha;
    } catch {
      verified = false;
    }
    if (this.dispatch({ type: 'report_checked', sha: report.sha, verified }) && this.state.live) this.render();
  }

  /** The session view says what events do not: whether a successor has accepted. */
  async refreshView() {
    try {
      const view = await api.get(`/api/v1/sessions/${encodeURIComponent(this.id)}`);
      if (this.dispatch({ type: 'view_refreshed', view })) this.render();
    } catch {
      // The room works on events alone; the view only adds the confirmations.
    }
  }

  showStatus(status) {
    this.status = status;
    const node = this.root.querySelector('#connection-state');
    if (!node) return;
    node.dataset.state = status;
    node.className = `badge ${{ connected: 'good', reconnecting: 'warn', connecting: 'warn', disconnected: 'bad' }[status]}`;
    node.textContent = t(`session.conn.${status}`);
    const detail = this.root.querySelector('#connection-detail');
    if (detail) detail.textContent = status === 'disconnected' ? this.endDetail : '';
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
    const { mySeat, role } = this.state;
    this.logNode = h('ol', { id: 'event-log', class: 'event-log' });
    replace(this.root,
      h('h1', {}, t('session.room.heading'), ' ', h('code', { class: 'muted' }, this.id.slice(-12))),
      h('section', { class: 'card session-status' },
        h('dl', { class: 'facts inline-facts' },
          h('dt', {}, t('session.room.phase')),
          h('dd', {}, region(null, () => [this.state.phase], () => h('strong', { id: 'phase', 'data-phase': this.state.phase }, phaseName(this.state.phase)))),
          h('dt', {}, mySeat ? t('session.room.you') : t('session.room.you_staff')),
          h('dd', { id: 'own-seat' }, mySeat ? seatLabel(mySeat) : t(`session.role.${role}`)),
          h('dt', {}, t('session.room.chair')),
          h('dd', {}, region(null, () => [this.state.chair], () => h('span', { id: 'chair' }, this.state.chair ? seatLabel(this.state.chair) : t('session.room.no_chair')))),
          h('dt', {}, t('session.room.ends')),
          h('dd', {}, region(null, () => [this.state.endsAt, this.state.extensions, this.state.phase, Math.floor(Date.now() / 60000)], () => h('span', { id: 'time-ends', 'data-extensions': this.state.extensions },
            t('session.time.ends', { at: formatTime(this.state.endsAt), extensions: this.state.extensions }),
            this.state.endsAt && this.state.phase !== 'closed' ? h('span', { id: 'time-countdown' }, ` （${formatCountdown(this.state.endsAt)}）`) : null))),
          h('dt', {}, t('session.room.connection')),
          h('dd', {},
            h('span', { id: 'connection-state', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' }),
            ' ', h('span', { id: 'connection-detail', class: 'muted' }))),
        region('warnings', () => this.state.warnings.map((w) => w.seq), () => shared.warnings(this.state)),
        region('hold', () => [this.state.hold], () => (this.state.hold
          ? h('p', { class: 'warning', role: 'alert', id: 'session-hold', 'data-hold': this.state.hold }, t(`session.hold.${this.state.hold}`))
          : null))),
      h('div', { class: 'columns session-columns' },
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'actions-heading' },
            h('h2', { id: 'actions-heading' }, t('session.actions')),
            region('actions', () => this.actionsKey(), () => (heldBack(this.state)
              ? h('p', { class: 'muted', id: 'held-note' }, t(`session.held.${this.state.hold}`))
              : (PANELS[this.state.role] || hostPanel)(this))),
            region('time', () => timeKey(this.state), () => timePanel(this)))),
        h('div', {},
          h('section', { class: 'card' }, h('h2', {}, t('session.committee')),
            region('committee', () => shared.committeeKey(this.state), () => shared.committee(this.state))),
          region('clarifications', () => [this.state.role, this.state.phase, [...this.state.clarifications.values()]], () => shared.clarifications(this.state, this.decider())),
          region('rejections', () => [...this.state.rejections.values()].map((r) => [r.proposal, r.state, [...(r.votes || new Map()).entries()]]), () => shared.rejections(this.state)))),
      region('summary', () => [this.state.summary ? this.state.summary.length : null, this.state.phase], () => shared.summary(this.state)),
      region('report', () => [this.state.report?.sha, this.state.report?.verified, this.state.closed?.report_sha256, this.state.phase, signatureStatusKey(this.state)], () => shared.report(this.state)),
      h('section', { class: 'card' }, h('h2', { id: 'log-heading' }, t('session.log')),
        h('div', { class: 'event-log-box', tabindex: '0', role: 'region', 'aria-labelledby': 'log-heading' }, this.logNode)));
    this.showStatus(this.status);
    this.render(true);
    this.drawLog();
    restore(this.root, kept);
  }

  /** Redraws each region whose key has changed since it was last drawn. */
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

  /** A supervisor decides clarification requests during the evaluation. */
  decider() {
    if (this.state.role !== 'supervisor' || this.state.phase !== 'evaluation') return null;
    return (clarification, slot) => clarificationDecision(this, clarification, slot);
  }

  actionsKey() {
    const s = this.state;
    const me = s.mySeat ? s.seats.get(s.mySeat) : null;
    return [s.role, s.phase, s.hold, s.vacated, s.chair, s.myVote, s.contributions,
      me ? [me.checkedIn, me.declared, me.voted, me.signed, me.state] : null,
      [...s.mySheets.values()].map((sheet) => [sheet.bidder, sheet.total_centi]),
      [...s.seats.values()].map((seat) => [seat.seat, seat.state, seat.confirmed]),
      [...s.rejections.values()].map((r) => [r.proposal, r.state, r.votes?.get(s.mySeat)]),
      s.report?.sha, s.report?.verified, s.advanceProblem?.detail, this.connection.ended !== null,
      [...this.ratedSeats]];
  }

  drawLog() {
    replace(this.logNode, this.state.log.slice().reverse().map(shared.logItem));
  }

  prependLog(event) {
    this.logNode.insertBefore(shared.logItem(event), this.logNode.firstChild);
    while (this.logNode.childElementCount > LOG_LIMIT) this.logNode.lastElementChild.remove();
  }
}
