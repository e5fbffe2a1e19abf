/*
 * The authorization server's anonymous endpoints, answered from the quick
 * handler before any access control: RFC 8414 metadata, the token
 * endpoint (authorization_code, refresh_token), Dynamic Client
 * Registration (RFC 7591), revocation (RFC 7009) and the JWK Set, at the
 * exact paths under the credentials location known at configuration
 * time.  Any other spelling of those paths falls through to the location
 * and its sign-in: fail closed.  The authorization endpoint, behind the
 * sign-in, is mcp_consent.c.
 */

#include "mcp_module.h"

#include "grant.h"
#include "oauth_params.h"
#include "pkce.h"
#include "registration.h"

#define WELL_KNOWN_AS "/.well-known/oauth-authorization-server"
/* How long a refresh token just rotated away still gets an answer (the
 * same next refresh token): a client that lost the first answer retries. */
#define REFRESH_GRACE 30

/* ------------------------------------------------------------------ */
/* Answers                                                              */
/* ------------------------------------------------------------------ */

/* Browser-based clients (an inspector, a web app) call these endpoints
 * cross-origin; they carry no cookie, so any origin may. */
static void cors_any(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Origin", "*");
}

static int preflight(request_rec *r, const char *methods)
{
    cors_any(r);
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Methods",
                   methods);
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Headers",
                   "Content-Type, Authorization, Mcp-Protocol-Version");
    apr_table_setn(r->err_headers_out, "Access-Control-Max-Age", "86400");
    r->status = HTTP_NO_CONTENT;
    return OK;
}

/* An OAuth error answer (RFC 6749 section 5.2), with the reason in the
 * error log at info level.  why adds what the client is not told. */
static int refuse(request_rec *r, int status, const char *error,
                  const char *description, const char *why)
{
    cJSON *body = mcp_pool_json(r->pool, cJSON_CreateObject());

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "%s refused (%s): %s%s%s", r->uri, error, description,
                  why ? "; " : "", why ? why : "");
    if (!body || !cJSON_AddStringToObject(body, "error", error) ||
        !cJSON_AddStringToObject(body, "error_description", description))
        return HTTP_INTERNAL_SERVER_ERROR;
    return mcp_send_json(r, status, body);
}

/* The store failed (logged where it did, Retry-After set): fail closed. */
static int store_failed(request_rec *r)
{
    return refuse(r, HTTP_SERVICE_UNAVAILABLE, "temporarily_unavailable",
                  "try again later", "the store failed");
}

static int refuse_method(request_rec *r, const char *allow)
{
    apr_table_setn(r->err_headers_out, "Allow", allow);
    return refuse(r, HTTP_METHOD_NOT_ALLOWED, "invalid_request",
                  apr_pstrcat(r->pool, "this endpoint takes ", allow, NULL),
                  NULL);
}

/* The body of a form post, parsed for names.  OK, or an answer sent. */
static int read_params(request_rec *r, const char *const *names, size_t n,
                       char **values, int *answered)
{
    char *body = NULL, msg[256];
    apr_size_t len = 0;
    mcp_oauth_params_status st;
    int rc;

    *answered = 1;
    if (strcmp(mcp_media_type(r), MCP_FORM_TYPE))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "send application/x-www-form-urlencoded", NULL);
    rc = mcp_read_body(r, MCP_OAUTH_MAX_TEXT, &body, &len);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "the request body is too large", NULL);
    if (rc != OK)
        return rc;
    st = mcp_oauth_params_parse(body, len, names, n, values, msg,
                                sizeof(msg));
    if (st == MCP_OAUTH_PARAMS_NOMEM)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (st != MCP_OAUTH_PARAMS_OK)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request", msg, NULL);
    /* The values live as long as the request. */
    for (rc = 0; (size_t)rc < n; rc++)
        if (values[rc]) {
            char *copy = apr_pstrdup(r->pool, values[rc]);
            free(values[rc]);
            values[rc] = copy;
        }
    *answered = 0;
    return OK;
}

/* ------------------------------------------------------------------ */
/* The token endpoint                                                   */
/* ------------------------------------------------------------------ */

enum { P_GRANT_TYPE, P_CODE, P_REDIRECT_URI, P_VERIFIER, P_CLIENT_ID,
       P_REFRESH, P_RESOURCE, P_SCOPE, N_TOKEN_PARAMS };
static const char *const token_params[N_TOKEN_PARAMS] = {
    "grant_type", "code", "redirect_uri", "code_verifier", "client_id",
    "refresh_token", "resource", "scope"};

