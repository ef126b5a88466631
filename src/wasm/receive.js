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

const encoder = new TextEncoder();

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
      length = encoder.encodeInto(data, this._room(data.length * 3)).written;
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
