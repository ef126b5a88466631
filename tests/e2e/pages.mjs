// Browser pages for the end-to-end tests, one interface over two drivers: Playwright for
// Chromium (Debian's binary) and plain W3C WebDriver (tests/support/webdriver.mjs) for Firefox
// ESR and WebKitGTK, which Playwright cannot drive here. The tests call only what is below, so
// the same steps run in every engine.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { Session, ENTER } from '../support/webdriver.mjs';

// A hang guard for each wait, not a measurement.
export const WAIT_MS = 20_000;

/** Opens `engine` (chromium, firefox or webkit); `newPage` gives an isolated page each time
 *  (its own cookies and storage, as a separate user would have). */
export async function openBrowser(engine) {
  if (engine === 'chromium') return openChromium();
  const open = new Set();
  return {
    newPage: async ({ width = 1280, height = 800, theme = 'light' } = {}) => {
      // Firefox renders prefers-color-scheme from a pref; WebKitWebDriver has no such setting,
      // so WebKit pages show the light theme (it only changes the screenshots).
      const extra = engine === 'firefox'
        ? { 'moz:firefoxOptions': { prefs: { 'layout.css.prefers-color-scheme.content-override': theme === 'dark' ? 0 : 1 } } }
        : {};
      const session = await Session.start(engine, extra);
      try {
        await session.setWindowSize(width, height);
      } catch (e) {
        await session.close();
        throw e;
      }
      const page = new WebDriverPage(session, () => open.delete(page));
      open.add(page);
      return page;
    },
    // Pages a failed test left open.
    close: () => Promise.all([...open].map((page) => page.close())),
  };
}

async function openChromium() {
  // playwright-core is one of the tools (tools/package.json, installed by scripts/setup.sh).
  const fromTools = createRequire(new URL('../../tools/package.json', import.meta.url));
  const { chromium } = fromTools('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    newPage: async ({ width = 1280, height = 800, theme = 'light' } = {}) => {
      const context = await browser.newContext({ viewport: { width, height }, colorScheme: theme });
      return new PlaywrightPage(await context.newPage());
    },
    close: () => browser.close(),
  };
}

class PlaywrightPage {
  #page; #errors = [];
  constructor(page) {
    this.#page = page;
    page.on('pageerror', (e) => this.#errors.push(String(e)));
  }
  goto(url) { return this.#page.goto(url); }
  evaluate(fn, arg) { return this.#page.evaluate(fn, arg); }
  async waitFor(fn, arg) { await this.#page.waitForFunction(fn, arg, { timeout: WAIT_MS }); }
  fill(selector, text) { return this.#page.fill(selector, text, { timeout: WAIT_MS }); }
  press(selector, key) { return this.#page.press(selector, key, { timeout: WAIT_MS }); }
  /** Clicks the element `target` selects, or the one `target(arg)` returns in the page. */
  async click(target, arg) {
    if (typeof target === 'string') return this.#page.click(target, { timeout: WAIT_MS });
    await this.waitFor(target, arg);
    const handle = await this.#page.evaluateHandle(target, arg);
    await handle.asElement().click({ timeout: WAIT_MS });
  }
  async screenshot(path) { await this.#page.screenshot({ path, animations: 'disabled' }); }
  /** Uncaught errors and unhandled rejections the page has had. */
  async errors() { return [...this.#errors]; }
  close() { return this.#page.context().close(); }
}

class WebDriverPage {
  #session; #onClose;
  constructor(session, onClose) {
    this.#session = session;
    this.#onClose = onClose;
  }

  async goto(url) {
    await this.#session.goto(url);
    // WebDriver classic cannot run a script before the page's own, so errors are collected
    // from the end of the load on (an error while loading leaves the page unconnected, which
    // the tests wait for).
    await this.#session.evaluate(() => {
      window.__e2eErrors = [];
      addEventListener('error', (e) => window.__e2eErrors.push(String(e.error ?? e.message)));
      addEventListener('unhandledrejection', (e) => window.__e2eErrors.push(String(e.reason)));
    });
  }

  evaluate(fn, arg) { return this.#session.evaluate(fn, arg); }

  /** Polls `fn(arg)` in the page until it is truthy; returns that value. */
  async waitFor(fn, arg) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = await this.#session.evaluate(fn, arg);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${fn} (${JSON.stringify(arg)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  #element(selector) { return this.waitFor((s) => document.querySelector(s), selector); }

  async fill(selector, text) {
    const el = await this.#element(selector);
    await this.#session.clear(el);
    await this.#session.type(el, text);
  }

  async press(selector, key) {
    if (key !== 'Enter') throw new Error(`press: only Enter is mapped, not ${key}`);
    await this.#session.type(await this.#element(selector), ENTER);
  }

  async click(target, arg) {
    const el = typeof target === 'string' ? await this.#element(target) : await this.waitFor(target, arg);
    await this.#session.click(el);
  }

  async screenshot(path) { writeFileSync(path, await this.#session.screenshot()); }

  async errors() { return this.#session.evaluate(() => window.__e2eErrors ?? ['the error listeners are gone (page reloaded?)']); }

  close() {
    this.#onClose();
    return this.#session.close();
  }
}
