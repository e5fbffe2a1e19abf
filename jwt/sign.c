/*
 * Minting: claims to JSON, JSON to a compact RS512 JWS.
 *
 * The header segment was computed when the key was loaded, so a signature
 * costs one allocation for the token, one for the signature and one
 * EVP_MD_CTX, all private to the call: threads share the key, never a
 * context.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "jwt_internal.h"

/* RFC 8259 section 8.1: JSON text exchanged between systems is UTF-8, and
 * strict verifiers (PyJWT, Java) reject anything else.  Overlong forms,
 * surrogates and code points above U+10FFFF are not UTF-8. */
static int is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned char c = *p;
        size_t follow;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            follow = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            follow = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            follow = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t i = 1; i <= follow; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((follow == 2 && cp < 0x800) || (follow == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += follow + 1;
    }
    return 1;
}

/* What is wrong with the claims, or NULL when they can be minted. */
static const char *claims_problem(const mcp_jwt_claims *claims)
{
    if (!claims)
        return "no claims given";
    if (!claims->sub || !*claims->sub)
        return "the claim 'sub' is missing";
    if (!claims->iss || !*claims->iss)
        return "the claim 'iss' is missing";
    if (!claims->jti || !*claims->jti)
        return "the claim 'jti' is missing";
    if (!is_utf8(claims->sub) || !is_utf8(claims->iss) ||
        !is_utf8(claims->jti) || (claims->aud && !is_utf8(claims->aud)) ||
        (claims->resource && !is_utf8(claims->resource)) ||
        (claims->client_id && !is_utf8(claims->client_id)) ||
        (claims->scope && !is_utf8(claims->scope)))
        return "a claim is not valid UTF-8";
    if (claims->n_authorities > 0 && !claims->authorities)
        return "the authorities are missing";
    for (size_t i = 0; i < claims->n_authorities; i++)
        if (!claims->authorities[i] || !is_utf8(claims->authorities[i]))
            return "an authority is missing or not valid UTF-8";
    return NULL;
}

/* NumericDates go in as raw integer text: cJSON would print a double, which
 * loses digits beyond 2^53 and may switch to exponent notation. */
static int add_numeric_date(cJSON *object, const char *name, int64_t value)
{
    char text[24];

    snprintf(text, sizeof(text), "%" PRId64, value);
    return cJSON_AddRawToObject(object, name, text) != NULL;
}

/* aud: the resource and aud, whichever are set; an array for both. */
static int add_audience(cJSON *object, const mcp_jwt_claims *claims)
{
    cJSON *list;
    if (!claims->resource || !claims->aud ||
        !strcmp(claims->resource, claims->aud)) {
        const char *one = claims->resource ? claims->resource : claims->aud;
        return !one || cJSON_AddStringToObject(object, "aud", one) != NULL;
    }
    list = cJSON_AddArrayToObject(object, "aud");
    return list &&
           cJSON_AddItemToArray(list, cJSON_CreateString(claims->resource)) &&
           cJSON_AddItemToArray(list, cJSON_CreateString(claims->aud));
}

static cJSON *claims_object(const mcp_jwt_claims *claims)
{
    cJSON *object = cJSON_CreateObject();
    cJSON *authorities;

    if (!object || !cJSON_AddStringToObject(object, "sub", claims->sub) ||
        !cJSON_AddStringToObject(object, "iss", claims->iss) ||
        !add_audience(object, claims) ||
        !add_numeric_date(object, "iat", claims->iat) ||
        !add_numeric_date(object, "nbf", claims->nbf) ||
        !add_numeric_date(object, "exp", claims->exp) ||
        !cJSON_AddStringToObject(object, "jti", claims->jti))
        goto fail;
    authorities = cJSON_AddArrayToObject(object, "authorities");
    if (!authorities)
        goto fail;
    for (size_t i = 0; i < claims->n_authorities; i++) {
        cJSON *role = cJSON_CreateString(claims->authorities[i]);
        if (!role || !cJSON_AddItemToArray(authorities, role)) {
            cJSON_Delete(role);
            goto fail;
        }
    }
    if ((claims->client_id &&
         !cJSON_AddStringToObject(object, "client_id", claims->client_id)) ||
        (claims->scope &&
         !cJSON_AddStringToObject(object, "scope", claims->scope)))
        goto fail;
    return object;

fail:
    cJSON_Delete(object);
    return NULL;
}

