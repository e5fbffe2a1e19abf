/* Unit tests for lib/timefmt.c: strict RFC 3339 reading, formatting in UTC
 * and the day arithmetic, cross-checked against the C library's timegm. */
#include <stdint.h>
#include <time.h>

#include "timefmt.h"
#include "unit.h"

static int parse(const char *text, int64_t *t)
{
    *t = 424242;
    return mcp_rfc3339_parse(text, strlen(text), t);
}

#define CHECK_TIME(text, want)                                                 \
    do {                                                                       \
        int64_t t_;                                                            \
        CHECK_INT(parse((text), &t_), 0);                                      \
        CHECK_INT(t_, (want));                                                 \
    } while (0)

#define CHECK_BAD(text)                                                        \
    do {                                                                       \
        int64_t t_;                                                            \
        CHECK_INT(parse((text), &t_), -1);                                     \
        CHECK_INT(t_, 424242);                                                 \
    } while (0)

static void test_valid(void)
{
    CHECK_TIME("1970-01-01T00:00:00Z", 0);
    CHECK_TIME("1970-01-01t00:00:00z", 0);
    CHECK_TIME("2024-02-29T12:00:00Z", 1709208000);
    CHECK_TIME("2000-02-29T00:00:00Z", 951782400);
    CHECK_TIME("2038-01-19T03:14:08Z", INT64_C(2147483648));
    CHECK_TIME("1969-12-31T23:59:59Z", -1);
    CHECK_TIME("1900-01-01T00:00:00Z", INT64_C(-2208988800));
    CHECK_TIME("1066-10-14T09:00:00Z", INT64_C(-28502722800));
    CHECK_TIME("0001-01-01T00:00:00Z", INT64_C(-62135596800));
    CHECK_TIME("9999-12-31T23:59:59Z", INT64_C(253402300799));
    CHECK_TIME("9999-12-31T23:59:59-23:59", INT64_C(253402300799) + 86340);
    CHECK_TIME("0001-01-01T00:00:00+23:59", INT64_C(-62135596800) - 86340);
}

static void test_offsets_and_fractions(void)
{
    CHECK_TIME("2024-01-01T00:00:00+01:00", 1704067200 - 3600);
    CHECK_TIME("2024-01-01T00:00:00-05:30", 1704067200 + 19800);
    CHECK_TIME("2024-01-01T00:00:00+00:00", 1704067200);
    CHECK_TIME("2024-01-01T00:00:00-00:00", 1704067200);
    CHECK_TIME("2024-01-01T00:00:00+23:59", 1704067200 - 86340);
    CHECK_TIME("2024-01-01T23:59:59+14:00", 1704067200 + 86399 - 50400);
    CHECK_TIME("2024-01-01T00:00:00.5Z", 1704067200);
    CHECK_TIME("2024-01-01T00:00:00.999999999Z", 1704067200);
    CHECK_TIME("2024-01-01T00:00:00.123+01:00", 1704067200 - 3600);
    /* a leap second reads as the second before it */
    CHECK_TIME("2016-12-31T23:59:60Z", 1483228799);
    CHECK_TIME("2016-12-31T23:59:60.5Z", 1483228799);
}

