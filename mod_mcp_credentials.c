/*
 * mod_mcp_credentials: lets people who sign in through httpd mint long-lived
 * RS512 bearer tokens for MCP clients.
 *
 * Licensed under the Apache License, Version 2.0.
 *
 * This file is the httpd glue: configuration, directives and hooks.  The
 * requests are handled in mcp_handler.c (token endpoint), mcp_page.c (the
 * page), mcp_bearer.c (AuthType mcp-bearer) and mcp_ratelimit.c; what needs
 * no request (JWT, durations, dates, roles, bodies, templates) lives in
 * jwt/ and lib/.
 */

#define MCP_MODULE_MAIN
#include "mcp_module.h"

#include "http_request.h"
#include "ap_provider.h"
#include "mpm_common.h"

#include "duration.h"

/*
 * Read once in pre_config, before any thread exists, and only read after:
 * the environment switches of the seed (ATOTI_MCP_CREDENTIALS_*), which
 * apply where no directive does.  pre_config runs again at each restart, so
 * a changed envvars file takes effect with the configuration it belongs to.
 */
static mcp_env_defaults env_defaults;

const mcp_env_defaults *mcp_env(void)
{
    return &env_defaults;
}

/* ------------------------------------------------------------------ */
/* Configuration records                                                */
/* ------------------------------------------------------------------ */

static apr_status_t key_cleanup(void *key)
{
    mcp_jwt_key_free(key);
    return APR_SUCCESS;
}

static apr_status_t groupfile_cleanup(void *gf)
{
    mcp_groupfile_free(gf);
    return APR_SUCCESS;
}

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    mcp_server_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)s;
    conf->issuer = MCP_DEFAULT_ISSUER;
    conf->forged_headers = apr_array_make(p, 2, sizeof(const char *));
    conf->verify_keys = apr_array_make(p, 2, sizeof(mcp_jwt_key *));
    conf->resource_metadata = -1;
    conf->bearer_cache_size = -1;
    return conf;
}

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    mcp_server_conf *base = basev, *add = addv;
    mcp_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->signing_key = add->signing_key_set ? add->signing_key
                                             : base->signing_key;
    conf->signing_key_path = add->signing_key_set ? add->signing_key_path
                                                  : base->signing_key_path;
    conf->signing_key_set = add->signing_key_set || base->signing_key_set;
    conf->verify_keys = add->verify_keys_set ? add->verify_keys
                                             : base->verify_keys;
    conf->verify_keys_set = add->verify_keys_set || base->verify_keys_set;
    conf->template_dir = add->template_dir_set ? add->template_dir
                                               : base->template_dir;
    conf->template_dir_set = add->template_dir_set || base->template_dir_set;
    conf->mcp_endpoint = add->mcp_endpoint_set ? add->mcp_endpoint
                                               : base->mcp_endpoint;
    conf->mcp_endpoint_set = add->mcp_endpoint_set || base->mcp_endpoint_set;
    conf->issuer = add->issuer_set ? add->issuer : base->issuer;
    conf->issuer_set = add->issuer_set || base->issuer_set;
    conf->audience = add->audience_set ? add->audience : base->audience;
    conf->audience_set = add->audience_set || base->audience_set;
    conf->public_url = add->public_url_set ? add->public_url
                                           : base->public_url;
    conf->public_url_set = add->public_url_set || base->public_url_set;
    conf->switched_on = add->switched_on;
    conf->page_path = add->page_path ? add->page_path : base->page_path;
    conf->rate_cache = add->rate_cache ? add->rate_cache : base->rate_cache;
    conf->bearer_cache_size = add->bearer_cache_size >= 0
                                  ? add->bearer_cache_size
                                  : base->bearer_cache_size;
    conf->resource_metadata = add->resource_metadata >= 0
                                  ? add->resource_metadata
                                  : base->resource_metadata;
    conf->resource_name = add->resource_name ? add->resource_name
                                             : base->resource_name;
    conf->authorization_server = add->authorization_server
                                     ? add->authorization_server
                                     : base->authorization_server;
    conf->revoked = add->revoked ? add->revoked : base->revoked;
    /* Headers named as role sources anywhere are stripped everywhere on
     * the server they belong to: a client must not forge them. */
    conf->forged_headers =
        apr_array_append(p, base->forged_headers, add->forged_headers);
    return conf;
}

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    mcp_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)dir;
    conf->enabled = 0;
    conf->max_lifetime = MCP_DEFAULT_MAX_LIFETIME;
    conf->login_url = MCP_DEFAULT_LOGIN_URL;
    conf->role_sources = apr_array_make(p, 2, sizeof(mcp_role_source));
    conf->role_map = apr_array_make(p, 2, sizeof(mcp_role_map_entry));
    conf->roles_allowed = apr_array_make(p, 2, sizeof(const char *));
    conf->leeway = MCP_DEFAULT_LEEWAY;
    conf->forward_token = 1;
    return conf;
}

