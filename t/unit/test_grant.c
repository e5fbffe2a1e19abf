/*
 * Sealed payloads (lib/grant.c): client ids and the three kinds of grant
 * read back what was written, and refuse anything else (an extra or a
 * missing member, a wrong type, another kind's member, a malformed id).
 * Hostile payloads are written here by hand or edited with cJSON, never
 * with the unit's own writer.
 */
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "unit.h"

#include "grant.h"

#define ID "AAAAAAAAAAAAAAAAAAAAAA"
#define CLIENT "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static const char consent_text[] =
    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
    "\"ru\":\"http://localhost:3335/cb\",\"pc\":\"" CHALLENGE "\","
    "\"res\":\"https://mcp.example.com/mcp\",\"sub\":\"alice\","
    "\"ro\":[\"ROLE_A\"],\"st\":\"xyz\",\"exp\":1700000600}";
static const char code_text[] =
    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
    "\"ru\":\"http://localhost:3335/cb\",\"pc\":\"" CHALLENGE "\","
    "\"res\":\"https://mcp.example.com/mcp\",\"sub\":\"alice\","
    "\"ro\":[\"ROLE_A\",\"ROLE_B\"],\"ap\":1700000000,\"ge\":1702592000,"
    "\"exp\":1700000060}";
static const char refresh_text[] =
    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
    "\"res\":\"https://mcp.example.com/mcp\",\"sub\":\"alice\","
    "\"ro\":[],\"ap\":1700000000,\"ge\":1702592000,\"gen\":7}";

static const struct {
    const char *kind;
    const char *text;
} kinds[] = {
    {MCP_KIND_CONSENT, consent_text},
    {MCP_KIND_CODE, code_text},
    {MCP_KIND_REFRESH, refresh_text},
};
#define N_KINDS (sizeof(kinds) / sizeof(*kinds))

/* ---------------------------------------------------------------- */
/* Reading payloads                                                  */
/* ---------------------------------------------------------------- */

static int grant_is_empty(const mcp_grant *g)
{
    return !g->id[0] && !g->client[0] && !g->redirect_uri && !g->challenge &&
           !g->resource && !g->sub && !g->state && g->roles.n == 0 &&
           !g->approved && !g->grant_exp && !g->exp && !g->generation;
}

/* Reads n bytes through an exact-size heap copy (a read past the end
 * shows up under AddressSanitizer); a failure must leave g empty. */
static int grant_from_n(const char *kind, const char *text, size_t n,
                        mcp_grant *g)
{
    unsigned char *copy = malloc(n ? n : 1);
    int rc;

    memcpy(copy, text, n);
    memset(g, 0x5a, sizeof(*g));
    rc = mcp_grant_from_payload(kind, copy, n, g);
    free(copy);
    if (rc != 0)
        CHECK(grant_is_empty(g));
    return rc;
}

static int grant_from(const char *kind, const char *text, mcp_grant *g)
{
    return grant_from_n(kind, text, strlen(text), g);
}

/* Whether text reads as kind; what it read is thrown away. */
static int accepted(const char *kind, const char *text)
{
    mcp_grant g;
    int rc = grant_from(kind, text, &g);

    mcp_grant_clear(&g);
    return rc == 0;
}

/* text with member name set to the JSON value (added when absent), or
 * removed when value is NULL.  malloc'd. */
static char *edited(const char *text, const char *name, const char *value)
{
    cJSON *doc = cJSON_Parse(text);
    char *printed, *out;

    if (!doc)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(doc, name);
    if (value)
        cJSON_AddItemToObject(doc, name, cJSON_Parse(value));
    printed = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    out = printed ? strdup(printed) : NULL;
    cJSON_free(printed);
    return out;
}

