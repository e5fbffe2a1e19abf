/*
 * The network stores of MCPCredentialsCache, redis:SERVERS and
 * memcache:SERVERS, spoken through APR-util's own clients (apr_redis,
 * apr_memcache), which every node of a farm shares.
 *
 * Why not through mod_socache_redis and mod_socache_memcache: socache
 * offers store, retrieve and remove, while a farm needs an atomic count
 * (Redis INCR, memcache add and incr); the Redis provider hands APR-util
 * its RedisTimeout in microseconds where seconds are read, so its calls
 * wait days on a store that stopped answering; and both clients answer
 * "no such key" for a server they marked dead, which socache passes on as
 * such.  Here every call is bounded (Redis: MCPCredentialsCacheTimeout per
 * read or write; memcache: APR-util sets no read timeout, the store's
 * circuit breaker bounds who waits), and a dead server is a failure.
 *
 * Keys are those of the socache providers ("mcp-cred:" and the key in
 * hexadecimal), so the records and counters of every node meet.
 */

#include "mcp_module.h"

#include "apr_memcache.h"
#include "apr_redis.h"
#include "apr_strings.h"

#include "netaddr.h"

/* memcached reads a lifetime over 30 days as a Unix time. */
#define MEMCACHE_RELATIVE_MAX (30 * 86400)
#define KEY_PREFIX "mcp-cred:"
#define KEY_MAX (sizeof(KEY_PREFIX) + 2 * 64)
#define REDIS_PORT 6379
#define MEMCACHE_PORT 11211
/* Idle connections live this long in each process's pool. */
#define CONN_TTL apr_time_from_sec(60)

struct mcp_netstore {
    apr_redis_t *redis;
    apr_memcache_t *memcache;
};

int mcp_netstore_kind(const char *name)
{
    if (!strcasecmp(name, "redis"))
        return MCP_NETSTORE_REDIS;
    if (!strcasecmp(name, "memcache"))
        return MCP_NETSTORE_MEMCACHE;
    return 0;
}

/* Calls each(host, port, baton) for every server of a list, in order;
 * stops at the first error, returned. */
static const char *each_server(apr_pool_t *p, int kind, const char *servers,
                               const char *(*each)(apr_pool_t *, const char *,
                                                   apr_port_t, void *),
                               void *baton)
{
    char *list = apr_pstrdup(p, servers ? servers : ""), *tok, *item;
    int n = 0;

    for (item = apr_strtok(list, ",", &tok); item;
         item = apr_strtok(NULL, ",", &tok)) {
        char *host, *scope;
        apr_port_t port;
        const char *err;

        if (apr_parse_addr_port(&host, &scope, &port, item, p) !=
                APR_SUCCESS ||
            !host || scope)
            return apr_psprintf(p, "'%s' is not HOST[:PORT]", item);
        if (!port)
            port = kind == MCP_NETSTORE_REDIS ? REDIS_PORT : MEMCACHE_PORT;
        if ((err = each(p, host, port, baton)))
            return err;
        n++;
    }
    return n ? NULL : "names no server (redis:HOST[:PORT][,HOST[:PORT]...])";
}

static const char *check_one(apr_pool_t *p, const char *host,
                             apr_port_t port, void *baton)
{
    int allow_public = *(int *)baton;
    apr_sockaddr_t *sa;
    apr_status_t rv;

    rv = apr_sockaddr_info_get(&sa, host, APR_UNSPEC, port, 0, p);
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "cannot resolve '%s'", host);
    for (; sa; sa = sa->next) {
        char *ip = NULL;
        if (allow_public ||
            mcp_addr_is_private(sa->ipaddr_ptr, (size_t)sa->ipaddr_len))
            continue;
        apr_sockaddr_ip_get(&ip, sa);
        return apr_psprintf(
            p,
            "'%s' (%s) is not a loopback or private address: the store "
            "speaks neither TLS nor AUTH; keep it on a private network, or "
            "add the word 'public' to say that it is protected otherwise",
            host, ip ? ip : "?");
    }
    return NULL;
}

