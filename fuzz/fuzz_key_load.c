/*
 * libFuzzer target for mcp_jwt_key_from_text() (jwt/key_load.c, jwt/key.c,
 * the Base64 key-text decoder): PEM in its four accepted labels and Base64
 * DER.  What must hold for any text:
 *   - a refusal leaves no key and says why in printable ASCII, starting
 *     "key text ";
 *   - a loaded key has 2048 to 16384 bits, a signature of its modulus
 *     length, a 43-character base64url kid, and the same kid when its
 *     exports (public PEM and DER; private PEM and DER for a private key)
 *     are loaded again;
 *   - a private key whose parts agree (OpenSSL's pairwise check) signs
 *     tokens that it and its public half verify; a public key cannot sign.
 * Signing stops at 4096 bits: a bigger key costs seconds per signature
 * under ASan and the code path is the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwt_internal.h"

#define MAX_SIGNING_BITS 4096
#define FIXED_NOW INT64_C(1750000000)

static void check_refusal(const char *err)
{
    size_t i, n = strnlen(err, MCP_JWT_ERRLEN);

    if (n == 0 || n == MCP_JWT_ERRLEN || strncmp(err, "key text ", 9) != 0)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
            abort();
}

static int is_kid(const char *kid)
{
    size_t i;

    if (kid == NULL || strlen(kid) != MCP_JWT_KID_LEN)
        return 0;
    for (i = 0; i < MCP_JWT_KID_LEN; i++) {
        char c = kid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* Loads an export (freeing it) and returns the key, which must have the
 * kid and privacy given. */
static mcp_jwt_key *reload(char *text, const char *kid, int is_private,
                           int secret)
{
    mcp_jwt_key *again = NULL;
    char err[MCP_JWT_ERRLEN];

    if (text == NULL)
        abort();
    if (mcp_jwt_key_from_text(text, strlen(text), &again, err, sizeof(err)) !=
            0 ||
        strcmp(mcp_jwt_key_kid(again), kid) != 0 ||
        mcp_jwt_key_is_private(again) != is_private)
        abort();
    if (secret)
        mcp_jwt_free_secret(text);
    else
        free(text);
    return again;
}

static int parts_agree(const mcp_jwt_key *key)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
    int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static void check_signing(const mcp_jwt_key *key, const mcp_jwt_key *pub)
{
    static const char payload[] = "{\"sub\":\"fuzz\",\"exp\":1750003600}";
    const mcp_jwt_verify_opts opts = {.now = FIXED_NOW, .require_exp = 1};
    const mcp_jwt_key *ring[1];
    char err[MCP_JWT_ERRLEN], *token;
    mcp_jwt_verified v;

    token = mcp_jwt_sign(key, payload, strlen(payload), err, sizeof(err));
    if (token == NULL)
        abort();
    ring[0] = key;
    if (mcp_jwt_verify(token, strlen(token), ring, 1, &opts, &v) != MCP_JWT_OK)
        abort();
    mcp_jwt_verified_clear(&v);
    ring[0] = pub;
    if (mcp_jwt_verify(token, strlen(token), ring, 1, &opts, &v) != MCP_JWT_OK)
        abort();
    mcp_jwt_verified_clear(&v);
    free(token);
}

static void check_key(const mcp_jwt_key *key)
{
    const char *kid = mcp_jwt_key_kid(key);
    int bits = mcp_jwt_key_bits(key), is_private = mcp_jwt_key_is_private(key);
    cJSON *jwk = mcp_jwt_key_public_jwk(key);
    const cJSON *jwk_kid = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
    mcp_jwt_key *pub, *other;
    unsigned char mac[32];
    char err[MCP_JWT_ERRLEN];

    if (bits < MCP_JWT_MIN_RSA_BITS || bits > MCP_JWT_MAX_RSA_BITS ||
        mcp_jwt_key_sig_len(key) != (size_t)(bits + 7) / 8 || !is_kid(kid))
        abort();
    if (!cJSON_IsString(jwk_kid) || strcmp(jwk_kid->valuestring, kid) != 0)
        abort();
    cJSON_Delete(jwk);

    pub = reload(mcp_jwt_key_public_pem(key), kid, 0, 0);
    other = reload(mcp_jwt_key_public_der_b64(key), kid, 0, 0);
    mcp_jwt_key_free(other);
    if (is_private) {
        other = reload(mcp_jwt_key_private_pem(key), kid, 1, 1);
        mcp_jwt_key_free(other);
        other = reload(mcp_jwt_key_private_der_b64(key), kid, 1, 1);
        mcp_jwt_key_free(other);
        if (mcp_jwt_key_hmac(key, (const unsigned char *)"x", 1, mac) != 0)
            abort();
        if (bits <= MAX_SIGNING_BITS && parts_agree(key))
            check_signing(key, pub);
    } else {
        if (mcp_jwt_key_private_pem(key) != NULL ||
            mcp_jwt_key_private_der_b64(key) != NULL ||
            mcp_jwt_key_hmac(key, (const unsigned char *)"x", 1, mac) != -1 ||
            mcp_jwt_sign(key, "{}", 2, err, sizeof(err)) != NULL)
            abort();
    }
    mcp_jwt_key_free(pub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_jwt_key *key = (mcp_jwt_key *)&key; /* must be reset */
    char err[MCP_JWT_ERRLEN];

    memset(err, 'x', sizeof(err));
    if (mcp_jwt_key_from_text((const char *)data, size, &key, err,
                              sizeof(err)) != 0) {
        if (key != NULL)
            abort();
        check_refusal(err);
        return 0;
    }
    check_key(key);
    mcp_jwt_key_free(key);
    return 0;
}