static int accepted_edited(const char *kind, const char *text,
                           const char *name, const char *value)
{
    char *t = edited(text, name, value);
    int ok = t && accepted(kind, t);

    if (!t)
        fprintf(stderr, "  cannot edit %s in %s\n", name, text);
    free(t);
    return ok;
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int grants_equal(const mcp_grant *a, const mcp_grant *b)
{
    size_t i;

    if (strcmp(a->id, b->id) || strcmp(a->client, b->client) ||
        !str_eq(a->redirect_uri, b->redirect_uri) ||
        !str_eq(a->challenge, b->challenge) ||
        !str_eq(a->resource, b->resource) || !str_eq(a->sub, b->sub) ||
        !str_eq(a->state, b->state) || a->approved != b->approved ||
        a->grant_exp != b->grant_exp || a->exp != b->exp ||
        a->generation != b->generation || a->roles.n != b->roles.n)
        return 0;
    for (i = 0; i < a->roles.n; i++)
        if (strcmp(a->roles.items[i], b->roles.items[i]))
            return 0;
    return 1;
}

static void test_read_each_kind(void)
{
    mcp_grant g;

    CHECK_INT(grant_from(MCP_KIND_CONSENT, consent_text, &g), 0);
    CHECK_STR(g.id, ID);
    CHECK_STR(g.client, CLIENT);
    CHECK_STR(g.redirect_uri, "http://localhost:3335/cb");
    CHECK_STR(g.challenge, CHALLENGE);
    CHECK_STR(g.resource, "https://mcp.example.com/mcp");
    CHECK_STR(g.sub, "alice");
    CHECK_INT(g.roles.n, 1);
    CHECK_STR(g.state, "xyz");
    CHECK_INT(g.exp, 1700000600);
    mcp_grant_clear(&g);
    CHECK(grant_is_empty(&g));

    CHECK_INT(grant_from(MCP_KIND_CODE, code_text, &g), 0);
    CHECK_INT(g.roles.n, 2);
    CHECK_STR(g.roles.n == 2 ? g.roles.items[1] : NULL, "ROLE_B");
    CHECK_INT(g.approved, 1700000000);
    CHECK_INT(g.grant_exp, 1702592000);
    CHECK_INT(g.exp, 1700000060);
    CHECK(g.state == NULL);
    mcp_grant_clear(&g);

    CHECK_INT(grant_from(MCP_KIND_REFRESH, refresh_text, &g), 0);
    CHECK_INT(g.roles.n, 0);
    CHECK_INT(g.generation, 7);
    CHECK(g.redirect_uri == NULL && g.challenge == NULL);
    mcp_grant_clear(&g);

    /* A consent's state is optional. */
    CHECK(accepted_edited(MCP_KIND_CONSENT, consent_text, "st", NULL));
    /* Member order does not matter. */
    CHECK(accepted(MCP_KIND_REFRESH,
                   "{\"gen\":0,\"ge\":2,\"ap\":1,\"ro\":[\"r\"],\"sub\":\"s\","
                   "\"res\":\"https://r/\",\"c\":\"" CLIENT "\",\"id\":\"" ID
                   "\"}"));
}

static void test_members_of_each_kind(void)
{
    /* Every member of any kind, and a value of the right type. */
    static const struct {
        const char *name, *value;
    } all[] = {
        {"id", "\"" ID "\""},  {"c", "\"" CLIENT "\""},
        {"ru", "\"http://localhost/cb\""}, {"pc", "\"" CHALLENGE "\""},
        {"res", "\"https://r/\""}, {"sub", "\"bob\""},
        {"ro", "[\"x\"]"},     {"st", "\"s\""},
        {"ap", "1"},           {"ge", "2"},
        {"exp", "3"},          {"gen", "4"},
    };
    /* Values of a wrong type for each member. */
    static const char *const wrong_string[] = {"1", "null", "true", "[]",
                                               "{}", "[\"x\"]"};
    static const char *const wrong_number[] = {"\"1\"", "null", "true",
                                               "[1]", "{}", "1.5", "1e300"};
    static const char *const wrong_roles[] = {"\"x\"", "null", "{}", "[1]",
                                              "[\"x\",null]", "[[\"x\"]]"};
    size_t k, i, j;

    for (k = 0; k < N_KINDS; k++) {
        const char *kind = kinds[k].kind, *text = kinds[k].text;
        cJSON *doc = cJSON_Parse(text);

        for (i = 0; i < sizeof(all) / sizeof(*all); i++) {
            const char *name = all[i].name;
            int carried = cJSON_GetObjectItemCaseSensitive(doc, name) != NULL;
            int ok;

            if (!carried && !strcmp(name, "st") &&
                !strcmp(kind, MCP_KIND_CONSENT))
                carried = 1;
            if (!carried) {
                /* Another kind's member is refused. */
                ok = accepted_edited(kind, text, name, all[i].value);
                if (ok)
                    fprintf(stderr, "  %s took member %zu\n", kind, i);
                CHECK(!ok);
                continue;
            }
            /* Missing: refused, but for a consent's state. */
            ok = accepted_edited(kind, text, name, NULL);
            if (ok != !strcmp(name, "st"))
                fprintf(stderr, "  %s without member %zu\n", kind, i);
            CHECK_INT(ok, !strcmp(name, "st"));
            /* Wrong types. */
            if (!strcmp(name, "ro")) {
                for (j = 0; j < sizeof(wrong_roles) / sizeof(*wrong_roles);
                     j++)
                    CHECK(!accepted_edited(kind, text, name, wrong_roles[j]));
            } else if (all[i].value[0] == '"') {
                for (j = 0; j < sizeof(wrong_string) / sizeof(*wrong_string);
                     j++)
                    CHECK(!accepted_edited(kind, text, name, wrong_string[j]));
                /* Never empty. */
                CHECK(!accepted_edited(kind, text, name, "\"\""));
            } else {
                for (j = 0; j < sizeof(wrong_number) / sizeof(*wrong_number);
                     j++)
                    CHECK(!accepted_edited(kind, text, name, wrong_number[j]));
            }
        }
        /* An unknown member, or a known one under another case. */
        CHECK(!accepted_edited(kind, text, "x", "1"));
        CHECK(!accepted_edited(kind, text, "ID", "\"" ID "\""));
        cJSON_Delete(doc);
    }
}

static void test_kinds_are_apart(void)
{
    size_t a, b;

    for (a = 0; a < N_KINDS; a++)
        for (b = 0; b < N_KINDS; b++)
            CHECK_INT(accepted(kinds[a].kind, kinds[b].text), a == b);
    CHECK(!accepted(MCP_KIND_CLIENT, code_text));
    CHECK(!accepted("Code", code_text));
    CHECK(!accepted("", code_text));
}

static void test_ids(void)
{
    static const char *const bad_ids[] = {
        "\"AAAAAAAAAAAAAAAAAAAAA\"",   /* 21 */
        "\"AAAAAAAAAAAAAAAAAAAAAAA\"", /* 23 */
        "\"AAAAAAAAAAAAAAAAAAAAA+\"", "\"AAAAAAAAAAAAAAAAAAAAA/\"",
        "\"AAAAAAAAAAAAAAAAAAAAA=\"", "\"AAAAAAAAAAAAAAAAAAAAA.\"",
        "\"AAAAAAAAAAAAAAAAAAAAA \"", "\"AAAAAAAAAAAAAAAAAAAA\\u00e9\"",
        "\"\"",
    };
    static const char *const bad_clients[] = {
        "\"ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa\"",   /* 42 */
        "\"ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0A\"", /* 44 */
        "\"ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa=\"",
        "\"ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0\"",
        "\"" ID "\"",
    };
    size_t i;

    CHECK(accepted_edited(MCP_KIND_CODE, code_text, "id",
                          "\"azAZ09-_azAZ09-_azAZ09\""));
    for (i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++)
        CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "id", bad_ids[i]));
    for (i = 0; i < sizeof(bad_clients) / sizeof(*bad_clients); i++)
        CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "c", bad_clients[i]));
}

