/* Unit tests for lib/revocation.c: the file format read strictly, errors
 * that give the line and never its content, lookups by jti and by subject,
 * and the name escaping shared with mcp-token. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "revocation.h"
#include "unit.h"

#define T_2025 INT64_C(1735689600)    /* 2025-01-01T00:00:00Z */
#define T_2025_06 INT64_C(1748779200) /* 2025-06-01T12:00:00Z */

static char err[256];

static mcp_revocation *parse_ok(const char *text)
{
    mcp_revocation *list = NULL;

    CHECK_INT(mcp_revocation_parse(text, strlen(text), &list, err, sizeof err),
              0);
    CHECK_STR(err, "");
    CHECK(list != NULL);
    return list;
}

/* A bad list is refused as a whole, with the line's number and without a
 * byte of its content: every bad line below carries the marker "SECRET"
 * somewhere, or is so short it has nothing to leak. */
static void check_bad_n(const char *text, size_t len, const char *want,
                        int line)
{
    mcp_revocation *list = (mcp_revocation *)&list;

    CHECK_INT(mcp_revocation_parse(text, len, &list, err, sizeof err), -1);
    CHECK(list == NULL);
    CHECK_STR(err, want);
    CHECK(strstr(err, "SECRET") == NULL);
    if (list == NULL && strcmp(err, want) != 0)
        fprintf(stderr, "  (from the case at line %d)\n", line);
}

#define CHECK_BAD(text, want)                                                  \
    check_bad_n((text), strlen(text), (want), __LINE__)
#define CHECK_BAD_N(text, len, want)                                           \
    check_bad_n((text), (len), (want), __LINE__)

static void test_empty(void)
{
    mcp_revocation *list;

    list = parse_ok("");
    CHECK_INT(mcp_revocation_count(list), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "abc", "alice", 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, NULL, 0), 0);
    mcp_revocation_free(list);

    list = NULL;
    CHECK_INT(mcp_revocation_parse(NULL, 0, &list, err, sizeof err), 0);
    CHECK_INT(mcp_revocation_count(list), 0);
    mcp_revocation_free(list);

    list = parse_ok("\n\n  \n\t\r\n \t \n");
    CHECK_INT(mcp_revocation_count(list), 0);
    mcp_revocation_free(list);

    /* what mcp-token writes into a new file */
    list = parse_ok(
        "# mod_mcp_credentials revocation list: one token id (jti) per line,\n"
        "# or \"sub <name> <RFC 3339 time>\" for the tokens of <name> issued "
        "at or\n# before then (spaces in <name> as %20, '%' as %25).\n");
    CHECK_INT(mcp_revocation_count(list), 0);
    mcp_revocation_free(list);

    /* no list at all revokes nothing */
    CHECK_INT(mcp_revocation_is_revoked(NULL, "abc", "alice", 0), 0);
    CHECK_INT(mcp_revocation_count(NULL), 0);
    mcp_revocation_free(NULL);
}

static void test_comments_and_whitespace(void)
{
    mcp_revocation *list = parse_ok("# a comment\n"
                                    "   # an indented one, with spaces\n"
                                    "\t#sub alice 2025-01-01T00:00:00Z\n"
                                    "\n"
                                    "  jti-1  \n"
                                    "\tjti-2\t\n"
                                    "a#b\n"
                                    "   \n"
                                    " sub \t bob   2025-01-01T00:00:00Z \t\n"
                                    "sub\tcarol\t2025-01-01T00:00:00Z\n");

    CHECK_INT(mcp_revocation_count(list), 5);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-1", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-2", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "a#b", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "a", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, " jti-1", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bob", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "carol", T_2025), 1);
    /* a commented-out entry stays out */
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "#sub", NULL, 0), 0);
    mcp_revocation_free(list);
}

