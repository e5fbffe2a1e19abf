/*
 * Redirect URIs: what a client may register, and the loopback port
 * exception of RFC 8252 with the request shapes of real MCP clients.
 */
#include "unit.h"

#include "redirect_uri.h"

static void test_check(void)
{
    static const char *const allowed[] = {"https://claude.ai/api/mcp/auth_callback",
                                          "https://vscode.dev/redirect",
                                          "https://*.example.com/cb"};
    const size_t n = 3;

    /* What the clients send (docs on real clients). */
    CHECK_INT(mcp_redirect_uri_check("http://localhost:33418/oauth/callback", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("http://127.0.0.1:33418/", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("http://127.0.0.1/callback", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("http://[::1]:8080/cb", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("cursor://anysphere.cursor-mcp/oauth/callback", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("com.example.app:/callback", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("https://claude.ai/api/mcp/auth_callback", allowed, n), MCP_REDIRECT_OK);
    CHECK_INT(mcp_redirect_uri_check("https://a.example.com/cb", allowed, n), MCP_REDIRECT_OK);

    /* https only where the operator allows it; http only on loopback. */
    CHECK_INT(mcp_redirect_uri_check("https://evil.example.net/cb", allowed, n), MCP_REDIRECT_HTTPS_NOT_ALLOWED);
    CHECK_INT(mcp_redirect_uri_check("https://claude.ai/api/mcp/auth_callback", NULL, 0), MCP_REDIRECT_HTTPS_NOT_ALLOWED);
    CHECK_INT(mcp_redirect_uri_check("http://evil.example/cb", allowed, n), MCP_REDIRECT_HTTP_NOT_LOOPBACK);
    CHECK_INT(mcp_redirect_uri_check("http://127.0.0.2/cb", allowed, n), MCP_REDIRECT_HTTP_NOT_LOOPBACK);
    CHECK_INT(mcp_redirect_uri_check("http://localhost.evil.example/cb", allowed, n), MCP_REDIRECT_HTTP_NOT_LOOPBACK);

    /* Never a redirect target. */
    CHECK_INT(mcp_redirect_uri_check("javascript:alert(1)", allowed, n), MCP_REDIRECT_FORBIDDEN_SCHEME);
    CHECK_INT(mcp_redirect_uri_check("JavaScript:alert(1)", allowed, n), MCP_REDIRECT_FORBIDDEN_SCHEME);
    CHECK_INT(mcp_redirect_uri_check("data:text/html,x", allowed, n), MCP_REDIRECT_FORBIDDEN_SCHEME);
    CHECK_INT(mcp_redirect_uri_check("file:///etc/passwd", allowed, n), MCP_REDIRECT_FORBIDDEN_SCHEME);
    CHECK_INT(mcp_redirect_uri_check("vbscript:x", allowed, n), MCP_REDIRECT_FORBIDDEN_SCHEME);
    CHECK_INT(mcp_redirect_uri_check("http://localhost/cb#frag", allowed, n), MCP_REDIRECT_FRAGMENT);
    CHECK_INT(mcp_redirect_uri_check("http://user@localhost/cb", allowed, n), MCP_REDIRECT_USERINFO);
    CHECK_INT(mcp_redirect_uri_check("https://claude.ai@evil.example/x", allowed, n), MCP_REDIRECT_USERINFO);

    /* Not URIs at all. */
    CHECK_INT(mcp_redirect_uri_check("", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check(NULL, allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("/relative/path", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("http://localhost/a b", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("http://localhost/\r\nX: y", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("http://localhost:12ab/", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("http://[::1/", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("http:///nohost", allowed, n), MCP_REDIRECT_MALFORMED);
    CHECK_INT(mcp_redirect_uri_check("1http://localhost/", allowed, n), MCP_REDIRECT_MALFORMED);
    {
        char big[MCP_REDIRECT_URI_MAX + 32];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memcpy(big, "http://localhost/", 17);
        CHECK_INT(mcp_redirect_uri_check(big, allowed, n), MCP_REDIRECT_MALFORMED);
    }
    CHECK(strlen(mcp_redirect_status_text(MCP_REDIRECT_HTTPS_NOT_ALLOWED)) > 10);
}

static void test_matches(void)
{
    /* Exact. */
    CHECK(mcp_redirect_uri_matches("cursor://anysphere.cursor-mcp/oauth/callback",
                                   "cursor://anysphere.cursor-mcp/oauth/callback"));
    CHECK(!mcp_redirect_uri_matches("https://claude.ai/api/mcp/auth_callback",
                                    "https://claude.ai/api/mcp/auth_callback/"));
    CHECK(!mcp_redirect_uri_matches("https://a.example/cb", "https://a.example:444/cb"));
    /* Loopback: the port is the client's to pick (Claude Code registers
     * port-less URIs and comes back with a port; VS Code moves from
     * 33418 when it is busy). */
    CHECK(mcp_redirect_uri_matches("http://localhost/callback", "http://localhost:49152/callback"));
    CHECK(mcp_redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:5000/callback"));
    CHECK(mcp_redirect_uri_matches("http://127.0.0.1:33418/", "http://127.0.0.1:40000/"));
    CHECK(mcp_redirect_uri_matches("http://[::1]:1/cb", "http://[::1]:2/cb"));
    /* but nothing else may differ, and the names never stand in for one
     * another. */
    CHECK(!mcp_redirect_uri_matches("http://localhost/callback", "http://127.0.0.1:5000/callback"));
    CHECK(!mcp_redirect_uri_matches("http://127.0.0.1/callback", "http://[::1]:5000/callback"));
    CHECK(!mcp_redirect_uri_matches("http://localhost/callback", "http://localhost:5000/other"));
    CHECK(!mcp_redirect_uri_matches("http://localhost/callback", "http://localhost:5000/callback?x=1"));
    CHECK(!mcp_redirect_uri_matches("http://localhost/cb", "https://localhost:5000/cb"));
    CHECK(!mcp_redirect_uri_matches("http://localhost/cb", "http://evil@localhost:5000/cb"));
    CHECK(!mcp_redirect_uri_matches("http://example.com/cb", "http://example.com:81/cb"));
    CHECK(!mcp_redirect_uri_matches(NULL, "http://localhost/cb"));
    CHECK(!mcp_redirect_uri_matches("http://localhost/cb", NULL));
}

int main(void)
{
    test_check();
    test_matches();
    return UNIT_DONE("redirect_uri");
}
