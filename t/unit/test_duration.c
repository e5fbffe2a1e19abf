/* Unit tests for lib/duration.c: the grammar of java.time.Duration.parse()
 * and of Spring Boot's simple form, their limits, and the two formatters. */
#include <stdint.h>
#include <stdlib.h>

#include "duration.h"
#include "unit.h"

static mcp_duration_status parse(const char *text, mcp_duration *d)
{
    d->seconds = 12345;
    d->nanos = 678;
    return mcp_duration_parse(text, strlen(text), d);
}

/* Parses text, expects success and the given value. */
#define CHECK_DUR(text, secs, ns)                                              \
    do {                                                                       \
        mcp_duration d_;                                                       \
        CHECK_INT(parse((text), &d_), MCP_DURATION_OK);                        \
        CHECK_INT(d_.seconds, (secs));                                         \
        CHECK_INT(d_.nanos, (ns));                                             \
    } while (0)

#define CHECK_FAILS(text, status)                                              \
    do {                                                                       \
        mcp_duration d_;                                                       \
        CHECK_INT(parse((text), &d_), (status));                               \
        /* a failed parse leaves the output alone */                           \
        CHECK(d_.seconds == 12345 && d_.nanos == 678);                         \
    } while (0)

static void test_iso_basic(void)
{
    CHECK_DUR("P30D", 2592000, 0);
    CHECK_DUR("P365D", 31536000, 0);
    CHECK_DUR("p30d", 2592000, 0);
    CHECK_DUR("P7d", 604800, 0);
    CHECK_DUR("PT12H", 43200, 0);
    CHECK_DUR("pt12h", 43200, 0);
    CHECK_DUR("PT1M", 60, 0);
    CHECK_DUR("PT45S", 45, 0);
    CHECK_DUR("P1DT2H3M4S", 93784, 0);
    CHECK_DUR("P1DT4S", 86404, 0);
    CHECK_DUR("PT2H4S", 7204, 0);
    CHECK_DUR("P0D", 0, 0);
    CHECK_DUR("PT0S", 0, 0);
    CHECK_DUR("P0000000000000000000000000001D", 86400, 0);
    CHECK_DUR(" P30D ", 2592000, 0);
    CHECK_DUR("   PT1H", 3600, 0);
}

static void test_iso_signs_and_fractions(void)
{
    CHECK_DUR("-P1D", -86400, 0);
    CHECK_DUR("+P1D", 86400, 0);
    CHECK_DUR("P-1D", -86400, 0);
    CHECK_DUR("P+1D", 86400, 0);
    CHECK_DUR("-P-1D", 86400, 0);
    CHECK_DUR("P-1DT1H", -82800, 0);
    CHECK_DUR("PT-1H+30M", -1800, 0);
    CHECK_DUR("PT1.5S", 1, 500000000);
    CHECK_DUR("PT1,5S", 1, 500000000);
    CHECK_DUR("PT1.S", 1, 0); /* Java's regex allows an empty fraction */
    CHECK_DUR("PT0.000000001S", 0, 1);
    CHECK_DUR("PT1.123456789S", 1, 123456789);
    /* the fraction takes the sign of the seconds, as in Java */
    CHECK_DUR("PT-0.5S", -1, 500000000);
    CHECK_DUR("PT-1.5S", -2, 500000000);
    CHECK_DUR("-PT1.5S", -2, 500000000);
    CHECK_DUR("-PT-1.5S", 1, 500000000);
    CHECK_DUR("PT1M-0.5S", 59, 500000000);
}

