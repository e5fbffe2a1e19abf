/*
 * OAuth redirect URIs as an authorization server must treat them (OAuth
 * 2.1, RFC 8252 for native apps): which ones a client may register, and
 * when an authorization request's redirect_uri is one of them.  No httpd
 * header.
 */
#ifndef MCP_REDIRECT_URI_H
#define MCP_REDIRECT_URI_H

#include <stddef.h>

/* Longest redirect URI accepted, in bytes. */
#define MCP_REDIRECT_URI_MAX 2048

typedef enum {
    MCP_REDIRECT_OK = 0,
    MCP_REDIRECT_MALFORMED,     /* not an absolute URI, controls, too long */
    MCP_REDIRECT_FORBIDDEN_SCHEME, /* javascript:, data:, file:, vbscript: */
    MCP_REDIRECT_FRAGMENT,      /* a '#' part */
    MCP_REDIRECT_USERINFO,      /* user@ or user:password@ */
    MCP_REDIRECT_HTTP_NOT_LOOPBACK, /* http: is for loopback hosts only */
    MCP_REDIRECT_HTTPS_NOT_ALLOWED  /* https: only where the operator says */
} mcp_redirect_status;

/* Whether a client may register uri.  https URIs must match one of the
 * operator's glob patterns (`*` any run of bytes, `?` one byte, as in
 * MCPOAuthRedirectAllowed); http only for 127.0.0.1, [::1] and localhost;
 * other (private-use) schemes such as cursor:// are allowed. */
mcp_redirect_status mcp_redirect_uri_check(const char *uri,
                                           const char *const *https_allowed,
                                           size_t n_allowed);

/* A sentence for the status (no content of the URI). */
const char *mcp_redirect_status_text(mcp_redirect_status st);

/* 1 when requested is registered: byte for byte, except that for an http
 * URI whose host is 127.0.0.1, [::1] or localhost the port is ignored
 * (RFC 8252 section 7.3: native apps take any free port).  The three
 * loopback names are never taken for one another. */
int mcp_redirect_uri_matches(const char *registered, const char *requested);

#endif /* MCP_REDIRECT_URI_H */
