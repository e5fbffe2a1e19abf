/*
 * libFuzzer target for lib/grant.c.  The input is read as the payload of
 * a consent, a code, a refresh token and a client id.  What must hold for
 * any input:
 *   - a refusal leaves nothing in the grant or the registration;
 *   - an accepted grant has ids of the right length and alphabet, text
 *     members that are non-empty UTF-8, distinct valid roles, only the
 *     members of its kind; written back it gives a payload that reads as
 *     the same grant, as its own kind only, and writes back to the same
 *     text;
 *   - an accepted client has 1 to 8 non-empty redirect URIs and flags of
 *     0 or 1; written back it gives exactly as many bytes as the JSON
 *     counted here (NULL exactly when over MCP_CLIENT_PAYLOAD_MAX), and
 *     that payload reads as the same registration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grant.h"
#include "redirect_uri.h"
#include "utf8.h"

static const char *const kinds[] = {MCP_KIND_CONSENT, MCP_KIND_CODE,
                                    MCP_KIND_REFRESH};
#define N_KINDS 3

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int is_b64url(const char *s, size_t n)
{
    size_t i;
    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static int is_text(const char *s)
{
    return s && *s && mcp_utf8_valid(s, strlen(s));
}

static int grant_is_empty(const mcp_grant *g)
{
    return !g->id[0] && !g->client[0] && !g->redirect_uri && !g->challenge &&
           !g->resource && !g->sub && !g->state && g->roles.n == 0 &&
           !g->approved && !g->grant_exp && !g->exp && !g->generation;
}

static int grants_equal(const mcp_grant *a, const mcp_grant *b)
{
    size_t i;

    if (strcmp(a->id, b->id) || strcmp(a->client, b->client) ||
        !str_eq(a->redirect_uri, b->redirect_uri) ||
        !str_eq(a->challenge, b->challenge) ||
        !str_eq(a->resource, b->resource) || !str_eq(a->sub, b->sub) ||
        !str_eq(a->state, b->state) || a->approved != b->approved ||
        a->grant_exp != b->grant_exp || a->exp != b->exp ||
        a->generation != b->generation || a->roles.n != b->roles.n)
        return 0;
    for (i = 0; i < a->roles.n; i++)
        if (strcmp(a->roles.items[i], b->roles.items[i]))
            return 0;
    return 1;
}

static void check_grant(const char *kind, const mcp_grant *g)
{
    int redirect = strcmp(kind, MCP_KIND_REFRESH) != 0;
    size_t i, k;

    if (!is_b64url(g->id, MCP_GRANT_ID_LEN) ||
        !is_b64url(g->client, MCP_CLIENT_DIGEST_LEN) ||
        !is_text(g->resource) || !is_text(g->sub))
        abort();
    if (redirect != (g->redirect_uri != NULL) ||
        redirect != (g->challenge != NULL) ||
        (redirect && (!is_text(g->redirect_uri) || !is_text(g->challenge))))
        abort();
    if (g->state && (strcmp(kind, MCP_KIND_CONSENT) || !is_text(g->state)))
        abort();
    if (strcmp(kind, MCP_KIND_CONSENT) == 0 && (g->approved || g->grant_exp))
        abort();
    if (strcmp(kind, MCP_KIND_REFRESH) && g->generation)
        abort();
    if (strcmp(kind, MCP_KIND_REFRESH) == 0 && g->exp)
        abort();
    for (i = 0; i < g->roles.n; i++) {
        if (!mcp_role_is_valid(g->roles.items[i], strlen(g->roles.items[i])))
            abort();
        for (k = 0; k < i; k++)
            if (!strcmp(g->roles.items[i], g->roles.items[k]))
                abort();
    }
}

static void grant_round_trip(const char *kind, const mcp_grant *g)
{
    char *payload = mcp_grant_payload(kind, g), *again;
    mcp_grant back, other;
    size_t k;

    if (!payload)
        abort();
    if (mcp_grant_from_payload(kind, (const unsigned char *)payload,
                               strlen(payload), &back) != 0 ||
        !grants_equal(g, &back))
        abort();
    again = mcp_grant_payload(kind, &back);
    if (!again || strcmp(again, payload) != 0)
        abort();
    for (k = 0; k < N_KINDS; k++) {
        if (strcmp(kinds[k], kind) == 0)
            continue;
        if (mcp_grant_from_payload(kinds[k], (const unsigned char *)payload,
                                   strlen(payload), &other) == 0)
            abort();
    }
    mcp_grant_clear(&back);
    free(again);
    free(payload);
}

/* Bytes of s as cJSON writes it, quotes included. */
static size_t json_string_len(const char *s)
{
    size_t n = 2;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
            c == '\r' || c == '\t')
            n += 2;
        else if (c < 0x20)
            n += 6;
        else
            n += 1;
    }
    return n;
}

