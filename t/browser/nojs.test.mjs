// Without JavaScript: the form posts and the answer is a page with the
// token; the CSRF token and the cross-site checks of that post.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  env, users, launch, newContext, watch, decodeJwt, DAY, addDays, nowSeconds,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const tokenUrl = `${env.base}/token`;
const REFUSED = /expired or did not come from this page/;

async function noJsPage(t, user = users.alice) {
  const context = await newContext(browser, { user, javaScriptEnabled: false });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.base);
  return { context, page, seen };
}

// Submits the page's form and returns the answer to the post.
async function submit(page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === tokenUrl && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Generate token' }).click(),
  ]);
  await page.waitForLoadState();
  return response;
}

test('without JavaScript the form answers with a page holding the token', async (t) => {
  const { page, seen } = await noJsPage(t);
  assert.equal(await page.locator('#result').isVisible(), false);
  await page.getByLabel('7 days', { exact: true }).check();
  const response = await submit(page);
  const sent = await response.request().allHeaders();
  assert.equal(sent['content-type'], 'application/x-www-form-urlencoded');
  // Under the page's no-referrer policy the browser sends "Origin: null";
  // Fetch Metadata still says the post came from the page itself, and the
  // module goes by that.
  assert.equal(sent['sec-fetch-site'], 'same-origin', 'the browser marks the post same-origin');
  assert.ok(sent.origin === 'null' || sent.origin === env.origin, `origin was ${sent.origin}`);
  assert.equal(response.status(), 200, await response.text());
  assert.equal(response.headers()['cache-control'], 'no-store');
  assert.equal(new URL(page.url()).pathname, '/mcp-credentials/token');

  assert.equal(await page.locator('#result').isVisible(), true);
  const token = await page.inputValue('#token');
  const { claims } = decodeJwt(token);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.exp - claims.iat, 7 * DAY);
  assert.ok(Math.abs(claims.iat - nowSeconds()) < 30);
  assert.deepEqual([...claims.authorities].sort(), ['ROLE_ADMIN', 'ROLE_USER']);
  assert.equal(await page.textContent('#jti'), claims.jti);
  assert.equal(await page.textContent('#expires-utc'),
    new Date(claims.exp * 1000).toISOString().replace('.000', ''));
  const claude = Object.values(JSON.parse(await page.textContent('#cfg-claude')).mcpServers)[0];
  assert.equal(claude.env.AUTH_HEADER, `Bearer ${token}`);
  assert.ok(claude.args.includes('Authorization:${AUTH_HEADER}'));
  assert.equal(claude.args[claude.args.indexOf('--transport') + 1], 'http-only');
  assert.ok(claude.args.includes(`${env.origin}/mcp`));
  const http = Object.values(JSON.parse(await page.textContent('#cfg-http')).mcpServers)[0];
  assert.equal(http.headers.Authorization, `Bearer ${token}`);
  assert.ok((await page.textContent('#cfg-curl')).includes(token));
  // The answered page still offers the form, with a fresh CSRF token.
  assert.match(await page.inputValue('input[name="csrf"]'), /^\d+\.[A-Za-z0-9_-]+$/);
  await seen.assertClean();
});

test('without JavaScript unchecking a role and a custom date work too', async (t) => {
  const { page, seen } = await noJsPage(t);
  await page.getByLabel('ROLE_ADMIN', { exact: true }).uncheck();
  await page.getByLabel('Custom date', { exact: true }).check();
  // Without script the browser's offset is unknown: the day ends in UTC.
  const day = addDays(new Date().toISOString().slice(0, 10), 10);
  await page.getByLabel('Expiry date').fill(day);
  assert.equal((await submit(page)).status(), 200);
  const { claims } = decodeJwt(await page.inputValue('#token'));
  assert.deepEqual(claims.authorities, ['ROLE_USER']);
  assert.equal(claims.exp, Date.parse(`${day}T23:59:59Z`) / 1000);
  await seen.assertClean();
});

