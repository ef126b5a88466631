// The chat demo end to end in headless Chromium: two pages in one room, one on WebSocket and one
// forced onto xhr-polling (the client's SockJS fallback), chatting through
// stomp-server's /app handlers. Saves a screenshot of each page to tests/artifacts/.
//
//   STOMP_HTTP_URL=http://127.0.0.1:8080 node --test tests/e2e/
// (scripts/test-e2e.sh starts the server and sets it.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// playwright-core is one of the tools (tools/package.json, installed by scripts/setup.sh).
const fromTools = createRequire(new URL('../../tools/package.json', import.meta.url));
const { chromium } = fromTools('playwright-core');

const base = process.env.STOMP_HTTP_URL;
if (!base) throw new Error('set STOMP_HTTP_URL to the server (serving www/ with www/pkg/)');
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
// A hang guard for each wait, not a measurement.
const WAIT = { timeout: 20_000 };
const room = `e2e-${process.pid}`;

let browser;
before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
});

async function open(nick, transport, theme) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  const q = new URLSearchParams({ nick, room, transport, autoconnect: '1' });
  await page.goto(`${base}/?${q}`);
  await page.waitForSelector('#status[data-state="connected"]', WAIT);
  return { page, errors };
}

/** Waits until a message with `text` from `nick`, stamped by the server (not the greyed copy
 *  the sender shows while it is on its way), is on the page. */
async function sawMessage(page, nick, text) {
  await page.waitForFunction(
    ([n, t]) => [...document.querySelectorAll('.msg:not(.pending)')].some(
      (m) => m.dataset.nick === n && m.querySelector('.text')?.textContent === t),
    [nick, text], WAIT);
}

/** How many times `text` is shown as a message (pending copies included). */
async function timesShown(page, text) {
  return page.$$eval('.msg .text', (els, t) => els.filter((e) => e.textContent === t).length, text);
}

/** Asks the test supervisor (scripts/serve-test.sh) to stop or start the server. */
async function control(action) {
  const url = process.env.STOMP_TEST_CONTROL;
  if (!url) throw new Error('set STOMP_TEST_CONTROL (scripts/test-e2e.sh runs the server under the test supervisor)');
  const res = await fetch(`${url}/${action}`, { method: 'POST' });
  assert.equal(res.status, 200, `${action}: ${await res.text()}`);
}

async function roster(page) {
  return page.$$eval('#roster li > span:nth-child(2)', (spans) => spans.map((s) => s.textContent));
}

test('two pages chat, one on WebSocket and one on a fallback transport', async () => {
  const alice = await open('alice', 'websocket', 'light');
  const bob = await open('bob', 'xhr-polling', 'dark');

  // The welcome (a one-time reply to SUBSCRIBE /app/welcome) and the clock (/topic/clock).
  await alice.page.waitForSelector('.sys.welcome', WAIT);
  await alice.page.waitForFunction(() => /\d\d:\d\d:\d\d/.test(document.getElementById('clock').textContent), null, WAIT);

  // Presence: both in alice's roster.
  await alice.page.waitForFunction(
    () => document.getElementById('roster-count').textContent === '2', null, WAIT);
  assert.deepEqual((await roster(alice.page)).sort(), ['alice', 'bob']);

  await bob.page.fill('#text', 'hello from bob');
  await bob.page.press('#text', 'Enter');
  await sawMessage(alice.page, 'bob', 'hello from bob');
  await sawMessage(bob.page, 'bob', 'hello from bob');

  await alice.page.fill('#text', 'hi bob <b>not bold</b>');
  await alice.page.click('#send');
  await sawMessage(bob.page, 'alice', 'hi bob <b>not bold</b>');
  // Rendered as text, never as markup.
  assert.equal(await bob.page.$$eval('.msg .text b', (b) => b.length), 0);
  // Own messages are told apart by the member tag the server stamps (not the session id).
  assert.equal(await alice.page.$$eval('.msg.mine', (m) => m.length), 1);

  assert.equal(await alice.page.textContent('#fact-transport'), 'websocket');
  // bob's page forced the client onto SockJS xhr-polling, and says so.
  assert.equal(await bob.page.evaluate(() => window.chatClient.transport), 'xhr-polling');
  assert.equal(await bob.page.textContent('#fact-transport'), 'xhr-polling');

  await alice.page.screenshot({ path: `${artifacts}chat-alice-light.png`, animations: 'disabled' });
  await bob.page.screenshot({ path: `${artifacts}chat-bob-dark.png`, animations: 'disabled' });

  // Rooms alice is not looking at count unread messages (wildcard subscriptions), and keep them.
  await alice.page.fill('#new-room-name', `${room}-b`);
  await alice.page.press('#new-room-name', 'Enter');
  await alice.page.waitForFunction((r) => document.getElementById('room-title').textContent === `#${r}`, `${room}-b`, WAIT);
  await bob.page.fill('#text', 'while you were away');
  await bob.page.press('#text', 'Enter');
  const roomButton = `#rooms button:has(span:text-is("${room}"))`;
  const badge = `${roomButton} .badge`;
  await alice.page.locator(badge).filter({ hasText: '1' }).waitFor(WAIT);
  await alice.page.click(roomButton);
  await sawMessage(alice.page, 'bob', 'while you were away');
  assert.equal(await alice.page.locator(badge).textContent(), '');

  // bob leaves: alice sees it and her roster shrinks.
  await bob.page.click('#disconnect');
  await alice.page.waitForFunction(
    () => document.getElementById('roster-count').textContent === '1', null, WAIT);
  await alice.page.waitForFunction(
    () => [...document.querySelectorAll('.sys')].some((li) => li.textContent === 'bob left'), null, WAIT);

  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);
});

