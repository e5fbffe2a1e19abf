/*
 * A loaded key: what it refuses, what it precomputes, what it tells.
 *
 * Everything a token operation needs besides the EVP_PKEY itself (kid,
 * header segment, modulus length, HMAC secret, the RS512 and HMAC
 * contexts of prepared.c) is computed here once, so that sign, verify and
 * MAC only read the key (and copy a context under its lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "jwt_internal.h"

/* Changing it changes every CSRF token: keep it, or bump the version. */
static const char hmac_secret_label[] = "mod_mcp_credentials csrf v1";

static char *bn_param_b64url(const EVP_PKEY *pkey, const char *name,
                             int *is_odd_above_one)
{
    BIGNUM *bn = NULL;
    unsigned char *bytes;
    char *encoded = NULL;
    int n;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
        return NULL;
    n = BN_num_bytes(bn);
    bytes = malloc(n > 0 ? (size_t)n : 1);
    if (bytes) {
        /* BN_bn2bin writes the minimal big-endian form, without the leading
         * zero bytes that RFC 7518 section 6.3.1 forbids in "n" and "e". */
        int written = BN_bn2bin(bn, bytes);
        encoded = mcp_b64url_encode_alloc(bytes, (size_t)written);
        free(bytes);
    }
    if (is_odd_above_one)
        *is_odd_above_one = BN_is_odd(bn) && !BN_is_one(bn);
    BN_free(bn);
    return encoded;
}

static int has_private_exponent(const EVP_PKEY *pkey)
{
    BIGNUM *d = NULL;

    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d))
        return 0;
    BN_clear_free(d);
    return 1;
}

/* RFC 7638 section 3.2: the required members only, in lexicographic order,
 * no whitespace. */
static int compute_kid(mcp_jwt_key *key)
{
    static const char format[] = "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    size_t json_size =
        sizeof(format) + strlen(key->e_b64url) + strlen(key->n_b64url);
    char *json = malloc(json_size);
    int ok;

    if (!json)
        return -1;
    snprintf(json, json_size, format, key->e_b64url, key->n_b64url);
    ok =
        EVP_Digest(json, strlen(json), digest, &digest_len, EVP_sha256(), NULL);
    free(json);
    if (!ok || digest_len != 32)
        return -1;
    mcp_b64url_encode(digest, digest_len, key->kid);
    return 0;
}

static int compute_header(mcp_jwt_key *key)
{
    char header[128];
    int n = snprintf(header, sizeof(header),
                     "{\"alg\":\"RS512\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                     key->kid);

    if (n < 0 || (size_t)n >= sizeof(header))
        return -1;
    key->header_b64url =
        mcp_b64url_encode_alloc((const unsigned char *)header, (size_t)n);
    if (!key->header_b64url)
        return -1;
    key->header_b64url_len = strlen(key->header_b64url);
    return 0;
}

/*
 * The secret is SHA-256(label || PKCS#8 DER of the key).  The DER is
 * re-encoded from the loaded key rather than taken from the file, so the
 * same key yields the same secret whichever format it was stored in, and
 * every httpd child and every restart agree on it.
 */
static int compute_hmac_secret(mcp_jwt_key *key)
{
    unsigned char *der = NULL;
    size_t der_len = 0;
    unsigned int digest_len = 0;
    EVP_MD_CTX *md_ctx;
    int ok;

    if (mcp_jwt_encode_pkey(key->pkey, EVP_PKEY_KEYPAIR, "DER",
                            "PrivateKeyInfo", &der, &der_len) != 0)
        return -1;
    md_ctx = EVP_MD_CTX_new();
    ok = md_ctx && EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(md_ctx, hmac_secret_label,
                          sizeof(hmac_secret_label) - 1) &&
         EVP_DigestUpdate(md_ctx, der, der_len) &&
         EVP_DigestFinal_ex(md_ctx, key->hmac_secret, &digest_len) &&
         digest_len == sizeof(key->hmac_secret);
    EVP_MD_CTX_free(md_ctx);
    OPENSSL_clear_free(der, der_len);
    if (!ok) {
        OPENSSL_cleanse(key->hmac_secret, sizeof(key->hmac_secret));
        return -1;
    }
    key->has_hmac_secret = 1;
    return 0;
}

static int refuse_key_type(const EVP_PKEY *pkey, char *err, size_t errlen)
{
    const char *type = EVP_PKEY_get0_type_name(pkey);

    if (EVP_PKEY_is_a(pkey, "RSA-PSS"))
        return mcp_jwt_fail(err, errlen,
                            "is an RSA-PSS key, which OpenSSL restricts to "
                            "PSS padding; RS512 needs a plain RSA key");
    return mcp_jwt_fail(err, errlen,
                        "is a key of type %s, not RSA; RS512 needs an RSA key",
                        type ? type : "unknown");
}

/* OpenSSL's key-pair check (n = p * q, d inverts e...), leaving no error on
 * the thread's queue. */
static int parts_match(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx;
    int ok;

    ERR_set_mark();
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_pop_to_mark();
    return ok;
}

int mcp_jwt_key_from_pkey(EVP_PKEY *pkey, mcp_jwt_key **out, char *err,
                          size_t errlen)
{
    mcp_jwt_key *key;
    int exponent_ok = 0;

    *out = NULL;
    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        refuse_key_type(pkey, err, errlen);
        EVP_PKEY_free(pkey);
        return -1;
    }
    key = calloc(1, sizeof(*key));
    if (!key) {
        EVP_PKEY_free(pkey);
        return mcp_jwt_fail(err, errlen, "out of memory");
    }
    key->pkey = pkey;
    key->bits = EVP_PKEY_get_bits(pkey);
    if (key->bits < MCP_JWT_MIN_RSA_BITS) {
        mcp_jwt_fail(err, errlen,
                     "is a %d-bit RSA key; RS512 tokens need at least %d "
                     "bits (NIST SP 800-131A)",
                     key->bits, MCP_JWT_MIN_RSA_BITS);
        goto fail;
    }
    if (key->bits > MCP_JWT_MAX_RSA_BITS) {
        mcp_jwt_fail(err, errlen,
                     "is a %d-bit RSA key; OpenSSL handles at most %d bits",
                     key->bits, MCP_JWT_MAX_RSA_BITS);
        goto fail;
    }
    key->sig_len = (size_t)EVP_PKEY_get_size(pkey);
    key->is_private = has_private_exponent(pkey);
    key->n_b64url = bn_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_N, NULL);
    key->e_b64url = bn_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_E, &exponent_ok);
    if (!key->n_b64url || !key->e_b64url) {
        mcp_jwt_fail(err, errlen, "has RSA parameters that cannot be read");
        goto fail;
    }
    /* With e = 1 a "signature" is the padded digest itself, which anyone can
     * compute; an even e has no inverse.  Either means a broken key. */
    if (!exponent_ok) {
        mcp_jwt_fail(err, errlen,
                     "has an unusable RSA public exponent (it must be odd "
                     "and greater than 1)");
        goto fail;
    }
    /* A private key whose parts disagree (a damaged file) would sign tokens
     * that its own public half refuses, and publishing n beside such
     * signatures is how RSA keys have been recovered: refuse it here. */
    if (key->is_private && !parts_match(pkey)) {
        mcp_jwt_fail(err, errlen,
                     "is a damaged RSA private key: its private and public "
                     "parts do not match");
        goto fail;
    }
    if (compute_kid(key) != 0 || compute_header(key) != 0 ||
        (key->is_private && compute_hmac_secret(key) != 0) ||
        mcp_jwt_prepare(key) != 0) {
        mcp_jwt_fail(err, errlen,
                     "could not be prepared for use (out of memory or "
                     "OpenSSL failure)");
        goto fail;
    }
    *out = key;
    return 0;

