/*
 * The circuit breaker: closed calls go; a failure opens it for the
 * timeout; a call waiting too long opens it; one probe after the timeout,
 * and none while a call still waits; any success closes it.
 */
#include "unit.h"

#include "breaker.h"

#define T 2000 /* the timeout */

static void test_failure_and_recovery(void)
{
    mcp_breaker b = {0, 0, 0, 0, 0};
    uint64_t k = 0;

    CHECK_INT(mcp_breaker_enter(&b, 0, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 10, T, 0, k), MCP_BREAKER_SAME);
    CHECK_INT(mcp_breaker_enter(&b, 20, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 30, T, 1, k), MCP_BREAKER_OPENED);
    /* Open: refused at once until the timeout has passed. */
    CHECK_INT(mcp_breaker_enter(&b, 31, T, &k), MCP_BREAKER_REFUSE);
    CHECK_INT(mcp_breaker_enter(&b, 30 + T - 1, T, &k), MCP_BREAKER_REFUSE);
    CHECK_INT(b.in_flight, 0);
    /* Then one probe; the others are refused while it runs. */
    CHECK_INT(mcp_breaker_enter(&b, 30 + T, T, &k), MCP_BREAKER_PROBE);
    CHECK_INT(mcp_breaker_enter(&b, 30 + T + 1, T, &k), MCP_BREAKER_REFUSE);
    /* The probe fails: open again, no second "opened". */
    CHECK_INT(mcp_breaker_leave(&b, 40 + T, T, 1, k), MCP_BREAKER_SAME);
    CHECK_INT(mcp_breaker_enter(&b, 41 + T, T, &k), MCP_BREAKER_REFUSE);
    /* The next probe succeeds: closed, calls go. */
    CHECK_INT(mcp_breaker_enter(&b, 40 + 2 * T, T, &k), MCP_BREAKER_PROBE);
    CHECK_INT(mcp_breaker_leave(&b, 41 + 2 * T, T, 0, k), MCP_BREAKER_CLOSED);
    CHECK_INT(mcp_breaker_enter(&b, 42 + 2 * T, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 43 + 2 * T, T, 0, k), MCP_BREAKER_SAME);
    CHECK_INT(b.in_flight, 0);
}

static void test_stall(void)
{
    mcp_breaker b = {0, 0, 0, 0, 0};
    uint64_t k = 0;

    /* A call that never returns (a paused store without read timeout):
     * calls within the timeout join it, the first after it opens. */
    CHECK_INT(mcp_breaker_enter(&b, 0, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_enter(&b, T, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_enter(&b, T + 1, T, &k), MCP_BREAKER_STALLED);
    CHECK_INT(b.in_flight, 2);
    CHECK_INT(mcp_breaker_enter(&b, T + 2, T, &k), MCP_BREAKER_REFUSE);
    /* Long after the timeout: no probe while calls still wait. */
    CHECK_INT(mcp_breaker_enter(&b, 100 * T, T, &k), MCP_BREAKER_REFUSE);
    CHECK_INT(b.in_flight, 2);
    /* The store resumes: the waiting calls answer, the first closes it. */
    CHECK_INT(mcp_breaker_leave(&b, 100 * T + 1, T, 0, k), MCP_BREAKER_CLOSED);
    CHECK_INT(mcp_breaker_leave(&b, 100 * T + 2, T, 0, k), MCP_BREAKER_SAME);
    CHECK_INT(mcp_breaker_enter(&b, 100 * T + 3, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 100 * T + 4, T, 0, k), MCP_BREAKER_SAME);
}

static void test_progress(void)
{
    mcp_breaker b = {0, 0, 0, 0, 0};
    uint64_t k = 0;

    /* Busy but answering: calls overlap all the time, each ends within
     * the timeout, and the breaker never opens. */
    CHECK_INT(mcp_breaker_enter(&b, 0, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_enter(&b, T / 2, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, T, T, 0, k), MCP_BREAKER_SAME);
    CHECK_INT(mcp_breaker_enter(&b, 2 * T, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 2 * T + 1, T, 0, k), MCP_BREAKER_SAME);
    CHECK_INT(mcp_breaker_enter(&b, 2 * T + 2, T, &k), MCP_BREAKER_GO);
    CHECK_INT(b.open, 0);
    /* A leave without an enter never makes the count negative. */
    b.in_flight = 0;
    CHECK_INT(mcp_breaker_leave(&b, 3 * T, T, 0, k), MCP_BREAKER_SAME);
    CHECK_INT(b.in_flight, 0);
}

static void test_stale(void)
{
    mcp_breaker b = {0, 0, 0, 0, 0};
    uint64_t old = 0, k = 0;

    /* A call sent during an outage, and another: the second fails and
     * opens it; a probe succeeds and closes it; then the first, sent
     * before the store came back, fails late.  It opens nothing. */
    CHECK_INT(mcp_breaker_enter(&b, 0, T, &old), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_enter(&b, 1, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 2, T, 1, k), MCP_BREAKER_OPENED);
    CHECK_INT(mcp_breaker_enter(&b, 2 + T, T, &k), MCP_BREAKER_REFUSE);
    b.in_flight = 0; /* the first is held elsewhere for this test */
    CHECK_INT(mcp_breaker_enter(&b, 2 + T, T, &k), MCP_BREAKER_PROBE);
    CHECK_INT(mcp_breaker_leave(&b, 3 + T, T, 0, k), MCP_BREAKER_CLOSED);
    b.in_flight = 1;
    CHECK_INT(mcp_breaker_leave(&b, 4 + T, T, 1, old), MCP_BREAKER_SAME);
    CHECK_INT(b.open, 0);
    CHECK_INT(b.in_flight, 0);
    /* A call of this epoch that fails opens it again. */
    CHECK_INT(mcp_breaker_enter(&b, 5 + T, T, &k), MCP_BREAKER_GO);
    CHECK_INT(mcp_breaker_leave(&b, 6 + T, T, 1, k), MCP_BREAKER_OPENED);
}

int main(void)
{
    test_failure_and_recovery();
    test_stall();
    test_progress();
    test_stale();
    return UNIT_DONE("breaker");
}
