// `DEMO_AUTH=oidc make demo`: the page sends the browser to the demo's
// OpenID Provider (localhost), the user signs in there and comes back
// (127.0.0.1) with the roles of the provider's `groups` claim; and the
// unhappy paths: a wrong password, a user without groups, claim headers
// forged by the client.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    env, page as pageUrl, mcpUrl, launch, newContext, generate, rolesShown,
    verifyWithPyJWT, assertWhoamiOverHttp,
} from './lib.mjs';

const ALICE = ['ROLE_USER', 'ROLE_ADMIN'];
let browser;
const sessions = {};

before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

// Opens the page in a fresh context, lands on the provider's login, signs
// in as `user`; returns the page, back at httpd.
async function signIn(user, password = user) {
    const context = await newContext(browser);
    const p = await context.newPage();
    await p.goto(pageUrl);
    const at = new URL(p.url());
    assert.equal(at.hostname, 'localhost', `the provider's login: ${p.url()}`);
    assert.notEqual(at.origin, env.origin);
    assert.match(at.pathname, /^\/interaction\//);
    await p.getByLabel('User name').fill(user);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL((u) => u.origin === env.origin && u.pathname === '/mcp-credentials');
    return { context, page: p };
}

test('alice: the page sends her to the provider; she signs in and comes back with the roles of her groups', async () => {
    const { context, page } = await signIn('alice');
    sessions.alice = context;
    assert.equal(await page.textContent('#user'), 'alice', 'REMOTE_USER is the stable sub claim');
    assert.deepEqual(await rolesShown(page), ALICE);
    sessions.alicePage = page;
});

test('alice generates a token: PyJWT finds her groups as authorities', async () => {
    const token = await generate(sessions.alicePage, '7 days');
    const claims = verifyWithPyJWT(token);
    assert.equal(claims.sub, 'alice');
    assert.deepEqual(claims.authorities, ALICE);
    assert.equal(claims.exp - claims.iat, 7 * 86400);
    sessions.aliceToken = token;
});

test('alice\'s token opens the demo\'s MCP server: whoami names alice and her roles', async () => {
    await assertWhoamiOverHttp(mcpUrl, { Authorization: `Bearer ${sessions.aliceToken}` }, 'alice', ALICE);
});

test('a wrong password stays at the provider, and httpd has no session', async () => {
    const context = await newContext(browser);
    try {
        const p = await context.newPage();
        await p.goto(pageUrl);
        await p.getByLabel('User name').fill('alice');
        await p.getByLabel('Password').fill('not-alice');
        await p.getByRole('button', { name: 'Sign in' }).click();
        await p.getByText('Wrong user name or password.').waitFor();
        assert.equal(new URL(p.url()).hostname, 'localhost');
        const res = await context.request.post(`${pageUrl}/token`, {
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            data: '{"expiresIn":"P1D"}',
            maxRedirects: 0,
        });
        assert.notEqual(res.status(), 200);
        assert.ok(!(await res.text()).includes('eyJ'), 'no token');
    } finally {
        await context.close();
    }
});

test('carol (no groups): the page shows no roles and her token carries no authorities', async () => {
    const { context, page } = await signIn('carol');
    sessions.carol = context;
    assert.equal(await page.textContent('#user'), 'carol');
    assert.deepEqual(await rolesShown(page), []);
    assert.match(await page.textContent('#roles-field'), /You hold no roles here/);
    const claims = verifyWithPyJWT(await generate(page, '7 days'));
    assert.equal(claims.sub, 'carol');
    assert.deepEqual(claims.authorities, []);
    // And the MCP server, which wants ROLE_USER, refuses her token: 403.
    const res = await fetch(mcpUrl, {
        method: 'POST',
        headers: {
            authorization: `Bearer ${await page.inputValue('#token')}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
        },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate'), /error="insufficient_scope"/);
});

// Every spelling a client might use for mod_auth_openidc's claim header.
const SPELLINGS = ['OIDC_CLAIM_groups', 'OIDC-CLAIM-groups', 'oidc_claim_groups', 'Oidc-Claim-Groups',
    'OIDC_CLAIM_GROUPS', 'oidc-claim-groups'];
const FORGED = 'admins,users,ROLE_ADMIN,ROLE_GOD';

async function mintWith(context, base, headers) {
    const res = await context.request.post(`${env.origin}${base}/token`, {
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        data: '{"expiresIn":"P1D"}',
        maxRedirects: 0,
    });
    assert.equal(res.status(), 200, `${base}/token with ${JSON.stringify(headers)}: ${await res.text()}`);
    const answer = await res.json();
    assert.deepEqual(verifyWithPyJWT(answer.token).authorities, answer.authorities);
    return answer.authorities;
}

test('control: with the roles from mod_auth_openidc\'s claim headers, alice gets her groups', async () => {
    assert.deepEqual(await mintWith(sessions.alice, '/claims-in-headers', {}), ALICE);
});

test('a forged OIDC_CLAIM_groups header, in any spelling, never becomes a role (claims in headers)', async () => {
    for (const name of SPELLINGS) {
        assert.deepEqual(await mintWith(sessions.carol, '/claims-in-headers', { [name]: FORGED }), [],
            `carol with ${name}`);
        assert.deepEqual(await mintWith(sessions.alice, '/claims-in-headers', { [name]: FORGED }), ALICE,
            `alice with ${name}`);
    }
});

test('a forged OIDC_CLAIM_groups header never becomes a role (claims in the environment)', async () => {
    for (const name of SPELLINGS) {
        assert.deepEqual(await mintWith(sessions.carol, '/mcp-credentials', { [name]: FORGED }), [],
            `carol with ${name}`);
        assert.deepEqual(await mintWith(sessions.alice, '/mcp-credentials', { [name]: FORGED }), ALICE,
            `alice with ${name}`);
    }
});
