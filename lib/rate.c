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

void mcp_rate_encode(const mcp_rate_counter *c,
                     unsigned char out[MCP_RATE_RECORD_LEN])
{
    int i;
    for (i = 0; i < 8; i++)
        out[i] = (unsigned char)(c->window >> (56 - 8 * i));
    for (i = 0; i < 4; i++)
        out[8 + i] = (unsigned char)(c->count >> (24 - 8 * i));
}

int mcp_rate_decode(const unsigned char *in, size_t len, mcp_rate_counter *c)
{
    int i;
    if (len != MCP_RATE_RECORD_LEN)
        return -1;
    c->window = 0;
    c->count = 0;
    for (i = 0; i < 8; i++)
        c->window = (c->window << 8) | in[i];
    for (i = 0; i < 4; i++)
        c->count = (c->count << 8) | in[8 + i];
    return 0;
}

int64_t mcp_rate_take(mcp_rate_counter *c, int have, int64_t now,
                      uint32_t limit, int64_t period)
{
    uint64_t window;

    if (period < 1 || now < 0)
        return 1;
    window = (uint64_t)(now - now % period);
    if (!have || c->window < window) {
        c->window = window;
        c->count = 0;
    }
    if (c->count >= limit) {
        int64_t wait = (int64_t)c->window + period - now;
        return wait > 0 ? wait : 1;
    }
    c->count++;
    return 0;
}
