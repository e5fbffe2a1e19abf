// Helpers of the farm tests: the stage t/farm/run.sh set up (nodes A and
// B, each its own httpd with the module, the balancer in front of them, the
// shared store), requests to one node or to the balancer, grants approved
// at one node and used at another, requests sent to several nodes at the
// same instant, streams of requests, and the processes of the nodes and
// the store.  The e2e helpers do the HTTP and the OAuth forms; the
// balancer is their base URL (E2E_BASE).
//
// Test output never shows a token, a code or a refresh token: answers are
// described by brief(), and secrets are compared with assert.ok, whose
// message is the only thing printed.
//
// Every test of a file is declared at the start of a line, as test(...) or
// onlyWith('redis'|'memcache', ...): run.sh counts them to know how many
// tests are planned for each store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { need as needEnv } from '../lib/common.mjs';
import { request, basic, decode, mcpPost, sleep } from '../e2e/lib.mjs';
import {
    ISSUER, OAUTH_BASE, RESOURCE, pkce, randomState, authorizeQuery, consentPage, submitConsent,
    redirectParams, registerOk, exchange, remember,
} from '../e2e/oauth.mjs';

export { sleep };

const need = (name) => needEnv(name, 't/farm/run.sh');

export const STORE = need('FARM_STORE');
export const BALANCER = need('FARM_BALANCER');
export const NODES = { A: need('FARM_A'), B: need('FARM_B') };
export const NODE_DIRS = { A: need('FARM_NODE_A'), B: need('FARM_NODE_B') };
export const farm = {
    work: need('FARM_WORK'),
    httpd: need('FARM_HTTPD'),
    tool: need('FARM_TOOL'),
    revoked: need('FARM_REVOKED'),
    storePort: need('FARM_STORE_PORT'),
    storeDir: need('FARM_STORE_DIR'),
    storeScript: need('FARM_STORE_SCRIPT'),
    balancerDir: need('FARM_BALANCER_DIR'),
    // MCPCredentialsCacheTimeout of docs/farm.md, in seconds.
    cacheTimeout: Number(need('FARM_CACHE_TIMEOUT')),
};
export { ISSUER, RESOURCE };

// The test-only locations run.sh adds to the documented configuration:
// minting under a limit of 20 an hour, and minting under a limit never
// reached (which still keeps its counter in the store).
export const RATE_LIMITED = '/farm-rate/token';
export const MINT = '/farm-mint/token';
export const RATE_LIMIT = 20;

// A test of one store only: for the other store it is skipped with the
// reason "<store> only", which run.sh expects by name and does not count
// as planned there.
export function onlyWith(store, name, fn) {
    return test(name, STORE === store ? {} : { skip: `${store} only` }, fn);
}

// --- answers, without their secrets -----------------------------------------------

// Anything that looks like a token, a code or a refresh token, replaced.
export function redact(text) {
    return String(text)
        .replace(/eyJ[\w-]*(\.[\w-]*){0,2}/g, '<jwt>')
        .replace(/[\w~.-]{24,}/g, '<secret>');
}

export function jsonOrNull(res) {
    try {
        return JSON.parse(res.text);
    } catch {
        return null;
    }
}

// An answer in a few words: its status and, for a JSON error, the error;
// for anything else but a 200, the start of its body, redacted.
export function brief(res) {
    if (!res)
        return 'no answer';
    if (res.error)
        return `no answer (${res.error.code ?? res.error.message})`;
    const j = jsonOrNull(res);
    if (j && typeof j.error === 'string')
        return `${res.status} ${j.error}${j.error_description ? ` (${redact(j.error_description)})` : ''}`;
    if (res.status === 200)
        return '200';
    return `${res.status} ${redact(res.text.replace(/\s+/g, ' ').slice(0, 100))}`;
}

export const errorOf = (res) => jsonOrNull(res)?.error;

