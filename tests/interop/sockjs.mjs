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
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const SockJS = require('sockjs-client');
const { Client } = require('@stomp/stompjs');

// Every wait is bounded so a broken server fails the test instead of hanging it.
const WAIT_MS = 15000;

let server;
let base;

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

before(async () => {
  const bin = process.env.STOMP_SERVER_BIN ?? path.join(root, 'target', 'debug', 'stomp-server');
  const www = mkdtempSync(path.join(tmpdir(), 'stomp-sockjs-www-'));
  server = spawn(bin, ['--tcp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--www', www, '--clock-ms', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn,stomp_server=info', NO_COLOR: '1' },
  });
  const http = await withTimeout(
    new Promise((resolve, reject) => {
      let seen = '';
      const onData = (chunk) => {
        // Strip ANSI colour codes in case the log is coloured.
        seen += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
        const m = seen.match(/http=(127\.0\.0\.1:\d+)/);
        if (m) resolve(m[1]);
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.on('exit', (code) => reject(new Error(`server exited (${code}): ${seen}`)));
    }),
    'server start',
  );
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
