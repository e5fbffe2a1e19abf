// The demo's MCP server, behind httpd's `AuthType mcp-bearer`: built with the
// MCP TypeScript SDK, on 127.0.0.1 only, speaking both transports:
//   Streamable HTTP  POST /mcp (stateless)
//   SSE              GET /sse, then POST /messages?sessionId=...
// It trusts httpd for who is calling: httpd checks the bearer token and
// passes the token's subject and authorities in the headers named by
// MCPBearerPassUser and MCPBearerPassAuthorities (X-MCP-User,
// X-MCP-Authorities), after removing any copy the client sent.
//
// Tools:
//   whoami     the user and the roles httpd passed for this request
//   roll_dice  rolls dice (something harmless to call)
// The initialize answer's `instructions` name the user too, so a bare
// initialize (the page's curl line) shows the identity that arrived.
//
//   MCP_SERVER_PORT=9091 node scripts/demo-mcp-server.mjs
// prints "listening <port>" once it accepts connections.

import crypto from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { serveMcp } from './mcp-backend.mjs';

// The identity httpd passed; a request without it never got past httpd's
// guard, so it is nobody (the server listens on loopback only).
function identity(headers) {
    const user = typeof headers?.['x-mcp-user'] === 'string' ? headers['x-mcp-user'] : null;
    const raw = typeof headers?.['x-mcp-authorities'] === 'string' ? headers['x-mcp-authorities'] : '';
    const authorities = raw.split(',').map((s) => s.trim()).filter(Boolean);
    return { user, authorities };
}

function describe({ user, authorities }) {
    if (!user)
        return 'No user came with this request: httpd did not pass one.';
    return `You are ${user}. httpd checked your token and passed these roles: ` +
        (authorities.length ? authorities.join(', ') : '(none)') + '.';
}

function newServer(headers) {
    const server = new McpServer(
        { name: 'mcp-credentials-demo', version: '1.0.0' },
        { instructions: `Demo MCP server behind mod_mcp_credentials. ${describe(identity(headers))}` },
    );
    server.registerTool(
        'whoami',
        {
            description: 'Who you are to this server: the user and roles httpd passed after checking your token',
            outputSchema: { user: z.string().nullable(), authorities: z.array(z.string()) },
        },
        async (extra) => {
            const who = identity(extra?.requestInfo?.headers ?? headers);
            return {
                content: [{ type: 'text', text: describe(who) }],
                structuredContent: who,
            };
        },
    );
    server.registerTool(
        'roll_dice',
        {
            description: 'Rolls dice and adds them up',
            inputSchema: {
                count: z.number().int().min(1).max(20).default(2).describe('how many dice'),
                sides: z.number().int().min(2).max(1000).default(6).describe('sides of each die'),
            },
        },
        async ({ count, sides }) => {
            const rolls = Array.from({ length: count }, () => crypto.randomInt(1, sides + 1));
            const total = rolls.reduce((a, b) => a + b, 0);
            return { content: [{ type: 'text', text: `${count}d${sides}: ${rolls.join(' + ')} = ${total}` }] };
        },
    );
    return server;
}

serveMcp('demo-mcp-server', newServer);
