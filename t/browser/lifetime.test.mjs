// Lifetimes: the presets, the custom date in the browser's time zone, and a
// location whose maximum is 30 days.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  env, launch, newContext, watch, decodeJwt, generate, DAY,
  localDay, addDays, endOfDay, wallClock, lastAllowedDay, nowSeconds,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const presets = [
  ['7 days', 'P7D', 7],
  ['30 days', 'P30D', 30],
  ['60 days', 'P60D', 60],
  ['90 days', 'P90D', 90],
  ['1 year', 'P365D', 365],
];

for (const [label, iso, days] of presets) {
  test(`the "${label}" preset mints a token living ${days} days`, async (t) => {
    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const seen = watch(page);
    await page.goto(env.base);
    const radio = page.getByLabel(label, { exact: true });
    assert.equal(await radio.getAttribute('type'), 'radio');
    assert.equal(await radio.isEnabled(), true, `${label} is enabled under the default maximum`);

    const before_ = nowSeconds();
    const sent = page.waitForRequest((r) => r.url() === `${env.base}/token` && r.method() === 'POST');
    const token = await generate(page, label);
    const body = (await sent).postDataJSON();
    assert.equal(body.expiresIn, iso, `"${label}" sends ${iso}`);
    assert.equal(body.expiresAt, undefined);

    const { claims } = decodeJwt(token);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.exp - claims.iat, days * DAY, 'exp - iat');
    assert.ok(claims.iat >= before_ - 5 && claims.iat <= nowSeconds() + 5, 'iat is now');
    // The page shows the same expiry, in UTC and in the user's locale.
    const utc = new Date(claims.exp * 1000).toISOString().replace('.000Z', ' UTC').replace('T', ' ');
    assert.equal(await page.textContent('#expires-utc'), utc);
    assert.notEqual((await page.textContent('#expires-local')).trim(), '');
    await seen.assertClean();
  });
}

// The custom date in two zones far from the server's UTC: Paris, and
// Kiritimati (UTC+14), where the local day is often already tomorrow.
for (const tz of ['Europe/Paris', 'Pacific/Kiritimati']) {
  test(`a custom date expires at the end of that day in ${tz}`, async (t) => {
    const context = await newContext(browser, { timezoneId: tz });
    t.after(() => context.close());
    const page = await context.newPage();
    const seen = watch(page);
    const t0 = nowSeconds();
    await page.goto(env.base);
    const today = localDay(tz, t0);

    const date = page.getByLabel('Expiry date');
    assert.equal(await date.isDisabled(), true, 'the date field waits for "Custom date"');
    await page.getByLabel('Custom date', { exact: true }).check();
    assert.equal(await date.isEnabled(), true);
    assert.equal(await date.getAttribute('min'), addDays(today, 1), 'min is tomorrow');
    assert.equal(await date.getAttribute('max'), lastAllowedDay(tz, t0, 365 * DAY), 'max');

    const day = addDays(today, 45);
    await date.fill(day);
    const sent = page.waitForRequest((r) => r.url() === `${env.base}/token` && r.method() === 'POST');
    const token = await generate(page);
    const body = (await sent).postDataJSON();
    assert.match(body.expiresAt, new RegExp(`^${day}T23:59:59[+-]\\d\\d:\\d\\d$`));

    const { claims } = decodeJwt(token);
    assert.equal(wallClock(tz, claims.exp), `${day} 23:59:59`, `exp on the wall clock of ${tz}`);
    assert.equal(claims.exp, endOfDay(tz, day));
    await seen.assertClean();
  });
}

test('the page refuses a custom date outside its bounds before asking the server', async (t) => {
  const tz = 'Europe/Paris';
  const context = await newContext(browser, { timezoneId: tz });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  let posts = 0;
  page.on('request', (r) => { if (r.method() === 'POST') posts++; });
  await page.goto(env.short);
  await page.getByLabel('Custom date', { exact: true }).check();
  const max = await page.getByLabel('Expiry date').getAttribute('max');
  await page.getByLabel('Expiry date').fill(addDays(max, 1));
  await page.getByRole('button', { name: 'Generate token' }).click();
  await page.locator('#lifetime-error').filter({ hasText: /\S/ }).waitFor();
  assert.match(await page.textContent('#lifetime-error'), new RegExp(`Choose a date from .* to ${max}`));
  assert.equal(await page.locator('#result').isVisible(), false);
  assert.equal(posts, 0, 'nothing was posted');
  await seen.assertClean();
});

