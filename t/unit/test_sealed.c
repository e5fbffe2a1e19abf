/*
 * Sealed strings: they open with the secret that sealed them (or another
 * listed one), for their own kind only, and not once a byte changes.
 */
#include "unit.h"

#include "sealed.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Record MACs: bound to the key and the value, any secret checks, a
 * flipped bit anywhere fails, and the key's length is part of it. */
static void test_records(void)
{
    static const unsigned char k1[] = "0123456789abcdef0123456789abcdef";
    static const unsigned char k2[] = "fedcba9876543210fedcba9876543210";
    mcp_hmac *h1 = mcp_hmac_new(k1, 32), *h2 = mcp_hmac_new(k2, 32),
             *h16 = mcp_hmac_new(k1, 16);
    mcp_secret s1 = {32, h1}, s2 = {32, h2}, shortk = {16, h16};
    mcp_secret both[] = {s2, s1}, only2[] = {s2};
    const unsigned char key[] = "abcdefghijklmnopqrstuv:G", val[] = "12345678";
    unsigned char mac[MCP_RECORD_MAC_LEN], other[MCP_RECORD_MAC_LEN];
    unsigned char big[300];
    size_t i;

    CHECK_INT(mcp_record_mac(key, 24, val, 8, &s1, mac), 0);
    CHECK_INT(mcp_record_check(key, 24, val, 8, mac, &s1, 1), 0);
    CHECK_INT(mcp_record_check(key, 24, val, 8, mac, both, 2), 0);
    CHECK_INT(mcp_record_check(key, 24, val, 8, mac, only2, 1), -1);
    CHECK_INT(mcp_record_check(key, 24, val, 8, mac, NULL, 0), -1);
    CHECK_INT(mcp_record_check(key, 24, val, 7, mac, &s1, 1), -1);
    CHECK_INT(mcp_record_check(key, 23, val, 8, mac, &s1, 1), -1);
    for (i = 0; i < sizeof(mac) * 8; i++) {
        memcpy(other, mac, sizeof(mac));
        other[i / 8] ^= (unsigned char)(1u << (i % 8));
        CHECK_INT(mcp_record_check(key, 24, val, 8, other, &s1, 1), -1);
    }
    /* Key and value do not slide into each other. */
    CHECK_INT(mcp_record_mac(key, 23, key + 23, 1, &s1, other), 0);
    CHECK_INT(mcp_record_mac(key, 24, NULL, 0, &s1, mac), 0);
    CHECK(memcmp(mac, other, sizeof(mac)) != 0);
    /* An empty value is a record too (a grant, a code). */
    CHECK_INT(mcp_record_check(key, 24, NULL, 0, mac, &s1, 1), 0);
    /* Refused: a short secret, a key too long, a value too long. */
    memset(big, 'k', sizeof(big));
    CHECK_INT(mcp_record_mac(key, 24, val, 8, &shortk, mac), -1);
    CHECK_INT(mcp_record_mac(big, 256, val, 8, &s1, mac), -1);
    CHECK_INT(mcp_record_mac(key, 24, big, 65, &s1, mac), -1);
    CHECK_INT(mcp_record_mac(big, 255, big, 64, &s1, mac), 0);
    mcp_hmac_free(h1);
    mcp_hmac_free(h2);
    mcp_hmac_free(h16);
}

/* The prepared HMAC: RFC 4231's test case 2; a secret seals and opens
 * only in its prepared form, and its MAC is HMAC-SHA-256 of its bytes. */