test('a dropped connection comes back: the page reconnects, rejoins and keeps its history', async () => {
  const r = `${room}-reconnect`;
  const openIn = async (nick) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/?${new URLSearchParams({ nick, room: r, transport: 'websocket', autoconnect: '1' })}`);
    await page.waitForSelector('#status[data-state="connected"]', WAIT);
    return page;
  };
  const carol = await openIn('carol');
  const dave = await openIn('dave');
  await carol.waitForFunction(() => document.getElementById('roster-count').textContent === '2', null, WAIT);
  await dave.fill('#text', 'before the drop');
  await dave.press('#text', 'Enter');
  await sawMessage(carol, 'dave', 'before the drop');

  // The socket dies under carol (as on a network change); the client reconnects by itself.
  await carol.evaluate(() => window.chatClient.forceDisconnect());
  // dave sees the old session go (the server's disconnect hook) and the new one join.
  await dave.waitForFunction(() => {
    const notices = [...document.querySelectorAll('.sys')].map((li) => li.textContent);
    const left = notices.indexOf('carol left');
    return left >= 0 && notices.indexOf('carol joined', left) > left;
  }, null, WAIT);
  await carol.waitForSelector('#status[data-state="connected"]', WAIT);
  await dave.fill('#text', 'after the drop');
  await dave.press('#text', 'Enter');
  await sawMessage(carol, 'dave', 'after the drop');
  await sawMessage(carol, 'dave', 'before the drop');
  assert.deepEqual((await roster(dave)).sort(), ['carol', 'dave']);
  await carol.context().close();
  await dave.context().close();
});

test('the server restarts mid-chat: both pages come back and no message is lost', async () => {
  const r = `${room}-restart`;
  const openIn = async (nick, transport) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`${base}/?${new URLSearchParams({ nick, room: r, transport, autoconnect: '1' })}`);
    await page.waitForSelector('#status[data-state="connected"]', WAIT);
    return { page, errors };
  };
  const erin = await openIn('erin', 'websocket');
  const frank = await openIn('frank', 'xhr-polling');
  await erin.page.waitForFunction(() => document.getElementById('roster-count').textContent === '2', null, WAIT);
  await frank.page.fill('#text', 'before the restart');
  await frank.page.press('#text', 'Enter');
  await sawMessage(erin.page, 'frank', 'before the restart');

  await control('stop');
  for (const p of [erin.page, frank.page]) {
    await p.waitForSelector('#status:not([data-state="connected"])', WAIT);
  }
  // Typed while the server is down: held by each client's offline queue.
  await frank.page.fill('#text', 'typed while the server was down');
  await frank.page.press('#text', 'Enter');
  await erin.page.fill('#text', 'me too');
  await erin.page.press('#text', 'Enter');
  assert.equal(await frank.page.locator('.msg.pending').count(), 1);

  await control('start');
  for (const p of [erin.page, frank.page]) {
    await p.waitForSelector('#status[data-state="connected"]', WAIT);
  }
  assert.equal(await frank.page.textContent('#fact-transport'), 'xhr-polling');
  for (const p of [erin.page, frank.page]) {
    await sawMessage(p, 'frank', 'typed while the server was down');
    await sawMessage(p, 'erin', 'me too');
  }
  await erin.page.fill('#text', 'after the restart');
  await erin.page.press('#text', 'Enter');
  await sawMessage(frank.page, 'erin', 'after the restart');
  // Each message exactly once on each page, in the room's stamped order for the live ones.
  for (const p of [erin.page, frank.page]) {
    for (const t of ['before the restart', 'typed while the server was down', 'me too', 'after the restart']) {
      assert.equal(await timesShown(p, t), 1, `"${t}" shown once`);
    }
    assert.equal(await p.locator('.msg.pending').count(), 0);
  }
  // Both are back in the room on the new server.
  await erin.page.waitForFunction(() => document.getElementById('roster-count').textContent === '2', null, WAIT);
  await frank.page.screenshot({ path: `${artifacts}chat-after-restart.png`, animations: 'disabled' });
  assert.deepEqual(erin.errors, []);
  assert.deepEqual(frank.errors, []);
  await erin.page.context().close();
  await frank.page.context().close();
});

test('a narrow screen gets the one-column layout', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  const q = new URLSearchParams({ nick: 'mobile', room, transport: 'websocket', autoconnect: '1' });
  await page.goto(`${base}/?${q}`);
  await page.waitForSelector('#status[data-state="connected"]', WAIT);
  const columns = await page.$eval('#app', (el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
  assert.equal(columns, 1);
  await page.screenshot({ path: `${artifacts}chat-mobile.png`, animations: 'disabled' });
  await context.close();
});
