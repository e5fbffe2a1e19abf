/*
 * Rate limits: per user for minting (one RSA signature costs
 * milliseconds, so an unlimited endpoint is a CPU lever for any signed-in
 * user), per address for client registration.  Counters live in the
 * module's store (mcp_store.c), so every child sees the same count.
 */

#include "mcp_module.h"

#include "rate.h"

static int unavailable(request_rec *r, apr_status_t rv, const char *what,
                       const char *who, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                  "refused to %s: the rate-limit counter of %s '%s' %s", what,
                  !strcmp(what, "mint") ? "user" : "address",
                  ap_escape_logitem(r->pool, who), why);
    mcp_store_retry_after(r);
    return HTTP_SERVICE_UNAVAILABLE;
}

/* Counts one event of who (a user, an address) against rate.  Returns OK
 * with *wait 0 or the seconds to wait, or 503 when the count cannot be
 * kept (logged; fail closed).  The store counts atomically, on every node
 * of a farm (mcp_store.c states the bound). */
static int take(request_rec *r, const mcp_mint_rate *rate, const char *what,
                const char *who, apr_int64_t *wait)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_int64_t window = mcp_rate_window(now, rate->period);
    unsigned char key[MCP_RATE_KEY_LEN];
    const char *parts[6];
    apr_uint32_t count = 0;
    apr_status_t rv;

    *wait = 0;
    if (!rate->n || !mcp_store_exists())
        return OK;
    if (window < 0)
        return unavailable(r, APR_EGENERAL, what, who, "has no window");
    /* What the limit belongs to (the server: its public URL, the same on
     * every node of a farm, or its name; the directive's place; its
     * numbers), whom it counts and in which window: a digest, whatever
     * the lengths. */
    parts[0] = sconf->public_url ? sconf->public_url
                                 : r->server->server_hostname;
    parts[1] = sconf->public_url
                   ? ""
                   : apr_psprintf(r->pool, "%u", (unsigned)r->server->port);
    parts[2] = rate->scope;
    parts[3] = apr_psprintf(r->pool, "%d/%" APR_INT64_T_FMT, rate->n,
                            rate->period);
    parts[4] = who;
    parts[5] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, window);
    if (mcp_rate_key(parts, 6, key) != 0)
        return unavailable(r, APR_EGENERAL, what, who,
                           "has no key (digest failed)");
    /* One second past the window's end: a store that counts whole seconds
     * to expiry never drops it early. */
    rv = mcp_store_count(r, key, sizeof(key), window + rate->period + 1,
                         (apr_uint32_t)rate->n + 1, &count);
    if (rv != APR_SUCCESS)
        return unavailable(r, rv, what, who, "cannot be counted");
    *wait = mcp_rate_wait(count, (apr_uint32_t)rate->n, window,
                          rate->period, now);
    return OK;
}

int mcp_ratelimit_take(request_rec *r, apr_int64_t *wait)
{
    return take(r, &mcp_dir_config(r)->mint_rate, "mint", r->user, wait);
}

int mcp_ratelimit_register(request_rec *r, apr_int64_t *wait)
{
    return take(r, &mcp_server_config(r->server)->registration_rate,
                "register", r->useragent_ip, wait);
}
