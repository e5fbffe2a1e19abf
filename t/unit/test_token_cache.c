/*
 * The verified-token cache: hits, misses, replacement, expiry, copies that
 * outlive their source, bounded size.
 */
#include "unit.h"

#include <stdlib.h>

#include "token_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

/* Keys: what changes a key, and a failure that must never yield one. */
static void test_keys(void)
{
    unsigned char a[32], b[32], zero[32] = {0};
    EVP_MD *sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    EVP_MD *sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
    OSSL_LIB_CTX *broken;
    OSSL_PROVIDER *null_provider;

    CHECK(sha256 != NULL && sha512 != NULL);
    CHECK_INT(mcp_token_cache_key(sha256, "t1", 2, "iss", NULL, a), 0);
    CHECK_INT(mcp_token_cache_key(sha256, "t1", 2, "iss", NULL, b), 0);
    CHECK(memcmp(a, b, 32) == 0);
    CHECK(memcmp(a, zero, 32) != 0);
    CHECK_INT(mcp_token_cache_key(sha256, "t2", 2, "iss", NULL, b), 0);
    CHECK(memcmp(a, b, 32) != 0);
    CHECK_INT(mcp_token_cache_key(sha256, "t1", 2, "iss", "aud", b), 0);
    CHECK(memcmp(a, b, 32) != 0);
    CHECK_INT(mcp_token_cache_key(sha256, "t1", 2, "is", "saud", a), 0);
    CHECK(memcmp(a, b, 32) != 0);
    CHECK_INT(mcp_token_cache_key(sha256, NULL, 0, "iss", NULL, a), -1);
    /* A digest of another size is refused, not cut to size. */
    CHECK_INT(mcp_token_cache_key(sha512, "t1", 2, "iss", NULL, a), -1);

    /* A library context without SHA-256 (only the null provider): no
     * digest can be fetched, and the key of what could not be fetched
     * cannot be computed; the answer says so instead of handing back a
     * key every failed token would share. */
    broken = OSSL_LIB_CTX_new();
    null_provider = broken ? OSSL_PROVIDER_load(broken, "null") : NULL;
    CHECK(null_provider != NULL);
    CHECK(EVP_MD_fetch(broken, "SHA2-256", NULL) == NULL);
    memset(a, 0, sizeof(a));
    CHECK_INT(mcp_token_cache_key(NULL, "t1", 2, "iss", NULL, a), -1);
    CHECK_INT(mcp_token_cache_key(NULL, "t2", 2, "iss", NULL, b), -1);
    OSSL_PROVIDER_unload(null_provider);
    OSSL_LIB_CTX_free(broken);
    EVP_MD_free(sha256);
    EVP_MD_free(sha512);
}

static void key_of(unsigned char key[MCP_TOKEN_CACHE_KEY_LEN], unsigned n)
{
    size_t i;
    /* Spread like a digest: every byte depends on n. */
    for (i = 0; i < MCP_TOKEN_CACHE_KEY_LEN; i++)
        key[i] = (unsigned char)((n * 2654435761u) >> (i % 4 * 8)) ^
                 (unsigned char)i;
}

int main(void)
{
    mcp_token_cache *cache;
    unsigned char k1[32], k2[32], same_slot[32];
    const mcp_cached_token *hit;
    char sub[16] = "alice", role[16] = "ROLE_USER";
    const char *roles[] = {role, "ROLE_ADMIN"};
    mcp_cached_token t = {0};
    unsigned i;

    CHECK(mcp_token_cache_create(0) == NULL);
    cache = mcp_token_cache_create(3);
    CHECK(cache != NULL);
    key_of(k1, 1);
    key_of(k2, 2);

    t.sub = sub;
    t.jti = "jti-1";
    t.iat = 100;
    t.nbf = 100;
    t.exp = 4102444800LL; /* 2100: 64-bit times */
    t.has_iat = t.has_nbf = 1;
    t.authorities = roles;
    t.n_authorities = 2;

    CHECK(mcp_token_cache_get(cache, k1, 0) == NULL);
    CHECK_INT(mcp_token_cache_put(cache, k1, &t), 0);
    CHECK_INT(mcp_token_cache_size(cache), 1);

    /* The entry is a copy: the source may change or go. */
    strcpy(sub, "mallory");
    strcpy(role, "ROLE_GOD");
    hit = mcp_token_cache_get(cache, k1, 0);
    CHECK(hit != NULL);
    if (hit) {
        CHECK_STR(hit->sub, "alice");
        CHECK_STR(hit->jti, "jti-1");
        CHECK_INT(hit->exp, 4102444800LL);
        CHECK_INT(hit->iat, 100);
        CHECK_INT(hit->n_authorities, 2);
        CHECK_STR(hit->authorities[0], "ROLE_USER");
        CHECK_STR(hit->authorities[1], "ROLE_ADMIN");
        CHECK(hit->authorities[2] == NULL);
    }
    CHECK(mcp_token_cache_get(cache, k2, 0) == NULL);

    /* A different key in the same slot replaces, and the old one misses. */
    memcpy(same_slot, k1, sizeof(k1));
    same_slot[31] ^= 0xff;
    t.sub = "bob";
    t.jti = NULL;
    t.n_authorities = 0;
    CHECK_INT(mcp_token_cache_put(cache, same_slot, &t), 0);
    CHECK_INT(mcp_token_cache_size(cache), 1);
    CHECK(mcp_token_cache_get(cache, k1, 0) == NULL);
    hit = mcp_token_cache_get(cache, same_slot, 0);
    CHECK(hit != NULL && hit->jti == NULL && hit->n_authorities == 0);
    if (hit)
        CHECK_STR(hit->sub, "bob");

    /* Expired entries are dropped on sight. */
    CHECK(mcp_token_cache_get(cache, same_slot, 4102444800LL) == NULL);
    CHECK_INT(mcp_token_cache_size(cache), 0);
    CHECK(mcp_token_cache_get(cache, same_slot, 0) == NULL);

    /* No subject, nothing stored. */
    t.sub = NULL;
    CHECK_INT(mcp_token_cache_put(cache, k2, &t), -1);
    CHECK_INT(mcp_token_cache_size(cache), 0);
    mcp_token_cache_free(cache);

    /* Bounded: many more tokens than slots never hold more than the
     * capacity (rounded up to 1024). */
    cache = mcp_token_cache_create(1000);
    t.sub = "carol";
    for (i = 0; i < 20000; i++) {
        unsigned char k[32];
        key_of(k, i);
        mcp_token_cache_put(cache, k, &t);
    }
    CHECK(mcp_token_cache_size(cache) <= 1024);
    CHECK(mcp_token_cache_size(cache) > 500);
    {
        unsigned char k[32];
        key_of(k, 19999);
        CHECK(mcp_token_cache_get(cache, k, 0) != NULL);
    }
    mcp_token_cache_free(cache);
    mcp_token_cache_free(NULL);

    test_keys();
    return UNIT_DONE("token_cache");
}
