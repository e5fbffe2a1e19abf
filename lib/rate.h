/*
 * Fixed-window rate counters, as kept in a shared store: the key of a
 * counter, the window an event falls in, and the decision once the event
 * is counted.  No httpd header; the store counts (atomically).
 */
#ifndef MCP_RATE_H
#define MCP_RATE_H

#include <stddef.h>
#include <stdint.h>

/* A key is a SHA-256 digest: short enough for every socache provider
 * (memcache and redis take about 115 bytes of key), whatever the user
 * name, and no part of it can be confused with another. */
#define MCP_RATE_KEY_LEN 32

/* The key of the counter named by parts (each part is taken with its
 * length, so ("ab","c") and ("a","bc") differ).  Returns 0, or -1 when
 * the digest cannot be computed (the caller must then not count). */
int mcp_rate_key(const char *const *parts, size_t n_parts,
                 unsigned char key[MCP_RATE_KEY_LEN]);

/* The window now falls in: its start, a multiple of period (> 0), so
 * that every node of a farm counts in the same window; -1 for a period
 * or a time that makes no window.  The window is a part of the
 * counter's key. */
int64_t mcp_rate_window(int64_t now, int64_t period);

/* The decision once an event is counted: count is the window's count with
 * this event.  0 when it is allowed, or the seconds until the window ends
 * (at least 1). */
int64_t mcp_rate_wait(uint32_t count, uint32_t limit, int64_t window,
                      int64_t period, int64_t now);

#endif /* MCP_RATE_H */
