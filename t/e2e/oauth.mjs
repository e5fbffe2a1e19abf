// Helpers of the OAuth tests (50-oauth, 60-oauth-clients): the
// authorization server's endpoints, PKCE, registration, the consent page
// read and submitted with plain HTTP (a small HTML form reader), the token
// endpoint, the access token's signature checked with the JWKS, and a
// record of every secret handed out, which the log tests look for.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { env, request, json, basic, decode, b64url } from './lib.mjs';

export const ISSUER = process.env.E2E_ISSUER ?? env.base;
export const OAUTH_BASE = process.env.E2E_OAUTH_BASE ?? '/mcp-credentials';
export const ENDPOINT = {
    authorize: `${OAUTH_BASE}/oauth/authorize`,
    token: `${OAUTH_BASE}/oauth/token`,
    register: `${OAUTH_BASE}/oauth/register`,
    revoke: `${OAUTH_BASE}/oauth/revoke`,
};
export const RESOURCE = { mcp: `${env.base}/mcp`, sse: `${env.base}/sse` };
// MCPOAuthAccessLifetime PT10S in run.sh.
export const ACCESS_LIFETIME = 10;
// The page's roles of alice (group file of run.sh), in its order.
export const ALICE_ROLES = ['ROLE_USER', 'ROLE_ADMIN'];

// --- secrets handed out, for the log checks ---------------------------------

const secretsFile = `${env.work}/oauth-secrets`;

export function remember(...values) {
    const lines = values.filter((v) => typeof v === 'string' && v.length >= 8);
    if (lines.length)
        fs.appendFileSync(secretsFile, lines.map((v) => `${v}\n`).join(''));
}

export function remembered() {
    try {
        return fs.readFileSync(secretsFile, 'utf8').split('\n').filter(Boolean);
    } catch (e) {
        if (e.code === 'ENOENT')
            return [];
        throw e;
    }
}

// --- PKCE -------------------------------------------------------------------

export function pkce() {
    const verifier = b64url(crypto.randomBytes(32));
    const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
    remember(verifier);
    return { verifier, challenge };
}

export const randomState = () => b64url(crypto.randomBytes(12));

// --- registration ------------------------------------------------------------

export function register(metadata, headers = {}, { base } = {}) {
    return request('POST', ENDPOINT.register, {
        base,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
    });
}

export function clientMetadata(redirectUris, extra = {}) {
    return {
        client_name: 'e2e client',
        redirect_uris: redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        ...extra,
    };
}

// Registers and returns the answer's JSON (asserting 201).
export async function registerOk(redirectUris, extra = {}) {
    const res = await register(clientMetadata(redirectUris, extra));
    assert.equal(res.status, 201, `registration of ${redirectUris}: ${res.status} ${res.text}`);
    const client = json(res);
    assert.equal(typeof client.client_id, 'string', res.text);
    return client;
}

// A refused registration: status 400 and one of the error codes.
export function assertRegistrationRefused(res, errors, what) {
    const list = [].concat(errors);
    assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
    assert.match(res.headers['content-type'] ?? '', /^application\/json\b/, what);
    const body = json(res);
    assert.ok(list.includes(body.error), `${what}: error ${body.error}, expected ${list.join(' or ')}`);
    assert.equal(typeof body.error_description, 'string', `${what}: error_description`);
    assert.equal(body.client_id, undefined, `${what}: no client_id`);
}

// A client id with one character changed in its middle (still plausible).
export function forge(id) {
    const i = Math.floor(id.length / 2);
    const c = id[i] === 'A' ? 'B' : 'A';
    return id.slice(0, i) + c + id.slice(i + 1);
}

// --- the authorization request ----------------------------------------------

// The query of an authorization request.  Members set to undefined are left
// out; `extra` adds others.
export function authorizeQuery({
    client, redirect, challenge, state = randomState(), resource = RESOURCE.mcp, scope,
    method = 'S256', responseType = 'code', extra = {},
}) {
    const q = new URLSearchParams();
    const add = (k, v) => { if (v !== undefined && v !== null) q.append(k, v); };
    add('response_type', responseType);
    add('client_id', client);
    add('redirect_uri', redirect);
    add('code_challenge', challenge);
    add('code_challenge_method', method);
    add('state', state);
    add('resource', resource);
    add('scope', scope);
    for (const [k, v] of Object.entries(extra))
        add(k, v);
    return q;
}

export function authorizeGet(query, { user = 'alice', headers = {}, base } = {}) {
    const h = { accept: 'text/html', ...headers };
    if (user)
        h.authorization = basic(user);
    return request('GET', `${ENDPOINT.authorize}?${query}`, { headers: h, base });
}