#define MERGE(field)                                                          \
    conf->field = add->field##_set ? add->field : base->field;                \
    conf->field##_set = add->field##_set || base->field##_set

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
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
    MERGE(leeway);
    MERGE(bearer_issuer);
    MERGE(bearer_audience);
    MERGE(pass_user);
    MERGE(pass_authorities);
    MERGE(forward_token);
    conf->mint_rate = add->mint_rate_set ? add->mint_rate : base->mint_rate;
    conf->mint_period = add->mint_rate_set ? add->mint_period
                                           : base->mint_period;
    conf->mint_scope = add->mint_rate_set ? add->mint_scope
                                          : base->mint_scope;
    conf->mint_rate_set = add->mint_rate_set || base->mint_rate_set;
    MERGE(cors_origins);
    /* The outermost <Location> that configures the module is the base
     * path; a nested one (an anonymous <base>/jwks.json) keeps it. */
    conf->location = base->location ? base->location : add->location;
    return conf;
}

/* ------------------------------------------------------------------ */
/* Directives                                                           */
/* ------------------------------------------------------------------ */

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

static const char *set_signing_key(cmd_parms *cmd, void *dummy,
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
    conf->signing_key_path = path;
    conf->signing_key_set = 1;
    return NULL;
}

static const char *set_verify_key(cmd_parms *cmd, void *dummy,
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

static const char *set_template_dir(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    const char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;
    (void)dummy;

    if (!dir || apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS ||
        fi.filetype != APR_DIR)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a directory",
                            cmd->cmd->name, arg);
    conf->template_dir = dir;
    conf->template_dir_set = 1;
    return NULL;
}

static const char *set_mcp_endpoint(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    apr_uri_t uri;
    (void)dummy;

    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme ||
        !uri.hostname ||
        (strcasecmp(uri.scheme, "https") && strcasecmp(uri.scheme, "http")))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an http(s) URL such as "
                            "https://mcp.example.com/mcp",
                            cmd->cmd->name, arg);
    conf->mcp_endpoint = arg;
    conf->mcp_endpoint_set = 1;
    return NULL;
}

