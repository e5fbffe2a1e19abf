/*
 * Strict UTF-8 checking (RFC 3629), shared by the role and request-body
 * parsers.  No httpd header.
 */
#ifndef MCP_UTF8_H
#define MCP_UTF8_H

#include <stddef.h>

/* 1 when the n bytes are well-formed UTF-8: no overlong form, no surrogate
 * (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.  NUL and
 * other control characters are well-formed. */
int mcp_utf8_valid(const char *s, size_t n);

#endif /* MCP_UTF8_H */
