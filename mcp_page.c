/*
 * The credentials page: templates compiled at configuration time, the
 * page and its static assets, the form post of the page without
 * JavaScript (with its CSRF token), and the login page of httpd's form
 * login.
 */

#include "mcp_module.h"
#include "mcp_embedded.h"

#include "apr_buckets.h"
#include "util_script.h"

#include <unistd.h>

#include <openssl/evp.h>

#include "client_config.h"
#include "duration.h"
#include "template.h"
#include "timefmt.h"

/* Largest template or asset file an operator's directory may hold. */
#define MAX_TEMPLATE_FILE (1024 * 1024)
/* The CSRF window: a token is good in its hour and the next one. */
#define CSRF_WINDOW 3600

typedef struct {
    const char *name;       /* "page.css" */
    const char *hashed;     /* "page.3f2a9c1d.css": cached for a year */
    const char *type;
    const char *data;
    apr_size_t len;
    const char *etag;
} mcp_asset;

struct mcp_pages {
    mcp_tpl *page;
    mcp_tpl *login;
    mcp_tpl *consent;
    apr_array_header_t *assets; /* mcp_asset */
};

static const char *const asset_names[] = {"page.css", "page.js", NULL};

/* ------------------------------------------------------------------ */
/* Loading at configuration time                                        */
/* ------------------------------------------------------------------ */

MCP_POOL_CLEANUP(tpl_cleanup, mcp_tpl_free)

/* The bytes of a template file: the operator's directory first, then the
 * built-in copy.  Returns an error message or NULL. */
static const char *template_bytes(apr_pool_t *p, const char *dir,
                                  const char *name, const char **data,
                                  apr_size_t *len)
{
    const mcp_embedded_file *f;
    if (dir) {
        const char *path = apr_pstrcat(p, dir, "/", name, NULL);
        char *text, err[512];
        size_t n;
        /* A file the directory lacks keeps the built-in copy. */
        if (access(path, F_OK) == 0) {
            if (mcp_file_read(path, "template", MAX_TEMPLATE_FILE, 1, &text,
                              &n, NULL, err, sizeof(err)) != 0)
                return apr_pstrdup(p, err);
            *data = apr_pstrmemdup(p, text, n);
            *len = n;
            mcp_file_free(text, n);
            return NULL;
        }
    }
    for (f = mcp_embedded_files; f->name; f++) {
        if (!strcmp(f->name, name)) {
            *data = (const char *)f->data;
            *len = f->len;
            return NULL;
        }
    }
    return apr_psprintf(p, "no template '%s'", name);
}

static const char *compile_template(apr_pool_t *p, const char *dir,
                                    const char *name, mcp_tpl **out)
{
    const char *data, *err;
    apr_size_t len;
    char msg[256];

    err = template_bytes(p, dir, name, &data, &len);
    if (err)
        return err;
    if (mcp_tpl_compile(data, len, out, msg, sizeof(msg)) != 0)
        return apr_psprintf(p, "%s: %s", name, msg);
    apr_pool_cleanup_register(p, *out, tpl_cleanup, apr_pool_cleanup_null);
    return NULL;
}

static const char *load_asset(apr_pool_t *p, const char *dir,
                              const char *name, mcp_asset *a)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const char *dot = strrchr(name, '.');
    const char *err = template_bytes(p, dir, name, &a->data, &a->len);
    char hex[17];
    int i;

    if (err)
        return err;
    if (!EVP_Digest(a->data, a->len, md, &mdlen, EVP_sha256(), NULL))
        return "cannot hash an asset";
    for (i = 0; i < 8; i++)
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    a->name = name;
    a->hashed = apr_psprintf(p, "%.*s.%s%s", (int)(dot - name), name, hex,
                             dot);
    a->etag = apr_psprintf(p, "\"%s\"", hex);
    a->type = !strcmp(dot, ".css") ? "text/css; charset=utf-8"
                                   : "text/javascript; charset=utf-8";
    return NULL;
}

/* Compiles the templates of every server, from its MCPCredentialsTemplateDir
 * or the built-in copies.  Returns OK or an error already logged. */
