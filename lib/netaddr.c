/*
 * Private networks by address (see netaddr.h).
 */
#include "netaddr.h"

#include <string.h>

static int v4_private(const unsigned char *a)
{
    return a[0] == 127                                  /* loopback */
           || a[0] == 10                                /* RFC 1918 */
           || (a[0] == 172 && (a[1] & 0xf0) == 16)      /* 172.16/12 */
           || (a[0] == 192 && a[1] == 168)              /* 192.168/16 */
           || (a[0] == 100 && (a[1] & 0xc0) == 64)      /* RFC 6598 */
           || (a[0] == 169 && a[1] == 254);             /* link-local */
}

int mcp_addr_is_private(const unsigned char *addr, size_t len)
{
    static const unsigned char loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

    if (!addr)
        return 0;
    if (len == 4)
        return v4_private(addr);
    if (len != 16)
        return 0;
    if (!memcmp(addr, loopback6, 16))
        return 1;
    if (!memcmp(addr, mapped, 12))
        return v4_private(addr + 12);
    return (addr[0] & 0xfe) == 0xfc                         /* fc00::/7 */
           || (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80); /* fe80::/10 */
}
