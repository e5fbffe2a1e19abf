/*
 * libFuzzer target for lib/breaker.c.  The input is a sequence of calls:
 * each byte enters a call or ends one (succeeded or failed) and moves the
 * clock.  What must hold, whatever the order:
 *   - calls in flight never go negative, and only GO and PROBE add one;
 *   - GO only when closed; PROBE only when open, past the retry time and
 *     with no call in flight; REFUSE only when open;
 *   - STALLED only when a call has been in flight longer than the timeout,
 *     and it leaves the breaker open;
 *   - a failure leaves it open, a success closed; OPENED and CLOSED only
 *     when the state changed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "breaker.h"

#define TIMEOUT 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_breaker b = {0, 0, 0, 0};
    int64_t now = 0;
    size_t i;

    for (i = 0; i < size; i++) {
        mcp_breaker before = b;
        now += data[i] >> 3;
        switch (data[i] & 3) {
        case 0:
        case 1: {
            mcp_breaker_verdict v = mcp_breaker_enter(&b, now, TIMEOUT);
            if (v == MCP_BREAKER_GO &&
                (before.open || b.in_flight != before.in_flight + 1))
                abort();
            if (v == MCP_BREAKER_PROBE &&
                (!before.open || now < before.retry_at ||
                 before.in_flight != 0 || b.in_flight != 1))
                abort();
            if (v == MCP_BREAKER_REFUSE &&
                (!before.open || b.in_flight != before.in_flight))
                abort();
            if (v == MCP_BREAKER_STALLED &&
                (before.open || !b.open || before.in_flight == 0 ||
                 now - before.progress <= TIMEOUT ||
                 b.in_flight != before.in_flight))
                abort();
            break;
        }
        default: {
            int failed = (data[i] & 3) == 3;
            mcp_breaker_change c;
            if (!b.in_flight)
                break;
            c = mcp_breaker_leave(&b, now, TIMEOUT, failed);
            if (b.in_flight != before.in_flight - 1 || b.open != failed)
                abort();
            if ((c == MCP_BREAKER_OPENED) != (failed && !before.open) ||
                (c == MCP_BREAKER_CLOSED) != (!failed && before.open))
                abort();
        }
        }
        if (b.in_flight < 0)
            abort();
    }
    return 0;
}
