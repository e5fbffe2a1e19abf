/*
 * A loaded key in the forms others read: JWK and JWK Set (RFC 7517) for
 * verifiers that fetch keys, Base64 DER for Atoti's properties, PEM for
 * everything else.
 *
 * Private forms come back in memory the caller wipes with
 * mcp_jwt_free_secret(); the intermediate DER is wiped here.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "jwt_internal.h"

cJSON *mcp_jwt_key_public_jwk(const mcp_jwt_key *key)
{
    cJSON *jwk;

    if (!key)
        return NULL;
    jwk = cJSON_CreateObject();
    if (!jwk || !cJSON_AddStringToObject(jwk, "kty", "RSA") ||
        !cJSON_AddStringToObject(jwk, "n", key->n_b64url) ||
        !cJSON_AddStringToObject(jwk, "e", key->e_b64url) ||
        !cJSON_AddStringToObject(jwk, "kid", key->kid) ||
        !cJSON_AddStringToObject(jwk, "alg", "RS512") ||
        !cJSON_AddStringToObject(jwk, "use", "sig")) {
        cJSON_Delete(jwk);
        return NULL;
    }
    return jwk;
}

static int kid_listed_before(const mcp_jwt_key *const *keys, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (keys[j] && strcmp(keys[j]->kid, keys[i]->kid) == 0)
            return 1;
    return 0;
}

char *mcp_jwt_jwks_json(const mcp_jwt_key *const *keys, size_t n)
{
    cJSON *set = cJSON_CreateObject();
    cJSON *list = set ? cJSON_AddArrayToObject(set, "keys") : NULL;
    char *json = NULL;

    if (!list)
        goto done;
    for (size_t i = 0; i < n; i++) {
        cJSON *jwk;
        if (!keys[i] || kid_listed_before(keys, i))
            continue;
        jwk = mcp_jwt_key_public_jwk(keys[i]);
        if (!jwk || !cJSON_AddItemToArray(list, jwk)) {
            cJSON_Delete(jwk);
            goto done;
        }
    }
    json = mcp_json_print_malloc(set);
done:
    cJSON_Delete(set);
    return json;
}

/* Encodes through OpenSSL, then hands the result to convert (Base64 or a
 * NUL-terminated copy); the intermediate buffer is wiped either way. */
static char *export_key(const mcp_jwt_key *key, int selection,
                        const char *output_type, const char *structure,
                        char *(*convert)(const unsigned char *, size_t))
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *result = NULL;

    if (!key)
        return NULL;
    if (selection == EVP_PKEY_KEYPAIR && !key->is_private)
        return NULL;
    ERR_set_mark();
    if (mcp_jwt_encode_pkey(key->pkey, selection, output_type, structure, &data,
                            &len) == 0)
        result = convert(data, len);
    ERR_pop_to_mark();
    OPENSSL_clear_free(data, len);
    return result;
}

static char *copy_as_string(const unsigned char *data, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy) {
        memcpy(copy, data, len);
        copy[len] = '\0';
    }
    return copy;
}

char *mcp_jwt_key_public_der_b64(const mcp_jwt_key *key)
{
    return export_key(key, EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo",
                      mcp_b64_encode_alloc);
}

char *mcp_jwt_key_private_der_b64(const mcp_jwt_key *key)
{
    return export_key(key, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo",
                      mcp_b64_encode_alloc);
}

char *mcp_jwt_key_private_pem(const mcp_jwt_key *key)
{
    return export_key(key, EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo",
                      copy_as_string);
}

char *mcp_jwt_key_public_pem(const mcp_jwt_key *key)
{
    return export_key(key, EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo",
                      copy_as_string);
}

void mcp_jwt_free_secret(char *secret)
{
    if (!secret)
        return;
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}
