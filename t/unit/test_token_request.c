/* Unit tests for lib/token_request.c: the JSON and form bodies of
 * POST <base>/token, valid and hostile. */
#include <stdio.h>
#include <stdlib.h>

#include "token_request.h"
#include "unit.h"

static char msg[256];

/* Every body goes through an exact-size heap copy, so that a read past its
 * end shows up under AddressSanitizer or valgrind. */
static mcp_treq_status json_n(const char *body, size_t len,
                              mcp_token_request *req)
{
    char *copy = malloc(len ? len : 1);
    mcp_treq_status st;

    memcpy(copy, body, len);
    st = mcp_token_request_parse_json(copy, len, req, msg, sizeof(msg));
    free(copy);
    return st;
}

static mcp_treq_status json(const char *body, mcp_token_request *req)
{
    return json_n(body, strlen(body), req);
}

static mcp_treq_status form_n(const char *body, size_t len,
                              mcp_token_request *req)
{
    char *copy = malloc(len ? len : 1);
    mcp_treq_status st;

    memcpy(copy, body, len);
    st = mcp_token_request_parse_form(copy, len, req, msg, sizeof(msg));
    free(copy);
    return st;
}

static mcp_treq_status form(const char *body, mcp_token_request *req)
{
    return form_n(body, strlen(body), req);
}

/* A failed parse leaves nothing in the request. */
static int is_empty(const mcp_token_request *req)
{
    return req->expires_in == NULL && req->expires_at == NULL &&
           req->csrf == NULL && req->authorities.n == 0 &&
           req->has_authorities == 0;
}

#define CHECK_JSON_FAILS(body, status, text)                                   \
    do {                                                                       \
        CHECK_INT(json((body), &req), (status));                               \
        CHECK(is_empty(&req));                                                 \
        CHECK(strstr(msg, (text)) != NULL);                                    \
    } while (0)

#define CHECK_FORM_FAILS(body, status, text)                                   \
    do {                                                                       \
        CHECK_INT(form((body), &req), (status));                               \
        CHECK(is_empty(&req));                                                 \
        CHECK(strstr(msg, (text)) != NULL);                                    \
    } while (0)

