/*
 * The authorization endpoint, <base>/oauth/authorize, behind the
 * operator's sign-in like the page.  A GET checks the client and its
 * redirect URI before anything else (when either is wrong the answer is an
 * error page, never a redirect), then the rest of the request (errors go
 * back to the client with error, state and iss), and shows the consent
 * page every time.  The page's form posts back here: Approve makes a
 * single-use code and answers 303 to the client.
 *
 * The consent form carries the whole checked request sealed (kind
 * "consent"), bound to the user, single-use through a record in the
 * store, for ten minutes.
 */

#include "mcp_module.h"

#include "duration.h"
#include "grant.h"
#include "oauth_params.h"
#include "pkce.h"
#include "redirect_uri.h"
#include "registration.h"
#include "timefmt.h"

/* How long a consent page may wait for its answer, and a code for its
 * redemption. */
#define CONSENT_LIFETIME 600
#define CODE_LIFETIME 60

enum { A_RESPONSE_TYPE, A_CLIENT_ID, A_REDIRECT_URI, A_CHALLENGE, A_METHOD,
       A_STATE, A_RESOURCE, A_SCOPE, N_AUTHORIZE_PARAMS };
static const char *const authorize_params[N_AUTHORIZE_PARAMS] = {
    "response_type", "client_id", "redirect_uri", "code_challenge",
    "code_challenge_method", "state", "resource", "scope"};

/* ------------------------------------------------------------------ */
/* Answers                                                              */
/* ------------------------------------------------------------------ */

/* The error page: nothing goes to the client.  The reason is logged at
 * info level. */
static int error_page(request_rec *r, int status, const char *message)
{
    cJSON *data = mcp_pool_json(r->pool, cJSON_CreateObject());

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "authorization request refused with an error page: %s",
                  message);
    if (!data)
        return HTTP_INTERNAL_SERVER_ERROR;
    cJSON_AddStringToObject(data, "error", message);
    return mcp_render_consent(r, status, data, NULL, NULL);
}

/* redirect_uri with params added to its query, each value encoded. */
static const char *redirect_with(request_rec *r, const char *redirect_uri,
                                 const char *const *params)
{
    const char *url = redirect_uri;
    const char *sep = ap_strchr_c(redirect_uri, '?') ? "&" : "?";
    size_t i;

    for (i = 0; params[i]; i += 2) {
        if (!params[i + 1])
            continue;
        url = apr_pstrcat(r->pool, url, sep, params[i], "=",
                          ap_escape_urlencoded(r->pool, params[i + 1]), NULL);
        sep = "&";
    }
    return url;
}

/* An error for a client whose identity and redirect URI are good: back to
 * it with error, state and iss (RFC 9207). */
static int error_redirect(request_rec *r, const char *redirect_uri,
                          const char *state, int status, const char *error,
                          const char *description)
{
    const struct mcp_oauth *as = mcp_server_config(r->server)->oauth_server;
    const char *params[] = {"error", error, "error_description", description,
                            "state", state, "iss", as->issuer, NULL};

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "authorization request refused (%s): %s", error,
                  description);
    apr_table_setn(r->headers_out, "Location",
                   redirect_with(r, redirect_uri, params));
    return status;
}

/* The origin of a redirect URI as a CSP source: scheme://host[:port] for
 * http(s), scheme: for a private-use scheme. */
static const char *csp_source(request_rec *r, const char *uri)
{
    const char *colon = ap_strchr_c(uri, ':');
    const char *host, *end;

    if (strncasecmp(uri, "http://", 7) && strncasecmp(uri, "https://", 8))
        return apr_pstrmemdup(r->pool, uri, colon - uri + 1);
    host = colon + 3;
    end = host + strcspn(host, "/?#");
    return apr_pstrmemdup(r->pool, uri, end - uri);
}

/* What a person should recognise of a redirect URI: the authority of
 * scheme://authority/..., with the scheme unless it is http(s); the
 * scheme alone for a URI without an authority (com.example.app:/cb). */
