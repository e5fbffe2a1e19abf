// The OAuth 2.1 authorization server (MCPOAuth On), with plain HTTP:
// discovery (RFC 8414, RFC 9728), dynamic registration (RFC 7591) and its
// refusals, the authorization request's error page versus error redirect,
// the consent page (framing, what it shows, cross-site and replayed
// approvals), the token endpoint with every refusal's exact answer, refresh
// rotation inside and after the grace window, revocation (RFC 7009) and
// mcp-token revoke --sub, the access token's resource at /mcp and /sse, a
// graceful restart with shmcb (grants end), and no secret in the logs.
// Not here: a code's 60 s expiry (waiting it out would add half a minute).
// Users: alice (ROLE_USER, ROLE_ADMIN), bob (ROLE_USER); the consent page is
// behind the location's Basic sign-in.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
    env, request, json, mint, decode, mcpPost, assertRefused, connect, whoami, sleep, tool,
} from './lib.mjs';
import {
    ISSUER, OAUTH_BASE, ENDPOINT, RESOURCE, ACCESS_LIFETIME, ALICE_ROLES,
    pkce, randomState, register, clientMetadata, registerOk, assertRegistrationRefused, forge,
    authorizeQuery, authorizeGet, assertErrorRedirect, assertErrorPage,
    textById, indexOfId, consentPage, submitConsent, sameOrigin, authorize,
    exchange, refresh, revoke, assertTokens, assertTokenError, verifiedClaims,
    audiences, remembered, requestHead, rawRequest, CONSENT_FIELDS,
} from './oauth.mjs';

// A native client on a loopback port, and a second one (for the
// "issued to another client" cases).
const REDIRECT = 'http://127.0.0.1:5555/callback';
const OTHER_REDIRECT = 'http://127.0.0.1:5556/cb';
let client, other;

before(async () => {
    client = await registerOk([REDIRECT], { client_name: 'e2e native client' });
    other = await registerOk([OTHER_REDIRECT], { client_name: 'e2e other client' });
});

const now = () => Math.floor(Date.now() / 1000);

// The grant of one approval for `client`, exchanged: { grant, tokens }.
async function approvedTokens(opts = {}) {
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT, ...opts });
    const tokens = assertTokens(await exchange(grant), 'code exchange');
    return { grant, tokens };
}

// --- discovery --------------------------------------------------------------

test('RFC 8414 metadata at /.well-known/oauth-authorization-server: anonymous, CORS, the issuer and its endpoints', async () => {
    const res = await request('GET', '/.well-known/oauth-authorization-server');
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'] ?? '', /^application\/json\b/);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const doc = json(res);
    const b = `${ISSUER}${OAUTH_BASE}`;
    assert.equal(doc.issuer, ISSUER, 'the public origin, no path, no trailing slash');
    assert.deepEqual({
        authorization_endpoint: doc.authorization_endpoint,
        token_endpoint: doc.token_endpoint,
        registration_endpoint: doc.registration_endpoint,
        revocation_endpoint: doc.revocation_endpoint,
        response_types_supported: doc.response_types_supported,
        grant_types_supported: doc.grant_types_supported,
        code_challenge_methods_supported: doc.code_challenge_methods_supported,
        token_endpoint_auth_methods_supported: doc.token_endpoint_auth_methods_supported,
        authorization_response_iss_parameter_supported: doc.authorization_response_iss_parameter_supported,
    }, {
        authorization_endpoint: `${b}/oauth/authorize`,
        token_endpoint: `${b}/oauth/token`,
        registration_endpoint: `${b}/oauth/register`,
        revocation_endpoint: `${b}/oauth/revoke`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        authorization_response_iss_parameter_supported: true,
    });
    assert.notEqual(doc.client_id_metadata_document_supported, true, 'no pinned client documents here');
});

test('RFC 9728 documents name the issuer; /mcp and /sse (with /messages) are the resources', async () => {
    for (const [path, resource] of [['/mcp', RESOURCE.mcp], ['/sse', RESOURCE.sse]]) {
        const res = await request('GET', `/.well-known/oauth-protected-resource${path}`);
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        const doc = json(res);
        assert.equal(doc.resource, resource);
        assert.deepEqual(doc.authorization_servers, [ISSUER]);
    }
    // The 401 of each guarded path points at its resource's document:
    // /messages belongs to /sse.
    assertRefused(await mcpPost(null), { status: 401, error: null, path: '/mcp' });
    assertRefused(await request('GET', '/sse'), { status: 401, error: null, path: '/sse' });
    assertRefused(await request('POST', '/messages?sessionId=x', {
        headers: { 'content-type': 'application/json' }, body: '{}',
    }), { status: 401, error: null, path: '/sse' });
});

