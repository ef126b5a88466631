// The stompjs-shaped Client over the size-first core (pkg-core/, issue 14 step 7, prototype).
//
// JavaScript owns the API surface, the socket and the timer; every protocol decision is the
// Rust session's (heart-beats, reconnect, receipts, offline queue, resubscribe). After every
// input the client drains the core's records (`poll`) and re-arms one timer at its deadline.
// No `await init()`: the module compiles itself on the first `activate()`; `init()` preloads.
//
// Not yet here (see docs/CLIENT-SIZE-PLAN.md): the compat `Stomp` API, `beforeConnect`,
// the heart-beat Worker, SockJS (a second module loaded by import()), TypeScript types.

const enc = new TextEncoder();
const dec = new TextDecoder();

let core;
let loading;

/** Compiles and instantiates the core once; `source` is a URL, bytes or a Response. */
export function init(source = new URL('stomp_wasm_core.wasm', import.meta.url)) {
  loading ??= (async () => {
    let bytes = source;
    if (source instanceof URL) {
      bytes =
        source.protocol === 'file:'
          ? await (await import('node:fs/promises')).readFile(source)
          : await (await fetch(source)).arrayBuffer();
    }
    core = (await WebAssembly.instantiate(bytes, {})).instance.exports;
    return core;
  })();
  return loading;
}

export const ActivationState = { ACTIVE: 0, DEACTIVATING: 1, INACTIVE: 2 };
export const ReconnectionTimeMode = { LINEAR: 0, EXPONENTIAL: 1 };

const ERRORS = [
  '',
  'There is no underlying STOMP connection',
  'Still DEACTIVATING, can not activate now',
  'offline queue is full',
  'outgoing buffer is full',
  'NACK is not part of STOMP 1.0',
  'too many receipts watched',
];

/** A request record for the core: u8 / u32 little-endian / length-prefixed strings. */
class Writer {
  constructor() {
    this.b = new Uint8Array(256);
    this.n = 0;
  }
  room(k) {
    if (this.n + k > this.b.length) {
      const b = new Uint8Array(Math.max(this.b.length * 2, this.n + k));
      b.set(this.b);
      this.b = b;
    }
  }
  u8(v) {
    this.room(1);
    this.b[this.n++] = v;
    return this;
  }
  u32(v) {
    this.room(4);
    new DataView(this.b.buffer).setUint32(this.n, v >>> 0, true);
    this.n += 4;
    return this;
  }
  bytes(v) {
    this.u32(v.length);
    this.room(v.length);
    this.b.set(v, this.n);
    this.n += v.length;
    return this;
  }
  str(s) {
    return this.bytes(enc.encode(s == null ? '' : String(s)));
  }
  headers(h = {}) {
    const keys = Object.keys(h ?? {});
    this.u32(keys.length);
    for (const k of keys) this.str(k).str(h[k]);
    return this;
  }
  /** Copies the record into the core's input buffer; its length. */
  put() {
    // buf() may grow memory, which detaches older views: take the buffer after it.
    const at = core.buf(this.n);
    new Uint8Array(core.memory.buffer, at, this.n).set(this.b.subarray(0, this.n));
    return this.n;
  }
}

/** Reads one record of `poll` (a copy: the callbacks it leads to may call the core). */
class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.i = 0;
  }
  u8() {
    return this.b[this.i++];
  }
  u32() {
    const v = this.v.getUint32(this.i, true);
    this.i += 4;
    return v;
  }
  bytes() {
    const n = this.u32();
    return this.b.subarray(this.i, (this.i += n));
  }
  str() {
    return dec.decode(this.bytes());
  }
}

/**
 * A received frame as stompjs gives it; `ack()`/`nack()` for messages. `command` and `headers`
 * are read from the frame's head text when first asked for (most handlers only read `body`).
 */
