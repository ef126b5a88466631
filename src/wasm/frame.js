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
