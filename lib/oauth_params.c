/*
 * OAuth request parameters: see oauth_params.h.
 */

#include "oauth_params.h"

#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "message.h"
#include "redirect_uri.h"
#include "utf8.h"

void mcp_oauth_params_free(char **values, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

static long find_name(const char *name, const char *const *names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!strcmp(name, names[i]))
            return (long)i;
    return -1;
}

mcp_oauth_params_status mcp_oauth_params_parse(const char *text, size_t len,
                                               const char *const *names,
                                               size_t n, char **values,
                                               char *msg, size_t msglen)
{
    mcp_oauth_params_status st = MCP_OAUTH_PARAMS_OK;
    unsigned char *seen;
    size_t pos = 0;
    mcp_form_pair p;
    char *buf;

    memset(values, 0, n * sizeof(*values));
    if (len > MCP_OAUTH_MAX_TEXT) {
        mcp_message(msg, msglen, "the request exceeds %d bytes",
                    MCP_OAUTH_MAX_TEXT);
        return MCP_OAUTH_PARAMS_TOO_LARGE;
    }
    buf = malloc(len + 1);
    seen = calloc(n ? n : 1, 1);
    if (!buf || !seen) {
        free(buf);
        free(seen);
        mcp_message(msg, msglen, "out of memory");
        return MCP_OAUTH_PARAMS_NOMEM;
    }
    while (st == MCP_OAUTH_PARAMS_OK &&
           mcp_form_next_pair(text, len, &pos, &p)) {
        long dn, dv = 0, i;

        if (p.len == 0)
            continue;
        dn = mcp_form_decode(p.name, p.nlen, buf);
        if (dn < 0 || !mcp_utf8_valid(buf, (size_t)dn)) {
            mcp_message(msg, msglen, "a parameter name is malformed (a bad "
                                     "percent escape, a NUL byte or invalid "
                                     "UTF-8)");
            st = MCP_OAUTH_PARAMS_MALFORMED;
            break;
        }
        i = find_name(buf, names, n);
        if (i < 0)
            continue; /* unknown: ignored */
        if (seen[i]) {
            mcp_message(msg, msglen, "\"%s\" is given more than once",
                        names[i]);
            st = MCP_OAUTH_PARAMS_DUPLICATE;
            break;
        }
        seen[i] = 1;
        if (p.value)
            dv = mcp_form_decode(p.value, p.vlen, buf);
        else
            buf[0] = '\0';
        if (dv < 0 || !mcp_utf8_valid(buf, (size_t)dv)) {
            mcp_message(msg, msglen,
                        "\"%s\" is malformed (a bad percent escape, a NUL "
                        "byte or invalid UTF-8)",
                        names[i]);
            st = MCP_OAUTH_PARAMS_MALFORMED;
            break;
        }
        if (dv == 0)
            continue; /* empty: as if absent */
        values[i] = malloc((size_t)dv + 1);
        if (!values[i]) {
            mcp_message(msg, msglen, "out of memory");
            st = MCP_OAUTH_PARAMS_NOMEM;
            break;
        }
        memcpy(values[i], buf, (size_t)dv + 1);
    }
    free(buf);
    free(seen);
    if (st != MCP_OAUTH_PARAMS_OK)
        mcp_oauth_params_free(values, n);
    return st;
}

int mcp_oauth_state_valid(const char *state)
{
    size_t n = 0;
    for (; state[n]; n++)
        if ((unsigned char)state[n] < 0x20 || (unsigned char)state[n] > 0x7e)
            return 0;
    return n >= 1 && n <= MCP_OAUTH_STATE_MAX;
}

int mcp_oauth_resource_valid(const char *uri)
{
    size_t n = strlen(uri), i;
    const char *host, *end;

    if (n > MCP_OAUTH_RESOURCE_MAX || strchr(uri, '#'))
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7f)
            return 0;
    if (!strncmp(uri, "https://", 8))
        host = uri + 8;
    else if (!strncmp(uri, "http://", 7))
        host = uri + 7;
    else
        return 0;
    end = host + strcspn(host, "/?");
    if (end == host || memchr(host, '@', (size_t)(end - host)))
        return 0;
    /* http only where a redirect could be: a loopback host. */
    if (host == uri + 7)
        return mcp_redirect_uri_check(uri, NULL, 0) == MCP_REDIRECT_OK;
    return 1;
}

int mcp_oauth_scope_token_valid(const char *role)
{
    const unsigned char *c = (const unsigned char *)role;
    if (!*c)
        return 0;
    for (; *c; c++)
        if (*c < 0x21 || *c > 0x7e || *c == '"' || *c == '\\')
            return 0;
    return 1;
}

int mcp_oauth_scope_roles(const char *scope, mcp_roles *out)
{
    static const char *const ignored[] = {"openid", "email", "profile",
                                          "offline_access"};
    const char *s = scope;

    while (*s) {
        size_t len = strcspn(s, " "), i;
        char token[MCP_ROLE_MAX_LEN + 1];
        int skip = 0;

        if (len == 0) {
            s++;
            continue;
        }
        if (len > MCP_ROLE_MAX_LEN)
            return -1;
        memcpy(token, s, len);
        token[len] = '\0';
        if (!mcp_oauth_scope_token_valid(token))
            return -1;
        for (i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
            if (!strcmp(token, ignored[i]))
                skip = 1;
        if (!skip && !mcp_roles_contains(out, token) &&
            mcp_roles_add(out, token, len) < 0)
            return -1;
        s += len;
    }
    return 0;
}
