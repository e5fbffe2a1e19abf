/* Unit tests for lib/template.c: compiling (and refusing) templates,
 * rendering values, sections and escapes, and sharing one compiled
 * template between threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "template.h"
#include "unit.h"

#define FIXTURES "fixtures/lib/"

typedef struct {
    char *data;
    size_t len, cap;
    size_t calls;
} sink;

static void sink_emit(void *ctx, const char *bytes, size_t n)
{
    sink *s = ctx;

    s->calls++;
    if (s->len + n + 1 > s->cap) {
        size_t cap = (s->len + n + 1) * 2;
        char *d = realloc(s->data, cap);
        if (d == NULL)
            abort();
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, bytes, n);
    s->len += n;
    s->data[s->len] = '\0';
}

static char err[256];

/* Compiles tpl, renders it against the JSON text json, and returns the
 * output (malloc'd), or NULL when compiling fails (the message in err). */
static char *render(const char *tpl_text, const char *json)
{
    mcp_tpl *tpl = NULL;
    cJSON *data = json ? cJSON_Parse(json) : NULL;
    sink s = {NULL, 0, 0, 0};

    if (json && data == NULL) {
        fprintf(stderr, "bad test JSON: %s\n", json);
        return NULL;
    }
    if (mcp_tpl_compile(tpl_text, strlen(tpl_text), &tpl, err, sizeof(err)) !=
        0) {
        cJSON_Delete(data);
        return NULL;
    }
    sink_emit(&s, "", 0);
    if (mcp_tpl_render(tpl, data, sink_emit, &s) != 0) {
        free(s.data);
        s.data = NULL;
    }
    mcp_tpl_free(tpl);
    cJSON_Delete(data);
    return s.data;
}

#define CHECK_RENDER(tpl, json, want)                                          \
    do {                                                                       \
        char *out_ = render((tpl), (json));                                    \
        CHECK_STR(out_, (want));                                               \
        free(out_);                                                            \
    } while (0)

/* Compiling fails and the message holds the given words. */
#define CHECK_REFUSED(tpl, words)                                              \
    do {                                                                       \
        mcp_tpl *t_ = (mcp_tpl *)&t_;                                          \
        err[0] = '\0';                                                         \
        CHECK_INT(mcp_tpl_compile((tpl), strlen(tpl), &t_, err, sizeof(err)),  \
                  -1);                                                         \
        CHECK(t_ == NULL);                                                     \
        if (strstr(err, (words)) == NULL) {                                    \
            CHECK_STR(err, (words));                                           \
        }                                                                      \
    } while (0)

static void test_escape(void)
{
    sink s = {NULL, 0, 0, 0};
    static const char nul_text[] = "a\0<b";

    mcp_html_escape("a&b<c>d\"e'f`g", 13, sink_emit, &s);
    CHECK_STR(s.data, "a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g");
    s.len = 0;
    mcp_html_escape("plain text", 10, sink_emit, &s);
    CHECK_STR(s.data, "plain text");
    s.len = 0;
    s.calls = 0;
    mcp_html_escape("", 0, sink_emit, &s);
    CHECK_INT(s.calls, 0);
    mcp_html_escape("&&", 2, sink_emit, &s);
    CHECK_STR(s.data, "&amp;&amp;");
    s.len = 0;
    /* bytes, not C strings: a NUL passes through */
    mcp_html_escape(nul_text, 4, sink_emit, &s);
    CHECK_INT(s.len, 7);
    CHECK(memcmp(s.data, "a\0&lt;b", 7) == 0);
    s.len = 0;
    /* UTF-8 passes through untouched */
    mcp_html_escape("\xc3\xa9<", 3, sink_emit, &s);
    CHECK_STR(s.data, "\xc3\xa9&lt;");
    free(s.data);
}