/* A grant read back from its sealed string, in the request pool. */
MCP_POOL_CLEANUP(grant_cleanup, mcp_grant_clear)

static mcp_grant *open_grant(request_rec *r, const char *kind,
                             const char *text)
{
    apr_size_t len;
    const unsigned char *payload = mcp_grants_open(r, kind, text, &len);
    mcp_grant *g = apr_palloc(r->pool, sizeof(*g));

    if (!payload || mcp_grant_from_payload(kind, payload, len, g) != 0)
        return NULL;
    apr_pool_cleanup_register(r->pool, g, grant_cleanup,
                              apr_pool_cleanup_null);
    return g;
}

/* The refresh token of generation gen of a grant: derived, never stored,
 * so the same generation always reads the same. */
static const char *refresh_token_of(request_rec *r, const mcp_grant *g,
                                    apr_uint32_t gen)
{
    mcp_grant copy = *g;
    char *payload;
    const char *token;

    copy.generation = gen;
    payload = mcp_grant_payload(MCP_KIND_REFRESH, &copy);
    if (!payload)
        return NULL;
    token = mcp_grants_seal(r, MCP_KIND_REFRESH, payload);
    free(payload);
    return token;
}

/* The answer of a successful token request. */
static int send_tokens(request_rec *r, const mcp_grant *g,
                       const char *client_id, const char *refresh)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    cJSON *body;
    mcp_minted minted;
    const char *scope;
    int rc = mcp_mint_for_grant(r, g, client_id, &minted, &scope);

    if (rc != OK)
        return rc;
    body = mcp_pool_json(r->pool, cJSON_CreateObject());
    if (!body)
        return HTTP_INTERNAL_SERVER_ERROR;
    cJSON_AddStringToObject(body, "access_token", minted.token);
    cJSON_AddStringToObject(body, "token_type", "Bearer");
    cJSON_AddNumberToObject(body, "expires_in",
                            (double)(minted.exp > now ? minted.exp - now : 0));
    if (refresh)
        cJSON_AddStringToObject(body, "refresh_token", refresh);
    cJSON_AddStringToObject(body, "scope", scope);
    return mcp_send_json(r, HTTP_OK, body);
}

/* A code or refresh token used a second time: whoever used it first may
 * be an attacker, so the grant has ended (the caller ended it).  Logged
 * as a warning, whatever the LogLevel of refusals. */
static int replayed(request_rec *r, const mcp_grant *g, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "a %s of user '%s' was used again: grant %s ended", what,
                  ap_escape_logitem(r->pool, g->sub), g->id);
    return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                  apr_pstrcat(r->pool, "the ", what,
                              " has already been used; its grant has ended",
                              NULL),
                  NULL);
}

/* What the revocation list says of the grant's user (mcp-token revoke
 * --sub ends every grant approved before): NULL when it may go on. */
static const char *revoked(request_rec *r, const mcp_grant *g)
{
    switch (mcp_revocation_check(r, NULL, g->sub, g->approved)) {
    case MCP_REVOKED:
        return "the user's grants have been revoked";
    case MCP_REVOCATION_UNAVAILABLE:
        return "the revocation list is unavailable";
    case MCP_NOT_REVOKED:
        break;
    }
    return NULL;
}

static int redeem_code(request_rec *r, char **p, const char *digest,
                       const mcp_registration *client)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *why, *refresh = NULL;
    mcp_grant *g;

    if (!p[P_CODE] || !p[P_VERIFIER] || !p[P_REDIRECT_URI])
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "code, code_verifier and redirect_uri are required",
                      NULL);
    if (!mcp_pkce_verifier_valid(p[P_VERIFIER]))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "code_verifier must be 43 to 128 characters of "
                      "[A-Za-z0-9-._~]",
                      NULL);
    g = open_grant(r, MCP_KIND_CODE, p[P_CODE]);
    if (!g)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the code is not one this server issued", NULL);
    if (strcmp(g->client, digest))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the code was issued to another client", NULL);
    if (now > g->exp)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the code has expired (codes live 60 seconds)", NULL);
    if (strcmp(g->redirect_uri, p[P_REDIRECT_URI]))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "redirect_uri differs from the authorization "
                      "request's",
                      NULL);
    if (!mcp_pkce_s256_matches(p[P_VERIFIER], g->challenge))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "code_verifier does not match the code_challenge",
                      NULL);
    if (p[P_RESOURCE] && strcmp(p[P_RESOURCE], g->resource))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_target",
                      "resource differs from the authorization request's",
                      NULL);
    /* The grant's records are written before its code is taken: of two
     * redemptions of one code, on any node, the one that finds the code
     * gone ends the grant after the other started it. */
    if (client->refresh &&
        mcp_grants_start(r, g->id, g->grant_exp) != MCP_RECORD_OK)
        return store_failed(r);
    switch (mcp_grants_take(r, 'C', g->id)) {
    case MCP_RECORD_OK:
        break;
    case MCP_RECORD_MISSING:
        /* Used before: whoever redeemed it first may be an attacker, so
         * the grant that redemption made ends as well. */
        mcp_grants_end(r, g->id);
        return replayed(r, g, "code");
    case MCP_RECORD_UNAVAILABLE:
        return store_failed(r);
    }
    if ((why = revoked(r, g)))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the grant has been revoked", why);
    if (client->refresh && !(refresh = refresh_token_of(r, g, 0)))
        return HTTP_INTERNAL_SERVER_ERROR;
    return send_tokens(r, g, p[P_CLIENT_ID], refresh);
}

