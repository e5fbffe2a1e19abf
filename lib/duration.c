/*
 * Durations as Spring Boot reads them.  The ISO-8601 reader follows
 * java.time.Duration.parse() rule for rule (including its quirks: a sign on
 * each number, an empty fraction "PT1.S", the fraction taking the sign of
 * the seconds) so that a value copied from an Atoti configuration means the
 * same thing here.
 */
#include "duration.h"

#include <stdio.h>
#include <string.h>

#define SECONDS_PER_DAY 86400
#define NANOS_PER_SECOND 1000000000

/* Checked int64 arithmetic written out so that it never overflows itself:
 * signed overflow is undefined behaviour and the inputs are hostile. */
static int add_i64(int64_t a, int64_t b, int64_t *out)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return -1;
    *out = a + b;
    return 0;
}

static int mul_i64(int64_t a, int64_t factor, int64_t *out)
{
    /* factor is one of the small positive unit sizes */
    if (a > INT64_MAX / factor || a < INT64_MIN / factor)
        return -1;
    *out = a * factor;
    return 0;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Reads [+-]?[0-9]+ at *pos as Long.parseLong would.  Returns 1 and
 * advances on a number, 0 when there is none (pos untouched), -1 when the
 * digits do not fit in an int64 (pos advanced past them). */
static int read_long(const char *s, size_t len, size_t *pos, int64_t *out,
                     int *negative)
{
    size_t i = *pos;
    int neg = 0;
    uint64_t mag = 0;
    uint64_t limit;
    int too_big = 0;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i >= len || !is_digit((unsigned char)s[i]))
        return 0;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len && is_digit((unsigned char)s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (too_big || mag > (limit - d) / 10)
            too_big = 1;
        else
            mag = mag * 10 + d;
    }
    *pos = i;
    if (negative)
        *negative = neg;
    if (too_big)
        return -1;
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 1;
}

/* seconds + nanos (any sign, |nanos| < 1e9) normalised so that nanos lands
 * in 0..999999999, as Duration.ofSeconds(s, n) does. */
static mcp_duration_status make(int64_t seconds, int64_t nanos,
                                mcp_duration *out)
{
    if (nanos < 0) {
        if (add_i64(seconds, -1, &seconds) != 0)
            return MCP_DURATION_OVERFLOW;
        nanos += NANOS_PER_SECOND;
    }
    out->seconds = seconds;
    out->nanos = (int32_t)nanos;
    return MCP_DURATION_OK;
}

static mcp_duration_status negate(mcp_duration *d)
{
    if (d->nanos == 0) {
        if (d->seconds == INT64_MIN)
            return MCP_DURATION_OVERFLOW;
        d->seconds = -d->seconds;
        return MCP_DURATION_OK;
    }
    /* -(s + n/1e9) = (-s - 1) + (1e9 - n)/1e9, and -s - 1 == ~s never
     * overflows. */
    d->seconds = -1 - d->seconds;
    d->nanos = NANOS_PER_SECOND - d->nanos;
    return MCP_DURATION_OK;
}

/*
 * Years, months and weeks are written "P1Y2M3W4D": when the text before
 * "T" is such a period and names at least one of them, say so rather than
 * calling it a syntax error.  The time part, if any, must still be well
 * formed for this to count.
 */
static int is_calendar(const char *s, size_t len, size_t pos)
{
    static const char units[] = "ymwd";
    size_t next_unit = 0;
    int calendar = 0;
    int64_t ignored;

    while (pos < len && lower((unsigned char)s[pos]) != 't') {
        size_t u;
        if (read_long(s, len, &pos, &ignored, NULL) == 0 || pos >= len)
            return 0;
        for (u = next_unit; u < 4; u++)
            if (lower((unsigned char)s[pos]) == units[u])
                break;
        if (u == 4)
            return 0;
        calendar |= u < 3;
        next_unit = u + 1;
        pos++;
    }
    if (!calendar)
        return 0;
    if (pos == len)
        return 1;
    /* A time part after a calendar date: accept it only if it is a
     * well-formed one, so that "P1YT" stays a syntax error. */
    {
        static const char tunits[] = "hms";
        size_t next = 0;
        int parts = 0;
        pos++;
        while (pos < len) {
            size_t u;
            if (read_long(s, len, &pos, &ignored, NULL) == 0 || pos >= len)
                return 0;
            if (s[pos] == '.' || s[pos] == ',') {
                pos++;
                while (pos < len && is_digit((unsigned char)s[pos]))
                    pos++;
                if (pos >= len || lower((unsigned char)s[pos]) != 's')
                    return 0;
            }
            for (u = next; u < 3; u++)
                if (lower((unsigned char)s[pos]) == tunits[u])
                    break;
            if (u == 3)
                return 0;
            next = u + 1;
            parts++;
            pos++;
        }
        return parts > 0;
    }
}