static void test_values(void)
{
    CHECK_RENDER("", "{}", "");
    CHECK_RENDER("plain <b>text</b> { } }} {", "{}",
                 "plain <b>text</b> { } }} {");
    CHECK_RENDER("Hello {{name}}!", "{\"name\":\"World\"}", "Hello World!");
    CHECK_RENDER("{{ name }}|{{\tname\t}}", "{\"name\":\"x\"}", "x|x");
    CHECK_RENDER("{{v}}", "{\"v\":\"<script>alert('x')</script>&`\\\"\"}",
                 "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;"
                 "&quot;");
    /* a value that looks like a tag is data */
    CHECK_RENDER("{{v}}", "{\"v\":\"{{v}}\"}", "{{v}}");
    CHECK_RENDER("{{n}}", "{\"n\":42}", "42");
    CHECK_RENDER("{{n}}", "{\"n\":-3}", "-3");
    CHECK_RENDER("{{n}}", "{\"n\":0}", "0");
    CHECK_RENDER("{{n}}", "{\"n\":-0.0}", "0");
    CHECK_RENDER("{{n}}", "{\"n\":1.5}", "1.5");
    CHECK_RENDER("{{n}}", "{\"n\":0.1}", "0.1");
    CHECK_RENDER("{{n}}", "{\"n\":30.0}", "30");
    /* past 2038 and past 32 bits: no saturation */
    CHECK_RENDER("{{n}}", "{\"n\":4102444800}", "4102444800");
    CHECK_RENDER("{{n}}", "{\"n\":9007199254740993}", "9007199254740992");
    CHECK_RENDER("{{n}}", "{\"n\":1e20}", "100000000000000000000");
    CHECK_RENDER("{{n}}", "{\"n\":-1e19}", "-10000000000000000000");
    CHECK_RENDER("{{t}}/{{f}}", "{\"t\":true,\"f\":false}", "true/false");
    CHECK_RENDER("[{{z}}][{{missing}}]", "{\"z\":null}", "[][]");
    CHECK_RENDER("[{{o}}][{{a}}]", "{\"o\":{\"x\":1},\"a\":[1,2]}", "[][]");
    CHECK_RENDER("{{a.b}}-{{a.c.d}}", "{\"a\":{\"b\":\"B\",\"c\":{\"d\":4}}}",
                 "B-4");
    CHECK_RENDER("[{{a.x}}][{{s.x}}][{{m.x}}]", "{\"a\":{},\"s\":\"str\"}",
                 "[][][]");
    CHECK_RENDER("{{first-name}} {{last_name}} {{n2}}",
                 "{\"first-name\":\"A\",\"last_name\":\"B\",\"n2\":\"C\"}",
                 "A B C");
    /* names are case-sensitive */
    CHECK_RENDER("[{{Name}}]", "{\"name\":\"x\"}", "[]");
    /* the first member of a name wins, as the parser keeps them all */
    CHECK_RENDER("{{d}}", "{\"d\":\"one\",\"d\":\"two\"}", "one");
    CHECK_RENDER("{{! a comment }}x{{!\nmulti {{ line\n}}y", "{}", "xy");
    CHECK_RENDER("{{!}}z", "{}", "z");
    /* no data at all */
    CHECK_RENDER("[{{x}}][{{.}}]{{#x}}no{{/x}}{{^x}}yes{{/x}}", NULL,
                 "[][]yes");
    /* the root itself */
    CHECK_RENDER("{{.}}", "\"<root>\"", "&lt;root&gt;");
    CHECK_RENDER("{{#.}}{{.}},{{/.}}", "[1,2,3]", "1,2,3,");
}

