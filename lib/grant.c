/*
 * Sealed payloads of the authorization server: see grant.h.
 */

#include "grant.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "jwt.h"
#include "redirect_uri.h"
#include "utf8.h"

/* ------------------------------------------------------------------ */
/* Shared                                                               */
/* ------------------------------------------------------------------ */

/* The parsed object of payload, when it is one JSON object without
 * duplicate members or escaped NULs; NULL otherwise. */
static cJSON *parse_object(const unsigned char *payload, size_t len)
{
    const char *end = NULL;
    cJSON *doc;

    if (!payload || !len ||
        mcp_json_text_has_escaped_nul((const char *)payload, len))
        return NULL;
    doc = cJSON_ParseWithLengthOpts((const char *)payload, len, &end, 0);
    if (!doc)
        return NULL;
    if (!cJSON_IsObject(doc) || end != (const char *)payload + len ||
        mcp_json_has_duplicate_members(doc)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* A malloc'd copy of a string member that is valid UTF-8 and not empty;
 * NULL otherwise. */
static char *string_member(const cJSON *doc, const char *name, size_t max)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, name);
    size_t n;
    char *out;

    if (!cJSON_IsString(m))
        return NULL;
    n = strlen(m->valuestring);
    if (n == 0 || n > max || !mcp_utf8_valid(m->valuestring, n))
        return NULL;
    out = malloc(n + 1);
    if (out)
        memcpy(out, m->valuestring, n + 1);
    return out;
}

static int int_member(const cJSON *doc, const char *name, int64_t *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, name);
    return m ? mcp_json_get_int64(m, out) : -1;
}

/* Whether every member of doc is one of names. */
static int only_members(const cJSON *doc, const char *const *names, size_t n)
{
    const cJSON *m;
    for (m = doc->child; m; m = m->next) {
        size_t i;
        for (i = 0; i < n && strcmp(m->string, names[i]); i++)
            ;
        if (i == n)
            return 0;
    }
    return 1;
}

static char *print(cJSON *doc)
{
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    char *out = NULL;
    if (text) {
        out = strdup(text);
        cJSON_free(text);
    }
    cJSON_Delete(doc);
    return out;
}

/* ------------------------------------------------------------------ */
/* Clients                                                              */
/* ------------------------------------------------------------------ */

char *mcp_client_payload(const mcp_registration *reg, int64_t iat)
{
    cJSON *doc = cJSON_CreateObject(), *uris = cJSON_CreateArray();
    char *out;
    size_t i;

    if (!doc || !uris || !reg->n_redirect_uris) {
        cJSON_Delete(doc);
        cJSON_Delete(uris);
        return NULL;
    }
    cJSON_AddItemToObject(doc, "r", uris);
    for (i = 0; i < reg->n_redirect_uris; i++)
        cJSON_AddItemToArray(uris, cJSON_CreateString(reg->redirect_uris[i]));
    if (reg->client_name && *reg->client_name)
        cJSON_AddStringToObject(doc, "n", reg->client_name);
    cJSON_AddNumberToObject(doc, "a", reg->native ? 1 : 0);
    cJSON_AddNumberToObject(doc, "g", reg->refresh ? 1 : 0);
    cJSON_AddNumberToObject(doc, "iat", (double)iat);
    out = print(doc);
    if (out && strlen(out) > MCP_CLIENT_PAYLOAD_MAX) {
        free(out);
        return NULL;
    }
    return out;
}