static void test_json_valid(void)
{
    mcp_token_request req;

    mcp_token_request_init(&req);
    CHECK(is_empty(&req));

    CHECK_INT(json("{\"expiresIn\":\"P30D\"}", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P30D");
    CHECK(req.expires_at == NULL);
    CHECK_INT(req.has_authorities, 0);
    CHECK(req.csrf == NULL);

    /* parsing again into the same request replaces what it held */
    CHECK_INT(json("{\"expiresAt\":\"2030-01-01T00:00:00Z\"}", &req),
              MCP_TREQ_OK);
    CHECK(req.expires_in == NULL);
    CHECK_STR(req.expires_at, "2030-01-01T00:00:00Z");

    CHECK_INT(json(" \r\n\t{ \"expiresIn\" : \"PT12H\" }\n ", &req),
              MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "PT12H");

    CHECK_INT(json("{\"authorities\":[\"ROLE_A\",\"ROLE_B\",\"ROLE_A\"],"
                   "\"expiresIn\":\"P7D\"}",
                   &req),
              MCP_TREQ_OK);
    CHECK_INT(req.has_authorities, 1);
    CHECK_INT(req.authorities.n, 2);
    CHECK_STR(req.authorities.items[0], "ROLE_A");
    CHECK_STR(req.authorities.items[1], "ROLE_B");

    CHECK_INT(json("{\"expiresIn\":\"P7D\",\"authorities\":[]}", &req),
              MCP_TREQ_OK);
    CHECK_INT(req.has_authorities, 1);
    CHECK_INT(req.authorities.n, 0);

    /* escapes decode; an escaped backslash before "u0000" is no NUL */
    CHECK_INT(json("{\"expiresIn\":\"a\\\\u0000\",\"authorities\":"
                   "[\"R\\u00f4le\",\"\\ud83d\\udd11\"]}",
                   &req),
              MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "a\\u0000");
    CHECK_STR(req.authorities.items[0], "R\xc3\xb4le");
    CHECK_STR(req.authorities.items[1], "\xf0\x9f\x94\x91");

    /* brackets inside strings are not nesting */
    CHECK_INT(json("{\"expiresIn\":\"[[[[[[[[[[{{{{{{{{{{\"}", &req),
              MCP_TREQ_OK);
    /* values are not checked here: the caller parses them */
    CHECK_INT(json("{\"expiresIn\":\"\"}", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "");

    mcp_token_request_clear(&req);
    CHECK(is_empty(&req));
    mcp_token_request_clear(&req);
}

static void test_json_errors(void)
{
    mcp_token_request req;

    mcp_token_request_init(&req);
    CHECK_JSON_FAILS("", MCP_TREQ_MALFORMED, "empty");
    CHECK_JSON_FAILS(" \n ", MCP_TREQ_MALFORMED, "empty");
    CHECK_JSON_FAILS("{", MCP_TREQ_MALFORMED, "not valid JSON");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\"", MCP_TREQ_MALFORMED,
                     "not valid JSON");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\"}x", MCP_TREQ_MALFORMED,
                     "after the JSON object");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\"} {}", MCP_TREQ_MALFORMED,
                     "after the JSON object");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\",}", MCP_TREQ_MALFORMED,
                     "not valid JSON");
    CHECK_JSON_FAILS("{'expiresIn':'P30D'}", MCP_TREQ_MALFORMED,
                     "not valid JSON");
    CHECK_JSON_FAILS("expiresIn=P30D", MCP_TREQ_MALFORMED, "not valid JSON");

    CHECK_JSON_FAILS("[]", MCP_TREQ_NOT_OBJECT, "must be a JSON object");
    CHECK_JSON_FAILS("\"P30D\"", MCP_TREQ_NOT_OBJECT, "JSON object");
    CHECK_JSON_FAILS("null", MCP_TREQ_NOT_OBJECT, "JSON object");
    CHECK_JSON_FAILS("42", MCP_TREQ_NOT_OBJECT, "JSON object");

    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\",\"expiresIn\":\"P1D\"}",
                     MCP_TREQ_DUPLICATE, "\"expiresIn\" is given twice");
    CHECK_JSON_FAILS(
        "{\"authorities\":[],\"expiresIn\":\"P1D\",\"authorities\":[]}",
        MCP_TREQ_DUPLICATE, "\"authorities\" is given twice");

    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\",\"foo\":1}", MCP_TREQ_UNKNOWN,
                     "unknown member \"foo\"");
    CHECK_JSON_FAILS("{\"ExpiresIn\":\"P30D\"}", MCP_TREQ_UNKNOWN,
                     "unknown member \"ExpiresIn\"");
    CHECK_JSON_FAILS("{\"\":\"P30D\"}", MCP_TREQ_UNKNOWN,
                     "unknown member \"\"");
    /* a hostile name is shown tamed and cut */
    CHECK_JSON_FAILS("{\"a\\\"b\\n\\u00e9zz\":1}", MCP_TREQ_UNKNOWN,
                     "unknown member \"a?b???zz\"");
    CHECK_JSON_FAILS("{\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""
                     ":1}",
                     MCP_TREQ_UNKNOWN,
                     "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");

    CHECK_JSON_FAILS("{\"expiresIn\":30}", MCP_TREQ_TYPE,
                     "\"expiresIn\" must be a string");
    CHECK_JSON_FAILS("{\"expiresIn\":null}", MCP_TREQ_TYPE,
                     "\"expiresIn\" must be a string");
    CHECK_JSON_FAILS("{\"expiresIn\":[\"P30D\"]}", MCP_TREQ_TYPE,
                     "\"expiresIn\" must be a string");
    CHECK_JSON_FAILS("{\"expiresAt\":1893456000}", MCP_TREQ_TYPE,
                     "\"expiresAt\" must be a string");
    CHECK_JSON_FAILS("{\"expiresAt\":true}", MCP_TREQ_TYPE,
                     "\"expiresAt\" must be a string");

    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\",\"expiresAt\":"
                     "\"2030-01-01T00:00:00Z\"}",
                     MCP_TREQ_BOTH,
                     "give either \"expiresIn\" or \"expiresAt\", not both");
    CHECK_JSON_FAILS("{}", MCP_TREQ_NEITHER,
                     "give \"expiresIn\" (a duration such as P30D) or "
                     "\"expiresAt\" (an RFC 3339 date-time)");
    CHECK_JSON_FAILS("{\"authorities\":[\"ROLE_A\"]}", MCP_TREQ_NEITHER,
                     "give \"expiresIn\"");

    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":\"ROLE_A\"}",
                     MCP_TREQ_TYPE, "\"authorities\" must be an array");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":{}}",
                     MCP_TREQ_TYPE, "\"authorities\" must be an array");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[\"a\",1]}",
                     MCP_TREQ_TYPE, "\"authorities\"[1] must be a string");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[null]}",
                     MCP_TREQ_TYPE, "\"authorities\"[0] must be a string");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[[\"a\"]]}",
                     MCP_TREQ_TYPE, "must be a string");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[\"\"]}",
                     MCP_TREQ_TYPE, "\"authorities\"[0] is not a valid role");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[\"a\\u0001\"]}",
                     MCP_TREQ_TYPE, "not a valid role");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[\"a\\tb\"]}",
                     MCP_TREQ_TYPE, "not a valid role");
    /* a lone surrogate is not text */
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":[\"\\ud800\"]}",
                     MCP_TREQ_MALFORMED, "not valid JSON");

    /* NUL, escaped or raw, and other control bytes */
    CHECK_JSON_FAILS("{\"expiresIn\":\"P30D\\u0000x\"}", MCP_TREQ_MALFORMED,
                     "\\u0000");
    CHECK_JSON_FAILS("{\"expiresIn\\u0000x\":\"P30D\"}", MCP_TREQ_MALFORMED,
                     "\\u0000");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"authorities\":"
                     "[\"ROLE_A\\u0000ROLE_B\"]}",
                     MCP_TREQ_MALFORMED, "\\u0000");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P3\x01\"}", MCP_TREQ_MALFORMED,
                     "control character");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P3\tD\"}", MCP_TREQ_MALFORMED,
                     "control character");
    CHECK_INT(json_n("{\"expiresIn\":\"P30D\"}\0", 21, &req),
              MCP_TREQ_MALFORMED);
    CHECK(strstr(msg, "NUL") != NULL);
    CHECK_INT(json_n("{\"expiresIn\":\"P\0D\"}", 19, &req), MCP_TREQ_MALFORMED);
    CHECK_INT(json_n("\0{\"expiresIn\":\"P1D\"}", 20, &req),
              MCP_TREQ_MALFORMED);

    /* UTF-8 */
    CHECK_JSON_FAILS("{\"expiresIn\":\"\xff\"}", MCP_TREQ_MALFORMED, "UTF-8");
    CHECK_JSON_FAILS("{\"expiresIn\":\"\xc0\xaf\"}", MCP_TREQ_MALFORMED,
                     "UTF-8");
    CHECK_JSON_FAILS("{\"expiresIn\":\"\xed\xa0\x80\"}", MCP_TREQ_MALFORMED,
                     "UTF-8");
    CHECK_JSON_FAILS("{\"\xe9\":1}", MCP_TREQ_MALFORMED, "UTF-8");
    mcp_token_request_clear(&req);
}

