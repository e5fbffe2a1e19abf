// The page itself: the result, Copy, user names as data, CSP, roles,
// keyboard use, narrow screens and a full-page screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  env, users, launch, newContext, watch, decodeJwt, generate, waitForToken, DAY,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

test('the result shows the token, its expiry, its jti and filled-in client configurations', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  const response = await page.goto(env.base);
  assert.equal(response.headers()['cache-control'], 'no-store');
  assert.equal(await page.locator('#result').isVisible(), false, 'no result before generating');
  assert.equal(await page.getByLabel('30 days', { exact: true }).isChecked(), true, 'the default');

  // While it works the button is disabled and says so.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/token', async (route) => { await held; await route.continue(); });
  const button = page.locator('#generate');
  await button.click();
  await page.waitForFunction(() => document.getElementById('generate').disabled);
  assert.match(await button.textContent(), /Generating/);
  assert.match(await page.textContent('#status'), /Generating/);
  release();
  const token = await waitForToken(page);
  await page.waitForFunction(() => !document.getElementById('generate').disabled);
  assert.equal(await button.textContent(), 'Generate token');
  assert.match(await page.textContent('#status'), /generated/i);

  const { claims } = decodeJwt(token);
  assert.equal(claims.exp - claims.iat, 30 * DAY);
  assert.equal(await page.getByLabel('Token', { exact: true }).inputValue(), token);
  assert.equal(await page.getByLabel('Token', { exact: true }).getAttribute('readonly'), '');
  assert.equal(await page.textContent('#jti'), claims.jti);
  assert.match(await page.textContent('#result .warning'), /shown once and is not stored/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'result', 'focus moved to the result');

  const mcpUrl = `${env.origin}/mcp`;
  assert.equal(await page.textContent('#mcp-url'), mcpUrl);
  const claude = JSON.parse(await page.textContent('#cfg-claude'));
  const server = Object.values(claude.mcpServers)[0];
  assert.equal(server.command, 'npx');
  const args = server.args;
  assert.ok(args.includes(mcpUrl), 'the MCP URL');
  assert.equal(args[args.indexOf('--transport') + 1], 'http-only', '--transport http-only for /mcp');
  assert.ok(!args.includes('sse-only'));
  assert.deepEqual(server.env, { AUTH_HEADER: `Bearer ${token}` });
  assert.ok(args.includes('Authorization:${AUTH_HEADER}'));
  assert.ok(!args.some((a) => a.includes(' ')), 'no argument holds a space (Windows clients split them)');
  const http = Object.values(JSON.parse(await page.textContent('#cfg-http')).mcpServers)[0];
  assert.deepEqual(http, { type: 'http', url: mcpUrl, headers: { Authorization: `Bearer ${token}` } });
  const curl = await page.textContent('#cfg-curl');
  assert.ok(curl.includes(`'Authorization: Bearer ${token}'`));
  assert.ok(curl.includes(`'${mcpUrl}'`));
  await seen.assertClean();
});

test('Copy puts the token on the clipboard and says so', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  await page.evaluate(() => navigator.clipboard.writeText('not the token'));
  const token = await generate(page);

  const copy = page.locator('#result button.copy[data-copy="token"]');
  assert.equal(await copy.textContent(), 'Copy');
  await copy.click();
  const mark = page.locator('#result p:has(> button[data-copy="token"]) .copied');
  await mark.filter({ hasText: 'Copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

  // Each configuration has its own Copy button.
  await page.locator('button[data-copy="cfg-curl"]').click();
  await page.locator('p:has(> button[data-copy="cfg-curl"]) .copied').filter({ hasText: 'Copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.textContent('#cfg-curl'));
  await seen.assertClean();
});

test('without the Clipboard API, Copy falls back to select-and-copy', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const reader = await context.newPage();
  await reader.goto(`${env.base}/assets/page.css`);
  await reader.evaluate(() => navigator.clipboard.writeText('not the token'));

  const page = await context.newPage();
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
  });
  const seen = watch(page);
  await page.goto(env.base);
  assert.equal(await page.evaluate(() => navigator.clipboard), undefined);
  await generate(page, '7 days');
  const button = page.locator('button[data-copy="cfg-http"]');
  await button.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  await button.click();
  await page.locator('p:has(> button[data-copy="cfg-http"]) .copied').filter({ hasText: 'Copied.' }).waitFor();
  // Exactly the text, tabs and newlines included.
  assert.equal(await reader.evaluate(() => navigator.clipboard.readText()), await page.textContent('#cfg-http'));
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-copy')), 'cfg-http',
    'the focus stays on the Copy button');
  assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the page did not jump');
  assert.equal(await page.locator('body > textarea').count(), 0, 'the helper textarea is gone');
  await seen.assertClean();
});