test('the anonymous endpoints answer CORS preflights for any origin', async () => {
    for (const [path, method] of [[ENDPOINT.token, 'POST'], [ENDPOINT.register, 'POST'], [ENDPOINT.revoke, 'POST'],
        ['/.well-known/oauth-authorization-server', 'GET']]) {
        const res = await request('OPTIONS', path, {
            headers: {
                origin: 'https://client.example', 'access-control-request-method': method,
                'access-control-request-headers': 'content-type',
            },
        });
        assert.ok([200, 204].includes(res.status), `${path}: ${res.status}`);
        assert.equal(res.headers['access-control-allow-origin'], '*', path);
        assert.match(res.headers['access-control-allow-methods'] ?? '', new RegExp(`\\b${method}\\b`), path);
        if (method === 'POST')
            assert.match(res.headers['access-control-allow-headers'] ?? '', /\bcontent-type\b/i, path);
    }
});

test('only the exact endpoint paths answer without a user: other spellings fall through to the sign-in', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const target of [
        `${OAUTH_BASE}//oauth/token`, `${OAUTH_BASE}/oauth/token/`, `${OAUTH_BASE}/oauth/./token`,
        `${OAUTH_BASE}/./oauth/token`, `${OAUTH_BASE}/oauth/%74oken`, `${OAUTH_BASE}/oauth/token;x`,
        `${OAUTH_BASE}/oauth/register/`, `${OAUTH_BASE}//oauth/register`, `${OAUTH_BASE}/oauth/revoke/`,
        `${OAUTH_BASE}/x/../oauth/token`,
    ]) {
        const res = await rawRequest('POST', target, { headers: form, body: 'grant_type=refresh_token&refresh_token=x&client_id=y' });
        assert.equal(res.status, 401, `${target}: ${res.status} ${res.text.slice(0, 120)}`);
        assert.match(res.headers['www-authenticate'] ?? '', /^Basic\b/, target);
    }
    // Control: the exact path answers without a user.
    const res = await rawRequest('POST', ENDPOINT.token, { headers: form, body: 'grant_type=refresh_token&refresh_token=x&client_id=y' });
    assert.equal(res.status, 401);
    assert.equal(json(res).error, 'invalid_client');
});

