// What one node does, the other knows: a code issued through node A is
// redeemed at node B, a consent page shown by A is approved at B (once),
// a refresh at B follows one at A, a replay at A of what B rotated away
// ends the grant at both, and a token revoked with mcp-token (in the
// revocation file every node reads) or through RFC 7009 is refused
// everywhere.  The SDK's client connects through the balancer with a
// token node A issued.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, whoami, decode } from '../e2e/lib.mjs';
import { exchange, refresh, revoke, submitConsent } from '../e2e/oauth.mjs';
import {
    NODES, BALANCER, farm, brief, assertRefusal, tokensOf, mintAt, mcpAt, newClient, approve, grantAt,
    sleep, waitUntil,
} from './lib.mjs';

const { A, B } = NODES;
const EVERYWHERE = { A, B, balancer: BALANCER };
let client;

before(async () => {
    client = await newClient('shared');
});

test('a code issued through node A is redeemed at node B; its access token works at A, B and the balancer', async () => {
    const grant = await approve(client, { pageAt: A });
    const tokens = await tokensOf(await exchange(grant, {}, { base: B }), 'the code of A exchanged at B');
    for (const [name, base] of Object.entries(EVERYWHERE)) {
        const res = await mcpAt(base, tokens.access_token);
        assert.equal(res.status, 200, `the access token at ${name}: ${brief(res)}`);
    }
    // A real client, through the balancer.
    const c = await connect('http', tokens.access_token);
    try {
        assert.equal((await whoami(c))['x-mcp-user'], 'alice');
    } finally {
        await c.close();
    }
    // Redeemed again, at A this time: refused, and the grant ends.
    assertRefusal(await exchange(grant, {}, { base: A }), 400, 'invalid_grant', 'the code redeemed again at A');
    assertRefusal(await refresh(tokens.refresh_token, client, {}, { base: B }), 400, 'invalid_grant',
        'the refresh token of the grant B made, after the replay at A');
});

test('a consent page shown by node A is approved at node B, once', async () => {
    const grant = await approve(client, { pageAt: A, approveAt: B });
    await tokensOf(await exchange(grant, {}, { base: A }), 'the code of an approval at B, exchanged at A');
    // The same approval posted again, at A: an error page, no code.
    const again = await submitConsent(grant.page, { base: A });
    assert.equal(again.status, 400, `the approval posted again at A: ${brief(again)}`);
    assert.equal(again.headers.location, undefined, 'no redirect');
});

test('refresh at A, then at B with the new token; a replay at A of what B rotated away: the grace, then the end of the grant', async () => {
    const r0 = await grantAt(client, A);
    const r1 = await tokensOf(await refresh(r0.refresh_token, client, {}, { base: A }), 'refresh at A');
    const r2 = await tokensOf(await refresh(r1.refresh_token, client, {}, { base: B }), 'refresh at B with A\'s token');
    assert.ok(r2.refresh_token !== r1.refresh_token && r1.refresh_token !== r0.refresh_token, 'each refresh rotates');
    // The token B rotated away, sent again at A within 30 s: the answer B gave.
    const grace = await tokensOf(await refresh(r1.refresh_token, client, {}, { base: A }),
        'the token B rotated away, replayed at A within the grace window');
    assert.ok(grace.refresh_token === r2.refresh_token, 'A hands out the same next refresh token as B did');
    assert.equal((await mcpAt(B, grace.access_token)).status, 200, 'its access token works at B');
    // The one before it, at A: a replay; the grant ends for both nodes.
    assertRefusal(await refresh(r0.refresh_token, client, {}, { base: A }), 400, 'invalid_grant',
        'a refresh token older than the previous one, replayed at A');
    assertRefusal(await refresh(r2.refresh_token, client, {}, { base: B }), 400, 'invalid_grant',
        'the newest refresh token at B after the replay');
    assertRefusal(await refresh(r2.refresh_token, client, {}, { base: A }), 400, 'invalid_grant',
        'the newest refresh token at A after the replay');
});