static const char *display_host(request_rec *r, const char *uri)
{
    const char *colon = ap_strchr_c(uri, ':');
    const char *host = colon + 1;
    int web = !strncasecmp(uri, "http://", 7) || !strncasecmp(uri, "https://", 8);

    if (strncmp(host, "//", 2))
        return apr_pstrmemdup(r->pool, uri, colon - uri + 1);
    host += 2;
    if (web)
        return apr_pstrmemdup(r->pool, host, strcspn(host, "/?#"));
    return apr_pstrmemdup(r->pool, uri, host + strcspn(host, "/?#") - uri);
}

/* ------------------------------------------------------------------ */
/* GET: the request and the consent page                                */
/* ------------------------------------------------------------------ */

/* The query's parameters, in the pool.  OK or an error page sent. */
static int read_query(request_rec *r, char **p, int *answered)
{
    char msg[256];
    const char *q = r->args ? r->args : "";
    mcp_oauth_params_status st = mcp_oauth_params_parse(
        q, strlen(q), authorize_params, N_AUTHORIZE_PARAMS, p, msg,
        sizeof(msg));
    int i;

    *answered = 1;
    if (st == MCP_OAUTH_PARAMS_NOMEM)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (st != MCP_OAUTH_PARAMS_OK)
        return error_page(r, HTTP_BAD_REQUEST,
                          apr_psprintf(r->pool,
                                       "The authorization request is "
                                       "malformed: %s.",
                                       msg));
    for (i = 0; i < N_AUTHORIZE_PARAMS; i++)
        if (p[i]) {
            char *copy = apr_pstrdup(r->pool, p[i]);
            free(p[i]);
            p[i] = copy;
        }
    *answered = 0;
    return OK;
}

/* The registered redirect URI the request names (the one registered URI
 * when it names none), or NULL. */
static const char *matching_redirect(const mcp_registration *client,
                                     const char *requested)
{
    size_t i;
    if (!requested)
        return client->n_redirect_uris == 1 ? client->redirect_uris[0] : NULL;
    for (i = 0; i < client->n_redirect_uris; i++)
        if (mcp_redirect_uri_matches(client->redirect_uris[i], requested))
            return requested;
    return NULL;
}

