// A stomp-server for node tests: started on free loopback ports with an empty www directory,
// its HTTP address read from its log, every wait bounded.
//
//   const { server, http } = await startServer(['--clock-ms', '0']);   // http = '127.0.0.1:N'
//   await startServer([], { http });                                  // again on that address
//   ... server.kill('SIGTERM');
//
// STOMP_SERVER_BIN overrides the binary (default target/debug/stomp-server).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Every wait is bounded so a broken server fails the test instead of hanging it.
export const WAIT_MS = 15000;

export function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// `http` picks the HTTP listener's address (default a free port), e.g. to restart a killed
// server where its clients will look for it.
export async function startServer(extraArgs = [], { http: httpAddr = '127.0.0.1:0' } = {}) {
  const bin = process.env.STOMP_SERVER_BIN ?? path.join(root, 'target', 'debug', 'stomp-server');
  const www = mkdtempSync(path.join(tmpdir(), 'stomp-test-www-'));
  const server = spawn(bin, ['--tcp', '127.0.0.1:0', '--http', httpAddr, '--www', www, ...extraArgs], {
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
  return { server, http };
}
