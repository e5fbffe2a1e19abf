// One node restarted or lost while requests stream through the balancer:
// guarded MCP calls, refreshes of one grant, mints, the metadata, and
// requests that must be refused (a token with a broken signature, a code
// redeemed already).
//
// A graceful restart of node A (httpd -k graceful with its configuration):
// no request fails, and the grant goes on (the store kept it).  Node B
// killed with SIGKILL, every process of it, as a crash would: only the
// requests in flight at B may fail, and only with the balancer's 502 or
// 503; every other answer is the right one, and nothing that must be
// refused is accepted.  B started again serves what A issued.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { basic, request } from '../e2e/lib.mjs';
import { exchange, refresh } from '../e2e/oauth.mjs';
import {
    NODES, BALANCER, MINT, farm, brief, errorOf, jsonOrNull, verified, mintAt, mcpAt, newClient, approve,
    grantAt, tokensOf, stream, sleep, nodePids, killNode, startNode, gracefulNode,
} from './lib.mjs';

const { A, B } = NODES;
const USER = 'alice';
let client;

before(async () => {
    // The store's outages of 40-store may have left a child that failed
    // less than MCPCredentialsCacheTimeout ago: it answers 503 until it
    // tries the store again.
    await sleep((farm.cacheTimeout + 1) * 1000);
    client = await newClient('nodes');
});

// The balancer's access log: [{ ms, request, status, worker }].
function balancerLog() {
    return fs.readFileSync(path.join(farm.balancerDir, 'access_log'), 'utf8').split('\n').filter(Boolean).map((l) => {
        const m = /^(\d+) \S+ "([^"]*)" (\d+) (\S+)/.exec(l);
        return m && { ms: Number(m[1]), request: m[2], status: Number(m[3]), worker: m[4] };
    }).filter(Boolean);
}

