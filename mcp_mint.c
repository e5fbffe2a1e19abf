/*
 * Minting: one service for the JSON endpoint and the page's form post.
 * The user's roles, the lifetime, the authorities the token carries, the
 * rate limit, the signature and the audit line.
 */

#include "mcp_module.h"

#include "duration.h"
#include "grant.h"
#include "oauth_params.h"
#include "timefmt.h"

/* ------------------------------------------------------------------ */
/* Roles                                                                */
/* ------------------------------------------------------------------ */

/* The roles the signed-in user holds, from the operator's sources and
 * rules, in a stable order; computed once a request. */
mcp_roles *mcp_user_roles(request_rec *r)
{
    mcp_request *ctx = mcp_request_get(r);
    const mcp_dir_conf *dconf = mcp_dir_config(r);
    mcp_roles *raw, *out;
    mcp_role_policy policy;
    int i, j;

    if (ctx->roles)
        return ctx->roles;
    raw = mcp_pool_roles(r->pool);
    out = mcp_pool_roles(r->pool);

    for (i = 0; i < dconf->role_sources->nelts; i++) {
        const mcp_role_source *src =
            &APR_ARRAY_IDX(dconf->role_sources, i, mcp_role_source);
        const char *v = NULL;
        int rc = 0;
        switch (src->kind) {
        case MCP_ROLES_FROM_ENV:
            v = apr_table_get(r->subprocess_env, src->name);
            break;
        case MCP_ROLES_FROM_HEADER:
            v = apr_table_get(r->headers_in, src->name);
            break;
        case MCP_ROLES_FROM_GROUPFILE:
            rc = mcp_groupfile_groups_of(src->groupfile, r->user, raw);
            break;
        case MCP_ROLES_FROM_STATIC:
            for (j = 0; j < src->statics->nelts && rc >= 0; j++) {
                const char *role = APR_ARRAY_IDX(src->statics, j, char *);
                rc = mcp_roles_add(raw, role, strlen(role));
            }
            break;
        }
        if (v)
            rc = mcp_roles_add_split(raw, v, src->separator);
        if (rc < 0)
            return NULL;
    }
    policy.map = (const mcp_role_map_entry *)dconf->role_map->elts;
    policy.n_map = dconf->role_map->nelts;
    policy.prefix = dconf->role_prefix;
    policy.allow = (const char *const *)dconf->roles_allowed->elts;
    policy.n_allow = dconf->roles_allowed->nelts;
    if (mcp_roles_apply_policy(raw, &policy, out) != 0)
        return NULL;
    if (raw->dropped || out->dropped)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "%lu role value(s) of user '%s' dropped: not valid "
                      "UTF-8, a control character, a comma or a space at "
                      "either end (once mapped and prefixed), longer than "
                      "%d bytes, or more than %d roles",
                      (unsigned long)(raw->dropped + out->dropped),
                      ap_escape_logitem(r->pool, r->user), MCP_ROLE_MAX_LEN,
                      MCP_ROLES_MAX);
    ctx->roles = out;
    return out;
}

/* ------------------------------------------------------------------ */
/* Minting                                                              */
/* ------------------------------------------------------------------ */

/* Turns the requested lifetime into exp.  Returns NULL, or the message of
 * a 400 answer. */
static const char *resolve_expiry(request_rec *r,
                                  const mcp_token_request *req,
                                  apr_int64_t now, apr_int64_t max,
                                  apr_int64_t *exp)
{
    char iso[48], words[64];

    if (req->expires_in) {
        mcp_duration d;
        mcp_duration_status st = mcp_duration_parse(
            req->expires_in, strlen(req->expires_in), &d);
        if (st != MCP_DURATION_OK)
            return apr_psprintf(r->pool,
                                "\"expiresIn\" is not a duration such as "
                                "P30D: %s",
                                mcp_duration_status_text(st));
        if (!mcp_duration_is_positive(&d))
            return "\"expiresIn\" must be a positive duration";
        if (d.seconds < 1)
            return "\"expiresIn\" must be at least one second";
        if (d.seconds > max)
            goto too_long;
        *exp = now + d.seconds;
    }
    else {
        apr_int64_t at;
        if (mcp_rfc3339_parse(req->expires_at, strlen(req->expires_at),
                              &at) != 0)
            return "\"expiresAt\" is not an RFC 3339 date-time such as "
                   "2026-12-31T23:59:59Z";
        if (at <= now)
            return "\"expiresAt\" is in the past";
        if (at - now > max)
            goto too_long;
        *exp = at;
    }
    return NULL;

too_long:
    mcp_duration_format_iso(max, iso, sizeof(iso));
    mcp_duration_format_words(max, words, sizeof(words));
    return apr_psprintf(r->pool,
                        "the lifetime exceeds the maximum of %s (%s) "
                        "allowed here",
                        iso, words);
}

