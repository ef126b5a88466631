// SockJS for the size-first client (issue 14, step 8): a socket shaped like a WebSocket (and
// like sockjs-client's SockJS) over the SockJS connection of pkg-sockjs/. The client loads this
// module with import('./sockjs.js') only when its broker URL is http(s)://, so a ws:// page
// downloads none of it.
//
// Every decision is the Rust connection's (/info, the transport order and the WebSocket race,
// open timeouts, what a frame means, batching xhr_send, re-opening streams, what the plan learns
// across connections). Like sockjs-client it carries strings only: the STOMP client writes
// binary bodies as base64 over it (docs/SOCKJS.md). This file performs its actions — fetch,
// WebSocket, EventSource, one timer — and reports what they did by channel; it also reads and
// writes SockJS's wire format (lines, frames, JSON), which JSON.parse and JSON.stringify do for
// free where the module would carry a JSON decoder and encoder.
// Every HTTP request is a fetch: its body streams as it arrives (XMLHttpRequest's progress events
// come at most every 50 ms, which would delay every frame on xhr-streaming), and node has it too.
// No init() is needed: the module is compiled on the first construction; init() preloads.

const enc = new TextEncoder();
const dec = new TextDecoder();
// Bytes sent must be UTF-8 as they are (a BOM too): SockJS carries strings.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NAMES = ['websocket', 'xhr-streaming', 'eventsource', 'xhr-polling'];
// The module's debug lines have each transport's name and each word as a byte, 16 + its index
// here (WORDS in src/sockjs/client/connection.rs: a Rust test compares the two).
const WORDS = [...NAMES, 'SockJS: rtt ', ' ms, trying', 'SockJS: open over ', 'SockJS: trying ', 'SockJS: ', ' lost the race', ' failed: ', 'timed out', 'broken framing', 'messages before open', 'closed ', ''];
// The module's own close reasons, a byte each after a Closed record's code (0: the reason is the
// text after it; REASONS in src/sockjs/client/connection.rs: a Rust test compares the two).
const REASONS = ['', 'Cannot connect to server (SockJS /info failed)', 'Cannot connect to server (SockJS /info timed out)', 'SockJS /info failed with status ', 'All transports failed', 'SockJS session lost (server sent a new open frame)', 'SockJS frame too large', 'Connection interrupted', 'SockJS xhr_send failed', 'SockJS send queue full'];
const ALIASES = { xhr_streaming: 'xhr-streaming', xhr_polling: 'xhr-polling', xhr: 'xhr-polling' };
const noop = () => {};

// The module's exports, its memory among them: the core's, which it imports (and whose heap it
// allocates from), so every view is taken from its buffer when needed: either module may grow it.
let wasm;
let loading;
/** Plan handles by endpoint: the transport that last worked and WebSocket's failures outlive a socket. */
const plans = new Map();

/**
 * Compiles and instantiates the module once; `source` is a URL, bytes or a Response. The module
 * imports the STOMP client's core (its memory and heap: pkg-sockjs/build.rs), which is the
 * client's own when the client loaded this file, and is loaded here when a page uses SockJS alone.
 */
export function init(source = new URL('stomp_wasm_sockjs.wasm', import.meta.url)) {
  loading ??= (async () => {
    // The client's file as it is named here; the package names it stomp_wasm.js (minify_js).
    const core = await (await import('./client.js')).init();
    let bytes = source;
    if (source instanceof URL) {
      bytes =
        source.protocol === 'file:'
          ? await (await import('node:fs/promises')).readFile(source)
          : await fetch(source);
    }
    if (bytes instanceof Response) bytes = await bytes.arrayBuffer();
    wasm = (await WebAssembly.instantiate(bytes, { core })).instance.exports;
    return wasm;
  })();
  return loading;
}

/** Copies a string into the module's request buffer as UTF-8; its length in bytes. */
function put(text) {
  const n = text.length * 3;
  // buf() may grow memory, which detaches older views: take the buffer after it.
  const at = wasm.buf(n);
  return enc.encodeInto(text, new Uint8Array(wasm.memory.buffer, at, n)).written;
}

