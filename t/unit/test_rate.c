/*
 * Rate counters: keys of fixed size whatever the parts, records that do
 * not depend on the compiler's padding, windows that only time moves.
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

static void test_records(void)
{
    mcp_rate_counter c = {UINT64_C(0x0102030405060708), 0x0a0b0c0d}, d;
    unsigned char rec[MCP_RATE_RECORD_LEN];
    static const unsigned char want[MCP_RATE_RECORD_LEN] = {
        1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d};

    mcp_rate_encode(&c, rec);
    CHECK(memcmp(rec, want, sizeof(rec)) == 0);
    CHECK_INT(mcp_rate_decode(rec, sizeof(rec), &d), 0);
    CHECK(d.window == c.window);
    CHECK(d.count == c.count);
    CHECK_INT(mcp_rate_decode(rec, sizeof(rec) - 1, &d), -1);
    CHECK_INT(mcp_rate_decode(rec, 16, &d), -1);
}

static void test_take(void)
{
    mcp_rate_counter c = {0, 0};
    int64_t now = 7200 + 100;

    /* 3 per hour: three pass, the fourth waits for the window's end. */
    CHECK_INT(mcp_rate_take(&c, 0, now, 3, 3600), 0);
    CHECK_INT(c.window, 7200);
    CHECK_INT(c.count, 1);
    CHECK_INT(mcp_rate_take(&c, 1, now, 3, 3600), 0);
    CHECK_INT(mcp_rate_take(&c, 1, now + 10, 3, 3600), 0);
    CHECK_INT(mcp_rate_take(&c, 1, now + 20, 3, 3600), 3600 - 120);
    CHECK_INT(c.count, 3);
    /* The next window starts afresh. */
    CHECK_INT(mcp_rate_take(&c, 1, 10800, 3, 3600), 0);
    CHECK_INT(c.window, 10800);
    CHECK_INT(c.count, 1);
    /* A stored window later than now (the clock went back) is no reason
     * to start again: counting goes on there. */
    c.window = 14400;
    c.count = 3;
    CHECK(mcp_rate_take(&c, 1, 10900, 3, 3600) > 0);
    CHECK_INT(c.count, 3);
    /* A limit of 1 and a nonsense period: nothing slips through. */
    c.count = 0;
    c.window = 0;
    CHECK_INT(mcp_rate_take(&c, 0, 50, 1, 60), 0);
    CHECK_INT(mcp_rate_take(&c, 1, 51, 1, 60), 9);
    CHECK(mcp_rate_take(&c, 0, 50, 1, 0) > 0);
}

int main(void)
{
    test_keys();
    test_records();
    test_take();
    return UNIT_DONE("rate");
}
