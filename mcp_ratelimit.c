/*
 * The per-user mint rate limit: one RSA signature costs milliseconds, so an
 * unlimited endpoint is a CPU lever for any signed-in user.  Counters live
 * in httpd's shared object cache (shmcb on one machine; memcache or redis
 * let several httpd nodes share them), so every child sees the same count.
 */

#include "mcp_module.h"

#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"
#include "apr_global_mutex.h"

#include "rate.h"

#define MUTEX_ID "mcp-credentials-rate"
/* The socache namespace: memcache and redis take at most 14 characters. */
#define CACHE_NAMESPACE "mcp-cred"
/* What a client is told to wait when the counter cannot be kept. */
#define UNAVAILABLE_RETRY "30"

/*
 * Process-wide, written in post_config (single-threaded, before any child
 * exists) and in child_init (before the child's threads start), only read
 * by request threads after that.  The cache data itself is shared between
 * processes.  The global mutex serialises every read-modify-write of a
 * counter on this machine, whatever the provider: even a provider that is
 * safe to call from several processes (memcache, redis) offers no atomic
 * update through socache.
 */
static struct {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
} cache;

int mcp_ratelimit_pre_config(apr_pool_t *pconf)
{
    memset(&cache, 0, sizeof(cache));
    return ap_mutex_register(pconf, MUTEX_ID, NULL, APR_LOCK_DEFAULT, 0) ==
                   APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

static apr_status_t destroy_cache(void *s)
{
    if (cache.instance)
        cache.provider->destroy(cache.instance, s);
    cache.instance = NULL;
    return APR_SUCCESS;
}

int mcp_ratelimit_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                              server_rec *s)
{
    static const struct ap_socache_hints hints = {MCP_RATE_KEY_LEN,
                                                  MCP_RATE_RECORD_LEN, 60};
    mcp_server_conf *conf = mcp_server_config(s);
    const char *spec = conf->rate_cache;
    const char *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, sep - spec) : spec;
    const char *err;
    apr_status_t rv;

    /* The first run of post_config only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (!strcasecmp(spec, "none"))
        return OK;
    cache.provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!cache.provider) {
        if (conf->rate_cache_set) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "MCPCredentialsRateCache: no socache provider '%s' "
                         "(LoadModule mod_socache_%s)",
                         name, name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "mcp_credentials: mod_socache_shmcb is not loaded: "
                     "minting is not rate-limited (MCPCredentialsMintRate)");
        return OK;
    }
    err = cache.provider->create(&cache.instance, sep ? sep + 1 : NULL,
                                 ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "MCPCredentialsRateCache: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&cache.mutex, NULL, MUTEX_ID, NULL, s, pconf,
                                0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mcp_credentials: cannot create the rate-limit mutex");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = cache.provider->init(cache.instance, CACHE_NAMESPACE, &hints, s,
                              pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mcp_credentials: cannot initialise the rate-limit "
                     "cache");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, s, destroy_cache, apr_pool_cleanup_null);
    return OK;
}

void mcp_ratelimit_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (cache.mutex &&
        apr_global_mutex_child_init(&cache.mutex,
                                    apr_global_mutex_lockfile(cache.mutex),
                                    pchild) != APR_SUCCESS) {
        /* Minting fails closed in this process (503), see below. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mcp_credentials: cannot attach the rate-limit mutex; "
                     "this process refuses to mint");
        cache.mutex = NULL;
    }
}

static int unavailable(request_rec *r, apr_status_t rv, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  "cannot mint: the rate-limit counter of user '%s' %s",
                  ap_escape_logitem(r->pool, r->user), what);
    apr_table_setn(r->err_headers_out, "Retry-After", UNAVAILABLE_RETRY);
    return HTTP_SERVICE_UNAVAILABLE;
}

int mcp_ratelimit_take(request_rec *r, apr_int64_t *wait)
{
    const mcp_mint_rate *rate = &mcp_dir_config(r)->mint_rate;
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
    if (!limit || !cache.instance)
        return OK;
    if (!cache.mutex)
        return unavailable(r, APR_EGENERAL, "has no lock in this process");
    /* What the limit belongs to (server, the directive's place, its
     * numbers) and whom it counts: a digest, whatever the lengths. */
    parts[0] = r->server->server_hostname;
    parts[1] = apr_psprintf(r->pool, "%u", (unsigned)r->server->port);
    parts[2] = rate->scope;
    parts[3] = apr_psprintf(r->pool, "%d/%" APR_INT64_T_FMT, limit, period);
    parts[4] = r->user;
    if (mcp_rate_key(parts, 5, key) != 0)
        return unavailable(r, APR_EGENERAL, "has no key (digest failed)");

    if ((rv = apr_global_mutex_lock(cache.mutex)) != APR_SUCCESS)
        return unavailable(r, rv, "cannot be locked");
    rv = cache.provider->retrieve(cache.instance, r->server, key,
                                  sizeof(key), rec, &len, r->pool);
    if (rv == APR_SUCCESS) {
        if (mcp_rate_decode(rec, len, &c) != 0) {
            status = unavailable(r, APR_EGENERAL, "holds a malformed record");
            goto unlock;
        }
        have = 1;
    }
    else if (rv != APR_NOTFOUND) {
        status = unavailable(r, rv, "cannot be read");
        goto unlock;
    }
    *wait = mcp_rate_take(&c, have, now, (apr_uint32_t)limit, period);
    if (!*wait) {
        mcp_rate_encode(&c, rec);
        /* One second past the window's end: a provider that counts whole
         * seconds to expiry (memcache) never sees zero. */
        rv = cache.provider->store(
            cache.instance, r->server, key, sizeof(key),
            apr_time_from_sec((apr_int64_t)c.window + period + 1), rec,
            sizeof(rec), r->pool);
        if (rv != APR_SUCCESS)
            status = unavailable(r, rv, "cannot be stored");
    }
unlock:
    apr_global_mutex_unlock(cache.mutex);
    return status;
}