test('a bearer token cannot approve: the credentials handler behind mcp-bearer answers 403, no redirect', async () => {
    const { token } = await mint('alice', { expiresIn: 'PT1H' });
    const q = authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge: pkce().challenge });
    const res = await request('GET', `/bearer-mint/oauth/authorize?${q}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403, `${res.status} ${res.text.slice(0, 200)}`);
    assert.equal(res.headers.location, undefined);
    assert.doesNotMatch(res.text, /name="decision"/, 'no consent form');
    // Nor at the credentials location, which signs in with Basic.
    const there = await authorizeGet(q, { user: null, headers: { authorization: `Bearer ${token}` } });
    assert.equal(there.status, 401);
});

// --- refresh replay, first half -------------------------------------------------

// The grace window: this test (early) refreshes and replays at once; the
// last test but one replays again once 30 s have passed (the tests in
// between run meanwhile).
const GRACE_MS = 30000;
let grace;

test('refresh replayed within 30 s: 200 with the same next refresh token', async () => {
    const a = await approvedTokens();
    const control = await approvedTokens();
    const r1 = a.tokens.refresh_token;
    const first = assertTokens(await refresh(r1, client.client_id), 'first rotation');
    const at = Date.now();
    const replay = assertTokens(await refresh(r1, client.client_id), 'replay within the window');
    assert.equal(replay.refresh_token, first.refresh_token, 'the same next refresh token');
    assert.equal((await mcpPost(replay.access_token)).status, 200, 'a working access token');
    assert.equal(decode(replay.access_token).claims.sub, 'alice');
    grace = { r1, r2: first.refresh_token, at, control: control.tokens.refresh_token };
});

// --- registration ------------------------------------------------------------

test('registration (anonymous): the redirect URIs of real clients are accepted, as public clients', async () => {
    const cases = [
        [['http://127.0.0.1:33418/'], 'native'],
        [['http://localhost/callback', 'http://127.0.0.1/callback'], 'native'],
        [['http://[::1]:8080/cb'], 'native'],
        [['cursor://anysphere.cursor-mcp/oauth/callback'], 'native'],
        [['https://claude.ai/api/mcp/auth_callback'], 'web'],
        [['https://vscode.dev/redirect'], 'web'],
    ];
    for (const [uris, type] of cases) {
        const res = await register(clientMetadata(uris, { client_name: `e2e ${uris[0]}` }));
        assert.equal(res.status, 201, `${uris}: ${res.status} ${res.text}`);
        assert.match(res.headers['content-type'] ?? '', /^application\/json\b/);
        const c = json(res);
        assert.equal(typeof c.client_id, 'string');
        assert.ok(c.client_id.length >= 16, 'an opaque client id');
        assert.ok(Number.isInteger(c.client_id_issued_at) && Math.abs(c.client_id_issued_at - now()) < 120,
            `client_id_issued_at ${c.client_id_issued_at}`);
        assert.equal(c.client_name, `e2e ${uris[0]}`);
        assert.deepEqual(c.redirect_uris, uris);
        assert.deepEqual([...c.grant_types].sort(), ['authorization_code', 'refresh_token']);
        assert.deepEqual(c.response_types, ['code']);
        assert.equal(c.token_endpoint_auth_method, 'none');
        assert.equal(c.application_type, type, `application_type inferred for ${uris}`);
        assert.equal(c.client_secret, undefined, 'public clients only: no secret');
    }
    // A client id is no bearer token.
    const a = await registerOk([REDIRECT]);
    assertRefused(await mcpPost(a.client_id), { status: 401, error: 'invalid_token' });
});

test('registration refuses redirect URIs nobody allowed: 400 invalid_redirect_uri', async () => {
    for (const uri of [
        'https://evil.example/cb',                      // https not in MCPOAuthRedirectAllowed
        'https://claude.ai/api/mcp/auth_callback/../x', // not the allowed one
        'https://claude.ai.evil.example/api/mcp/auth_callback',
        'http://evil.example/cb',                       // http only for loopback
        'http://127.0.0.1.evil.example/cb',
        'javascript:alert(1)',
        'data:text/html,<script>alert(1)</script>',
        'file:///etc/passwd',
        'vbscript:msgbox(1)',
        'http://127.0.0.1:5555/cb#fragment',
        'http://user@127.0.0.1:5555/cb',
        'not a url',
    ]) {
        const res = await register(clientMetadata([uri]));
        assertRegistrationRefused(res, 'invalid_redirect_uri', uri);
    }
    // One bad URI among good ones spoils the registration.
    assertRegistrationRefused(await register(clientMetadata([REDIRECT, 'https://evil.example/cb'])),
        'invalid_redirect_uri', 'a good and a bad URI');
});

test('registration refuses what is no client metadata: 400 invalid_client_metadata', async () => {
    assertRegistrationRefused(await register('{"redirect_uris": ['), 'invalid_client_metadata', 'truncated JSON');
    assertRegistrationRefused(await register('[]'), 'invalid_client_metadata', 'an array');
    assertRegistrationRefused(await register('{"client_name": "no redirect"}'),
        ['invalid_redirect_uri', 'invalid_client_metadata'], 'no redirect_uris');
    assertRegistrationRefused(await register(clientMetadata([])),
        ['invalid_redirect_uri', 'invalid_client_metadata'], 'an empty redirect_uris');
    // A confidential client is not offered: refused, or made public.
    const res = await register(clientMetadata([REDIRECT], { token_endpoint_auth_method: 'client_secret_basic' }));
    if (res.status === 201) {
        const c = json(res);
        assert.equal(c.token_endpoint_auth_method, 'none');
        assert.equal(c.client_secret, undefined);
    } else {
        assertRegistrationRefused(res, 'invalid_client_metadata', 'client_secret_basic');
    }
});

// --- the authorization request ---------------------------------------------------

test('the authorization endpoint is behind the sign-in: 401 Basic without credentials', async () => {
    const { challenge } = pkce();
    const res = await authorizeGet(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }), { user: null });
    assert.equal(res.status, 401);
    assert.match(res.headers['www-authenticate'] ?? '', /^Basic\b/);
    assert.equal(res.headers.location, undefined);
});

test('a wrong client id or redirect URI: 400 error page, never a redirect', async () => {
    const { challenge } = pkce();
    const id = client.client_id;
    const cases = [
        ['a forged client id', { client: forge(id), redirect: REDIRECT }],
        ['an unknown client id', { client: 'e2e-no-such-client', redirect: REDIRECT }],
        ['no client id', { client: undefined, redirect: REDIRECT }],
        ['a redirect URI not registered', { client: id, redirect: 'http://127.0.0.1:5555/elsewhere' }],
        ['localhost for a 127.0.0.1 registration', { client: id, redirect: 'http://localhost:5555/callback' }],
        ['[::1] for a 127.0.0.1 registration', { client: id, redirect: 'http://[::1]:5555/callback' }],
        ['https for an http registration', { client: id, redirect: 'https://127.0.0.1:5555/callback' }],
        ['an allowed https redirect not registered', { client: id, redirect: 'https://claude.ai/api/mcp/auth_callback' }],
        ['another client\'s redirect', { client: id, redirect: OTHER_REDIRECT }],
    ];
    for (const [what, q] of cases) {
        // Every other parameter is wrong too: the client check comes first.
        const res = await authorizeGet(authorizeQuery({ ...q, challenge, method: 'plain', resource: 'https://elsewhere.example/mcp' }));
        assertErrorPage(res, what);
        const good = await authorizeGet(authorizeQuery({ ...q, challenge }));
        assertErrorPage(good, `${what} (otherwise a good request)`);
    }
});

test('loopback redirects match whatever the port; the three loopback names are never swapped', async () => {
    const portless = await registerOk(['http://localhost/callback']);
    const { challenge } = pkce();
    for (const redirect of ['http://localhost/callback', 'http://localhost:49152/callback', 'http://localhost:3000/callback']) {
        const res = await authorizeGet(authorizeQuery({ client: portless.client_id, redirect, challenge }));
        assert.equal(res.status, 200, `${redirect}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    for (const redirect of ['http://127.0.0.1:49152/callback', 'http://[::1]:49152/callback',
        'http://localhost:49152/callback/', 'http://localhost:49152/other']) {
        assertErrorPage(await authorizeGet(authorizeQuery({ client: portless.client_id, redirect, challenge })), redirect);
    }
    // 5555 registered, 5557 asked for: the port does not matter on loopback.
    assert.equal((await authorizeGet(authorizeQuery({ client: client.client_id, redirect: 'http://127.0.0.1:5557/callback', challenge }))).status, 200);
});

