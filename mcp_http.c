/*
 * HTTP helpers every part of the module answers with: the per-request
 * context, response writers and security headers, the public origin,
 * request bodies and media types, the cross-site check, header stripping.
 */

#include "mcp_module.h"

#include "apr_buckets.h"
#include "util_filter.h"
#include "http_request.h"

/* ------------------------------------------------------------------ */
/* The per-request context                                              */
/* ------------------------------------------------------------------ */

mcp_request *mcp_request_get(request_rec *r)
{
    mcp_request *ctx =
        ap_get_module_config(r->request_config, &mcp_credentials_module);
    if (!ctx) {
        ctx = apr_pcalloc(r->pool, sizeof(*ctx));
        ap_set_module_config(r->request_config, &mcp_credentials_module, ctx);
    }
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Responses                                                            */
/* ------------------------------------------------------------------ */

#define STRICTEST_CSP                                                         \
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "          \
    "form-action 'self'"

/* In err_headers_out, so that error answers carry them too. */
void mcp_security_headers(request_rec *r, const char *csp, int no_store)
{
    apr_table_t *h = r->err_headers_out;
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "Referrer-Policy", "no-referrer");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    apr_table_setn(h, "Content-Security-Policy", csp ? csp : STRICTEST_CSP);
    if (no_store) {
        /* A long-lived bearer token is a credential: no cache keeps it. */
        apr_table_setn(h, "Cache-Control", "no-store");
        apr_table_setn(h, "Pragma", "no-cache");
    }
}

MCP_POOL_CLEANUP(json_cleanup, cJSON_Delete)

/* Hands a cJSON tree to a pool, so no error path leaks it. */
cJSON *mcp_pool_json(apr_pool_t *p, cJSON *json)
{
    if (json)
        apr_pool_cleanup_register(p, json, json_cleanup,
                                  apr_pool_cleanup_null);
    return json;
}

MCP_POOL_CLEANUP(roles_cleanup, mcp_roles_clear)
MCP_POOL_CLEANUP(token_request_cleanup, mcp_token_request_clear)

/* size bytes in the pool, whose contents cleanup frees with it. */
static void *pool_owned(apr_pool_t *p, apr_size_t size,
                        apr_status_t (*cleanup)(void *))
{
    void *o = apr_palloc(p, size);
    apr_pool_cleanup_register(p, o, cleanup, apr_pool_cleanup_null);
    return o;
}

/* An empty role list whose memory the pool frees. */
mcp_roles *mcp_pool_roles(apr_pool_t *p)
{
    mcp_roles *roles = pool_owned(p, sizeof(*roles), roles_cleanup);
    mcp_roles_init(roles);
    return roles;
}

/* An empty token request whose strings the pool frees. */
mcp_token_request *mcp_pool_token_request(apr_pool_t *p)
{
    mcp_token_request *req = pool_owned(p, sizeof(*req), token_request_cleanup);
    mcp_token_request_init(req);
    return req;
}

/* The whole body at once, with its length: the answer is complete. */
static int send_body(request_rec *r, const char *type, const char *data,
                     apr_size_t len)
{
    ap_set_content_type(r, type);
    ap_set_content_length(r, len);
    if (!r->header_only)
        ap_rwrite(data, (int)len, r);
    return OK;
}

/* The compact text of json, in the pool; NULL when out of memory. */
const char *mcp_json_text(apr_pool_t *p, const cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    const char *copy = text ? apr_pstrdup(p, text) : NULL;
    cJSON_free(text);
    return copy;
}

int mcp_send_json(request_rec *r, int status, const cJSON *body)
{
    const char *text = mcp_json_text(r->pool, body);
    if (!text)
        return HTTP_INTERNAL_SERVER_ERROR;
    r->status = status;
    return send_body(r, MCP_JSON_TYPE, text, strlen(text));
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
    return mcp_send_json(r, status, body);
}

int mcp_send_bytes(request_rec *r, const char *type, const char *data,
                   apr_size_t len, const char *etag)
{
    if (etag) {
        apr_table_setn(r->headers_out, "ETag", etag);
        ap_set_content_type(r, type);
        if (ap_meets_conditions(r) == HTTP_NOT_MODIFIED)
            return HTTP_NOT_MODIFIED;
    }
    return send_body(r, type, data, len);
}

/* A 405 for resources that answer GET and HEAD only: httpd's own answer
 * builds Allow from the request's allowed methods. */
int mcp_method_not_allowed(request_rec *r)
{
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
    return HTTP_METHOD_NOT_ALLOWED;
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

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

/* The RFC 9728 document of the resource this location is
 * (MCPBearerResource), or of the resource at this request's path. */
const char *mcp_metadata_url(request_rec *r)
{
    const char *res = mcp_dir_config(r)->bearer_resource;
    if (res) {
        /* scheme://host[:port] then the path: the well-known part goes
         * between them (RFC 9728 section 3.1). */
        const char *host = ap_strstr_c(res, "://") + 3;
        const char *path = host + strcspn(host, "/?");
        return apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, res, path - res),
                           MCP_WELL_KNOWN_RESOURCE,
                           strcmp(path, "/") ? path : "", NULL);
    }
    return apr_pstrcat(r->pool, mcp_public_origin(r), MCP_WELL_KNOWN_RESOURCE,
                       r->uri[0] == '/' && r->uri[1] ? r->uri : "", NULL);
}

/* A browser's cross-site request.  An Origin naming another site is;
 * otherwise Fetch Metadata decides where the browser sends it:
 * "same-origin" also covers the "Origin: null" a browser sends on a form
 * post from a no-referrer page.  Without it, "Origin: null" is.  Clients
 * without either header (curl, scripts) pass: they carry their own
 * credentials, not a victim's cookies. */
int mcp_is_cross_site(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    /* An Origin naming another site is cross-site whatever else the
     * request says. */
    if (origin && strcmp(origin, "null") &&
        strcasecmp(origin, mcp_public_origin(r)) != 0)
        return 1;
    if (site)
        return strcasecmp(site, "same-origin") != 0 &&
               strcasecmp(site, "none") != 0;
    /* Without Fetch Metadata, "null" is an opaque origin: cross-site. */
    return origin && !strcmp(origin, "null");
}

/* Reads at most limit bytes of body.  Returns OK, or the status to answer
 * (413 over the limit, 400/408 for a broken or slow body). */
int mcp_read_body(request_rec *r, apr_size_t limit, char **out,
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
const char *mcp_media_type(request_rec *r)
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
/* Headers a client may not send                                        */
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

/* Removes client-sent copies of the headers the configuration trusts
 * (role sources, the headers passed to a backend), before anything else
 * sees the request. */
void mcp_strip_forged_headers(request_rec *r)
{
    mcp_server_conf *conf = mcp_server_config(r->server);
    int i;
    for (i = 0; i < conf->forged_headers->nelts; i++)
        mcp_unset_header_variants(
            r, APR_ARRAY_IDX(conf->forged_headers, i, const char *));
}

int mcp_is_bearer_request(request_rec *r)
{
    return r->ap_auth_type &&
           !strcasecmp(r->ap_auth_type, MCP_BEARER_AUTH_TYPE);
}