/* Bytes of the client payload of reg with iat 0:
 * {"r":[...],"n":...,"a":0,"g":0,"iat":0} */
static size_t client_payload_len(const mcp_registration *reg)
{
    size_t n = strlen("{\"r\":[]") + strlen(",\"a\":0,\"g\":0,\"iat\":0}");
    size_t i;

    for (i = 0; i < reg->n_redirect_uris; i++)
        n += (i ? 1 : 0) + json_string_len(reg->redirect_uris[i]);
    if (reg->client_name)
        n += strlen(",\"n\":") + json_string_len(reg->client_name);
    return n;
}

static void check_client(const mcp_registration *reg)
{
    mcp_registration back;
    char *payload;
    size_t i, want;

    if (reg->n_redirect_uris < 1 ||
        reg->n_redirect_uris > MCP_REGISTRATION_MAX_REDIRECTS ||
        (reg->native != 0 && reg->native != 1) ||
        (reg->refresh != 0 && reg->refresh != 1))
        abort();
    for (i = 0; i < reg->n_redirect_uris; i++) {
        size_t n = strlen(reg->redirect_uris[i]);
        if (n == 0 || n > MCP_REDIRECT_URI_MAX)
            abort();
    }
    if (reg->client_name && !is_text(reg->client_name))
        abort();
    want = client_payload_len(reg);
    payload = mcp_client_payload(reg, 0);
    if ((payload == NULL) != (want > MCP_CLIENT_PAYLOAD_MAX))
        abort();
    if (!payload)
        return;
    if (strlen(payload) != want)
        abort();
    if (mcp_client_from_payload((const unsigned char *)payload, want,
                                &back) != 0 ||
        back.n_redirect_uris != reg->n_redirect_uris ||
        !str_eq(back.client_name, reg->client_name) ||
        back.native != reg->native || back.refresh != reg->refresh)
        abort();
    for (i = 0; i < reg->n_redirect_uris; i++)
        if (strcmp(back.redirect_uris[i], reg->redirect_uris[i]) != 0)
            abort();
    mcp_registration_clear(&back);
    free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_registration reg;
    mcp_grant g;
    size_t k;

    for (k = 0; k < N_KINDS; k++) {
        memset(&g, 0x5a, sizeof(g));
        if (mcp_grant_from_payload(kinds[k], data, size, &g) == 0) {
            check_grant(kinds[k], &g);
            grant_round_trip(kinds[k], &g);
            mcp_grant_clear(&g);
        } else if (!grant_is_empty(&g)) {
            abort();
        }
    }
    if (mcp_grant_from_payload(MCP_KIND_CLIENT, data, size, &g) == 0)
        abort();

    memset(&reg, 0x5a, sizeof(reg));
    if (mcp_client_from_payload(data, size, &reg) == 0) {
        check_client(&reg);
        mcp_registration_clear(&reg);
    } else if (reg.n_redirect_uris != 0 || reg.client_name != NULL) {
        abort();
    }
    return 0;
}