static void test_iso_errors(void)
{
    CHECK_FAILS("", MCP_DURATION_EMPTY);
    CHECK_FAILS("    ", MCP_DURATION_EMPTY);
    CHECK_FAILS("P", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT", MCP_DURATION_SYNTAX);
    CHECK_FAILS("-P", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1DT", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1H", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1S", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1H1H", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1M1H", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1S1M", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1D1D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT.5S", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1.1234567891S", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1.5H", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1.-5S", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1Dx", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P 1D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("\tP1D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1D\n", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P--1D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("--P1D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1.5D", MCP_DURATION_SYNTAX);
    CHECK_FAILS("PT1h30", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P\xd9\xa3"
                "D",
                MCP_DURATION_SYNTAX); /* Arabic-Indic 3 */
    CHECK_FAILS("P1\xff", MCP_DURATION_SYNTAX);
}

static void test_calendar(void)
{
    CHECK_FAILS("P1Y", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P1M", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P1W", MCP_DURATION_CALENDAR);
    CHECK_FAILS("p2w", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P1Y2D", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P1Y2M3W4D", MCP_DURATION_CALENDAR);
    CHECK_FAILS("-P1M", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P1YT1H", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P1MT1.5S", MCP_DURATION_CALENDAR);
    CHECK_FAILS("P99999999999999999999Y", MCP_DURATION_CALENDAR);
    /* not periods either */
    CHECK_FAILS("P1YT", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1D1Y", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1M1Y", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1Yx", MCP_DURATION_SYNTAX);
    CHECK_FAILS("P1YT1H1H", MCP_DURATION_SYNTAX);
}

static void test_iso_limits(void)
{
    /* the largest whole number of days in 63 bits of seconds */
    CHECK_DUR("P106751991167300D", INT64_C(9223372036854720000), 0);
    CHECK_FAILS("P106751991167301D", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("P-106751991167301D", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("P12345678901234567890D", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("PT2562047788015216H", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("PT153722867280912931M", MCP_DURATION_OVERFLOW);
    CHECK_DUR("PT9223372036854775807S", INT64_MAX, 0);
    CHECK_DUR("PT9223372036854775807.999999999S", INT64_MAX, 999999999);
    CHECK_FAILS("PT9223372036854775808S", MCP_DURATION_OVERFLOW);
    CHECK_DUR("PT-9223372036854775808S", INT64_MIN, 0);
    CHECK_FAILS("PT-9223372036854775809S", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("-PT-9223372036854775808S", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("PT-9223372036854775808.5S", MCP_DURATION_OVERFLOW);
    CHECK_DUR("-PT-9223372036854775807.5S", INT64_C(9223372036854775807),
              500000000);
    CHECK_FAILS("P106751991167300DT86400S", MCP_DURATION_OVERFLOW);
    /* Java adds minutes and seconds first, then hours, then days: this sum
     * fits although days + hours alone would not */
    CHECK_DUR("P106751991167300DT1000H-60000M", INT64_C(9223372036854720000),
              0);
    CHECK_DUR("PT00000000000000000000001S", 1, 0);
}

static void test_simple(void)
{
    CHECK_DUR("30d", 2592000, 0);
    CHECK_DUR("30D", 2592000, 0);
    CHECK_DUR("12h", 43200, 0);
    CHECK_DUR("15m", 900, 0);
    CHECK_DUR("15M", 900, 0); /* minutes: the simple form has no months */
    CHECK_DUR("45s", 45, 0);
    CHECK_DUR("500ms", 0, 500000000);
    CHECK_DUR("500MS", 0, 500000000);
    CHECK_DUR("1500", 1, 500000000); /* no unit: milliseconds, like Spring */
    CHECK_DUR("0", 0, 0);
    CHECK_DUR("1us", 0, 1000);
    CHECK_DUR("1ns", 0, 1);
    CHECK_DUR("-1ms", -1, 999000000);
    CHECK_DUR("-1ns", -1, 999999999);
    CHECK_DUR("-1500", -2, 500000000);
    CHECK_DUR("+5s", 5, 0);
    CHECK_DUR("-30d", -2592000, 0);
    CHECK_DUR(" 30d ", 2592000, 0);
    CHECK_DUR("9223372036854775807s", INT64_MAX, 0);
    CHECK_DUR("9223372036854775807ms", INT64_C(9223372036854775), 807000000);
    CHECK_DUR("-9223372036854775808ns", INT64_C(-9223372037), 145224192);
    CHECK_DUR("106751991167300d", INT64_C(9223372036854720000), 0);
    CHECK_FAILS("106751991167301d", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("9223372036854775807m", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("-9223372036854775808h", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("99999999999999999999", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("9223372036854775808s", MCP_DURATION_OVERFLOW);
    CHECK_FAILS("99999999999999999999xx", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1w", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1y", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1d12h", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1 d", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1.5s", MCP_DURATION_SYNTAX);
    CHECK_FAILS("d", MCP_DURATION_SYNTAX);
    CHECK_FAILS("-", MCP_DURATION_SYNTAX);
    CHECK_FAILS("+", MCP_DURATION_SYNTAX);
    CHECK_FAILS("+-1s", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1sec", MCP_DURATION_SYNTAX);
    CHECK_FAILS("1%", MCP_DURATION_SYNTAX);
    CHECK_FAILS("abc", MCP_DURATION_SYNTAX);
    CHECK_FAILS("0x10s", MCP_DURATION_SYNTAX);
}

static void test_hostile(void)
{
    mcp_duration d = {7, 7};
    size_t n = 100000, i;
    char *big = malloc(n + 2);

    /* length, not NUL, ends the text */
    CHECK_INT(mcp_duration_parse("P30Dxyz", 4, &d), MCP_DURATION_OK);
    CHECK_INT(d.seconds, 2592000);
    CHECK_INT(mcp_duration_parse("3\0d", 3, &d), MCP_DURATION_SYNTAX);
    CHECK_INT(mcp_duration_parse("P1D\0", 4, &d), MCP_DURATION_SYNTAX);
    CHECK_INT(mcp_duration_parse("\0", 1, &d), MCP_DURATION_SYNTAX);
    CHECK_INT(mcp_duration_parse(NULL, 0, &d), MCP_DURATION_EMPTY);
    CHECK_INT(mcp_duration_parse("P1D", 3, NULL), MCP_DURATION_OK);

    CHECK(big != NULL);
    if (big == NULL)
        return;
    for (i = 0; i < n; i++)
        big[i] = '9';
    big[n] = 'd';
    CHECK_INT(mcp_duration_parse(big, n + 1, &d), MCP_DURATION_OVERFLOW);
    big[0] = 'P';
    big[n] = 'D';
    CHECK_INT(mcp_duration_parse(big, n + 1, &d), MCP_DURATION_OVERFLOW);
    for (i = 1; i < n; i++)
        big[i] = '0';
    big[n - 1] = '2';
    CHECK_INT(mcp_duration_parse(big, n + 1, &d), MCP_DURATION_OK);
    CHECK_INT(d.seconds, 172800);
    free(big);
}

static void test_positive_and_text(void)
{
    mcp_duration d;
    const mcp_duration_status all[] = {
        MCP_DURATION_OK, MCP_DURATION_EMPTY, MCP_DURATION_SYNTAX,
        MCP_DURATION_CALENDAR, MCP_DURATION_OVERFLOW};
    size_t i, j;

    d.seconds = 0, d.nanos = 0;
    CHECK(!mcp_duration_is_positive(&d));
    d.nanos = 1;
    CHECK(mcp_duration_is_positive(&d));
    d.seconds = -1, d.nanos = 999999999;
    CHECK(!mcp_duration_is_positive(&d));
    d.seconds = 1, d.nanos = 0;
    CHECK(mcp_duration_is_positive(&d));
    d.seconds = INT64_MIN, d.nanos = 0;
    CHECK(!mcp_duration_is_positive(&d));

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        CHECK(mcp_duration_status_text(all[i]) != NULL);
        for (j = 0; j < i; j++)
            CHECK(strcmp(mcp_duration_status_text(all[i]),
                         mcp_duration_status_text(all[j])) != 0);
    }
    CHECK(strstr(mcp_duration_status_text(MCP_DURATION_CALENDAR),
                 "years, months and weeks are not allowed") != NULL);
    CHECK(mcp_duration_status_text((mcp_duration_status)99) != NULL);
}

static void test_format_iso(void)
{
    char out[48];
    const int64_t round_trip[] = {
        1,     59,      60,       3599, 3600,   86399,     86400,
        93784, 2592000, 31536000, -1,   -93784, INT64_MAX, INT64_MIN + 1};
    size_t i;

    mcp_duration_format_iso(0, out, sizeof(out));
    CHECK_STR(out, "PT0S");
    mcp_duration_format_iso(2592000, out, sizeof(out));
    CHECK_STR(out, "P30D");
    mcp_duration_format_iso(43200, out, sizeof(out));
    CHECK_STR(out, "PT12H");
    mcp_duration_format_iso(93784, out, sizeof(out));
    CHECK_STR(out, "P1DT2H3M4S");
    mcp_duration_format_iso(86401, out, sizeof(out));
    CHECK_STR(out, "P1DT1S");
    mcp_duration_format_iso(60, out, sizeof(out));
    CHECK_STR(out, "PT1M");
    mcp_duration_format_iso(-93784, out, sizeof(out));
    CHECK_STR(out, "-P1DT2H3M4S");
    mcp_duration_format_iso(INT64_MAX, out, sizeof(out));
    CHECK_STR(out, "P106751991167300DT15H30M7S");
    /* INT64_MIN prints, but like Java's "-P..." it cannot parse back: its
     * magnitude overflows before the sign applies */
    mcp_duration_format_iso(INT64_MIN, out, sizeof(out));
    CHECK_STR(out, "-P106751991167300DT15H30M8S");

    for (i = 0; i < sizeof(round_trip) / sizeof(round_trip[0]); i++) {
        mcp_duration d;
        mcp_duration_format_iso(round_trip[i], out, sizeof(out));
        CHECK_INT(mcp_duration_parse(out, strlen(out), &d), MCP_DURATION_OK);
        CHECK_INT(d.seconds, round_trip[i]);
        CHECK_INT(d.nanos, 0);
    }

    /* a short buffer truncates and stays terminated */
    memset(out, 'x', sizeof(out));
    mcp_duration_format_iso(2592000, out, 4);
    CHECK_STR(out, "P30");
    mcp_duration_format_iso(93784, out, 6);
    CHECK_STR(out, "P1DT2");
    mcp_duration_format_iso(93784, out, 1);
    CHECK_STR(out, "");
    out[0] = 'x';
    mcp_duration_format_iso(93784, out, 0);
    CHECK(out[0] == 'x');
}

static void test_format_words(void)
{
    char out[64];

    mcp_duration_format_words(2592000, out, sizeof(out));
    CHECK_STR(out, "30 days");
    mcp_duration_format_words(86400, out, sizeof(out));
    CHECK_STR(out, "1 day");
    mcp_duration_format_words(43200, out, sizeof(out));
    CHECK_STR(out, "12 hours");
    mcp_duration_format_words(93600, out, sizeof(out));
    CHECK_STR(out, "1 day 2 hours");
    mcp_duration_format_words(93784, out, sizeof(out));
    CHECK_STR(out, "1 day 2 hours 3 minutes 4 seconds");
    mcp_duration_format_words(61, out, sizeof(out));
    CHECK_STR(out, "1 minute 1 second");
    mcp_duration_format_words(3600, out, sizeof(out));
    CHECK_STR(out, "1 hour");
    mcp_duration_format_words(0, out, sizeof(out));
    CHECK_STR(out, "0 seconds");
    mcp_duration_format_words(-86400, out, sizeof(out));
    CHECK_STR(out, "minus 1 day");
    mcp_duration_format_words(INT64_MIN, out, sizeof(out));
    CHECK_STR(out, "minus 106751991167300 days 15 hours 30 minutes 8 seconds");
    mcp_duration_format_words(93784, out, 8);
    CHECK_STR(out, "1 day 2");
}

int main(void)
{
    test_iso_basic();
    test_iso_signs_and_fractions();
    test_iso_errors();
    test_calendar();
    test_iso_limits();
    test_simple();
    test_hostile();
    test_positive_and_text();
    test_format_iso();
    test_format_words();
    return UNIT_DONE("duration");
}
