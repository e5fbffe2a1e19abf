/*
 * What the httpd-facing files of mod_mcp_credentials share: the
 * configuration records and the entry points of each part.
 */
#ifndef MCP_MODULE_H
#define MCP_MODULE_H

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "jwt.h"
#include "roles.h"
#include "token_request.h"

#define MCP_HANDLER "mcp-credentials"
#define MCP_LOGIN_HANDLER "mcp-credentials-login"
#define MCP_DEFAULT_ISSUER "activeviam"
#define MCP_DEFAULT_LOGIN_URL "/login/index.html"
#define MCP_DEFAULT_MAX_LIFETIME ((apr_int64_t)365 * 86400)
#define MCP_DEFAULT_LEEWAY 60
#define MCP_DEFAULT_BEARER_CACHE 1024
#define MCP_DEFAULT_RATE 30
#define MCP_DEFAULT_RATE_PERIOD 3600
#define MCP_BEARER_AUTH_TYPE "mcp-bearer"

extern module AP_MODULE_DECLARE_DATA mcp_credentials_module;

/* Log lines carry the module's name, and `LogLevel mcp_credentials:info`
 * applies to them (the module file gets this from AP_DECLARE_MODULE). */
#ifndef MCP_MODULE_MAIN
APLOG_USE_MODULE(mcp_credentials);
#endif

typedef struct {
    mcp_jwt_key *signing_key;       /* loaded at configuration time */
    const char *signing_key_path;
    int signing_key_set;
    apr_array_header_t *verify_keys;    /* mcp_jwt_key *, verify only */
    int verify_keys_set;
    const mcp_jwt_key **ring;       /* signing key first, then verify keys */
    apr_size_t n_ring;              /* built in post_config */
    const char *issuer;
    int issuer_set;
    const char *audience;           /* NULL: no aud claim */
    int audience_set;
    const char *public_url;         /* lower-case origin, or NULL */
    int public_url_set;
    const char *template_dir;       /* NULL: the built-in templates */
    int template_dir_set;
    const char *mcp_endpoint;       /* NULL: public origin + /mcp */
    int mcp_endpoint_set;
    struct mcp_pages *pages;        /* compiled in post_config */
    int switched_on;                /* some MCPCredentials On on this server */
    const char *page_path;          /* first <Location> switched On */
    int resource_metadata;          /* MCPBearerResourceMetadata: -1 unset */
    const char *resource_name;
    const char *authorization_server;
    struct mcp_revocation_file *revoked; /* MCPBearerRevokedTokens */
    const char *rate_cache;         /* socache spec; main server only */
    int bearer_cache_size;          /* MCPBearerCache: -1 unset, 0 off */
    struct mcp_bearer_cache *bearer_cache; /* per child, from child_init */
    apr_array_header_t *forged_headers; /* role headers clients may not send */
} mcp_server_conf;

typedef enum {
    MCP_ROLES_FROM_ENV,
    MCP_ROLES_FROM_HEADER,
    MCP_ROLES_FROM_GROUPFILE,
    MCP_ROLES_FROM_STATIC
} mcp_roles_from;

typedef struct {
    mcp_roles_from kind;
    const char *name;               /* variable, header or file path */
    const char *separator;          /* env and header */
    mcp_groupfile *groupfile;       /* groupfile, parsed at config time */
    apr_array_header_t *statics;    /* static: const char * */
} mcp_role_source;

typedef struct {
    int enabled;
    int enabled_set;
    apr_int64_t max_lifetime;       /* seconds */
    int max_lifetime_set;
    const char *login_url;          /* NULL: answer 401 */
    int login_url_set;
    apr_array_header_t *role_sources;   /* mcp_role_source */
    int role_sources_set;
    apr_array_header_t *role_map;       /* mcp_role_map_entry */
    int role_map_set;
    const char *role_prefix;
    int role_prefix_set;
    apr_array_header_t *roles_allowed;  /* const char * glob patterns */
    int roles_allowed_set;
    const char *location;           /* the <Location> path, or NULL */
    /* AuthType mcp-bearer */
    apr_int64_t leeway;
    int leeway_set;
    const char *bearer_issuer;
    int bearer_issuer_set;
    const char *bearer_audience;    /* NULL: aud not checked */
    int bearer_audience_set;
    const char *pass_user;          /* request header for the backend */
    int pass_user_set;
    const char *pass_authorities;
    int pass_authorities_set;
    int forward_token;
    int forward_token_set;
    int mint_rate;                  /* mints per period; 0: no limit */
    apr_int64_t mint_period;        /* seconds */
    const char *mint_scope;         /* where the limit was set */
    int mint_rate_set;
    apr_array_header_t *cors_origins; /* lower-case origins, or "*" */
    int cors_origins_set;
} mcp_dir_conf;

