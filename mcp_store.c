/*
 * The module's one store (MCPCredentialsCache): mint and registration
 * counters, and the authorization server's single-use records.
 *
 * - shmcb, dbm (or any other socache provider): one machine.  socache
 *   offers no atomic update, so every call and every read-modify-write
 *   happens under a global mutex.  With shmcb and dbm the counters have
 *   an instance of their own (a second segment, a second file), each
 *   under its own mutex: shmcb's subcaches are rings, each write pushes
 *   out the oldest records of its subcache, and a counter is written at
 *   every mint below its cap, so counters among the records would push
 *   out codes and grants.  Any other provider keeps them together.
 * - redis, memcache: shared by a farm, through APR-util's clients
 *   (mcp_store_net.c).  The servers make each call atomic: a take is a
 *   delete whose answer says who removed the record, a count is an
 *   increment.  No mutex: a worker waiting on the network holds nothing
 *   that the others need.
 *
 * A circuit breaker in each process (lib/breaker.c) keeps workers from
 * queueing on a store that has stopped answering: after a failure, or
 * once a call has been waiting longer than MCPCredentialsCacheTimeout,
 * calls fail at once for that long; then, when no call is still waiting,
 * one call tries the store again (with a new network client), and its
 * success, or that of a call that was waiting, closes the breaker.  So a
 * paused store holds at most the calls that reached it within one
 * timeout, and one try at a time.  One line is logged when the store
 * fails and one when it answers again.
 */

#include "mcp_module.h"

#include "ap_mpm.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"
#include "apr_global_mutex.h"
#include "apr_thread_mutex.h"

#include "breaker.h"

#define MUTEX_ID "mcp-credentials-rate"
/* The socache namespace (the network stores use it too, mcp_store_net.c). */
#define CACHE_NAMESPACE "mcp-cred"
/* The counters' own instance: its namespace (which names the provider's
 * default file when no path is given), the suffix after a path given, and
 * the mutex's instance (which names its lock file, if any). */
#define COUNTERS_NAMESPACE "mcp-cred-counters"
#define COUNTERS_SUFFIX ".counters"
#define COUNTERS_MUTEX "counters"
/* A counter's record in a local store: the count, 4 bytes big-endian. */
#define COUNT_LEN 4

/*
 * A network client and the calls that use it.  After an outage the store
 * is tried again with a new one: APR-util keeps the connections of a
 * store that went away in its pool, and marks its servers dead in ways
 * that do not always recover, so the old client is retired and freed once
 * the last call that uses it returns (a call can wait on a paused store).
 */
struct client {
    mcp_netstore *ns;       /* NULL when it could not be made */
    apr_pool_t *pool;
    int users;
    int retired;
};

/* A socache instance and the global mutex every call to it holds. */
struct socache {
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
};

/*
 * Process-wide, written in post_config (single-threaded, before any child
 * exists) and in child_init (before the child's threads start), only read
 * by request threads after that, except the breaker and the network client
 * in use, which the process's thread mutex guards.  The data lives in the
 * provider or the network store, shared between processes.
 */
