// The size-first client (pkg-core/js/client.js over the no_std core) against a real
// stomp-server over WebSocket, in node with the `ws` package (node 20 has no global WebSocket:
// tests that go through `brokerURL` alone get `ws` as the global). Started without `init()`:
// the first `activate()` compiles the module.
//
//   cargo build -p stomp-server
//   cargo build -p stomp-wasm-core --release --target wasm32-unknown-unknown
//   node --test pkg-core/tests/client.test.mjs
//
// STOMP_SERVER_BIN overrides the server binary, STOMP_CORE_WASM the module, STOMP_CORE_JS the client
// (e.g. target/pkg-core-size/client.js, minified as shipped, after `bash scripts/size.sh --core`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startServer, WAIT_MS, withTimeout } from '../../tests/support/server.mjs';

// Loaded in before(), from a directory laid out as the package will be (client.js with the
// .wasm next to it), so that the module the first activate() compiles is the default one.
let Client;
let ActivationState;
let Stomp;
let Versions;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const WebSocket = require('ws');

let pkg;
let server;
let wsUrl;
let httpUrl;

// STOMP_TEST_BROKER=rabbitmq: the same stompjs-style code against RabbitMQ's Web-STOMP
// (scripts/rabbitmq.sh start), for what is the client's own behaviour; the tests that need
// stomp-server itself (restarts, its config, its SockJS endpoint, its errors) are registered
// only against it, through `ourBrokerTest`.
const RABBITMQ = process.env.STOMP_TEST_BROKER === 'rabbitmq';
const ourBrokerTest = RABBITMQ ? () => {} : test;

before(async () => {
  const wasm =
    process.env.STOMP_CORE_WASM ??
    path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'stomp_wasm_core.wasm');
  pkg = mkdtempSync(path.join(tmpdir(), 'stomp-core-pkg-'));
  copyFileSync(process.env.STOMP_CORE_JS ?? path.join(root, 'pkg-core', 'js', 'client.js'), path.join(pkg, 'client.js'));
  copyFileSync(wasm, path.join(pkg, 'stomp_wasm_core.wasm'));
  ({ Client, ActivationState, Stomp, Versions } = await import(pathToFileURL(path.join(pkg, 'client.js'))));
  if (RABBITMQ) {
    wsUrl = 'ws://127.0.0.1:15674/ws';
    // No SockJS there: the one test of an http URL only needs the module import to fail.
    httpUrl = 'http://127.0.0.1:15674/stomp';
  } else {
    let http;
    ({ server, http } = await startServer());
    wsUrl = `ws://${http}/ws`;
    httpUrl = `http://${http}/stomp`;
  }
  globalThis.WebSocket ??= WebSocket;
});

after(() => {
  server?.kill('SIGTERM');
});