/* The authorities the token carries: all the user's roles, or the subset
 * the client asked for (in the user's order).  NULL with *bad set when
 * the client asked for a role the user lacks. */
static mcp_roles *choose_authorities(request_rec *r, mcp_roles *held,
                                     const mcp_token_request *req,
                                     const char **bad)
{
    mcp_roles *out;
    size_t i;

    if (!req->has_authorities)
        return held;
    for (i = 0; i < req->authorities.n; i++) {
        if (!mcp_roles_contains(held, req->authorities.items[i])) {
            *bad = req->authorities.items[i];
            return NULL;
        }
    }
    out = mcp_pool_roles(r->pool);
    for (i = 0; i < held->n; i++)
        if (mcp_roles_contains(&req->authorities, held->items[i]) &&
            mcp_roles_add(out, held->items[i], strlen(held->items[i])) < 0)
            return NULL;
    return out;
}

/* Signs claims (sub, aud, resource, client_id, iat and exp set by the
 * caller) with the server's key, for the roles granted, and writes the
 * audit line.  grant names the OAuth grant the token comes from, or is
 * NULL. */
static int sign_and_log(request_rec *r, mcp_jwt_claims *claims,
                        mcp_roles *granted, const char *grant,
                        mcp_minted *minted)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    char err[MCP_JWT_ERRLEN];
    char jti[37], *token, when[32];
    apr_array_header_t arr;
    const char *list;

    if (mcp_jwt_new_jti(jti) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot mint: the random generator failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    claims->iss = sconf->issuer;
    claims->jti = jti;
    claims->nbf = claims->iat;
    claims->authorities = (const char *const *)granted->items;
    claims->n_authorities = granted->n;
    token = mcp_jwt_mint(mcp_signing_key(r->server), claims, err,
                         sizeof(err));
    if (!token) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "cannot mint: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    minted->token = apr_pstrdup(r->pool, token);
    free(token);
    minted->jti = apr_pstrdup(r->pool, jti);
    minted->iat = claims->iat;
    minted->exp = claims->exp;
    minted->authorities = granted;

    apr_table_setn(r->notes, "MCP_TOKEN_JTI", minted->jti);
    /* Every granted role is passable (mcp_roles_apply_policy): the list
     * reads back as exactly these roles. */
    arr.pool = r->pool;
    arr.elt_size = sizeof(char *);
    arr.nelts = arr.nalloc = (int)granted->n;
    arr.elts = (char *)granted->items;
    list = granted->n ? apr_array_pstrcat(r->pool, &arr, ',') : "";
    mcp_rfc3339_format_utc(claims->exp, when, sizeof(when));
    /* The audit trail of a credential that is never stored: who, which
     * id, until when, with what.  Never the token itself.  Notice is
     * logged whatever the LogLevel. */
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  "minted token jti=%s sub='%s' exp=%s authorities=[%s] "
                  "client=%s%s%s",
                  minted->jti, ap_escape_logitem(r->pool, claims->sub), when,
                  ap_escape_logitem(r->pool, list), r->useragent_ip,
                  grant ? " grant=" : "", grant ? grant : "");
    return OK;
}

/* What minting and approving share: the lifetime, the roles out of
 * those offered, one count of the rate limit.  OK, or the status to
 * answer with *code and *message (400, 429, 503), or 500. */
