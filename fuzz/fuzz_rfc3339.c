/*
 * libFuzzer target for lib/timefmt.c.  What must hold for any input:
 *   - a date-time that parses gives the instant glibc's timegm() computes
 *     from the same fields, less the offset (an independent calendar);
 *   - mcp_rfc3339_format_utc() then mcp_rfc3339_parse() gives the same
 *     instant, both for what the input parses to and for the first 8 input
 *     bytes read as an int64; format refuses exactly the instants outside
 *     years 0001-9999 and then writes "";
 *   - parsing with a NULL epoch gives the same answer.
 * The format buffer has exactly its documented 21 bytes.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* timegm */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

#define FORMAT_LEN 21
#define FIRST_SECOND INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define LAST_SECOND INT64_C(253402300799)  /* 9999-12-31T23:59:59Z */

static unsigned field(const char *s, size_t n)
{
    unsigned v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* The parser has accepted text, so its fixed fields are digits. */
static int64_t reference_epoch(const char *text)
{
    struct tm tm;
    const char *zone = text + 19;
    int64_t offset = 0;
    unsigned second = field(text + 17, 2);

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)field(text, 4) - 1900;
    tm.tm_mon = (int)field(text + 5, 2) - 1;
    tm.tm_mday = (int)field(text + 8, 2);
    tm.tm_hour = (int)field(text + 11, 2);
    tm.tm_min = (int)field(text + 14, 2);
    tm.tm_sec = (int)(second == 60 ? 59 : second);
    if (*zone == '.')
        for (zone++; *zone >= '0' && *zone <= '9'; zone++)
            ;
    if (*zone == '+' || *zone == '-') {
        offset = (int64_t)field(zone + 1, 2) * 3600 + field(zone + 4, 2) * 60;
        if (*zone == '-')
            offset = -offset;
    }
    return (int64_t)timegm(&tm) - offset;
}

static void check_format(int64_t epoch)
{
    char *out = malloc(FORMAT_LEN);
    int64_t back = 0;

    if (out == NULL)
        abort();
    if (mcp_rfc3339_format_utc(epoch, out, FORMAT_LEN) != 0) {
        if ((epoch >= FIRST_SECOND && epoch <= LAST_SECOND) || out[0] != '\0')
            abort();
    } else {
        if (epoch < FIRST_SECOND || epoch > LAST_SECOND ||
            strlen(out) != FORMAT_LEN - 1 ||
            mcp_rfc3339_parse(out, FORMAT_LEN - 1, &back) != 0 || back != epoch)
            abort();
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int64_t epoch = 0, raw;
    char *copy;
    int rc = mcp_rfc3339_parse(text, size, &epoch);

    if (mcp_rfc3339_parse(text, size, NULL) != rc)
        abort();
    if (rc == 0) {
        /* a NUL-terminated copy, so the reference can walk the fraction */
        copy = malloc(size + 1);
        if (copy == NULL)
            abort();
        memcpy(copy, data, size);
        copy[size] = '\0';
        if (reference_epoch(copy) != epoch)
            abort();
        free(copy);
        check_format(epoch);
    }
    if (size >= sizeof(raw)) {
        memcpy(&raw, data, sizeof(raw));
        check_format(raw);
    }
    return 0;
}
