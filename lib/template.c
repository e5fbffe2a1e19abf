/*
 * A logic-less template language for the page.  Compiled once into a flat
 * list of nodes (a section records where it ends), rendered any number of
 * times: rendering only reads the compiled form and keeps its context stack
 * on the C stack, so one template serves every thread.
 */
#include "template.h"
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sections nested deeper than this are refused when compiling, which also
 * bounds the recursion and the context stack when rendering. */
#define TPL_MAX_DEPTH 16

typedef enum { N_TEXT, N_VAR, N_SECTION, N_INVERTED } node_kind;

typedef struct {
    node_kind kind;
    size_t off, len; /* the text, or the name as written, in tpl->text */
    char *segs;      /* the name cut at '.', NUL-separated; NULL for "." */
    size_t n_segs;
    size_t end; /* sections: the index of the node after the section */
} tpl_node;

struct mcp_tpl {
    char *text;
    tpl_node *nodes;
    size_t n_nodes, cap;
};

void mcp_tpl_free(mcp_tpl *tpl)
{
    size_t i;

    if (tpl == NULL)
        return;
    for (i = 0; i < tpl->n_nodes; i++)
        free(tpl->nodes[i].segs);
    free(tpl->nodes);
    free(tpl->text);
    free(tpl);
}

/* The first "{{" or "}}" (pair[0] == pair[1]) at or after from; len when
 * there is none.  Templates may hold NUL bytes, so no strstr. */
static size_t find_pair(const char *s, size_t len, size_t from, char c)
{
    size_t i;

    for (i = from; i + 1 < len; i++)
        if (s[i] == c && s[i + 1] == c)
            return i;
    return len;
}

