/*
 * Signing and verification: a known-answer vector checked against the
 * openssl CLI, round trips, every refusal with its own status, claims and
 * clock boundaries, the JSON checks, token ids and concurrent use of one
 * key.
 *
 * Hostile tokens are built here with OpenSSL directly, not with the unit's
 * signer, so that the unit cannot agree with itself by mistake.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "unit.h"

#include "test_jwt_support.h"

#define NOW INT64_C(1700000000)

/* Where the search for a signature with a leading zero byte starts: the
 * first such payload for the committed 2048-bit fixture key.  Any value
 * works; a good one saves signatures under valgrind. */
#define LEADING_ZERO_HINT 164

static const char good_payload[] =
    "{\"sub\":\"alice\",\"iss\":\"activeviam\",\"iat\":1700000000,"
    "\"nbf\":1700000000,\"exp\":4102444800,\"jti\":\"j1\","
    "\"authorities\":[\"ROLE_USER\"]}";

typedef struct {
    mcp_jwt_key *key;        /* rsa2048, private */
    mcp_jwt_key *public_key; /* rsa2048, public only */
    mcp_jwt_key *key3072;    /* rsa3072, private */
    EVP_PKEY *pkey;          /* rsa2048 read by OpenSSL, for crafting */
    EVP_PKEY *pkey3072;
    char *public_pem; /* the text an HS512 forgery would use */
    size_t public_pem_len;
    char header[128]; /* the unit's own header, with the kid */
    char scratch[64];
} fixture;

/* ---------------------------------------------------------------- */
/* Building tokens by hand                                           */
/* ---------------------------------------------------------------- */

static char *join3(const char *a, const char *b, const char *c)
{
    size_t size = strlen(a) + strlen(b) + strlen(c) + 3;
    char *out = malloc(size);

    if (out)
        snprintf(out, size, "%s.%s%s%s", a, b, c[0] ? "." : "", c);
    return out;
}

/* "b64(header).b64(payload)", the JWS signing input. */
static char *signing_input(const char *header, const char *payload)
{
    char *h = b64url_of_text(header), *p = b64url_of_text(payload);
    char *input = join3(h, p, "");

    free(h);
    free(p);
    return input;
}

static char *append_signature(const char *input, const unsigned char *sig,
                              size_t sig_len)
{
    char *s = b64url_of(sig, sig_len);
    size_t size = strlen(input) + strlen(s) + 2;
    char *token = malloc(size);

    if (token)
        snprintf(token, size, "%s.%s", input, s);
    free(s);
    return token;
}

static char *rsa_token(const char *header, const char *payload, EVP_PKEY *pkey,
                       const EVP_MD *md, int padding)
{
    char *input = signing_input(header, payload), *token = NULL;
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;

    if (input && ctx && EVP_DigestSignInit(ctx, &pctx, md, NULL, pkey) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, padding) == 1 &&
        EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)input,
                       strlen(input)) == 1)
        token = append_signature(input, sig, sig_len);
    EVP_MD_CTX_free(ctx);
    free(input);
    return token;
}

static char *rs512_token(const fixture *fx, const char *header,
                         const char *payload)
{
    return rsa_token(header, payload, fx->pkey, EVP_sha512(),
                     RSA_PKCS1_PADDING);
}

static char *hmac_token(const char *header, const char *payload,
                        const EVP_MD *md, const void *secret, size_t secret_len)
{
    char *input = signing_input(header, payload), *token = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;

    if (input && HMAC(md, secret, (int)secret_len, (unsigned char *)input,
                      strlen(input), mac, &mac_len))
        token = append_signature(input, mac, mac_len);
    free(input);
    return token;
}

/* The token with its segment number `which` (0, 1, 2) replaced. */
static char *replace_segment(const char *token, int which,
                             const char *replacement)
{
    const char *dot1 = strchr(token, '.'), *dot2 = strchr(dot1 + 1, '.');
    size_t size = strlen(token) + strlen(replacement) + 1;
    char *out = malloc(size);

    if (!out)
        return NULL;
    if (which == 0)
        snprintf(out, size, "%s%s", replacement, dot1);
    else if (which == 1)
        snprintf(out, size, "%.*s.%s%s", (int)(dot1 - token), token,
                 replacement, dot2);
    else
        snprintf(out, size, "%.*s.%s", (int)(dot2 - token), token, replacement);
    return out;
}

static unsigned char *signature_bytes(const char *token, size_t *len)
{
    const char *sig = strrchr(token, '.') + 1;
    return b64url_decode_alloc(sig, strlen(sig), len);
}

/* ---------------------------------------------------------------- */
/* Verifying                                                         */
/* ---------------------------------------------------------------- */

static mcp_jwt_verify_opts default_opts(void)
{
    mcp_jwt_verify_opts opts = {.now = NOW, .leeway = 0};
    return opts;
}

/* Verifies against a ring and checks that a failure leaves nothing. */
static mcp_jwt_status verify_with(const char *token, size_t len,
                                  const mcp_jwt_key *const *ring, size_t n,
                                  const mcp_jwt_verify_opts *opts)
{
    mcp_jwt_verified v;
    mcp_jwt_status st;

    memset(&v, 0xa5, sizeof(v));
    st = mcp_jwt_verify(token, len, ring, n, opts, &v);
    if (st != MCP_JWT_OK)
        CHECK(v.header == NULL && v.payload == NULL && v.key == NULL);
    mcp_jwt_verified_clear(&v);
    return st;
}

static mcp_jwt_status verify_status(const fixture *fx, const char *token)
{
    const mcp_jwt_key *ring[] = {fx->key};
    mcp_jwt_verify_opts opts = default_opts();

    if (!token)
        return (mcp_jwt_status)-1;
    return verify_with(token, strlen(token), ring, 1, &opts);
}

/* Signs payload with a correct RS512 header and returns the status. */
static mcp_jwt_status payload_status(const fixture *fx, const char *payload)
{
    char *token = rs512_token(fx, fx->header, payload);
    mcp_jwt_status st = verify_status(fx, token);

    free(token);
    return st;
}

static mcp_jwt_status header_status(const fixture *fx, const char *header)
{
    char *token = rs512_token(fx, header, good_payload);
    mcp_jwt_status st = verify_status(fx, token);

    free(token);
    return st;
}

/* ---------------------------------------------------------------- */
/* Tests                                                             */
/* ---------------------------------------------------------------- */

static const char *const fixed_roles[] = {"ROLE_USER", "ROLE_ADMIN"};

static mcp_jwt_claims fixed_claims(void)
{
    mcp_jwt_claims claims = {
        .sub = "alice",
        .iss = "activeviam",
        .aud = NULL,
        .jti = "00000000-0000-4000-8000-000000000000",
        .iat = 1700000000,
        .nbf = 1700000000,
        .exp = INT64_C(4102444800),
        .authorities = fixed_roles,
        .n_authorities = 2,
    };
    return claims;
}

