// The stompjs-shaped Client over the size-first core (pkg-core/, issue 14 step 7b).
//
// JavaScript owns the API surface, the socket and the timer; every protocol decision is the
// Rust session's (heart-beats, reconnect, receipts, offline queue, resubscribe, attempts). After
// every input the client reads the core's batch of records and re-arms one timer at its deadline.
// No `await init()`: the module compiles itself on the first `activate()`; `init()` preloads.
// An `http(s)://` brokerURL loads the SockJS module (`./sockjs.js`) by `import()` on first use.

const enc = new TextEncoder();
const dec = new TextDecoder();

let core;
let loading;
// A view of the core's memory, renewed when the memory has grown: that detaches the old buffer,
// whose views then have length 0 (cheaper to test than reading `memory.buffer` per message).
// D: a DataView of the same buffer, for the f64 deadline of each batch.
let M;
let D;
const mem = () =>
  M?.length ? M : ((D = new DataView(core.memory.buffer)), (M = new Uint8Array(D.buffer)));
// A u32 of the core's memory (after mem()), little-endian as wasm32.
const u32 = (i) => D.getUint32(i, true);

/** Instantiates the core from bytes or a compiled module, at once (node, tests). */
export function initSync(bytes) {
  core = new WebAssembly.Instance(bytes instanceof WebAssembly.Module ? bytes : new WebAssembly.Module(bytes), {}).exports;
  loading = Promise.resolve(core);
  return core;
}

/** Compiles and instantiates the core once; `source` is a URL, bytes or a Response. */
export function init(source = new URL('stomp_wasm_core.wasm', import.meta.url)) {
  return (loading ??= (async () => {
    let bytes = await source;
    if (typeof bytes === 'string' || bytes instanceof URL) {
      bytes = await (/^file:/.test(bytes)
        ? (await import('node:fs/promises')).readFile(new URL(bytes))
        : fetch(bytes));
    }
    if (bytes.arrayBuffer) bytes = await bytes.arrayBuffer();
    // Compiled off the main thread (browsers refuse a synchronous compile of more than 4 KB there).
    const made = await WebAssembly.instantiate(bytes, {});
    return (core = (made.instance ?? made).exports);
  })());
}

export const ActivationState = { ACTIVE: 0, DEACTIVATING: 1, INACTIVE: 2 };
export const ReconnectionTimeMode = { LINEAR: 0, EXPONENTIAL: 1 };
export const StompSocketState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 };
export const TickerStrategy = { Interval: 'interval', Worker: 'worker' };

/** The STOMP versions to offer, newest first by default. */
export class Versions {
  static V1_0 = '1.0';
  static V1_1 = '1.1';
  static V1_2 = '1.2';
  static default = new Versions(['1.2', '1.1', '1.0']);
  constructor(versions) {
    this.versions = versions;
  }
  supportedVersions() {
    return this.versions.join(',');
  }
  protocolVersions() {
    return this.versions.map((v) => `v${v.replace('.', '')}.stomp`);
  }
}

const ERRORS = [
  '',
  'There is no underlying STOMP connection',
  '', // 2, still deactivating: activate() waits for INACTIVE instead
  'offline queue is full',
  'outgoing buffer is full',
  'NACK is not part of STOMP 1.0',
  'too many receipts watched',
];

// A decode error's message by the letter the core writes for it (src/codec/message.rs,
// write_parts): `"` is the line it names, quoted; `#` its number or character.
const DECODE_ERRORS = [
  'unknown command "',
  'header line without a colon: "',
  'frame has more than # headers',
  'header line longer than # bytes',
  'frame larger than # bytes',
  'body larger than # bytes',
  'invalid content-length "',
  'frame body of content-length # is not followed by a NUL byte',
  'header is not valid UTF-8',
  'NUL byte in a command or header line',
  'undefined escape sequence `\\#` in header',
  'header ends with a lone backslash',
];

// The session's debug lines by their number, after the texts' which 0-2 (src/client/debug_line.rs,
// in its order; a Rust test compares the words): `#` is an argument, which the core writes
// each followed by a NUL.
const DEBUG_LINES = [
  '>>> #',
  '<<< #',
  'already ACTIVE, ignoring activate',
  'maxReconnectDelay #ms is below reconnectDelay #ms: reconnectDelay caps the backoff',
  'deactivated during beforeConnect, not connecting',
  'transport open, protocol #',
  'connection not established in time, closing',
  'no RECEIPT for DISCONNECT in time, closing',
  'opening transport',
  'connected: version #, heart-beats out # in #',
  'reconnectDelay is 0: not reconnecting',
  'scheduling reconnection in #ms',
];

