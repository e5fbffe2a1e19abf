/*
 * A circuit breaker for a store that may stop answering: the decisions
 * alone, as a state the caller keeps and serialises (one per process,
 * under a mutex).  No httpd header, no clock: times are given.
 *
 * Closed, every call goes.  It opens when a call fails, or when a call
 * has been waiting longer than the timeout.  Open, calls are refused at
 * once for the timeout; then, once no call is still waiting, one call
 * tries again (a probe), and the success of any call closes it.  A call
 * that began before the breaker last closed belongs to the outage before:
 * its failure opens nothing.
 */
#ifndef MCP_BREAKER_H
#define MCP_BREAKER_H

#include <stdint.h>

typedef struct {
    int open;
    int64_t retry_at;   /* open: no probe before */
    int in_flight;      /* calls let through and not yet ended */
    int64_t progress;   /* the last call that ended, or the first that
                           began when none was in flight */
    uint64_t epoch;     /* how many times it closed */
} mcp_breaker;

typedef enum {
    MCP_BREAKER_GO,      /* closed: call */
    MCP_BREAKER_PROBE,   /* open: this call tries again (afresh) */
    MCP_BREAKER_REFUSE,  /* open: answer without calling */
    MCP_BREAKER_STALLED  /* a call waits too long: now open, refuse */
} mcp_breaker_verdict;

typedef enum {
    MCP_BREAKER_SAME,
    MCP_BREAKER_OPENED,  /* this failure opened it */
    MCP_BREAKER_CLOSED   /* this success closed it */
} mcp_breaker_change;

/* Before a call at time now.  GO and PROBE count the call in flight and
 * give it a ticket: end it with mcp_breaker_leave(). */
mcp_breaker_verdict mcp_breaker_enter(mcp_breaker *b, int64_t now,
                                      int64_t timeout, uint64_t *ticket);

/* After a call that enter() let through, with its ticket; failed: the
 * store failed. */
mcp_breaker_change mcp_breaker_leave(mcp_breaker *b, int64_t now,
                                     int64_t timeout, int failed,
                                     uint64_t ticket);

#endif /* MCP_BREAKER_H */
