// A small W3C WebDriver client (node's fetch, no dependencies) for driving Firefox ESR through
// geckodriver and WebKitGTK's MiniBrowser through WebKitWebDriver, with the same capabilities
// the browser tests use (webdriver.firefox.json, webdriver.webkit.json at the repository root).
// Playwright drives only Chromium with Debian's binary, and the npm drivers download binaries
// from GitHub, which these machines cannot reach.
//
// Each session gets its own driver process: geckodriver and WebKitWebDriver serve one session
// at a time, and a session is a fresh browser profile (what a Playwright context is).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** How each engine's driver is started; `caps` names the capabilities file. */
export const ENGINES = {
  firefox: { driver: 'geckodriver', args: (port) => ['--host', '127.0.0.1', '--port', String(port)], caps: 'webdriver.firefox.json' },
  // Needs a display: scripts/test-e2e.sh runs the tests under xvfb-run for this engine.
  webkit: { driver: 'WebKitWebDriver', args: (port) => [`--port=${port}`], caps: 'webdriver.webkit.json' },
};

// The key under which W3C WebDriver returns an element reference.
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
// A hang guard for the driver's start and each request, not a measurement.
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 60_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Drivers still running: a test that fails before closing its pages must not leave browsers
// behind (the driver takes its browser down with it).
const running = new Set();
process.on('exit', () => {
  for (const driver of running) driver.kill();
});

/** The capabilities of `engine`, read from the file the browser tests use too. */
export function capabilities(engine) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`unknown WebDriver engine ${engine} (known: ${Object.keys(ENGINES).join(', ')})`);
  const caps = JSON.parse(readFileSync(new URL(`../../${spec.caps}`, import.meta.url), 'utf8'));
  if (engine === 'firefox') {
    const options = caps['moz:firefoxOptions'] ??= {};
    (options.args ??= []).push('-headless');
  }
  return caps;
}

export class WebDriverError extends Error {}

/** One browser session on its own driver process. */
export class Session {
  #driver; #base; #log = '';

  /** Starts the driver of `engine` and a session with its capabilities, `extra` merged in
   *  (one level deep: `{'moz:firefoxOptions': {prefs}}` adds to the file's options). */
  static async start(engine, extra = {}) {
    const spec = ENGINES[engine];
    const caps = capabilities(engine);
    for (const [key, value] of Object.entries(extra)) {
      caps[key] = value && typeof value === 'object' && !Array.isArray(value)
        ? { ...caps[key], ...value, prefs: { ...caps[key]?.prefs, ...value.prefs } }
        : value;
    }
    const port = await freePort();
    const session = new Session();
    session.#driver = spawn(spec.driver, spec.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(session.#driver);
    session.#driver.once('exit', () => running.delete(session.#driver));
    // Nor keep the test process alive: on its exit, the handler above ends them.
    session.#driver.unref();
    session.#driver.stdout.unref();
    session.#driver.stderr.unref();
    const keep = (chunk) => { session.#log = (session.#log + chunk).slice(-8192); };
    session.#driver.stdout.on('data', keep);
    session.#driver.stderr.on('data', keep);
    const exited = new Promise((resolve) => session.#driver.once('exit', resolve));
    session.#driver.once('error', (e) => keep(String(e)));
    const root = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (session.#driver.exitCode !== null || session.#driver.signalCode !== null) {
        throw new WebDriverError(`${spec.driver} exited: ${session.#log}`);
      }
      try {
        const res = await fetch(`${root}/status`);
        if (res.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        session.#driver.kill();
        throw new WebDriverError(`${spec.driver} did not listen on ${root}: ${session.#log}`);
      }
      await Promise.race([sleep(100), exited]);
    }
    try {
      const created = await session.#request('POST', `${root}/session`, { capabilities: { alwaysMatch: caps } });
      session.#base = `${root}/session/${created.sessionId}`;
    } catch (e) {
      session.#driver.kill();
      throw e;
    }
    return session;
  }

  async #request(method, url, body) {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WebDriverError(`${method} ${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 500)}`);
    }
    if (!res.ok || json.value?.error) {
      throw new WebDriverError(`${method} ${url}: ${json.value?.error}: ${json.value?.message}`);
    }
    return json.value;
  }

  /** A WebDriver command of this session: `path` is relative to /session/{id}. */
  command(method, path, body) {
    return this.#request(method, `${this.#base}${path}`, body);
  }

  /** Runs `fn(arg)` in the page (fn's source is sent; it sees nothing of the test's scope) and
   *  returns its result. A returned element comes back as a reference for click() and type(). */
  evaluate(fn, arg) {
    return this.command('POST', '/execute/sync', { script: `return (${fn})(arguments[0]);`, args: [arg ?? null] });
  }

  goto(url) { return this.command('POST', '/url', { url }); }

  setWindowSize(width, height) { return this.command('POST', '/window/rect', { width, height }); }

  click(element) { return this.command('POST', `/element/${element[ELEMENT]}/click`, {}); }

  async clear(element) { await this.command('POST', `/element/${element[ELEMENT]}/clear`, {}); }

  /** Types `text` into `element` as key presses (`\uE007` is Enter). */
  type(element, text) { return this.command('POST', `/element/${element[ELEMENT]}/value`, { text }); }

  /** A PNG of the viewport. */
  async screenshot() { return Buffer.from(await this.command('GET', '/screenshot'), 'base64'); }

  /** Ends the session and its driver. */
  async close() {
    try {
      if (this.#base) await this.#request('DELETE', this.#base);
    } finally {
      this.#driver.kill();
    }
  }
}

/** The WebDriver key code of Enter. */
export const ENTER = '\uE007';
