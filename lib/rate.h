/*
 * Fixed-window rate counters, as stored in a shared object cache: the key
 * of a counter, its record, and the decision to count one more event.
 * No httpd header; the caller stores and retrieves the records and
 * serialises the read-modify-write of one counter.
 */
#ifndef MCP_RATE_H
#define MCP_RATE_H

#include <stddef.h>
#include <stdint.h>

/* A key is a SHA-256 digest: short enough for every socache provider
 * (memcache and redis take about 115 bytes of key), whatever the user
 * name, and no part of it can be confused with another. */
#define MCP_RATE_KEY_LEN 32

/* A record: the window's start (8 bytes) and the count (4), big-endian. */
#define MCP_RATE_RECORD_LEN 12

typedef struct {
    uint64_t window; /* start of the counting window, seconds */
    uint32_t count;
} mcp_rate_counter;

/* The key of the counter named by parts (each part is taken with its
 * length, so ("ab","c") and ("a","bc") differ).  Returns 0, or -1 when
 * the digest cannot be computed (the caller must then not count). */
int mcp_rate_key(const char *const *parts, size_t n_parts,
                 unsigned char key[MCP_RATE_KEY_LEN]);

void mcp_rate_encode(const mcp_rate_counter *c,
                     unsigned char out[MCP_RATE_RECORD_LEN]);

/* Returns 0, or -1 when the bytes are not a record. */
int mcp_rate_decode(const unsigned char *in, size_t len, mcp_rate_counter *c);

/* Counts one event at time now against limit events per period seconds
 * (windows start at multiples of period).  c holds the stored counter when
 * have is 1.  Returns 0 when the event is allowed (c is then the counter
 * to store), or the seconds until the window ends (c unchanged).  A stored
 * window later than now's (a clock that went back) keeps counting there:
 * nothing but time passing starts a new window. */
int64_t mcp_rate_take(mcp_rate_counter *c, int have, int64_t now,
                      uint32_t limit, int64_t period);

#endif /* MCP_RATE_H */
