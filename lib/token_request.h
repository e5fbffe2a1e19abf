/*
 * The body of a POST to <base>/token: JSON (the page's script, curl) or an
 * HTML form (the page without JavaScript).  No httpd header.
 */
#ifndef MCP_TOKEN_REQUEST_H
#define MCP_TOKEN_REQUEST_H

#include <stddef.h>

#include "roles.h"

/* Largest body the parsers accept, in bytes. */
#define MCP_TOKEN_REQUEST_MAX_BODY 8192

typedef struct {
    char *expires_in;      /* duration text, or NULL */
    char *expires_at;      /* RFC 3339 text, or NULL */
    int has_authorities;   /* 1 when the client named authorities */
    mcp_roles authorities; /* what it named, in its order, no duplicates */
    char *csrf;            /* form field "csrf", or NULL */
    int decided;           /* form field "decision" was given */
    int deny;              /* ... and was "deny" (else "approve") */
} mcp_token_request;

typedef enum {
    MCP_TREQ_OK = 0,
    MCP_TREQ_MALFORMED,  /* not JSON / not a form */
    MCP_TREQ_NOT_OBJECT, /* JSON other than an object */
    MCP_TREQ_DUPLICATE,  /* a member or field given twice */
    MCP_TREQ_UNKNOWN,    /* a member or field this endpoint does not take */
    MCP_TREQ_TYPE,       /* a member of the wrong type, or a bad role */
    MCP_TREQ_BOTH,       /* expiresIn and expiresAt together */
    MCP_TREQ_NEITHER,    /* no lifetime */
    MCP_TREQ_TOO_LARGE,  /* over MCP_TOKEN_REQUEST_MAX_BODY */
    MCP_TREQ_NOMEM
} mcp_treq_status;

/* Both parsers take an initialised request, clear it first and leave it
 * cleared on failure (but see csrf below); mcp_token_request_clear()
 * releases it after use. */
void mcp_token_request_init(mcp_token_request *req);
void mcp_token_request_clear(mcp_token_request *req);

/*
 * JSON: an object with exactly one of "expiresIn" (string) and "expiresAt"
 * (string), and optionally "authorities" (array of role strings).  No other
 * member, no duplicate member, no "\u0000" in any string, nesting bounded.
 * On failure, msg (msglen bytes) holds a sentence for the client that names
 * the member at fault.
 */
mcp_treq_status mcp_token_request_parse_json(const char *body, size_t len,
                                             mcp_token_request *req, char *msg,
                                             size_t msglen);

/*
 * application/x-www-form-urlencoded from the page's form:
 *   lifetime=<duration>        a preset (P7D, ..., P365D), or
 *   lifetime=custom&date=YYYY-MM-DD[&tz=+hh:mm]
 *                              the end of that day (23:59:59) at the offset
 *                              tz (default Z), stored as expires_at;
 *   authorities=<role>         repeated, when the form lists roles;
 *   roles_shown=1              the form listed roles: no authorities field
 *                              then means "none of them";
 *   csrf=<token>;
 *   decision=approve|deny      the consent page's buttons.
 * Percent-decoding is strict ("%zz" or a NUL byte is MALFORMED); "+" is a
 * space; names and values must be UTF-8.  Unknown fields are
 * MCP_TREQ_UNKNOWN; a repeated single-valued field is MCP_TREQ_DUPLICATE.
 * With a preset lifetime, date and tz are ignored (a browser submits them
 * anyway); with custom, a bad date or tz is MCP_TREQ_TYPE.
 * On failure (other than NOMEM) req->csrf still holds the csrf field when
 * the body has exactly one well-formed one, so that the caller can check
 * the CSRF token before answering anything else.
 */
mcp_treq_status mcp_token_request_parse_form(const char *body, size_t len,
                                             mcp_token_request *req, char *msg,
                                             size_t msglen);

/* The "error" code of the JSON answer for a status ("invalid_request"...). */
const char *mcp_treq_status_code(mcp_treq_status st);

#endif /* MCP_TOKEN_REQUEST_H */
