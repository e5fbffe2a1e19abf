/*
 * The configuration of mod_mcp_credentials: both records, their defaults,
 * their merges, every directive setter and the checks across directives.
 * Everything here runs while httpd reads its configuration; errors name
 * the directive, and `apache2 -t` reports them.
 */

#include "mcp_module.h"

#include "http_request.h"

#include "duration.h"
#include "grant.h"
#include "oauth_params.h"
#include "registration.h"
#include "sealed.h"
#include "revocation.h"

/* ------------------------------------------------------------------ */
/* Defaults                                                             */
/* ------------------------------------------------------------------ */

/* Every default, in one place.  The ATOTI_MCP_CREDENTIALS_* environment
 * (Atoti's properties, read from httpd's envvars) overrides the first two
 * where no directive is given. */
static const struct {
    int enabled;
    apr_int64_t max_lifetime;
    const char *login_url;
    apr_int64_t leeway;
    int forward_token;
    mcp_mint_rate mint_rate;
    const char *issuer;
    int bearer_cache_size;
    const char *resource_name;
    const char *cache;
    apr_interval_time_t cache_timeout;
    apr_int64_t access_lifetime;
    mcp_mint_rate registration_rate;
} defaults = {
    0,                          /* MCPCredentials Off */
    (apr_int64_t)365 * 86400,   /* MCPCredentialsMaxLifetime P365D */
    "/login/index.html",        /* MCPCredentialsLoginURL */
    60,                         /* MCPBearerLeeway */
    1,                          /* MCPBearerForwardToken On */
    {30, 3600, "default"},      /* MCPCredentialsMintRate 30/1h */
    "activeviam",               /* MCPCredentialsIssuer */
    1024,                       /* MCPBearerCache */
    "MCP server",               /* MCPBearerResourceName */
    "shmcb",                    /* MCPCredentialsCache */
    APR_USEC_PER_SEC * 2,       /* MCPCredentialsCacheTimeout 2 */
    900,                        /* MCPOAuthAccessLifetime PT15M */
    {20, 3600, "MCPOAuthRegistrationRate"}, /* 20/1h per address */
};

#define ENV_ENABLED "ATOTI_MCP_CREDENTIALS_ENABLED"
#define ENV_MAX_LIFETIME "ATOTI_MCP_CREDENTIALS_MAX_LIFETIME"

static int parse_env_flag(const char *v, int *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static const char *parse_duration_arg(apr_pool_t *p, const char *what,
                                      const char *text, apr_int64_t *seconds);

/* The environment's word on the two switches, or the built-in default
 * where it says nothing (or nonsense, which mcp_config_check_env reports
 * and which stops httpd). */
static void env_defaults(apr_pool_t *p, int *enabled,
                         apr_int64_t *max_lifetime)
{
    const char *v = getenv(ENV_ENABLED);
    *enabled = defaults.enabled;
    *max_lifetime = defaults.max_lifetime;
    if (v && *v)
        parse_env_flag(v, enabled);
    v = getenv(ENV_MAX_LIFETIME);
    if (v && *v && parse_duration_arg(p, ENV_MAX_LIFETIME, v, max_lifetime))
        *max_lifetime = defaults.max_lifetime;
}

const char *mcp_config_check_env(apr_pool_t *p)
{
    const char *v = getenv(ENV_ENABLED);
    apr_int64_t seconds;
    int on;

    if (v && *v && parse_env_flag(v, &on) != 0)
        return apr_psprintf(p, ENV_ENABLED ": '%s' is neither true nor false",
                            v);
    v = getenv(ENV_MAX_LIFETIME);
    if (v && *v)
        return parse_duration_arg(p, ENV_MAX_LIFETIME, v, &seconds);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

MCP_POOL_CLEANUP(key_cleanup, mcp_jwt_key_free)
MCP_POOL_CLEANUP(groupfile_cleanup, mcp_groupfile_free)
MCP_POOL_CLEANUP(revocation_cleanup, mcp_revocation_free)
MCP_POOL_CLEANUP(registration_cleanup, mcp_registration_clear)

void *mcp_create_server_conf(apr_pool_t *p, server_rec *s)
{
    mcp_server_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)s;
    conf->verify_keys = apr_array_make(p, 2, sizeof(mcp_jwt_key *));
    conf->issuer = defaults.issuer;
    conf->resource_name = defaults.resource_name;
    conf->bearer_cache_size = defaults.bearer_cache_size;
    conf->cache = defaults.cache;
    conf->cache_timeout = defaults.cache_timeout;
    conf->access_lifetime = defaults.access_lifetime;
    conf->registration_rate = defaults.registration_rate;
    conf->oauth_secrets = apr_array_make(p, 2, sizeof(mcp_secret));
    conf->redirect_allowed = apr_array_make(p, 2, sizeof(const char *));
    conf->client_documents =
        apr_array_make(p, 1, sizeof(mcp_client_document));
    conf->forged_headers = apr_array_make(p, 2, sizeof(const char *));
    conf->resources = apr_array_make(p, 2, sizeof(const char *));
    return conf;
}

/* The inner value when its directive was given, else the outer one. */
#define MERGE(field)                                                          \
    conf->field = add->field##_set ? add->field : base->field;                \
    conf->field##_set = add->field##_set || base->field##_set

void *mcp_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    mcp_server_conf *base = basev, *add = addv;
    mcp_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    MERGE(signing_key);
    MERGE(verify_keys);
    MERGE(issuer);
    MERGE(audience);
    MERGE(public_url);
    MERGE(template_dir);
    MERGE(mcp_endpoint);
    MERGE(resource_metadata);
    MERGE(resource_name);
    MERGE(authorization_server);
    MERGE(bearer_cache_size);
    MERGE(cache);
    MERGE(revoked);
    MERGE(oauth);
    MERGE(oauth_secrets);
    MERGE(access_lifetime);
    MERGE(redirect_allowed);
    MERGE(client_documents);
    MERGE(registration_rate);
    conf->switched_on = add->switched_on;
    conf->page_path = add->page_path ? add->page_path : base->page_path;
    /* Headers named as role sources anywhere are stripped everywhere on
     * the server they belong to: a client must not forge them. */
    conf->forged_headers =
        apr_array_append(p, base->forged_headers, add->forged_headers);
    /* A virtual host's resources are its own sections'. */
    conf->resources = add->resources;
    return conf;
}

