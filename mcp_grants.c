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

/* Record keys: the id, ':', a letter for the kind.  Never 32 bytes long,
 * the length of the rate counters' keys, so the two never meet.  The
 * random id comes first: shmcb picks a key's subcache by its first byte
 * alone, so keys that all began with the kind's letter shared one
 * subcache (a sixty-fourth of the store: about a hundred grants alive at
 * once, the oldest pushed out by each new approval). */
#define KEY_LEN (MCP_GRANT_ID_LEN + 2)

static void record_key(char kind, const char *id, unsigned char *key)
{
    memcpy(key, id, MCP_GRANT_ID_LEN);
    key[MCP_GRANT_ID_LEN] = ':';
    key[MCP_GRANT_ID_LEN + 1] = (unsigned char)kind;
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

static mcp_record_status unavailable(request_rec *r, apr_status_t rv,
                                     const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  "the authorization server's store %s (MCPCredentialsCache)",
                  what);
    return MCP_RECORD_UNAVAILABLE;
}

mcp_record_status mcp_grants_remember(request_rec *r, char kind,
                                      const char *id, apr_int64_t expiry)
{
    unsigned char key[KEY_LEN], one = 1;
    apr_status_t rv;

    record_key(kind, id, key);
    if ((rv = mcp_store_lock()) != APR_SUCCESS)
        return unavailable(r, rv, "cannot be locked");
    rv = mcp_store_put(r, key, sizeof(key), expiry + 1, &one, 1);
    mcp_store_unlock();
    return rv == APR_SUCCESS ? MCP_RECORD_OK
                             : unavailable(r, rv, "cannot store a record");
}

mcp_record_status mcp_grants_take(request_rec *r, char kind, const char *id)
{
    unsigned char key[KEY_LEN], val[16];
    unsigned int len = sizeof(val);
    apr_status_t rv;

    record_key(kind, id, key);
    if ((rv = mcp_store_lock()) != APR_SUCCESS)
        return unavailable(r, rv, "cannot be locked");
    rv = mcp_store_get(r, key, sizeof(key), val, &len);
    if (rv == APR_SUCCESS)
        rv = mcp_store_remove(r, key, sizeof(key));
    mcp_store_unlock();
    if (rv == APR_NOTFOUND)
        return MCP_RECORD_MISSING;
    return rv == APR_SUCCESS ? MCP_RECORD_OK
                             : unavailable(r, rv, "cannot take a record");
}

/* A grant's record: the generation of its current refresh token and when
 * it was rotated to it, 12 explicit big-endian bytes. */
static void grant_encode(apr_uint32_t gen, apr_int64_t at, unsigned char *b)
{
    int i;
    for (i = 0; i < 4; i++)
        b[i] = (unsigned char)(gen >> (24 - 8 * i));
    for (i = 0; i < 8; i++)
        b[4 + i] = (unsigned char)((apr_uint64_t)at >> (56 - 8 * i));
}

static void grant_decode(const unsigned char *b, apr_uint32_t *gen,
                         apr_int64_t *at)
{
    apr_uint64_t v = 0;
    int i;
    *gen = ((apr_uint32_t)b[0] << 24) | ((apr_uint32_t)b[1] << 16) |
           ((apr_uint32_t)b[2] << 8) | b[3];
    for (i = 0; i < 8; i++)
        v = (v << 8) | b[4 + i];
    *at = (apr_int64_t)v;
}

mcp_record_status mcp_grants_start(request_rec *r, const char *id,
                                   apr_int64_t grant_exp)
{
    unsigned char key[KEY_LEN], rec[12];
    apr_status_t rv;

    record_key('G', id, key);
    grant_encode(0, 0, rec);
    if ((rv = mcp_store_lock()) != APR_SUCCESS)
        return unavailable(r, rv, "cannot be locked");
    rv = mcp_store_put(r, key, sizeof(key), grant_exp + 1, rec, sizeof(rec));
    mcp_store_unlock();
    return rv == APR_SUCCESS ? MCP_RECORD_OK
                             : unavailable(r, rv, "cannot store a grant");
}

mcp_record_status mcp_grants_end(request_rec *r, const char *id)
{
    return mcp_grants_take(r, 'G', id);
}

mcp_rotation mcp_grants_rotate(request_rec *r, const char *id,
                               apr_uint32_t gen, apr_int64_t grant_exp,
                               apr_int64_t now, apr_int64_t grace)
{
    unsigned char key[KEY_LEN], rec[12];
    unsigned int len = sizeof(rec);
    apr_uint32_t current;
    apr_int64_t at;
    mcp_rotation result;
    apr_status_t rv;

    record_key('G', id, key);
    if ((rv = mcp_store_lock()) != APR_SUCCESS) {
        unavailable(r, rv, "cannot be locked");
        return MCP_ROTATION_UNAVAILABLE;
    }
    rv = mcp_store_get(r, key, sizeof(key), rec, &len);
    if (rv == APR_NOTFOUND) {
        result = MCP_ROTATION_GONE;
        goto unlock;
    }
    if (rv != APR_SUCCESS || len != sizeof(rec)) {
        unavailable(r, rv, "cannot read a grant");
        result = MCP_ROTATION_UNAVAILABLE;
        goto unlock;
    }
    grant_decode(rec, &current, &at);
    if (current == gen && gen < 0xffffffffu) {
        grant_encode(gen + 1, now, rec);
        rv = mcp_store_put(r, key, sizeof(key), grant_exp + 1, rec,
                           sizeof(rec));
        if (rv != APR_SUCCESS) {
            unavailable(r, rv, "cannot store a grant");
            result = MCP_ROTATION_UNAVAILABLE;
        }
        else
            result = MCP_ROTATION_NEXT;
    }
    else if (current == gen + 1 && now - at <= grace) {
        result = MCP_ROTATION_REPEAT;
    }
    else {
        /* An older refresh token, or the previous one after the grace
         * window: someone else holds a copy.  The grant ends. */
        mcp_store_remove(r, key, sizeof(key));
        result = MCP_ROTATION_REPLAYED;
    }
unlock:
    mcp_store_unlock();
    return result;
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