/* The roles a refresh request's scope narrows the grant to (none listed:
 * all of them), or NULL when it names a role the grant lacks. */
static mcp_roles *narrowed(request_rec *r, const mcp_grant *g,
                           const char *scope)
{
    mcp_roles *asked = mcp_pool_roles(r->pool);
    size_t i;

    if (mcp_oauth_scope_roles(scope, asked) != 0)
        return NULL;
    for (i = 0; i < asked->n; i++)
        if (!mcp_roles_contains(&g->roles, asked->items[i]))
            return NULL;
    return asked;
}

static int refresh(request_rec *r, char **p, const char *digest)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *why, *next;
    mcp_roles *roles = NULL;
    mcp_grant *g;
    size_t i;

    if (!p[P_REFRESH])
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "refresh_token is required", NULL);
    g = open_grant(r, MCP_KIND_REFRESH, p[P_REFRESH]);
    if (!g)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the refresh token is not one this server issued",
                      NULL);
    if (strcmp(g->client, digest))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the refresh token was issued to another client", NULL);
    if (now >= g->grant_exp)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the grant has expired: sign in again", NULL);
    if (p[P_RESOURCE] && strcmp(p[P_RESOURCE], g->resource))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_target",
                      "resource differs from the grant's", NULL);
    if ((why = revoked(r, g)))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the grant has been revoked", why);
    /* A narrower scope is checked before the rotation, which a refusal
     * must not spend; the refresh token keeps the grant's roles. */
    if (p[P_SCOPE] && !(roles = narrowed(r, g, p[P_SCOPE])))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_scope",
                      "scope asks for a role the grant does not hold", NULL);
    switch (mcp_grants_rotate(r, g->id, g->generation, g->grant_exp, now,
                              REFRESH_GRACE)) {
    case MCP_ROTATION_NEXT:
    case MCP_ROTATION_REPEAT:
        break;
    case MCP_ROTATION_GONE:
        return refuse(r, HTTP_BAD_REQUEST, "invalid_grant",
                      "the grant has ended (revoked, replayed, expired or "
                      "forgotten by a restart): sign in again",
                      NULL);
    case MCP_ROTATION_REPLAYED:
        return replayed(r, g, "refresh token");
    case MCP_ROTATION_UNAVAILABLE:
        return store_failed(r);
    }
    if (!(next = refresh_token_of(r, g, g->generation + 1)))
        return HTTP_INTERNAL_SERVER_ERROR;
    if (roles && roles->n) {
        mcp_roles_clear(&g->roles);
        for (i = 0; i < roles->n; i++)
            if (mcp_roles_add(&g->roles, roles->items[i],
                              strlen(roles->items[i])) < 0)
                return HTTP_INTERNAL_SERVER_ERROR;
    }
    return send_tokens(r, g, p[P_CLIENT_ID], next);
}