/**
 * Writes a request record into the core's input buffer; its length. Each field is bytes, headers
 * (an object: a u32 count, then each name and value as a string) or a string (a u32 length and
 * UTF-8; undefined and null are empty, which reads as no headers where headers go). u32s are
 * little-endian, as wasm32 and every platform a browser runs on.
 */
function put(...fields) {
  // The u32s as numbers, the rest as bytes.
  const parts = [];
  const bytes = (b) => parts.push(b.length, b);
  const str = (s) => bytes(enc.encode(s ?? ''));
  for (const f of fields) {
    if (f instanceof Uint8Array) bytes(f);
    else if (f && typeof f === 'object') {
      const entries = Object.entries(f);
      parts.push(entries.length);
      for (const pair of entries) pair.forEach(str);
    } else str(f);
  }
  let n = 0;
  for (const x of parts) n += x.length ?? 4;
  // buf() may grow memory: take the view after it.
  let at = core.buf(n);
  const m = mem();
  for (const x of parts) {
    if (x.length == null) D.setUint32(at, x, true);
    else m.set(x, at);
    at += x.length ?? 4;
  }
  return n;
}

/**
 * A received frame as stompjs gives it; `ack()`/`nack()` for messages. `command` and `headers`
 * are read from the frame's head text when first asked for (most handlers only read `body`).
 * Made from a frame record at `at` in memory (after its kind): which event, the UTF-8 flag, the
 * head's byte and UTF-16 lengths, then one string decode for the head and a UTF-8 body, a copy
 * for any other body.
 */
class Frame {
  constructor(client, m, at, end) {
    const start = at + 10;
    const text = m[at + 1];
    const all = dec.decode(m.subarray(start, text ? end : start + u32(at + 2)));
    const units = u32(at + 6);
    const head = all.slice(0, units);
    this._which = m[at];
    // The subscription (of a MESSAGE) or the id the record names.
    this._name = head.slice(0, head.indexOf('\0'));
    this._head = head;
    if (text) this._body = all.slice(units);
    else this._binary = m.slice(start + u32(at + 2), end);
    this._client = client;
    // stompjs 7 marks every received frame binary, text or not (its parser keeps the body as
    // bytes); code ported from it reads `body` or `binaryBody` either way.
    this.isBinaryBody = true;
    // Over a string-only transport (SockJS) a binary body comes as base64, announced by a header
    // (docs/SOCKJS.md): handed on as its bytes, without the header, content-length telling them.
    if (client._text && this.headers['content-transfer-encoding'] === 'base64') this._unbase64();
  }
  _unbase64() {
    try {
      const bytes = atob(this.body);
      const h = this._headers;
      delete h['content-transfer-encoding'];
      if ('content-length' in h) h['content-length'] = String(bytes.length);
      this._binary = Uint8Array.from(bytes, (c) => c.charCodeAt(0));
      this._body = undefined;
    } catch {
      // Not base64 (atob threw): handed on as it came.
    }
  }
  get command() {
    return this._head.split('\0', 2)[1];
  }
  get headers() {
    if (!this._headers) {
      const t = this._head.split('\0');
      const h = (this._headers = {});
      // Backwards: the first of a repeated header wins.
      for (let k = t.length - 3; k > 1; k -= 2) h[t[k]] = t[k + 1];
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
    this._ack(0, headers);
  }
  nack(headers) {
    this._ack(1, headers);
  }
  _ack(nack, headers) {
    const h = this.headers;
    this._client._command(3, nack, h[this._client._status & 4 /* STOMP 1.2 */ ? 'ack' : 'message-id'], headers, h.subscription);
  }
}

// The heart-beat Worker's whole program: one timeout, re-armed by each message (-1 cancels).
// Browsers throttle background tabs' timers, not workers' timers nor their messages.
const TICKER = 'let t;onmessage=e=>{clearTimeout(t);if(e.data<1/0)t=setTimeout(()=>postMessage(0),e.data)}';

const now = () => performance.now();

// The numbers that end the arguments of the core's `configure`, in their order
// (pkg-core/src/core_abi.rs).
const NUMBERS = ('connectionTimeout reconnectDelay maxReconnectDelay reconnectTimeMode ' +
  'maxReconnectAttempts heartbeatIncoming heartbeatOutgoing maxWebSocketChunkSize ' +
  'disconnectTimeout').split(' ');

// The callback of each frame event (the record's `which`) when no subscription, receipt watch or
// subscription error callback takes it.
const CALLBACKS = ('onConnect onUnhandledMessage onUnhandledMessage onUnhandledReceipt ' +
  'onUnhandledReceipt onUnhandledFrame onStompError onStompError onDisconnect').split(' ');

export class Client {
  // stompjs's options without a default (brokerURL, webSocketFactory) and the callbacks are
  // read as undefined until set: not own properties, as in stompjs. stomp-wasm's own are, so
  // that pages can tell a build that has them (`'transports' in client`, as www/app.js does):
  // declared fields, undefined own properties.
  transports;
  maxReconnectAttempts;
  transport;
  connectHeaders = {};
  disconnectHeaders = {};
  stompVersions = Versions.default;
  reconnectDelay = 5000;
  maxReconnectDelay = 15 * 60 * 1000;
  reconnectTimeMode = 0 /* LINEAR */;
  heartbeatIncoming = 10000;
  heartbeatOutgoing = 10000;
  heartbeatToleranceMultiplier = 2;
  heartbeatStrategy = 'interval';
  connectionTimeout = 0;
  disconnectTimeout = 10000;
  splitLargeFrames = false;
  maxWebSocketChunkSize = 8 * 1024;
  forceBinaryWSFrames = false;
  appendMissingNULLonIncoming = false;
  discardWebsocketOnCommFailure = false;
  logRawCommunication = false;
  resubscribe = true;
  offlineQueue = false;
  state = 2 /* INACTIVE */;
  _id = -1;
  _subs = new Map();
  _receipts = new Map();
  _waiters = [];
  _q = [];
  _pending = [];
  _opens = 0;