static void test_numbers(void)
{
    mcp_grant g;
    char *t;

    /* A refresh token's generation is a uint32_t. */
    CHECK(accepted_edited(MCP_KIND_REFRESH, refresh_text, "gen", "0"));
    t = edited(refresh_text, "gen", "4294967295");
    CHECK_INT(grant_from(MCP_KIND_REFRESH, t, &g), 0);
    CHECK(g.generation == UINT32_MAX);
    mcp_grant_clear(&g);
    free(t);
    CHECK(!accepted_edited(MCP_KIND_REFRESH, refresh_text, "gen",
                           "4294967296"));
    CHECK(!accepted_edited(MCP_KIND_REFRESH, refresh_text, "gen", "-1"));
    CHECK(!accepted_edited(MCP_KIND_REFRESH, refresh_text, "gen", "0.5"));
    /* Dates are any int64, written as integers. */
    t = edited(code_text, "ge", "253402300799");
    CHECK_INT(grant_from(MCP_KIND_CODE, t, &g), 0);
    CHECK(g.grant_exp == INT64_C(253402300799));
    mcp_grant_clear(&g);
    free(t);
    CHECK(accepted_edited(MCP_KIND_CODE, code_text, "exp", "-1"));
    CHECK(accepted_edited(MCP_KIND_CODE, code_text, "exp", "1e3"));
    CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "exp",
                           "9223372036854775808"));
    CHECK(!accepted(MCP_KIND_CODE, "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
                                   "\"ru\":\"http://localhost/\",\"pc\":\"p\","
                                   "\"res\":\"r\",\"sub\":\"s\",\"ro\":[],"
                                   "\"ap\":1,\"ge\":2,\"exp\":1e999}"));
}

