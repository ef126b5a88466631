// The chat demo end to end in a real browser: two pages in one room, one on WebSocket and one
// forced onto xhr-polling (the client's SockJS fallback), chatting through
// stomp-server's /app handlers. Saves a screenshot of each page to tests/artifacts/.
//
//   STOMP_HTTP_URL=http://127.0.0.1:8080 ENGINE=firefox node --test tests/e2e/
// (scripts/test-e2e.sh starts the server and sets it.) ENGINE is chromium (default, through
// Playwright), firefox or webkit (through WebDriver; webkit needs a display, e.g. xvfb-run).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openBrowser } from './pages.mjs';

const engine = process.env.ENGINE ?? 'chromium';
const base = process.env.STOMP_HTTP_URL;
if (!base) throw new Error('set STOMP_HTTP_URL to the server (serving www/ with www/pkg/)');
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
const room = `e2e-${process.pid}`;
// Other engines' screenshots carry the engine's name, so runs in several engines keep them all.
const shot = (name) => `${artifacts}${name}${engine === 'chromium' ? '' : `-${engine}`}.png`;

let browser;
before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await openBrowser(engine);
});
after(async () => {
  await browser?.close();
});

/** A page of the chat as `nick`, connected; closed by the caller. */
async function open(nick, transport, { theme = 'light', r = room, width } = {}) {
  const page = await browser.newPage({ theme, width });
  const q = new URLSearchParams({ nick, room: r, transport, autoconnect: '1' });
  await page.goto(`${base}/?${q}`);
  await waitConnected(page);
  return page;
}

const waitConnected = (page) =>
  page.waitFor(() => document.querySelector('#status[data-state="connected"]') !== null);
const textOf = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent, selector);
const count = (page, selector) => page.evaluate((s) => document.querySelectorAll(s).length, selector);
const rosterCount = (page, n) =>
  page.waitFor((c) => document.getElementById('roster-count').textContent === c, String(n));

/** Waits until a message with `text` from `nick`, stamped by the server (not the greyed copy
 *  the sender shows while it is on its way), is on the page. */
async function sawMessage(page, nick, text) {
  await page.waitFor(
    ([n, t]) => [...document.querySelectorAll('.msg:not(.pending)')].some(
      (m) => m.dataset.nick === n && m.querySelector('.text')?.textContent === t),
    [nick, text]);
}

