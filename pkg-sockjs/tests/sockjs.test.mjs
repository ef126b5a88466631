// The size-first SockJS socket (pkg-core/js/sockjs.js over pkg-sockjs's no_std module) against
// a real stomp-server's SockJS endpoint, in node: every transport forced in turn, STOMP frames
// both ways (strings only, as sockjs-client: the STOMP client's base64 convention for binary
// bodies passes through), close semantics, the fallback when the
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
let Client;
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
  // The STOMP client beside it, as the package ships them: an http:// URL loads ./sockjs.js,
  // and sockjs.js loads ./client.js (the package's stomp_wasm.js) for the core, whose memory
  // and heap its module uses (the client's own core when the client loaded it).
  const core =
    process.env.STOMP_CORE_WASM ??
    path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'stomp_wasm_core.wasm');
  copyFileSync(path.join(root, 'pkg-core', 'js', 'client.js'), path.join(pkg, 'client.js'));
  copyFileSync(core, path.join(pkg, 'stomp_wasm_core.wasm'));
  ({ Client } = await import(pathToFileURL(path.join(pkg, 'client.js'))));
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

    // SockJS carries strings: bytes that are not UTF-8 are refused, not mangled. A binary body
    // travels as the STOMP client writes it, base64 with `content-transfer-encoding:base64`,
    // which stomp-server decodes and writes the same way to a SockJS subscriber.
    assert.throws(() => sock.send(Uint8Array.from([0x53, 0xff])), /not UTF-8/);
    sock.send(`SEND\ndestination:${topic}\ncontent-transfer-encoding:base64\n\nAP/+gArDKAA=\0`);
    const bin = await nextFrame(w, 'base64 MESSAGE');
    assert.equal(typeof bin, 'string', 'every message is a string');
    assert.match(bin, /^MESSAGE\n/);
    assert.match(bin, /\ncontent-transfer-encoding:base64\n/);
    assert.ok(bin.endsWith('\n\nAP/+gArDKAA=\0'), bin);

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
  // Bytes that are not UTF-8 cannot travel as SockJS strings: the send throws, and the socket
  // goes on.
  assert.throws(() => sock.send(Uint8Array.of(0x53, 0xff)), /text only: the message is not UTF-8/);
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

/** A STOMP client on `brokerURL`; `next()` resolves with its next message on `topic`. */
async function stompClient(brokerURL, topic, extra = {}) {
  const messages = [];
  const waiting = [];
  const c = new Client({ brokerURL, reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0, ...extra });
  const connected = new Promise((resolve) => (c.onConnect = resolve));
  c.activate();
  await withTimeout(connected, `CONNECTED on ${brokerURL}`);
  const receipt = new Promise((resolve) => c.watchForReceipt('sub', resolve));
  c.subscribe(topic, (m) => {
    const f = waiting.shift();
    f ? f(m) : messages.push(m);
  }, { receipt: 'sub' });
  await withTimeout(receipt, 'the subscription receipt');
  c.next = (what) =>
    withTimeout(messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiting.push(r)), what);
  return c;
}