static struct {
    const char *spec;       /* MCPCredentialsCache, for the log */
    const ap_socache_provider_t *provider;
    struct socache records; /* consents, codes, grants, generations */
    struct socache own_counters;
    struct socache *counters;   /* &own_counters, or &records */
    int lockless;           /* child_init could not attach a mutex */
    int dbm;                /* the provider is mod_socache_dbm */
    int net_kind;           /* MCP_NETSTORE_*, or 0 for a socache */
    const char *net_servers;
    int net_threads;
    apr_pool_t *clients;    /* in children: the network clients' pools */
    struct client *net;     /* in children: the client in use */
    apr_interval_time_t timeout;
    apr_thread_mutex_t *lock;   /* in children: the breaker and net */
    mcp_breaker breaker;
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
    if (store.own_counters.instance)
        store.provider->destroy(store.own_counters.instance, s);
    if (store.records.instance)
        store.provider->destroy(store.records.instance, s);
    store.own_counters.instance = store.records.instance = NULL;
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

/*
 * The counters' instance takes the records' arguments with
 * COUNTERS_SUFFIX after the path: shmcb's "PATH(BYTES)" gives
 * "PATH.counters(BYTES)", a segment of the same size (shmcb uses the path
 * only where it cannot share anonymous memory), dbm's "PATH" a second file
 * "PATH.counters".  No arguments give none: shmcb's default size, and each
 * provider's default file under DefaultRuntimeDir, which the namespace
 * names.
 */
static const char *counters_args(apr_pool_t *p, const char *args)
{
    size_t n = args ? strlen(args) : 0;
    const char *size = n && args[n - 1] == ')' ? strrchr(args, '(') : NULL;

    if (!n)
        return NULL;
    if (!size)
        return apr_pstrcat(p, args, COUNTERS_SUFFIX, NULL);
    return apr_pstrcat(p, apr_pstrmemdup(p, args, size - args),
                       COUNTERS_SUFFIX, size, NULL);
}

/* Creates and initialises one instance of the provider and its mutex;
 * what names it in the log. */
static int socache_open(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                        const char *what, const char *args,
                        const char *namespace,
                        const struct ap_socache_hints *hints,
                        const char *mutex_instance, struct socache *out)
{
    ap_socache_instance_t *instance;
    const char *err;
    apr_status_t rv;

    err = store.provider->create(&instance, args, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "MCPCredentialsCache (%s): %s", what, err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&out->mutex, NULL, MUTEX_ID, mutex_instance,
                                s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mcp_credentials: cannot create the mutex of the "
                     "cache's %s",
                     what);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = store.provider->init(instance, namespace, hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mcp_credentials: cannot initialise the cache's %s",
                     what);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    out->instance = instance;
    return OK;
}

static int socache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                               server_rec *s, const char *name,
                               const char *args)
{
    static const struct ap_socache_hints hints = {32, 16, 60};
    /* A counter is a 32-byte key and a 4-byte count.  shmcb splits a
     * segment between index entries (24 bytes each) and data by these
     * hints as if an entry took no room: told 4, it would give most of
     * 512 KB to entries and keep 75 counters a subcache.  With the entry
     * counted in the value, both run out together: 136 counters in each
     * of the 64 subcaches, 8,704 in all. */
    static const struct ap_socache_hints counter_hints = {32, 4 + 24, 60};
    const mcp_server_conf *conf = mcp_server_config(s);

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
    /* Destroys whichever instances exist when pconf goes (a restart,
     * the end): the segments, dbm's files. */
    apr_pool_cleanup_register(pconf, s, destroy_store, apr_pool_cleanup_null);
    if (socache_open(pconf, ptemp, s, "records", args, CACHE_NAMESPACE,
                     &hints, NULL, &store.records) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (strcasecmp(name, "shmcb") && !store.dbm) {
        store.counters = &store.records;
        return OK;
    }
    store.counters = &store.own_counters;
    return socache_open(pconf, ptemp, s, "counters",
                        counters_args(pconf, args), COUNTERS_NAMESPACE,
                        &counter_hints, COUNTERS_MUTEX, &store.own_counters);
}

int mcp_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                          server_rec *s)
{
    const mcp_server_conf *conf = mcp_server_config(s);
    const char *spec = conf->cache;
    const char *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, sep - spec) : spec;

    /* The first run of post_config only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (!strcasecmp(spec, "none"))
        return OK;
    store.spec = apr_pstrdup(pconf, spec);
    store.timeout = conf->cache_timeout;
    store.net_kind = mcp_netstore_kind(name);
    if (!store.net_kind)
        return socache_post_config(pconf, ptemp, s, name,
                                   sep ? sep + 1 : NULL);
    /* Checked when the directive was read; the clients are made in each
     * child, whose threads share them. */
    store.net_servers = apr_pstrdup(pconf, sep ? sep + 1 : "");
    return OK;
}

/* A new client (its ns NULL when it cannot be made, logged). */
static struct client *new_client(server_rec *s)
{
    apr_pool_t *p;
    struct client *c;
    const char *err;

    if (apr_pool_create(&p, store.clients) != APR_SUCCESS)
        return NULL;
    c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    err = mcp_netstore_open(p, store.net_kind, store.net_servers,
                            store.timeout,
                            store.net_threads > 0 ? store.net_threads : 1,
                            &c->ns);
    if (err) {
        c->ns = NULL;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "MCPCredentialsCache %s: %s",
                     store.spec, err);
    }
    return c;
}

