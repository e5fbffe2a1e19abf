/*
 * What both request-body targets check of a parsed mcp_token_request.
 */
#ifndef MCP_FUZZ_TOKEN_REQUEST_CHECKS_H
#define MCP_FUZZ_TOKEN_REQUEST_CHECKS_H

#include <stdlib.h>
#include <string.h>

#include "roles.h"
#include "token_request.h"
#include "utf8.h"

#define MSG_LEN 256

/* The message reaches a client, a log line and a page: printable ASCII
 * only, whatever bytes the body held. */
static inline void check_message(const char *msg, int failed)
{
    size_t i, n = strnlen(msg, MSG_LEN);

    if (n == MSG_LEN || (failed && n == 0) || (!failed && n != 0))
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
            abort();
}

static inline void check_roles(const mcp_roles *roles)
{
    size_t i, k;

    if (roles->n > MCP_ROLES_MAX || roles->n > roles->cap)
        abort();
    for (i = 0; i < roles->n; i++) {
        if (!mcp_role_is_valid(roles->items[i], strlen(roles->items[i])))
            abort();
        for (k = 0; k < i; k++)
            if (strcmp(roles->items[i], roles->items[k]) == 0)
                abort();
    }
}

static inline int is_text(const char *s)
{
    return s != NULL && mcp_utf8_valid(s, strlen(s));
}

/* An accepted request names one lifetime and only valid roles. */
static inline void check_accepted(const mcp_token_request *req)
{
    if ((req->expires_in == NULL) == (req->expires_at == NULL))
        abort();
    if (req->expires_in && !is_text(req->expires_in))
        abort();
    if (req->expires_at && !is_text(req->expires_at))
        abort();
    if (req->authorities.n > 0 && !req->has_authorities)
        abort();
    if (req->authorities.dropped != 0)
        abort();
    check_roles(&req->authorities);
}

/* A refused request holds nothing but, for a form, the csrf field. */
static inline void check_refused(const mcp_token_request *req)
{
    if (req->expires_in || req->expires_at || req->has_authorities ||
        req->authorities.n || req->authorities.items)
        abort();
}

#endif /* MCP_FUZZ_TOKEN_REQUEST_CHECKS_H */
