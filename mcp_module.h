/*
 * What the httpd-facing files of mod_mcp_credentials share: the
 * configuration records, the per-request context, and each part's entry
 * points.  The parts stand in layers, and a file calls only the layers
 * below its own:
 *
 *   glue      mod_mcp_credentials.c   module record, directives, hooks
 *   fronts    mcp_endpoint.c          routing (hands the page and the
 *                                     authorization endpoint their
 *                                     requests), the token endpoint, JWKS
 *             mcp_page.c              the page, its form post, the login
 *                                     page, assets, the consent page's
 *                                     rendering
 *             mcp_consent.c           the authorization endpoint and its
 *                                     consent (mcp_page.c renders it)
 *             mcp_oauth.c             the authorization server's anonymous
 *                                     endpoints (quick handler): metadata,
 *                                     token, registration, revocation, JWKS
 *             mcp_bearer.c            AuthType mcp-bearer, Require
 *                                     mcp-authority, CORS, resources
 *             mcp_metadata.c          RFC 9728 documents
 *   minting   mcp_mint.c              roles, lifetime, rate limit, signing,
 *                                     the audit line; approvals and the
 *                                     access tokens of a grant
 *   services  mcp_keys.c              the key ring, the JWK Set, MACs
 *             mcp_ratelimit.c         mint and registration counters
 *             mcp_revocation.c        the revocation list of each process
 *             mcp_grants.c            sealed client ids, consents, codes,
 *                                     refresh tokens and their records
 *   base      mcp_http.c              responses, requests, headers, origin
 *             mcp_config.c            records, merges, defaults, setters
 *             mcp_store.c             the one store (MCPCredentialsCache):
 *                                     socache and mutex, or the network
 *                                     store; the circuit breaker
 *   network   mcp_store_net.c         Redis and memcache (APR-util)
 *   units     jwt/, lib/              no httpd header at all
 *
 * t/layers/check.pl fails the tests when an arrow points up or sideways;
 * the only sideways arrows it allows are the fronts' mcp_endpoint.c to
 * mcp_page.c and mcp_consent.c, and mcp_consent.c to mcp_page.c.
 * docs/architecture.md draws the path of a request through them.
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

#include "file.h"
#include "grant.h"
#include "jwt.h"
#include "roles.h"
#include "token_request.h"

#define MCP_HANDLER "mcp-credentials"
#define MCP_LOGIN_HANDLER "mcp-credentials-login"
#define MCP_BEARER_AUTH_TYPE "mcp-bearer"
#define MCP_WELL_KNOWN_RESOURCE "/.well-known/oauth-protected-resource"
#define MCP_JSON_TYPE "application/json"
#define MCP_FORM_TYPE "application/x-www-form-urlencoded"

extern module AP_MODULE_DECLARE_DATA mcp_credentials_module;

/* Log lines carry the module's name, and `LogLevel mcp_credentials:info`
 * applies to them (the module file gets this from AP_DECLARE_MODULE). */
#ifndef MCP_MODULE_MAIN
APLOG_USE_MODULE(mcp_credentials);
#endif

/* ------------------------------------------------------------------ */
/* Configuration (mcp_config.c)                                         */
/* ------------------------------------------------------------------ */

/*
 * One convention for both records: every field a directive sets has a
 * *_set bit; create fills every field from the defaults (mcp_config.c's
 * one defaults record, and the ATOTI_MCP_CREDENTIALS_* environment), and
 * merge is one line a field (the inner value when set, else the outer
 * one).  Request code reads the fields as they are: no default is applied
 * anywhere else.
 */

/* MCPBearerRevokedTokens as the configuration read it. */
typedef struct {
    const char *path;
    const struct mcp_revocation *list;  /* parsed at configuration time */
    mcp_file_version version;           /* of what was parsed */
} mcp_revoked_spec;

/* MCPCredentialsMintRate: n mints per period seconds (n 0: no limit),
 * counted for the directive at scope. */
typedef struct {
    int n;
    apr_int64_t period;
    const char *scope;
} mcp_mint_rate;

/* MCPOAuthClientMetadata: a client id metadata document the operator
 * pinned, read and parsed at configuration time. */
typedef struct {
    const char *url;                    /* the client id */
    const mcp_registration *registration;
} mcp_client_document;