test('without JavaScript a lifetime beyond the maximum is a 400 shown next to the lifetime', async (t) => {
  const context = await newContext(browser, { javaScriptEnabled: false });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.short);
  await page.evaluate(() => {
    const r = document.getElementById('lifetime-P90D');
    r.disabled = false;
    r.checked = true;
  });
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${env.short}/token`),
    page.getByRole('button', { name: 'Generate token' }).click(),
  ]);
  await page.waitForLoadState();
  assert.equal(response.status(), 400);
  assert.match(await page.textContent('#lifetime-field #lifetime-error'), /exceeds the maximum of P30D/);
  assert.equal(await page.locator('#result').isVisible(), false);
  assert.equal((await page.inputValue('#token')).trim(), '', 'no token in the page');
  await seen.assertClean([/status of 400/]);
});

for (const [what, tamper] of [
  ['without its CSRF field', () => document.querySelector('input[name="csrf"]').remove()],
  ['with an empty CSRF token', () => { document.querySelector('input[name="csrf"]').value = ''; }],
  ['with a changed CSRF token', () => {
    const f = document.querySelector('input[name="csrf"]');
    const last = f.value.slice(-2, -1);
    f.value = f.value.slice(0, -2) + (last === 'A' ? 'B' : 'A') + f.value.slice(-1);
  }],
  ['with the CSRF token of an old window', () => {
    const f = document.querySelector('input[name="csrf"]');
    const [w, mac] = f.value.split('.');
    f.value = `${Number(w) - 2}.${mac}`;
  }],
]) {
  test(`a form post ${what} is refused with 403`, async (t) => {
    const { page, seen } = await noJsPage(t);
    const before_ = await page.inputValue('input[name="csrf"]');
    await page.evaluate(tamper);
    const now = await page.locator('input[name="csrf"]').count()
      ? await page.inputValue('input[name="csrf"]') : null;
    assert.notEqual(now, before_, 'the token was tampered with');
    const response = await submit(page);
    assert.equal(response.status(), 403);
    assert.match(await page.textContent('#lifetime-error'), REFUSED);
    assert.equal(await page.locator('#result').isVisible(), false);
    assert.equal(await page.locator('#token').inputValue(), '');
    await seen.assertClean([/status of 403/]);
  });
}

test("a form post with another user's CSRF token is refused with 403", async (t) => {
  const { context, page, seen } = await noJsPage(t);
  const bobContext = await newContext(browser, { user: users.bob, javaScriptEnabled: false });
  t.after(() => bobContext.close());
  const bob = await bobContext.newPage();
  await bob.goto(env.base);
  const bobs = await bob.inputValue('input[name="csrf"]');
  const alices = await page.inputValue('input[name="csrf"]');
  assert.notEqual(bobs, alices, 'the token is bound to the user');
  await page.evaluate((v) => { document.querySelector('input[name="csrf"]').value = v; }, bobs);
  assert.equal((await submit(page)).status(), 403);
  assert.match(await page.textContent('#lifetime-error'), REFUSED);
  // And alice's own token, posted by her, works (the control).
  const ok = await context.request.post(tokenUrl, {
    form: { csrf: alices, lifetime: 'P7D' }, headers: { Origin: env.origin },
  });
  assert.equal(ok.status(), 200);
  await seen.assertClean([/status of 403/]);
});

test('a form post from another site is refused with 403', async (t) => {
  const { context, page } = await noJsPage(t);
  const csrf = await page.inputValue('input[name="csrf"]');
  const post = (headers) => context.request.post(tokenUrl, {
    form: { csrf, lifetime: 'P7D' }, headers, maxRedirects: 0,
  });

  // The control: the same post from the page's own origin mints.
  const same = await post({ Origin: env.origin, 'Sec-Fetch-Site': 'same-origin' });
  assert.equal(same.status(), 200);
  assert.match(await same.text(), /<textarea id="token"[^>]*>eyJ/);

  for (const headers of [
    { Origin: 'http://evil.example' },
    { Origin: 'null' },
    { Origin: env.origin.replace('127.0.0.1', 'localhost') },
    { 'Sec-Fetch-Site': 'cross-site' },
    { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
  ]) {
    const r = await post(headers);
    assert.equal(r.status(), 403, JSON.stringify(headers));
    assert.doesNotMatch(await r.text(), /eyJ[A-Za-z0-9_-]+\.eyJ/, 'no token in the answer');
  }
  // The JSON endpoint too.
  const json = await context.request.post(tokenUrl, {
    data: { expiresIn: 'P7D' }, headers: { Origin: 'http://evil.example' },
  });
  assert.equal(json.status(), 403);
  assert.equal((await json.json()).error, 'cross_site');
});

test('a real cross-site form in the browser cannot mint, even with a stolen CSRF token', async (t) => {
  const { context, page } = await noJsPage(t);
  const csrf = await page.inputValue('input[name="csrf"]');
  await context.route('http://evil.example/**', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!DOCTYPE html><form method="post" action="${tokenUrl}">
      <input type="hidden" name="csrf" value="${csrf}">
      <input type="hidden" name="lifetime" value="P7D">
      <button id="go">win a prize</button></form>`,
  }));
  const evil = await context.newPage();
  await evil.goto('http://evil.example/prize');
  const [response] = await Promise.all([
    evil.waitForResponse((r) => r.url() === tokenUrl),
    evil.click('#go'),
  ]);
  const sent = await response.request().allHeaders();
  assert.equal(sent.origin, 'http://evil.example', 'the browser says where the post came from');
  assert.equal(response.status(), 403);
  assert.doesNotMatch(await response.text(), /eyJ[A-Za-z0-9_-]+\.eyJ/);
});

test('the answered page shows a user named <img src=x onerror=alert(1)> as text', async (t) => {
  const { page, seen } = await noJsPage(t, users.xss);
  assert.equal(await page.textContent('#user'), env.xssUser);
  assert.equal((await submit(page)).status(), 200);
  assert.equal(await page.textContent('#user'), env.xssUser);
  assert.equal(await page.evaluate(() => document.images.length), 0);
  assert.equal(decodeJwt(await page.inputValue('#token')).claims.sub, env.xssUser);
  await seen.assertClean();
});