int mcp_pages_init(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        struct mcp_pages *pages = apr_pcalloc(pconf, sizeof(*pages));
        const char *err;
        int i;

        err = compile_template(pconf, conf->template_dir, "page.html",
                               &pages->page);
        if (!err)
            err = compile_template(pconf, conf->template_dir, "login.html",
                                   &pages->login);
        if (!err)
            err = compile_template(pconf, conf->template_dir, "consent.html",
                                   &pages->consent);
        pages->assets = apr_array_make(pconf, 2, sizeof(mcp_asset));
        for (i = 0; !err && asset_names[i]; i++)
            err = load_asset(pconf, conf->template_dir, asset_names[i],
                             apr_array_push(pages->assets));
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                         "MCPCredentialsTemplateDir: %s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        conf->pages = pages;
    }
    return OK;
}

static const mcp_asset *find_asset(const struct mcp_pages *pages,
                                   const char *name, int *hashed)
{
    int i;
    for (i = 0; i < pages->assets->nelts; i++) {
        const mcp_asset *a = &APR_ARRAY_IDX(pages->assets, i, mcp_asset);
        if (!strcmp(a->hashed, name)) {
            *hashed = 1;
            return a;
        }
        if (!strcmp(a->name, name)) {
            *hashed = 0;
            return a;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* CSRF tokens of the form                                              */
/* ------------------------------------------------------------------ */

/* "<window>.<mac>": an HMAC under a secret derived from the signing key,
 * so every child of every restart computes the same, bound to the user
 * and to an hour. */
static const char *csrf_for(request_rec *r, apr_int64_t window)
{
    unsigned char mac[32];
    char b64[48];
    const char *msg = apr_psprintf(r->pool, "csrf|%" APR_INT64_T_FMT "|%s",
                                   window, r->user);

    if (mcp_keys_mac(r->server, msg, mac) != 0)
        return NULL;
    mcp_b64url_encode(mac, sizeof(mac), b64);
    return apr_psprintf(r->pool, "%" APR_INT64_T_FMT ".%s", window, b64);
}

static int csrf_valid(request_rec *r, const char *token)
{
    apr_int64_t now = apr_time_sec(apr_time_now()) / CSRF_WINDOW;
    apr_int64_t w;
    const char *want;
    char *end;

    if (!token || !*token)
        return 0;
    w = apr_strtoi64(token, &end, 10);
    if (end == token || *end != '.' || (w != now && w != now - 1))
        return 0;
    want = csrf_for(r, w);
    /* Compared in constant time: the MAC is the secret part. */
    return want && strlen(want) == strlen(token) &&
           CRYPTO_memcmp(want, token, strlen(want)) == 0;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                            */
/* ------------------------------------------------------------------ */

/* The page is rendered into one brigade and sent at once, with its
 * length: a write per template piece would cost more than the rendering. */
static void emit_to_brigade(void *ctx, const char *bytes, size_t n)
{
    apr_brigade_write(ctx, NULL, NULL, bytes, n);
}

static const char *asset_url(request_rec *r, const struct mcp_pages *pages,
                             const char *base, const char *name)
{
    int hashed;
    const mcp_asset *a = find_asset(pages, name, &hashed);
    return apr_pstrcat(r->pool, base, "/assets/", a ? a->hashed : name,
                       NULL);
}

/* The MCP URL the client configurations name. */
static const char *mcp_url(request_rec *r)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    if (sconf->mcp_endpoint)
        return sconf->mcp_endpoint;
    return apr_pstrcat(r->pool, mcp_public_origin(r), "/mcp", NULL);
}

/* The lifetime choices of the page and of the consent page: the presets
 * within the location's maximum, the longest one up to 30 days checked
 * (else the custom date). */
static void add_lifetimes(request_rec *r, cJSON *data)
{
    static const struct {
        const char *label;
        const char *value;
        apr_int64_t days;
    } presets[] = {{"7 days", "P7D", 7},   {"30 days", "P30D", 30},
                   {"60 days", "P60D", 60}, {"90 days", "P90D", 90},
                   {"1 year", "P365D", 365}};
    apr_int64_t max = mcp_dir_config(r)->max_lifetime;
    cJSON *list, *item;
    char iso[48], words[64];
    int checked = 0;
    size_t i;

    mcp_duration_format_iso(max, iso, sizeof(iso));
    mcp_duration_format_words(max, words, sizeof(words));
    cJSON_AddStringToObject(data, "maxLifetime", iso);
    cJSON_AddStringToObject(data, "maxLifetimeWords", words);
    cJSON_AddNumberToObject(data, "maxSeconds", (double)max);

    list = cJSON_AddArrayToObject(data, "presets");
    for (i = 0; list && i < sizeof(presets) / sizeof(presets[0]); i++) {
        int allowed = presets[i].days * 86400 <= max;
        item = cJSON_CreateObject();
        if (!item)
            break;
        cJSON_AddStringToObject(item, "label", presets[i].label);
        cJSON_AddStringToObject(item, "value", presets[i].value);
        cJSON_AddStringToObject(item, "id",
                                apr_psprintf(r->pool, "lifetime-%s",
                                             presets[i].value));
        cJSON_AddBoolToObject(item, "disabled", !allowed);
        cJSON_AddBoolToObject(item, "checked", 0);
        if (allowed && presets[i].days <= 30)
            checked = (int)i + 1;
        cJSON_AddItemToArray(list, item);
    }
    if (list && checked)
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(list, checked - 1),
                                  "checked", cJSON_CreateTrue());
    cJSON_AddBoolToObject(data, "customChecked", !checked);
}

/* The role checkboxes of the page and of the consent page. */
static void add_roles(request_rec *r, cJSON *data, const mcp_roles *roles)
{
    cJSON *list = cJSON_AddArrayToObject(data, "roles"), *item;
    size_t i;

    for (i = 0; list && roles && i < roles->n; i++) {
        item = cJSON_CreateObject();
        if (!item)
            break;
        cJSON_AddStringToObject(item, "name", roles->items[i]);
        cJSON_AddStringToObject(item, "id",
                                apr_psprintf(r->pool, "role-%lu",
                                             (unsigned long)i));
        cJSON_AddItemToArray(list, item);
    }
    cJSON_AddBoolToObject(data, "hasRoles", roles && roles->n > 0);
}

/* The data every rendering of the page starts from. */
static cJSON *page_data(request_rec *r, const mcp_roles *roles)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    const char *base = mcp_request_get(r)->base;
    cJSON *data = mcp_pool_json(r->pool, cJSON_CreateObject());

    if (!data)
        return NULL;
    cJSON_AddStringToObject(data, "user", r->user);
    cJSON_AddStringToObject(data, "base", base);
    cJSON_AddStringToObject(data, "tokenUrl",
                            apr_pstrcat(r->pool, base, "/token", NULL));
    cJSON_AddStringToObject(data, "cssUrl",
                            asset_url(r, sconf->pages, base, "page.css"));
    cJSON_AddStringToObject(data, "jsUrl",
                            asset_url(r, sconf->pages, base, "page.js"));
    cJSON_AddStringToObject(data, "mcpUrl", mcp_url(r));
    cJSON_AddStringToObject(data, "issuer", sconf->issuer);
    cJSON_AddStringToObject(data, "csrf",
                            csrf_for(r, apr_time_sec(apr_time_now()) /
                                            CSRF_WINDOW));
    add_lifetimes(r, data);

    add_roles(r, data, roles);
    return data;
}

#define PAGE_CSP                                                              \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src "   \
    "'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; " \
    "form-action 'self'"

/* Renders tpl; form_action adds a source to the CSP's form-action. */
static int render_csp(request_rec *r, int status, const mcp_tpl *tpl,
                      const cJSON *data, const char *form_action)
{
    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                   form_action ? apr_pstrcat(r->pool, PAGE_CSP, " ",
                                             form_action, NULL)
                               : PAGE_CSP);
    if (!r->header_only) {
        apr_bucket_brigade *bb =
            apr_brigade_create(r->pool, r->connection->bucket_alloc);
        apr_off_t len = 0;
        mcp_tpl_render(tpl, data, emit_to_brigade, bb);
        apr_brigade_length(bb, 1, &len);
        ap_set_content_length(r, len);
        APR_BRIGADE_INSERT_TAIL(
            bb, apr_bucket_eos_create(r->connection->bucket_alloc));
        if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS)
            return AP_FILTER_ERROR;
    }
    return OK;
}