char *mcp_jwt_claims_json(const mcp_jwt_claims *claims)
{
    cJSON *object;
    char *json;

    if (claims_problem(claims))
        return NULL;
    object = claims_object(claims);
    if (!object)
        return NULL;
    json = mcp_json_print_malloc(object);
    cJSON_Delete(object);
    return json;
}

/* RSASSA-PKCS1-v1_5 with SHA-512 (RFC 7518 section 3.3), on a copy of the
 * key's prepared context. */
static int rs512_sign(const mcp_jwt_key *key, const char *input, size_t len,
                      unsigned char *sig)
{
    EVP_MD_CTX *md_ctx = mcp_rs512_begin(key, 1);
    size_t sig_len = key->sig_len;
    int ok;

    ok = md_ctx &&
         EVP_DigestSign(md_ctx, sig, &sig_len, (const unsigned char *)input,
                        len) == 1 &&
         sig_len == key->sig_len;
    EVP_MD_CTX_free(md_ctx);
    return ok ? 0 : -1;
}

char *mcp_jwt_sign(const mcp_jwt_key *key, const char *payload_json, size_t len,
                   char *err, size_t errlen)
{
    size_t payload_b64_len, sig_b64_len, input_len, token_size;
    unsigned char *sig;
    char *token;
    int signed_ok;

    if (!key) {
        mcp_jwt_fail(err, errlen, "no signing key");
        return NULL;
    }
    if (!key->is_private) {
        mcp_jwt_fail(err, errlen, "the key %s is a public key and cannot sign",
                     key->kid);
        return NULL;
    }
    if (!payload_json && len > 0) {
        mcp_jwt_fail(err, errlen, "no payload to sign");
        return NULL;
    }
    if (len > SIZE_MAX / 2) {
        mcp_jwt_fail(err, errlen, "payload too large to sign");
        return NULL;
    }
    payload_b64_len = mcp_b64url_encoded_len(len);
    sig_b64_len = mcp_b64url_encoded_len(key->sig_len);
    input_len = key->header_b64url_len + 1 + payload_b64_len;
    token_size = input_len + 1 + sig_b64_len + 1;
    token = malloc(token_size);
    sig = malloc(key->sig_len);
    if (!token || !sig) {
        free(token);
        free(sig);
        mcp_jwt_fail(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(token, key->header_b64url, key->header_b64url_len);
    token[key->header_b64url_len] = '.';
    mcp_b64url_encode((const unsigned char *)(payload_json ? payload_json : ""),
                      len, token + key->header_b64url_len + 1);

    /* Failures queue OpenSSL errors on this thread: drop them here rather
     * than let them surface in a later, unrelated TLS call. */
    ERR_set_mark();
    signed_ok = rs512_sign(key, token, input_len, sig) == 0;
    ERR_pop_to_mark();
    if (!signed_ok) {
        free(token);
        free(sig);
        mcp_jwt_fail(err, errlen, "OpenSSL could not sign with key %s",
                     key->kid);
        return NULL;
    }
    token[input_len] = '.';
    mcp_b64url_encode(sig, key->sig_len, token + input_len + 1);
    free(sig);
    return token;
}

char *mcp_jwt_mint(const mcp_jwt_key *key, const mcp_jwt_claims *claims,
                   char *err, size_t errlen)
{
    const char *problem = claims_problem(claims);
    char *json, *token;

    if (problem) {
        mcp_jwt_fail(err, errlen, "cannot mint: %s", problem);
        return NULL;
    }
    json = mcp_jwt_claims_json(claims);
    if (!json) {
        mcp_jwt_fail(err, errlen, "cannot mint: out of memory");
        return NULL;
    }
    token = mcp_jwt_sign(key, json, strlen(json), err, errlen);
    free(json);
    return token;
}