void *mcp_create_dir_conf(apr_pool_t *p, char *dir)
{
    mcp_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)dir;
    env_defaults(p, &conf->enabled, &conf->max_lifetime);
    conf->login_url = defaults.login_url;
    conf->role_sources = apr_array_make(p, 2, sizeof(mcp_role_source));
    conf->role_map = apr_array_make(p, 2, sizeof(mcp_role_map_entry));
    conf->roles_allowed = apr_array_make(p, 2, sizeof(const char *));
    conf->mint_rate = defaults.mint_rate;
    conf->leeway = defaults.leeway;
    conf->forward_token = defaults.forward_token;
    return conf;
}

void *mcp_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    mcp_dir_conf *base = basev, *add = addv;
    mcp_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    MERGE(enabled);
    MERGE(max_lifetime);
    MERGE(login_url);
    MERGE(role_sources);
    MERGE(role_map);
    MERGE(role_prefix);
    MERGE(roles_allowed);
    MERGE(mint_rate);
    MERGE(leeway);
    MERGE(bearer_issuer);
    MERGE(bearer_audience);
    MERGE(pass_user);
    MERGE(pass_authorities);
    MERGE(forward_token);
    MERGE(cors_origins);
    MERGE(bearer_resource);
    MERGE(require_audience);
    /* The outermost <Location> that configures the module is the base
     * path; a nested one (an anonymous <base>/jwks.json) keeps it. */
    conf->location = base->location ? base->location : add->location;
    return conf;
}

/* ------------------------------------------------------------------ */
/* Values shared by several directives                                  */
/* ------------------------------------------------------------------ */

/* Parses a Spring Boot duration that must be positive; the message names
 * the directive (or variable) and says what is wrong. */
static const char *parse_duration_arg(apr_pool_t *p, const char *what,
                                      const char *text, apr_int64_t *seconds)
{
    mcp_duration d;
    mcp_duration_status st = mcp_duration_parse(text, strlen(text), &d);

    if (st != MCP_DURATION_OK)
        return apr_psprintf(p, "%s: '%s' is not a duration: %s", what, text,
                            mcp_duration_status_text(st));
    if (!mcp_duration_is_positive(&d) || d.seconds < 1)
        return apr_psprintf(p,
                            "%s: '%s' must be at least one second (a "
                            "positive duration such as P30D or 12h)",
                            what, text);
    *seconds = d.seconds;
    return NULL;
}

/* The kinds of URL the directives take. */
enum {
    URL_HTTPS_ONLY = 1,     /* http is refused */
    URL_ORIGIN = 2,         /* no path (or "/") */
    URL_NO_QUERY = 4,       /* no query, no fragment */
    URL_NO_USERINFO = 8
};

/* An http(s) URL of the kind flags ask for, or NULL. */
static const apr_uri_t *parse_url(apr_pool_t *p, const char *arg, int flags)
{
    apr_uri_t *uri = apr_pcalloc(p, sizeof(*uri));
    if (apr_uri_parse(p, arg, uri) != APR_SUCCESS || !uri->scheme ||
        !uri->hostname || !*uri->hostname)
        return NULL;
    if (strcasecmp(uri->scheme, "https") &&
        (flags & URL_HTTPS_ONLY || strcasecmp(uri->scheme, "http")))
        return NULL;
    if (flags & URL_ORIGIN && uri->path && *uri->path &&
        strcmp(uri->path, "/"))
        return NULL;
    if (flags & URL_NO_QUERY && (uri->query || uri->fragment))
        return NULL;
    if (flags & URL_NO_USERINFO && (uri->user || uri->password))
        return NULL;
    return uri;
}

/* scheme://host[:port] in lower case: origins compare case-insensitively
 * in both, and apr_uri_parse keeps the case. */
static const char *origin_of(apr_pool_t *p, const apr_uri_t *uri)
{
    char *origin = apr_pstrcat(p, uri->scheme, "://",
                               uri->hostinfo ? uri->hostinfo : uri->hostname,
                               NULL);
    ap_str_tolower(origin);
    return origin;
}

