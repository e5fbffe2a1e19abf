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

/* What tells one version of the file from another. */
typedef struct {
    apr_time_t mtime;
    apr_off_t size;
    apr_ino_t inode;
    apr_status_t missing;   /* the stat's error, 0 when it succeeded */
} file_version;

/*
 * Made at configuration time (the setter reads the file then, so a bad
 * file stops a config test), shared in post_config by every server that
 * names the same path.  Each process then keeps it current on its own:
 * the parent from the monitor hook, each child from its request threads.
 * The parent's copy is what a child starts with.
 */
struct mcp_revocation_file {
    const char *path;
    apr_thread_mutex_t *lock;   /* in children; NULL in the parent */
    const mcp_revocation *list; /* in force unless unavailable */
    mcp_revocation *owned;      /* a list this process read since startup */
    file_version version;       /* of the list in force */
    int unavailable;            /* the file changed and cannot be read */
    file_version failed;        /* the bad version already logged */
    int failed_logged;
    apr_time_t checked;         /* last look at the file */
    int refreshing;             /* a thread is reading it now */
};

static apr_status_t list_cleanup(void *list)
{
    mcp_revocation_free(list);
    return APR_SUCCESS;
}

static apr_status_t owned_cleanup(void *filev)
{
    struct mcp_revocation_file *f = filev;
    mcp_revocation_free(f->owned);
    f->owned = NULL;
    return APR_SUCCESS;
}

static int same_version(const file_version *a, const file_version *b)
{
    return a->missing == b->missing && a->mtime == b->mtime &&
           a->size == b->size && a->inode == b->inode;
}

static void stat_version(const char *path, apr_pool_t *p, file_version *v)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, path,
                               APR_FINFO_MTIME | APR_FINFO_SIZE |
                                   APR_FINFO_INODE,
                               p);
    memset(v, 0, sizeof(*v));
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        v->missing = rv;
        return;
    }
    v->mtime = fi.mtime;
    v->size = fi.size;
    v->inode = fi.inode;
}

/* Reads and parses the file.  Returns NULL or an error message. */
static const char *read_list(apr_pool_t *p, const char *path,
                             mcp_revocation **out, file_version *v)
{
    apr_file_t *fd;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf, err[256];
    apr_status_t rv;

    memset(v, 0, sizeof(*v));
    rv = apr_file_open(&fd, path, APR_READ | APR_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        v->missing = rv;
        return apr_psprintf(p, "cannot read '%s': %pm", path, &rv);
    }
    /* The version of what is read: fstat of the open file, not a stat of
     * the name, which a rename may have moved on since. */
    rv = apr_file_info_get(&fi, APR_FINFO_TYPE | APR_FINFO_SIZE |
                                    APR_FINFO_MTIME | APR_FINFO_INODE,
                           fd);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        apr_file_close(fd);
        v->missing = rv;
        return apr_psprintf(p, "cannot read '%s': %pm", path, &rv);
    }
    v->mtime = fi.mtime;
    v->size = fi.size;
    v->inode = fi.inode;
    if (fi.filetype != APR_REG) {
        apr_file_close(fd);
        return apr_psprintf(p, "'%s' is not a regular file", path);
    }
    if (fi.size > MCP_REVOCATION_MAX_FILE) {
        apr_file_close(fd);
        return apr_psprintf(p, "'%s' is larger than %d bytes", path,
                            MCP_REVOCATION_MAX_FILE);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(fd, buf, n, &n);
    apr_file_close(fd);
    if (rv != APR_SUCCESS && rv != APR_EOF)
        return apr_psprintf(p, "cannot read '%s': %pm", path, &rv);
    if (mcp_revocation_parse(buf, n, out, err, sizeof(err)) != 0)
        return apr_psprintf(p, "'%s': %s", path, err);
    return NULL;
}

const char *mcp_set_revoked_tokens(cmd_parms *cmd, void *dummy,
                                   const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    struct mcp_revocation_file *f;
    mcp_revocation *list;
    const char *err;
    (void)dummy;

    if (!path)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    f = apr_pcalloc(cmd->pool, sizeof(*f));
    err = read_list(cmd->temp_pool, path, &list, &f->version);
    if (err)
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    apr_pool_cleanup_register(cmd->pool, list, list_cleanup,
                              apr_pool_cleanup_null);
    apr_pool_cleanup_register(cmd->pool, f, owned_cleanup,
                              apr_pool_cleanup_null);
    f->path = path;
    f->list = list;
    conf->revoked = f;
    return NULL;
}

/* One object per path: every server that names the file uses the first
 * one made for it. */
void mcp_revocation_post_config(apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *by_path = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        struct mcp_revocation_file *first;
        if (!conf->revoked)
            continue;
        first = apr_hash_get(by_path, conf->revoked->path,
                             APR_HASH_KEY_STRING);
        if (first)
            conf->revoked = first;
        else
            apr_hash_set(by_path, conf->revoked->path, APR_HASH_KEY_STRING,
                         conf->revoked);
    }
}

/*
 * Looks at the file when the last look is a second old.  Called by one
 * thread at a time (the one that set f->refreshing, or the parent), and
 * with the lock not held: what it reads it swaps in under the lock.
 */
static void refresh(server_rec *s, apr_pool_t *pool,
                    struct mcp_revocation_file *f)
{
    file_version now_v, read_v;
    mcp_revocation *list = NULL, *old = NULL;
    const char *err;
    apr_pool_t *p;

    if (apr_pool_create(&p, pool) != APR_SUCCESS)
        return;
    stat_version(f->path, p, &now_v);
    /* Unchanged and good: nothing to do.  While the file is unavailable,
     * every look tries again (a chmod changes no version). */
    if (!f->unavailable && same_version(&now_v, &f->version)) {
        apr_pool_destroy(p);
        return;
    }
    err = read_list(p, f->path, &list, &read_v);
    if (err) {
        int log_it = !f->failed_logged || !same_version(&read_v, &f->failed);
        if (f->lock)
            apr_thread_mutex_lock(f->lock);
        f->unavailable = 1;
        f->failed = read_v;
        f->failed_logged = 1;
        if (f->lock)
            apr_thread_mutex_unlock(f->lock);
        if (log_it)
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "MCPBearerRevokedTokens: %s; every bearer token "
                         "is refused until the file is readable and "
                         "well-formed again",
                         err);
        apr_pool_destroy(p);
        return;
    }
    apr_pool_destroy(p);
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
    for (; s; s = s->next) {
        struct mcp_revocation_file *f = mcp_server_config(s)->revoked;
        apr_time_t now = apr_time_now();
        /* Once per file, whatever the number of servers naming it. */
        if (f && now - f->checked >= apr_time_from_sec(1)) {
            f->checked = now;
            refresh(s, pconf, f);
        }
    }
    return DECLINED;
}

void mcp_revocation_child_init(apr_pool_t *pchild, server_rec *s)
{
    for (; s; s = s->next) {
        struct mcp_revocation_file *f = mcp_server_config(s)->revoked;
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
    struct mcp_revocation_file *f = mcp_server_config(r->server)->revoked;
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
        refresh(r->server, r->pool, f);
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