test('with client and redirect valid, errors go back to the client: 302 with error, state and iss', async () => {
    const { challenge } = pkce();
    const base = { client: client.client_id, redirect: REDIRECT };
    const cases = [
        ['no PKCE', { ...base, challenge: null, method: null }, 'invalid_request'],
        ['PKCE plain', { ...base, challenge, method: 'plain' }, 'invalid_request'],
        ['a challenge without its method (plain by default)', { ...base, challenge, method: null }, 'invalid_request'],
        ['a resource of another server', { ...base, challenge, resource: 'https://elsewhere.example/mcp' }, 'invalid_target'],
        ['a resource of this server not guarded', { ...base, challenge, resource: `${env.base}/other` }, 'invalid_target'],
        ['response_type token', { ...base, challenge, responseType: 'token' }, 'unsupported_response_type'],
        ['a role alice lacks', { ...base, challenge, scope: 'ROLE_USER ROLE_GUEST' }, 'invalid_scope'],
    ];
    for (const [what, q, error] of cases) {
        const state = randomState();
        const res = await authorizeGet(authorizeQuery({ ...q, state }));
        try {
            assertErrorRedirect(res, { redirect: REDIRECT, state, error });
        } catch (e) {
            e.message = `${what}: ${e.message}`;
            throw e;
        }
    }
});

// --- the consent page ------------------------------------------------------------

test('the consent page: not framable, not cached, form-action limited to the redirect\'s origin', async () => {
    const { challenge } = pkce();
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }));
    const h = page.res.headers;
    assert.match(h['content-type'] ?? '', /^text\/html\b/);
    assert.equal((h['x-frame-options'] ?? '').toUpperCase(), 'DENY');
    const csp = h['content-security-policy'] ?? '';
    assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, csp);
    const formAction = /(?:^|;)\s*form-action ([^;]*)/.exec(csp);
    assert.ok(formAction, `form-action in ${csp}`);
    const sources = formAction[1].trim().split(/\s+/);
    assert.ok(sources.includes("'self'"), csp);
    assert.ok(sources.includes('http://127.0.0.1:5555'), `the redirect's origin in ${csp}`);
    assert.ok(!sources.includes('*') && !sources.some((s) => /^https?:$/.test(s)), `no wildcard: ${csp}`);
    assert.match(h['cache-control'] ?? '', /\bno-store\b/);
});

