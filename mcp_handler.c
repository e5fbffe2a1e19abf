/*
 * The "mcp-credentials" handler: the page at <base> and the token endpoint
 * at <base>/token.  httpd glue around the units in jwt/ and lib/.
 */

#include "mcp_module.h"

#include "apr_buckets.h"
#include "util_filter.h"
#include "http_request.h"

#include "duration.h"
#include "timefmt.h"

#define JSON_TYPE "application/json"

/* ------------------------------------------------------------------ */
/* Responses                                                            */
/* ------------------------------------------------------------------ */

/* Every answer of the module: not sniffed, not framed, no referrer.  In
 * err_headers_out so that error answers carry them too. */
static void set_security_headers(request_rec *r, int no_store)
{
    apr_table_t *h = r->err_headers_out;
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "Referrer-Policy", "no-referrer");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    if (!apr_table_get(h, "Content-Security-Policy"))
        apr_table_setn(h, "Content-Security-Policy",
                       "default-src 'none'; frame-ancestors 'none'; "
                       "base-uri 'none'; form-action 'self'");
    if (no_store) {
        /* A long-lived bearer token is a credential: no cache keeps it. */
        apr_table_setn(h, "Cache-Control", "no-store");
        apr_table_setn(h, "Pragma", "no-cache");
    }
}

static apr_status_t json_cleanup(void *json)
{
    cJSON_Delete(json);
    return APR_SUCCESS;
}

/* Hands a cJSON tree to a pool, so no error path leaks it. */
cJSON *mcp_pool_json(apr_pool_t *p, cJSON *json)
{
    if (json)
        apr_pool_cleanup_register(p, json, json_cleanup,
                                  apr_pool_cleanup_null);
    return json;
}

static apr_status_t roles_cleanup(void *roles)
{
    mcp_roles_clear(roles);
    return APR_SUCCESS;
}

static mcp_roles *pool_roles(apr_pool_t *p)
{
    mcp_roles *roles = apr_palloc(p, sizeof(*roles));
    mcp_roles_init(roles);
    apr_pool_cleanup_register(p, roles, roles_cleanup, apr_pool_cleanup_null);
    return roles;
}

/* Writes a JSON body with the given status; the answer is complete. */
static int send_json(request_rec *r, int status, const cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    if (!text)
        return HTTP_INTERNAL_SERVER_ERROR;
    r->status = status;
    ap_set_content_type(r, JSON_TYPE);
    ap_set_content_length(r, strlen(text));
    if (!r->header_only)
        ap_rwrite(text, strlen(text), r);
    cJSON_free(text);
    return OK;
}

/* A 405 for resources that answer GET and HEAD only: httpd's own answer
 * builds Allow from the request's allowed methods. */
int mcp_method_not_allowed(request_rec *r)
{
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
    return HTTP_METHOD_NOT_ALLOWED;
}

int mcp_send_error(request_rec *r, int status, const char *code,
                   const char *message)
{
    cJSON *body = mcp_pool_json(r->pool, cJSON_CreateObject());
    if (!body || !cJSON_AddStringToObject(body, "error", code) ||
        !cJSON_AddStringToObject(body, "message", message))
        return HTTP_INTERNAL_SERVER_ERROR;
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE)
        r->connection->keepalive = AP_CONN_CLOSE;
    return send_json(r, status, body);
}

/* ------------------------------------------------------------------ */
/* Request helpers                                                      */
/* ------------------------------------------------------------------ */

/* A header name equal to name, ASCII case-insensitively, '_' and '-' alike
 * (CGI-style consumers read both spellings as one name). */
static int same_header_name(const char *k, apr_size_t klen, const char *name)
{
    apr_size_t j;
    if (klen != strlen(name))
        return 0;
    for (j = 0; j < klen; j++) {
        char a = apr_tolower(k[j]), b = apr_tolower(name[j]);
        if (a == '_')
            a = '-';
        if (b == '_')
            b = '-';
        if (a != b)
            return 0;
    }
    return 1;
}

/* Removes the name from the client's Connection header: a name listed
 * there is hop-by-hop, and mod_proxy would drop the header httpd sets
 * under that name before the backend sees it. */
