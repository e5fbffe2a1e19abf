/*
 * libFuzzer target for mcp_jwt_verify() (jwt/verify.c and the JSON checks
 * of jwt/json.c) against a fixed ring: a 2048-bit private key that signs
 * and a 3072-bit public key, both throwaway keys from fuzz/keys/.
 *
 * Random bytes almost never get past the signature check, so the first byte
 * of the input picks how the token is built:
 *   '{'  the input is signed for real, so that the header and payload
 *        checks behind the signature are reached: "header\npayload" is
 *        signed as given with the 2048-bit key; without a newline the input
 *        is the payload under the unit's own header (mcp_jwt_sign);
 *   '!'  the key's real header, then the rest of the input as payload and
 *        signature bytes (valid-header.random.random);
 *   else the input is the token.
 * What must hold for any input:
 *   - a failure leaves nothing in *out;
 *   - a token signed here never fails for its encoding or its signature;
 *   - a token that verifies keeps verifying under looser options, satisfies
 *     every claim check of the options, and stops verifying when one of its
 *     characters changes;
 *   - a token refused only for its dates, issuer or audience verifies under
 *     options that check none of them;
 *   - a token one byte longer than the options' max_len is TOO_LONG.
 * Dates are checked against a fixed "now" so that a saved input means the
 * same thing on any day.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwt_internal.h"
#include "rs512_sign.h"

#ifndef MCP_FUZZ_KEYS_DIR
#define MCP_FUZZ_KEYS_DIR "fuzz/keys"
#endif

#define FIXED_NOW INT64_C(1750000000) /* 2025-06-15T15:06:40Z */
#define ISSUER "https://fuzz.example/"
#define AUDIENCE "mcp"

static mcp_jwt_key *signer;   /* fuzz-a-2048.pem */
static mcp_jwt_key *verifier; /* the public half of fuzz-b-3072.pem */
static const mcp_jwt_key *ring[2];

static const mcp_jwt_verify_opts strict_opts = {.now = FIXED_NOW,
                                                .leeway = 60,
                                                .issuer = ISSUER,
                                                .audience = AUDIENCE,
                                                .require_exp = 1};
/* A leeway this large also walks the saturating arithmetic of the date
 * checks. */
static const mcp_jwt_verify_opts lax_opts = {.now = FIXED_NOW,
                                             .leeway = INT64_MAX};

static mcp_jwt_key *load_key(const char *name)
{
    char path[4096], err[MCP_JWT_ERRLEN];
    const char *dir = getenv("MCP_FUZZ_KEYS_DIR");
    mcp_jwt_key *key = NULL;

    snprintf(path, sizeof(path), "%s/%s", dir ? dir : MCP_FUZZ_KEYS_DIR, name);
    if (mcp_jwt_key_from_file(path, &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_jwt_verify: %s\n", err);
        exit(1);
    }
    return key;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    mcp_jwt_key *b_private = load_key("fuzz-b-3072.pem");
    char *pem = mcp_jwt_key_public_pem(b_private), err[MCP_JWT_ERRLEN];

    (void)argc;
    (void)argv;
    if (pem == NULL || mcp_jwt_key_from_text(pem, strlen(pem), &verifier, err,
                                             sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_jwt_verify: public key: %s\n", pem ? err : "");
        exit(1);
    }
    free(pem);
    mcp_jwt_key_free(b_private);
    signer = load_key("fuzz-a-2048.pem");
    ring[0] = signer;
    ring[1] = verifier;
    return 0;
}

static int is_zeroed(const mcp_jwt_verified *v)
{
    static const mcp_jwt_verified zero;
    return memcmp(v, &zero, sizeof(zero)) == 0;
}

static mcp_jwt_status verify(const char *token, size_t len,
                             const mcp_jwt_verify_opts *opts,
                             mcp_jwt_verified *out)
{
    mcp_jwt_status st = mcp_jwt_verify(token, len, ring, 2, opts, out);

    if (mcp_jwt_status_code(st) == NULL || mcp_jwt_status_text(st) == NULL)
        abort();
    if (st != MCP_JWT_OK && !is_zeroed(out))
        abort();
    return st;
}

static int aud_contains(const cJSON *aud, const char *want)
{
    const cJSON *e;

    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, want) == 0;
    cJSON_ArrayForEach(e, aud)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, want) == 0)
            return 1;
    }
    return 0;
}

/* What a token accepted under strict_opts must say of itself. */
static void check_accepted(const mcp_jwt_verified *v)
{
    if (!cJSON_IsObject(v->header) || !cJSON_IsObject(v->payload) ||
        (v->key != signer && v->key != verifier))
        abort();
    if (!v->has_exp || FIXED_NOW - 60 >= v->exp)
        abort();
    if (v->has_nbf && FIXED_NOW + 60 < v->nbf)
        abort();
    if (v->iss == NULL || strcmp(v->iss, ISSUER) != 0)
        abort();
    if (!aud_contains(cJSON_GetObjectItemCaseSensitive(v->payload, "aud"),
                      AUDIENCE))
        abort();
}

static char next_url_char(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *at = memchr(alphabet, c, 64);
    return at ? alphabet[(at - alphabet + 1) % 64] : 'A';
}

/* One changed character in each segment, and one more character at the
 * end: none of these may verify. */
