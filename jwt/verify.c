/*
 * Verification of a compact RS512 JWS, in the order jwt.h documents.
 *
 * The order is part of the contract: cheap structural checks first, so that
 * junk costs no RSA operation; everything the header says is checked before
 * a key is chosen, so that an attacker cannot steer the algorithm or the
 * key type; and the payload is trusted only after the signature verified,
 * over the bytes received and never over a re-serialisation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "jwt_internal.h"

typedef struct {
    const char *text;
    size_t len;
} segment;

/* The three base64url segments, decoded and NUL-terminated in one block. */
typedef struct {
    unsigned char *block;
    unsigned char *header, *payload, *sig;
    size_t header_len, payload_len, sig_len;
} decoded_token;

static mcp_jwt_status split_segments(const char *token, size_t len,
                                     segment parts[3])
{
    const char *end = token + len;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 =
        dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;

    if (!dot2 || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)))
        return MCP_JWT_ERR_SEGMENTS;
    parts[0] = (segment){token, (size_t)(dot1 - token)};
    parts[1] = (segment){dot1 + 1, (size_t)(dot2 - dot1 - 1)};
    parts[2] = (segment){dot2 + 1, (size_t)(end - dot2 - 1)};
    if (parts[0].len == 0 || parts[1].len == 0 || parts[2].len == 0)
        return MCP_JWT_ERR_SEGMENTS;
    return MCP_JWT_OK;
}

static int decode_segment(const segment *part, unsigned char *out,
                          size_t *out_len)
{
    if (mcp_b64url_decode(part->text, part->len, out, out_len) != 0)
        return -1;
    out[*out_len] = '\0';
    return 0;
}

static mcp_jwt_status decode_segments(const segment parts[3], decoded_token *d)
{
    size_t room[3], total = 0;

    for (int i = 0; i < 3; i++) {
        room[i] = parts[i].len / 4 * 3 + 3;
        total += room[i];
    }
    d->block = malloc(total);
    if (!d->block)
        return MCP_JWT_ERR_INTERNAL;
    d->header = d->block;
    d->payload = d->header + room[0];
    d->sig = d->payload + room[1];
    if (decode_segment(&parts[0], d->header, &d->header_len) != 0 ||
        decode_segment(&parts[1], d->payload, &d->payload_len) != 0 ||
        decode_segment(&parts[2], d->sig, &d->sig_len) != 0)
        return MCP_JWT_ERR_BASE64;
    return MCP_JWT_OK;
}

/*
 * Parses exactly len bytes as one JSON value.  cJSON would stop at a raw
 * NUL and skip a byte order mark, each of which lets the text mean
 * something other than what it says: both are refused.  The length passed
 * includes the NUL that ends the decoded buffer, which is what cJSON's
 * require_null_terminated looks for; the end it reports must then be that
 * NUL, which also catches a raw NUL should the first test ever be lost.
 */
static cJSON *parse_exact_json(const unsigned char *text, size_t len)
{
    const char *json = (const char *)text;
    const char *parse_end = NULL;
    cJSON *root;

    if (memchr(json, '\0', len))
        return NULL;
    if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0)
        return NULL;
    root = cJSON_ParseWithLengthOpts(json, len + 1, &parse_end, 1);
    if (root && parse_end != json + len) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static int string_member_is(const cJSON *object, const char *name,
                            const char *expected)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(member) && strcmp(member->valuestring, expected) == 0;
}

/* Member lookups here are case-sensitive on purpose: cJSON_GetObjectItem()
 * would read "ALG" or "Exp" as "alg" or "exp". */
static mcp_jwt_status check_header(const cJSON *header, const decoded_token *d,
                                   const char **kid)
{
    const cJSON *typ, *kid_member;

    *kid = NULL;
    if (!cJSON_IsObject(header))
        return MCP_JWT_ERR_HEADER;
    if (mcp_json_has_duplicate_members(header))
        return MCP_JWT_ERR_DUPLICATE;
    /* Else "RS512\u0000x" would read as "RS512". */
    if (mcp_json_text_has_escaped_nul((const char *)d->header, d->header_len))
        return MCP_JWT_ERR_HEADER;
    if (!string_member_is(header, "alg", "RS512"))
        return MCP_JWT_ERR_ALG;
    typ = cJSON_GetObjectItemCaseSensitive(header, "typ");
    if (typ && !string_member_is(header, "typ", "JWT"))
        return MCP_JWT_ERR_HEADER;
    /* RFC 7515 section 4.1.11: a recipient that does not understand every
     * listed extension must reject the token, and this one knows none. */
    if (cJSON_GetObjectItemCaseSensitive(header, "crit"))
        return MCP_JWT_ERR_CRIT;
    kid_member = cJSON_GetObjectItemCaseSensitive(header, "kid");
    if (kid_member && !cJSON_IsString(kid_member))
        return MCP_JWT_ERR_HEADER;
    if (kid_member)
        *kid = kid_member->valuestring;
    return MCP_JWT_OK;
}

