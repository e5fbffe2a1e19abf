/*
 * RFC 9728 Protected Resource Metadata at
 * /.well-known/oauth-protected-resource[/path], served before any access
 * control: clients fetch it without a token to learn how to get one.  The
 * document is rendered once per server after configuration; only its
 * "resource" (and, without MCPCredentialsPublicURL, the origin of its
 * links) comes from the request.
 */

#include "mcp_module.h"

struct mcp_metadata {
    const char *fixed;  /* the members after "resource", as JSON text */
};

/* A JSON string of text, in the pool. */
static const char *json_string(apr_pool_t *p, const char *text)
{
    return mcp_json_text(p, mcp_pool_json(p, cJSON_CreateString(text)));
}

int mcp_metadata_init(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        mcp_server_conf *conf = mcp_server_config(s);
        struct mcp_metadata *md;
        cJSON *doc, *list;
        const char *text;

        conf->metadata = NULL;
        if (!conf->resource_metadata)
            continue;
        doc = mcp_pool_json(pconf, cJSON_CreateObject());
        if (!doc)
            return HTTP_INTERNAL_SERVER_ERROR;
        list = cJSON_AddArrayToObject(doc, "bearer_methods_supported");
        cJSON_AddItemToArray(list, cJSON_CreateString("header"));
        cJSON_AddStringToObject(doc, "resource_name", conf->resource_name);
        list = cJSON_AddArrayToObject(doc,
                                      "resource_signing_alg_values_supported");
        cJSON_AddItemToArray(list, cJSON_CreateString("RS512"));
        /* Ourselves when this server is the authorization server
         * (MCPOAuth On, which refuses MCPBearerAuthorizationServer). */
        if (conf->oauth || conf->authorization_server) {
            list = cJSON_AddArrayToObject(doc, "authorization_servers");
            cJSON_AddItemToArray(
                list, cJSON_CreateString(conf->oauth
                                             ? conf->public_url
                                             : conf->authorization_server));
        }
        text = mcp_json_text(pconf, doc);
        if (!text)
            return HTTP_INTERNAL_SERVER_ERROR;
        md = apr_pcalloc(pconf, sizeof(*md));
        /* "{...}" without its braces, to follow the request's members. */
        md->fixed = apr_pstrmemdup(pconf, text + 1, strlen(text) - 2);
        conf->metadata = md;
    }
    return OK;
}

int mcp_metadata_handler(request_rec *r, int lookup_uri)
{
    mcp_server_conf *sconf = mcp_server_config(r->server);
    size_t wk = sizeof(MCP_WELL_KNOWN_RESOURCE) - 1;
    const char *suffix, *origin, *c, *body, *resource, *doc;

    if (lookup_uri || !sconf->metadata || !r->uri ||
        strncmp(r->uri, MCP_WELL_KNOWN_RESOURCE, wk) ||
        (r->uri[wk] != '\0' && r->uri[wk] != '/'))
        return DECLINED;
    suffix = r->uri + wk;
    for (c = suffix; *c; c++)
        if (!apr_isalnum(*c) && !ap_strchr_c("/-._~", *c))
            return HTTP_NOT_FOUND;
    mcp_security_headers(r, NULL, 0);
    if (r->method_number != M_GET)
        return mcp_method_not_allowed(r);
    origin = mcp_public_origin(r);
    resource = json_string(r->pool, apr_pstrcat(r->pool, origin, suffix, NULL));
    doc = !sconf->page_path
              ? ""
              : json_string(r->pool,
                            apr_pstrcat(r->pool, origin,
                                        *sconf->page_path ? sconf->page_path
                                                          : "/",
                                        NULL));
    if (!resource || !doc)
        return HTTP_INTERNAL_SERVER_ERROR;
    body = apr_pstrcat(r->pool, "{\"resource\":", resource,
                       *doc ? ",\"resource_documentation\":" : "", doc, ",",
                       sconf->metadata->fixed, "}", NULL);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
    return mcp_send_bytes(r, MCP_JSON_TYPE, body, strlen(body), NULL);
}