static void test_strings_and_roles(void)
{
    char pc[130], *value;

    /* Roles: distinct, valid, at most MCP_ROLE_MAX_LEN bytes. */
    CHECK(accepted_edited(MCP_KIND_CODE, code_text, "ro", "[]"));
    CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "ro", "[\"a\",\"a\"]"));
    CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "ro", "[\"\"]"));
    CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "ro", "[\"a\\nb\"]"));
    /* (cJSON would cut an escaped NUL while editing: written by hand.) */
    CHECK(!accepted(MCP_KIND_REFRESH,
                    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
                    "\"res\":\"https://r/\",\"sub\":\"s\","
                    "\"ro\":[\"a\\u0000b\"],\"ap\":1,\"ge\":2,\"gen\":0}"));
    /* Strings: valid UTF-8, no escaped NUL. */
    CHECK(accepted_edited(MCP_KIND_CODE, code_text, "sub",
                          "\"caf\\u00e9\""));
    CHECK(!accepted(MCP_KIND_REFRESH,
                    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
                    "\"res\":\"https://r/\",\"sub\":\"a\\u0000b\","
                    "\"ro\":[],\"ap\":1,\"ge\":2,\"gen\":0}"));
    CHECK(accepted(MCP_KIND_REFRESH,
                   "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
                   "\"res\":\"https://r/\",\"sub\":\"a\\u0001b\","
                   "\"ro\":[],\"ap\":1,\"ge\":2,\"gen\":0}"));
    CHECK(!accepted(MCP_KIND_REFRESH,
                    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
                    "\"res\":\"https://r/\",\"sub\":\"caf\xe9\","
                    "\"ro\":[],\"ap\":1,\"ge\":2,\"gen\":0}"));
    /* A challenge of at most 128 characters. */
    memset(pc, 'c', sizeof(pc));
    pc[0] = '"';
    pc[129] = '\0';
    value = malloc(140);
    snprintf(value, 140, "%s\"", pc);
    CHECK(accepted_edited(MCP_KIND_CODE, code_text, "pc", value));
    snprintf(value, 140, "%sc\"", pc);
    CHECK(!accepted_edited(MCP_KIND_CODE, code_text, "pc", value));
    free(value);
}

static void test_not_a_payload(void)
{
    mcp_grant g;
    size_t n = strlen(refresh_text);
    char *t = malloc(n + 2);

    /* Not one object, or more than one. */
    CHECK(!accepted(MCP_KIND_REFRESH, ""));
    CHECK(!accepted(MCP_KIND_REFRESH, "[]"));
    CHECK(!accepted(MCP_KIND_REFRESH, "null"));
    CHECK(!accepted(MCP_KIND_REFRESH, "{}"));
    memcpy(t, refresh_text, n);
    memcpy(t + n, " ", 2);
    CHECK_INT(grant_from(MCP_KIND_REFRESH, t, &g), -1);
    memcpy(t + n, "{", 2);
    CHECK_INT(grant_from(MCP_KIND_REFRESH, t, &g), -1);
    /* Cut short, or with a raw NUL inside. */
    CHECK_INT(grant_from_n(MCP_KIND_REFRESH, refresh_text, n - 1, &g), -1);
    memcpy(t, refresh_text, n + 1);
    t[n] = '\0';
    CHECK_INT(grant_from_n(MCP_KIND_REFRESH, t, n + 1, &g), -1);
    free(t);
    /* A member twice, even with the same value. */
    CHECK(!accepted(MCP_KIND_REFRESH,
                    "{\"id\":\"" ID "\",\"c\":\"" CLIENT "\","
                    "\"res\":\"https://r/\",\"sub\":\"s\",\"sub\":\"s\","
                    "\"ro\":[],\"ap\":1,\"ge\":2,\"gen\":0}"));
    CHECK_INT(mcp_grant_from_payload(MCP_KIND_REFRESH, NULL, 0, &g), -1);
    CHECK(grant_is_empty(&g));
}

/* ---------------------------------------------------------------- */
/* Writing payloads                                                  */
/* ---------------------------------------------------------------- */

