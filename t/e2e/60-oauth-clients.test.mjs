// Real OAuth clients, given only the MCP server's URL, with Chromium
// (playwright-core, alice's Basic credentials) doing the user's part on the
// consent page:
//  - the TypeScript SDK's StreamableHTTPClientTransport with an
//    OAuthClientProvider: discovery, registration, consent, code exchange,
//    a tool call as alice, and a refresh once the 10 s access token expired;
//  - mcp-remote over stdio, started with no token: the URL it prints is
//    approved in Chromium, which follows the redirect to mcp-remote's own
//    callback, and a tool is called through it;
//  - the request shapes of Claude Code, VS Code and Cursor, replayed with
//    plain HTTP (port-less loopback redirect, http://127.0.0.1:33418/ and
//    https://vscode.dev/redirect, cursor://).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import {
    env, mcpPost, connect, whoami, sleep, withTimeout, b64url, startMcpRemote,
    mcpRemoteAuthorizationUrl,
} from './lib.mjs';
import {
    ISSUER, ENDPOINT, RESOURCE, ALICE_ROLES, registerOk, authorize, exchange, refresh,
    assertTokens, verifiedClaims, audiences, callbackServer, remember, redirectParams,
} from './oauth.mjs';

const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const MCP_REMOTE_DIR = process.env.E2E_MCP_REMOTE_OAUTH_DIR || `${env.work}/mcp-remote-oauth`;
const ALICE = { username: 'alice', password: 'alice-pw' };

let browser;

before(async () => {
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
            '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
});

after(async () => {
    await browser?.close();
});