static int render(request_rec *r, int status, const mcp_tpl *tpl,
                  const cJSON *data)
{
    return render_csp(r, status, tpl, data, NULL);
}

int mcp_render_consent(request_rec *r, int status, cJSON *data,
                       const mcp_roles *roles, const char *form_action)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    const char *base = mcp_request_get(r)->base;

    cJSON_AddStringToObject(data, "cssUrl",
                            asset_url(r, sconf->pages, base, "page.css"));
    if (r->user)
        cJSON_AddStringToObject(data, "user", r->user);
    add_lifetimes(r, data);
    add_roles(r, data, roles);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return render_csp(r, status, sconf->pages->consent, data, form_action);
}

int mcp_handle_page(request_rec *r)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    mcp_roles *roles = mcp_user_roles(r);
    cJSON *data;

    if (!roles)
        return HTTP_INTERNAL_SERVER_ERROR;
    data = page_data(r, roles);
    if (!data)
        return HTTP_INTERNAL_SERVER_ERROR;
    return render(r, HTTP_OK, sconf->pages->page, data);
}

/* The page again, with an error next to the form. */
static int page_with_error(request_rec *r, int status, const char *field,
                           const char *msg)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    cJSON *data = page_data(r, mcp_user_roles(r));
    cJSON *error;
    if (!data)
        return HTTP_INTERNAL_SERVER_ERROR;
    error = cJSON_AddObjectToObject(data, "error");
    cJSON_AddStringToObject(error, "message", msg);
    cJSON_AddBoolToObject(error, field, 1);
    return render(r, status, sconf->pages->page, data);
}