const char *mcp_netstore_check(apr_pool_t *p, int kind, const char *servers,
                               int allow_public)
{
    return each_server(p, kind, servers, check_one, &allow_public);
}

struct open_baton {
    mcp_netstore *ns;
    apr_uint32_t rwto;  /* seconds */
    apr_uint32_t max;   /* connections per server: the process's threads */
};

static const char *open_one(apr_pool_t *p, const char *host,
                            apr_port_t port, void *baton)
{
    struct open_baton *b = baton;
    apr_status_t rv;

    if (b->ns->redis) {
        apr_redis_server_t *rs;
        rv = apr_redis_server_create(p, host, port, 0, 1, b->max, CONN_TTL,
                                     b->rwto, &rs);
        if (rv == APR_SUCCESS)
            rv = apr_redis_add_server(b->ns->redis, rs);
    }
    else {
        apr_memcache_server_t *ms;
        rv = apr_memcache_server_create(p, host, port, 0, 1, b->max,
                                        CONN_TTL, &ms);
        if (rv == APR_SUCCESS)
            rv = apr_memcache_add_server(b->ns->memcache, ms);
    }
    return rv == APR_SUCCESS
               ? NULL
               : apr_psprintf(p, "cannot set up %s:%u", host, (unsigned)port);
}

const char *mcp_netstore_open(apr_pool_t *p, int kind, const char *servers,
                              apr_interval_time_t timeout, int threads,
                              mcp_netstore **out)
{
    struct open_baton b;
    const char *comma;
    apr_uint16_t n = 1;
    apr_status_t rv;

    for (comma = servers; (comma = strchr(comma, ',')); comma++)
        n++;
    b.ns = apr_pcalloc(p, sizeof(*b.ns));
    b.rwto = (apr_uint32_t)(apr_time_sec(timeout) > 0 ? apr_time_sec(timeout)
                                                       : 1);
    b.max = threads > 0 ? (apr_uint32_t)threads : 1;
    rv = kind == MCP_NETSTORE_REDIS
             ? apr_redis_create(p, n, 0, &b.ns->redis)
             : apr_memcache_create(p, n, 0, &b.ns->memcache);
    if (rv != APR_SUCCESS)
        return "cannot create the client";
    *out = b.ns;
    return each_server(p, kind, servers, open_one, &b);
}

/* ------------------------------------------------------------------ */
/* Calls                                                                */
/* ------------------------------------------------------------------ */

