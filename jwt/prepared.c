/*
 * The contexts of a key's operations, prepared once when it is loaded:
 * RS512 signing and verification, and the HMAC of its derived secret.
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
 * and copying reads it: the copies of a key's contexts are serialised by
 * the key's lock, held for the copy alone (a few thousand instructions,
 * never for the RSA operation).  The copy is then the caller's own.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
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

/* HMAC-SHA-256 keyed with the key's derived secret, ready for data. */
static EVP_MAC_CTX *prepared_hmac(const mcp_jwt_key *key)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)"SHA2-256", 0),
        OSSL_PARAM_construct_end()};

    EVP_MAC_free(mac); /* the context holds its own reference */
    if (!ctx || !EVP_MAC_init(ctx, key->hmac_secret,
                              sizeof(key->hmac_secret), params) ||
        EVP_MAC_CTX_get_mac_size(ctx) != 32) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int mcp_jwt_prepare(mcp_jwt_key *key)
{
    key->prepared_lock = CRYPTO_THREAD_lock_new();
    key->rs512_verify = prepared(key->pkey, 0);
    if (key->is_private)
        key->rs512_sign = prepared(key->pkey, 1);
    if (key->has_hmac_secret)
        key->hmac = prepared_hmac(key);
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
    EVP_MAC_CTX_free(key->hmac);
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

EVP_MAC_CTX *mcp_hmac_begin(const mcp_jwt_key *key)
{
    EVP_MAC_CTX *ctx;

    if (!key->hmac || !CRYPTO_THREAD_write_lock(key->prepared_lock))
        return NULL;
    ctx = EVP_MAC_CTX_dup(key->hmac);
    CRYPTO_THREAD_unlock(key->prepared_lock);
    return ctx;
}
