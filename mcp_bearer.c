/*
 * AuthType mcp-bearer: httpd checks the tokens itself, in front of any MCP
 * server.  Authentication (check_authn), the "mcp-authority" authorization
 * provider, the challenge (RFC 6750, MCP authorization), CORS preflights,
 * RFC 9728 resource metadata and the revocation list.
 */

#include "mcp_module.h"

#include "http_request.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include "apr_thread_mutex.h"
#include "mpm_common.h"

#include <openssl/evp.h>

#include "revocation.h"
#include "token_cache.h"

#define WELL_KNOWN "/.well-known/oauth-protected-resource"

/* What check_authn learnt, for the authz provider of the same request. */
typedef struct {
    apr_array_header_t *authorities; /* const char * */
} bearer_state;

/* ------------------------------------------------------------------ */
/* Revocation list                                                      */
/* ------------------------------------------------------------------ */

/*
 * Per process and server: the list in force and when its file was last
 * looked at.  Threads of a child share it, so a mutex guards it: lookups
 * are a binary search and the file is checked at most once a second, so
 * the lock is held for microseconds.
 */
struct mcp_revocation_state {
    apr_thread_mutex_t *lock;
    const mcp_revocation *list;     /* in force */
    mcp_revocation *owned;          /* list reloaded by this process */
    apr_time_t checked;             /* last stat() of the file */
    apr_time_t mtime;               /* of the list in force */
    apr_off_t size;
    apr_ino_t inode;
    apr_time_t failed_mtime;        /* of a bad file already logged */
};

static apr_status_t revocation_cleanup(void *list)
{
    mcp_revocation_free(list);
    return APR_SUCCESS;
}

/* Reads and parses the file.  Returns NULL or an error message. */
static const char *read_revocations(apr_pool_t *p, const char *path,
                                    mcp_revocation **out, apr_finfo_t *fi)
{
    apr_file_t *fd;
    apr_size_t n;
    char *buf, err[256];
    apr_status_t rv;

    rv = apr_stat(fi, path, APR_FINFO_TYPE | APR_FINFO_SIZE |
                                APR_FINFO_MTIME | APR_FINFO_INODE, p);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE)
        return apr_psprintf(p, "cannot read '%s': %pm", path, &rv);
    if (fi->filetype != APR_REG)
        return apr_psprintf(p, "'%s' is not a regular file", path);
    if (fi->size > MCP_REVOCATION_MAX_FILE)
        return apr_psprintf(p, "'%s' is larger than %d bytes", path,
                            MCP_REVOCATION_MAX_FILE);
    rv = apr_file_open(&fd, path, APR_READ | APR_BINARY, 0, p);
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "cannot read '%s': %pm", path, &rv);
    n = (apr_size_t)fi->size;
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
    mcp_revocation *list;
    apr_finfo_t fi;
    const char *err;
    (void)dummy;

    if (!path)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    err = read_revocations(cmd->temp_pool, path, &list, &fi);
    if (err)
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    apr_pool_cleanup_register(cmd->pool, list, revocation_cleanup,
                              apr_pool_cleanup_null);
    conf->revoked_path = path;
    conf->revoked_initial = list;
    conf->revoked_mtime = fi.mtime;
    conf->revoked_size = fi.size;
    conf->revoked_inode = fi.inode;
    return NULL;
}

/* Called with the state's lock held (or single-threaded, in the parent):
 * re-reads the file when it changed.  A bad file keeps the last good list,
 * and says so once per version of the file. */
static void refresh_revocations(server_rec *s, apr_pool_t *pool,
                                mcp_server_conf *conf,
                                struct mcp_revocation_state *st)
{
    apr_time_t now = apr_time_now();
    apr_pool_t *p;
    apr_finfo_t fi;
    mcp_revocation *list = NULL;
    const char *err;