int mcp_client_from_payload(const unsigned char *payload, size_t len,
                            mcp_registration *reg)
{
    static const char *const names[] = {"r", "n", "a", "g", "iat"};
    cJSON *doc = parse_object(payload, len);
    const cJSON *uris, *u;
    int64_t a, g, iat;

    mcp_registration_init(reg);
    if (!doc)
        return -1;
    uris = cJSON_GetObjectItemCaseSensitive(doc, "r");
    if (!only_members(doc, names, 5) || !cJSON_IsArray(uris) ||
        int_member(doc, "a", &a) || int_member(doc, "g", &g) ||
        int_member(doc, "iat", &iat) || (a != 0 && a != 1) ||
        (g != 0 && g != 1))
        goto bad;
    reg->native = (int)a;
    reg->refresh = (int)g;
    cJSON_ArrayForEach(u, uris)
    {
        size_t n;
        if (!cJSON_IsString(u) ||
            reg->n_redirect_uris == MCP_REGISTRATION_MAX_REDIRECTS)
            goto bad;
        n = strlen(u->valuestring);
        if (!n || n > MCP_REDIRECT_URI_MAX ||
            !(reg->redirect_uris[reg->n_redirect_uris] = strdup(u->valuestring)))
            goto bad;
        reg->n_redirect_uris++;
    }
    if (!reg->n_redirect_uris)
        goto bad;
    if (cJSON_GetObjectItemCaseSensitive(doc, "n") &&
        !(reg->client_name = string_member(doc, "n", 4 * MCP_CLIENT_NAME_MAX)))
        goto bad;
    cJSON_Delete(doc);
    return 0;
bad:
    cJSON_Delete(doc);
    mcp_registration_clear(reg);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Grants                                                               */
/* ------------------------------------------------------------------ */

enum {
    M_ID = 1 << 0,
    M_CLIENT = 1 << 1,
    M_REDIRECT = 1 << 2,
    M_CHALLENGE = 1 << 3,
    M_RESOURCE = 1 << 4,
    M_SUB = 1 << 5,
    M_ROLES = 1 << 6,
    M_STATE = 1 << 7,
    M_APPROVED = 1 << 8,
    M_GRANT_EXP = 1 << 9,
    M_EXP = 1 << 10,
    M_GENERATION = 1 << 11
};

/* The members each kind carries; state is optional in a consent. */
static unsigned members_of(const char *kind)
{
    const unsigned common = M_ID | M_CLIENT | M_RESOURCE | M_SUB | M_ROLES;
    if (!strcmp(kind, MCP_KIND_CONSENT))
        return common | M_REDIRECT | M_CHALLENGE | M_STATE | M_EXP;
    if (!strcmp(kind, MCP_KIND_CODE))
        return common | M_REDIRECT | M_CHALLENGE | M_APPROVED | M_GRANT_EXP |
               M_EXP;
    if (!strcmp(kind, MCP_KIND_REFRESH))
        return common | M_APPROVED | M_GRANT_EXP | M_GENERATION;
    return 0;
}

static const struct {
    unsigned bit;
    const char *name;
} member_names[] = {
    {M_ID, "id"},         {M_CLIENT, "c"},    {M_REDIRECT, "ru"},
    {M_CHALLENGE, "pc"},  {M_RESOURCE, "res"}, {M_SUB, "sub"},
    {M_ROLES, "ro"},      {M_STATE, "st"},     {M_APPROVED, "ap"},
    {M_GRANT_EXP, "ge"},  {M_EXP, "exp"},      {M_GENERATION, "gen"},
};
#define N_MEMBERS (sizeof(member_names) / sizeof(*member_names))

void mcp_grant_init(mcp_grant *g)
{
    memset(g, 0, sizeof(*g));
    mcp_roles_init(&g->roles);
}

void mcp_grant_clear(mcp_grant *g)
{
    free(g->redirect_uri);
    free(g->challenge);
    free(g->resource);
    free(g->sub);
    free(g->state);
    mcp_roles_clear(&g->roles);
    mcp_grant_init(g);
}

static int nonempty(const char *s)
{
    return s && *s;
}

char *mcp_grant_payload(const char *kind, const mcp_grant *g)
{
    unsigned m = members_of(kind);
    cJSON *doc, *roles;
    size_t i;

    /* An empty string is missing too: the reader refuses one. */
    if (!m || !*g->id || !*g->client || !nonempty(g->resource) ||
        !nonempty(g->sub) ||
        ((m & M_REDIRECT) &&
         (!nonempty(g->redirect_uri) || !nonempty(g->challenge))))
        return NULL;
    doc = cJSON_CreateObject();
    roles = cJSON_CreateArray();
    if (!doc || !roles) {
        cJSON_Delete(doc);
        cJSON_Delete(roles);
        return NULL;
    }
    cJSON_AddStringToObject(doc, "id", g->id);
    cJSON_AddStringToObject(doc, "c", g->client);
    if (m & M_REDIRECT) {
        cJSON_AddStringToObject(doc, "ru", g->redirect_uri);
        cJSON_AddStringToObject(doc, "pc", g->challenge);
    }
    cJSON_AddStringToObject(doc, "res", g->resource);
    cJSON_AddStringToObject(doc, "sub", g->sub);
    for (i = 0; i < g->roles.n; i++)
        cJSON_AddItemToArray(roles, cJSON_CreateString(g->roles.items[i]));
    cJSON_AddItemToObject(doc, "ro", roles);
    if ((m & M_STATE) && nonempty(g->state))
        cJSON_AddStringToObject(doc, "st", g->state);
    if (m & M_APPROVED)
        cJSON_AddNumberToObject(doc, "ap", (double)g->approved);
    if (m & M_GRANT_EXP)
        cJSON_AddNumberToObject(doc, "ge", (double)g->grant_exp);
    if (m & M_EXP)
        cJSON_AddNumberToObject(doc, "exp", (double)g->exp);
    if (m & M_GENERATION)
        cJSON_AddNumberToObject(doc, "gen", (double)g->generation);
    return print(doc);
}

/* Copies a string member of exactly n characters of base64url into out. */
static int fixed_member(const cJSON *doc, const char *name, char *out,
                        size_t n)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, name);
    size_t i;
    if (!cJSON_IsString(s) || strlen(s->valuestring) != n)
        return -1;
    for (i = 0; i < n; i++) {
        char c = s->valuestring[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return -1;
    }
    memcpy(out, s->valuestring, n + 1);
    return 0;
}

