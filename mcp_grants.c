/*
 * What the authorization server hands out and must recognise later:
 * strings sealed with the MCPOAuthSecretFile secrets (client ids, consent
 * forms, codes, refresh tokens; lib/sealed.c), and the few records that
 * make them single-use or rotating, kept in the module's store.
 *
 * Only positive records exist: a consent or a code is usable while its
 * record is there, a grant lives while its record is there.  Whatever
 * loses a record (eviction, a restart of a store that forgets) can only
 * end something, never revive it.
 */

#include "mcp_module.h"

#include "grant.h"
#include "sealed.h"

/* Record keys: the id, ':', a letter for the kind, and for a grant's
 * generation its number (4 bytes).  Never 32 bytes long, the length of
 * the rate counters' keys, so the two never meet.  The random id comes
 * first: shmcb picks a key's subcache by its first byte alone, so keys
 * that all began with the kind's letter shared one subcache (a
 * sixty-fourth of the store: about a hundred grants alive at once, the
 * oldest pushed out by each new approval). */
#define KEY_LEN (MCP_GRANT_ID_LEN + 2)
#define GEN_KEY_LEN (KEY_LEN + 4)
/* The kinds of records: a consent form, a code, a grant, a generation. */
#define KIND_GENERATION 'N'
#define KIND_GRANT 'G'

static void record_key(char kind, const char *id, unsigned char *key)
{
    memcpy(key, id, MCP_GRANT_ID_LEN);
    key[MCP_GRANT_ID_LEN] = ':';
    key[MCP_GRANT_ID_LEN + 1] = (unsigned char)kind;
}

static void generation_key(const char *id, apr_uint32_t gen,
                           unsigned char *key)
{
    record_key(KIND_GENERATION, id, key);
    key[KEY_LEN] = (unsigned char)(gen >> 24);
    key[KEY_LEN + 1] = (unsigned char)(gen >> 16);
    key[KEY_LEN + 2] = (unsigned char)(gen >> 8);
    key[KEY_LEN + 3] = (unsigned char)gen;
}

/* ------------------------------------------------------------------ */
/* Sealing                                                              */
/* ------------------------------------------------------------------ */

const char *mcp_grants_seal(request_rec *r, const char *kind,
                            const char *payload)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);
    size_t n = strlen(payload), size = mcp_sealed_len(kind, n) + 1;
    char *out = apr_palloc(r->pool, size);

    if (!sconf->oauth_secrets->nelts ||
        mcp_seal(kind, (const unsigned char *)payload, n,
                 &APR_ARRAY_IDX(sconf->oauth_secrets, 0, mcp_secret), out,
                 size) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot seal a %s (%lu bytes; at most %d)", kind,
                      (unsigned long)n, MCP_SEALED_MAX_PAYLOAD);
        return NULL;
    }
    return out;
}

const unsigned char *mcp_grants_open(request_rec *r, const char *kind,
                                     const char *text, apr_size_t *len)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);
    unsigned char *out = apr_palloc(r->pool, MCP_SEALED_MAX_PAYLOAD + 1);
    size_t n = 0;

    if (!text ||
        mcp_unseal(kind, text, strlen(text),
                   (const mcp_secret *)sconf->oauth_secrets->elts,
                   (size_t)sconf->oauth_secrets->nelts, out, &n) != 0)
        return NULL;
    out[n] = '\0';
    *len = n;
    return out;
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

/*
 * Every record is its value (nothing, or a generation's rotation time)
 * and a MAC that binds it to its key (lib/sealed.c), so that a record
 * written into a shared store by anyone without the secrets is no record.
 * What makes a record single-use is mcp_store_take: of the requests of
 * every node that race for one, one takes it.
 */

#define RECORD_MAX (8 + MCP_RECORD_MAC_LEN)

static mcp_record_status unavailable(request_rec *r, apr_status_t rv,
                                     const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                  "refused: the authorization server's store %s "
                  "(MCPCredentialsCache)",
                  what);
    mcp_store_retry_after(r);
    return MCP_RECORD_UNAVAILABLE;
}