// A refusal of the token endpoint: exactly this status and error.
export function assertRefusal(res, status, error, what) {
    assert.ok(res.status === status && errorOf(res) === error,
        `${what}: ${brief(res)}, expected ${status} ${error}`);
    assert.ok(!/access_token|refresh_token/.test(res.text), `${what}: no token in a refusal`);
}

// --- tokens ------------------------------------------------------------------------

const jwks = new Map();

// The claims of an access or page token after its RS512 signature has been
// checked here with the key the balancer's JWK Set names by its kid; it
// must be current.
export async function verified(token, what) {
    assert.ok(typeof token === 'string' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token), `${what}: a JWT`);
    const { header, claims } = decode(token);
    assert.equal(header.alg, 'RS512', `${what}: alg`);
    if (!jwks.has(header.kid)) {
        const res = await request('GET', `${OAUTH_BASE}/jwks.json`);
        assert.equal(res.status, 200, `the JWK Set: ${brief(res)}`);
        for (const k of JSON.parse(res.text).keys)
            jwks.set(k.kid, crypto.createPublicKey({ key: { kty: k.kty, n: k.n, e: k.e }, format: 'jwk' }));
    }
    const key = jwks.get(header.kid);
    assert.ok(key, `${what}: kid ${header.kid} in the JWK Set`);
    const [h, p, s] = token.split('.');
    assert.ok(crypto.verify('sha512', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')),
        `${what}: the signature verifies`);
    const now = Date.now() / 1000;
    assert.equal(claims.iss, 'activeviam', `${what}: iss`);
    assert.ok(claims.exp > now && claims.iat <= now + 5, `${what}: current (iat ${claims.iat}, exp ${claims.exp})`);
    return claims;
}

// A successful token answer for `user`: its tokens, checked (a signed
// access token for the /mcp resource, a refresh token).
export async function tokensOf(res, what, { user = 'alice' } = {}) {
    assert.ok(res.status === 200, `${what}: ${brief(res)}, expected 200`);
    assert.match(res.headers['cache-control'] ?? '', /\bno-store\b/, `${what}: Cache-Control no-store`);
    const t = jsonOrNull(res);
    assert.ok(t, `${what}: a JSON answer`);
    remember(t.access_token, t.refresh_token);
    assert.equal(t.token_type, 'Bearer', `${what}: token_type`);
    assert.ok(typeof t.refresh_token === 'string' && t.refresh_token.length >= 16, `${what}: a refresh token`);
    const claims = await verified(t.access_token, what);
    assert.equal(claims.sub, user, `${what}: sub`);
    assert.ok([].concat(claims.aud ?? []).includes(RESOURCE.mcp), `${what}: aud ${JSON.stringify(claims.aud)}`);
    return t;
}

// A page token minted at `base` + `path` for `user`: { status, token,
// claims } (token and claims only for a 200, checked).
export async function mintAt(base, user, path = MINT) {
    const res = await request('POST', path, {
        base,
        headers: { authorization: basic(user), 'content-type': 'application/json' },
        body: JSON.stringify({ expiresIn: 'P1D' }),
    });
    if (res.status !== 200)
        return { res };
    const answer = jsonOrNull(res);
    assert.ok(answer, `a mint at ${base}: a JSON answer`);
    remember(answer.token);
    const claims = await verified(answer.token, `a mint at ${base}`);
    assert.equal(claims.sub, user, `a mint at ${base}: sub`);
    return { res, token: answer.token, claims };
}

// POST /mcp (an MCP initialize) at `base` with this token.
export function mcpAt(base, token) {
    return mcpPost(token, {}, `${base}/mcp`);
}

// --- OAuth across the nodes ------------------------------------------------------

export const REDIRECT = 'http://127.0.0.1:5555/callback';

// A client registered (through the balancer; a client id is no record).
export async function newClient(name) {
    const c = await registerOk([REDIRECT], { client_name: `farm ${name}` });
    return c.client_id;
}