static void test_line_ends(void)
{
    mcp_revocation *list =
        parse_ok("# windows\r\njti-1\r\n\r\nsub bob 2025-01-01T00:00:00Z\r\n"
                 "jti-2\r");

    CHECK_INT(mcp_revocation_count(list), 3);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-1", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-2", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-1\r", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bob", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bob", T_2025 + 1), 0);
    mcp_revocation_free(list);

    /* the last line needs no line end */
    list = parse_ok("jti-1\njti-2");
    CHECK_INT(mcp_revocation_count(list), 2);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-2", NULL, 0), 1);
    mcp_revocation_free(list);

    list = parse_ok("sub bob 2025-01-01T00:00:00Z");
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bob", T_2025), 1);
    mcp_revocation_free(list);

    /* a CR is a line end only right before LF or the end */
    CHECK_BAD("jti-1\r\rjti-2\n", "line 1: a control character");
    CHECK_BAD("ok\nSECRET\rSECRET\n", "line 2: a control character");
}

static void test_lookups(void)
{
    mcp_revocation *list =
        parse_ok("abc\nalice\nsub bob 2025-01-01T00:00:00Z\nSUB\nsubway\n");

    CHECK_INT(mcp_revocation_count(list), 5);
    CHECK_INT(mcp_revocation_is_revoked(list, "abc", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "abc", "bob", T_2025 + 99), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "ab", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "abcd", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "ABC", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "SUB", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "subway", NULL, 0), 1);
    /* a jti and a subject are different things, even with the same text */
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "bob", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "alice", NULL, 0), 1);
    /* each check is skipped when its claim is missing */
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "zzz", "bob", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "zzz", "bob", T_2025 + 1), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "Bob", 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bo", 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bobby", 0), 0);
    mcp_revocation_free(list);
}

static void test_subject_times(void)
{
    mcp_revocation *list;

    /* the boundary: issued at T is revoked, a second later is not */
    list = parse_ok("sub alice 2025-01-01T00:00:00Z\n");
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025 - 1), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025 + 1), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", INT64_MIN), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", INT64_MAX), 0);
    mcp_revocation_free(list);

    /* the same name twice keeps the latest time, whatever the order */
    list = parse_ok("sub alice 2025-01-01T00:00:00Z\n"
                    "sub alice 2025-06-01T12:00:00Z\n"
                    "sub alice 2024-01-01T00:00:00Z\n"
                    "sub bob 2024-01-01T00:00:00Z\n");
    CHECK_INT(mcp_revocation_count(list), 2);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025 + 1), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025_06), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025_06 + 1), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "bob", T_2025), 0);
    mcp_revocation_free(list);

    list = parse_ok("sub alice 2025-06-01T12:00:00Z\n"
                    "sub alice 2025-01-01T00:00:00Z\n");
    CHECK_INT(mcp_revocation_count(list), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025_06), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025_06 + 1), 0);
    mcp_revocation_free(list);

    /* offsets, fractions and times before 1970 */
    list = parse_ok("sub a 2025-01-01T02:00:00+02:00\n"
                    "sub b 2025-01-01T00:00:00.999Z\n"
                    "sub c 1969-07-20T20:17:40Z\n"
                    "sub d 2024-12-31t19:00:00-05:00\n");
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "a", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "a", T_2025 + 1), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "b", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "b", T_2025 + 1), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "c", -14182940), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "c", -14182939), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "d", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "d", T_2025 + 1), 0);
    mcp_revocation_free(list);
}

static void test_duplicates(void)
{
    mcp_revocation *list = parse_ok("a\nb\na\n  a\nb\r\n");

    CHECK_INT(mcp_revocation_count(list), 2);
    CHECK_INT(mcp_revocation_is_revoked(list, "a", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "b", NULL, 0), 1);
    mcp_revocation_free(list);
}

