/*
 * libFuzzer target for lib/registration.c.  The whole input is a
 * registration body read with no https pattern; the bytes up to the first
 * NUL are also read with the operator's patterns below plus the bytes
 * after the NUL as one more pattern.  What must hold for any input:
 *   - bodies over MCP_REGISTRATION_MAX_BODY and bodies with a NUL byte
 *     are refused; a refusal leaves nothing and says why in printable
 *     ASCII;
 *   - an accepted registration has 1 to 8 redirect URIs, each one
 *     mcp_redirect_uri_check() accepts with the same patterns (https ones
 *     matching a pattern), flags of 0 or 1, native whenever a URI is not
 *     https and no application_type is given, and a display name that is
 *     already clean (cleaning it again changes nothing);
 *   - patterns only ever let more through: a body accepted without them
 *     is accepted with them, the same; one accepted with them and without
 *     an https URI is accepted without them, the same;
 *   - an accepted registration written as a client payload (when it fits
 *     MCP_CLIENT_PAYLOAD_MAX) reads back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "grant.h"
#include "redirect_uri.h"
#include "registration.h"
#include "two_strings.h"

#define ERR_LEN 256

static int same(const mcp_registration *a, const mcp_registration *b)
{
    size_t i;

    if (a->n_redirect_uris != b->n_redirect_uris || a->native != b->native ||
        a->refresh != b->refresh ||
        (a->client_name == NULL) != (b->client_name == NULL) ||
        (a->client_name && strcmp(a->client_name, b->client_name)))
        return 0;
    for (i = 0; i < a->n_redirect_uris; i++)
        if (strcmp(a->redirect_uris[i], b->redirect_uris[i]))
            return 0;
    return 1;
}

static void check_err(const char *err, mcp_registration_status st)
{
    size_t i, n = strnlen(err, ERR_LEN);

    if (st == MCP_REGISTRATION_NOMEM)
        return;
    if (n == 0 || n == ERR_LEN)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
            abort();
}

static mcp_registration_status parse(const char *body, size_t len,
                                     const char *const *patterns, size_t n,
                                     mcp_registration *reg)
{
    char err[ERR_LEN];
    mcp_registration_status st;

    memset(err, 'x', sizeof(err));
    memset(reg, 0x5a, sizeof(*reg));
    st = mcp_registration_parse(body, len, patterns, n, reg, err,
                                sizeof(err));
    if (st != MCP_REGISTRATION_OK) {
        check_err(err, st);
        if (reg->n_redirect_uris || reg->client_name || reg->native ||
            reg->refresh)
            abort();
    }
    return st;
}

static void check_accepted(const char *body, const mcp_registration *reg,
                           const char *const *patterns, size_t n)
{
    char name[4 * MCP_CLIENT_NAME_MAX + 1];
    int all_https = 1;
    size_t i, k;
    mcp_registration back;
    char *payload;

    if (reg->n_redirect_uris < 1 ||
        reg->n_redirect_uris > MCP_REGISTRATION_MAX_REDIRECTS ||
        (reg->native != 0 && reg->native != 1) ||
        (reg->refresh != 0 && reg->refresh != 1))
        abort();
    for (i = 0; i < reg->n_redirect_uris; i++) {
        const char *u = reg->redirect_uris[i];
        if (mcp_redirect_uri_check(u, patterns, n) != MCP_REDIRECT_OK)
            abort();
        if (strncmp(u, "https:", 6) == 0) {
            int matched = 0;
            for (k = 0; k < n; k++)
                matched |= mcp_glob_match(patterns[k], u);
            if (!matched)
                abort();
        } else {
            all_https = 0;
        }
    }
    if (!all_https && !reg->native) {
        cJSON *doc = cJSON_Parse(body);
        if (!cJSON_GetObjectItemCaseSensitive(doc, "application_type"))
            abort();
        cJSON_Delete(doc);
    }
    if (reg->client_name) {
        size_t len = strlen(reg->client_name);
        if (len == 0 || len > 4 * MCP_CLIENT_NAME_MAX ||
            mcp_client_name_clean(reg->client_name, name) != len ||
            strcmp(name, reg->client_name) != 0)
            abort();
    }
    payload = mcp_client_payload(reg, 0);
    if (!payload)
        return;
    if (mcp_client_from_payload((const unsigned char *)payload,
                                strlen(payload), &back) != 0 ||
        !same(reg, &back))
        abort();
    mcp_registration_clear(&back);
    free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *patterns[] = {"https://*.example.com/*",
                              "https://claude.ai/api/mcp/auth_callback",
                              "https://vscode.dev/redirect", NULL};
    size_t n_patterns = 3;
    mcp_registration plain, with, body_plain;
    mcp_registration_status st0, st1, st2;
    char *extra, *body = two_strings(data, size, &extra);
    size_t blen, i;
    int has_https = 0;

    if (!body)
        return 0;
    blen = strlen(body);
    if (*extra)
        patterns[n_patterns++] = extra;

    st0 = parse((const char *)data, size, NULL, 0, &plain);
    if ((size > MCP_REGISTRATION_MAX_BODY || memchr(data, '\0', size)) &&
        st0 != MCP_REGISTRATION_INVALID_METADATA)
        abort();
    if (st0 == MCP_REGISTRATION_OK)
        check_accepted(body, &plain, NULL, 0);

    st1 = parse(body, blen, patterns, n_patterns, &with);
    st2 = blen == size ? st0 : parse(body, blen, NULL, 0, &body_plain);
    if (st1 == MCP_REGISTRATION_OK) {
        check_accepted(body, &with, patterns, n_patterns);
        for (i = 0; i < with.n_redirect_uris; i++)
            has_https |= strncmp(with.redirect_uris[i], "https:", 6) == 0;
    }
    if (st2 == MCP_REGISTRATION_OK) {
        const mcp_registration *p = blen == size ? &plain : &body_plain;
        if (st1 != MCP_REGISTRATION_OK || !same(p, &with))
            abort();
    } else if (st1 == MCP_REGISTRATION_OK && !has_https &&
               st2 != MCP_REGISTRATION_NOMEM) {
        abort();
    }

    mcp_registration_clear(&plain);
    mcp_registration_clear(&with);
    if (blen != size)
        mcp_registration_clear(&body_plain);
    free(body);
    return 0;
}
