/*
 * libFuzzer target for mcp_token_request_parse_form() (lib/token_request.c).
 * What must hold for any body:
 *   - exactly the bodies over MCP_TOKEN_REQUEST_MAX_BODY are TOO_LARGE;
 *   - an accepted body gives one lifetime, valid UTF-8 text and distinct
 *     valid roles; a custom date is a parsable RFC 3339 end of day; a
 *     refused body leaves nothing but the csrf field;
 *   - the csrf field, accepted or refused, is what an independent reading
 *     of the body finds: the value of the one and only "csrf" pair, when it
 *     decodes to UTF-8 (the caller checks it before anything else, so a
 *     wrong answer here would let a forged post learn why it failed);
 *   - the message is printable ASCII, empty exactly on success.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "token_request_checks.h"

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* application/x-www-form-urlencoded, strictly: -1 for a bad escape or a
 * NUL.  out has room for n + 1 bytes. */
static long decode(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            if (hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
                return -1;
            c = hex(s[i + 1]) * 16 + hex(s[i + 2]);
            i += 2;
        }
        if (c == 0)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (long)o;
}

/* The csrf value the parser must report, malloc'd, or NULL. */
static char *expected_csrf(const char *body, size_t len)
{
    char *buf = malloc(len + 1), *found = NULL;
    size_t start = 0, end;
    int count = 0;

    if (buf == NULL)
        abort();
    while (start <= len) {
        const char *eq;
        size_t nlen;
        long vlen;

        for (end = start; end < len && body[end] != '&'; end++)
            ;
        eq = memchr(body + start, '=', end - start);
        nlen = eq ? (size_t)(eq - (body + start)) : end - start;
        if (decode(body + start, nlen, buf) >= 0 && strcmp(buf, "csrf") == 0) {
            count++;
            free(found);
            found = NULL;
            vlen = eq ? decode(eq + 1, end - nlen - start - 1, buf) : 0;
            if (!eq)
                buf[0] = '\0';
            if (vlen >= 0 && mcp_utf8_valid(buf, (size_t)vlen)) {
                found = strdup(buf);
                if (found == NULL)
                    abort();
            }
        }
        start = end + 1;
    }
    free(buf);
    if (count != 1) {
        free(found);
        return NULL;
    }
    return found;
}

static void check_custom_date(const char *at)
{
    size_t n = strlen(at);

    if (n < 20 || memcmp(at + 10, "T23:59:59", 9) != 0 ||
        mcp_rfc3339_parse(at, n, NULL) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    mcp_token_request req;
    mcp_treq_status st;
    char msg[MSG_LEN], *csrf;

    memset(msg, 'x', sizeof(msg));
    mcp_token_request_init(&req);
    st = mcp_token_request_parse_form(body, size, &req, msg, sizeof(msg));
    if (mcp_treq_status_code(st) == NULL)
        abort();
    check_message(msg, st != MCP_TREQ_OK);
    if ((st == MCP_TREQ_TOO_LARGE) != (size > MCP_TOKEN_REQUEST_MAX_BODY))
        abort();
    if (st == MCP_TREQ_OK) {
        check_accepted(&req);
        if (req.expires_at)
            check_custom_date(req.expires_at);
        if (req.expires_in && (req.expires_in[0] == '\0' ||
                               strcmp(req.expires_in, "custom") == 0))
            abort();
    } else if (st != MCP_TREQ_NOMEM) {
        check_refused(&req);
    }
    if (st != MCP_TREQ_NOMEM && st != MCP_TREQ_TOO_LARGE) {
        csrf = expected_csrf(body, size);
        if ((csrf == NULL) != (req.csrf == NULL) ||
            (csrf && strcmp(csrf, req.csrf) != 0))
            abort();
        free(csrf);
    }
    mcp_token_request_clear(&req);
    return 0;
}