static void test_claims_json(void)
{
    mcp_jwt_claims claims = fixed_claims();
    const char *const bad_roles[] = {"ROLE_USER", NULL};
    char *json = mcp_jwt_claims_json(&claims);

    CHECK_STR(json, "{\"sub\":\"alice\",\"iss\":\"activeviam\","
                    "\"iat\":1700000000,\"nbf\":1700000000,"
                    "\"exp\":4102444800,"
                    "\"jti\":\"00000000-0000-4000-8000-000000000000\","
                    "\"authorities\":[\"ROLE_USER\",\"ROLE_ADMIN\"]}");
    free(json);

    claims.aud = "mcp";
    claims.sub = "a\"b\\c\n";
    claims.exp = INT64_C(253402300799);
    claims.n_authorities = 0;
    claims.authorities = NULL;
    json = mcp_jwt_claims_json(&claims);
    CHECK_STR(json, "{\"sub\":\"a\\\"b\\\\c\\n\",\"iss\":\"activeviam\","
                    "\"aud\":\"mcp\",\"iat\":1700000000,\"nbf\":1700000000,"
                    "\"exp\":253402300799,"
                    "\"jti\":\"00000000-0000-4000-8000-000000000000\","
                    "\"authorities\":[]}");
    free(json);

    /* A resource (RFC 8707) is an audience: alone, before aud, or once
     * when both are the same; client_id and scope come last. */
    claims = fixed_claims();
    claims.n_authorities = 1;
    claims.resource = "https://mcp.example.com/mcp";
    json = mcp_jwt_claims_json(&claims);
    CHECK_STR(json, "{\"sub\":\"alice\",\"iss\":\"activeviam\","
                    "\"aud\":\"https://mcp.example.com/mcp\","
                    "\"iat\":1700000000,\"nbf\":1700000000,"
                    "\"exp\":4102444800,"
                    "\"jti\":\"00000000-0000-4000-8000-000000000000\","
                    "\"authorities\":[\"ROLE_USER\"]}");
    free(json);
    claims.aud = "mcp";
    claims.client_id = "client.eyJy.sig";
    claims.scope = "ROLE_USER openid";
    json = mcp_jwt_claims_json(&claims);
    CHECK_STR(json, "{\"sub\":\"alice\",\"iss\":\"activeviam\","
                    "\"aud\":[\"https://mcp.example.com/mcp\",\"mcp\"],"
                    "\"iat\":1700000000,\"nbf\":1700000000,"
                    "\"exp\":4102444800,"
                    "\"jti\":\"00000000-0000-4000-8000-000000000000\","
                    "\"authorities\":[\"ROLE_USER\"],"
                    "\"client_id\":\"client.eyJy.sig\","
                    "\"scope\":\"ROLE_USER openid\"}");
    free(json);
    claims.aud = "https://mcp.example.com/mcp";
    claims.client_id = NULL;
    json = mcp_jwt_claims_json(&claims);
    CHECK_STR(json, "{\"sub\":\"alice\",\"iss\":\"activeviam\","
                    "\"aud\":\"https://mcp.example.com/mcp\","
                    "\"iat\":1700000000,\"nbf\":1700000000,"
                    "\"exp\":4102444800,"
                    "\"jti\":\"00000000-0000-4000-8000-000000000000\","
                    "\"authorities\":[\"ROLE_USER\"],"
                    "\"scope\":\"ROLE_USER openid\"}");
    free(json);
    claims.scope = NULL;
    claims.client_id = "c";
    json = mcp_jwt_claims_json(&claims);
    CHECK(json && strstr(json, "\"authorities\":[\"ROLE_USER\"],"
                               "\"client_id\":\"c\"}"));
    free(json);
    claims = fixed_claims();
    claims.resource = "https://caf\xe9/";
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims = fixed_claims();
    claims.client_id = "\xc0\xaf";
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims = fixed_claims();
    claims.scope = "\xed\xa0\x80";
    CHECK(mcp_jwt_claims_json(&claims) == NULL);

    claims = fixed_claims();
    claims.sub = NULL;
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims = fixed_claims();
    claims.jti = "";
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims = fixed_claims();
    claims.sub = "caf\xe9"; /* Latin-1, not UTF-8 */
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims.sub = "\xc0\xaf"; /* overlong '/' */
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims.sub = "\xed\xa0\x80"; /* a surrogate */
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    claims.sub = "caf\xc3\xa9 \xf0\x9f\x94\x91";
    json = mcp_jwt_claims_json(&claims);
    CHECK(json != NULL);
    free(json);
    claims = fixed_claims();
    claims.authorities = bad_roles;
    CHECK(mcp_jwt_claims_json(&claims) == NULL);
    CHECK(mcp_jwt_claims_json(NULL) == NULL);
}

/*
 * RSA PKCS#1 v1.5 is deterministic, so the unit's signature must be
 * byte-identical to what "openssl dgst -sha512 -sign" makes over the same
 * signing input, and "openssl dgst -verify" must accept the unit's.
 */
static void test_known_answer_against_openssl_cli(fixture *fx)
{
    mcp_jwt_claims claims = fixed_claims();
    char err[MCP_JWT_ERRLEN] = "", path[128], command[512], header[128];
    char *token = mcp_jwt_mint(fx->key, &claims, err, sizeof(err));
    char *json = mcp_jwt_claims_json(&claims);
    char *expected_header, *expected_payload, *openssl_sig_b64 = NULL;
    char *openssl_sig = NULL;
    size_t openssl_sig_len = 0, ours_len = 0, input_len;
    unsigned char *ours;
    const char *dot1, *dot2;

    CHECK(token != NULL);
    if (!token || !json) {
        free(token);
        free(json);
        return;
    }
    snprintf(header, sizeof(header),
             "{\"alg\":\"RS512\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             mcp_jwt_key_kid(fx->key));
    expected_header = b64url_of_text(header);
    expected_payload = b64url_of_text(json);
    dot1 = strchr(token, '.');
    dot2 = strchr(dot1 + 1, '.');
    input_len = (size_t)(dot2 - token);
    CHECK_INT(dot1 - token, strlen(expected_header));
    CHECK(strncmp(token, expected_header, strlen(expected_header)) == 0);
    CHECK_INT(dot2 - dot1 - 1, strlen(expected_payload));
    CHECK(strncmp(dot1 + 1, expected_payload, strlen(expected_payload)) == 0);
    CHECK(strchr(token, '=') == NULL);

    snprintf(path, sizeof(path), "%s/input", fx->scratch);
    CHECK_INT(write_file(path, token, input_len), 0);
    snprintf(command, sizeof(command),
             "openssl dgst -sha512 -sign %s -out %s/openssl.sig %s",
             FIXTURE("rsa2048.pkcs8.pem"), fx->scratch, path);
    CHECK_INT(system(command), 0);
    snprintf(path, sizeof(path), "%s/openssl.sig", fx->scratch);
    openssl_sig = read_file(path, &openssl_sig_len);
    CHECK_INT(openssl_sig_len, 256);
    if (openssl_sig) {
        openssl_sig_b64 = b64url_of(openssl_sig, openssl_sig_len);
        CHECK_STR(dot2 + 1, openssl_sig_b64);
    }

    ours = signature_bytes(token, &ours_len);
    snprintf(path, sizeof(path), "%s/ours.sig", fx->scratch);
    CHECK_INT(write_file(path, ours, ours_len), 0);
    snprintf(command, sizeof(command),
             "openssl dgst -sha512 -verify %s -signature %s/ours.sig "
             "%s/input >/dev/null",
             FIXTURE("rsa2048.spki.pem"), fx->scratch, fx->scratch);
    CHECK_INT(system(command), 0);

    free(ours);
    free(openssl_sig);
    free(openssl_sig_b64);
    free(expected_header);
    free(expected_payload);
    free(json);
    free(token);
}

static void test_round_trip(fixture *fx)
{
    mcp_jwt_claims claims = fixed_claims();
    char err[MCP_JWT_ERRLEN] = "";
    char *token = mcp_jwt_mint(fx->key, &claims, err, sizeof(err));
    const mcp_jwt_key *ring[] = {fx->public_key};
    mcp_jwt_verify_opts opts = default_opts();
    mcp_jwt_verified v;

    opts.issuer = "activeviam";
    opts.require_exp = 1;
    CHECK_INT(mcp_jwt_verify(token, strlen(token), ring, 1, &opts, &v),
              MCP_JWT_OK);
    CHECK(v.key == fx->public_key);
    CHECK_STR(v.sub, "alice");
    CHECK_STR(v.iss, "activeviam");
    CHECK_STR(v.jti, claims.jti);
    CHECK_INT(v.has_iat && v.has_nbf && v.has_exp, 1);
    CHECK_INT(v.iat, 1700000000);
    CHECK_INT(v.nbf, 1700000000);
    CHECK(v.exp == INT64_C(4102444800));
    CHECK_INT(cJSON_GetArraySize(v.authorities), 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(v.authorities, 1)),
              "ROLE_ADMIN");
    CHECK_STR(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v.header, "kid")),
        mcp_jwt_key_kid(fx->key));
    mcp_jwt_verified_clear(&v);
    CHECK(v.header == NULL && v.payload == NULL);
    mcp_jwt_verified_clear(NULL);
    free(token);

    /* Far dates: a NumericDate past 2038 must not saturate. */
    claims.exp = INT64_C(253402300799);
    token = mcp_jwt_mint(fx->key, &claims, err, sizeof(err));
    CHECK_INT(mcp_jwt_verify(token, strlen(token), ring, 1, &opts, &v),
              MCP_JWT_OK);
    CHECK(v.exp == INT64_C(253402300799));
    mcp_jwt_verified_clear(&v);
    free(token);

    /* The unit signs any bytes it is given. */
    token = mcp_jwt_sign(fx->key, "{}", 2, err, sizeof(err));
    CHECK_INT(verify_status(fx, token), MCP_JWT_OK);
    free(token);
}

