// Interop over TLS: @stomp/stompjs 7.5 over `wss://` (node `ws` with the test CA) against a
// broker's HTTPS listener. The whole of stompjs.test.mjs also runs over wss:// when
// STOMP_WS_URL is wss://… and STOMP_WS_CA is set; these tests check the TLS itself.
//
//   STOMP_WS_URL   wss://localhost:PORT/ws (required)
//   STOMP_WS_CA    the CA (PEM) that signed the broker's certificate (required)
//
// Run: node --test tests/interop/stompjs-tls.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { Client } = require('@stomp/stompjs');
const WebSocket = require('ws');

const URL_ = process.env.STOMP_WS_URL;
const CA = readFileSync(process.env.STOMP_WS_CA);
const WAIT_MS = 10_000;

function within(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('stompjs over verified wss:// subscribes, publishes and receives', async () => {
  assert.match(URL_, /^wss:\/\//);
  let upgrade;
  const client = new Client({
    webSocketFactory: () => {
      const ws = new WebSocket(URL_, ['v12.stomp'], { perMessageDeflate: false, ca: CA });
      ws.on('upgrade', (response) => (upgrade = response));
      return ws;
    },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => {},
  });
  const connected = new Promise((resolve, reject) => {
    client.onConnect = resolve;
    client.onStompError = (frame) => reject(new Error(frame.headers.message));
    client.onWebSocketError = (e) => reject(e.error ?? new Error('WebSocket error'));
  });
  client.activate();
  try {
    await within('CONNECTED', connected);
    const socket = upgrade.socket;
    assert.equal(socket.encrypted, true);
    assert.equal(socket.authorized, true, 'verified against the test CA');
    assert.match(socket.getPeerCertificate().subjectaltname, /DNS:localhost/);

    const destination = `/topic/interop-tls-${Date.now()}`;
    const received = new Promise((resolve) =>
      client.subscribe(destination, (message) => resolve(message.body), { receipt: 'sub-tls' }),
    );
    await within(
      'RECEIPT',
      new Promise((resolve) => client.watchForReceipt('sub-tls', resolve)),
    );
    client.publish({ destination, body: 'over wss' });
    assert.equal(await within('MESSAGE', received), 'over wss');
  } finally {
    await client.deactivate({ force: !client.connected });
  }
});

test('a client not trusting the CA refuses the connection', async () => {
  // The default (system) CAs only: the test certificate does not verify.
  const ws = new WebSocket(URL_, ['v12.stomp'], { perMessageDeflate: false });
  const error = await within(
    'a TLS error',
    new Promise((resolve) => {
      ws.on('error', resolve);
      ws.on('open', () => resolve(new Error('opened')));
    }),
  );
  assert.match(String(error.code), /CERT|ISSUER|SIGNATURE/, String(error));
});