  constructor(conf) {
    this.configure(conf);
  }

  configure(conf) {
    Object.assign(this, conf);
  }


  get connected() {
    return !!(this._status & 1);
  }

  get active() {
    return !this.state; // ACTIVE is 0
  }

  get connectedVersion() {
    if (this.connected) return `1.${(this._status >> 1) & 3}`;
  }

  /** stomp-wasm: frames waiting in the offline queue. */
  get offlineQueueLength() {
    return this._status >>> 4;
  }

  activate() {
    this._want = true;
    if (core) return this._activate();
    // ACTIVE at once, as stompjs; the session confirms it once the module is compiled.
    this._state(0);
    init().then(
      () => this._activate(),
      (e) => this.debug?.(`stomp-wasm core: ${e}`),
    );
  }

  _activate() {
    if (!this._want) return;
    this._configure();
    if (this._input(0) === 2) this._reactivate = true;
    this._pending.splice(0).forEach((f) => f());
  }

  /**
   * Sends the whole config to the session (each activation and connection reads it), made by
   * the first call.
   */
  _configure() {
    const q = this.offlineQueue;
    const v = this.stompVersions;
    const flags = (this.splitLargeFrames ? 1 : 0) | (this.forceBinaryWSFrames ? 2 : 0) |
      (this.appendMissingNULLonIncoming ? 4 : 0) | (this.discardWebsocketOnCommFailure ? 8 : 0) |
      (this.beforeConnect ? 16 : 0) | (this.resubscribe === false ? 0 : 32) |
      (this.debug ? 64 : 0) | (q?.whileConnected === false ? 0 : 128);
    this._qid ??= globalThis.crypto?.randomUUID?.() ?? `t${Math.random() * 2 ** 53}`;
    // The core's config: a record of its strings, then its numbers as arguments
    // (pkg-core/src/core_abi.rs `configure`). Unset (undefined) is 0 to Wasm, and NaN as the
    // tolerance (an f64): a heart-beat then never counts as lost, as in stompjs.
    this._id = core.configure(this._id, put(this.connectHeaders, this.disconnectHeaders, this._qid),
      // An unknown version adds nothing (`b | undefined` is b); none at all offers every one.
      (this._v = (v?.versions ?? v ?? []).reduce((b, s) => b | { '1.0': 1, '1.1': 2, '1.2': 4 }[s], 0) || 7),
      q ? (q.maxFrames ?? 1000) : 0, q?.maxBytes ?? 1 << 20, flags,
      this.heartbeatToleranceMultiplier, ...NUMBERS.map((name) => this[name]));
  }