/* A token claim value from the configuration: printable, no NUL. */
static const char *check_claim_text(cmd_parms *cmd, const char *arg)
{
    const unsigned char *c;
    if (!*arg)
        return apr_psprintf(cmd->pool, "%s: must not be empty",
                            cmd->cmd->name);
    for (c = (const unsigned char *)arg; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return apr_psprintf(cmd->pool,
                                "%s: control characters are not allowed",
                                cmd->cmd->name);
    return NULL;
}

static int valid_header_name(const char *name)
{
    const char *c;
    if (!*name)
        return 0;
    for (c = name; *c; c++)
        if (!apr_isalnum(*c) && *c != '-' && *c != '_')
            return 0;
    return 1;
}

static const char *not_a_role(cmd_parms *cmd, const char *what,
                              const char *role)
{
    return apr_psprintf(cmd->pool,
                        "%s: '%s' is not a valid %s (no comma, no space at "
                        "either end, no control character)",
                        cmd->cmd->name, role, what);
}

/* Remembers the <Location> path a directive sits in, so the handler can
 * tell its base path from the sub-paths it serves. */
static void note_location(cmd_parms *cmd, mcp_dir_conf *conf)
{
    const ap_directive_t *section = cmd->directive->parent;
    if (cmd->path && section &&
        strcasecmp(section->directive, "<Location") == 0 &&
        cmd->path[0] == '/' && !conf->location) {
        size_t n = strlen(cmd->path);
        while (n > 1 && cmd->path[n - 1] == '/')
            n--;
        conf->location = apr_pstrmemdup(cmd->pool, cmd->path, n);
    }
}

/* ------------------------------------------------------------------ */
/* Keys and claims                                                      */
/* ------------------------------------------------------------------ */

const char *mcp_set_signing_key(cmd_parms *cmd, void *dummy,
                                   const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    char err[MCP_JWT_ERRLEN];
    mcp_jwt_key *key;
    const char *path;
    (void)dummy;

    if (conf->signing_key_set)
        return apr_psprintf(cmd->pool, "%s: given twice for this server",
                            cmd->cmd->name);
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    /* Read now, while httpd is still root: a 0600 root-owned key works,
     * and no request ever touches the file. */
    if (mcp_jwt_key_from_file(path, &key, err, sizeof(err)) != 0)
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    apr_pool_cleanup_register(cmd->pool, key, key_cleanup,
                              apr_pool_cleanup_null);
    if (!mcp_jwt_key_is_private(key))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' holds a public key; signing needs the "
                            "private key (public keys go in "
                            "MCPCredentialsVerifyKey)",
                            cmd->cmd->name, path);
    conf->signing_key = key;
    conf->signing_key_set = 1;
    return NULL;
}

const char *mcp_set_verify_key(cmd_parms *cmd, void *dummy,
                                  const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    char err[MCP_JWT_ERRLEN];
    mcp_jwt_key *key;
    const char *spec = arg;
    (void)dummy;

    if (strncmp(arg, "base64:", 7) != 0) {
        spec = ap_server_root_relative(cmd->pool, arg);
        if (!spec)
            return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                                cmd->cmd->name, arg);
    }
    if (mcp_jwt_key_from_spec(spec, &key, err, sizeof(err)) != 0)
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    apr_pool_cleanup_register(cmd->pool, key, key_cleanup,
                              apr_pool_cleanup_null);
    if (!conf->verify_keys_set) {
        conf->verify_keys = apr_array_make(cmd->pool, 2, sizeof(key));
        conf->verify_keys_set = 1;
    }
    *(mcp_jwt_key **)apr_array_push(conf->verify_keys) = key;
    return NULL;
}

/* A text claim and its _set bit, side by side in a configuration record:
 * MCPCredentialsIssuer/Audience (server), MCPBearerIssuer/Audience
 * (directory) share one setter. */
struct mcp_claim_field {
    size_t value;
    size_t set;
};

#define CLAIM_FIELD(type, f)                                                  \
    {APR_OFFSETOF(type, f), APR_OFFSETOF(type, f##_set)}

const struct mcp_claim_field mcp_issuer_field =
    CLAIM_FIELD(mcp_server_conf, issuer);
const struct mcp_claim_field mcp_audience_field =
    CLAIM_FIELD(mcp_server_conf, audience);
const struct mcp_claim_field mcp_bearer_issuer_field =
    CLAIM_FIELD(mcp_dir_conf, bearer_issuer);
const struct mcp_claim_field mcp_bearer_audience_field =
    CLAIM_FIELD(mcp_dir_conf, bearer_audience);

static const char *set_claim(cmd_parms *cmd, char *record, const char *arg)
{
    const struct mcp_claim_field *f = cmd->info;
    const char *err = check_claim_text(cmd, arg);
    if (err)
        return err;
    *(const char **)(record + f->value) = arg;
    *(int *)(record + f->set) = 1;
    return NULL;
}

const char *mcp_set_server_claim(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return set_claim(cmd, (char *)mcp_server_config(cmd->server), arg);
}

const char *mcp_set_dir_claim(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_claim(cmd, dc, arg);
}

const char *mcp_set_public_url(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const apr_uri_t *uri =
        parse_url(cmd->pool, arg, URL_ORIGIN | URL_NO_QUERY | URL_NO_USERINFO);
    (void)dc;
    if (!uri)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an origin; give "
                            "scheme://host[:port], e.g. "
                            "https://mcp.example.com",
                            cmd->cmd->name, arg);
    conf->public_url = origin_of(cmd->pool, uri);
    conf->public_url_set = 1;
    return NULL;
}

const char *mcp_set_mcp_endpoint(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    (void)dc;
    if (!parse_url(cmd->pool, arg, 0))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an http(s) URL such as "
                            "https://mcp.example.com/mcp",
                            cmd->cmd->name, arg);
    conf->mcp_endpoint = arg;
    conf->mcp_endpoint_set = 1;
    return NULL;
}