export class SockJS {
  constructor(url, _reserved, options = {}) {
    if (!/^https?:\/\//i.test(url)) throw new DOMException(`The URL's scheme must be http or https: ${url}`, 'SyntaxError');
    // One name or a list of them (anything else fails below as a bad name).
    const transports = [].concat(options.transports ?? []);
    this.url = url;
    this.protocol = '';
    this.extensions = '';
    this.transport = undefined;
    this.binaryType = 'arraybuffer';
    this.readyState = 0;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    this._base = url.replace(/\/+$/, '');
    // By number for the module (sockjs-client's names, or the URL suffixes); checked here, so
    // that a bad name throws from the constructor as sockjs-client's does.
    // As a string of those numbers' code points, which UTF-8 keeps as bytes.
    this._plan = Array.from(transports, (t) => {
      const i = NAMES.indexOf(ALIASES[t] ?? t);
      if (i < 0) throw new TypeError(`transports: expected a list of '${NAMES.join("', '")}'`);
      return String.fromCharCode(i);
    }).join('');
    this._debug = options.debug;
    this._id = -1;
    this._io = new Map();
    this._q = [];
    // `_driving`, `_at` (the armed timer's deadline) and `_timer` start out undefined.
    if (wasm) this._start();
    else init().then(() => this._start(), (e) => this._gone(1006, String(e), e));
  }

  _start() {
    if (this.readyState === 3) return;
    // Plan numbers are given out in order, one per endpoint: a new endpoint's is the next.
    if (!plans.has(this._base)) plans.set(this._base, plans.size);
    this._id = wasm.connection(plans.get(this._base), Math.random() * 2 ** 53, put(this._plan));
    this._input(0);
    if (this.readyState === 2) this._input(10, 0, this._code, this._reason);
  }

  send(data) {
    if (this.readyState === 0) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    if (this.readyState !== 1) return;
    if (typeof data !== 'string') {
      try {
        data = strict.decode(data);
      } catch {
        throw new Error('SockJS carries text only: the message is not UTF-8');
      }
    }
    // Quoted as SockJS quotes: JSON, and the code points proxies are known to mangle escaped.
    const quoted = JSON.stringify(data).replace(
      /[\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16),
    );
    // Refused while the module has the connection closed and its Closed event waits to run.
    if (this._input(9, 0, 0, quoted)) throw new Error('the SockJS connection is not open');
  }

  close(code = 1000, reason = '') {
    if (code !== 1000 && (code < 3000 || code > 4999)) throw new DOMException(`Invalid close code ${code}`, 'InvalidAccessError');
    if (enc.encode(reason).length > 123) throw new DOMException('The close reason is too long', 'SyntaxError');
    if (this.readyState > 1) return;
    this.readyState = 2;
    this._code = code;
    this._reason = reason;
    if (this._id >= 0) this._input(10, 0, code, reason);
  }

  /**
   * Feeds an input to the connection and runs what it caused; the batch's error (a send refused).
   * A boolean `arg` reaches the module as 1 or 0.
   */
  _input(kind, channel = 0, arg = 0, data) {
    if (this._id < 0) return;
    const n = data == null ? 0 : put(data);
    return this._take(wasm.input(this._id, kind, channel, arg, performance.now(), n));
  }

  /**
   * Copies a batch's records into the queue before anything can call the module again, re-arms
   * the timer, and runs the queue unless a run is already under way further up the stack (a
   * handler that sent or closed): events keep their order.
   */
  _take(at) {
    if (!at) return;
    const mem = new Uint8Array(wasm.memory.buffer, at);
    const head = new DataView(mem.buffer, at);
    for (let i = 12, n; (n = head.getUint32(i, true)); i += 4 + n) {
      const r = mem.slice(i + 4, i + 4 + n);
      // An empty Message record: the messages of the frame just read are delivered.
      for (const m of r[0] === 17 ? this._msgs : [r]) this._q.push(m);
    }
    // Read before the queue runs: a handler that calls the module may grow (detach) its memory.
    const err = head.getUint32(8, true);
    if (this._id >= 0) this._arm(head.getFloat64(0, true));
    if (!this._driving) {
      this._driving = true;
      try {
        while (this._q.length) this._run(this._q.shift());
      } finally {
        this._driving = false;
      }
    }
    return err;
  }

  /** One timer at the connection's deadline (Infinity: none), re-armed only when it moves. */
  _arm(at) {
    if (at === this._at) return;
    this._at = at;
    clearTimeout(this._timer);
    // A deadline already past: setTimeout takes a negative delay as 0.
    if (at < Infinity) {
      this._timer = setTimeout(() => {
        this._at = undefined;
        this._input(8);
      }, at - performance.now());
    }
  }

  /**
   * Performs one action or reports one event (a record: kind, then fields; a string that ends
   * the record runs to its end, another has its length first), or delivers a message (a string).
   */
  _run(r) {
    if (typeof r === 'string') return this.onmessage?.({ type: 'message', data: r, target: this });
    const str = (i, end) => dec.decode(r.subarray(i, end));
    // The channel (or another u32) after the kind, in the records that have one.
    const ch = r.length > 4 ? new DataView(r.buffer).getUint32(1, true) : 0;
    // The URLs: the base and a session the record names (`{server}/{session}`, 12 bytes).
    const url = (at, path) => `${this._base}/${str(at, at + 12)}/${path}`;
    switch (r[0]) {
      case 1: // FetchInfo: t
        return this._fetch('info', `${this._base}/info?t=${ch}`, {}, (status, text) => {
          let i;
          try {
            i = JSON.parse(text);
          } catch {}
          // What the module decides with: a JSON object, `websocket`, `cookie_needed`.
          const object = i && typeof i === 'object' && !Array.isArray(i);
          this._input(1, object && 1 | (i.websocket === true) * 2 | (i.cookie_needed === true) * 4, status);
        });
      case 2: // OpenWebSocket: channel, session
        return this._socket(ch, url(5, 'websocket').replace(/^http/i, 'ws'));
      case 3: {
        // OpenReceiver: channel, transport, credentials, session
        // Credentials as /info's cookie_needed says; undefined is fetch's default, same-origin.
        const credentials = r[6] ? 'include' : undefined;
        if (r[5] === 2) return this._events(ch, url(7, 'eventsource'), !!credentials);
        // One frame a line; what is left of a line waits for the rest (16 MiB at most).
        let rest = '';
        return this._fetch(
          ch,
          url(7, r[5] === 1 ? 'xhr_streaming' : 'xhr'),
          { method: 'POST', credentials },
          // Ended normally: at the server's byte limit or after a poll, with no line cut short.
          (status) => this._input(6, ch, status === 200 && !rest),
          (text) => {
            const lines = (rest + text).split('\n');
            rest = lines.pop();
            for (const line of lines) if (line.trimEnd()) this._frame(ch, line.trimEnd());
            if (rest.length > 1 << 24) this._input(4, ch);
          },
        );
      }
      case 4: // Shut: channel
        this._io.get(ch)?.();
        this._io.delete(ch);
        return;
      case 5: {
        // SendWebSocket: channel, text
        try {
          // The socket is on its channel's shut function (none once shut: the send fails).
          this._io.get(ch).ws.send(str(5));
        } catch {
          setTimeout(() => this._input(3, ch, 1006, 'send failed'));
        }
        return;
      }
      case 6: {
        // PostSend: credentials, session, body
        const init = {
          method: 'POST',
          credentials: r[1] ? 'include' : undefined,
          headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
          body: str(14),
        };
        return this._fetch('send', url(2, 'xhr_send'), init, (status) =>
          this._input(7, 0, status >= 200 && status < 300),
        );
      }
      case 16: // Open: transport
        this.readyState = 1;
        this.transport = NAMES[r[1]];
        return this.onopen?.({ type: 'open', target: this });
      case 18: // Closed: code, reason word, reason (every channel is shut here: the module names none)
        return this._gone(ch, REASONS[r[5]] + str(6));
      case 19: // Debug: text (the fallback's decisions, for the client's `debug`)
        return this._debug?.(str(1).replace(/[\x10-\x1f]/g, (c) => WORDS[c.charCodeAt(0) - 16]));
    }
  }

  /**
   * One SockJS frame from `ch`, read here (its JSON by JSON.parse), what it means decided by the
   * module: `o`, `h`, `a` (its messages kept for the module's Message record), `c` with its code
   * and reason; anything else is broken ('x'), with the reason to close with.
   */
  _frame(ch, t) {
    let type = t[0] ?? '';
    let code = 0;
    let data = null;
    let m = [];
    try {
      if (type === 'a' || type === 'c') {
        m = JSON.parse(t.slice(1));
        if (
          type === 'c'
            ? !(([code, data] = m), m.length === 2 && typeof data === 'string' && code === (code & 65535))
            : !(Array.isArray(m) && m.every((s) => typeof s === 'string'))
        )
          throw Error('unexpected JSON value');
      } else if (type !== 'o' && type !== 'h') throw t ? `unknown SockJS frame type '${type}'` : 'empty SockJS frame';
    } catch (e) {
      data = `Broken SockJS framing: ${e.message ? 'bad SockJS frame payload: ' + e.message : e}`;
      type = 'x';
      code = 0;
    }
    this._msgs = m;
    this._input(2, ch, code * 256 + type.charCodeAt(0), data);
  }

  /** The connection is over: every I/O object and the timer go, then onclose, once. */
  _gone(code, reason, error) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this._io.forEach((shut) => shut());
    this._io.clear();
    clearTimeout(this._timer);
    this._input(11);
    this._id = -1;
    if (error) this.onerror?.({ type: 'error', error, target: this });
    this.onclose?.({ type: 'close', code, reason, wasClean: code === 1000, target: this });
  }

