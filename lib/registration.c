/*
 * RFC 7591 registration requests of public clients.
 */
#include "registration.h"
#include "message.h"
#include "redirect_uri.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jwt.h"

void mcp_registration_init(mcp_registration *reg)
{
    memset(reg, 0, sizeof(*reg));
}

void mcp_registration_clear(mcp_registration *reg)
{
    size_t i;
    for (i = 0; i < reg->n_redirect_uris; i++)
        free(reg->redirect_uris[i]);
    free(reg->client_name);
    mcp_registration_init(reg);
}

/* The code point of the UTF-8 sequence at s (valid UTF-8), and its
 * length in *n. */
static unsigned long code_point(const unsigned char *s, size_t *n)
{
    if (s[0] < 0x80) {
        *n = 1;
        return s[0];
    }
    if ((s[0] & 0xe0) == 0xc0) {
        *n = 2;
        return ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if ((s[0] & 0xf0) == 0xe0) {
        *n = 3;
        return ((unsigned long)(s[0] & 0x0f) << 12) |
               ((unsigned long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    }
    *n = 4;
    return ((unsigned long)(s[0] & 0x07) << 18) |
           ((unsigned long)(s[1] & 0x3f) << 12) |
           ((unsigned long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

static int hidden(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
           cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

size_t mcp_client_name_clean(const char *in, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t len = in ? strlen(in) : 0, i = 0, o = 0, chars = 0;
    int space = 0;

    out[0] = '\0';
    if (!in || !mcp_utf8_valid(in, len))
        return 0;
    while (i < len && chars < MCP_CLIENT_NAME_MAX) {
        size_t n;
        unsigned long cp = code_point(s + i, &n);
        if (hidden(cp)) {
            i += n;
            continue;
        }
        if (cp == ' ') {
            space = o > 0;
            i += n;
            continue;
        }
        if (space) {
            /* Never a space as the last character kept: trimmed. */
            if (chars + 1 == MCP_CLIENT_NAME_MAX)
                break;
            out[o++] = ' ';
            chars++;
            space = 0;
        }
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
        chars++;
    }
    out[o] = '\0';
    return o;
}

static mcp_registration_status fail(mcp_registration_status st, char *err,
                                    size_t errlen, const char *msg)
{
    mcp_message(err, errlen, "%s", msg);
    return st;
}

/* Every item of an array of strings is one of the allowed ones; *has
 * tells whether want was among them. */
static int strings_within(const cJSON *arr, const char *const *allowed,
                          const char *want, int *has)
{
    const cJSON *it;
    *has = 0;
    if (!cJSON_IsArray(arr))
        return 0;
    cJSON_ArrayForEach(it, arr)
    {
        size_t k;
        int ok = 0;
        if (!cJSON_IsString(it))
            return 0;
        for (k = 0; allowed[k]; k++)
            ok |= !strcmp(it->valuestring, allowed[k]);
        if (!ok)
            return 0;
        *has |= !strcmp(it->valuestring, want);
    }
    return 1;
}

static mcp_registration_status parse(const cJSON *doc,
                                     const char *const *https_allowed,
                                     size_t n_allowed, mcp_registration *out,
                                     char *err, size_t errlen)
{
    static const char *const grants[] = {"authorization_code",
                                         "refresh_token", NULL};
    static const char *const responses[] = {"code", NULL};
    const cJSON *uris, *it;
    int all_https = 1, has;

    if (!cJSON_IsObject(doc))
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "the body is not a JSON object");
    it = cJSON_GetObjectItemCaseSensitive(doc, "token_endpoint_auth_method");
    if (it && (!cJSON_IsString(it) || strcmp(it->valuestring, "none")))
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "only public clients register here: "
                    "token_endpoint_auth_method must be \"none\"");
    it = cJSON_GetObjectItemCaseSensitive(doc, "grant_types");
    if (it) {
        if (!strings_within(it, grants, "authorization_code", &has) || !has)
            return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                        "grant_types must hold authorization_code, and "
                        "refresh_token at most besides");
        strings_within(it, grants, "refresh_token", &out->refresh);
    }
    it = cJSON_GetObjectItemCaseSensitive(doc, "response_types");
    if (it && (!strings_within(it, responses, "code", &has) || !has))
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "response_types must be [\"code\"]");
    uris = cJSON_GetObjectItemCaseSensitive(doc, "redirect_uris");
    if (!cJSON_IsArray(uris) || cJSON_GetArraySize(uris) < 1 ||
        cJSON_GetArraySize(uris) > MCP_REGISTRATION_MAX_REDIRECTS)
        return fail(MCP_REGISTRATION_INVALID_REDIRECT_URI, err, errlen,
                    "redirect_uris must be an array of 1 to 8 URIs");
    cJSON_ArrayForEach(it, uris)
    {
        mcp_redirect_status st;
        if (!cJSON_IsString(it))
            return fail(MCP_REGISTRATION_INVALID_REDIRECT_URI, err, errlen,
                        "redirect_uris must hold strings");
        st = mcp_redirect_uri_check(it->valuestring, https_allowed,
                                    n_allowed);
        if (st != MCP_REDIRECT_OK)
            return fail(MCP_REGISTRATION_INVALID_REDIRECT_URI, err, errlen,
                        mcp_redirect_status_text(st));
        all_https &= !strncmp(it->valuestring, "https:", 6);
        out->redirect_uris[out->n_redirect_uris] = strdup(it->valuestring);
        if (!out->redirect_uris[out->n_redirect_uris])
            return MCP_REGISTRATION_NOMEM;
        out->n_redirect_uris++;
    }
    it = cJSON_GetObjectItemCaseSensitive(doc, "application_type");
    if (it) {
        if (!cJSON_IsString(it) || (strcmp(it->valuestring, "web") &&
                                    strcmp(it->valuestring, "native")))
            return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                        "application_type must be \"web\" or \"native\"");
        out->native = !strcmp(it->valuestring, "native");
    }
    else {
        out->native = !all_https;
    }
    it = cJSON_GetObjectItemCaseSensitive(doc, "client_name");
    if (it) {
        char name[4 * MCP_CLIENT_NAME_MAX + 1];
        if (!cJSON_IsString(it))
            return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                        "client_name must be a string");
        if (mcp_client_name_clean(it->valuestring, name) > 0 &&
            !(out->client_name = strdup(name)))
            return MCP_REGISTRATION_NOMEM;
    }
    return MCP_REGISTRATION_OK;
}

mcp_registration_status mcp_registration_parse(
    const char *body, size_t len, const char *const *https_allowed,
    size_t n_allowed, mcp_registration *out, char *err, size_t errlen)
{
    mcp_registration_status st;
    const char *end = NULL;
    cJSON *doc;

    mcp_registration_init(out);
    if (!body || len > MCP_REGISTRATION_MAX_BODY)
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "the registration is larger than 8 KiB");
    if (memchr(body, '\0', len) || mcp_json_text_has_escaped_nul(body, len))
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "the registration holds a NUL character");
    doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    while (doc && end < body + len &&
           (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (doc && end != body + len) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    if (!doc)
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "the registration is not well-formed JSON");
    if (mcp_json_has_duplicate_members(doc)) {
        cJSON_Delete(doc);
        return fail(MCP_REGISTRATION_INVALID_METADATA, err, errlen,
                    "a member is given twice");
    }
    st = parse(doc, https_allowed, n_allowed, out, err, errlen);
    cJSON_Delete(doc);
    if (st != MCP_REGISTRATION_OK)
        mcp_registration_clear(out);
    return st;
}