    if (st->checked && now - st->checked < apr_time_from_sec(1))
        return;
    st->checked = now;
    if (apr_pool_create(&p, pool) != APR_SUCCESS)
        return;
    memset(&fi, 0, sizeof(fi));
    if (apr_stat(&fi, conf->revoked_path,
                 APR_FINFO_MTIME | APR_FINFO_SIZE | APR_FINFO_INODE,
                 p) == APR_SUCCESS &&
        fi.mtime == st->mtime && fi.size == st->size &&
        fi.inode == st->inode) {
        apr_pool_destroy(p);
        return;
    }
    err = read_revocations(p, conf->revoked_path, &list, &fi);
    if (err) {
        if (st->failed_mtime != fi.mtime || !st->failed_mtime) {
            st->failed_mtime = fi.mtime ? fi.mtime : 1;
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "MCPBearerRevokedTokens: %s; the last good list "
                         "(%lu entries) stays in force",
                         err, (unsigned long)mcp_revocation_count(st->list));
        }
        apr_pool_destroy(p);
        return;
    }
    apr_pool_destroy(p);
    mcp_revocation_free(st->owned);
    st->owned = list;
    st->list = list;
    st->mtime = fi.mtime;
    st->size = fi.size;
    st->inode = fi.inode;
    st->failed_mtime = 0;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "MCPBearerRevokedTokens: read '%s' (%lu entries)",
                 conf->revoked_path,
                 (unsigned long)mcp_revocation_count(list));
}

static apr_status_t owned_cleanup(void *stv)
{
    struct mcp_revocation_state *st = stv;
    mcp_revocation_free(st->owned);
    st->owned = NULL;
    return APR_SUCCESS;
}

static struct mcp_revocation_state *new_state(apr_pool_t *p,
                                              const mcp_server_conf *conf)
{
    struct mcp_revocation_state *st = apr_pcalloc(p, sizeof(*st));
    st->list = conf->revoked_initial;
    st->mtime = conf->revoked_mtime;
    st->size = conf->revoked_size;
    st->inode = conf->revoked_inode;
    apr_pool_cleanup_register(p, st, owned_cleanup, apr_pool_cleanup_null);
    return st;
}

/*
 * The parent keeps its own copy current from httpd's monitor hook (every
 * ten seconds or so): a child it forks later inherits the last good list,
 * not the one read at startup, even while the file is broken.
 */
int mcp_bearer_monitor(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        if (!conf->revoked_path)
            continue;
        if (!conf->revoked_parent)
            conf->revoked_parent = new_state(pconf, conf);
        refresh_revocations(s, pconf, conf, conf->revoked_parent);
    }
    return DECLINED;
}

/* Each child starts from the parent's list and looks at the file on its
 * first request. */
static void cache_child_init(apr_pool_t *pchild, server_rec *s,
                             mcp_server_conf *conf);

void mcp_bearer_child_init(apr_pool_t *pchild, server_rec *s)
{
    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        const struct mcp_revocation_state *parent = conf->revoked_parent;
        struct mcp_revocation_state *st;
        cache_child_init(pchild, s, conf);
        if (!conf->revoked_path)
            continue;
        st = new_state(pchild, conf);
        if (parent) {
            /* The parent's list stays in this child's copy of its memory;
             * the child never frees it. */
            st->list = parent->list;
            st->mtime = parent->mtime;
            st->size = parent->size;
            st->inode = parent->inode;
        }
        if (apr_thread_mutex_create(&st->lock, APR_THREAD_MUTEX_DEFAULT,
                                    pchild) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "MCPBearerRevokedTokens: cannot create a mutex; "
                         "the list inherited at startup stays in force");
            st->lock = NULL;
        }
        st->checked = 0;
        conf->revoked = st;
    }
}

static int is_revoked(request_rec *r, const mcp_cached_token *t)
{
    mcp_server_conf *conf = mcp_server_config(r->server);
    struct mcp_revocation_state *st = conf->revoked;
    int revoked;

    if (!st)
        return 0;
    if (st->lock) {
        apr_thread_mutex_lock(st->lock);
        refresh_revocations(r->server, r->pool, conf, st);
    }
    revoked = mcp_revocation_is_revoked(st->list, t->jti, t->sub,
                                        t->has_iat ? t->iat : INT64_MIN);
    if (st->lock)
        apr_thread_mutex_unlock(st->lock);
    return revoked;
}

/* ------------------------------------------------------------------ */
/* Challenge                                                            */
/* ------------------------------------------------------------------ */