static const char *set_enabled(cmd_parms *cmd, void *dirconf, int on)
{
    mcp_dir_conf *conf = dirconf;
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

/* Parses a Spring Boot duration that must be positive; the message names
 * the directive (or variable) and says what is wrong. */
const char *mcp_parse_max_lifetime(apr_pool_t *p, const char *what,
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

static const char *set_max_lifetime(cmd_parms *cmd, void *dirconf,
                                    const char *arg)
{
    mcp_dir_conf *conf = dirconf;
    const char *err = mcp_parse_max_lifetime(cmd->pool, cmd->cmd->name, arg,
                                             &conf->max_lifetime);
    if (err)
        return err;
    conf->max_lifetime_set = 1;
    note_location(cmd, conf);
    return NULL;
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

/* A text claim and its _set flag, side by side in a configuration record:
 * MCPCredentialsIssuer/Audience (server), MCPBearerIssuer/Audience
 * (directory) share one setter. */
typedef struct {
    size_t value;
    size_t set;
} claim_field;

#define CLAIM_FIELD(type, f)                                                  \
    {APR_OFFSETOF(type, f), APR_OFFSETOF(type, f##_set)}

/* Read-only after all, though not const: command_rec's cmd_data is a plain
 * pointer. */
static claim_field issuer_field = CLAIM_FIELD(mcp_server_conf, issuer);
static claim_field audience_field =
    CLAIM_FIELD(mcp_server_conf, audience);
static claim_field bearer_issuer_field =
    CLAIM_FIELD(mcp_dir_conf, bearer_issuer);
static claim_field bearer_audience_field =
    CLAIM_FIELD(mcp_dir_conf, bearer_audience);

static const char *set_claim(cmd_parms *cmd, char *record, const char *arg)
{
    const claim_field *f = cmd->info;
    const char *err = check_claim_text(cmd, arg);
    if (err)
        return err;
    *(const char **)(record + f->value) = arg;
    *(int *)(record + f->set) = 1;
    return NULL;
}

static const char *set_server_claim(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    (void)dummy;
    return set_claim(cmd, (char *)mcp_server_config(cmd->server), arg);
}

static const char *set_dir_claim(cmd_parms *cmd, void *dirconf,
                                 const char *arg)
{
    return set_claim(cmd, dirconf, arg);
}

static const char *set_public_url(cmd_parms *cmd, void *dummy,
                                  const char *arg)
{
    mcp_server_conf *conf = mcp_server_config(cmd->server);
    apr_uri_t uri;
    (void)dummy;

    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme ||
        !uri.hostname ||
        (strcasecmp(uri.scheme, "https") && strcasecmp(uri.scheme, "http")) ||
        (uri.path && strcmp(uri.path, "/") && *uri.path) || uri.query ||
        uri.fragment || uri.user || uri.password)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an origin; give "
                            "scheme://host[:port], e.g. "
                            "https://mcp.example.com",
                            cmd->cmd->name, arg);
    conf->public_url = apr_psprintf(cmd->pool, "%s://%s", uri.scheme,
                                    uri.hostinfo ? uri.hostinfo
                                                 : uri.hostname);
    /* apr_uri_parse keeps the case of the scheme and host: an origin
     * compares case-insensitively in both. */
    ap_str_tolower((char *)conf->public_url);
    conf->public_url_set = 1;
    return NULL;
}

static const char *set_login_url(cmd_parms *cmd, void *dirconf,
                                 const char *arg)
{
    mcp_dir_conf *conf = dirconf;
    apr_uri_t uri;

    if (strcasecmp(arg, "none") == 0) {
        conf->login_url = NULL;
    }
    else if (arg[0] == '/' && arg[1] != '/' && !ap_strchr_c(arg, '\\') &&
             !ap_strchr_c(arg, '?') && !ap_strchr_c(arg, '#')) {
        conf->login_url = arg;
    }
    else if (apr_uri_parse(cmd->pool, arg, &uri) == APR_SUCCESS &&
             uri.scheme && uri.hostname && !uri.query && !uri.fragment &&
             (!strcasecmp(uri.scheme, "https") ||
              !strcasecmp(uri.scheme, "http"))) {
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

static const char *set_roles_from(cmd_parms *cmd, void *dirconf, int argc,
                                  char *const argv[])
{
    mcp_dir_conf *conf = dirconf;
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
                return apr_psprintf(cmd->pool,
                                    "%s: '%s' is not a valid role (no "
                                    "comma, no space at either end, no "
                                    "control character)",
                                    name, argv[i]);
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

static const char *set_role_map(cmd_parms *cmd, void *dirconf,
                                const char *from, const char *to)
{
    mcp_dir_conf *conf = dirconf;
    mcp_role_map_entry *e;
    if (!*from)
        return apr_psprintf(cmd->pool, "%s: FROM must not be empty",
                            cmd->cmd->name);
    if (!mcp_role_is_passable(to, strlen(to)))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a valid role (no comma, no "
                            "space at either end, no control character)",
                            cmd->cmd->name, to);
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

static const char *set_role_prefix(cmd_parms *cmd, void *dirconf,
                                   const char *arg)
{
    mcp_dir_conf *conf = dirconf;
    if (*arg && (!mcp_role_is_valid(arg, strlen(arg)) ||
                 ap_strchr_c(arg, ',') || apr_isspace(arg[0])))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a valid prefix (no comma, no "
                            "leading space, no control character)",
                            cmd->cmd->name, arg);
    conf->role_prefix = arg;
    conf->role_prefix_set = 1;
    return NULL;
}

static const char *set_roles_allowed(cmd_parms *cmd, void *dirconf,
                                     const char *arg)
{
    mcp_dir_conf *conf = dirconf;
    if (!*arg)
        return apr_psprintf(cmd->pool, "%s: empty pattern", cmd->cmd->name);
    if (!conf->roles_allowed_set) {
        conf->roles_allowed = apr_array_make(cmd->pool, 2, sizeof(char *));
        conf->roles_allowed_set = 1;
    }
    *(const char **)apr_array_push(conf->roles_allowed) = arg;
    return NULL;
}

static const char *set_leeway(cmd_parms *cmd, void *dirconf,
                              const char *arg)
{
    mcp_dir_conf *conf = dirconf;
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
static const char *set_pass_header(cmd_parms *cmd, void *dirconf,
                                   const char *arg)
{
    mcp_dir_conf *conf = dirconf;
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

static const char *set_forward_token(cmd_parms *cmd, void *dirconf, int on)
{
    mcp_dir_conf *conf = dirconf;
    (void)cmd;
    conf->forward_token = on;
    conf->forward_token_set = 1;
    return NULL;
}

static const char *set_resource_metadata(cmd_parms *cmd, void *dummy, int on)
{
    (void)dummy;
    mcp_server_config(cmd->server)->resource_metadata = on;
    return NULL;
}

static const char *set_bearer_cache(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);
    (void)dummy;
    if (!strcasecmp(arg, "off"))
        n = 0, end = "";
    if (end == arg || *end || n < 0 || n > (1 << 20))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a number of tokens from 0 to "
                            "1048576, or off",
                            cmd->cmd->name, arg);
    mcp_server_config(cmd->server)->bearer_cache_size = (int)n;
    return NULL;
}

static const char *set_resource_name(cmd_parms *cmd, void *dummy,
                                     const char *arg)
{
    const char *err = check_claim_text(cmd, arg);
    (void)dummy;
    if (err)
        return err;
    mcp_server_config(cmd->server)->resource_name = arg;
    return NULL;
}

static const char *set_authorization_server(cmd_parms *cmd, void *dummy,
                                            const char *arg)
{
    apr_uri_t uri;
    (void)dummy;
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme ||
        !uri.hostname || strcasecmp(uri.scheme, "https") || uri.query ||
        uri.fragment)
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an https URL without query",
                            cmd->cmd->name, arg);
    mcp_server_config(cmd->server)->authorization_server = arg;
    return NULL;
}

static const command_rec mcp_cmds[] = {
    AP_INIT_TAKE1("MCPCredentialsSigningKey", set_signing_key, NULL,
                  RSRC_CONF,
                  "The RSA private key (PEM or Base64 DER PKCS#8) that signs "
                  "tokens on this server"),
    AP_INIT_TAKE1("MCPCredentialsVerifyKey", set_verify_key, NULL, RSRC_CONF,
                  "An RSA key (public or private; PEM, Base64 DER or "
                  "base64:DER) that verifies tokens but signs none"),
    AP_INIT_TAKE1("MCPCredentialsTemplateDir", set_template_dir, NULL,
                  RSRC_CONF,
                  "A directory of page.html, login.html, page.css, page.js "
                  "that replace the built-in ones"),
    AP_INIT_TAKE1("MCPCredentialsMCPEndpoint", set_mcp_endpoint, NULL,
                  RSRC_CONF,
                  "The MCP URL the page puts in client configurations "
                  "(default: the public origin + /mcp)"),
    AP_INIT_FLAG("MCPCredentials", set_enabled, NULL, ACCESS_CONF,
                 "On to serve the credentials page and token endpoint here "
                 "(default Off)"),
    AP_INIT_TAKE1("MCPCredentialsMaxLifetime", set_max_lifetime, NULL,
                  ACCESS_CONF,
                  "Longest lifetime a token may be given, as a Spring Boot "
                  "duration (default P365D)"),
    AP_INIT_TAKE1("MCPCredentialsIssuer", set_server_claim, &issuer_field,
                  RSRC_CONF,
                  "The iss claim of minted tokens (default activeviam)"),
    AP_INIT_TAKE1("MCPCredentialsAudience", set_server_claim, &audience_field,
                  RSRC_CONF,
                  "The aud claim of minted tokens (default none)"),
    AP_INIT_TAKE1("MCPCredentialsPublicURL", set_public_url, NULL, RSRC_CONF,
                  "The public origin scheme://host[:port] of this server "
                  "(default: from the request)"),
    AP_INIT_TAKE1("MCPCredentialsLoginURL", set_login_url, NULL, ACCESS_CONF,
                  "Where a visitor without a user is sent, or 'none' for a "
                  "401 (default /login/index.html)"),
    AP_INIT_TAKE_ARGV("MCPCredentialsRolesFrom", set_roles_from, NULL,
                      ACCESS_CONF,
                      "A source of the user's roles: env NAME [SEP], header "
                      "NAME [SEP], groupfile PATH or static ROLE..."),
    AP_INIT_TAKE2("MCPCredentialsRoleMap", set_role_map, NULL, ACCESS_CONF,
                  "Renames a role FROM (e.g. an LDAP group DN) TO another"),
    AP_INIT_TAKE1("MCPCredentialsRolePrefix", set_role_prefix, NULL,
                  ACCESS_CONF,
                  "Prefix added to roles that lack it (e.g. ROLE_)"),
    AP_INIT_ITERATE("MCPCredentialsRolesAllowed", set_roles_allowed, NULL,
                    ACCESS_CONF,
                    "Glob patterns of the roles a token may carry (default: "
                    "all)"),
    AP_INIT_TAKE1("MCPCredentialsMintRate", mcp_set_mint_rate, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Mints a user may make per period, as N/PERIOD (default "
                  "30/1h), or off"),
    AP_INIT_TAKE1("MCPCredentialsRateCache", mcp_set_rate_cache, NULL,
                  RSRC_CONF,
                  "The socache that holds mint counters (default shmcb), or "
                  "none"),
    AP_INIT_TAKE1("MCPBearerLeeway", set_leeway, NULL, ACCESS_CONF,
                  "Seconds of clock skew allowed on exp and nbf (default "
                  "60)"),
    AP_INIT_TAKE1("MCPBearerIssuer", set_dir_claim, &bearer_issuer_field,
                  ACCESS_CONF,
                  "The iss a token must carry (default: "
                  "MCPCredentialsIssuer)"),
    AP_INIT_TAKE1("MCPBearerAudience", set_dir_claim, &bearer_audience_field,
                  ACCESS_CONF,
                  "An aud the token must carry (default: not checked)"),
    AP_INIT_TAKE1("MCPBearerPassUser", set_pass_header, NULL, ACCESS_CONF,
                  "Request header that carries the token's subject to the "
                  "backend"),
    AP_INIT_TAKE1("MCPBearerPassAuthorities", set_pass_header, (void *)1,
                  ACCESS_CONF,
                  "Request header that carries the token's authorities "
                  "(comma-separated) to the backend"),
    AP_INIT_FLAG("MCPBearerForwardToken", set_forward_token, NULL,
                 ACCESS_CONF,
                 "Whether the Authorization header goes on to the backend "
                 "(default On)"),
    AP_INIT_FLAG("MCPBearerResourceMetadata", set_resource_metadata, NULL,
                 RSRC_CONF,
                 "Serve RFC 9728 metadata at "
                 "/.well-known/oauth-protected-resource (default Off)"),
    AP_INIT_TAKE1("MCPBearerCache", set_bearer_cache, NULL, RSRC_CONF,
                  "Verified tokens each process remembers (default 1024), "
                  "or off"),
    AP_INIT_TAKE1("MCPBearerResourceName", set_resource_name, NULL,
                  RSRC_CONF,
                  "The resource_name of the metadata (default MCP server)"),
    AP_INIT_TAKE1("MCPBearerAuthorizationServer", set_authorization_server,
                  NULL, RSRC_CONF,
                  "An OAuth authorization server named in the metadata"),
    AP_INIT_ITERATE("MCPBearerCORSOrigins", mcp_set_cors_origins, NULL,
                    ACCESS_CONF,
                    "Browser origins (scheme://host[:port]) that get CORS "
                    "answers here, or * for any (default: none)"),
    AP_INIT_TAKE1("MCPBearerRevokedTokens", mcp_set_revoked_tokens, NULL,
                  RSRC_CONF,
                  "A file of revoked token ids and subjects, re-read when "
                  "it changes"),
    {NULL}};

/* ------------------------------------------------------------------ */
/* Hooks                                                                */
/* ------------------------------------------------------------------ */

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

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    const char *v;
    (void)plog;
    (void)ptemp;

    if (mcp_ratelimit_pre_config(pconf) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    env_defaults.enabled = 0;
    env_defaults.max_lifetime = MCP_DEFAULT_MAX_LIFETIME;

    v = getenv("ATOTI_MCP_CREDENTIALS_ENABLED");
    if (v && *v && parse_env_flag(v, &env_defaults.enabled) != 0) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                     "ATOTI_MCP_CREDENTIALS_ENABLED: '%s' is "
                                    "neither true nor false",
                     v);
        return DONE;
    }
    v = getenv("ATOTI_MCP_CREDENTIALS_MAX_LIFETIME");
    if (v && *v) {
        const char *err =
            mcp_parse_max_lifetime(pconf, "ATOTI_MCP_CREDENTIALS_MAX_LIFETIME",
                                   v, &env_defaults.max_lifetime);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                         "%s", err);
            return DONE;
        }
    }
    return OK;
}

/* Cross-directive checks belong here: `apache2 -t` runs this hook and
 * stops before post_config, so a config test catches them. */
static int check_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    int bad = 0;
    (void)pconf;
    (void)plog;
    (void)ptemp;

    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        if (conf->switched_on && !conf->signing_key) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                         "MCPCredentials On in server %s:%u "
                                        "(%s line %d) but no "
                                        "MCPCredentialsSigningKey applies "
                                        "there",
                         s->server_hostname ? s->server_hostname : "(main)",
                         (unsigned)s->port, s->defn_name ? s->defn_name : "?",
                         (int)s->defn_line_number);
            bad = 1;
        }
    }
    return bad ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

