/*
 * libFuzzer target for lib/revocation.c.  Beyond "no crash, no leak", it
 * checks what must hold for any input:
 *   - a refused list always says why, as a line number or a whole-file
 *     reason;
 *   - a list whose first line is a plain token id revokes that id;
 *   - the input (up to its first NUL) taken as a user name, escaped the way
 *     mcp-token writes it, reads back as that very name exactly when it is
 *     a name the file can hold.
 * The escape target is allocated at exactly its documented size, so an
 * overrun shows under ASan.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     fuzz/fuzz_revocation.c lib/revocation.c lib/timefmt.c lib/utf8.c \
 *     -o /tmp/fuzz_revocation
 *   cp -r fuzz/corpus/revocation /tmp/corpus-revocation
 *   /tmp/fuzz_revocation -max_total_time=60 /tmp/corpus-revocation
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revocation.h"
#include "utf8.h"

#define T_2025 INT64_C(1735689600) /* 2025-01-01T00:00:00Z */
#define MAX_NAME 300

/* The rule for a listable name, written apart from the parser's. */
static int listable_name(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 256)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return mcp_utf8_valid(s, n);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The first line, trimmed, when it is a lone field that is neither a
 * comment nor the start of a "sub" entry; NULL otherwise. */
static char *first_line_jti(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *eol = memchr(s, '\n', size);
    size_t n = eol ? (size_t)(eol - s) : size, start = 0, i;
    char *jti;

    if (n > 0 && s[n - 1] == '\r')
        n--;
    while (start < n && is_blank(s[start]))
        start++;
    while (n > start && is_blank(s[n - 1]))
        n--;
    if (start == n || s[start] == '#')
        return NULL;
    for (i = start; i < n; i++)
        if (is_blank(s[i]))
            return NULL;
    if (n - start == 3 && memcmp(s + start, "sub", 3) == 0)
        return NULL;
    jti = malloc(n - start + 1);
    if (jti) {
        memcpy(jti, s + start, n - start);
        jti[n - start] = '\0';
    }
    return jti;
}

static void check_lookups(const mcp_revocation *list, const uint8_t *data,
                          size_t size)
{
    static const char *const probes[] = {"", "a", "sub", "alice", "#", "%20"};
    static const int64_t times[] = {INT64_MIN, 0, T_2025, INT64_MAX};
    char *jti = first_line_jti(data, size);
    size_t i, k;

    if (mcp_revocation_count(list) > size)
        abort();
    for (i = 0; i < sizeof probes / sizeof probes[0]; i++)
        for (k = 0; k < sizeof times / sizeof times[0]; k++)
            (void)mcp_revocation_is_revoked(list, probes[i], probes[i],
                                            times[k]);
    if (jti) {
        if (mcp_revocation_is_revoked(list, jti, NULL, 0) != 1)
            abort();
        (void)mcp_revocation_is_revoked(list, NULL, jti, 0);
        free(jti);
    }
}

static void check_round_trip(const uint8_t *data, size_t size)
{
    size_t n = strnlen((const char *)data, size < MAX_NAME ? size : MAX_NAME);
    char *name = malloc(n + 1), *escaped = malloc(3 * n + 1);
    char *line = malloc(3 * n + 64), err[128];
    mcp_revocation *list = NULL;
    int ok;

    if (name && escaped && line) {
        memcpy(name, data, n);
        name[n] = '\0';
        mcp_revocation_escape_sub(name, escaped);
        snprintf(line, 3 * n + 64, "sub %s 2025-01-01T00:00:00Z\n", escaped);
        ok = mcp_revocation_parse(line, strlen(line), &list, err, sizeof err) ==
             0;
        if (ok != listable_name(name, n))
            abort();
        if (ok &&
            (mcp_revocation_count(list) != 1 ||
             mcp_revocation_is_revoked(list, NULL, name, T_2025) != 1 ||
             mcp_revocation_is_revoked(list, NULL, name, T_2025 + 1) != 0))
            abort();
        mcp_revocation_free(list);
    }
    free(name);
    free(escaped);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_revocation *list = NULL;
    char err[128];

    if (mcp_revocation_parse((const char *)data, size, &list, err,
                             sizeof err) == 0) {
        check_lookups(list, data, size);
        mcp_revocation_free(list);
    } else if (list != NULL || (strncmp(err, "line ", 5) != 0 &&
                                strncmp(err, "larger than ", 12) != 0 &&
                                strcmp(err, "out of memory") != 0)) {
        abort();
    }
    check_round_trip(data, size);
    return 0;
}
