/*
 * libFuzzer target for lib/netaddr.c.  Any bytes, any length: what must
 * hold is that only 4 or 16 bytes can be private, that an IPv4-mapped
 * IPv6 address is judged as its IPv4 address, and that a private IPv4
 * address is in one of the ranges written out here independently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static int reference_v4(const uint8_t *a)
{
    uint32_t v = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) |
                 ((uint32_t)a[2] << 8) | a[3];
    return (v >> 24) == 127 || (v >> 24) == 10 || (v >> 20) == 0xac1 ||
           (v >> 16) == 0xc0a8 || (v >> 22) == (100u << 2 | 1u) ||
           (v >> 16) == 0xa9fe;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int p = mcp_addr_is_private(data, size);

    if (p && size != 4 && size != 16)
        abort();
    if (size == 4 && p != reference_v4(data))
        abort();
    if (size == 16) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(data, mapped, 12) && p != reference_v4(data + 12))
            abort();
    }
    return 0;
}
