/*
 * mod_mcp_credentials: lets people who sign in through httpd mint long-lived
 * RS512 bearer tokens for MCP clients, and guards MCP endpoints with them.
 *
 * Licensed under the Apache License, Version 2.0.
 *
 * This file is the glue: the module record, the directives, the hooks.
 * Each hook hands over to the part that does the work; mcp_module.h says
 * which part is which.
 */

#define MCP_MODULE_MAIN
#include "mcp_module.h"

#include "http_request.h"
#include "mpm_common.h"

/* ------------------------------------------------------------------ */
/* Directives                                                           */
/* ------------------------------------------------------------------ */

static const command_rec mcp_cmds[] = {
    /* Keys and claims */
    AP_INIT_TAKE1("MCPCredentialsSigningKey", mcp_set_signing_key, NULL,
                  RSRC_CONF,
                  "The RSA private key (PEM or Base64 DER PKCS#8) that signs "
                  "tokens on this server"),
    AP_INIT_TAKE1("MCPCredentialsVerifyKey", mcp_set_verify_key, NULL,
                  RSRC_CONF,
                  "An RSA key (public or private; PEM, Base64 DER or "
                  "base64:DER) that verifies tokens but signs none"),
    AP_INIT_TAKE1("MCPCredentialsIssuer", mcp_set_server_claim,
                  (void *)&mcp_issuer_field, RSRC_CONF,
                  "The iss claim of minted tokens (default activeviam)"),
    AP_INIT_TAKE1("MCPCredentialsAudience", mcp_set_server_claim,
                  (void *)&mcp_audience_field, RSRC_CONF,
                  "The aud claim of minted tokens (default none)"),
    AP_INIT_TAKE1("MCPCredentialsPublicURL", mcp_set_public_url, NULL,
                  RSRC_CONF,
                  "The public origin scheme://host[:port] of this server "
                  "(default: from the request)"),
    /* The page and the endpoint */
    AP_INIT_FLAG("MCPCredentials", mcp_set_enabled, NULL, ACCESS_CONF,
                 "On to serve the credentials page and token endpoint here "
                 "(default Off)"),
    AP_INIT_TAKE1("MCPCredentialsMaxLifetime", mcp_set_max_lifetime, NULL,
                  ACCESS_CONF,
                  "Longest lifetime a token may be given, as a Spring Boot "
                  "duration (default P365D)"),
    AP_INIT_TAKE1("MCPCredentialsLoginURL", mcp_set_login_url, NULL,
                  ACCESS_CONF,
                  "Where a visitor without a user is sent, or 'none' for a "
                  "401 (default /login/index.html)"),
    AP_INIT_TAKE_ARGV("MCPCredentialsRolesFrom", mcp_set_roles_from, NULL,
                      ACCESS_CONF,
                      "A source of the user's roles: env NAME [SEP], header "
                      "NAME [SEP], groupfile PATH or static ROLE..."),
    AP_INIT_TAKE2("MCPCredentialsRoleMap", mcp_set_role_map, NULL,
                  ACCESS_CONF,
                  "Renames a role FROM (e.g. an LDAP group DN) TO another"),
    AP_INIT_TAKE1("MCPCredentialsRolePrefix", mcp_set_role_prefix, NULL,
                  ACCESS_CONF,
                  "Prefix added to roles that lack it (e.g. ROLE_)"),
    AP_INIT_ITERATE("MCPCredentialsRolesAllowed", mcp_set_roles_allowed,
                    NULL, ACCESS_CONF,
                    "Glob patterns of the roles a token may carry (default: "
                    "all)"),
    AP_INIT_TAKE1("MCPCredentialsMintRate", mcp_set_mint_rate, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Mints a user may make per period, as N/PERIOD (default "
                  "30/1h), or off"),
    AP_INIT_TAKE12("MCPCredentialsCache", mcp_set_cache, NULL, RSRC_CONF,
                   "The store of mint counters, codes and grants: a socache "
                   "(default shmcb), redis:SERVERS or memcache:SERVERS "
                   "shared by a farm (then optionally 'public'), or none"),
    AP_INIT_TAKE12("MCPCredentialsRateCache", mcp_set_cache, NULL, RSRC_CONF,
                   "The former name of MCPCredentialsCache"),
    AP_INIT_TAKE1("MCPCredentialsCacheTimeout", mcp_set_cache_timeout, NULL,
                  RSRC_CONF,
                  "Seconds to wait on the store before it counts as down, "
                  "and to answer 503 before asking it again (default 2)"),
    AP_INIT_TAKE1("MCPCredentialsTemplateDir", mcp_set_template_dir, NULL,
                  RSRC_CONF,
                  "A directory of page.html, login.html, consent.html, "
                  "page.css, page.js "
                  "that replace the built-in ones"),
    AP_INIT_TAKE1("MCPCredentialsMCPEndpoint", mcp_set_mcp_endpoint, NULL,
                  RSRC_CONF,
                  "The MCP URL the page puts in client configurations "
                  "(default: the public origin + /mcp)"),
    /* AuthType mcp-bearer */
    AP_INIT_TAKE1("MCPBearerLeeway", mcp_set_leeway, NULL, ACCESS_CONF,
                  "Seconds of clock skew allowed on exp and nbf (default "
                  "60)"),
    AP_INIT_TAKE1("MCPBearerIssuer", mcp_set_dir_claim,
                  (void *)&mcp_bearer_issuer_field, ACCESS_CONF,
                  "The iss a token must carry (default: "
                  "MCPCredentialsIssuer)"),
    AP_INIT_TAKE1("MCPBearerAudience", mcp_set_dir_claim,
                  (void *)&mcp_bearer_audience_field, ACCESS_CONF,
                  "An aud the token must carry (default: not checked)"),
    AP_INIT_TAKE1("MCPBearerPassUser", mcp_set_pass_header, NULL,
                  ACCESS_CONF,
                  "Request header that carries the token's subject to the "
                  "backend"),
    AP_INIT_TAKE1("MCPBearerPassAuthorities", mcp_set_pass_header,
                  (void *)1, ACCESS_CONF,
                  "Request header that carries the token's authorities "
                  "(comma-separated) to the backend"),
    AP_INIT_FLAG("MCPBearerForwardToken", mcp_set_forward_token, NULL,
                 ACCESS_CONF,
                 "Whether the Authorization header goes on to the backend "
                 "(default On)"),
    AP_INIT_ITERATE("MCPBearerCORSOrigins", mcp_set_cors_origins, NULL,
                    ACCESS_CONF,
                    "Browser origins (scheme://host[:port]) that get CORS "
                    "answers here, or * for any (default: none)"),
    AP_INIT_TAKE1("MCPBearerCache", mcp_set_bearer_cache, NULL, RSRC_CONF,
                  "Verified tokens each process remembers (default 1024), "
                  "or off"),
    AP_INIT_TAKE1("MCPBearerRevokedTokens", mcp_set_revoked_tokens, NULL,
                  RSRC_CONF,
                  "A file of revoked token ids and subjects, re-read when "
                  "it changes"),
    AP_INIT_FLAG("MCPBearerResourceMetadata", mcp_set_resource_metadata,
                 NULL, RSRC_CONF,
                 "Serve RFC 9728 metadata at "
                 "/.well-known/oauth-protected-resource (default Off)"),
    AP_INIT_TAKE1("MCPBearerResourceName", mcp_set_resource_name, NULL,
                  RSRC_CONF,
                  "The resource_name of the metadata (default MCP server)"),
    AP_INIT_TAKE1("MCPBearerAuthorizationServer",
                  mcp_set_authorization_server, NULL, RSRC_CONF,
                  "An OAuth authorization server named in the metadata"),
    AP_INIT_TAKE1("MCPBearerResource", mcp_set_bearer_resource, NULL,
                  ACCESS_CONF,
                  "The resource URL (RFC 8707) this location is: its "
                  "challenges and metadata name it, tokens with aud must"),
    AP_INIT_FLAG("MCPBearerRequireAudience", mcp_set_require_audience, NULL,
                 ACCESS_CONF,
                 "On to refuse tokens without aud here (default Off: page "
                 "tokens have none)"),
    /* The authorization server */
    AP_INIT_FLAG("MCPOAuth", mcp_set_oauth, NULL, RSRC_CONF,
                 "On to make this server the OAuth authorization server of "
                 "its MCP resources (default Off)"),
    AP_INIT_TAKE1("MCPOAuthSecretFile", mcp_set_oauth_secret, NULL,
                  RSRC_CONF,
                  "A file of at least 32 bytes that seals client ids, codes "
                  "and refresh tokens; repeat to rotate (the first seals)"),
    AP_INIT_TAKE1("MCPOAuthAccessLifetime", mcp_set_access_lifetime, NULL,
                  RSRC_CONF,
                  "Lifetime of access tokens issued to OAuth clients "
                  "(default PT15M)"),
    AP_INIT_ITERATE("MCPOAuthRedirectAllowed", mcp_set_redirect_allowed,
                    NULL, RSRC_CONF,
                    "Glob patterns of the https redirect URIs clients may "
                    "register (default: none)"),
    AP_INIT_TAKE2("MCPOAuthClientMetadata", mcp_set_client_metadata, NULL,
                  RSRC_CONF,
                  "A client id metadata document pinned by the operator: "
                  "URL (the client id) and FILE (its content)"),
    AP_INIT_TAKE1("MCPOAuthRegistrationRate", mcp_set_registration_rate,
                  NULL, RSRC_CONF,
                  "Client registrations an address may make per period, as "
                  "N/PERIOD (default 20/1h), or off"),
    {NULL}};

/* ------------------------------------------------------------------ */
/* Hooks                                                                */
/* ------------------------------------------------------------------ */

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    const char *err = mcp_config_check_env(ptemp);
    (void)plog;

    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL, "%s",
                     err);
        return DONE;
    }
    return mcp_store_pre_config(pconf);
}