/* Writes value and its MAC into rec; the record's length, or 0. */
static unsigned int seal_record(request_rec *r, const unsigned char *key,
                                unsigned int klen, const unsigned char *value,
                                unsigned int n, unsigned char *rec)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);

    if (!sconf->oauth_secrets->nelts ||
        mcp_record_mac(key, klen, value, n,
                       &APR_ARRAY_IDX(sconf->oauth_secrets, 0, mcp_secret),
                       rec + n) != 0)
        return 0;
    if (n)
        memcpy(rec, value, n);
    return n + MCP_RECORD_MAC_LEN;
}

/* Whether rec (len bytes) is a record of this server under key; *n is
 * then the length of its value. */
static int record_valid(request_rec *r, const unsigned char *key,
                        unsigned int klen, const unsigned char *rec,
                        unsigned int len, unsigned int *n)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);

    if (len < MCP_RECORD_MAC_LEN ||
        mcp_record_check(key, klen, rec, len - MCP_RECORD_MAC_LEN,
                         rec + len - MCP_RECORD_MAC_LEN,
                         (const mcp_secret *)sconf->oauth_secrets->elts,
                         (size_t)sconf->oauth_secrets->nelts) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "a record in MCPCredentialsCache does not carry this "
                      "server's MAC (written by someone else, or under "
                      "secrets no longer configured): ignored");
        return 0;
    }
    *n = len - MCP_RECORD_MAC_LEN;
    return 1;
}

static apr_status_t put_record(request_rec *r, const unsigned char *key,
                               unsigned int klen, apr_int64_t expiry,
                               const unsigned char *value, unsigned int n)
{
    unsigned char rec[RECORD_MAX];
    unsigned int len = seal_record(r, key, klen, value, n, rec);

    if (!len)
        return APR_EGENERAL;
    return mcp_store_put(r, key, klen, expiry, rec, len);
}

/* APR_SUCCESS with the value (at most 8 bytes) when a valid record is
 * there, APR_NOTFOUND when none is, or the store's failure. */
static apr_status_t get_record(request_rec *r, const unsigned char *key,
                               unsigned int klen, int take,
                               unsigned char *value, unsigned int *n)
{
    unsigned char rec[RECORD_MAX + 1];
    unsigned int len = sizeof(rec);
    apr_status_t rv = take ? mcp_store_take(r, key, klen, rec, &len)
                           : mcp_store_get(r, key, klen, rec, &len);

    if (rv == APR_ENOSPC)   /* longer than any record of this module */
        return APR_NOTFOUND;
    if (rv != APR_SUCCESS)
        return rv;
    if (!record_valid(r, key, klen, rec, len, n) || *n > 8)
        return APR_NOTFOUND;
    if (*n)
        memcpy(value, rec, *n);
    return APR_SUCCESS;
}

mcp_record_status mcp_grants_remember(request_rec *r, char kind,
                                      const char *id, apr_int64_t expiry)
{
    unsigned char key[KEY_LEN];
    apr_status_t rv;

    record_key(kind, id, key);
    rv = put_record(r, key, sizeof(key), expiry + 1, NULL, 0);
    return rv == APR_SUCCESS ? MCP_RECORD_OK
                             : unavailable(r, rv, "cannot store a record");
}

mcp_record_status mcp_grants_take(request_rec *r, char kind, const char *id)
{
    unsigned char key[KEY_LEN], value[8];
    unsigned int n = 0;
    apr_status_t rv;

    record_key(kind, id, key);
    rv = get_record(r, key, sizeof(key), 1, value, &n);
    if (rv == APR_NOTFOUND)
        return MCP_RECORD_MISSING;
    return rv == APR_SUCCESS ? MCP_RECORD_OK
                             : unavailable(r, rv, "cannot take a record");
}

/* A generation's value: when the grant was rotated to it, 8 bytes
 * big-endian. */
static void time_encode(apr_int64_t at, unsigned char *b)
{
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)((apr_uint64_t)at >> (56 - 8 * i));
}

static apr_int64_t time_decode(const unsigned char *b)
{
    apr_uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v = (v << 8) | b[i];
    return (apr_int64_t)v;
}

/* A grant is two records: the grant itself, there while it lives, and
 * the generation of its current refresh token. */
mcp_record_status mcp_grants_start(request_rec *r, const char *id,
                                   apr_int64_t grant_exp)
{
    unsigned char key[KEY_LEN], gkey[GEN_KEY_LEN], at[8];
    apr_status_t rv;

    record_key(KIND_GRANT, id, key);
    generation_key(id, 0, gkey);
    time_encode(0, at);
    rv = put_record(r, gkey, sizeof(gkey), grant_exp + 1, at, sizeof(at));
    if (rv == APR_SUCCESS)
        rv = put_record(r, key, sizeof(key), grant_exp + 1, NULL, 0);
    return rv == APR_SUCCESS ? MCP_RECORD_OK
                             : unavailable(r, rv, "cannot store a grant");
}

