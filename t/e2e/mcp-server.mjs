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

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { serveMcp } from '../../scripts/mcp-backend.mjs';

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

// httpd answers CORS preflights itself and never forwards one: if one
// arrives anyway, it says so (the refusal tests look for this).
function preflight(req, res, path) {
    if (req.method !== 'OPTIONS')
        return false;
    res.writeHead(204, {
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers':
            'authorization, content-type, mcp-session-id, mcp-protocol-version',
        'x-backend-saw-user': req.headers['x-mcp-user'] ?? 'none',
        'x-backend-path': path,
    });
    res.end();
    return true;
}

serveMcp('mcp-server', newServer, { before: preflight, mcpSubpaths: true });
