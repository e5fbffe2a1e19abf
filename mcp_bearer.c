/*
 * AuthType mcp-bearer: httpd checks the tokens itself, in front of any MCP
 * server.  Authentication (check_authn), the "mcp-authority" authorization
 * provider, the challenge (RFC 6750, MCP authorization), CORS and the
 * verified-token cache.  The revocation list is mcp_revocation.c's, the
 * RFC 9728 documents mcp_metadata.c's.
 */

#include "mcp_module.h"

#include "http_request.h"
#include "mod_auth.h"
#include "ap_provider.h"
#include "apr_thread_mutex.h"

#include <openssl/evp.h>

#include "token_cache.h"

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

/* Sets WWW-Authenticate: Bearer realm=..., resource_metadata=...,
 * error=..., error_description=... (RFC 6750 section 3). */
static void set_challenge(request_rec *r, const char *error,
                          const char *description)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    const char *realm = ap_auth_name(r);
    const char *h = apr_psprintf(r->pool, "Bearer realm=\"%s\"",
                                 quoted(r->pool, realm ? realm : "mcp"));
    if (sconf->resource_metadata)
        h = apr_psprintf(r->pool, "%s, resource_metadata=\"%s\"", h,
                         quoted(r->pool, mcp_metadata_url(r)));
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
    /* Fetched once per child: a fetch a request would be a lookup in
     * OpenSSL's shared method store.  The threads share it, as OpenSSL
     * allows a fetched EVP_MD to be shared (its use counts references,
     * atomically). */
    EVP_MD *sha256;
};

static apr_status_t cache_cleanup(void *data)
{
    struct mcp_bearer_cache *cache = data;
    mcp_token_cache_free(cache->tokens);
    EVP_MD_free(cache->sha256);
    return APR_SUCCESS;
}

/* A server that uses the same keys as an earlier one, with a cache of
 * the same size, shares that server's cache: the key of an entry already
 * holds the issuer and audience it was checked against. */
static struct mcp_bearer_cache *cache_of_twin(server_rec *first,
                                              server_rec *s,
                                              const mcp_server_conf *conf,
                                              int size)
{
    for (; first && first != s; first = first->next) {
        mcp_server_conf *other = mcp_server_config(first);
        if (other->bearer_cache && other->bearer_cache_size == size &&
            other->signing_key == conf->signing_key &&
            other->verify_keys == conf->verify_keys)
            return other->bearer_cache;
    }
    return NULL;
}

static void cache_child_init(apr_pool_t *pchild, server_rec *first,
                             server_rec *s, mcp_server_conf *conf)
{
    struct mcp_bearer_cache *c;
    int size = conf->bearer_cache_size;
    conf->bearer_cache = NULL;
    if (size <= 0)
        return;
    if ((conf->bearer_cache = cache_of_twin(first, s, conf, size)))
        return;
    c = apr_pcalloc(pchild, sizeof(*c));
    c->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (!c->sha256 ||
        apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS ||
        !(c->tokens = mcp_token_cache_create((size_t)size))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "MCPBearerCache: cannot create the cache; every "
                     "request verifies its token");
        EVP_MD_free(c->sha256);
        mcp_token_cache_free(c->tokens);
        return;
    }
    apr_pool_cleanup_register(pchild, c, cache_cleanup,
                              apr_pool_cleanup_null);
    conf->bearer_cache = c;
}

void mcp_bearer_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *v;
    for (v = s; v; v = v->next)
        cache_child_init(pchild, s, v, mcp_server_config(v));
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
        /* The rule of every final role: one that would read as several
         * in the list handed to the backend refuses the token. */
        if (!mcp_role_is_passable(role, strlen(role))) {
            mcp_jwt_verified_clear(&v);
            return "the token holds an authority that cannot be passed on "
                   "(a comma, a space at either end, a control character "
                   "or invalid UTF-8)";
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

/* ------------------------------------------------------------------ */
/* CORS                                                                 */
/* ------------------------------------------------------------------ */

#define CORS_FILTER "MCP_CORS"
#define CORS_ALLOW_METHODS "GET, POST, DELETE, OPTIONS"
#define CORS_ALLOW_HEADERS                                                    \
    "Authorization, Content-Type, Accept, Mcp-Session-Id, "                   \
    "Mcp-Protocol-Version, Last-Event-ID"
#define CORS_EXPOSE_HEADERS                                                   \
    "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version"

/* The request's Origin when this location lets that origin in, or NULL. */
static const char *allowed_origin(request_rec *r, const mcp_dir_conf *dconf)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    int i;

    if (!origin || !dconf->cors_origins)
        return NULL;
    for (i = 0; i < dconf->cors_origins->nelts; i++) {
        const char *o = APR_ARRAY_IDX(dconf->cors_origins, i, const char *);
        if (!strcmp(o, "*") || !strcasecmp(o, origin))
            return origin;
    }
    return NULL;
}