static void test_invalid(void)
{
    CHECK_BAD("");
    CHECK_BAD("2024-01-01");
    CHECK_BAD("2024-01-01T00:00:00"); /* no offset */
    CHECK_BAD("2024-01-01T00:00Z");   /* no seconds */
    CHECK_BAD("2023-02-29T00:00:00Z");
    CHECK_BAD("2023-02-30T00:00:00Z");
    CHECK_BAD("2024-02-30T00:00:00Z");
    CHECK_BAD("1900-02-29T00:00:00Z");
    CHECK_BAD("2100-02-29T00:00:00Z");
    CHECK_BAD("2023-04-31T00:00:00Z");
    CHECK_BAD("2023-13-01T00:00:00Z");
    CHECK_BAD("2023-00-01T00:00:00Z");
    CHECK_BAD("2023-01-00T00:00:00Z");
    CHECK_BAD("2023-01-32T00:00:00Z");
    CHECK_BAD("0000-01-01T00:00:00Z");
    CHECK_BAD("2024-01-01T24:00:00Z");
    CHECK_BAD("2024-01-01T23:60:00Z");
    CHECK_BAD("2024-01-01T23:59:61Z");
    CHECK_BAD("2024-01-01T00:00:00+2:00");
    CHECK_BAD("2024-01-01T00:00:00+0200");
    CHECK_BAD("2024-01-01T00:00:00+02");
    CHECK_BAD("2024-01-01T00:00:00+24:00");
    CHECK_BAD("2024-01-01T00:00:00+02:60");
    CHECK_BAD("2024-01-01T00:00:00 +02:00");
    CHECK_BAD("2024-01-01T00:00:00UTC");
    CHECK_BAD("2024-01-01T00:00:00GMT");
    CHECK_BAD("2024-01-01T00:00:00ZZ");
    CHECK_BAD("2024-01-01T00:00:00Z ");
    CHECK_BAD(" 2024-01-01T00:00:00Z");
    CHECK_BAD("2024-01-01T00:00:00+01:00x");
    CHECK_BAD("2024-01-01 00:00:00Z");
    CHECK_BAD("2024-01-01_00:00:00Z");
    CHECK_BAD("2024-01-01T00:00:00.Z");
    CHECK_BAD("2024-01-01T00:00:00.1234567890Z");
    CHECK_BAD("2024-01-01T00:00:00,5Z");
    CHECK_BAD("2024-1-01T00:00:00Z");
    CHECK_BAD("24-01-01T00:00:00Z");
    CHECK_BAD("+2024-01-01T00:00:00Z");
    CHECK_BAD("-2024-01-01T00:00:00Z");
    CHECK_BAD("20240-01-01T00:00:00Z");
    CHECK_BAD("2024/01/01T00:00:00Z");
    CHECK_BAD("2024-01-01T00-00-00Z");
    CHECK_BAD("+024-01-01T00:00:00Z");
    CHECK_BAD(" 024-01-01T00:00:00Z");
    CHECK_BAD("2024-01-01T0:00:00Z");
    CHECK_BAD("\xef\xbc\x92"
              "024-01-01T00:00:00Z"); /* full-width 2 */
}

static void test_lengths(void)
{
    const char *s = "2024-01-01T00:00:00Z";
    int64_t t = 5;

    /* the length, not a NUL, ends the text */
    CHECK_INT(mcp_rfc3339_parse("2024-01-01T00:00:00Zjunk", 20, &t), 0);
    CHECK_INT(t, 1704067200);
    CHECK_INT(mcp_rfc3339_parse("2024-01-01T00:00:00+01:00", 24, &t), -1);
    CHECK_INT(mcp_rfc3339_parse(s, 19, &t), -1);
    CHECK_INT(mcp_rfc3339_parse("2024-01-01T00:00:00\0Z", 21, &t), -1);
    CHECK_INT(mcp_rfc3339_parse("2024-01-01T00:00:00Z\0", 21, &t), -1);
    CHECK_INT(mcp_rfc3339_parse("2024-01-01T00:00:00.5", 21, &t), -1);
    CHECK_INT(mcp_rfc3339_parse("2024\0"
                                "01-01T00:00:00Z",
                                20, &t),
              -1);
    CHECK_INT(mcp_rfc3339_parse(NULL, 0, &t), -1);
    CHECK_INT(mcp_rfc3339_parse(s, 0, &t), -1);
    CHECK_INT(mcp_rfc3339_parse(s, 20, NULL), 0);
}

