/*
 * A direct-mapped table of verified tokens: the key's first bytes pick the
 * slot, a newcomer replaces whatever was there.  Bounded memory, O(1)
 * work, no eviction bookkeeping; the key is a cryptographic digest, so
 * slots are filled evenly and nobody can aim at one.
 */
#include "token_cache.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define MAX_CAPACITY ((size_t)1 << 20)

typedef struct {
    unsigned char key[MCP_TOKEN_CACHE_KEY_LEN];
    mcp_cached_token token;
    void *memory;               /* one block: the strings and the array */
} slot;

struct mcp_token_cache {
    slot *slots;
    size_t mask;
    size_t used;
};

mcp_token_cache *mcp_token_cache_create(size_t capacity)
{
    mcp_token_cache *cache;
    size_t n = 1;

    if (capacity == 0)
        return NULL;
    if (capacity > MAX_CAPACITY)
        capacity = MAX_CAPACITY;
    while (n < capacity)
        n <<= 1;
    cache = calloc(1, sizeof(*cache));
    if (!cache)
        return NULL;
    cache->slots = calloc(n, sizeof(slot));
    if (!cache->slots) {
        free(cache);
        return NULL;
    }
    cache->mask = n - 1;
    return cache;
}

static void clear_slot(mcp_token_cache *cache, slot *s)
{
    if (s->memory) {
        free(s->memory);
        cache->used--;
    }
    memset(s, 0, sizeof(*s));
}

void mcp_token_cache_free(mcp_token_cache *cache)
{
    size_t i;
    if (!cache)
        return;
    for (i = 0; i <= cache->mask; i++)
        free(cache->slots[i].memory);
    free(cache->slots);
    free(cache);
}

static slot *slot_of(const mcp_token_cache *cache, const unsigned char *key)
{
    size_t h = 0;
    size_t i;
    for (i = 0; i < sizeof(size_t); i++)
        h = (h << 8) | key[i];
    return &cache->slots[h & cache->mask];
}

const mcp_cached_token *mcp_token_cache_get(
    mcp_token_cache *cache, const unsigned char key[MCP_TOKEN_CACHE_KEY_LEN],
    int64_t drop_before)
{
    slot *s = slot_of(cache, key);
    if (!s->memory || memcmp(s->key, key, MCP_TOKEN_CACHE_KEY_LEN) != 0)
        return NULL;
    if (s->token.exp <= drop_before) {
        clear_slot(cache, s);
        return NULL;
    }
    return &s->token;
}

/* Copies a string into the block; returns the copy. */
static const char *put_string(char **at, const char *str)
{
    size_t n = strlen(str) + 1;
    char *copy = *at;
    memcpy(copy, str, n);
    *at += n;
    return copy;
}

int mcp_token_cache_put(mcp_token_cache *cache,
                        const unsigned char key[MCP_TOKEN_CACHE_KEY_LEN],
                        const mcp_cached_token *token)
{
    slot *s = slot_of(cache, key);
    size_t bytes = (token->n_authorities + 1) * sizeof(char *);
    const char **array;
    char *text;
    void *memory;
    size_t i;

    if (!token->sub)
        return -1;
    bytes += strlen(token->sub) + 1;
    if (token->jti)
        bytes += strlen(token->jti) + 1;
    for (i = 0; i < token->n_authorities; i++)
        bytes += strlen(token->authorities[i]) + 1;
    memory = malloc(bytes);
    if (!memory)
        return -1;

    clear_slot(cache, s);
    array = memory;
    text = (char *)(array + token->n_authorities + 1);
    memcpy(s->key, key, MCP_TOKEN_CACHE_KEY_LEN);
    s->token = *token;
    s->token.sub = put_string(&text, token->sub);
    s->token.jti = token->jti ? put_string(&text, token->jti) : NULL;
    for (i = 0; i < token->n_authorities; i++)
        array[i] = put_string(&text, token->authorities[i]);
    array[token->n_authorities] = NULL;
    s->token.authorities = array;
    s->memory = memory;
    cache->used++;
    return 0;
}

size_t mcp_token_cache_size(const mcp_token_cache *cache)
{
    return cache->used;
}

int mcp_token_cache_key(const EVP_MD *sha256, const char *token, size_t len,
                        const char *issuer, const char *audience,
                        unsigned char key[MCP_TOKEN_CACHE_KEY_LEN])
{
    const char *iss = issuer ? issuer : "";
    const char *aud = audience ? audience : "";
    EVP_MD_CTX *ctx =
        sha256 && EVP_MD_get_size(sha256) == MCP_TOKEN_CACHE_KEY_LEN
            ? EVP_MD_CTX_new()
            : NULL;
    unsigned int n = 0;
    int ok;

    /* The issuer and audience with their NULs: ("a", "bc") and ("ab", "c")
     * differ, and neither can contain a NUL. */
    ok = ctx && token && EVP_DigestInit_ex(ctx, sha256, NULL) &&
         EVP_DigestUpdate(ctx, iss, strlen(iss) + 1) &&
         EVP_DigestUpdate(ctx, aud, strlen(aud) + 1) &&
         EVP_DigestUpdate(ctx, token, len) &&
         EVP_DigestFinal_ex(ctx, key, &n) && n == MCP_TOKEN_CACHE_KEY_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}
