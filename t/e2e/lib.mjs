// Helpers of the end-to-end tests: the stage run.sh set up (from the
// environment), plain HTTP requests, minting through the module, JWTs signed
// here with node:crypto (for the tokens the module must refuse), the
// WWW-Authenticate parser, MCP clients.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { need as needEnv, withTimeout } from '../lib/common.mjs';

const need = (name) => needEnv(name, 't/e2e/run.sh');

// Each member is read when first used, so that another suite (t/farm)
// can use these helpers with the part of the stage it has: the base URL
// and the work directory.
const VARIABLES = {
    base: 'E2E_BASE',
    work: 'E2E_WORK',
    httpd: 'E2E_HTTPD',
    httpdConf: 'E2E_HTTPD_CONF',
    keysConf: 'E2E_KEYS_CONF',
    keys: 'E2E_KEYS',
    revoked: 'E2E_REVOKED',
    errorLog: 'E2E_ERROR_LOG',
    accessLog: 'E2E_ACCESS_LOG',
    tool: 'E2E_TOOL',
    python: 'E2E_PYTHON',
    mcpRemote: 'E2E_MCP_REMOTE',
    mcpRemoteDir: 'E2E_MCP_REMOTE_DIR',
};
export const env = Object.defineProperties({}, Object.fromEntries(Object.entries(VARIABLES).map(
    ([member, name]) => [member, { enumerable: true, get: () => need(name) }])));

