/*
 * Sealed strings: what an authorization server hands out that is not a
 * token (client ids, authorization codes, refresh tokens), opaque to the
 * client and MAC'd with secrets of their own, so that no store is needed
 * to trust them and nobody can forge one.  Never signed with the token
 * keys: a sealed string is no bearer token anywhere.  No httpd header.
 *
 * Form: <kind>.<base64url payload>.<base64url HMAC-SHA-256>, the MAC over
 * the kind, a NUL and the payload.  Several secrets rotate as the token
 * keys do: the first seals, every one opens.
 */
#ifndef MCP_SEALED_H
#define MCP_SEALED_H

#include <stddef.h>

#include "jwt.h"

/* Payloads of at most this many bytes (grants with many roles; client
 * ids have a lower limit of their own, grant.h). */
#define MCP_SEALED_MAX_PAYLOAD 4096
/* Secrets of at least this many bytes. */
#define MCP_SEALED_MIN_SECRET 32

/* A secret, held only in its prepared form: mcp_hmac_new() of its bytes,
 * made once where the secret is read, and how many bytes it had.  A
 * secret without its prepared form seals and opens nothing. */
typedef struct {
    size_t len;
    const mcp_hmac *hmac;
} mcp_secret;

/* Characters the sealed form of a payload of n bytes takes, with kind and
 * without the NUL. */
size_t mcp_sealed_len(const char *kind, size_t n);

/* Seals payload (n bytes) as kind (1 to 16 characters of [a-z_]) with
 * secret into out (room for mcp_sealed_len() + 1).  Returns 0, or -1 for
 * a bad kind, a short secret, a payload too large or a failing MAC. */
int mcp_seal(const char *kind, const unsigned char *payload, size_t n,
             const mcp_secret *secret, char *out, size_t outsize);

/* Opens text of the given kind with any of the secrets: 0 with the
 * payload in out (room for MCP_SEALED_MAX_PAYLOAD bytes) and *outlen, or
 * -1 when it is malformed, of another kind, or sealed by none of them
 * (compared in constant time). */
int mcp_unseal(const char *kind, const char *text, size_t len,
               const mcp_secret *secrets, size_t n_secrets,
               unsigned char *out, size_t *outlen);

/* Records in a store that others may write to (a farm's Redis): a MAC
 * binds each value to its key, so that a record written by anyone without
 * the secrets is no record.  HMAC-SHA-256 under the kind "record" over
 * the key's length (one byte), the key and the value, cut to this many
 * bytes. */
#define MCP_RECORD_MAC_LEN 16
#define MCP_RECORD_MAX_KEY 255

/* Writes the MAC of value (n bytes) under key with secret.  0, or -1 for
 * a key or value too long, a short secret or a failing MAC. */
int mcp_record_mac(const unsigned char *key, size_t klen,
                   const unsigned char *value, size_t n,
                   const mcp_secret *secret,
                   unsigned char mac[MCP_RECORD_MAC_LEN]);

/* 0 when mac is the MAC of value under key with any of the secrets
 * (compared in constant time), -1 otherwise. */
int mcp_record_check(const unsigned char *key, size_t klen,
                     const unsigned char *value, size_t n,
                     const unsigned char mac[MCP_RECORD_MAC_LEN],
                     const mcp_secret *secrets, size_t n_secrets);

#endif /* MCP_SEALED_H */
