// `make demo` with Basic sign-in, as a new user meets it: sign in, pick a
// lifetime, generate, then paste each client configuration the page shows
// and call a tool of the demo's MCP server through httpd.  Also makes the
// README's two screenshots (the page with a token, a client's tool answer).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
    env, page as pageUrl, mcpUrl, launch, newContext, generate, rolesShown, configsShown,
    claimsOf, verifyWithPyJWT, connectClaudeEntry, connectHttp, whoami, withTimeout,
    assertWhoamiOverHttp,
    screenshotPath, assertPng,
} from './lib.mjs';

const ALICE = ['ROLE_USER', 'ROLE_ADMIN'];
let browser, context, page, token, cfg;
const answers = {};

before(async () => {
    browser = await launch();
    context = await newContext(browser, { httpCredentials: { username: 'alice', password: 'alice' } });
    page = await context.newPage();
});
after(async () => {
    await browser?.close();
});

test('sign in, pick 30 days, generate: a token with alice\'s roles, checked by PyJWT', async () => {
    await page.goto(pageUrl);
    assert.equal(await page.textContent('#user'), 'alice');
    assert.deepEqual(await rolesShown(page), ALICE);
    token = await generate(page, '30 days');
    const claims = verifyWithPyJWT(token);
    assert.equal(claims.sub, 'alice');
    assert.deepEqual(claims.authorities, ALICE);
    assert.equal(claims.exp - claims.iat, 30 * 86400);
    cfg = await configsShown(page);
    assert.equal(await page.textContent('#mcp-url'), mcpUrl);
});

test('the Claude Desktop configuration, run exactly as shown (npx mcp-remote), calls whoami as alice', async () => {
    const entry = cfg.claude;
    assert.equal(entry.command, 'npx');
    assert.ok(entry.args.includes(mcpUrl), `the demo's MCP URL in ${entry.args}`);
    assert.ok(!JSON.stringify(entry.args).includes(token), 'the token is not in the arguments');
    const client = await connectClaudeEntry(entry);
    try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ['roll_dice', 'whoami']);
        const who = await whoami(client);
        assert.equal(who.user, 'alice');
        assert.deepEqual(who.authorities, ALICE);
        assert.match(who.text, /^You are alice\. .*ROLE_USER, ROLE_ADMIN\.$/);
        answers.whoami = who.text;
        const dice = await withTimeout(client.callTool({ name: 'roll_dice', arguments: { count: 3, sides: 6 } }),
            15000, 'roll_dice');
        const m = /^3d6: ([1-6]) \+ ([1-6]) \+ ([1-6]) = (\d+)$/.exec(dice.content[0].text);
        assert.ok(m, dice.content[0].text);
        assert.equal(Number(m[1]) + Number(m[2]) + Number(m[3]), Number(m[4]));
        answers.dice = dice.content[0].text;
        const stderr = client.stderr();
        assert.match(stderr, /Connected to remote server using StreamableHTTPClientTransport/, stderr);
        assert.ok(!stderr.includes(token), 'mcp-remote does not print the token');
    } finally {
        await client.close();
    }
});

test('the Streamable HTTP entry, with the SDK client, calls whoami as alice', async () => {
    const entry = cfg.http;
    assert.equal(entry.type, 'http');
    assert.equal(entry.url, mcpUrl);
    await assertWhoamiOverHttp(entry.url, entry.headers, 'alice', ALICE);
});

test('the curl line, run by sh as pasted, initializes and the server names alice and her roles', () => {
    const out = execFileSync('/bin/sh', ['-c', cfg.curl], { encoding: 'utf8', timeout: 20000 });
    const data = out.split('\n').find((l) => l.startsWith('data: '));
    assert.ok(data, `an SSE data line in ${out}`);
    const answer = JSON.parse(data.slice(6));
    assert.equal(answer.result.serverInfo.name, 'mcp-credentials-demo');
    assert.match(answer.result.instructions, /You are alice\. .*ROLE_USER, ROLE_ADMIN\./);
});

test('SSE: the same configuration for /sse (--transport sse-only) calls whoami as alice', async () => {
    const sseUrl = `${env.origin}/sse`;
    const args = cfg.claude.args.map((a) => (a === mcpUrl ? sseUrl : a === 'http-only' ? 'sse-only' : a));
    assert.notDeepEqual(args, cfg.claude.args);
    const client = await connectClaudeEntry({ ...cfg.claude, args });
    try {
        const who = await whoami(client);
        assert.equal(who.user, 'alice');
        assert.deepEqual(who.authorities, ALICE);
        assert.match(client.stderr(), /Connected to remote server using SSEClientTransport/);
    } finally {
        await client.close();
    }
});