static void test_format(void)
{
    char out[21];
    char small[20];
    const int64_t samples[] = {0,
                               -1,
                               1,
                               86399,
                               86400,
                               -86400,
                               -86401,
                               951782400,
                               1709208000,
                               INT64_C(2147483648),
                               INT64_C(4102444800),
                               INT64_C(-62135596800),
                               INT64_C(253402300799)};
    size_t i;

    CHECK_INT(mcp_rfc3339_format_utc(0, out, sizeof(out)), 0);
    CHECK_STR(out, "1970-01-01T00:00:00Z");
    CHECK_INT(mcp_rfc3339_format_utc(-1, out, sizeof(out)), 0);
    CHECK_STR(out, "1969-12-31T23:59:59Z");
    CHECK_INT(mcp_rfc3339_format_utc(1709208000, out, sizeof(out)), 0);
    CHECK_STR(out, "2024-02-29T12:00:00Z");
    CHECK_INT(mcp_rfc3339_format_utc(INT64_C(-62135596800), out, sizeof(out)),
              0);
    CHECK_STR(out, "0001-01-01T00:00:00Z");
    CHECK_INT(mcp_rfc3339_format_utc(INT64_C(253402300799), out, sizeof(out)),
              0);
    CHECK_STR(out, "9999-12-31T23:59:59Z");
    CHECK_INT(mcp_rfc3339_format_utc(INT64_C(-28502722800), out, sizeof(out)),
              0);
    CHECK_STR(out, "1066-10-14T09:00:00Z");

    /* out of range: -1 and an empty string */
    CHECK_INT(mcp_rfc3339_format_utc(INT64_C(-62135596801), out, sizeof(out)),
              -1);
    CHECK_STR(out, "");
    CHECK_INT(mcp_rfc3339_format_utc(INT64_C(253402300800), out, sizeof(out)),
              -1);
    CHECK_STR(out, "");
    CHECK_INT(mcp_rfc3339_format_utc(INT64_MAX, out, sizeof(out)), -1);
    CHECK_INT(mcp_rfc3339_format_utc(INT64_MIN, out, sizeof(out)), -1);
    CHECK_STR(out, "");
    /* a buffer under 21 bytes is refused, not overrun */
    memset(small, 'x', sizeof(small));
    CHECK_INT(mcp_rfc3339_format_utc(0, small, sizeof(small)), -1);
    CHECK_STR(small, "");
    CHECK_INT(mcp_rfc3339_format_utc(0, small, 0), -1);
    CHECK_INT(mcp_rfc3339_format_utc(0, NULL, 21), -1);

    for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        int64_t back = 0;
        CHECK_INT(mcp_rfc3339_format_utc(samples[i], out, sizeof(out)), 0);
        CHECK_INT(mcp_rfc3339_parse(out, strlen(out), &back), 0);
        CHECK_INT(back, samples[i]);
    }
}

/* Every day from 0001-01-01 to 9999-12-31 (at a time of day that moves)
 * formats and parses back to itself; counted as one check so that the
 * count stays readable. */
static void test_round_trip_every_day(void)
{
    int64_t t, back;
    char out[21];
    int64_t bad = 0, n = 0;
    int64_t tod = 0;

    for (t = INT64_C(-62135596800); t <= INT64_C(253402300799) - 86399;
         t += 86400) {
        int64_t at = t + tod;
        tod = (tod + 3607) % 86400;
        n++;
        if (mcp_rfc3339_format_utc(at, out, sizeof(out)) != 0 ||
            mcp_rfc3339_parse(out, 20, &back) != 0 || back != at)
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(n, 3652059); /* days in 9999 proleptic Gregorian years */
}

/* mcp_days_from_civil against glibc's timegm for the first and last day of
 * every month of years 1 to 9999. */
static void test_days_against_timegm(void)
{
    int y;
    unsigned m;
    long bad = 0;

    for (y = 1; y <= 9999; y++) {
        for (m = 1; m <= 12; m++) {
            static const int last[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            int d_last = last[m - 1] + (m == 2 && leap);
            int k;
            for (k = 0; k < 2; k++) {
                struct tm tm;
                int d = k ? d_last : 1;
                memset(&tm, 0, sizeof(tm));
                tm.tm_year = y - 1900;
                tm.tm_mon = (int)m - 1;
                tm.tm_mday = d;
                if ((int64_t)timegm(&tm) !=
                    mcp_days_from_civil(y, m, (unsigned)d) * 86400)
                    bad++;
            }
        }
    }
    CHECK_INT(bad, 0);
    CHECK_INT(mcp_days_from_civil(1970, 1, 1), 0);
    CHECK_INT(mcp_days_from_civil(1969, 12, 31), -1);
    CHECK_INT(mcp_days_from_civil(2000, 3, 1), 11017);
    CHECK_INT(mcp_days_from_civil(0, 3, 1), -719468);
    CHECK_INT(mcp_days_from_civil(-1, 1, 1), -719893);
}

int main(void)
{
    test_valid();
    test_offsets_and_fractions();
    test_invalid();
    test_lengths();
    test_format();
    test_round_trip_every_day();
    test_days_against_timegm();
    return UNIT_DONE("timefmt");
}
