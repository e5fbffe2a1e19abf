// MCPBearerRevokedTokens: `mcp-token revoke` adds a jti or a subject to the
// file, and within about a second every httpd process refuses the tokens it
// names.  Fail closed: once a process sees that the file changed into one it
// cannot use (unreadable by the workers, malformed, a directory, deleted), it
// refuses every bearer token ("revocation list unavailable") until a good
// version is back, and each process says so once per bad version at error
// level.

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

// The refusal of a process that cannot use the file, whatever the token.
async function assertUnavailableEverywhere(token) {
    for (let i = 0; i < TRIES; i++)
        assertRefused(await mcpPost(token),
            { status: 401, error: 'invalid_token', description: /^revocation list unavailable$/ });
}

// The error lines of the unavailable list in LOG: each process that saw
// the bad version says so once, however many requests it answered since.
const UNAVAILABLE_LINE = /^.*\[mcp_credentials:error\].*MCPBearerRevokedTokens: .*; every bearer token is refused until the file is readable and well-formed again$/gm;

function assertLoggedOncePerProcess(log, pattern = /./) {
    const lines = log.match(UNAVAILABLE_LINE) ?? [];
    assert.ok(lines.length > 0, `no error line about the unavailable list in:\n${log}`);
    const perPid = {};
    for (const line of lines) {
        assert.match(line, pattern);
        const pid = /\[pid (\d+)/.exec(line)?.[1];
        assert.ok(pid, `no pid in ${line}`);
        perPid[pid] = (perPid[pid] ?? 0) + 1;
    }
    for (const [pid, n] of Object.entries(perPid))
        assert.equal(n, 1, `process ${pid} logged the same bad version ${n} times:\n${lines.join('\n')}`);
    return lines;
}

// Puts GOOD back (unless done already) and waits until every process has
// looked at it again, so that the next test starts from a good list.
async function restore(good, state) {
    if (state.done)
        return;
    const st = fs.statSync(env.revoked, { throwIfNoEntry: false });
    if (st?.isDirectory())
        fs.rmdirSync(env.revoked);
    replaceFile(good, 0o644);
    state.done = true;
    await sleep(RECHECK_MS);
}

test('a revocation file the workers cannot read: every token refused until it is readable again', async (t) => {
    const good = fs.readFileSync(env.revoked, 'utf8');
    t.after(() => fs.chmodSync(env.revoked, 0o644));
    const other = await mint('alice');
    await assertAcceptedEverywhere(other.token, 'control: a fresh alice token');
    const logFrom = fs.statSync(env.errorLog).size;
    // Revokes alice #2, but only root can read it: httpd workers run as nobody.
    replaceFile(`${good}${keptOne.jti}\n`, 0o600);
    await sleep(RECHECK_MS);
    await assertUnavailableEverywhere(keptOne.token);
    await assertUnavailableEverywhere(other.token);
    // More requests, more looks at the file (every second while it is
    // unavailable): no more lines.
    await sleep(RECHECK_MS);
    await assertUnavailableEverywhere(other.token);
    await assertUnavailableEverywhere(revokedOne.token);
    assertLoggedOncePerProcess(errorLogSince(logFrom), /MCPBearerRevokedTokens: revocation file '[^']+' is unreadable \(permission denied\)/);
    // Readable again (same content, same mtime): it is picked up.
    fs.chmodSync(env.revoked, 0o644);
    await sleep(RECHECK_MS);
    for (const token of [keptOne.token, revokedOne.token])
        for (let i = 0; i < TRIES; i++)
            assertRefused(await mcpPost(token),
                { status: 401, error: 'invalid_token', description: /^the token has been revoked$/ });
    await assertAcceptedEverywhere(other.token, 'a token the list does not name');
});

test('a malformed revocation file: every token refused until a good version is back', async (t) => {
    const good = fs.readFileSync(env.revoked, 'utf8');
    // A malformed file would also stop the graceful restarts of 40-rotation.
    const state = { done: false };
    t.after(() => restore(good, state));
    const newcomer = await mint('alice');
    const other = await mint('alice');
    await assertAcceptedEverywhere(newcomer.token, 'control: a fresh alice token');
    const logFrom = fs.statSync(env.errorLog).size;
    replaceFile(`${good}${newcomer.jti}\nsub bob yesterday\n`, 0o644);
    await sleep(RECHECK_MS);
    await assertUnavailableEverywhere(newcomer.token);
    await assertUnavailableEverywhere(other.token);
    await assertUnavailableEverywhere(revokedOne.token);
    const log = errorLogSince(logFrom);
    assertLoggedOncePerProcess(log, /MCPBearerRevokedTokens: '[^']+': line \d+: .*every bearer token is refused/);
    assert.doesNotMatch(log, /yesterday/, 'the log repeats no content of the bad line');
    // The good list back, with the newcomer revoked: in force again.
    replaceFile(`${good}${newcomer.jti}\n`, 0o644);
    state.done = true;
    await sleep(RECHECK_MS);
    await assertRevokedEverywhere(newcomer.token);
    await assertAcceptedEverywhere(other.token, 'a token the good list does not name');
});

// The file gone, or a directory in its place: every token refused until
// the file is back.
for (const [what, breakIt, reason] of [
    ['a directory in place of the revocation file', () => {
        fs.unlinkSync(env.revoked);
        fs.mkdirSync(env.revoked, { mode: 0o755 });
    }, /is a directory/],
    ['a deleted revocation file', () => fs.unlinkSync(env.revoked), /does not exist/],
]) {
    test(`${what}: every token refused until the file is back`, async (t) => {
        const good = fs.readFileSync(env.revoked, 'utf8');
        const state = { done: false };
        t.after(() => restore(good, state));
        const token = (await mint('alice')).token;
        const logFrom = fs.statSync(env.errorLog).size;
        breakIt();
        await sleep(RECHECK_MS);
        await assertUnavailableEverywhere(token);
        await assertUnavailableEverywhere(revokedOne.token);
        assertLoggedOncePerProcess(errorLogSince(logFrom),
            new RegExp(`MCPBearerRevokedTokens: revocation file '[^']+' ${reason.source}`));
        await restore(good, state);
        await assertAcceptedEverywhere(token, 'the file is back');
        await assertRevokedEverywhere(revokedOne.token);
    });
}

// The parent reads the list at startup; a child it forks later (after a
// crash, MaxConnectionsPerChild, or to add spare threads) must not serve
// that old list, not even for its first second.  run.sh keeps the MPM from
// forking children on its own, so the other tests do not depend on this;
// here the children are killed, and the parent forks new ones.

// Kills httpd's children; the parent forks new ones within a second or
// two.  Then sends the tokens in turn, one every 20 ms for 3 s; returns
// {status: count}.
async function askNewChildren(...tokens) {
    const parent = fs.readFileSync(`${env.work}/httpd.pid`, 'utf8').trim();
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', parent], { encoding: 'utf8' })
        .trim().split(/\s+/).map(Number).filter(Boolean);
    assert.ok(children.length > 0, 'httpd has children');
    for (const pid of children)
        process.kill(pid, 'SIGKILL');
    const statuses = {};
    const start = Date.now();
    let n = 0;
    while (Date.now() - start < 3000) {
        const res = await mcpPost(tokens[n++ % tokens.length]);
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

// The same while the file is malformed: the parent, which follows the file
// from its monitor hook, holds the list unavailable, and so do the children
// it forks then (they also look at the file on their first request): they
// refuse every token, revoked or not.
test('a child started while the revocation file is malformed refuses every token', async (t) => {
    const good = fs.readFileSync(env.revoked, 'utf8');
    const state = { done: false };
    t.after(() => restore(good, state));
    const other = await mint('alice');
    await assertRevokedEverywhere(revokedOne.token);
    await assertAcceptedEverywhere(other.token, 'control: a fresh alice token');
    const parent = fs.readFileSync(`${env.work}/httpd.pid`, 'utf8').trim();
    const logFrom = fs.statSync(env.errorLog).size;
    replaceFile(`${good}sub bob yesterday\n`, 0o644);
    // httpd's parent runs its monitor hook every ten seconds or so.
    await sleep(PARENT_RECHECK_MS);
    const lines = assertLoggedOncePerProcess(errorLogSince(logFrom));
    assert.ok(lines.some((l) => l.includes(`[pid ${parent}`)),
        `the parent (pid ${parent}) saw the bad file:\n${lines.join('\n')}`);
    await assertUnavailableEverywhere(other.token);
    const statuses = await askNewChildren(revokedOne.token, other.token);
    assert.deepEqual(Object.keys(statuses), ['401'],
        'a revoked token and one that is not, sent every 20 ms for 3 s after the children ' +
        `were replaced while the file was malformed, got (status: count): ${JSON.stringify(statuses)}`);
    await assertUnavailableEverywhere(other.token);
});