static void sample_grant(mcp_grant *g)
{
    mcp_grant_init(g);
    CHECK_INT(mcp_grant_new_id(g->id), 0);
    CHECK_INT(mcp_client_digest("client.eyJy.sig", g->client), 0);
    g->redirect_uri = strdup("http://127.0.0.1:33418/");
    g->challenge = strdup(CHALLENGE);
    g->resource = strdup("https://mcp.example.com/mcp");
    g->sub = strdup("caf\xc3\xa9 \"quoted\" \\");
    mcp_roles_add(&g->roles, "ROLE_B", 6);
    mcp_roles_add(&g->roles, "ROLE_A", 6);
    g->state = strdup("st\\ate");
    g->approved = 1700000000;
    g->grant_exp = INT64_C(253402300799);
    g->exp = 1700000060;
    g->generation = UINT32_MAX;
}

/* Writes g as kind and reads it back into back. */
static int round_trip(const char *kind, const mcp_grant *g, mcp_grant *back)
{
    char *payload = mcp_grant_payload(kind, g);
    int rc = -1;

    mcp_grant_init(back);
    if (payload)
        rc = grant_from(kind, payload, back);
    free(payload);
    return rc;
}

static void test_round_trips(void)
{
    mcp_grant g, back, want;
    char *payload;

    sample_grant(&g);
    /* A consent: what it carries comes back, nothing else. */
    CHECK_INT(round_trip(MCP_KIND_CONSENT, &g, &back), 0);
    want = g;
    want.approved = want.grant_exp = 0;
    want.generation = 0;
    CHECK(grants_equal(&back, &want));
    mcp_grant_clear(&back);
    /* A code. */
    CHECK_INT(round_trip(MCP_KIND_CODE, &g, &back), 0);
    want = g;
    want.state = NULL;
    want.generation = 0;
    CHECK(grants_equal(&back, &want));
    mcp_grant_clear(&back);
    /* A refresh token. */
    CHECK_INT(round_trip(MCP_KIND_REFRESH, &g, &back), 0);
    want = g;
    want.redirect_uri = want.challenge = want.state = NULL;
    want.exp = 0;
    CHECK(grants_equal(&back, &want));
    mcp_grant_clear(&back);

    /* A consent without state has no "st". */
    free(g.state);
    g.state = NULL;
    payload = mcp_grant_payload(MCP_KIND_CONSENT, &g);
    CHECK(payload && !strstr(payload, "\"st\""));
    free(payload);
    CHECK_INT(round_trip(MCP_KIND_CONSENT, &g, &back), 0);
    CHECK(back.state == NULL);
    mcp_grant_clear(&back);
    /* An empty state is no state either: what is written reads back. */
    g.state = strdup("");
    CHECK_INT(round_trip(MCP_KIND_CONSENT, &g, &back), 0);
    CHECK(back.state == NULL);
    mcp_grant_clear(&back);
    mcp_grant_clear(&g);

    /* The exact text of a refresh token, short names and all. */
    mcp_grant_init(&g);
    memcpy(g.id, ID, sizeof(ID));
    memcpy(g.client, CLIENT, sizeof(CLIENT));
    g.resource = strdup("https://mcp.example.com/mcp");
    g.sub = strdup("alice");
    g.approved = 1700000000;
    g.grant_exp = 1702592000;
    g.generation = 7;
    payload = mcp_grant_payload(MCP_KIND_REFRESH, &g);
    CHECK_STR(payload, refresh_text);
    free(payload);
    mcp_grant_clear(&g);
}

