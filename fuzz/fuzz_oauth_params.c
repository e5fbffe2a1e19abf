/*
 * libFuzzer target for lib/oauth_params.c (and lib/form.c under it).  The
 * input is read as an authorization request's query and as a token
 * request's body.  What must hold for any input:
 *   - the status and every value are what an independent reading finds
 *     (pairs split at '&', strict percent-decoding, UTF-8): a known name
 *     twice is DUPLICATE, a malformed name or known value MALFORMED, in
 *     the order they come; an empty or valueless parameter is absent;
 *     exactly the texts over MCP_OAUTH_MAX_TEXT are TOO_LARGE;
 *   - a refusal leaves every value NULL, and its message is printable
 *     ASCII naming the parameter at fault;
 *   - state, resource and scope checks, applied to every value and to
 *     the input itself, agree with the rules written out here: VSCHAR for
 *     state; https (or loopback http) with a host, no userinfo, fragment,
 *     space or control for a resource; NQCHAR tokens for a scope, whose
 *     roles are its distinct tokens but OpenID's, in order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_params.h"
#include "redirect_uri.h"
#include "utf8.h"

#define MSG_LEN 256

static const char *const authorize_names[] = {
    "response_type", "client_id", "redirect_uri", "state",
    "code_challenge", "code_challenge_method", "resource", "scope"};
static const char *const token_names[] = {
    "grant_type", "code", "redirect_uri", "code_verifier",
    "client_id", "refresh_token", "resource", "scope"};
#define N_NAMES 8

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Strict form decoding into out (room for n + 1): -1 for a bad escape,
 * a NUL byte or invalid UTF-8. */
static long decode(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
                return -1;
            c = hex(s[i + 1]) * 16 + hex(s[i + 2]);
            i += 2;
        }
        if (c == 0)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return mcp_utf8_valid(out, o) ? (long)o : -1;
}

/* What the parser must answer; *culprit is the index of the name at
 * fault, or -1 for a malformed name. */
static mcp_oauth_params_status expected(const char *text, size_t len,
                                        const char *const *names,
                                        char **want, long *culprit)
{
    mcp_oauth_params_status st = MCP_OAUTH_PARAMS_OK;
    char *buf = malloc(len + 1);
    int seen[N_NAMES] = {0};
    size_t start = 0, end, k;

    if (!buf)
        abort();
    memset(want, 0, N_NAMES * sizeof(*want));
    *culprit = -1;
    for (; start < len && st == MCP_OAUTH_PARAMS_OK; start = end + 1) {
        const char *pair = text + start, *eq;
        long i = -1, vlen;

        for (end = start; end < len && text[end] != '&'; end++)
            ;
        if (end == start)
            continue;
        eq = memchr(pair, '=', end - start);
        if (decode(pair, eq ? (size_t)(eq - pair) : end - start, buf) < 0) {
            *culprit = -1;
            st = MCP_OAUTH_PARAMS_MALFORMED;
            break;
        }
        for (k = 0; k < N_NAMES; k++)
            if (strcmp(buf, names[k]) == 0)
                i = (long)k;
        if (i < 0)
            continue;
        *culprit = i;
        if (seen[i]++) {
            st = MCP_OAUTH_PARAMS_DUPLICATE;
            break;
        }
        vlen = eq ? decode(eq + 1, (size_t)(text + end - eq - 1), buf) : 0;
        if (vlen < 0) {
            st = MCP_OAUTH_PARAMS_MALFORMED;
            break;
        }
        if (vlen > 0 && !(want[i] = strdup(buf)))
            abort();
    }
    free(buf);
    if (st != MCP_OAUTH_PARAMS_OK) {
        for (k = 0; k < N_NAMES; k++) {
            free(want[k]);
            want[k] = NULL;
        }
    }
    return st;
}

static void check_message(const char *msg)
{
    size_t i, n = strnlen(msg, MSG_LEN);

    if (n == 0 || n == MSG_LEN)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
            abort();
}

static void check_state(const char *s)
{
    size_t i, n = strlen(s);
    int want = n >= 1 && n <= MCP_OAUTH_STATE_MAX;

    for (i = 0; i < n; i++)
        if (s[i] < ' ' || s[i] > '~')
            want = 0;
    if (mcp_oauth_state_valid(s) != want)
        abort();
}

