/*
 * An RS512 JWS made without the JWT unit's signer, for the JWT fuzzer and
 * its seed maker: base64url(header) "." base64url(payload) "." signature
 * by OpenSSL directly.  Returns the token (malloc'd, its length in *len),
 * or NULL when out of memory or when signing fails.
 */
#ifndef MCP_FUZZ_RS512_SIGN_H
#define MCP_FUZZ_RS512_SIGN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwt_internal.h"

static char *rs512_sign(EVP_PKEY *pkey, const unsigned char *header,
                        size_t hlen, const unsigned char *payload,
                        size_t plen, size_t *len)
{
    char *h = mcp_b64url_encode_alloc(header, hlen);
    char *p = mcp_b64url_encode_alloc(payload, plen);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig), input_len = 0;
    char *token = NULL;

    if (h && p && ctx) {
        input_len = strlen(h) + 1 + strlen(p);
        token = malloc(input_len + 1 + mcp_b64url_encoded_len(sig_len) + 1);
    }
    if (token) {
        snprintf(token, input_len + 1, "%s.%s", h, p);
        if (EVP_DigestSignInit(ctx, NULL, EVP_sha512(), NULL, pkey) != 1 ||
            EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)token,
                           input_len) != 1) {
            free(token);
            token = NULL;
        }
        else {
            token[input_len] = '.';
            *len = input_len + 1 +
                   mcp_b64url_encode(sig, sig_len, token + input_len + 1);
        }
    }
    EVP_MD_CTX_free(ctx);
    free(h);
    free(p);
    return token;
}

#endif /* MCP_FUZZ_RS512_SIGN_H */