const char *mcp_set_authorization_server(cmd_parms *cmd, void *dc,
                                         const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    (void)dc;
    if (!parse_url(cmd->pool, arg, URL_HTTPS_ONLY | URL_NO_QUERY))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an https URL without query",
                            cmd->cmd->name, arg);
    conf->authorization_server = arg;
    conf->authorization_server_set = 1;
    return NULL;
}

const char *mcp_set_resource_name(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *err = check_claim_text(cmd, arg);
    (void)dc;
    if (err)
        return err;
    conf->resource_name = arg;
    conf->resource_name_set = 1;
    return NULL;
}

const char *mcp_set_resource_metadata(cmd_parms *cmd, void *dc, int on)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    (void)dc;
    conf->resource_metadata = on;
    conf->resource_metadata_set = 1;
    return NULL;
}

const char *mcp_set_template_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;
    (void)dc;

    if (!dir || apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS ||
        fi.filetype != APR_DIR)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a directory",
                            cmd->cmd->name, arg);
    conf->template_dir = dir;
    conf->template_dir_set = 1;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The page and the endpoint                                            */
/* ------------------------------------------------------------------ */

const char *mcp_set_enabled(cmd_parms *cmd, void *dc, int on)
{
    mcp_dir_conf *conf = dc;
    conf->enabled = on;
    conf->enabled_set = 1;
    note_location(cmd, conf);
    if (on) {
        mcp_server_conf *sconf = mcp_server_config(cmd->server);
        sconf->switched_on = 1;
        if (!sconf->page_path && conf->location)
            sconf->page_path = conf->location;
    }
    return NULL;
}

const char *mcp_set_max_lifetime(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    const char *err = parse_duration_arg(cmd->pool, cmd->cmd->name, arg,
                                         &conf->max_lifetime);
    if (err)
        return err;
    conf->max_lifetime_set = 1;
    note_location(cmd, conf);
    return NULL;
}

const char *mcp_set_login_url(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;

    if (strcasecmp(arg, "none") == 0) {
        conf->login_url = NULL;
    }
    else if (arg[0] == '/' && arg[1] != '/' && !ap_strchr_c(arg, '\\') &&
             !ap_strchr_c(arg, '?') && !ap_strchr_c(arg, '#')) {
        conf->login_url = arg;
    }
    else if (parse_url(cmd->pool, arg, URL_NO_QUERY)) {
        conf->login_url = arg;
    }
    else {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is neither a local path (/login), an "
                            "http(s) URL without query, nor 'none'",
                            cmd->cmd->name, arg);
    }
    conf->login_url_set = 1;
    note_location(cmd, conf);
    return NULL;
}

