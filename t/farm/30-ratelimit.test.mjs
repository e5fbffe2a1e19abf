// The mint rate limit holds across the nodes: a location with
// MCPCredentialsMintRate 20/1h (run.sh's /farm-rate, the same on both
// nodes, one counter per user in the shared store).  One mint opens the
// window; then 60 mints arrive at once, half at A and half at B: exactly
// 20 are admitted in all (the first and 19 of the 60), every other one is
// answered 429 with Retry-After, and the window stays shut at both nodes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic } from '../e2e/lib.mjs';
import {
    NODES, RATE_LIMITED, RATE_LIMIT, brief, jsonOrNull, verified, mintAt, together, sleep,
} from './lib.mjs';

const { A, B } = NODES;
const CONCURRENT = 60;
const PERIOD = 3600;
const USER = 'carol';

test(`${CONCURRENT} mints at once across A and B under MCPCredentialsMintRate ${RATE_LIMIT}/1h: exactly ${RATE_LIMIT} admitted in all, 429 with Retry-After for the rest`, async () => {
    // Windows start at multiples of the period: keep clear of the next one.
    const left = PERIOD - (Math.floor(Date.now() / 1000) % PERIOD);
    if (left < 30)
        await sleep((left + 1) * 1000);

    const first = await mintAt(A, USER, RATE_LIMITED);
    assert.equal(first.res.status, 200, `the mint that opens the window: ${brief(first.res)}`);

    const spec = (base) => ({
        base,
        path: RATE_LIMITED,
        headers: { authorization: basic(USER), 'content-type': 'application/json' },
        body: JSON.stringify({ expiresIn: 'P1D' }),
    });
    const bases = Array.from({ length: CONCURRENT }, (_, i) => (i % 2 ? B : A));
    const answers = await together(bases.map(spec));

    const byStatus = {};
    for (const [i, a] of answers.entries()) {
        const key = `${a.status ?? 'none'} at ${bases[i] === A ? 'A' : 'B'}`;
        byStatus[key] = (byStatus[key] ?? 0) + 1;
    }
    const summary = JSON.stringify(byStatus);
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(admitted.length + refused.length, CONCURRENT, `only 200 and 429: ${summary}`);
    assert.equal(1 + admitted.length, RATE_LIMIT, `admitted in all (the first and ${admitted.length} of ${CONCURRENT}): ${summary}`);

    for (const a of admitted) {
        const token = jsonOrNull(a)?.token;
        assert.equal((await verified(token, 'an admitted mint')).sub, USER);
    }
    for (const a of refused) {
        const retry = a.headers['retry-after'];
        assert.match(retry ?? '', /^\d+$/, `Retry-After of a 429: ${retry}`);
        assert.ok(Number(retry) >= 1 && Number(retry) <= PERIOD, `Retry-After ${retry} within the period`);
    }
    // The window is shut at both nodes.
    for (const [name, base] of [['A', A], ['B', B]]) {
        const again = await mintAt(base, USER, RATE_LIMITED);
        assert.equal(again.res.status, 429, `one more mint at ${name}: ${brief(again.res)}`);
    }
});