static void release_client(struct client *c)
{
    if (c && c->retired && !c->users)
        apr_pool_destroy(c->pool);
}

/* Whether this child could attach the mutex of c. */
static int attach(struct socache *c, apr_pool_t *pchild)
{
    return apr_global_mutex_child_init(&c->mutex,
                                       apr_global_mutex_lockfile(c->mutex),
                                       pchild) == APR_SUCCESS;
}

void mcp_store_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (store.spec &&
        apr_thread_mutex_create(&store.lock,
                                APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS)
        store.lock = NULL;
    if (store.net_kind) {
        apr_allocator_t *allocator;
        apr_thread_mutex_t *mutex;

        ap_mpm_query(AP_MPMQ_MAX_THREADS, &store.net_threads);
        /* The clients' pools come and go at request time, from any
         * thread: their allocator has a mutex of its own. */
        if (apr_allocator_create(&allocator) != APR_SUCCESS ||
            apr_pool_create_ex(&store.clients, pchild, NULL, allocator) !=
                APR_SUCCESS) {
            store.clients = NULL;
        }
        else {
            apr_allocator_owner_set(allocator, store.clients);
            if (apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT,
                                        store.clients) == APR_SUCCESS)
                apr_allocator_mutex_set(allocator, mutex);
            else
                store.clients = NULL;
        }
        store.net = store.clients && store.lock ? new_client(s) : NULL;
        if (!store.net || !store.net->ns)
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "MCPCredentialsCache %s: no client in this process; "
                         "it refuses to mint and to grant",
                         store.spec);
    }
    if ((store.records.mutex && !attach(&store.records, pchild)) ||
        (store.own_counters.mutex && !attach(&store.own_counters, pchild))) {
        /* Everything that needs the store fails closed in this process. */
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mcp_credentials: cannot attach the cache's mutexes; "
                     "this process refuses to mint and to grant");
        store.lockless = 1;
    }
}

int mcp_store_exists(void)
{
    return store.records.instance != NULL || store.net_kind != 0;
}

/* ------------------------------------------------------------------ */
/* The circuit breaker                                                  */
/* ------------------------------------------------------------------ */

/* Whether a call's status says the store failed: a missing key and a
 * value too long for the caller (no record of this module) are answers. */
static int failed(apr_status_t rv)
{
    return rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_ENOSPC;
}

/* Before a call: APR_SUCCESS with the network client to use (NULL for a
 * socache), or APR_EAGAIN when the store is not to be asked now (logged
 * at info for the request). */
static apr_status_t enter(request_rec *r, struct client **client,
                          apr_uint64_t *ticket)
{
    mcp_breaker_verdict v;

    *client = NULL;
    *ticket = 0;
    if (!store.lock)
        return store.net_kind ? APR_EGENERAL : APR_SUCCESS;
    apr_thread_mutex_lock(store.lock);
    v = mcp_breaker_enter(&store.breaker, apr_time_now(), store.timeout,
                          ticket);
    if (v == MCP_BREAKER_PROBE && store.net_kind && store.clients) {
        /* The try after an outage gets a new client. */
        struct client *fresh = new_client(r->server);
        if (fresh) {
            if (store.net) {
                store.net->retired = 1;
                release_client(store.net);
            }
            store.net = fresh;
        }
    }
    if ((v == MCP_BREAKER_GO || v == MCP_BREAKER_PROBE) &&
        (*client = store.net))
        store.net->users++;
    apr_thread_mutex_unlock(store.lock);
    if (v == MCP_BREAKER_STALLED)
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, r->server,
                     "mcp_credentials: store unavailable: MCPCredentialsCache "
                     "%s has not answered for %" APR_TIME_T_FMT " s; "
                     "minting and granting answer 503 until it does",
                     store.spec, apr_time_sec(store.timeout));
    if (v == MCP_BREAKER_GO || v == MCP_BREAKER_PROBE)
        return APR_SUCCESS;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "MCPCredentialsCache %s is unavailable: not asked",
                  store.spec);
    return APR_EAGAIN;
}

