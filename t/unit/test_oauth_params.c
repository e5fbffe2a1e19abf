/*
 * OAuth request parameters (lib/oauth_params.c): RFC 6749's rules for a
 * query or a form body, state, resource indicators and scopes.
 */
#include <stdlib.h>

#include "unit.h"

#include "oauth_params.h"

static const char *const names[] = {
    "response_type", "client_id", "redirect_uri", "state",
    "code_challenge", "code_challenge_method", "resource", "scope"};
#define N_NAMES (sizeof(names) / sizeof(*names))
enum { RESPONSE_TYPE, CLIENT_ID, REDIRECT_URI, STATE, CHALLENGE, METHOD,
       RESOURCE, SCOPE };

static char *values[N_NAMES];
static char msg[256];

/* Parses text through an exact-size heap copy (a read past its end shows
 * up under AddressSanitizer); msg starts as garbage. */
static mcp_oauth_params_status parse_n(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    mcp_oauth_params_status st;

    memcpy(copy, text, len);
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    mcp_oauth_params_free(values, N_NAMES);
    st = mcp_oauth_params_parse(copy, len, names, N_NAMES, values, msg,
                                sizeof(msg));
    free(copy);
    return st;
}

static mcp_oauth_params_status parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static int none_set(void)
{
    size_t i;
    for (i = 0; i < N_NAMES; i++)
        if (values[i])
            return 0;
    return 1;
}

#define CHECK_REFUSED(text, status, words)                                    \
    do {                                                                      \
        CHECK_INT(parse(text), (status));                                     \
        CHECK(none_set());                                                    \
        CHECK(strstr(msg, (words)) != NULL);                                  \
    } while (0)