static int rs512_verifies(const mcp_jwt_key *key, const char *input, size_t len,
                          const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *md_ctx = mcp_rs512_begin(key, 0);
    int ok;

    ok = md_ctx && EVP_DigestVerify(md_ctx, sig, sig_len,
                                    (const unsigned char *)input, len) == 1;
    EVP_MD_CTX_free(md_ctx);
    return ok;
}

/*
 * With a kid, only that key is tried.  Without one, every key whose
 * modulus length matches the signature is; a signature no key's modulus
 * fits is a length error rather than a signature error, which tells an
 * operator a truncated token from a forged one.
 */
static mcp_jwt_status find_verifying_key(const mcp_jwt_key *const *keys,
                                         size_t n_keys, const char *kid,
                                         const char *input, size_t input_len,
                                         const decoded_token *d,
                                         const mcp_jwt_key **verified_by)
{
    int any_key = 0, any_length_fits = 0;

    *verified_by = NULL;
    for (size_t i = 0; i < n_keys; i++) {
        const mcp_jwt_key *key = keys[i];
        if (!key || (kid && strcmp(kid, key->kid) != 0))
            continue;
        any_key = 1;
        if (d->sig_len != key->sig_len)
            continue;
        any_length_fits = 1;
        if (rs512_verifies(key, input, input_len, d->sig, d->sig_len)) {
            *verified_by = key;
            return MCP_JWT_OK;
        }
        if (kid)
            break;
    }
    if (kid && !any_key)
        return MCP_JWT_ERR_KID;
    if (any_key && !any_length_fits)
        return MCP_JWT_ERR_SIG_LENGTH;
    return MCP_JWT_ERR_SIGNATURE;
}

static int optional_string(const cJSON *payload, const char *name,
                           const char **value)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(payload, name);

    *value = NULL;
    if (!member)
        return 0;
    if (!cJSON_IsString(member))
        return -1;
    *value = member->valuestring;
    return 0;
}

static int optional_date(const cJSON *payload, const char *name, int64_t *value,
                         int *present)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(payload, name);

    *value = 0;
    *present = member != NULL;
    if (!member)
        return 0;
    return mcp_json_get_int64(member, value);
}

static int is_array_of_strings(const cJSON *item)
{
    const cJSON *element;

    if (!cJSON_IsArray(item))
        return 0;
    cJSON_ArrayForEach(element, item)
    {
        if (!cJSON_IsString(element))
            return 0;
    }
    return 1;
}

static mcp_jwt_status read_claims(const cJSON *payload,
                                  const mcp_jwt_verify_opts *opts,
                                  mcp_jwt_verified *v)
{
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
    const cJSON *authorities =
        cJSON_GetObjectItemCaseSensitive(payload, "authorities");

    if (optional_string(payload, "sub", &v->sub) != 0 ||
        optional_string(payload, "iss", &v->iss) != 0 ||
        optional_string(payload, "jti", &v->jti) != 0 ||
        optional_date(payload, "iat", &v->iat, &v->has_iat) != 0 ||
        optional_date(payload, "nbf", &v->nbf, &v->has_nbf) != 0 ||
        optional_date(payload, "exp", &v->exp, &v->has_exp) != 0)
        return MCP_JWT_ERR_CLAIM;
    if (aud && !cJSON_IsString(aud) && !is_array_of_strings(aud))
        return MCP_JWT_ERR_CLAIM;
    if (authorities && !is_array_of_strings(authorities))
        return MCP_JWT_ERR_CLAIM;
    if (opts->require_exp && !v->has_exp)
        return MCP_JWT_ERR_CLAIM;
    v->authorities = authorities;
    return MCP_JWT_OK;
}

/* now and leeway come from the caller, exp and nbf from the token: any of
 * them may be extreme, and signed overflow is undefined behaviour. */
static int64_t add_saturating(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static int audience_contains(const cJSON *aud, const char *audience)
{
    const cJSON *element;

    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, audience) == 0;
    cJSON_ArrayForEach(element, aud)
    {
        if (cJSON_IsString(element) &&
            strcmp(element->valuestring, audience) == 0)
            return 1;
    }
    return 0;
}

