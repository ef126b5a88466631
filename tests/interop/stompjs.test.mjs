// Interop: @stomp/stompjs 7.5 (a client no one here wrote) in node, over WebSocket through
// `webSocketFactory` + the `ws` package, against a STOMP broker.
//
// The broker is chosen by environment variables, so the same tests run against RabbitMQ
// Web-STOMP and against our stomp-server:
//
//   STOMP_WS_URL    default ws://127.0.0.1:15674/ws
//   STOMP_LOGIN     default guest
//   STOMP_PASSCODE  default guest
//   STOMP_VHOST     default /   (CONNECT `host`; RabbitMQ reads it as the vhost)
//   STOMP_WS_CA     with a wss:// URL: the CA (PEM) the server's certificate is verified
//                   against (`ws`'s `ca` option), e.g. our `https` listener's test CA
//   STOMP_WS_DISCONNECT_RECEIPT  default 1; 0 for RabbitMQ 3.10 Web-STOMP, which closes the
//                   WebSocket on DISCONNECT without the RECEIPT the spec asks for (its TCP
//                   STOMP listener does send it). With 0 only the close itself is checked.
//
// Run: node --test tests/interop/stompjs.test.mjs   (after `cd tools && npm install`)
//
// Every wait is bounded (WAIT_MS) so a broker that never answers fails the test instead of
// hanging it; no assertion depends on how fast anything is.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The peers live in tools/node_modules (one locked package.json for the whole repository).
const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { Client } = require('@stomp/stompjs');
const WebSocket = require('ws');

const URL_ = process.env.STOMP_WS_URL ?? 'ws://127.0.0.1:15674/ws';
const LOGIN = process.env.STOMP_LOGIN ?? 'guest';
const PASSCODE = process.env.STOMP_PASSCODE ?? 'guest';
const VHOST = process.env.STOMP_VHOST ?? '/';
const TLS = process.env.STOMP_WS_CA ? { ca: readFileSync(process.env.STOMP_WS_CA) } : {};
const DISCONNECT_RECEIPT = (process.env.STOMP_WS_DISCONNECT_RECEIPT ?? '1') !== '0';
const WAIT_MS = 10_000;

const clients = [];

afterEach(async () => {
  while (clients.length > 0) {
    const client = clients.pop();
    await client.deactivate({ force: !client.connected });
  }
});

function unique(prefix) {
  return `${prefix}/interop-js-${randomUUID().slice(0, 12)}`;
}

