// After everything else ran: what the logs say.  The error log gives the
// reason of each refusal (at info) but never a token, and nothing from a
// token it refused ("mallory" in every refused token of 20-refusals) appears
// in the error or access log as if it were true.  The access log can carry
// the user and the jti of each accepted request.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { env } from './lib.mjs';
import { remembered } from './oauth.mjs';

const errorLog = () => fs.readFileSync(env.errorLog, 'utf8');
const accessLog = () => fs.readFileSync(env.accessLog, 'utf8');

test('the error log explains refusals at info level', () => {
    const log = errorLog();
    assert.match(log, /\[mcp_credentials:info\] .*bearer token refused for \/mcp: \S/);
    assert.match(log, /\[mcp_credentials:info\] .*no bearer token for \/mcp/);
    assert.match(log, /\[mcp_credentials:info\] .*user 'carol' lacks the authority for \/mcp/);
});

test('no token in the error log or the access log', () => {
    // Every JWT starts with the base64url of '{"': eyJ.  The one request of
    // 20-refusals that put a token in its URL (?access_token=, refused) is
    // in the access log's request line by the client's doing: left out.
    // OAuth client ids are public (in every authorization request's
    // line): their values are left out too.
    const access = accessLog().split('\n').filter((l) => !l.includes('?access_token=eyJ'))
        .map((l) => l.replace(/([?&]client_id=)[^&\s"]*/g, '$1...')).join('\n');
    for (const [name, log] of [['error', errorLog()], ['access', access]]) {
        const hit = /eyJ[\w-]{10,}/.exec(log);
        assert.equal(hit, null, `${name} log holds a token: ...${hit && log.slice(hit.index - 80, hit.index + 20)}`);
    }
});

test('nothing from a refused token or a forged header is logged as if true', () => {
    for (const [name, log] of [['error', errorLog()], ['access', accessLog()]]) {
        const line = log.split('\n').find((l) => /mallory|ROLE_GOD/.test(l));
        assert.equal(line, undefined, `${name} log: ${line}`);
    }
});

test('the access log carries the user and jti of accepted requests', () => {
    const lines = accessLog().split('\n').filter((l) => /^127\.0\.0\.1 alice "POST \/mcp HTTP\/1\.1" 200 jti=[0-9a-f-]{36}$/.test(l));
    assert.ok(lines.length > 10, `alice's accepted requests with their jti: ${lines.length}`);
});

test('no OAuth secret handed out (code, verifier, refresh or access token) in either log', () => {
    // 50-oauth and 60-oauth-clients write down every one they got.
    const secrets = remembered();
    for (const [name, log] of [['error', errorLog()], ['access', accessLog()]]) {
        for (const s of secrets) {
            const i = log.indexOf(s);
            assert.equal(i, -1, `${name} log holds a secret: ...${i >= 0 ? log.slice(Math.max(0, i - 120), i + 20) : ''}`);
        }
    }
});