// The workers, all through the balancer, and what each answer must be.
async function workload({ refusals = false } = {}) {
    const page = await mintAt(A, USER);
    assert.equal(page.res.status, 200, brief(page.res));
    const first = await grantAt(client, BALANCER);
    const state = { refreshToken: first.refresh_token };
    const workers = [
        ['mcp', async () => ({ res: await mcpAt(BALANCER, page.token) })],
        ['mcp', async () => ({ res: await mcpAt(BALANCER, page.token) })],
        ['refresh', async () => {
            const res = await refresh(state.refreshToken, client);
            if (res.status === 200)
                state.refreshToken = jsonOrNull(res)?.refresh_token ?? state.refreshToken;
            return { res };
        }],
        ['mint', async () => ({
            res: await request('POST', MINT, {
                headers: { authorization: basic(USER), 'content-type': 'application/json' },
                body: JSON.stringify({ expiresIn: 'P1D' }),
            }),
        })],
        ['metadata', async () => ({ res: await request('GET', '/.well-known/oauth-authorization-server') })],
    ];
    if (refusals) {
        const broken = page.token.slice(0, -4) + (page.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
        const used = await approve(client);
        await tokensOf(await exchange(used), 'the code redeemed before the load');
        workers.push(
            ['broken signature', async () => ({ res: await mcpAt(BALANCER, broken) })],
            ['code used', async () => ({ res: await exchange(used) })],
        );
    }
    return { workers, state };
}

// Whether an answer is the one its worker must get.
async function right(r) {
    const { res } = r;
    switch (r.name) {
    case 'mcp':
    case 'metadata':
        return res.status === 200;
    case 'refresh':
        return res.status === 200 && (await verified(jsonOrNull(res)?.access_token, 'a refresh')).sub === USER;
    case 'mint':
        return res.status === 200 && (await verified(jsonOrNull(res)?.token, 'a mint')).sub === USER;
    case 'broken signature':
        return res.status === 401;
    case 'code used':
        return res.status === 400 && errorOf(res) === 'invalid_grant';
    default:
        throw new Error(r.name);
    }
}

async function judge(records) {
    const wrong = [];
    for (const r of records) {
        let ok = false;
        try {
            ok = Boolean(r.res) && (await right(r));
        } catch {
            ok = false;
        }
        if (!ok)
            wrong.push(r);
    }
    return wrong;
}

const counts = (records) => {
    const c = {};
    for (const r of records)
        c[r.name] = (c[r.name] ?? 0) + 1;
    return JSON.stringify(c);
};

test('a graceful restart of node A under a stream of requests through the balancer: no request fails', async (t) => {
    const { workers, state } = await workload();
    const before = nodePids('A');
    const s = stream(workers);
    let at;
    try {
        await sleep(1000);
        at = Date.now();
        await gracefulNode('A');
        await sleep(2000);
    } finally {
        await s.stop();
    }
    const records = s.records;
    const wrong = await judge(records);
    t.diagnostic(`requests: ${counts(records)}, ${wrong.length} failed`);
    assert.deepEqual(wrong.map((r) => `${r.name} sent ${r.t0 - at} ms after the graceful: ${brief(r.res ?? r)}`), [],
        `failed requests (of ${counts(records)})`);
    // A did restart, and served requests before and after.
    const after = nodePids('A');
    assert.equal(after.parent, before.parent, 'the same parent');
    assert.ok(!after.children.some((p) => before.children.includes(p)), 'a new generation of children');
    const log = balancerLog().filter((l) => l.worker === A);
    assert.ok(log.some((l) => l.ms < at) && log.some((l) => l.ms > at + 500), 'node A served requests before and after its restart');
    // The grant lived through it.
    await tokensOf(await refresh(state.refreshToken, client, {}, { base: A }), 'a refresh at A after its graceful restart');
});

test('node B killed with SIGKILL under a stream of requests through the balancer: only requests in flight at B fail, with 502 or 503; no wrong acceptance', async (t) => {
    const { workers, state } = await workload({ refusals: true });
    const s = stream(workers);
    const at = {};
    try {
        await sleep(1000);
        at.kill = Date.now();
        await killNode('B');
        at.killed = Date.now();
        await sleep(2000);
    } finally {
        await s.stop();
    }
    const records = s.records;
    const wrong = await judge(records);
    const describe = (r) => `${r.name} sent ${r.t0 - at.kill} ms after the kill, answered after ${r.t1 - r.t0} ms: ${brief(r.res ?? r)}`;
    t.diagnostic(`requests: ${counts(records)}; failed: ${wrong.length ? wrong.map(describe).join('; ') : 'none'}`);
    // A failure is the balancer's: 502 or 503, its own HTML page (not the
    // module's JSON), for a request that was in flight when B died.
    const notBalancer = wrong.filter((r) => !(r.res && [502, 503].includes(r.res.status) && !jsonOrNull(r.res)));
    assert.deepEqual(notBalancer.map(describe), [], `answers that are neither right nor the balancer's error (of ${counts(records)})`);
    const notInFlight = wrong.filter((r) => !(r.t0 <= at.killed && r.t1 >= at.kill));
    assert.deepEqual(notInFlight.map(describe), [], 'failures of requests that were not in flight at the kill');
    assert.ok(wrong.length <= workers.length, `${wrong.length} failures, more than the ${workers.length} requests that can be in flight`);
    // Nothing that must be refused was accepted (checked above as well).
    for (const r of records.filter((x) => ['broken signature', 'code used'].includes(x.name)))
        assert.notEqual(r.res?.status, 200, `${describe(r)}: accepted`);
    assert.ok(records.some((r) => r.t0 > at.killed && r.name === 'refresh' && r.res?.status === 200),
        'the grant refreshes through the balancer after the kill');

    // B again: it serves what A issued, and the grant goes on there.
    await startNode('B');
    const fromA = await mintAt(A, USER);
    assert.equal((await mcpAt(B, fromA.token)).status, 200, 'a token minted at A, at B after its restart');
    await tokensOf(await refresh(state.refreshToken, client, {}, { base: B }), 'a refresh at B after its restart');
});
