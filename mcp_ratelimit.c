/*
 * Rate limits: per user for minting (one RSA signature costs
 * milliseconds, so an unlimited endpoint is a CPU lever for any signed-in
 * user), per address for client registration.  Counters live in the
 * module's store (mcp_store.c), so every child sees the same count.
 */

#include "mcp_module.h"

#include "rate.h"

/* What a client is told to wait when the counter cannot be kept. */
#define UNAVAILABLE_RETRY "30"

static int unavailable(request_rec *r, apr_status_t rv, const char *what,
                       const char *who, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  "cannot %s: the rate-limit counter of %s '%s' %s", what,
                  !strcmp(what, "mint") ? "user" : "address",
                  ap_escape_logitem(r->pool, who), why);
    apr_table_setn(r->err_headers_out, "Retry-After", UNAVAILABLE_RETRY);
    return HTTP_SERVICE_UNAVAILABLE;
}

/* Counts one event of who (a user, an address) against rate.  Returns OK
 * with *wait 0 or the seconds to wait, or 503 when the count cannot be
 * kept (logged; fail closed). */
static int take(request_rec *r, const mcp_mint_rate *rate, const char *what,
                const char *who, apr_int64_t *wait)
{
    int limit = rate->n;
    apr_int64_t period = rate->period;
    apr_int64_t now = apr_time_sec(apr_time_now());
    unsigned char key[MCP_RATE_KEY_LEN], rec[MCP_RATE_RECORD_LEN];
    unsigned int len = sizeof(rec);
    const char *parts[5];
    mcp_rate_counter c = {0, 0};
    apr_status_t rv;
    int have = 0, status = OK;

    *wait = 0;
    if (!limit || !mcp_store_exists())
        return OK;
    /* What the limit belongs to (server, the directive's place, its
     * numbers) and whom it counts: a digest, whatever the lengths. */
    parts[0] = r->server->server_hostname;
    parts[1] = apr_psprintf(r->pool, "%u", (unsigned)r->server->port);
    parts[2] = rate->scope;
    parts[3] = apr_psprintf(r->pool, "%d/%" APR_INT64_T_FMT, limit, period);
    parts[4] = who;
    if (mcp_rate_key(parts, 5, key) != 0)
        return unavailable(r, APR_EGENERAL, what, who,
                           "has no key (digest failed)");

    if ((rv = mcp_store_lock()) != APR_SUCCESS)
        return unavailable(r, rv, what, who, "cannot be locked");
    rv = mcp_store_get(r, key, sizeof(key), rec, &len);
    if (rv == APR_SUCCESS) {
        if (mcp_rate_decode(rec, len, &c) != 0) {
            status = unavailable(r, APR_EGENERAL, what, who,
                                 "holds a malformed record");
            goto unlock;
        }
        have = 1;
    }
    else if (rv != APR_NOTFOUND) {
        status = unavailable(r, rv, what, who, "cannot be read");
        goto unlock;
    }
    *wait = mcp_rate_take(&c, have, now, (apr_uint32_t)limit, period);
    if (!*wait) {
        mcp_rate_encode(&c, rec);
        /* One second past the window's end: a provider that counts whole
         * seconds to expiry (memcache) never sees zero. */
        rv = mcp_store_put(r, key, sizeof(key),
                           (apr_int64_t)c.window + period + 1, rec,
                           sizeof(rec));
        if (rv != APR_SUCCESS)
            status = unavailable(r, rv, what, who, "cannot be stored");
    }
unlock:
    mcp_store_unlock();
    return status;
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
