/*
 * Error messages of the httpd-free units: written into a caller's buffer,
 * never longer than it, and only when the caller gave one.
 */
#ifndef MCP_MESSAGE_H
#define MCP_MESSAGE_H

#include <stddef.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void mcp_message(char *buf, size_t len, const char *fmt, ...);

#endif /* MCP_MESSAGE_H */