/* The ATOTI_MCP_CREDENTIALS_* environment, read at startup. */
typedef struct {
    int enabled;
    apr_int64_t max_lifetime;
} mcp_env_defaults;

const mcp_env_defaults *mcp_env(void);

static inline mcp_server_conf *mcp_server_config(server_rec *s)
{
    return ap_get_module_config(s->module_config, &mcp_credentials_module);
}

static inline mcp_dir_conf *mcp_dir_config(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &mcp_credentials_module);
}

const char *mcp_parse_max_lifetime(apr_pool_t *p, const char *what,
                                   const char *text, apr_int64_t *seconds);

#define MCP_FORM_TYPE "application/x-www-form-urlencoded"

/* A token just minted, for the answer that shows it. */
typedef struct {
    const char *token;
    const char *jti;
    apr_int64_t iat;
    apr_int64_t exp;
    mcp_roles *authorities;
} mcp_minted;

/* mcp_handler.c: routing, the token endpoint, minting */
int mcp_handler(request_rec *r);
void mcp_unset_header_variants(request_rec *r, const char *name);
int mcp_send_error(request_rec *r, int status, const char *code,
                   const char *message);
int mcp_method_not_allowed(request_rec *r);
cJSON *mcp_pool_json(apr_pool_t *p, cJSON *json);
mcp_token_request *mcp_pool_token_request(apr_pool_t *p);
const char *mcp_public_origin(request_rec *r);
mcp_roles *mcp_user_roles(request_rec *r, const mcp_dir_conf *dconf);
apr_int64_t mcp_max_lifetime(const mcp_dir_conf *dconf);
const mcp_jwt_key *mcp_signing_key(request_rec *r);
int mcp_mint(request_rec *r, const mcp_dir_conf *dconf,
             const mcp_token_request *req, mcp_minted *minted,
             const char **code, const char **message);

/* mcp_page.c: the page, its assets, the form post, the JWK Set */
int mcp_handle_page(request_rec *r, const mcp_dir_conf *dconf,
                    const char *base);
int mcp_handle_asset(request_rec *r, const char *name);
int mcp_handle_token_form(request_rec *r, const mcp_dir_conf *dconf,
                          const char *body, apr_size_t len);
int mcp_handle_jwks(request_rec *r);
int mcp_form_refusal(request_rec *r, const mcp_dir_conf *dconf, int status,
                     const char *msg);
int mcp_login_handler(request_rec *r);
int mcp_pages_init(apr_pool_t *pconf, server_rec *s);
const char *mcp_endpoint_url(request_rec *r);

/* mod_mcp_credentials.c */
const mcp_jwt_key *const *mcp_key_ring(server_rec *s, apr_size_t *n);

/* mcp_bearer.c */
int mcp_is_bearer_request(request_rec *r);
void mcp_bearer_child_init(apr_pool_t *pchild, server_rec *s);
void mcp_bearer_register_hooks(apr_pool_t *p);
const char *mcp_resource_metadata_url(request_rec *r);
const char *mcp_set_cors_origins(cmd_parms *cmd, void *dirconf,
                                 const char *arg);

/* mcp_revocation.c */
typedef enum {
    MCP_NOT_REVOKED,
    MCP_REVOKED,
    MCP_REVOCATION_UNAVAILABLE  /* the file changed and cannot be read */
} mcp_revocation_answer;
const char *mcp_set_revoked_tokens(cmd_parms *cmd, void *dummy,
                                   const char *arg);
void mcp_revocation_post_config(apr_pool_t *ptemp, server_rec *s);
int mcp_revocation_monitor(apr_pool_t *pconf, server_rec *s);
void mcp_revocation_child_init(apr_pool_t *pchild, server_rec *s);
mcp_revocation_answer mcp_revocation_check(request_rec *r, const char *jti,
                                           const char *sub, apr_int64_t iat);

/* mcp_ratelimit.c */
const char *mcp_set_mint_rate(cmd_parms *cmd, void *dirconf, const char *arg);
const char *mcp_set_rate_cache(cmd_parms *cmd, void *dummy, const char *arg);
int mcp_ratelimit_pre_config(apr_pool_t *pconf);
int mcp_ratelimit_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                              server_rec *s);
void mcp_ratelimit_child_init(apr_pool_t *pchild, server_rec *s);
/* Counts one mint for the request's user.  Returns OK (*wait 0), OK with
 * *wait the seconds until the user may mint again, or
 * HTTP_SERVICE_UNAVAILABLE when the count cannot be kept (logged). */
int mcp_ratelimit_take(request_rec *r, const mcp_dir_conf *dconf,
                       apr_int64_t *wait);

#endif /* MCP_MODULE_H */
