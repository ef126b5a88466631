// A SockJS gateway built on the reference SockJS server (npm `sockjs` 0.3.24): it serves SockJS
// at /stomp and pipes each SockJS connection to a STOMP broker's TCP port. The browser tests
// (tests/web_sockjs.rs, `STOMP_TEST_SOCKJS_GATEWAY`) run the Wasm client's SockJS transports
// against it, so the client is checked against a SockJS server no one here wrote.
//
//   node tests/interop/sockjs-gateway.mjs --stomp 127.0.0.1:61613 [--port 0] [--state FILE]
//
// Prints `sockjs-gateway ready {"url":"http://127.0.0.1:P/stomp"}` (and writes the JSON to
// FILE). Text only: STOMP bytes from the broker are decoded as UTF-8 for SockJS, which carries
// strings; binary bodies need the base64 convention our own SockJS endpoint applies
// (docs/SOCKJS.md), which a plain pipe does not.
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const sockjs = require('sockjs');

const { values: opts } = parseArgs({
  options: {
    stomp: { type: 'string' },
    port: { type: 'string', default: '0' },
    state: { type: 'string' },
    // Small, so the browser tests cross several streaming re-opens quickly.
    'response-limit': { type: 'string', default: '8192' },
  },
});
if (!opts.stomp) {
  console.error('sockjs-gateway: give --stomp HOST:PORT');
  process.exit(2);
}
const [stompHost, stompPort] = opts.stomp.split(':');
// Bounds: a connection whose broker side lags by more than this is closed.
const MAX_BUFFERED = 4 * 1024 * 1024;

const service = sockjs.createServer({
  prefix: '/stomp',
  response_limit: Number(opts['response-limit']),
  log: () => {},
});

service.on('connection', (conn) => {
  if (!conn) return;
  const tcp = connect(Number(stompPort), stompHost);
  const text = new StringDecoder('utf8');
  tcp.on('data', (chunk) => {
    const s = text.write(chunk);
    if (s) conn.write(s);
  });
  tcp.on('close', () => conn.close(1000, 'Normal closure'));
  tcp.on('error', () => conn.close(1011, 'Broker unreachable'));
  conn.on('data', (message) => {
    if (tcp.writableLength > MAX_BUFFERED) {
      conn.close(1009, 'Broker too slow');
      tcp.destroy();
      return;
    }
    tcp.write(message);
  });
  conn.on('close', () => tcp.destroy());
});

const server = createServer();
service.installHandlers(server);
server.listen(Number(opts.port), '127.0.0.1', () => {
  const { port } = server.address();
  const state = JSON.stringify({ url: `http://127.0.0.1:${port}/stomp` });
  if (opts.state) writeFileSync(opts.state, state);
  console.log(`sockjs-gateway ready ${state}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