// The parameters of a redirect's query (an object of strings; repeated
// names are an error).
export function redirectParams(location) {
    const url = new URL(location);
    const out = {};
    for (const [k, v] of url.searchParams) {
        assert.ok(!(k in out), `${k} given twice in ${location}`);
        out[k] = v;
    }
    return { url, params: out };
}

// An authorization error sent back to the client: 302 to the redirect URI
// with exactly error, error_description (optional), state and iss.
export function assertErrorRedirect(res, { redirect, state, error, status = 302 }) {
    assert.equal(res.status, status, `status (${res.text.slice(0, 200)})`);
    const location = res.headers.location;
    assert.ok(location, 'a Location header');
    assert.ok(location.startsWith(`${redirect}?`), `${location} goes back to ${redirect}`);
    const { params } = redirectParams(location);
    assert.equal(params.error, error, location);
    assert.equal(params.state, state, `state in ${location}`);
    assert.equal(params.iss, ISSUER, `iss in ${location}`);
    assert.equal(params.code, undefined, `no code in ${location}`);
    for (const k of Object.keys(params))
        assert.ok(['error', 'error_description', 'error_uri', 'state', 'iss'].includes(k), `${k} in ${location}`);
    return params;
}

// An error page instead of a redirect: 400 HTML, no Location.
export function assertErrorPage(res, what, status = 400) {
    assert.equal(res.status, status, `${what}: ${res.status} ${res.headers.location ?? ''} ${res.text.slice(0, 200)}`);
    assert.equal(res.headers.location, undefined, `${what}: never a redirect`);
    assert.match(res.headers['content-type'] ?? '', /^text\/html\b/, `${what}: an HTML page`);
    assert.doesNotMatch(res.text, /[?&]code=/, `${what}: no code on the page`);
}

// --- a small HTML reader -------------------------------------------------------

export function unescapeHtml(s) {
    return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
        if (e[0] === '#')
            return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
        return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }[e.toLowerCase()] ?? m;
    });
}

export function attributes(tag) {
    const out = {};
    const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
    const body = tag.replace(/^<\s*[\w-]+/, '').replace(/\/?>$/, '');
    let m;
    while ((m = re.exec(body))) {
        const v = m[2] ?? m[3] ?? m[4];
        out[m[1].toLowerCase()] = v === undefined ? '' : unescapeHtml(v);
    }
    return out;
}