static void test_json_limits(void)
{
    mcp_token_request req;
    char *body = malloc(MCP_TOKEN_REQUEST_MAX_BODY + 16);
    size_t n, i;

    mcp_token_request_init(&req);
    CHECK(body != NULL);
    if (body == NULL)
        return;

    /* eight levels pass the depth check (the member is then unknown), nine
     * do not */
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"x\":[[[[[[[]]]]]]]}",
                     MCP_TREQ_UNKNOWN, "\"x\"");
    CHECK_JSON_FAILS("{\"expiresIn\":\"P1D\",\"x\":[[[[[[[[]]]]]]]]}",
                     MCP_TREQ_MALFORMED, "deeper than 8");
    CHECK_JSON_FAILS("{\"x\":{\"y\":{\"z\":{\"a\":{\"b\":{\"c\":{\"d\":{"
                     "\"e\":{}}}}}}}}}",
                     MCP_TREQ_MALFORMED, "deeper");
    /* hostile nesting is refused before the recursive parser sees it */
    memset(body, '[', 8000);
    CHECK_INT(json_n(body, 8000, &req), MCP_TREQ_MALFORMED);
    CHECK(strstr(msg, "deeper") != NULL);

    /* the size limit is inclusive */
    n = (size_t)snprintf(body, 64, "{\"expiresIn\":\"P30D\"}");
    for (i = n; i < MCP_TOKEN_REQUEST_MAX_BODY; i++)
        body[i] = ' ';
    CHECK_INT(json_n(body, MCP_TOKEN_REQUEST_MAX_BODY, &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P30D");
    body[MCP_TOKEN_REQUEST_MAX_BODY] = ' ';
    CHECK_INT(json_n(body, MCP_TOKEN_REQUEST_MAX_BODY + 1, &req),
              MCP_TREQ_TOO_LARGE);
    CHECK(is_empty(&req));
    CHECK(strstr(msg, "8192") != NULL);
    CHECK_INT(
        mcp_token_request_parse_json(body, (size_t)-1, &req, msg, sizeof(msg)),
        MCP_TREQ_TOO_LARGE);

    /* 256 distinct roles fit, the 257th does not; repeats do not count */
    n = (size_t)snprintf(body, 64, "{\"expiresIn\":\"P1D\",\"authorities\":[");
    for (i = 0; i < 256; i++)
        n += (size_t)snprintf(body + n, 32, "\"R%zu\",\"R0\",", i);
    memcpy(body + n - 1, "]}", 2);
    n += 1;
    CHECK_INT(json_n(body, n, &req), MCP_TREQ_OK);
    CHECK_INT(req.authorities.n, 256);
    CHECK_STR(req.authorities.items[255], "R255");
    n = (size_t)snprintf(body, 64, "{\"expiresIn\":\"P1D\",\"authorities\":[");
    for (i = 0; i < 257; i++)
        n += (size_t)snprintf(body + n, 32, "\"R%zu\",", i);
    memcpy(body + n - 1, "]}", 2);
    n += 1;
    CHECK_INT(json_n(body, n, &req), MCP_TREQ_TYPE);
    CHECK(strstr(msg, "more than 256") != NULL);
    CHECK(is_empty(&req));

    /* roles of 256 bytes fit, 257 do not */
    n = (size_t)snprintf(body, 64,
                         "{\"expiresIn\":\"P1D\",\"authorities\":[\"");
    memset(body + n, 'r', 256);
    memcpy(body + n + 256, "\"]}", 3);
    CHECK_INT(json_n(body, n + 259, &req), MCP_TREQ_OK);
    CHECK_INT(strlen(req.authorities.items[0]), 256);
    memset(body + n, 'r', 257);
    memcpy(body + n + 257, "\"]}", 3);
    CHECK_INT(json_n(body, n + 260, &req), MCP_TREQ_TYPE);

    /* a short or missing message buffer is safe */
    CHECK_INT(mcp_token_request_parse_json("{}", 2, &req, msg, 5),
              MCP_TREQ_NEITHER);
    CHECK_STR(msg, "give");
    CHECK_INT(mcp_token_request_parse_json("{}", 2, &req, NULL, 0),
              MCP_TREQ_NEITHER);
    CHECK_INT(mcp_token_request_parse_json(NULL, 0, &req, msg, sizeof(msg)),
              MCP_TREQ_MALFORMED);
    free(body);
    mcp_token_request_clear(&req);
}

static void test_form_valid(void)
{
    mcp_token_request req;

    mcp_token_request_init(&req);
    CHECK_INT(form("lifetime=P30D&csrf=abc", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P30D");
    CHECK(req.expires_at == NULL);
    CHECK_STR(req.csrf, "abc");
    CHECK_INT(req.has_authorities, 0);

    CHECK_INT(
        form("lifetime=custom&date=2030-06-15&tz=%2B02%3A00&csrf=x", &req),
        MCP_TREQ_OK);
    CHECK(req.expires_in == NULL);
    CHECK_STR(req.expires_at, "2030-06-15T23:59:59+02:00");
    CHECK_INT(form("lifetime=custom&date=2030-06-15", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_at, "2030-06-15T23:59:59Z");
    CHECK(req.csrf == NULL);
    CHECK_INT(form("tz=&date=2030-06-15&lifetime=custom", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_at, "2030-06-15T23:59:59Z");
    CHECK_INT(form("lifetime=custom&date=2030-06-15&tz=Z", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_at, "2030-06-15T23:59:59Z");
    CHECK_INT(form("lifetime=custom&date=2024-02-29&tz=-05:30", &req),
              MCP_TREQ_OK);
    CHECK_STR(req.expires_at, "2024-02-29T23:59:59-05:30");
    CHECK_INT(form("lifetime=custom&date=9999-12-31&tz=-23:59", &req),
              MCP_TREQ_OK);
    CHECK_INT(form("lifetime=custom&date=2030-01-01&tz=%2B23:59", &req),
              MCP_TREQ_OK);

    /* with a preset, the page's other inputs are ignored */
    CHECK_INT(form("lifetime=P7D&date=&tz=junk", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P7D");
    CHECK(req.expires_at == NULL);
    CHECK_INT(form("lifetime=P7D&date=2023-02-30", &req), MCP_TREQ_OK);

    CHECK_INT(form("lifetime=P30D&authorities=ROLE_A&authorities=ROLE_B&"
                   "authorities=ROLE_A&roles_shown=1",
                   &req),
              MCP_TREQ_OK);
    CHECK_INT(req.has_authorities, 1);
    CHECK_INT(req.authorities.n, 2);
    CHECK_STR(req.authorities.items[0], "ROLE_A");
    CHECK_STR(req.authorities.items[1], "ROLE_B");
    /* roles listed, none ticked: "none of them" */
    CHECK_INT(form("lifetime=P30D&roles_shown=1", &req), MCP_TREQ_OK);
    CHECK_INT(req.has_authorities, 1);
    CHECK_INT(req.authorities.n, 0);
    CHECK_INT(form("authorities=ROLE_A&lifetime=P30D", &req), MCP_TREQ_OK);
    CHECK_INT(req.has_authorities, 1);

    /* decoding */
    CHECK_INT(
        form("lifetime=P30D&authorities=ROLE+A%2fB&authorities=%C3%A9", &req),
        MCP_TREQ_OK);
    CHECK_STR(req.authorities.items[0], "ROLE A/B");
    CHECK_STR(req.authorities.items[1], "\xc3\xa9");
    CHECK_INT(form("life%74ime=P30D", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P30D");
    CHECK_INT(form("&&lifetime=P30D&&csrf=a%3Db%26c&", &req), MCP_TREQ_OK);
    CHECK_STR(req.csrf, "a=b&c");
    CHECK_INT(form("lifetime=P30D&csrf", &req), MCP_TREQ_OK);
    CHECK_STR(req.csrf, "");
    CHECK_INT(form("lifetime=P=30D", &req), MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P=30D");
    /* length, not NUL, ends the body */
    CHECK_INT(mcp_token_request_parse_form("lifetime=P30Dxx&foo", 13, &req, msg,
                                           sizeof(msg)),
              MCP_TREQ_OK);
    CHECK_STR(req.expires_in, "P30D");
    mcp_token_request_clear(&req);
}

static void test_form_errors(void)
{
    mcp_token_request req;
    char *body = malloc(MCP_TOKEN_REQUEST_MAX_BODY + 16);
    size_t n, i;

    mcp_token_request_init(&req);
    CHECK_FORM_FAILS("", MCP_TREQ_NEITHER, "lifetime");
    CHECK_INT(form("csrf=x", &req), MCP_TREQ_NEITHER);
    CHECK(strstr(msg, "choose a lifetime") != NULL);
    CHECK_STR(req.csrf, "x");
    CHECK_INT(form("lifetime=&csrf=x", &req), MCP_TREQ_NEITHER);
    CHECK(req.expires_in == NULL);
    mcp_token_request_clear(&req);
    CHECK_FORM_FAILS("lifetime=custom", MCP_TREQ_NEITHER, "\"date\"");
    CHECK_FORM_FAILS("lifetime=custom&date=", MCP_TREQ_NEITHER, "\"date\"");

    CHECK_FORM_FAILS("lifetime=custom&date=2023-02-29", MCP_TREQ_TYPE,
                     "\"date\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2023-02-30", MCP_TREQ_TYPE,
                     "\"date\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2023-13-01", MCP_TREQ_TYPE,
                     "\"date\"");
    CHECK_FORM_FAILS("lifetime=custom&date=0000-01-01", MCP_TREQ_TYPE,
                     "\"date\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2023-2-01", MCP_TREQ_TYPE,
                     "YYYY-MM-DD");
    CHECK_FORM_FAILS("lifetime=custom&date=20230201", MCP_TREQ_TYPE,
                     "YYYY-MM-DD");
    CHECK_FORM_FAILS("lifetime=custom&date=2023-02-01T00:00:00Z", MCP_TREQ_TYPE,
                     "YYYY-MM-DD");
    CHECK_FORM_FAILS("lifetime=custom&date=+023-02-01", MCP_TREQ_TYPE,
                     "YYYY-MM-DD");
    CHECK_FORM_FAILS("lifetime=custom&date=2023-02-01+", MCP_TREQ_TYPE,
                     "YYYY-MM-DD");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=%2B2:00",
                     MCP_TREQ_TYPE, "\"tz\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=%2B24:00",
                     MCP_TREQ_TYPE, "\"tz\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=%2B02:60",
                     MCP_TREQ_TYPE, "\"tz\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=%2B0200",
                     MCP_TREQ_TYPE, "\"tz\"");
    /* an unencoded "+" is a space */
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=+02:00", MCP_TREQ_TYPE,
                     "\"tz\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=UTC", MCP_TREQ_TYPE,
                     "\"tz\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=z", MCP_TREQ_TYPE,
                     "\"tz\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&tz=-02:00x",
                     MCP_TREQ_TYPE, "\"tz\"");

    CHECK_FORM_FAILS("lifetime=P30D&lifetime=P7D", MCP_TREQ_DUPLICATE,
                     "field \"lifetime\" is given twice");
    CHECK_FORM_FAILS("lifetime=P30D&csrf=a&csrf=a", MCP_TREQ_DUPLICATE,
                     "\"csrf\"");
    CHECK_FORM_FAILS("lifetime=P30D&roles_shown=1&roles_shown=1",
                     MCP_TREQ_DUPLICATE, "\"roles_shown\"");
    CHECK_FORM_FAILS("lifetime=custom&date=2030-01-01&date=2030-01-02",
                     MCP_TREQ_DUPLICATE, "\"date\"");
    CHECK_FORM_FAILS("lifetime=P30D&tz=Z&tz=Z", MCP_TREQ_DUPLICATE, "\"tz\"");

    CHECK_FORM_FAILS("lifetime=P30D&foo=1", MCP_TREQ_UNKNOWN,
                     "unknown field \"foo\"");
    CHECK_FORM_FAILS("Lifetime=P30D", MCP_TREQ_UNKNOWN, "\"Lifetime\"");
    CHECK_FORM_FAILS("=P30D", MCP_TREQ_UNKNOWN, "unknown field \"\"");
    CHECK_FORM_FAILS("lifetime=P30D&expiresIn=P30D", MCP_TREQ_UNKNOWN,
                     "\"expiresIn\"");
    CHECK_FORM_FAILS("lifetime=P30D&a%22b%0A=1", MCP_TREQ_UNKNOWN,
                     "unknown field \"a?b?\"");

    CHECK_FORM_FAILS("lifetime=P30D&roles_shown=yes", MCP_TREQ_TYPE,
                     "\"roles_shown\" must be 1");
    CHECK_FORM_FAILS("lifetime=P30D&authorities=", MCP_TREQ_TYPE,
                     "invalid role");
    CHECK_FORM_FAILS("lifetime=P30D&authorities=a%01", MCP_TREQ_TYPE,
                     "invalid role");
    CHECK_FORM_FAILS("lifetime=P30D&authorities=a%09b", MCP_TREQ_TYPE,
                     "invalid role");

    CHECK_FORM_FAILS("lifetime=P30D%zz", MCP_TREQ_MALFORMED, "percent");
    CHECK_FORM_FAILS("lifetime=P30D%2", MCP_TREQ_MALFORMED, "percent");
    CHECK_FORM_FAILS("lifetime=P30D%", MCP_TREQ_MALFORMED, "percent");
    CHECK_FORM_FAILS("lifetime=P30D%00", MCP_TREQ_MALFORMED, "NUL");
    CHECK_FORM_FAILS("li%GGfetime=P30D", MCP_TREQ_MALFORMED, "percent");
    CHECK_FORM_FAILS("lifetime=P30D&authorities=%FF", MCP_TREQ_MALFORMED,
                     "UTF-8");
    CHECK_FORM_FAILS("lifetime=P30D&authorities=%C0%AF", MCP_TREQ_MALFORMED,
                     "UTF-8");
    CHECK_FORM_FAILS("lifetime=P30D&authorities=%ED%A0%80", MCP_TREQ_MALFORMED,
                     "UTF-8");
    CHECK_FORM_FAILS("lifetime=P30D&csrf=\xff", MCP_TREQ_MALFORMED, "UTF-8");
    CHECK_INT(form_n("lifetime=P30D\0", 14, &req), MCP_TREQ_MALFORMED);
    CHECK(is_empty(&req));
    CHECK_INT(form_n("lifetime=P30D&\0=1", 17, &req), MCP_TREQ_MALFORMED);

    /* after a failure the csrf field alone survives, for the caller to
     * check first; none when it is missing, repeated or malformed */
    CHECK_INT(form("csrf=tok&lifetime=P30D&foo=1", &req), MCP_TREQ_UNKNOWN);
    CHECK_STR(req.csrf, "tok");
    CHECK(req.expires_in == NULL && req.authorities.n == 0);
    CHECK_INT(form("foo=1&authorities=R&csrf=tok", &req), MCP_TREQ_UNKNOWN);
    CHECK_STR(req.csrf, "tok");
    CHECK_INT(req.has_authorities, 0);
    CHECK_INT(form("lifetime=custom&date=bad&csrf=t%41", &req), MCP_TREQ_TYPE);
    CHECK_STR(req.csrf, "tA");
    CHECK(req.expires_at == NULL);
    CHECK_INT(form("lifetime=P1D%zz&csrf=x", &req), MCP_TREQ_MALFORMED);
    CHECK_STR(req.csrf, "x");
    CHECK_INT(form("csrf=&foo", &req), MCP_TREQ_UNKNOWN);
    CHECK_STR(req.csrf, "");
    CHECK_INT(form("csrf=a&csrf=b&lifetime=P1D", &req), MCP_TREQ_DUPLICATE);
    CHECK(req.csrf == NULL);
    CHECK_INT(form("csrf=%zz&lifetime=P1D", &req), MCP_TREQ_MALFORMED);
    CHECK(req.csrf == NULL);
    CHECK_INT(form("csrf=%FF&lifetime=P1D", &req), MCP_TREQ_MALFORMED);
    CHECK(req.csrf == NULL);
    CHECK_INT(form("csrf=x&lifetime=", &req), MCP_TREQ_NEITHER);
    CHECK_STR(req.csrf, "x");
    mcp_token_request_clear(&req);

    CHECK(body != NULL);
    if (body == NULL)
        return;
    /* 256 distinct roles fit, 257 do not */
    n = (size_t)snprintf(body, 64, "lifetime=P1D");
    for (i = 0; i < 256; i++)
        n += (size_t)snprintf(body + n, 32, "&authorities=R%zu", i);
    CHECK_INT(form_n(body, n, &req), MCP_TREQ_OK);
    CHECK_INT(req.authorities.n, 256);
    n += (size_t)snprintf(body + n, 32, "&authorities=R0");
    CHECK_INT(form_n(body, n, &req), MCP_TREQ_OK);
    n += (size_t)snprintf(body + n, 32, "&authorities=R256");
    CHECK_INT(form_n(body, n, &req), MCP_TREQ_TYPE);
    CHECK(strstr(msg, "more than 256") != NULL);
    CHECK(is_empty(&req));

    /* the size limit is inclusive */
    n = (size_t)snprintf(body, 64, "lifetime=P30D&csrf=");
    memset(body + n, 'c', MCP_TOKEN_REQUEST_MAX_BODY - n);
    CHECK_INT(form_n(body, MCP_TOKEN_REQUEST_MAX_BODY, &req), MCP_TREQ_OK);
    CHECK_INT(strlen(req.csrf), MCP_TOKEN_REQUEST_MAX_BODY - n);
    body[MCP_TOKEN_REQUEST_MAX_BODY] = 'c';
    CHECK_INT(form_n(body, MCP_TOKEN_REQUEST_MAX_BODY + 1, &req),
              MCP_TREQ_TOO_LARGE);
    CHECK(is_empty(&req));
    CHECK_INT(mcp_token_request_parse_form(NULL, 0, &req, msg, sizeof(msg)),
              MCP_TREQ_NEITHER);
    CHECK_INT(mcp_token_request_parse_form("lifetime=P1D", 12, &req, NULL, 0),
              MCP_TREQ_OK);
    free(body);
    mcp_token_request_clear(&req);
}

static void test_status_codes(void)
{
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_MALFORMED), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_NOT_OBJECT), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_DUPLICATE), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_UNKNOWN), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_TYPE), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_BOTH), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_NEITHER), "invalid_request");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_TOO_LARGE), "payload_too_large");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_NOMEM), "server_error");
    CHECK_STR(mcp_treq_status_code(MCP_TREQ_OK), "ok");
    CHECK_STR(mcp_treq_status_code((mcp_treq_status)99), "invalid_request");
}

int main(void)
{
    test_json_valid();
    test_json_errors();
    test_json_limits();
    test_form_valid();
    test_form_errors();
    test_status_codes();
    return UNIT_DONE("token_request");
}