typedef struct {
    mcp_jwt_key *signing_key;           /* loaded at configuration time */
    int signing_key_set;
    apr_array_header_t *verify_keys;    /* mcp_jwt_key *, verify only */
    int verify_keys_set;
    const char *issuer;
    int issuer_set;
    const char *audience;               /* NULL: no aud claim */
    int audience_set;
    const char *public_url;             /* lower-case origin, or NULL */
    int public_url_set;
    const char *template_dir;           /* NULL: the built-in templates */
    int template_dir_set;
    const char *mcp_endpoint;           /* NULL: public origin + /mcp */
    int mcp_endpoint_set;
    int resource_metadata;
    int resource_metadata_set;
    const char *resource_name;
    int resource_name_set;
    const char *authorization_server;   /* NULL: none */
    int authorization_server_set;
    int bearer_cache_size;              /* 0: off */
    int bearer_cache_size_set;
    const char *cache;                  /* socache spec, "none"; main only */
    int cache_set;
    apr_interval_time_t cache_timeout;  /* MCPCredentialsCacheTimeout */
    const mcp_revoked_spec *revoked;    /* NULL: no revocation list */
    int revoked_set;
    /* The authorization server (MCPOAuth*) */
    int oauth;
    int oauth_set;
    apr_array_header_t *oauth_secrets;  /* mcp_secret; the first seals */
    int oauth_secrets_set;
    apr_int64_t access_lifetime;        /* seconds */
    int access_lifetime_set;
    apr_array_header_t *redirect_allowed; /* const char * glob patterns */
    int redirect_allowed_set;
    apr_array_header_t *client_documents; /* mcp_client_document */
    int client_documents_set;
    mcp_mint_rate registration_rate;    /* per client address */
    int registration_rate_set;

    /* What this server's sections say: gathered, not merged. */
    int switched_on;                    /* some MCPCredentials On */
    const char *page_path;              /* the first <Location> switched On */
    apr_array_header_t *forged_headers; /* headers clients may not send */
    apr_array_header_t *resources;      /* MCPBearerResource values */

    /* Built after configuration, read-only while requests run. */
    struct mcp_keys *keys;              /* mcp_keys.c, post_config */
    struct mcp_pages *pages;            /* mcp_page.c, post_config */
    struct mcp_metadata *metadata;      /* mcp_metadata.c, post_config */
    struct mcp_revocation_file *revocation; /* mcp_revocation.c */
    struct mcp_bearer_cache *bearer_cache;  /* mcp_bearer.c, child_init */
    struct mcp_oauth *oauth_server;     /* mcp_oauth.c, post_config */
} mcp_server_conf;

typedef enum {
    MCP_ROLES_FROM_ENV,
    MCP_ROLES_FROM_HEADER,
    MCP_ROLES_FROM_GROUPFILE,
    MCP_ROLES_FROM_STATIC
} mcp_roles_from;

typedef struct {
    mcp_roles_from kind;
    const char *name;                   /* variable, header or file path */
    const char *separator;              /* env and header */
    mcp_groupfile *groupfile;           /* groupfile, parsed at config time */
    apr_array_header_t *statics;        /* static: const char * */
} mcp_role_source;


typedef struct {
    int enabled;
    int enabled_set;
    apr_int64_t max_lifetime;           /* seconds */
    int max_lifetime_set;
    const char *login_url;              /* NULL: answer 401 */
    int login_url_set;
    apr_array_header_t *role_sources;   /* mcp_role_source */
    int role_sources_set;
    apr_array_header_t *role_map;       /* mcp_role_map_entry */
    int role_map_set;
    const char *role_prefix;            /* NULL: none */
    int role_prefix_set;
    apr_array_header_t *roles_allowed;  /* const char * glob patterns */
    int roles_allowed_set;
    mcp_mint_rate mint_rate;
    int mint_rate_set;
    /* AuthType mcp-bearer */
    apr_int64_t leeway;
    int leeway_set;
    const char *bearer_issuer;          /* NULL: the server's issuer */
    int bearer_issuer_set;
    const char *bearer_audience;        /* NULL: aud not checked */
    int bearer_audience_set;
    const char *pass_user;              /* request header for the backend */
    int pass_user_set;
    const char *pass_authorities;
    int pass_authorities_set;
    int forward_token;
    int forward_token_set;
    apr_array_header_t *cors_origins;   /* lower-case origins, or "*" */
    int cors_origins_set;
    const char *bearer_resource;        /* MCPBearerResource, or NULL */
    int bearer_resource_set;
    int require_audience;               /* MCPBearerRequireAudience */
    int require_audience_set;
    /* The outermost <Location> that configures the module: the base. */
    const char *location;
} mcp_dir_conf;

