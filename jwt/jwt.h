/*
 * The RS512 JWS/JWT unit of mod_mcp_credentials.
 *
 * It includes no httpd or APR header: the module, the mcp-token tool, the unit
 * tests and the fuzzers all link it as it is.
 *
 * Memory: every function that returns a pointer the caller owns says so, and
 * names the function that frees it.  A loaded key (mcp_jwt_key) is immutable
 * once loaded: it may be shared read-only between threads without a lock
 * (OpenSSL 3 allows concurrent EVP_PKEY use for sign/verify operations, each
 * with its own EVP_MD_CTX).
 *
 * Error messages never contain key material or token bytes.
 */
#ifndef MCP_JWT_H
#define MCP_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Smallest RSA modulus the unit accepts, in bits. */
#define MCP_JWT_MIN_RSA_BITS 2048
/* Largest compact token the verifier looks at, in bytes. */
#define MCP_JWT_MAX_TOKEN_LEN 16384
/* Size of a buffer that holds an error message from this unit. */
#define MCP_JWT_ERRLEN 256

/* ------------------------------------------------------------------ */
/* base64url (RFC 4648 section 5), no padding                          */
/* ------------------------------------------------------------------ */

/* Characters needed to encode n bytes, without the terminating NUL. */
size_t mcp_b64url_encoded_len(size_t n);

/* Encodes n bytes into out (room for mcp_b64url_encoded_len(n) + 1),
 * NUL-terminates, returns the length written. */
size_t mcp_b64url_encode(const unsigned char *in, size_t n, char *out);

/* Strict decode: only [A-Za-z0-9-_], no '=' padding, no whitespace, and the
 * unused low bits of the last character must be zero (one encoding per
 * input).  out needs room for (len * 3) / 4 bytes.  Returns 0 and sets
 * *outlen, or -1 on any irregularity. */
int mcp_b64url_decode(const char *in, size_t len, unsigned char *out,
                      size_t *outlen);

/* ------------------------------------------------------------------ */
/* HMAC-SHA-256 under a key prepared once                               */
/* ------------------------------------------------------------------ */

/* A MAC key ready for use (prepared.c): HMAC() would look its method and
 * digest up at every call.  Threads may share one. */
typedef struct mcp_hmac mcp_hmac;

/* A prepared copy of key (len bytes, at least 1).  NULL on failure. */
mcp_hmac *mcp_hmac_new(const unsigned char *key, size_t len);
void mcp_hmac_free(mcp_hmac *h);

/* HMAC-SHA-256 of data (n bytes) into out.  Returns 0, or -1 (out
 * cleared). */
int mcp_hmac_sha256(const mcp_hmac *h, const unsigned char *data, size_t n,
                    unsigned char out[32]);

/* ------------------------------------------------------------------ */
/* Keys                                                                 */
/* ------------------------------------------------------------------ */

typedef struct mcp_jwt_key mcp_jwt_key;

/*
 * Loads an RSA key from text, detecting the format from the content:
 *   - PEM: "-----BEGIN PRIVATE KEY-----" (PKCS#8), "-----BEGIN RSA PRIVATE
 *     KEY-----" (PKCS#1), "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo),
 *     "-----BEGIN RSA PUBLIC KEY-----" (PKCS#1 public);
 *   - Base64 DER (standard alphabet, padding and line breaks allowed, as in
 *     Atoti's activeviam.jwt.key.private / .public properties): PKCS#8
 *     PrivateKeyInfo or X.509 SubjectPublicKeyInfo (PKCS#1 DER is read too:
 *     it is what "openssl pkey -outform DER" writes for an RSA key).
 * Refuses, each with its own message in err: encrypted keys (never prompts
 * for a passphrase), non-RSA keys, moduli under MCP_JWT_MIN_RSA_BITS,
 * unparsable content.  Returns 0 and a key the caller frees with
 * mcp_jwt_key_free(), or -1 with a message in err (MCP_JWT_ERRLEN bytes).
 */
int mcp_jwt_key_from_text(const char *text, size_t len, mcp_jwt_key **out,
                          char *err, size_t errlen);

/* Reads a file (at most 1 MiB) and calls mcp_jwt_key_from_text().  The
 * message names the problem (missing, a directory, unreadable, empty,
 * too large) but never the content. */
int mcp_jwt_key_from_file(const char *path, mcp_jwt_key **out, char *err,
                          size_t errlen);

/* "base64:<DER in Base64>" is inline key text; anything else is a path. */
int mcp_jwt_key_from_spec(const char *spec, mcp_jwt_key **out, char *err,
                          size_t errlen);

/* A new RSA private key of the given size (>= MCP_JWT_MIN_RSA_BITS). */
int mcp_jwt_key_generate(int bits, mcp_jwt_key **out, char *err,
                         size_t errlen);

void mcp_jwt_key_free(mcp_jwt_key *key);