test('bob\'s token: whoami names bob with ROLE_USER only', async () => {
    const res = await fetch(`${pageUrl}/token`, {
        method: 'POST',
        headers: {
            authorization: `Basic ${Buffer.from('bob:bob').toString('base64')}`,
            'content-type': 'application/json',
        },
        body: JSON.stringify({ expiresIn: 'P1D' }),
    });
    assert.equal(res.status, 200);
    const bob = await res.json();
    assert.deepEqual(claimsOf(bob.token).authorities, ['ROLE_USER']);
    const client = await connectHttp(mcpUrl, { Authorization: `Bearer ${bob.token}`, 'X-MCP-User': 'alice' });
    try {
        const who = await whoami(client);
        assert.equal(who.user, 'bob', 'a client-sent X-MCP-User does not reach the server');
        assert.deepEqual(who.authorities, ['ROLE_USER']);
    } finally {
        await client.close();
    }
});

test('without a token, or with a damaged one, httpd answers 401 on both transports', async () => {
    const damaged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const auth of [null, `Bearer ${damaged}`]) {
        const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
        if (auth)
            headers.authorization = auth;
        const post = await fetch(mcpUrl, { method: 'POST', headers, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
        assert.equal(post.status, 401);
        assert.match(post.headers.get('www-authenticate'), /^Bearer realm="mcp"/);
        const sse = await fetch(`${env.origin}/sse`, { headers: auth ? { authorization: auth } : {} });
        assert.equal(sse.status, 401);
        await sse.body?.cancel();
    }
});

test('the demo\'s MCP server listens on 127.0.0.1 only', () => {
    const conf = fs.readFileSync(`${env.state}/httpd.conf`, 'utf8');
    const port = /^ProxyPass\s+\/mcp\s+http:\/\/127\.0\.0\.1:(\d+)\/mcp/m.exec(conf)?.[1];
    assert.ok(port, 'the MCP server\'s port in the demo\'s httpd.conf');
    const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    const locals = out.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3]);
    assert.deepEqual(locals, [`127.0.0.1:${port}`]);
});

test('screenshots for the README: the page with a token, and the client\'s tool answer', async () => {
    assert.ok(answers.whoami && answers.dice, 'the tool answers of the Claude Desktop test');
    // The top of the page down to the start of the configurations.
    const first = screenshotPath('first-token.png');
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: first });
    assertPng(first);

    // What the user sees in a terminal when pasting the configuration's
    // command: the real answers of the test above, token left out.
    const shown = cfg.claude.args.map((a) => (/\s/.test(a) || a.includes('$') ? `'${a}'` : a)).join(' ');
    const esc = (s) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
    const answer = await context.newPage();
    await answer.setViewportSize({ width: 1000, height: 300 });
    await answer.setContent(`<!DOCTYPE html><html><head><style>
body{margin:0;background:#1e1e1e;color:#ddd;font:15px/1.5 ui-monospace,monospace}
main{padding:20px 24px}h1{font:600 15px system-ui,sans-serif;color:#aaa;margin:0 0 12px}
.p{color:#7fc97f}.c{color:#9cdcfe}.a{color:#fff;background:#2d4b2d;padding:8px 10px;border-radius:4px;display:block;margin:6px 0 14px}
</style></head><body><main>
<h1>The Claude Desktop configuration from the page, run as Claude Desktop runs it (mcp-remote over stdio)</h1>
<div><span class="p">$</span> <span class="c">AUTH_HEADER='Bearer eyJ…'</span> ${esc(cfg.claude.command)} ${esc(shown)}</div>
<div>tools/list → roll_dice, whoami</div>
<div>tools/call whoami</div><span class="a">${esc(answers.whoami)}</span>
<div>tools/call roll_dice {"count": 3, "sides": 6}</div><span class="a">${esc(answers.dice)}</span>
</main></body></html>`);
    const second = screenshotPath('first-tool-answer.png');
    await answer.screenshot({ path: second, fullPage: true });
    await answer.close();
    assertPng(second);
});
