// The anchor for docs/BENCHMARKS.md "Client fallback": stompjs 7.5 over sockjs-client 1.6.1 in
// headless Chromium (playwright-core, /usr/bin/chromium), measured the same way as
// tests/bench_sockjs.rs measures stomp-wasm: activate() → onConnect per case, and msg/s per
// transport (one client publishing 100-byte bodies to a topic it subscribes to).
//
//   node tests/interop/sockjs-anchor-bench.mjs   (run by scripts/bench-sockjs.sh, which starts
//                                                 the servers and sets the variables below)
//
// STOMP_TEST_HTTP, STOMP_TEST_PROXY_CLOSE, STOMP_TEST_PROXY_SWALLOW, STOMP_TEST_HTTP_NO_WS:
// http://host:port of each server (SockJS at /stomp).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const { chromium } = require('playwright-core');
const modules = path.join(root, 'tools', 'node_modules');
const stompjs = readFileSync(path.join(modules, '@stomp/stompjs/bundles/stomp.umd.min.js'), 'utf8');
const sockjs = readFileSync(path.join(modules, 'sockjs-client/dist/sockjs.min.js'), 'utf8');

const url = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return `${v.replace(/\/stomp$/, '')}/stomp`;
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic'],
});
try {
  const page = await browser.newPage();
  // An http origin for the page (CORS), served by the broker itself: its /stomp/info is
  // enough of a document to host the scripts.
  await page.goto(`${url('STOMP_TEST_HTTP')}/iframe.html`);
  await page.addScriptTag({ content: sockjs });
  await page.addScriptTag({ content: stompjs });

  const connectOnce = (u, transports) =>
    page.evaluate(
      ([u, transports]) =>
        new Promise((resolve, reject) => {
          const start = performance.now();
          const client = new StompJs.Client({
            webSocketFactory: () => new SockJS(u, null, transports ? { transports } : {}),
            reconnectDelay: 0,
            heartbeatIncoming: 0,
            heartbeatOutgoing: 0,
          });
          const timer = setTimeout(() => reject(new Error(`no onConnect from ${u}`)), 15000);
          client.onConnect = () => {
            const ms = performance.now() - start;
            const t = client.webSocket?.transport ?? '?';
            clearTimeout(timer);
            client.deactivate().then(() => resolve([ms, t]));
          };
          client.activate();
        }),
      [u, transports],
    );

  const cases = [
    ['unblocked', url('STOMP_TEST_HTTP')],
    ['upgrade closed at once', url('STOMP_TEST_PROXY_CLOSE')],
    ['upgrade swallowed', url('STOMP_TEST_PROXY_SWALLOW')],
    ['websocket disabled', url('STOMP_TEST_HTTP_NO_WS')],
  ];
  await connectOnce(cases[0][1]);
  for (const [name, u] of cases) {
    const samples = [];
    let used = '';
    for (let i = 0; i < 9; i++) {
      const [ms, t] = await connectOnce(u);
      samples.push(ms);
      used = t;
    }
    samples.sort((a, b) => a - b);
    console.log(
      `ANCHOR connect ${name}: median ${samples[4].toFixed(0)} ms (min ${samples[0].toFixed(0)}, max ${samples[8].toFixed(0)}, n=9) over ${used}`,
    );
  }

  for (const [transport, count] of [
    ['websocket', 5000],
    ['xhr-streaming', 5000],
    ['eventsource', 5000],
    ['xhr-polling', 2000],
  ]) {
    const rate = await page.evaluate(
      ([u, transport, count]) =>
        new Promise((resolve, reject) => {
          const client = new StompJs.Client({
            webSocketFactory: () => new SockJS(u, null, { transports: [transport] }),
            reconnectDelay: 0,
            heartbeatIncoming: 0,
            heartbeatOutgoing: 0,
          });
          const timer = setTimeout(() => reject(new Error(`rate over ${transport} timed out`)), 60000);
          client.onConnect = () => {
            const dest = `/topic/anchor-${Math.random()}`;
            let received = 0;
            let start = 0;
            client.subscribe(
              dest,
              () => {
                received += 1;
                if (received === count) {
                  const secs = (performance.now() - start) / 1000;
                  clearTimeout(timer);
                  client.deactivate().then(() => resolve(count / secs));
                }
              },
              { receipt: 'sub' },
            );
            client.watchForReceipt('sub', () => {
              const body = 'x'.repeat(100);
              start = performance.now();
              for (let i = 0; i < count; i++) client.publish({ destination: dest, body });
            });
          };
          client.activate();
        }),
      [url('STOMP_TEST_HTTP'), transport, count],
    );
    console.log(`ANCHOR rate ${transport}: ${count} msgs of 100 B = ${rate.toFixed(0)} msg/s`);
  }
} finally {
  await browser.close();
}