static void test_escaped_names(void)
{
    mcp_revocation *list =
        parse_ok("sub Jane%20Doe%20100%25 2025-01-01T00:00:00Z\n"
                 "sub a%2fb%2Fc 2025-01-01T00:00:00Z\n"
                 "sub %41%42 2025-01-01T00:00:00Z\n"
                 "sub Zo\xc3\xab%20%C3%9C 2025-01-01T00:00:00Z\n"
                 "sub %2520 2025-01-01T00:00:00Z\n");

    CHECK_INT(mcp_revocation_count(list), 5);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "Jane Doe 100%", T_2025),
              1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "Jane%20Doe%20100%25", 0),
              0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "a/b/c", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "AB", T_2025), 1);
    CHECK_INT(
        mcp_revocation_is_revoked(list, NULL, "Zo\xc3\xab \xc3\x9c", T_2025),
        1);
    /* decoded once, not twice */
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "%20", T_2025), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, " ", T_2025), 0);
    mcp_revocation_free(list);
}

static void test_limits(void)
{
    char line[1200], name[300];
    mcp_revocation *list;
    size_t i;

    /* a jti of 128 bytes, and one of 129 */
    memset(line, 'j', 128);
    line[128] = '\0';
    list = parse_ok(line);
    CHECK_INT(mcp_revocation_is_revoked(list, line, NULL, 0), 1);
    mcp_revocation_free(list);
    memcpy(line, "SECRET", 6);
    line[128] = 'j';
    line[129] = '\0';
    CHECK_BAD(line, "line 1: the token id is longer than 128 bytes");

    /* a name of 256 bytes, written escaped in 768, and one of 257 */
    for (i = 0; i < 256; i++) {
        memcpy(line + 4 + 3 * i, "%41", 3);
        name[i] = 'A';
    }
    name[256] = '\0';
    memcpy(line, "sub ", 4);
    strcpy(line + 4 + 768, " 2025-01-01T00:00:00Z");
    list = parse_ok(line);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, name, T_2025), 1);
    mcp_revocation_free(list);
    memset(line + 4, 'A', 257);
    strcpy(line + 4 + 257, " 2025-01-01T00:00:00Z");
    CHECK_BAD(line, "line 1: the user name is longer than 256 bytes");

    /* lines of 1024 bytes, with or without CR, and of 1025 */
    line[0] = '#';
    memset(line + 1, 'x', 1023);
    strcpy(line + 1024, "\r\nabc\n");
    list = parse_ok(line);
    CHECK_INT(mcp_revocation_count(list), 1);
    mcp_revocation_free(list);
    strcpy(line + 1024, "\nabc\n");
    list = parse_ok(line);
    CHECK_INT(mcp_revocation_count(list), 1);
    mcp_revocation_free(list);
    memcpy(line + 1, "SECRET", 6);
    strcpy(line + 1024, "x\nabc\n");
    CHECK_BAD(line, "line 1: longer than 1024 bytes");
    memmove(line + 6, line, strlen(line) + 1);
    memcpy(line, "a\n\nb\n\n", 6);
    CHECK_BAD(line, "line 5: longer than 1024 bytes");
}

static void test_file_size(void)
{
    size_t max = MCP_REVOCATION_MAX_FILE, i;
    char *text = malloc(max + 1);
    mcp_revocation *list = NULL;

    if (text == NULL) {
        CHECK(text != NULL);
        return;
    }
    /* exactly the largest file: comment lines of 1024 bytes */
    for (i = 0; i < max; i += 1024) {
        memset(text + i, '#', 1023);
        text[i + 1023] = '\n';
    }
    CHECK_INT(max % 1024, 0);
    CHECK_INT(mcp_revocation_parse(text, max, &list, err, sizeof err), 0);
    CHECK_INT(mcp_revocation_count(list), 0);
    mcp_revocation_free(list);

    text[max] = 'a';
    CHECK_BAD_N(text, max + 1, "larger than 8388608 bytes");
    free(text);
}

