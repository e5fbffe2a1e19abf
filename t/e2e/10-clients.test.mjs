// Real MCP clients through httpd: a token minted at /mcp-credentials/token
// lists and calls tools over Streamable HTTP and SSE, with the SDK's clients
// and with mcp-remote over stdio; the backend sees the token's user and
// authorities, never the copies the client forged, and no Authorization.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import {
    env, mint, decode, thumbprint, connect, connectMcpRemote, startMcpRemote,
    mcpRemoteAuthorizationUrl, whoami, assertIdentity, FORGED, withTimeout,
} from './lib.mjs';

let alice;

before(async () => {
    alice = await mint('alice');
});

test('the token endpoint mints an RS512 token for alice with her roles', () => {
    assert.deepEqual(alice.authorities, ['ROLE_USER', 'ROLE_ADMIN']);
    assert.equal(alice.tokenType, 'Bearer');
    const { header, claims } = decode(alice.token);
    assert.equal(header.alg, 'RS512');
    assert.equal(header.kid, thumbprint('current'), 'signed by the configured signing key');
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.iss, 'activeviam');
    assert.equal(claims.jti, alice.jti);
    assert.deepEqual(claims.authorities, ['ROLE_USER', 'ROLE_ADMIN']);
    const now = Date.now() / 1000;
    assert.ok(Math.abs(claims.exp - (now + 86400)) < 120, `exp ${claims.exp} is one day ahead`);
});

async function exercise(client) {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['echo', 'whoami']);
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hello through httpd' } });
    assert.equal(echoed.content[0].text, 'hello through httpd');
    return whoami(client);
}

test('SDK client, Streamable HTTP: lists and calls tools; the backend sees alice, not the forgeries', async () => {
    const client = await connect('http', alice.token, { headers: FORGED });
    try {
        const seen = await exercise(client);
        assertIdentity(seen, 'alice', 'ROLE_USER,ROLE_ADMIN');
    } finally {
        await client.close();
    }
});

test('control: with MCPBearerForwardToken On the backend does get Authorization', async () => {
    const client = await connect('http', alice.token, { path: '/mcp/forward', headers: FORGED });
    try {
        const seen = await whoami(client);
        assertIdentity(seen, 'alice', 'ROLE_USER,ROLE_ADMIN', { authorization: true });
    } finally {
        await client.close();
    }
});

test('SDK client, SSE (/sse + /messages): lists and calls tools; the backend sees alice', async () => {
    const client = await connect('sse', alice.token, { headers: FORGED });
    try {
        const seen = await exercise(client);
        assertIdentity(seen, 'alice', 'ROLE_USER,ROLE_ADMIN');
    } finally {
        await client.close();
    }
});

const forgedArgs = Object.entries(FORGED).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);

// Access log lines ("%h %u \"%r\" %>s jti=...") of the requests a token made.
function accessLines(jti) {
    return fs.readFileSync(env.accessLog, 'utf8').split('\n').filter((l) => l.endsWith(` jti=${jti}`));
}

for (const [mode, transportClass, paths] of [
    // GET /mcp asks for a stream the stateless backend does not keep: its 405.
    ['http-only', 'StreamableHTTPClientTransport', /^(POST|GET) \/mcp HTTP/],
    ['sse-only', 'SSEClientTransport', /^(GET \/sse|POST \/messages\?sessionId=[\w-]+) HTTP/],
]) {
    test(`mcp-remote --transport ${mode} over stdio: lists and calls tools as alice`, async () => {
        // A token of its own, to find this client's requests in the access log.
        const minted = await mint('alice');
        const client = await connectMcpRemote(mode, minted.token, { extraArgs: forgedArgs });
        try {
            const seen = await withTimeout(exercise(client), 15000, `mcp-remote ${mode} tools`);
            assertIdentity(seen, 'alice', 'ROLE_USER,ROLE_ADMIN');
            const stderr = client.mcpRemoteStderr();
            // The transport asked for is the one used (a bare "sse-only"
            // would silently fall back to http-first).
            assert.match(stderr, new RegExp(`Connected to remote server using ${transportClass}\\b`), stderr);
            assert.ok(!stderr.includes(minted.token), 'mcp-remote does not print the token');
        } finally {
            await client.close();
        }
        // The minting request carries the jti too (the module notes it).
        const all = accessLines(minted.jti);
        const lines = all.filter((l) => !l.includes('"POST /mcp-credentials/token '));
        assert.equal(all.length - lines.length, 1, `one minting line: ${all.join('\n')}`);
        assert.ok(lines.length >= 3, `requests with jti ${minted.jti}: ${lines.join('\n')}`);
        for (const l of lines) {
            const m = /^127\.0\.0\.1 (\S+) "([^"]*)" (\d+) jti=/.exec(l);
            assert.ok(m, l);
            assert.equal(m[1], 'alice', `access log user: ${l}`);
            assert.match(m[2], paths, `only ${mode} paths: ${l}`);
            assert.match(m[3], m[2].startsWith('GET /mcp ') ? /^405$/ : /^20[02]$/, l);
        }
    });
}

test('the SDK clients surface a rejected token as a 401 error', async () => {
    const bad = alice.token.slice(0, -4) + (alice.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await assert.rejects(connect('http', bad), (e) => {
        assert.equal(e.code, 401, `Streamable HTTP error: ${e}`);
        return true;
    });
    await assert.rejects(connect('sse', bad), (e) => {
        assert.equal(e.code, 401, `SSE error: ${e}`);
        return true;
    });
    await assert.rejects(connect('http', null), (e) => {
        assert.equal(e.code, 401, `no token: ${e}`);
        return true;
    });
});

test('mcp-remote with a rejected token turns to signing in at httpd, and connects to nothing meanwhile', async () => {
    const bad = alice.token.slice(0, -4) + (alice.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const run = startMcpRemote([`${env.base}/mcp`, '--transport', 'http-only',
        '--header', 'Authorization: Bearer ${MCP_TOKEN}'], { extraEnv: { MCP_TOKEN: bad } });
    try {
        // It took the 401 for a call to sign in, found httpd's authorization
        // server, registered, and asks the user to approve.
        const url = new URL(await mcpRemoteAuthorizationUrl(run));
        const base = process.env.E2E_OAUTH_BASE ?? '/mcp-credentials';
        assert.equal(`${url.origin}${url.pathname}`, `${env.base}${base}/oauth/authorize`);
        assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
        assert.ok(url.searchParams.get('client_id'), 'a registered client');
        assert.doesNotMatch(run.stderr(), /Connected to remote server/, run.stderr());
        assert.ok(!run.stderr().includes(bad), 'mcp-remote does not print the token');
    } finally {
        await run.transport.close().catch(() => {});
    }
});

test('the MCP server and httpd listen on 127.0.0.1 only', () => {
    for (const url of [process.env.E2E_BACKEND, env.base]) {
        const port = new URL(url).port;
        const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
        const locals = out.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3]);
        assert.ok(locals.length > 0, `nothing listens on ${port}: ${out}`);
        for (const a of locals)
            assert.equal(a, `127.0.0.1:${port}`, `listening socket ${a}`);
    }
});