test('RFC 7009: a grant revoked at node A cannot be refreshed at node B', async () => {
    const t = await grantAt(client, B);
    const res = await revoke(t.refresh_token, client, {}, { base: A });
    assert.equal(res.status, 200, `revocation at A: ${brief(res)}`);
    assertRefusal(await refresh(t.refresh_token, client, {}, { base: B }), 400, 'invalid_grant', 'a refresh at B');
});

// Every process looks at the revocation file at most once a second.
const REVOCATION_MS = 2000;

// Polls each of `where` until `token` is refused there (401); resolves
// to the milliseconds each took, and asserts none took more than ms.
async function refusedEverywhere(token, since, ms) {
    const took = {};
    await Promise.all(Object.entries(EVERYWHERE).map(async ([name, base]) => {
        await waitUntil(`the revoked token refused at ${name}`, since + ms - Date.now(), async () => {
            const res = await mcpAt(base, token);
            assert.ok([200, 401].includes(res.status), `the revoked token at ${name}: ${brief(res)}`);
            return res.status === 401;
        });
        took[name] = Date.now() - since;
    }));
    return took;
}

test('a token revoked with mcp-token revoke is refused by A, B and the balancer within 2 s, by every process', async () => {
    const page = await mintAt(A, 'bob');
    const control = await mintAt(B, 'bob');
    assert.equal(page.res.status, 200, brief(page.res));
    assert.equal(control.res.status, 200, brief(control.res));
    for (const [name, base] of Object.entries(EVERYWHERE))
        assert.equal((await mcpAt(base, page.token)).status, 200, `before the revocation, at ${name}`);
    const since = Date.now();
    execFileSync(farm.tool, ['revoke', '--file', farm.revoked, page.claims.jti], { stdio: 'pipe', timeout: 10000 });
    await refusedEverywhere(page.token, since, REVOCATION_MS);
    // Then at every process: a few requests each, every one refused.
    await sleep(Math.max(0, since + REVOCATION_MS - Date.now()));
    for (const [name, base] of Object.entries(EVERYWHERE)) {
        for (let i = 0; i < 6; i++) {
            const res = await mcpAt(base, page.token);
            assert.equal(res.status, 401, `the revoked token at ${name}, request ${i + 1}: ${brief(res)}`);
        }
        // Control: another token of the same user.
        assert.equal((await mcpAt(base, control.token)).status, 200, `a token not revoked, at ${name}`);
    }
});

test('mcp-token revoke --sub ends the user\'s grants at every node and refuses their access tokens', async () => {
    const hers = await grantAt(client, A);
    const his = await grantAt(client, A, { user: 'bob' });
    // iat and the revocation time are whole seconds.
    await sleep(1100);
    const since = Date.now();
    execFileSync(farm.tool, ['revoke', '--file', farm.revoked, '--sub', 'bob'], { stdio: 'pipe', timeout: 10000 });
    await refusedEverywhere(his.access_token, since, REVOCATION_MS);
    await sleep(Math.max(0, since + REVOCATION_MS - Date.now()));
    assertRefusal(await refresh(his.refresh_token, client, {}, { base: B }), 400, 'invalid_grant', 'bob\'s refresh at B');
    // Control: alice's grant goes on, at B.
    await tokensOf(await refresh(hers.refresh_token, client, {}, { base: B }), 'alice\'s refresh at B');
    // Tokens bob gets from now on are not revoked (the next second).
    await sleep(1000);
    const later = await mintAt(B, 'bob');
    assert.equal(later.res.status, 200, brief(later.res));
    assert.ok(decode(later.token).claims.iat > Math.floor(since / 1000), 'issued after the revocation');
    assert.equal((await mcpAt(A, later.token)).status, 200, 'bob\'s new token at A');
});