static void test_bad_lines(void)
{
    /* the numbered line, after comments, blank lines and CRLF ends */
    CHECK_BAD("# c\r\n\r\nok\r\n  \r\nsub SECRET\r\nok2\r\n",
              "line 5: a 'sub' entry needs a user name and a time");
    CHECK_BAD("sub", "line 1: a 'sub' entry needs a user name and a time");
    CHECK_BAD("sub    ", "line 1: a 'sub' entry needs a user name and a time");
    CHECK_BAD("a\nsub SECRET 2025-01-01T00:00:00Z SECRET\n",
              "line 2: a 'sub' entry has more than a name and a time");
    CHECK_BAD("sub SECRET 2025-01-01T00:00:00Z # a comment\n",
              "line 1: a 'sub' entry has more than a name and a time");
    CHECK_BAD("SECRET SECRET",
              "line 1: a token id line has more than one field");
    CHECK_BAD("a\nb\nSECRET # trailing comment\n",
              "line 3: a token id line has more than one field");
    CHECK_BAD("Sub SECRET 2025-01-01T00:00:00Z",
              "line 1: a token id line has more than one field");
    CHECK_BAD("SECRET-caf\xc3\xa9",
              "line 1: the token id is not printable ASCII");
    CHECK_BAD("a\n\xff", "line 2: the token id is not printable ASCII");

    /* control characters and NUL, in entries and in comments */
    CHECK_BAD("SECRET\x01", "line 1: a control character");
    CHECK_BAD("a\n\x7fSECRET\n", "line 2: a control character");
    CHECK_BAD("a\n# SECRET\x1b[0m\n", "line 2: a control character");
    CHECK_BAD("a\n\vSECRET\n", "line 2: a control character");
    CHECK_BAD_N("SECRET\0SECRET\n", 14, "line 1: a NUL byte");
    CHECK_BAD_N("a\nb\n# SECRET\0\n", 14, "line 3: a NUL byte");
    CHECK_BAD_N("a\n\0", 3, "line 2: a NUL byte");
    CHECK_BAD_N("sub SECRET\0x 2025-01-01T00:00:00Z", 33, "line 1: a NUL byte");

    /* the time */
    CHECK_BAD("sub SECRET 2025-02-30T00:00:00Z",
              "line 1: the time is not an RFC 3339 date-time such as "
              "2025-06-01T00:00:00Z");
    CHECK_BAD("a\nsub SECRET yesterday\n",
              "line 2: the time is not an RFC 3339 date-time such as "
              "2025-06-01T00:00:00Z");
    CHECK_BAD("sub SECRET 2025-01-01",
              "line 1: the time is not an RFC 3339 date-time such as "
              "2025-06-01T00:00:00Z");
    CHECK_BAD("sub SECRET 2025-01-01T00:00:00",
              "line 1: the time is not an RFC 3339 date-time such as "
              "2025-06-01T00:00:00Z");
    CHECK_BAD("sub SECRET 1735689600",
              "line 1: the time is not an RFC 3339 date-time such as "
              "2025-06-01T00:00:00Z");

    /* the name */
    CHECK_BAD("sub SECRET% 2025-01-01T00:00:00Z",
              "line 1: a '%' in the user name is not followed by two hex "
              "digits");
    CHECK_BAD("sub SECRET%2 2025-01-01T00:00:00Z",
              "line 1: a '%' in the user name is not followed by two hex "
              "digits");
    CHECK_BAD("sub SECRET%zz 2025-01-01T00:00:00Z",
              "line 1: a '%' in the user name is not followed by two hex "
              "digits");
    CHECK_BAD("sub %+1SECRET 2025-01-01T00:00:00Z",
              "line 1: a '%' in the user name is not followed by two hex "
              "digits");
    CHECK_BAD("sub SECRET%00 2025-01-01T00:00:00Z",
              "line 1: the user name holds a control character");
    CHECK_BAD("sub SECRET%0a 2025-01-01T00:00:00Z",
              "line 1: the user name holds a control character");
    CHECK_BAD("sub SECRET%09x 2025-01-01T00:00:00Z",
              "line 1: the user name holds a control character");
    CHECK_BAD("sub SECRET%7F 2025-01-01T00:00:00Z",
              "line 1: the user name holds a control character");
    CHECK_BAD("sub SECRET\xff 2025-01-01T00:00:00Z",
              "line 1: the user name is not valid UTF-8");
    CHECK_BAD("sub SECRET%C3 2025-01-01T00:00:00Z",
              "line 1: the user name is not valid UTF-8");
    CHECK_BAD("sub SECRET%ED%A0%80 2025-01-01T00:00:00Z",
              "line 1: the user name is not valid UTF-8");
    CHECK_BAD("sub SECRET%C0%AF 2025-01-01T00:00:00Z",
              "line 1: the user name is not valid UTF-8");

    /* the first bad line is the one reported */
    CHECK_BAD("ok\nSECRET SECRET\nsub\n",
              "line 2: a token id line has more than one field");
}

