/*
 * The module's one shared store: an httpd socache (MCPCredentialsCache,
 * shmcb by default; dbm, memcache or redis where they are loaded) that
 * holds the mint counters and the authorization server's single-use
 * records.  One instance, one global mutex: socache offers no atomic
 * update, so every read-modify-write on this machine happens under the
 * lock, whatever the provider.
 */

#include "mcp_module.h"

#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"
#include "apr_global_mutex.h"

#define MUTEX_ID "mcp-credentials-rate"
/* The longest lifetime memcached reads as seconds from now. */
#define MEMCACHE_RELATIVE_MAX (30 * 86400)
/* The socache namespace: memcache and redis take at most 14 characters. */
#define CACHE_NAMESPACE "mcp-cred"

/*
 * Process-wide, written in post_config (single-threaded, before any child
 * exists) and in child_init (before the child's threads start), only read
 * by request threads after that.  The data itself lives in the provider,
 * shared between processes.
 */
static struct {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
    int lockless;           /* child_init could not attach the mutex */
    int dbm;                /* the provider is mod_socache_dbm */
    int memcache;           /* the provider is mod_socache_memcache */
} store;

int mcp_store_pre_config(apr_pool_t *pconf)
{
    memset(&store, 0, sizeof(store));
    return ap_mutex_register(pconf, MUTEX_ID, NULL, APR_LOCK_DEFAULT, 0) ==
                   APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

static apr_status_t destroy_store(void *s)
{
    if (store.instance)
        store.provider->destroy(store.instance, s);
    store.instance = NULL;
    return APR_SUCCESS;
}

/* Whether any server needs the store: OAuth cannot run without it. */
static int oauth_anywhere(server_rec *s)
{
    for (; s; s = s->next)
        if (mcp_server_config(s)->oauth)
            return 1;
    return 0;
}

int mcp_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                          server_rec *s)
{
    static const struct ap_socache_hints hints = {32, 16, 60};
    mcp_server_conf *conf = mcp_server_config(s);
    const char *spec = conf->cache;
    const char *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, sep - spec) : spec;
    const char *err;
    apr_status_t rv;

    /* The first run of post_config only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (!strcasecmp(spec, "none"))
        return OK;
    store.provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!store.provider) {
        if (conf->cache_set || oauth_anywhere(s)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "MCPCredentialsCache: no socache provider '%s' "
                         "(LoadModule mod_socache_%s)%s",
                         name, name,
                         oauth_anywhere(s) ? "; MCPOAuth On needs it" : "");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "mcp_credentials: mod_socache_shmcb is not loaded: "
                     "minting is not rate-limited (MCPCredentialsMintRate)");
        return OK;
    }
    store.dbm = !strcasecmp(name, "dbm");
    store.memcache = !strcasecmp(name, "memcache");
    err = store.provider->create(&store.instance, sep ? sep + 1 : NULL,
                                 ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "MCPCredentialsCache: %s",
                     err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&store.mutex, NULL, MUTEX_ID, NULL, s, pconf,
                                0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mcp_credentials: cannot create the cache's mutex");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = store.provider->init(store.instance, CACHE_NAMESPACE, &hints, s,
                              pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mcp_credentials: cannot initialise the cache");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, s, destroy_store, apr_pool_cleanup_null);
    return OK;
}

void mcp_store_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (store.mutex &&
        apr_global_mutex_child_init(&store.mutex,
                                    apr_global_mutex_lockfile(store.mutex),
                                    pchild) != APR_SUCCESS) {
        /* Everything that needs the store fails closed in this process. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mcp_credentials: cannot attach the cache's mutex; "
                     "this process refuses to mint and to grant");
        store.lockless = 1;
    }
}

int mcp_store_exists(void)
{
    return store.instance != NULL;
}

apr_status_t mcp_store_lock(void)
{
    if (!store.instance || store.lockless)
        return APR_EGENERAL;
    return apr_global_mutex_lock(store.mutex);
}

void mcp_store_unlock(void)
{
    apr_global_mutex_unlock(store.mutex);
}

apr_status_t mcp_store_get(request_rec *r, const unsigned char *key,
                           unsigned int klen, unsigned char *val,
                           unsigned int *vlen)
{
    apr_status_t rv = store.provider->retrieve(store.instance, r->server, key,
                                               klen, val, vlen, r->pool);
    /* mod_socache_dbm answers a key it never stored with APR_EGENERAL
     * (its DBM returns no value, and it reads that as a damaged one);
     * failures to open or read its file are logged by it and answered
     * with their own status. */
    if (store.dbm && rv == APR_EGENERAL)
        rv = APR_NOTFOUND;
    return rv;
}

apr_status_t mcp_store_put(request_rec *r, const unsigned char *key,
                           unsigned int klen, apr_int64_t expiry_sec,
                           const unsigned char *val, unsigned int vlen)
{
    apr_time_t expiry = apr_time_from_sec(expiry_sec);

    /* mod_socache_memcache hands memcached the seconds left, and memcached
     * reads more than 30 days as an absolute time (a grant of a year
     * would be gone at once).  Past 30 days it gets the absolute time
     * itself, a second late rather than early. */
    if (store.memcache &&
        expiry_sec - apr_time_sec(apr_time_now()) > MEMCACHE_RELATIVE_MAX)
        expiry = apr_time_now() + apr_time_from_sec(expiry_sec + 1);
    return store.provider->store(store.instance, r->server, key, klen,
                                 expiry, (unsigned char *)val, vlen,
                                 r->pool);
}

apr_status_t mcp_store_remove(request_rec *r, const unsigned char *key,
                              unsigned int klen)
{
    return store.provider->remove(store.instance, r->server, key, klen,
                                  r->pool);
}
