// The shared store fails under load, at both nodes: stopped with SIGTERM
// and started again (empty) on its port, then paused with SIGSTOP and
// continued.  Meanwhile mints (run.sh's /farm-mint, whose counter lives in
// the store), refreshes of one grant, code redemptions and bearer-guarded
// MCP calls go to A and B in turn.
//
// While the store is down, everything that needs it answers 503 with
// Retry-After, never waiting more than about 3 s (MCPCredentialsCacheTimeout
// of docs/farm.md is 2 s), and never 200; the guarded calls, which need no
// store, answer 200 throughout.  Once the store is back, minting works
// again at both nodes within a few seconds, with no restart of httpd.  A
// store started again empty has forgotten the grant and the codes: they
// are refused, never accepted.  A store that was only paused kept them.
// Each node's error log says "store unavailable" once per outage and child
// process at most (at least once), and "store available again" likewise.
//
// memcached paused is the one exception to the bounded wait: APR-util's
// memcache client sets no read timeout, so the requests that reach a
// paused memcached within a child's first MCPCredentialsCacheTimeout wait
// until it resumes; every request after that is answered 503 at once.  The load
// is lighter there (every 200 ms), as a real site's would have to be for
// its workers to outlast the first timeout.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { refresh, exchange } from '../e2e/oauth.mjs';
import { basic, request } from '../e2e/lib.mjs';
import {
    NODES, MINT, farm, STORE, brief, errorOf, jsonOrNull, verified, mintAt, mcpAt, newClient, approve, grantAt,
    stream, sleep, waitUntil, nodePids, logSize, logSince, stopStore, startStore, signalStore,
} from './lib.mjs';

const { A, B } = NODES;
const USER = 'bob';
// No request may wait longer on a store that is down ("about 3 s").
const MAX_MS = 3500;
// How long the store stays down: the node's timeout twice, and a second.
const DOWN_MS = (2 * farm.cacheTimeout + 1) * 1000;
// Minting works again at both nodes within this after the store is back:
// a node answers 503 for MCPCredentialsCacheTimeout after its last failed
// try, then tries the store again with a new client; two seconds more
// for the load's own pace.
const RECOVERY_MS = (farm.cacheTimeout + 2) * 1000;
const CODES = 3;

let client;
before(async () => {
    client = await newClient('store');
});

const STORE_KINDS = new Set(['mint', 'refresh', 'exchange']);
const retryAfterOk = (res) => /^\d+$/.test(res.headers['retry-after'] ?? '') && Number(res.headers['retry-after']) >= 1;

function mintRaw(base) {
    return request('POST', MINT, {
        base,
        headers: { authorization: basic(USER), 'content-type': 'application/json' },
        body: JSON.stringify({ expiresIn: 'P1D' }),
    });
}

// The workers of one outage, and what they hold: the page token of the
// guarded calls, the grant's current refresh token, the codes not yet
// redeemed.
async function workload({ overlap = 8 } = {}) {
    const page = await mintAt(A, USER);
    assert.equal(page.res.status, 200, `the page token: ${brief(page.res)}`);
    const first = await grantAt(client, B, { user: USER });
    // The codes wait for the outage: the exchanges start once the store is down.
    const state = { refreshToken: first.refresh_token, grantEnded: false, codes: [], armed: false };
    for (let i = 0; i < CODES; i++)
        state.codes.push({ grant: await approve(client, { user: USER, pageAt: i % 2 ? A : B }), tries: [] });
    let turn = 0;
    const node = () => ((turn++) % 2 ? ['A', A] : ['B', B]);
    const workers = [
        // Mints do not wait for each other: a call stuck on the store does
        // not keep the next ones from showing what the node answers then.
        ['mint', async () => ({ node: 'A', res: await mintRaw(A) }), { overlap }],
        ['mint', async () => ({ node: 'B', res: await mintRaw(B) }), { overlap }],
        ['refresh', async () => {
            if (state.grantEnded)
                return { skip: true };
            const [n, base] = node();
            const res = await refresh(state.refreshToken, client, {}, { base });
            if (res.status === 200)
                state.refreshToken = jsonOrNull(res)?.refresh_token ?? state.refreshToken;
            else if (errorOf(res) === 'invalid_grant')
                state.grantEnded = true;
            return { node: n, res };
        }],
        ['exchange', async () => {
            const code = state.codes.find((c) => !c.done);
            if (!code || !state.armed)
                return { skip: true };
            const [n, base] = node();
            const res = await exchange(code.grant, {}, { base });
            const earlier = [...code.tries];
            code.tries.push(res.status);
            if (res.status !== 503)
                code.done = true;
            return { node: n, res, earlier };
        }],
        ['mcp', async () => {
            const [n, base] = node();
            return { node: n, res: await mcpAt(base, page.token) };
        }],
    ];
    return { workers, state };
}

