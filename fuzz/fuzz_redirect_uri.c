/*
 * libFuzzer target for lib/redirect_uri.c.  The input is two URIs split at
 * the first NUL.  What must hold for any input:
 *   - a URI always matches itself, and matching is symmetric;
 *   - a URI accepted with no https pattern is not https, and an accepted
 *     http URI names a loopback host, and anything that matches an
 *     accepted URI is accepted as well (the port exception never opens a
 *     door the registration rules keep shut);
 *   - no accepted URI holds a '#', an '@' before its path, a control
 *     character, or a forbidden scheme.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redirect_uri.h"
#include "two_strings.h"

static int starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void check_accepted(const char *u)
{
    const char *p;
    if (strchr(u, '#'))
        abort();
    for (p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            abort();
    if (starts_with_ci(u, "javascript:") || starts_with_ci(u, "data:") ||
        starts_with_ci(u, "file:") || starts_with_ci(u, "vbscript:") ||
        starts_with_ci(u, "https:"))
        abort();
    if (starts_with_ci(u, "http://")) {
        const char *host = u + 7;
        size_t auth = strcspn(host, "/?#");
        if (memchr(host, '@', auth))
            abort();
        if (!starts_with_ci(host, "127.0.0.1") &&
            !starts_with_ci(host, "[::1]") && !starts_with_ci(host, "localhost"))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *b, *a = two_strings(data, size, &b);

    if (!a)
        return 0;

    if (!mcp_redirect_uri_matches(a, a) && mcp_redirect_uri_check(a, NULL, 0) == MCP_REDIRECT_OK)
        abort();
    if (mcp_redirect_uri_matches(a, b) != mcp_redirect_uri_matches(b, a))
        abort();
    if (mcp_redirect_uri_check(a, NULL, 0) == MCP_REDIRECT_OK) {
        check_accepted(a);
        if (mcp_redirect_uri_matches(a, b) &&
            mcp_redirect_uri_check(b, NULL, 0) != MCP_REDIRECT_OK)
            abort();
    }
    (void)mcp_redirect_status_text(mcp_redirect_uri_check(b, NULL, 0));
    free(a);
    return 0;
}
