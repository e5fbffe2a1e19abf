/*
 * libFuzzer target for lib/template.c: the input is a template, compiled
 * and, when it compiles, rendered against a fixed object shaped like the
 * page's data in which every string holds the characters HTML escaping
 * exists for (< > & " ' `).  What must hold for any template:
 *   - a refusal leaves no template and gives a line number;
 *   - no byte of a data string reaches the output unescaped: every piece
 *     the renderer emits from inside a data string is free of those
 *     characters, and a character the template text lacks is absent from
 *     the whole output (the point of escaping: no raw '<' from data);
 *   - rendering is repeatable: twice the same bytes;
 *   - mcp_html_escape() of the input itself unescapes back to the input.
 *
 * Sections repeat their content once per array item and look names up
 * through the enclosing contexts, so a deeply nested template renders in
 * time exponential in its depth.  Templates are the operator's, not the
 * client's, so that is a property of the language rather than a bug here;
 * the data's arrays hold at most two items and a template is rendered only
 * when its size times 2^depth stays under RENDER_BUDGET, so that a timeout
 * means something.
 */
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

#define RENDER_BUDGET (1u << 20)
#define MAX_STRINGS 128
#define ESCAPED_CHARS "<>\"'`"

static cJSON *data;
static struct {
    const char *at;
    size_t len;
} strings[MAX_STRINGS];
static size_t n_strings;

static const char page_data[] =
    "{\"user\":\"<script>alert('u')</script>\","
    "\"base\":\"/mcp\\\"><img src=x onerror=`b`>\","
    "\"tokenUrl\":\"/mcp/token?a=1&b=<2>\","
    "\"cssUrl\":\"/mcp/page.css'\\\"<\",\"jsUrl\":\"/mcp/page.js`<`\","
    "\"mcpUrl\":\"https://h/mcp<sse>\",\"issuer\":\"<iss & co>\","
    "\"csrf\":\"c\\\"s<r>f'`&\",\"maxLifetime\":\"P<365>D\","
    "\"maxLifetimeWords\":\"365 <days> & 'more'\",\"maxSeconds\":31536000,"
    "\"action\":\"/login?next=<x>\",\"location\":\"<loc>\","
    "\"title\":\"MCP credentials <demo>\","
    "\"presets\":[{\"label\":\"7 <days>\",\"value\":\"P7D\\\"<\","
    "\"id\":\"p-<7>\",\"disabled\":false,\"checked\":true},"
    "{\"label\":\"1 year'\",\"value\":\"P365D`\",\"id\":\"p&365\","
    "\"disabled\":true,\"checked\":false}],"
    "\"customChecked\":false,\"hasRoles\":true,"
    "\"roles\":[{\"name\":\"ROLE_<ADMIN>\",\"id\":\"r-<0>\"},"
    "{\"name\":\"a&b\\\"c'd`e>\",\"id\":\"r-1\\\"\"}],"
    "\"strings\":[\"<a>\",\"\"],\"numbers\":[0,-7.5],"
    "\"nested\":{\"a\":{\"b\":\"<deep>\"},\"list\":[[\"<in>\",1],[]]},"
    "\"error\":{\"message\":\"<bad> & 'worse'\",\"lifetime\":true},"
    "\"result\":{\"token\":\"<tok>\",\"jti\":\"<jti>\","
    "\"expiresAt\":\"<when>\",\"claudeDesktop\":\"{\\\"a\\\":\\\"<b>\\\"}\","
    "\"streamableHttp\":\"<s>\",\"curl\":\"curl -H '<x>'\"},"
    "\"empty\":\"\",\"null\":null,\"t\":true,\"f\":false,\"emptyList\":[],"
    "\"zero\":0,\"frac\":0.5,\"big\":1e300,\"neg\":-9.3e18,"
    "\"a-b\":\"<dash>\",\"x_1\":\"<under>\",\"0\":\"<digit>\"}";