class Frame {
  constructor(head, body, binaryBody, client) {
    this._head = head;
    this._parts = undefined;
    this._headers = undefined;
    this._body = body;
    this._binary = binaryBody;
    this._client = client;
    this.isBinaryBody = false;
  }
  get command() {
    return (this._parts ??= this._head.split('\0'))[1];
  }
  get headers() {
    if (!this._headers) {
      const t = (this._parts ??= this._head.split('\0'));
      const h = {};
      for (let k = t.length - 3; k > 1; k -= 2) h[t[k]] = t[k + 1];
      this._headers = h;
    }
    return this._headers;
  }
  get body() {
    return (this._body ??= dec.decode(this._binary));
  }
  get binaryBody() {
    return (this._binary ??= enc.encode(this._body));
  }
  ack(headers) {
    this._client.ack(this._ackId(), this.headers.subscription, headers);
  }
  nack(headers) {
    this._client.nack(this._ackId(), this.headers.subscription, headers);
  }
  _ackId() {
    return this.headers[this._client._v12 ? 'ack' : 'message-id'];
  }
}

/**
 * Reads a frame record at `at` in memory (`kind` and `which` already read): one string decode
 * for the head and a UTF-8 body, a copy for any other body. Returns [name, frame].
 */
function readFrame(client, mem, at, end) {
  const v = new DataView(mem.buffer, at + 1, 8);
  const start = at + 9;
  let head;
  let body;
  let binary;
  if (mem[at]) {
    const all = dec.decode(mem.subarray(start, end));
    const units = v.getUint32(4, true);
    head = all.slice(0, units);
    body = all.slice(units);
  } else {
    const n = v.getUint32(0, true);
    head = dec.decode(mem.subarray(start, start + n));
    binary = mem.slice(start + n, end);
  }
  return [head.slice(0, head.indexOf('\0')), new Frame(head, body, binary, client)];
}

const noop = () => {};

export class Client {
  constructor(conf = {}) {
    Object.assign(this, {
      brokerURL: undefined,
      webSocketFactory: undefined,
      connectHeaders: {},
      disconnectHeaders: {},
      reconnectDelay: 5000,
      maxReconnectDelay: 15 * 60 * 1000,
      reconnectTimeMode: ReconnectionTimeMode.LINEAR,
      heartbeatIncoming: 10000,
      heartbeatOutgoing: 10000,
      heartbeatToleranceMultiplier: 2,
      connectionTimeout: 0,
      splitLargeFrames: false,
      maxWebSocketChunkSize: 8 * 1024,
      forceBinaryWSFrames: false,
      appendMissingNULLonIncoming: false,
      discardWebsocketOnCommFailure: false,
      debug: noop,
      onConnect: noop,
      onDisconnect: noop,
      onStompError: noop,
      onWebSocketClose: noop,
      onWebSocketError: noop,
      onUnhandledMessage: noop,
      onUnhandledReceipt: noop,
      onUnhandledFrame: noop,
      onChangeState: noop,
      onHeartbeatReceived: noop,
      onHeartbeatLost: noop,
    });
    Object.assign(this, conf);
    this.state = ActivationState.INACTIVE;
    this.webSocket = undefined;
    this._id = -1;
    this._subs = new Map();
    this._receipts = new Map();
    this._waiters = [];
    this._timer = undefined;
    this._at = undefined;
    this._q = [];
    this._driving = false;
    this._inOnConnect = false;
  }

  configure(conf) {
    Object.assign(this, conf);
  }

  get connected() {
    return this._id >= 0 && (core.status(this._id) & 1) === 1;
  }

  get active() {
    return this.state === ActivationState.ACTIVE;
  }

  get connectedVersion() {
    return this.connected ? ['1.0', '1.1', '1.2'][core.status(this._id) >> 1] : undefined;
  }

  get _v12() {
    return core.status(this._id) >> 1 === 2;
  }

  activate() {
    if (core) return this._activate();
    init().then(() => this._activate());
  }

  _activate() {
    if (this._id < 0) this._id = core.session();
    const flags = (this.splitLargeFrames ? 1 : 0) | (this.forceBinaryWSFrames ? 2 : 0) |
      (this.appendMissingNULLonIncoming ? 4 : 0) | (this.discardWebsocketOnCommFailure ? 8 : 0) |
      (this.resubscribe === false ? 0 : 32) | (this.debug !== noop ? 64 : 0);
    const w = new Writer()
      .u8(1).str(this.brokerURL ?? 'ws://factory')
      .u8(2).headers(this.connectHeaders)
      .u8(3).headers(this.disconnectHeaders)
      .u8(5).u32(this.connectionTimeout)
      .u8(6).u32(this.reconnectDelay)
      .u8(7).u32(this.maxReconnectDelay)
      .u8(8).u32(this.reconnectTimeMode)
      .u8(10).u32(this.heartbeatIncoming)
      .u8(11).u32(this.heartbeatOutgoing)
      .u8(12).u32(this.heartbeatToleranceMultiplier * 1000)
      .u8(13).u32(flags)
      .u8(14).u32(this.maxWebSocketChunkSize);
    core.configure(this._id, w.put());
    this._input(0);
  }

