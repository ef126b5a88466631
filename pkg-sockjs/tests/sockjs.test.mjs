// The size-first SockJS socket (pkg-core/js/sockjs.js over pkg-sockjs's no_std module) against
// a real stomp-server's SockJS endpoint, in node: every transport forced in turn, STOMP frames
// both ways (a binary body through the base64 convention), close semantics, the fallback when the
// server has no WebSocket, the server going away. Started without init(): the first
// construction compiles the module.
//
//   cargo build -p stomp-server
//   cargo build -p stomp-wasm-sockjs --release --target wasm32-unknown-unknown
//   node --test pkg-sockjs/tests/sockjs.test.mjs
//
// node 20 has fetch (with streaming bodies), which is all the HTTP transports use, but no
// WebSocket or EventSource: the real implementations sockjs-client uses in node stand in for the
// browser's (`ws`, `eventsource`, from tools/node_modules). STOMP_SERVER_BIN overrides the
// server binary, STOMP_SOCKJS_WASM the module.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startServer, withTimeout } from '../../tests/support/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
globalThis.WebSocket ??= require('ws');
globalThis.EventSource ??= require('eventsource');

const TRANSPORTS = ['websocket', 'xhr-streaming', 'eventsource', 'xhr-polling'];

let SockJS;
let server;
let noWs;
let base;
let noWsBase;

before(async () => {
  const wasm =
    process.env.STOMP_SOCKJS_WASM ??
    path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'stomp_wasm_sockjs.wasm');
  // Laid out as the package will be: sockjs.js with its .wasm next to it.
  const pkg = mkdtempSync(path.join(tmpdir(), 'stomp-sockjs-pkg-'));
  copyFileSync(path.join(root, 'pkg-core', 'js', 'sockjs.js'), path.join(pkg, 'sockjs.js'));
  copyFileSync(wasm, path.join(pkg, 'stomp_wasm_sockjs.wasm'));
  ({ SockJS } = await import(pathToFileURL(path.join(pkg, 'sockjs.js'))));
  let http;
  ({ server, http } = await startServer());
  base = `http://${http}/stomp`;
  // A second server without SockJS WebSocket and with a small streaming limit, so that a
  // stream is re-opened while messages flow.
  const config = path.join(pkg, 'no-ws.toml');
  writeFileSync(config, '[sockjs]\nwebsocket = false\nresponse_limit = 4096\n');
  ({ server: noWs, http } = await startServer(['--config', config]));
  noWsBase = `http://${http}/stomp`;
});

after(() => {
  server?.kill('SIGTERM');
  noWs?.kill('SIGTERM');
});

/**
 * Watches a socket: `next()` resolves with its next message (string or bytes), `closed` with
 * its close event; every close event is counted.
 */
function watch(sock) {
  const messages = [];
  const waiting = [];
  const w = { closes: [], errors: [] };
  sock.onmessage = (e) => {
    const data = typeof e.data === 'string' ? e.data : new Uint8Array(e.data);
    const f = waiting.shift();
    f ? f(data) : messages.push(data);
  };
  w.opened = new Promise((resolve) => (sock.onopen = resolve));
  w.closed = new Promise((resolve) => {
    sock.onclose = (e) => {
      w.closes.push(e);
      resolve(e);
    };
  });
  sock.onerror = (e) => w.errors.push(e);
  w.next = (what) =>
    withTimeout(
      messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiting.push(r)),
      what,
    );
  return w;
}

/** The next message that is not a heart-beat EOL, as text (bytes decoded latin1-free: UTF-8). */
async function nextFrame(w, what) {
  for (;;) {
    const m = await w.next(what);
    if (typeof m !== 'string' || m.replace(/[\r\n]/g, '') !== '') return m;
  }
}

const text = (m) => (typeof m === 'string' ? m : new TextDecoder().decode(m));

async function connect(sock, w) {
  await withTimeout(w.opened, 'open');
  sock.send('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0');
  const connected = text(await nextFrame(w, 'CONNECTED'));
  assert.match(connected, /^CONNECTED\n/);
  assert.match(connected, /version:1\.2/);
}

