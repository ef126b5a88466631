// Interop: sockjs-client 1.6.1 + @stomp/stompjs 7.5 (the JavaScript stack users already run)
// against stomp-server's SockJS endpoint, once per transport a Wasm-capable browser would use:
// websocket, xhr-streaming, eventsource, xhr-polling. Each connects, subscribes, publishes and
// receives its own message.
//
//   cargo build -p stomp-server && (cd tools && npm install)
//   node --test tests/interop/sockjs.mjs
//
// STOMP_SERVER_BIN overrides the server binary (default target/debug/stomp-server).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer, withTimeout } from '../support/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const SockJS = require('sockjs-client');
const { Client } = require('@stomp/stompjs');

let server;
let base;

before(async () => {
  let http;
  ({ server, http } = await startServer(['--clock-ms', '0']));
  base = `http://${http}/stomp`;
});

after(() => {
  server?.kill('SIGTERM');
});

for (const transport of ['websocket', 'xhr-streaming', 'eventsource', 'xhr-polling']) {
  test(`stompjs over sockjs-client ${transport}: connect, subscribe, publish, receive`, async () => {
    let sock;
    const client = new Client({
      webSocketFactory: () => {
        sock = new SockJS(base, null, { transports: [transport] });
        return sock;
      },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
    });
    const destination = `/topic/interop-${transport}`;
    const body = `hello over ${transport}: ünïcödé \u2028 "quoted" %41`;
    try {
      await withTimeout(
        new Promise((resolve, reject) => {
          client.onConnect = () => resolve();
          client.onStompError = (f) => reject(new Error(f.headers.message));
          client.onWebSocketClose = (e) => reject(new Error(`closed before CONNECTED: ${e?.code}`));
          client.activate();
        }),
        'CONNECTED',
      );
      assert.equal(sock.transport, transport, 'sockjs-client used the requested transport');
      client.onWebSocketClose = () => {};
      const received = new Promise((resolve) => {
        client.subscribe(destination, (m) => resolve(m));
      });
      // A receipt on a later frame orders it after the SUBSCRIBE.
      const receipt = new Promise((resolve) => client.watchForReceipt('r1', resolve));
      client.publish({ destination: '/topic/interop-warmup', headers: { receipt: 'r1' }, body: 'x' });
      await withTimeout(receipt, 'RECEIPT');
      client.publish({ destination, body });
      const message = await withTimeout(received, 'MESSAGE');
      assert.equal(message.body, body);
      assert.equal(message.headers.destination, destination);
    } finally {
      await client.deactivate();
    }
  });
}
