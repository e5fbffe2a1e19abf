/*
 * Rate counters: keys of fixed size whatever the parts, windows aligned
 * for every node, and the wait once a count is over the limit.
 */
#include "unit.h"

#include "rate.h"

static void test_keys(void)
{
    char long_user[400];
    const char *a[] = {"srv", "/limited", "alice"};
    const char *b[] = {"srv", "/limite", "dalice"};
    const char *c[] = {"srv", "/limited", long_user};
    unsigned char ka[MCP_RATE_KEY_LEN], kb[MCP_RATE_KEY_LEN],
        kc[MCP_RATE_KEY_LEN], kd[MCP_RATE_KEY_LEN];

    memset(long_user, 'u', sizeof(long_user) - 1);
    long_user[sizeof(long_user) - 1] = '\0';
    CHECK_INT(mcp_rate_key(a, 3, ka), 0);
    CHECK_INT(mcp_rate_key(b, 3, kb), 0);
    CHECK(memcmp(ka, kb, sizeof(ka)) != 0);
    /* A 399-byte user name still makes a 32-byte key, and another one. */
    CHECK_INT(mcp_rate_key(c, 3, kc), 0);
    long_user[398] = 'v';
    CHECK_INT(mcp_rate_key(c, 3, kd), 0);
    CHECK(memcmp(kc, kd, sizeof(kc)) != 0);
    CHECK_INT(mcp_rate_key(a, 3, kd), 0);
    CHECK(memcmp(ka, kd, sizeof(ka)) == 0);
    /* NULL parts read as empty ones. */
    {
        const char *n1[] = {NULL, "x"}, *n2[] = {"", "x"};
        CHECK_INT(mcp_rate_key(n1, 2, ka), 0);
        CHECK_INT(mcp_rate_key(n2, 2, kb), 0);
        CHECK(memcmp(ka, kb, sizeof(ka)) == 0);
    }
}

static void test_windows(void)
{
    int64_t now = 7200 + 100;

    /* Windows start at multiples of the period, whatever the node. */
    CHECK_INT(mcp_rate_window(now, 3600), 7200);
    CHECK_INT(mcp_rate_window(7200, 3600), 7200);
    CHECK_INT(mcp_rate_window(10799, 3600), 7200);
    CHECK_INT(mcp_rate_window(10800, 3600), 10800);
    CHECK_INT(mcp_rate_window(0, 60), 0);
    /* No window for a nonsense period or time. */
    CHECK_INT(mcp_rate_window(now, 0), -1);
    CHECK_INT(mcp_rate_window(now, -5), -1);
    CHECK_INT(mcp_rate_window(-1, 60), -1);
}

static void test_wait(void)
{
    int64_t now = 7200 + 100;

    /* 3 per hour: counts 1 to 3 pass, the fourth waits for the end. */
    CHECK_INT(mcp_rate_wait(1, 3, 7200, 3600, now), 0);
    CHECK_INT(mcp_rate_wait(3, 3, 7200, 3600, now + 10), 0);
    CHECK_INT(mcp_rate_wait(4, 3, 7200, 3600, now + 20), 3600 - 120);
    CHECK_INT(mcp_rate_wait(0xffffffffu, 3, 7200, 3600, now), 3600 - 100);
    /* At the window's last second, or past it (a slow request): 1. */
    CHECK_INT(mcp_rate_wait(4, 3, 7200, 3600, 10799), 1);
    CHECK_INT(mcp_rate_wait(4, 3, 7200, 3600, 10900), 1);
    /* A limit of 1. */
    CHECK_INT(mcp_rate_wait(1, 1, 0, 60, 50), 0);
    CHECK_INT(mcp_rate_wait(2, 1, 0, 60, 51), 9);
    /* No window: nothing passes. */
    CHECK(mcp_rate_wait(1, 3, -1, 60, 50) > 0);
    CHECK(mcp_rate_wait(1, 3, 0, 0, 50) > 0);
}

int main(void)
{
    test_keys();
    test_windows();
    test_wait();
    return UNIT_DONE("rate");
}
