// What httpd refuses, and how: each bad token gets its status and its
// WWW-Authenticate challenge (RFC 6750, MCP authorization).  Refusals have
// controls beside them that differ in the one thing being tested and are let
// through, so a refusal cannot pass for the wrong reason.  Also: the CORS
// preflight, the RFC 9728 metadata, the JWKS under PyJWT, and the
// credentials handler refusing to mint for a bearer token.
// Refused tokens name "mallory", the controls "dave": 90-logs checks that
// nothing from a refused token reaches the logs.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
    env, request, json, mint, decode, b64json, b64url, claimsFor, signRS512, thumbprint, keyFile,
    assertRefused, mcpPost, metadataUrl, connect, python, basic,
} from './lib.mjs';

let alice, bob, carol;

before(async () => {
    alice = await mint('alice');
    bob = await mint('bob');
    carol = await mint('carol');
});

// The backend answered the initialize: httpd let the request through.
function assertAccepted(res, what) {
    assert.equal(res.status, 200, `${what}: ${res.status} ${res.headers['www-authenticate'] ?? ''} ${res.text.slice(0, 200)}`);
    assert.match(res.text, /"serverInfo":\{"name":"mcp-e2e-backend"/, what);
}

const now = () => Math.floor(Date.now() / 1000);

// --- no token -------------------------------------------------------------

test('no token: 401, Bearer challenge with realm and resource_metadata, no error', async () => {
    assertRefused(await mcpPost(null), { status: 401, error: null });
    assertRefused(await request('GET', '/sse'), { status: 401, error: null, path: '/sse' });
    // /messages is part of the /sse resource (MCPBearerResource): its
    // challenge points at the /sse document.
    assertRefused(await request('POST', '/messages?sessionId=x', {
        headers: { 'content-type': 'application/json' }, body: '{}',
    }), { status: 401, error: null, path: '/sse' });
    // Another scheme is no token either.
    assertRefused(await mcpPost(null, { authorization: basic('alice') }), { status: 401, error: null });
});

test('the token is read from the Authorization header only: not a query parameter, not a cookie', async () => {
    assertRefused(await mcpPost(null, {}, `/mcp?access_token=${alice.token}`), { status: 401, error: null });
    assertRefused(await mcpPost(null, { cookie: `access_token=${alice.token}; token=${alice.token}` }),
        { status: 401, error: null });
    assertAccepted(await mcpPost(alice.token), 'control: the same token in the header');
    // RFC 7235: the scheme name is case-insensitive.
    assertAccepted(await mcpPost(null, { authorization: `bearer ${alice.token}` }), 'lower-case scheme');
});

test('control: tokens signed here with the signing key or the previous key are accepted', async () => {
    assertAccepted(await mcpPost(signRS512('current', claimsFor('dave'))), 'signing key, kid');
    assertAccepted(await mcpPost(signRS512('current', claimsFor('dave'), { kid: undefined })), 'signing key, no kid');
    assertAccepted(await mcpPost(signRS512('previous', claimsFor('dave'))), 'MCPCredentialsVerifyKey');
});

// --- time ---------------------------------------------------------------

test('expired (exp 120 s ago, beyond the 60 s leeway): 401 invalid_token', async () => {
    const t = now();
    const res = await mcpPost(signRS512('current', claimsFor('mallory', { iat: t - 3600, nbf: t - 3600, exp: t - 120 })));
    assertRefused(res, { status: 401, error: 'invalid_token' });
    assertAccepted(await mcpPost(signRS512('current', claimsFor('dave', { iat: t - 3600, nbf: t - 3600, exp: t - 20 }))),
        'control: expired 20 s ago, within the leeway');
});

test('not yet valid (nbf in 300 s): 401 invalid_token', async () => {
    const t = now();
    assertRefused(await mcpPost(signRS512('current', claimsFor('mallory', { nbf: t + 300 }))),
        { status: 401, error: 'invalid_token' });
    assertAccepted(await mcpPost(signRS512('current', claimsFor('dave', { nbf: t + 20 }))),
        'control: nbf 20 s ahead, within the leeway');
});

test('no exp at all: 401 invalid_token', async () => {
    const claims = claimsFor('mallory');
    delete claims.exp;
    assertRefused(await mcpPost(signRS512('current', claims)), { status: 401, error: 'invalid_token' });
});

// --- signature and algorithm -------------------------------------------------

test('signed by a key httpd does not know: 401 invalid_token', async () => {
    const claims = claimsFor('mallory');
    for (const kid of [thumbprint('current'), thumbprint('stranger'), undefined]) {
        assertRefused(await mcpPost(signRS512('stranger', claims, { kid })),
            { status: 401, error: 'invalid_token' });
    }
});

test('alg none: 401 invalid_token', async () => {
    const claims = b64json(claimsFor('mallory'));
    for (const header of [{ alg: 'none', typ: 'JWT' }, { alg: 'none', typ: 'JWT', kid: thumbprint('current') },
        { alg: 'None' }]) {
        assertRefused(await mcpPost(`${b64json(header)}.${claims}.`), { status: 401, error: 'invalid_token' });
    }
});

test('HS512 with the public key PEM as the HMAC secret: 401 invalid_token', async () => {
    const pem = fs.readFileSync(keyFile('current', true), 'utf8');
    const jwkPub = JSON.stringify(crypto.createPublicKey(pem).export({ format: 'jwk' }));
    const input = `${b64json({ alg: 'HS512', typ: 'JWT', kid: thumbprint('current') })}.${b64json(claimsFor('mallory'))}`;
    for (const secret of [pem, pem.trim(), jwkPub]) {
        const sig = crypto.createHmac('sha512', secret).update(input).digest();
        assertRefused(await mcpPost(`${input}.${b64url(sig)}`), { status: 401, error: 'invalid_token' });
    }
});

test('tampered payload (bob made mallory, admin added), signature kept: 401 invalid_token', async () => {
    assertAccepted(await mcpPost(bob.token), 'control: bob\'s token as minted');
    const [h, , s] = bob.token.split('.');
    const claims = decode(bob.token).claims;
    const forged = { ...claims, sub: 'mallory', authorities: ['ROLE_USER', 'ROLE_ADMIN'] };
    assertRefused(await mcpPost(`${h}.${b64json(forged)}.${s}`), { status: 401, error: 'invalid_token' });
    // One claim changed, nothing else: a later expiry.
    assertRefused(await mcpPost(`${h}.${b64json({ ...claims, exp: claims.exp + 86400 })}.${s}`),
        { status: 401, error: 'invalid_token' });
});

test('wrong or missing issuer: 401 invalid_token', async () => {
    assertRefused(await mcpPost(signRS512('current', claimsFor('mallory', { iss: 'https://evil.example' }))),
        { status: 401, error: 'invalid_token' });
    const claims = claimsFor('mallory');
    delete claims.iss;
    assertRefused(await mcpPost(signRS512('current', claims)), { status: 401, error: 'invalid_token' });
});

test('garbage in the Authorization header: 401 invalid_token', async () => {
    for (const t of ['not-a-jwt', 'a.b.c', `${alice.token}.extra`, alice.token.replace(/\./g, '')])
        assertRefused(await mcpPost(t), { status: 401, error: 'invalid_token' });
});

// --- authority ----------------------------------------------------------

test('a valid token without ROLE_USER: 403 insufficient_scope', async () => {
    assert.deepEqual(carol.authorities, ['ROLE_GUEST']);
    assertRefused(await mcpPost(carol.token), { status: 403, error: 'insufficient_scope' });
    assertRefused(await request('GET', '/sse', { headers: { authorization: `Bearer ${carol.token}` } }),
        { status: 403, error: 'insufficient_scope', path: '/sse' });
    // Authorities come from the token, not from the user: alice's token
    // restricted to ROLE_ADMIN lacks ROLE_USER.
    const adminOnly = await mint('alice', { expiresIn: 'PT1H', authorities: ['ROLE_ADMIN'] });
    assert.deepEqual(adminOnly.authorities, ['ROLE_ADMIN']);
    assertRefused(await mcpPost(adminOnly.token), { status: 403, error: 'insufficient_scope' });
    // The SDK client surfaces it as a 403.
    await assert.rejects(connect('http', carol.token), (e) => {
        assert.equal(e.code, 403, String(e));
        return true;
    });
});

// --- the credentials handler behind a bearer token --------------------------

test('minting with a bearer token is refused: 403', async () => {
    const res = await request('POST', '/bearer-mint/token', {
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ expiresIn: 'P1D' }),
    });
    assert.equal(res.status, 403, res.text);
    assert.equal(json(res).error, 'bearer_not_allowed');
    assert.doesNotMatch(res.text, /eyJ/, 'no token in the answer');
    // Control: the location does authenticate with mcp-bearer (no token: 401).
    assertRefused(await request('POST', '/bearer-mint/token', {
        headers: { 'content-type': 'application/json' }, body: '{"expiresIn":"P1D"}',
    }), { status: 401, error: null, path: '/bearer-mint/token' });
});