  deactivate({ force = false } = {}) {
    const done = new Promise((resolve) => {
      if (this.state === ActivationState.INACTIVE) resolve();
      else this._waiters.push(resolve);
    });
    if (core && this._id >= 0) this._input(force ? 2 : 1);
    return done;
  }

  forceDisconnect() {
    this._input(10);
  }

  publish({ destination, headers = {}, body = '', binaryBody, skipContentLengthHeader = false }) {
    const bytes = binaryBody ? new Uint8Array(binaryBody.buffer ?? binaryBody, binaryBody.byteOffset ?? 0, binaryBody.byteLength) : enc.encode(body);
    this._command(0, (binaryBody ? 1 : 0) | (skipContentLengthHeader ? 2 : 0),
      new Writer().str(destination).headers(headers).bytes(bytes));
  }

  subscribe(destination, callback, headers = {}) {
    const id = this._command(1, this._inOnConnect ? 0 : 1, new Writer().str(destination).headers(headers));
    this._subs.set(id, callback);
    return { id, unsubscribe: (h) => this.unsubscribe(id, h) };
  }

  unsubscribe(id, headers = {}) {
    this._subs.delete(id);
    this._command(2, 0, new Writer().str(id).headers(headers));
  }

  ack(messageId, subscriptionId, headers = {}) {
    this._command(3, 0, new Writer().str(messageId).str(subscriptionId).headers(headers));
  }

  nack(messageId, subscriptionId, headers = {}) {
    this._command(3, 1, new Writer().str(messageId).str(subscriptionId).headers(headers));
  }

  begin(transactionId = '') {
    const id = this._command(4, 0, new Writer().str(transactionId));
    return { id, commit: () => this.commit(id), abort: () => this.abort(id) };
  }

  commit(transactionId) {
    this._command(5, 0, new Writer().str(transactionId));
  }

  abort(transactionId) {
    this._command(6, 0, new Writer().str(transactionId));
  }

  watchForReceipt(receiptId, callback) {
    this._command(7, 0, new Writer().str(receiptId));
    this._receipts.set(receiptId, callback);
  }

  // ----- the core -----

  /** Runs a user call; the id it made (subscribe, begin), read before `drain` reuses `out`. */
  _command(kind, arg, writer) {
    if (!core || this._id < 0) throw new Error(ERRORS[1]);
    const err = core.command(this._id, kind, arg, performance.now(), writer.put());
    let made;
    if (!err && (kind === 1 || kind === 4)) {
      const at = core.out();
      const n = new DataView(core.memory.buffer, at).getUint32(0, true);
      made = dec.decode(new Uint8Array(core.memory.buffer, at + 4, n));
    }
    this._take(core.drain(this._id));
    if (err) throw new Error(ERRORS[err] ?? 'stomp client error');
    return made;
  }

  /** Feeds an input to the session and runs what it caused; the input's error code. */
  _input(kind, arg = 0, data) {
    let n = 0;
    if (typeof data === 'string') {
      const max = data.length * 3;
      const at = core.buf(max);
      n = enc.encodeInto(data, new Uint8Array(core.memory.buffer, at, max)).written;
    } else if (data) {
      n = data.byteLength;
      const at = core.buf(n);
      new Uint8Array(core.memory.buffer, at, n).set(new Uint8Array(data));
    }
    return this._take(core.input(this._id, kind, arg, performance.now(), n));
  }