static void test_sign_refusals(fixture *fx)
{
    mcp_jwt_claims claims = fixed_claims();
    char err[MCP_JWT_ERRLEN] = "";

    CHECK(mcp_jwt_sign(fx->public_key, "{}", 2, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "public key") != NULL);
    CHECK(mcp_jwt_sign(NULL, "{}", 2, err, sizeof(err)) == NULL);
    CHECK(mcp_jwt_sign(fx->key, NULL, 2, err, sizeof(err)) == NULL);
    claims.iss = NULL;
    CHECK(mcp_jwt_mint(fx->key, &claims, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "'iss'") != NULL);
    claims = fixed_claims();
    CHECK(mcp_jwt_mint(fx->public_key, &claims, err, sizeof(err)) == NULL);
}

static void test_algorithm_is_pinned(fixture *fx)
{
    char none_header[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    char *good = rs512_token(fx, fx->header, good_payload);
    char *forged, *input, *h;
    char header[160];

    /* "none" with the real signature appended, and with none at all. */
    h = b64url_of_text(none_header);
    forged = replace_segment(good, 0, h);
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_ALG);
    free(forged);
    input = signing_input(none_header, good_payload);
    forged = join3(input, "", "");
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_SEGMENTS);
    free(forged);
    free(input);
    free(h);

    /* HMAC keyed with the public key text: the classic confusion. */
    snprintf(header, sizeof(header), "{\"alg\":\"HS512\",\"typ\":\"JWT\"}");
    forged = hmac_token(header, good_payload, EVP_sha512(), fx->public_pem,
                        fx->public_pem_len);
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_ALG);
    free(forged);
    snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"kid\":\"%s\"}",
             mcp_jwt_key_kid(fx->key));
    forged = hmac_token(header, good_payload, EVP_sha256(), fx->public_pem,
                        fx->public_pem_len);
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_ALG);
    free(forged);

    /* The right key with another hash or padding. */
    snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
             mcp_jwt_key_kid(fx->key));
    forged = rsa_token(header, good_payload, fx->pkey, EVP_sha256(),
                       RSA_PKCS1_PADDING);
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_ALG);
    free(forged);
    snprintf(header, sizeof(header), "{\"alg\":\"PS512\",\"kid\":\"%s\"}",
             mcp_jwt_key_kid(fx->key));
    forged = rsa_token(header, good_payload, fx->pkey, EVP_sha512(),
                       RSA_PKCS1_PSS_PADDING);
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_ALG);
    free(forged);

    /* A PKCS#1 v1.5 SHA-256 signature under an RS512 header. */
    forged = rsa_token(fx->header, good_payload, fx->pkey, EVP_sha256(),
                       RSA_PKCS1_PADDING);
    CHECK_INT(verify_status(fx, forged), MCP_JWT_ERR_SIGNATURE);
    free(forged);

    CHECK_INT(header_status(fx, "{\"alg\":\"rs512\"}"), MCP_JWT_ERR_ALG);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512 \"}"), MCP_JWT_ERR_ALG);
    CHECK_INT(header_status(fx, "{\"alg\":512}"), MCP_JWT_ERR_ALG);
    CHECK_INT(header_status(fx, "{\"typ\":\"JWT\"}"), MCP_JWT_ERR_ALG);
    CHECK_INT(header_status(fx, "{\"alg\":[\"RS512\"]}"), MCP_JWT_ERR_ALG);
    /* cJSON would read "RS512\u0000x" as "RS512". */
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\\u0000x\"}"),
              MCP_JWT_ERR_HEADER);
    /* Lookups are case-sensitive: "ALG" is another member. */
    CHECK_INT(header_status(fx, "{\"ALG\":\"none\",\"alg\":\"RS512\"}"),
              MCP_JWT_OK);
    CHECK_INT(header_status(fx, "{\"ALG\":\"RS512\"}"), MCP_JWT_ERR_ALG);
    free(good);
}

static void test_segments_and_base64(fixture *fx)
{
    char *good = rs512_token(fx, fx->header, good_payload);
    char *bad, *segment;
    size_t len = strlen(good);
    const char *dot1 = strchr(good, '.');
    size_t header_len = (size_t)(dot1 - good);
    static const char *const malformed[] = {
        "a.b", "a.b.c.d", "..", ".b.c", "a..c", "a.b.", "abc", "a.b.c.",
    };

    CHECK_INT(verify_status(fx, good), MCP_JWT_OK);
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        CHECK_INT(verify_status(fx, malformed[i]), MCP_JWT_ERR_SEGMENTS);
    bad = join3(good, "", "");
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_SEGMENTS); /* "x.y.z." */
    free(bad);

    /* '=' padding after the header segment (106 characters, so the
     * padded form would be "=="). */
    CHECK_INT(header_len % 4, 2);
    segment = malloc(header_len + 3);
    memcpy(segment, good, header_len);
    memcpy(segment + header_len, "==", 3);
    bad = replace_segment(good, 0, segment);
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_BASE64);
    free(bad);
    /* Non-zero unused bits in the last character of the header segment. */
    segment[header_len] = '\0';
    segment[header_len - 1] = segment[header_len - 1] == 'A' ? 'B' : 'A' + 1;
    bad = replace_segment(good, 0, segment);
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_BASE64);
    free(bad);
    free(segment);

    /* The standard alphabet's '+' and '/', and whitespace. */
    bad = strdup(good);
    bad[len - 3] = '+';
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_BASE64);
    bad[len - 3] = '/';
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_BASE64);
    bad[len - 3] = ' ';
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_BASE64);
    bad[5] = '=';
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_BASE64);
    free(bad);

    /* A NUL inside the given length. */
    bad = strdup(good);
    bad[len - 3] = '\0';
    {
        const mcp_jwt_key *ring[] = {fx->key};
        mcp_jwt_verify_opts opts = default_opts();
        CHECK_INT(verify_with(bad, len, ring, 1, &opts), MCP_JWT_ERR_BASE64);
    }
    free(bad);
    free(good);
}

static void test_length_and_emptiness(fixture *fx)
{
    char *good = rs512_token(fx, fx->header, good_payload);
    const mcp_jwt_key *ring[] = {fx->key};
    mcp_jwt_verify_opts opts = default_opts();
    size_t len = strlen(good);
    char *huge = malloc(MCP_JWT_MAX_TOKEN_LEN + 2);
    mcp_jwt_verified v;

    opts.max_len = len;
    CHECK_INT(verify_with(good, len, ring, 1, &opts), MCP_JWT_OK);
    opts.max_len = len - 1;
    CHECK_INT(verify_with(good, len, ring, 1, &opts), MCP_JWT_ERR_TOO_LONG);
    opts.max_len = 0;
    memset(huge, 'A', MCP_JWT_MAX_TOKEN_LEN + 1);
    huge[MCP_JWT_MAX_TOKEN_LEN + 1] = '\0';
    CHECK_INT(verify_with(huge, MCP_JWT_MAX_TOKEN_LEN + 1, ring, 1, &opts),
              MCP_JWT_ERR_TOO_LONG);
    CHECK_INT(verify_with(huge, MCP_JWT_MAX_TOKEN_LEN, ring, 1, &opts),
              MCP_JWT_ERR_SEGMENTS);
    CHECK_INT(verify_with("", 0, ring, 1, &opts), MCP_JWT_ERR_EMPTY);
    CHECK_INT(verify_with(NULL, 10, ring, 1, &opts), MCP_JWT_ERR_EMPTY);
    CHECK_INT(mcp_jwt_verify(good, len, ring, 1, NULL, &v),
              MCP_JWT_ERR_INTERNAL);
    CHECK_INT(mcp_jwt_verify(good, len, ring, 1, &opts, NULL),
              MCP_JWT_ERR_INTERNAL);
    free(huge);
    free(good);
}

