/*
 * libFuzzer target for lib/breaker.c.  The input is a sequence of calls:
 * each byte enters a call or ends one (succeeded or failed) and moves the
 * clock.  What must hold, whatever the order:
 *   - calls in flight never go negative, and only GO and PROBE add one;
 *   - GO only when closed; PROBE only when open, past the retry time and
 *     with no call in flight; REFUSE only when open;
 *   - STALLED only when a call has been in flight longer than the timeout,
 *     and it leaves the breaker open;
 *   - a call of the current epoch: a failure leaves it open, a success
 *     closed; OPENED and CLOSED only when the state changed; a call that
 *     began before the last close changes nothing but the count;
 *   - tickets are the epoch at the call's start.
 */
#include <stdint.h>
#include <stdlib.h>

#include "breaker.h"

#define TIMEOUT 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcp_breaker b = {0, 0, 0, 0, 0};
    uint64_t tickets[256];
    size_t n_tickets = 0;
    int64_t now = 0;
    size_t i;

    for (i = 0; i < size; i++) {
        mcp_breaker before = b;
        now += data[i] >> 3;
        switch (data[i] & 3) {
        case 0:
        case 1: {
            uint64_t ticket = UINT64_MAX;
            mcp_breaker_verdict v;
            if (n_tickets == sizeof(tickets) / sizeof(tickets[0]))
                break; /* the harness holds no more calls */
            v = mcp_breaker_enter(&b, now, TIMEOUT, &ticket);
            if ((v == MCP_BREAKER_GO || v == MCP_BREAKER_PROBE) &&
                ticket != b.epoch)
                abort();
            if (v == MCP_BREAKER_GO || v == MCP_BREAKER_PROBE)
                tickets[n_tickets++] = ticket;
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
            int failed = (data[i] & 3) == 3, current;
            mcp_breaker_change c;
            uint64_t ticket;
            if (!n_tickets)
                break;
            /* Calls end in any order: the byte picks which. */
            {
                size_t k = (size_t)(data[i] >> 2) % n_tickets;
                ticket = tickets[k];
                tickets[k] = tickets[--n_tickets];
            }
            current = ticket == b.epoch;
            c = mcp_breaker_leave(&b, now, TIMEOUT, failed, ticket);
            if (b.in_flight != before.in_flight - 1)
                abort();
            if (!current &&
                (c != MCP_BREAKER_SAME || b.open != before.open ||
                 b.epoch != before.epoch))
                abort();
            if (current && b.open != failed)
                abort();
            if (current &&
                ((c == MCP_BREAKER_OPENED) != (failed && !before.open) ||
                 (c == MCP_BREAKER_CLOSED) != (!failed && before.open)))
                abort();
        }
        }
        if (b.in_flight < 0)
            abort();
    }
    return 0;
}
