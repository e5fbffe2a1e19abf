/*
 * The revocation list, parsed once and then consulted on every request by
 * many threads at once.  All the work (checking, sorting, folding
 * duplicates) happens at parse time, so a lookup is two binary searches
 * over immutable arrays and touches no shared mutable state.
 *
 * A bad line refuses the whole file: a list read in part would let a
 * revoked token through without anyone noticing.
 */
#include "revocation.h"
#include "hex.h"
#include "message.h"
#include "timefmt.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the longest valid entry (a 256-byte name fully escaped, plus a
 * time with a fraction and an offset) with plenty to spare, yet small
 * enough that a file which is not a revocation list stops early. */
#define MAX_LINE 1024
#define MAX_JTI 128
#define MAX_SUB 256

struct revoked_sub {
    const char *name;
    int64_t before; /* tokens issued at or before this are void */
};

struct mcp_revocation {
    /* A copy of the file; entries are cut out of it in place. */
    char *strings;
    const char **jtis; /* sorted, distinct */
    size_t n_jtis, cap_jtis;
    struct revoked_sub *subs; /* sorted by name, one entry per name */
    size_t n_subs, cap_subs;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}


static int push_jti(mcp_revocation *list, const char *jti)
{
    if (list->n_jtis == list->cap_jtis) {
        size_t cap = list->cap_jtis ? 2 * list->cap_jtis : 64;
        const char **grown = realloc(list->jtis, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        list->jtis = grown;
        list->cap_jtis = cap;
    }
    list->jtis[list->n_jtis++] = jti;
    return 0;
}

static int push_sub(mcp_revocation *list, const char *name, int64_t before)
{
    if (list->n_subs == list->cap_subs) {
        size_t cap = list->cap_subs ? 2 * list->cap_subs : 16;
        struct revoked_sub *grown = realloc(list->subs, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        list->subs = grown;
        list->cap_subs = cap;
    }
    list->subs[list->n_subs].name = name;
    list->subs[list->n_subs].before = before;
    list->n_subs++;
    return 0;
}

/* Decodes the escaped name in place and NUL-terminates it; the decoded
 * form is never longer than the escaped one, so it fits. */
static const char *decode_name(char *s, size_t n)
{
    size_t r = 0, w = 0;

    while (r < n) {
        int c = (unsigned char)s[r];
        if (c == '%') {
            int hi, lo;
            if (n - r < 3 || (hi = mcp_hex_value(s[r + 1])) < 0 ||
                (lo = mcp_hex_value(s[r + 2])) < 0)
                return "a '%' in the user name is not followed by two hex "
                       "digits";
            c = hi * 16 + lo;
            r += 3;
        } else {
            r++;
        }
        if (w == MAX_SUB)
            return "the user name is longer than 256 bytes";
        if (is_control((unsigned char)c))
            return "the user name holds a control character";
        s[w++] = (char)c;
    }
    if (!mcp_utf8_valid(s, w))
        return "the user name is not valid UTF-8";
    s[w] = '\0';
    return NULL;
}

static const char no_memory[] = "out of memory";

/*
 * One line, without its line end, inside the list's own copy of the text
 * (s[n] is writable).  Returns NULL, or what is wrong with the line in
 * words that repeat none of its content.
 */
static const char *parse_line(mcp_revocation *list, char *s, size_t n)
{
    char *field[3];
    size_t flen[3], nf = 0, i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0')
            return "a NUL byte";
        if (is_control(c) && c != '\t')
            return "a control character";
    }

    i = 0;
    while (i < n) {
        size_t start;
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n)
            break;
        if (nf == 0 && s[i] == '#')
            return NULL;
        /* Three fields is the most a valid line has; a fourth is only
         * counted, to say that there are too many. */
        if (nf == 3) {
            nf++;
            break;
        }
        start = i;
        while (i < n && !is_blank(s[i]))
            i++;
        field[nf] = s + start;
        flen[nf] = i - start;
        nf++;
    }
    if (nf == 0)
        return NULL;

    if (flen[0] == 3 && memcmp(field[0], "sub", 3) == 0) {
        const char *why;
        int64_t before;
        if (nf < 3)
            return "a 'sub' entry needs a user name and a time";
        if (nf > 3)
            return "a 'sub' entry has more than a name and a time";
        if (mcp_rfc3339_parse(field[2], flen[2], &before) != 0)
            return "the time is not an RFC 3339 date-time such as "
                   "2025-06-01T00:00:00Z";
        why = decode_name(field[1], flen[1]);
        if (why)
            return why;
        return push_sub(list, field[1], before) ? no_memory : NULL;
    }

    if (nf > 1)
        return "a token id line has more than one field";
    if (flen[0] > MAX_JTI)
        return "the token id is longer than 128 bytes";
    for (i = 0; i < flen[0]; i++) {
        unsigned char c = (unsigned char)field[0][i];
        if (c < 0x21 || c > 0x7e)
            return "the token id is not printable ASCII";
    }
    field[0][flen[0]] = '\0';
    return push_jti(list, field[0]) ? no_memory : NULL;
}