static void test_arguments(void)
{
    mcp_revocation *list = NULL;
    char small[8];

    CHECK_INT(mcp_revocation_parse("a", 1, NULL, err, sizeof err), -1);
    CHECK(err[0] != '\0');
    CHECK_INT(mcp_revocation_parse(NULL, 3, &list, err, sizeof err), -1);
    CHECK(list == NULL);

    /* the text need not end in a NUL: only len bytes are read */
    CHECK_INT(mcp_revocation_parse("abcdef", 3, &list, err, sizeof err), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "abc", NULL, 0), 1);
    CHECK_INT(mcp_revocation_is_revoked(list, "abcdef", NULL, 0), 0);
    mcp_revocation_free(list);

    /* no room for a message, or little */
    CHECK_INT(mcp_revocation_parse("a b", 3, &list, NULL, 0), -1);
    CHECK_INT(mcp_revocation_parse("a b", 3, &list, small, sizeof small), -1);
    CHECK_STR(small, "line 1:");
    CHECK_INT(mcp_revocation_parse("a", 1, &list, NULL, 0), 0);
    mcp_revocation_free(list);
}

static void test_many(void)
{
    const size_t n = 100000;
    size_t i, found = 0, missing = 0;
    char *text = malloc(n * 16 + 64), *p, jti[32];
    mcp_revocation *list = NULL;
    clock_t start;
    double seconds;

    if (text == NULL) {
        CHECK(text != NULL);
        return;
    }
    /* in descending order, with each tenth listed twice, and a subject */
    p = text;
    for (i = n; i-- > 0;) {
        p += sprintf(p, "jti-%06zu\n", i);
        if (i % 10 == 0)
            p += sprintf(p, "jti-%06zu\n", i);
    }
    p += sprintf(p, "sub alice 2025-01-01T00:00:00Z\n");

    start = clock();
    CHECK_INT(
        mcp_revocation_parse(text, (size_t)(p - text), &list, err, sizeof err),
        0);
    seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    /* generous enough for valgrind; a quadratic parse takes minutes */
    CHECK(seconds < 10.0);
    CHECK_INT(mcp_revocation_count(list), n + 1);

    for (i = 0; i < n; i++) {
        sprintf(jti, "jti-%06zu", i);
        found += mcp_revocation_is_revoked(list, jti, NULL, 0) == 1;
        sprintf(jti, "jti-%06zux", i);
        missing += mcp_revocation_is_revoked(list, jti, "bob", 0) == 0;
    }
    CHECK_INT(found, n);
    CHECK_INT(missing, n);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, "jti-100000", NULL, 0), 0);
    CHECK_INT(mcp_revocation_is_revoked(list, NULL, "alice", T_2025), 1);
    mcp_revocation_free(list);
    free(text);
}

