/*
 * The one whole-file reader of the module and its tool: keys, group
 * files, revocation lists and templates all come through it.  No httpd
 * header; the buffer is malloc'd, and wiped when freed (it may hold a
 * private key).
 */
#ifndef MCP_FILE_H
#define MCP_FILE_H

#include <stddef.h>
#include <stdint.h>

/* What tells one version of a file from another. */
typedef struct {
    int64_t mtime_ns;
    uint64_t size;
    uint64_t inode;
    uint64_t device;
} mcp_file_version;

/* Reads the regular file at path, at most max bytes, into a NUL-terminated
 * buffer (*out, *len without the NUL) that the caller frees with
 * mcp_file_free().  An empty file is refused unless allow_empty.  When
 * version is not NULL it receives the version of what was read (fstat of
 * the open file, not of the name a rename may have moved on).  Returns 0,
 * or -1 with a message in err that starts with what ("key file") and the
 * path, and says why: does not exist, permission denied, a directory, not
 * a regular file (FIFOs are never waited on), empty, too large, changed
 * while being read. */
int mcp_file_read(const char *path, const char *what, size_t max,
                  int allow_empty, char **out, size_t *len,
                  mcp_file_version *version, char *err, size_t errlen);

/* Wipes and frees a buffer of mcp_file_read(). */
void mcp_file_free(char *buf, size_t len);

/* The version of the file at path now (stat, following links).  Returns 0,
 * or the errno of the failure. */
int mcp_file_version_of(const char *path, mcp_file_version *version);

/* 1 when both describe the same version. */
int mcp_file_same_version(const mcp_file_version *a,
                          const mcp_file_version *b);

#endif /* MCP_FILE_H */