// --- CORS preflight -------------------------------------------------------

test('a CORS preflight to /mcp is answered by httpd without a token, never by the backend', async () => {
    for (const path of ['/mcp', '/sse', '/messages']) {
        const res = await request('OPTIONS', path, {
            headers: {
                origin: 'https://inspector.example',
                'access-control-request-method': 'POST',
                'access-control-request-headers': 'authorization, content-type',
                'x-mcp-user': 'mallory',
            },
        });
        assert.equal(res.status, 204, `${path}: ${res.status} ${res.headers['www-authenticate'] ?? ''}`);
        assert.equal(res.headers['www-authenticate'], undefined);
        assert.equal(res.headers['x-backend-path'], undefined, 'the backend never sees a preflight');
        assert.equal(res.headers['access-control-allow-origin'], 'https://inspector.example');
        assert.match(res.headers['access-control-allow-headers'] ?? '', /\bAuthorization\b/);
        assert.match(res.headers['access-control-allow-headers'] ?? '', /\bMcp-Session-Id\b/);
    }
    // An origin the operator did not list gets no CORS answer.
    const evil = await request('OPTIONS', '/mcp', {
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    assert.equal(evil.headers['x-backend-path'], undefined);
    // Control: an OPTIONS that is no preflight still needs a token.
    assertRefused(await request('OPTIONS', '/mcp', { headers: { origin: 'https://inspector.example' } }),
        { status: 401, error: null });
});

test('a request from an allowed origin: the challenge and the answer carry one CORS header', async () => {
    const refused = await request('POST', '/mcp', {
        headers: { origin: 'https://inspector.example', 'content-type': 'application/json' },
        body: '{}',
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['access-control-allow-origin'], 'https://inspector.example');
    assert.match(refused.headers['access-control-expose-headers'] ?? '', /WWW-Authenticate/);
    const { token } = await mint('alice');
    const served = await request('POST', '/mcp', {
        headers: {
            origin: 'https://inspector.example',
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(served.status, 200, served.text);
    assert.equal(served.headers['access-control-allow-origin'], 'https://inspector.example');
});

// --- RFC 9728 metadata ----------------------------------------------------

test('GET /.well-known/oauth-protected-resource/mcp: anonymous 200 JSON for the /mcp resource', async () => {
    const res = await request('GET', '/.well-known/oauth-protected-resource/mcp');
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'], /^application\/json\b/);
    const doc = json(res);
    assert.equal(doc.resource, `${env.base}/mcp`);
    assert.match(doc.resource, /\/mcp$/);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
    assert.equal(doc.resource_documentation, `${env.base}/mcp-credentials`);
    assert.equal(typeof doc.resource_name, 'string');
    // MCPOAuth On: httpd itself, the public origin with no path.
    assert.deepEqual(doc.authorization_servers, [env.base]);
    // The challenge of each guarded path points at metadata for that path.
    for (const path of ['/mcp', '/sse']) {
        const challenge = await request('GET', path);
        const url = /resource_metadata="([^"]+)"/.exec(challenge.headers['www-authenticate'])[1];
        assert.equal(url, metadataUrl(path));
        const meta = await request('GET', new URL(url).pathname);
        assert.equal(meta.status, 200);
        assert.equal(json(meta).resource, `${env.base}${path}`);
    }
    const root = await request('GET', '/.well-known/oauth-protected-resource');
    assert.equal(root.status, 200);
    assert.equal(json(root).resource, env.base);
});

// --- JWKS -----------------------------------------------------------------

const PYJWT_VERIFY = `
import json, sys, jwt
jwks, token = json.loads(sys.stdin.readline()), sys.stdin.readline().strip()
kid = jwt.get_unverified_header(token)["kid"]
keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(jwks).keys}
claims = jwt.decode(token, keys[kid].key, algorithms=["RS512"], issuer="activeviam",
                    options={"require": ["exp", "iat", "sub", "iss", "jti"]})
print(json.dumps({"kid": kid, "claims": claims}))
`;

test('GET /mcp-credentials/jwks.json (anonymous): PyJWT verifies a minted token with it', async () => {
    const res = await request('GET', '/mcp-credentials/jwks.json');
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'], /^application\/(jwk-set\+)?json\b/);
    const maxAge = /max-age=(\d+)/.exec(res.headers['cache-control'] ?? '');
    assert.ok(maxAge && +maxAge[1] >= 60 && +maxAge[1] <= 3600, `cacheable for minutes: ${res.headers['cache-control']}`);
    const jwks = json(res);
    const kids = jwks.keys.map((k) => k.kid).sort();
    assert.deepEqual(kids, [thumbprint('current'), thumbprint('previous')].sort());
    for (const k of jwks.keys) {
        assert.equal(k.kty, 'RSA');
        assert.equal(k.alg, 'RS512');
        assert.equal(k.use, 'sig');
        assert.ok(k.n && k.e);
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
            assert.equal(k[secret], undefined, `no private member ${secret}`);
    }
    const out = JSON.parse(python(PYJWT_VERIFY, `${res.text.trim()}\n${alice.token}\n`));
    assert.equal(out.kid, thumbprint('current'));
    assert.equal(out.claims.sub, 'alice');
    assert.equal(out.claims.jti, alice.jti);
    assert.deepEqual(out.claims.authorities, ['ROLE_USER', 'ROLE_ADMIN']);
    // Control: the same verifier refuses a tampered token.
    const [h, , s] = alice.token.split('.');
    const tampered = `${h}.${b64json({ ...decode(alice.token).claims, sub: 'mallory' })}.${s}`;
    assert.throws(() => python(PYJWT_VERIFY, `${res.text.trim()}\n${tampered}\n`),
        /InvalidSignatureError|Signature verification failed/);
});