  /**
   * A fetch whose body is read as it arrives: `onText` gets each piece (none: keep it for
   * `onEnd`), `onEnd(status, text)` the status (0: network error) and what was kept. Shutting
   * it aborts the request; nothing is reported after that.
   */
  _fetch(key, url, init, onEnd, onText) {
    const abort = new AbortController();
    const { signal } = abort;
    this._io.get(key)?.();
    this._io.set(key, () => abort.abort());
    (async () => {
      let status = 0;
      let kept = '';
      const stream = new TextDecoder();
      try {
        const res = await fetch(url, { ...init, cache: 'no-store', signal });
        status = res.status;
        // A 204 (xhr_send) has no body at all.
        const reader = res.body?.getReader();
        for (; reader; ) {
          const { done, value } = await reader.read();
          if (signal.aborted) return;
          const text = stream.decode(value, { stream: !done });
          if (onText && text) onText(text);
          else kept += text;
          if (done) break;
        }
      } catch {
        status = 0;
      }
      if (!signal.aborted) onEnd(status, kept);
    })();
  }

  /** A WebSocket carrying SockJS frames, one per text message. */
  _socket(ch, url) {
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      // A failure to create an I/O object is reported from a fresh task, as the browser would.
      return setTimeout(() => this._input(3, ch, 1006));
    }
    let closed = false;
    const onclose = (e) => {
      if (!closed) {
        closed = true;
        // A close event has both; the error-only failure below passes 1006 and no reason (none).
        this._input(3, ch, e.code, e.reason);
      }
    };
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') this._frame(ch, e.data);
    };
    ws.onclose = onclose;
    // WebKit fails a socket to a port browsers refuse with an error event alone, its readyState
    // left at CONNECTING: no close event follows. Such a close is reported after the task.
    ws.onerror = () => {
      if (ws.readyState === 0) setTimeout(() => onclose({ code: 1006 }));
    };
    const shut = () => {
      closed = true;
      // Handlers that do nothing, not none: node's `ws` throws an error event nobody listens to.
      ws.onmessage = ws.onclose = ws.onerror = noop;
      ws.close();
    };
    shut.ws = ws;
    this._io.set(ch, shut);
  }

  /** An EventSource, closed at its first error: re-opening is the connection's decision. */
  _events(ch, url, withCredentials) {
    let es;
    try {
      es = new EventSource(url, { withCredentials });
    } catch {
      // From a fresh task, as in _socket.
      return setTimeout(() => this._input(6, ch));
    }
    let delivered = false;
    es.onmessage = (e) => {
      delivered = true;
      // The server escapes `%`, CR, LF and NUL as %XX; any %XX of an ASCII byte is undone.
      this._frame(ch, e.data.replace(/%[0-7][\da-f]/gi, (x) => String.fromCharCode('0x' + x.slice(1))));
    };
    es.onerror = () => {
      es.close();
      this._input(6, ch, delivered);
    };
    this._io.set(ch, () => {
      es.onmessage = es.onerror = null;
      es.close();
    });
  }
}

['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((name, i) => (SockJS[name] = SockJS.prototype[name] = i));

export default SockJS;
