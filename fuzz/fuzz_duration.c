/*
 * libFuzzer target for lib/duration.c.  What must hold for any input:
 *   - a parsed duration has its nanoseconds in 0..999999999, and parsing
 *     with a NULL out gives the same status;
 *   - a whole number of seconds printed by mcp_duration_format_iso() parses
 *     back to the same number: both the value the input parses to and the
 *     first 8 input bytes read as an int64 (which reaches the extremes
 *     a text seldom does).  The one exception is -2^63 s: it prints as
 *     "-P106751991167300DT15H30M8S", whose magnitude overflows before the
 *     sign applies, and t/unit/test_duration.c pins that; it may be
 *     refused as too large, or come back if the format ever changes
 *     (fuzz/regressions/duration/ keeps that input);
 *   - mcp_duration_format_words() fits its documented 64 bytes.
 * The output buffers have exactly their documented sizes, so that an
 * overrun shows under ASan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define ISO_LEN 48
#define WORDS_LEN 64

static void check_formats(int64_t seconds)
{
    char *iso = malloc(ISO_LEN), *words = malloc(WORDS_LEN);
    mcp_duration back = {0, 0};
    mcp_duration_status st;
    size_t n;

    if (iso == NULL || words == NULL)
        abort();
    mcp_duration_format_iso(seconds, iso, ISO_LEN);
    n = strlen(iso);
    if (n == 0 || n >= ISO_LEN - 1)
        abort();
    st = mcp_duration_parse(iso, n, &back);
    if (!(seconds == INT64_MIN && st == MCP_DURATION_OVERFLOW)) {
        if (st != MCP_DURATION_OK || back.seconds != seconds || back.nanos != 0)
            abort();
        if (mcp_duration_is_positive(&back) != (seconds > 0))
            abort();
    }
    mcp_duration_format_words(seconds, words, WORDS_LEN);
    n = strlen(words);
    if (n == 0 || n >= WORDS_LEN - 1)
        abort();
    free(iso);
    free(words);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    mcp_duration d = {-1, -1};
    mcp_duration_status st = mcp_duration_parse(text, size, &d);
    int64_t raw;

    if (mcp_duration_parse(text, size, NULL) != st)
        abort();
    if (mcp_duration_status_text(st) == NULL)
        abort();
    if (st == MCP_DURATION_OK) {
        if (d.nanos < 0 || d.nanos > 999999999)
            abort();
        if (d.nanos == 0)
            check_formats(d.seconds);
    } else if (d.seconds != -1 || d.nanos != -1) {
        abort(); /* on failure *out is left alone */
    }
    if (size >= sizeof(raw)) {
        memcpy(&raw, data, sizeof(raw));
        check_formats(raw);
    }
    return 0;
}