/* Escapes into a buffer of exactly the documented size, so that a write
 * past it shows under ASan and valgrind. */
static char *escape(const char *name)
{
    char *out = malloc(3 * strlen(name) + 1);

    if (out)
        mcp_revocation_escape_sub(name, out);
    return out;
}

#define CHECK_ESCAPE(name, want)                                               \
    do {                                                                       \
        char *e_ = escape(name);                                               \
        CHECK_STR(e_, (want));                                                 \
        free(e_);                                                              \
    } while (0)

static void test_escape(void)
{
    CHECK_ESCAPE("alice", "alice");
    CHECK_ESCAPE("", "");
    CHECK_ESCAPE("Jane Doe 100%", "Jane%20Doe%20100%25");
    CHECK_ESCAPE("%%%", "%25%25%25");
    CHECK_ESCAPE("   ", "%20%20%20");
    CHECK_ESCAPE("a\tb\x7f\x01\x1f", "a%09b%7F%01%1F");
    CHECK_ESCAPE("Zo\xc3\xab", "Zo\xc3\xab");
    CHECK_ESCAPE("a+b/c~#", "a+b/c~#");
}

/* Whatever name is written escaped reads back as that name. */
static int round_trip(const char *name)
{
    char *escaped = escape(name), *line;
    mcp_revocation *list = NULL;
    int ok = 0;

    line = malloc(3 * strlen(name) + 64);
    if (escaped && line) {
        sprintf(line, "sub %s 2025-01-01T00:00:00Z\n", escaped);
        if (mcp_revocation_parse(line, strlen(line), &list, err, sizeof err) ==
            0)
            ok = mcp_revocation_count(list) == 1 &&
                 mcp_revocation_is_revoked(list, NULL, name, T_2025) == 1 &&
                 mcp_revocation_is_revoked(list, NULL, name, T_2025 + 1) == 0;
        mcp_revocation_free(list);
    }
    free(escaped);
    free(line);
    return ok;
}

static void test_round_trip(void)
{
    static const char *const names[] = {
        "alice",
        "Jane Doe",
        "100%",
        "%20",
        "%2",
        " leading",
        "trailing ",
        "  ",
        "#not-a-comment",
        "sub",
        "Zo\xc3\xab \xc3\x9cn\xc3\xaf"
        "c\xc3\xb8"
        "d\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
        "\xf0\x9f\x94\x91 key",
        "cn=Jane Doe,ou=People,dc=example,dc=com",
    };
    char one[2] = {0, 0}, name[257];
    size_t i;
    int all = 1;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        int ok = round_trip(names[i]);
        if (!ok)
            fprintf(stderr, "  round trip of name %zu\n", i);
        CHECK(ok);
    }
    /* every printable ASCII character alone */
    for (i = 0x20; i < 0x7f; i++) {
        one[0] = (char)i;
        all &= round_trip(one);
    }
    CHECK(all);
    /* the longest name, all spaces: 768 bytes escaped */
    memset(name, ' ', 256);
    name[256] = '\0';
    CHECK(round_trip(name));

    /* what cannot be a name is escaped, yet refused on the way back */
    CHECK(!round_trip("a\tb"));
    CHECK(!round_trip("a\nb"));
    CHECK(!round_trip("\x7f"));
    CHECK(!round_trip("\xff"));
    memset(name, 'x', 256);
    name[256] = '\0';
    CHECK(round_trip(name));
    {
        char longer[258];
        memset(longer, 'x', 257);
        longer[257] = '\0';
        CHECK(!round_trip(longer));
    }
}

int main(void)
{
    test_empty();
    test_comments_and_whitespace();
    test_line_ends();
    test_lookups();
    test_subject_times();
    test_duplicates();
    test_escaped_names();
    test_limits();
    test_file_size();
    test_bad_lines();
    test_arguments();
    test_many();
    test_escape();
    test_round_trip();
    return UNIT_DONE("revocation");
}