const char *mcp_set_roles_from(cmd_parms *cmd, void *dc, int argc,
                               char *const argv[])
{
    mcp_dir_conf *conf = dc;
    mcp_role_source *src;
    const char *name = cmd->cmd->name;
    char err[MCP_JWT_ERRLEN];
    int i;

    if (argc < 1)
        return apr_psprintf(cmd->pool,
                            "%s: name a source: env NAME [SEPARATOR], "
                            "header NAME [SEPARATOR], groupfile PATH or "
                            "static ROLE...",
                            name);
    /* A directive in a section starts that section's list afresh; the
     * merge then takes the whole list of the innermost section. */
    if (!conf->role_sources_set) {
        conf->role_sources =
            apr_array_make(cmd->pool, 2, sizeof(mcp_role_source));
        conf->role_sources_set = 1;
    }
    src = apr_array_push(conf->role_sources);
    memset(src, 0, sizeof(*src));
    src->separator = ",";

    if (!strcasecmp(argv[0], "env") || !strcasecmp(argv[0], "header")) {
        src->kind = !strcasecmp(argv[0], "env") ? MCP_ROLES_FROM_ENV
                                                : MCP_ROLES_FROM_HEADER;
        if (argc < 2 || argc > 3)
            return apr_psprintf(cmd->pool, "%s: %s takes NAME [SEPARATOR]",
                                name, argv[0]);
        if (!valid_header_name(argv[1]))
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid %s name",
                                name, argv[1], argv[0]);
        src->name = argv[1];
        if (argc == 3) {
            if (!*argv[2])
                return apr_psprintf(cmd->pool,
                                    "%s: the separator must not be empty",
                                    name);
            src->separator = argv[2];
        }
        if (src->kind == MCP_ROLES_FROM_HEADER) {
            mcp_server_conf *sconf = mcp_server_config(cmd->server);
            *(const char **)apr_array_push(sconf->forged_headers) = argv[1];
        }
    }
    else if (!strcasecmp(argv[0], "groupfile")) {
        const char *path;
        if (argc != 2)
            return apr_psprintf(cmd->pool, "%s: groupfile takes one PATH",
                                name);
        path = ap_server_root_relative(cmd->pool, argv[1]);
        if (!path)
            return apr_psprintf(cmd->pool, "%s: invalid path '%s'", name,
                                argv[1]);
        if (mcp_groupfile_load(path, &src->groupfile, err, sizeof(err)) != 0)
            return apr_psprintf(cmd->pool, "%s: %s", name, err);
        apr_pool_cleanup_register(cmd->pool, src->groupfile,
                                  groupfile_cleanup, apr_pool_cleanup_null);
        src->kind = MCP_ROLES_FROM_GROUPFILE;
        src->name = path;
    }
    else if (!strcasecmp(argv[0], "static")) {
        if (argc < 2)
            return apr_psprintf(cmd->pool, "%s: static takes ROLE...", name);
        src->kind = MCP_ROLES_FROM_STATIC;
        src->statics = apr_array_make(cmd->pool, argc - 1, sizeof(char *));
        for (i = 1; i < argc; i++) {
            if (!mcp_role_is_passable(argv[i], strlen(argv[i])))
                return not_a_role(cmd, "role", argv[i]);
            *(const char **)apr_array_push(src->statics) = argv[i];
        }
    }
    else {
        return apr_psprintf(cmd->pool,
                            "%s: unknown source '%s'; use env, header, "
                            "groupfile or static",
                            name, argv[0]);
    }
    note_location(cmd, conf);
    return NULL;
}

const char *mcp_set_role_map(cmd_parms *cmd, void *dc, const char *from,
                             const char *to)
{
    mcp_dir_conf *conf = dc;
    mcp_role_map_entry *e;
    if (!*from)
        return apr_psprintf(cmd->pool, "%s: FROM must not be empty",
                            cmd->cmd->name);
    if (!mcp_role_is_passable(to, strlen(to)))
        return not_a_role(cmd, "role", to);
    if (!conf->role_map_set) {
        conf->role_map =
            apr_array_make(cmd->pool, 2, sizeof(mcp_role_map_entry));
        conf->role_map_set = 1;
    }
    e = apr_array_push(conf->role_map);
    e->from = from;
    e->to = to;
    return NULL;
}

const char *mcp_set_role_prefix(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    /* The prefix starts a final role: no comma, no blank in front. */
    if (*arg && (!mcp_role_is_valid(arg, strlen(arg)) ||
                 ap_strchr_c(arg, ',') || apr_isspace(arg[0])))
        return not_a_role(cmd, "prefix", arg);
    conf->role_prefix = *arg ? arg : NULL;
    conf->role_prefix_set = 1;
    return NULL;
}

const char *mcp_set_roles_allowed(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    if (!*arg)
        return apr_psprintf(cmd->pool, "%s: empty pattern", cmd->cmd->name);
    if (!conf->roles_allowed_set) {
        conf->roles_allowed = apr_array_make(cmd->pool, 2, sizeof(char *));
        conf->roles_allowed_set = 1;
    }
    *(const char **)apr_array_push(conf->roles_allowed) = arg;
    return NULL;
}

/* N/PERIOD or off, counted for the directive's own place, the section it
 * stands in (not its file and line, which differ between the nodes of a
 * farm): locations that inherit it share one counter, and one with a
 * limit of its own counts apart. */
static const char *parse_rate(cmd_parms *cmd, const char *arg,
                              mcp_mint_rate *out)
{
    const char *slash = ap_strchr_c(arg, '/');
    char *end;
    apr_int64_t n, period;
    const char *err;

    if (!strcasecmp(arg, "off")) {
        out->n = 0;
        out->period = 0;
        out->scope = NULL;
        return NULL;
    }
    if (!slash)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not N/PERIOD (e.g. 10/1h) or off",
                            cmd->cmd->name, arg);
    n = apr_strtoi64(arg, &end, 10);
    if (end != slash || n < 1 || n > 1000000)
        return apr_psprintf(cmd->pool,
                            "%s: the count in '%s' must be from 1 to 1000000",
                            cmd->cmd->name, arg);
    err = parse_duration_arg(cmd->pool, cmd->cmd->name, slash + 1, &period);
    if (err)
        return err;
    if (period > 86400 * 7)
        return apr_psprintf(cmd->pool, "%s: the period is at most 7 days",
                            cmd->cmd->name);
    out->n = (int)n;
    out->period = period;
    out->scope = apr_pstrcat(cmd->pool, cmd->cmd->name, " ",
                             cmd->path ? cmd->path : "(server)", NULL);
    return NULL;
}

const char *mcp_set_mint_rate(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    const char *err = parse_rate(cmd, arg, &conf->mint_rate);
    if (err)
        return err;
    conf->mint_rate_set = 1;
    return NULL;
}

