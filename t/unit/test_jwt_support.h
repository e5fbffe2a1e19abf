/*
 * What the jwt/ unit tests share: fixture reading, a scratch directory, and
 * base64url shortcuts.  Tests run from t/unit, so fixtures are found at
 * fixtures/jwt/.
 */
#ifndef MCP_TEST_JWT_SUPPORT_H
#define MCP_TEST_JWT_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt_internal.h"

#define FIXTURE(name) "fixtures/jwt/" name

/* The whole file, NUL-terminated, malloc'd; NULL when it cannot be read. */
static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t size = 0, used = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t n;
        if (used + 4096 + 1 > size) {
            char *bigger = realloc(buf, size + 8192);
            if (!bigger) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
            size += 8192;
        }
        n = fread(buf + used, 1, 4096, f);
        used += n;
        if (n < 4096)
            break;
    }
    fclose(f);
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

static inline int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;

    if (!f)
        return -1;
    ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A fixture as text without its trailing newline. */
static inline char *read_fixture_line(const char *path)
{
    size_t len = 0;
    char *text = read_file(path, &len);

    while (text && len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    return text;
}

static inline mcp_jwt_key *load_fixture(const char *path)
{
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN];

    if (mcp_jwt_key_from_file(path, &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "cannot load %s: %s\n", path, err);
        return NULL;
    }
    return key;
}

static inline char *b64url_of(const void *data, size_t len)
{
    return mcp_b64url_encode_alloc(data, len);
}

static inline char *b64url_of_text(const char *text)
{
    return mcp_b64url_encode_alloc((const unsigned char *)text, strlen(text));
}

/* Decodes base64url into a malloc'd buffer; NULL when it is not strict. */
static inline unsigned char *b64url_decode_alloc(const char *text, size_t len,
                                                 size_t *out_len)
{
    unsigned char *out = malloc(len / 4 * 3 + 3);

    if (out && mcp_b64url_decode(text, len, out, out_len) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* A fresh directory under /tmp for files a test makes; remove_scratch()
 * deletes it with its content. */
static inline int make_scratch(char dir[64])
{
    snprintf(dir, 64, "/tmp/mcp-jwt-test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static inline void remove_scratch(const char *dir)
{
    char command[128];

    if (strncmp(dir, "/tmp/mcp-jwt-test.", 18) != 0)
        return;
    snprintf(command, sizeof(command), "rm -rf '%s'", dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif /* MCP_TEST_JWT_SUPPORT_H */
