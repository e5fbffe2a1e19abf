/*
 * Redirect URIs: the registration rules and the loopback port exception.
 */
#include "redirect_uri.h"
#include "roles.h"

#include <string.h>

/* The parts of an absolute URI that the rules look at. */
typedef struct {
    const char *scheme;
    size_t scheme_len;
    const char *host;       /* NULL without an authority */
    size_t host_len;
    const char *port;       /* NULL without ":port" */
    size_t port_len;
    const char *rest;       /* path, query: everything after the authority */
    int has_userinfo;
    int has_fragment;
} uri_parts;

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* RFC 3986: scheme ":" ["//" authority] path ["?" query] ["#" fragment].
 * Returns 0, or -1 when the text is no absolute URI. */
static int split(const char *uri, uri_parts *u)
{
    const char *p = uri, *auth, *auth_end, *at, *h, *colon;
    size_t len = strlen(uri);
    size_t i;

    memset(u, 0, sizeof(*u));
    if (len == 0 || len > MCP_REDIRECT_URI_MAX)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)uri[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' ||
            c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' ||
            c == '}')
            return -1;
    }
    if (!is_alpha(*p))
        return -1;
    while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' ||
           *p == '.')
        p++;
    if (*p != ':')
        return -1;
    u->scheme = uri;
    u->scheme_len = (size_t)(p - uri);
    p++;
    u->has_fragment = strchr(p, '#') != NULL;
    if (p[0] != '/' || p[1] != '/') {
        u->rest = p;
        return *p ? 0 : -1;
    }
    auth = p + 2;
    auth_end = auth + strcspn(auth, "/?#");
    at = memchr(auth, '@', (size_t)(auth_end - auth));
    u->has_userinfo = at != NULL;
    h = at ? at + 1 : auth;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(auth_end - h));
        if (!close)
            return -1;
        colon = close + 1 < auth_end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 < auth_end && !colon)
            return -1;
    }
    else {
        colon = memchr(h, ':', (size_t)(auth_end - h));
    }
    u->host = h;
    u->host_len = (size_t)((colon ? colon : auth_end) - h);
    if (colon) {
        const char *d;
        u->port = colon + 1;
        u->port_len = (size_t)(auth_end - u->port);
        for (d = u->port; d < auth_end; d++)
            if (!is_digit(*d))
                return -1;
    }
    u->rest = auth_end;
    return 0;
}

static int scheme_is(const uri_parts *u, const char *name)
{
    size_t i, n = strlen(name);
    if (u->scheme_len != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower(u->scheme[i]) != name[i])
            return 0;
    return 1;
}

/* 1 for 127.0.0.1, [::1] and localhost (any case). */
static int is_loopback(const uri_parts *u)
{
    static const char *const names[] = {"127.0.0.1", "[::1]", "localhost"};
    size_t k, i;
    if (!u->host)
        return 0;
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t n = strlen(names[k]);
        if (u->host_len != n)
            continue;
        for (i = 0; i < n && lower(u->host[i]) == names[k][i]; i++)
            ;
        if (i == n)
            return 1;
    }
    return 0;
}

mcp_redirect_status mcp_redirect_uri_check(const char *uri,
                                           const char *const *https_allowed,
                                           size_t n_allowed)
{
    static const char *const forbidden[] = {"javascript", "data", "file",
                                            "vbscript", "about", "blob"};
    uri_parts u;
    size_t k;

    if (!uri || split(uri, &u) != 0)
        return MCP_REDIRECT_MALFORMED;
    for (k = 0; k < sizeof(forbidden) / sizeof(forbidden[0]); k++)
        if (scheme_is(&u, forbidden[k]))
            return MCP_REDIRECT_FORBIDDEN_SCHEME;
    if (u.has_fragment)
        return MCP_REDIRECT_FRAGMENT;
    if (u.has_userinfo)
        return MCP_REDIRECT_USERINFO;
    if (scheme_is(&u, "http") || scheme_is(&u, "https")) {
        if (!u.host || u.host_len == 0)
            return MCP_REDIRECT_MALFORMED;
        if (scheme_is(&u, "http"))
            return is_loopback(&u) ? MCP_REDIRECT_OK
                                   : MCP_REDIRECT_HTTP_NOT_LOOPBACK;
        for (k = 0; k < n_allowed; k++)
            if (mcp_glob_match(https_allowed[k], uri))
                return MCP_REDIRECT_OK;
        return MCP_REDIRECT_HTTPS_NOT_ALLOWED;
    }
    return MCP_REDIRECT_OK;
}

const char *mcp_redirect_status_text(mcp_redirect_status st)
{
    switch (st) {
    case MCP_REDIRECT_OK:
        return "the redirect URI is acceptable";
    case MCP_REDIRECT_MALFORMED:
        return "the redirect URI is not an absolute URI of printable "
               "characters (at most 2048 bytes)";
    case MCP_REDIRECT_FORBIDDEN_SCHEME:
        return "the redirect URI's scheme is never a redirect target";
    case MCP_REDIRECT_FRAGMENT:
        return "a redirect URI has no fragment";
    case MCP_REDIRECT_USERINFO:
        return "a redirect URI has no user or password part";
    case MCP_REDIRECT_HTTP_NOT_LOOPBACK:
        return "http redirect URIs are for 127.0.0.1, [::1] and localhost "
               "only";
    case MCP_REDIRECT_HTTPS_NOT_ALLOWED:
        return "this server does not allow that https redirect URI "
               "(MCPOAuthRedirectAllowed)";
    }
    return "the redirect URI is refused";
}

int mcp_redirect_uri_matches(const char *registered, const char *requested)
{
    uri_parts a, b;

    if (!registered || !requested)
        return 0;
    if (strcmp(registered, requested) == 0)
        return 1;
    if (split(registered, &a) != 0 || split(requested, &b) != 0)
        return 0;
    /* The port exception: http, the same loopback name written the same
     * way, the same path and query; the ports may differ or be absent. */
    if (!scheme_is(&a, "http") || !scheme_is(&b, "http") ||
        !is_loopback(&a) || !is_loopback(&b) || a.scheme_len != b.scheme_len ||
        memcmp(a.scheme, b.scheme, a.scheme_len) != 0 ||
        a.host_len != b.host_len || memcmp(a.host, b.host, a.host_len) != 0)
        return 0;
    return strcmp(a.rest, b.rest) == 0 && !a.has_userinfo &&
           !b.has_userinfo && !a.has_fragment && !b.has_fragment;
}
