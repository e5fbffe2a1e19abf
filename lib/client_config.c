/*
 * Client configurations, built with cJSON so that every value is escaped
 * the way JSON wants, and a curl line quoted the way a POSIX shell wants.
 */
#include "client_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int mcp_url_is_sse(const char *url)
{
    const char *q = strpbrk(url, "?#");
    size_t n = q ? (size_t)(q - url) : strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return n >= 4 && strncmp(url + n - 4, "/sse", 4) == 0;
}

/* {"mcpServers":{"atoti":{...}}} around one server entry. */
static char *wrap_server(cJSON *server)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *servers = root ? cJSON_AddObjectToObject(root, "mcpServers") : NULL;
    char *text = NULL;
    if (servers && server) {
        cJSON_AddItemToObject(servers, "atoti", server);
        server = NULL;
        text = cJSON_Print(root);
    }
    cJSON_Delete(server);
    cJSON_Delete(root);
    return text;
}

/*
 * The header argument has no space: Claude Desktop on Windows (and Cursor)
 * pass args to npx unquoted, and a space splits "Authorization: Bearer ..."
 * into words mcp-remote no longer reads as a header.  mcp-remote expands
 * ${AUTH_HEADER} from env, which also keeps the token off the process list.
 */
static char *claude_desktop(const char *url, const char *token)
{
    cJSON *server = cJSON_CreateObject();
    const char *args[] = {"-y",
                          "mcp-remote",
                          url,
                          "--transport",
                          NULL,
                          "--header",
                          "Authorization:${AUTH_HEADER}"};
    cJSON *arr, *env;
    size_t i, n = strlen(token) + sizeof("Bearer ");
    char *auth;

    args[4] = mcp_url_is_sse(url) ? "sse-only" : "http-only";
    if (!server)
        return NULL;
    auth = malloc(n);
    if (!auth) {
        cJSON_Delete(server);
        return NULL;
    }
    snprintf(auth, n, "Bearer %s", token);
    cJSON_AddStringToObject(server, "command", "npx");
    arr = cJSON_AddArrayToObject(server, "args");
    for (i = 0; arr && i < sizeof(args) / sizeof(args[0]); i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(args[i]));
    env = cJSON_AddObjectToObject(server, "env");
    if (env)
        cJSON_AddStringToObject(env, "AUTH_HEADER", auth);
    free(auth);
    return wrap_server(server);
}

static char *streamable_http(const char *url, const char *token)
{
    cJSON *server = cJSON_CreateObject();
    cJSON *headers;
    size_t n = strlen(token) + sizeof("Bearer ");
    char *auth = malloc(n);
    char *text;

    if (!server || !auth) {
        cJSON_Delete(server);
        free(auth);
        return NULL;
    }
    snprintf(auth, n, "Bearer %s", token);
    cJSON_AddStringToObject(server, "type",
                            mcp_url_is_sse(url) ? "sse" : "http");
    cJSON_AddStringToObject(server, "url", url);
    headers = cJSON_AddObjectToObject(server, "headers");
    if (headers)
        cJSON_AddStringToObject(headers, "Authorization", auth);
    free(auth);
    text = wrap_server(server);
    return text;
}

/* Appends s to a POSIX shell single-quoted word. */
static size_t shell_quote(char *out, const char *s)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *s;
        }
    }
    out[n++] = '\'';
    return n;
}

static char *curl_line(const char *url, const char *token)
{
    static const char body[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
        "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
        "\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}";
    static const char head[] = "curl -sS -H ";
    static const char accept[] =
        " -H 'Accept: application/json, text/event-stream'"
        " -H 'Content-Type: application/json' --data ";
    size_t cap = sizeof(head) +
                 4 * (strlen(token) + strlen(url) + sizeof(body) + 32) +
                 sizeof(accept) + 16;
    char *out = malloc(cap), *auth;
    size_t n = 0, alen = strlen(token) + sizeof("Authorization: Bearer ");

    if (!out)
        return NULL;
    auth = malloc(alen);
    if (!auth) {
        free(out);
        return NULL;
    }
    snprintf(auth, alen, "Authorization: Bearer %s", token);
    memcpy(out, head, sizeof(head) - 1);
    n = sizeof(head) - 1;
    n += shell_quote(out + n, auth);
    free(auth);
    memcpy(out + n, accept, sizeof(accept) - 1);
    n += sizeof(accept) - 1;
    n += shell_quote(out + n, body);
    out[n++] = ' ';
    n += shell_quote(out + n, url);
    out[n] = '\0';
    return out;
}

int mcp_client_configs_build(const char *url, const char *token,
                             mcp_client_configs *out)
{
    out->claude_desktop = claude_desktop(url, token);
    out->streamable_http = streamable_http(url, token);
    out->curl = curl_line(url, token);
    if (!out->claude_desktop || !out->streamable_http || !out->curl) {
        mcp_client_configs_clear(out);
        return -1;
    }
    return 0;
}

void mcp_client_configs_clear(mcp_client_configs *cfg)
{
    cJSON_free(cfg->claude_desktop);
    cJSON_free(cfg->streamable_http);
    free(cfg->curl);
    cfg->claude_desktop = cfg->streamable_http = cfg->curl = NULL;
}