for (const name of TRANSPORTS) {
  test(`${name}: opens, CONNECT/CONNECTED, text and binary SEND/MESSAGE, close`, async () => {
    const sock = new SockJS(base, null, { transports: [name] });
    assert.equal(sock.readyState, SockJS.CONNECTING);
    assert.equal(sock.url, base);
    assert.throws(() => sock.send('x'), { name: 'InvalidStateError' });
    const w = watch(sock);
    await connect(sock, w);
    assert.equal(sock.readyState, SockJS.OPEN);
    assert.equal(sock.transport, name);
    assert.equal(sock.protocol, '');

    const topic = `/topic/sockjs-${name}`;
    sock.send(`SUBSCRIBE\nid:0\ndestination:${topic}\nreceipt:r1\n\n\0`);
    assert.match(text(await nextFrame(w, 'RECEIPT')), /^RECEIPT\nreceipt-id:r1\n/);

    sock.send(`SEND\ndestination:${topic}\ncontent-type:text/plain\n\nhello ${name} ✓\0`);
    const msg = await nextFrame(w, 'text MESSAGE');
    assert.equal(typeof msg, 'string', 'a UTF-8 frame arrives as a string');
    assert.match(msg, /^MESSAGE\n/);
    assert.ok(msg.endsWith(`\n\nhello ${name} ✓\0`), msg);

    // A body that is not UTF-8, sent as bytes: base64 on the wire, the bytes again here.
    const body = Uint8Array.from([0, 0xff, 0xfe, 0x80, 10, 0xc3, 0x28, 0]);
    const head = new TextEncoder().encode(
      `SEND\ndestination:${topic}\ncontent-type:application/octet-stream\ncontent-length:${body.length}\n\n`,
    );
    const frame = new Uint8Array(head.length + body.length + 1);
    frame.set(head);
    frame.set(body, head.length);
    sock.send(frame.buffer);
    const bin = await nextFrame(w, 'binary MESSAGE');
    assert.ok(bin instanceof Uint8Array, 'a non-UTF-8 frame arrives as an ArrayBuffer');
    const sep = bin.findIndex((b, i) => b === 10 && bin[i + 1] === 10);
    const headers = new TextDecoder().decode(bin.subarray(0, sep));
    assert.match(headers, /^MESSAGE\n/);
    assert.doesNotMatch(headers, /content-transfer-encoding/, 'the convention is undone');
    assert.match(headers, new RegExp(`content-length:${body.length}`));
    assert.deepEqual([...bin.subarray(sep + 2, sep + 2 + body.length)], [...body]);
    assert.equal(bin[sep + 2 + body.length], 0);

    sock.close();
    assert.equal(sock.readyState, SockJS.CLOSED, 'a close of an open socket is reported at once');
    const e = await withTimeout(w.closed, 'close');
    assert.equal(e.code, 1000);
    assert.equal(e.wasClean, true);
    sock.send('ignored after close');
    sock.close();
    assert.equal(w.closes.length, 1, 'onclose once');
  });
}

test('without WebSocket on the server the default order falls back to xhr-streaming, re-opening streams', async () => {
  const sock = new SockJS(noWsBase);
  const w = watch(sock);
  await connect(sock, w);
  assert.equal(sock.transport, 'xhr-streaming');
  sock.send('SUBSCRIBE\nid:0\ndestination:/topic/long\n\n\0');
  // More than the 4 KB response limit, so the stream is re-opened on the way.
  const filler = 'x'.repeat(500);
  for (let i = 0; i < 20; i++) sock.send(`SEND\ndestination:/topic/long\n\n${i} ${filler}\0`);
  for (let i = 0; i < 20; i++) {
    const m = text(await nextFrame(w, `message ${i}`));
    assert.ok(m.endsWith(`\n\n${i} ${filler}\0`), `message ${i} in order`);
  }
  // Bytes that are neither UTF-8 nor whole STOMP frames cannot travel as SockJS strings: the
  // send throws, and the socket goes on.
  assert.throws(() => sock.send(Uint8Array.of(0x53, 0xff)), /could not be prepared for SockJS/);
  sock.send('SEND\ndestination:/topic/long\n\nstill open\0');
  assert.ok(text(await nextFrame(w, 'after the refused send')).endsWith('\n\nstill open\0'));
  sock.close(3000, 'bye');
  const e = await withTimeout(w.closed, 'close');
  assert.equal(e.code, 3000);
  assert.equal(e.reason, 'bye');
});

test('close while connecting reports one close and leaves nothing running', async () => {
  const sock = new SockJS(base);
  const w = watch(sock);
  sock.close();
  const e = await withTimeout(w.closed, 'close');
  assert.equal(e.code, 1000);
  assert.equal(sock.readyState, SockJS.CLOSED);
  assert.equal(sock._io.size, 0, 'every request and socket is gone');
  assert.equal(w.closes.length, 1);
});

test('bad arguments throw like sockjs-client', () => {
  assert.throws(() => new SockJS('ws://127.0.0.1:1/stomp'), { name: 'SyntaxError' });
  assert.throws(() => new SockJS(base, null, { transports: ['carrier-pigeon'] }), TypeError);
  const sock = new SockJS(base);
  assert.throws(() => sock.close(1001), { name: 'InvalidAccessError' });
  sock.close();
});

for (const name of ['websocket', 'xhr-streaming', 'eventsource', 'xhr-polling']) {
  test(`${name}: the server going away closes the socket once, not cleanly`, async () => {
    const { server: doomed, http } = await startServer();
    try {
      const sock = new SockJS(`http://${http}/stomp`, null, { transports: name });
      const w = watch(sock);
      await connect(sock, w);
      doomed.kill('SIGKILL');
      const e = await withTimeout(w.closed, 'close after the server died');
      assert.notEqual(e.code, 1000, `code ${e.code} ${e.reason}`);
      assert.equal(e.wasClean, false);
      assert.equal(sock.readyState, SockJS.CLOSED);
      assert.equal(w.closes.length, 1);
      assert.equal(sock._io.size, 0, 'every request and socket is gone');
    } finally {
      doomed.kill('SIGKILL');
    }
  });
}
