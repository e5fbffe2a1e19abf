/*
 * Dynamic Client Registration (RFC 7591) requests, as an MCP authorization
 * server that takes public clients only reads them.  No httpd header;
 * strings are malloc'd and freed by mcp_registration_clear().
 */
#ifndef MCP_REGISTRATION_H
#define MCP_REGISTRATION_H

#include <stddef.h>

#define MCP_REGISTRATION_MAX_BODY 8192
#define MCP_REGISTRATION_MAX_REDIRECTS 8
/* Characters of a client name kept for display. */
#define MCP_CLIENT_NAME_MAX 100

typedef struct {
    char *redirect_uris[MCP_REGISTRATION_MAX_REDIRECTS];
    size_t n_redirect_uris;
    char *client_name;      /* cleaned for display, or NULL */
    int native;             /* application_type native (else web) */
    int refresh;            /* grant_types holds refresh_token */
} mcp_registration;

typedef enum {
    MCP_REGISTRATION_OK = 0,
    MCP_REGISTRATION_INVALID_METADATA,     /* invalid_client_metadata */
    MCP_REGISTRATION_INVALID_REDIRECT_URI, /* invalid_redirect_uri */
    MCP_REGISTRATION_NOMEM
} mcp_registration_status;

void mcp_registration_init(mcp_registration *reg);
void mcp_registration_clear(mcp_registration *reg);

/* Parses a registration request.  Public clients only
 * (token_endpoint_auth_method absent or "none"); grant_types within
 * authorization_code and refresh_token, with authorization_code;
 * response_types ["code"]; 1 to 8 redirect URIs, each as
 * mcp_redirect_uri_check() allows with the operator's https patterns;
 * application_type "web" or "native", inferred when absent (web when every
 * redirect URI is https).  Unknown members are ignored, as RFC 7591 lets
 * a server do; duplicate members, NUL characters and bodies over 8 KiB
 * are refused.  The message in err says what is wrong (for the
 * error_description). */
mcp_registration_status mcp_registration_parse(
    const char *body, size_t len, const char *const *https_allowed,
    size_t n_allowed, mcp_registration *out, char *err, size_t errlen);

/* Copies a self-declared name for display: valid UTF-8 only, without
 * control characters (C0, DEL, C1) or bidirectional controls (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), spaces collapsed,
 * trimmed, at most MCP_CLIENT_NAME_MAX characters.  out needs
 * 4 * MCP_CLIENT_NAME_MAX + 1 bytes.  Returns the bytes written. */
size_t mcp_client_name_clean(const char *in, char *out);

#endif /* MCP_REGISTRATION_H */
