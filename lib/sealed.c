/*
 * Sealed strings: HMAC-SHA-256 over kind, NUL, payload.
 */
#include "sealed.h"

#include <string.h>

#include <openssl/crypto.h>

#define MAC_LEN 32
#define MAX_KIND 16

static int kind_valid(const char *kind)
{
    size_t i, n = kind ? strlen(kind) : 0;
    if (n == 0 || n > MAX_KIND)
        return 0;
    for (i = 0; i < n; i++)
        if (!((kind[i] >= 'a' && kind[i] <= 'z') || kind[i] == '_'))
            return 0;
    return 1;
}

static int mac_of(const char *kind, const unsigned char *payload, size_t n,
                  const mcp_secret *secret, unsigned char mac[MAC_LEN])
{
    unsigned char msg[MAX_KIND + 1 + MCP_SEALED_MAX_PAYLOAD];
    size_t kl = strlen(kind);

    if (!secret || !secret->hmac || secret->len < MCP_SEALED_MIN_SECRET ||
        n > MCP_SEALED_MAX_PAYLOAD)
        return -1;
    memcpy(msg, kind, kl);
    msg[kl] = '\0';
    memcpy(msg + kl + 1, payload, n);
    return mcp_hmac_sha256(secret->hmac, msg, kl + 1 + n, mac);
}

size_t mcp_sealed_len(const char *kind, size_t n)
{
    return strlen(kind) + 1 + mcp_b64url_encoded_len(n) + 1 +
           mcp_b64url_encoded_len(MAC_LEN);
}

int mcp_seal(const char *kind, const unsigned char *payload, size_t n,
             const mcp_secret *secret, char *out, size_t outsize)
{
    unsigned char mac[MAC_LEN];
    size_t at;

    if (!kind_valid(kind) || n > MCP_SEALED_MAX_PAYLOAD ||
        outsize < mcp_sealed_len(kind, n) + 1 ||
        mac_of(kind, payload, n, secret, mac) != 0)
        return -1;
    at = strlen(kind);
    memcpy(out, kind, at);
    out[at++] = '.';
    at += mcp_b64url_encode(payload, n, out + at);
    out[at++] = '.';
    mcp_b64url_encode(mac, MAC_LEN, out + at);
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

int mcp_unseal(const char *kind, const char *text, size_t len,
               const mcp_secret *secrets, size_t n_secrets,
               unsigned char *out, size_t *outlen)
{
    unsigned char got[MAC_LEN + 3], want[MAC_LEN];
    const char *dot1, *dot2, *end = text + len;
    size_t kl, n = 0, glen = 0, i;
    int ok = 0;

    if (!kind_valid(kind) || !text)
        return -1;
    kl = strlen(kind);
    if (len < kl + 2 || memcmp(text, kind, kl) != 0 || text[kl] != '.')
        return -1;
    dot1 = text + kl;
    dot2 = memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1));
    if (!dot2 || (size_t)(dot2 - dot1 - 1) >
                     mcp_b64url_encoded_len(MCP_SEALED_MAX_PAYLOAD) ||
        (size_t)(end - dot2 - 1) != mcp_b64url_encoded_len(MAC_LEN))
        return -1;
    if (mcp_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), out, &n) != 0 ||
        mcp_b64url_decode(dot2 + 1, (size_t)(end - dot2 - 1), got, &glen) !=
            0 ||
        glen != MAC_LEN || n > MCP_SEALED_MAX_PAYLOAD)
        return -1;
    /* Every secret is tried, so the time says nothing about which one. */
    for (i = 0; i < n_secrets; i++)
        if (mac_of(kind, out, n, &secrets[i], want) == 0)
            ok |= CRYPTO_memcmp(want, got, MAC_LEN) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    if (!ok)
        return -1;
    *outlen = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

int mcp_record_mac(const unsigned char *key, size_t klen,
                   const unsigned char *value, size_t n,
                   const mcp_secret *secret,
                   unsigned char mac[MCP_RECORD_MAC_LEN])
{
    unsigned char msg[1 + MCP_RECORD_MAX_KEY + 64], full[MAC_LEN];

    if (!key || klen > MCP_RECORD_MAX_KEY || n > 64 || (n && !value))
        return -1;
    msg[0] = (unsigned char)klen;
    memcpy(msg + 1, key, klen);
    if (n)
        memcpy(msg + 1 + klen, value, n);
    if (mac_of("record", msg, 1 + klen + n, secret, full) != 0)
        return -1;
    memcpy(mac, full, MCP_RECORD_MAC_LEN);
    OPENSSL_cleanse(full, sizeof(full));
    return 0;
}

int mcp_record_check(const unsigned char *key, size_t klen,
                     const unsigned char *value, size_t n,
                     const unsigned char mac[MCP_RECORD_MAC_LEN],
                     const mcp_secret *secrets, size_t n_secrets)
{
    unsigned char want[MCP_RECORD_MAC_LEN];
    size_t i;
    int ok = 0;

    for (i = 0; mac && i < n_secrets; i++)
        if (mcp_record_mac(key, klen, value, n, &secrets[i], want) == 0)
            ok |= CRYPTO_memcmp(want, mac, MCP_RECORD_MAC_LEN) == 0;
    return ok ? 0 : -1;
}