/* Finds a payload whose signature starts with a zero byte. */
static char *token_with_leading_zero(const fixture *fx)
{
    char err[MCP_JWT_ERRLEN], payload[64];

    for (int n = LEADING_ZERO_HINT; n < LEADING_ZERO_HINT + 20000; n++) {
        char *token;
        snprintf(payload, sizeof(payload),
                 "{\"sub\":\"leading-zero\",\"n\":%d}", n);
        token =
            mcp_jwt_sign(fx->key, payload, strlen(payload), err, sizeof(err));
        /* "AA".."AP": the first six bits and the next two are zero. */
        if (token && strncmp(strrchr(token, '.') + 1, "A", 1) == 0 &&
            strchr("ABCDEFGHIJKLMNOP", strrchr(token, '.')[2]))
            return token;
        free(token);
    }
    return NULL;
}

static void test_signature_length_and_value(fixture *fx)
{
    char *good = rs512_token(fx, fx->header, good_payload);
    size_t sig_len = 0;
    unsigned char *sig = signature_bytes(good, &sig_len);
    char *s, *bad, *tampered_payload, *zero;

    CHECK_INT(sig_len, 256);
    /* One byte short, one byte long. */
    s = b64url_of(sig, sig_len - 1);
    bad = replace_segment(good, 2, s);
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_SIG_LENGTH);
    free(bad);
    free(s);
    {
        unsigned char longer[257];
        memcpy(longer, sig, 256);
        longer[256] = 0;
        s = b64url_of(longer, 257);
        bad = replace_segment(good, 2, s);
        CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_SIG_LENGTH);
        free(bad);
        free(s);
    }
    /* One bit flipped. */
    sig[100] ^= 0x01;
    s = b64url_of(sig, sig_len);
    bad = replace_segment(good, 2, s);
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_SIGNATURE);
    free(bad);
    free(s);

    /* A claim changed, the signature kept. */
    tampered_payload = b64url_of_text(
        "{\"sub\":\"admin\",\"iss\":\"activeviam\",\"iat\":1700000000,"
        "\"nbf\":1700000000,\"exp\":4102444800,\"jti\":\"j1\","
        "\"authorities\":[\"ROLE_USER\"]}");
    bad = replace_segment(good, 1, tampered_payload);
    CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_SIGNATURE);
    free(bad);
    free(tampered_payload);

    /* A signature that starts with a zero byte keeps it: 256 bytes verify,
     * the 255 left after stripping it do not. */
    zero = token_with_leading_zero(fx);
    CHECK(zero != NULL);
    if (zero) {
        size_t zero_len = 0;
        unsigned char *zsig = signature_bytes(zero, &zero_len);
        CHECK_INT(zero_len, 256);
        CHECK_INT(zsig[0], 0);
        CHECK_INT(verify_status(fx, zero), MCP_JWT_OK);
        s = b64url_of(zsig + 1, zero_len - 1);
        bad = replace_segment(zero, 2, s);
        CHECK_INT(verify_status(fx, bad), MCP_JWT_ERR_SIG_LENGTH);
        free(bad);
        free(s);
        free(zsig);
        free(zero);
    }
    free(sig);
    free(good);
}

/* The signature covers the bytes received: a header with other spacing
 * and member order, signed as it is, verifies. */
static void test_signature_over_received_bytes(fixture *fx)
{
    char header[160];

    snprintf(header, sizeof(header),
             "{ \"kid\" : \"%s\",\n \"typ\":\"JWT\", \"alg\" : \"RS512\" }",
             mcp_jwt_key_kid(fx->key));
    CHECK_INT(header_status(fx, header), MCP_JWT_OK);
    CHECK_INT(payload_status(fx, " {\"sub\" :\"alice\"}\n"), MCP_JWT_OK);
}

static void test_header_members(fixture *fx)
{
    char header[200];
    const char *kid = mcp_jwt_key_kid(fx->key);

    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\"}"), MCP_JWT_OK);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"typ\":\"JWT\"}"),
              MCP_JWT_OK);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"typ\":\"xyz\"}"),
              MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"typ\":1}"),
              MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"crit\":[\"exp\"]}"),
              MCP_JWT_ERR_CRIT);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"crit\":[]}"),
              MCP_JWT_ERR_CRIT);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"kid\":\"nope\"}"),
              MCP_JWT_ERR_KID);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"kid\":7}"),
              MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"alg\":\"RS512\"}"),
              MCP_JWT_ERR_DUPLICATE);
    /* Duplicates are found before alg is read. */
    CHECK_INT(header_status(fx, "{\"alg\":\"none\",\"alg\":\"RS512\"}"),
              MCP_JWT_ERR_DUPLICATE);
    snprintf(header, sizeof(header),
             "{\"alg\":\"RS512\",\"kid\":\"%s\",\"kid\":\"x\"}", kid);
    CHECK_INT(header_status(fx, header), MCP_JWT_ERR_DUPLICATE);
    CHECK_INT(header_status(fx, "[]"), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "[{\"alg\":\"RS512\"}]"), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "\"RS512\""), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "null"), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "not json"), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\"} x"), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\"}{}"), MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "\xEF\xBB\xBF{\"alg\":\"RS512\"}"),
              MCP_JWT_ERR_HEADER);
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\""), MCP_JWT_ERR_HEADER);
    /* Members that point at keys elsewhere are never followed. */
    CHECK_INT(header_status(fx, "{\"alg\":\"RS512\",\"jku\":\"http://x/\","
                                "\"x5u\":\"http://y/\"}"),
              MCP_JWT_OK);
}

static void test_header_raw_nul(fixture *fx)
{
    static const char header[] = "{\"alg\":\"RS512\"}\0{\"x\":1}";
    char *h = b64url_of(header, sizeof(header) - 1);
    char *p = b64url_of_text(good_payload);
    char *input = join3(h, p, ""), *token = NULL;
    unsigned char sig[256];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha512(), NULL, fx->pkey) &&
        EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)input,
                       strlen(input)) == 1)
        token = append_signature(input, sig, sig_len);
    CHECK_INT(verify_status(fx, token), MCP_JWT_ERR_HEADER);
    EVP_MD_CTX_free(ctx);
    free(token);
    free(input);
    free(h);
    free(p);
}

static void test_payload_shape(fixture *fx)
{
    CHECK_INT(payload_status(fx, good_payload), MCP_JWT_OK);
    CHECK_INT(payload_status(fx, "{}"), MCP_JWT_OK);
    CHECK_INT(payload_status(fx, "[]"), MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "\"alice\""), MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "42"), MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "not json"), MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "{\"sub\":\"alice\"} trailing"),
              MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "{\"sub\":\"alice\""), MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "{\"exp\":4102444800,\"exp\":1}"),
              MCP_JWT_ERR_DUPLICATE);
    CHECK_INT(payload_status(fx, "{\"sub\":\"alice\",\"sub\":\"admin\"}"),
              MCP_JWT_ERR_DUPLICATE);
    CHECK_INT(payload_status(fx, "{\"a\":{\"b\":1,\"b\":2}}"),
              MCP_JWT_ERR_DUPLICATE);
    CHECK_INT(payload_status(fx, "{\"a\":[{\"b\":1},{\"c\":[{\"d\":1,"
                                 "\"d\":2}]}]}"),
              MCP_JWT_ERR_DUPLICATE);
    /* Same member in two sibling objects is no duplicate. */
    CHECK_INT(payload_status(fx, "{\"a\":[{\"b\":1},{\"b\":2}]}"), MCP_JWT_OK);
    CHECK_INT(payload_status(fx, "{\"sub\":\"ad\\u0000min\"}"),
              MCP_JWT_ERR_PAYLOAD);
    CHECK_INT(payload_status(fx, "{\"x\":{\"\\u0000\":1}}"),
              MCP_JWT_ERR_PAYLOAD);
    /* An escaped backslash followed by "u0000" is four ordinary chars. */
    CHECK_INT(payload_status(fx, "{\"sub\":\"a\\\\u0000\"}"), MCP_JWT_OK);
    /* Case-sensitive lookups: "EXP" is not exp, and is no duplicate. */
    CHECK_INT(payload_status(fx, "{\"EXP\":1,\"exp\":4102444800}"), MCP_JWT_OK);
}

