/*
 * Registration requests (RFC 7591) of public clients: the shapes real MCP
 * clients send, and what is refused.
 */
#include "unit.h"

#include "registration.h"

static const char *const allowed[] = {"https://claude.ai/api/mcp/auth_callback",
                                      "https://vscode.dev/redirect"};

static mcp_registration_status reg(const char *body, mcp_registration *out,
                                   char *err, size_t errlen)
{
    return mcp_registration_parse(body, strlen(body), allowed, 2, out, err,
                                  errlen);
}

int main(void)
{
    mcp_registration r;
    char err[256], name[4 * MCP_CLIENT_NAME_MAX + 1];

    /* mcp-remote's. */
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost:3335/oauth/callback\"],"
                  "\"token_endpoint_auth_method\":\"none\",\"grant_types\":"
                  "[\"authorization_code\",\"refresh_token\"],\"response_types\":"
                  "[\"code\"],\"client_name\":\"MCP CLI Client\",\"client_uri\":"
                  "\"https://github.com/x\",\"software_id\":\"x\"}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_OK);
    CHECK_INT(r.n_redirect_uris, 1);
    CHECK_STR(r.redirect_uris[0], "http://localhost:3335/oauth/callback");
    CHECK_STR(r.client_name, "MCP CLI Client");
    CHECK_INT(r.native, 1);
    CHECK_INT(r.refresh, 1);
    mcp_registration_clear(&r);
    /* VS Code's (several URIs, https allowed by the operator), Cursor's
     * private-use scheme, claude.ai's web callback. */
    CHECK_INT(reg("{\"redirect_uris\":[\"https://vscode.dev/redirect\",\"http://127.0.0.1/\","
                  "\"http://127.0.0.1:33418/\"],\"application_type\":\"native\"}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_OK);
    CHECK_INT(r.n_redirect_uris, 3);
    CHECK_INT(r.refresh, 0);
    mcp_registration_clear(&r);
    CHECK_INT(reg("{\"redirect_uris\":[\"cursor://anysphere.cursor-mcp/oauth/callback\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_OK);
    CHECK_INT(r.native, 1);
    CHECK(r.client_name == NULL);
    mcp_registration_clear(&r);
    CHECK_INT(reg("{\"redirect_uris\":[\"https://claude.ai/api/mcp/auth_callback\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_OK);
    CHECK_INT(r.native, 0);
    mcp_registration_clear(&r);

    /* Refused, with the RFC 7591 error each deserves. */
    CHECK_INT(reg("{\"redirect_uris\":[\"https://evil.example/cb\"]}", &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_REDIRECT_URI);
    CHECK(strstr(err, "MCPOAuthRedirectAllowed") != NULL);
    CHECK_INT(reg("{\"redirect_uris\":[]}", &r, err, sizeof(err)), MCP_REGISTRATION_INVALID_REDIRECT_URI);
    CHECK_INT(reg("{}", &r, err, sizeof(err)), MCP_REGISTRATION_INVALID_REDIRECT_URI);
    CHECK_INT(reg("{\"redirect_uris\":[\"javascript:alert(1)\"]}", &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_REDIRECT_URI);
    CHECK_INT(reg("{\"redirect_uris\":[1]}", &r, err, sizeof(err)), MCP_REGISTRATION_INVALID_REDIRECT_URI);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/a\",\"http://localhost/b\",\"http://localhost/c\","
                  "\"http://localhost/d\",\"http://localhost/e\",\"http://localhost/f\","
                  "\"http://localhost/g\",\"http://localhost/h\",\"http://localhost/i\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_REDIRECT_URI);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"token_endpoint_auth_method\":"
                  "\"client_secret_basic\"}", &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK(strstr(err, "public clients") != NULL);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"grant_types\":[\"client_credentials\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"grant_types\":[\"refresh_token\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"response_types\":[\"token\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"application_type\":\"desktop\"}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"client_name\":7}", &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"redirect_uris\":[\"http://localhost/x\"]}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":[\"http://localhost/cb\"],\"client_name\":\"a\\u0000b\"}",
                  &r, err, sizeof(err)),
              MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("[\"http://localhost/cb\"]", &r, err, sizeof(err)), MCP_REGISTRATION_INVALID_METADATA);
    CHECK_INT(reg("{\"redirect_uris\":", &r, err, sizeof(err)), MCP_REGISTRATION_INVALID_METADATA);
    CHECK(r.n_redirect_uris == 0 && r.client_name == NULL);

    /* Names for display: no controls, no bidirectional overrides. */
    mcp_client_name_clean("Good\xe2\x80\xae" "evil\x01 \t name  ", name);
    CHECK_STR(name, "Goodevil name");
    mcp_client_name_clean("  \xe2\x81\xa6x\xe2\x81\xa9  ", name);
    CHECK_STR(name, "x");
    CHECK_INT(mcp_client_name_clean("bad \xff utf8", name), 0);
    {
        char longname[400];
        memset(longname, 'n', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        CHECK_INT(mcp_client_name_clean(longname, name), MCP_CLIENT_NAME_MAX);
        /* Cut where a space would be the last character: trimmed too. */
        for (size_t i = 0; i < 150; i++)
            longname[i] = i % 10 == 9 ? ' ' : 'n';
        longname[150] = '\0';
        CHECK_INT(mcp_client_name_clean(longname, name), MCP_CLIENT_NAME_MAX - 1);
        CHECK(name[MCP_CLIENT_NAME_MAX - 2] == 'n');
    }
    return UNIT_DONE("registration");
}
