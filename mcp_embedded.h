/* The default templates and assets, compiled into the module
 * (build/embedded.c, made by scripts/embed.pl from templates/). */
#ifndef MCP_EMBEDDED_H
#define MCP_EMBEDDED_H

#include <stddef.h>

typedef struct {
    const char *name;
    const unsigned char *data; /* NUL-terminated, len bytes before it */
    size_t len;
} mcp_embedded_file;

extern const mcp_embedded_file mcp_embedded_files[];

#endif /* MCP_EMBEDDED_H */
