// MCPBearerRevokedTokens: `mcp-token revoke` adds a jti or a subject to the
// file, and within about a second every httpd process refuses the tokens it
// names; a file the workers cannot read, or cannot parse, keeps the last good
// list in force and says so at error level.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { env, mint, mcpPost, assertRefused, sleep, tool } from './lib.mjs';

// The module looks at the file at most once a second per process.
const RECHECK_MS = 1300;
// New connections each time, so that several httpd processes answer.
const TRIES = 6;

async function assertAcceptedEverywhere(token, what) {
    for (let i = 0; i < TRIES; i++) {
        const res = await mcpPost(token);
        assert.equal(res.status, 200, `${what} (try ${i + 1}): ${res.status} ${res.headers['www-authenticate'] ?? ''}`);
    }
}

async function assertRevokedEverywhere(token) {
    for (let i = 0; i < TRIES; i++)
        assertRefused(await mcpPost(token), { status: 401, error: 'invalid_token' });
}

// Replaces the file by rename, as an operator's tool would, with a mode.
function replaceFile(text, mode) {
    const tmp = `${env.revoked}.e2e-tmp`;
    fs.writeFileSync(tmp, text, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, env.revoked);
}

function errorLogSince(offset) {
    return fs.readFileSync(env.errorLog, 'utf8').slice(offset);
}

let revokedOne, keptOne, bobBefore;

before(async () => {
    revokedOne = await mint('alice');
    keptOne = await mint('alice');
    bobBefore = await mint('bob');
});

test('control: the three tokens are accepted before any revocation', async () => {
    await assertAcceptedEverywhere(revokedOne.token, 'alice #1');
    await assertAcceptedEverywhere(keptOne.token, 'alice #2');
    await assertAcceptedEverywhere(bobBefore.token, 'bob');
});

test('revoked jti (mcp-token revoke --file F JTI): 401 invalid_token, other tokens unaffected', async () => {
    tool('revoke', '--file', env.revoked, revokedOne.jti);
    assert.match(fs.readFileSync(env.revoked, 'utf8'), new RegExp(`^${revokedOne.jti}$`, 'm'));
    await sleep(RECHECK_MS);
    await assertRevokedEverywhere(revokedOne.token);
    await assertAcceptedEverywhere(keptOne.token, 'alice #2 (not revoked)');
    await assertAcceptedEverywhere(bobBefore.token, 'bob (not revoked yet)');
});

test('revoked subject (mcp-token revoke --sub bob): his earlier tokens 401, a later one works', async () => {
    tool('revoke', '--file', env.revoked, '--sub', 'bob');
    assert.match(fs.readFileSync(env.revoked, 'utf8'), /^sub bob \S+Z$/m);
    await sleep(RECHECK_MS);
    await assertRevokedEverywhere(bobBefore.token);
    await assertAcceptedEverywhere(keptOne.token, 'alice #2');
    // Issued after the revocation time (iat is whole seconds, and the
    // revocation covers tokens issued at or before its time).
    const bobAfter = await mint('bob');
    assert.ok(bobAfter.issuedAt > fs.readFileSync(env.revoked, 'utf8').match(/^sub bob (\S+)$/m)[1]);
    await assertAcceptedEverywhere(bobAfter.token, 'bob after the revocation');
});

test('a revocation file the workers cannot read keeps the last good list, logged at error level', async (t) => {
    const good = fs.readFileSync(env.revoked, 'utf8');
    t.after(() => fs.chmodSync(env.revoked, 0o644));
    const logFrom = fs.statSync(env.errorLog).size;
    // Revokes alice #2, but only root can read it: httpd workers run as nobody.
    replaceFile(`${good}${keptOne.jti}\n`, 0o600);
    await sleep(RECHECK_MS);
    await assertAcceptedEverywhere(keptOne.token, 'alice #2 (the new list could not be read)');
    await assertRevokedEverywhere(revokedOne.token);
    const log = errorLogSince(logFrom);
    assert.match(log, /\[mcp_credentials:error\].*MCPBearerRevokedTokens: .*stays in force/, log);
    // Readable again (same content, same mtime): it is picked up.
    fs.chmodSync(env.revoked, 0o644);
    await sleep(RECHECK_MS);
    await assertRevokedEverywhere(keptOne.token);
});

