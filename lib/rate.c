/*
 * Fixed-window rate counters: keys, records, decisions.
 */
#include "rate.h"

#include <string.h>

#include <openssl/evp.h>

int mcp_rate_key(const char *const *parts, size_t n_parts,
                 unsigned char key[MCP_RATE_KEY_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    size_t i;

    for (i = 0; ok && i < n_parts; i++) {
        const char *part = parts[i] ? parts[i] : "";
        uint64_t len = strlen(part);
        unsigned char be[8];
        int k;
        for (k = 7; k >= 0; k--, len >>= 8)
            be[k] = (unsigned char)(len & 0xff);
        ok = EVP_DigestUpdate(ctx, be, sizeof(be)) &&
             EVP_DigestUpdate(ctx, part, strlen(part));
    }
    ok = ok && EVP_DigestFinal_ex(ctx, key, &n) && n == MCP_RATE_KEY_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int64_t mcp_rate_window(int64_t now, int64_t period)
{
    if (period < 1 || now < 0)
        return -1;
    return now - now % period;
}

int64_t mcp_rate_wait(uint32_t count, uint32_t limit, int64_t window,
                      int64_t period, int64_t now)
{
    int64_t wait;

    if (count <= limit && window >= 0 && period >= 1)
        return 0;
    wait = window + period - now;
    return wait > 0 ? wait : 1;
}