static int compare_jti(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* By name, then the latest time first: the entry that survives the folding
 * of a name's duplicates is the one that revokes the most. */
static int compare_sub(const void *a, const void *b)
{
    const struct revoked_sub *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return (x->before < y->before) - (x->before > y->before);
}

static void sort_and_fold(mcp_revocation *list)
{
    size_t i, n;

    if (list->n_jtis > 1) {
        qsort(list->jtis, list->n_jtis, sizeof(*list->jtis), compare_jti);
        for (i = 1, n = 1; i < list->n_jtis; i++)
            if (strcmp(list->jtis[i], list->jtis[n - 1]) != 0)
                list->jtis[n++] = list->jtis[i];
        list->n_jtis = n;
    }
    if (list->n_subs > 1) {
        qsort(list->subs, list->n_subs, sizeof(*list->subs), compare_sub);
        for (i = 1, n = 1; i < list->n_subs; i++)
            if (strcmp(list->subs[i].name, list->subs[n - 1].name) != 0)
                list->subs[n++] = list->subs[i];
        list->n_subs = n;
    }
}

int mcp_revocation_parse(const char *text, size_t len, mcp_revocation **out,
                         char *err, size_t errlen)
{
    mcp_revocation *list;
    size_t pos = 0, line = 0;

    if (err && errlen)
        err[0] = '\0';
    if (out == NULL) {
        mcp_message(err, errlen, "no place for the list");
        return -1;
    }
    *out = NULL;
    if (text == NULL && len != 0) {
        mcp_message(err, errlen, "no text");
        return -1;
    }
    if (len > MCP_REVOCATION_MAX_FILE) {
        mcp_message(err, errlen, "larger than %d bytes", MCP_REVOCATION_MAX_FILE);
        return -1;
    }

    list = calloc(1, sizeof(*list));
    if (list == NULL || (list->strings = malloc(len + 1)) == NULL)
        goto out_of_memory;
    if (len)
        memcpy(list->strings, text, len);
    list->strings[len] = '\0';

    while (pos < len) {
        char *start = list->strings + pos;
        char *eol = memchr(start, '\n', len - pos);
        size_t n = eol ? (size_t)(eol - start) : len - pos;
        const char *why;

        line++;
        pos += n + (eol != NULL);
        if (n > 0 && start[n - 1] == '\r')
            n--;
        if (n > MAX_LINE) {
            mcp_message(err, errlen, "line %zu: longer than %d bytes", line,
                    MAX_LINE);
            goto fail;
        }
        why = parse_line(list, start, n);
        if (why == NULL)
            continue;
        if (why == no_memory)
            goto out_of_memory;
        mcp_message(err, errlen, "line %zu: %s", line, why);
        goto fail;
    }

    sort_and_fold(list);
    *out = list;
    return 0;

out_of_memory:
    mcp_message(err, errlen, "out of memory");
fail:
    mcp_revocation_free(list);
    return -1;
}

static int compare_key_jti(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static int compare_key_sub(const void *key, const void *elem)
{
    return strcmp(key, ((const struct revoked_sub *)elem)->name);
}

int mcp_revocation_is_revoked(const mcp_revocation *list, const char *jti,
                              const char *sub, int64_t iat)
{
    if (list == NULL)
        return 0;
    if (jti && list->n_jtis &&
        bsearch(jti, list->jtis, list->n_jtis, sizeof(*list->jtis),
                compare_key_jti))
        return 1;
    if (sub && list->n_subs) {
        const struct revoked_sub *hit =
            bsearch(sub, list->subs, list->n_subs, sizeof(*list->subs),
                    compare_key_sub);
        if (hit && iat <= hit->before)
            return 1;
    }
    return 0;
}

size_t mcp_revocation_count(const mcp_revocation *list)
{
    return list ? list->n_jtis + list->n_subs : 0;
}

void mcp_revocation_free(mcp_revocation *list)
{
    if (list == NULL)
        return;
    free(list->jtis);
    free(list->subs);
    free(list->strings);
    free(list);
}

void mcp_revocation_escape_sub(const char *name, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)name;

    if (out == NULL)
        return;
    for (; p && *p; p++) {
        if (*p == ' ' || *p == '%' || is_control(*p)) {
            *out++ = '%';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 0x0f];
        } else {
            *out++ = (char)*p;
        }
    }
    *out = '\0';
}

int mcp_revocation_load(const char *path, mcp_revocation **out,
                        mcp_file_version *version, char *err, size_t errlen)
{
    char *text, msg[256];
    size_t len;
    int rc;

    *out = NULL;
    if (mcp_file_read(path, "revocation file", MCP_REVOCATION_MAX_FILE, 1,
                      &text, &len, version, err, errlen) != 0)
        return -1;
    rc = mcp_revocation_parse(text, len, out, msg, sizeof(msg));
    mcp_file_free(text, len);
    if (rc != 0) {
        mcp_message(err, errlen, "'%s': %s", path, msg);
        return -1;
    }
    return 0;
}
