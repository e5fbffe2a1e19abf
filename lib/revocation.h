/*
 * The revocation list of MCPBearerRevokedTokens: token ids, and users whose
 * tokens issued at or before a time are void.  No httpd header.
 *
 * File format, one entry a line ('#' starts a comment line, blank lines
 * and surrounding spaces are ignored):
 *   <jti>                           a token id (1-128 printable bytes)
 *   sub <name> <RFC 3339 time>      every token of <name> issued at or
 *                                   before that time
 * A user name with spaces is written with each space as %20 and each % as
 * %25 (the tool does this).
 */
#ifndef MCP_REVOCATION_H
#define MCP_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "file.h"

/* Largest revocation file accepted, in bytes. */
#define MCP_REVOCATION_MAX_FILE (8 * 1024 * 1024)

typedef struct mcp_revocation mcp_revocation;

/* Parses the text.  Returns 0 and a list the caller frees with
 * mcp_revocation_free(), or -1 with a message in err that gives the line
 * number of the first bad line (no content of the line). */
int mcp_revocation_parse(const char *text, size_t len, mcp_revocation **out,
                         char *err, size_t errlen);

/* Reads the file at path (through lib/file.h's reader: a regular file of
 * at most MCP_REVOCATION_MAX_FILE bytes) and parses it.  Returns 0 with
 * the list and, when version is not NULL, the version of the file read;
 * or -1 with a message in err that names the file and the problem. */
int mcp_revocation_load(const char *path, mcp_revocation **out,
                        mcp_file_version *version, char *err,
                        size_t errlen);

/* 1 when the token is revoked: its jti is listed, or its subject is listed
 * with a time at or after its iat. */
int mcp_revocation_is_revoked(const mcp_revocation *list, const char *jti,
                              const char *sub, int64_t iat);

/* Entries in the list (token ids and subjects). */
size_t mcp_revocation_count(const mcp_revocation *list);

void mcp_revocation_free(mcp_revocation *list);

/* Writes name with ' ' as %20 and '%' as %25 (and control bytes as %XX)
 * into out (3 * strlen(name) + 1 bytes); the form the file uses. */
void mcp_revocation_escape_sub(const char *name, char *out);

#endif /* MCP_REVOCATION_H */
