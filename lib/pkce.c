/*
 * PKCE S256.
 */
#include "pkce.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jwt.h"

static int unreserved(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static int b64url_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int mcp_pkce_verifier_valid(const char *v)
{
    size_t i, n;
    if (!v)
        return 0;
    n = strlen(v);
    if (n < 43 || n > 128)
        return 0;
    for (i = 0; i < n; i++)
        if (!unreserved((unsigned char)v[i]))
            return 0;
    return 1;
}

int mcp_pkce_challenge_valid(const char *c)
{
    size_t i;
    if (!c || strlen(c) != 43)
        return 0;
    for (i = 0; i < 43; i++)
        if (!b64url_char((unsigned char)c[i]))
            return 0;
    return 1;
}

int mcp_pkce_s256_matches(const char *verifier, const char *challenge)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char want[48];

    if (!mcp_pkce_verifier_valid(verifier) ||
        !mcp_pkce_challenge_valid(challenge))
        return 0;
    if (!EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(),
                    NULL) ||
        mdlen != sizeof(md))
        return 0;
    if (mcp_b64url_encode(md, sizeof(md), want) != 43)
        return 0;
    return CRYPTO_memcmp(want, challenge, 43) == 0;
}
