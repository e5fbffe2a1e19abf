/*
 * The "mcp-credentials" handler: routing under the base path, the token
 * endpoint at <base>/token (JSON; the page's form post goes to the page),
 * and the JWK Set at <base>/jwks.json.
 */

#include "mcp_module.h"

#include "http_request.h"

#include "timefmt.h"

static int handle_token_json(request_rec *r, const char *body, apr_size_t len)
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

    rc = mcp_mint(r, req, &minted, &code, &message);
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
    return mcp_send_json(r, HTTP_OK, answer);
}

static int handle_token(request_rec *r)
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
    type = mcp_media_type(r);
    if (mcp_is_cross_site(r)) {
        static const char msg[] = "cross-site requests cannot mint tokens";
        if (!strcmp(type, MCP_FORM_TYPE))
            return mcp_form_refusal(r, HTTP_FORBIDDEN, msg);
        return mcp_send_error(r, HTTP_FORBIDDEN, "cross_site", msg);
    }
    if (strcmp(type, MCP_JSON_TYPE) && strcmp(type, MCP_FORM_TYPE)) {
        apr_table_setn(r->err_headers_out, "Accept-Post",
                       MCP_JSON_TYPE ", " MCP_FORM_TYPE);
        return mcp_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "unsupported_media_type",
                              "send application/json (or the page's form)");
    }
    if (!mcp_signing_key(r->server)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot mint: no MCPCredentialsSigningKey applies to "
                      "this server");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rc = mcp_read_body(r, MCP_TOKEN_REQUEST_MAX_BODY, &body, &len);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return mcp_send_error(
            r, rc, "payload_too_large",
            apr_psprintf(r->pool, "the request body exceeds %d bytes",
                         MCP_TOKEN_REQUEST_MAX_BODY));
    if (rc != OK)
        return rc;
    if (!strcmp(type, MCP_JSON_TYPE))
        return handle_token_json(r, body, len);
    return mcp_handle_token_form(r, body, len);
}

/* Redirects a visitor without a user to the login page, with the page
 * (or the authorization request, query and all) as the place to come back
 * to. */
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
    static const char *const known[] = {"/token", "/jwks.json",
                                        "/oauth/authorize", NULL};
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
    mcp_request *ctx;
    const char *sub;

    if (!r->handler || strcmp(r->handler, MCP_HANDLER))
        return DECLINED;
    dconf = mcp_dir_config(r);
    /* Off: nothing here exists, and no file is served in its place. */
    if (!dconf->enabled) {
        mcp_security_headers(r, NULL, 0);
        return HTTP_NOT_FOUND;
    }

    ctx = mcp_request_get(r);
    split_path(r, dconf, &ctx->base, &ctx->sub);
    sub = ctx->sub;
    if (!strcmp(sub, "/token")) {
        mcp_security_headers(r, NULL, 1);
        return handle_token(r);
    }
    if (!strncmp(sub, "/assets/", 8)) {
        mcp_security_headers(r, NULL, 0);
        return mcp_handle_asset(r, sub + 8);
    }
    if (!strcmp(sub, "/jwks.json")) {
        mcp_security_headers(r, NULL, 0);
        return mcp_keys_send_jwks(r);
    }
    if (!strcmp(sub, "/oauth/authorize")) {
        mcp_security_headers(r, NULL, 1);
        if (!r->user)
            return send_to_login(
                r, dconf,
                apr_pstrcat(r->pool, ctx->base, sub, r->args ? "?" : "",
                            r->args ? r->args : "", NULL));
        return mcp_handle_authorize(r);
    }
    if (*sub && strcmp(sub, "/")) {
        mcp_security_headers(r, NULL, 0);
        return mcp_send_error(r, HTTP_NOT_FOUND, "not_found",
                              "nothing here: the page is at the base path "
                              "and tokens are minted at <base>/token");
    }

    mcp_security_headers(r, NULL, 1);
    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    if (!r->user)
        return send_to_login(r, dconf, ctx->base);
    return mcp_handle_page(r);
}

/* The page and its sub-paths are the handler's, never files: a base that
 * maps to a directory (<Location />) must not be taken over by mod_dir's
 * fixup, which would send it to the directory's index.html. */
int mcp_endpoint_fixups(request_rec *r)
{
    if (r->handler && !strcmp(r->handler, MCP_HANDLER) &&
        r->finfo.filetype == APR_DIR)
        r->finfo.filetype = APR_NOFILE;
    return DECLINED;
}
