/*
 * The parameters of OAuth requests: an authorization request's query, a
 * token or revocation request's form body.  OAuth's rules (RFC 6749
 * section 3.1): a parameter given twice is an error, one without a value
 * is as if it were absent, unknown ones are ignored.  No httpd header.
 */
#ifndef MCP_OAUTH_PARAMS_H
#define MCP_OAUTH_PARAMS_H

#include <stddef.h>

#include "roles.h"

/* Longest query or body read, in bytes. */
#define MCP_OAUTH_MAX_TEXT 16384
/* Longest state accepted (clients send 32 to 64 characters). */
#define MCP_OAUTH_STATE_MAX 512
/* Longest resource URI accepted. */
#define MCP_OAUTH_RESOURCE_MAX 2048

typedef enum {
    MCP_OAUTH_PARAMS_OK = 0,
    MCP_OAUTH_PARAMS_MALFORMED,  /* a bad escape, a NUL byte, not UTF-8 */
    MCP_OAUTH_PARAMS_DUPLICATE,  /* a known parameter given twice */
    MCP_OAUTH_PARAMS_TOO_LARGE,  /* over MCP_OAUTH_MAX_TEXT */
    MCP_OAUTH_PARAMS_NOMEM
} mcp_oauth_params_status;

/*
 * Reads text (len bytes) for the parameters names (n of them): values[i]
 * receives the decoded value of names[i] (malloc'd), or NULL when it is
 * absent or empty.  On failure every value is NULL and msg says what is
 * wrong, naming the parameter when one is at fault.  Free the values with
 * mcp_oauth_params_free().
 */
mcp_oauth_params_status mcp_oauth_params_parse(const char *text, size_t len,
                                               const char *const *names,
                                               size_t n, char **values,
                                               char *msg, size_t msglen);
void mcp_oauth_params_free(char **values, size_t n);

/* 1 when state can be sent back as it came: 1 to MCP_OAUTH_STATE_MAX
 * printable ASCII characters (RFC 6749's VSCHAR). */
int mcp_oauth_state_valid(const char *state);

/* 1 when uri can name a resource (RFC 8707): an absolute https URI (or
 * http for a loopback host), no fragment, no userinfo, no control or
 * space, at most MCP_OAUTH_RESOURCE_MAX bytes. */
int mcp_oauth_resource_valid(const char *uri);

/*
 * The roles a scope asks for (space-separated, RFC 6749 section 3.3):
 * each token added to out once, in order, except openid, email, profile
 * and offline_access, which ask for no role.  An empty result means "all
 * of the user's roles".  Returns 0, or -1 when a token is not a valid
 * scope token (NQCHAR) or out of memory.
 */
int mcp_oauth_scope_roles(const char *scope, mcp_roles *out);

/* 1 when role can be written in a scope (NQCHAR only, no space). */
int mcp_oauth_scope_token_valid(const char *role);

#endif /* MCP_OAUTH_PARAMS_H */