static void test_prepared_hmac(void)
{
    static const unsigned char want[32] = {
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
        0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
        0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    static const char data[] = "what do ya want for nothing?";
    unsigned char k1[32], mac[32], payload[64];
    mcp_hmac *jefe = mcp_hmac_new((const unsigned char *)"Jefe", 4);
    mcp_hmac *prepared;
    mcp_secret plain, ready;
    char a[256], b[256];
    size_t n = 0;

    CHECK(jefe != NULL);
    CHECK_INT(mcp_hmac_sha256(jefe, (const unsigned char *)data,
                              strlen(data), mac),
              0);
    CHECK(memcmp(mac, want, 32) == 0);
    CHECK_INT(mcp_hmac_sha256(NULL, (const unsigned char *)data, 1, mac), -1);
    CHECK(mcp_hmac_new(NULL, 4) == NULL);
    CHECK(mcp_hmac_new((const unsigned char *)"Jefe", 0) == NULL);
    mcp_hmac_free(jefe);

    memset(k1, 0x5a, sizeof(k1));
    prepared = mcp_hmac_new(k1, sizeof(k1));
    CHECK(prepared != NULL);
    plain = (mcp_secret){sizeof(k1), NULL};
    ready = (mcp_secret){sizeof(k1), prepared};
    /* Without its prepared form a secret seals and opens nothing. */
    CHECK_INT(mcp_seal("code", (const unsigned char *)"abc", 3, &plain, a,
                       sizeof(a)),
              -1);
    CHECK_INT(mcp_seal("code", (const unsigned char *)"abc", 3, &ready, b,
                       sizeof(b)),
              0);
    CHECK_INT(mcp_unseal("code", b, strlen(b), &plain, 1, payload, &n), -1);
    CHECK_INT(mcp_unseal("code", b, strlen(b), &ready, 1, payload, &n), 0);
    CHECK_INT(n, 3);
    /* The MAC is HMAC-SHA-256 of the kind, a NUL and the payload: the same
     * as OpenSSL's own HMAC() over those bytes. */
    CHECK(HMAC(EVP_sha256(), k1, sizeof(k1), (const unsigned char *)"code\0abc",
               8, mac, NULL) != NULL);
    mcp_b64url_encode(mac, 32, a);
    CHECK_STR(strrchr(b, '.') + 1, a);
    mcp_hmac_free(prepared);
}

int main(void)
{
    static const unsigned char k1[] = "0123456789abcdef0123456789abcdef";
    static const unsigned char k2[] = "fedcba9876543210fedcba9876543210";
    mcp_hmac *h1 = mcp_hmac_new(k1, 32), *h2 = mcp_hmac_new(k2, 32),
             *h16 = mcp_hmac_new(k1, 16);
    mcp_secret s1 = {32, h1}, s2 = {32, h2}, shortk = {16, h16};
    mcp_secret both[] = {s2, s1}, only2[] = {s2};
    const unsigned char payload[] = "{\"redirect_uris\":[\"http://localhost/cb\"]}";
    size_t n = sizeof(payload) - 1, outlen = 0;
    unsigned char out[MCP_SEALED_MAX_PAYLOAD];
    char sealed[4096], tampered[4096];
    size_t len, i;
    int all_refused = 1;

    test_records();

    CHECK_INT(mcp_seal("client", payload, n, &s1, sealed, sizeof(sealed)), 0);
    len = strlen(sealed);
    CHECK_INT(len, mcp_sealed_len("client", n));
    CHECK(strncmp(sealed, "client.", 7) == 0);
    CHECK(strchr(sealed, '=') == NULL && strchr(sealed, '+') == NULL);

    /* Opens with its secret, first or not in the list. */
    CHECK_INT(mcp_unseal("client", sealed, len, &s1, 1, out, &outlen), 0);
    CHECK_INT(outlen, n);
    CHECK(memcmp(out, payload, n) == 0);
    CHECK_INT(mcp_unseal("client", sealed, len, both, 2, out, &outlen), 0);
    /* Not with another secret, not as another kind. */
    CHECK_INT(mcp_unseal("client", sealed, len, only2, 1, out, &outlen), -1);
    CHECK_INT(mcp_unseal("code", sealed, len, &s1, 1, out, &outlen), -1);
    CHECK_INT(mcp_unseal("client", sealed, len, NULL, 0, out, &outlen), -1);
    /* Every single changed character refuses it. */
    for (i = 0; i < len; i++) {
        memcpy(tampered, sealed, len + 1);
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        if (mcp_unseal("client", tampered, len, &s1, 1, out, &outlen) == 0)
            all_refused = 0;
    }
    CHECK(all_refused);
    /* Truncated, extended, empty. */
    CHECK_INT(mcp_unseal("client", sealed, len - 1, &s1, 1, out, &outlen), -1);
    memcpy(tampered, sealed, len);
    memcpy(tampered + len, "AA", 3);
    CHECK_INT(mcp_unseal("client", tampered, len + 2, &s1, 1, out, &outlen), -1);
    CHECK_INT(mcp_unseal("client", "", 0, &s1, 1, out, &outlen), -1);
    CHECK_INT(mcp_unseal("client", "client..", 8, &s1, 1, out, &outlen), -1);

    /* What cannot be sealed. */
    CHECK_INT(mcp_seal("client", payload, n, &shortk, sealed, sizeof(sealed)), -1);
    CHECK_INT(mcp_seal("Client", payload, n, &s1, sealed, sizeof(sealed)), -1);
    CHECK_INT(mcp_seal("a.b", payload, n, &s1, sealed, sizeof(sealed)), -1);
    CHECK_INT(mcp_seal("client", payload, n, &s1, sealed, 10), -1);
    CHECK_INT(mcp_seal("client", out, MCP_SEALED_MAX_PAYLOAD + 1, &s1, sealed,
                       sizeof(sealed)),
              -1);
    /* An empty payload is a payload. */
    CHECK_INT(mcp_seal("code", payload, 0, &s1, sealed, sizeof(sealed)), 0);
    CHECK_INT(mcp_unseal("code", sealed, strlen(sealed), &s1, 1, out, &outlen), 0);
    CHECK_INT(outlen, 0);
    test_prepared_hmac();
    mcp_hmac_free(h1);
    mcp_hmac_free(h2);
    mcp_hmac_free(h16);
    return UNIT_DONE("sealed");
}