for (const name of TRANSPORTS) {
  test(`${name}: the STOMP client sends and receives binary bodies over SockJS (base64 on the wire)`, async () => {
    const topic = `/topic/sockjs-client-${name}`;
    const sockjs = await stompClient(base, topic, { transports: [name] });
    // A WebSocket client on the same topic: the server decodes the convention for it.
    const ws = await stompClient(base.replace(/^http/, 'ws').replace(/\/stomp$/, '/ws'), topic);
    try {
      assert.equal(sockjs.transport, name);
      const body = Uint8Array.from([0, 0xff, 0xfe, 0x80, 10, 0xc3, 0x28, 0]);
      sockjs.publish({ destination: topic, binaryBody: body, headers: { 'content-type': 'application/octet-stream' } });
      for (const [c, who] of [[sockjs, 'the SockJS client'], [ws, 'the WebSocket client']]) {
        const m = await c.next(`the binary message at ${who}`);
        assert.deepEqual([...m.binaryBody], [...body], `every byte at ${who}`);
        assert.equal(m.headers['content-length'], String(body.length));
        assert.equal(m.headers['content-transfer-encoding'], undefined, 'the convention is undone');
        assert.equal(m.headers['content-type'], 'application/octet-stream');
      }
      // From the WebSocket side the other way round.
      ws.publish({ destination: topic, binaryBody: body.subarray(1, 4) });
      for (const [c, who] of [[sockjs, 'the SockJS client'], [ws, 'the WebSocket client']]) {
        const m = await c.next(`the second binary message at ${who}`);
        assert.deepEqual([...m.binaryBody], [...body.subarray(1, 4)], `every byte at ${who}`);
      }
      sockjs.publish({ destination: topic, body: 'text stays text ✓' });
      assert.equal((await sockjs.next('a text message')).body, 'text stays text ✓');
    } finally {
      await Promise.all([sockjs.deactivate(), ws.deactivate()]);
    }
  });
}

// SockJS's wire format is read and written in JavaScript (JSON.parse, JSON.stringify); what a
// frame means is the module's. A scripted server: /info without WebSocket (and not quite the
// shape of stomp-server's), xhr-streaming frames split across chunks, with CRLF, escapes and the
// extra escapes SockJS quotes, then the frame under test.
async function scripted(last) {
  const http = await import('node:http');
  const posted = [];
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/s/info')) return res.end(' {"entropy":1,"origins":["websocket"],"websocket":false}\n');
    if (req.url.endsWith('/xhr_send')) {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => (posted.push(body), res.writeHead(204).end()));
      return;
    }
    if (!req.url.endsWith('/xhr_streaming')) return res.writeHead(404).end();
    res.write(`${'h'.repeat(2048)}\no\r\na["one","t`);
    setTimeout(() => res.write('wo\\u2028\\n\\"",'), 20);
    setTimeout(() => res.write('"\\ud83d\\ude00"]\n'), 40);
    setTimeout(() => res.end(`${last}\n`), 300);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, posted, url: `http://127.0.0.1:${server.address().port}/s` };
}

for (const [last, code, reason] of [
  ['c[3000,"Go away!"]', 3000, /^Go away!$/],
  ['a[1]', 1002, /^Broken SockJS framing: bad SockJS frame payload: /],
  ['x', 1002, /^Broken SockJS framing: unknown SockJS frame type 'x'$/],
  ['c[70000,"no"]', 1002, /^Broken SockJS framing: bad SockJS frame payload: /],
]) {
  test(`frames read in JavaScript: messages split across chunks, then ${last}`, async () => {
    const { server, posted, url } = await scripted(last);
    try {
      const debug = [];
      const sock = new SockJS(url, null, { debug: (line) => debug.push(line) });
      const got = [];
      const closed = new Promise((resolve) => (sock.onclose = resolve));
      sock.onmessage = (e) => got.push(e.data);
      await withTimeout(new Promise((r) => (sock.onopen = r)), 'open');
      assert.equal(sock.transport, 'xhr-streaming', debug.join('\n'));
      // The module writes a transport in a debug line as a byte; the names are written here.
      assert.match(debug[0], /^SockJS: rtt \d+ ms, trying xhr-streaming eventsource xhr-polling$/);
      assert.ok(debug.includes('SockJS: trying xhr-streaming'), debug.join('\n'));
      assert.equal(debug.at(-1), 'SockJS: open over xhr-streaming');
      sock.send('a\u2028b"\u0001\u200d');
      const e = await withTimeout(closed, 'close');
      assert.deepEqual(got, ['one', 'two\u2028\n"', '😀']);
      assert.equal(e.code, code);
      assert.match(e.reason, reason);
      assert.deepEqual(posted, ['["a\\u2028b\\"\\u0001\\u200d"]']);
    } finally {
      server.close();
    }
  });
}
