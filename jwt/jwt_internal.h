/*
 * What the .c files of jwt/ share with each other and with their unit
 * tests, but not with the rest of the project: the layout of a loaded key,
 * the standard-alphabet Base64 used for DER key text, and error formatting.
 */
#ifndef MCP_JWT_INTERNAL_H
#define MCP_JWT_INTERNAL_H

#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jwt.h"

/* Largest RSA modulus accepted, in bits: OpenSSL's own limit for RSA
 * operations, so that a key that loads can also sign and verify. */
#define MCP_JWT_MAX_RSA_BITS 16384

/* An RFC 7638 thumbprint: base64url of a SHA-256 digest. */
#define MCP_JWT_KID_LEN 43

/* Everything signing and verifying need per call is computed once at load
 * time, so a key shared between threads is only ever read, but for its
 * prepared contexts, which are copied under its lock (prepared.c). */
struct mcp_jwt_key {
    EVP_PKEY *pkey;
    int is_private;
    int bits;
    size_t sig_len;
    char kid[MCP_JWT_KID_LEN + 1];
    char *n_b64url;      /* modulus, big-endian, no leading zero byte */
    char *e_b64url;      /* public exponent, likewise */
    char *header_b64url; /* the protected header of every token it signs */
    size_t header_b64url_len;
    int has_hmac_secret;
    unsigned char hmac_secret[32];
    EVP_MD_CTX *rs512_sign;   /* private keys only */
    EVP_MD_CTX *rs512_verify;
    mcp_hmac *hmac;           /* keys with an HMAC secret only */
    CRYPTO_RWLOCK *prepared_lock;
};

/* The key's contexts, prepared once (prepared.c): RS512 (PKCS#1 v1.5,
 * SHA-512) for verifying, for signing when the key is private, and
 * HMAC-SHA-256 under the secret when it has one.  Returns 0, or -1
 * (nothing prepared). */
int mcp_jwt_prepare(mcp_jwt_key *key);
void mcp_jwt_prepared_release(mcp_jwt_key *key);

/* A context of the caller's own, ready for one EVP_DigestSign (sign) or
 * EVP_DigestVerify: a copy of the prepared one.  NULL on failure.  Free
 * it with EVP_MD_CTX_free(). */
EVP_MD_CTX *mcp_rs512_begin(const mcp_jwt_key *key, int sign);

/* Standard Base64 (RFC 4648 section 4), one line, padded, NUL-terminated;
 * malloc'd.  NULL when out of memory. */
char *mcp_b64_encode_alloc(const unsigned char *in, size_t n);

/* Standard Base64 as key text holds it: ASCII whitespace anywhere is
 * skipped, '=' padding is optional but only at the end, and the unused
 * bits of the last character must be zero.  out needs (len * 3) / 4 bytes.
 * Returns 0 and sets *outlen, or -1. */
int mcp_b64_decode_key_text(const char *in, size_t len, unsigned char *out,
                            size_t *outlen);

/* base64url of in, malloc'd and NUL-terminated; NULL when out of memory. */
char *mcp_b64url_encode_alloc(const unsigned char *in, size_t n);

/* snprintf into err when err is not NULL; always returns -1 so that a
 * failing path can end in "return mcp_jwt_fail(...)". */
int mcp_jwt_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Builds a key from a decoded EVP_PKEY, which it takes over (freed on
 * failure too): refuses what is not a plain RSA key of an accepted size and
 * precomputes the kid, the header and the HMAC secret. */
int mcp_jwt_key_from_pkey(EVP_PKEY *pkey, mcp_jwt_key **out, char *err,
                          size_t errlen);

/* cJSON_PrintUnformatted() into memory from malloc(), whatever allocator
 * cJSON's hooks name; NULL when out of memory. */
char *mcp_json_print_malloc(const cJSON *item);

/* The key in a standard form through OpenSSL's encoders: output_type "DER"
 * or "PEM", structure "PrivateKeyInfo" (selection EVP_PKEY_KEYPAIR) or
 * "SubjectPublicKeyInfo" (EVP_PKEY_PUBLIC_KEY).  Returns 0 and a buffer the
 * caller releases with OPENSSL_clear_free(), or -1. */
int mcp_jwt_encode_pkey(const EVP_PKEY *pkey, int selection,
                        const char *output_type, const char *structure,
                        unsigned char **data, size_t *len);

#endif /* MCP_JWT_INTERNAL_H */
