/*
 * Private addresses: the edges of every range, both families, mapped
 * IPv4, and lengths that are no address.
 */
#include "unit.h"

#include <arpa/inet.h>

#include "netaddr.h"

static int v4(const char *text)
{
    unsigned char a[4];
    CHECK_INT(inet_pton(AF_INET, text, a), 1);
    return mcp_addr_is_private(a, sizeof(a));
}

static int v6(const char *text)
{
    unsigned char a[16];
    CHECK_INT(inet_pton(AF_INET6, text, a), 1);
    return mcp_addr_is_private(a, sizeof(a));
}

static void test_ipv4(void)
{
    CHECK_INT(v4("127.0.0.1"), 1);
    CHECK_INT(v4("127.255.255.254"), 1);
    CHECK_INT(v4("10.0.0.5"), 1);
    CHECK_INT(v4("9.255.255.255"), 0);
    CHECK_INT(v4("11.0.0.0"), 0);
    CHECK_INT(v4("172.16.0.1"), 1);
    CHECK_INT(v4("172.31.255.255"), 1);
    CHECK_INT(v4("172.15.255.255"), 0);
    CHECK_INT(v4("172.32.0.0"), 0);
    CHECK_INT(v4("192.168.1.1"), 1);
    CHECK_INT(v4("192.169.0.1"), 0);
    CHECK_INT(v4("100.64.0.1"), 1);
    CHECK_INT(v4("100.127.255.255"), 1);
    CHECK_INT(v4("100.128.0.0"), 0);
    CHECK_INT(v4("100.63.255.255"), 0);
    CHECK_INT(v4("169.254.1.1"), 1);
    CHECK_INT(v4("169.253.1.1"), 0);
    CHECK_INT(v4("203.0.113.5"), 0);
    CHECK_INT(v4("8.8.8.8"), 0);
    CHECK_INT(v4("0.0.0.0"), 0);
    CHECK_INT(v4("255.255.255.255"), 0);
}

static void test_ipv6(void)
{
    CHECK_INT(v6("::1"), 1);
    CHECK_INT(v6("::"), 0);
    CHECK_INT(v6("::2"), 0);
    CHECK_INT(v6("fc00::1"), 1);
    CHECK_INT(v6("fdff:ffff::1"), 1);
    CHECK_INT(v6("fe00::1"), 0);
    CHECK_INT(v6("fe80::1"), 1);
    CHECK_INT(v6("febf::1"), 1);
    CHECK_INT(v6("fec0::1"), 0);
    CHECK_INT(v6("2001:db8::1"), 0);
    CHECK_INT(v6("::ffff:10.1.2.3"), 1);
    CHECK_INT(v6("::ffff:127.0.0.1"), 1);
    CHECK_INT(v6("::ffff:8.8.8.8"), 0);
    /* IPv4-compatible (deprecated) is not mapped: a public IPv6. */
    CHECK_INT(v6("::10.1.2.3"), 0);
}

static void test_lengths(void)
{
    static const unsigned char ten[16] = {10};
    CHECK_INT(mcp_addr_is_private(NULL, 4), 0);
    CHECK_INT(mcp_addr_is_private(ten, 0), 0);
    CHECK_INT(mcp_addr_is_private(ten, 3), 0);
    CHECK_INT(mcp_addr_is_private(ten, 5), 0);
    CHECK_INT(mcp_addr_is_private(ten, 4), 1);
    CHECK_INT(mcp_addr_is_private(ten, 15), 0);
}

int main(void)
{
    test_ipv4();
    test_ipv6();
    test_lengths();
    return UNIT_DONE("netaddr");
}