static size_t count_lines(const char *s, size_t from, size_t to)
{
    size_t n = 0;

    for (; from < to; from++)
        n += s[from] == '\n';
    return n;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int is_tag_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static tpl_node *add_node(mcp_tpl *tpl, node_kind kind, size_t off, size_t len)
{
    tpl_node *n;

    if (tpl->n_nodes == tpl->cap) {
        size_t cap = tpl->cap ? tpl->cap * 2 : 32;
        tpl_node *nodes = realloc(tpl->nodes, cap * sizeof(*nodes));
        if (nodes == NULL)
            return NULL;
        tpl->nodes = nodes;
        tpl->cap = cap;
    }
    n = &tpl->nodes[tpl->n_nodes++];
    n->kind = kind;
    n->off = off;
    n->len = len;
    n->segs = NULL;
    n->n_segs = 0;
    n->end = 0;
    return n;
}

/* Checks a name and cuts it into segments.  Returns 0, 1 for a bad name,
 * -1 when out of memory. */
static int set_name(tpl_node *n, const char *name, size_t len)
{
    size_t i;

    if (len == 1 && name[0] == '.')
        return 0;
    for (i = 0; i < len; i++) {
        if (!is_name_char(name[i]))
            return 1;
        /* no empty segment: ".a", "a.", "a..b" */
        if (name[i] == '.' && (i == 0 || i + 1 == len || name[i + 1] == '.'))
            return 1;
    }
    n->segs = malloc(len + 1);
    if (n->segs == NULL)
        return -1;
    n->n_segs = 1;
    for (i = 0; i < len; i++) {
        n->segs[i] = name[i] == '.' ? '\0' : name[i];
        n->n_segs += name[i] == '.';
    }
    n->segs[len] = '\0';
    return 0;
}

int mcp_tpl_compile(const char *text, size_t len, mcp_tpl **out, char *err,
                    size_t errlen)
{
    mcp_tpl *tpl;
    size_t open[TPL_MAX_DEPTH], open_line[TPL_MAX_DEPTH];
    size_t depth = 0, pos = 0, line = 1, scanned = 0;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (text == NULL)
        len = 0;
    tpl = calloc(1, sizeof(*tpl));
    if (tpl == NULL || (tpl->text = malloc(len + 1)) == NULL)
        goto no_memory;
    if (len)
        memcpy(tpl->text, text, len);
    tpl->text[len] = '\0';
    text = tpl->text;

    while (pos < len) {
        size_t o = find_pair(text, len, pos, '{');
        size_t c, a, b;
        char sigil = 0;
        tpl_node *n;
        int r;

        if (o > pos && add_node(tpl, N_TEXT, pos, o - pos) == NULL)
            goto no_memory;
        if (o == len)
            break;
        line += count_lines(text, scanned, o);
        scanned = o;
        c = find_pair(text, len, o + 2, '}');
        if (c == len) {
            mcp_message(err, errlen,
                    "line %zu: a tag opened here is never closed with }}",
                    line);
            goto fail;
        }
        pos = c + 2;
        a = o + 2;
        b = c;
        while (a < b && is_tag_space(text[a]))
            a++;
        if (a < b && strchr("#^/!", text[a]) != NULL)
            sigil = text[a++];
        if (sigil == '!')
            continue;
        while (a < b && is_tag_space(text[a]))
            a++;
        while (b > a && is_tag_space(text[b - 1]))
            b--;
        if (a == b) {
            mcp_message(err, errlen, "line %zu: an empty tag", line);
            goto fail;
        }
        if (text[a] == '{' || text[a] == '&') {
            mcp_message(err, errlen,
                    "line %zu: there is no unescaped form ({{{...}}} or "
                    "{{&...}}): values are always HTML-escaped",
                    line);
            goto fail;
        }

        if (sigil == '/') {
            tpl_node *opened;
            if (depth == 0) {
                mcp_message(err, errlen, "line %zu: {{/%.*s}} closes no section",
                        line, (int)(b - a < 64 ? b - a : 64), text + a);
                goto fail;
            }
            opened = &tpl->nodes[open[depth - 1]];
            if (opened->len != b - a ||
                memcmp(text + opened->off, text + a, b - a) != 0) {
                mcp_message(err, errlen,
                        "line %zu: {{/%.*s}} does not close {{%c%.*s}} "
                        "opened at line %zu",
                        line, (int)(b - a < 64 ? b - a : 64), text + a,
                        opened->kind == N_SECTION ? '#' : '^',
                        (int)(opened->len < 64 ? opened->len : 64),
                        text + opened->off, open_line[depth - 1]);
                goto fail;
            }
            depth--;
            opened->end = tpl->n_nodes;
            continue;
        }

        n = add_node(tpl,
                     sigil == '#'   ? N_SECTION
                     : sigil == '^' ? N_INVERTED
                                    : N_VAR,
                     a, b - a);
        if (n == NULL)
            goto no_memory;
        r = set_name(n, text + a, b - a);
        if (r < 0)
            goto no_memory;
        if (r > 0) {
            mcp_message(err, errlen,
                    "line %zu: '%.*s' is not a name (letters, digits, '_', "
                    "'-', and '.' between parts)",
                    line, (int)(b - a < 64 ? b - a : 64), text + a);
            goto fail;
        }
        if (sigil == '#' || sigil == '^') {
            if (depth == TPL_MAX_DEPTH) {
                mcp_message(err, errlen,
                        "line %zu: sections nest deeper than %d levels", line,
                        TPL_MAX_DEPTH);
                goto fail;
            }
            open[depth] = tpl->n_nodes - 1;
            open_line[depth] = line;
            depth++;
        }
    }
    if (depth > 0) {
        const tpl_node *opened = &tpl->nodes[open[depth - 1]];
        mcp_message(err, errlen, "line %zu: {{%c%.*s}} is never closed",
                open_line[depth - 1], opened->kind == N_SECTION ? '#' : '^',
                (int)(opened->len < 64 ? opened->len : 64), text + opened->off);
        goto fail;
    }
    *out = tpl;
    return 0;

no_memory:
    mcp_message(err, errlen, "out of memory");
fail:
    mcp_tpl_free(tpl);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                            */
/* ------------------------------------------------------------------ */

void mcp_html_escape(const char *s, size_t n, mcp_tpl_emit emit, void *ctx)
{
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        const char *entity;
        switch (s[i]) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\'':
            entity = "&#39;";
            break;
        case '`':
            entity = "&#96;";
            break;
        default:
            continue;
        }
        if (i > run)
            emit(ctx, s + run, i - run);
        emit(ctx, entity, strlen(entity));
        run = i + 1;
    }
    if (n > run)
        emit(ctx, s + run, n - run);
}