static void collect_strings(const cJSON *item)
{
    for (; item; item = item->next) {
        if ((cJSON_IsString(item) || cJSON_IsRaw(item)) && item->valuestring) {
            if (n_strings == MAX_STRINGS)
                abort();
            strings[n_strings].at = item->valuestring;
            strings[n_strings].len = strlen(item->valuestring);
            n_strings++;
        }
        collect_strings(item->child);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    data = cJSON_Parse(page_data);
    if (data == NULL)
        abort();
    /* what JSON text cannot hold but a cJSON tree can */
    cJSON_AddItemToObject(data, "raw", cJSON_CreateRaw("<raw & 'r'>"));
    cJSON_AddNumberToObject(data, "inf", 0)->valuedouble = INFINITY;
    cJSON_AddNumberToObject(data, "nan", 0)->valuedouble = NAN;
    collect_strings(data);
    return 0;
}

typedef struct {
    uint64_t hash;
    size_t len;
    unsigned char seen[256];
} output;

static void emit(void *ctx, const char *bytes, size_t n)
{
    output *out = ctx;
    size_t i, s;

    for (s = 0; s < n_strings; s++) {
        if (bytes >= strings[s].at &&
            bytes + n <= strings[s].at + strings[s].len &&
            strcspn(bytes, ESCAPED_CHARS "&") < n)
            abort();
    }
    for (i = 0; i < n; i++) {
        out->hash = (out->hash ^ (unsigned char)bytes[i]) * 1099511628211u;
        out->seen[(unsigned char)bytes[i]] = 1;
    }
    out->len += n;
}

static size_t find_pair(const uint8_t *s, size_t len, size_t from, char c)
{
    size_t i;

    for (i = from; i + 1 < len; i++)
        if (s[i] == c && s[i + 1] == c)
            return i;
    return len;
}

/* The deepest nesting of sections, found by walking the tags the way
 * mcp_tpl_compile() does (a comment hides what it holds). */
static int cheap_to_render(const uint8_t *text, size_t size)
{
    size_t pos = 0, depth = 0, deepest = 0;

    for (;;) {
        size_t o = find_pair(text, size, pos, '{'), c, a;
        if (o == size)
            break;
        c = find_pair(text, size, o + 2, '}');
        if (c == size)
            break;
        for (a = o + 2; a < c && (text[a] == ' ' || text[a] == '\t' ||
                                  text[a] == '\r' || text[a] == '\n');
             a++)
            ;
        if (a < c && (text[a] == '#' || text[a] == '^')) {
            if (++depth > deepest)
                deepest = depth;
        } else if (a < c && text[a] == '/' && depth > 0) {
            depth--;
        }
        pos = c + 2;
    }
    return deepest <= 24 && (uint64_t)size << deepest <= RENDER_BUDGET;
}

static void check_render(const mcp_tpl *tpl, const uint8_t *text, size_t size)
{
    output first, second;
    const char *c;

    memset(&first, 0, sizeof(first));
    memset(&second, 0, sizeof(second));
    if (mcp_tpl_render(tpl, data, emit, &first) != 0 ||
        mcp_tpl_render(tpl, data, emit, &second) != 0)
        abort();
    if (first.hash != second.hash || first.len != second.len)
        abort();
    for (c = ESCAPED_CHARS; *c; c++)
        if (first.seen[(unsigned char)*c] && memchr(text, *c, size) == NULL)
            abort();
}

typedef struct {
    char *buf;
    size_t len, cap;
} buffer;

static void append(void *ctx, const char *bytes, size_t n)
{
    buffer *b = ctx;

    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->buf = realloc(b->buf, b->cap);
        if (b->buf == NULL)
            abort();
    }
    memcpy(b->buf + b->len, bytes, n);
    b->len += n;
}

static void check_escape(const uint8_t *text, size_t size)
{
    static const char *const entities[][2] = {{"&amp;", "&"}, {"&lt;", "<"},
                                              {"&gt;", ">"},  {"&quot;", "\""},
                                              {"&#39;", "'"}, {"&#96;", "`"}};
    buffer b = {NULL, 0, 0};
    size_t i = 0, o = 0, e;

    mcp_html_escape((const char *)text, size, append, &b);
    for (i = 0; i < b.len; o++) {
        if (o >= size)
            abort();
        if (b.buf[i] != '\0' && strchr(ESCAPED_CHARS, b.buf[i]))
            abort();
        if (b.buf[i] != '&') {
            if ((uint8_t)b.buf[i++] != text[o])
                abort();
            continue;
        }
        for (e = 0; e < 6; e++) {
            size_t n = strlen(entities[e][0]);
            if (b.len - i >= n && memcmp(b.buf + i, entities[e][0], n) == 0)
                break;
        }
        if (e == 6 || text[o] != (uint8_t)entities[e][1][0])
            abort();
        i += strlen(entities[e][0]);
    }
    if (o != size)
        abort();
    free(b.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *text, size_t size)
{
    mcp_tpl *tpl = (mcp_tpl *)&tpl; /* must be reset */
    char err[256];

    memset(err, 'x', sizeof(err));
    if (mcp_tpl_compile((const char *)text, size, &tpl, err, sizeof(err)) !=
        0) {
        if (tpl != NULL || memchr(err, '\0', sizeof(err)) == NULL ||
            (strncmp(err, "line ", 5) != 0 && strcmp(err, "out of memory")))
            abort();
    } else {
        if (cheap_to_render(text, size))
            check_render(tpl, text, size);
        mcp_tpl_free(tpl);
    }
    check_escape(text, size);
    return 0;
}