// One outage: the load for a second, down(), DOWN_MS, up(), until minting
// works at both nodes again, one more second.  Returns the records and
// the moments.
async function outage(down, up, { pause = 40, overlap = 8, downMs = DOWN_MS } = {}) {
    // After an outage before this one, a child that failed last less than
    // MCPCredentialsCacheTimeout ago still answers 503 until it tries the
    // store again: the setup waits that out.
    await sleep((farm.cacheTimeout + 1) * 1000);
    const { workers, state } = await workload({ overlap });
    const pids = { A: nodePids('A'), B: nodePids('B') };
    const s = stream(workers, { pause });
    const at = {};
    let offsets;
    let ends;
    let upDone = false;
    try {
        await sleep(1000);
        // What the logs say from here on is about this outage.
        offsets = { A: logSize('A'), B: logSize('B') };
        at.signal = Date.now();
        await down();
        at.down = Date.now();
        state.armed = true;
        await sleep(downMs);
        at.up0 = Date.now();
        await up();
        upDone = true;
        at.up = Date.now();
        await waitUntil('minting works again at A and B', RECOVERY_MS, () => ['A', 'B'].every((n) =>
            s.records.some((r) => r.name === 'mint' && r.node === n && r.t0 >= at.up && r.res?.status === 200)));
        at.recovered = Date.now();
        // ... and up to here: the outage ends when both nodes mint again.
        ends = { A: logSize('A'), B: logSize('B') };
        await sleep(1000);
    } finally {
        if (!upDone)
            await up().catch(() => {});
        await s.stop();
    }
    const after = { A: nodePids('A'), B: nodePids('B') };
    const records = s.records.filter((r) => !r.skip);
    return { records, at, state, pids, after, offsets, ends };
}

const line = (r, at) => `${r.name} at ${r.node} sent ${r.t0 - at.signal} ms after the signal: ${brief(r.res ?? r)} in ${r.t1 - r.t0} ms`;

// What holds for any outage.
async function assertOutage(t, { records, at, pids, after }, { forgotten, heldMs = 0 }) {
    const problems = [];
    const bad = (r, why) => problems.push(`${line(r, at)}: ${why}`);
    // Requests sent within heldMs of the pause may wait until it ends.
    const held = (r) => r.name !== 'mcp' && r.t0 >= at.signal && r.t0 < at.down + heldMs;
    const during = (r) => r.t0 >= at.down && r.t1 <= at.up0;
    const afterUp = (r) => r.t0 >= at.up;
    for (const r of records) {
        if (!r.res) {
            bad(r, 'no answer');
            continue;
        }
        if (held(r) ? r.t1 > at.up + MAX_MS : r.t1 - r.t0 > MAX_MS)
            bad(r, held(r) ? 'still waiting long after the store resumed' : `waited more than ${MAX_MS} ms`);
        if (r.name === 'mcp') {
            if (r.res.status !== 200)
                bad(r, 'a guarded call with a valid token, not 200');
            continue;
        }
        const { status } = r.res;
        if (status === 503) {
            if (!retryAfterOk(r.res))
                bad(r, `503 without a Retry-After of seconds (${r.res.headers['retry-after']})`);
            continue;
        }
        if (during(r)) {
            bad(r, 'answered while the store was down: 503 expected');
            continue;
        }
        if (status === 200) {
            if (r.name !== 'mint' && forgotten && r.t0 >= at.down)
                bad(r, 'accepted although the store has forgotten it');
            continue;
        }
        if (r.name !== 'mint' && status === 400 && errorOf(r.res) === 'invalid_grant') {
            // A forgotten grant or code, once the store is back empty; or a
            // code whose earlier attempt met the paused store.
            if (forgotten ? r.t0 >= at.down : (r.name === 'exchange' && r.earlier?.includes(503)))
                continue;
        }
        bad(r, 'unexpected');
    }
    const count = (name, pred) => records.filter((r) => r.name === name && pred(r)).length;
    const summary = ['mint', 'refresh', 'exchange', 'mcp'].map((name) =>
        `${name}: ${count(name, () => true)} (${count(name, during)} during the outage, ` +
        `${count(name, (r) => during(r) && r.res?.status === 503)} of them 503)`).join('; ');
    t.diagnostic(`${summary}; the store was back ${at.recovered - at.up} ms before minting worked at both nodes`);
    // Minting works again at both nodes, soon.
    for (const n of ['A', 'B']) {
        const mints = records.filter((r) => r.name === 'mint' && r.node === n && afterUp(r));
        const first = mints.findIndex((r) => r.res?.status === 200);
        assert.ok(first >= 0, `a mint at ${n} succeeded after the store came back`);
        assert.ok(mints[first].t1 - at.up <= RECOVERY_MS, `minting at ${n} works again ${mints[first].t1 - at.up} ms after the store came back`);
    }
    // Every token handed out verifies.
    for (const r of records.filter((x) => x.res?.status === 200 && STORE_KINDS.has(x.name))) {
        const body = jsonOrNull(r.res);
        const token = r.name === 'mint' ? body?.token : body?.access_token;
        try {
            assert.equal((await verified(token, r.name)).sub, USER);
        } catch (e) {
            bad(r, `a 200 with a bad token (${e.message})`);
        }
    }
    assert.deepEqual(problems, [], `${problems.length} problems (${summary})`);
    assert.ok(count('mint', during) >= 4 && count('mcp', during) >= 4, `requests during the outage: ${summary}`);
    // (Held: the one refresh and the one redemption in flight wait for the
    // store, and these two loops send the next only after an answer.)
    if (!heldMs)
        assert.ok(count('refresh', during) >= 1 && count('exchange', during) >= 1,
            `a refresh and a code redemption during the outage: ${summary}`);
    else
        assert.ok(records.some((r) => held(r) && r.name !== 'mint' && r.t1 >= at.up),
            `a refresh or a code redemption waited for the paused store: ${summary}`);
    // No restart of httpd.
    for (const n of ['A', 'B'])
        assert.equal(after[n].parent, pids[n].parent, `node ${n} was not restarted`);
}

