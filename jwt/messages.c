/*
 * Words for failures: the messages of key loading and signing, and the
 * codes and sentences of verification statuses.
 *
 * Status codes are stable identifiers for logs and for the error_description
 * of a WWW-Authenticate challenge; none of them says which key exists or
 * which claim held what value.
 */
#include <stdarg.h>
#include <stdio.h>

#include "jwt_internal.h"

int mcp_jwt_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const struct {
    const char *code;
    const char *text;
} status_words[] = {
    [MCP_JWT_OK] = {"ok", "The token is valid."},
    [MCP_JWT_ERR_EMPTY] = {"missing", "No token was given."},
    [MCP_JWT_ERR_TOO_LONG] = {"too_long",
                              "The token is longer than any this server "
                              "issues."},
    [MCP_JWT_ERR_SEGMENTS] = {"malformed",
                              "The token is not three non-empty segments "
                              "separated by dots."},
    [MCP_JWT_ERR_BASE64] = {"bad_base64",
                            "A token segment is not strict unpadded "
                            "base64url."},
    [MCP_JWT_ERR_HEADER] = {"bad_header",
                            "The token header is not a JSON object with "
                            "acceptable members."},
    [MCP_JWT_ERR_ALG] = {"bad_alg", "The token is not signed with RS512."},
    [MCP_JWT_ERR_CRIT] = {"unsupported_crit",
                          "The token header names critical extensions this "
                          "server does not support."},
    [MCP_JWT_ERR_KID] = {"unknown_kid",
                         "The token names a signing key this server does "
                         "not know."},
    [MCP_JWT_ERR_SIG_LENGTH] = {"bad_signature_length",
                                "The token signature does not have the "
                                "length of the key's modulus."},
    [MCP_JWT_ERR_SIGNATURE] = {"bad_signature",
                               "The token signature does not verify."},
    [MCP_JWT_ERR_PAYLOAD] = {"bad_payload",
                             "The token payload is not a JSON object without "
                             "NUL characters."},
    [MCP_JWT_ERR_DUPLICATE] = {"duplicate_member",
                               "The token repeats a JSON member name."},
    [MCP_JWT_ERR_CLAIM] = {"bad_claim",
                           "A registered claim of the token is missing or "
                           "has the wrong type."},
    [MCP_JWT_ERR_EXPIRED] = {"expired", "The token has expired."},
    [MCP_JWT_ERR_NOT_YET_VALID] = {"not_yet_valid",
                                   "The token is not valid yet."},
    [MCP_JWT_ERR_ISSUER] = {"bad_issuer",
                            "The token was issued by another issuer."},
    [MCP_JWT_ERR_AUDIENCE] = {"bad_audience",
                              "The token is meant for another audience."},
    [MCP_JWT_ERR_INTERNAL] = {"internal_error",
                              "The token could not be checked because of an "
                              "internal error."},
};

#define STATUS_COUNT (sizeof(status_words) / sizeof(status_words[0]))

const char *mcp_jwt_status_code(mcp_jwt_status st)
{
    if ((unsigned)st >= STATUS_COUNT || !status_words[st].code)
        return "unknown";
    return status_words[st].code;
}

const char *mcp_jwt_status_text(mcp_jwt_status st)
{
    if ((unsigned)st >= STATUS_COUNT || !status_words[st].text)
        return "Unknown token status.";
    return status_words[st].text;
}