static void unlist_from_connection(request_rec *r, const char *name)
{
    const char *conn = apr_table_get(r->headers_in, "Connection");
    const char *p = conn;
    char *kept, *out;
    int changed = 0;

    if (!conn)
        return;
    kept = out = apr_palloc(r->pool, strlen(conn) + 1);
    while (*p) {
        const char *start, *end;
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        start = p;
        while (*p && *p != ',')
            p++;
        end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == start)
            continue;
        if (same_header_name(start, (apr_size_t)(end - start), name)) {
            changed = 1;
            continue;
        }
        if (out != kept) {
            *out++ = ',';
            *out++ = ' ';
        }
        memcpy(out, start, end - start);
        out += end - start;
    }
    *out = '\0';
    if (!changed)
        return;
    if (*kept)
        apr_table_setn(r->headers_in, "Connection", kept);
    else
        apr_table_unset(r->headers_in, "Connection");
}

void mcp_unset_header_variants(request_rec *r, const char *name)
{
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = arr->nelts - 1; i >= 0; i--) {
        const char *k = e[i].key;
        if (k && same_header_name(k, strlen(k), name))
            apr_table_unset(r->headers_in, k);
    }
    unlist_from_connection(r, name);
}

/* This server's origin as clients see it: the operator's public URL, or
 * what httpd knows of itself. */
const char *mcp_public_origin(request_rec *r)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    char *origin;
    if (sconf->public_url)
        return sconf->public_url;
    origin = ap_construct_url(r->pool, "", r);
    ap_str_tolower(origin);
    return origin;
}

/* A browser's cross-site request.  Fetch Metadata decides where the
 * browser sends it: "same-origin" also covers the "Origin: null" a
 * browser sends on a form post from a no-referrer page.  Otherwise an
 * Origin naming another site (or "null") is cross-site.  Clients without
 * either header (curl, scripts) pass: they carry their own credentials,
 * not a victim's cookies. */
static int is_cross_site(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    if (site)
        return strcasecmp(site, "same-origin") != 0 &&
               strcasecmp(site, "none") != 0;
    if (origin && strcasecmp(origin, mcp_public_origin(r)) != 0)
        return 1;
    return 0;
}

/* Reads at most limit bytes of body.  Returns OK, or the status to answer
 * (413 over the limit, 400/408 for a broken or slow body). */
static int read_body(request_rec *r, apr_size_t limit, char **out,
                     apr_size_t *outlen)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf;
    apr_size_t len = 0;
    int seen_eos = 0;

    if (cl) {
        apr_off_t n;
        char *end;
        if (apr_strtoff(&n, cl, &end, 10) != APR_SUCCESS || *end || n < 0)
            return HTTP_BAD_REQUEST;
        if ((apr_uint64_t)n > limit)
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    buf = apr_palloc(r->pool, limit + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    do {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            apr_brigade_destroy(bb);
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b))
                continue;
            rv = apr_bucket_read(b, &data, &n, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                apr_brigade_destroy(bb);
                return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            }
            if (n > limit - len) {
                apr_brigade_destroy(bb);
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            memcpy(buf + len, data, n);
            len += n;
        }
        apr_brigade_cleanup(bb);
    } while (!seen_eos);
    apr_brigade_destroy(bb);
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return OK;
}

/* The media type of the request without parameters, lower case. */
static const char *media_type(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *semi;
    char *type;
    if (!ct)
        return "";
    semi = ap_strchr_c(ct, ';');
    type = semi ? apr_pstrmemdup(r->pool, ct, semi - ct)
                : apr_pstrdup(r->pool, ct);
    apr_collapse_spaces(type, type);
    ap_str_tolower(type);
    return type;
}

/* ------------------------------------------------------------------ */
/* Roles                                                                */
/* ------------------------------------------------------------------ */

/* The roles the signed-in user holds, from the operator's sources and
 * rules, in a stable order.  Returns NULL when out of memory. */
mcp_roles *mcp_user_roles(request_rec *r, const mcp_dir_conf *dconf)
{
    mcp_roles *raw = pool_roles(r->pool), *out = pool_roles(r->pool);
    mcp_role_policy policy;
    int i, j;

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
    return out;
}

/* ------------------------------------------------------------------ */
/* Minting                                                              */
/* ------------------------------------------------------------------ */

static int effective_enabled(const mcp_dir_conf *dconf)
{
    return dconf->enabled_set ? dconf->enabled : mcp_env()->enabled;
}