  /**
   * Reads a batch the core wrote (deadline, error, records) into the queue before anything
   * can call the core again, re-arms the timer, and runs the queue unless a run is already
   * under way further up the stack (a callback that published): events keep their order.
   */
  _take(len) {
    if (!len) return 0;
    const at = core.out();
    const mem = new Uint8Array(core.memory.buffer);
    const head = new DataView(mem.buffer, at, 12);
    const deadline = head.getFloat64(0, true);
    const err = head.getUint32(8, true);
    for (let i = at + 12, end = at + len; i < end; ) {
      const n = (mem[i] | (mem[i + 1] << 8) | (mem[i + 2] << 16) | (mem[i + 3] << 24)) >>> 0;
      const r = i + 4;
      // Frames, the hot path, are read in place; other records are copied.
      this._q.push(mem[r] === 17 ? [mem[r + 1], ...readFrame(this, mem, r + 2, r + n)] : mem.slice(r, r + n));
      i = r + n;
    }
    this._arm(deadline);
    if (!this._driving) {
      this._driving = true;
      try {
        while (this._q.length) {
          const item = this._q.shift();
          if (item instanceof Uint8Array) this._run(new Reader(item));
          else this._frame(item[0], item[1], item[2]);
        }
      } finally {
        this._driving = false;
      }
    }
    return err;
  }

  /** One timer at the session's deadline (-1: none), re-armed only when it moves. */
  _arm(at) {
    if (at === this._at) return;
    this._at = at;
    clearTimeout(this._timer);
    if (at >= 0) {
      this._timer = setTimeout(() => {
        this._at = undefined;
        this._input(8);
      }, Math.max(0, at - performance.now()));
    }
  }

  _run(r) {
    switch (r.u8()) {
      case 1: // beforeConnect: not in the prototype, go on at once
        this._input(3);
        break;
      case 2: {
        const url = r.str();
        const protocols = [];
        for (let k = r.u32(); k > 0; k--) protocols.push(r.str());
        this._open(url, protocols);
        break;
      }
      case 3: {
        const binary = r.u8();
        const data = r.bytes();
        this.webSocket?.send(binary ? data : dec.decode(data));
        break;
      }
      case 4: {
        const ws = this.webSocket;
        if (r.u8() && ws) ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        ws?.close();
        break;
      }
      case 16:
        this.state = r.u8();
        this.onChangeState(this.state);
        if (this.state === ActivationState.INACTIVE) this._waiters.splice(0).forEach((f) => f());
        break;
      case 18: {
        const code = r.u32();
        this.onWebSocketClose({ code, reason: r.str() });
        break;
      }
      case 19:
        this.debug(r.str());
        break;
      case 20: {
        const which = r.u8();
        if (which === 0) this.onHeartbeatReceived();
        else if (which === 1) this.onHeartbeatLost();
        break;
      }
    }
  }

  _frame(which, name, frame) {
    switch (which) {
      case 0:
        this._inOnConnect = true;
        try {
          this.onConnect(frame);
        } finally {
          this._inOnConnect = false;
        }
        break;
      case 1: {
        const cb = this._subs.get(name);
        cb ? cb(frame) : this.onUnhandledMessage(frame);
        break;
      }
      case 2:
        this.onUnhandledMessage(frame);
        break;
      case 3: {
        const id = frame.headers['receipt-id'];
        const cb = this._receipts.get(id);
        this._receipts.delete(id);
        cb ? cb(frame) : this.onUnhandledReceipt(frame);
        break;
      }
      case 4:
        this.onUnhandledReceipt(frame);
        break;
      case 5:
        this.onUnhandledFrame(frame);
        break;
      case 6:
      case 7:
        this.onStompError(frame);
        break;
      case 8:
        this.onDisconnect(frame);
        break;
    }
  }

  _open(url, protocols) {
    let ws;
    try {
      ws = this.webSocketFactory ? this.webSocketFactory() : new WebSocket(url, protocols);
    } catch (e) {
      this._input(6, 1006, String(e));
      return;
    }
    this.webSocket = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this._input(4, 0, ws.protocol ?? '');
    ws.onmessage = (e) => this._input(5, 0, e.data);
    ws.onclose = (e) => {
      if (this.webSocket === ws) this._input(6, e.code, e.reason ?? '');
    };
    ws.onerror = (e) => {
      this.onWebSocketError(e);
      this._input(7, 0, 'websocket error');
    };
  }
}
