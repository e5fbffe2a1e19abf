/*
 * libFuzzer target for lib/pkce.c.  The input is a verifier and a
 * challenge split at the first NUL.  What must hold:
 *   - a match needs a valid verifier and a valid challenge;
 *   - a valid verifier matches the challenge computed here independently
 *     (OpenSSL's one-shot SHA-256 and base64 with the URL alphabet), and
 *     a challenge that differs from it never matches.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "pkce.h"
#include "two_strings.h"

static void reference_challenge(const char *v, char out[44])
{
    unsigned char md[SHA256_DIGEST_LENGTH], b64[64];
    int i, n;

    SHA256((const unsigned char *)v, strlen(v), md);
    n = EVP_EncodeBlock(b64, md, sizeof(md)); /* 44 with one '=' */
    for (i = 0; i < n; i++)
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    memcpy(out, b64, 43);
    out[43] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *c, ref[44], *v = two_strings(data, size, &c);

    if (!v)
        return 0;

    if (mcp_pkce_s256_matches(v, c) &&
        (!mcp_pkce_verifier_valid(v) || !mcp_pkce_challenge_valid(c)))
        abort();
    if (mcp_pkce_verifier_valid(v)) {
        reference_challenge(v, ref);
        if (!mcp_pkce_s256_matches(v, ref))
            abort();
        if (strcmp(ref, c) != 0 && mcp_pkce_s256_matches(v, c))
            abort();
    }
    free(v);
    return 0;
}