static void test_parse(void)
{
    char *big;

    /* An authorization request as MCP clients send it. */
    CHECK_INT(parse("response_type=code&client_id=client.eyJy.sig"
                    "&redirect_uri=http%3A%2F%2Flocalhost%3A3335%2Fcb"
                    "&state=xyz%2B1&code_challenge=E9Mel-cM"
                    "&code_challenge_method=S256"
                    "&resource=https%3A%2F%2Fmcp.example.com%2Fmcp"
                    "&scope=ROLE_A+openid"),
              MCP_OAUTH_PARAMS_OK);
    CHECK_STR(values[RESPONSE_TYPE], "code");
    CHECK_STR(values[CLIENT_ID], "client.eyJy.sig");
    CHECK_STR(values[REDIRECT_URI], "http://localhost:3335/cb");
    CHECK_STR(values[STATE], "xyz+1");
    CHECK_STR(values[CHALLENGE], "E9Mel-cM");
    CHECK_STR(values[METHOD], "S256");
    CHECK_STR(values[RESOURCE], "https://mcp.example.com/mcp");
    CHECK_STR(values[SCOPE], "ROLE_A openid");

    /* Empty and valueless parameters are absent; so is one not given. */
    CHECK_INT(parse("state=&scope&client_id=c"), MCP_OAUTH_PARAMS_OK);
    CHECK(values[STATE] == NULL);
    CHECK(values[SCOPE] == NULL);
    CHECK(values[RESOURCE] == NULL);
    CHECK_STR(values[CLIENT_ID], "c");
    CHECK_INT(parse(""), MCP_OAUTH_PARAMS_OK);
    CHECK(none_set());
    CHECK_INT(parse("&&&"), MCP_OAUTH_PARAMS_OK);
    CHECK(none_set());

    /* Unknown parameters are ignored, even repeated or badly escaped in
     * their value; names are case-sensitive; an escaped name counts. */
    CHECK_INT(parse("x=1&x=2&State=s&nonce=%zz&client%5Fid=c&="),
              MCP_OAUTH_PARAMS_OK);
    CHECK(values[STATE] == NULL);
    CHECK_STR(values[CLIENT_ID], "c");

    /* A known parameter twice is refused, and nothing is kept, not even
     * what came before it; an empty first occurrence still counts. */
    CHECK_REFUSED("client_id=a&state=s&state=s", MCP_OAUTH_PARAMS_DUPLICATE,
                  "\"state\"");
    CHECK_REFUSED("scope=&scope=a", MCP_OAUTH_PARAMS_DUPLICATE, "\"scope\"");
    CHECK_REFUSED("resource&resource", MCP_OAUTH_PARAMS_DUPLICATE,
                  "\"resource\"");
    CHECK_REFUSED("client_id=a&client%5fid=a", MCP_OAUTH_PARAMS_DUPLICATE,
                  "\"client_id\"");

    /* Malformed values: a bad escape, a NUL, not UTF-8, each named. */
    CHECK_REFUSED("client_id=a&state=%zz", MCP_OAUTH_PARAMS_MALFORMED,
                  "\"state\"");
    CHECK_REFUSED("state=%4", MCP_OAUTH_PARAMS_MALFORMED, "\"state\"");
    CHECK_REFUSED("redirect_uri=a%00b", MCP_OAUTH_PARAMS_MALFORMED,
                  "\"redirect_uri\"");
    CHECK_REFUSED("scope=%FF", MCP_OAUTH_PARAMS_MALFORMED, "\"scope\"");
    CHECK_REFUSED("scope=%C0%AF", MCP_OAUTH_PARAMS_MALFORMED, "\"scope\"");
    CHECK_REFUSED("resource=%ED%A0%80", MCP_OAUTH_PARAMS_MALFORMED,
                  "\"resource\"");
    CHECK_INT(parse_n("state=a\0b", 9), MCP_OAUTH_PARAMS_MALFORMED);
    CHECK(none_set());
    CHECK(strstr(msg, "\"state\"") != NULL);
    /* A malformed name is refused whatever it would have named. */
    CHECK_REFUSED("client_id=a&%zz=1", MCP_OAUTH_PARAMS_MALFORMED,
                  "parameter name");
    CHECK_REFUSED("%FF=1", MCP_OAUTH_PARAMS_MALFORMED, "parameter name");
    /* Valid UTF-8 passes. */
    CHECK_INT(parse("state=caf%C3%A9"), MCP_OAUTH_PARAMS_OK);
    CHECK_STR(values[STATE], "caf\xc3\xa9");

    /* len bounds the text. */
    CHECK_INT(parse_n("state=abc&scope=x", 8), MCP_OAUTH_PARAMS_OK);
    CHECK_STR(values[STATE], "ab");
    CHECK(values[SCOPE] == NULL);

    /* At most MCP_OAUTH_MAX_TEXT bytes. */
    big = malloc(MCP_OAUTH_MAX_TEXT + 2);
    memcpy(big, "state=", 6);
    memset(big + 6, 's', MCP_OAUTH_MAX_TEXT - 6);
    big[MCP_OAUTH_MAX_TEXT] = '\0';
    CHECK_INT(parse(big), MCP_OAUTH_PARAMS_OK);
    CHECK_INT(values[STATE] ? strlen(values[STATE]) : 0,
              MCP_OAUTH_MAX_TEXT - 6);
    big[MCP_OAUTH_MAX_TEXT] = 's';
    big[MCP_OAUTH_MAX_TEXT + 1] = '\0';
    CHECK_REFUSED(big, MCP_OAUTH_PARAMS_TOO_LARGE, "16384");
    free(big);

    /* No names to look for. */
    memset(msg, 0, sizeof(msg));
    CHECK_INT(mcp_oauth_params_parse("a=1", 3, names, 0, values, msg,
                                     sizeof(msg)),
              MCP_OAUTH_PARAMS_OK);
    mcp_oauth_params_free(values, N_NAMES);
    CHECK(none_set());
}

static void test_state(void)
{
    char s[MCP_OAUTH_STATE_MAX + 2];

    CHECK(mcp_oauth_state_valid("x"));
    CHECK(mcp_oauth_state_valid("a b ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"));
    CHECK(!mcp_oauth_state_valid(""));
    CHECK(!mcp_oauth_state_valid("a\tb"));
    CHECK(!mcp_oauth_state_valid("a\nb"));
    CHECK(!mcp_oauth_state_valid("a\x7f"));
    CHECK(!mcp_oauth_state_valid("caf\xc3\xa9"));
    memset(s, 'a', MCP_OAUTH_STATE_MAX);
    s[MCP_OAUTH_STATE_MAX] = '\0';
    CHECK(mcp_oauth_state_valid(s));
    s[MCP_OAUTH_STATE_MAX] = 'a';
    s[MCP_OAUTH_STATE_MAX + 1] = '\0';
    CHECK(!mcp_oauth_state_valid(s));
}