/* A quoted-string value: '"' and '\' escaped, controls dropped. */
static const char *quoted(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            continue;
        if (*s == '"' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

const char *mcp_resource_metadata_url(request_rec *r)
{
    return apr_pstrcat(r->pool, mcp_public_origin(r), WELL_KNOWN,
                       r->uri[0] == '/' && r->uri[1] ? r->uri : "", NULL);
}

/* Sets WWW-Authenticate: Bearer realm=..., resource_metadata=...,
 * error=..., error_description=... (RFC 6750 section 3). */
static void set_challenge(request_rec *r, const char *error,
                          const char *description)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    const char *realm = ap_auth_name(r);
    const char *h = apr_psprintf(r->pool, "Bearer realm=\"%s\"",
                                 quoted(r->pool, realm ? realm : "mcp"));
    if (sconf->resource_metadata > 0)
        h = apr_psprintf(r->pool, "%s, resource_metadata=\"%s\"", h,
                         quoted(r->pool, mcp_resource_metadata_url(r)));
    if (error)
        h = apr_psprintf(r->pool, "%s, error=\"%s\"", h, error);
    if (description)
        h = apr_psprintf(r->pool, "%s, error_description=\"%s\"", h,
                         quoted(r->pool, description));
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", h);
}

static int is_bearer_type(const char *type)
{
    return type && !strcasecmp(type, MCP_BEARER_AUTH_TYPE);
}

/* httpd calls this when authorization fails after authentication (the
 * 401 re-challenge); claiming the type keeps it from logging AH00571. */
static int note_auth_failure(request_rec *r, const char *auth_type)
{
    if (!is_bearer_type(auth_type))
        return DECLINED;
    if (!apr_table_get(r->err_headers_out, "WWW-Authenticate"))
        set_challenge(r, NULL, NULL);
    return OK;
}

/* ------------------------------------------------------------------ */
/* Authentication                                                       */
/* ------------------------------------------------------------------ */

int mcp_is_bearer_request(request_rec *r)
{
    return is_bearer_type(r->ap_auth_type);
}

/* Removes client-sent copies of the headers this location hands to the
 * backend. */
static void strip_pass_headers(request_rec *r, const mcp_dir_conf *dconf)
{
    if (dconf->pass_user)
        mcp_unset_header_variants(r, dconf->pass_user);
    if (dconf->pass_authorities)
        mcp_unset_header_variants(r, dconf->pass_authorities);
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer_token(request_rec *r, int *other_scheme)
{
    const char *h = apr_table_get(r->headers_in, "Authorization");
    const char *t;
    *other_scheme = 0;
    if (!h)
        return NULL;
    while (*h == ' ' || *h == '\t')
        h++;
    if (strncasecmp(h, "Bearer", 6) || (h[6] != ' ' && h[6] != '\t')) {
        *other_scheme = 1;
        return NULL;
    }
    t = h + 6;
    while (*t == ' ' || *t == '\t')
        t++;
    return *t ? t : NULL;
}

static int refuse(request_rec *r, const char *why)
{
    /* The reason, never the token, and nothing from it as if true. */
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "bearer token refused for %s: %s", r->uri, why);
    set_challenge(r, "invalid_token", why);
    return HTTP_UNAUTHORIZED;
}

/* ------------------------------------------------------------------ */
/* Verified-token cache                                                 */
/* ------------------------------------------------------------------ */

/*
 * Per child and server: tokens already verified, keyed by a SHA-256 of
 * the token and of the issuer and audience it was checked against.  The
 * request threads of a child share it under a mutex held for a lookup or
 * an insert (microseconds).  A graceful restart starts new children, so a
 * key removed from the ring takes its cached tokens with it; exp, nbf and
 * revocation are checked on every request, cached or not.
 */
struct mcp_bearer_cache {
    apr_thread_mutex_t *lock;
    mcp_token_cache *tokens;
};

static apr_status_t cache_cleanup(void *cache)
{
    mcp_token_cache_free(((struct mcp_bearer_cache *)cache)->tokens);
    return APR_SUCCESS;
}

static void cache_child_init(apr_pool_t *pchild, server_rec *s,
                             mcp_server_conf *conf)
{
    struct mcp_bearer_cache *c;
    int size = conf->bearer_cache_size >= 0 ? conf->bearer_cache_size
                                            : MCP_DEFAULT_BEARER_CACHE;
    conf->bearer_cache = NULL;
    if (size <= 0)
        return;
    c = apr_pcalloc(pchild, sizeof(*c));
    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS ||
        !(c->tokens = mcp_token_cache_create((size_t)size))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "MCPBearerCache: cannot create the cache; every "
                     "request verifies its token");
        return;
    }
    apr_pool_cleanup_register(pchild, c, cache_cleanup,
                              apr_pool_cleanup_null);
    conf->bearer_cache = c;
}