static void set_cors_headers(apr_table_t *h, const char *origin)
{
    static const char *const names[] = {
        "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
        "Access-Control-Expose-Headers", NULL};
    int i;
    for (i = 0; names[i]; i++)
        apr_table_unset(h, names[i]);
    apr_table_setn(h, "Access-Control-Allow-Origin", origin);
    apr_table_setn(h, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

/* Puts this location's CORS answer on whatever goes out, replacing a
 * backend's own, so the browser sees one Access-Control-Allow-Origin. */
static apr_status_t cors_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const char *origin = f->ctx;
    apr_table_unset(r->err_headers_out, "Access-Control-Allow-Origin");
    apr_table_unset(r->err_headers_out, "Access-Control-Expose-Headers");
    set_cors_headers(r->headers_out, origin);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static int is_preflight(request_rec *r)
{
    return r->method_number == M_OPTIONS &&
           apr_table_get(r->headers_in, "Origin") &&
           apr_table_get(r->headers_in, "Access-Control-Request-Method");
}

/*
 * A CORS preflight carries no token by design.  It is answered here, from
 * authentication: httpd has applied every rule that needs no user by now
 * (Require ip, Require all denied, the user-less parts of <RequireAll> and
 * <RequireAny>), so the preflight is spared the token and nothing else.
 * It never reaches a backend, and one with a body is refused.
 */
static int answer_preflight(request_rec *r, const mcp_dir_conf *dconf)
{
    const char *origin;

    if (apr_table_get(r->headers_in, "Transfer-Encoding") ||
        (apr_table_get(r->headers_in, "Content-Length") &&
         strcmp(apr_table_get(r->headers_in, "Content-Length"), "0"))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "CORS preflight for %s refused: it carries a body",
                      r->uri);
        r->connection->keepalive = AP_CONN_CLOSE;
        return HTTP_BAD_REQUEST;
    }
    origin = allowed_origin(r, dconf);
    if (!origin) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "CORS preflight for %s refused: origin '%s' is not "
                      "in MCPBearerCORSOrigins",
                      r->uri,
                      ap_escape_logitem(r->pool, apr_table_get(r->headers_in,
                                                               "Origin")));
        return HTTP_FORBIDDEN;
    }
    set_cors_headers(r->err_headers_out, origin);
    apr_table_mergen(r->err_headers_out, "Vary", "Origin");
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Methods",
                   CORS_ALLOW_METHODS);
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Headers",
                   CORS_ALLOW_HEADERS);
    apr_table_setn(r->err_headers_out, "Access-Control-Max-Age", "600");
    return HTTP_NO_CONTENT;
}

/* ------------------------------------------------------------------ */
/* The guard                                                            */
/* ------------------------------------------------------------------ */

/* The token from the cache, or verified now (and then cached).  Returns
 * NULL or the reason for refusing. */
static const char *token_claims(request_rec *r, const char *token,
                                const mcp_jwt_verify_opts *opts,
                                mcp_cached_token *t)
{
    struct mcp_bearer_cache *cache = mcp_server_config(r->server)->bearer_cache;
    unsigned char key[MCP_TOKEN_CACHE_KEY_LEN];
    size_t len = strlen(token);
    const char *why, *audience = opts->audience;

    /* What the audience checks were, all of it: a token cached where no
     * resource is required is not good where one is. */
    if (opts->resource || opts->require_aud)
        audience = apr_pstrcat(r->pool, opts->audience ? opts->audience : "",
                               "\n", opts->resource ? opts->resource : "",
                               opts->require_aud ? "\nrequired" : "", NULL);
    /* A key that cannot be computed means no cache, never a shared key. */
    if (cache && (len > MCP_JWT_MAX_TOKEN_LEN ||
                  mcp_token_cache_key(cache->sha256, token, len, opts->issuer,
                                      audience, key) != 0))
        cache = NULL;
    if (cache && cache_lookup(r, cache, key, opts, t))
        return NULL;
    why = verify_token(r, token, opts, t);
    if (!why && cache) {
        apr_thread_mutex_lock(cache->lock);
        mcp_token_cache_put(cache->tokens, key, t);
        apr_thread_mutex_unlock(cache->lock);
    }
    return why;
}