const mcp_jwt_key *const *mcp_key_ring(server_rec *s, apr_size_t *n)
{
    mcp_server_conf *conf = mcp_server_config(s);
    *n = conf->n_ring;
    return conf->ring;
}

/* Builds each server's key ring (the signing key signs, every key
 * verifies) and compiles its templates: read-only from here on. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;
    (void)plog;

    for (v = s; v; v = v->next) {
        mcp_server_conf *conf = mcp_server_config(v);
        int i;
        conf->ring = apr_pcalloc(pconf, sizeof(*conf->ring) *
                                            (conf->verify_keys->nelts + 1));
        conf->n_ring = 0;
        if (conf->signing_key)
            conf->ring[conf->n_ring++] = conf->signing_key;
        for (i = 0; i < conf->verify_keys->nelts; i++)
            conf->ring[conf->n_ring++] =
                APR_ARRAY_IDX(conf->verify_keys, i, mcp_jwt_key *);
    }
    mcp_revocation_post_config(ptemp, s);
    if (mcp_ratelimit_post_config(pconf, ptemp, s) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    return mcp_pages_init(pconf, s);
}

/* Removes client-sent copies of the headers the configuration trusts as
 * role sources, before anything else sees the request.  Both spellings go:
 * CGI-style consumers read '_' and '-' as the same name. */
static int post_read_request(request_rec *r)
{
    mcp_server_conf *conf = mcp_server_config(r->server);
    int i;
    for (i = 0; i < conf->forged_headers->nelts; i++) {
        const char *h = APR_ARRAY_IDX(conf->forged_headers, i, const char *);
        mcp_unset_header_variants(r, h);
    }
    return DECLINED;
}

static void child_init(apr_pool_t *pchild, server_rec *s)
{
    mcp_bearer_child_init(pchild, s);
    mcp_revocation_child_init(pchild, s);
    mcp_ratelimit_child_init(pchild, s);
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
    ap_hook_handler(mcp_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mcp_login_handler, NULL, NULL, APR_HOOK_MIDDLE);
    mcp_bearer_register_hooks(p);
}

AP_DECLARE_MODULE(mcp_credentials) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    create_server_conf,
    merge_server_conf,
    mcp_cmds,
    register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE};