static void test_resource(void)
{
    char uri[MCP_OAUTH_RESOURCE_MAX + 2];

    CHECK(mcp_oauth_resource_valid("https://mcp.example.com/mcp"));
    CHECK(mcp_oauth_resource_valid("https://mcp.example.com"));
    CHECK(mcp_oauth_resource_valid("https://mcp.example.com:8443/a?b=c"));
    CHECK(mcp_oauth_resource_valid("https://mcp.example.com/a@b"));
    CHECK(mcp_oauth_resource_valid("https://[2001:db8::1]/mcp"));
    /* http for loopback hosts only. */
    CHECK(mcp_oauth_resource_valid("http://localhost:3000/mcp"));
    CHECK(mcp_oauth_resource_valid("http://127.0.0.1/mcp"));
    CHECK(mcp_oauth_resource_valid("http://[::1]:8080/"));
    CHECK(!mcp_oauth_resource_valid("http://mcp.example.com/mcp"));
    CHECK(!mcp_oauth_resource_valid("http://127.0.0.2/mcp"));
    CHECK(!mcp_oauth_resource_valid("http://localhost.evil.example/mcp"));
    CHECK(!mcp_oauth_resource_valid("http://127.0.0.1.evil.example/"));
    /* No fragment, no userinfo, no space or control, nothing but ASCII. */
    CHECK(!mcp_oauth_resource_valid("https://mcp.example.com/mcp#top"));
    CHECK(!mcp_oauth_resource_valid("https://mcp.example.com/mcp#"));
    CHECK(!mcp_oauth_resource_valid("https://user@mcp.example.com/mcp"));
    CHECK(!mcp_oauth_resource_valid("https://u:pw@mcp.example.com/"));
    CHECK(!mcp_oauth_resource_valid("http://user@localhost/mcp"));
    CHECK(!mcp_oauth_resource_valid("https://mcp.example.com/a b"));
    CHECK(!mcp_oauth_resource_valid("https://mcp.example.com/a\tb"));
    CHECK(!mcp_oauth_resource_valid("https://mcp.example.com/\r\nX: y"));
    CHECK(!mcp_oauth_resource_valid("https://mcp.example.com/\x7f"));
    CHECK(!mcp_oauth_resource_valid("https://caf\xc3\xa9.example/"));
    /* Absolute, http or https, with a host. */
    CHECK(!mcp_oauth_resource_valid(""));
    CHECK(!mcp_oauth_resource_valid("/mcp"));
    CHECK(!mcp_oauth_resource_valid("mcp.example.com/mcp"));
    CHECK(!mcp_oauth_resource_valid("ftp://mcp.example.com/"));
    CHECK(!mcp_oauth_resource_valid("cursor://anysphere.cursor-mcp/"));
    CHECK(!mcp_oauth_resource_valid("https://"));
    CHECK(!mcp_oauth_resource_valid("https:///mcp"));
    CHECK(!mcp_oauth_resource_valid("https://?a=b"));
    CHECK(!mcp_oauth_resource_valid("https:mcp.example.com"));
    /* At most MCP_OAUTH_RESOURCE_MAX bytes. */
    memcpy(uri, "https://h/", 10);
    memset(uri + 10, 'p', MCP_OAUTH_RESOURCE_MAX - 10);
    uri[MCP_OAUTH_RESOURCE_MAX] = '\0';
    CHECK(mcp_oauth_resource_valid(uri));
    uri[MCP_OAUTH_RESOURCE_MAX] = 'p';
    uri[MCP_OAUTH_RESOURCE_MAX + 1] = '\0';
    CHECK(!mcp_oauth_resource_valid(uri));
}

