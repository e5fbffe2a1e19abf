// The MCP server behind httpd in the end-to-end tests: built with the SDK,
// on 127.0.0.1 only, speaking both transports:
//   Streamable HTTP  POST /mcp (and any /mcp/... path), stateless
//   SSE              GET /sse, then POST /messages?sessionId=...
// Its tool `whoami` reports the request headers it saw, so the tests can tell
// what httpd passed on (and what it removed); `echo` returns its argument.
//
//   MCP_SERVER_PORT=9091 node t/e2e/mcp-server.mjs
//
// It prints "listening <port>" on stdout once it accepts connections.
// zod is the SDK's own dependency (installed from the lock file with it).

import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { z } from 'zod';

const port = Number(process.env.MCP_SERVER_PORT);
if (!Number.isInteger(port) || port <= 0) {
    console.error('mcp-server: set MCP_SERVER_PORT');
    process.exit(2);
}

// One header as the backend saw it: a string, an array when it came more
// than once, or null when it did not come at all.
function seen(headers, name) {
    const v = headers?.[name];
    return v === undefined ? null : v;
}

function newServer() {
    const server = new McpServer({ name: 'mcp-e2e-backend', version: '1.0.0' });
    server.registerTool(
        'whoami',
        { description: 'The identity headers this request reached the backend with' },
        async (extra) => {
            const h = extra?.requestInfo?.headers ?? {};
            const report = {
                'x-mcp-user': seen(h, 'x-mcp-user'),
                'x-mcp-authorities': seen(h, 'x-mcp-authorities'),
                x_mcp_user: seen(h, 'x_mcp_user'),
                x_mcp_authorities: seen(h, 'x_mcp_authorities'),
                // A control: an unrelated underscore header the client sends
                // shows that such headers do travel through httpd.
                x_e2e_probe: seen(h, 'x_e2e_probe'),
                authorization: Object.prototype.hasOwnProperty.call(h, 'authorization'),
                headerNames: Object.keys(h).sort(),
            };
            return { content: [{ type: 'text', text: JSON.stringify(report) }] };
        },
    );
    server.registerTool(
        'echo',
        { description: 'Returns its text', inputSchema: { text: z.string() } },
        async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );
    return server;
}

// SSE sessions by id: the POST of a message finds its stream here.
const sseSessions = new Map();

function send(res, status, text, headers = {}) {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(text);
}

async function handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const path = url.pathname;

    // httpd answers CORS preflights itself and never forwards one: if one
    // arrives anyway, it says so (the refusal tests look for this).
    if (req.method === 'OPTIONS') {
        res.writeHead(204, {
            'access-control-allow-origin': req.headers.origin ?? '*',
            'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
            'access-control-allow-headers':
                'authorization, content-type, mcp-session-id, mcp-protocol-version',
            'x-backend-saw-user': req.headers['x-mcp-user'] ?? 'none',
            'x-backend-path': path,
        });
        res.end();
        return;
    }

    if (path === '/mcp' || path.startsWith('/mcp/')) {
        if (req.method !== 'POST') {
            send(res, 405, 'stateless server: POST only', { allow: 'POST' });
            return;
        }
        const server = newServer();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => {
            transport.close();
            server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(req, res);
        return;
    }

    if (path === '/sse' && req.method === 'GET') {
        const server = newServer();
        const transport = new SSEServerTransport('/messages', res);
        sseSessions.set(transport.sessionId, transport);
        res.on('close', () => {
            sseSessions.delete(transport.sessionId);
            server.close();
        });
        await server.connect(transport);
        return;
    }

    if (path === '/messages' && req.method === 'POST') {
        const transport = sseSessions.get(url.searchParams.get('sessionId') ?? '');
        if (!transport) {
            send(res, 404, 'no such session');
            return;
        }
        await transport.handlePostMessage(req, res);
        return;
    }

    send(res, 404, 'not found');
}

const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
        console.error('mcp-server:', err);
        if (!res.headersSent)
            send(res, 500, 'internal error');
        else
            res.end();
    });
});

httpServer.listen(port, '127.0.0.1', () => {
    console.log(`listening ${port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        httpServer.closeAllConnections?.();
        httpServer.close(() => process.exit(0));
        setTimeout(() => process.exit(0), 500).unref();
    });
}
