// Helpers of the demo tests: the stage t/demo/run.sh set up, Chromium, the
// page's client configurations, MCP clients, an independent verifier.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { need as needEnv, withTimeout } from '../lib/common.mjs';

const need = (name) => needEnv(name, 't/demo/run.sh');

export const env = {
    root: need('DEMO_ROOT'),
    origin: need('DEMO_ORIGIN'),
    state: need('DEMO_STATE'),
    python: need('DEMO_PYTHON'),
    chromium: need('DEMO_CHROMIUM'),
    screenshots: need('DEMO_SCREENSHOTS'),
    tmp: need('TMPDIR'),
};
export const page = `${env.origin}/mcp-credentials`;
export const mcpUrl = `${env.origin}/mcp`;

export function launch() {
    return chromium.launch({
        executablePath: env.chromium,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
            '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
}

export async function newContext(browser, options = {}) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, ...options });
    context.setDefaultTimeout(10000);
    return context;
}

export function claimsOf(token) {
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS');
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

// Generates a token on the page with the lifetime labelled `label`;
// returns it once the result shows it.
export async function generate(p, label = '30 days') {
    await p.getByLabel(label, { exact: true }).check();
    await p.getByRole('button', { name: 'Generate token' }).click();
    await p.locator('#result').waitFor({ state: 'visible' });
    await p.waitForFunction(() => document.getElementById('token').value.length > 20);
    return p.inputValue('#token');
}

// The role checkboxes the page offers, by their labels.
export async function rolesShown(p) {
    return p.locator('#roles-field input[name="authorities"]').evaluateAll(
        (boxes) => boxes.map((b) => b.value));
}

// The page's three client configurations, as shown.
export async function configsShown(p) {
    const claude = JSON.parse(await p.textContent('#cfg-claude'));
    const http = JSON.parse(await p.textContent('#cfg-http'));
    const curl = await p.textContent('#cfg-curl');
    const only = (cfg) => {
        const entries = Object.values(cfg.mcpServers);
        assert.equal(entries.length, 1, 'one server entry');
        return entries[0];
    };
    return { claude: only(claude), http: only(http), curl };
}

// PyJWT (Debian's python3-jwt), with the key the demo publishes at its JWKS
// URL: the claims of a valid token, or an exception.
export function verifyWithPyJWT(token) {
    const code = `
import json, sys, jwt
token = sys.stdin.read().strip()
key = jwt.PyJWKClient(sys.argv[1]).get_signing_key_from_jwt(token).key
claims = jwt.decode(token, key, algorithms=["RS512"], issuer="activeviam",
                    options={"require": ["exp", "iat", "nbf", "sub", "jti"]})
print(json.dumps(claims))
`;
    const out = execFileSync(env.python, ['-c', code, `${page}/jwks.json`],
        { input: token, encoding: 'utf8', timeout: 20000 });
    return JSON.parse(out);
}

export { withTimeout };

// Runs a Claude Desktop server entry as Claude Desktop does: exactly its
// command and args, with its env (plus PATH and a HOME of its own), from
// the checkout, where npx finds the locked mcp-remote.  npm_config_offline
// makes npx fail rather than reach the registry.
export async function connectClaudeEntry(entry) {
    const home = fs.mkdtempSync(path.join(env.tmp, 'claude-home-'));
    const transport = new StdioClientTransport({
        command: entry.command,
        args: entry.args,
        env: {
            ...entry.env,
            PATH: process.env.PATH,
            HOME: home,
            MCP_REMOTE_CONFIG_DIR: home,
            npm_config_offline: 'true',
            npm_config_update_notifier: 'false',
        },
        cwd: env.root,
        stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d) => { stderr += d; });
    const client = new Client({ name: 'demo-test-claude-desktop', version: '1.0.0' });
    try {
        await withTimeout(client.connect(transport), 30000, `${entry.command} ${entry.args.join(' ')}`);
    } catch (e) {
        await transport.close().catch(() => {});
        e.message += `\n--- stderr ---\n${stderr}`;
        throw e;
    }
    client.stderr = () => stderr;
    return client;
}

export async function connectHttp(url, headers) {
    const client = new Client({ name: 'demo-test-http', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
}

// The demo server's whoami: its text and its structured answer.
export async function whoami(client) {
    const result = await withTimeout(client.callTool({ name: 'whoami', arguments: {} }), 15000, 'whoami');
    assert.ok(!result.isError, JSON.stringify(result));
    return { text: result.content[0].text, ...result.structuredContent };
}

// Connects over Streamable HTTP with the headers given, and asserts that
// whoami names the user and exactly the authorities.
export async function assertWhoamiOverHttp(url, headers, user, authorities) {
    const client = await connectHttp(url, headers);
    try {
        const who = await whoami(client);
        assert.equal(who.user, user);
        assert.deepEqual(who.authorities, authorities);
    } finally {
        await client.close();
    }
}

export function screenshotPath(name) {
    fs.mkdirSync(env.screenshots, { recursive: true });
    return path.join(env.screenshots, name);
}

// Asserts a PNG was written, of a plausible size.
export function assertPng(file) {
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
    assert.ok(png.length > 10000, `${file} has content (${png.length} bytes)`);
}