static int handle_token(request_rec *r)
{
    char *p[N_TOKEN_PARAMS];
    char digest[MCP_CLIENT_DIGEST_LEN + 1];
    const mcp_registration *client;
    int answered, rc;

    mcp_security_headers(r, NULL, 1);
    cors_any(r);
    if (r->method_number == M_OPTIONS)
        return preflight(r, "POST, OPTIONS");
    if (r->method_number != M_POST)
        return refuse_method(r, "POST");
    rc = read_params(r, token_params, N_TOKEN_PARAMS, p, &answered);
    if (answered)
        return rc;
    if (!p[P_GRANT_TYPE])
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "grant_type is required", NULL);
    if (strcmp(p[P_GRANT_TYPE], "authorization_code") &&
        strcmp(p[P_GRANT_TYPE], "refresh_token"))
        return refuse(r, HTTP_BAD_REQUEST, "unsupported_grant_type",
                      "grant_type must be authorization_code or "
                      "refresh_token",
                      NULL);
    if (!p[P_CLIENT_ID])
        return refuse(r, HTTP_UNAUTHORIZED, "invalid_client",
                      "client_id is required (public clients)", NULL);
    client = mcp_grants_client(r, p[P_CLIENT_ID]);
    if (!client || mcp_client_digest(p[P_CLIENT_ID], digest) != 0)
        return refuse(r, HTTP_UNAUTHORIZED, "invalid_client",
                      "unknown client: register again", NULL);
    if (p[P_RESOURCE] && !mcp_grants_resource_known(r->server, p[P_RESOURCE]))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_target",
                      "resource names no resource of this server", NULL);
    if (!mcp_signing_key(r->server)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot mint: no MCPCredentialsSigningKey applies to "
                      "this server");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!strcmp(p[P_GRANT_TYPE], "authorization_code"))
        return redeem_code(r, p, digest, client);
    if (!client->refresh)
        return refuse(r, HTTP_BAD_REQUEST, "unauthorized_client",
                      "this client did not register the refresh_token "
                      "grant",
                      NULL);
    return refresh(r, p, digest);
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */
/* ------------------------------------------------------------------ */

static int send_registration(request_rec *r, const char *client_id,
                             const mcp_registration *reg, apr_int64_t iat)
{
    cJSON *body = mcp_pool_json(r->pool, cJSON_CreateObject()), *list;
    size_t i;

    if (!body)
        return HTTP_INTERNAL_SERVER_ERROR;
    cJSON_AddStringToObject(body, "client_id", client_id);
    cJSON_AddNumberToObject(body, "client_id_issued_at", (double)iat);
    if (reg->client_name)
        cJSON_AddStringToObject(body, "client_name", reg->client_name);
    list = cJSON_AddArrayToObject(body, "redirect_uris");
    for (i = 0; i < reg->n_redirect_uris; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(reg->redirect_uris[i]));
    list = cJSON_AddArrayToObject(body, "grant_types");
    cJSON_AddItemToArray(list, cJSON_CreateString("authorization_code"));
    if (reg->refresh)
        cJSON_AddItemToArray(list, cJSON_CreateString("refresh_token"));
    list = cJSON_AddArrayToObject(body, "response_types");
    cJSON_AddItemToArray(list, cJSON_CreateString("code"));
    cJSON_AddStringToObject(body, "token_endpoint_auth_method", "none");
    cJSON_AddStringToObject(body, "application_type",
                            reg->native ? "native" : "web");
    return mcp_send_json(r, HTTP_CREATED, body);
}