test('the page follows prefers-color-scheme', async (t) => {
  const colors = {};
  for (const colorScheme of ['light', 'dark']) {
    const context = await newContext(browser, { colorScheme });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(env.base);
    colors[colorScheme] = await page.evaluate(() => {
      const s = getComputedStyle(document.body);
      return { bg: s.backgroundColor, fg: s.color };
    });
  }
  const luminance = (rgb) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  assert.ok(luminance(colors.light.bg) > luminance(colors.light.fg), `light: ${JSON.stringify(colors.light)}`);
  assert.ok(luminance(colors.dark.bg) < luminance(colors.dark.fg), `dark: ${JSON.stringify(colors.dark)}`);
});

test('a user named <img src=x onerror=alert(1)> is shown as text', async (t) => {
  const context = await newContext(browser, { user: users.xss });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  assert.equal(await page.textContent('#user'), env.xssUser);
  assert.equal(await page.locator('#user *').count(), 0, 'no element inside #user');
  assert.equal(await page.evaluate(() => document.images.length), 0, 'no image anywhere');
  const token = await generate(page, '7 days');
  assert.equal(decodeJwt(token).claims.sub, env.xssUser);
  assert.ok((await page.textContent('#cfg-curl')).includes(token));
  await page.waitForTimeout(200);
  assert.deepEqual(seen.dialogs, [], 'no dialog');
  await seen.assertClean();
});

test('no console errors and no CSP violations, under a strict CSP', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  const page = await context.newPage();
  const seen = watch(page);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const response = await page.goto(env.base);
  assert.equal(response.headers()['content-security-policy'], CSP);
  await generate(page, '7 days');
  await page.locator('button[data-copy="cfg-claude"]').click();
  await page.getByLabel('Custom date', { exact: true }).check();
  await page.getByLabel('30 days', { exact: true }).check();
  // Everything the page loads comes from this server; nothing inline.
  assert.deepEqual(requests.filter((u) => !u.startsWith(`${env.origin}/`)), []);
  assert.equal(await page.locator('script:not([src]), style, [style]').count(), 0, 'no inline script or style');
  const css = await page.evaluate(() => getComputedStyle(document.getElementById('generate')).borderRadius);
  assert.equal(css, '6px', 'the stylesheet applied');
  await seen.assertClean();

  // The watcher sees a violation when there is one: inline script on a
  // second page of the same context is blocked and reported.
  const probe = await context.newPage();
  const probeSeen = watch(probe);
  await probe.goto(env.base);
  await probe.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.appendChild(s);
  });
  await probe.waitForFunction(() => window.__csp.length > 0);
  assert.equal(await probe.evaluate(() => window.__inlineRan), undefined, 'the inline script did not run');
  await probeSeen.collect();
  assert.match(probeSeen.csp.join(), /script-src/);
});