static void test_sections(void)
{
    const char *list = "{{#items}}<li>{{name}}</li>{{/items}}";

    CHECK_RENDER(list, "{\"items\":[{\"name\":\"a\"},{\"name\":\"<b>\"}]}",
                 "<li>a</li><li>&lt;b&gt;</li>");
    CHECK_RENDER(list, "{\"items\":[]}", "");
    CHECK_RENDER("{{#xs}}[{{.}}]{{/xs}}", "{\"xs\":[\"a\",\"b\",3,true]}",
                 "[a][b][3][true]");
    CHECK_RENDER("{{#rows}}{{#.}}{{.}}{{/.}};{{/rows}}",
                 "{\"rows\":[[1,2],[3],[]]}", "12;3;;");

    /* rendered once for true, a non-empty string, a non-zero number, an
     * object; the value becomes the context */
    CHECK_RENDER("{{#v}}yes{{/v}}", "{\"v\":true}", "yes");
    CHECK_RENDER("{{#v}}yes:{{.}}{{/v}}", "{\"v\":\"s\"}", "yes:s");
    CHECK_RENDER("{{#v}}yes:{{.}}{{/v}}", "{\"v\":-2}", "yes:-2");
    CHECK_RENDER("{{#v}}yes:{{.}}{{/v}}", "{\"v\":0.5}", "yes:0.5");
    CHECK_RENDER("{{#v}}{{x}}{{/v}}", "{\"v\":{\"x\":\"in\"},\"x\":\"out\"}",
                 "in");
    CHECK_RENDER("{{#v}}[{{x}}]{{/v}}", "{\"v\":{}}", "[]");

    /* skipped for false, null, missing, "", 0 and [] */
    CHECK_RENDER("{{#v}}no{{/v}}", "{\"v\":false}", "");
    CHECK_RENDER("{{#v}}no{{/v}}", "{\"v\":null}", "");
    CHECK_RENDER("{{#v}}no{{/v}}", "{}", "");
    CHECK_RENDER("{{#v}}no{{/v}}", "{\"v\":\"\"}", "");
    CHECK_RENDER("{{#v}}no{{/v}}", "{\"v\":0}", "");
    CHECK_RENDER("{{#v}}no{{/v}}", "{\"v\":[]}", "");

    /* inverted: exactly the other way round */
    CHECK_RENDER("{{^v}}yes{{/v}}", "{\"v\":false}", "yes");
    CHECK_RENDER("{{^v}}yes{{/v}}", "{\"v\":null}", "yes");
    CHECK_RENDER("{{^v}}yes{{/v}}", "{}", "yes");
    CHECK_RENDER("{{^v}}yes{{/v}}", "{\"v\":\"\"}", "yes");
    CHECK_RENDER("{{^v}}yes{{/v}}", "{\"v\":0}", "yes");
    CHECK_RENDER("{{^v}}yes{{/v}}", "{\"v\":[]}", "yes");
    CHECK_RENDER("{{^v}}no{{/v}}", "{\"v\":true}", "");
    CHECK_RENDER("{{^v}}no{{/v}}", "{\"v\":\"x\"}", "");
    CHECK_RENDER("{{^v}}no{{/v}}", "{\"v\":[0]}", "");
    CHECK_RENDER("{{^v}}no{{/v}}", "{\"v\":{}}", "");
    CHECK_RENDER("{{^v}}[{{x}}]{{/v}}", "{\"x\":\"root\"}", "[root]");

    /* names look outward through the enclosing contexts */
    CHECK_RENDER("{{#items}}{{name}}@{{site}} {{/items}}",
                 "{\"site\":\"S\",\"items\":[{\"name\":\"a\"},"
                 "{\"name\":\"b\",\"site\":\"T\"}]}",
                 "a@S b@T ");
    CHECK_RENDER("{{#a}}{{#b}}{{#c}}{{x}}{{y}}{{z}}{{/c}}{{/b}}{{/a}}",
                 "{\"z\":3,\"a\":{\"y\":2,\"b\":{\"c\":{\"x\":1}}}}", "123");
    /* a dotted name resolves its first part outward, the rest strictly */
    CHECK_RENDER("{{#item}}[{{user.name}}]{{/item}}",
                 "{\"user\":{\"name\":\"root\"},\"item\":{\"user\":{}}}", "[]");
    CHECK_RENDER("{{#item}}[{{user.name}}]{{/item}}",
                 "{\"user\":{\"name\":\"root\"},\"item\":{}}", "[root]");
    CHECK_RENDER("{{#a.b}}{{c}}{{/a.b}}",
                 "{\"a\":{\"b\":[{\"c\":1},{\"c\":2}]}}", "12");
    CHECK_RENDER("{{# items }}x{{/ items }}", "{\"items\":[1,2]}", "xx");
    /* the same name opened twice in a row */
    CHECK_RENDER("{{#v}}a{{/v}}{{#v}}b{{/v}}{{^v}}c{{/v}}", "{\"v\":1}", "ab");
}

