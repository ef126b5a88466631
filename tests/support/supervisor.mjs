// Test supervisor: runs a STOMP broker for the browser and end-to-end tests and lets the tests
// restart it, and puts misbehaving proxies in front of it.
//
//   node tests/support/supervisor.mjs --server target/debug/stomp-server [--state FILE] -- ARGS…
//       runs `stomp-server ARGS… --tcp 127.0.0.1:T --http 127.0.0.1:H` on free ports, and keeps
//       those ports across restarts so that clients reconnect to the same URL.
//   node tests/support/supervisor.mjs --rabbitmq [--state FILE]
//       supervises the RabbitMQ of scripts/rabbitmq.sh (already started) instead.
//
// Once ready it prints one line `supervisor ready {json}` (and writes the JSON to FILE) with:
//   control    http://127.0.0.1:C — POST /restart?down_ms=N[&signal=KILL] stops the broker, waits
//              N ms and starts it again, answering once it listens; POST /stop, POST /start;
//              GET /state. CORS is open: the tests call it from the browser.
//   tcp, http, ws, sockjs    where the broker listens (ws = http + /ws, sockjs = http + /stomp)
//   proxyClose   an HTTP proxy to the broker that destroys every WebSocket upgrade at once
//   proxySwallow an HTTP proxy to the broker that never answers a WebSocket upgrade
//   proxyBuffer  an HTTP proxy to the broker that refuses WebSocket upgrades (403) and holds
//                each response until it ends: streaming transports look dead, polling works
// They are what corporate proxies do (tests/support/proxy.mjs); through the first two, plain
// requests (SockJS's HTTP transports, streaming included) pass untouched.
//
// It stops the broker and exits on SIGINT/SIGTERM, and exits if the broker dies on its own
// (other than through /stop or /restart).
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { proxy } from './proxy.mjs';

const { values: opts, positionals: serverArgs } = parseArgs({
  options: {
    server: { type: 'string' },
    rabbitmq: { type: 'boolean', default: false },
    state: { type: 'string' },
  },
  allowPositionals: true,
});
if (!opts.server && !opts.rabbitmq) fail('give --server PATH or --rabbitmq');
for (const a of serverArgs) {
  if (a === '--tcp' || a === '--http') fail(`${a} is chosen by the supervisor; leave it out`);
}

const LOOPBACK = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
const START_LIMIT_MS = 60_000;

function fail(message) {
  console.error(`supervisor: ${message}`);
  process.exit(2);
}
const log = (message) => console.error(`supervisor: ${message}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port that is free now, outside the usual ephemeral range (32768–60999), so that no
 *  outgoing connection takes it while the broker is down between a stop and a start. */
async function freePort() {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise((resolve) => {
      const probe = createTcpServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, LOOPBACK, () => probe.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found in 20000–32000');
}

/** Our stomp-server as a child process on fixed ports. */
class StompServer {
  constructor(path, args) {
    this.path = path;
    this.args = args;
    this.child = null;
    this.expectedExit = false;
  }

  async init() {
    this.tcp = `${LOOPBACK}:${await freePort()}`;
    this.http = `${LOOPBACK}:${await freePort()}`;
    await this.start();
  }

  get urls() {
    return {
      tcp: this.tcp,
      http: `http://${this.http}`,
      ws: `ws://${this.http}/ws`,
      sockjs: `http://${this.http}/stomp`,
    };
  }

  get running() {
    return this.child !== null;
  }

  async start() {
    if (this.child) return;
    const child = spawn(this.path, [...this.args, '--tcp', this.tcp, '--http', this.http], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.expectedExit = false;
    let seen = '';
    const listening = new Promise((resolve, reject) => {
      const watch = (chunk) => {
        process.stderr.write(chunk);
        if (seen !== null) {
          seen += chunk.toString();
          if (/listening tcp=\S+ http=\S+/.test(seen)) {
            seen = null;
            resolve();
          } else if (seen.length > 1 << 20) {
            seen = seen.slice(-4096);
          }
        }
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.once('exit', (code, signal) => reject(new Error(`stomp-server exited (${code ?? signal}) before listening`)));
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.expectedExit) {
        log(`stomp-server exited unexpectedly (${code ?? signal})`);
        shutdown(1);
      }
    });
    const timer = sleep(START_LIMIT_MS).then(() => { throw new Error('stomp-server did not listen in time'); });
    await Promise.race([listening, timer]);
  }

  async stop(signal = 'SIGTERM') {
    const child = this.child;
    if (!child) return;
    this.expectedExit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const late = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(late);
    this.child = null;
  }
}