/* 1 when the key holds private material (can sign). */
int mcp_jwt_key_is_private(const mcp_jwt_key *key);
/* Modulus size in bits. */
int mcp_jwt_key_bits(const mcp_jwt_key *key);
/* Signature length in bytes (the modulus length). */
size_t mcp_jwt_key_sig_len(const mcp_jwt_key *key);
/* RFC 7638 JWK thumbprint (SHA-256, base64url): the kid of the key.  Owned
 * by the key. */
const char *mcp_jwt_key_kid(const mcp_jwt_key *key);

/* Public JWK {"kty","n","e","kid","alg":"RS512","use":"sig"} as a new cJSON
 * object; the caller frees it with cJSON_Delete(). */
cJSON *mcp_jwt_key_public_jwk(const mcp_jwt_key *key);

/* JWK Set {"keys":[...]} of the given keys, as a malloc'd NUL-terminated
 * JSON string (free()).  Keys with the same kid appear once. */
char *mcp_jwt_jwks_json(const mcp_jwt_key *const *keys, size_t n);

/* Base64 (standard alphabet, one line, padded) DER of the public key as
 * X.509 SubjectPublicKeyInfo: Atoti's activeviam.jwt.key.public value.
 * malloc'd; free(). */
char *mcp_jwt_key_public_der_b64(const mcp_jwt_key *key);

/* Base64 DER of the private key as PKCS#8 PrivateKeyInfo: Atoti's
 * activeviam.jwt.key.private value.  NULL for a public key.  malloc'd; the
 * caller wipes and frees it with mcp_jwt_free_secret(). */
char *mcp_jwt_key_private_der_b64(const mcp_jwt_key *key);

/* PEM text of the private key (PKCS#8, unencrypted), or NULL for a public
 * key; free with mcp_jwt_free_secret(). */
char *mcp_jwt_key_private_pem(const mcp_jwt_key *key);

/* PEM text of the public key (SubjectPublicKeyInfo); free(). */
char *mcp_jwt_key_public_pem(const mcp_jwt_key *key);

/* Overwrites a NUL-terminated secret with zeros, then frees it. */
void mcp_jwt_free_secret(char *secret);

/*
 * HMAC-SHA256 with a secret derived from the private key (SHA-256 of the
 * label "mod_mcp_credentials csrf v1" followed by the key's PKCS#8 DER, as
 * mcp_jwt_key_private_der_b64() gives it), for values that every httpd child
 * must compute alike and that must survive a restart (CSRF tokens).  The
 * derived secret never leaves the key.  Writes 32 bytes to out; returns -1
 * for a public key.
 */
int mcp_jwt_key_hmac(const mcp_jwt_key *key, const unsigned char *data,
                     size_t len, unsigned char out[32]);

/* ------------------------------------------------------------------ */
/* Signing                                                              */
/* ------------------------------------------------------------------ */

/* The claims of a token minted by this project. */
typedef struct {
    const char *sub;                    /* required */
    const char *iss;                    /* required */
    const char *aud;                    /* optional: NULL for none */
    const char *resource;               /* optional: an audience before
                                           aud (then an array) */
    const char *jti;                    /* required */
    int64_t iat;
    int64_t nbf;
    int64_t exp;
    const char *const *authorities;     /* may be NULL when n is 0 */
    size_t n_authorities;
    const char *client_id;              /* optional (OAuth clients) */
    const char *scope;                  /* optional (OAuth clients) */
} mcp_jwt_claims;

/* The claims as compact JSON, members in the order sub, iss, aud (when
 * set: resource alone, aud alone, or both as an array), iat, nbf, exp,
 * jti, authorities, then client_id and scope when set.  malloc'd; free().  NULL when
 * sub, iss or jti is missing or empty, or a string is not valid UTF-8. */
char *mcp_jwt_claims_json(const mcp_jwt_claims *claims);

/*
 * Signs payload_json (any bytes; normally a JSON object) with RS512 and
 * returns the compact JWS "b64(header).b64(payload).b64(sig)", header
 * exactly {"alg":"RS512","typ":"JWT","kid":"<thumbprint>"}.  malloc'd;
 * free().  NULL with a message in err when the key cannot sign.
 */
char *mcp_jwt_sign(const mcp_jwt_key *key, const char *payload_json,
                   size_t len, char *err, size_t errlen);

