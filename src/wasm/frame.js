// Frame objects handed to user callbacks (the stompjs IFrame / IMessage shapes).
//
// Built here rather than property by property from Rust: Wasm passes one view of its memory
// holding the headers (UTF-8, `name\0value\0...`) followed by the body, copied out at once into
// one buffer, so a frame costs one call across the boundary, one copy and no string decoding.
// `headers`, `body` and `binaryBody` are made on first use and cached (stompjs decodes `body`
// lazily too); received frames are `isBinaryBody: true`, as in stompjs.

const COMMANDS = ['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN',
  'COMMIT', 'ABORT', 'DISCONNECT', 'CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'];
const utf8 = new TextDecoder();

function parseHeaders(rawBytes) {
  const headers = {};
  if (rawBytes.length === 0) return headers;
  const parts = utf8.decode(rawBytes).split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    // Repeated header: the first one wins, as the STOMP specification says.
    if (!Object.prototype.hasOwnProperty.call(headers, parts[i])) headers[parts[i]] = parts[i + 1];
  }
  return headers;
}

export class StompFrame {
  // `wire` is this frame's own copy: headers in the first `headersLength` bytes, then the body.
  constructor(command, wire, headersLength) {
    this.command = command;
    this.isBinaryBody = true;
    this._wire = wire;
    this._headersLength = headersLength;
    this._headers = undefined;
    this._body = undefined;
    this._binaryBody = undefined;
  }

  get headers() {
    if (this._headers === undefined) {
      this._headers = parseHeaders(this._wire.subarray(0, this._headersLength));
    }
    return this._headers;
  }

  set headers(value) {
    this._headers = value;
  }

  get body() {
    if (this._body === undefined) this._body = utf8.decode(this._wire.subarray(this._headersLength));
    return this._body;
  }

  // Copied out on first use, so `binaryBody.buffer` holds the body alone (code does pass it on).
  get binaryBody() {
    if (this._binaryBody === undefined) this._binaryBody = this._wire.slice(this._headersLength);
    return this._binaryBody;
  }

  toString() {
    const lines = [this.command];
    for (const [k, v] of Object.entries(this.headers)) lines.push(`${k}:${v}`);
    return `${lines.join('\n')}\n\n${this.body}`;
  }
}

export class StompMessage extends StompFrame {
  constructor(wire, headersLength, v12, acker) {
    super('MESSAGE', wire, headersLength);
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

// `wire` is a view of Wasm memory: headers in the first `headersLength` bytes, then the body.
export function makeFrame(command, wire, headersLength) {
  return new StompFrame(COMMANDS[command], wire.slice(), headersLength);
}

// Builds a MESSAGE and calls `callback` with it: one crossing per delivered message.
export function deliverMessage(callback, wire, headersLength, v12, acker) {
  callback(new StompMessage(wire.slice(), headersLength, v12, acker));
}