/* A refused form post answers with the page, not JSON: the person
 * behind it has a browser without JavaScript. */
int mcp_form_refusal(request_rec *r, int status, const char *msg)
{
    return page_with_error(r, status, "csrf", msg);
}

int mcp_handle_token_form(request_rec *r, const char *body, apr_size_t len)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    mcp_token_request *req = mcp_pool_token_request(r->pool);
    const char *code, *message;
    mcp_minted minted;
    mcp_treq_status st;
    cJSON *data, *result;
    char msg[256], when[32];
    int rc;

    st = mcp_token_request_parse_form(body, len, req, msg, sizeof(msg));
    if (st == MCP_TREQ_NOMEM)
        return HTTP_INTERNAL_SERVER_ERROR;
    /* The CSRF token first: a forged post learns nothing, not even which
     * field it got wrong. */
    if (!csrf_valid(r, req->csrf))
        return page_with_error(r, HTTP_FORBIDDEN, "csrf",
                               "The form has expired or did not come from "
                               "this page. Reload the page and try again.");
    if (st != MCP_TREQ_OK)
        return page_with_error(r, HTTP_BAD_REQUEST, "lifetime", msg);

    rc = mcp_mint(r, req, &minted, &code, &message);
    if (rc == HTTP_BAD_REQUEST || rc == HTTP_TOO_MANY_REQUESTS ||
        rc == HTTP_SERVICE_UNAVAILABLE)
        return page_with_error(r, rc,
                               strcmp(code, "invalid_authorities")
                                   ? "lifetime"
                                   : "authorities",
                               message);
    if (rc != OK)
        return rc;

    data = page_data(r, mcp_user_roles(r));
    if (!data)
        return HTTP_INTERNAL_SERVER_ERROR;
    result = cJSON_AddObjectToObject(data, "result");
    cJSON_AddStringToObject(result, "token", minted.token);
    cJSON_AddStringToObject(result, "jti", minted.jti);
    mcp_rfc3339_format_utc(minted.exp, when, sizeof(when));
    cJSON_AddStringToObject(result, "expiresAt", when);
    {
        mcp_client_configs cfg;
        if (mcp_client_configs_build(mcp_url(r), minted.token,
                                     &cfg) == 0) {
            cJSON_AddStringToObject(result, "claudeDesktop",
                                    cfg.claude_desktop);
            cJSON_AddStringToObject(result, "streamableHttp",
                                    cfg.streamable_http);
            cJSON_AddStringToObject(result, "curl", cfg.curl);
            mcp_client_configs_clear(&cfg);
        }
    }
    return render(r, HTTP_OK, sconf->pages->page, data);
}