  deactivate(options) {
    this._want = this._reactivate = false;
    const done = new Promise((resolve) => {
      if (this.state === 2 /* INACTIVE */) resolve();
      else this._waiters.push(resolve);
    });
    if (this._id >= 0) {
      this._configure();
      this._input(options?.force ? 2 : 1);
    } else if (!this.state) {
      // Activated before the module was there: nothing to disconnect.
      this._state(2);
      this._waiters.splice(0).forEach((f) => f());
    }
    return done;
  }

  forceDisconnect() {
    this._input(10);
  }

  /** stomp-wasm: starts a waiting reconnection now (done by itself on the `online` event). */
  reconnectNow() {
    this._input(9);
  }

  publish(params) {
    // No body is an empty one: TextEncoder encodes undefined as ''.
    const { destination, headers, body, binaryBody, skipContentLengthHeader } = params;
    if (this.offlineQueue && this._id < 0) {
      // Queued before the first activate(): the session exists from now on.
      if (!core) return void this._pending.push(() => this.publish(params));
      this._configure();
    }
    const bytes = binaryBody
      ? new Uint8Array(binaryBody.buffer ?? binaryBody, binaryBody.byteOffset, binaryBody.byteLength)
      : enc.encode(body);
    this._command(0, (binaryBody ? 1 : 0) | (skipContentLengthHeader ? 2 : 0), destination, headers, '', bytes);
  }

  /**
   * stomp-wasm: `onError(frame)` is called if the server refuses this subscription (an ERROR
   * naming it); the connection is not torn down for it.
   */
  subscribe(destination, callback, headers, onError) {
    // Subscriptions made in onConnect are made again by it: the session does not restore them.
    const restore = !this._inOnConnect;
    const id = this._command(1, +restore, destination, headers);
    this._subs.set(id, [callback, onError, restore]);
    return { id, unsubscribe: (h) => this.unsubscribe(id, h) };
  }

  unsubscribe(id, headers) {
    this._subs.delete(id);
    this._command(2, 0, id, headers);
  }

  ack(messageId, subscriptionId, headers) {
    this._command(3, 0, messageId, headers, subscriptionId);
  }

  nack(messageId, subscriptionId, headers) {
    this._command(3, 1, messageId, headers, subscriptionId);
  }

  begin(transactionId) {
    const id = this._command(4, 0, transactionId);
    return { id, commit: () => this.commit(id), abort: () => this.abort(id) };
  }

  commit(transactionId) {
    this._command(5, 0, transactionId);
  }

  abort(transactionId) {
    this._command(6, 0, transactionId);
  }

  watchForReceipt(receiptId, callback) {
    this._command(7, 0, receiptId);
    this._receipts.set(receiptId, callback);
  }

  // ----- the core -----

  /**
   * Runs a user call; the id it made (subscribe, begin), which follows the call's batch. Every
   * request has the same fields: a string, headers, a string, a body (in the order that lets
   * most calls leave out the last ones).
   */
  _command(kind, arg, a, headers, b, body) {
    if (this._id < 0) throw Error(ERRORS[1]);
    const len = core.command(this._id, kind, arg, now(), put(a, headers, b, body));
    // Read before the batch's callbacks can call the core again.
    const at = core.out() + len;
    const made = dec.decode(mem().subarray(at + 4, at + 4 + u32(at)));
    const err = this._take(len);
    if (err) throw Error(ERRORS[err]);
    return made;
  }

  /**
   * Feeds an input to the session and runs what it caused; the input's error code. `data` is a
   * string, bytes, or nothing (undefined or null: empty); an undefined `arg` is 0 to Wasm.
   */
  _input(kind, arg, data) {
    if (this._id < 0) return 0;
    let n = 0;
    if (typeof data === 'string') {
      const max = data.length * 3;
      const at = core.buf(max);
      n = enc.encodeInto(data, mem().subarray(at, at + max)).written;
    } else if (data) {
      n = data.byteLength;
      // buf() first: it may grow the memory, which renews the view.
      const at = core.buf(n);
      mem().set(new Uint8Array(data), at);
    }
    // Without incoming heart-beats no deadline depends on when a message came: the time of the
    // last call does.
    const t = kind === 5 && !this._hb ? this._now : (this._now = now());
    return this._take(core.input(this._id, kind, arg, t, n));
  }

