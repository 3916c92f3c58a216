// The live stream: one WebSocket per tab, signed in by the session cookie. It resumes every
// channel from the last seq it saw after any drop (so nothing is missed and nothing shown twice),
// and re-sends what was not answered yet with the same nonce (so nothing is sent twice).
export class Stream extends EventTarget {
  constructor() {
    super();
    this.seqs = new Map();          // channel → last seq seen
    this.channels = new Set();      // channels subscribed to
    this.pending = new Map();       // ref → { frame, resolve, reject }
    this.refs = 0;
    this.backoff = 500;
    this.socket = null;
    this.status = 'connecting';
    this.closed = false;
    this.onOffline = () => this.drop('offline');
    this.onOnline = () => { if (this.status !== 'open') this.connect(); };
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  connect() {
    if (this.closed) return;
    clearTimeout(this.timer);
    if (this.socket) this.socket.onclose = null, this.socket.close();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream`);
    this.socket = socket;
    socket.onopen = () => {
      this.backoff = 500;
      this.setStatus('open');
      for (const channel of this.channels) this.raw({ op: 'subscribe', channel, since: this.seqs.get(channel) });
      for (const [ref, request] of this.pending) this.raw({ ...request.frame, ref });
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = () => this.drop(navigator.onLine === false ? 'offline' : 'reconnecting');
  }

  /** Drops the socket and, unless offline, tries again after a jittered, growing wait. */
  drop(status) {
    if (this.socket) {
      this.socket.onclose = null;
      try { this.socket.close(); } catch (_) { /* already closed */ }
      this.socket = null;
    }
    if (this.closed) return;
    this.setStatus(status);
    clearTimeout(this.timer);
    if (status === 'offline') return;
    const wait = this.backoff * (0.5 + Math.random());
    this.backoff = Math.min(this.backoff * 2, 15000);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  close() {
    this.closed = true;
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    this.drop('closed');
  }

  raw(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /** Sends a frame and resolves with the reply carrying its ref (rejects with an `error` frame). */
  request(frame) {
    const ref = `r${++this.refs}`;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { frame, resolve, reject });
      this.raw({ ...frame, ref });
    });
  }

  /** Follows a channel from `since` (its latest when null); events arrive as `event` events. */
  subscribe(channel, since = null) {
    this.channels.add(channel);
    if (since !== null && since !== undefined) this.seqs.set(channel, since);
    this.raw({ op: 'subscribe', channel, since: this.seqs.get(channel) });
  }

  unsubscribe(channel) {
    this.channels.delete(channel);
    this.raw({ op: 'unsubscribe', channel });
  }

  receive(text) {
    let frame;
    try { frame = JSON.parse(text); } catch (_) { return; }
    if (frame.ref !== undefined && this.pending.has(frame.ref)) {
      const request = this.pending.get(frame.ref);
      this.pending.delete(frame.ref);
      if (frame.op === 'error') request.reject(frame); else request.resolve(frame);
    }
    if (frame.op === 'subscribed' && !this.seqs.has(frame.channel)) this.seqs.set(frame.channel, frame.since);
    if (frame.op === 'event') {
      const last = this.seqs.get(frame.channel) ?? 0;
      if (frame.seq <= last) return;  // seen already (a replay overlapping what came live)
      this.seqs.set(frame.channel, frame.seq);
    }
    this.dispatchEvent(new CustomEvent(frame.op, { detail: frame }));
  }
}