static int check_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    return mcp_config_check(s);
}

/* Everything that does not change per request is prepared here. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    if (mcp_keys_init(pconf, s) != OK ||
        mcp_metadata_init(pconf, s) != OK ||
        mcp_store_post_config(pconf, ptemp, s) != OK ||
        mcp_pages_init(pconf, s) != OK || mcp_grants_init(pconf, s) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    mcp_revocation_post_config(pconf, ptemp, s);
    return OK;
}

/* Before anything else sees the request: the headers the configuration
 * trusts cannot come from the client. */
static int post_read_request(request_rec *r)
{
    mcp_strip_forged_headers(r);
    return DECLINED;
}

static void child_init(apr_pool_t *pchild, server_rec *s)
{
    mcp_bearer_child_init(pchild, s);
    mcp_revocation_child_init(pchild, s);
    mcp_store_child_init(pchild, s);
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_monitor(mcp_revocation_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    /* The metadata documents and the authorization server's anonymous
     * endpoints: served before access control. */
    ap_hook_quick_handler(mcp_metadata_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_quick_handler(mcp_oauth_quick_handler, NULL, NULL,
                          APR_HOOK_FIRST);
    /* Before mod_dir's fixup, which would take a directory base over. */
    ap_hook_fixups(mcp_endpoint_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(mcp_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mcp_login_handler, NULL, NULL, APR_HOOK_MIDDLE);
    mcp_bearer_register_hooks(p);
}

AP_DECLARE_MODULE(mcp_credentials) = {
    STANDARD20_MODULE_STUFF,
    mcp_create_dir_conf,
    mcp_merge_dir_conf,
    mcp_create_server_conf,
    mcp_merge_server_conf,
    mcp_cmds,
    register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE};
