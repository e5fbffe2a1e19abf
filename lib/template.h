/*
 * A small logic-less template language for the page, rendered against a
 * cJSON object.  No httpd header.
 *
 *   {{name}}          the member's value, HTML-escaped (& < > " ' and the
 *                     backquote); strings as they are, numbers as integers
 *                     when integral, true/false as words, null/missing as "".
 *   {{a.b}}           a member of a member.
 *   {{.}}             the current item inside a section.
 *   {{#name}}..{{/name}}  repeated for each item of an array (the item is
 *                     the context: its members and {{.}}); rendered once
 *                     for true, a non-empty string, a non-zero number or
 *                     an object (which becomes the context; for the others
 *                     only {{.}} sees the value); skipped for false, null,
 *                     missing, "", 0 and [].
 *   {{^name}}..{{/name}}  rendered once when the section above would be
 *                     skipped.
 *   {{! comment }}    nothing.
 * There is no unescaped form: values are data, never markup.  Names look up
 * the current context, then the enclosing ones.
 */
#ifndef MCP_TEMPLATE_H
#define MCP_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct mcp_tpl mcp_tpl;

/* Parses text once (at configuration time).  Unbalanced or mismatched
 * sections, empty or unterminated tags, names other than
 * [A-Za-z0-9_.-]+, nesting deeper than 16: -1 with a message in err that
 * gives the line number. */
int mcp_tpl_compile(const char *text, size_t len, mcp_tpl **out, char *err,
                    size_t errlen);

void mcp_tpl_free(mcp_tpl *tpl);

/* Receives the output in pieces. */
typedef void (*mcp_tpl_emit)(void *ctx, const char *bytes, size_t n);

/* Renders; the compiled template is read-only and may be shared between
 * threads.  Returns 0 (-1 when tpl or emit is NULL). */
int mcp_tpl_render(const mcp_tpl *tpl, const cJSON *data, mcp_tpl_emit emit,
                   void *ctx);

/* HTML-escapes n bytes through emit (the escaping {{name}} uses). */
void mcp_html_escape(const char *s, size_t n, mcp_tpl_emit emit, void *ctx);

#endif /* MCP_TEMPLATE_H */
