/*
 * Durations as Spring Boot reads them (java.time.Duration's ISO-8601 form or
 * the simple "<long><unit>" form).  No httpd header.
 */
#ifndef MCP_DURATION_H
#define MCP_DURATION_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t seconds; /* whole seconds, may be negative */
    int32_t nanos;   /* 0..999999999, added to seconds */
} mcp_duration;

typedef enum {
    MCP_DURATION_OK = 0,
    MCP_DURATION_EMPTY,    /* nothing to parse */
    MCP_DURATION_SYNTAX,   /* not a duration */
    MCP_DURATION_CALENDAR, /* years, months or weeks: not a fixed span */
    MCP_DURATION_OVERFLOW  /* does not fit in 64-bit seconds */
} mcp_duration_status;

/*
 * Parses text (len bytes, not necessarily NUL-terminated):
 *   ISO-8601 as java.time.Duration: [+-]?P(nD)?(T(nH)?(nM)?(n([.,]f{0,9})?S)?)?
 *     case-insensitive, each number may carry its own sign, days are 24 h,
 *     at least one part, "T" must be followed by a part.  P1Y, P1M, P1W:
 *     MCP_DURATION_CALENDAR.  As in Java, the fraction takes the sign of
 *     the seconds ("PT-0.5S" is minus half a second) and may be empty
 *     ("PT1.S").
 *   simple: [+-]?<digits><unit> with unit ns, us, ms, s, m, h, d (lower
 *     case as Spring prints it; upper case accepted too); no combinations.
 *     No unit means milliseconds, as for a Spring Duration property.
 *   Leading and trailing ASCII spaces are ignored.
 * On failure *out is left alone; out may be NULL to only check the text.
 */
mcp_duration_status mcp_duration_parse(const char *text, size_t len,
                                       mcp_duration *out);

/* A sentence for a status ("years, months and weeks are not allowed: ..."). */
const char *mcp_duration_status_text(mcp_duration_status st);

/* 1 when the duration is greater than zero. */
int mcp_duration_is_positive(const mcp_duration *d);

/* ISO-8601 text of a whole number of seconds, as Java prints it with days
 * kept: "P30D", "PT12H", "P1DT2H3M4S", "PT0S"; a negative one as
 * "-P1DT2H".  out needs 48 bytes (a shorter buffer truncates). */
void mcp_duration_format_iso(int64_t seconds, char *out, size_t outlen);

/* Words for people: "30 days", "12 hours", "1 day 2 hours", "0 seconds",
 * "minus 1 day".  out needs 64 bytes. */
void mcp_duration_format_words(int64_t seconds, char *out, size_t outlen);

#endif /* MCP_DURATION_H */