fail:
    mcp_jwt_key_free(key);
    return -1;
}

int mcp_jwt_encode_pkey(const EVP_PKEY *pkey, int selection,
                        const char *output_type, const char *structure,
                        unsigned char **data, size_t *len)
{
    OSSL_ENCODER_CTX *ctx;
    int ok;

    *data = NULL;
    *len = 0;
    ctx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, output_type, structure,
                                        NULL);
    if (!ctx)
        return -1;
    ok = OSSL_ENCODER_CTX_get_num_encoders(ctx) > 0 &&
         OSSL_ENCODER_to_data(ctx, data, len);
    OSSL_ENCODER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_clear_free(*data, *len);
        *data = NULL;
        *len = 0;
        return -1;
    }
    return 0;
}

int mcp_jwt_key_generate(int bits, mcp_jwt_key **out, char *err, size_t errlen)
{
    EVP_PKEY *pkey;
    char predicate[MCP_JWT_ERRLEN];
    int rc;

    *out = NULL;
    if (bits < MCP_JWT_MIN_RSA_BITS || bits > MCP_JWT_MAX_RSA_BITS)
        return mcp_jwt_fail(err, errlen,
                            "cannot generate a %d-bit RSA key: the size "
                            "must be between %d and %d bits",
                            bits, MCP_JWT_MIN_RSA_BITS, MCP_JWT_MAX_RSA_BITS);
    ERR_set_mark();
    pkey = EVP_RSA_gen((unsigned int)bits);
    if (!pkey) {
        ERR_pop_to_mark();
        return mcp_jwt_fail(
            err, errlen, "OpenSSL could not generate a %d-bit RSA key", bits);
    }
    rc = mcp_jwt_key_from_pkey(pkey, out, predicate, sizeof(predicate));
    ERR_pop_to_mark();
    if (rc != 0)
        return mcp_jwt_fail(err, errlen, "generated key %s", predicate);
    return 0;
}

void mcp_jwt_key_free(mcp_jwt_key *key)
{
    if (!key)
        return;
    OPENSSL_cleanse(key->hmac_secret, sizeof(key->hmac_secret));
    mcp_jwt_prepared_release(key);
    EVP_PKEY_free(key->pkey);
    free(key->n_b64url);
    free(key->e_b64url);
    free(key->header_b64url);
    free(key);
}

int mcp_jwt_key_is_private(const mcp_jwt_key *key)
{
    return key && key->is_private;
}

int mcp_jwt_key_bits(const mcp_jwt_key *key)
{
    return key ? key->bits : 0;
}

size_t mcp_jwt_key_sig_len(const mcp_jwt_key *key)
{
    return key ? key->sig_len : 0;
}

const char *mcp_jwt_key_kid(const mcp_jwt_key *key)
{
    return key ? key->kid : NULL;
}

int mcp_jwt_key_hmac(const mcp_jwt_key *key, const unsigned char *data,
                     size_t len, unsigned char out[32])
{
    if (!key || !key->has_hmac_secret)
        return -1;
    return mcp_hmac_sha256(key->hmac, data, len, out);
}