static void cache_key(const char *token, const mcp_jwt_verify_opts *opts,
                      unsigned char key[MCP_TOKEN_CACHE_KEY_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *iss = opts->issuer ? opts->issuer : "";
    const char *aud = opts->audience ? opts->audience : "";
    unsigned int n = 0;

    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(ctx, iss, strlen(iss) + 1) ||
        !EVP_DigestUpdate(ctx, aud, strlen(aud) + 1) ||
        !EVP_DigestUpdate(ctx, token, strlen(token)) ||
        !EVP_DigestFinal_ex(ctx, key, &n))
        memset(key, 0, MCP_TOKEN_CACHE_KEY_LEN);
    EVP_MD_CTX_free(ctx);
}

/* A copy, in the request pool, of a cached token still valid now. */
static int cache_lookup(request_rec *r, struct mcp_bearer_cache *c,
                        const unsigned char *key,
                        const mcp_jwt_verify_opts *opts,
                        mcp_cached_token *out)
{
    const mcp_cached_token *hit;
    const char **roles;
    size_t i;
    int found = 0;

    apr_thread_mutex_lock(c->lock);
    hit = mcp_token_cache_get(c->tokens, key, opts->now - opts->leeway);
    if (hit && !(hit->has_nbf && opts->now + opts->leeway < hit->nbf)) {
        *out = *hit;
        out->sub = apr_pstrdup(r->pool, hit->sub);
        out->jti = hit->jti ? apr_pstrdup(r->pool, hit->jti) : NULL;
        roles = apr_palloc(r->pool, sizeof(char *) * (hit->n_authorities + 1));
        for (i = 0; i < hit->n_authorities; i++)
            roles[i] = apr_pstrdup(r->pool, hit->authorities[i]);
        roles[hit->n_authorities] = NULL;
        out->authorities = roles;
        found = 1;
    }
    apr_thread_mutex_unlock(c->lock);
    return found;
}

/* ------------------------------------------------------------------ */
/* Verification                                                         */
/* ------------------------------------------------------------------ */

/* Verifies with the JWT unit; on success *out holds the token's claims in
 * the request pool.  Returns NULL or the reason for refusing. */
static const char *verify_token(request_rec *r, const char *token,
                                const mcp_jwt_verify_opts *opts,
                                mcp_cached_token *out)
{
    const mcp_jwt_key *const *ring;
    mcp_jwt_verified v;
    mcp_jwt_status st;
    apr_size_t n_ring;
    const char **roles;
    int i, n;

    ring = mcp_key_ring(r->server, &n_ring);
    st = mcp_jwt_verify(token, strlen(token), ring, n_ring, opts, &v);
    if (st != MCP_JWT_OK)
        return mcp_jwt_status_text(st);
    if (!v.sub || !mcp_role_is_valid(v.sub, strlen(v.sub))) {
        mcp_jwt_verified_clear(&v);
        return "the token names no valid subject";
    }
    n = v.authorities ? cJSON_GetArraySize(v.authorities) : 0;
    roles = apr_palloc(r->pool, sizeof(char *) * (n + 1));
    for (i = 0; i < n; i++) {
        const char *role = cJSON_GetArrayItem(v.authorities, i)->valuestring;
        if (!mcp_role_is_valid(role, strlen(role))) {
            mcp_jwt_verified_clear(&v);
            return "the token holds an invalid authority";
        }
        roles[i] = apr_pstrdup(r->pool, role);
    }
    roles[n] = NULL;
    memset(out, 0, sizeof(*out));
    out->sub = apr_pstrdup(r->pool, v.sub);
    out->jti = v.jti ? apr_pstrdup(r->pool, v.jti) : NULL;
    out->iat = v.iat;
    out->has_iat = v.has_iat;
    out->nbf = v.nbf;
    out->has_nbf = v.has_nbf;
    out->exp = v.exp;
    out->authorities = roles;
    out->n_authorities = (size_t)n;
    mcp_jwt_verified_clear(&v);
    return NULL;
}