/* Defines name, an APR pool cleanup that hands its data to free_fn: the
 * unit's own objects (keys, lists, trees) live as long as a pool. */
#define MCP_POOL_CLEANUP(name, free_fn)                                       \
    static apr_status_t name(void *data)                                      \
    {                                                                         \
        free_fn(data);                                                        \
        return APR_SUCCESS;                                                   \
    }

static inline mcp_server_conf *mcp_server_config(server_rec *s)
{
    return ap_get_module_config(s->module_config, &mcp_credentials_module);
}

static inline mcp_dir_conf *mcp_dir_config(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &mcp_credentials_module);
}

void *mcp_create_server_conf(apr_pool_t *p, server_rec *s);
void *mcp_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *mcp_create_dir_conf(apr_pool_t *p, char *dir);
void *mcp_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
/* Checks ATOTI_MCP_CREDENTIALS_*: NULL or the message of an error. */
const char *mcp_config_check_env(apr_pool_t *p);
/* Cross-directive checks; logs each problem.  Returns OK or an error. */
int mcp_config_check(server_rec *s);

/* The directive setters, for the command table of the glue. */
const char *mcp_set_signing_key(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_verify_key(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_template_dir(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_mcp_endpoint(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_enabled(cmd_parms *cmd, void *dc, int on);
const char *mcp_set_max_lifetime(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_server_claim(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_dir_claim(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_public_url(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_login_url(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_roles_from(cmd_parms *cmd, void *dc, int argc,
                               char *const argv[]);
const char *mcp_set_role_map(cmd_parms *cmd, void *dc, const char *from,
                             const char *to);
const char *mcp_set_role_prefix(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_roles_allowed(cmd_parms *cmd, void *dc,
                                  const char *arg);
const char *mcp_set_mint_rate(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_cache(cmd_parms *cmd, void *dc, const char *arg,
                          const char *scope);
const char *mcp_set_cache_timeout(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_oauth(cmd_parms *cmd, void *dc, int on);
const char *mcp_set_oauth_secret(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_access_lifetime(cmd_parms *cmd, void *dc,
                                    const char *arg);
const char *mcp_set_redirect_allowed(cmd_parms *cmd, void *dc,
                                     const char *arg);
const char *mcp_set_client_metadata(cmd_parms *cmd, void *dc,
                                    const char *url, const char *file);
const char *mcp_set_registration_rate(cmd_parms *cmd, void *dc,
                                      const char *arg);
const char *mcp_set_bearer_resource(cmd_parms *cmd, void *dc,
                                    const char *arg);
const char *mcp_set_require_audience(cmd_parms *cmd, void *dc, int on);
const char *mcp_set_leeway(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_pass_header(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_forward_token(cmd_parms *cmd, void *dc, int on);
const char *mcp_set_cors_origins(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_resource_metadata(cmd_parms *cmd, void *dc, int on);
const char *mcp_set_bearer_cache(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_resource_name(cmd_parms *cmd, void *dc, const char *arg);
const char *mcp_set_authorization_server(cmd_parms *cmd, void *dc,
                                         const char *arg);
const char *mcp_set_revoked_tokens(cmd_parms *cmd, void *dc,
                                   const char *arg);
/* cmd_data of the claim setters: which field of which record. */
extern const struct mcp_claim_field mcp_issuer_field, mcp_audience_field,
    mcp_bearer_issuer_field, mcp_bearer_audience_field;

/* ------------------------------------------------------------------ */
/* HTTP helpers (mcp_http.c)                                            */
/* ------------------------------------------------------------------ */

/* What one request carries from one part to the next, instead of notes
 * or computing anything twice. */
typedef struct {
    const char *base;       /* the page's base path ("" at <Location />) */
    const char *sub;        /* the path under it ("", "/token", ...) */
    mcp_roles *roles;       /* the signed-in user's, once computed */
    apr_array_header_t *authorities; /* a bearer token's: const char * */
} mcp_request;

mcp_request *mcp_request_get(request_rec *r);

/* Every answer of the module: not sniffed, not framed, no referrer; csp
 * NULL gives the strictest policy; no_store for answers with a token. */
void mcp_security_headers(request_rec *r, const char *csp, int no_store);
cJSON *mcp_pool_json(apr_pool_t *p, cJSON *json);
const char *mcp_json_text(apr_pool_t *p, const cJSON *json);
int mcp_send_json(request_rec *r, int status, const cJSON *body);
int mcp_send_error(request_rec *r, int status, const char *code,
                   const char *message);
/* A document prepared at configuration time; etag may be NULL. */
int mcp_send_bytes(request_rec *r, const char *type, const char *data,
                   apr_size_t len, const char *etag);
int mcp_method_not_allowed(request_rec *r);
const char *mcp_public_origin(request_rec *r);
const char *mcp_metadata_url(request_rec *r);
int mcp_read_body(request_rec *r, apr_size_t limit, char **out,
                  apr_size_t *outlen);
const char *mcp_media_type(request_rec *r);
int mcp_is_cross_site(request_rec *r);
void mcp_unset_header_variants(request_rec *r, const char *name);
void mcp_strip_forged_headers(request_rec *r);
/* 1 when a bearer token authenticated the request (AuthType mcp-bearer). */
int mcp_is_bearer_request(request_rec *r);
mcp_token_request *mcp_pool_token_request(apr_pool_t *p);

/* mcp_store.c: the module's one store (MCPCredentialsCache): a local
 * socache (shmcb, dbm: the records in one instance, the counters in
 * another, a global mutex each) or a network store shared by a farm
 * (redis, memcache; mcp_store_net.c), behind a circuit breaker.  Every
 * call answers APR_SUCCESS, APR_NOTFOUND, or a failure (logged once per
 * outage; mcp_store_retry_after() then tells the client when to come
 * back). */
int mcp_store_pre_config(apr_pool_t *pconf);
int mcp_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                          server_rec *s);
void mcp_store_child_init(apr_pool_t *pchild, server_rec *s);
/* 1 when a store is configured and created. */
int mcp_store_exists(void);
apr_status_t mcp_store_get(request_rec *r, const unsigned char *key,
                           unsigned int klen, unsigned char *val,
                           unsigned int *vlen);
/* expiry_sec: absolute, in seconds. */
apr_status_t mcp_store_put(request_rec *r, const unsigned char *key,
                           unsigned int klen, apr_int64_t expiry_sec,
                           const unsigned char *val, unsigned int vlen);
/* Removes a record and hands back its value: APR_SUCCESS for exactly one
 * of the callers that race for it, on every node of a farm. */
apr_status_t mcp_store_take(request_rec *r, const unsigned char *key,
                            unsigned int klen, unsigned char *val,
                            unsigned int *vlen);
/* Counts one more event on a counter that lives until expiry_sec;
 * *count is the count with this one.  A local store does not write a
 * count past cap again (each write of shmcb pushes out older records). */
apr_status_t mcp_store_count(request_rec *r, const unsigned char *key,
                             unsigned int klen, apr_int64_t expiry_sec,
                             apr_uint32_t cap, apr_uint32_t *count);
/* Keeps a record that lives long from being pushed out by newer ones: a
 * local store writes it again as it is, if it is there (under its mutex,
 * so nothing taken comes back); a network store evicts by use, not by
 * age, and is not asked. */
apr_status_t mcp_store_touch(request_rec *r, const unsigned char *key,
                             unsigned int klen, apr_int64_t expiry_sec);
/* Sets Retry-After on a refusal for a failed store. */
void mcp_store_retry_after(request_rec *r);

/* mcp_store_net.c: Redis and memcache through APR-util's clients. */
#define MCP_NETSTORE_REDIS 1
#define MCP_NETSTORE_MEMCACHE 2
typedef struct mcp_netstore mcp_netstore;
/* MCP_NETSTORE_*, or 0 for a provider name that is neither. */
int mcp_netstore_kind(const char *name);
/* At configuration time: NULL, or why the server list cannot serve
 * (malformed, unresolvable, or a public address without allow_public). */
const char *mcp_netstore_check(apr_pool_t *p, int kind, const char *servers,
                               int allow_public);
/* In each child: the clients, each read or write bounded by timeout
 * (Redis), threads connections per server at most.  NULL or why not. */
const char *mcp_netstore_open(apr_pool_t *p, int kind, const char *servers,
                              apr_interval_time_t timeout, int threads,
                              mcp_netstore **out);
apr_status_t mcp_netstore_get(mcp_netstore *ns, apr_pool_t *p,
                              const unsigned char *key, unsigned int klen,
                              unsigned char *val, unsigned int *vlen);
apr_status_t mcp_netstore_put(mcp_netstore *ns, const unsigned char *key,
                              unsigned int klen, apr_int64_t expiry,
                              const unsigned char *val, unsigned int vlen);
apr_status_t mcp_netstore_take(mcp_netstore *ns, const unsigned char *key,
                               unsigned int klen);
apr_status_t mcp_netstore_count(mcp_netstore *ns, const unsigned char *key,
                                unsigned int klen, apr_int64_t expiry,
                                apr_uint32_t *count);
mcp_roles *mcp_pool_roles(apr_pool_t *p);

/* ------------------------------------------------------------------ */
/* Services                                                             */
/* ------------------------------------------------------------------ */

/* mcp_keys.c */
int mcp_keys_init(apr_pool_t *pconf, server_rec *s);
const mcp_jwt_key *mcp_signing_key(server_rec *s);
const mcp_jwt_key *const *mcp_key_ring(server_rec *s, apr_size_t *n);
/* The JWK Set of the ring, rendered once. */
void mcp_jwks(server_rec *s, const char **json, apr_size_t *len,
              const char **etag);
/* Answers a GET with the JWK Set. */
int mcp_keys_send_jwks(request_rec *r);
/* An HMAC-SHA-256 under a secret derived from the signing key: the same
 * in every process of every restart.  Returns 0 or -1. */
int mcp_keys_mac(server_rec *s, const char *msg, unsigned char mac[32]);

/* mcp_mint.c */
typedef struct {
    const char *token;
    const char *jti;
    apr_int64_t iat;
    apr_int64_t exp;
    mcp_roles *authorities;
} mcp_minted;

/* The signed-in user's roles from the operator's sources and rules, once
 * a request.  NULL when out of memory. */
mcp_roles *mcp_user_roles(request_rec *r);
/* Mints for the request's user.  Returns OK with *minted filled, or the
 * status to answer: 400, 429 or 503 with *code and *message for the
 * client, or 500 (logged). */
int mcp_mint(request_rec *r, const mcp_token_request *req,
             mcp_minted *minted, const char **code, const char **message);

/* An approval of the consent page: the grant's end and roles (out of
 * offered, as the form narrows them), counted by the mint rate limit.
 * Returns as mcp_mint(). */
int mcp_approve(request_rec *r, const mcp_token_request *req,
                mcp_roles *offered, apr_int64_t *grant_exp,
                mcp_roles **granted, const char **code, const char **message);
/* Mints an access token of an OAuth grant (grant.h) for client_id: the
 * grant's user and roles, aud the grant's resource (and
 * MCPCredentialsAudience), MCPOAuthAccessLifetime but never past the
 * grant.  *scope receives the scope it carries.  OK or 500 (logged). */
int mcp_mint_for_grant(request_rec *r, const mcp_grant *grant,
                       const char *client_id, mcp_minted *minted,
                       const char **scope);

/* mcp_ratelimit.c */
/* Counts one mint for the request's user.  Returns OK (*wait 0), OK with
 * *wait the seconds until the user may mint again, or
 * HTTP_SERVICE_UNAVAILABLE when the count cannot be kept (logged). */
int mcp_ratelimit_take(request_rec *r, apr_int64_t *wait);
/* The same for a client registration from the request's address
 * (MCPOAuthRegistrationRate). */
int mcp_ratelimit_register(request_rec *r, apr_int64_t *wait);

/* mcp_grants.c: the authorization server's facts, its sealed strings
 * and its records */
struct mcp_oauth {
    const char *issuer;                 /* the public origin */
    const char *base;                   /* of the credentials location */
    const char *authorize_path, *token_path, *register_path, *revoke_path,
        *jwks_path;
    apr_array_header_t *resources;      /* const char *: the ones accepted */
    const char *metadata;               /* RFC 8414, rendered once */
};
int mcp_grants_init(apr_pool_t *pconf, server_rec *s);
/* 1 when resource is one this server's token endpoint accepts. */
int mcp_grants_resource_known(server_rec *s, const char *resource);
/* The registration a client id carries (sealed) or a pinned document
 * gives, in the request pool; NULL for an unknown or forged one. */
const mcp_registration *mcp_grants_client(request_rec *r,
                                          const char *client_id);
/* The sealed text of payload as kind (grant.h's MCP_KIND_*), in the
 * request pool, or NULL (logged). */
const char *mcp_grants_seal(request_rec *r, const char *kind,
                            const char *payload);
/* The payload of text sealed as kind by any of the server's secrets
 * (NUL-terminated, in the request pool, *len bytes), or NULL. */
const unsigned char *mcp_grants_open(request_rec *r, const char *kind,
                                     const char *text, apr_size_t *len);
typedef enum {
    MCP_RECORD_OK,
    MCP_RECORD_MISSING,
    MCP_RECORD_UNAVAILABLE      /* the store failed (logged) */
} mcp_record_status;
/* A single-use record of kind ('K' consent, 'C' code) until expiry. */
mcp_record_status mcp_grants_remember(request_rec *r, char kind,
                                      const char *id, apr_int64_t expiry);
/* Removes the record: OK when it was there (the one use), MISSING when
 * used, expired or never made. */
mcp_record_status mcp_grants_take(request_rec *r, char kind, const char *id);
/* A grant's record, at generation 0, until grant_exp. */
mcp_record_status mcp_grants_start(request_rec *r, const char *id,
                                   apr_int64_t grant_exp);
mcp_record_status mcp_grants_end(request_rec *r, const char *id);
typedef enum {
    MCP_ROTATION_NEXT,          /* gen was current: now gen + 1 */
    MCP_ROTATION_REPEAT,        /* gen was just rotated, within grace */
    MCP_ROTATION_GONE,          /* no such grant (ended, expired) */
    MCP_ROTATION_REPLAYED,      /* an old generation: the grant ended */
    MCP_ROTATION_UNAVAILABLE    /* the store failed (logged) */
} mcp_rotation;
mcp_rotation mcp_grants_rotate(request_rec *r, const char *id,
                               apr_uint32_t gen, apr_int64_t grant_exp,
                               apr_int64_t now, apr_int64_t grace);

/* mcp_revocation.c */
typedef enum {
    MCP_NOT_REVOKED,
    MCP_REVOKED,
    MCP_REVOCATION_UNAVAILABLE  /* the file changed and cannot be read */
} mcp_revocation_answer;
void mcp_revocation_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s);
int mcp_revocation_monitor(apr_pool_t *pconf, server_rec *s);
void mcp_revocation_child_init(apr_pool_t *pchild, server_rec *s);
mcp_revocation_answer mcp_revocation_check(request_rec *r, const char *jti,
                                           const char *sub, apr_int64_t iat);

/* ------------------------------------------------------------------ */
/* Fronts                                                               */
/* ------------------------------------------------------------------ */

/* mcp_endpoint.c: the "mcp-credentials" handler */
int mcp_handler(request_rec *r);
int mcp_endpoint_fixups(request_rec *r);

/* mcp_page.c */
int mcp_pages_init(apr_pool_t *pconf, server_rec *s);
int mcp_handle_page(request_rec *r);
int mcp_handle_asset(request_rec *r, const char *name);
int mcp_handle_token_form(request_rec *r, const char *body, apr_size_t len);
int mcp_form_refusal(request_rec *r, int status, const char *msg);
int mcp_login_handler(request_rec *r);
/* The consent page (templates/consent.html) with data and the roles to
 * offer (NULL on the error page); form_action adds
 * a source (the redirect's origin) to the CSP's form-action. */
int mcp_render_consent(request_rec *r, int status, cJSON *data,
                       const mcp_roles *roles, const char *form_action);

/* mcp_bearer.c */
void mcp_bearer_child_init(apr_pool_t *pchild, server_rec *s);
void mcp_bearer_register_hooks(apr_pool_t *p);

/* mcp_oauth.c: the authorization server's anonymous endpoints */
int mcp_oauth_quick_handler(request_rec *r, int lookup_uri);

/* mcp_consent.c: the authorization endpoint and its consent page */
int mcp_handle_authorize(request_rec *r);

/* mcp_metadata.c */
int mcp_metadata_init(apr_pool_t *pconf, server_rec *s);
int mcp_metadata_handler(request_rec *r, int lookup_uri);

#endif /* MCP_MODULE_H */
