// Receive-path benchmark in node: decode + deliver to a JS callback, stomp-wasm vs @stomp/stompjs,
// on the same frames, through the same fake WebSocket given to both via `webSocketFactory`.
//
//   scripts/bench-receive.sh            (builds the package, then runs this)
//   node benches/receive.mjs <pkg dir> [frames]
//
// Each frame arrives as its own WebSocket message (what brokers do), as text and then as an
// ArrayBuffer. The callback reads `body` so both clients decode it. One run per case, after a
// warm-up, in each of several alternating rounds; read the figures as a range on a shared
// machine.

import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const pkgDir = path.resolve(process.argv[2] ?? 'pkg');
const FRAMES = Number(process.argv[3] ?? 200000);
const toolsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../tools');
const only = process.env.BENCH_ONLY;

// The package as it ships (scripts/build-pkg.sh), through its node entry, which compiles the
// core from the file on import: what `import { Client } from 'stomp-wasm'` gives in node.
const ours = only === 'ours' ? await import(path.join(pkgDir, 'node/index.js')) : null;
const stompjs = await import(path.join(toolsDir, 'node_modules/@stomp/stompjs/esm6/index.js'));

// A 245-byte MESSAGE frame (the size of the stompjs anchor figures).
function messageFrame(i) {
  const head = `MESSAGE\ndestination:/topic/bench\nmessage-id:m-${String(i).padStart(8, '0')}\nsubscription:SUB\ncontent-type:text/plain\n`;
  let body = 'x'.repeat(245 - head.length - 'content-length:NNN\n\n\0'.length);
  return `${head}content-length:${body.length}\n\n${body}\0`;
}

class FakeSocket {
  constructor() {
    this.readyState = 0;
    this.protocol = 'v12.stomp';
    this.binaryType = 'blob';
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    this.sent = [];
  }
  send(data) { this.sent.push(data); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen?.({}); }
  deliver(data) { this.onmessage({ data }); }
}

const CONNECTED = 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0';

async function setup(kind) {
  const socket = new FakeSocket();
  const config = {
    webSocketFactory: () => socket,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
  };
  const Client = kind === 'ours' ? ours.Client : stompjs.Client;
  const client = new Client(config);
  client.activate();
  // stompjs v7 creates its socket after an await (beforeConnect): let that run.
  await new Promise((resolve) => setImmediate(resolve));
  socket.open();
  socket.deliver(CONNECTED);
  if (!client.connected) throw new Error(`${kind}: not connected`);
  let count = 0;
  let bytes = 0;
  client.subscribe('/topic/bench', (m) => { count += 1; bytes += m.body.length; }, { id: 'SUB' });
  return { socket, client, stats: () => ({ count, bytes }) };
}

// BENCH_PROFILE=dir writes a CPU profile of each measured run (not the warm-up) to dir, for
// Chrome DevTools or a script; build with `wasm-opt -g` to keep Wasm function names.
const profileDir = process.env.BENCH_PROFILE;
const inspectorSession = profileDir ? new inspector.Session() : null;
inspectorSession?.connect();
const inspect = (method) => new Promise((resolve, reject) => {
  inspectorSession.post(method, {}, (err, result) => (err ? reject(err) : resolve(result)));
});

async function run(kind, frames, label, profile = false) {
  const { socket, client, stats } = await setup(kind);
  if (profile) {
    await inspect('Profiler.enable');
    await inspect('Profiler.start');
  }
  const start = process.hrtime.bigint();
  for (const f of frames) socket.deliver(f);
  const ns = Number(process.hrtime.bigint() - start);
  if (profile) {
    const { profile: data } = await inspect('Profiler.stop');
    fs.mkdirSync(profileDir, { recursive: true });
    fs.writeFileSync(path.join(profileDir, `${kind}-${label.replace(/ /g, '-')}.cpuprofile`), JSON.stringify(data));
  }
  const { count, bytes } = stats();
  if (count !== frames.length) throw new Error(`${kind}: delivered ${count} of ${frames.length}`);
  client.forceDisconnect?.();
  const rate = frames.length / (ns / 1e9);
  console.log(`${label.padEnd(28)} ${kind.padEnd(8)} ${Math.round(rate).toString().padStart(9)} frames/s  (${(ns / 1e6).toFixed(0)} ms, ${bytes} body bytes)`);
  return rate;
}

if (!only) {
  // Each client in its own process, so neither pays for the other's garbage. BENCH_ROUNDS
  // rounds (default 3) alternate the two clients, so both see the same share of a shared
  // machine's load; each ratio is taken within one round, and the median round is reported.
  //
  // Both run with `--no-wasm-dynamic-tiering` (BENCH_NODE_FLAGS to change): V8 then compiles
  // Wasm with its optimizing tier up front, as it does lazily once code is hot. Without it, when
  // the hot functions move up during a measured run varies from process to process (the same
  // build measured 245k–384k frames/s in one sitting). The flag does nothing to JavaScript, so
  // stompjs runs as before.
  const { execFileSync } = await import('node:child_process');
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '--no-wasm-dynamic-tiering').split(' ').filter(Boolean);
  console.log(`node flags: ${nodeFlags.join(' ') || '(none)'}`);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const ratios = { text: [], arraybuffer: [] };
  for (let round = 1; round <= rounds; round += 1) {
    const rates = {};
    for (const kind of ['ours', 'stompjs']) {
      const out = execFileSync(process.execPath, [...nodeFlags, new URL(import.meta.url).pathname, ...process.argv.slice(2)], {
        env: { ...process.env, BENCH_ONLY: kind },
        encoding: 'utf8',
      });
      process.stdout.write(out);
      for (const line of out.split('\n')) {
        const m = line.match(/^RESULT (\S+) (\S+) ([\d.]+)$/);
        if (m) rates[`${m[1]} ${m[2]}`] = Number(m[3]);
      }
    }
    for (const label of Object.keys(ratios)) {
      const ratio = rates[`ours ${label}`] / rates[`stompjs ${label}`];
      ratios[label].push(ratio);
      console.log(`round ${round}, ${label} messages: stomp-wasm / stompjs = ${ratio.toFixed(2)}x`);
    }
  }
  for (const [label, list] of Object.entries(ratios)) {
    const sorted = [...list].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const all = list.map((r) => r.toFixed(2)).join(', ');
    console.log(`${label} messages: stomp-wasm / stompjs = ${median.toFixed(2)}x (median of ${list.length} rounds: ${all})`);
  }
  process.exit(0);
}

const text = Array.from({ length: FRAMES }, (_, i) => messageFrame(i));
const encoder = new TextEncoder();
const binary = text.map((t) => encoder.encode(t).buffer);
console.log(`${only}: ${FRAMES} frames of ${encoder.encode(text[0]).length} bytes, node ${process.version}`);

// Warm-up (JIT), then one measured run per case.
await run(only, text.slice(0, 20000), 'warm-up text');
// BENCH_CASE=text|arraybuffer measures one case only (for profiling: node --cpu-prof).
const cases = [['text messages', 'text', text], ['ArrayBuffer messages', 'arraybuffer', binary]]
  .filter(([, key]) => !process.env.BENCH_CASE || process.env.BENCH_CASE === key);
for (const [label, key, frames] of cases) {
  const rate = await run(only, frames, label, Boolean(profileDir));
  console.log(`RESULT ${only} ${key} ${rate.toFixed(0)}`);
}
