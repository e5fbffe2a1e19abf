/*
 * application/x-www-form-urlencoded text, as forms post it and as OAuth
 * queries and token requests carry it: the pairs, one at a time, and
 * their strict percent-decoding.  No httpd header.
 */
#ifndef MCP_FORM_H
#define MCP_FORM_H

#include <stddef.h>

/* One name=value pair, undecoded. */
typedef struct {
    const char *name;
    size_t nlen;
    const char *value;      /* NULL for "name" alone */
    size_t vlen;
    size_t len;             /* the whole pair; 0 for "a=1&&b=2"'s middle */
} mcp_form_pair;

/* The next pair of text (len bytes) from *pos, which moves past it.
 * Returns 0 at the end. */
int mcp_form_next_pair(const char *text, size_t len, size_t *pos,
                       mcp_form_pair *p);

/* Decodes len bytes of a name or value into out (room for len + 1
 * bytes): "+" is a space, "%hh" a byte.  Returns the decoded length, or
 * -1 for a bad escape or a NUL byte. */
long mcp_form_decode(const char *s, size_t len, char *out);

#endif /* MCP_FORM_H */
