/*
 * libFuzzer target for mcp_token_request_parse_json() (lib/token_request.c).
 * What must hold for any body:
 *   - exactly the bodies over MCP_TOKEN_REQUEST_MAX_BODY are TOO_LARGE;
 *   - an accepted body gives one lifetime, valid UTF-8 text and distinct
 *     valid roles; a refused one leaves the request empty;
 *   - the message is printable ASCII, empty exactly on success;
 *   - parsing into a request that still holds an earlier result gives the
 *     same answer and leaks nothing of the earlier one.
 * cJSON itself is not instrumented: coverage is that of the checks around
 * it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token_request_checks.h"

static const char earlier[] =
    "{\"expiresAt\":\"2030-01-01T00:00:00Z\",\"authorities\":[\"a\",\"b\"]}";

static mcp_treq_status parse(const uint8_t *data, size_t size,
                             mcp_token_request *req)
{
    char msg[MSG_LEN];
    mcp_treq_status st;

    memset(msg, 'x', sizeof(msg));
    st = mcp_token_request_parse_json((const char *)data, size, req, msg,
                                      sizeof(msg));
    if (mcp_treq_status_code(st) == NULL)
        abort();
    check_message(msg, st != MCP_TREQ_OK);
    if ((st == MCP_TREQ_TOO_LARGE) != (size > MCP_TOKEN_REQUEST_MAX_BODY))
        abort();
    if (st == MCP_TREQ_OK)
        check_accepted(req);
    else if (st != MCP_TREQ_NOMEM)
        check_refused(req);
    if (req->csrf != NULL)
        abort();
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_token_request fresh, reused;
    mcp_treq_status st;

    mcp_token_request_init(&fresh);
    st = parse(data, size, &fresh);

    mcp_token_request_init(&reused);
    if (parse((const uint8_t *)earlier, strlen(earlier), &reused) !=
        MCP_TREQ_OK)
        abort();
    if (parse(data, size, &reused) != st)
        abort();
    if (st == MCP_TREQ_OK) {
        size_t i;
        if ((fresh.expires_in == NULL) != (reused.expires_in == NULL) ||
            (fresh.expires_in && strcmp(fresh.expires_in, reused.expires_in)) ||
            (fresh.expires_at == NULL) != (reused.expires_at == NULL) ||
            (fresh.expires_at && strcmp(fresh.expires_at, reused.expires_at)) ||
            fresh.has_authorities != reused.has_authorities ||
            fresh.authorities.n != reused.authorities.n)
            abort();
        for (i = 0; i < fresh.authorities.n; i++)
            if (strcmp(fresh.authorities.items[i],
                       reused.authorities.items[i]) != 0)
                abort();
    }
    mcp_token_request_clear(&fresh);
    mcp_token_request_clear(&reused);
    return 0;
}