/** The RabbitMQ of scripts/rabbitmq.sh: its ports are fixed by its configuration. */
class RabbitMq {
  constructor() {
    this.up = true;
  }

  async init() {}

  get urls() {
    return { tcp: `${LOOPBACK}:61613`, http: `http://${LOOPBACK}:15674`, ws: `ws://${LOOPBACK}:15674/ws` };
  }

  get running() {
    return this.up;
  }

  script(action) {
    return new Promise((resolve, reject) => {
      execFile('bash', ['scripts/rabbitmq.sh', action], (err, stdout, stderr) => {
        process.stderr.write(stdout + stderr);
        if (err) reject(new Error(`rabbitmq.sh ${action} failed: ${err.message}`));
        else resolve();
      });
    });
  }

  async start() {
    await this.script('start');
    this.up = true;
  }

  async stop() {
    this.up = false;
    await this.script('stop');
  }
}

const broker = opts.rabbitmq ? new RabbitMq() : new StompServer(opts.server, serverArgs);
const proxies = [];
let control;
let closing = false;

async function shutdown(code) {
  if (closing) return;
  closing = true;
  for (const p of proxies) p.close();
  control?.close();
  control?.closeAllConnections?.();
  if (broker instanceof StompServer) await broker.stop().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

/** One broker operation at a time: a restart requested during a restart waits its turn. */
let queue = Promise.resolve();
function serialized(op) {
  const next = queue.then(op, op);
  queue = next.catch(() => {});
  return next;
}

async function handleControl(req, res) {
  const url = new URL(req.url ?? '/', 'http://control');
  const reply = (status, body) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'cache-control': 'no-store',
    });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'OPTIONS') return reply(204, {});
  const state = () => ({ running: broker.running, restarts, ...broker.urls });
  if (req.method === 'GET' && url.pathname === '/state') return reply(200, state());
  if (req.method !== 'POST') return reply(405, { error: `${req.method} ${url.pathname}: use POST` });
  const signal = url.searchParams.get('signal') === 'KILL' ? 'SIGKILL' : 'SIGTERM';
  const downMs = Number(url.searchParams.get('down_ms') ?? 0);
  if (!Number.isFinite(downMs) || downMs < 0 || downMs > 60_000) {
    return reply(400, { error: 'down_ms must be between 0 and 60000' });
  }
  const ops = {
    '/stop': () => broker.stop(signal),
    '/start': () => broker.start(),
    '/restart': async () => {
      await broker.stop(signal);
      await sleep(downMs);
      await broker.start();
      restarts += 1;
    },
  };
  const op = ops[url.pathname];
  if (!op) return reply(404, { error: `no such action ${url.pathname} (stop, start, restart, state)` });
  try {
    await serialized(op);
    log(`${url.pathname.slice(1)} done`);
    return reply(200, state());
  } catch (e) {
    log(`${url.pathname.slice(1)} failed: ${e.message}`);
    return reply(500, { error: e.message });
  }
}

let restarts = 0;
try {
  await broker.init();
} catch (e) {
  fail(e.message);
}
control = createServer((req, res) => {
  handleControl(req, res).catch((e) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(e));
  });
});
await new Promise((resolve) => control.listen(0, LOOPBACK, resolve));

const ready = { control: `http://${LOOPBACK}:${control.address().port}`, ...broker.urls };
if (broker instanceof StompServer) {
  const close = await proxy(broker.http, { upgrade: 'close' });
  const swallow = await proxy(broker.http, { upgrade: 'swallow' });
  const buffer = await proxy(broker.http, { upgrade: 'refuse', buffer: true });
  proxies.push(close, swallow, buffer);
  ready.proxyClose = close.url;
  ready.proxySwallow = swallow.url;
  ready.proxyBuffer = buffer.url;
}
const line = JSON.stringify(ready);
if (opts.state) writeFileSync(opts.state, line + '\n');
console.log(`supervisor ready ${line}`);