  /**
   * Reads a batch the core wrote (deadline, error, records) into the queue before anything
   * can call the core again, re-arms the timer, and runs the queue unless a run is already
   * under way further up the stack (a callback that published): events keep their order.
   * Never empty: every call is on a session (sessions are never freed), whose batch has a
   * trailer.
   */
  _take(len) {
    const at = core.out();
    const m = mem();
    // Records, then the trailer: f64 deadline, u32 error, u32 status.
    const end = at + len - 16;
    const err = u32(end + 8);
    // Bits of the session's status, as this batch leaves it: 1 connected, 6 the version, 8
    // incoming heart-beats on, the offline queue's length from 16. Before the first batch
    // undefined, whose bits read as 0.
    this._status = u32(end + 12);
    for (let i = at; i < end; ) {
      const n = u32(i);
      const r = i + 4;
      // Every record is read now, in place: the callbacks it leads to may call the core.
      this._q.push(m[r] === 17 ? new Frame(this, m, r + 1, r + n) : this._record(m, r));
      i = r + n;
    }
    this._arm(D.getFloat64(end, true));
    if (!this._driving) {
      this._driving = true;
      while (this._q.length) {
        const item = this._q.shift();
        try {
          if (item instanceof Frame) this._frame(item);
          else item?.();
        } catch (e) {
          // A user callback threw: reported as the platform reports an uncaught exception,
          // without unwinding into a socket handler (which would end a node process) and
          // without stopping the events after it.
          (globalThis.reportError ?? console.error)(e);
        }
      }
      this._driving = false;
    }
    return err;
  }

  /** One timer at the session's deadline (Infinity: none), re-armed only when it moves. */
  _arm(at) {
    if (at === this._at) return;
    this._at = at;
    const ms = Math.max(0, at - now());
    const fire = () => {
      this._at = undefined;
      this._input(8);
    };
    if (this.heartbeatStrategy === 'worker' && globalThis.Worker && !this._worker) {
      try {
        const url = URL.createObjectURL(new Blob([TICKER], { type: 'text/javascript' }));
        this._worker = new Worker(url);
        URL.revokeObjectURL(url);
        this._worker.onmessage = fire;
      } catch {
        this._worker = 0; // refused (a strict CSP): setTimeout instead
      }
    }
    clearTimeout(this._timer);
    if (this._worker) this._worker.postMessage(ms);
    else if (ms < 1 / 0) this._timer = setTimeout(fire, ms);
  }

  /** A WebSocket message as it went or came, to `debug` if logRawCommunication is set. */
  _log(way, data) {
    if (this.logRawCommunication) this.debug?.(way + (typeof data === 'string' ? data : dec.decode(data)));
  }

  /** Sets the state, telling onChangeState of a change. */
  _state(s) {
    if (s !== this.state) {
      this.state = s;
      this.onChangeState?.(s);
    }
  }

