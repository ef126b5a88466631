// The packed stomp-wasm package in node: import it by name, connect with `ws` through
// webSocketFactory, and chat through the demo's /app handlers.
//
//   STOMP_WS_URL=ws://127.0.0.1:8080/ws node --test node-client.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import init, { Client } from 'stomp-wasm';
import WebSocket from 'ws';

const url = process.env.STOMP_WS_URL;
if (!url) throw new Error('set STOMP_WS_URL to the server WebSocket endpoint');

/** Resolves with the first message the callback accepts; rejects on STOMP or socket errors. */
function connected(extra = {}) {
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new WebSocket(url, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      onConnect: (frame) => resolve({ client, frame }),
      onStompError: (frame) => reject(new Error(`STOMP error: ${frame.headers.message}`)),
      onWebSocketError: () => reject(new Error(`cannot reach ${url}`)),
      ...extra,
    });
    client.activate();
  });
}

test('init() resolves in node', async () => {
  await init();
});

test('connects with ws and negotiates STOMP 1.2', async () => {
  const { client, frame } = await connected();
  assert.equal(frame.command, 'CONNECTED');
  assert.equal(client.connected, true);
  assert.equal(client.connectedVersion, '1.2');
  await client.deactivate();
  assert.equal(client.connected, false);
});

test('publishes to a topic and receives it', async () => {
  const { client } = await connected();
  const got = new Promise((resolve) => {
    client.subscribe('/topic/consumer', (message) => resolve(message));
  });
  // A receipt orders the SUBSCRIBE before the SEND on the server.
  await new Promise((resolve) => {
    client.watchForReceipt('sub-ready', resolve);
    client.publish({ destination: '/topic/void', headers: { receipt: 'sub-ready' } });
  });
  client.publish({ destination: '/topic/consumer', body: 'héllo from node' });
  const message = await got;
  assert.equal(message.body, 'héllo from node');
  assert.equal(message.headers.destination, '/topic/consumer');
  await client.deactivate();
});

test('the demo chat handler stamps a message', async () => {
  const { client } = await connected();
  const got = new Promise((resolve) => {
    client.subscribe('/topic/chat/room/node', (message) => resolve(JSON.parse(message.body)));
  });
  await new Promise((resolve) => {
    client.watchForReceipt('chat-ready', resolve);
    client.publish({ destination: '/topic/void', headers: { receipt: 'chat-ready' } });
  });
  const before = Date.now();
  client.publish({
    destination: '/app/chat/room/node',
    body: JSON.stringify({ nick: ' node\u202e ', text: 'hi' }),
  });
  const msg = await got;
  assert.equal(msg.nick, 'node');
  assert.equal(msg.text, 'hi');
  assert.equal(msg.room, 'node');
  assert.ok(msg.ts >= before, `server time ${msg.ts} stamped after ${before}`);
  await client.deactivate();
});