typedef struct {
    const cJSON *stack[TPL_MAX_DEPTH + 2];
    size_t top; /* stack[top - 1] is the current context */
    mcp_tpl_emit emit;
    void *ctx;
} render_state;

static const cJSON *lookup(const render_state *st, const tpl_node *n)
{
    const cJSON *v = NULL;
    const char *seg = n->segs;
    size_t k, i;

    if (seg == NULL)
        return st->stack[st->top - 1];
    /* the first part is looked up outward through the contexts, the rest
     * strictly inside what it found */
    for (k = st->top; k > 0 && v == NULL; k--)
        if (cJSON_IsObject(st->stack[k - 1]))
            v = cJSON_GetObjectItemCaseSensitive(st->stack[k - 1], seg);
    for (i = 1; i < n->n_segs && v != NULL; i++) {
        seg += strlen(seg) + 1;
        v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, seg) : NULL;
    }
    return v;
}

static int is_truthy(const cJSON *v)
{
    if (v == NULL || cJSON_IsFalse(v) || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v) || cJSON_IsRaw(v))
        return v->valuestring != NULL && v->valuestring[0] != '\0';
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsArray(v))
        return v->child != NULL;
    return 1; /* true, objects */
}

static void emit_number(const render_state *st, double v)
{
    char buf[400];
    int n;

    /* NaN and infinities have no JSON form: nothing */
    if (v != v || v - v != 0)
        return;
    if (v > -9.2e18 && v < 9.2e18 && (double)(long long)v == v)
        n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    else if (v <= -9.2e18 || v >= 9.2e18)
        n = snprintf(buf, sizeof(buf), "%.0f", v); /* integral anyway */
    else
        n = snprintf(buf, sizeof(buf), "%.15g", v);
    if (n > 0)
        st->emit(st->ctx, buf,
                 (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void emit_value(const render_state *st, const cJSON *v)
{
    if (v == NULL)
        return;
    if ((cJSON_IsString(v) || cJSON_IsRaw(v)) && v->valuestring)
        mcp_html_escape(v->valuestring, strlen(v->valuestring), st->emit,
                        st->ctx);
    else if (cJSON_IsNumber(v))
        emit_number(st, v->valuedouble);
    else if (cJSON_IsTrue(v))
        st->emit(st->ctx, "true", 4);
    else if (cJSON_IsFalse(v))
        st->emit(st->ctx, "false", 5);
    /* null, arrays and objects print nothing */
}

static void render_range(const mcp_tpl *tpl, size_t from, size_t to,
                         render_state *st)
{
    size_t i = from;

    while (i < to) {
        const tpl_node *n = &tpl->nodes[i];
        const cJSON *v;

        switch (n->kind) {
        case N_TEXT:
            st->emit(st->ctx, tpl->text + n->off, n->len);
            i++;
            break;
        case N_VAR:
            emit_value(st, lookup(st, n));
            i++;
            break;
        case N_SECTION:
            v = lookup(st, n);
            if (cJSON_IsArray(v)) {
                const cJSON *item;
                cJSON_ArrayForEach(item, v)
                {
                    st->stack[st->top++] = item;
                    render_range(tpl, i + 1, n->end, st);
                    st->top--;
                }
            } else if (is_truthy(v)) {
                st->stack[st->top++] = v;
                render_range(tpl, i + 1, n->end, st);
                st->top--;
            }
            i = n->end;
            break;
        case N_INVERTED:
            if (!is_truthy(lookup(st, n)))
                render_range(tpl, i + 1, n->end, st);
            i = n->end;
            break;
        }
    }
}

int mcp_tpl_render(const mcp_tpl *tpl, const cJSON *data, mcp_tpl_emit emit,
                   void *ctx)
{
    render_state st;

    if (tpl == NULL || emit == NULL)
        return -1;
    st.stack[0] = data;
    st.top = 1;
    st.emit = emit;
    st.ctx = ctx;
    render_range(tpl, 0, tpl->n_nodes, &st);
    return 0;
}