// Opens the authorization URL in a fresh context signed in as alice,
// checks the consent page, clicks Approve, and waits until Chromium has
// followed the redirect to a URL starting with `callbackPrefix`.
// Returns what the page showed.
async function approveInChromium(url, callbackPrefix) {
    const context = await browser.newContext({ httpCredentials: ALICE });
    context.setDefaultTimeout(10000);
    await context.addInitScript(() => {
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => {
            window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
        });
    });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e}`));
    try {
        const res = await page.goto(url);
        assert.equal(res.status(), 200, `the consent page: ${res.status()} ${(await res.text()).slice(0, 300)}`);
        const shown = {
            redirectHost: (await page.locator('#redirect-host').innerText()).trim(),
            clientName: (await page.locator('#client-name').innerText()).trim(),
            resource: (await page.locator('#resource').innerText()).trim(),
            roles: await page.locator('input[name=authorities]').evaluateAll(
                (els) => els.map((e) => [e.value, e.checked])),
        };
        const csp = await page.evaluate(() => window.__csp);
        assert.deepEqual(csp, [], 'no CSP violation on the consent page');
        await Promise.all([
            page.waitForURL((u) => u.href.startsWith(callbackPrefix), { timeout: 15000 }).catch(async (e) => {
                const late = await page.evaluate(() => window.__csp).catch(() => []);
                e.message += `\n(at ${page.url()}; CSP: ${late.join('; ') || 'none'}; ${problems.join('; ') || 'no console errors'})`;
                throw e;
            }),
            page.locator('#approve').click(),
        ]);
        return shown;
    } finally {
        await context.close();
    }
}

// --- the TypeScript SDK ------------------------------------------------------------

// An OAuthClientProvider kept in memory, whose redirectToAuthorization
// hands the URL to Chromium.
class BrowserProvider {
    constructor(redirectUrl) {
        this._redirectUrl = redirectUrl;
        this.registrations = [];
        this.savedTokens = [];
        this.authorizationUrls = [];
        this.shown = [];
    }

    get redirectUrl() { return this._redirectUrl; }

    get clientMetadata() {
        return {
            client_name: 'e2e SDK client',
            redirect_uris: [this._redirectUrl],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none',
        };
    }

    state() {
        this.lastState = b64url(crypto.randomBytes(12));
        return this.lastState;
    }

    clientInformation() { return this._client; }

    saveClientInformation(info) {
        this._client = info;
        this.registrations.push(info);
    }

    tokens() { return this._tokens; }

    saveTokens(tokens) {
        this._tokens = tokens;
        this.savedTokens.push(tokens);
        remember(tokens.access_token, tokens.refresh_token);
    }

    saveCodeVerifier(v) {
        this._verifier = v;
        remember(v);
    }

    codeVerifier() { return this._verifier; }

    async redirectToAuthorization(url) {
        this.authorizationUrls.push(url);
        this.shown.push(await approveInChromium(url.href, this._redirectUrl));
    }
}

function sdkClient() {
    return new Client({ name: 'e2e-oauth-sdk', version: '1.0.0' });
}

describe('real clients', { concurrency: true }, () => {
    test('the SDK client, given only /mcp: discovery, registration, consent, a tool call as alice, a refresh after expiry', async () => {
        const cb = await callbackServer('/callback');
        const provider = new BrowserProvider(cb.url);
        try {
            // 1. The first connection: 401, discovery, registration, the
            // browser; the SDK says the user must authorize.
            const first = new StreamableHTTPClientTransport(new URL('/mcp', env.base), { authProvider: provider });
            await assert.rejects(withTimeout(sdkClient().connect(first), 40000, 'the SDK\'s first connection'),
                (e) => e instanceof UnauthorizedError || /Unauthorized/.test(String(e)));
            assert.equal(provider.registrations.length, 1, 'registered once');
            const clientId = provider.registrations[0].client_id;
            assert.equal(provider.authorizationUrls.length, 1);
            const url = provider.authorizationUrls[0];
            assert.equal(`${url.origin}${url.pathname}`, `${ISSUER}${ENDPOINT.authorize}`);
            const q = url.searchParams;
            assert.equal(q.get('client_id'), clientId);
            assert.equal(q.get('redirect_uri'), cb.url);
            assert.equal(q.get('code_challenge_method'), 'S256');
            assert.equal(q.get('resource'), RESOURCE.mcp);
            assert.equal(q.get('state'), provider.lastState);
            const shown = provider.shown[0];
            assert.match(shown.redirectHost, /127\.0\.0\.1/);
            assert.match(shown.clientName, /e2e SDK client/);
            assert.equal(shown.resource, RESOURCE.mcp);
            assert.deepEqual(shown.roles, ALICE_ROLES.map((r) => [r, true]));

            // 2. What Chromium brought to the callback.
            const hit = await withTimeout(cb.next(), 5000, 'the callback');
            assert.deepEqual(Object.keys(hit).sort(), ['code', 'iss', 'state']);
            assert.equal(hit.state, provider.lastState);
            assert.equal(hit.iss, ISSUER);
            remember(hit.code);

            // 3. The code exchange, then a connection that works.
            await first.finishAuth(hit.code);
            assert.equal(provider.savedTokens.length, 1);
            const t1 = provider.savedTokens[0];
            assert.ok(t1.refresh_token, 'a refresh token');
            const claims = await verifiedClaims(t1.access_token);
            assert.equal(claims.sub, 'alice');
            assert.equal(claims.client_id, clientId);
            assert.ok(audiences(claims).includes(RESOURCE.mcp));
            const client = sdkClient();
            await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', env.base), { authProvider: provider }));
            try {
                const seen = await whoami(client);
                assert.equal(seen['x-mcp-user'], 'alice');
                assert.equal(seen['x-mcp-authorities'], ALICE_ROLES.join(','));
            } finally {
                await client.close();
            }

            // 4. Once the access token has expired, the next connection
            // gets a 401 and the SDK refreshes by itself.  (/mcp/no-leeway
            // is the same resource without the 60 s clock-skew slack.)
            const wait = (claims.exp + 1) * 1000 - Date.now();
            if (wait > 0)
                await sleep(wait);
            assert.equal((await mcpPost(t1.access_token, {}, '/mcp/no-leeway')).status, 401, 'the access token has expired');
            const later = sdkClient();
            await later.connect(new StreamableHTTPClientTransport(new URL('/mcp/no-leeway', env.base), { authProvider: provider }));
            try {
                assert.equal((await whoami(later))['x-mcp-user'], 'alice');
            } finally {
                await later.close();
            }
            assert.equal(provider.savedTokens.length, 2, 'saveTokens called again: a refresh');
            const t2 = provider.savedTokens[1];
            assert.ok(t2.refresh_token && t2.refresh_token !== t1.refresh_token, 'a new refresh token');
            assert.notEqual(t2.access_token, t1.access_token);
            assert.equal((await verifiedClaims(t2.access_token)).sub, 'alice');
            assert.equal(provider.registrations.length, 1, 'no second registration');
            assert.equal(provider.authorizationUrls.length, 1, 'no second consent');
        } finally {
            await cb.close();
        }
    });

    test('mcp-remote with only the URL: prints the authorization URL, Chromium approves, a tool call as alice', async () => {
        const run = startMcpRemote([`${env.base}/mcp`], { configDir: MCP_REMOTE_DIR });
        const { client, transport } = run;
        try {
            const url = await mcpRemoteAuthorizationUrl(run);
            const u = new URL(url);
            assert.equal(`${u.origin}${u.pathname}`, `${ISSUER}${ENDPOINT.authorize}`, url);
            assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
            assert.equal(u.searchParams.get('resource'), RESOURCE.mcp);
            const redirect = u.searchParams.get('redirect_uri');
            assert.match(redirect, /^http:\/\/localhost:\d+\/oauth\/callback$/);
            const shown = await approveInChromium(url, redirect);
            assert.match(shown.redirectHost, /localhost/);
            const failed = await withTimeout(run.connecting, 30000, `mcp-remote connecting after the approval\n${run.stderr()}`);
            if (failed)
                throw new Error(`mcp-remote: ${failed}\n${run.stderr()}`);
            const seen = await withTimeout(whoami(client), 15000, 'whoami through mcp-remote');
            assert.equal(seen['x-mcp-user'], 'alice');
            assert.match(run.stderr(), /Connected to remote server/, run.stderr());
            assert.doesNotMatch(run.stderr(), /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, 'mcp-remote prints no access token');
        } finally {
            await client.close().catch(() => {});
            await transport.close().catch(() => {});
        }
    });
});

// --- replayed request shapes --------------------------------------------------------

// The access token works at /mcp through the SDK client, as alice.
async function assertWorks(tokens, what) {
    const claims = await verifiedClaims(tokens.access_token);
    assert.equal(claims.sub, 'alice', what);
    assert.ok(audiences(claims).includes(RESOURCE.mcp), what);
    const c = await connect('http', tokens.access_token);
    try {
        assert.equal((await whoami(c))['x-mcp-user'], 'alice', what);
    } finally {
        await c.close();
    }
}

test('Claude Code: registered as http://localhost/callback, used as http://localhost:<port>/callback', async () => {
    const c = await registerOk(['http://localhost/callback', 'http://127.0.0.1/callback'], { client_name: 'Claude Code (e2e)' });
    const redirect = 'http://localhost:54545/callback';
    const grant = await authorize({ client: c.client_id, redirect });
    const { url, params } = redirectParams(grant.location);
    assert.equal(`${url.origin}${url.pathname}`, redirect);
    assert.equal(params.iss, ISSUER, 'iss exactly the issuer (Claude Code checks it)');
    const tokens = assertTokens(await exchange(grant), 'Claude Code exchange');
    await assertWorks(tokens, 'Claude Code');
    const next = assertTokens(await refresh(tokens.refresh_token, c.client_id, { resource: RESOURCE.mcp }), 'Claude Code refresh');
    await assertWorks(next, 'Claude Code after a refresh');
    // The same client on 127.0.0.1, which it also registered.
    const v4 = await authorize({ client: c.client_id, redirect: 'http://127.0.0.1:54546/callback' });
    assertTokens(await exchange(v4), 'Claude Code on 127.0.0.1');
});

test('VS Code: http://127.0.0.1:33418/ (or another port when busy) and https://vscode.dev/redirect', async () => {
    const c = await registerOk(['http://127.0.0.1/', 'http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
        { client_name: 'Visual Studio Code (e2e)' });
    for (const redirect of ['http://127.0.0.1:33418/', 'http://127.0.0.1:40123/', 'https://vscode.dev/redirect']) {
        const grant = await authorize({ client: c.client_id, redirect });
        assert.ok(grant.location.startsWith(`${redirect}?`), grant.location);
        await assertWorks(assertTokens(await exchange(grant), `VS Code via ${redirect}`), `VS Code via ${redirect}`);
    }
});

test('Cursor: cursor://anysphere.cursor-mcp/oauth/callback gets its code', async () => {
    const redirect = 'cursor://anysphere.cursor-mcp/oauth/callback';
    const c = await registerOk([redirect], { client_name: 'Cursor (e2e)' });
    assert.equal(c.application_type, 'native');
    const grant = await authorize({ client: c.client_id, redirect });
    assert.ok(grant.location.startsWith(`${redirect}?code=`), `Location: ${grant.location}`);
    await assertWorks(assertTokens(await exchange(grant), 'Cursor exchange'), 'Cursor');
});
