/*
 * RS512 contexts prepared once per key.
 *
 * EVP_DigestSignInit and EVP_DigestVerifyInit look the digest, the
 * signature method and the key's provider form up in OpenSSL's shared
 * stores every time: some 33,000 instructions a call, a tenth of an
 * RSA-3072 verification.  They run here once, when the key is loaded, and
 * each operation copies the prepared context instead.
 *
 * OpenSSL does not allow one context to be used by two threads at once,
 * and copying reads it: the copies of a key's contexts are serialised by
 * the key's lock, held for the copy alone (a few thousand instructions,
 * never for the RSA operation).  The copy is then the caller's own.
 */
#include <openssl/crypto.h>
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

int mcp_rs512_prepare(mcp_jwt_key *key)
{
    key->rs512_lock = CRYPTO_THREAD_lock_new();
    key->rs512_verify = prepared(key->pkey, 0);
    if (key->is_private)
        key->rs512_sign = prepared(key->pkey, 1);
    if (!key->rs512_lock || !key->rs512_verify ||
        (key->is_private && !key->rs512_sign)) {
        mcp_rs512_release(key);
        return -1;
    }
    return 0;
}

void mcp_rs512_release(mcp_jwt_key *key)
{
    EVP_MD_CTX_free(key->rs512_sign);
    EVP_MD_CTX_free(key->rs512_verify);
    CRYPTO_THREAD_lock_free(key->rs512_lock);
    key->rs512_sign = key->rs512_verify = NULL;
    key->rs512_lock = NULL;
}

EVP_MD_CTX *mcp_rs512_begin(const mcp_jwt_key *key, int sign)
{
    const EVP_MD_CTX *model = sign ? key->rs512_sign : key->rs512_verify;
    EVP_MD_CTX *ctx;
    int copied;

    if (!model || !(ctx = EVP_MD_CTX_new()))
        return NULL;
    if (!CRYPTO_THREAD_write_lock(key->rs512_lock)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    copied = EVP_MD_CTX_copy_ex(ctx, model);
    CRYPTO_THREAD_unlock(key->rs512_lock);
    if (!copied) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    /* The one-shot call may then finish in place: without the flag it
     * would duplicate the context once more so that it could go on. */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    return ctx;
}