/* The store's directives: one store serves every server. */
static const char *main_server_only(cmd_parms *cmd)
{
    return cmd->server->is_virtual
               ? apr_psprintf(cmd->pool,
                              "%s: one cache serves every server: set it in "
                              "the main server",
                              cmd->cmd->name)
               : NULL;
}

const char *mcp_set_cache(cmd_parms *cmd, void *dc, const char *arg,
                          const char *scope)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *colon = ap_strchr_c(arg, ':');
    int kind = mcp_netstore_kind(
        colon ? apr_pstrmemdup(cmd->temp_pool, arg, colon - arg) : arg);
    const char *err;
    (void)dc;

    if ((err = main_server_only(cmd)))
        return err;
    if (scope && strcasecmp(scope, "public"))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not 'public' (the only word that "
                            "may follow the store)",
                            cmd->cmd->name, scope);
    if (scope && !kind)
        return apr_psprintf(cmd->pool,
                            "%s: 'public' applies to redis: and memcache: "
                            "stores only",
                            cmd->cmd->name);
    /* The network stores: servers that parse and resolve, on private
     * addresses unless the operator says otherwise. */
    if (kind && (err = mcp_netstore_check(cmd->temp_pool, kind,
                                          colon ? colon + 1 : NULL,
                                          scope != NULL)))
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name, arg,
                            err);
    conf->cache = arg;
    conf->cache_set = 1;
    return NULL;
}

const char *mcp_set_cache_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    apr_interval_time_t t;
    const char *err;
    (void)dc;

    if ((err = main_server_only(cmd)))
        return err;
    if (ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS ||
        t < apr_time_from_sec(1) || t > apr_time_from_sec(60) ||
        t % APR_USEC_PER_SEC)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a whole number of seconds from "
                            "1 to 60",
                            cmd->cmd->name, arg);
    conf->cache_timeout = t;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* AuthType mcp-bearer                                                  */
/* ------------------------------------------------------------------ */

const char *mcp_set_leeway(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);
    if (end == arg || *end || v < 0 || v > 3600)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a number of seconds from 0 to "
                            "3600",
                            cmd->cmd->name, arg);
    conf->leeway = v;
    conf->leeway_set = 1;
    return NULL;
}

/* MCPBearerPassUser / MCPBearerPassAuthorities: a header for the backend,
 * whose client-sent copies are removed on the whole server. */
const char *mcp_set_pass_header(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    mcp_server_conf *sconf = mcp_server_config(cmd->server);
    if (!valid_header_name(arg))
        return apr_psprintf(cmd->pool, "%s: '%s' is not a header name",
                            cmd->cmd->name, arg);
    if (!strcasecmp(arg, "Authorization") || !strcasecmp(arg, "Host"))
        return apr_psprintf(cmd->pool, "%s: '%s' cannot carry this",
                            cmd->cmd->name, arg);
    if (cmd->info) {
        conf->pass_authorities = arg;
        conf->pass_authorities_set = 1;
    }
    else {
        conf->pass_user = arg;
        conf->pass_user_set = 1;
    }
    *(const char **)apr_array_push(sconf->forged_headers) = arg;
    return NULL;
}

const char *mcp_set_forward_token(cmd_parms *cmd, void *dc, int on)
{
    mcp_dir_conf *conf = dc;
    (void)cmd;
    conf->forward_token = on;
    conf->forward_token_set = 1;
    return NULL;
}

/* MCPBearerCORSOrigins ORIGIN... | *: which browser origins get CORS
 * answers.  None by default: the operator decides which web applications
 * may call the MCP server from a browser. */
const char *mcp_set_cors_origins(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_dir_conf *conf = dc;
    const apr_uri_t *uri = NULL;

    if (strcmp(arg, "*") &&
        !(uri = parse_url(cmd->pool, arg,
                          URL_ORIGIN | URL_NO_QUERY | URL_NO_USERINFO)))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an origin such as "
                            "https://app.example.com (scheme://host[:port], "
                            "no path), nor *",
                            cmd->cmd->name, arg);
    if (!conf->cors_origins_set) {
        conf->cors_origins = apr_array_make(cmd->pool, 2, sizeof(char *));
        conf->cors_origins_set = 1;
    }
    *(const char **)apr_array_push(conf->cors_origins) =
        uri ? origin_of(cmd->pool, uri) : "*";
    return NULL;
}

const char *mcp_set_bearer_cache(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);
    (void)dc;
    if (!strcasecmp(arg, "off"))
        n = 0, end = "";
    if (end == arg || *end || n < 0 || n > (1 << 20))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a number of tokens from 0 to "
                            "1048576, or off",
                            cmd->cmd->name, arg);
    conf->bearer_cache_size = (int)n;
    conf->bearer_cache_size_set = 1;
    return NULL;
}

/* Read now: a missing or malformed file stops a configuration test. */
const char *mcp_set_revoked_tokens(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    mcp_revoked_spec *spec = apr_pcalloc(cmd->pool, sizeof(*spec));
    mcp_revocation *list;
    char err[512];
    (void)dc;

    if (!path)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    if (mcp_revocation_load(path, &list, &spec->version, err, sizeof(err)))
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    apr_pool_cleanup_register(cmd->pool, list, revocation_cleanup,
                              apr_pool_cleanup_null);
    spec->path = path;
    spec->list = list;
    conf->revoked = spec;
    conf->revoked_set = 1;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The authorization server                                             */
/* ------------------------------------------------------------------ */

const char *mcp_set_oauth(cmd_parms *cmd, void *dc, int on)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    (void)dc;
    conf->oauth = on;
    conf->oauth_set = 1;
    return NULL;
}