/* After a call that enter() let through. */
static apr_status_t leave(request_rec *r, struct client *client,
                          apr_uint64_t ticket, apr_status_t rv)
{
    mcp_breaker_change change;

    if (!store.lock)
        return rv;
    apr_thread_mutex_lock(store.lock);
    change = mcp_breaker_leave(&store.breaker, apr_time_now(), store.timeout,
                               failed(rv), ticket);
    if (client) {
        client->users--;
        release_client(client);
    }
    apr_thread_mutex_unlock(store.lock);
    if (change == MCP_BREAKER_OPENED)
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, r->server,
                     "mcp_credentials: store unavailable: "
                     "MCPCredentialsCache %s failed; minting and "
                     "granting answer 503 until it answers again",
                     store.spec);
    else if (change == MCP_BREAKER_CLOSED)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, r->server,
                     "mcp_credentials: store available again: "
                     "MCPCredentialsCache %s answers",
                     store.spec);
    if (failed(rv))
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                      "MCPCredentialsCache %s failed", store.spec);
    return rv;
}

void mcp_store_retry_after(request_rec *r)
{
    apr_int64_t s = apr_time_sec(store.timeout);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                s > 0 ? s : 1));
}

/* ------------------------------------------------------------------ */
/* A local socache, under its global mutex                              */
/* ------------------------------------------------------------------ */

static apr_status_t lock(const struct socache *c)
{
    if (!c || !c->instance || store.lockless)
        return APR_EGENERAL;
    return apr_global_mutex_lock(c->mutex);
}

static apr_status_t socache_get(request_rec *r, const struct socache *c,
                                const unsigned char *key, unsigned int klen,
                                unsigned char *val, unsigned int *vlen)
{
    apr_status_t rv = store.provider->retrieve(c->instance, r->server, key,
                                               klen, val, vlen, r->pool);
    /* mod_socache_dbm answers a key it never stored with APR_EGENERAL
     * (its DBM returns no value, and it reads that as a damaged one);
     * failures to open or read its file are logged by it and answered
     * with their own status. */
    if (store.dbm && rv == APR_EGENERAL)
        rv = APR_NOTFOUND;
    return rv;
}

static apr_status_t socache_put(request_rec *r, const struct socache *c,
                                const unsigned char *key, unsigned int klen,
                                apr_int64_t expiry_sec,
                                const unsigned char *val, unsigned int vlen)
{
    return store.provider->store(c->instance, r->server, key, klen,
                                 apr_time_from_sec(expiry_sec),
                                 (unsigned char *)val, vlen, r->pool);
}

/* ------------------------------------------------------------------ */
/* The calls                                                            */
/* ------------------------------------------------------------------ */

/* The network client of a call, or APR_EGENERAL without one. */
#define NET(c) ((c) && (c)->ns ? (c)->ns : NULL)

apr_status_t mcp_store_get(request_rec *r, const unsigned char *key,
                           unsigned int klen, unsigned char *val,
                           unsigned int *vlen)
{
    struct client *c;
    apr_uint64_t k;
    apr_status_t rv;

    if ((rv = enter(r, &c, &k)) != APR_SUCCESS)
        return rv;
    if (store.net_kind)
        return leave(r, c, k, NET(c) ? mcp_netstore_get(NET(c), r->pool, key,
                                                     klen, val, vlen)
                                  : APR_EGENERAL);
    if ((rv = lock(&store.records)) != APR_SUCCESS)
        return leave(r, c, k, rv);
    rv = socache_get(r, &store.records, key, klen, val, vlen);
    apr_global_mutex_unlock(store.records.mutex);
    return leave(r, c, k, rv);
}

apr_status_t mcp_store_put(request_rec *r, const unsigned char *key,
                           unsigned int klen, apr_int64_t expiry_sec,
                           const unsigned char *val, unsigned int vlen)
{
    struct client *c;
    apr_uint64_t k;
    apr_status_t rv;

    if ((rv = enter(r, &c, &k)) != APR_SUCCESS)
        return rv;
    if (store.net_kind)
        return leave(r, c, k, NET(c) ? mcp_netstore_put(NET(c), key, klen,
                                                     expiry_sec, val, vlen)
                                  : APR_EGENERAL);
    if ((rv = lock(&store.records)) != APR_SUCCESS)
        return leave(r, c, k, rv);
    rv = socache_put(r, &store.records, key, klen, expiry_sec, val, vlen);
    apr_global_mutex_unlock(store.records.mutex);
    return leave(r, c, k, rv);
}