static mcp_jwt_status check_claims(const cJSON *payload,
                                   const mcp_jwt_verify_opts *opts,
                                   const mcp_jwt_verified *v)
{
    /* A negative slack would make valid tokens fail: treat it as none. */
    int64_t leeway = opts->leeway > 0 ? opts->leeway : 0;

    if (v->has_exp && add_saturating(opts->now, -leeway) >= v->exp)
        return MCP_JWT_ERR_EXPIRED;
    if (v->has_nbf && add_saturating(opts->now, leeway) < v->nbf)
        return MCP_JWT_ERR_NOT_YET_VALID;
    if (opts->issuer && (!v->iss || strcmp(v->iss, opts->issuer) != 0))
        return MCP_JWT_ERR_ISSUER;
    if (opts->audience &&
        !audience_contains(cJSON_GetObjectItemCaseSensitive(payload, "aud"),
                           opts->audience))
        return MCP_JWT_ERR_AUDIENCE;
    {
        const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
        if ((aud || opts->require_aud) && opts->resource &&
            !audience_contains(aud, opts->resource))
            return MCP_JWT_ERR_AUDIENCE;
        if (!aud && opts->require_aud)
            return MCP_JWT_ERR_AUDIENCE;
    }
    return MCP_JWT_OK;
}

static mcp_jwt_status
verify_decoded(const segment parts[3], const decoded_token *d,
               const mcp_jwt_key *const *keys, size_t n_keys,
               const mcp_jwt_verify_opts *opts, mcp_jwt_verified *v)
{
    const char *kid = NULL;
    mcp_jwt_status st;

    v->header = parse_exact_json(d->header, d->header_len);
    if (!v->header)
        return MCP_JWT_ERR_HEADER;
    st = check_header(v->header, d, &kid);
    if (st != MCP_JWT_OK)
        return st;

    /* The signing input is the received text up to the second dot. */
    st = find_verifying_key(keys, n_keys, kid, parts[0].text,
                            parts[0].len + 1 + parts[1].len, d, &v->key);
    if (st != MCP_JWT_OK)
        return st;

    v->payload = parse_exact_json(d->payload, d->payload_len);
    if (!v->payload || !cJSON_IsObject(v->payload))
        return MCP_JWT_ERR_PAYLOAD;
    if (mcp_json_has_duplicate_members(v->payload))
        return MCP_JWT_ERR_DUPLICATE;
    if (mcp_json_text_has_escaped_nul((const char *)d->payload, d->payload_len))
        return MCP_JWT_ERR_PAYLOAD;
    st = read_claims(v->payload, opts, v);
    if (st != MCP_JWT_OK)
        return st;
    return check_claims(v->payload, opts, v);
}

mcp_jwt_status mcp_jwt_verify(const char *token, size_t len,
                              const mcp_jwt_key *const *keys, size_t n_keys,
                              const mcp_jwt_verify_opts *opts,
                              mcp_jwt_verified *out)
{
    size_t max_len;
    segment parts[3];
    decoded_token decoded = {0};
    mcp_jwt_status st;

    if (out)
        memset(out, 0, sizeof(*out));
    if (!out || !opts || (!keys && n_keys > 0))
        return MCP_JWT_ERR_INTERNAL;
    if (!token || len == 0)
        return MCP_JWT_ERR_EMPTY;
    max_len = opts->max_len ? opts->max_len : MCP_JWT_MAX_TOKEN_LEN;
    if (len > max_len)
        return MCP_JWT_ERR_TOO_LONG;
    st = split_segments(token, len, parts);
    if (st != MCP_JWT_OK)
        return st;
    st = decode_segments(parts, &decoded);
    if (st == MCP_JWT_OK) {
        /* OpenSSL queues an error for every signature that fails; drop
         * them so that they do not surface in a later TLS call on this
         * thread. */
        ERR_set_mark();
        st = verify_decoded(parts, &decoded, keys, n_keys, opts, out);
        ERR_pop_to_mark();
    }
    free(decoded.block);
    if (st != MCP_JWT_OK)
        mcp_jwt_verified_clear(out);
    return st;
}

void mcp_jwt_verified_clear(mcp_jwt_verified *v)
{
    if (!v)
        return;
    cJSON_Delete(v->header);
    cJSON_Delete(v->payload);
    memset(v, 0, sizeof(*v));
}