test('unchecking a role gives a token without it', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  const user = page.getByLabel('ROLE_USER', { exact: true });
  const admin = page.getByLabel('ROLE_ADMIN', { exact: true });
  assert.equal(await user.isChecked(), true);
  assert.equal(await admin.isChecked(), true);

  let token = await generate(page);
  assert.deepEqual([...decodeJwt(token).claims.authorities].sort(), ['ROLE_ADMIN', 'ROLE_USER']);

  await admin.uncheck();
  token = await generate(page);
  assert.deepEqual(decodeJwt(token).claims.authorities, ['ROLE_USER']);

  await user.uncheck();
  token = await generate(page);
  const { claims } = decodeJwt(token);
  assert.ok(!claims.authorities || claims.authorities.length === 0, `no role at all: ${JSON.stringify(claims.authorities)}`);

  // A role the user does not hold (added by script) is refused, and the
  // message stands next to the roles.
  await page.evaluate(() => {
    const box = document.createElement('input');
    Object.assign(box, { type: 'checkbox', name: 'authorities', value: 'ROLE_GOD', checked: true });
    document.querySelector('#roles-field ul').appendChild(box);
  });
  await page.getByRole('button', { name: 'Generate token' }).click();
  const error = page.locator('#roles-field #authorities-error');
  await error.filter({ hasText: /\S/ }).waitFor();
  assert.match(await error.textContent(), /role you do not hold: ROLE_GOD/);
  assert.equal((await page.textContent('#lifetime-error')).trim(), '');
  await seen.assertClean([/status of 400/]);

  // bob holds ROLE_USER only, and that is all his page offers.
  const bobContext = await newContext(browser, { user: users.bob });
  t.after(() => bobContext.close());
  const bob = await bobContext.newPage();
  await bob.goto(env.base);
  assert.deepEqual(await bob.locator('input[name="authorities"]').evaluateAll((els) => els.map((e) => e.value)), ['ROLE_USER']);
});

test('keyboard only: Tab to the controls, Enter generates, focus moves to the result', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return e ? `${e.tagName.toLowerCase()}#${e.id}` : '';
  });

  const path = [];
  async function tabTo(want) {
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      path.push(f);
      if (want(f)) return f;
    }
    assert.fail(`not reached by Tab: ${path.join(' > ')}`);
  }
  // The lifetime group takes one stop, on the checked radio; the arrows
  // choose another.
  await tabTo((f) => f.startsWith('input#lifetime-'));
  assert.equal(await focused(), 'input#lifetime-P30D');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(), 'input#lifetime-P7D');
  assert.equal(await page.getByLabel('7 days', { exact: true }).isChecked(), true);
  await tabTo((f) => f === 'button#generate');
  assert.ok(path.includes('input#role-0') && path.includes('input#role-1'), `roles reached: ${path}`);
  await page.keyboard.press('Enter');
  const token = await waitForToken(page);
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'result');
  const { claims } = decodeJwt(token);
  assert.equal(claims.exp - claims.iat, 7 * DAY);
  // The focus is visible (an outline) and the copy buttons follow in order.
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'token');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-copy')), 'token');
  await seen.assertClean();
});

test('readable at 320 px wide: no horizontal scrolling', async (t) => {
  const context = await newContext(browser, { viewport: { width: 320, height: 640 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  const width = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(await width() <= 320, `before: ${await width()}`);
  await generate(page, '1 year');
  assert.ok(await width() <= 320, `after generating: ${await width()}`);
  // The pieces are really within the screen, not clipped away.
  const boxes = await page.evaluate(() => ['generate', 'token', 'cfg-curl', 'expires-local']
    .map((id) => document.getElementById(id).getBoundingClientRect())
    .map((r) => ({ left: r.left, right: r.right })));
  for (const b of boxes) assert.ok(b.left >= 0 && b.right <= 320, JSON.stringify(b));
  const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(fontSize >= 14, 'text stays readable');
  await seen.assertClean();
});

test('a full-page screenshot of the page with a token is written', async (t) => {
  const context = await newContext(browser, {
    viewport: { width: 900, height: 700 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'Europe/Paris',
  });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  await generate(page, '30 days');
  await page.evaluate(() => document.activeElement.blur());
  mkdirSync(dirname(env.screenshot), { recursive: true });
  rmSync(env.screenshot, { force: true });
  await page.screenshot({ path: env.screenshot, fullPage: true });
  const png = readFileSync(env.screenshot);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.equal(png.readUInt32BE(16), 900, 'width');
  assert.ok(png.readUInt32BE(20) > 700, 'the full page, taller than the viewport');
  await seen.assertClean();
});