static void test_claim_types(fixture *fx)
{
    static const struct {
        const char *payload;
        mcp_jwt_status want;
    } cases[] = {
        {"{\"exp\":4102444800}", MCP_JWT_OK},
        {"{\"exp\":253402300799}", MCP_JWT_OK},
        {"{\"exp\":4102444800.0}", MCP_JWT_OK},
        {"{\"exp\":4.1024448e9}", MCP_JWT_OK},
        {"{\"exp\":\"4102444800\"}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":4.5e9}", MCP_JWT_OK},
        {"{\"exp\":4102444800.5}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":1.5}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":1e309}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":-1e309}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":9.3e18}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":9223372036854775807}", MCP_JWT_ERR_CLAIM}, /* is 2^63 */
        {"{\"exp\":null}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":true}", MCP_JWT_ERR_CLAIM},
        {"{\"exp\":[4102444800]}", MCP_JWT_ERR_CLAIM},
        {"{\"nbf\":\"0\"}", MCP_JWT_ERR_CLAIM},
        {"{\"iat\":0.5}", MCP_JWT_ERR_CLAIM},
        {"{\"iat\":-9223372036854775808}", MCP_JWT_OK},
        {"{\"sub\":42}", MCP_JWT_ERR_CLAIM},
        {"{\"sub\":null}", MCP_JWT_ERR_CLAIM},
        {"{\"iss\":[\"activeviam\"]}", MCP_JWT_ERR_CLAIM},
        {"{\"jti\":{}}", MCP_JWT_ERR_CLAIM},
        {"{\"aud\":\"mcp\"}", MCP_JWT_OK},
        {"{\"aud\":[\"mcp\",\"other\"]}", MCP_JWT_OK},
        {"{\"aud\":[]}", MCP_JWT_OK},
        {"{\"aud\":7}", MCP_JWT_ERR_CLAIM},
        {"{\"aud\":[\"mcp\",7]}", MCP_JWT_ERR_CLAIM},
        {"{\"authorities\":[]}", MCP_JWT_OK},
        {"{\"authorities\":\"ROLE_USER\"}", MCP_JWT_ERR_CLAIM},
        {"{\"authorities\":[\"ROLE_USER\",1]}", MCP_JWT_ERR_CLAIM},
        {"{\"authorities\":[[\"ROLE_USER\"]]}", MCP_JWT_ERR_CLAIM},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mcp_jwt_status got = payload_status(fx, cases[i].payload);
        if (got != cases[i].want)
            fprintf(stderr, "  payload %s\n", cases[i].payload);
        CHECK_INT(got, cases[i].want);
    }
}

/* Mints {"exp":exp,"nbf":nbf} (either may be absent: pass 0 to omit) and
 * verifies it at `now` with `leeway`. */
static mcp_jwt_status at_time(const fixture *fx, int64_t exp, int64_t nbf,
                              int64_t now, int64_t leeway)
{
    char payload[128];
    char *token;
    const mcp_jwt_key *ring[] = {fx->key};
    mcp_jwt_verify_opts opts = default_opts();
    mcp_jwt_status st;

    if (exp && nbf)
        snprintf(payload, sizeof(payload),
                 "{\"exp\":%" PRId64 ",\"nbf\":%" PRId64 "}", exp, nbf);
    else if (exp)
        snprintf(payload, sizeof(payload), "{\"exp\":%" PRId64 "}", exp);
    else
        snprintf(payload, sizeof(payload), "{\"nbf\":%" PRId64 "}", nbf);
    token = rs512_token(fx, fx->header, payload);
    opts.now = now;
    opts.leeway = leeway;
    st = verify_with(token, strlen(token), ring, 1, &opts);
    free(token);
    return st;
}

static void test_time_boundaries(fixture *fx)
{
    /* Expired when now - leeway >= exp. */
    CHECK_INT(at_time(fx, NOW + 1, 0, NOW, 0), MCP_JWT_OK);
    CHECK_INT(at_time(fx, NOW, 0, NOW, 0), MCP_JWT_ERR_EXPIRED);
    CHECK_INT(at_time(fx, NOW - 1, 0, NOW, 0), MCP_JWT_ERR_EXPIRED);
    CHECK_INT(at_time(fx, NOW - 59, 0, NOW, 60), MCP_JWT_OK);
    CHECK_INT(at_time(fx, NOW - 60, 0, NOW, 60), MCP_JWT_ERR_EXPIRED);
    /* Not yet valid when now + leeway < nbf. */
    CHECK_INT(at_time(fx, 0, NOW, NOW, 0), MCP_JWT_OK);
    CHECK_INT(at_time(fx, 0, NOW + 1, NOW, 0), MCP_JWT_ERR_NOT_YET_VALID);
    CHECK_INT(at_time(fx, 0, NOW + 60, NOW, 60), MCP_JWT_OK);
    CHECK_INT(at_time(fx, 0, NOW + 61, NOW, 60), MCP_JWT_ERR_NOT_YET_VALID);
    /* A negative leeway is no leeway. */
    CHECK_INT(at_time(fx, NOW + 1, 0, NOW, -100), MCP_JWT_OK);
    /* Dates past 2038, and extremes that must not overflow. */
    CHECK_INT(at_time(fx, INT64_C(4102444800), 0, INT64_C(4102444799), 0),
              MCP_JWT_OK);
    CHECK_INT(at_time(fx, INT64_C(4102444800), 0, INT64_C(4102444800), 0),
              MCP_JWT_ERR_EXPIRED);
    CHECK_INT(at_time(fx, INT64_C(253402300799), 0, NOW, 0), MCP_JWT_OK);
    CHECK_INT(at_time(fx, INT64_MIN, 0, NOW, INT64_MAX), MCP_JWT_ERR_EXPIRED);
    CHECK_INT(at_time(fx, 0, INT64_MAX - 512, INT64_MAX, INT64_MAX),
              MCP_JWT_OK);
    CHECK_INT(at_time(fx, NOW + 10, NOW + 5, NOW, 0),
              MCP_JWT_ERR_NOT_YET_VALID);
}

