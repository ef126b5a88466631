// Figures for docs/BENCHMARKS.md "Client fallback": the npm package as it ships (pkg/, built by
// scripts/build-pkg.sh) and the anchor, stompjs 7.5 over sockjs-client 1.6.1, in headless
// Chromium (playwright-core, /usr/bin/chromium), in one run against the same servers:
//   - activate() → onConnect with the default transports, per case (WebSocket works, a proxy
//     closes / swallows the upgrade, the server has WebSocket off, a proxy that refuses upgrades
//     and buffers responses), median (min–max) over --runs connects after a warm-up, and the
//     transport used;
//   - messages per second per transport (forced with `transports`): one client publishing
//     100-byte bodies to a topic it subscribes to, from the first publish() to the last delivery.
//
//   node tests/interop/sockjs-connect-bench.mjs [--runs N] [--skip-rates] [--explain]
//       --explain prints, per case, the SockJS module's decisions (its debug lines, timed from
//       activate()) for our slowest connect, as the client's `debug` receives them.
//       Run by scripts/bench-sockjs.sh, which builds pkg/, starts the servers and sets
//       STOMP_TEST_HTTP, STOMP_TEST_PROXY_CLOSE, STOMP_TEST_PROXY_SWALLOW,
//       STOMP_TEST_PROXY_BUFFER and STOMP_TEST_HTTP_NO_WS (http://host:port, SockJS at /stomp).
//
// Every connect and every rate runs in a page of its own: both SockJS clients remember per page
// what happened on earlier connects (ours keeps the transport that last worked and demotes a
// WebSocket that failed, pkg-core/js/sockjs.js `plans`), which would turn later samples into a
// different case. Both clients' code is loaded before the clock starts (ours: both modules
// compiled by their init()), so the figures are of connecting, not of loading a library.
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { proxy } from '../support/proxy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'tools', 'package.json'));
const { chromium } = require('playwright-core');

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    'skip-rates': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');
const CONNECT_LIMIT_MS = 20_000;
const RATE_LIMIT_MS = 120_000;

const url = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run through scripts/bench-sockjs.sh`);
  return `${v.replace(/\/+$/, '').replace(/\/stomp$/, '')}/stomp`;
};

// The page's origin: the two clients' files and a page that loads both. The SockJS servers are
// other origins (CORS), as for a page served apart from its broker.
const modules = path.join(root, 'tools', 'node_modules');
const FILES = {
  '/anchor/sockjs.min.js': path.join(modules, 'sockjs-client/dist/sockjs.min.js'),
  '/anchor/stomp.umd.min.js': path.join(modules, '@stomp/stompjs/bundles/stomp.umd.min.js'),
};
for (const f of ['stomp_wasm.js', 'sockjs.js', 'stomp_wasm_core.wasm', 'stomp_wasm_sockjs.wasm']) {
  FILES[`/pkg/${f}`] = path.join(root, 'pkg', f);
}
for (const f of Object.values(FILES)) {
  if (!existsSync(f)) throw new Error(`${f} is missing (scripts/build-pkg.sh, scripts/setup.sh)`);
}
const PAGE = `<!doctype html><meta charset="utf-8"><title>SockJS connect bench</title>
<script src="/anchor/sockjs.min.js"></script>
<script src="/anchor/stomp.umd.min.js"></script>
<script type="module">
  import * as wasm from '/pkg/stomp_wasm.js';
  import { init as initSockJS } from '/pkg/sockjs.js';
  await Promise.all([wasm.init(), initSockJS()]);
  window.StompWasm = wasm;
  window.benchReady = true;
</script>`;
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
const site = createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://site');
  if (pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(PAGE);
  }
  const file = FILES[pathname];
  if (!file) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] });
  createReadStream(file).pipe(res);
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${site.address().port}/`;

const CLIENTS = { ours: 'stomp-wasm', anchor: 'stompjs + sockjs-client' };

// Runs in the page: a client of either kind with the stompjs v7 API, so that everything after
// its construction is the same code for both.
function inPage() {
  window.benchClient = (which, u, transports, debug) => {
    const common = { reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0 };
    const ours = { brokerURL: u, ...(transports ? { transports } : {}), ...(debug ? { debug } : {}) };
    const client =
      which === 'ours'
        ? new window.StompWasm.Client({ ...common, ...ours })
        : new window.StompJs.Client({
            ...common,
            webSocketFactory: () => new window.SockJS(u, null, transports ? { transports } : {}),
          });
    const transport = () => (which === 'ours' ? client.transport : client.webSocket?.transport) ?? '?';
    return { client, transport };
  };
}

let browser;

/** `fn(arg)` evaluated in a fresh page with both clients loaded; the page is closed after. */
async function inFreshPage(fn, arg) {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    await page.waitForFunction(() => window.benchReady === true);
    await page.evaluate(inPage);
    return await page.evaluate(fn, arg);
  } finally {
    await page.close();
  }
}

/** ms from activate() to onConnect, and the transport it connected over. */
function connectOnce({ which, u, limit, explain }) {
  return new Promise((resolve, reject) => {
    const lines = [];
    // The client's own debug lines too; the SockJS module's decisions are the ones that explain.
    const debug =
      explain && which === 'ours'
        ? (m) => m.startsWith('SockJS') && lines.push(`${(performance.now() - start).toFixed(0)} ms: ${m}`)
        : undefined;
    const { client, transport } = window.benchClient(which, u, undefined, debug);
    const timer = setTimeout(() => reject(new Error(`no onConnect from ${u} in ${limit} ms`)), limit);
    let start = 0;
    client.onConnect = () => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      const used = transport();
      client.deactivate().then(() => resolve([ms, used, lines]));
    };
    start = performance.now();
    client.activate();
  });
}