// The text of the element with this id (tags removed, entities decoded,
// white space collapsed), or undefined.
export function textById(html, id) {
    const open = new RegExp(`<([a-z][\\w-]*)\\b[^>]*\\bid\\s*=\\s*["']?${id}(?=["'\\s>])[^>]*>`, 'i').exec(html);
    if (!open)
        return undefined;
    const tag = open[1];
    const rest = html.slice(open.index + open[0].length);
    // Nested elements of the same name are not expected in these fields.
    const end = rest.search(new RegExp(`</${tag}\\s*>`, 'i'));
    const inner = end < 0 ? rest : rest.slice(0, end);
    return unescapeHtml(inner.replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim();
}

export function indexOfId(html, id) {
    const m = new RegExp(`\\bid\\s*=\\s*["']?${id}(?=["'\\s>])`, 'i').exec(html);
    return m ? m.index : -1;
}

// The first form with method post: its attributes and its controls
// (input, button, select with options), in document order.
export function readForm(html) {
    const m = /<form\b[^>]*>([\s\S]*?)<\/form\s*>/i.exec(html);
    assert.ok(m, 'a form on the page');
    const form = attributes(/<form\b[^>]*>/i.exec(m[0])[0]);
    const controls = [];
    const re = /<(input|button)\b[^>]*>|<select\b[^>]*>([\s\S]*?)<\/select\s*>/gi;
    let c;
    while ((c = re.exec(m[1]))) {
        if (c[1]) {
            const a = attributes(c[0]);
            controls.push({ tag: c[1].toLowerCase(), type: (a.type ?? (c[1].toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase(), ...a });
        } else {
            const a = attributes(/<select\b[^>]*>/i.exec(c[0])[0]);
            const options = [...c[2].matchAll(/<option\b[^>]*>([^<]*)/gi)].map((o) => {
                const oa = attributes(/<option\b[^>]*>/i.exec(o[0])[0]);
                return { value: oa.value ?? unescapeHtml(o[1]).trim(), selected: 'selected' in oa, disabled: 'disabled' in oa };
            });
            controls.push({ tag: 'select', type: 'select', ...a, options });
        }
    }
    return { ...form, controls };
}

// What a browser submits for the form when `decision` is clicked:
// hidden and text inputs, checked boxes and radios, the selected option of
// each select.  `set` overrides: name -> value, or an array of values, or
// null to leave the name out.
export function formBody(form, decision, set = {}) {
    const pairs = [];
    const radiosDone = new Set();
    for (const c of form.controls) {
        if (!c.name || 'disabled' in c || c.name in set)
            continue;
        if (c.tag === 'select') {
            const chosen = c.options.find((o) => o.selected) ?? c.options.find((o) => !o.disabled);
            if (chosen)
                pairs.push([c.name, chosen.value]);
        } else if (c.type === 'checkbox' || c.type === 'radio') {
            if ('checked' in c && !(c.type === 'radio' && radiosDone.has(c.name))) {
                pairs.push([c.name, c.value ?? 'on']);
                if (c.type === 'radio')
                    radiosDone.add(c.name);
            }
        } else if (c.type === 'submit' || c.type === 'image' || c.type === 'button' || c.type === 'reset') {
            // Only the button clicked, below.
        } else {
            pairs.push([c.name, c.value ?? '']);
        }
    }
    for (const [k, v] of Object.entries(set)) {
        if (v === null)
            continue;
        for (const one of [].concat(v))
            pairs.push([k, one]);
    }
    if (decision) {
        const button = form.controls.find((c) => c.tag !== 'select' && c.type === 'submit' && c.value === decision);
        assert.ok(button, `a submit button with the value ${decision}`);
        pairs.push([button.name, button.value]);
    }
    return new URLSearchParams(pairs);
}

// --- consent with plain HTTP -------------------------------------------------------

// The hidden input that carries the approval's anti-forgery value (bound to
// the user and the request): the module names it csrf, as on its page.
export const CONSENT_FIELDS = ['consent', 'csrf'];

// GETs the authorization request as `user` and reads the consent page.
export async function consentPage(query, { user = 'alice', base } = {}) {
    const res = await authorizeGet(query, { user, base });
    assert.equal(res.status, 200, `consent page: ${res.status} ${res.headers.location ?? ''} ${res.text.slice(0, 300)}`);
    const form = readForm(res.text);
    const consent = form.controls.find((c) => CONSENT_FIELDS.includes(c.name) && c.type === 'hidden');
    assert.ok(consent && consent.value, `the approval's anti-forgery value in the form (hidden ${CONSENT_FIELDS.join(' or ')})`);
    return { res, html: res.text, form, consent: consent.value };
}

// The headers a browser sends with the form it got from the issuer.
export function sameOrigin() {
    return { origin: ISSUER, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
}

// POSTs the consent form as `user` with the button `decision`.
export function submitConsent(page, { user = 'alice', decision = 'approve', set = {}, headers = sameOrigin(), body, base } = {}) {
    const h = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
    if (user)
        h.authorization = basic(user);
    const action = new URL(page.form.action || ENDPOINT.authorize, `${ISSUER}${ENDPOINT.authorize}`);
    return request('POST', action.pathname + action.search, {
        base,
        headers: h,
        body: (body ?? formBody(page.form, decision, set)).toString(),
    });
}

// Registers nothing: runs one authorization for `client` to `redirect` and
// approves it; returns the code and what the token request needs.
export async function authorize({
    client, redirect, resource = RESOURCE.mcp, scope, user = 'alice', set = {}, state = randomState(),
}) {
    const { verifier, challenge } = pkce();
    const query = authorizeQuery({ client, redirect, challenge, state, resource, scope });
    const page = await consentPage(query, { user });
    const res = await submitConsent(page, { user, set });
    assert.equal(res.status, 303, `approval: ${res.status} ${res.text.slice(0, 300)}`);
    const location = res.headers.location;
    assert.ok(location && location.startsWith(`${redirect}?`), `${location} goes back to ${redirect}`);
    const { params } = redirectParams(location);
    assert.deepEqual(Object.keys(params).sort(), ['code', 'iss', 'state'], location);
    assert.equal(params.state, state);
    assert.equal(params.iss, ISSUER);
    remember(params.code);
    return { code: params.code, verifier, challenge, state, redirect, client, resource, location, page };
}

// --- the token endpoint ---------------------------------------------------------

// `base`: another origin than the stage's httpd (a node of a farm).
export function tokenRequest(params, headers = {}, { base } = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
        if (v !== undefined && v !== null)
            body.append(k, v);
    return request('POST', ENDPOINT.token, {
        base,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
        body: body.toString(),
    });
}

export function exchange(grant, overrides = {}, { base } = {}) {
    return tokenRequest({
        grant_type: 'authorization_code',
        code: grant.code,
        redirect_uri: grant.redirect,
        code_verifier: grant.verifier,
        client_id: grant.client,
        resource: grant.resource,
        ...overrides,
    }, {}, { base });
}

export function refresh(refreshToken, client, overrides = {}, { base } = {}) {
    return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client, ...overrides },
        {}, { base });
}

export function revoke(token, client, extra = {}, { base } = {}) {
    const body = new URLSearchParams({ token, client_id: client, ...extra });
    return request('POST', ENDPOINT.revoke, {
        base,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
    });
}

// The headers every token endpoint answer carries.
export function assertTokenHeaders(res, what) {
    assert.match(res.headers['cache-control'] ?? '', /\bno-store\b/, `${what}: Cache-Control no-store`);
    assert.equal(res.headers['access-control-allow-origin'], '*', `${what}: CORS`);
    assert.match(res.headers['content-type'] ?? '', /^application\/json\b/, `${what}: JSON`);
}

// A successful token answer: its JSON, with the tokens remembered.
export function assertTokens(res, what = 'token answer') {
    assert.equal(res.status, 200, `${what}: ${res.status} ${res.text}`);
    assertTokenHeaders(res, what);
    const t = json(res);
    remember(t.access_token, t.refresh_token);
    assert.match(t.access_token ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, `${what}: access_token`);
    assert.equal(t.token_type, 'Bearer', what);
    assert.equal(t.expires_in, ACCESS_LIFETIME, `${what}: expires_in`);
    assert.equal(typeof t.refresh_token, 'string', `${what}: refresh_token`);
    assert.ok(t.refresh_token.length >= 16, `${what}: refresh_token`);
    assert.equal(typeof t.scope, 'string', `${what}: scope`);
    return t;
}

// A refusal of the token endpoint with its exact status and error.
export function assertTokenError(res, status, error, what) {
    assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
    assertTokenHeaders(res, what);
    const body = json(res);
    assert.equal(body.error, error, `${what}: ${res.text}`);
    assert.equal(typeof body.error_description, 'string', `${what}: error_description`);
    assert.equal(body.access_token, undefined, what);
    assert.equal(body.refresh_token, undefined, what);
    return body;
}

// The access token's claims, after its RS512 signature has been checked
// here with the key the module's JWKS names by its kid.
export async function verifiedClaims(token) {
    const { header, claims } = decode(token);
    assert.equal(header.alg, 'RS512');
    const res = await request('GET', `${OAUTH_BASE}/jwks.json`);
    assert.equal(res.status, 200, res.text);
    const jwk = json(res).keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `kid ${header.kid} in the JWKS`);
    const key = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
    const [h, p, s] = token.split('.');
    assert.ok(crypto.verify('sha512', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')),
        'the signature verifies');
    return claims;
}

export function audiences(claims) {
    return [].concat(claims.aud ?? []);
}

// A request with its target sent exactly as given (no URL normalisation:
// dot segments, doubled slashes and escapes reach httpd as they are).
export function rawRequest(method, target, { headers = {}, body } = {}) {
    const base = new URL(env.base);
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: base.hostname, port: base.port, method, path: target,
            headers: { connection: 'close', ...headers }, agent: false,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
        });
        req.setTimeout(10000, () => req.destroy(new Error(`${method} ${target}: timed out`)));
        req.on('error', reject);
        if (body !== undefined)
            req.write(body);
        req.end();
    });
}

