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

#define MUTEX_ID "mcp-credentials-rate"
#define DEFAULT_CACHE "shmcb"

/*
 * Process-wide, written in post_config (single-threaded, before any child
 * exists) and in child_init (before the child's threads start), only read
 * by request threads after that.  The cache data itself is shared between
 * processes and guarded by the global mutex.
 */
static struct {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;  /* NULL when the provider is MP-safe */
} cache;

typedef struct {
    apr_uint64_t window;        /* start of the counting window, seconds */
    apr_uint32_t count;
} counter;

const char *mcp_set_mint_rate(cmd_parms *cmd, void *dirconf, const char *arg)
{
    mcp_dir_conf *conf = dirconf;
    const char *slash = ap_strchr_c(arg, '/');
    char *end;
    apr_int64_t n, period;
    const char *err;

    if (!strcasecmp(arg, "off")) {
        conf->mint_rate = 0;
        conf->mint_rate_set = 1;
        return NULL;
    }
    if (!slash)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not N/PERIOD (e.g. 10/1h) or off",
                            cmd->cmd->name, arg);
    n = apr_strtoi64(arg, &end, 10);
    if (end != slash || n < 1 || n > 1000000)
        return apr_psprintf(cmd->pool,
                            "%s: the count in '%s' must be from 1 to 1000000",
                            cmd->cmd->name, arg);
    err = mcp_parse_max_lifetime(cmd->pool, cmd->cmd->name, slash + 1,
                                 &period);
    if (err)
        return err;
    if (period > 86400 * 7)
        return apr_psprintf(cmd->pool, "%s: the period is at most 7 days",
                            cmd->cmd->name);
    conf->mint_rate = (int)n;
    conf->mint_period = period;
    conf->mint_rate_set = 1;
    return NULL;
}

const char *mcp_set_rate_cache(cmd_parms *cmd, void *dummy, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    (void)dummy;
    if (cmd->server->is_virtual)
        return apr_psprintf(cmd->pool,
                            "%s: one cache serves every server: set it in "
                            "the main server",
                            cmd->cmd->name);
    conf->rate_cache = arg;
    return NULL;
}

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
    static const struct ap_socache_hints hints = {64, sizeof(counter), 60};
    mcp_server_conf *conf = mcp_server_config(s);
    const char *spec = conf->rate_cache ? conf->rate_cache : DEFAULT_CACHE;
    const char *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, sep - spec) : spec;
    const char *err;
    apr_status_t rv;

    /* The first run of post_config only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (conf->rate_cache && !strcasecmp(conf->rate_cache, "none"))
        return OK;
    cache.provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!cache.provider) {
        if (conf->rate_cache) {
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
    if (cache.provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&cache.mutex, NULL, MUTEX_ID, NULL, s,
                                    pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "mcp_credentials: cannot create the rate-limit "
                         "mutex");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    rv = cache.provider->init(cache.instance, MUTEX_ID, &hints, s, pconf);
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
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mcp_credentials: cannot attach the rate-limit mutex; "
                     "minting is not rate-limited in this process");
        cache.mutex = NULL;
        cache.instance = NULL;
    }
}

/* Counts one mint for the user.  Returns 0, or the seconds until the user
 * may mint again. */
apr_int64_t mcp_ratelimit_take(request_rec *r, const mcp_dir_conf *dconf)
{
    int limit = dconf->mint_rate_set ? dconf->mint_rate : MCP_DEFAULT_RATE;
    apr_int64_t period =
        dconf->mint_rate_set ? dconf->mint_period : MCP_DEFAULT_RATE_PERIOD;
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_uint64_t window = (apr_uint64_t)(now - now % period);
    const char *key;
    counter c;
    unsigned int len = sizeof(c);
    apr_int64_t wait = 0;

    if (!limit || !cache.instance)
        return 0;
    key = apr_pstrcat(r->pool, "mint|", r->server->server_hostname
                                            ? r->server->server_hostname
                                            : "",
                      "|", r->user, NULL);
    if (cache.mutex && apr_global_mutex_lock(cache.mutex) != APR_SUCCESS)
        return 0;
    if (cache.provider->retrieve(cache.instance, r->server,
                                 (const unsigned char *)key, strlen(key),
                                 (unsigned char *)&c, &len,
                                 r->pool) != APR_SUCCESS ||
        len != sizeof(c) || c.window != window) {
        c.window = window;
        c.count = 0;
    }
    if (c.count >= (apr_uint32_t)limit) {
        wait = (apr_int64_t)window + period - now;
    }
    else {
        c.count++;
        cache.provider->store(cache.instance, r->server,
                              (const unsigned char *)key, strlen(key),
                              apr_time_from_sec(window + period),
                              (unsigned char *)&c, sizeof(c), r->pool);
    }
    if (cache.mutex)
        apr_global_mutex_unlock(cache.mutex);
    return wait;
}
