/*
 * A bounded cache of verified bearer tokens, so that a client sending the
 * same token again costs a hash and a lookup instead of an RSA
 * verification.  No httpd header; not thread-safe by itself: the caller
 * holds a lock around each call.
 *
 * Keys are digests (SHA-256 of the token and of what it was checked
 * against), never tokens.  What is kept is what the token said; the caller
 * re-checks exp and nbf against the clock (and revocation) on every hit.
 */
#ifndef MCP_TOKEN_CACHE_H
#define MCP_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define MCP_TOKEN_CACHE_KEY_LEN 32

/* What a verified token said.  In an entry, every pointer points into the
 * entry's own memory. */
typedef struct {
    const char *sub;
    const char *jti;                /* NULL when absent */
    int64_t iat, nbf, exp;
    int has_iat, has_nbf;
    const char *const *authorities;
    size_t n_authorities;
} mcp_cached_token;

typedef struct mcp_token_cache mcp_token_cache;

/* A cache of at most capacity entries (rounded up to a power of two, at
 * most 1 << 20).  NULL when out of memory or capacity is 0. */
mcp_token_cache *mcp_token_cache_create(size_t capacity);

void mcp_token_cache_free(mcp_token_cache *cache);

/* The entry for key, or NULL.  Entries whose exp is at or before
 * drop_before are treated as absent and dropped.  The result is valid
 * until the next call on the cache. */
const mcp_cached_token *mcp_token_cache_get(
    mcp_token_cache *cache, const unsigned char key[MCP_TOKEN_CACHE_KEY_LEN],
    int64_t drop_before);

/* Stores a copy of token under key, replacing whatever shared its slot.
 * Returns 0, or -1 when out of memory (the cache is unchanged then). */
int mcp_token_cache_put(mcp_token_cache *cache,
                        const unsigned char key[MCP_TOKEN_CACHE_KEY_LEN],
                        const mcp_cached_token *token);

/* The key of a token checked against issuer and audience (NULL: none): its
 * SHA-256 by sha256, which the caller fetched once (EVP_MD_fetch: a fetch
 * a request would cost a lookup in OpenSSL's shared method store).
 * Returns 0, or -1 when no digest could be computed (sha256 NULL or not a
 * 32-byte digest); the caller must then neither look the token up nor
 * store it, so a failure can never make two tokens share an entry. */
int mcp_token_cache_key(const EVP_MD *sha256, const char *token, size_t len,
                        const char *issuer, const char *audience,
                        unsigned char key[MCP_TOKEN_CACHE_KEY_LEN]);

/* Entries held now. */
size_t mcp_token_cache_size(const mcp_token_cache *cache);

#endif /* MCP_TOKEN_CACHE_H */