static void test_require_exp_issuer_audience(fixture *fx)
{
    const mcp_jwt_key *ring[] = {fx->key};
    mcp_jwt_verify_opts opts = default_opts();
    static const struct {
        const char *payload;
        const char *issuer, *audience;
        int require_exp;
        mcp_jwt_status want;
    } cases[] = {
        {"{\"sub\":\"a\"}", NULL, NULL, 1, MCP_JWT_ERR_CLAIM},
        {"{\"sub\":\"a\"}", NULL, NULL, 0, MCP_JWT_OK},
        {"{\"Exp\":4102444800}", NULL, NULL, 1, MCP_JWT_ERR_CLAIM},
        {"{\"iss\":\"activeviam\"}", "activeviam", NULL, 0, MCP_JWT_OK},
        {"{\"iss\":\"other\"}", "activeviam", NULL, 0, MCP_JWT_ERR_ISSUER},
        {"{\"iss\":\"activeviam2\"}", "activeviam", NULL, 0,
         MCP_JWT_ERR_ISSUER},
        {"{\"sub\":\"a\"}", "activeviam", NULL, 0, MCP_JWT_ERR_ISSUER},
        {"{\"aud\":\"mcp\"}", NULL, "mcp", 0, MCP_JWT_OK},
        {"{\"aud\":[\"x\",\"mcp\"]}", NULL, "mcp", 0, MCP_JWT_OK},
        {"{\"aud\":[\"x\"]}", NULL, "mcp", 0, MCP_JWT_ERR_AUDIENCE},
        {"{\"aud\":\"MCP\"}", NULL, "mcp", 0, MCP_JWT_ERR_AUDIENCE},
        {"{\"sub\":\"a\"}", NULL, "mcp", 0, MCP_JWT_ERR_AUDIENCE},
        {"{\"aud\":\"other\"}", NULL, NULL, 0, MCP_JWT_OK},
        /* exp is checked before iss. */
        {"{\"exp\":1,\"iss\":\"other\"}", "activeviam", NULL, 0,
         MCP_JWT_ERR_EXPIRED},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *token = rs512_token(fx, fx->header, cases[i].payload);
        mcp_jwt_status got;
        opts.issuer = cases[i].issuer;
        opts.audience = cases[i].audience;
        opts.require_exp = cases[i].require_exp;
        got = verify_with(token, strlen(token), ring, 1, &opts);
        if (got != cases[i].want)
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].payload);
        CHECK_INT(got, cases[i].want);
        free(token);
    }
}

/* Mints claims with the unit and verifies them with opts. */
static mcp_jwt_status minted_status(const fixture *fx,
                                    const mcp_jwt_claims *claims,
                                    const mcp_jwt_verify_opts *opts)
{
    const mcp_jwt_key *ring[] = {fx->public_key};
    char err[MCP_JWT_ERRLEN] = "";
    char *token = mcp_jwt_mint(fx->key, claims, err, sizeof(err));
    mcp_jwt_status st;

    if (!token)
        return (mcp_jwt_status)-1;
    st = verify_with(token, strlen(token), ring, 1, opts);
    free(token);
    return st;
}

static void test_resource_audience(fixture *fx)
{
    const char *resource = "https://mcp.example.com/mcp";
    const mcp_jwt_key *ring[] = {fx->key};
    mcp_jwt_claims claims = fixed_claims();
    mcp_jwt_verify_opts opts = default_opts();
    char err[MCP_JWT_ERRLEN] = "", *token;
    mcp_jwt_verified v;
    mcp_jwt_status st;
    const cJSON *m;
    static const struct {
        const char *payload;
        const char *audience, *resource;
        int require_aud;
        mcp_jwt_status want;
    } cases[] = {
        /* A token with aud must list the resource. */
        {"{\"aud\":\"R\"}", NULL, "R", 0, MCP_JWT_OK},
        {"{\"aud\":[\"x\",\"R\"]}", NULL, "R", 0, MCP_JWT_OK},
        {"{\"aud\":[\"x\"]}", NULL, "R", 0, MCP_JWT_ERR_AUDIENCE},
        {"{\"aud\":\"r\"}", NULL, "R", 0, MCP_JWT_ERR_AUDIENCE},
        {"{\"aud\":[]}", NULL, "R", 0, MCP_JWT_ERR_AUDIENCE},
        /* One without aud passes unless aud is required. */
        {"{\"sub\":\"a\"}", NULL, "R", 0, MCP_JWT_OK},
        {"{\"sub\":\"a\"}", NULL, "R", 1, MCP_JWT_ERR_AUDIENCE},
        {"{\"sub\":\"a\"}", NULL, NULL, 1, MCP_JWT_ERR_AUDIENCE},
        {"{\"aud\":\"anything\"}", NULL, NULL, 1, MCP_JWT_OK},
        {"{\"aud\":\"R\"}", NULL, "R", 1, MCP_JWT_OK},
        /* The audience and the resource are both needed. */
        {"{\"aud\":[\"R\",\"mcp\"]}", "mcp", "R", 1, MCP_JWT_OK},
        {"{\"aud\":[\"R\"]}", "mcp", "R", 1, MCP_JWT_ERR_AUDIENCE},
        {"{\"aud\":[\"mcp\"]}", "mcp", "R", 0, MCP_JWT_ERR_AUDIENCE},
    };
    size_t i;

    /* Hand-signed payloads. */
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mcp_jwt_status got;
        token = rs512_token(fx, fx->header, cases[i].payload);
        opts = default_opts();
        opts.audience = cases[i].audience;
        opts.resource = cases[i].resource;
        opts.require_aud = cases[i].require_aud;
        got = verify_with(token, strlen(token), ring, 1, &opts);
        if (got != cases[i].want)
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].payload);
        CHECK_INT(got, cases[i].want);
        free(token);
    }

    /* Minted with the resource and aud: either is enough on its own. */
    claims.resource = resource;
    claims.aud = "mcp";
    opts = default_opts();
    opts.resource = resource;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_OK);
    opts.require_aud = 1;
    opts.audience = "mcp";
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_OK);
    opts.resource = "https://mcp.example.com/other";
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_ERR_AUDIENCE);
    opts.resource = "https://mcp.example.com/mcp/";
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_ERR_AUDIENCE);
    /* A token for another resource never passes for this one. */
    claims.resource = "https://other.example.com/mcp";
    opts = default_opts();
    opts.resource = resource;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_ERR_AUDIENCE);
    /* aud alone does not name the resource. */
    claims.resource = NULL;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_ERR_AUDIENCE);
    /* No audience at all: passes, unless aud is required. */
    claims.aud = NULL;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_OK);
    opts.require_aud = 1;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_ERR_AUDIENCE);
    opts.resource = NULL;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_ERR_AUDIENCE);
    /* The resource alone is an aud. */
    claims.resource = resource;
    opts.resource = resource;
    CHECK_INT(minted_status(fx, &claims, &opts), MCP_JWT_OK);

    /* client_id and scope reach the verified payload, after the
     * authorities. */
    claims = fixed_claims();
    claims.resource = resource;
    claims.aud = "mcp";
    claims.client_id = "client.eyJy.sig";
    claims.scope = "ROLE_USER";
    token = mcp_jwt_mint(fx->key, &claims, err, sizeof(err));
    opts = default_opts();
    opts.resource = resource;
    opts.audience = "mcp";
    opts.require_aud = 1;
    CHECK(token != NULL);
    st = token ? mcp_jwt_verify(token, strlen(token), ring, 1, &opts, &v)
               : MCP_JWT_ERR_INTERNAL;
    CHECK_INT(st, MCP_JWT_OK);
    if (st == MCP_JWT_OK) {
        m = cJSON_GetObjectItemCaseSensitive(v.payload, "aud");
        CHECK_INT(cJSON_GetArraySize(m), 2);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(m, 0)), resource);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(m, 1)), "mcp");
        m = cJSON_GetObjectItemCaseSensitive(v.payload, "authorities");
        CHECK(m && m->next && !strcmp(m->next->string, "client_id"));
        CHECK(m && m->next && m->next->next &&
              !strcmp(m->next->next->string, "scope") &&
              !m->next->next->next);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                      v.payload, "client_id")),
                  "client.eyJy.sig");
        CHECK_STR(cJSON_GetStringValue(
                      cJSON_GetObjectItemCaseSensitive(v.payload, "scope")),
                  "ROLE_USER");
        mcp_jwt_verified_clear(&v);
    }
    free(token);
}