static void check_tampering(const char *token, size_t len, size_t seed)
{
    char *copy = malloc(len + 1);
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 - token) - 1);
    size_t starts[3], lens[3], s;
    mcp_jwt_verified v;

    if (copy == NULL)
        return;
    starts[0] = 0;
    lens[0] = (size_t)(dot1 - token);
    starts[1] = lens[0] + 1;
    lens[1] = (size_t)(dot2 - dot1 - 1);
    starts[2] = (size_t)(dot2 - token) + 1;
    lens[2] = len - starts[2];
    for (s = 0; s < 3; s++) {
        size_t at = starts[s] + seed % lens[s];
        memcpy(copy, token, len);
        copy[at] = next_url_char(copy[at]);
        if (verify(copy, len, &lax_opts, &v) == MCP_JWT_OK)
            abort();
    }
    memcpy(copy, token, len);
    copy[len] = 'A';
    if (verify(copy, len + 1, &lax_opts, &v) == MCP_JWT_OK)
        abort();
    free(copy);
}

static void check_token(const char *token, size_t len, size_t seed,
                        mcp_jwt_status *strict_status)
{
    mcp_jwt_verified v, lax;
    mcp_jwt_status st = verify(token, len, &strict_opts, &v), lax_st;
    mcp_jwt_verify_opts short_opts = lax_opts;

    *strict_status = st;
    /* The length limit comes first, whatever the token holds. */
    if (len > 1) {
        short_opts.max_len = len - 1;
        if (verify(token, len, &short_opts, &lax) != MCP_JWT_ERR_TOO_LONG)
            abort();
    }
    switch (st) {
    case MCP_JWT_OK:
        check_accepted(&v);
        mcp_jwt_verified_clear(&v);
        if (!is_zeroed(&v))
            abort();
        if (verify(token, len, &lax_opts, &lax) != MCP_JWT_OK)
            abort();
        mcp_jwt_verified_clear(&lax);
        check_tampering(token, len, seed);
        break;
    case MCP_JWT_ERR_EXPIRED:
    case MCP_JWT_ERR_NOT_YET_VALID:
    case MCP_JWT_ERR_ISSUER:
    case MCP_JWT_ERR_AUDIENCE:
    case MCP_JWT_ERR_CLAIM:
        /* CLAIM also covers a missing exp, which lax_opts allows */
        lax_st = verify(token, len, &lax_opts, &lax);
        if (lax_st != MCP_JWT_OK &&
            !(st == MCP_JWT_ERR_CLAIM && lax_st == MCP_JWT_ERR_CLAIM))
            abort();
        mcp_jwt_verified_clear(&lax);
        break;
    default:
        break;
    }
}

static size_t checksum(const uint8_t *data, size_t size)
{
    size_t h = 0, i;

    for (i = 0; i < size; i++)
        h = h * 31 + data[i];
    return h;
}

static char *rs512_token(const uint8_t *header, size_t hlen,
                         const uint8_t *payload, size_t plen, size_t *len)
{
    return rs512_sign(signer->pkey, header, hlen, payload, plen, len);
}

static void fuzz_signed(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    char err[MCP_JWT_ERRLEN];
    size_t len = 0, plen = nl ? size - (size_t)(nl - data) - 1 : size;
    char *token;
    mcp_jwt_status st;

    if (nl)
        token = rs512_token(data, (size_t)(nl - data), nl + 1, plen, &len);
    else
        token =
            mcp_jwt_sign(signer, (const char *)data, size, err, sizeof(err));
    if (token == NULL)
        return;
    if (!nl)
        len = strlen(token);
    check_token(token, len, checksum(data, size), &st);
    if (len > MCP_JWT_MAX_TOKEN_LEN) {
        if (st != MCP_JWT_ERR_TOO_LONG)
            abort();
    } else if (plen == 0) {
        if (st != MCP_JWT_ERR_SEGMENTS)
            abort();
    } else if (st == MCP_JWT_ERR_SEGMENTS || st == MCP_JWT_ERR_BASE64 ||
               st == MCP_JWT_ERR_SIGNATURE || st == MCP_JWT_ERR_TOO_LONG) {
        abort();
    }
    free(token);
}

static void fuzz_behind_real_header(const uint8_t *data, size_t size)
{
    size_t sig_len = size > 256 ? 256 : size / 2, plen = size - sig_len;
    size_t hlen = signer->header_b64url_len;
    char *token = malloc(hlen + 1 + mcp_b64url_encoded_len(plen) + 1 +
                         mcp_b64url_encoded_len(sig_len) + 1);
    size_t len;
    mcp_jwt_status st;

    if (token == NULL)
        return;
    memcpy(token, signer->header_b64url, hlen);
    len = hlen;
    token[len++] = '.';
    len += mcp_b64url_encode(data, plen, token + len);
    token[len++] = '.';
    len += mcp_b64url_encode(data + plen, sig_len, token + len);
    check_token(token, len, checksum(data, size), &st);
    if (len > MCP_JWT_MAX_TOKEN_LEN) {
        if (st != MCP_JWT_ERR_TOO_LONG)
            abort();
    } else if (plen == 0 || sig_len == 0) {
        if (st != MCP_JWT_ERR_SEGMENTS)
            abort();
    } else if (st == MCP_JWT_ERR_EMPTY || st == MCP_JWT_ERR_SEGMENTS ||
               st == MCP_JWT_ERR_BASE64 || st == MCP_JWT_ERR_HEADER ||
               st == MCP_JWT_ERR_ALG || st == MCP_JWT_ERR_CRIT ||
               st == MCP_JWT_ERR_KID || st == MCP_JWT_ERR_TOO_LONG) {
        abort();
    }
    free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_jwt_status st;

    if (size > 0 && data[0] == '{')
        fuzz_signed(data, size);
    else if (size > 0 && data[0] == '!')
        fuzz_behind_real_header(data + 1, size - 1);
    else
        check_token((const char *)data, size, checksum(data, size), &st);
    return 0;
}