static const char *key_of(const unsigned char *key, unsigned int klen,
                          char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *cp = out + sizeof(KEY_PREFIX) - 1;
    unsigned int i;

    memcpy(out, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    for (i = 0; i < klen && i < 64; i++) {
        *cp++ = hex[key[i] >> 4];
        *cp++ = hex[key[i] & 15];
    }
    *cp = '\0';
    return out;
}

/* Whether a server would be asked for this key: APR-util answers "not
 * found" without asking when it marked the server dead (it tries it again
 * five seconds later), and that is no answer. */
static int reachable(const mcp_netstore *ns, const char *k)
{
    if (ns->redis)
        return apr_redis_find_server_hash(
                   ns->redis, apr_redis_hash(ns->redis, k, strlen(k))) !=
               NULL;
    return apr_memcache_find_server_hash(
               ns->memcache, apr_memcache_hash(ns->memcache, k, strlen(k))) !=
           NULL;
}

static apr_status_t answered(const mcp_netstore *ns, const char *k,
                             apr_status_t rv)
{
    return rv == APR_NOTFOUND && !reachable(ns, k) ? APR_ECONNREFUSED : rv;
}

/* Seconds to hand each store for an absolute expiry: Redis takes the
 * seconds left; memcached too up to 30 days, a Unix time beyond (a
 * second late rather than early). */
static apr_uint32_t lifetime_of(const mcp_netstore *ns, apr_int64_t expiry)
{
    apr_int64_t now = apr_time_sec(apr_time_now()), left = expiry - now;

    if (left < 1)
        left = 1;
    if (ns->memcache && left > MEMCACHE_RELATIVE_MAX)
        return (apr_uint32_t)(expiry + 1);
    return (apr_uint32_t)left;
}

apr_status_t mcp_netstore_get(mcp_netstore *ns, apr_pool_t *p,
                              const unsigned char *key, unsigned int klen,
                              unsigned char *val, unsigned int *vlen)
{
    char k[KEY_MAX], *data = NULL;
    apr_size_t len = 0;
    apr_uint16_t flags = 0;
    apr_status_t rv;

    key_of(key, klen, k);
    rv = ns->redis ? apr_redis_getp(ns->redis, p, k, &data, &len, &flags)
                   : apr_memcache_getp(ns->memcache, p, k, &data, &len,
                                       &flags);
    if (rv != APR_SUCCESS)
        return answered(ns, k, rv);
    if (len > *vlen)
        return APR_ENOSPC;
    if (len)
        memcpy(val, data, len);
    *vlen = (unsigned int)len;
    return APR_SUCCESS;
}

apr_status_t mcp_netstore_put(mcp_netstore *ns, const unsigned char *key,
                              unsigned int klen, apr_int64_t expiry,
                              const unsigned char *val, unsigned int vlen)
{
    char k[KEY_MAX];

    key_of(key, klen, k);
    return ns->redis
               ? apr_redis_setex(ns->redis, k, (char *)val, vlen,
                                 lifetime_of(ns, expiry), 0)
               : apr_memcache_set(ns->memcache, k, (char *)val, vlen,
                                  lifetime_of(ns, expiry), 0);
}

apr_status_t mcp_netstore_take(mcp_netstore *ns, const unsigned char *key,
                               unsigned int klen)
{
    char k[KEY_MAX];
    apr_status_t rv;

    /* Redis DEL and memcache delete answer whether this call removed the
     * key: of two nodes that race for it, one hears "deleted". */
    key_of(key, klen, k);
    rv = ns->redis ? apr_redis_delete(ns->redis, k, 0)
                   : apr_memcache_delete(ns->memcache, k, 0);
    return answered(ns, k, rv);
}

apr_status_t mcp_netstore_count(mcp_netstore *ns, const unsigned char *key,
                                unsigned int klen, apr_int64_t expiry,
                                apr_uint32_t *count)
{
    char k[KEY_MAX];
    apr_status_t rv;

    key_of(key, klen, k);
    if (ns->redis) {
        /* INCR makes a missing key without an expiry; its maker gives it
         * one at once.  An INCR of another node between the two is
         * overwritten: a window's count can miss the events of its first
         * round trip to the store, never more. */
        rv = apr_redis_incr(ns->redis, k, 1, count);
        if (rv == APR_SUCCESS && *count == 1)
            rv = apr_redis_setex(ns->redis, k, "1", 1,
                                 lifetime_of(ns, expiry), 0);
        return answered(ns, k, rv);
    }
    /* memcache: incr an existing counter; the first maker of a missing
     * one wins with add (its expiry set then), the others count on it. */
    rv = apr_memcache_incr(ns->memcache, k, 1, count);
    if (rv != APR_NOTFOUND || !reachable(ns, k))
        return answered(ns, k, rv);
    rv = apr_memcache_add(ns->memcache, k, "1", 1, lifetime_of(ns, expiry),
                          0);
    if (rv == APR_SUCCESS) {
        *count = 1;
        return APR_SUCCESS;
    }
    if (rv == APR_EEXIST)
        rv = apr_memcache_incr(ns->memcache, k, 1, count);
    return answered(ns, k, rv);
}
