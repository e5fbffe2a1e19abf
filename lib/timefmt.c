/*
 * RFC 3339 date-times, read strictly: a date that names no real instant
 * (February 30th, hour 24, a missing offset) is refused rather than
 * normalised, since normalising would move a token's expiry.
 */
#include "timefmt.h"

#include <string.h>

#define SECONDS_PER_DAY 86400

/* Howard Hinnant's days_from_civil: exact for every proleptic Gregorian
 * date, with no table and no loop. */
int64_t mcp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of mcp_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Exactly n ASCII digits at s (no sign, no space, which strtol would take). */
static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int mcp_rfc3339_parse(const char *text, size_t len, int64_t *epoch)
{
    unsigned year, month, day, hour, minute, second;
    unsigned off_h = 0, off_m = 0;
    int64_t offset = 0, t;
    size_t pos;

    /* "YYYY-MM-DDTHH:MM:SS" then at least "Z" */
    if (text == NULL || len < 20)
        return -1;
    if (digits(text, 4, &year) || text[4] != '-' ||
        digits(text + 5, 2, &month) || text[7] != '-' ||
        digits(text + 8, 2, &day) || (text[10] != 'T' && text[10] != 't') ||
        digits(text + 11, 2, &hour) || text[13] != ':' ||
        digits(text + 14, 2, &minute) || text[16] != ':' ||
        digits(text + 17, 2, &second))
        return -1;
    if (year < 1 || month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 60)
        return -1;
    /* A leap second names the last second of its minute: POSIX time has
     * no room for it. */
    if (second == 60)
        second = 59;

    pos = 19;
    if (text[pos] == '.') {
        size_t start = ++pos;
        while (pos < len && text[pos] >= '0' && text[pos] <= '9')
            pos++;
        if (pos == start || pos - start > 9)
            return -1;
    }
    if (pos >= len)
        return -1;
    if (text[pos] == 'Z' || text[pos] == 'z') {
        pos++;
    } else if (text[pos] == '+' || text[pos] == '-') {
        if (len - pos < 6 || digits(text + pos + 1, 2, &off_h) ||
            text[pos + 3] != ':' || digits(text + pos + 4, 2, &off_m) ||
            off_h > 23 || off_m > 59)
            return -1;
        offset = (int64_t)off_h * 3600 + (int64_t)off_m * 60;
        if (text[pos] == '-')
            offset = -offset;
        pos += 6;
    } else {
        return -1;
    }
    if (pos != len)
        return -1;

    t = mcp_days_from_civil(year, month, day) * SECONDS_PER_DAY +
        (int64_t)hour * 3600 + (int64_t)minute * 60 + (int64_t)second;
    if (epoch)
        *epoch = t - offset;
    return 0;
}

int mcp_rfc3339_format_utc(int64_t epoch, char *out, size_t outlen)
{
    /* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
    const int64_t min = INT64_C(-62135596800);
    const int64_t max = INT64_C(253402300799);
    int64_t days, secs, y;
    unsigned m, d;

    if (out == NULL || outlen == 0)
        return -1;
    out[0] = '\0';
    if (outlen < 21 || epoch < min || epoch > max)
        return -1;
    /* floor division: a time before 1970 belongs to the day that began
     * before it */
    days = epoch / SECONDS_PER_DAY;
    secs = epoch % SECONDS_PER_DAY;
    if (secs < 0) {
        secs += SECONDS_PER_DAY;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    {
        /* built by hand: snprintf would make the compiler warn about a
         * truncation that the range check above rules out */
        unsigned v[6] = {(unsigned)y,
                         m,
                         d,
                         (unsigned)(secs / 3600),
                         (unsigned)(secs / 60 % 60),
                         (unsigned)(secs % 60)};
        char *p = out;
        int i;
        for (i = 0; i < 6; i++) {
            if (i == 0) {
                *p++ = (char)('0' + v[0] / 1000);
                *p++ = (char)('0' + v[0] / 100 % 10);
            }
            *p++ = (char)('0' + v[i] / 10 % 10);
            *p++ = (char)('0' + v[i] % 10);
            *p++ = "--T::Z"[i];
        }
        *p = '\0';
    }
    return 0;
}