/* The prepared secrets go with the configuration. */
static apr_status_t free_hmac(void *hmac)
{
    mcp_hmac_free(hmac);
    return APR_SUCCESS;
}

/* A secret of its own for what is sealed (client ids, codes, refresh
 * tokens): the file's bytes, trailing white space dropped.  The first
 * given seals; every one opens, so a new one goes first and the old one
 * stays until what it sealed has expired. */
const char *mcp_set_oauth_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    char err[512], *buf;
    size_t len;
    mcp_secret *secret;
    mcp_hmac *hmac;
    (void)dc;

    if (!path)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    if (mcp_file_read(path, "secret file", 4096, 0, &buf, &len, NULL, err,
                      sizeof(err)))
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    while (len > 0 && apr_isspace(buf[len - 1]))
        len--;
    if (len < MCP_SEALED_MIN_SECRET) {
        mcp_file_free(buf, len);
        return apr_psprintf(cmd->pool,
                            "%s: %s holds fewer than %d bytes; make one with "
                            "openssl rand -base64 48",
                            cmd->cmd->name, path, MCP_SEALED_MIN_SECRET);
    }
    /* Prepared once for every MAC the server computes with it; its bytes
     * are kept nowhere else. */
    hmac = mcp_hmac_new((const unsigned char *)buf, len);
    mcp_file_free(buf, len);
    if (!hmac)
        return apr_psprintf(cmd->pool, "%s: OpenSSL cannot key an HMAC "
                            "with %s", cmd->cmd->name, path);
    apr_pool_cleanup_register(cmd->pool, hmac, free_hmac,
                              apr_pool_cleanup_null);
    if (!conf->oauth_secrets_set) {
        conf->oauth_secrets = apr_array_make(cmd->pool, 2, sizeof(mcp_secret));
        conf->oauth_secrets_set = 1;
    }
    secret = apr_array_push(conf->oauth_secrets);
    secret->len = len;
    secret->hmac = hmac;
    return NULL;
}

const char *mcp_set_access_lifetime(cmd_parms *cmd, void *dc,
                                    const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *err = parse_duration_arg(cmd->pool, cmd->cmd->name, arg,
                                         &conf->access_lifetime);
    (void)dc;
    if (err)
        return err;
    if (conf->access_lifetime > 86400)
        return apr_psprintf(cmd->pool,
                            "%s: at most one day (P1D); refresh tokens keep "
                            "a client signed in for longer",
                            cmd->cmd->name);
    conf->access_lifetime_set = 1;
    return NULL;
}

const char *mcp_set_redirect_allowed(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    (void)dc;
    if (strncasecmp(arg, "https://", 8) || !arg[8] || ap_strchr_c(arg, '#'))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a pattern of https redirect "
                            "URIs such as https://claude.ai/api/mcp/"
                            "auth_callback",
                            cmd->cmd->name, arg);
    if (!conf->redirect_allowed_set) {
        conf->redirect_allowed = apr_array_make(cmd->pool, 2, sizeof(char *));
        conf->redirect_allowed_set = 1;
    }
    *(const char **)apr_array_push(conf->redirect_allowed) = arg;
    return NULL;
}

/* MCPOAuthClientMetadata URL FILE: a client id metadata document the
 * operator has read and pinned; its client_id must be URL.  Its https
 * redirect URIs need no MCPOAuthRedirectAllowed: pinning is the
 * operator's word. */
const char *mcp_set_client_metadata(cmd_parms *cmd, void *dc,
                                    const char *url, const char *file)
{
    static const char *const any_https[] = {"https://*"};
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, file);
    const apr_uri_t *uri = parse_url(cmd->pool, url,
                                     URL_HTTPS_ONLY | URL_NO_QUERY |
                                         URL_NO_USERINFO);
    char err[512], *buf;
    size_t len;
    mcp_registration *reg;
    mcp_client_document *doc;
    cJSON *json;
    const cJSON *id;
    (void)dc;

    if (!uri || !uri->path || !strcmp(uri->path, "/"))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an https URL with a path, as "
                            "client ids of metadata documents are",
                            cmd->cmd->name, url);
    if (!path)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, file);
    if (mcp_file_read(path, "client metadata document",
                      MCP_REGISTRATION_MAX_BODY, 0, &buf, &len, NULL, err,
                      sizeof(err)))
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    json = cJSON_ParseWithLength(buf, len);
    id = cJSON_GetObjectItemCaseSensitive(json, "client_id");
    if (!cJSON_IsString(id) || strcmp(id->valuestring, url)) {
        cJSON_Delete(json);
        mcp_file_free(buf, len);
        return apr_psprintf(cmd->pool,
                            "%s: %s is not a JSON object whose client_id is "
                            "%s",
                            cmd->cmd->name, path, url);
    }
    cJSON_Delete(json);
    reg = apr_palloc(cmd->pool, sizeof(*reg));
    mcp_registration_init(reg);
    if (mcp_registration_parse(buf, len, any_https, 1, reg, err,
                               sizeof(err)) != MCP_REGISTRATION_OK) {
        mcp_file_free(buf, len);
        return apr_psprintf(cmd->pool, "%s: %s: %s", cmd->cmd->name, path,
                            err);
    }
    mcp_file_free(buf, len);
    apr_pool_cleanup_register(cmd->pool, reg, registration_cleanup,
                              apr_pool_cleanup_null);
    if (!conf->client_documents_set) {
        conf->client_documents =
            apr_array_make(cmd->pool, 1, sizeof(mcp_client_document));
        conf->client_documents_set = 1;
    }
    doc = apr_array_push(conf->client_documents);
    doc->url = url;
    doc->registration = reg;
    return NULL;
}