static int check_bearer(request_rec *r)
{
    mcp_server_conf *sconf;
    mcp_dir_conf *dconf;
    struct mcp_bearer_cache *cache;
    mcp_jwt_verify_opts opts;
    mcp_cached_token t;
    unsigned char key[MCP_TOKEN_CACHE_KEY_LEN];
    bearer_state *state;
    const char *token, *joined = "", *why;
    size_t i;
    int other;

    if (!is_bearer_type(ap_auth_type(r)))
        return DECLINED;
    r->ap_auth_type = (char *)MCP_BEARER_AUTH_TYPE;
    sconf = mcp_server_config(r->server);
    dconf = mcp_dir_config(r);
    strip_pass_headers(r, dconf);

    token = bearer_token(r, &other);
    if (!token) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "no bearer token for %s%s", r->uri,
                      other ? " (another authorization scheme was sent)"
                            : "");
        set_challenge(r, NULL, NULL);
        return HTTP_UNAUTHORIZED;
    }

    memset(&opts, 0, sizeof(opts));
    opts.now = apr_time_sec(apr_time_now());
    opts.leeway = dconf->leeway_set ? dconf->leeway : MCP_DEFAULT_LEEWAY;
    opts.issuer = dconf->bearer_issuer_set ? dconf->bearer_issuer
                                           : sconf->issuer;
    opts.audience = dconf->bearer_audience;
    opts.require_exp = 1;

    cache = sconf->bearer_cache;
    if (cache && strlen(token) <= MCP_JWT_MAX_TOKEN_LEN)
        cache_key(token, &opts, key);
    else
        cache = NULL;
    if (!cache || !cache_lookup(r, cache, key, &opts, &t)) {
        why = verify_token(r, token, &opts, &t);
        if (why)
            return refuse(r, why);
        if (cache) {
            apr_thread_mutex_lock(cache->lock);
            mcp_token_cache_put(cache->tokens, key, &t);
            apr_thread_mutex_unlock(cache->lock);
        }
    }
    if (is_revoked(r, &t))
        return refuse(r, "the token has been revoked");

    state = apr_pcalloc(r->pool, sizeof(*state));
    state->authorities = apr_array_make(
        r->pool, t.n_authorities ? (int)t.n_authorities : 1, sizeof(char *));
    for (i = 0; i < t.n_authorities; i++) {
        *(const char **)apr_array_push(state->authorities) =
            t.authorities[i];
        joined = apr_pstrcat(r->pool, joined, i ? "," : "",
                             t.authorities[i], NULL);
    }
    ap_set_module_config(r->request_config, &mcp_credentials_module, state);

    r->user = (char *)t.sub;
    if (t.jti)
        apr_table_setn(r->notes, "MCP_TOKEN_JTI", t.jti);
    apr_table_setn(r->subprocess_env, "MCP_AUTHORITIES", joined);
    if (dconf->pass_user)
        apr_table_setn(r->headers_in, dconf->pass_user, r->user);
    if (dconf->pass_authorities)
        apr_table_setn(r->headers_in, dconf->pass_authorities, joined);
    if (dconf->forward_token_set && !dconf->forward_token)
        apr_table_unset(r->headers_in, "Authorization");
    return OK;
}

/* A CORS preflight carries no credentials by design: under mcp-bearer it
 * is let through without a token, so browser-based MCP clients can ask. */
static int allow_preflight(request_rec *r)
{
    if (!is_bearer_type(ap_auth_type(r)) || r->method_number != M_OPTIONS ||
        !apr_table_get(r->headers_in, "Access-Control-Request-Method") ||
        !apr_table_get(r->headers_in, "Origin"))
        return DECLINED;
    strip_pass_headers(r, mcp_dir_config(r));
    return OK;
}

/* ------------------------------------------------------------------ */
/* Require mcp-authority ROLE...                                        */
/* ------------------------------------------------------------------ */