/** Resolves with `promise`, or rejects after WAIT_MS naming what never came. */
function within(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An activated client, resolved once CONNECTED arrives. Errors fail the test. */
async function open(extra = {}) {
  const errors = [];
  let onConnectFrame;
  const client = new Client({
    // No permessage-deflate: like-for-like with brokers that do not offer it.
    webSocketFactory: () =>
      new WebSocket(URL_, ['v12.stomp', 'v11.stomp', 'v10.stomp'], {
        perMessageDeflate: false,
        ...TLS,
      }),
    connectHeaders: { login: LOGIN, passcode: PASSCODE, host: VHOST },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => {},
    ...extra,
  });
  client.errors = errors;
  client.onStompError = (frame) => errors.push(frame);
  client.onWebSocketError = (event) => errors.push(event);
  clients.push(client);
  const connected = new Promise((resolve, reject) => {
    client.onConnect = (frame) => {
      onConnectFrame = frame;
      resolve();
    };
    client.onStompError = (frame) => {
      errors.push(frame);
      reject(new Error(`ERROR frame: ${frame.headers.message} ${frame.body}`));
    };
  });
  client.activate();
  await within('CONNECTED', connected);
  client.connectedFrame = onConnectFrame;
  return client;
}

/** Messages of one subscription, awaited one at a time in arrival order. */
function inbox() {
  const queued = [];
  const waiting = [];
  return {
    push(message) {
      const w = waiting.shift();
      if (w) w(message);
      else queued.push(message);
    },
    next() {
      if (queued.length > 0) return Promise.resolve(queued.shift());
      return within('MESSAGE', new Promise((resolve) => waiting.push(resolve)));
    },
  };
}

function receipt(client, id) {
  return within(`RECEIPT ${id}`, new Promise((resolve) => client.watchForReceipt(id, resolve)));
}

/** SUBSCRIBE with a receipt, so the subscription is live when this resolves. */
async function subscribe(client, destination, headers = {}) {
  const box = inbox();
  const id = `r-${randomUUID()}`;
  const done = receipt(client, id);
  const sub = client.subscribe(destination, (m) => box.push(m), { ...headers, receipt: id });
  await done;
  return { sub, box };
}

test('connects with STOMP 1.2 over the v12.stomp subprotocol', async () => {
  const client = await open();
  assert.equal(client.connectedVersion, '1.2');
  assert.equal(client.webSocket.protocol, 'v12.stomp');
  assert.equal(client.connectedFrame.headers.version, '1.2');
  assert.equal(client.connected, true);
});

test('connects with each offered version', async () => {
  for (const version of ['1.0', '1.1', '1.2']) {
    const client = await open({ stompVersions: new (require('@stomp/stompjs').Versions)([version]) });
    assert.equal(client.connectedVersion, version);
  }
});

test('publish, subscribe and receive, in order, with headers', async () => {
  const dest = unique('/topic');
  const sub = await open();
  const { box } = await subscribe(sub, dest);
  const pub = await open();
  for (let i = 0; i < 5; i++) {
    pub.publish({ destination: dest, body: `message ${i}`, headers: { 'x-seq': String(i) } });
  }
  for (let i = 0; i < 5; i++) {
    const m = await box.next();
    assert.equal(m.body, `message ${i}`);
    assert.equal(m.headers['x-seq'], String(i));
    assert.equal(m.headers.destination, dest);
    assert.ok(m.headers['message-id']);
    assert.ok(m.headers.subscription);
  }
});

test('receipts via watchForReceipt for SEND, SUBSCRIBE and UNSUBSCRIBE', async () => {
  const client = await open();
  const dest = unique('/topic');
  const { sub } = await subscribe(client, dest);
  const sent = receipt(client, 'send-1');
  client.publish({ destination: dest, body: 'x', headers: { receipt: 'send-1' } });
  const frame = await sent;
  assert.equal(frame.command, 'RECEIPT');
  assert.equal(frame.headers['receipt-id'], 'send-1');
  const unsub = receipt(client, 'unsub-1');
  sub.unsubscribe({ receipt: 'unsub-1' });
  await unsub;
  assert.deepEqual(client.errors, []);
});

test('binary body with every byte value survives the round trip', async () => {
  const dest = unique('/topic');
  const client = await open();
  const { box } = await subscribe(client, dest);
  const body = new Uint8Array(1024);
  for (let i = 0; i < body.length; i++) body[i] = i % 256;
  client.publish({
    destination: dest,
    binaryBody: body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  const m = await box.next();
  assert.equal(m.isBinaryBody, true);
  assert.deepEqual(Buffer.from(m.binaryBody), Buffer.from(body));
  assert.equal(m.headers['content-length'], String(body.length));
});

test('fan-out: every subscriber gets each message', async () => {
  const dest = unique('/topic');
  const boxes = [];
  for (let i = 0; i < 3; i++) {
    const client = await open();
    boxes.push((await subscribe(client, dest)).box);
  }
  const pub = await open();
  pub.publish({ destination: dest, body: 'to all' });
  for (const box of boxes) {
    assert.equal((await box.next()).body, 'to all');
  }
});

test('client-individual ack and nack with receipts', async () => {
  const dest = unique('/queue');
  const client = await open();
  const { box } = await subscribe(client, dest, { ack: 'client-individual' });
  for (let i = 0; i < 3; i++) client.publish({ destination: dest, body: `m${i}` });
  const msgs = [await box.next(), await box.next(), await box.next()];
  assert.deepEqual(
    msgs.map((m) => m.body),
    ['m0', 'm1', 'm2'],
  );
  for (const m of msgs) assert.ok(m.headers.ack, 'MESSAGE without an ack header (STOMP 1.2)');

  const acked = receipt(client, 'ack-0');
  msgs[0].ack({ receipt: 'ack-0' });
  await acked;
  const nacked = receipt(client, 'nack-1');
  msgs[1].nack({ receipt: 'nack-1', requeue: 'false' });
  await nacked;
  const acked2 = receipt(client, 'ack-2');
  client.ack(msgs[2].headers['message-id'], msgs[2].headers.subscription, {
    receipt: 'ack-2',
    id: msgs[2].headers.ack,
  });
  await acked2;
  assert.deepEqual(client.errors, []);
});

test('client ack is cumulative: nothing is redelivered after acking the last', async () => {
  const dest = unique('/queue');
  const client = await open();
  const { box } = await subscribe(client, dest, { ack: 'client' });
  for (let i = 0; i < 3; i++) client.publish({ destination: dest, body: `m${i}` });
  const msgs = [await box.next(), await box.next(), await box.next()];
  const acked = receipt(client, 'ack-last');
  msgs[2].ack({ receipt: 'ack-last' });
  await acked;
  await client.deactivate();

  const again = await open();
  const { box: box2 } = await subscribe(again, dest);
  again.publish({ destination: dest, body: 'sentinel' });
  assert.equal((await box2.next()).body, 'sentinel');
});

test('unacked messages come back to the next subscriber', async () => {
  const dest = unique('/queue');
  const client = await open();
  const { box } = await subscribe(client, dest, { ack: 'client-individual' });
  for (let i = 0; i < 3; i++) client.publish({ destination: dest, body: `m${i}` });
  const msgs = [await box.next(), await box.next(), await box.next()];
  for (const i of [0, 2]) {
    const r = receipt(client, `a${i}`);
    msgs[i].ack({ receipt: `a${i}` });
    await r;
  }
  await client.deactivate();

  const again = await open();
  const { box: box2 } = await subscribe(again, dest);
  again.publish({ destination: dest, body: 'sentinel' });
  assert.equal((await box2.next()).body, 'm1');
  assert.equal((await box2.next()).body, 'sentinel');
});

test('server heart-beats reach the client at the negotiated interval', async () => {
  let beats = 0;
  let resolveBeat;
  const beat = new Promise((resolve) => (resolveBeat = resolve));
  const client = await open({
    heartbeatIncoming: 500,
    heartbeatOutgoing: 500,
    onHeartbeatReceived: () => {
      beats += 1;
      resolveBeat();
    },
  });
  // Server→client interval: max(sx, cy) with the server's sx from CONNECTED (STOMP 1.1).
  const [sx] = (client.connectedFrame.headers['heart-beat'] ?? '0,0').split(',').map(Number);
  assert.ok(sx > 0, `the server offers no heart-beats (heart-beat: ${sx})`);
  const interval = Math.max(sx, 500);
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no heart-beat within 2 x ${interval} ms`)), 2 * interval + 1000);
  });
  await Promise.race([beat, late]).finally(() => clearTimeout(timer));
  assert.ok(beats >= 1);
});

test('deactivate sends DISCONNECT, gets its RECEIPT and closes', async () => {
  const client = await open();
  let disconnectFrame;
  client.onDisconnect = (frame) => (disconnectFrame = frame);
  const closed = new Promise((resolve) => (client.onWebSocketClose = resolve));
  await client.deactivate();
  await within('WebSocket close', closed);
  if (DISCONNECT_RECEIPT) {
    assert.ok(disconnectFrame, 'onDisconnect not called: no RECEIPT for DISCONNECT');
    assert.equal(disconnectFrame.command, 'RECEIPT');
  }
  assert.equal(client.connected, false);
  assert.equal(client.active, false);
});