// The store's lines in each node's error log from the signal to the
// moment both nodes minted again: at least one, at most one per child
// (the event MPM may start a child during the outage).  A failure after
// that moment is another outage, which a child logs again.
function assertLogged({ offsets, ends }) {
    for (const n of ['A', 'B']) {
        const text = logSince(n, offsets[n]).slice(0, ends[n] - offsets[n]);
        for (const phrase of ['store unavailable', 'store available again']) {
            const lines = text.split('\n').filter((l) => l.includes(phrase));
            const procs = new Set(lines.map((l) => /\[pid (\d+)/.exec(l)?.[1]));
            assert.ok(lines.length >= 1, `node ${n} logs "${phrase}"`);
            assert.equal(procs.size, lines.length,
                `node ${n}: each child logs "${phrase}" once per outage:\n${lines.join('\n')}`);
        }
    }
}

// The outages, kept for the tests of the logs.
const outages = {};

test(`${STORE} stopped (SIGTERM) under load, then started again on its port: 503 with Retry-After meanwhile, minting again within a few seconds, the forgotten grant and codes refused`, async (t) => {
    const o = await outage(() => stopStore(), async () => startStore());
    outages.stopped = o;
    await assertOutage(t, o, { forgotten: true });
    // The grant ended with the store's contents.
    assert.ok(o.state.grantEnded, 'the refresh token of the forgotten grant was refused');
});

test('each node logs "store unavailable" and "store available again" for the stopped store: at least once, at most once per child', () => {
    assert.ok(outages.stopped, 'the outage ran');
    assertLogged(outages.stopped);
});

test(`${STORE} paused (SIGSTOP) under load, then continued (SIGCONT): 503 with Retry-After within a bounded time, then everything it kept works again`, async (t) => {
    // memcache: the requests of the first timeout wait out the pause, the
    // later ones meet the open breaker; the pause lasts long enough for
    // the later ones to be many.
    const memcache = STORE === 'memcache';
    // Each child's first timeout starts with its own first call after the
    // pause, which may come a while after the signal: twice the timeout,
    // and a second.
    const heldMs = memcache ? (2 * farm.cacheTimeout + 1) * 1000 : 0;
    const o = await outage(async () => signalStore('SIGSTOP'), async () => signalStore('SIGCONT'),
        memcache ? { pause: 200, overlap: 64, downMs: heldMs + 4000 } : {});
    outages.paused = o;
    await assertOutage(t, o, { forgotten: false, heldMs });
    if (memcache) {
        const later = o.records.filter((r) => r.name === 'mint' && r.t0 >= o.at.down + heldMs && r.t1 <= o.at.up0);
        assert.ok(later.length >= 4 && later.every((r) => r.res?.status === 503),
            `mints sent after the first timeout of the pause are answered 503 at once (${later.length})`);
    }
    // The grant survived the pause.
    assert.ok(!o.state.grantEnded, 'the grant still refreshes after the pause');
    const refreshedAfter = o.records.filter((r) => r.name === 'refresh' && r.t0 >= o.at.recovered && r.res?.status === 200);
    assert.ok(refreshedAfter.length >= 1, 'a refresh succeeded after the store came back');
    assert.ok(o.records.some((r) => r.name === 'exchange' && r.t0 >= o.at.up && r.res?.status === 200),
        'a code approved before the pause was redeemed after it');
});

test('each node logs "store unavailable" and "store available again" for the paused store: at least once, at most once per child', () => {
    assert.ok(outages.paused, 'the outage ran');
    assertLogged(outages.paused);
});
