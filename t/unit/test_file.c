/*
 * The one whole-file reader: what it refuses and why, the version of what
 * it read, and the revocation loader built on it.
 */
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "revocation.h"

static char scratch[] = "/tmp/mcp-test-file.XXXXXX";

static const char *put(const char *name, const char *text)
{
    static char path[256];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

int main(void)
{
    char err[512], *buf = NULL, path[256];
    size_t len = 0;
    mcp_file_version v1, v2;
    mcp_revocation *list = NULL;

    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 1;
    }

    /* A file: its bytes, NUL-terminated, and its version. */
    snprintf(path, sizeof(path), "%s", put("a", "hello\n"));
    CHECK_INT(mcp_file_read(path, "test file", 100, 0, &buf, &len, &v1, err,
                            sizeof(err)),
              0);
    CHECK_INT(len, 6);
    CHECK_STR(buf, "hello\n");
    mcp_file_free(buf, len);
    CHECK_INT(mcp_file_version_of(path, &v2), 0);
    CHECK(mcp_file_same_version(&v1, &v2));
    /* Replaced by rename: another version, even with the same bytes. */
    {
        char other[256];
        snprintf(other, sizeof(other), "%s", put("b", "hello\n"));
        CHECK_INT(rename(other, path), 0);
        CHECK_INT(mcp_file_version_of(path, &v2), 0);
        CHECK(!mcp_file_same_version(&v1, &v2));
    }

    /* Refusals say what and why. */
    CHECK_INT(mcp_file_read(path, "test file", 3, 0, &buf, &len, NULL, err,
                            sizeof(err)),
              -1);
    CHECK(strstr(err, "test file '") == err);
    CHECK(strstr(err, "too large (over 3 bytes)") != NULL);
    CHECK(buf == NULL);
    snprintf(path, sizeof(path), "%s", put("empty", ""));
    CHECK_INT(mcp_file_read(path, "test file", 100, 0, &buf, &len, NULL, err,
                            sizeof(err)),
              -1);
    CHECK(strstr(err, "is empty") != NULL);
    CHECK_INT(mcp_file_read(path, "test file", 100, 1, &buf, &len, NULL, err,
                            sizeof(err)),
              0);
    CHECK_INT(len, 0);
    CHECK_STR(buf, "");
    mcp_file_free(buf, len);
    CHECK_INT(mcp_file_read(scratch, "test file", 100, 1, &buf, &len, NULL,
                            err, sizeof(err)),
              -1);
    CHECK(strstr(err, "is a directory") != NULL);
    snprintf(path, sizeof(path), "%s/missing", scratch);
    CHECK_INT(mcp_file_read(path, "test file", 100, 1, &buf, &len, NULL, err,
                            sizeof(err)),
              -1);
    CHECK(strstr(err, "does not exist") != NULL);
    CHECK(mcp_file_version_of(path, &v2) != 0);
    /* A FIFO is refused at once, never waited on. */
    snprintf(path, sizeof(path), "%s/fifo", scratch);
    CHECK_INT(mkfifo(path, 0600), 0);
    CHECK_INT(mcp_file_read(path, "test file", 100, 1, &buf, &len, NULL, err,
                            sizeof(err)),
              -1);
    CHECK(strstr(err, "not a regular file") != NULL);
    unlink(path);
    CHECK_INT(mcp_file_read(NULL, "test file", 100, 1, &buf, &len, NULL, err,
                            sizeof(err)),
              -1);
    CHECK(strstr(err, "no test file given") != NULL);

    /* The revocation loader: the list and its version, or why not. */
    snprintf(path, sizeof(path), "%s",
             put("revoked", "# ids\njti-1\nsub bob 2026-01-01T00:00:00Z\n"));
    CHECK_INT(mcp_revocation_load(path, &list, &v1, err, sizeof(err)), 0);
    CHECK_INT(mcp_revocation_count(list), 2);
    CHECK(mcp_revocation_is_revoked(list, "jti-1", "alice", 0));
    mcp_revocation_free(list);
    list = NULL;
    snprintf(path, sizeof(path), "%s", put("bad", "jti-1\nsub bob yesterday\n"));
    CHECK_INT(mcp_revocation_load(path, &list, &v1, err, sizeof(err)), -1);
    CHECK(list == NULL);
    CHECK(strstr(err, "line 2") != NULL);
    CHECK(strstr(err, "yesterday") == NULL);
    snprintf(path, sizeof(path), "%s/none", scratch);
    CHECK_INT(mcp_revocation_load(path, &list, &v1, err, sizeof(err)), -1);
    CHECK(strstr(err, "revocation file '") == err);

    unlink(put("a", ""));
    unlink(put("empty", ""));
    unlink(put("revoked", ""));
    unlink(put("bad", ""));
    rmdir(scratch);
    return UNIT_DONE("file");
}