static void test_key_ring(fixture *fx)
{
    char header3072[128], err[MCP_JWT_ERRLEN] = "";
    const mcp_jwt_key *both[] = {fx->public_key, fx->key3072};
    const mcp_jwt_key *only2048[] = {fx->public_key};
    const mcp_jwt_key *with_null[] = {NULL, fx->key};
    mcp_jwt_verify_opts opts = default_opts();
    mcp_jwt_verified v;
    char *by3072 = mcp_jwt_sign(fx->key3072, good_payload, strlen(good_payload),
                                err, sizeof(err));
    char *by3072_no_kid =
        rsa_token("{\"alg\":\"RS512\"}", good_payload, fx->pkey3072,
                  EVP_sha512(), RSA_PKCS1_PADDING);
    char *by2048_no_kid = rs512_token(fx, "{\"alg\":\"RS512\"}", good_payload);
    mcp_jwt_key *stranger = NULL;
    char *by_stranger = NULL, *by_stranger_no_kid = NULL;

    snprintf(header3072, sizeof(header3072),
             "{\"alg\":\"RS512\",\"kid\":\"%s\"}",
             mcp_jwt_key_kid(fx->key3072));
    CHECK_INT(mcp_jwt_verify(by3072, strlen(by3072), both, 2, &opts, &v),
              MCP_JWT_OK);
    CHECK(v.key == fx->key3072);
    mcp_jwt_verified_clear(&v);
    CHECK_INT(mcp_jwt_verify(by3072_no_kid, strlen(by3072_no_kid), both, 2,
                             &opts, &v),
              MCP_JWT_OK);
    CHECK(v.key == fx->key3072);
    mcp_jwt_verified_clear(&v);
    CHECK_INT(mcp_jwt_verify(by2048_no_kid, strlen(by2048_no_kid), both, 2,
                             &opts, &v),
              MCP_JWT_OK);
    CHECK(v.key == fx->public_key);
    mcp_jwt_verified_clear(&v);
    CHECK_INT(
        verify_with(by2048_no_kid, strlen(by2048_no_kid), with_null, 2, &opts),
        MCP_JWT_OK);

    /* The 3072-bit token against the 2048-bit key alone: with its kid the
     * kid is unknown; without, no key has a 384-byte modulus. */
    CHECK_INT(verify_with(by3072, strlen(by3072), only2048, 1, &opts),
              MCP_JWT_ERR_KID);
    CHECK_INT(
        verify_with(by3072_no_kid, strlen(by3072_no_kid), only2048, 1, &opts),
        MCP_JWT_ERR_SIG_LENGTH);
    /* A kid that names the 2048-bit key on a 384-byte signature. */
    {
        size_t sig_len = 0;
        unsigned char *sig = signature_bytes(by3072, &sig_len);
        char *input = signing_input(fx->header, good_payload);
        char *bad = append_signature(input, sig, sig_len);
        CHECK_INT(verify_with(bad, strlen(bad), both, 2, &opts),
                  MCP_JWT_ERR_SIG_LENGTH);
        free(bad);
        free(input);
        free(sig);
    }
    /* An empty ring. */
    CHECK_INT(verify_with(by2048_no_kid, strlen(by2048_no_kid), NULL, 0, &opts),
              MCP_JWT_ERR_SIGNATURE);
    CHECK_INT(verify_with(by3072, strlen(by3072), NULL, 0, &opts),
              MCP_JWT_ERR_KID);

    /* Another 2048-bit key: same length, wrong signature. */
    CHECK_INT(mcp_jwt_key_generate(2048, &stranger, err, sizeof(err)), 0);
    if (stranger) {
        by_stranger = mcp_jwt_sign(stranger, good_payload, strlen(good_payload),
                                   err, sizeof(err));
        CHECK_INT(verify_with(by_stranger, strlen(by_stranger), both, 2, &opts),
                  MCP_JWT_ERR_KID);
        by_stranger_no_kid =
            replace_segment(by_stranger, 0, "eyJhbGciOiJSUzUxMiJ9");
        CHECK_INT(verify_with(by_stranger_no_kid, strlen(by_stranger_no_kid),
                              both, 2, &opts),
                  MCP_JWT_ERR_SIGNATURE);
    }
    free(by_stranger);
    free(by_stranger_no_kid);
    mcp_jwt_key_free(stranger);
    free(by3072);
    free(by3072_no_kid);
    free(by2048_no_kid);
}

static void test_status_words(void)
{
    CHECK_STR(mcp_jwt_status_code(MCP_JWT_OK), "ok");
    CHECK_STR(mcp_jwt_status_code(MCP_JWT_ERR_SEGMENTS), "malformed");
    CHECK_STR(mcp_jwt_status_code(MCP_JWT_ERR_SIGNATURE), "bad_signature");
    CHECK_STR(mcp_jwt_status_code(MCP_JWT_ERR_EXPIRED), "expired");
    CHECK_STR(mcp_jwt_status_code((mcp_jwt_status)999), "unknown");
    CHECK(strlen(mcp_jwt_status_text((mcp_jwt_status)999)) > 0);
    for (int a = MCP_JWT_OK; a <= MCP_JWT_ERR_INTERNAL; a++) {
        const char *code = mcp_jwt_status_code((mcp_jwt_status)a);
        const char *text = mcp_jwt_status_text((mcp_jwt_status)a);
        int distinct = strcmp(code, "unknown") != 0;
        for (int b = MCP_JWT_OK; b < a; b++)
            distinct &=
                strcmp(code, mcp_jwt_status_code((mcp_jwt_status)b)) != 0;
        CHECK(distinct);
        CHECK(strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
              strlen(code));
        CHECK(strlen(text) > 10 && text[strlen(text) - 1] == '.');
    }
}

static int parsed_has_duplicates(const char *json)
{
    cJSON *tree = cJSON_Parse(json);
    int duplicated = tree ? mcp_json_has_duplicate_members(tree) : -1;

    cJSON_Delete(tree);
    return duplicated;
}

static int escaped_nul(const char *json)
{
    return mcp_json_text_has_escaped_nul(json, strlen(json));
}

static int int64_of(const char *json, int64_t *value)
{
    cJSON *tree = cJSON_Parse(json);
    int rc = mcp_json_get_int64(tree, value);

    cJSON_Delete(tree);
    return rc;
}

static void test_json_helpers(void)
{
    char big[2048];
    size_t used = 0;
    int64_t value = 0;

    CHECK_INT(parsed_has_duplicates("{\"a\":1,\"b\":2}"), 0);
    CHECK_INT(parsed_has_duplicates("{\"a\":1,\"A\":2}"), 0);
    CHECK_INT(parsed_has_duplicates("{\"a\":1,\"a\":2}"), 1);
    CHECK_INT(parsed_has_duplicates("[{\"a\":1},{\"a\":2}]"), 0);
    CHECK_INT(parsed_has_duplicates("[1,[{\"x\":{\"y\":1,\"y\":1}}]]"), 1);
    CHECK_INT(mcp_json_has_duplicate_members(NULL), 0);
    /* Large objects take the sorted path. */
    used += (size_t)snprintf(big + used, sizeof(big) - used, "{");
    for (int i = 0; i < 40; i++)
        used += (size_t)snprintf(big + used, sizeof(big) - used, "%s\"m%d\":%d",
                                 i ? "," : "", i, i);
    CHECK_INT(parsed_has_duplicates(strcat(big, "}")), 0);
    big[used] = '\0';
    CHECK_INT(parsed_has_duplicates(strcat(big, ",\"m17\":0}")), 1);

    CHECK_INT(escaped_nul("\"a\\u0000b\""), 1);
    CHECK_INT(escaped_nul("{\"\\u0000\":1}"), 1);
    CHECK_INT(escaped_nul("\"a\\\\u0000\""), 0);
    CHECK_INT(escaped_nul("\"a\\\\\\u0000\""), 1);
    CHECK_INT(escaped_nul("\"\\u0001\""), 0);
    CHECK_INT(escaped_nul("\"\\u00000\""), 1);
    CHECK_INT(escaped_nul("\"\\u000"), 0);
    CHECK_INT(escaped_nul("{\"a\":\"\\\"\\u0000\"}"), 1);
    CHECK_INT(mcp_json_text_has_escaped_nul("{\"a\":1}\0", 8), 1);

    CHECK_INT(int64_of("4102444800", &value), 0);
    CHECK(value == INT64_C(4102444800));
    CHECK_INT(int64_of("-9223372036854775808", &value), 0);
    CHECK(value == INT64_MIN);
    CHECK_INT(int64_of("9007199254740992", &value), 0);
    CHECK(value == INT64_C(9007199254740992));
    CHECK_INT(int64_of("9223372036854775808", &value), -1);
    CHECK_INT(int64_of("-9223372036854777856", &value), -1);
    CHECK_INT(int64_of("1.5", &value), -1);
    CHECK_INT(int64_of("1e309", &value), -1);
    CHECK_INT(int64_of("\"1\"", &value), -1);
    CHECK_INT(int64_of("-0", &value), 0);
    CHECK_INT(value, 0);
    CHECK_INT(mcp_json_get_int64(NULL, &value), -1);
}