mcp_record_status mcp_grants_end(request_rec *r, const char *id)
{
    return mcp_grants_take(r, KIND_GRANT, id);
}

/*
 * Compare-and-set from put and take: the generation gen must be there;
 * gen + 1 is written, then gen taken.  Of the requests (of any node) that
 * present gen at once, the one whose take removes it moved the grant
 * forward; the others find gen + 1 just written and get the same next
 * refresh token.  gen + 1 is written before gen goes, so a racer never
 * finds neither.
 */
mcp_rotation mcp_grants_rotate(request_rec *r, const char *id,
                               apr_uint32_t gen, apr_int64_t grant_exp,
                               apr_int64_t now, apr_int64_t grace)
{
    unsigned char key[KEY_LEN], cur[GEN_KEY_LEN], next[GEN_KEY_LEN];
    unsigned char value[8];
    unsigned int n = 0;
    apr_status_t rv;

    if (gen == 0xffffffffu)
        return MCP_ROTATION_GONE;
    record_key(KIND_GRANT, id, key);
    generation_key(id, gen, cur);
    generation_key(id, gen + 1, next);
    rv = get_record(r, key, sizeof(key), 0, value, &n);
    if (rv == APR_NOTFOUND)
        return MCP_ROTATION_GONE;
    if (rv != APR_SUCCESS)
        goto failed;
    rv = get_record(r, cur, sizeof(cur), 0, value, &n);
    if (rv == APR_SUCCESS) {
        time_encode(now, value);
        rv = put_record(r, next, sizeof(next), grant_exp + 1, value, 8);
        if (rv != APR_SUCCESS)
            goto failed;
        rv = get_record(r, cur, sizeof(cur), 1, value, &n);
        if (rv == APR_SUCCESS) {
            /* The grant's record was written once; in shmcb, whose
             * subcaches push out their oldest records, each rotation
             * would bring its end nearer.  Failing that only risks it. */
            mcp_store_touch(r, key, sizeof(key), grant_exp + 1);
            return MCP_ROTATION_NEXT;
        }
        if (rv == APR_NOTFOUND)     /* another request moved it */
            return MCP_ROTATION_REPEAT;
        goto failed;
    }
    if (rv != APR_NOTFOUND)
        goto failed;
    /* gen is gone: just rotated (a repeat within the grace window), or
     * an older refresh token that someone else holds a copy of. */
    rv = get_record(r, next, sizeof(next), 0, value, &n);
    if (rv == APR_SUCCESS && n == 8 && now - time_decode(value) <= grace)
        return MCP_ROTATION_REPEAT;
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        goto failed;
    rv = get_record(r, key, sizeof(key), 1, value, &n);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "cannot end a replayed grant in MCPCredentialsCache: "
                      "it ends when its record expires");
    return MCP_ROTATION_REPLAYED;
failed:
    unavailable(r, rv, "cannot rotate a grant");
    return MCP_ROTATION_UNAVAILABLE;
}

/* ------------------------------------------------------------------ */
/* What the authorization server is, prepared once                      */
/* ------------------------------------------------------------------ */

/* The resources of a server: its MCPBearerResource values, or the MCP
 * endpoint the page names when there are none. */
static apr_array_header_t *resources_of(apr_pool_t *p,
                                        const mcp_server_conf *conf)
{
    apr_array_header_t *list = apr_array_make(p, 2, sizeof(const char *));
    int i, j;

    for (i = 0; i < conf->resources->nelts; i++) {
        const char *res = APR_ARRAY_IDX(conf->resources, i, const char *);
        for (j = 0; j < list->nelts; j++)
            if (!strcmp(APR_ARRAY_IDX(list, j, const char *), res))
                break;
        if (j == list->nelts)
            *(const char **)apr_array_push(list) = res;
    }
    if (!list->nelts)
        *(const char **)apr_array_push(list) =
            conf->mcp_endpoint ? conf->mcp_endpoint
                               : apr_pstrcat(p, conf->public_url, "/mcp",
                                             NULL);
    return list;
}