test('the consent page shows the redirect host first, the self-declared name, the resource, roles and lifetimes', async () => {
    const named = await registerOk(['https://claude.ai/api/mcp/auth_callback'],
        { client_name: 'Sneaky\u202e\u0007 <b>Tool</b> & co' });
    const { challenge } = pkce();
    const state = randomState();
    const page = await consentPage(authorizeQuery({
        client: named.client_id, redirect: 'https://claude.ai/api/mcp/auth_callback', challenge, state,
    }));
    const { html, form } = page;
    assert.match(textById(html, 'redirect-host') ?? '', /\bclaude\.ai\b/, 'the redirect host');
    const name = textById(html, 'client-name');
    assert.ok(name !== undefined, '#client-name');
    assert.ok(name.includes('Tool'), `the client name: ${name}`);
    assert.doesNotMatch(name, /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/, 'control and bidi characters stripped');
    assert.ok(!html.includes('<b>Tool</b>'), 'the name is escaped');
    assert.ok(indexOfId(html, 'redirect-host') < indexOfId(html, 'client-name'), 'the host comes before the name');
    // Right after the name, a word that it is the client's own claim.
    const afterName = html.slice(indexOfId(html, 'client-name')).replace(/<[^>]*>/g, ' ').slice(0, 300);
    assert.match(afterName, /self-declared|its own claim|not checked|unverified/i, `the name is marked as self-declared: ${afterName}`);
    assert.equal(textById(html, 'resource'), RESOURCE.mcp);

    assert.equal((form.method ?? '').toLowerCase(), 'post');
    assert.equal(new URL(form.action, `${ISSUER}${ENDPOINT.authorize}`).href, `${ISSUER}${ENDPOINT.authorize}`);
    const roles = form.controls.filter((c) => c.name === 'authorities');
    assert.deepEqual(roles.map((c) => c.type), ['checkbox', 'checkbox']);
    assert.deepEqual(roles.map((c) => c.value), ALICE_ROLES);
    assert.ok(roles.every((c) => 'checked' in c), 'every role checked');
    assert.ok(form.controls.some((c) => c.name === 'roles_shown' && c.type === 'hidden' && c.value === '1'), 'roles_shown=1');
    const lifetimes = form.controls.filter((c) => c.name === 'lifetime');
    const values = lifetimes.flatMap((c) => (c.tag === 'select' ? c.options.map((o) => o.value) : [c.value]));
    assert.ok(values.includes('P7D') && values.includes('P30D'), `lifetime presets: ${values}`);
    for (const v of values) {
        const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$/.exec(v);
        if (m)
            assert.ok((+(m[1] ?? 0)) * 24 + (+(m[2] ?? 0)) <= 30 * 24, `${v} within MCPCredentialsMaxLifetime P30D`);
    }
    assert.ok(!values.includes('P90D') && !values.includes('P365D'), `nothing beyond P30D: ${values}`);
    assert.ok(form.controls.some((c) => CONSENT_FIELDS.includes(c.name) && c.type === 'hidden' && c.value.length >= 16),
        'the hidden approval value');
    const approve = form.controls.find((c) => c.id === 'approve');
    const deny = form.controls.find((c) => c.id === 'deny');
    assert.ok(approve && deny, '#approve and #deny');
    assert.deepEqual([approve.type, approve.name, approve.value], ['submit', 'decision', 'approve']);
    assert.deepEqual([deny.type, deny.name, deny.value], ['submit', 'decision', 'deny']);
});

test('consent is asked every time: a second request for the same client shows the page again', async () => {
    const a = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge: pkce().challenge }));
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT });
    assert.ok(grant.code);
    const b = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge: pkce().challenge }));
    assert.notEqual(a.consent, b.consent, 'each page has its own approval value');
    // prompt=none asks for no page: there is no silent approval here.
    const c = await authorizeGet(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge: pkce().challenge, extra: { prompt: 'none' } }));
    assert.ok(c.status === 200 || (c.status === 302 && /[?&]error=(interaction|consent|login)_required\b/.test(c.headers.location)),
        `prompt=none: ${c.status} ${c.headers.location ?? ''}`);
    assert.doesNotMatch(c.headers.location ?? '', /[?&]code=/);
});

// --- approving -----------------------------------------------------------------------

test('approve: 303 to the redirect URI with code, state and iss; deny: 303 with access_denied', async () => {
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT });
    assert.match(grant.code, /^[\w.~-]{16,}$/);

    const { challenge } = pkce();
    const state = randomState();
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge, state }));
    const res = await submitConsent(page, { decision: 'deny' });
    assertErrorRedirect(res, { redirect: REDIRECT, state, error: 'access_denied', status: 303 });
});

test('a replayed approval: 400 page, no second code', async () => {
    const { challenge } = pkce();
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }));
    const first = await submitConsent(page);
    assert.equal(first.status, 303, first.text);
    const again = await submitConsent(page);
    assertErrorPage(again, 'the same approval posted again');
});

test('an approval posted as another user than the one who saw the page: refused, no code', async () => {
    const { challenge } = pkce();
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }));
    const res = await submitConsent(page, { user: 'bob' });
    assert.ok([400, 403].includes(res.status), `bob posting alice's approval: ${res.status} ${res.text.slice(0, 200)}`);
    assert.equal(res.headers.location, undefined);
    // Control: alice posting her own page.
    const mine = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }));
    const ok = await submitConsent(mine);
    assert.equal(ok.status, 303, ok.text);
});

test('a cross-site approval: 403, no code; the form posted from the issuer\'s page is accepted', async () => {
    const { challenge } = pkce();
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }));
    for (const [what, headers] of [
        ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }],
        ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' }],
        ['a foreign Origin', { origin: 'https://evil.example' }],
        ['a foreign Origin with Sec-Fetch-Site: same-origin',
            { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }],
        ['Origin null', { origin: 'null' }],
    ]) {
        const res = await submitConsent(page, { headers });
        assert.equal(res.status, 403, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(res.headers.location, undefined, what);
    }
    const fresh = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge }));
    const ok = await submitConsent(fresh);
    assert.equal(ok.status, 303, `control, from the issuer's page: ${ok.status} ${ok.text.slice(0, 200)}`);
});

// --- the token endpoint ---------------------------------------------------------------