int mcp_grant_from_payload(const char *kind, const unsigned char *payload,
                           size_t len, mcp_grant *g)
{
    unsigned m = members_of(kind);
    const char *names[N_MEMBERS];
    size_t n = 0, i;
    cJSON *doc;
    const cJSON *roles, *role;
    int64_t gen;

    mcp_grant_init(g);
    if (!m || !(doc = parse_object(payload, len)))
        return -1;
    for (i = 0; i < N_MEMBERS; i++)
        if (m & member_names[i].bit)
            names[n++] = member_names[i].name;
    roles = cJSON_GetObjectItemCaseSensitive(doc, "ro");
    if (!only_members(doc, names, n) ||
        fixed_member(doc, "id", g->id, MCP_GRANT_ID_LEN) ||
        fixed_member(doc, "c", g->client, MCP_CLIENT_DIGEST_LEN) ||
        !(g->resource = string_member(doc, "res", 4096)) ||
        !(g->sub = string_member(doc, "sub", 4096)) || !cJSON_IsArray(roles))
        goto bad;
    cJSON_ArrayForEach(role, roles)
    {
        if (!cJSON_IsString(role) ||
            mcp_roles_add(&g->roles, role->valuestring,
                          strlen(role->valuestring)) != 1)
            goto bad;
    }
    if ((m & M_REDIRECT) &&
        (!(g->redirect_uri = string_member(doc, "ru", MCP_REDIRECT_URI_MAX)) ||
         !(g->challenge = string_member(doc, "pc", 128))))
        goto bad;
    if ((m & M_STATE) && cJSON_GetObjectItemCaseSensitive(doc, "st") &&
        !(g->state = string_member(doc, "st", 4096)))
        goto bad;
    if (((m & M_APPROVED) && int_member(doc, "ap", &g->approved)) ||
        ((m & M_GRANT_EXP) && int_member(doc, "ge", &g->grant_exp)) ||
        ((m & M_EXP) && int_member(doc, "exp", &g->exp)))
        goto bad;
    if (m & M_GENERATION) {
        if (int_member(doc, "gen", &gen) || gen < 0 || gen > UINT32_MAX)
            goto bad;
        g->generation = (uint32_t)gen;
    }
    cJSON_Delete(doc);
    return 0;
bad:
    cJSON_Delete(doc);
    mcp_grant_clear(g);
    return -1;
}

int mcp_grant_new_id(char id[MCP_GRANT_ID_LEN + 1])
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        return -1;
    mcp_b64url_encode(bytes, sizeof(bytes), id);
    return 0;
}

int mcp_client_digest(const char *client_id,
                      char out[MCP_CLIENT_DIGEST_LEN + 1])
{
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(client_id, strlen(client_id), md, &n, EVP_sha256(),
                   NULL) != 1 ||
        n != sizeof(md))
        return -1;
    mcp_b64url_encode(md, sizeof(md), out);
    return 0;
}
