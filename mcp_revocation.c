/*
 * MCPBearerRevokedTokens: the revocation list in force in each process,
 * one per file whatever the number of virtual hosts that name it.
 *
 * Fail closed: a process that sees the file change and cannot read or
 * parse the new version refuses every bearer token until a good version is
 * back, so no process accepts a token that a version of the file it has
 * seen revokes.  The file is looked at once a second at most; the stat and
 * the parse happen outside the lock, the swap under it, so a reload never
 * stalls the other request threads.
 */

#include "mcp_module.h"

#include "apr_hash.h"
#include "apr_thread_mutex.h"

#include "revocation.h"

/*
 * Made in post_config from what the configuration read (so a bad file
 * stops a config test), one for every server that names the same path.
 * Each process then keeps it current on its own: the parent from the
 * monitor hook, each child from its request threads.  The parent's copy
 * is what a child starts with.
 */
struct mcp_revocation_file {
    const char *path;
    apr_thread_mutex_t *lock;   /* in children; NULL in the parent */
    const mcp_revocation *list; /* in force unless unavailable */
    mcp_revocation *owned;      /* a list this process read since startup */
    mcp_file_version version;   /* of the list in force */
    int unavailable;            /* the file changed and cannot be read */
    mcp_file_version failed;    /* the bad version already logged */
    int failed_errno;           /* and why it could not be opened */
    int failed_logged;
    apr_time_t checked;         /* last look at the file */
    int refreshing;             /* a thread is reading it now */
};

static apr_status_t owned_cleanup(void *filev)
{
    struct mcp_revocation_file *f = filev;
    mcp_revocation_free(f->owned);
    f->owned = NULL;
    return APR_SUCCESS;
}

/* One object per path, made from the first server that names it. */
void mcp_revocation_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s)
{
    apr_hash_t *by_path = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        struct mcp_revocation_file *f;
        conf->revocation = NULL;
        if (!conf->revoked)
            continue;
        f = apr_hash_get(by_path, conf->revoked->path, APR_HASH_KEY_STRING);
        if (!f) {
            f = apr_pcalloc(pconf, sizeof(*f));
            f->path = conf->revoked->path;
            f->list = conf->revoked->list;
            f->version = conf->revoked->version;
            apr_pool_cleanup_register(pconf, f, owned_cleanup,
                                      apr_pool_cleanup_null);
            apr_hash_set(by_path, f->path, APR_HASH_KEY_STRING, f);
        }
        conf->revocation = f;
    }
}

/*
 * Looks at the file when the last look is a second old.  Called by one
 * thread at a time (the one that set f->refreshing, or the parent), and
 * with the lock not held: what it reads it swaps in under the lock.
 */
static void refresh(server_rec *s, struct mcp_revocation_file *f)
{
    mcp_file_version now_v, read_v;
    mcp_revocation *list = NULL, *old = NULL;
    char err[512];
    int missing;

    missing = mcp_file_version_of(f->path, &now_v);
    /* Unchanged and good: nothing to do.  While the file is unavailable,
     * every look tries again (a chmod changes no version). */
    if (!missing && !f->unavailable && mcp_file_same_version(&now_v, &f->version))
        return;
    memset(&read_v, 0, sizeof(read_v));
    if (mcp_revocation_load(f->path, &list, &read_v, err, sizeof(err)) != 0) {
        int log_it = !f->failed_logged || f->failed_errno != missing ||
                     !mcp_file_same_version(&read_v, &f->failed);
        if (f->lock)
            apr_thread_mutex_lock(f->lock);
        f->unavailable = 1;
        f->failed = read_v;
        f->failed_errno = missing;
        f->failed_logged = 1;
        if (f->lock)
            apr_thread_mutex_unlock(f->lock);
        if (log_it)
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "MCPBearerRevokedTokens: %s; every bearer token "
                         "is refused until the file is readable and "
                         "well-formed again",
                         err);
        return;
    }
    if (f->lock)
        apr_thread_mutex_lock(f->lock);
    old = f->owned;
    f->owned = list;
    f->list = list;
    f->version = read_v;
    f->unavailable = 0;
    f->failed_logged = 0;
    if (f->lock)
        apr_thread_mutex_unlock(f->lock);
    /* No reader holds the old list: lookups run under the lock. */
    mcp_revocation_free(old);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "MCPBearerRevokedTokens: read '%s' (%lu entries)", f->path,
                 (unsigned long)mcp_revocation_count(list));
}

/*
 * The parent keeps its copy current from httpd's monitor hook (every ten
 * seconds or so): a child it forks later starts from it, not from the list
 * read at startup, and looks at the file again on its first request.
 */
int mcp_revocation_monitor(apr_pool_t *pconf, server_rec *s)
{
    (void)pconf;
    for (; s; s = s->next) {
        struct mcp_revocation_file *f = mcp_server_config(s)->revocation;
        apr_time_t now = apr_time_now();
        /* Once per file, whatever the number of servers naming it. */
        if (f && now - f->checked >= apr_time_from_sec(1)) {
            f->checked = now;
            refresh(s, f);
        }
    }
    return DECLINED;
}

void mcp_revocation_child_init(apr_pool_t *pchild, server_rec *s)
{
    for (; s; s = s->next) {
        struct mcp_revocation_file *f = mcp_server_config(s)->revocation;
        if (!f || f->lock)
            continue;
        f->checked = 0;
        f->refreshing = 0;
        if (apr_thread_mutex_create(&f->lock, APR_THREAD_MUTEX_DEFAULT,
                                    pchild) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "MCPBearerRevokedTokens: cannot create a mutex; "
                         "this process refuses every bearer token");
            f->lock = NULL;
            f->unavailable = 1;
            f->refreshing = 1; /* no thread may touch it without a lock */
        }
    }
}

mcp_revocation_answer mcp_revocation_check(request_rec *r, const char *jti,
                                           const char *sub, apr_int64_t iat)
{
    struct mcp_revocation_file *f = mcp_server_config(r->server)->revocation;
    apr_time_t now = apr_time_now();
    mcp_revocation_answer answer;
    int mine = 0;

    if (!f)
        return MCP_NOT_REVOKED;
    if (!f->lock)
        return MCP_REVOCATION_UNAVAILABLE;
    apr_thread_mutex_lock(f->lock);
    if (!f->refreshing && now - f->checked >= apr_time_from_sec(1)) {
        f->refreshing = mine = 1;
        f->checked = now;
    }
    apr_thread_mutex_unlock(f->lock);
    if (mine) {
        refresh(r->server, f);
        apr_thread_mutex_lock(f->lock);
        f->refreshing = 0;
        apr_thread_mutex_unlock(f->lock);
    }
    apr_thread_mutex_lock(f->lock);
    if (f->unavailable)
        answer = MCP_REVOCATION_UNAVAILABLE;
    else
        answer = mcp_revocation_is_revoked(f->list, jti, sub, iat)
                     ? MCP_REVOKED
                     : MCP_NOT_REVOKED;
    apr_thread_mutex_unlock(f->lock);
    return answer;
}