export const PASSWORDS = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw' };
export const REALM = 'mcp';
export const ISSUER = 'activeviam';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One request on a connection of its own (no keep-alive: connections never
// outlive a graceful restart), headers sent exactly as given.  The path is
// taken relative to `base` (the stage's httpd by default).
export function request(method, path, { headers = {}, body, base = env.base } = {}) {
    const url = new URL(path, base);
    return new Promise((resolve, reject) => {
        const req = http.request(
            url,
            { method, headers: { connection: 'close', ...headers }, agent: false },
            (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => {
                    const text = Buffer.concat(chunks).toString('utf8');
                    resolve({ status: res.statusCode, headers: res.headers, text });
                });
                res.on('error', reject);
            },
        );
        req.setTimeout(10000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on('error', reject);
        if (body !== undefined)
            req.write(body);
        req.end();
    });
}

export function json(res) {
    try {
        return JSON.parse(res.text);
    } catch (e) {
        throw new Error(`not JSON (status ${res.status}): ${res.text.slice(0, 300)}`);
    }
}

export function basic(user) {
    return 'Basic ' + Buffer.from(`${user}:${PASSWORDS[user]}`).toString('base64');
}

// Mints through the module's endpoint; returns its JSON answer.
export async function mint(user, requestBody = { expiresIn: 'P1D' }, path = '/mcp-credentials/token') {
    const res = await request('POST', path, {
        headers: { authorization: basic(user), 'content-type': 'application/json' },
        body: JSON.stringify(requestBody),
    });
    assert.equal(res.status, 200, `minting for ${user}: ${res.status} ${res.text}`);
    const answer = json(res);
    assert.equal(answer.subject, user);
    assert.match(answer.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    return answer;
}

// --- JWTs made here -------------------------------------------------------

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64json = (obj) => b64url(JSON.stringify(obj));

export function decode(token) {
    const [h, p] = token.split('.');
    return {
        header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
        claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    };
}

export function keyFile(name, pub = false) {
    return `${env.keys}/${name}${pub ? '.pub' : ''}.pem`;
}

// RFC 7638 thumbprint of an RSA key, computed here (not by the module).
export function thumbprint(name) {
    const jwk = crypto.createPublicKey(fs.readFileSync(keyFile(name, true))).export({ format: 'jwk' });
    const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
    return b64url(crypto.createHash('sha256').update(canonical).digest());
}

export function claimsFor(sub, overrides = {}) {
    const now = Math.floor(Date.now() / 1000);
    return {
        sub,
        iss: ISSUER,
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: crypto.randomUUID(),
        authorities: ['ROLE_USER'],
        ...overrides,
    };
}

// An RS512 token signed with one of run.sh's keys, kid = that key's
// thumbprint unless the header says otherwise.
export function signRS512(keyName, claims, header = {}) {
    const h = { alg: 'RS512', typ: 'JWT', kid: thumbprint(keyName), ...header };
    const input = `${b64json(h)}.${b64json(claims)}`;
    const key = crypto.createPrivateKey(fs.readFileSync(keyFile(keyName)));
    const sig = crypto.sign('sha512', Buffer.from(input), key);
    return `${input}.${b64url(sig)}`;
}

// --- WWW-Authenticate ---------------------------------------------------

// Parses one "Bearer k=v, k="v"" challenge; returns {scheme, params}.
export function parseChallenge(value) {
    assert.ok(value, 'no WWW-Authenticate header');
    const m = /^(\S+)\s*(.*)$/s.exec(value);
    const params = {};
    const re = /\s*([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
    let rest = m[2], p;
    re.lastIndex = 0;
    while (re.lastIndex < rest.length && (p = re.exec(rest))) {
        const k = p[1].toLowerCase();
        assert.ok(!(k in params), `parameter ${k} given twice in ${value}`);
        params[k] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
    }
    assert.equal(re.lastIndex, rest.length, `unparsable WWW-Authenticate: ${value}`);
    return { scheme: m[1], params };
}

export function metadataUrl(path) {
    return `${env.base}/.well-known/oauth-protected-resource${path}`;
}

// Asserts the refusal of a guarded path: the status and the whole challenge.
// error: null for a missing token (no error, no description), otherwise
// "invalid_token" or "insufficient_scope" with a description.
export function assertRefused(res, { status, error, path = '/mcp', description }) {
    assert.equal(res.status, status, `status (body: ${res.text.slice(0, 200)})`);
    const all = res.headers['www-authenticate'];
    assert.equal(typeof all, 'string', `one WWW-Authenticate header, got ${JSON.stringify(all)}`);
    const { scheme, params } = parseChallenge(all);
    assert.equal(scheme, 'Bearer', all);
    assert.equal(params.realm, REALM, all);
    assert.equal(params.resource_metadata, metadataUrl(path), all);
    if (error === null) {
        assert.deepEqual(Object.keys(params).sort(), ['realm', 'resource_metadata'], all);
    } else {
        assert.equal(params.error, error, all);
        assert.ok(params.error_description && params.error_description.length > 3,
            `error_description in ${all}`);
        if (description)
            assert.match(params.error_description, description, all);
        assert.deepEqual(Object.keys(params).sort(),
            ['error', 'error_description', 'realm', 'resource_metadata'], all);
    }
    assert.ok(!/eyJ/.test(all), 'the challenge echoes no token');
}

// A JSON-RPC initialize POSTed to /mcp with the given token (or none).
export function mcpPost(token, extraHeaders = {}, path = '/mcp') {
    const headers = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...extraHeaders,
    };
    if (token !== null && token !== undefined)
        headers.authorization = `Bearer ${token}`;
    return request('POST', path, {
        headers,
        body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
                protocolVersion: '2025-06-18',
                capabilities: {},
                clientInfo: { name: 'e2e-raw', version: '1' },
            },
        }),
    });
}

// --- MCP clients ----------------------------------------------------------

// Headers a hostile client adds: copies of what httpd passes to the backend,
// in both spellings, plus an unrelated underscore header as a control.
export const FORGED = {
    'X-MCP-User': 'mallory',
    'X_MCP_User': 'mallory',
    'X-MCP-Authorities': 'ROLE_GOD',
    'X_MCP_Authorities': 'ROLE_GOD',
    'X_E2E_Probe': 'through',
};

export async function connect(kind, token, { path, headers = {} } = {}) {
    const client = new Client({ name: `e2e-${kind}`, version: '1.0.0' });
    const all = { ...headers };
    if (token)
        all.Authorization = `Bearer ${token}`;
    let transport;
    if (kind === 'http')
        transport = new StreamableHTTPClientTransport(new URL(path ?? '/mcp', env.base),
            { requestInit: { headers: all } });
    else if (kind === 'sse')
        transport = new SSEClientTransport(new URL(path ?? '/sse', env.base),
            { requestInit: { headers: all } });
    else
        throw new Error(kind);
    await client.connect(transport);
    return client;
}

