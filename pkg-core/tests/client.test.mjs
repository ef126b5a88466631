// The size-first client prototype (pkg-core/js/client.js over the no_std core) against a real
// stomp-server over WebSocket, in node with the `ws` package. Started without `init()`: the
// first `activate()` compiles the module.
//
//   cargo build -p stomp-server
//   cargo build -p stomp-wasm-core --release --target wasm32-unknown-unknown
//   node --test pkg-core/tests/client.test.mjs
//
// STOMP_SERVER_BIN overrides the server binary, STOMP_CORE_WASM the module.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startServer, withTimeout } from '../../tests/support/server.mjs';

// Loaded in before(), from a directory laid out as the package will be (client.js with the
// .wasm next to it), so that the module the first activate() compiles is the default one.
let Client;
let ActivationState;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const WebSocket = require('ws');

let server;
let wsUrl;

before(async () => {
  const wasm =
    process.env.STOMP_CORE_WASM ??
    path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'stomp_wasm_core.wasm');
  const pkg = mkdtempSync(path.join(tmpdir(), 'stomp-core-pkg-'));
  copyFileSync(path.join(root, 'pkg-core', 'js', 'client.js'), path.join(pkg, 'client.js'));
  copyFileSync(wasm, path.join(pkg, 'stomp_wasm_core.wasm'));
  ({ Client, ActivationState } = await import(pathToFileURL(path.join(pkg, 'client.js'))));
  let http;
  ({ server, http } = await startServer());
  wsUrl = `ws://${http}/ws`;
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
  assert.equal(got[0].body, text);
  assert.equal(got[0].headers['x-key'], 'a:b\\c');
  assert.equal(got[0].headers.destination, '/topic/core');
  assert.deepEqual([...got[1].binaryBody], [...bin]);

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
