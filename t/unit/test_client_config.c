/*
 * Client configurations: the right mcp-remote transport for the URL, JSON
 * that parses back to what was put in, and a curl line that a POSIX shell
 * reads back as the same words.
 */
#include "unit.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "client_config.h"

static const cJSON *server_of(const cJSON *root)
{
    return cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "mcpServers"), "atoti");
}

static const char *arg(const cJSON *server, int i)
{
    const cJSON *a = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(server, "args"), i);
    return cJSON_IsString(a) ? a->valuestring : NULL;
}

static void check_claude(const char *url, const char *transport)
{
    mcp_client_configs cfg;
    cJSON *root;
    const cJSON *server, *env;

    CHECK_INT(mcp_client_configs_build(url, "tok.en.x", &cfg), 0);
    root = cJSON_Parse(cfg.claude_desktop);
    CHECK(root != NULL);
    server = server_of(root);
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(server, "command")),
              "npx");
    CHECK_STR(arg(server, 0), "-y");
    CHECK_STR(arg(server, 1), "mcp-remote");
    CHECK_STR(arg(server, 2), url);
    CHECK_STR(arg(server, 3), "--transport");
    CHECK_STR(arg(server, 4), transport);
    CHECK_STR(arg(server, 5), "--header");
    /* The token travels through the environment, not the argument list,
     * and no argument holds a space (Windows clients split them). */
    CHECK_STR(arg(server, 6), "Authorization:${AUTH_HEADER}");
    CHECK(arg(server, 7) == NULL);
    env = cJSON_GetObjectItemCaseSensitive(server, "env");
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(env, "AUTH_HEADER")),
              "Bearer tok.en.x");
    /* Once, in env: never in the arguments a process list shows. */
    CHECK(strstr(cfg.claude_desktop, "tok.en.x") != NULL);
    CHECK(strstr(strstr(cfg.claude_desktop, "tok.en.x") + 1, "tok.en.x") ==
          NULL);
    cJSON_Delete(root);
    mcp_client_configs_clear(&cfg);
    CHECK(cfg.claude_desktop == NULL && cfg.curl == NULL);
}

/* Reads the words of a POSIX shell line made of single-quoted words and
 * bare words (what curl_line writes), as sh would. */
static int shell_words(const char *line, char words[][512], int max)
{
    int n = 0;
    const char *p = line;
    while (*p && n < max) {
        size_t len = 0;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        while (*p && *p != ' ') {
            if (*p == '\'') {
                p++;
                while (*p && *p != '\'')
                    words[n][len++] = *p++;
                if (*p == '\'')
                    p++;
            } else if (*p == '\\' && p[1]) {
                words[n][len++] = p[1];
                p += 2;
            } else {
                words[n][len++] = *p++;
            }
        }
        words[n][len] = '\0';
        n++;
    }
    return n;
}

int main(void)
{
    mcp_client_configs cfg;
    static char words[16][512];
    cJSON *root;
    const cJSON *server, *headers;
    int n;

    CHECK(mcp_url_is_sse("https://h/sse"));
    CHECK(mcp_url_is_sse("https://h/sse/"));
    CHECK(mcp_url_is_sse("https://h/app/sse?x=1"));
    CHECK(!mcp_url_is_sse("https://h/mcp"));
    CHECK(!mcp_url_is_sse("https://h/ssex"));
    CHECK(!mcp_url_is_sse("https://h/sse.json"));
    CHECK(!mcp_url_is_sse("sse"));

    check_claude("https://mcp.example.com/mcp", "http-only");
    check_claude("http://127.0.0.1:9090/sse", "sse-only");

    /* Hostile bytes in the URL stay data in every form. */
    CHECK_INT(mcp_client_configs_build("https://h/mcp?a=\"b'c\\d", "t'o\"k",
                                       &cfg),
              0);
    root = cJSON_Parse(cfg.streamable_http);
    CHECK(root != NULL);
    server = server_of(root);
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(server, "type")),
              "http");
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(server, "url")),
              "https://h/mcp?a=\"b'c\\d");
    headers = cJSON_GetObjectItemCaseSensitive(server, "headers");
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(headers, "Authorization")),
              "Bearer t'o\"k");
    cJSON_Delete(root);

    n = shell_words(cfg.curl, words, 16);
    CHECK_INT(n, 11);
    CHECK_STR(words[0], "curl");
    CHECK_STR(words[2], "-H");
    CHECK_STR(words[3], "Authorization: Bearer t'o\"k");
    CHECK_STR(words[5], "Accept: application/json, text/event-stream");
    CHECK_STR(words[7], "Content-Type: application/json");
    CHECK_STR(words[8], "--data");
    root = cJSON_Parse(words[9]);
    CHECK(root != NULL);
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(root, "method")),
              "initialize");
    cJSON_Delete(root);
    CHECK_STR(words[10], "https://h/mcp?a=\"b'c\\d");
    mcp_client_configs_clear(&cfg);

    CHECK_INT(mcp_client_configs_build("https://h/sse", "x", &cfg), 0);
    root = cJSON_Parse(cfg.streamable_http);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                  server_of(root), "type")),
              "sse");
    cJSON_Delete(root);
    mcp_client_configs_clear(&cfg);

    return UNIT_DONE("client_config");
}