  /**
   * Reads a record other than a frame at `i` in memory (its kind first); what to run for it in
   * its turn (nothing for a record this side does not use).
   */
  _record(m, i) {
    const u8 = () => m[i++];
    const int = () => u32((i += 4) - 4);
    const bytes = (n = int()) => m.slice(i, (i += n));
    const str = () => dec.decode(bytes());
    switch (u8()) {
      case 1: // beforeConnect, awaited; it may change the config
        return async () => {
          try {
            await this.beforeConnect?.(this);
          } catch (e) {
            this.debug?.(`beforeConnect failed: ${e}`);
          }
          this._configure();
          this._input(3);
        };
      case 2: {
        // The record's URL is empty: the page's brokerURL is read as the socket opens. The
        // subprotocols are the page's (the core writes none): those of the versions last
        // configured, newest first (bit 4 is 1.2: `v12.stomp`).
        str();
        const protocols = [4, 2, 1].filter((b) => this._v & b).map((b) => `v1${b >> 1}.stomp`);
        return () => {
          // Config changed since activate() (headers edited in place) is read at every connection.
          this._configure();
          this._open(this.brokerURL, protocols);
        };
      }
      case 3: {
        // A binary frame as bytes, a text frame as a string.
        const data = u8() ? bytes() : str();
        return () => {
          this._log('>>> ', data);
          try {
            this.webSocket?.send(data);
          } catch (e) {
            // Closing already: its close event follows.
            this.debug?.(String(e));
          }
        };
      }
      case 4: {
        const discard = u8();
        return () => {
          const ws = this.webSocket;
          if (discard && ws) {
            ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
            this.webSocket = undefined;
          }
          ws?.close();
        };
      }
      case 16: {
        const s = u8();
        return () => {
          this._state(s);
          if (s === 0 /* ACTIVE */) {
            this._online ??= () => this.reconnectNow();
            globalThis.addEventListener?.('online', this._online);
          }
          if (s === 2 /* INACTIVE */) {
            globalThis.removeEventListener?.('online', this._online);
            this._worker?.terminate();
            this._worker = this.webSocket = this.transport = undefined;
            this._opens++; // a socket still on its way (SockJS loading) is closed when it comes
            this._waiters.splice(0).forEach((f) => f());
            if (this._reactivate) {
              this._reactivate = false;
              this.activate();
            }
          }
        };
      }
      case 18: {
        const code = int();
        const reason = str();
        return () => {
          this.transport = undefined;
          this.onWebSocketClose?.(this._closeEvent ?? { code, reason });
          this._closeEvent = undefined;
        };
      }
      case 19: {
        // Text: u8 which (transport error, decode error, then a line of DEBUG_LINES), text. A
        // decode error's text is the letter of its kind in DECODE_ERRORS, then the line it names
        // (quoted here), its number or its character; a debug line's its arguments. One
        // replace for both: `#` takes the next argument, `"` (decode errors only) it quoted.
        const which = u8();
        let t = str();
        if (which > 1) {
          const a = which > 2 ? t.split('\0') : [t.slice(1)];
          t = (which > 2 ? DEBUG_LINES[which - 3] : DECODE_ERRORS[t.charCodeAt(0) - 97]).replace(/["#]/g, (m) =>
            m === '"' ? JSON.stringify(a.shift()) : a.shift(),
          );
        }
        return () => this.debug?.(t);
      }
      case 20: {
        const which = u8();
        const attempts = which === 2 && int();
        return () => {
          if (which === 0) this.onHeartbeatReceived?.();
          else if (which === 1) this.onHeartbeatLost?.();
          else if (which === 2) this.onReconnectGaveUp?.(attempts);
        };
      }
    }
  }

  _frame(frame) {
    const which = frame._which;
    const name = frame._name;
    let cb;
    if (!which) {
      this._hb = this._status & 8;
      // Callbacks of subscriptions the session does not restore are dropped now (onConnect
      // makes them again), so they cannot pile up.
      this._subs.forEach((s, id) => {
        if (!s[2] || this.resubscribe === false) this._subs.delete(id);
      });
      this._inOnConnect = true;
    } else if (which === 1) cb = this._subs.get(name)?.[0];
    else if (which === 3) {
      const id = frame.headers['receipt-id'];
      cb = this._receipts.get(id);
      this._receipts.delete(id);
    } else if (which === 7) {
      // A refused subscription: its error callback, else onStompError.
      cb = this._subs.get(name)?.[1];
      this._subs.delete(name);
    }
    try {
      cb ? cb(frame) : this[CALLBACKS[which]]?.(frame);
    } finally {
      this._inOnConnect = false;
    }
  }

  _open(url, protocols) {
    const token = ++this._opens;
    this._hb = 1; // the clock on every message until CONNECTED says otherwise
    const attach = (ws) => {
      if (token !== this._opens) return ws.close?.();
      this.webSocket = ws;
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        this.transport = ws.transport ?? 'websocket';
        // A SockJS socket (ours or sockjs-client) names its transport and carries strings only:
        // the session then writes binary bodies as base64, and frames decode theirs
        // (docs/SOCKJS.md).
        this._text = ws.transport != null;
        this._input(4, +this._text, ws.protocol);
      };
      ws.onmessage = (e) => {
        this._log('<<< ', e.data);
        this._input(5, 0, e.data);
      };
      let closed;
      const close = (ws.onclose = (e) => {
        if (closed || this.webSocket !== ws) return;
        closed = 1;
        this._closeEvent = e;
        this._input(6, e.code, e.reason);
      });
      ws.onerror = (e) => {
        this.onWebSocketError?.(e);
        this._input(7, 0, 'websocket error');
        // WebKit fails a socket to a port browsers refuse (fetch's bad ports, e.g. 9) with an
        // error event alone, readyState left at CONNECTING: no close follows, and the session
        // would wait for it instead of reconnecting. That close is reported once this task ends.
        if (ws.readyState === 0) setTimeout(() => close({ code: 1006, reason: '' }));
      };
    };
    const fail = (e) => {
      if (token !== this._opens) return;
      this.debug?.(String(e));
      this.onWebSocketError?.(e);
      this._input(6, 1006, String(e));
    };
    try {
      const f = this.webSocketFactory;
      if (f) return attach(f());
      if (!url) throw Error('neither brokerURL nor webSocketFactory is set');
      if (/^https?:/i.test(url)) {
        // The SockJS fallback is a second module, loaded only by pages that use it.
        // Its decisions (transports tried, races, the winner) go to the client's `debug`. The
        // constructor's own throw (an unknown name in `transports`) must reach `fail` as well:
        // in the same `then` as `attach` it would be an unhandled rejection, and the client
        // would stay ACTIVE without a socket, reporting nothing.
        import('./sockjs.js')
          .then(({ SockJS }) => new SockJS(url, null, {
            transports: this.transports,
            debug: (line) => this.debug?.(line),
          }))
          .then(attach, fail);
      } else attach(new WebSocket(url, protocols));
    } catch (e) {
      fail(e);
    }
  }
}

/** stompjs's CompatClient: the API of stompjs before v5, over the same client. */
export class CompatClient extends Client {
  constructor(factory) {
    // stompjs compat clients do not reconnect unless asked.
    super({ reconnectDelay: 0, webSocketFactory: factory });
  }