// mcp-remote over stdio with these arguments, its client connecting (not
// awaited): { client, transport, connecting, stderr() }.  `connecting`
// never rejects; it resolves to the error, if any.  BROWSER=true: when it
// turns to signing in, its opener runs true(1) instead of a browser.
export function startMcpRemote(args, { configDir = env.mcpRemoteDir, extraEnv = {}, stderrSink } = {}) {
    const transport = new StdioClientTransport({
        command: env.mcpRemote,
        args,
        env: {
            PATH: process.env.PATH,
            HOME: configDir,
            MCP_REMOTE_CONFIG_DIR: configDir,
            BROWSER: 'true',
            ...extraEnv,
        },
        stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d) => {
        stderr += d;
        stderrSink?.(d);
    });
    const client = new Client({ name: 'e2e-mcp-remote', version: '1.0.0' });
    const connecting = client.connect(transport).then(() => null, (e) => e);
    return { client, transport, connecting, stderr: () => stderr };
}

// mcp-remote over stdio with a token, driven by the SDK's stdio client.
export async function connectMcpRemote(transportMode, token, { extraArgs = [], stderrSink } = {}) {
    const args = [
        `${env.base}/${transportMode === 'sse-only' ? 'sse' : 'mcp'}`,
        '--transport', transportMode,
        '--header', 'Authorization: Bearer ${MCP_TOKEN}',
        ...extraArgs,
    ];
    const run = startMcpRemote(args, { extraEnv: { MCP_TOKEN: token }, stderrSink });
    const { client, transport } = run;
    let error;
    try {
        error = await withTimeout(run.connecting, 20000, `mcp-remote ${transportMode} connect`);
    } catch (e) {
        error = e;
    }
    if (error) {
        await transport.close().catch(() => {});
        error.message += `\n--- mcp-remote stderr ---\n${run.stderr()}`;
        error.mcpRemoteStderr = run.stderr();
        throw error;
    }
    client.mcpRemoteStderr = run.stderr;
    return client;
}

// The authorization URL mcp-remote prints once it turns to signing in.
export async function mcpRemoteAuthorizationUrl(run, ms = 25000) {
    const start = Date.now();
    let failed = null;
    run.connecting.then((e) => { failed = e ?? new Error('connected without signing in'); });
    for (;;) {
        const url = /Please authorize this client by visiting:\s*\n\s*(\S+)/.exec(run.stderr())?.[1];
        if (url)
            return url;
        if (failed)
            throw new Error(`mcp-remote printed no authorization URL: ${failed.message}\n${run.stderr()}`);
        if (Date.now() - start > ms)
            throw new Error(`mcp-remote printed no authorization URL within ${ms} ms:\n${run.stderr()}`);
        await sleep(100);
    }
}

export { withTimeout };

export async function whoami(client) {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    assert.ok(!result.isError, `whoami failed: ${JSON.stringify(result)}`);
    assert.equal(result.content?.[0]?.type, 'text');
    return JSON.parse(result.content[0].text);
}

// What the backend must have seen for a token of `user` with `authorities`
// when the client forged the headers of FORGED.
export function assertIdentity(seen, user, authorities, { authorization = false, forged = true } = {}) {
    assert.equal(seen['x-mcp-user'], user, 'X-MCP-User at the backend');
    assert.equal(seen['x-mcp-authorities'], authorities, 'X-MCP-Authorities at the backend');
    assert.equal(seen.x_mcp_user, null, 'X_MCP_User (forged) must not reach the backend');
    assert.equal(seen.x_mcp_authorities, null, 'X_MCP_Authorities (forged) must not reach the backend');
    assert.equal(seen.authorization, authorization, 'Authorization at the backend');
    if (forged)
        assert.equal(seen.x_e2e_probe, 'through',
            'control: an unrelated underscore header reaches the backend');
}

// PyJWT (Debian's python3-jwt): an independent verifier.
export function python(code, input) {
    return execFileSync(env.python, ['-c', code], { input, encoding: 'utf8', timeout: 15000 });
}

export function tool(...args) {
    return execFileSync(env.tool, args, { encoding: 'utf8', timeout: 15000, stdio: ['ignore', 'pipe', 'pipe'] });
}