apr_status_t mcp_store_take(request_rec *r, const unsigned char *key,
                            unsigned int klen, unsigned char *val,
                            unsigned int *vlen)
{
    struct client *c;
    apr_uint64_t k;
    apr_status_t rv;

    if ((rv = enter(r, &c, &k)) != APR_SUCCESS)
        return rv;
    if (store.net_kind) {
        /* The value first, then the delete, whose answer decides: of the
         * callers that read it, one removes it. */
        if (!NET(c))
            return leave(r, c, k, APR_EGENERAL);
        rv = mcp_netstore_get(NET(c), r->pool, key, klen, val, vlen);
        if (rv == APR_SUCCESS)
            rv = mcp_netstore_take(NET(c), key, klen);
        return leave(r, c, k, rv);
    }
    /* Under the mutex: the provider's remove does not say whether the key
     * was there (dbm answers success either way). */
    if ((rv = lock(&store.records)) != APR_SUCCESS)
        return leave(r, c, k, rv);
    rv = socache_get(r, &store.records, key, klen, val, vlen);
    if (rv == APR_SUCCESS)
        rv = store.provider->remove(store.records.instance, r->server, key,
                                    klen, r->pool);
    apr_global_mutex_unlock(store.records.mutex);
    return leave(r, c, k, rv);
}

apr_status_t mcp_store_count(request_rec *r, const unsigned char *key,
                             unsigned int klen, apr_int64_t expiry_sec,
                             apr_uint32_t cap, apr_uint32_t *count)
{
    unsigned char rec[COUNT_LEN];
    unsigned int len = sizeof(rec);
    struct client *c;
    apr_uint64_t k;
    apr_uint32_t n = 0;
    apr_status_t rv;

    if ((rv = enter(r, &c, &k)) != APR_SUCCESS)
        return rv;
    if (store.net_kind)
        return leave(r, c, k, NET(c) ? mcp_netstore_count(NET(c), key, klen,
                                                       expiry_sec, count)
                                  : APR_EGENERAL);
    if ((rv = lock(store.counters)) != APR_SUCCESS)
        return leave(r, c, k, rv);
    rv = socache_get(r, store.counters, key, klen, rec, &len);
    if (rv == APR_SUCCESS && len != sizeof(rec))
        rv = APR_EGENERAL;  /* not a counter of this module */
    if (rv == APR_SUCCESS)
        n = ((apr_uint32_t)rec[0] << 24) | ((apr_uint32_t)rec[1] << 16) |
            ((apr_uint32_t)rec[2] << 8) | rec[3];
    if (rv == APR_SUCCESS && n >= cap) {
        /* Past the cap: counted, not written (a refused flood churns no
         * other counter out of shmcb). */
        *count = n < 0xffffffffu ? n + 1 : n;
    }
    else if (rv == APR_SUCCESS || rv == APR_NOTFOUND) {
        if (n < 0xffffffffu)
            n++;
        rec[0] = (unsigned char)(n >> 24);
        rec[1] = (unsigned char)(n >> 16);
        rec[2] = (unsigned char)(n >> 8);
        rec[3] = (unsigned char)n;
        rv = socache_put(r, store.counters, key, klen, expiry_sec, rec,
                         sizeof(rec));
        *count = n;
    }
    apr_global_mutex_unlock(store.counters->mutex);
    return leave(r, c, k, rv);
}

apr_status_t mcp_store_touch(request_rec *r, const unsigned char *key,
                             unsigned int klen, apr_int64_t expiry_sec)
{
    unsigned char rec[64];
    unsigned int len = sizeof(rec);
    struct client *c;
    apr_uint64_t k;
    apr_status_t rv;

    if (store.net_kind)
        return APR_SUCCESS;
    if ((rv = enter(r, &c, &k)) != APR_SUCCESS)
        return rv;
    if ((rv = lock(&store.records)) != APR_SUCCESS)
        return leave(r, c, k, rv);
    rv = socache_get(r, &store.records, key, klen, rec, &len);
    if (rv == APR_SUCCESS)
        rv = socache_put(r, &store.records, key, klen, expiry_sec, rec, len);
    apr_global_mutex_unlock(store.records.mutex);
    return leave(r, c, k, rv);
}