static const char *authority_parse(cmd_parms *cmd, const char *line,
                                   const void **parsed)
{
    apr_array_header_t *roles = apr_array_make(cmd->pool, 2, sizeof(char *));
    const char *t = line;
    char *w;

    while (*(w = ap_getword_white(cmd->pool, &t))) {
        if (!mcp_role_is_valid(w, strlen(w)))
            return apr_psprintf(cmd->pool,
                                "Require mcp-authority: '%s' is not a role",
                                w);
        *(const char **)apr_array_push(roles) = w;
    }
    if (!roles->nelts)
        return "Require mcp-authority: name at least one role";
    *parsed = roles;
    return NULL;
}

static authz_status authority_check(request_rec *r, const char *line,
                                    const void *parsed)
{
    const apr_array_header_t *want = parsed;
    bearer_state *state;
    int i, j;
    (void)line;

    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    state = ap_get_module_config(r->request_config, &mcp_credentials_module);
    if (state) {
        for (i = 0; i < want->nelts; i++)
            for (j = 0; j < state->authorities->nelts; j++)
                if (!strcmp(APR_ARRAY_IDX(want, i, const char *),
                            APR_ARRAY_IDX(state->authorities, j,
                                          const char *)))
                    return AUTHZ_GRANTED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "user '%s' lacks the authority for %s",
                  ap_escape_logitem(r->pool, r->user), r->uri);
    if (mcp_is_bearer_request(r))
        set_challenge(r, "insufficient_scope",
                      "the token lacks the authority this resource needs");
    return AUTHZ_DENIED;
}

static const authz_provider authority_provider = {authority_check,
                                                  authority_parse};

/* ------------------------------------------------------------------ */
/* RFC 9728 Protected Resource Metadata                                 */
/* ------------------------------------------------------------------ */

/* Served before any access control: clients fetch it without a token to
 * learn how to get one. */
static int resource_metadata(request_rec *r, int lookup_uri)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    size_t wk = sizeof(WELL_KNOWN) - 1;
    const char *suffix, *origin;
    cJSON *doc, *list;
    char *text;
    const char *c;

    if (lookup_uri || sconf->resource_metadata <= 0 || !r->uri ||
        strncmp(r->uri, WELL_KNOWN, wk) ||
        (r->uri[wk] != '\0' && r->uri[wk] != '/'))
        return DECLINED;
    suffix = r->uri + wk;
    for (c = suffix; *c; c++)
        if (!apr_isalnum(*c) && !ap_strchr_c("/-._~", *c))
            return HTTP_NOT_FOUND;
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    origin = mcp_public_origin(r);
    doc = cJSON_CreateObject();
    if (!doc)
        return HTTP_INTERNAL_SERVER_ERROR;
    cJSON_AddStringToObject(doc, "resource",
                            apr_pstrcat(r->pool, origin, suffix, NULL));
    list = cJSON_AddArrayToObject(doc, "bearer_methods_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("header"));
    cJSON_AddStringToObject(doc, "resource_name",
                            sconf->resource_name ? sconf->resource_name
                                                 : "MCP server");
    if (sconf->page_path)
        cJSON_AddStringToObject(
            doc, "resource_documentation",
            apr_pstrcat(r->pool, origin, sconf->page_path, NULL));
    list = cJSON_AddArrayToObject(doc, "resource_signing_alg_values_supported");
    cJSON_AddItemToArray(list, cJSON_CreateString("RS512"));
    if (sconf->authorization_server) {
        list = cJSON_AddArrayToObject(doc, "authorization_servers");
        cJSON_AddItemToArray(list,
                             cJSON_CreateString(sconf->authorization_server));
    }
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return HTTP_INTERNAL_SERVER_ERROR;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
    ap_set_content_length(r, strlen(text));
    if (!r->header_only)
        ap_rwrite(text, (int)strlen(text), r);
    cJSON_free(text);
    return OK;
}

void mcp_bearer_register_hooks(apr_pool_t *p)
{
    ap_hook_check_authn(check_bearer, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_access_ex(allow_preflight, NULL, NULL, APR_HOOK_FIRST,
                            AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_quick_handler(resource_metadata, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_monitor(mcp_bearer_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "mcp-authority",
                              AUTHZ_PROVIDER_VERSION, &authority_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
