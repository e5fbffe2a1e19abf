/*
 * Sealed strings: they open with the secret that sealed them (or another
 * listed one), for their own kind only, and not once a byte changes.
 */
#include "unit.h"

#include "sealed.h"

int main(void)
{
    static const unsigned char k1[] = "0123456789abcdef0123456789abcdef";
    static const unsigned char k2[] = "fedcba9876543210fedcba9876543210";
    mcp_secret s1 = {k1, 32}, s2 = {k2, 32}, shortk = {k1, 16};
    mcp_secret both[] = {s2, s1}, only2[] = {s2};
    const unsigned char payload[] = "{\"redirect_uris\":[\"http://localhost/cb\"]}";
    size_t n = sizeof(payload) - 1, outlen = 0;
    unsigned char out[MCP_SEALED_MAX_PAYLOAD];
    char sealed[4096], tampered[4096];
    size_t len, i;
    int all_refused = 1;

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
    return UNIT_DONE("sealed");
}
