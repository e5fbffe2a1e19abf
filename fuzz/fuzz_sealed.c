/*
 * libFuzzer target for lib/sealed.c.  What must hold for any input:
 *   - the input read as a sealed client id opens only if sealing what it
 *     opened to gives back the input, byte for byte (one form per value,
 *     and no forgery without the secret);
 *   - the input read as a payload seals and opens to itself, and never
 *     opens as another kind or with another secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealed.h"

static const unsigned char k1[] = "fuzz-secret-fuzz-secret-fuzz-sec";
static const unsigned char k2[] = "another-secret-another-secret-an";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_secret s1 = {k1, 32}, s2 = {k2, 32};
    unsigned char out[MCP_SEALED_MAX_PAYLOAD];
    char sealed[4096];
    size_t n = 0;

    if (mcp_unseal("client", (const char *)data, size, &s1, 1, out, &n) == 0) {
        if (mcp_seal("client", out, n, &s1, sealed, sizeof(sealed)) != 0 ||
            strlen(sealed) != size || memcmp(sealed, data, size) != 0)
            abort();
    }
    if (size <= MCP_SEALED_MAX_PAYLOAD) {
        if (mcp_seal("code", data, size, &s1, sealed, sizeof(sealed)) != 0)
            abort();
        if (mcp_unseal("code", sealed, strlen(sealed), &s1, 1, out, &n) != 0 ||
            n != size || memcmp(out, data, size) != 0)
            abort();
        if (mcp_unseal("refresh", sealed, strlen(sealed), &s1, 1, out, &n) == 0 ||
            mcp_unseal("code", sealed, strlen(sealed), &s2, 1, out, &n) == 0)
            abort();
    }
    return 0;
}
