/*
 * libFuzzer target for lib/sealed.c.  What must hold for any input:
 *   - the input read as a sealed client id opens only if sealing what it
 *     opened to gives back the input, byte for byte (one form per value,
 *     and no forgery without the secret);
 *   - the input read as a payload seals and opens to itself, and never
 *     opens as another kind or with another secret;
 *   - the input split into a record's key and value (first byte: the
 *     key's length) checks with its MAC, and not with another secret,
 *     another key length or a MAC with one bit changed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealed.h"

static const unsigned char k1[] = "fuzz-secret-fuzz-secret-fuzz-sec";
static const unsigned char k2[] = "another-secret-another-secret-an";

/* The secrets prepared once, as the module prepares them where it reads
 * them. */
static mcp_hmac *h1, *h2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    h1 = mcp_hmac_new(k1, 32);
    h2 = mcp_hmac_new(k2, 32);
    if (!h1 || !h2)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_secret s1 = {32, h1}, s2 = {32, h2};
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
    if (size >= 1 && (size_t)data[0] + 1 <= size &&
        size - 1 - data[0] <= 64) {
        const unsigned char *key = data + 1, *value = key + data[0];
        size_t klen = data[0], vlen = size - 1 - klen;
        unsigned char mac[MCP_RECORD_MAC_LEN];

        if (mcp_record_mac(key, klen, value, vlen, &s1, mac) != 0 ||
            mcp_record_check(key, klen, value, vlen, mac, &s1, 1) != 0 ||
            mcp_record_check(key, klen, value, vlen, mac, &s2, 1) == 0)
            abort();
        if (klen && mcp_record_check(key, klen - 1, value - 1, vlen + 1, mac,
                                     &s1, 1) == 0)
            abort();
        mac[size % MCP_RECORD_MAC_LEN] ^= (unsigned char)(1u << (size % 8));
        if (mcp_record_check(key, klen, value, vlen, mac, &s1, 1) == 0)
            abort();
    }
    return 0;
}