test('a malformed revocation file keeps the last good list, logged at error level', async (t) => {
    const good = fs.readFileSync(env.revoked, 'utf8');
    // A malformed file would also stop the graceful restarts of 40-rotation.
    let repaired = false;
    t.after(() => repaired || replaceFile(good, 0o644));
    const newcomer = await mint('alice');
    await assertAcceptedEverywhere(newcomer.token, 'control: a fresh alice token');
    const logFrom = fs.statSync(env.errorLog).size;
    replaceFile(`${good}${newcomer.jti}\nsub bob yesterday\n`, 0o644);
    await sleep(RECHECK_MS);
    await assertAcceptedEverywhere(newcomer.token, 'the bad file is not half-applied');
    await assertRevokedEverywhere(revokedOne.token);
    const log = errorLogSince(logFrom);
    assert.match(log, /\[mcp_credentials:error\].*MCPBearerRevokedTokens: '[^']+': line \d+: .*stays in force/, log);
    assert.doesNotMatch(log, /yesterday/, 'the log repeats no content of the bad line');
    // The good list back, with the newcomer revoked: in force again.
    replaceFile(`${good}${newcomer.jti}\n`, 0o644);
    repaired = true;
    await sleep(RECHECK_MS);
    await assertRevokedEverywhere(newcomer.token);
});

// The parent reads the list at startup; a child it forks later (after a
// crash, MaxConnectionsPerChild, or to add spare threads) must not serve
// that old list, not even for its first second.  run.sh keeps the MPM from
// forking children on its own, so the other tests do not depend on this;
// here the children are killed, and the parent forks new ones.

// Kills httpd's children; the parent forks new ones within a second or
// two.  Then sends the token every 20 ms for 3 s; returns {status: count}.
async function askNewChildren(token) {
    const parent = fs.readFileSync(`${env.work}/httpd.pid`, 'utf8').trim();
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', parent], { encoding: 'utf8' })
        .trim().split(/\s+/).map(Number).filter(Boolean);
    assert.ok(children.length > 0, 'httpd has children');
    for (const pid of children)
        process.kill(pid, 'SIGKILL');
    const statuses = {};
    const start = Date.now();
    while (Date.now() - start < 3000) {
        const res = await mcpPost(token);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        await sleep(20);
    }
    return statuses;
}

const PARENT_RECHECK_MS = 11_000;

test('a newly started httpd child honours the revocations made since startup', async () => {
    await assertRevokedEverywhere(revokedOne.token);
    const statuses = await askNewChildren(revokedOne.token);
    assert.deepEqual(Object.keys(statuses), ['401'],
        'a revoked token, sent every 20 ms for 3 s after the children were killed and ' +
        `replaced, got these answers (status: count): ${JSON.stringify(statuses)}`);
});

// The same while the file is malformed: the new child cannot read the
// file, and the last good list (which revokes alice #1) must stay in force
// there too, not the list of httpd's startup.
test('a child started while the revocation file is malformed keeps the last good list', async (t) => {
    const good = fs.readFileSync(env.revoked, 'utf8');
    t.after(() => replaceFile(good, 0o644));
    await assertRevokedEverywhere(revokedOne.token);
    // httpd's parent runs its monitor hook every ten seconds or so: that is
    // how fast the copy that new children inherit follows the file.
    await sleep(PARENT_RECHECK_MS);
    replaceFile(`${good}sub bob yesterday\n`, 0o644);
    await sleep(RECHECK_MS);
    await assertRevokedEverywhere(revokedOne.token);
    const statuses = await askNewChildren(revokedOne.token);
    assert.deepEqual(Object.keys(statuses), ['401'],
        'a revoked token, sent every 20 ms for 3 s after the children were replaced while ' +
        `the file was malformed, got (status: count): ${JSON.stringify(statuses)}`);
});