static int check_bearer(request_rec *r)
{
    mcp_server_conf *sconf;
    mcp_dir_conf *dconf;
    mcp_jwt_verify_opts opts;
    mcp_cached_token t;
    mcp_request *ctx;
    const char *token, *joined, *why, *origin;
    size_t i;
    int other;

    if (!is_bearer_type(ap_auth_type(r)))
        return DECLINED;
    r->ap_auth_type = (char *)MCP_BEARER_AUTH_TYPE;
    sconf = mcp_server_config(r->server);
    dconf = mcp_dir_config(r);
    /* Client-sent copies of the pass headers went in post_read_request. */
    if (is_preflight(r))
        return answer_preflight(r, dconf);
    /* An error answer (the challenge) keeps err_headers_out but none of
     * the request's filters; a served answer goes through the filter,
     * which puts the CORS headers in place of a backend's. */
    if ((origin = allowed_origin(r, dconf))) {
        set_cors_headers(r->err_headers_out, origin);
        apr_table_mergen(r->err_headers_out, "Vary", "Origin");
        ap_add_output_filter(CORS_FILTER, (void *)origin, r, r->connection);
    }

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
    opts.leeway = dconf->leeway;
    opts.issuer = dconf->bearer_issuer ? dconf->bearer_issuer : sconf->issuer;
    opts.audience = dconf->bearer_audience;
    opts.resource = dconf->bearer_resource;
    opts.require_aud = dconf->require_audience;
    opts.require_exp = 1;

    why = token_claims(r, token, &opts, &t);
    if (why)
        return refuse(r, why);
    switch (mcp_revocation_check(r, t.jti, t.sub,
                                 t.has_iat ? t.iat : INT64_MIN)) {
    case MCP_REVOKED:
        return refuse(r, "the token has been revoked");
    case MCP_REVOCATION_UNAVAILABLE:
        return refuse(r, "revocation list unavailable");
    case MCP_NOT_REVOKED:
        break;
    }

    ctx = mcp_request_get(r);
    ctx->authorities = apr_array_make(
        r->pool, t.n_authorities ? (int)t.n_authorities : 1, sizeof(char *));
    for (i = 0; i < t.n_authorities; i++)
        *(const char **)apr_array_push(ctx->authorities) = t.authorities[i];
    /* Every authority is passable (verify_token): the list reads back as
     * exactly these roles. */
    joined = apr_array_pstrcat(r->pool, ctx->authorities, ',');

    r->user = (char *)t.sub;
    if (t.jti)
        apr_table_setn(r->notes, "MCP_TOKEN_JTI", t.jti);
    apr_table_setn(r->subprocess_env, "MCP_AUTHORITIES", joined);
    if (dconf->pass_user)
        apr_table_setn(r->headers_in, dconf->pass_user, r->user);
    if (dconf->pass_authorities)
        apr_table_setn(r->headers_in, dconf->pass_authorities, joined);
    if (!dconf->forward_token)
        apr_table_unset(r->headers_in, "Authorization");
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
        if (!mcp_role_is_passable(w, strlen(w)))
            return apr_psprintf(cmd->pool,
                                "Require mcp-authority: '%s' is not a role "
                                "(no comma, no control character)",
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
    const apr_array_header_t *held;
    int i, j;
    (void)line;

    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    held = mcp_request_get(r)->authorities;
    for (i = 0; held && i < want->nelts; i++)
        for (j = 0; j < held->nelts; j++)
            if (!strcmp(APR_ARRAY_IDX(want, i, const char *),
                        APR_ARRAY_IDX(held, j, const char *)))
                return AUTHZ_GRANTED;
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

void mcp_bearer_register_hooks(apr_pool_t *p)
{
    ap_hook_check_authn(check_bearer, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_register_output_filter(CORS_FILTER, cors_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "mcp-authority",
                              AUTHZ_PROVIDER_VERSION, &authority_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
