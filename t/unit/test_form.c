/*
 * Form-encoded text (lib/form.c): how it splits into pairs, and the
 * strict percent-decoding of names and values.
 */
#include <stdlib.h>

#include "unit.h"

#include "form.h"

/* The pairs of text as "name|value" lines ("name" alone when it has no
 * '=', "-" for an empty pair), each read through an exact-size heap copy
 * so that a read past the end shows up under AddressSanitizer. */
static void pairs_of(const char *text, char *out, size_t outsize)
{
    size_t len = strlen(text), pos = 0, used = 0;
    char *copy = malloc(len ? len : 1);
    mcp_form_pair p;

    memcpy(copy, text, len);
    out[0] = '\0';
    while (mcp_form_next_pair(copy, len, &pos, &p)) {
        int n;
        if (p.len == 0)
            n = snprintf(out + used, outsize - used, "-\n");
        else if (p.value)
            n = snprintf(out + used, outsize - used, "%.*s|%.*s\n",
                         (int)p.nlen, p.name, (int)p.vlen, p.value);
        else
            n = snprintf(out + used, outsize - used, "%.*s\n", (int)p.nlen,
                         p.name);
        if (n < 0 || (size_t)n >= outsize - used)
            break;
        used += (size_t)n;
    }
    free(copy);
}

static void test_pairs(void)
{
    char got[512];
    size_t pos = 0;
    mcp_form_pair p;

    pairs_of("", got, sizeof(got));
    CHECK_STR(got, "");
    pairs_of("a=1", got, sizeof(got));
    CHECK_STR(got, "a|1\n");
    pairs_of("a=1&b=2", got, sizeof(got));
    CHECK_STR(got, "a|1\nb|2\n");
    /* An empty pair in the middle or at the start; none after a final '&'. */
    pairs_of("a=1&&b=2", got, sizeof(got));
    CHECK_STR(got, "a|1\n-\nb|2\n");
    pairs_of("&a=1", got, sizeof(got));
    CHECK_STR(got, "-\na|1\n");
    pairs_of("a=1&", got, sizeof(got));
    CHECK_STR(got, "a|1\n");
    /* A name alone has no value; "a=" has an empty one. */
    pairs_of("a&b=", got, sizeof(got));
    CHECK_STR(got, "a\nb|\n");
    /* Only the first '=' separates: the rest belongs to the value. */
    pairs_of("a==b=c&=x", got, sizeof(got));
    CHECK_STR(got, "a|=b=c\n|x\n");
    /* Nothing is decoded here. */
    pairs_of("a%3D=%26", got, sizeof(got));
    CHECK_STR(got, "a%3D|%26\n");

    /* Lengths and positions, and the end. */
    CHECK_INT(mcp_form_next_pair("ab=cd&e", 7, &pos, &p), 1);
    CHECK_INT(p.len, 5);
    CHECK_INT(p.nlen, 2);
    CHECK_INT(p.vlen, 2);
    CHECK_INT(pos, 6);
    CHECK_INT(mcp_form_next_pair("ab=cd&e", 7, &pos, &p), 1);
    CHECK_INT(p.len, 1);
    CHECK(p.value == NULL);
    CHECK_INT(p.vlen, 0);
    CHECK_INT(mcp_form_next_pair("ab=cd&e", 7, &pos, &p), 0);
    CHECK_INT(mcp_form_next_pair("ab=cd&e", 7, &pos, &p), 0);
    /* len bounds the text: what lies beyond is never read. */
    pos = 0;
    CHECK_INT(mcp_form_next_pair("a=1&b=2", 3, &pos, &p), 1);
    CHECK_INT(p.vlen, 1);
    CHECK_INT(mcp_form_next_pair("a=1&b=2", 3, &pos, &p), 0);
}

/* Decodes s through an exact-size heap copy; out gets the result or
 * "(refused)". */
static long decode(const char *s, char *out)
{
    size_t len = strlen(s);
    char *copy = malloc(len ? len : 1);
    long n;

    memcpy(copy, s, len);
    n = mcp_form_decode(copy, len, out);
    free(copy);
    if (n < 0)
        strcpy(out, "(refused)");
    return n;
}

static void test_decode(void)
{
    char out[64];

    CHECK_INT(decode("", out), 0);
    CHECK_STR(out, "");
    CHECK_INT(decode("abc", out), 3);
    CHECK_STR(out, "abc");
    CHECK_INT(decode("a+b", out), 3);
    CHECK_STR(out, "a b");
    CHECK_INT(decode("%2B%2b", out), 2);
    CHECK_STR(out, "++");
    CHECK_INT(decode("%41%5a%7E", out), 3);
    CHECK_STR(out, "AZ~");
    CHECK_INT(decode("%C3%A9", out), 2);
    CHECK_STR(out, "\xc3\xa9");
    /* Bytes pass as they are: UTF-8 is the caller's check. */
    CHECK_INT(decode("%FF", out), 1);
    CHECK(out[0] == '\xff' && out[1] == '\0');
    CHECK_INT(decode("%25%26%3D", out), 3);
    CHECK_STR(out, "%&=");

    /* Bad escapes: short, not hexadecimal, at the end. */
    CHECK_INT(decode("%", out), -1);
    CHECK_INT(decode("a%4", out), -1);
    CHECK_INT(decode("%4g", out), -1);
    CHECK_INT(decode("%g4", out), -1);
    CHECK_INT(decode("%%41", out), -1);
    CHECK_INT(decode("%-1", out), -1);
    CHECK_INT(decode("% 1", out), -1);
    /* A NUL byte, escaped or raw, is refused. */
    CHECK_INT(decode("a%00b", out), -1);
    CHECK_INT(mcp_form_decode("a\0b", 3, out), -1);
    /* len bounds the input: "%41" cut after "%4" is a bad escape. */
    CHECK_INT(mcp_form_decode("%41", 2, out), -1);
    CHECK_INT(mcp_form_decode("ab%41", 2, out), 2);
    CHECK_STR(out, "ab");
}

int main(void)
{
    test_pairs();
    test_decode();
    return UNIT_DONE("form");
}