/* ------------------------------------------------------------------ */
/* The login page of httpd's form login                                 */
/* ------------------------------------------------------------------ */

/* A place to come back to after signing in: a local path only, so that
 * the login page cannot be made to send anyone elsewhere. */
static int is_local_path(const char *url)
{
    const unsigned char *c;
    if (!url || url[0] != '/' || url[1] == '/' || url[1] == '\\' ||
        strlen(url) > 8192)
        return 0;
    for (c = (const unsigned char *)url; *c; c++)
        if (*c < 0x21 || *c == 0x7f || *c == '\\')
            return 0;
    return 1;
}

/* The place to come back to: everything after "redirectUrl=", the last
 * parameter, decoded once.  Taken whole, so that a URL with a query of
 * its own (an authorization request) survives even when the redirect to
 * this page encoded only what a path needs (mod_auth_form's
 * %{escape:...} leaves '&' and '=' as they are). */
static const char *redirect_of(request_rec *r)
{
    static const char name[] = "redirectUrl=";
    const char *at = r->args;
    char *back;

    while (at && strncmp(at, name, sizeof(name) - 1)) {
        at = ap_strchr_c(at, '&');
        if (at)
            at++;
    }
    if (!at)
        return NULL;
    back = apr_pstrdup(r->pool, at + sizeof(name) - 1);
    return ap_unescape_urlencoded(back) == OK ? back : NULL;
}

/* "SetHandler mcp-credentials-login": the page mod_auth_form's
 * AuthFormLoginRequiredLocation points at.  It posts httpd_username,
 * httpd_password and httpd_location to <dir>/dologin, where the operator
 * mounts mod_auth_form's form-login-handler. */
int mcp_login_handler(request_rec *r)
{
    mcp_server_conf *sconf;
    const char *slash, *dir, *back = NULL, *assets;
    apr_table_t *args = NULL;
    cJSON *data;

    if (!r->handler || strcmp(r->handler, MCP_LOGIN_HANDLER))
        return DECLINED;
    sconf = mcp_server_config(r->server);
    mcp_security_headers(r, NULL, 0);
    assets = strstr(r->uri, "/assets/");
    if (assets)
        return mcp_handle_asset(r, assets + 8);
    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    slash = strrchr(r->uri, '/');
    dir = apr_pstrmemdup(r->pool, r->uri, slash ? slash - r->uri : 0);
    if (r->args) {
        ap_args_to_table(r, &args);
        back = redirect_of(r);
    }
    if (!is_local_path(back))
        back = sconf->page_path ? sconf->page_path : "/";

    data = mcp_pool_json(r->pool, cJSON_CreateObject());
    if (!data)
        return HTTP_INTERNAL_SERVER_ERROR;
    cJSON_AddStringToObject(data, "action",
                            apr_pstrcat(r->pool, dir, "/dologin", NULL));
    cJSON_AddStringToObject(data, "location", back);
    cJSON_AddBoolToObject(data, "failed",
                          args && apr_table_get(args, "failed") != NULL);
    cJSON_AddStringToObject(data, "cssUrl",
                            asset_url(r, sconf->pages, dir, "page.css"));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return render(r, HTTP_OK, sconf->pages->login, data);
}

/* ------------------------------------------------------------------ */
/* Assets                                                               */
/* ------------------------------------------------------------------ */

int mcp_handle_asset(request_rec *r, const char *name)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    const mcp_asset *a;
    int hashed = 0;

    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    a = find_asset(sconf->pages, name, &hashed);
    if (!a)
        return HTTP_NOT_FOUND;
    /* A hashed name never changes content: cache it for a year. */
    apr_table_setn(r->headers_out, "Cache-Control",
                   hashed ? "public, max-age=31536000, immutable"
                          : "no-cache");
    return mcp_send_bytes(r, a->type, a->data, a->len, a->etag);
}