static void check_resource(const char *s)
{
    size_t n = strlen(s), i, skip = 0;
    const char *host;
    int want = n <= MCP_OAUTH_RESOURCE_MAX;

    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e ||
            s[i] == '#')
            want = 0;
    if (strncmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncmp(s, "http://", 7) == 0)
        skip = 7;
    else
        want = 0;
    host = s + skip;
    if (want) {
        size_t auth = 0;
        while (host[auth] && host[auth] != '/' && host[auth] != '?')
            auth++;
        if (auth == 0 || memchr(host, '@', auth))
            want = 0;
        else if (skip == 7)
            want = mcp_redirect_uri_check(s, NULL, 0) == MCP_REDIRECT_OK;
    }
    if (mcp_oauth_resource_valid(s) != want)
        abort();
}

static int nqchar(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static void check_scope(const char *s)
{
    static const char *const openid[] = {"openid", "email", "profile",
                                         "offline_access"};
    mcp_roles got, want;
    const char *p = s;
    int refused = 0, rc;
    size_t i, n;

    mcp_roles_init(&got);
    mcp_roles_init(&want);
    rc = mcp_oauth_scope_roles(s, &got);
    while (*p && !refused) {
        char token[MCP_ROLE_MAX_LEN + 1];
        int skip = 0;

        for (n = 0; p[n] && p[n] != ' '; n++)
            if (!nqchar((unsigned char)p[n]))
                refused = 1;
        if (n > MCP_ROLE_MAX_LEN)
            refused = 1;
        if (n > 0 && !refused) {
            memcpy(token, p, n);
            token[n] = '\0';
            if (mcp_oauth_scope_token_valid(token) != 1)
                abort();
            for (i = 0; i < 4; i++)
                skip |= strcmp(token, openid[i]) == 0;
            if (!skip && mcp_roles_add(&want, token, n) < 0)
                abort();
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    if (rc != (refused ? -1 : 0))
        abort();
    if (!refused) {
        if (got.n != want.n)
            abort();
        for (i = 0; i < got.n; i++)
            if (strcmp(got.items[i], want.items[i]) != 0)
                abort();
    }
    mcp_roles_clear(&got);
    mcp_roles_clear(&want);
}

static void check_token_valid(const char *s)
{
    size_t i, n = strlen(s);
    int want = n > 0;

    for (i = 0; i < n; i++)
        if (!nqchar((unsigned char)s[i]))
            want = 0;
    if (mcp_oauth_scope_token_valid(s) != want)
        abort();
}

static void check_text(const char *s)
{
    check_state(s);
    check_resource(s);
    check_scope(s);
    check_token_valid(s);
}

static void run(const char *text, size_t len, const char *const *names)
{
    char *values[N_NAMES], *want[N_NAMES], msg[MSG_LEN];
    mcp_oauth_params_status st, wst;
    long culprit;
    size_t i;

    memset(msg, 'x', sizeof(msg));
    memset(values, 0x5a, sizeof(values));
    st = mcp_oauth_params_parse(text, len, names, N_NAMES, values, msg,
                                sizeof(msg));
    if (st == MCP_OAUTH_PARAMS_NOMEM)
        return;
    if ((st == MCP_OAUTH_PARAMS_TOO_LARGE) != (len > MCP_OAUTH_MAX_TEXT))
        abort();
    if (st != MCP_OAUTH_PARAMS_OK) {
        check_message(msg);
        for (i = 0; i < N_NAMES; i++)
            if (values[i])
                abort();
    }
    if (st == MCP_OAUTH_PARAMS_TOO_LARGE)
        return;
    wst = expected(text, len, names, want, &culprit);
    if (st != wst)
        abort();
    if (st == MCP_OAUTH_PARAMS_DUPLICATE ||
        (st == MCP_OAUTH_PARAMS_MALFORMED && culprit >= 0)) {
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "\"%s\"", names[culprit]);
        if (!strstr(msg, quoted))
            abort();
    } else if (st == MCP_OAUTH_PARAMS_MALFORMED &&
               !strstr(msg, "parameter name")) {
        abort();
    }
    for (i = 0; i < N_NAMES; i++) {
        if ((values[i] == NULL) != (want[i] == NULL) ||
            (values[i] && strcmp(values[i], want[i]) != 0))
            abort();
        if (values[i])
            check_text(values[i]);
        free(want[i]);
    }
    mcp_oauth_params_free(values, N_NAMES);
    for (i = 0; i < N_NAMES; i++)
        if (values[i])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    run(copy, size, authorize_names);
    run(copy, size, token_names);
    check_text(copy);
    free(copy);
    return 0;
}