static void test_what_cannot_be_written(void)
{
    mcp_grant g;
    char *saved;

    sample_grant(&g);
    CHECK(mcp_grant_payload(MCP_KIND_CLIENT, &g) == NULL);
    CHECK(mcp_grant_payload("nonsense", &g) == NULL);
    /* A member the kind needs is missing. */
    saved = g.sub;
    g.sub = NULL;
    CHECK(mcp_grant_payload(MCP_KIND_REFRESH, &g) == NULL);
    g.sub = saved;
    saved = g.resource;
    g.resource = NULL;
    CHECK(mcp_grant_payload(MCP_KIND_CODE, &g) == NULL);
    g.resource = saved;
    saved = g.challenge;
    g.challenge = NULL;
    CHECK(mcp_grant_payload(MCP_KIND_CONSENT, &g) == NULL);
    CHECK(mcp_grant_payload(MCP_KIND_CODE, &g) == NULL);
    {
        /* ... which a refresh token does not carry. */
        char *p = mcp_grant_payload(MCP_KIND_REFRESH, &g);
        CHECK(p != NULL);
        free(p);
    }
    g.challenge = saved;
    /* An empty member is a missing one: the reader would refuse it. */
    saved = g.sub;
    g.sub = "";
    CHECK(mcp_grant_payload(MCP_KIND_REFRESH, &g) == NULL);
    g.sub = saved;
    saved = g.resource;
    g.resource = "";
    CHECK(mcp_grant_payload(MCP_KIND_REFRESH, &g) == NULL);
    g.resource = saved;
    saved = g.redirect_uri;
    g.redirect_uri = "";
    CHECK(mcp_grant_payload(MCP_KIND_CODE, &g) == NULL);
    g.redirect_uri = saved;
    saved = g.challenge;
    g.challenge = "";
    CHECK(mcp_grant_payload(MCP_KIND_CONSENT, &g) == NULL);
    g.challenge = saved;
    g.id[0] = '\0';
    CHECK(mcp_grant_payload(MCP_KIND_REFRESH, &g) == NULL);
    mcp_grant_clear(&g);
}

/* ---------------------------------------------------------------- */
/* Clients                                                           */
/* ---------------------------------------------------------------- */

static int client_from(const char *text, mcp_registration *reg)
{
    size_t n = strlen(text);
    unsigned char *copy = malloc(n ? n : 1);
    int rc;

    memcpy(copy, text, n);
    rc = mcp_client_from_payload(copy, n, reg);
    free(copy);
    if (rc != 0)
        CHECK(reg->n_redirect_uris == 0 && reg->client_name == NULL);
    return rc;
}

static int client_accepted(const char *text)
{
    mcp_registration reg;
    int rc = client_from(text, &reg);

    mcp_registration_clear(&reg);
    return rc == 0;
}

static void test_clients(void)
{
    static const char good[] =
        "{\"r\":[\"http://localhost:3335/cb\",\"cursor://a/cb\"],"
        "\"n\":\"MCP CLI\",\"a\":1,\"g\":1,\"iat\":1700000000}";
    static const char *const tampered[] = {
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"g\":0,\"iat\":1,\"x\":1}",
        "{\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[],\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":\"http://localhost/\",\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[1],\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[\"\"],\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"g\":0}",
        "{\"r\":[\"http://localhost/\"],\"a\":2,\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"g\":-1,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":true,\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":\"1\",\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"g\":0,\"iat\":1.5}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"g\":0,\"iat\":\"1\"}",
        "{\"r\":[\"http://localhost/\"],\"n\":\"\",\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"n\":7,\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"n\":\"a\xff\",\"a\":0,\"g\":0,"
        "\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"n\":\"a\\u0000\",\"a\":0,\"g\":0,"
        "\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"a\":0,\"g\":0,\"iat\":1}",
        "{\"r\":[\"http://localhost/\"],\"a\":0,\"g\":0,\"iat\":1}x",
        "[\"http://localhost/\"]",
        "{\"r\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],"
        "\"a\":0,\"g\":0,\"iat\":1}",
        "",
    };
    mcp_registration reg, back;
    char *payload, *uri;
    size_t i, room;

    CHECK_INT(client_from(good, &reg), 0);
    CHECK_INT(reg.n_redirect_uris, 2);
    CHECK_STR(reg.redirect_uris[1], "cursor://a/cb");
    CHECK_STR(reg.client_name, "MCP CLI");
    CHECK_INT(reg.native, 1);
    CHECK_INT(reg.refresh, 1);
    /* Written back: the same text, member for member. */
    payload = mcp_client_payload(&reg, 1700000000);
    CHECK_STR(payload, good);
    free(payload);
    mcp_registration_clear(&reg);
    CHECK(client_accepted("{\"iat\":-5,\"g\":0,\"a\":0,"
                          "\"r\":[\"http://localhost/\"]}"));
    for (i = 0; i < sizeof(tampered) / sizeof(*tampered); i++) {
        int ok = client_accepted(tampered[i]);
        if (ok)
            fprintf(stderr, "  accepted: %s\n", tampered[i]);
        CHECK(!ok);
    }

    /* Round trip: a web client without a name. */
    mcp_registration_init(&reg);
    reg.redirect_uris[0] = strdup("https://claude.ai/api/mcp/auth_callback");
    reg.n_redirect_uris = 1;
    payload = mcp_client_payload(&reg, 1);
    CHECK(payload && !strstr(payload, "\"n\""));
    CHECK_INT(payload ? client_from(payload, &back) : -1, 0);
    CHECK_STR(back.redirect_uris[0], reg.redirect_uris[0]);
    CHECK(back.client_name == NULL && back.native == 0 && back.refresh == 0);
    mcp_registration_clear(&back);
    free(payload);
    /* An empty name is no name. */
    reg.client_name = strdup("");
    payload = mcp_client_payload(&reg, 1);
    CHECK(payload && !strstr(payload, "\"n\""));
    free(payload);
    mcp_registration_clear(&reg);

    /* No redirect URI: nothing to write. */
    mcp_registration_init(&reg);
    CHECK(mcp_client_payload(&reg, 1) == NULL);
    /* Up to MCP_CLIENT_PAYLOAD_MAX bytes and not one more. */
    payload = NULL;
    reg.n_redirect_uris = 1;
    reg.redirect_uris[0] = strdup("http://localhost/");
    payload = mcp_client_payload(&reg, 1);
    room = payload ? MCP_CLIENT_PAYLOAD_MAX - strlen(payload) : 0;
    free(payload);
    uri = malloc(strlen("http://localhost/") + room + 2);
    strcpy(uri, "http://localhost/");
    memset(uri + 17, 'p', room);
    uri[17 + room] = '\0';
    free(reg.redirect_uris[0]);
    reg.redirect_uris[0] = uri;
    payload = mcp_client_payload(&reg, 1);
    CHECK_INT(payload ? strlen(payload) : 0, MCP_CLIENT_PAYLOAD_MAX);
    free(payload);
    strcat(uri, "p");
    CHECK(mcp_client_payload(&reg, 1) == NULL);
    mcp_registration_clear(&reg);
    /* Eight long URIs are too many bytes. */
    mcp_registration_init(&reg);
    for (i = 0; i < MCP_REGISTRATION_MAX_REDIRECTS; i++) {
        reg.redirect_uris[i] = malloc(230);
        snprintf(reg.redirect_uris[i], 230, "http://localhost/%zu/%0200d", i,
                 0);
        reg.n_redirect_uris++;
    }
    CHECK(mcp_client_payload(&reg, 1) == NULL);
    mcp_registration_clear(&reg);
}

