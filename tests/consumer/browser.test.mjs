// The Vite build of this app (dist/, served by stomp-server as its www) in headless Chromium:
// the bundled .wasm loads, connects, and a message makes the round trip.
//
//   STOMP_HTTP_URL=http://127.0.0.1:8080 node --test browser.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const fromTools = createRequire(new URL('../../tools/package.json', import.meta.url));
const { chromium } = fromTools('playwright-core');

const base = process.env.STOMP_HTTP_URL;
if (!base) throw new Error('set STOMP_HTTP_URL to a stomp-server serving tests/consumer/dist');

test('the bundled app instantiates the wasm and round-trips a message', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`${base}/`);
    // A hang guard, not a measurement.
    await page.waitForFunction(() => document.getElementById('out').textContent.startsWith('echo:'),
      null, { timeout: 20_000 });
    assert.equal(await page.textContent('#out'), 'echo: hello from a Vite build');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