function client(extra = {}) {
  return new Client({
    brokerURL: wsUrl,
    webSocketFactory: () => new WebSocket(wsUrl, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
    reconnectDelay: 200,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    ...extra,
  });
}

test('connects without init(), subscribes, publishes text and binary, receipts, deactivates', async () => {
  const c = client();
  const states = [];
  c.onChangeState = (s) => states.push(s);
  assert.equal(c.state, ActivationState.INACTIVE, 'config and state work before the module is there');
  const connected = new Promise((resolve, reject) => {
    c.onConnect = resolve;
    c.onStompError = (f) => reject(new Error(f.headers.message));
  });
  c.activate();
  const frame = await withTimeout(connected, 'CONNECTED');
  assert.equal(frame.command, 'CONNECTED');
  assert.equal(frame.headers.version, '1.2');
  assert.equal(c.connected, true);
  assert.equal(c.connectedVersion, '1.2');
  assert.equal(c.state, ActivationState.ACTIVE);

  const got = [];
  const two = new Promise((resolve) => {
    c.subscribe('/topic/core', (m) => {
      got.push(m);
      if (got.length === 2) resolve();
    });
  });
  const receipt = new Promise((resolve) => c.watchForReceipt('r-1', resolve));
  c.publish({ destination: '/topic/warm', headers: { receipt: 'r-1' }, body: 'x' });
  const r = await withTimeout(receipt, 'RECEIPT');
  assert.equal(r.headers['receipt-id'], 'r-1');

  const text = 'héllo: ünïcödé \u2028 "quoted"\nline';
  c.publish({ destination: '/topic/core', body: text, headers: { 'x-key': 'a:b\\c' } });
  const bin = new Uint8Array([0, 1, 2, 255, 0]);
  c.publish({ destination: '/topic/core', binaryBody: bin });
  await withTimeout(two, 'MESSAGE x2');
  assert.equal(got[0].command, 'MESSAGE');
  assert.equal(got[0].body, text);
  assert.equal(got[0].isBinaryBody, true, 'received frames are binary, as in stompjs (the drop-in test compares)');
  assert.deepEqual(got[0].binaryBody, new TextEncoder().encode(text));
  assert.equal(got[0].headers['x-key'], 'a:b\\c');
  assert.equal(got[0].headers.destination, '/topic/core');
  assert.equal(got[1].isBinaryBody, true);
  assert.deepEqual([...got[1].binaryBody], [...bin]);
  assert.equal(got[1].headers['content-length'], '5');

  await withTimeout(c.deactivate(), 'deactivate');
  assert.equal(c.state, ActivationState.INACTIVE);
  assert.equal(c.connected, false);
  assert.deepEqual(states, [ActivationState.ACTIVE, ActivationState.DEACTIVATING, ActivationState.INACTIVE]);
});

test('a publish with no connection throws the stompjs error', async () => {
  const c = client();
  c.activate();
  await withTimeout(new Promise((resolve) => (c.onConnect = resolve)), 'CONNECTED');
  await c.deactivate();
  assert.throws(() => c.publish({ destination: '/topic/x', body: 'y' }), /no underlying STOMP connection/);
});

test('reconnects after the socket drops and restores the subscription', async () => {
  const c = client();
  let connects = 0;
  const first = new Promise((resolve) => {
    c.onConnect = () => {
      connects += 1;
      if (connects === 1) resolve();
    };
  });
  c.activate();
  await withTimeout(first, 'CONNECTED');
  const got = new Promise((resolve) => c.subscribe('/topic/again', resolve));
  const second = new Promise((resolve) => {
    c.onConnect = () => {
      connects += 1;
      resolve();
    };
  });
  c.webSocket.terminate(); // the connection dies under the client
  await withTimeout(second, 'reconnected');
  assert.equal(connects, 2);
  // The session re-sent SUBSCRIBE on the new connection; a receipt orders the publish after it.
  const receipt = new Promise((resolve) => c.watchForReceipt('r-2', resolve));
  c.publish({ destination: '/topic/warm', headers: { receipt: 'r-2' }, body: 'x' });
  await withTimeout(receipt, 'RECEIPT');
  c.publish({ destination: '/topic/again', body: 'back' });
  assert.equal((await withTimeout(got, 'MESSAGE after reconnect')).body, 'back');
  await c.deactivate();
});

/** A client connected to the test server; resolves with it once CONNECTED. */
async function connected(extra = {}) {
  const c = client(extra);
  const up = new Promise((resolve, reject) => {
    c.onConnect = resolve;
    c.onStompError = (f) => reject(new Error(f.headers.message));
  });
  c.activate();
  await withTimeout(up, 'CONNECTED');
  return c;
}

/** Subscribes and waits for the broker's receipt, so what is published next reaches it. */
async function subscribed(c, destination, callback, headers = {}) {
  const receipt = `sub-${Math.random()}`;
  const done = new Promise((resolve) => c.watchForReceipt(receipt, resolve));
  const sub = c.subscribe(destination, callback, { ...headers, receipt });
  await withTimeout(done, `RECEIPT of SUBSCRIBE ${destination}`);
  return sub;
}

/** Collects messages; `next(n)` resolves once n have arrived. */
function inbox() {
  const got = [];
  let waiting = [];
  const cb = (m) => {
    got.push(m);
    waiting = waiting.filter(([n, resolve]) => (got.length >= n ? (resolve(got), false) : true));
  };
  cb.got = got;
  cb.next = (n, what) =>
    withTimeout(new Promise((resolve) => (got.length >= n ? resolve(got) : waiting.push([n, resolve]))), what);
  return cb;
}

test('unsubscribe stops delivery; the StompSubscription unsubscribes too', async () => {
  const c = await connected();
  const a = inbox();
  const b = inbox();
  const subA = await subscribed(c, '/topic/unsub', a);
  await subscribed(c, '/topic/unsub', b);
  c.publish({ destination: '/topic/unsub', body: '1' });
  await a.next(1, 'first message');
  subA.unsubscribe();
  c.publish({ destination: '/topic/unsub', body: '2' });
  await b.next(2, 'second message on the other subscription');
  assert.deepEqual(a.got.map((m) => m.body), ['1']);
  assert.equal(typeof subA.id, 'string');
  await c.deactivate();
});

test('nack redelivers, ack settles (client-individual on a queue)', async () => {
  const c = await connected();
  const got = inbox();
  await subscribed(c, '/queue/acks', got, { ack: 'client-individual' });
  c.publish({ destination: '/queue/acks', body: 'once' });
  const [first] = await got.next(1, 'delivery');
  first.nack();
  const [, again] = await got.next(2, 'redelivery after NACK');
  assert.equal(again.body, 'once');
  // ACK with a receipt: the broker answers it, so the ACK went out well-formed.
  const receipt = new Promise((resolve) => c.watchForReceipt('ack-1', resolve));
  again.ack({ receipt: 'ack-1' });
  assert.equal((await withTimeout(receipt, 'RECEIPT of ACK')).headers['receipt-id'], 'ack-1');
  // client.ack / client.nack take the ids themselves.
  c.publish({ destination: '/queue/acks', body: 'twice' });
  const [, , third] = await got.next(3, 'third delivery');
  c.nack(third.headers.ack, third.headers.subscription);
  const [, , , fourth] = await got.next(4, 'redelivery after client.nack');
  assert.equal(fourth.body, 'twice');
  c.ack(fourth.headers.ack, fourth.headers.subscription);
  await c.deactivate();
});

test('transactions: commit delivers, abort discards', async () => {
  const c = await connected();
  const got = inbox();
  await subscribed(c, '/topic/tx', got);
  const tx = c.begin();
  assert.equal(typeof tx.id, 'string');
  c.publish({ destination: '/topic/tx', body: 'committed', headers: { transaction: tx.id } });
  tx.commit();
  const tx2 = c.begin('named-tx');
  assert.equal(tx2.id, 'named-tx');
  c.publish({ destination: '/topic/tx', body: 'aborted', headers: { transaction: tx2.id } });
  c.abort(tx2.id);
  c.publish({ destination: '/topic/tx', body: 'after' });
  await got.next(2, 'two messages');
  assert.deepEqual(got.got.map((m) => m.body), ['committed', 'after']);
  await c.deactivate();
});

test('beforeConnect is awaited and may change the config', async () => {
  const order = [];
  const c = new Client({
    brokerURL: 'ws://127.0.0.1:1/nowhere',
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    beforeConnect: async (client) => {
      assert.equal(client, c);
      await new Promise((resolve) => setTimeout(resolve, 20));
      client.brokerURL = wsUrl;
      order.push('beforeConnect');
    },
  });
  const up = new Promise((resolve) => {
    c.onConnect = () => {
      order.push('connected');
      resolve();
    };
  });
  c.activate();
  await withTimeout(up, 'CONNECTED after beforeConnect');
  assert.deepEqual(order, ['beforeConnect', 'connected']);
  assert.equal(c.webSocket.url, wsUrl);
  assert.equal(c.transport, 'websocket');
  await c.deactivate();
});

test('the offline queue holds publishes until CONNECTED', async () => {
  const listener = await connected();
  const got = inbox();
  await subscribed(listener, '/topic/offline', got);
  const c = client({ offlineQueue: { maxFrames: 2 } });
  c.publish({ destination: '/topic/offline', body: 'q1' });
  c.publish({ destination: '/topic/offline', body: 'q2' });
  assert.throws(() => c.publish({ destination: '/topic/offline', body: 'q3' }), /offline queue is full/);
  assert.equal(c.offlineQueueLength, 2);
  c.activate();
  await got.next(2, 'queued messages after connect');
  assert.deepEqual(got.got.map((m) => m.body), ['q1', 'q2']);
  await withTimeout(
    new Promise((resolve) => {
      const poll = () => (c.offlineQueueLength === 0 ? resolve() : setTimeout(poll, 5));
      poll();
    }),
    'offline queue drained',
  );
  await c.deactivate();
  await listener.deactivate();
});

test('maxReconnectAttempts gives up and goes INACTIVE', async () => {
  const c = new Client({
    brokerURL: 'ws://127.0.0.1:1/nowhere',
    reconnectDelay: 10,
    maxReconnectAttempts: 2,
  });
  let closes = 0;
  c.onWebSocketClose = () => (closes += 1);
  const gaveUp = new Promise((resolve) => (c.onReconnectGaveUp = resolve));
  const inactive = new Promise((resolve) => {
    c.onChangeState = (s) => s === ActivationState.INACTIVE && resolve();
  });
  c.activate();
  assert.equal(await withTimeout(gaveUp, 'onReconnectGaveUp'), 2);
  await withTimeout(inactive, 'INACTIVE');
  assert.equal(c.active, false);
  assert.ok(closes >= 2, `a close per attempt, got ${closes}`);
});

// Against a stomp-server of its own, configured to expect heart-beats.
ourBrokerTest('heart-beats are negotiated, received and sent', async () => {
  const { mkdtempSync: mk, writeFileSync } = await import('node:fs');
  const dir = mk(path.join(tmpdir(), 'stomp-hb-'));
  const config = path.join(dir, 'hb.toml');
  writeFileSync(config, '[heartbeat]\nsend_ms = 1000\nreceive_ms = 1000\n');
  const hb = await startServer(['--config', config]);
  try {
    const url = `ws://${hb.http}/ws`;
    const c = new Client({
      brokerURL: url,
      heartbeatIncoming: 1000,
      heartbeatOutgoing: 1000,
      reconnectDelay: 0,
    });
    let beats = 0;
    const three = new Promise((resolve) => {
      c.onHeartbeatReceived = () => ++beats === 3 && resolve();
    });
    const sent = [];
    c.logRawCommunication = true;
    c.debug = (l) => l.startsWith('>>> ') && sent.push(l);
    let lost = 0;
    c.onHeartbeatLost = () => (lost += 1);
    let closed = 0;
    c.onWebSocketClose = () => (closed += 1);
    const up = new Promise((resolve) => (c.onConnect = resolve));
    c.activate();
    const frame = await withTimeout(up, 'CONNECTED');
    assert.equal(frame.headers['heart-beat'], '1000,1000');
    await withTimeout(three, 'three heart-beats');
    assert.ok(sent.some((l) => l.trim() === '>>>'), `an outgoing heart-beat (EOL) was sent: ${sent}`);
    // The server expects ours every second (with its tolerance): a round trip proves the link
    // is still up after several of its intervals.
    const receipt = new Promise((resolve) => c.watchForReceipt('hb-r', resolve));
    c.publish({ destination: '/topic/hb', body: 'x', headers: { receipt: 'hb-r' } });
    await withTimeout(receipt, 'RECEIPT with heart-beats flowing');
    assert.equal(closed, 0);
    assert.equal(lost, 0);
    await c.deactivate();
  } finally {
    hb.server.kill('SIGTERM');
  }
});

test('compat API: Stomp.over(factory) and Stomp.client(url), connect/send/disconnect', async () => {
  const c = Stomp.over(() => new WebSocket(wsUrl, ['v12.stomp']));
  const raw = [];
  c.logRawCommunication = true;
  c.debug = (l) => raw.push(l);
  assert.equal(c.reconnectDelay, 0, 'compat clients do not reconnect');
  c.heartbeat = { incoming: 0, outgoing: 0 };
  assert.deepEqual(c.heartbeat, { incoming: 0, outgoing: 0 });
  const frame = await withTimeout(new Promise((resolve) => c.connect({}, resolve)), 'compat CONNECTED');
  assert.equal(frame.command, 'CONNECTED');
  const got = inbox();
  await subscribed(c, '/topic/compat', got);
  c.send('/topic/compat', { 'content-length': false, 'x-a': 'b' }, 'hello');
  const [m] = await got.next(1, 'compat message');
  assert.equal(m.body, 'hello');
  assert.equal(m.headers['x-a'], 'b');
  const send = raw.find((l) => l.startsWith('>>> SEND') && l.includes('x-a:b'));
  assert.ok(send && !send.includes('content-length'), `content-length: false leaves it out: ${raw}`);

  const d = Stomp.client(wsUrl);
  d.heartbeat = { incoming: 0, outgoing: 0 };
  await withTimeout(new Promise((resolve) => d.connect('guest', 'guest', resolve)), 'Stomp.client CONNECTED');
  assert.equal(d.connectHeaders.login, 'guest');
  if (RABBITMQ) {
    // RabbitMQ closes the socket on DISCONNECT without a RECEIPT: stompjs then calls no
    // onDisconnect either (tried), so the test waits for the disconnect itself.
    await withTimeout(d.disconnect(), 'Stomp.client disconnect');
  } else {
    const disconnected = new Promise((resolve) => d.disconnect(resolve));
    assert.equal((await withTimeout(disconnected, 'onDisconnect')).command, 'RECEIPT');
  }
  const states = [];
  c.onChangeState = (st) => states.push(st);
  await withTimeout(c.disconnect(), 'compat disconnect');
  assert.equal(c.connected, false, `states ${states}, state ${c.state}`);
});

test('deactivate({ force }) drops at once; activate again reconnects; stompVersions and debug', async () => {
  const lines = [];
  const c = await connected({
    stompVersions: new Versions(['1.1']),
    logRawCommunication: true,
    debug: (l) => lines.push(l),
  });
  assert.equal(c.connectedVersion, '1.1');
  assert.ok(lines.some((l) => l.startsWith('>>> CONNECT')), 'raw frames logged');
  assert.ok(lines.some((l) => l.startsWith('<<< CONNECTED')), 'raw frames logged');
  await withTimeout(c.deactivate({ force: true }), 'forced deactivate');
  assert.equal(c.state, ActivationState.INACTIVE);
  assert.equal(c.webSocket, undefined);
  const again = new Promise((resolve) => (c.onConnect = resolve));
  c.activate();
  await withTimeout(again, 'CONNECTED again');
  assert.equal(c.connected, true);
  await c.deactivate();
});

test('an http(s) URL without the SockJS module fails through onWebSocketError and debug', async () => {
  const lines = [];
  const c = new Client({ brokerURL: httpUrl, reconnectDelay: 0, debug: (l) => lines.push(l) });
  const error = new Promise((resolve) => (c.onWebSocketError = resolve));
  const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
  c.activate();
  const e = await withTimeout(error, 'onWebSocketError');
  assert.match(String(e), /sockjs/i);
  assert.equal((await withTimeout(closed, 'onWebSocketClose')).code, 1006);
  assert.ok(lines.some((l) => /sockjs/i.test(l)), 'the reason is in the debug lines');
  await c.deactivate();
});

// RabbitMQ answers an unknown command with ERROR but keeps the connection.
ourBrokerTest('the server closing the connection (ERROR on a bad frame) leads to a reconnect and resubscribe', async () => {
  const c = await connected();
  const got = inbox();
  await subscribed(c, '/topic/dropped', got);
  const errors = [];
  c.onStompError = (f) => errors.push(f);
  const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
  const again = new Promise((resolve) => (c.onConnect = resolve));
  c.webSocket.send('NOT-A-COMMAND\n\n\0'); // the broker answers ERROR and closes
  await withTimeout(closed, 'the server closed the socket');
  await withTimeout(again, 'reconnected');
  assert.equal(errors[0]?.command, 'ERROR');
  const receipt = new Promise((resolve) => c.watchForReceipt('r-drop', resolve));
  c.publish({ destination: '/topic/warm', headers: { receipt: 'r-drop' }, body: 'x' });
  await withTimeout(receipt, 'RECEIPT');
  c.publish({ destination: '/topic/dropped', body: 'back' });
  assert.equal((await got.next(1, 'MESSAGE after the server dropped us'))[0].body, 'back');
  await c.deactivate();
});

test('offline-queued publishes made before the module is compiled go out after activate', async () => {
  // A second instance of the module: its core is not compiled yet.
  const fresh = await import(`${pathToFileURL(path.join(pkg, 'client.js'))}?fresh`);
  const listener = await connected();
  const got = inbox();
  await subscribed(listener, '/topic/early', got);
  const c = new fresh.Client({
    webSocketFactory: () => new WebSocket(wsUrl, ['v12.stomp']),
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    offlineQueue: true,
  });
  c.publish({ destination: '/topic/early', body: 'before the core' });
  assert.equal(c.connected, false);
  c.activate();
  await got.next(1, 'the early publish');
  assert.equal(got.got[0].body, 'before the core');
  await c.deactivate();
  await listener.deactivate();
});

test('a large binary message (the core memory grows while it is copied in) arrives intact', async () => {
  const c = await connected();
  const got = inbox();
  await subscribed(c, '/topic/large', got);
  const big = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 255);
  c.publish({ destination: '/topic/large', binaryBody: big });
  const [m] = await got.next(1, 'the large message');
  assert.equal(m.binaryBody.length, big.length);
  assert.ok(m.binaryBody.every((b, i) => b === big[i]), 'every byte as sent');
  await c.deactivate();
});