// A request whose answer is taken as soon as its head arrives (an SSE
// stream that was let through would never end): { status, headers, text }
// with the first chunk of the body at most.
export function requestHead(method, path, { headers = {}, body } = {}) {
    const url = new URL(path, env.base);
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
            let text = '';
            const done = () => {
                resolve({ status: res.statusCode, headers: res.headers, text });
                req.destroy();
            };
            res.once('data', (c) => { text = c.toString('utf8'); done(); });
            res.once('end', done);
            res.on('error', () => {});
            setTimeout(done, 500);
        });
        req.setTimeout(10000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on('error', (e) => { if (!req.destroyed || e.code !== 'ECONNRESET') reject(e); });
        if (body !== undefined)
            req.write(body);
        req.end();
    });
}

// --- a loopback callback server (what a native client runs) ---------------------

// Listens on 127.0.0.1 (a free port); every GET of `path` is recorded with
// its query.  next() waits for the next one.
export async function callbackServer(path = '/callback') {
    const hits = [];
    const waiters = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        if (url.pathname !== path) {
            res.writeHead(404).end();
            return;
        }
        const hit = Object.fromEntries(url.searchParams);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
        res.end('<!doctype html><title>done</title><p id="done">You may close this window.</p>');
        const w = waiters.shift();
        if (w)
            w(hit);
        else
            hits.push(hit);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}${path}`;
    return {
        url,
        next: () => (hits.length ? Promise.resolve(hits.shift()) : new Promise((r) => waiters.push(r))),
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    };
}