// One approval: the consent page read at `pageAt`, approved at `approveAt`;
// returns what the token request needs.
export async function approve(client, { user = 'alice', pageAt = BALANCER, approveAt = pageAt } = {}) {
    const { verifier, challenge } = pkce();
    const state = randomState();
    const page = await consentPage(authorizeQuery({ client, redirect: REDIRECT, challenge, state, resource: RESOURCE.mcp }),
        { user, base: pageAt });
    const res = await submitConsent(page, { user, base: approveAt });
    assert.equal(res.status, 303, `approval at ${approveAt}: ${brief(res)}`);
    const location = res.headers.location ?? '';
    assert.ok(location.startsWith(`${REDIRECT}?`), 'the approval goes back to the redirect URI');
    const { params } = redirectParams(location);
    assert.deepEqual(Object.keys(params).sort(), ['code', 'iss', 'state'], 'code, iss and state');
    assert.ok(params.state === state, 'the state comes back');
    assert.equal(params.iss, ISSUER);
    remember(params.code);
    return { code: params.code, verifier, redirect: REDIRECT, client, resource: RESOURCE.mcp, page };
}

// An approval at `at` exchanged at `at`: its tokens.
export async function grantAt(client, at = BALANCER, { user = 'alice' } = {}) {
    const grant = await approve(client, { user, pageAt: at });
    return tokensOf(await exchange(grant, {}, { base: at }), `the code exchanged at ${at}`, { user });
}

// --- requests at the same instant -------------------------------------------------

// A POST whose body is sent but for its last byte; finish() sends it.
function primed({ base, path: p, headers = {}, body }) {
    const url = new URL(p, base);
    const buf = Buffer.from(body);
    const req = http.request(url, {
        method: 'POST',
        agent: false,
        headers: { connection: 'close', 'content-length': String(buf.length), ...headers },
    });
    const started = Date.now();
    const done = new Promise((resolve) => {
        req.on('response', (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({
                status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'),
                ms: Date.now() - started,
            }));
            res.on('error', (error) => resolve({ error }));
        });
        req.on('error', (error) => resolve({ error }));
        req.setTimeout(15000, () => req.destroy(new Error(`POST ${url}: timed out`)));
    });
    const connected = new Promise((resolve) => {
        req.on('socket', (s) => (s.connecting ? s.once('connect', resolve) : resolve()));
        req.on('error', resolve);
    });
    req.write(buf.subarray(0, buf.length - 1));
    return { connected, done, finish: () => req.end(buf.subarray(buf.length - 1)) };
}

// Sends the requests so that they arrive together: every connection gets
// its request but for the last byte, and once all of them are connected
// (and the servers have read the heads) the last bytes go out in one
// turn of the event loop.  Resolves to the answers, in order ({ error }
// for a request that got none).
export async function together(specs) {
    const sent = specs.map(primed);
    await Promise.all(sent.map((s) => s.connected));
    await sleep(50);
    for (const s of sent)
        s.finish();
    return Promise.all(sent.map((s) => s.done));
}