/* The roles of scope, joined with ',', or "(refused)". */
static const char *roles_of(const char *scope, char *out, size_t outsize)
{
    mcp_roles roles;
    size_t i, used = 0;

    mcp_roles_init(&roles);
    out[0] = '\0';
    if (mcp_oauth_scope_roles(scope, &roles) != 0) {
        snprintf(out, outsize, "(refused)");
    } else {
        for (i = 0; i < roles.n && used < outsize; i++)
            used += (size_t)snprintf(out + used, outsize - used, "%s%s",
                                     i ? "," : "", roles.items[i]);
    }
    mcp_roles_clear(&roles);
    return out;
}

static void test_scope(void)
{
    char got[1024], token[MCP_ROLE_MAX_LEN + 2];
    mcp_roles roles;

    CHECK_STR(roles_of("ROLE_A ROLE_B", got, sizeof(got)), "ROLE_A,ROLE_B");
    /* OpenID's scopes ask for no role; an empty result is "all roles". */
    CHECK_STR(roles_of("openid email profile offline_access", got,
                       sizeof(got)),
              "");
    CHECK_STR(roles_of("openid ROLE_A offline_access ROLE_B profile", got,
                       sizeof(got)),
              "ROLE_A,ROLE_B");
    CHECK_STR(roles_of("OpenID", got, sizeof(got)), "OpenID");
    /* Once each, in order; runs of spaces and edges do not matter. */
    CHECK_STR(roles_of("b a b a c", got, sizeof(got)), "b,a,c");
    CHECK_STR(roles_of("  a   b  ", got, sizeof(got)), "a,b");
    CHECK_STR(roles_of("", got, sizeof(got)), "");
    CHECK_STR(roles_of("   ", got, sizeof(got)), "");
    CHECK_STR(roles_of("!#[]~ x", got, sizeof(got)), "!#[]~,x");
    /* Tokens that are not NQCHAR refuse the scope. */
    CHECK_STR(roles_of("a \"b\"", got, sizeof(got)), "(refused)");
    CHECK_STR(roles_of("a\\b", got, sizeof(got)), "(refused)");
    CHECK_STR(roles_of("a\tb", got, sizeof(got)), "(refused)");
    CHECK_STR(roles_of("a\nb", got, sizeof(got)), "(refused)");
    CHECK_STR(roles_of("caf\xc3\xa9", got, sizeof(got)), "(refused)");
    CHECK_STR(roles_of("a \x7f", got, sizeof(got)), "(refused)");
    /* A token of MCP_ROLE_MAX_LEN bytes is a role; one more is refused. */
    memset(token, 'r', MCP_ROLE_MAX_LEN);
    token[MCP_ROLE_MAX_LEN] = '\0';
    CHECK_INT(strlen(roles_of(token, got, sizeof(got))), MCP_ROLE_MAX_LEN);
    token[MCP_ROLE_MAX_LEN] = 'r';
    token[MCP_ROLE_MAX_LEN + 1] = '\0';
    CHECK_STR(roles_of(token, got, sizeof(got)), "(refused)");
    /* Roles already in the list stay where they are. */
    mcp_roles_init(&roles);
    mcp_roles_add(&roles, "b", 1);
    CHECK_INT(mcp_oauth_scope_roles("a b c", &roles), 0);
    CHECK_INT(roles.n, 3);
    CHECK_STR(roles.n == 3 ? roles.items[0] : NULL, "b");
    CHECK_STR(roles.n == 3 ? roles.items[1] : NULL, "a");
    mcp_roles_clear(&roles);

    CHECK(mcp_oauth_scope_token_valid("ROLE_USER"));
    CHECK(mcp_oauth_scope_token_valid("!"));
    CHECK(mcp_oauth_scope_token_valid("~"));
    CHECK(!mcp_oauth_scope_token_valid(""));
    CHECK(!mcp_oauth_scope_token_valid("a b"));
    CHECK(!mcp_oauth_scope_token_valid("a\"b"));
    CHECK(!mcp_oauth_scope_token_valid("a\\b"));
    CHECK(!mcp_oauth_scope_token_valid("caf\xc3\xa9"));
    CHECK(!mcp_oauth_scope_token_valid("\x01"));
}

int main(void)
{
    test_parse();
    test_state();
    test_resource();
    test_scope();
    mcp_oauth_params_free(values, N_NAMES);
    return UNIT_DONE("oauth_params");
}
