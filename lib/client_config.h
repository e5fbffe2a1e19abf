/*
 * Ready-to-paste MCP client configurations for a freshly minted token.
 * No httpd header.
 */
#ifndef MCP_CLIENT_CONFIG_H
#define MCP_CLIENT_CONFIG_H

typedef struct {
    char *claude_desktop;  /* claude_desktop_config.json via mcp-remote */
    char *streamable_http; /* a client with native Streamable HTTP */
    char *curl;            /* one curl command that initializes a session */
} mcp_client_configs;

/*
 * Builds the three texts for the MCP endpoint url and the token.  An url
 * whose path ends in "/sse" is the SSE transport (mcp-remote
 * "--transport sse-only"); anything else is Streamable HTTP
 * ("--transport http-only").  The Claude Desktop entry passes the token
 * through the environment ("${MCP_TOKEN}"), which keeps it out of the
 * process list.  Returns 0, or -1 when out of memory; the texts are
 * malloc'd: release them with mcp_client_configs_clear().
 */
int mcp_client_configs_build(const char *url, const char *token,
                             mcp_client_configs *out);

void mcp_client_configs_clear(mcp_client_configs *cfg);

/* 1 when the endpoint url names the SSE transport. */
int mcp_url_is_sse(const char *url);

#endif /* MCP_CLIENT_CONFIG_H */
