// What the demo's MCP server and the end-to-end tests' share: an HTTP server
// on 127.0.0.1 that speaks both MCP transports with the SDK, each request
// (or SSE stream) with an McpServer of its own from newServer(headers):
//   Streamable HTTP  POST /mcp (stateless; with mcpSubpaths, /mcp/... too)
//   SSE              GET /sse, then POST /messages?sessionId=...
// It prints "listening <port>" once it accepts connections, and stops on
// SIGTERM or SIGINT.  before(req, res, path), when given, may answer a
// request first (it returns true when it did).

import http from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';

export function send(res, status, text, headers = {}) {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(text);
}

export function serveMcp(name, newServer, { before, mcpSubpaths = false } = {}) {
    const port = Number(process.env.MCP_SERVER_PORT);
    if (!Number.isInteger(port) || port <= 0) {
        console.error(`${name}: set MCP_SERVER_PORT`);
        process.exit(2);
    }
    // SSE sessions by id: the POST of a message finds its stream here.
    const sseSessions = new Map();

    async function handle(req, res) {
        const url = new URL(req.url, 'http://127.0.0.1');
        const path = url.pathname;

        if (before && (await before(req, res, path)))
            return;
        if (path === '/mcp' || (mcpSubpaths && path.startsWith('/mcp/'))) {
            if (req.method !== 'POST') {
                send(res, 405, 'stateless server: POST only', { allow: 'POST' });
                return;
            }
            const server = newServer(req.headers);
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
            const server = newServer(req.headers);
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
            console.error(`${name}:`, err);
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
    return httpServer;
}
