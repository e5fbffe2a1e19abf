// Shared by the browser tests: the environment run.sh sets, the browser,
// JWT decoding, time-zone arithmetic and the page watchers.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { need as needEnv } from '../lib/common.mjs';

const need = (name) => needEnv(name, 't/browser/run.sh');

export const env = {
  origin: need('MCP_BROWSER_ORIGIN'),
  base: need('MCP_BROWSER_BASE'),
  short: need('MCP_BROWSER_SHORT'),
  form: need('MCP_BROWSER_FORM'),
  login: need('MCP_BROWSER_LOGIN'),
  xssUser: need('MCP_BROWSER_XSS_USER'),
  screenshot: need('MCP_BROWSER_SCREENSHOT'),
  chromium: process.env.MCP_BROWSER_CHROMIUM || '/usr/bin/chromium',
};

export const users = {
  alice: { username: 'alice', password: 'alice-pw' },
  bob: { username: 'bob', password: 'bob-pw' },
  xss: { username: env.xssUser, password: 'xss-pw' },
};

export const DAY = 86400;

// Playwright makes a fresh profile (user data dir) for every launch, in
// TMPDIR, which run.sh points into its temporary directory.
export function launch() {
  return chromium.launch({
    executablePath: env.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A fresh context; Basic credentials unless { user: null }.  Every page of
// it records CSP violations in window.__csp (read by problems()).
export async function newContext(browser, { user = users.alice, ...options } = {}) {
  const context = await browser.newContext({
    ...(user ? { httpCredentials: user } : {}),
    ...options,
  });
  // Fail fast: nothing here should take seconds.
  context.setDefaultTimeout(8000);
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  return context;
}

// Console errors, page errors, dialogs and CSP violations of a page.
export function watch(page) {
  const seen = { console: [], errors: [], dialogs: [], csp: [], failed: [] };
  page.on('response', (r) => {
    if (r.status() >= 400) seen.failed.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') seen.console.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  seen.collect = async () => {
    if (page.isClosed()) return seen;
    const csp = await page.evaluate(() => window.__csp || []).catch(() => []);
    seen.csp.push(...csp);
    return seen;
  };
  // Asserts that nothing went wrong; `allowConsole` matches console errors
  // the test itself provoked (a refused request logs its status).
  seen.assertClean = async (allowConsole = []) => {
    await seen.collect();
    const console_ = seen.console.filter((t) => !allowConsole.some((re) => re.test(t)));
    assert.deepEqual({ console: console_, errors: seen.errors, dialogs: seen.dialogs, csp: seen.csp },
      { console: [], errors: [], dialogs: [], csp: [] },
      `the page stayed clean (answers >= 400: ${seen.failed.join(', ') || 'none'})`);
  };
  return seen;
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The header and claims of a compact JWS, with its shape checked.
export function decodeJwt(token) {
  assert.equal(typeof token, 'string');
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a compact JWS');
  const [h, p] = token.split('.');
  const header = b64urlJson(h);
  const claims = b64urlJson(p);
  assert.equal(header.alg, 'RS512');
  return { header, claims };
}

// Waits for the page's result showing a token other than `previous`, and
// returns it.
export async function waitForToken(page, previous = '') {
  await page.locator('#result').waitFor({ state: 'visible', timeout: 10000 });
  await page.waitForFunction((prev) => {
    const v = document.getElementById('token').value;
    return v.length > 20 && v !== prev;
  }, previous);
  return page.inputValue('#token');
}

// Chooses a lifetime radio by its visible label and generates: returns the
// new token (never the one shown before).
export async function generate(page, label) {
  if (label) await page.getByLabel(label, { exact: true }).check();
  const previous = await page.inputValue('#token');
  await page.getByRole('button', { name: 'Generate token' }).click();
  return waitForToken(page, previous);
}

// --- time zones, computed in node with Intl, independently of the page ---

function parts(tz, epochMs) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const o = {};
  for (const { type, value } of f.formatToParts(new Date(epochMs))) o[type] = value;
  return o;
}

// "YYYY-MM-DD HH:MM:SS" of an instant on the wall clock of tz.
export function wallClock(tz, epochSeconds) {
  const o = parts(tz, epochSeconds * 1000);
  return `${o.year}-${o.month}-${o.day} ${o.hour}:${o.minute}:${o.second}`;
}

// "YYYY-MM-DD" of an instant in tz.
export function localDay(tz, epochSeconds) {
  return wallClock(tz, epochSeconds).slice(0, 10);
}

// Calendar arithmetic on "YYYY-MM-DD".
export function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

// The epoch second at which the wall clock of tz shows `day` 23:59:59.
export function endOfDay(tz, day) {
  const [y, m, d] = day.split('-').map(Number);
  const naive = Date.UTC(y, m - 1, d, 23, 59, 59) / 1000;
  let guess = naive;
  for (let i = 0; i < 3; i++) {
    const o = parts(tz, guess * 1000);
    const shown = Date.UTC(+o.year, +o.month - 1, +o.day, +o.hour, +o.minute, +o.second) / 1000;
    guess += naive - shown;
  }
  assert.equal(wallClock(tz, guess), `${day} 23:59:59`);
  return guess;
}

// The last day of tz whose 23:59:59 is within now + max seconds.
export function lastAllowedDay(tz, nowSeconds, maxSeconds) {
  const limit = nowSeconds + maxSeconds;
  let day = localDay(tz, limit);
  while (endOfDay(tz, day) > limit) day = addDays(day, -1);
  return day;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