// A token request (form) as a spec for together().
export function tokenSpec(base, params) {
    return {
        base,
        path: `${OAUTH_BASE}/oauth/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
    };
}

// --- streams of requests -------------------------------------------------------------

// Runs each worker [name, fn, { overlap }] until stop(): fn() returns an
// answer (or throws, recorded as { error }); every call is recorded with
// the worker's name, its start and end (ms since the epoch) and whatever
// fn added to the answer.  A worker calls fn again `pause` ms after its
// call ended; with overlap N, it starts a call every `pause` ms as long as
// fewer than N of its calls wait for their answer, so that calls stuck on
// something do not stop new ones.  stop() resolves to the records once
// every call has ended.
export function stream(workers, { pause = 25 } = {}) {
    let stopped = false;
    const records = [];
    const call = async (name, fn) => {
        const t0 = Date.now();
        let answer;
        try {
            answer = await fn();
        } catch (error) {
            answer = { error };
        }
        records.push({ name, t0, t1: Date.now(), ...answer });
    };
    const loops = workers.map(async ([name, fn, { overlap = 1 } = {}]) => {
        const pending = new Set();
        while (!stopped) {
            if (pending.size >= overlap) {
                await Promise.race(pending);
                continue;
            }
            const p = call(name, fn);
            pending.add(p);
            p.then(() => pending.delete(p));
            if (overlap === 1)
                await p;
            await sleep(pause);
        }
        await Promise.all(pending);
    });
    return {
        records,
        stop: async () => {
            stopped = true;
            await Promise.all(loops);
            return records;
        },
    };
}

// --- processes ------------------------------------------------------------------------

const alive = (pid) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

export async function waitUntil(what, ms, check, every = 50) {
    const start = Date.now();
    for (;;) {
        if (await check())
            return Date.now() - start;
        assert.ok(Date.now() - start < ms, `${what}: not within ${ms} ms`);
        await sleep(every);
    }
}

export function nodeConf(name) {
    return path.join(NODE_DIRS[name], 'httpd.conf');
}

export function errorLog(name) {
    return path.join(NODE_DIRS[name], 'error_log');
}

// The node's parent httpd and its children, by the parent's pid file.
export function nodePids(name) {
    const parent = Number(fs.readFileSync(path.join(NODE_DIRS[name], 'httpd.pid'), 'utf8').trim());
    let children = [];
    try {
        children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
            .split(/\s+/).filter(Boolean).map(Number);
    } catch {
        // ps exits 1 when there is none.
    }
    return { parent, children };
}

// Every process of the node killed with SIGKILL, as a crash would.
export async function killNode(name) {
    const { parent, children } = nodePids(name);
    assert.ok(alive(parent), `node ${name} runs`);
    for (const pid of [parent, ...children])
        try {
            process.kill(pid, 'SIGKILL');
        } catch {
            // Gone already.
        }
    await waitUntil(`node ${name} gone`, 5000, () => ![parent, ...children].some(alive));
}

// Starts the node (httpd -k start) and waits until it answers.
export async function startNode(name) {
    execFileSync(farm.httpd, ['-f', nodeConf(name), '-k', 'start'], { stdio: 'pipe', timeout: 15000 });
    await waitUntil(`node ${name} answers`, 10000, async () => {
        try {
            const res = await request('GET', '/.well-known/oauth-authorization-server', { base: NODES[name] });
            return res.status === 200;
        } catch {
            return false;
        }
    }, 100);
}

// httpd -k graceful of the node; resolves once its error log says the new
// generation runs.
export async function gracefulNode(name) {
    const resumed = () => (fs.readFileSync(errorLog(name), 'utf8').match(/AH00489: /g) ?? []).length;
    const before = resumed();
    execFileSync(farm.httpd, ['-f', nodeConf(name), '-k', 'graceful'], { stdio: 'pipe', timeout: 15000 });
    await waitUntil(`node ${name}'s graceful restart`, 15000, () => resumed() > before, 100);
}

// The store's process (redis-server or memcached), by the pid file
// t/farm/store.sh keeps.
export function storePid() {
    return Number(fs.readFileSync(path.join(farm.storeDir, `${STORE}.pid`), 'utf8').trim());
}

export function signalStore(signal) {
    process.kill(storePid(), signal);
}

// SIGTERM, and the store is gone.
export async function stopStore() {
    const pid = storePid();
    process.kill(pid, 'SIGTERM');
    await waitUntil(`${STORE} gone after SIGTERM`, 5000, () => !alive(pid), 20);
}

// The store started again, empty, on its port; resolves once it answers.
export function startStore() {
    execFileSync(farm.storeScript, ['start', STORE, farm.storePort, farm.storeDir], { stdio: 'pipe', timeout: 15000 });
}

// --- logs ---------------------------------------------------------------------------

export function logSize(name) {
    return fs.statSync(errorLog(name)).size;
}

export function logSince(name, offset) {
    const fd = fs.openSync(errorLog(name), 'r');
    try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - offset));
        fs.readSync(fd, buf, 0, buf.length, offset);
        return buf.toString('utf8');
    } finally {
        fs.closeSync(fd);
    }
}