apr_int64_t mcp_max_lifetime(const mcp_dir_conf *dconf)
{
    return dconf->max_lifetime_set ? dconf->max_lifetime
                                   : mcp_env()->max_lifetime;
}

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
    out = pool_roles(r->pool);
    for (i = 0; i < held->n; i++)
        if (mcp_roles_contains(&req->authorities, held->items[i]) &&
            mcp_roles_add(out, held->items[i], strlen(held->items[i])) < 0)
            return NULL;
    return out;
}

static apr_status_t token_request_cleanup(void *req)
{
    mcp_token_request_clear(req);
    return APR_SUCCESS;
}

/* An empty token request whose strings the pool frees. */
mcp_token_request *mcp_pool_token_request(apr_pool_t *p)
{
    mcp_token_request *req = apr_palloc(p, sizeof(*req));
    mcp_token_request_init(req);
    apr_pool_cleanup_register(p, req, token_request_cleanup,
                              apr_pool_cleanup_null);
    return req;
}

/* Mints for the request's user.  Returns OK with *minted filled, or the
 * status to answer: 400, 429 or 503 with *code and *message for the
 * client, or 500 (logged here). */
int mcp_mint(request_rec *r, const mcp_dir_conf *dconf,
             const mcp_token_request *req, mcp_minted *minted,
             const char **code, const char **message)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_int64_t exp = 0;
    const char *bad = NULL;
    mcp_roles *held, *granted;
    mcp_jwt_claims claims;
    char err[MCP_JWT_ERRLEN];
    char jti[37], *token;

    *message = resolve_expiry(r, req, now, mcp_max_lifetime(dconf), &exp);
    if (*message) {
        *code = "invalid_lifetime";
        return HTTP_BAD_REQUEST;
    }

    held = mcp_user_roles(r, dconf);
    if (!held)
        return HTTP_INTERNAL_SERVER_ERROR;
    granted = choose_authorities(r, held, req, &bad);
    if (!granted) {
        if (!bad)
            return HTTP_INTERNAL_SERVER_ERROR;
        *code = "invalid_authorities";
        *message = apr_psprintf(
            r->pool, "\"authorities\" names a role you do not hold: %s", bad);
        return HTTP_BAD_REQUEST;
    }

    {
        apr_int64_t wait;
        int rc = mcp_ratelimit_take(r, dconf, &wait);
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
    }

    if (mcp_jwt_new_jti(jti) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot mint: the random generator failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    claims.sub = r->user;
    claims.iss = sconf->issuer;
    claims.aud = sconf->audience;
    claims.jti = jti;
    claims.iat = now;
    claims.nbf = now;
    claims.exp = exp;
    claims.authorities = (const char *const *)granted->items;
    claims.n_authorities = granted->n;
    token = mcp_jwt_mint(sconf->signing_key, &claims, err, sizeof(err));
    if (!token) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "cannot mint: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    minted->token = apr_pstrdup(r->pool, token);
    free(token);
    minted->jti = apr_pstrdup(r->pool, jti);
    minted->iat = now;
    minted->exp = exp;
    minted->authorities = granted;

    apr_table_setn(r->notes, "MCP_TOKEN_JTI", minted->jti);
    {
        char when[32];
        /* Every granted role is passable (mcp_roles_apply_policy): the
         * list reads back as exactly these roles. */
        apr_array_header_t arr;
        const char *list;
        arr.pool = r->pool;
        arr.elt_size = sizeof(char *);
        arr.nelts = arr.nalloc = (int)granted->n;
        arr.elts = (char *)granted->items;
        list = granted->n ? apr_array_pstrcat(r->pool, &arr, ',') : "";
        mcp_rfc3339_format_utc(exp, when, sizeof(when));
        /* The audit trail of a credential that is never stored: who, which
         * id, until when, with what.  Never the token itself.  Notice is
         * logged whatever the LogLevel. */
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "minted token jti=%s sub='%s' exp=%s authorities=[%s] "
                      "client=%s",
                      minted->jti, ap_escape_logitem(r->pool, r->user), when,
                      ap_escape_logitem(r->pool, list), r->useragent_ip);
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* Sub-paths                                                            */
/* ------------------------------------------------------------------ */

static int handle_token_json(request_rec *r, const mcp_dir_conf *dconf,
                             const char *body, apr_size_t len)
{
    mcp_token_request *req = mcp_pool_token_request(r->pool);
    mcp_minted minted;
    const char *code, *message;
    char msg[256];
    mcp_treq_status st;
    cJSON *answer, *roles;
    char when[32];
    size_t i;
    int rc;

    st = mcp_token_request_parse_json(body, len, req, msg, sizeof(msg));
    if (st == MCP_TREQ_NOMEM)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (st != MCP_TREQ_OK)
        return mcp_send_error(r,
                              st == MCP_TREQ_TOO_LARGE
                                  ? HTTP_REQUEST_ENTITY_TOO_LARGE
                                  : HTTP_BAD_REQUEST,
                              mcp_treq_status_code(st), msg);

    rc = mcp_mint(r, dconf, req, &minted, &code, &message);
    if (rc == HTTP_BAD_REQUEST || rc == HTTP_TOO_MANY_REQUESTS ||
        rc == HTTP_SERVICE_UNAVAILABLE)
        return mcp_send_error(r, rc, code, message);
    if (rc != OK)
        return rc;

    answer = mcp_pool_json(r->pool, cJSON_CreateObject());
    roles = cJSON_CreateArray();
    if (!answer || !roles) {
        cJSON_Delete(roles);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    cJSON_AddItemToObject(answer, "token", cJSON_CreateString(minted.token));
    cJSON_AddItemToObject(answer, "tokenType", cJSON_CreateString("Bearer"));
    mcp_rfc3339_format_utc(minted.exp, when, sizeof(when));
    cJSON_AddItemToObject(answer, "expiresAt", cJSON_CreateString(when));
    mcp_rfc3339_format_utc(minted.iat, when, sizeof(when));
    cJSON_AddItemToObject(answer, "issuedAt", cJSON_CreateString(when));
    cJSON_AddItemToObject(answer, "jti", cJSON_CreateString(minted.jti));
    cJSON_AddItemToObject(answer, "subject", cJSON_CreateString(r->user));
    for (i = 0; i < minted.authorities->n; i++)
        cJSON_AddItemToArray(roles,
                             cJSON_CreateString(minted.authorities->items[i]));
    cJSON_AddItemToObject(answer, "authorities", roles);
    return send_json(r, HTTP_OK, answer);
}

static int handle_token(request_rec *r, const mcp_dir_conf *dconf)
{
    const char *type;
    char *body = NULL;
    apr_size_t len = 0;
    int rc;

    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return mcp_send_error(r, HTTP_METHOD_NOT_ALLOWED,
                              "method_not_allowed",
                              "the token endpoint takes POST");
    }
    if (!r->user)
        return mcp_send_error(r, HTTP_UNAUTHORIZED, "unauthenticated",
                              "sign in first");
    if (!mcp_role_is_valid(r->user, strlen(r->user)))
        return mcp_send_error(r, HTTP_BAD_REQUEST, "invalid_user",
                              "the signed-in user name cannot be put in a "
                              "token (control characters, invalid UTF-8 or "
                              "too long)");
    if (mcp_is_bearer_request(r))
        return mcp_send_error(r, HTTP_FORBIDDEN, "bearer_not_allowed",
                              "a bearer token cannot mint tokens: sign in "
                              "to the page instead");
    type = media_type(r);
    if (is_cross_site(r)) {
        static const char msg[] = "cross-site requests cannot mint tokens";
        if (!strcmp(type, MCP_FORM_TYPE))
            return mcp_form_refusal(r, dconf, HTTP_FORBIDDEN, msg);
        return mcp_send_error(r, HTTP_FORBIDDEN, "cross_site", msg);
    }
    if (strcmp(type, JSON_TYPE) && strcmp(type, MCP_FORM_TYPE)) {
        apr_table_setn(r->err_headers_out, "Accept-Post",
                       JSON_TYPE ", " MCP_FORM_TYPE);
        return mcp_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "unsupported_media_type",
                              "send application/json (or the page's form)");
    }
    if (!mcp_signing_key(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot mint: no MCPCredentialsSigningKey applies to "
                      "this server");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rc = read_body(r, MCP_TOKEN_REQUEST_MAX_BODY, &body, &len);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return mcp_send_error(
            r, rc, "payload_too_large",
            apr_psprintf(r->pool, "the request body exceeds %d bytes",
                         MCP_TOKEN_REQUEST_MAX_BODY));
    if (rc != OK)
        return rc;
    if (!strcmp(type, JSON_TYPE))
        return handle_token_json(r, dconf, body, len);
    return mcp_handle_token_form(r, dconf, body, len);
}

const mcp_jwt_key *mcp_signing_key(request_rec *r)
{
    return mcp_server_config(r->server)->signing_key;
}

/* Redirects a visitor without a user to the login page, with the page as
 * the place to come back to (never taken from the request's query). */
static int send_to_login(request_rec *r, const mcp_dir_conf *dconf,
                         const char *base)
{
    const char *back, *url;
    if (!dconf->login_url)
        return mcp_send_error(r, HTTP_UNAUTHORIZED, "unauthenticated",
                              "sign in first");
    if (!*base)
        base = "/";
    back = dconf->login_url[0] == '/'
               ? base
               : apr_pstrcat(r->pool, mcp_public_origin(r), base, NULL);
    url = apr_pstrcat(r->pool, dconf->login_url,
                      ap_strchr_c(dconf->login_url, '?') ? "&" : "?",
                      "redirectUrl=", ap_escape_urlencoded(r->pool, back),
                      NULL);
    apr_table_setn(r->headers_out, "Location", url);
    return HTTP_MOVED_TEMPORARILY;
}

/* Splits r->uri into the base path and the sub-path under it. */
static void split_path(request_rec *r, const mcp_dir_conf *dconf,
                       const char **base, const char **sub)
{
    const char *uri = r->uri;
    size_t n = strlen(uri);
    static const char *const known[] = {"/token", "/jwks.json", NULL};
    int i;

    if (dconf->location) {
        size_t ln = strlen(dconf->location);
        if (!strncmp(uri, dconf->location, ln) &&
            (uri[ln] == '\0' || uri[ln] == '/' || ln == 1)) {
            /* <Location />: the base is the empty prefix, so that every
             * URL made from it ("/token", "/assets/...") stays on this
             * host. */
            *base = ln == 1 ? "" : dconf->location;
            *sub = ln == 1 ? uri : uri + ln;
            return;
        }
    }
    /* Not under a known <Location> (a regex, a <Directory>): strip the
     * sub-paths the module serves. */
    for (i = 0; known[i]; i++) {
        size_t k = strlen(known[i]);
        if (n >= k && !strcmp(uri + n - k, known[i])) {
            *base = apr_pstrmemdup(r->pool, uri, n - k);
            *sub = known[i];
            return;
        }
    }
    {
        const char *assets = strstr(uri, "/assets/");
        if (assets) {
            *base = apr_pstrmemdup(r->pool, uri, assets - uri);
            *sub = assets;
            return;
        }
    }
    while (n > 0 && uri[n - 1] == '/')
        n--;
    *base = apr_pstrmemdup(r->pool, uri, n);
    *sub = "";
}

int mcp_handler(request_rec *r)
{
    mcp_dir_conf *dconf;
    const char *base, *sub;

    if (!r->handler || strcmp(r->handler, MCP_HANDLER))
        return DECLINED;
    dconf = mcp_dir_config(r);
    /* Off: nothing here exists, and no file is served in its place. */
    if (!effective_enabled(dconf)) {
        set_security_headers(r, 0);
        return HTTP_NOT_FOUND;
    }

    split_path(r, dconf, &base, &sub);
    apr_table_setn(r->notes, "mcp-base", base);
    if (!strcmp(sub, "/token")) {
        set_security_headers(r, 1);
        return handle_token(r, dconf);
    }
    if (!strncmp(sub, "/assets/", 8)) {
        set_security_headers(r, 0);
        return mcp_handle_asset(r, sub + 8);
    }
    if (!strcmp(sub, "/jwks.json")) {
        set_security_headers(r, 0);
        return mcp_handle_jwks(r);
    }
    if (*sub && strcmp(sub, "/")) {
        set_security_headers(r, 0);
        return mcp_send_error(r, HTTP_NOT_FOUND, "not_found",
                              "nothing here: the page is at the base path "
                              "and tokens are minted at <base>/token");
    }

    set_security_headers(r, 1);
    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    if (!r->user)
        return send_to_login(r, dconf, base);
    return mcp_handle_page(r, dconf, base);
}