test('code exchange: the module\'s RS512 token for the resource, client and roles; a refresh token', async () => {
    const { grant, tokens } = await approvedTokens();
    assert.deepEqual(tokens.scope.split(' ').sort(), [...ALICE_ROLES].sort());
    const claims = await verifiedClaims(tokens.access_token);
    assert.equal(claims.iss, 'activeviam', 'iss stays MCPCredentialsIssuer');
    assert.equal(claims.sub, 'alice');
    assert.ok(audiences(claims).includes(RESOURCE.mcp), `aud ${JSON.stringify(claims.aud)}`);
    assert.equal(claims.client_id, grant.client);
    assert.deepEqual(claims.scope.split(' ').sort(), [...ALICE_ROLES].sort());
    assert.deepEqual([...claims.authorities].sort(), [...ALICE_ROLES].sort());
    assert.equal(claims.exp - claims.iat, ACCESS_LIFETIME);
    assert.ok(Math.abs(claims.iat - now()) < 60);
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    // Accepted at its resource, through a real client too.
    assert.equal((await mcpPost(tokens.access_token)).status, 200);
    const c = await connect('http', tokens.access_token);
    try {
        const seen = await whoami(c);
        assert.equal(seen['x-mcp-user'], 'alice');
    } finally {
        await c.close();
    }
});

test('the roles granted: narrowed on the page, or by scope; openid and friends are ignored', async () => {
    // Unchecking ROLE_ADMIN on the page.
    let { tokens } = await approvedTokens({ set: { authorities: ['ROLE_USER'] } });
    assert.equal(tokens.scope, 'ROLE_USER');
    assert.deepEqual((await verifiedClaims(tokens.access_token)).authorities, ['ROLE_USER']);
    // Asking for ROLE_USER only: the page offers only it.
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge: pkce().challenge, scope: 'ROLE_USER' }));
    assert.deepEqual(page.form.controls.filter((c) => c.name === 'authorities').map((c) => c.value), ['ROLE_USER']);
    ({ tokens } = await approvedTokens({ scope: 'ROLE_USER' }));
    assert.deepEqual((await verifiedClaims(tokens.access_token)).authorities, ['ROLE_USER']);
    // mcp-remote's fallback scope means nothing here: all of alice's roles.
    ({ tokens } = await approvedTokens({ scope: 'openid email profile offline_access' }));
    assert.deepEqual([...(await verifiedClaims(tokens.access_token)).authorities].sort(), [...ALICE_ROLES].sort());
});

test('token endpoint refusals: wrong verifier, other redirect, forged or unknown client, another client, foreign resource, unknown grant type', async () => {
    const cases = [
        ['a wrong code_verifier', (g) => ({ code_verifier: pkce().verifier }), 400, 'invalid_grant'],
        ['no code_verifier', () => ({ code_verifier: undefined }), 400, ['invalid_grant', 'invalid_request']],
        ['a redirect_uri differing from the authorization\'s', () => ({ redirect_uri: 'http://127.0.0.1:5557/callback' }), 400, 'invalid_grant'],
        ['a forged client_id', (g) => ({ client_id: forge(g.client) }), 401, 'invalid_client'],
        ['an unknown client_id', () => ({ client_id: 'e2e-no-such-client' }), 401, 'invalid_client'],
        ['the code of another client', () => ({ client_id: other.client_id }), 400, 'invalid_grant'],
        ['a resource not named on this server', () => ({ resource: 'https://elsewhere.example/mcp' }), 400, 'invalid_target'],
        ['an unknown grant_type', () => ({ grant_type: 'password' }), 400, 'unsupported_grant_type'],
        ['a made-up code', () => ({ code: 'e2e-made-up-code-0123456789' }), 400, 'invalid_grant'],
    ];
    for (const [what, change, status, error] of cases) {
        const grant = await authorize({ client: client.client_id, redirect: REDIRECT });
        const res = await exchange(grant, change(grant));
        const errors = [].concat(error);
        assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
        const body = assertTokenError(res, status, json(res).error, what);
        assert.ok(errors.includes(body.error), `${what}: ${body.error}, expected ${errors.join(' or ')}`);
    }
});

test('a code redeemed twice: invalid_grant, and the grant made from it ends (its refresh token too)', async () => {
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT });
    const first = assertTokens(await exchange(grant), 'first redemption');
    assertTokenError(await exchange(grant), 400, 'invalid_grant', 'second redemption');
    assertTokenError(await refresh(first.refresh_token, client.client_id), 400, 'invalid_grant',
        'the refresh token of the first redemption');
    // Its access token lives until its exp.
    assert.equal((await mcpPost(first.access_token)).status, 200, 'the access token still works');
    // Neither a code nor a refresh token is a bearer token.
    assertRefused(await mcpPost(grant.code), { status: 401, error: 'invalid_token' });
    assertRefused(await mcpPost(first.refresh_token), { status: 401, error: 'invalid_token' });
});

