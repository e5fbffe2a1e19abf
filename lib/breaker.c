/*
 * The circuit breaker's decisions (see breaker.h).
 */
#include "breaker.h"

mcp_breaker_verdict mcp_breaker_enter(mcp_breaker *b, int64_t now,
                                      int64_t timeout, uint64_t *ticket)
{
    mcp_breaker_verdict v;

    if (b->open && (now < b->retry_at || b->in_flight > 0)) {
        /* Failing fast; and while a call still waits on the store, no
         * other joins it. */
        return MCP_BREAKER_REFUSE;
    }
    if (b->open) {
        /* This call tries again; the others keep failing fast until it
         * answers or another timeout has passed. */
        b->retry_at = now + timeout;
        v = MCP_BREAKER_PROBE;
    }
    else if (b->in_flight > 0 && now - b->progress > timeout) {
        b->open = 1;
        b->retry_at = now + timeout;
        return MCP_BREAKER_STALLED;
    }
    else {
        v = MCP_BREAKER_GO;
    }
    if (b->in_flight++ == 0)
        b->progress = now;
    *ticket = b->epoch;
    return v;
}

mcp_breaker_change mcp_breaker_leave(mcp_breaker *b, int64_t now,
                                     int64_t timeout, int failed,
                                     uint64_t ticket)
{
    if (b->in_flight > 0)
        b->in_flight--;
    b->progress = now;
    if (ticket != b->epoch) {
        /* Sent before the store came back (a read that timed out on a
         * connection of the outage): it says nothing of the store now. */
        return MCP_BREAKER_SAME;
    }
    if (failed) {
        int was_open = b->open;
        b->open = 1;
        b->retry_at = now + timeout;
        return was_open ? MCP_BREAKER_SAME : MCP_BREAKER_OPENED;
    }
    if (b->open) {
        b->open = 0;
        b->epoch++;
        return MCP_BREAKER_CLOSED;
    }
    return MCP_BREAKER_SAME;
}
