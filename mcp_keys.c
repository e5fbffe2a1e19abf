/*
 * The keys of each server, prepared once after configuration: the ring
 * (the signing key signs, every key verifies), the JWK Set rendered with
 * its ETag, and MACs under a secret derived from the signing key.
 */

#include "mcp_module.h"

#include <openssl/evp.h>

struct mcp_keys {
    const mcp_jwt_key **ring;       /* signing key first, then verify keys */
    apr_size_t n;
    const char *jwks;               /* the JWK Set of the ring */
    apr_size_t jwks_len;
    const char *jwks_etag;
};

/* Servers that share their keys (every virtual host that sets none of its
 * own) share one ring and one rendering. */
static struct mcp_keys *keys_of_twin(server_rec *first, server_rec *s)
{
    mcp_server_conf *conf = mcp_server_config(s);
    for (; first != s; first = first->next) {
        mcp_server_conf *other = mcp_server_config(first);
        if (other->keys && other->signing_key == conf->signing_key &&
            other->verify_keys == conf->verify_keys)
            return other->keys;
    }
    return NULL;
}

int mcp_keys_init(apr_pool_t *pconf, server_rec *s)
{
    server_rec *v;

    for (v = s; v; v = v->next) {
        mcp_server_conf *conf = mcp_server_config(v);
        struct mcp_keys *keys = keys_of_twin(s, v);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        char *json;
        int i;

        if (keys) {
            conf->keys = keys;
            continue;
        }
        keys = apr_pcalloc(pconf, sizeof(*keys));
        keys->ring = apr_pcalloc(pconf, sizeof(*keys->ring) *
                                            (conf->verify_keys->nelts + 1));
        if (conf->signing_key)
            keys->ring[keys->n++] = conf->signing_key;
        for (i = 0; i < conf->verify_keys->nelts; i++)
            keys->ring[keys->n++] =
                APR_ARRAY_IDX(conf->verify_keys, i, mcp_jwt_key *);
        json = mcp_jwt_jwks_json(keys->ring, keys->n);
        if (!json || !EVP_Digest(json, strlen(json), md, &mdlen,
                                 EVP_sha256(), NULL)) {
            free(json);
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                         "mcp_credentials: cannot render the JWK Set");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        keys->jwks = apr_pstrdup(pconf, json);
        keys->jwks_len = strlen(json);
        free(json);
        keys->jwks_etag = apr_psprintf(pconf, "\"%02x%02x%02x%02x%02x%02x\"",
                                       md[0], md[1], md[2], md[3], md[4],
                                       md[5]);
        conf->keys = keys;
    }
    return OK;
}

const mcp_jwt_key *mcp_signing_key(server_rec *s)
{
    return mcp_server_config(s)->signing_key;
}

const mcp_jwt_key *const *mcp_key_ring(server_rec *s, apr_size_t *n)
{
    struct mcp_keys *keys = mcp_server_config(s)->keys;
    *n = keys->n;
    return keys->ring;
}

void mcp_jwks(server_rec *s, const char **json, apr_size_t *len,
              const char **etag)
{
    struct mcp_keys *keys = mcp_server_config(s)->keys;
    *json = keys->jwks;
    *len = keys->jwks_len;
    *etag = keys->jwks_etag;
}

int mcp_keys_mac(server_rec *s, const char *msg, unsigned char mac[32])
{
    const mcp_jwt_key *key = mcp_signing_key(s);
    if (!key)
        return -1;
    return mcp_jwt_key_hmac(key, (const unsigned char *)msg, strlen(msg),
                            mac) == 0
               ? 0
               : -1;
}

/* The public keys, rendered once after configuration. */
int mcp_keys_send_jwks(request_rec *r)
{
    const char *json, *etag;
    apr_size_t len;

    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    mcp_jwks(r->server, &json, &len, &etag);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
    return mcp_send_bytes(r, "application/jwk-set+json", json, len, etag);
}