static int show_consent(request_rec *r, const mcp_registration *client,
                        mcp_grant *g, const mcp_roles *offered)
{
    const struct mcp_oauth *as = mcp_server_config(r->server)->oauth_server;
    mcp_server_conf *sconf = mcp_server_config(r->server);
    cJSON *data = mcp_pool_json(r->pool, cJSON_CreateObject());
    const char *consent;
    char *payload, words[64];

    if (!data)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (mcp_grant_new_id(g->id) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    g->exp = apr_time_sec(apr_time_now()) + CONSENT_LIFETIME;
    payload = mcp_grant_payload(MCP_KIND_CONSENT, g);
    consent = payload ? mcp_grants_seal(r, MCP_KIND_CONSENT, payload) : NULL;
    free(payload);
    if (!consent)
        return HTTP_INTERNAL_SERVER_ERROR;
    switch (mcp_grants_remember(r, 'K', g->id, g->exp)) {
    case MCP_RECORD_OK:
        break;
    default:
        return error_page(r, HTTP_SERVICE_UNAVAILABLE,
                          "The server cannot take approvals right now. Try "
                          "again in a minute.");
    }
    cJSON_AddStringToObject(data, "action", as->authorize_path);
    cJSON_AddStringToObject(data, "consent", consent);
    cJSON_AddStringToObject(data, "resource", g->resource);
    cJSON_AddStringToObject(data, "redirectUri", g->redirect_uri);
    cJSON_AddStringToObject(data, "redirectHost",
                            display_host(r, g->redirect_uri));
    if (client->client_name)
        cJSON_AddStringToObject(data, "clientName", client->client_name);
    mcp_duration_format_words(sconf->access_lifetime, words, sizeof(words));
    cJSON_AddStringToObject(data, "accessLifetimeWords", words);
    /* The form goes to this server; Chrome also checks the redirect that
     * follows against form-action, so the client's origin is allowed. */
    return mcp_render_consent(r, HTTP_OK, data, offered,
                              csp_source(r, g->redirect_uri));
}

/* The roles offered on the page: those the scope asks for (all of the
 * user's when it names none).  NULL with *bad for a role the user lacks
 * or a malformed scope. */
static mcp_roles *offered_roles(request_rec *r, const char *scope,
                                mcp_roles *asked, const char **bad)
{
    mcp_roles *held = mcp_user_roles(r), *out;
    size_t i;

    *bad = NULL;
    if (!held)
        return NULL;
    if (scope && mcp_oauth_scope_roles(scope, asked) != 0) {
        *bad = "scope is malformed";
        return NULL;
    }
    if (!asked->n)
        return held;
    out = mcp_pool_roles(r->pool);
    for (i = 0; i < asked->n; i++) {
        if (!mcp_roles_contains(held, asked->items[i])) {
            *bad = apr_psprintf(r->pool, "scope names a role you do not "
                                         "hold: %s",
                                asked->items[i]);
            return NULL;
        }
        if (mcp_roles_add(out, asked->items[i], strlen(asked->items[i])) < 0)
            return NULL;
    }
    return out;
}

MCP_POOL_CLEANUP(roles_cleanup, mcp_roles_clear)

static int authorize_get(request_rec *r)
{
    const struct mcp_oauth *as = mcp_server_config(r->server)->oauth_server;
    char *p[N_AUTHORIZE_PARAMS];
    const mcp_registration *client;
    const char *redirect, *state, *bad;
    mcp_roles *offered;
    mcp_grant *g;
    int answered, rc;

    rc = read_query(r, p, &answered);
    if (answered)
        return rc;
    /* Who is asking, and where the answer goes: until both are known
     * good, nothing is sent anywhere. */
    client = mcp_grants_client(r, p[A_CLIENT_ID]);
    if (!client)
        return error_page(r, HTTP_BAD_REQUEST,
                          p[A_CLIENT_ID]
                              ? "The client is not registered here (its "
                                "client_id is unknown or forged)."
                              : "The request names no client (client_id).");
    redirect = matching_redirect(client, p[A_REDIRECT_URI]);
    if (!redirect)
        return error_page(r, HTTP_BAD_REQUEST,
                          "The redirect_uri is not one this client "
                          "registered.");
    state = p[A_STATE];
    if (state && !mcp_oauth_state_valid(state))
        return error_page(r, HTTP_BAD_REQUEST,
                          "The state parameter is too long or holds "
                          "characters that cannot be sent back.");
    if (mcp_is_bearer_request(r))
        return error_page(r, HTTP_FORBIDDEN,
                          "A bearer token cannot approve clients: sign in "
                          "to this server instead.");

    if (!p[A_RESPONSE_TYPE] || strcmp(p[A_RESPONSE_TYPE], "code"))
        return error_redirect(r, redirect, state, HTTP_MOVED_TEMPORARILY,
                              "unsupported_response_type",
                              "response_type must be code");
    if (!p[A_CHALLENGE])
        return error_redirect(r, redirect, state, HTTP_MOVED_TEMPORARILY,
                              "invalid_request",
                              "PKCE is required: send code_challenge with "
                              "code_challenge_method S256");
    if (!p[A_METHOD] || strcmp(p[A_METHOD], "S256"))
        return error_redirect(r, redirect, state, HTTP_MOVED_TEMPORARILY,
                              "invalid_request",
                              "code_challenge_method must be S256");
    if (!mcp_pkce_challenge_valid(p[A_CHALLENGE]))
        return error_redirect(r, redirect, state, HTTP_MOVED_TEMPORARILY,
                              "invalid_request",
                              "code_challenge is not an S256 challenge (43 "
                              "characters of base64url)");
    if (p[A_RESOURCE] && !mcp_grants_resource_known(r->server, p[A_RESOURCE]))
        return error_redirect(r, redirect, state, HTTP_MOVED_TEMPORARILY,
                              "invalid_target",
                              "resource names no resource of this server");

    g = apr_palloc(r->pool, sizeof(*g));
    mcp_grant_init(g);
    offered = offered_roles(r, p[A_SCOPE], &g->roles, &bad);
    if (!offered) {
        mcp_grant_clear(g);
        if (!bad)
            return HTTP_INTERNAL_SERVER_ERROR;
        return error_redirect(r, redirect, state, HTTP_MOVED_TEMPORARILY,
                              "invalid_scope", bad);
    }
    /* The grant's strings are the request pool's: only its roles are the
     * unit's to free. */
    apr_pool_cleanup_register(r->pool, &g->roles, roles_cleanup,
                              apr_pool_cleanup_null);
    if (mcp_client_digest(p[A_CLIENT_ID], g->client) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    g->redirect_uri = (char *)redirect;
    g->challenge = p[A_CHALLENGE];
    g->resource = p[A_RESOURCE]
                      ? p[A_RESOURCE]
                      : APR_ARRAY_IDX(as->resources, 0, char *);
    g->sub = r->user;
    g->state = (char *)state;
    return show_consent(r, client, g, offered);
}

/* ------------------------------------------------------------------ */
/* POST: the person's answer                                            */
/* ------------------------------------------------------------------ */

MCP_POOL_CLEANUP(grant_cleanup, mcp_grant_clear)

static int authorize_post(request_rec *r)
{
    mcp_token_request *req = mcp_pool_token_request(r->pool);
    const char *code_text, *code, *message;
    apr_int64_t now = apr_time_sec(apr_time_now()), grant_exp;
    const unsigned char *payload;
    apr_size_t plen = 0, len = 0;
    mcp_roles *offered, *granted;
    mcp_treq_status st;
    mcp_grant *g;
    char *body = NULL, msg[256], *text;
    int rc;

    if (mcp_is_cross_site(r))
        return error_page(r, HTTP_FORBIDDEN,
                          "The approval did not come from this server's "
                          "page (a cross-site request).");
    if (mcp_is_bearer_request(r))
        return error_page(r, HTTP_FORBIDDEN,
                          "A bearer token cannot approve clients: sign in "
                          "to this server instead.");
    if (strcmp(mcp_media_type(r), MCP_FORM_TYPE))
        return error_page(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "The approval must be the consent page's form.");
    rc = mcp_read_body(r, MCP_TOKEN_REQUEST_MAX_BODY, &body, &len);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return error_page(r, rc, "The approval is too large.");
    if (rc != OK)
        return rc;
    st = mcp_token_request_parse_form(body, len, req, msg, sizeof(msg));
    if (st == MCP_TREQ_NOMEM)
        return HTTP_INTERNAL_SERVER_ERROR;

    /* The consent first: a forged post learns nothing else. */
    payload = mcp_grants_open(r, MCP_KIND_CONSENT, req->csrf, &plen);
    g = apr_palloc(r->pool, sizeof(*g));
    if (!payload ||
        mcp_grant_from_payload(MCP_KIND_CONSENT, payload, plen, g) != 0)
        return error_page(r, HTTP_BAD_REQUEST,
                          "The approval is not one this server's consent "
                          "page made.");
    apr_pool_cleanup_register(r->pool, g, grant_cleanup,
                              apr_pool_cleanup_null);
    if (strcmp(g->sub, r->user))
        return error_page(r, HTTP_FORBIDDEN,
                          "The consent page was shown to another user.");
    if (now > g->exp)
        return error_page(r, HTTP_BAD_REQUEST,
                          "The consent page has expired. Start again from "
                          "the client.");
    if (st != MCP_TREQ_OK && !(req->decided && req->deny))
        return error_page(r, HTTP_BAD_REQUEST,
                          apr_psprintf(r->pool, "The approval is not valid: "
                                                "%s. Go back and try again.",
                                       msg));
    if (!req->decided)
        return error_page(r, HTTP_BAD_REQUEST,
                          "The approval says neither Approve nor Deny.");
    switch (mcp_grants_take(r, 'K', g->id)) {
    case MCP_RECORD_OK:
        break;
    case MCP_RECORD_MISSING:
        return error_page(r, HTTP_BAD_REQUEST,
                          "This consent page has already been answered. "
                          "Start again from the client.");
    case MCP_RECORD_UNAVAILABLE:
        return error_page(r, HTTP_SERVICE_UNAVAILABLE,
                          "The server cannot take approvals right now. Try "
                          "again in a minute.");
    }
    if (req->deny)
        return error_redirect(r, g->redirect_uri, g->state, HTTP_SEE_OTHER,
                              "access_denied", "the user denied access");

    /* What the page offered, as the user holds it now. */
    if (g->roles.n) {
        mcp_roles *held = mcp_user_roles(r);
        size_t i;
        if (!held)
            return HTTP_INTERNAL_SERVER_ERROR;
        offered = mcp_pool_roles(r->pool);
        for (i = 0; i < g->roles.n; i++)
            if (mcp_roles_contains(held, g->roles.items[i]) &&
                mcp_roles_add(offered, g->roles.items[i],
                              strlen(g->roles.items[i])) < 0)
                return HTTP_INTERNAL_SERVER_ERROR;
    }
    else if (!(offered = mcp_user_roles(r)))
        return HTTP_INTERNAL_SERVER_ERROR;
    rc = mcp_approve(r, req, offered, &grant_exp, &granted, &code, &message);
    if (rc == HTTP_BAD_REQUEST || rc == HTTP_TOO_MANY_REQUESTS ||
        rc == HTTP_SERVICE_UNAVAILABLE)
        return error_page(r, rc, message);
    if (rc != OK)
        return rc;

    /* The code: the grant it starts, sealed, single-use, 60 seconds. */
    {
        size_t i;
        mcp_roles_clear(&g->roles);
        for (i = 0; i < granted->n; i++)
            if (mcp_roles_add(&g->roles, granted->items[i],
                              strlen(granted->items[i])) < 0)
                return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (mcp_grant_new_id(g->id) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    g->approved = now;
    g->grant_exp = grant_exp;
    g->exp = now + CODE_LIFETIME;
    text = mcp_grant_payload(MCP_KIND_CODE, g);
    code_text = text ? mcp_grants_seal(r, MCP_KIND_CODE, text) : NULL;
    free(text);
    if (!code_text)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (mcp_grants_remember(r, 'C', g->id, g->exp) != MCP_RECORD_OK)
        return error_page(r, HTTP_SERVICE_UNAVAILABLE,
                          "The server cannot take approvals right now. Try "
                          "again in a minute.");
    {
        const struct mcp_oauth *as =
            mcp_server_config(r->server)->oauth_server;
        const char *params[] = {"code", code_text, "state", g->state, "iss",
                                as->issuer, NULL};
        char when[32];
        mcp_rfc3339_format_utc(grant_exp, when, sizeof(when));
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "user '%s' approved grant %s for %s until %s "
                      "(%lu role(s))",
                      ap_escape_logitem(r->pool, r->user), g->id,
                      ap_escape_logitem(r->pool,
                                        display_host(r, g->redirect_uri)),
                      when, (unsigned long)granted->n);
        apr_table_setn(r->headers_out, "Location",
                       redirect_with(r, g->redirect_uri, params));
    }
    return HTTP_SEE_OTHER;
}

int mcp_handle_authorize(request_rec *r)
{
    if (!mcp_server_config(r->server)->oauth_server)
        return mcp_send_error(r, HTTP_NOT_FOUND, "not_found",
                              "this server is no authorization server "
                              "(MCPOAuth Off)");
    if (r->method_number == M_GET)
        return authorize_get(r);
    if (r->method_number == M_POST)
        return authorize_post(r);
    return mcp_method_not_allowed(r);
}
