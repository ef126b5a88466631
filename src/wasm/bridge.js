// The JavaScript beside the wasm-bindgen client (`src/wasm/`), in one module.
//
// One file rather than one per part because every browser test binary links this crate, and each
// snippet module is one more request the page makes in parallel while it loads. The test
// runner's HTTP server (tiny_http 0.12, inside wasm-bindgen-test-runner) can leave a request
// unanswered when more connections open at once than it has idle threads: its pool queues the
// connection instead of starting a thread, and Chromium keeps the others open, so the page never
// finishes loading (it stays at "Loading scripts..." until the runner's 300 s page-load
// timeout). Five modules fetched together did that now and then; one module for this crate keeps
// every test page at two or fewer.
//
// Sections: frames handed to user callbacks (`frames.rs`), the config properties (`client.rs`),
// incoming socket messages (`transport.rs`), the heart-beat Worker (`timer.rs`).

// ---- Frames ----
// Frame objects handed to user callbacks (the stompjs IFrame / IMessage shapes).
//
// Built here rather than property by property from Rust: Wasm passes one view of its memory
// holding the headers (UTF-8, `name\0value\0...`) followed by the body, so a frame costs one
// call across the boundary. When the body is UTF-8 (Wasm checks), the whole view is decoded into
// one string at once: that is the decode reading `body` needs anyway, and it allocates no
// ArrayBuffer, which costs several times more than the decode. Other bodies are copied out as
// bytes. `headers`, `body` and `binaryBody` are made on first use and cached (stompjs decodes
// `body` lazily too); received frames are `isBinaryBody: true`, as in stompjs.

const COMMANDS = ['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN',
  'COMMIT', 'ABORT', 'DISCONNECT', 'CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'];
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

function parseHeaders(raw) {
  const headers = {};
  if (raw.length === 0) return headers;
  const parts = raw.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    // Repeated header: the first one wins, as the STOMP specification says.
    if (!Object.prototype.hasOwnProperty.call(headers, parts[i])) headers[parts[i]] = parts[i + 1];
  }
  return headers;
}

export class StompFrame {
  // Either `text`, headers and body decoded, with the body from UTF-16 index `split`; or
  // `wire`, this frame's own copy of the bytes, with the body from byte `split`.
  constructor(command, text, wire, split) {
    this.command = command;
    this.isBinaryBody = true;
    this._text = text;
    this._wire = wire;
    this._split = split;
    this._headers = undefined;
    this._body = undefined;
    this._binaryBody = undefined;
  }

  get headers() {
    if (this._headers === undefined) {
      this._headers = parseHeaders(this._text !== undefined
        ? this._text.substring(0, this._split)
        : utf8.decode(this._wire.subarray(0, this._split)));
    }
    return this._headers;
  }

  set headers(value) {
    this._headers = value;
  }

  get body() {
    if (this._body === undefined) {
      this._body = this._text !== undefined
        ? this._text.substring(this._split)
        : utf8.decode(this._wire.subarray(this._split));
    }
    return this._body;
  }

  // A copy of its own, so `binaryBody.buffer` holds the body alone (code does pass it on). A
  // UTF-8 body encodes back to exactly the bytes received.
  get binaryBody() {
    if (this._binaryBody === undefined) {
      this._binaryBody = this._text !== undefined
        ? utf8Encoder.encode(this.body)
        : this._wire.slice(this._split);
    }
    return this._binaryBody;
  }

  toString() {
    const lines = [this.command];
    for (const [k, v] of Object.entries(this.headers)) lines.push(`${k}:${v}`);
    return `${lines.join('\n')}\n\n${this.body}`;
  }
}

export class StompMessage extends StompFrame {
  constructor(text, wire, split, v12, acker) {
    super('MESSAGE', text, wire, split);
    this._v12 = v12;
    this._acker = acker;
  }

  // stompjs: the id to acknowledge is the `ack` header in 1.2, `message-id` before.
  ack(headers = {}) {
    const h = this.headers;
    this._acker(this._v12 ? h.ack : h['message-id'], h.subscription, headers, false);
  }

  nack(headers = {}) {
    const h = this.headers;
    this._acker(this._v12 ? h.ack : h['message-id'], h.subscription, headers, true);
  }
}

// `wire` is a view of Wasm memory: headers, then the body from `split` (a UTF-16 index into its
// decoding when `text`, a byte offset otherwise).
export function makeFrame(command, wire, split, text) {
  return text
    ? new StompFrame(COMMANDS[command], utf8.decode(wire), undefined, split)
    : new StompFrame(COMMANDS[command], undefined, wire.slice(), split);
}

// Builds a MESSAGE and calls `callback` with it: one crossing per delivered message.
export function deliverMessage(callback, wire, split, text, v12, acker) {
  callback(text
    ? new StompMessage(utf8.decode(wire), undefined, split, v12, acker)
    : new StompMessage(undefined, wire.slice(), split, v12, acker));
}

