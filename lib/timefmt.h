/*
 * RFC 3339 date-times.  No httpd header.
 */
#ifndef MCP_TIMEFMT_H
#define MCP_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" (the "T" and "Z" may
 * be lower case; fraction of 1-9 digits, truncated; seconds 00-59, a leap
 * second 60 is read as 59) into seconds since the epoch (negative before
 * 1970).  Years 0001-9999; days checked against the month and leap years.
 * Returns 0, or -1 when the text is not such a date-time.
 */
int mcp_rfc3339_parse(const char *text, size_t len, int64_t *epoch);

/* "YYYY-MM-DDTHH:MM:SSZ" for a time in years 0001-9999; out needs 21 bytes.
 * Returns -1 (and writes "") outside that range. */
int mcp_rfc3339_format_utc(int64_t epoch, char *out, size_t outlen);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t mcp_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif /* MCP_TIMEFMT_H */