static void test_refused(void)
{
    CHECK_REFUSED("{{#a}}x", "line 1: {{#a}} is never closed");
    CHECK_REFUSED("one\ntwo {{^b}}\nthree", "line 2: {{^b}} is never closed");
    CHECK_REFUSED("x{{/a}}", "line 1: {{/a}} closes no section");
    CHECK_REFUSED("{{#a}}\n\n{{/b}}", "line 3: {{/b}} does not close {{#a}} "
                                      "opened at line 1");
    CHECK_REFUSED("{{#a}}{{#b}}{{/a}}{{/b}}", "does not close {{#b}}");
    CHECK_REFUSED("line\n{{name", "line 2: a tag opened here is never closed");
    CHECK_REFUSED("{{name}", "never closed");
    CHECK_REFUSED("{{", "never closed");
    CHECK_REFUSED("{{!}", "never closed");
    CHECK_REFUSED("a\nb\n{{}}", "line 3: an empty tag");
    CHECK_REFUSED("{{ }}", "empty tag");
    CHECK_REFUSED("{{#}}", "empty tag");
    CHECK_REFUSED("{{/ }}", "empty tag");
    CHECK_REFUSED("{{a b}}", "'a b' is not a name");
    CHECK_REFUSED("{{a..b}}", "is not a name");
    CHECK_REFUSED("{{.a}}", "is not a name");
    CHECK_REFUSED("{{a.}}", "is not a name");
    CHECK_REFUSED("{{..}}", "is not a name");
    CHECK_REFUSED("{{a/b}}", "is not a name");
    CHECK_REFUSED("{{a\xc3\xa9}}", "is not a name");
    CHECK_REFUSED("{{>partial}}", "is not a name");
    CHECK_REFUSED("{{=<% %>=}}", "is not a name");
    CHECK_REFUSED("{{#a b}}{{/a b}}", "is not a name");
    CHECK_REFUSED("{{{raw}}}", "no unescaped form");
    CHECK_REFUSED("{{&raw}}", "no unescaped form");
    /* NUL bytes in a tag are not a name */
    {
        mcp_tpl *t = NULL;
        CHECK_INT(mcp_tpl_compile("{{a\0b}}", 7, &t, err, sizeof(err)), -1);
        CHECK(strstr(err, "is not a name") != NULL);
        CHECK_INT(mcp_tpl_compile("{{a}}", 5, &t, NULL, 0), 0);
        mcp_tpl_free(t);
        CHECK_INT(mcp_tpl_compile("{{#a}}", 6, &t, NULL, 0), -1);
        CHECK_INT(mcp_tpl_compile("{{#a}}", 6, &t, err, 8), -1);
        CHECK_STR(err, "line 1:");
        CHECK_INT(mcp_tpl_compile(NULL, 0, &t, err, sizeof(err)), 0);
        mcp_tpl_free(t);
        mcp_tpl_free(NULL);
    }
}