/** msg/s for `count` 100-byte messages published and received over `transports`. */
function rateOnce({ which, u, transports, count, limit }) {
  return new Promise((resolve, reject) => {
    const { client, transport } = window.benchClient(which, u, transports);
    const timer = setTimeout(() => reject(new Error(`rate over ${transports} timed out`)), limit);
    client.onConnect = () => {
      const dest = `/topic/bench-${Math.random().toString(36).slice(2)}`;
      let received = 0;
      let start = 0;
      client.watchForReceipt('sub', () => {
        const body = 'x'.repeat(100);
        start = performance.now();
        for (let i = 0; i < count; i++) client.publish({ destination: dest, body });
      });
      client.subscribe(
        dest,
        () => {
          received += 1;
          if (received === count) {
            const secs = (performance.now() - start) / 1000;
            clearTimeout(timer);
            const used = transport();
            client.deactivate().then(() => resolve([count / secs, used]));
          }
        },
        { receipt: 'sub' },
      );
    };
    client.activate();
  });
}

const fmt = (ms) => ms.toFixed(0);
function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic'],
});
// The swallowing proxy again, in front of the reference SockJS server.
const nodeSwallow = await proxy(new URL(url('STOMP_TEST_SOCKJS_NODE')).host, { upgrade: 'swallow' });
try {
  const cases = [
    ['WebSocket works', url('STOMP_TEST_HTTP')],
    ['proxy closes the upgrade at once', url('STOMP_TEST_PROXY_CLOSE')],
    ['proxy swallows the upgrade (no answer ever)', url('STOMP_TEST_PROXY_SWALLOW')],
    ['server has WebSocket off', url('STOMP_TEST_HTTP_NO_WS')],
    ['proxy refuses the upgrade and buffers responses', url('STOMP_TEST_PROXY_BUFFER')],
    ['sockjs-node server (npm sockjs), WebSocket works', url('STOMP_TEST_SOCKJS_NODE')],
    ['sockjs-node server, proxy swallows the upgrade', `${nodeSwallow.url}/stomp`],
  ];
  // Warm-up: the first pages pay for the browser's own start (and the server's first sessions).
  for (const which of Object.keys(CLIENTS)) {
    await inFreshPage(connectOnce, { which, u: cases[0][1], limit: CONNECT_LIMIT_MS });
  }
  const rows = [];
  for (const [name, u] of cases) {
    const samples = { ours: [], anchor: [] };
    const used = { ours: new Set(), anchor: new Set() };
    let slowest = { ms: -1, lines: [] };
    // Interleaved, so that a burst of load elsewhere on the machine falls on both clients.
    for (let i = 0; i < RUNS; i++) {
      for (const which of Object.keys(CLIENTS)) {
        const [ms, t, lines] = await inFreshPage(connectOnce, { which, u, limit: CONNECT_LIMIT_MS, explain: opts.explain });
        samples[which].push(ms);
        used[which].add(t);
        if (which === 'ours' && ms > slowest.ms) slowest = { ms, lines };
      }
    }
    const row = { name };
    for (const which of Object.keys(CLIENTS)) {
      row[which] = { ...summary(samples[which]), used: [...used[which]].join(', ') };
      const r = row[which];
      console.log(
        `connect ${name}: ${CLIENTS[which]} median ${fmt(r.median)} ms (${fmt(r.min)}–${fmt(r.max)}, n=${RUNS}) over ${r.used}`,
      );
    }
    if (opts.explain) {
      console.log(`  our slowest (${fmt(slowest.ms)} ms):`);
      for (const l of slowest.lines) console.log(`    ${l}`);
    }
    rows.push(row);
  }

  const rates = [];
  if (!opts['skip-rates']) {
    for (const [transport, count] of [
      ['websocket', 5000],
      ['xhr-streaming', 5000],
      ['eventsource', 5000],
      ['xhr-polling', 2000],
    ]) {
      const row = { transport, count };
      for (const which of Object.keys(CLIENTS)) {
        const [rate, used] = await inFreshPage(rateOnce, {
          which,
          u: url('STOMP_TEST_HTTP'),
          transports: [transport],
          count,
          limit: RATE_LIMIT_MS,
        });
        if (used !== transport) throw new Error(`${CLIENTS[which]} asked for ${transport} ran over ${used}`);
        row[which] = rate;
        console.log(`rate ${transport}: ${CLIENTS[which]} ${count} msgs of 100 B = ${rate.toFixed(0)} msg/s`);
      }
      rates.push(row);
    }
  }

  // The tables of docs/BENCHMARKS.md.
  const cell = (r) => `${fmt(r.median)} ms (${fmt(r.min)}–${fmt(r.max)})`;
  const sameTransport = (row) => (row.ours.used === row.anchor.used ? row.ours.used : `${row.ours.used} / ${row.anchor.used}`);
  console.log(`\n| case | stomp-wasm, median (min–max) | stompjs + sockjs-client, median (min–max) | transport used (ours / anchor) |`);
  console.log('| --- | ---: | ---: | --- |');
  for (const row of rows) console.log(`| ${row.name} | ${cell(row.ours)} | ${cell(row.anchor)} | ${sameTransport(row)} |`);
  if (rates.length) {
    const n = (x) => Math.round(x).toLocaleString('en-US');
    console.log(`\n| transport | messages | stomp-wasm msg/s | stompjs + sockjs-client msg/s |`);
    console.log('| --- | ---: | ---: | ---: |');
    for (const r of rates) console.log(`| ${r.transport} | ${n(r.count)} | ${n(r.ours)} | ${n(r.anchor)} |`);
  }
} finally {
  nodeSwallow.close();
  await browser.close();
  site.close();
}