// ----- stompjs code that must port unchanged (issue 15) -----

/** The messages @stomp/stompjs (tools/node_modules) receives for these publishes of its own. */
async function stompjsMessages(destination, publishes) {
  const { Client: StompJs } = await import(
    pathToFileURL(path.join(root, 'tools', 'node_modules', '@stomp', 'stompjs', 'esm6', 'index.js'))
  );
  const c = new StompJs({
    webSocketFactory: () => new WebSocket(wsUrl, ['v12.stomp']),
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
  });
  const up = new Promise((resolve) => (c.onConnect = resolve));
  c.activate();
  await withTimeout(up, 'stompjs CONNECTED');
  const got = inbox();
  await subscribed(c, destination, got);
  for (const p of publishes) c.publish({ destination, ...p });
  const messages = await got.next(publishes.length, 'stompjs messages');
  await c.deactivate();
  return messages;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` (checked every 10 ms), at most WAIT_MS; `what()` says what it had. */
async function until(done, what) {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > WAIT_MS) throw new Error(`timed out: ${what()}`);
    await pause(10);
  }
}

/** A socket the test scripts: what it is sent, and frames it answers with. */
class ScriptedSocket {
  constructor() {
    this.readyState = 0;
    this.protocol = 'v12.stomp';
    this.sent = [];
  }
  // Opens once the client has attached its handler: a socket made before the client's first
  // activate() compiled the module would otherwise open with no one listening.
  set onopen(f) {
    this._onopen = f;
    queueMicrotask(() => {
      if (this.readyState !== 0 || !f) return;
      this.readyState = 1;
      f({});
    });
  }
  get onopen() {
    return this._onopen;
  }
  send(data) {
    this.sent.push(data);
  }
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code, reason, wasClean: true }));
  }
  answer(data) {
    this.onmessage?.({ data });
  }
}

/** A `webSocketFactory` making a new ScriptedSocket per connection, each pushed to `sockets`. */
function scriptedInto(sockets) {
  return () => {
    const s = new ScriptedSocket();
    sockets.push(s);
    return s;
  };
}

test('drop-in: isBinaryBody as stompjs, the factory socket as client.webSocket, raw frames logged both ways', async () => {
  const sockets = [];
  const lines = [];
  const c = await connected({
    webSocketFactory: () => {
      const ws = new WebSocket(wsUrl, ['v12.stomp']);
      sockets.push(ws);
      return ws;
    },
    logRawCommunication: true,
    debug: (l) => lines.push(l),
  });
  assert.equal(c.webSocket, sockets[0], 'client.webSocket is what webSocketFactory returned');
  // Code wraps the socket's send: every frame goes through it.
  const spied = [];
  const send = c.webSocket.send.bind(c.webSocket);
  c.webSocket.send = (data) => {
    spied.push(data);
    send(data);
  };
  const got = inbox();
  await subscribed(c, '/topic/dropin', got);
  c.publish({ destination: '/topic/dropin', body: '{"n":1}' });
  c.publish({ destination: '/topic/dropin', binaryBody: new Uint8Array([1, 0, 2]) });
  const [text, binary] = await got.next(2, 'text and binary messages');
  // What @stomp/stompjs itself says for the same two messages from the same broker.
  const theirs = await stompjsMessages('/topic/dropin-stompjs', [
    { body: '{"n":1}' },
    { binaryBody: new Uint8Array([1, 0, 2]) },
  ]);
  assert.deepEqual(
    [text.isBinaryBody, binary.isBinaryBody],
    theirs.map((m) => m.isBinaryBody),
    'isBinaryBody as stompjs gives it',
  );
  assert.deepEqual(JSON.parse(text.body), { n: 1 });
  assert.deepEqual([...text.binaryBody], [...new TextEncoder().encode('{"n":1}')]);
  assert.deepEqual([...binary.binaryBody], [1, 0, 2]);
  assert.ok(spied.some((d) => String(d).startsWith('SUBSCRIBE\n')), 'the wrapped send saw SUBSCRIBE');
  assert.ok(spied.some((d) => String(d).includes('{"n":1}')), 'the wrapped send saw the SEND');
  const sendLine = lines.find((l) => l.startsWith('>>> SEND') && l.includes('{"n":1}'));
  assert.ok(sendLine?.includes('destination:/topic/dropin'), `the whole SEND frame logged: ${sendLine}`);
  assert.ok(
    lines.some((l) => l.startsWith('<<< MESSAGE') && l.includes('{"n":1}')),
    'the whole MESSAGE frame logged',
  );
  await c.deactivate();
});

test('drop-in: onWebSocketClose gets the close event with code and reason, also on a forced deactivate', async () => {
  const c = await connected();
  const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
  await withTimeout(c.deactivate({ force: true }), 'forced deactivate');
  const evt = await withTimeout(closed, 'onWebSocketClose');
  assert.equal(typeof evt.code, 'number');
  assert.equal(typeof evt.reason, 'string');
});

test('drop-in: exponential reconnect doubles up to maxReconnectDelay, and a cap below the delay is reported', async () => {
  const lines = [];
  // Nothing listens on port 9 (discard): every attempt fails at once.
  const c = new Client({
    brokerURL: 'ws://127.0.0.1:9/ws',
    reconnectDelay: 20,
    reconnectTimeMode: 1 /* EXPONENTIAL */,
    maxReconnectDelay: 80,
    debug: (l) => lines.push(l),
  });
  const failures = [];
  const gaveEnough = new Promise((resolve) => {
    c.onWebSocketClose = () => failures.push(1) >= 5 && resolve();
  });
  c.activate();
  await withTimeout(gaveEnough, 'five failed attempts');
  await c.deactivate();
  const delays = lines.map((l) => l.match(/scheduling reconnection in (\d+)ms/)?.[1]).filter(Boolean).map(Number);
  assert.deepEqual(delays.slice(0, 5), [20, 40, 80, 80, 80], lines.join('\n'));

  const low = [];
  const d = new Client({
    brokerURL: 'ws://127.0.0.1:9/ws',
    reconnectDelay: 50,
    reconnectTimeMode: 1,
    maxReconnectDelay: 10,
    debug: (l) => low.push(l),
  });
  d.activate();
  await d.deactivate();
  assert.ok(low.some((l) => /maxReconnectDelay 10ms is below reconnectDelay 50ms/.test(l)), low.join('\n'));
});

test('drop-in: splitLargeFrames sends text frames in maxWebSocketChunkSize pieces, binary frames whole', async () => {
  const c = await connected({ splitLargeFrames: true, maxWebSocketChunkSize: 1000 });
  const sent = [];
  const send = c.webSocket.send.bind(c.webSocket);
  c.webSocket.send = (data) => {
    sent.push(data);
    send(data);
  };
  const got = inbox();
  await subscribed(c, '/topic/split', got);
  sent.length = 0;
  const body = 'x'.repeat(3500);
  c.publish({ destination: '/topic/split', body });
  assert.ok(sent.length >= 4, `3.5 KB frame in 1000-byte chunks: ${sent.map((s) => s.length)}`);
  assert.ok(sent.every((s) => typeof s === 'string' && s.length <= 1000), `${sent.map((s) => s.length)}`);
  assert.match(sent.join(''), /^SEND\n[^]*x{3500}\0$/);
  sent.length = 0;
  c.publish({ destination: '/topic/split', binaryBody: new Uint8Array(3000) });
  assert.equal(sent.length, 1, 'a binary frame is never split');
  const [text, binary] = await got.next(2, 'the split frame reassembled by the broker');
  assert.equal(text.body, body);
  assert.equal(binary.binaryBody.length, 3000);
  await c.deactivate();
});

test('drop-in: a CONNECTED without heart-beat connects; NUL appended on incoming when asked', async () => {
  const socket = new ScriptedSocket();
  const c = new Client({ webSocketFactory: () => socket, appendMissingNULLonIncoming: true, reconnectDelay: 0 });
  const up = new Promise((resolve) => (c.onConnect = resolve));
  const got = inbox();
  c.onUnhandledMessage = got;
  c.activate();
  await until(() => socket.sent.length, () => 'the CONNECT frame');
  assert.match(String(socket.sent[0]), /^CONNECT\n/);
  socket.answer('CONNECTED\nversion:1.2\n\n'); // no heart-beat header, and no NUL
  const frame = await withTimeout(up, 'CONNECTED without heart-beat');
  assert.equal(frame.headers['heart-beat'], undefined);
  assert.equal(c.connected, true);
  socket.answer('MESSAGE\ndestination:/q\nmessage-id:1\nsubscription:s\n\nno NUL');
  assert.equal((await got.next(1, 'a MESSAGE without its NUL'))[0].body, 'no NUL');
  await c.deactivate({ force: true });
});

/** A client over a scripted socket, connected (STOMP 1.2), its debug lines collected. */
async function connectedWithDebug() {
  const socket = new ScriptedSocket();
  const lines = [];
  const c = new Client({ webSocketFactory: () => socket, reconnectDelay: 0, debug: (l) => lines.push(l) });
  const up = new Promise((resolve) => (c.onConnect = resolve));
  c.activate();
  await until(() => socket.sent.length, () => 'the CONNECT frame');
  socket.answer('CONNECTED\nversion:1.2\n\n\0');
  await withTimeout(up, 'CONNECTED');
  return { socket, lines, c };
}

test('a frame that cannot be decoded is named in debug, its line quoted, and the socket closed', async () => {
  const { socket, lines, c } = await connectedWithDebug();
  const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
  // The core hands the line over unquoted; the page quotes it (JSON.stringify).
  socket.answer('BOGUS\u0001"é\n\n\0');
  await withTimeout(closed, 'the socket closed after the decode error');
  assert.ok(lines.includes('unknown command "BOGUS\\u0001\\"é"'), lines.join('\n'));
  assert.equal(socket.readyState, 3);
  await c.deactivate();
});

test('every kind of decode error is named in debug as the codec words it', async () => {
  // The core writes a letter and the error's line, number or character; the page the words
  // (DECODE_ERRORS): each text here is the one Rust's Display gives (src/codec/limits.rs).
  const long = (n) => 'x'.repeat(n);
  const enc = (t) => new TextEncoder().encode(t);
  const cases = [
    ['SEND\nno colon\n\n\0', 'header line without a colon: "no colon"'],
    [`MESSAGE\n${'h:v\n'.repeat(65)}\n\0`, 'frame has more than 64 headers'],
    [`MESSAGE\na:${long(8200)}\n\n\0`, 'header line longer than 8192 bytes'],
    [`MESSAGE\n${`h:${long(8000)}\n`.repeat(10)}\n${long(1048576)}\0`, 'frame larger than 1114112 bytes'],
    ['MESSAGE\ncontent-length:2000000\n\n', 'body larger than 1048576 bytes'],
    ['MESSAGE\ncontent-length:1x\n\n\0', 'invalid content-length "1x"'],
    ['MESSAGE\ncontent-length:1\n\nab\0', 'frame body of content-length 1 is not followed by a NUL byte'],
    [Uint8Array.of(...enc('MESSAGE\na:'), 0xff, ...enc('\n\n\0')).buffer, 'header is not valid UTF-8'],
    ['MESSAGE\na\u0000b:c\n\n\0', 'NUL byte in a command or header line'],
    ['MESSAGE\na\\tb:c\n\n\0', 'undefined escape sequence `\\t` in header'],
    ['MESSAGE\na\\é:c\n\n\0', 'undefined escape sequence `\\é` in header'],
    ['MESSAGE\na:b\\\n\n\0', 'header ends with a lone backslash'],
  ];
  for (const [bytes, expected] of cases) {
    const { socket, lines, c } = await connectedWithDebug();
    const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
    socket.answer(bytes);
    await withTimeout(closed, `the socket closed after: ${expected}`);
    assert.ok(lines.includes(expected), `${expected} in:\n${lines.join('\n').slice(0, 2000)}`);
    await c.deactivate();
  }
});

test('every debug line of the session reads as the native build words it', async () => {
  // The core writes a line's number and its arguments; the page the words (DEBUG_LINES): each
  // text here is the one src/client/debug_line.rs gives Event::Debug. ("deactivated during
  // beforeConnect, not connecting" is not among them: the page's deactivate() ends the
  // beforeConnect phase at once; its words are compared by the Rust test only.)
  const lines = [];
  const debug = (l) => lines.push(l);
  let sockets = [];
  const c = new Client({
    webSocketFactory: scriptedInto(sockets),
    reconnectDelay: 30,
    reconnectTimeMode: 1 /* EXPONENTIAL */,
    maxReconnectDelay: 10,
    connectionTimeout: 100,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 10000,
    disconnectTimeout: 30,
    debug,
  });
  const up = new Promise((resolve) => (c.onConnect = resolve));
  c.activate();
  await until(() => sockets[0]?.sent.length, () => 'the CONNECT frame');
  sockets[0].answer('CONNECTED\nversion:1.2\nheart-beat:0,10000\n\n\0');
  await withTimeout(up, 'CONNECTED');
  c.activate();
  sockets[0].close(1006);
  // The next attempt is never answered: its connection times out.
  await until(() => lines.some((l) => l.includes('not established')), () => lines.join('\n'));
  await c.deactivate();

  sockets = [];
  // The second connection's socket names no protocol.
  const into = scriptedInto(sockets);
  const factory = () => Object.assign(into(), sockets.length > 1 ? { protocol: undefined } : {});
  const d = new Client({ webSocketFactory: factory, reconnectDelay: 0, disconnectTimeout: 30, debug });
  const dUp = new Promise((resolve) => (d.onConnect = resolve));
  d.activate();
  await until(() => sockets.at(-1).sent.length, () => 'the CONNECT frame');
  sockets.at(-1).answer('CONNECTED\nversion:1.1\n\n\0');
  await withTimeout(dUp, 'CONNECTED');
  // No RECEIPT for the DISCONNECT: closed after disconnectTimeout, and not reconnected.
  await d.deactivate();
  const closed = new Promise((resolve) => (d.onWebSocketClose = resolve));
  d.activate();
  await until(() => sockets.at(-1).sent.length, () => 'the CONNECT frame');
  sockets.at(-1).close(1006);
  await withTimeout(closed, 'the socket closed');

  for (const line of [
    'maxReconnectDelay 10ms is below reconnectDelay 30ms: reconnectDelay caps the backoff',
    'opening transport',
    'transport open, protocol v12.stomp',
    '>>> CONNECT',
    '<<< CONNECTED',
    'connected: version 1.2, heart-beats out 10000 in 0',
    'already ACTIVE, ignoring activate',
    'scheduling reconnection in 30ms',
    'connection not established in time, closing',
    'connected: version 1.1, heart-beats out 0 in 0',
    '>>> DISCONNECT',
    'no RECEIPT for DISCONNECT in time, closing',
    'transport open, protocol -',
    'reconnectDelay is 0: not reconnecting',
  ]) {
    assert.ok(lines.includes(line), `${line} in:\n${lines.join('\n')}`);
  }
});

test('over a string-only socket a base64 body announced by its header arrives as its bytes', async () => {
  // A socket that names its transport is a SockJS one (ours or sockjs-client): strings only.
  const sockets = [];
  const c = new Client({
    webSocketFactory: () => Object.assign(scriptedInto(sockets)(), { transport: 'xhr-streaming' }),
    reconnectDelay: 0,
  });
  const up = new Promise((resolve) => (c.onConnect = resolve));
  const got = inbox();
  c.onUnhandledMessage = got;
  c.activate();
  await until(() => sockets[0]?.sent.length, () => 'the CONNECT frame');
  const socket = sockets[0];
  socket.answer('CONNECTED\nversion:1.2\n\n\0');
  await withTimeout(up, 'CONNECTED');
  const message = (headers, body) => `MESSAGE\nsubscription:s\nmessage-id:1\n${headers}\n${body}\0`;
  socket.answer(message('content-transfer-encoding:base64\ncontent-length:8\ncontent-type:x/y\n', 'AP/DKAoA'));
  // Not valid base64: handed on as it came, never dropped.
  socket.answer(message('content-transfer-encoding:base64\n', '!!'));
  const [binary, broken] = await got.next(2, 'the two messages');
  assert.deepEqual([...binary.binaryBody], [0, 0xff, 0xc3, 0x28, 10, 0]);
  assert.deepEqual(binary.headers, { subscription: 's', 'message-id': '1', 'content-length': '6', 'content-type': 'x/y' });
  assert.equal(broken.body, '!!');
  assert.equal(broken.headers['content-transfer-encoding'], 'base64');
  // The session writes a binary body as base64 on such a socket, announced the same way.
  c.publish({ destination: '/q', binaryBody: new Uint8Array([0, 0xff]) });
  const sent = socket.sent.at(-1);
  assert.equal(typeof sent, 'string');
  assert.match(sent, /\ncontent-transfer-encoding:base64\n[^]*\n\nAP8=\0$/);
  await c.deactivate({ force: true });
});

test('over a WebSocket a header that only looks like the convention is left alone', async () => {
  const socket = new ScriptedSocket();
  const c = new Client({ webSocketFactory: () => socket, reconnectDelay: 0 });
  const up = new Promise((resolve) => (c.onConnect = resolve));
  const got = inbox();
  c.onUnhandledMessage = got;
  c.activate();
  await until(() => socket.sent.length, () => 'the CONNECT frame');
  socket.answer('CONNECTED\nversion:1.2\n\n\0');
  await withTimeout(up, 'CONNECTED');
  socket.answer('MESSAGE\nsubscription:s\nmessage-id:1\ncontent-transfer-encoding:base64\n\nAAEC\0');
  const [m] = await got.next(1, 'the message');
  assert.equal(m.body, 'AAEC');
  assert.equal(m.headers['content-transfer-encoding'], 'base64');
  await c.deactivate({ force: true });
});

test('drop-in: a missed heart-beat with discardWebsocketOnCommFailure discards the socket, onWebSocketClose gets the event', async () => {
  const sockets = [];
  const c = new Client({
    webSocketFactory: scriptedInto(sockets),
    heartbeatIncoming: 50,
    heartbeatOutgoing: 0,
    discardWebsocketOnCommFailure: true,
    reconnectDelay: 20,
  });
  const lost = new Promise((resolve) => (c.onHeartbeatLost = resolve));
  const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
  c.activate();
  await until(() => sockets[0]?.sent.length > 0, () => 'CONNECT sent');
  sockets[0].answer('CONNECTED\nversion:1.2\nheart-beat:50,0\n\n\0'); // promises heart-beats, then silence
  await withTimeout(lost, 'onHeartbeatLost');
  const evt = await withTimeout(closed, 'onWebSocketClose after the discard');
  assert.equal(typeof evt.code, 'number');
  assert.equal(typeof evt.reason, 'string');
  assert.equal(sockets[0].readyState, 3, 'the discarded socket was closed');
  await until(() => sockets.length >= 2, () => 'a new socket after the discard');
  await c.deactivate({ force: true });
});

test('drop-in: connectionTimeout closes a socket whose CONNECTED never comes, and the client tries again', async () => {
  const sockets = [];
  const c = new Client({
    webSocketFactory: scriptedInto(sockets),
    connectionTimeout: 50,
    reconnectDelay: 20,
  });
  const closed = new Promise((resolve) => (c.onWebSocketClose = resolve));
  c.activate();
  await withTimeout(closed, 'the silent socket closed');
  await until(() => sockets.length >= 2, () => 'a second attempt');
  assert.equal(sockets[0].readyState, 3, 'the first socket was closed');
  await c.deactivate({ force: true });
});

test('drop-in: a throwing callback neither stops later deliveries nor escapes into the socket handler', async () => {
  const reported = [];
  const consoleError = console.error;
  console.error = (e) => reported.push(e);
  try {
    const c = await connected();
    const got = inbox();
    await subscribed(c, '/topic/throws', (m) => {
      got(m);
      if (m.body === 'first') throw new Error('handler bug');
    });
    const receipt = new Promise((resolve) => {
      c.watchForReceipt('r-throw', () => {
        resolve();
        throw new Error('receipt watcher bug');
      });
    });
    c.publish({ destination: '/topic/throws', body: 'first' });
    c.publish({ destination: '/topic/throws', body: 'second', headers: { receipt: 'r-throw' } });
    await got.next(2, 'the message after the one whose handler threw');
    await withTimeout(receipt, 'receipt');
    assert.deepEqual(got.got.map((m) => m.body), ['first', 'second']);
    assert.deepEqual(reported.map((e) => e.message), ['handler bug', 'receipt watcher bug']);
    await c.deactivate();
  } finally {
    console.error = consoleError;
  }
});

test('drop-in compat: Stomp.over(socket) warns; client.heartbeat.incoming/outgoing set the intervals', async () => {
  const warned = [];
  const consoleWarn = console.warn;
  console.warn = (...a) => warned.push(a.join(' '));
  let c;
  try {
    c = Stomp.over(new WebSocket(wsUrl, ['v12.stomp']));
  } finally {
    console.warn = consoleWarn;
  }
  assert.equal(warned.length, 1);
  assert.match(warned[0], /factory/);
  c.heartbeat.incoming = 0;
  c.heartbeat.outgoing = 0;
  assert.equal(c.heartbeatIncoming, 0);
  assert.equal(c.heartbeatOutgoing, 0);
  const lines = [];
  c.logRawCommunication = true;
  c.debug = (l) => lines.push(l);
  await withTimeout(new Promise((resolve) => c.connect({}, resolve)), 'compat CONNECTED');
  assert.ok(lines.some((l) => l.startsWith('>>> CONNECT') && l.includes('heart-beat:0,0')), lines.join('\n'));
  await withTimeout(c.disconnect(), 'compat disconnect');
});

/**
 * The `content-length` of each SEND a compat client of `lib` (ours, or @stomp/stompjs) puts on
 * the wire for the same publishes and compat sends (null: no header).
 */
async function sentContentLengths(lib) {
  const sent = [];
  const c = lib.Stomp.over(() => {
    const ws = new WebSocket(wsUrl, ['v12.stomp']);
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      sent.push(typeof data === 'string' ? data : new TextDecoder().decode(data));
      send(data);
    };
    return ws;
  });
  c.debug = () => {};
  c.heartbeat = { incoming: 0, outgoing: 0 };
  await withTimeout(new Promise((resolve) => c.connect({}, resolve)), 'compat CONNECTED');
  const destination = '/topic/content-length';
  const bytes = new Uint8Array([1, 2, 3]);
  c.publish({ destination, body: 'text' });
  c.publish({ destination, body: 'text', skipContentLengthHeader: true });
  c.publish({ destination, body: '' });
  c.publish({ destination, binaryBody: bytes });
  c.publish({ destination, binaryBody: bytes, skipContentLengthHeader: true });
  c.send(destination, { 'content-length': false }, 'compat');
  c.send(destination, {}, 'compat');
  const sends = () => sent.filter((f) => f.startsWith('SEND\n'));
  await until(() => sends().length === 7, () => `sent ${JSON.stringify(sent)}`);
  await withTimeout(c.deactivate(), 'deactivate');
  return sends().map((f) => {
    const line = f.slice(0, f.indexOf('\n\n')).split('\n').find((l) => l.startsWith('content-length:'));
    return line ? line.slice('content-length:'.length) : null;
  });
}

test('drop-in: content-length as stompjs sends it (binary always, empty never, skipContentLengthHeader), compat send too', async () => {
  const stompjs = await import(
    pathToFileURL(path.join(root, 'tools', 'node_modules', '@stomp', 'stompjs', 'esm6', 'index.js'))
  );
  const theirs = await sentContentLengths(stompjs);
  const ours = await sentContentLengths({ Stomp });
  assert.deepEqual(ours, theirs, 'the same headers as @stomp/stompjs');
  assert.deepEqual(ours, ['4', null, null, '3', '3', null, '6']);
});

// ----- nothing lost across a broker restart (issue 15) -----


for (const signal of ['SIGTERM', 'SIGKILL']) {
  // Restarts a stomp-server of its own (RabbitMQ's restarts: the browser-rabbitmq stage).
  ourBrokerTest(`offline queue: 300 publishes at 100/s across a broker ${signal} and restart all arrive, in order`, async () => {
    // A broker of this test's own, restarted on the same address 0.5 s after it is stopped.
    let { server: broker, http } = await startServer();
    const url = `ws://${http}/ws`;
    const c = new Client({
      webSocketFactory: () => new WebSocket(url, ['v12.stomp']),
      reconnectDelay: 100,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      offlineQueue: true,
    });
    try {
      const up = new Promise((resolve) => (c.onConnect = resolve));
      c.activate();
      await withTimeout(up, 'CONNECTED');
      const got = inbox();
      const destination = `/topic/restart-${signal}`;
      await subscribed(c, destination, got);
      let restarted;
      for (let i = 1; i <= 300; i += 1) {
        c.publish({ destination, body: String(i) });
        if (i === 100) {
          const dead = new Promise((resolve) => broker.once('exit', resolve));
          broker.kill(signal);
          restarted = dead
            .then(() => pause(500))
            .then(() => startServer([], { http }))
            .then((s) => (broker = s.server));
        }
        await pause(10);
      }
      await withTimeout(restarted, 'the broker back');
      const bodies = () => got.got.map((m) => Number(m.body));
      await until(
        () => new Set(bodies()).size === 300 && c.offlineQueueLength === 0,
        () => `all 300 delivered and confirmed (have ${new Set(bodies()).size}, queue ${c.offlineQueueLength})`,
      );
      const firsts = bodies().filter((n, i, all) => all.indexOf(n) === i);
      assert.deepEqual(firsts, Array.from({ length: 300 }, (_, i) => i + 1), 'every publish, in order');
      if (signal === 'SIGTERM') {
        // A broker that shuts down answers what it took (or never took it): the re-sent rest is
        // new to the restarted one, so nothing arrives twice.
        assert.equal(bodies().length, 300, `nothing twice: ${bodies().length} deliveries`);
      }
      // After SIGKILL the restarted broker cannot know a frame whose RECEIPT the dead one never
      // wrote: such a frame may arrive twice (at least once, docs).
    } finally {
      broker.kill('SIGTERM');
      await withTimeout(c.deactivate({ force: true }), 'deactivate');
    }
  });
}