static mcp_duration_status parse_iso(const char *s, size_t len,
                                     mcp_duration *out)
{
    size_t pos = 0;
    int negate_all = 0;
    int64_t days = 0, hours = 0, minutes = 0, secs = 0, frac = 0;
    int any = 0, seconds_negative = 0;
    int64_t total, v;
    int r;
    mcp_duration_status st;
    size_t start;

    if (s[pos] == '+' || s[pos] == '-') {
        negate_all = s[pos] == '-';
        pos++;
    }
    if (pos >= len || lower((unsigned char)s[pos]) != 'p')
        return MCP_DURATION_SYNTAX;
    pos++;
    start = pos;

    /* days */
    {
        size_t p = pos;
        r = read_long(s, len, &p, &v, NULL);
        if (r != 0 && p < len && lower((unsigned char)s[p]) == 'd') {
            if (r < 0)
                return MCP_DURATION_OVERFLOW;
            if (mul_i64(v, SECONDS_PER_DAY, &days) != 0)
                return MCP_DURATION_OVERFLOW;
            pos = p + 1;
            any = 1;
        }
    }
    if (pos < len && lower((unsigned char)s[pos]) == 't') {
        int time_parts = 0;
        pos++;
        {
            size_t p = pos;
            r = read_long(s, len, &p, &v, NULL);
            if (r != 0 && p < len && lower((unsigned char)s[p]) == 'h') {
                if (r < 0 || mul_i64(v, 3600, &hours) != 0)
                    return MCP_DURATION_OVERFLOW;
                pos = p + 1;
                time_parts++;
            }
        }
        {
            size_t p = pos;
            r = read_long(s, len, &p, &v, NULL);
            if (r != 0 && p < len && lower((unsigned char)s[p]) == 'm') {
                if (r < 0 || mul_i64(v, 60, &minutes) != 0)
                    return MCP_DURATION_OVERFLOW;
                pos = p + 1;
                time_parts++;
            }
        }
        {
            size_t p = pos;
            int neg = 0;
            r = read_long(s, len, &p, &v, &neg);
            if (r != 0) {
                size_t digits_at = 0, ndigits = 0;
                if (p < len && (s[p] == '.' || s[p] == ',')) {
                    p++;
                    digits_at = p;
                    while (p < len && is_digit((unsigned char)s[p]) &&
                           ndigits < 9) {
                        p++;
                        ndigits++;
                    }
                }
                if (p < len && lower((unsigned char)s[p]) == 's') {
                    size_t i;
                    if (r < 0)
                        return MCP_DURATION_OVERFLOW;
                    secs = v;
                    for (i = 0; i < 9; i++)
                        frac = frac * 10 +
                               (i < ndigits ? s[digits_at + i] - '0' : 0);
                    seconds_negative = neg;
                    pos = p + 1;
                    time_parts++;
                }
            }
        }
        if (time_parts == 0)
            return is_calendar(s, len, start) ? MCP_DURATION_CALENDAR
                                              : MCP_DURATION_SYNTAX;
        any = 1;
    }
    if (pos != len || !any)
        return is_calendar(s, len, start) ? MCP_DURATION_CALENDAR
                                          : MCP_DURATION_SYNTAX;

    /* Java's order of additions, so that the same inputs overflow. */
    if (add_i64(minutes, secs, &total) != 0 ||
        add_i64(hours, total, &total) != 0 || add_i64(days, total, &total) != 0)
        return MCP_DURATION_OVERFLOW;
    st = make(total, seconds_negative ? -frac : frac, out);
    if (st == MCP_DURATION_OK && negate_all)
        st = negate(out);
    return st;
}

/* Spring Boot's simple form: ^([+-]?\d+)([a-zA-Z]{0,2})$, no unit being
 * milliseconds as for a Duration property without @DurationUnit. */
static mcp_duration_status parse_simple(const char *s, size_t len,
                                        mcp_duration *out)
{
    /* Seconds per unit, or for sub-second units the divisor that turns the
     * value into seconds (negative sizes mark those). */
    static const struct {
        const char *name;
        int64_t size;
    } units[] = {{"ns", -1000000000},
                 {"us", -1000000},
                 {"ms", -1000},
                 {"", -1000},
                 {"s", 1},
                 {"m", 60},
                 {"h", 3600},
                 {"d", SECONDS_PER_DAY}};
    size_t pos = 0, ulen, i, u;
    int64_t v, secs;
    int r = read_long(s, len, &pos, &v, NULL);
    char unit[3] = {0, 0, 0};

    ulen = len - pos;
    if (r == 0 || ulen > 2)
        return MCP_DURATION_SYNTAX;
    for (i = 0; i < ulen; i++) {
        int c = lower((unsigned char)s[pos + i]);
        if (c < 'a' || c > 'z')
            return MCP_DURATION_SYNTAX;
        unit[i] = (char)c;
    }
    for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
        if (strcmp(unit, units[u].name) == 0)
            break;
    if (u == sizeof(units) / sizeof(units[0]))
        return MCP_DURATION_SYNTAX;
    if (r < 0)
        return MCP_DURATION_OVERFLOW;
    if (units[u].size < 0) {
        /* Sub-second units only shrink the value, so they cannot overflow.
         * C division truncates toward zero; make() turns a negative
         * remainder into the floor form Duration keeps. */
        int64_t per_second = -units[u].size;
        return make(v / per_second,
                    (v % per_second) * (NANOS_PER_SECOND / per_second), out);
    }
    if (mul_i64(v, units[u].size, &secs) != 0)
        return MCP_DURATION_OVERFLOW;
    return make(secs, 0, out);
}