// ---- Config properties ----
// The stompjs config keys as properties of `Client` (see `properties!` in client.rs).
//
// Defined once on the prototype, each accessor reading and writing through the two hidden
// exports `__getOption(index)` / `__setOption(index, value)`, so that wasm-bindgen does not emit
// an exported getter and setter (and their glue) per key. Like wasm-bindgen's own class
// accessors they are configurable and not enumerable.

export function defineOptionProperties(client, names) {
  const proto = Object.getPrototypeOf(client);
  // `client` was made only to reach the prototype: release its hold on the Rust state now
  // rather than whenever it is garbage-collected.
  client.free();
  names.forEach((name, index) => {
    Object.defineProperty(proto, name, {
      configurable: true,
      get() {
        return this.__getOption(index);
      },
      set(value) {
        this.__setOption(index, value);
      },
    });
  });
}

// ---- Incoming socket messages ----
// A socket's incoming messages, written straight into Wasm memory.
//
// Handing each message to Wasm as a JS value would cost several calls across the boundary per
// message (read `data`, test its type, wrap it, measure it, copy it) and, for text, an encoding
// into a fresh allocation. Here a message costs one call: text is encoded with `encodeInto` and
// bytes are copied, both into one buffer Wasm owns and grows on request (`reserve(n)` returns its
// address), then `received(length)` tells Wasm how much is there.
//
// Messages that arrive while Wasm is still handling one (a fake socket answering from inside a
// callback) wait in a queue and are handed over, in order, as soon as it returns: the buffer is
// never written while Wasm reads it.

export class Receiver {
  constructor(socket, memory, reserve, received) {
    this._socket = socket;
    this._memory = memory;
    this._reserve = reserve;
    this._received = received;
    this._target = new Uint8Array(0);
    this._busy = false;
    this._waiting = [];
    this._handler = (event) => this._message(event.data);
    socket.onmessage = this._handler;
  }

  // Unhooks from the socket; messages still waiting are dropped with it.
  detach() {
    if (this._socket.onmessage === this._handler) this._socket.onmessage = null;
    this._waiting.length = 0;
    this._received = null;
  }

  _message(data) {
    if (this._busy) {
      this._waiting.push(data);
      return;
    }
    this._busy = true;
    try {
      this._handOver(data);
      while (this._waiting.length > 0 && this._received !== null) {
        this._handOver(this._waiting.shift());
      }
    } finally {
      this._busy = false;
    }
  }

  _handOver(data) {
    if (this._received === null) return;
    let length;
    if (typeof data === 'string') {
      // At most three UTF-8 bytes per UTF-16 unit.
      length = utf8Encoder.encodeInto(data, this._room(data.length * 3)).written;
    } else {
      let bytes;
      if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
      else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      // A Blob cannot be read synchronously; the transport sets binaryType 'arraybuffer'.
      else return;
      length = bytes.length;
      this._room(length).set(bytes);
    }
    this._received(length);
  }

  // A view of at least `length` bytes of the Wasm buffer. Growing Wasm memory detaches the old
  // view (its length becomes 0), so a view is remade whenever it is too short.
  _room(length) {
    if (this._target.length < length) {
      const capacity = Math.max(length, 4096);
      const address = this._reserve(capacity);
      // Wasm refuses (0) only if asked while it reads the buffer, which the queue rules out.
      if (address === 0) throw new Error('stomp-wasm: receive buffer in use');
      this._target = new Uint8Array(this._memory.buffer, address, capacity);
    }
    return this._target;
  }
}

// ---- Heart-beat Worker ----
// The inline heart-beat Worker of timer.rs, made and driven from here: one JavaScript function
// per operation instead of a Wasm import per Blob/URL/Worker call.

// The worker's whole program: one timeout, re-armed by each message (`-1` cancels).
const SOURCE =
  'let t;onmessage=e=>{clearTimeout(t);if(e.data>=0)t=setTimeout(()=>postMessage(0),e.data)}';

// A Worker calling `fire` whenever its timeout runs out, or undefined where the platform has no
// Worker/Blob/URL (node) or refuses to start one (a strict Content-Security-Policy).
export function startWorker(fire) {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL === 'undefined') {
    return undefined;
  }
  let url;
  try {
    url = URL.createObjectURL(new Blob([SOURCE], { type: 'application/javascript' }));
    const worker = new Worker(url);
    worker.onmessage = fire;
    worker.stompUrl = url;
    return worker;
  } catch (e) {
    if (url !== undefined) URL.revokeObjectURL(url);
    return undefined;
  }
}

// Arms the worker's timeout for `ms` milliseconds; a negative `ms` disarms it.
export function armWorker(worker, ms) {
  worker.postMessage(ms);
}

export function stopWorker(worker) {
  worker.onmessage = null;
  worker.terminate();
  URL.revokeObjectURL(worker.stompUrl);
}