  /** `client.heartbeat.incoming = 0` sets the client's interval, as in stompjs. */
  get heartbeat() {
    const c = this;
    return {
      get incoming() {
        return c.heartbeatIncoming;
      },
      set incoming(ms) {
        c.heartbeatIncoming = ms;
      },
      get outgoing() {
        return c.heartbeatOutgoing;
      },
      set outgoing(ms) {
        c.heartbeatOutgoing = ms;
      },
    };
  }

  set heartbeat(h) {
    this.heartbeatIncoming = h.incoming;
    this.heartbeatOutgoing = h.outgoing;
  }

  /**
   * `connect(headers, onConnect, onError?, onClose?)` or
   * `connect(login, passcode, onConnect, onError?, onClose?, host?)`.
   */
  connect(...a) {
    let headers = a[0];
    if (typeof a[1] !== 'function') {
      headers = { login: a[0], passcode: a[1] };
      if (a[5]) headers.host = a[5];
      a.shift();
    }
    this.connectHeaders = headers ?? {};
    this.onConnect = a[1];
    if (a[2]) this.onStompError = a[2];
    if (a[3]) this.onWebSocketClose = a[3];
    this.activate();
  }

  disconnect(callback, headers) {
    if (callback) this.onDisconnect = callback;
    if (headers) this.disconnectHeaders = headers;
    return this.deactivate();
  }

  /** `headers['content-length'] === false` leaves the header out. */
  send(destination, headers = {}, body) {
    const { 'content-length': length, ...rest } = headers;
    this.publish({ destination, headers: rest, body, skipContentLengthHeader: length === false });
  }
}

/** stompjs's `Stomp`: `Stomp.client(url)`, `Stomp.over(socket or factory)`. */
export const Stomp = {
  client(url) {
    const c = new CompatClient();
    c.brokerURL = url;
    return c;
  },
  over(ws) {
    if (typeof ws === 'function') return new CompatClient(ws);
    // One socket given (not a factory): it cannot be made again, so no reconnection.
    console.warn('stomp-wasm: Stomp.over(socket) cannot reconnect; pass a factory: () => new WebSocket(url)');
    return new CompatClient(() => ws);
  },
};

/** `import init from 'stomp-wasm'` as with the wasm-bindgen package: a preload, never required. */
export default init;
