// httpd's form login (mod_auth_form with a session cookie) in front of the
// page, with the login page the module serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, newContext, watch, decodeJwt, generate, DAY } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const formPath = new URL(env.form).pathname;

// An anonymous context that records any request leaving this server.
async function anonymous(t) {
  const context = await newContext(browser, { user: null });
  t.after(() => context.close());
  const elsewhere = [];
  await context.route((url) => !url.href.startsWith(`${env.origin}/`), (route) => {
    elsewhere.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  return { context, page, elsewhere, seen: watch(page) };
}

async function signIn(page, user, password) {
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

test('an anonymous visit lands on the login page, and signing in comes back to the page', async (t) => {
  const { page, elsewhere, seen } = await anonymous(t);
  const response = await page.goto(env.form);
  const url = new URL(page.url());
  assert.equal(url.pathname, '/login/index.html');
  assert.equal(url.searchParams.get('redirectUrl'), formPath);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['cache-control'], 'no-store');
  assert.match(response.headers()['content-security-policy'], /default-src 'none'/);
  assert.equal(await page.title(), 'Sign in');
  assert.equal(await page.inputValue('input[name="httpd_location"]'), formPath);
  assert.equal(await page.getAttribute('form', 'action'), '/login/dologin');
  // The login page is styled by the page's stylesheet.
  assert.equal(await page.evaluate(() => document.styleSheets.length), 1);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('button')).borderRadius), '6px');

  await signIn(page, 'alice', 'alice-pw');
  assert.equal(page.url(), env.form);
  assert.equal(await page.textContent('#user'), 'alice');
  // The session is enough to mint: the page's own fetch carries the cookie.
  const token = await generate(page, '7 days');
  const { claims } = decodeJwt(token);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.exp - claims.iat, 7 * DAY);
  assert.deepEqual([...claims.authorities].sort(), ['ROLE_ADMIN', 'ROLE_USER']);
  assert.deepEqual(elsewhere, []);
  await seen.assertClean();
});

test('a wrong password stays on the login page and says so', async (t) => {
  const { page, seen } = await anonymous(t);
  await page.goto(env.form);
  assert.equal(await page.locator('.error').count(), 0, 'no error before trying');
  await signIn(page, 'alice', 'not-her-password');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/login/index.html');
  assert.equal(url.searchParams.get('failed'), '1');
  assert.match(await page.textContent('[role="alert"]'), /user name or password is wrong/);
  // Still signed out.
  await page.goto(env.form);
  assert.equal(new URL(page.url()).pathname, '/login/index.html');
  await seen.assertClean();
});

test('a redirectUrl to another site is ignored; a local one is kept', async (t) => {
  const { page, elsewhere, seen } = await anonymous(t);
  const login = (redirect) => `${env.login}?redirectUrl=${encodeURIComponent(redirect)}`;

  // The control: a local path is where the login sends the user back.
  await page.goto(login(`${formPath}?from=test`));
  assert.equal(await page.inputValue('input[name="httpd_location"]'), `${formPath}?from=test`);

  for (const evil of [
    'https://evil.example/',
    '//evil.example/',
    '///evil.example/',
    '/\\evil.example/',
    '\\\\evil.example/',
    'http:evil.example',
    ' //evil.example/',
    '/\n/evil.example/',
    '/\t/evil.example/',
    'javascript:alert(1)',
  ]) {
    await page.goto(login(evil));
    const location = await page.inputValue('input[name="httpd_location"]');
    assert.match(location, /^\/(?![/\\])/, `${JSON.stringify(evil)} gave a local path`);
    assert.doesNotMatch(location, /evil|javascript/i, JSON.stringify(evil));
    // Whatever is given, the URL the browser would go to is this server.
    assert.equal(new URL(location, env.origin).origin, env.origin);
  }

  // Signing in from such a page sends the browser back to this server
  // (to the fallback page, which may ask for its own sign-in).
  await page.goto(login('//evil.example/'));
  const fallback = await page.inputValue('input[name="httpd_location"]');
  await page.getByLabel('User name').fill('alice');
  await page.getByLabel('Password').fill('alice-pw');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${env.origin}/login/dologin`),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  assert.equal(answer.status(), 302);
  assert.equal(answer.headers().location, fallback);
  assert.equal(new URL(answer.headers().location, env.origin).origin, env.origin);
  await page.waitForLoadState().catch(() => {});
  assert.deepEqual(elsewhere, []);
  // The fallback here is the Basic-auth page, which refuses this browser.
  await seen.assertClean([/status of 401/]);
});

test('when the session has ended, Generate says to sign in again', async (t) => {
  const { context, page, seen } = await anonymous(t);
  await page.goto(env.form);
  await signIn(page, 'alice', 'alice-pw');
  assert.equal(await page.textContent('#user'), 'alice');
  await context.clearCookies();
  await page.getByRole('button', { name: 'Generate token' }).click();
  const error = page.locator('#lifetime-error');
  await error.filter({ hasText: /\S/ }).waitFor();
  assert.match(await error.textContent(), /sign(ed)? in/i, 'a plain message about signing in');
  assert.doesNotMatch(await error.textContent(), /answered \d+/);
  assert.equal(await page.locator('#result').isVisible(), false);
  // Reloading leads to the login page, and back.
  await page.reload();
  assert.equal(new URL(page.url()).pathname, '/login/index.html');
  await signIn(page, 'alice', 'alice-pw');
  const token = await generate(page, '7 days');
  assert.equal(decodeJwt(token).claims.sub, 'alice');
  await seen.assertClean();
});