test('an access token is accepted at its resource only; page tokens (no aud) work everywhere', async () => {
    const { tokens } = await approvedTokens();
    assert.equal((await mcpPost(tokens.access_token)).status, 200, '/mcp token at /mcp');
    assertRefused(await requestHead('GET', '/sse', { headers: { authorization: `Bearer ${tokens.access_token}` } }),
        { status: 401, error: 'invalid_token', path: '/sse' });
    assertRefused(await request('POST', '/messages?sessionId=x', {
        headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' }, body: '{}',
    }), { status: 401, error: 'invalid_token', path: '/sse' });

    // The other way round: a token for /sse.
    const sse = await approvedTokens({ resource: RESOURCE.sse });
    assert.ok(audiences(await verifiedClaims(sse.tokens.access_token)).includes(RESOURCE.sse));
    assertRefused(await mcpPost(sse.tokens.access_token), { status: 401, error: 'invalid_token', path: '/mcp' });
    const viaSse = await connect('sse', sse.tokens.access_token);
    try {
        assert.equal((await whoami(viaSse))['x-mcp-user'], 'alice');
    } finally {
        await viaSse.close();
    }

    // A page token has no aud: both resources take it.
    const page = await mint('alice', { expiresIn: 'PT1H' });
    assert.equal((await mcpPost(page.token)).status, 200);
    const pageSse = await connect('sse', page.token);
    await pageSse.close();
});

test('refresh: a new access token and a new refresh token; a foreign resource or another client is refused', async () => {
    const { tokens } = await approvedTokens();
    const next = assertTokens(await refresh(tokens.refresh_token, client.client_id), 'refresh');
    assert.notEqual(next.refresh_token, tokens.refresh_token, 'rotated');
    assert.notEqual(next.access_token, tokens.access_token);
    assert.equal(next.scope, tokens.scope);
    const claims = await verifiedClaims(next.access_token);
    assert.equal(claims.sub, 'alice');
    assert.ok(audiences(claims).includes(RESOURCE.mcp));
    assert.equal(claims.client_id, client.client_id);
    assert.notEqual(claims.jti, (await verifiedClaims(tokens.access_token)).jti);
    assert.equal((await mcpPost(next.access_token)).status, 200);
    // The resource may be named again.
    const named = assertTokens(await refresh(next.refresh_token, client.client_id, { resource: RESOURCE.mcp }), 'refresh naming the resource');
    assertTokenError(await refresh(named.refresh_token, client.client_id, { resource: 'https://elsewhere.example/mcp' }),
        400, 'invalid_target', 'refresh for a foreign resource');
    // Another grant, presented by another (valid) or a forged client.
    const g2 = await approvedTokens();
    assertTokenError(await refresh(g2.tokens.refresh_token, other.client_id), 400, 'invalid_grant', 'another client');
    assertTokenError(await refresh(g2.tokens.refresh_token, forge(client.client_id)), 401, 'invalid_client', 'a forged client');
    assertTokenError(await refresh('e2e-made-up-refresh-token-0123456789', client.client_id), 400, 'invalid_grant', 'a made-up refresh token');
});

test('a grant keeps what was approved: its resource, its roles, its client (also within the grace window)', async () => {
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT });
    assertTokenError(await exchange(grant, { resource: RESOURCE.sse }), 400, 'invalid_target', 'a code for /mcp exchanged for /sse');
    const a = await approvedTokens({ set: { authorities: ['ROLE_USER'] } });
    assertTokenError(await refresh(a.tokens.refresh_token, client.client_id, { resource: RESOURCE.sse }), 400, 'invalid_target',
        'a refresh for another resource of this server');
    assertTokenError(await refresh(a.tokens.refresh_token, client.client_id, { scope: 'ROLE_USER ROLE_ADMIN' }), 400, 'invalid_scope',
        'a refresh asking for a role not granted');
    const next = assertTokens(await refresh(a.tokens.refresh_token, client.client_id), 'refresh after the refusals');
    assert.equal(next.scope, 'ROLE_USER');
    // A replay inside the grace window by another client is no repeat.
    assertTokenError(await refresh(a.tokens.refresh_token, other.client_id), 400, 'invalid_grant', 'the replay of another client');
});

test('a refresh may narrow the roles for one access token; the grant keeps all of its own', async () => {
    const { tokens } = await approvedTokens();
    const narrow = assertTokens(await refresh(tokens.refresh_token, client.client_id, { scope: 'ROLE_USER' }), 'narrower refresh');
    assert.equal(narrow.scope, 'ROLE_USER');
    assert.deepEqual((await verifiedClaims(narrow.access_token)).authorities, ['ROLE_USER']);
    const full = assertTokens(await refresh(narrow.refresh_token, client.client_id), 'refresh without scope');
    assert.deepEqual([...(await verifiedClaims(full.access_token)).authorities].sort(), [...ALICE_ROLES].sort());
});

test('no resource named: the first resource of the server (/mcp)', async () => {
    const page = await consentPage(authorizeQuery({ client: client.client_id, redirect: REDIRECT, challenge: pkce().challenge, resource: null }));
    assert.equal(textById(page.html, 'resource'), RESOURCE.mcp);
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT, resource: null });
    const tokens = assertTokens(await exchange(grant, { resource: undefined }), 'exchange without resource');
    assert.ok(audiences(await verifiedClaims(tokens.access_token)).includes(RESOURCE.mcp));
});