/** How many times `text` is shown as a message (pending copies included). */
async function timesShown(page, text) {
  return page.evaluate((t) => [...document.querySelectorAll('.msg .text')].filter((e) => e.textContent === t).length, text);
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** Asks the test supervisor (scripts/serve-test.sh) to stop or start the server. */
async function control(action) {
  const url = process.env.STOMP_TEST_CONTROL;
  if (!url) throw new Error('set STOMP_TEST_CONTROL (scripts/test-e2e.sh runs the server under the test supervisor)');
  const res = await fetch(`${url}/${action}`, { method: 'POST' });
  assert.equal(res.status, 200, `${action}: ${await res.text()}`);
}

async function roster(page) {
  return page.evaluate(() => [...document.querySelectorAll('#roster li > span:nth-child(2)')].map((s) => s.textContent));
}

/** In the page: the button of room `r` in the room list or, given `part`, the text of that
 *  part of it (the list is rebuilt on every change, so it is looked up each time). */
const roomButton = ([r, part]) => {
  const button = [...document.querySelectorAll('#rooms button')]
    .find((b) => [...b.querySelectorAll('span')].some((s) => s.textContent === r));
  return part ? button?.querySelector(part)?.textContent : button;
};

test('two pages chat, one on WebSocket and one on a fallback transport', async () => {
  const alice = await open('alice', 'websocket', { theme: 'light' });
  const bob = await open('bob', 'xhr-polling', { theme: 'dark' });

  // The welcome (a one-time reply to SUBSCRIBE /app/welcome) and the clock (/topic/clock).
  await alice.waitFor(() => document.querySelector('.sys.welcome') !== null);
  await alice.waitFor(() => /\d\d:\d\d:\d\d/.test(document.getElementById('clock').textContent));

  // Presence: both in alice's roster.
  await rosterCount(alice, 2);
  assert.deepEqual((await roster(alice)).sort(), ['alice', 'bob']);

  await say(bob, 'hello from bob');
  await sawMessage(alice, 'bob', 'hello from bob');
  await sawMessage(bob, 'bob', 'hello from bob');

  await alice.fill('#text', 'hi bob <b>not bold</b>');
  await alice.click('#send');
  await sawMessage(bob, 'alice', 'hi bob <b>not bold</b>');
  // Rendered as text, never as markup.
  assert.equal(await count(bob, '.msg .text b'), 0);
  // Own messages are told apart by the member tag the server stamps (not the session id).
  assert.equal(await count(alice, '.msg.mine'), 1);

  assert.equal(await textOf(alice, '#fact-transport'), 'websocket');
  // bob's page forced the client onto SockJS xhr-polling, and says so.
  assert.equal(await bob.evaluate(() => window.chatClient.transport), 'xhr-polling');
  assert.equal(await textOf(bob, '#fact-transport'), 'xhr-polling');

  await alice.screenshot(shot('chat-alice-light'));
  await bob.screenshot(shot('chat-bob-dark'));

  // Rooms alice is not looking at count unread messages (wildcard subscriptions), and keep them.
  await alice.fill('#new-room-name', `${room}-b`);
  await alice.press('#new-room-name', 'Enter');
  await alice.waitFor((r) => document.getElementById('room-title').textContent === `#${r}`, `${room}-b`);
  await say(bob, 'while you were away');
  await alice.waitFor(roomButton, [room, '.badge']);
  assert.equal(await alice.evaluate(roomButton, [room, '.badge']), '1');
  await alice.click(roomButton, [room]);
  await sawMessage(alice, 'bob', 'while you were away');
  assert.equal(await alice.evaluate(roomButton, [room, '.badge']), '');

  // bob leaves: alice sees it and her roster shrinks.
  await bob.click('#disconnect');
  await rosterCount(alice, 1);
  await alice.waitFor(() => [...document.querySelectorAll('.sys')].some((li) => li.textContent === 'bob left'));

  assert.deepEqual(await alice.errors(), []);
  assert.deepEqual(await bob.errors(), []);
  await alice.close();
  await bob.close();
});

test('a dropped connection comes back: the page reconnects, rejoins and keeps its history', async () => {
  const r = `${room}-reconnect`;
  const carol = await open('carol', 'websocket', { r });
  const dave = await open('dave', 'websocket', { r });
  await rosterCount(carol, 2);
  await say(dave, 'before the drop');
  await sawMessage(carol, 'dave', 'before the drop');

  // The socket dies under carol (as on a network change); the client reconnects by itself.
  await carol.evaluate(() => window.chatClient.forceDisconnect());
  // dave sees the old session go (the server's disconnect hook) and the new one join.
  await dave.waitFor(() => {
    const notices = [...document.querySelectorAll('.sys')].map((li) => li.textContent);
    const left = notices.indexOf('carol left');
    return left >= 0 && notices.indexOf('carol joined', left) > left;
  });
  await waitConnected(carol);
  await say(dave, 'after the drop');
  await sawMessage(carol, 'dave', 'after the drop');
  await sawMessage(carol, 'dave', 'before the drop');
  assert.deepEqual((await roster(dave)).sort(), ['carol', 'dave']);
  await carol.close();
  await dave.close();
});

test('the server restarts mid-chat: both pages come back and no message is lost', async () => {
  const r = `${room}-restart`;
  const erin = await open('erin', 'websocket', { r });
  const frank = await open('frank', 'xhr-polling', { r });
  await rosterCount(erin, 2);
  await say(frank, 'before the restart');
  await sawMessage(erin, 'frank', 'before the restart');

  await control('stop');
  for (const p of [erin, frank]) {
    await p.waitFor(() => document.querySelector('#status:not([data-state="connected"])') !== null);
  }
  // Typed while the server is down: held by each client's offline queue.
  await say(frank, 'typed while the server was down');
  await say(erin, 'me too');
  assert.equal(await count(frank, '.msg.pending'), 1);

  await control('start');
  for (const p of [erin, frank]) await waitConnected(p);
  assert.equal(await textOf(frank, '#fact-transport'), 'xhr-polling');
  for (const p of [erin, frank]) {
    await sawMessage(p, 'frank', 'typed while the server was down');
    await sawMessage(p, 'erin', 'me too');
  }
  await say(erin, 'after the restart');
  await sawMessage(frank, 'erin', 'after the restart');
  // Each message exactly once on each page, in the room's stamped order for the live ones.
  for (const p of [erin, frank]) {
    for (const t of ['before the restart', 'typed while the server was down', 'me too', 'after the restart']) {
      assert.equal(await timesShown(p, t), 1, `"${t}" shown once`);
    }
    assert.equal(await count(p, '.msg.pending'), 0);
  }
  // Both are back in the room on the new server.
  await rosterCount(erin, 2);
  await frank.screenshot(shot('chat-after-restart'));
  assert.deepEqual(await erin.errors(), []);
  assert.deepEqual(await frank.errors(), []);
  await erin.close();
  await frank.close();
});

test('a narrow screen gets the one-column layout', async () => {
  const page = await open('mobile', 'websocket', { width: 390 });
  const columns = await page.evaluate(() => getComputedStyle(document.getElementById('app')).gridTemplateColumns.split(' ').length);
  assert.equal(columns, 1);
  await page.screenshot(shot('chat-mobile'));
  await page.close();
});
