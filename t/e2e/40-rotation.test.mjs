// Key rotation without cutting anyone off (the procedure of the docs):
//  1. a new key signs, the old one stays as MCPCredentialsVerifyKey,
//     `apache2 -k graceful`: old tokens still work, new ones carry the new kid;
//  2. the old key goes, graceful again: its tokens stop, the new ones work.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
    env, request, json, mint, decode, thumbprint, keyFile, mcpPost, assertRefused, signRS512,
    claimsFor, connect, whoami, assertIdentity, sleep,
} from './lib.mjs';

const TRIES = 6;

async function assertAccepted(token, what) {
    for (let i = 0; i < TRIES; i++) {
        const res = await mcpPost(token);
        assert.equal(res.status, 200, `${what} (try ${i + 1}): ${res.status} ${res.headers['www-authenticate'] ?? ''}`);
    }
}

async function assertInvalid(token) {
    for (let i = 0; i < TRIES; i++)
        assertRefused(await mcpPost(token), { status: 401, error: 'invalid_token' });
}

async function jwksKids() {
    const res = await request('GET', '/mcp-credentials/jwks.json');
    assert.equal(res.status, 200);
    return json(res).keys.map((k) => k.kid).sort();
}

// Rewrites the key ring, restarts gracefully, and waits until the new
// generation answers (its JWKS lists exactly the new ring, several times
// running, on fresh connections).
async function rotate(lines, expectedKids) {
    fs.writeFileSync(env.keysConf, lines.join('\n') + '\n');
    execFileSync(env.httpd, ['-f', env.httpdConf, '-t'], { stdio: 'pipe', timeout: 15000 });
    execFileSync(env.httpd, ['-f', env.httpdConf, '-k', 'graceful'], { stdio: 'pipe', timeout: 15000 });
    const want = [...expectedKids].sort();
    let streak = 0, last;
    const start = Date.now();
    while (streak < 5) {
        assert.ok(Date.now() - start < 15000, `the graceful restart did not take: JWKS ${last}`);
        try {
            last = JSON.stringify(await jwksKids());
            streak = last === JSON.stringify(want) ? streak + 1 : 0;
        } catch (e) {
            streak = 0;
            last = String(e);
        }
        await sleep(streak ? 20 : 100);
    }
}

let t1;

before(async () => {
    t1 = await mint('alice');
});

test('before: T1 is signed by the current key', async () => {
    assert.equal(decode(t1.token).header.kid, thumbprint('current'));
    assert.deepEqual(await jwksKids(), [thumbprint('current'), thumbprint('previous')].sort());
    await assertAccepted(t1.token, 'T1');
});

let t2;

test('a new signing key with the old one as MCPCredentialsVerifyKey: T1 still works, T2 carries the new kid', async () => {
    await rotate([
        `MCPCredentialsSigningKey ${keyFile('next')}`,
        // The old signing key (its private PEM is accepted as a verify key).
        `MCPCredentialsVerifyKey ${keyFile('current')}`,
    ], [thumbprint('next'), thumbprint('current')]);
    await assertAccepted(t1.token, 'T1 after the first rotation');
    t2 = await mint('alice');
    assert.equal(decode(t2.token).header.kid, thumbprint('next'), 'T2 signed by the new key');
    assert.notEqual(t2.jti, t1.jti);
    await assertAccepted(t2.token, 'T2');
    // Through a real client too, with the backend seeing alice.
    const client = await connect('http', t1.token);
    try {
        assertIdentity(await whoami(client), 'alice', 'ROLE_USER,ROLE_ADMIN', { forged: false });
    } finally {
        await client.close();
    }
    // The key that left the ring at this step (previous) verifies nothing now.
    await assertInvalid(signRS512('previous', claimsFor('mallory')));
});

test('the old key removed: T1 401 invalid_token, T2 still works', async () => {
    await rotate([`MCPCredentialsSigningKey ${keyFile('next')}`], [thumbprint('next')]);
    await assertInvalid(t1.token);
    await assertAccepted(t2.token, 'T2 after the old key went');
    const t3 = await mint('alice');
    assert.equal(decode(t3.token).header.kid, thumbprint('next'));
    await assertAccepted(t3.token, 'T3');
});