const char *mcp_set_registration_rate(cmd_parms *cmd, void *dc,
                                      const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *err = parse_rate(cmd, arg, &conf->registration_rate);
    (void)dc;
    if (err)
        return err;
    conf->registration_rate_set = 1;
    return NULL;
}

/* MCPBearerResource URL: the resource (RFC 8707) a guarded location is.
 * Gathered per server: its token endpoint accepts exactly these. */
const char *mcp_set_bearer_resource(cmd_parms *cmd, void *dc,
                                    const char *arg)
{
    mcp_dir_conf *conf = dc;
    mcp_server_conf *sconf = mcp_server_config(cmd->server);
    if (!mcp_oauth_resource_valid(arg) ||
        !parse_url(cmd->pool, arg, URL_NO_QUERY | URL_NO_USERINFO))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a resource URL such as "
                            "https://mcp.example.com/mcp (https, or http for "
                            "a loopback host; no query, no fragment)",
                            cmd->cmd->name, arg);
    conf->bearer_resource = arg;
    conf->bearer_resource_set = 1;
    *(const char **)apr_array_push(sconf->resources) = arg;
    return NULL;
}

const char *mcp_set_require_audience(cmd_parms *cmd, void *dc, int on)
{
    mcp_dir_conf *conf = dc;
    (void)cmd;
    conf->require_audience = on;
    conf->require_audience_set = 1;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Across directives                                                    */
/* ------------------------------------------------------------------ */

/* `apache2 -t` runs this (it stops before post_config), so a config test
 * catches what no single directive can see. */
/* http://127.0.0.1, http://[::1] or http://localhost, any port. */
static int is_loopback_http(const char *origin)
{
    static const char *const hosts[] = {"http://127.0.0.1", "http://[::1]",
                                        "http://localhost"};
    size_t i;
    for (i = 0; i < sizeof(hosts) / sizeof(*hosts); i++) {
        size_t n = strlen(hosts[i]);
        if (!strncmp(origin, hosts[i], n) &&
            (origin[n] == '\0' || origin[n] == ':'))
            return 1;
    }
    return 0;
}

/* What MCPOAuth On needs of a server; logs each problem.  1 when bad. */
static int check_oauth(server_rec *s, mcp_server_conf *conf)
{
    const char *where = apr_psprintf(
        s->process->pconf, "MCPOAuth On in server %s:%u (%s line %d)",
        s->server_hostname ? s->server_hostname : "(main)",
        (unsigned)s->port, s->defn_name ? s->defn_name : "?",
        (int)s->defn_line_number);
    const char *problem = NULL;

    if (!conf->public_url)
        problem = "needs MCPCredentialsPublicURL: its origin is the issuer";
    else if (strncmp(conf->public_url, "https://", 8) &&
             !is_loopback_http(conf->public_url))
        problem = "needs an https MCPCredentialsPublicURL (http only for "
                  "127.0.0.1, [::1] or localhost)";
    else if (conf->authorization_server)
        problem = "cannot go with MCPBearerAuthorizationServer, which names "
                  "another authorization server";
    else if (!conf->oauth_secrets->nelts)
        problem = "needs MCPOAuthSecretFile (make one with openssl rand "
                  "-base64 48)";
    else if (!conf->page_path)
        problem = "needs a plain <Location> with MCPCredentials On in the "
                  "same server: its path is the base of the endpoints";
    else if (!strcasecmp(conf->cache, "none"))
        problem = "needs MCPCredentialsCache: codes and grants live there";
    if (problem) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL, "%s %s",
                     where, problem);
        return 1;
    }
    /* Clients find the authorization server through the resource
     * metadata: it is served unless switched off on purpose. */
    if (!conf->resource_metadata_set)
        conf->resource_metadata = 1;
    return 0;
}

int mcp_config_check(server_rec *s)
{
    int bad = 0;

    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        if (conf->switched_on && !conf->signing_key) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                         "MCPCredentials On in server %s:%u (%s line %d) "
                         "but no MCPCredentialsSigningKey applies there",
                         s->server_hostname ? s->server_hostname : "(main)",
                         (unsigned)s->port, s->defn_name ? s->defn_name : "?",
                         (int)s->defn_line_number);
            bad = 1;
        }
        if (conf->oauth && check_oauth(s, conf))
            bad = 1;
    }
    return bad ? HTTP_INTERNAL_SERVER_ERROR : OK;
}
