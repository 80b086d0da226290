// The session websocket and everything about keeping it (docs/PROTOCOL.md §1, §5–§7). Every
// connection, first or not, starts with a fresh single-use ticket and asks for the events after
// the last one the room has applied (`after=`), so nothing is missed and nothing comes twice.
// Whenever the socket ends without the user leaving, it reconnects, backing off between failed
// attempts, and at once when the browser reports that the network is back. Requests carry ids
// unique for the session (a random prefix per page and a counter); one without a reply is sent
// again with the same id as soon as the next connection is welcomed, so the server applies it at
// most once (§6).
//
// Heartbeats need no code here: the server pings every `session.heartbeat_secs` and the browser
// answers with a pong by itself. A connection that dies silently is closed by the server's idle
// timeout or by the browser, and reconnected like any other.
//
// What the frames mean is the room's business (state.js): this module passes every frame but
// replies to `onFrame`, and pairs each reply with the request it answers.

import * as api from '../api.js';
import { randomHex } from '../dom.js';
import { lang } from '../i18n.js';

const MAX_BACKOFF_MS = 15000;

/** The connection is over for good: `reason` is `left`, `refused` (with the server's `detail`) or `seat-vacated`. */
export class ConnectionEnded extends Error {
  constructor(reason, detail = '') {
    super(detail || reason);
    this.reason = reason;
    this.detail = detail;
  }
}

export class SessionConnection {
  /**
   * `resumeAfter()` gives the number of the last event applied; `onFrame(frame)` receives every
   * frame but replies; `onStatus(status)` hears `connecting`, `reconnecting` and `connected`
   * (the replay is over); `onEnd(ended)` hears a ConnectionEnded once, unless the user left.
   */
  constructor(sessionId, { resumeAfter, onFrame, onStatus, onEnd }) {
    this.sessionId = sessionId;
    this.resumeAfter = resumeAfter;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onEnd = onEnd;
    this.socket = null;
    this.welcomed = false;
    this.attempts = 0;
    this.everConnected = false;
    this.timer = null;
    this.ended = null; // a ConnectionEnded once over
    this.pending = new Map(); // request id → { request, frame, resolve, reject }
    this.prefix = `c${randomHex(6)}`;
    this.counter = 0;
    this.onOnline = () => {
      if (!this.timer) return;
      clearTimeout(this.timer);
      this.timer = null;
      this.connect();
    };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  /** The user has left the room. */
  stop() {
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    this.settle(new ConnectionEnded('left'));
  }

  /**
   * Sends `request` ({ type, ...fields }, PROTOCOL.md §3); resolves with its reply frame, whether
   * accepted or refused, and rejects with a ConnectionEnded if the connection ends first.
   */
  request(request) {
    if (this.ended) return Promise.reject(this.ended);
    this.counter += 1;
    const id = `${this.prefix}-${this.counter}`;
    const frame = JSON.stringify({ v: 1, id, ...request });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { request, frame, resolve, reject });
      if (this.socket && this.welcomed && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
      // Otherwise the welcome of the next connection sends it.
    });
  }

  async connect() {
    this.timer = null;
    if (this.ended) return;
    this.onStatus(this.attempts === 0 && !this.everConnected ? 'connecting' : 'reconnecting');
    let ticket;
    try {
      ticket = await api.post(`/api/v1/sessions/${encodeURIComponent(this.sessionId)}/ticket`);
    } catch (error) {
      if (this.ended) return;
      // Not (or no longer) a participant: retrying cannot help.
      if (error.status === 403 || error.status === 404) {
        this.end(new ConnectionEnded('refused', error.detail || error.message));
        return;
      }
      this.retry();
      return;
    }
    if (this.ended) return;
    const url = `wss://${location.host}${ticket.path}?ticket=${encodeURIComponent(ticket.ticket)}&after=${this.resumeAfter()}&lang=${lang() === 'zh' ? 'zh' : 'en'}`;
    // lang: the websocket cannot carry the reader's Accept-Language, so replies' details are asked for by name.
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    this.welcomed = false;
    socket.addEventListener('message', (event) => { if (socket === this.socket) this.receive(socket, event.data); });
    socket.addEventListener('close', () => { if (socket === this.socket) this.closed(); });
  }

  retry() {
    if (this.ended) return;
    this.attempts += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.attempts - 1, 4));
    this.onStatus('reconnecting');
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  closed() {
    this.socket = null;
    this.welcomed = false;
    if (this.ended) return;
    this.retry();
  }

  end(ended) {
    this.settle(ended);
    this.onEnd(ended);
  }

  /** Ends the connection for good and fails every request still waiting for its reply. */
  settle(ended) {
    this.ended = ended;
    for (const { reject } of this.pending.values()) reject(ended);
    this.pending.clear();
  }

  receive(socket, text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'reply') {
      const waiting = this.pending.get(frame.id);
      if (!waiting) return;
      this.pending.delete(frame.id);
      waiting.resolve({ ...frame, request: waiting.request });
      return;
    }
    if (frame.type === 'welcome') {
      this.welcomed = true;
      // Whatever had no reply on the last connection goes again, with its id (§6).
      for (const { frame: request } of this.pending.values()) socket.send(request);
    } else if (frame.type === 'synced') {
      this.attempts = 0;
      this.everConnected = true;
      this.onStatus('connected');
    }
    this.onFrame(frame);
    // A replaced member does not rejoin (§7): the server closes the socket after this frame.
    if (frame.type === 'error' && frame.code === 'seat-vacated') this.end(new ConnectionEnded('seat-vacated'));
  }
}