static int decide(request_rec *r, const mcp_token_request *req,
                  mcp_roles *offered, apr_int64_t now, apr_int64_t *exp,
                  mcp_roles **granted, const char **code,
                  const char **message)
{
    const mcp_dir_conf *dconf = mcp_dir_config(r);
    const char *bad = NULL;
    apr_int64_t wait;
    int rc;

    *message = resolve_expiry(r, req, now, dconf->max_lifetime, exp);
    if (*message) {
        *code = "invalid_lifetime";
        return HTTP_BAD_REQUEST;
    }
    *granted = choose_authorities(r, offered, req, &bad);
    if (!*granted) {
        if (!bad)
            return HTTP_INTERNAL_SERVER_ERROR;
        *code = "invalid_authorities";
        *message = apr_psprintf(
            r->pool, "\"authorities\" names a role you do not hold: %s", bad);
        return HTTP_BAD_REQUEST;
    }
    rc = mcp_ratelimit_take(r, &wait);
    if (rc != OK) {
        *code = "temporarily_unavailable";
        *message = "tokens cannot be minted right now: try again later";
        return rc;
    }
    if (wait > 0) {
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait));
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "user '%s' reached the mint rate limit",
                      ap_escape_logitem(r->pool, r->user));
        *code = "rate_limited";
        *message = apr_psprintf(r->pool,
                                "too many tokens minted: try again in "
                                "%" APR_INT64_T_FMT " seconds",
                                wait);
        return HTTP_TOO_MANY_REQUESTS;
    }
    return OK;
}

int mcp_mint(request_rec *r, const mcp_token_request *req,
             mcp_minted *minted, const char **code, const char **message)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    apr_int64_t now = apr_time_sec(apr_time_now()), exp = 0;
    mcp_roles *held = mcp_user_roles(r), *granted;
    mcp_jwt_claims claims;
    int rc;

    if (!held)
        return HTTP_INTERNAL_SERVER_ERROR;
    rc = decide(r, req, held, now, &exp, &granted, code, message);
    if (rc != OK)
        return rc;
    memset(&claims, 0, sizeof(claims));
    claims.sub = r->user;
    claims.aud = sconf->audience;
    claims.iat = now;
    claims.exp = exp;
    return sign_and_log(r, &claims, granted, NULL, minted);
}

int mcp_approve(request_rec *r, const mcp_token_request *req,
                mcp_roles *offered, apr_int64_t *grant_exp,
                mcp_roles **granted, const char **code, const char **message)
{
    return decide(r, req, offered, apr_time_sec(apr_time_now()), grant_exp,
                  granted, code, message);
}

/* The scope claim: the roles that can be written as scope tokens. */
static const char *scope_of(request_rec *r, const mcp_roles *roles)
{
    const char *scope = "";
    size_t i;
    for (i = 0; i < roles->n; i++)
        if (mcp_oauth_scope_token_valid(roles->items[i]))
            scope = *scope ? apr_pstrcat(r->pool, scope, " ",
                                         roles->items[i], NULL)
                           : roles->items[i];
    return scope;
}

int mcp_mint_for_grant(request_rec *r, const mcp_grant *grant,
                       const char *client_id, mcp_minted *minted,
                       const char **scope)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    apr_int64_t now = apr_time_sec(apr_time_now());
    mcp_roles *granted = mcp_pool_roles(r->pool);
    mcp_jwt_claims claims;
    size_t i;

    for (i = 0; i < grant->roles.n; i++)
        if (mcp_roles_add(granted, grant->roles.items[i],
                          strlen(grant->roles.items[i])) < 0)
            return HTTP_INTERNAL_SERVER_ERROR;
    *scope = scope_of(r, granted);
    memset(&claims, 0, sizeof(claims));
    claims.sub = grant->sub;
    claims.aud = sconf->audience;
    claims.resource = grant->resource;
    claims.client_id = client_id;
    claims.scope = *scope;
    claims.iat = now;
    claims.exp = now + sconf->access_lifetime;
    if (claims.exp > grant->grant_exp)
        claims.exp = grant->grant_exp;
    return sign_and_log(r, &claims, granted, grant->id, minted);
}
