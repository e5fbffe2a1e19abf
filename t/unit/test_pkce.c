/*
 * PKCE S256: RFC 7636's own example, and what is refused.
 */
#include "unit.h"

#include "pkce.h"

int main(void)
{
    /* RFC 7636, appendix B. */
    const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const char *c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    char long_v[130];

    CHECK(mcp_pkce_verifier_valid(v));
    CHECK(mcp_pkce_challenge_valid(c));
    CHECK(mcp_pkce_s256_matches(v, c));
    /* One character off on either side. */
    CHECK(!mcp_pkce_s256_matches("eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c));
    CHECK(!mcp_pkce_s256_matches(v, "F9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    /* "plain": the challenge is the verifier itself; never accepted. */
    CHECK(!mcp_pkce_s256_matches(v, v));
    /* Verifiers: 43 to 128 unreserved characters. */
    CHECK(!mcp_pkce_verifier_valid("short"));
    CHECK(!mcp_pkce_verifier_valid(NULL));
    CHECK(!mcp_pkce_verifier_valid("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX"));
    CHECK(!mcp_pkce_verifier_valid("dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    memset(long_v, 'a', 128);
    long_v[128] = '\0';
    CHECK(mcp_pkce_verifier_valid(long_v));
    long_v[128] = 'a';
    long_v[129] = '\0';
    CHECK(!mcp_pkce_verifier_valid(long_v));
    /* Challenges: 43 base64url characters, no padding. */
    CHECK(!mcp_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="));
    CHECK(!mcp_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
    CHECK(!mcp_pkce_challenge_valid(NULL));
    CHECK(!mcp_pkce_s256_matches(NULL, c));
    return UNIT_DONE("pkce");
}