/* mcp_jwt_claims_json() then mcp_jwt_sign(). */
char *mcp_jwt_mint(const mcp_jwt_key *key, const mcp_jwt_claims *claims,
                   char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Verification                                                         */
/* ------------------------------------------------------------------ */

typedef enum {
    MCP_JWT_OK = 0,
    MCP_JWT_ERR_EMPTY,          /* no token at all */
    MCP_JWT_ERR_TOO_LONG,       /* over max_len */
    MCP_JWT_ERR_SEGMENTS,       /* not exactly three non-empty segments */
    MCP_JWT_ERR_BASE64,         /* a segment is not strict base64url */
    MCP_JWT_ERR_HEADER,         /* header is not a JSON object / bad member */
    MCP_JWT_ERR_ALG,            /* alg is not RS512 */
    MCP_JWT_ERR_CRIT,           /* a "crit" header the unit does not know */
    MCP_JWT_ERR_KID,            /* kid names no key of the ring */
    MCP_JWT_ERR_SIG_LENGTH,     /* signature is not modulus-length bytes */
    MCP_JWT_ERR_SIGNATURE,      /* no key of the ring verifies it */
    MCP_JWT_ERR_PAYLOAD,        /* payload is not a JSON object */
    MCP_JWT_ERR_DUPLICATE,      /* a JSON member name appears twice */
    MCP_JWT_ERR_CLAIM,          /* a registered claim has the wrong type,
                                   or exp is missing and required */
    MCP_JWT_ERR_EXPIRED,        /* now - leeway >= exp */
    MCP_JWT_ERR_NOT_YET_VALID,  /* now + leeway < nbf */
    MCP_JWT_ERR_ISSUER,         /* iss differs from the expected issuer */
    MCP_JWT_ERR_AUDIENCE,       /* aud lacks the expected audience */
    MCP_JWT_ERR_INTERNAL        /* allocation or library failure */
} mcp_jwt_status;

/* A short stable code ("expired", "bad_signature", ...) and a sentence. */
const char *mcp_jwt_status_code(mcp_jwt_status st);
const char *mcp_jwt_status_text(mcp_jwt_status st);

typedef struct {
    int64_t now;                /* seconds since the epoch */
    int64_t leeway;             /* seconds of clock-skew slack (< 0: 0) */
    const char *issuer;         /* NULL: iss not checked */
    const char *audience;       /* NULL: aud not checked */
    const char *resource;       /* NULL: none; else a token with aud must
                                   list it (RFC 8707) */
    int require_aud;            /* 1: a token without aud is refused */
    size_t max_len;             /* 0: MCP_JWT_MAX_TOKEN_LEN */
    int require_exp;            /* 1: a token without exp is refused */
} mcp_jwt_verify_opts;

/* What a verified token says.  Pointers point into header/payload. */
typedef struct {
    cJSON *header;              /* owned: mcp_jwt_verified_clear() */
    cJSON *payload;             /* owned: mcp_jwt_verified_clear() */
    const mcp_jwt_key *key;     /* the key that verified it */
    const char *sub;            /* NULL when absent */
    const char *iss;
    const char *jti;
    int64_t iat, nbf, exp;
    int has_iat, has_nbf, has_exp;
    const cJSON *authorities;   /* array of strings, or NULL */
} mcp_jwt_verified;

/*
 * Verifies a compact JWS against a ring of keys.  Order of checks: length,
 * segments, base64url, header JSON (object, no duplicate members, alg ==
 * "RS512", typ absent or "JWT", crit absent, kid a string when present),
 * key choice (the key with that kid; without kid, each key in turn),
 * signature length, RSA PKCS#1 v1.5 SHA-512 signature over the received
 * bytes "b64(header).b64(payload)", payload JSON (object, no duplicate
 * members at any depth, no NUL inside strings), registered claim types
 * (sub/iss/jti strings, iat/nbf/exp integral numbers within int64 range,
 * aud string or array of strings, authorities array of strings), then
 * exp/nbf with the leeway, iss and aud.
 *
 * On MCP_JWT_OK, *out holds the parsed token; the caller releases it with
 * mcp_jwt_verified_clear().  On any failure *out holds nothing to free.
 * A NULL opts or out is MCP_JWT_ERR_INTERNAL.
 */
mcp_jwt_status mcp_jwt_verify(const char *token, size_t len,
                              const mcp_jwt_key *const *keys, size_t n_keys,
                              const mcp_jwt_verify_opts *opts,
                              mcp_jwt_verified *out);

void mcp_jwt_verified_clear(mcp_jwt_verified *v);

/* ------------------------------------------------------------------ */
/* JSON helpers shared with the request parsers                        */
/* ------------------------------------------------------------------ */

/* 1 when an object anywhere in the tree has two members of the same name. */
int mcp_json_has_duplicate_members(const cJSON *item);

/* 1 when any string (value or member name) in the tree is shorter than the
 * bytes it was parsed from because of an embedded "\u0000". cJSON stops
 * strings at NUL, so callers that care pass the raw text as well.  A raw
 * NUL byte anywhere in the text also gives 1: cJSON stops parsing there. */
int mcp_json_text_has_escaped_nul(const char *text, size_t len);

/* A number that is integral and within [INT64_MIN, INT64_MAX] (checked on
 * valuedouble; no valueint, which saturates in 2038).  Returns 0 and sets
 * *out, or -1 for anything else (not a number, a fraction, out of range,
 * infinite). */
int mcp_json_get_int64(const cJSON *item, int64_t *out);

/* ------------------------------------------------------------------ */
/* Token ids                                                            */
/* ------------------------------------------------------------------ */

/* 128 bits from OpenSSL's CSPRNG in UUIDv4 text form (36 characters and a
 * NUL; the version and variant fields fix 6 of the bits, 122 stay random).
 * Returns -1 when the CSPRNG fails. */
int mcp_jwt_new_jti(char out[37]);

#ifdef __cplusplus
}
#endif

#endif /* MCP_JWT_H */
