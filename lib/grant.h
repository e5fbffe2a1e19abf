/*
 * What the authorization server seals (sealed.h) instead of storing: a
 * registered client, a pending consent, an authorization code and a
 * refresh token.  Each is a small JSON object; this unit writes and reads
 * them back, refusing anything it did not write.  No httpd header.
 *
 * Short member names keep the sealed strings short: a client id travels
 * in every authorization URL.
 */
#ifndef MCP_GRANT_H
#define MCP_GRANT_H

#include <stddef.h>
#include <stdint.h>

#include "registration.h"
#include "roles.h"

/* The kinds of sealed strings (sealed.h), one per purpose. */
#define MCP_KIND_CLIENT "client"
#define MCP_KIND_CONSENT "consent"
#define MCP_KIND_CODE "code"
#define MCP_KIND_REFRESH "refresh"

/* Largest payload of a client id: the authorization URL that carries it
 * stays well within httpd's LimitRequestLine (8190). */
#define MCP_CLIENT_PAYLOAD_MAX 1536

/* Characters of a grant id (16 random bytes, base64url) and of a client
 * digest (SHA-256, base64url), without the NUL. */
#define MCP_GRANT_ID_LEN 22
#define MCP_CLIENT_DIGEST_LEN 43

/*
 * Client ids: the registration itself (redirect URIs, display name, type,
 * whether it asked for refresh tokens), issued at iat.  Returns a
 * malloc'd JSON text, or NULL when out of memory or when it would exceed
 * MCP_CLIENT_PAYLOAD_MAX (too many or too long redirect URIs).
 */
char *mcp_client_payload(const mcp_registration *reg, int64_t iat);
/* Reads a payload back into reg (initialised; cleared on failure).
 * Returns 0 or -1. */
int mcp_client_from_payload(const unsigned char *payload, size_t len,
                            mcp_registration *reg);

/*
 * A grant as it moves from consent to code to refresh token.  Which
 * members a kind carries:
 *   consent: id (its nonce), client, redirect_uri, challenge, resource,
 *            sub, roles (the scope's, empty for all), state, exp;
 *   code:    id (the grant's), client, redirect_uri, challenge, resource,
 *            sub, roles (granted), approved, grant_exp, exp;
 *   refresh: id, client, resource, sub, roles, approved, grant_exp,
 *            generation.
 */
typedef struct {
    char id[MCP_GRANT_ID_LEN + 1];
    char client[MCP_CLIENT_DIGEST_LEN + 1]; /* digest of the client id */
    char *redirect_uri;
    char *challenge;
    char *resource;
    char *sub;
    mcp_roles roles;
    char *state;
    int64_t approved;       /* when the user approved */
    int64_t grant_exp;      /* when the grant ends */
    int64_t exp;            /* when a consent or a code expires */
    uint32_t generation;    /* of a refresh token */
} mcp_grant;

void mcp_grant_init(mcp_grant *g);
void mcp_grant_clear(mcp_grant *g);

/* The payload of a grant of the given kind (one of MCP_KIND_*): a
 * malloc'd JSON text, or NULL (out of memory, a member the kind needs is
 * missing or empty, an unknown kind).  An empty state is left out, as an
 * absent one is. */
char *mcp_grant_payload(const char *kind, const mcp_grant *g);
/* Reads a payload of the given kind back into g (initialised; cleared on
 * failure): every member the kind carries must be there with its type,
 * and nothing else.  Returns 0 or -1. */
int mcp_grant_from_payload(const char *kind, const unsigned char *payload,
                           size_t len, mcp_grant *g);

/* Writes a new random id into id (MCP_GRANT_ID_LEN + 1 bytes).  0 or -1. */
int mcp_grant_new_id(char id[MCP_GRANT_ID_LEN + 1]);
/* The digest of a client id as grants carry it: base64url SHA-256.  0 or
 * -1. */
int mcp_client_digest(const char *client_id,
                      char out[MCP_CLIENT_DIGEST_LEN + 1]);

#endif /* MCP_GRANT_H */