/* The RFC 8414 document. */
static const char *metadata_of(apr_pool_t *p, const mcp_server_conf *conf,
                               const struct mcp_oauth *as)
{
    cJSON *doc = mcp_pool_json(p, cJSON_CreateObject()), *list;

    if (!doc)
        return NULL;
    cJSON_AddStringToObject(doc, "issuer", as->issuer);
    cJSON_AddStringToObject(doc, "authorization_endpoint",
                            apr_pstrcat(p, as->issuer, as->authorize_path,
                                        NULL));
    cJSON_AddStringToObject(doc, "token_endpoint",
                            apr_pstrcat(p, as->issuer, as->token_path, NULL));
    cJSON_AddStringToObject(doc, "registration_endpoint",
                            apr_pstrcat(p, as->issuer, as->register_path,
                                        NULL));
    cJSON_AddStringToObject(doc, "revocation_endpoint",
                            apr_pstrcat(p, as->issuer, as->revoke_path,
                                        NULL));
    cJSON_AddStringToObject(doc, "jwks_uri",
                            apr_pstrcat(p, as->issuer, as->jwks_path, NULL));
    list = cJSON_AddArrayToObject(doc, "response_types_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("code"));
    list = cJSON_AddArrayToObject(doc, "grant_types_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("authorization_code"));
    cJSON_AddItemToArray(list, cJSON_CreateString("refresh_token"));
    list = cJSON_AddArrayToObject(doc, "code_challenge_methods_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("S256"));
    list = cJSON_AddArrayToObject(doc, "token_endpoint_auth_methods_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("none"));
    list = cJSON_AddArrayToObject(
        doc, "revocation_endpoint_auth_methods_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("none"));
    cJSON_AddBoolToObject(doc, "authorization_response_iss_parameter_supported",
                          1);
    if (conf->client_documents->nelts)
        cJSON_AddBoolToObject(doc, "client_id_metadata_document_supported",
                              1);
    return mcp_json_text(p, doc);
}

int mcp_grants_init(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        struct mcp_oauth *as;
        const char *base;

        conf->oauth_server = NULL;
        if (!conf->oauth)
            continue;
        as = apr_pcalloc(pconf, sizeof(*as));
        base = strcmp(conf->page_path, "/") ? conf->page_path : "";
        as->issuer = conf->public_url;
        as->base = base;
        as->authorize_path = apr_pstrcat(pconf, base, "/oauth/authorize",
                                         NULL);
        as->token_path = apr_pstrcat(pconf, base, "/oauth/token", NULL);
        as->register_path = apr_pstrcat(pconf, base, "/oauth/register", NULL);
        as->revoke_path = apr_pstrcat(pconf, base, "/oauth/revoke", NULL);
        as->jwks_path = apr_pstrcat(pconf, base, "/jwks.json", NULL);
        as->resources = resources_of(pconf, conf);
        as->metadata = metadata_of(pconf, conf, as);
        if (!as->metadata)
            return HTTP_INTERNAL_SERVER_ERROR;
        conf->oauth_server = as;
    }
    return OK;
}

int mcp_grants_resource_known(server_rec *s, const char *resource)
{
    const struct mcp_oauth *as = mcp_server_config(s)->oauth_server;
    int i;
    for (i = 0; as && i < as->resources->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(as->resources, i, const char *), resource))
            return 1;
    return 0;
}

MCP_POOL_CLEANUP(registration_cleanup, mcp_registration_clear)

const mcp_registration *mcp_grants_client(request_rec *r,
                                          const char *client_id)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);
    mcp_registration *reg;
    const unsigned char *payload;
    apr_size_t len = 0;
    int i;

    if (!client_id)
        return NULL;
    for (i = 0; i < sconf->client_documents->nelts; i++) {
        const mcp_client_document *d =
            &APR_ARRAY_IDX(sconf->client_documents, i, mcp_client_document);
        if (!strcmp(d->url, client_id))
            return d->registration;
    }
    payload = mcp_grants_open(r, MCP_KIND_CLIENT, client_id, &len);
    reg = apr_palloc(r->pool, sizeof(*reg));
    if (!payload || mcp_client_from_payload(payload, len, reg) != 0)
        return NULL;
    apr_pool_cleanup_register(r->pool, reg, registration_cleanup,
                              apr_pool_cleanup_null);
    return reg;
}