mcp_duration_status mcp_duration_parse(const char *text, size_t len,
                                       mcp_duration *out)
{
    mcp_duration tmp = {0, 0};
    mcp_duration_status st;
    size_t i;

    if (text == NULL)
        len = 0;
    while (len > 0 && text[0] == ' ') {
        text++;
        len--;
    }
    while (len > 0 && text[len - 1] == ' ')
        len--;
    if (len == 0)
        return MCP_DURATION_EMPTY;

    /* Spring tries the simple form first; only a leading [+-]?[pP] can be
     * ISO-8601. */
    i = (text[0] == '+' || text[0] == '-') ? 1 : 0;
    if (i < len && lower((unsigned char)text[i]) == 'p')
        st = parse_iso(text, len, &tmp);
    else
        st = parse_simple(text, len, &tmp);
    if (st == MCP_DURATION_OK && out)
        *out = tmp;
    return st;
}

const char *mcp_duration_status_text(mcp_duration_status st)
{
    switch (st) {
    case MCP_DURATION_OK:
        return "a valid duration";
    case MCP_DURATION_EMPTY:
        return "no duration given: write one such as P30D or 30d";
    case MCP_DURATION_SYNTAX:
        return "not a duration: write ISO-8601 such as P30D or PT12H, or a "
               "number and a unit (ns, us, ms, s, m, h, d) such as 30d";
    case MCP_DURATION_CALENDAR:
        return "years, months and weeks are not allowed: they have no fixed "
               "length; write days, such as P365D for a year";
    case MCP_DURATION_OVERFLOW:
        return "the duration is too large";
    }
    return "unknown duration status";
}

int mcp_duration_is_positive(const mcp_duration *d)
{
    return d->seconds > 0 || (d->seconds == 0 && d->nanos > 0);
}

/* Appends to out with snprintf semantics: never overruns, always
 * terminated, silently truncated when outlen is too small. */
static void append(char *out, size_t outlen, size_t *used,
                   unsigned long long number, int with_number, const char *text)
{
    int n;
    if (*used >= outlen - 1)
        return;
    if (with_number)
        n = snprintf(out + *used, outlen - *used, "%llu%s", number, text);
    else
        n = snprintf(out + *used, outlen - *used, "%s", text);
    if (n < 0)
        return;
    *used += (size_t)n;
    if (*used > outlen - 1)
        *used = outlen - 1;
}

/* The magnitude of seconds as an unsigned value: -INT64_MIN does not fit in
 * an int64. */
static uint64_t magnitude(int64_t seconds)
{
    return seconds < 0 ? (uint64_t)0 - (uint64_t)seconds : (uint64_t)seconds;
}

void mcp_duration_format_iso(int64_t seconds, char *out, size_t outlen)
{
    uint64_t m = magnitude(seconds);
    unsigned long long days = m / SECONDS_PER_DAY;
    unsigned long long rest = m % SECONDS_PER_DAY;
    unsigned long long h = rest / 3600, min = rest / 60 % 60, s = rest % 60;
    size_t used = 0;

    if (out == NULL || outlen == 0)
        return;
    out[0] = '\0';
    if (m == 0) {
        append(out, outlen, &used, 0, 0, "PT0S");
        return;
    }
    /* "-P1DT2H" rather than Java's "PT-26H": the same value (both parse
     * back to it), and it keeps the days a person reads. */
    append(out, outlen, &used, 0, 0, seconds < 0 ? "-P" : "P");
    if (days)
        append(out, outlen, &used, days, 1, "D");
    if (rest) {
        append(out, outlen, &used, 0, 0, "T");
        if (h)
            append(out, outlen, &used, h, 1, "H");
        if (min)
            append(out, outlen, &used, min, 1, "M");
        if (s)
            append(out, outlen, &used, s, 1, "S");
    }
}

void mcp_duration_format_words(int64_t seconds, char *out, size_t outlen)
{
    static const struct {
        unsigned long long size;
        const char *one, *many;
    } units[] = {{SECONDS_PER_DAY, " day", " days"},
                 {3600, " hour", " hours"},
                 {60, " minute", " minutes"},
                 {1, " second", " seconds"}};
    uint64_t m = magnitude(seconds);
    size_t used = 0, u;
    int first = 1;

    if (out == NULL || outlen == 0)
        return;
    out[0] = '\0';
    if (m == 0) {
        append(out, outlen, &used, 0, 0, "0 seconds");
        return;
    }
    if (seconds < 0)
        append(out, outlen, &used, 0, 0, "minus ");
    for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        unsigned long long n = m / units[u].size;
        m %= units[u].size;
        if (n == 0)
            continue;
        if (!first)
            append(out, outlen, &used, 0, 0, " ");
        append(out, outlen, &used, n, 1, n == 1 ? units[u].one : units[u].many);
        first = 0;
    }
}