test('with a maximum of P30D longer presets are disabled and the date stops at the right day', async (t) => {
  const tz = 'Europe/Paris';
  const context = await newContext(browser, { timezoneId: tz });
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  const t0 = nowSeconds();
  await page.goto(env.short);
  const t1 = nowSeconds();

  for (const [label, , days] of presets) {
    const radio = page.getByLabel(label, { exact: true });
    assert.equal(await radio.isDisabled(), days > 30, `"${label}" disabled: ${days > 30}`);
  }
  const note = await page.textContent('#max-note');
  assert.match(note, /30 days/);
  assert.match(note, /P30D/);
  assert.equal(await page.getByLabel('60 days', { exact: true }).getAttribute('aria-describedby'), 'max-note');

  // The last day whose 23:59:59 in Paris is within now + 30 days.
  const max = await page.getByLabel('Expiry date').getAttribute('max');
  const expected = [lastAllowedDay(tz, t0, 30 * DAY), lastAllowedDay(tz, t1, 30 * DAY)];
  assert.ok(expected.includes(max), `max ${max}, expected ${expected[0]}`);

  // That day is accepted by the server...
  await page.getByLabel('Custom date', { exact: true }).check();
  await page.getByLabel('Expiry date').fill(max);
  const { claims } = decodeJwt(await generate(page));
  assert.equal(claims.exp, endOfDay(tz, max));
  assert.ok(claims.exp - claims.iat <= 30 * DAY);

  // ... and the day after is beyond the maximum.
  const after_ = await page.evaluate(async ([url, at]) => {
    const r = await fetch(url, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ expiresAt: at }),
    });
    return { status: r.status, body: await r.json() };
  }, [`${env.short}/token`, new Date(endOfDay(tz, addDays(max, 1)) * 1000).toISOString().replace('.000Z', 'Z')]);
  assert.equal(after_.status, 400);
  assert.equal(after_.body.error, 'invalid_lifetime');
  await seen.assertClean([/status of 400/]);
});

test('a forced request beyond P30D shows the 400 message next to the lifetime', async (t) => {
  const context = await newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(env.short);

  // The server refuses P60D whatever the page does.
  const direct = await page.evaluate(async (url) => {
    const r = await fetch(url, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ expiresIn: 'P60D' }),
    });
    return { status: r.status, body: await r.json() };
  }, `${env.short}/token`);
  assert.equal(direct.status, 400);
  assert.equal(direct.body.error, 'invalid_lifetime');
  assert.match(direct.body.message, /maximum/);

  // Through the page: enable "60 days" by script and generate.
  await page.evaluate(() => { document.getElementById('lifetime-P60D').disabled = false; });
  await page.getByLabel('60 days', { exact: true }).check();
  const answered = page.waitForResponse((r) => r.url() === `${env.short}/token`);
  await page.getByRole('button', { name: 'Generate token' }).click();
  assert.equal((await answered).status(), 400);
  const error = page.locator('#lifetime-error');
  await error.filter({ hasText: /\S/ }).waitFor();
  assert.equal((await error.textContent()).trim(), direct.body.message, 'the server message, in the page');
  // Next to the lifetime control: inside its fieldset.
  assert.equal(await page.locator('#lifetime-field #lifetime-error').count(), 1);
  assert.equal((await page.textContent('#authorities-error')).trim(), '');
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.match(await page.textContent('#status'), /not generated/);
  assert.equal(await page.locator('#result').isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Generate token' }).isEnabled(), true);

  // Choosing an allowed preset afterwards works and clears the message.
  const token = await generate(page, '30 days');
  assert.equal(decodeJwt(token).claims.exp - decodeJwt(token).claims.iat, 30 * DAY);
  assert.equal((await error.textContent()).trim(), '');
  await seen.assertClean([/status of 400/]);
});