static void test_depth(void)
{
    char text[1024], want[64];
    size_t n = 0;
    int i;

    /* 16 levels compile and render; 17 do not compile */
    for (i = 0; i < 16; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{#v}}");
    n += (size_t)snprintf(text + n, sizeof(text) - n, "{{.}}");
    for (i = 0; i < 16; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{/v}}");
    snprintf(want, sizeof(want), "x");
    CHECK_RENDER(text, "{\"v\":\"x\"}", want);
    /* sixteen arrays deep: the inner sections walk down with "." */
    n = (size_t)snprintf(text, sizeof(text), "{{#v}}");
    for (i = 1; i < 16; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{#.}}");
    n += (size_t)snprintf(text + n, sizeof(text) - n, "{{.}}");
    for (i = 1; i < 16; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{/.}}");
    snprintf(text + n, sizeof(text) - n, "{{/v}}");
    {
        char json[256];
        size_t k = (size_t)snprintf(json, sizeof(json), "{\"v\":[");
        for (i = 0; i < 15; i++)
            json[k++] = '[';
        k += (size_t)snprintf(json + k, sizeof(json) - k, "\"deep\",1");
        for (i = 0; i < 15; i++)
            json[k++] = ']';
        json[k++] = ',';
        for (i = 0; i < 15; i++)
            json[k++] = '[';
        json[k++] = '2';
        for (i = 0; i < 15; i++)
            json[k++] = ']';
        snprintf(json + k, sizeof(json) - k, "]}");
        CHECK_RENDER(text, json, "deep12");
    }

    n = 0;
    for (i = 0; i < 17; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{^v%d}}\n", i);
    for (i = 16; i >= 0; i--)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{/v%d}}", i);
    CHECK_REFUSED(text, "line 17: sections nest deeper than 16 levels");

    /* but any number of sections one after the other */
    n = 0;
    for (i = 0; i < 40; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{{#v}}.{{/v}}");
    CHECK_RENDER(text, "{\"v\":1}", "........................................");
}

static void test_bytes(void)
{
    static const char tpl_text[] = "a\0{{v}}\0b";
    mcp_tpl *tpl = NULL;
    sink s = {NULL, 0, 0, 0};
    cJSON *data = cJSON_Parse("{\"v\":\"<\"}");

    /* the template is len bytes, NULs included */
    CHECK_INT(
        mcp_tpl_compile(tpl_text, sizeof(tpl_text) - 1, &tpl, err, sizeof(err)),
        0);
    CHECK_INT(mcp_tpl_render(tpl, data, sink_emit, &s), 0);
    CHECK_INT(s.len, 8);
    CHECK(s.data && memcmp(s.data, "a\0&lt;\0b", 8) == 0);
    CHECK_INT(mcp_tpl_render(NULL, data, sink_emit, &s), -1);
    CHECK_INT(mcp_tpl_render(tpl, data, NULL, &s), -1);
    mcp_tpl_free(tpl);

    /* compiling reads only len bytes */
    CHECK_INT(mcp_tpl_compile("{{v}}{{#", 5, &tpl, err, sizeof(err)), 0);
    s.len = 0;
    CHECK_INT(mcp_tpl_render(tpl, data, sink_emit, &s), 0);
    CHECK_STR(s.data, "&lt;");
    mcp_tpl_free(tpl);
    cJSON_Delete(data);
    free(s.data);
}

static char *read_fixture(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static void test_page(void)
{
    size_t tlen = 0, jlen = 0, elen = 0;
    char *text = read_fixture(FIXTURES "page.tpl", &tlen);
    char *json = read_fixture(FIXTURES "page.json", &jlen);
    char *expected = read_fixture(FIXTURES "page.expected.html", &elen);
    mcp_tpl *tpl = NULL;
    cJSON *data;
    sink s = {NULL, 0, 0, 0};

    CHECK(text && json && expected);
    if (!text || !json || !expected)
        goto out;
    data = cJSON_Parse(json);
    CHECK(data != NULL);
    CHECK_INT(mcp_tpl_compile(text, tlen, &tpl, err, sizeof(err)), 0);
    CHECK_INT(mcp_tpl_render(tpl, data, sink_emit, &s), 0);
    CHECK_STR(s.data, expected);
    /* rendering twice gives the same page: nothing changed in between */
    s.len = 0;
    CHECK_INT(mcp_tpl_render(tpl, data, sink_emit, &s), 0);
    CHECK_STR(s.data, expected);
    mcp_tpl_free(tpl);
    cJSON_Delete(data);
out:
    free(text);
    free(json);
    free(expected);
    free(s.data);
}

typedef struct {
    const mcp_tpl *tpl;
    const cJSON *data;
    const char *want;
    int mismatches;
} thread_job;

static void *render_many(void *arg)
{
    thread_job *job = arg;
    int i;

    for (i = 0; i < 200; i++) {
        sink s = {NULL, 0, 0, 0};
        mcp_tpl_render(job->tpl, job->data, sink_emit, &s);
        if (s.data == NULL || strcmp(s.data, job->want) != 0)
            job->mismatches++;
        free(s.data);
    }
    return NULL;
}

/* One compiled template rendered by several threads at once, each with
 * its own data. */
static void test_threads(void)
{
    enum { N = 4 };
    const char *text = "{{#users}}{{name}}<{{role}}>;{{/users}}{{^users}}-"
                       "{{/users}}";
    mcp_tpl *tpl = NULL;
    pthread_t th[N];
    thread_job jobs[N];
    cJSON *data[N];
    char want[N][64];
    int i, started[N];

    CHECK_INT(mcp_tpl_compile(text, strlen(text), &tpl, err, sizeof(err)), 0);
    for (i = 0; i < N; i++) {
        char json[128];
        snprintf(json, sizeof(json),
                 "{\"users\":[{\"name\":\"u%d\",\"role\":\"r%d\"},"
                 "{\"name\":\"v%d\"}],\"role\":\"R\"}",
                 i, i, i);
        data[i] = cJSON_Parse(json);
        snprintf(want[i], sizeof(want[i]), "u%d<r%d>;v%d<R>;", i, i, i);
        jobs[i].tpl = tpl;
        jobs[i].data = data[i];
        jobs[i].want = want[i];
        jobs[i].mismatches = 0;
        started[i] = pthread_create(&th[i], NULL, render_many, &jobs[i]) == 0;
        CHECK(started[i]);
    }
    for (i = 0; i < N; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        CHECK_INT(jobs[i].mismatches, 0);
        cJSON_Delete(data[i]);
    }
    mcp_tpl_free(tpl);
}

int main(void)
{
    test_escape();
    test_values();
    test_sections();
    test_refused();
    test_depth();
    test_bytes();
    test_page();
    test_threads();
    return UNIT_DONE("template");
}
