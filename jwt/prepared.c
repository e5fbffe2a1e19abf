/*
 * Contexts prepared once: a key's RS512 signing and verification, when it
 * is loaded, and HMAC-SHA-256 keys (a token key's derived secret, the
 * authorization server's secrets).
 *
 * EVP_DigestSignInit and EVP_DigestVerifyInit look the digest, the
 * signature method and the key's provider form up in OpenSSL's shared
 * stores every time: some 33,000 instructions a call, a tenth of an
 * RSA-3072 verification; HMAC() fetches its method and digest at every
 * call too (some 17,000, where the MAC itself costs a fifth of that).
 * They run here once, and each operation copies the prepared context
 * instead.
 *
 * OpenSSL does not allow one context to be used by two threads at once,
 * and copying reads it: the copies of a prepared context are serialised
 * by a lock of its own, held for the copy alone (a few thousand
 * instructions, never for the RSA operation or the MAC).  The copy is
 * then the caller's own.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "jwt_internal.h"

static EVP_MD_CTX *prepared(EVP_PKEY *pkey, int sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pkey_ctx = NULL;
    int ok;

    ok = ctx &&
         (sign ? EVP_DigestSignInit(ctx, &pkey_ctx, EVP_sha512(), NULL, pkey)
               : EVP_DigestVerifyInit(ctx, &pkey_ctx, EVP_sha512(), NULL,
                                      pkey)) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) == 1;
    if (!ok) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* ------------------------------------------------------------------ */
/* HMAC                                                                 */
/* ------------------------------------------------------------------ */

struct mcp_hmac {
    EVP_MAC_CTX *ctx; /* keyed, never updated: only duplicated */
    CRYPTO_RWLOCK *lock;
};

mcp_hmac *mcp_hmac_new(const unsigned char *key, size_t len)
{
    mcp_hmac *h = OPENSSL_zalloc(sizeof(*h));
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)"SHA2-256", 0),
        OSSL_PARAM_construct_end()};

    if (h && mac && key && len > 0) {
        h->ctx = EVP_MAC_CTX_new(mac);
        h->lock = CRYPTO_THREAD_lock_new();
    }
    EVP_MAC_free(mac); /* the context holds its own reference */
    if (!h || !h->ctx || !h->lock ||
        !EVP_MAC_init(h->ctx, key, len, params) ||
        EVP_MAC_CTX_get_mac_size(h->ctx) != 32) {
        mcp_hmac_free(h);
        return NULL;
    }
    return h;
}

void mcp_hmac_free(mcp_hmac *h)
{
    if (!h)
        return;
    EVP_MAC_CTX_free(h->ctx);
    CRYPTO_THREAD_lock_free(h->lock);
    OPENSSL_free(h);
}

int mcp_hmac_sha256(const mcp_hmac *h, const unsigned char *data, size_t n,
                    unsigned char out[32])
{
    EVP_MAC_CTX *ctx = NULL;
    size_t out_len = 0;
    int ok;

    if (!h || (!data && n > 0)) {
        OPENSSL_cleanse(out, 32);
        return -1;
    }
    ERR_set_mark();
    if (CRYPTO_THREAD_write_lock(h->lock)) {
        ctx = EVP_MAC_CTX_dup(h->ctx);
        CRYPTO_THREAD_unlock(h->lock);
    }
    ok = ctx && EVP_MAC_update(ctx, data ? data : (const unsigned char *)"",
                               n) &&
         EVP_MAC_final(ctx, out, &out_len, 32) && out_len == 32;
    EVP_MAC_CTX_free(ctx);
    ERR_pop_to_mark();
    if (!ok) {
        OPENSSL_cleanse(out, 32);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* A key's contexts                                                     */
/* ------------------------------------------------------------------ */

int mcp_jwt_prepare(mcp_jwt_key *key)
{
    key->prepared_lock = CRYPTO_THREAD_lock_new();
    key->rs512_verify = prepared(key->pkey, 0);
    if (key->is_private)
        key->rs512_sign = prepared(key->pkey, 1);
    if (key->has_hmac_secret)
        key->hmac = mcp_hmac_new(key->hmac_secret, sizeof(key->hmac_secret));
    if (!key->prepared_lock || !key->rs512_verify ||
        (key->is_private && !key->rs512_sign) ||
        (key->has_hmac_secret && !key->hmac)) {
        mcp_jwt_prepared_release(key);
        return -1;
    }
    return 0;
}

void mcp_jwt_prepared_release(mcp_jwt_key *key)
{
    EVP_MD_CTX_free(key->rs512_sign);
    EVP_MD_CTX_free(key->rs512_verify);
    mcp_hmac_free(key->hmac);
    CRYPTO_THREAD_lock_free(key->prepared_lock);
    key->rs512_sign = key->rs512_verify = NULL;
    key->hmac = NULL;
    key->prepared_lock = NULL;
}

EVP_MD_CTX *mcp_rs512_begin(const mcp_jwt_key *key, int sign)
{
    const EVP_MD_CTX *model = sign ? key->rs512_sign : key->rs512_verify;
    EVP_MD_CTX *ctx;
    int copied;

    if (!model || !(ctx = EVP_MD_CTX_new()))
        return NULL;
    if (!CRYPTO_THREAD_write_lock(key->prepared_lock)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    copied = EVP_MD_CTX_copy_ex(ctx, model);
    CRYPTO_THREAD_unlock(key->prepared_lock);
    if (!copied) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    /* The one-shot call may then finish in place: without the flag it
     * would duplicate the context once more so that it could go on. */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    return ctx;
}