/* ---------------------------------------------------------------- */
/* Ids and digests                                                   */
/* ---------------------------------------------------------------- */

static int is_b64url(const char *s, size_t n)
{
    size_t i;
    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static void test_ids_and_digests(void)
{
    char a[MCP_GRANT_ID_LEN + 1], b[MCP_GRANT_ID_LEN + 1];
    char d1[MCP_CLIENT_DIGEST_LEN + 1], d2[MCP_CLIENT_DIGEST_LEN + 1];

    CHECK_INT(mcp_grant_new_id(a), 0);
    CHECK_INT(mcp_grant_new_id(b), 0);
    CHECK(is_b64url(a, MCP_GRANT_ID_LEN));
    CHECK(is_b64url(b, MCP_GRANT_ID_LEN));
    CHECK(strcmp(a, b) != 0);

    /* SHA-256 of "abc" (FIPS 180-2) and of "", in base64url. */
    CHECK_INT(mcp_client_digest("abc", d1), 0);
    CHECK_STR(d1, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    CHECK_INT(mcp_client_digest("", d1), 0);
    CHECK_STR(d1, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    CHECK(is_b64url(d1, MCP_CLIENT_DIGEST_LEN));
    CHECK_INT(mcp_client_digest("client.eyJy.sig", d1), 0);
    CHECK_INT(mcp_client_digest("client.eyJy.sig", d2), 0);
    CHECK_STR(d1, d2);
    CHECK(is_b64url(d1, MCP_CLIENT_DIGEST_LEN));
    CHECK_INT(mcp_client_digest("client.eyJy.siG", d2), 0);
    CHECK(strcmp(d1, d2) != 0);
}

int main(void)
{
    test_read_each_kind();
    test_members_of_each_kind();
    test_kinds_are_apart();
    test_ids();
    test_numbers();
    test_strings_and_roles();
    test_not_a_payload();
    test_round_trips();
    test_what_cannot_be_written();
    test_clients();
    test_ids_and_digests();
    return UNIT_DONE("grant");
}