test('mcp-token revoke --sub ends the user\'s grants: refresh invalid_grant, access tokens refused', async () => {
    const grant = await authorize({ client: client.client_id, redirect: REDIRECT, user: 'bob' });
    const tokens = assertTokens(await exchange(grant), 'bob\'s grant');
    assert.deepEqual((await verifiedClaims(tokens.access_token)).authorities, ['ROLE_USER']);
    assert.equal((await mcpPost(tokens.access_token)).status, 200);
    // iat and the revocation time are whole seconds: tokens issued at or
    // before that second are revoked.
    await sleep(1100);
    tool('revoke', '--file', env.revoked, '--sub', 'bob');
    await sleep(1300);
    assertRefused(await mcpPost(tokens.access_token), { status: 401, error: 'invalid_token' });
    assertTokenError(await refresh(tokens.refresh_token, client.client_id), 400, 'invalid_grant', 'a refresh of bob\'s revoked grant');
    // Control: alice's grants are untouched.
    const { tokens: hers } = await approvedTokens();
    assertTokens(await refresh(hers.refresh_token, client.client_id), 'alice\'s refresh');
});

test('revocation (RFC 7009): a revoked refresh token gets invalid_grant; an access token lives until exp', async () => {
    const { tokens } = await approvedTokens();
    const res = await revoke(tokens.refresh_token, client.client_id);
    assert.equal(res.status, 200, res.text);
    assertTokenError(await refresh(tokens.refresh_token, client.client_id), 400, 'invalid_grant', 'revoked refresh token');
    const b = await approvedTokens();
    const r2 = await revoke(b.tokens.access_token, client.client_id, { token_type_hint: 'access_token' });
    assert.equal(r2.status, 200, r2.text);
    assert.equal((await mcpPost(b.tokens.access_token)).status, 200, 'the access token until its exp');
    assertTokens(await refresh(b.tokens.refresh_token, client.client_id), 'its refresh token is untouched');
    // Unknown tokens: 200 all the same.
    assert.equal((await revoke('e2e-not-a-token-0123456789', client.client_id)).status, 200);
});

test('refresh replayed after 30 s: invalid_grant, and the grant ends (the newest refresh token too)', async () => {
    assert.ok(grace, 'the grace test ran');
    const wait = grace.at + GRACE_MS + 1500 - Date.now();
    if (wait > 0)
        await sleep(wait);
    assertTokenError(await refresh(grace.r1, client.client_id), 400, 'invalid_grant', 'replay after the window');
    assertTokenError(await refresh(grace.r2, client.client_id), 400, 'invalid_grant', 'the newest refresh token of the ended grant');
    // Control: a grant of the same age, never replayed, still refreshes.
    assertTokens(await refresh(grace.control, client.client_id), 'control grant');
});

test('a graceful restart with shmcb ends every grant and pending code; the client stays registered', async () => {
    const { tokens } = await approvedTokens();
    const pending = await authorize({ client: client.client_id, redirect: REDIRECT });
    const starts = () => (fs.readFileSync(env.errorLog, 'utf8').match(/AH00489: .* resuming normal operations/g) ?? []).length;
    const before = starts();
    execFileSync(env.httpd, ['-f', env.httpdConf, '-k', 'graceful'], { stdio: 'pipe', timeout: 15000 });
    const start = Date.now();
    while (starts() <= before) {
        assert.ok(Date.now() - start < 15000, 'the graceful restart did not take');
        await sleep(100);
    }
    await sleep(500);
    assertTokenError(await refresh(tokens.refresh_token, client.client_id), 400, 'invalid_grant', 'a refresh after the restart');
    assertTokenError(await exchange(pending), 400, 'invalid_grant', 'a code from before the restart');
    assert.equal((await mcpPost(tokens.access_token)).status, 200, 'the access token lives until its exp');
    // The client id carries its registration: a new approval works.
    assertTokens(await exchange(await authorize({ client: client.client_id, redirect: REDIRECT })), 'a new approval');
});

test('no code, verifier, refresh token or access token in the error log or the access log', () => {
    const secrets = remembered();
    assert.ok(secrets.length > 40, `secrets handed out: ${secrets.length}`);
    for (const [name, file] of [['error', env.errorLog], ['access', env.accessLog]]) {
        const log = fs.readFileSync(file, 'utf8');
        for (const s of secrets) {
            const i = log.indexOf(s);
            assert.equal(i, -1, `${name} log holds a secret: ...${i >= 0 ? log.slice(Math.max(0, i - 120), i + 20) : ''}`);
        }
        // Nor the part of a token after its header.
        for (const s of secrets.filter((x) => x.startsWith('eyJ')))
            assert.ok(!log.includes(s.split('.')[1]), `${name} log holds an access token's claims`);
    }
});