static void test_jti(void)
{
    char a[37], b[37];

    CHECK_INT(mcp_jwt_new_jti(a), 0);
    CHECK_INT(mcp_jwt_new_jti(b), 0);
    CHECK_INT(strlen(a), 36);
    CHECK(strcmp(a, b) != 0);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '4');
    CHECK(strchr("89ab", a[19]) != NULL);
    CHECK(strspn(a, "0123456789abcdef-") == 36);
    /* 200 ids: the version and variant never move, the rest does. */
    {
        int fixed_fields = 1, ids_distinct = 1;
        char previous[37];
        memcpy(previous, a, sizeof(previous));
        for (int i = 0; i < 200; i++) {
            char id[37];
            mcp_jwt_new_jti(id);
            fixed_fields &= id[14] == '4' && strchr("89ab", id[19]) != NULL;
            ids_distinct &= strcmp(id, previous) != 0;
            memcpy(previous, id, sizeof(previous));
        }
        CHECK(fixed_fields);
        CHECK(ids_distinct);
    }
}

typedef struct {
    const mcp_jwt_key *key;
    const char *shared_token; /* one token every thread verifies */
    const unsigned char *shared_mac; /* the key's HMAC of that token */
    int index;
    int failures;
} worker;

static void *sign_and_verify(void *arg)
{
    worker *w = arg;
    const mcp_jwt_key *ring[] = {w->key};
    mcp_jwt_verify_opts opts = {.now = NOW, .require_exp = 1};

    for (int i = 0; i < 25; i++) {
        char sub[32], err[MCP_JWT_ERRLEN], jti[37];
        mcp_jwt_claims claims = fixed_claims();
        mcp_jwt_verified v;
        char *token;
        snprintf(sub, sizeof(sub), "user-%d-%d", w->index, i);
        claims.sub = sub;
        if (mcp_jwt_new_jti(jti) != 0) {
            w->failures++;
            continue;
        }
        claims.jti = jti;
        token = mcp_jwt_mint(w->key, &claims, err, sizeof(err));
        if (!token ||
            mcp_jwt_verify(token, strlen(token), ring, 1, &opts, &v) !=
                MCP_JWT_OK ||
            strcmp(v.sub, sub) != 0)
            w->failures++;
        else
            mcp_jwt_verified_clear(&v);
        free(token);
    }
    /* The threads copy the key's prepared verification context at once,
     * and each also fails a forged token between good ones: a copy taken
     * while another thread copies, or after a refusal, still verifies. */
    for (int i = 0; i < 200; i++) {
        mcp_jwt_verified v;
        size_t len = strlen(w->shared_token);
        char forged[4096];
        unsigned char mac[32];
        if (mcp_jwt_verify(w->shared_token, len, ring, 1, &opts, &v) !=
            MCP_JWT_OK)
            w->failures++;
        else
            mcp_jwt_verified_clear(&v);
        if (mcp_jwt_key_hmac(w->key, (const unsigned char *)w->shared_token,
                             len, mac) != 0 ||
            memcmp(mac, w->shared_mac, sizeof(mac)) != 0)
            w->failures++;
        if (i % 10 == 0 && len < sizeof(forged)) {
            memcpy(forged, w->shared_token, len + 1);
            forged[len - 2] = forged[len - 2] == 'A' ? 'B' : 'A';
            if (mcp_jwt_verify(forged, len, ring, 1, &opts, &v) !=
                MCP_JWT_ERR_SIGNATURE)
                w->failures++;
        }
    }
    return NULL;
}

static void test_threads_share_a_key(fixture *fx)
{
    pthread_t threads[4];
    worker workers[4];
    char err[MCP_JWT_ERRLEN];
    mcp_jwt_claims claims = fixed_claims();
    char *shared = mcp_jwt_mint(fx->key, &claims, err, sizeof(err));

    unsigned char mac[32];

    CHECK(shared != NULL);
    if (!shared)
        return;
    CHECK_INT(mcp_jwt_key_hmac(fx->key, (const unsigned char *)shared,
                               strlen(shared), mac),
              0);
    for (int i = 0; i < 4; i++) {
        workers[i] = (worker){.key = fx->key,
                              .shared_token = shared,
                              .shared_mac = mac,
                              .index = i,
                              .failures = 0};
        CHECK_INT(
            pthread_create(&threads[i], NULL, sign_and_verify, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(workers[i].failures, 0);
    }
    free(shared);
}

static EVP_PKEY *read_private_pkey(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *pkey = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

    if (f)
        fclose(f);
    return pkey;
}

static EVP_PKEY *read_private_pkey_b64_der(const char *path)
{
    char *b64 = read_fixture_line(path);
    unsigned char der[4096];
    const unsigned char *cursor = der;
    size_t der_len = 0;
    EVP_PKEY *pkey = NULL;

    if (b64 && mcp_b64_decode_key_text(b64, strlen(b64), der, &der_len) == 0)
        pkey = d2i_AutoPrivateKey(NULL, &cursor, (long)der_len);
    free(b64);
    return pkey;
}

static int fixture_open(fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx->key = load_fixture(FIXTURE("rsa2048.pkcs8.pem"));
    fx->public_key = load_fixture(FIXTURE("rsa2048.spki.pem"));
    fx->key3072 = load_fixture(FIXTURE("rsa3072.pkcs8.b64"));
    fx->pkey = read_private_pkey(FIXTURE("rsa2048.pkcs8.pem"));
    fx->pkey3072 = read_private_pkey_b64_der(FIXTURE("rsa3072.pkcs8.b64"));
    fx->public_pem =
        read_file(FIXTURE("rsa2048.spki.pem"), &fx->public_pem_len);
    if (!fx->key || !fx->public_key || !fx->key3072 || !fx->pkey ||
        !fx->pkey3072 || !fx->public_pem || make_scratch(fx->scratch) != 0)
        return -1;
    snprintf(fx->header, sizeof(fx->header),
             "{\"alg\":\"RS512\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             mcp_jwt_key_kid(fx->key));
    return 0;
}

static void fixture_close(fixture *fx)
{
    mcp_jwt_key_free(fx->key);
    mcp_jwt_key_free(fx->public_key);
    mcp_jwt_key_free(fx->key3072);
    EVP_PKEY_free(fx->pkey);
    EVP_PKEY_free(fx->pkey3072);
    free(fx->public_pem);
    if (fx->scratch[0])
        remove_scratch(fx->scratch);
}

int main(void)
{
    fixture fx;

    if (fixture_open(&fx) != 0) {
        fprintf(stderr, "test_jwt: fixtures missing (run from t/unit)\n");
        fixture_close(&fx);
        return 1;
    }
    test_claims_json();
    test_known_answer_against_openssl_cli(&fx);
    test_round_trip(&fx);
    test_sign_refusals(&fx);
    test_algorithm_is_pinned(&fx);
    test_segments_and_base64(&fx);
    test_length_and_emptiness(&fx);
    test_signature_length_and_value(&fx);
    test_signature_over_received_bytes(&fx);
    test_header_members(&fx);
    test_header_raw_nul(&fx);
    test_payload_shape(&fx);
    test_claim_types(&fx);
    test_time_boundaries(&fx);
    test_require_exp_issuer_audience(&fx);
    test_resource_audience(&fx);
    test_key_ring(&fx);
    test_status_words();
    test_json_helpers();
    test_jti();
    test_threads_share_a_key(&fx);
    fixture_close(&fx);
    return UNIT_DONE("test_jwt");
}