static int handle_register(request_rec *r)
{
    const mcp_server_conf *sconf = mcp_server_config(r->server);
    apr_int64_t now = apr_time_sec(apr_time_now()), wait;
    mcp_registration *reg;
    mcp_registration_status st;
    char *body = NULL, *payload, err[256];
    const char *client_id;
    apr_size_t len = 0;
    int rc;

    mcp_security_headers(r, NULL, 1);
    cors_any(r);
    if (r->method_number == M_OPTIONS)
        return preflight(r, "POST, OPTIONS");
    if (r->method_number != M_POST)
        return refuse_method(r, "POST");
    if (strcmp(mcp_media_type(r), MCP_JSON_TYPE))
        return refuse(r, HTTP_BAD_REQUEST, "invalid_client_metadata",
                      "send the client metadata as application/json", NULL);
    rc = mcp_ratelimit_register(r, &wait);
    if (rc != OK)
        return refuse(r, rc, "temporarily_unavailable", "try again later",
                      "the registration counter cannot be kept");
    if (wait > 0) {
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait));
        return refuse(r, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                      "too many registrations from this address: try again "
                      "later",
                      "MCPOAuthRegistrationRate");
    }
    rc = mcp_read_body(r, MCP_REGISTRATION_MAX_BODY, &body, &len);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return refuse(r, HTTP_BAD_REQUEST, "invalid_client_metadata",
                      apr_psprintf(r->pool,
                                   "the client metadata exceeds %d bytes",
                                   MCP_REGISTRATION_MAX_BODY),
                      NULL);
    if (rc != OK)
        return rc;
    reg = apr_palloc(r->pool, sizeof(*reg));
    mcp_registration_init(reg);
    st = mcp_registration_parse(
        body, len, (const char *const *)sconf->redirect_allowed->elts,
        (size_t)sconf->redirect_allowed->nelts, reg, err, sizeof(err));
    if (st == MCP_REGISTRATION_NOMEM)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (st != MCP_REGISTRATION_OK)
        return refuse(r, HTTP_BAD_REQUEST,
                      st == MCP_REGISTRATION_INVALID_REDIRECT_URI
                          ? "invalid_redirect_uri"
                          : "invalid_client_metadata",
                      apr_pstrdup(r->pool, err), NULL);
    payload = mcp_client_payload(reg, now);
    client_id = payload ? mcp_grants_seal(r, MCP_KIND_CLIENT, payload) : NULL;
    free(payload);
    if (!client_id) {
        mcp_registration_clear(reg);
        return refuse(r, HTTP_BAD_REQUEST, "invalid_client_metadata",
                      apr_psprintf(r->pool,
                                   "the redirect URIs and name take more "
                                   "than %d bytes",
                                   MCP_CLIENT_PAYLOAD_MAX),
                      NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "registered client '%s' (%s, %lu redirect URI(s))",
                  ap_escape_logitem(r->pool, reg->client_name
                                                 ? reg->client_name
                                                 : ""),
                  reg->native ? "native" : "web",
                  (unsigned long)reg->n_redirect_uris);
    rc = send_registration(r, client_id, reg, now);
    mcp_registration_clear(reg);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Revocation                                                           */
/* ------------------------------------------------------------------ */

static int handle_revoke(request_rec *r)
{
    static const char *const names[] = {"token", "token_type_hint",
                                        "client_id"};
    char *p[3], digest[MCP_CLIENT_DIGEST_LEN + 1];
    mcp_grant *g;
    int answered, rc;

    mcp_security_headers(r, NULL, 1);
    cors_any(r);
    if (r->method_number == M_OPTIONS)
        return preflight(r, "POST, OPTIONS");
    if (r->method_number != M_POST)
        return refuse_method(r, "POST");
    rc = read_params(r, names, 3, p, &answered);
    if (answered)
        return rc;
    if (!p[0])
        return refuse(r, HTTP_BAD_REQUEST, "invalid_request",
                      "token is required", NULL);
    g = open_grant(r, MCP_KIND_REFRESH, p[0]);
    if (g) {
        if (p[2] && (mcp_client_digest(p[2], digest) != 0 ||
                     strcmp(digest, g->client)))
            return refuse(r, HTTP_BAD_REQUEST, "unauthorized_client",
                          "the token was issued to another client", NULL);
        if (mcp_grants_end(r, g->id) == MCP_RECORD_UNAVAILABLE)
            return store_failed(r);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "grant %s of user '%s' revoked by its client", g->id,
                      ap_escape_logitem(r->pool, g->sub));
    }
    /* RFC 7009: an access token (it lives until its exp) or a token this
     * server does not know is answered the same. */
    r->status = HTTP_OK;
    ap_set_content_length(r, 0);
    return OK;
}

/* ------------------------------------------------------------------ */
/* Routing                                                              */
/* ------------------------------------------------------------------ */

int mcp_oauth_quick_handler(request_rec *r, int lookup_uri)
{
    const struct mcp_oauth *as = mcp_server_config(r->server)->oauth_server;

    if (lookup_uri || !as || !r->uri)
        return DECLINED;
    if (!strcmp(r->uri, WELL_KNOWN_AS)) {
        mcp_security_headers(r, NULL, 0);
        cors_any(r);
        if (r->method_number == M_OPTIONS)
            return preflight(r, "GET, OPTIONS");
        if (r->method_number != M_GET)
            return mcp_method_not_allowed(r);
        apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
        return mcp_send_bytes(r, MCP_JSON_TYPE, as->metadata,
                              strlen(as->metadata), NULL);
    }
    if (!strcmp(r->uri, as->token_path))
        return handle_token(r);
    if (!strcmp(r->uri, as->register_path))
        return handle_register(r);
    if (!strcmp(r->uri, as->revoke_path))
        return handle_revoke(r);
    if (!strcmp(r->uri, as->jwks_path)) {
        mcp_security_headers(r, NULL, 0);
        return mcp_keys_send_jwks(r);
    }
    return DECLINED;
}
