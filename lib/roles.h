/*
 * Role lists for the "authorities" claim: splitting source values, the
 * operator's map / prefix / allow rules, and AuthGroupFile files.
 * No httpd header; memory is malloc'd and freed by the *_clear/_free calls.
 */
#ifndef MCP_ROLES_H
#define MCP_ROLES_H

#include <stddef.h>

/* Longest role accepted, in bytes. */
#define MCP_ROLE_MAX_LEN 256
/* Most roles one list holds; more are dropped (and counted). */
#define MCP_ROLES_MAX 256

/* An ordered list of distinct roles, first insertion wins the position. */
typedef struct {
    char **items;
    size_t n;
    size_t cap;
    size_t dropped; /* roles refused as invalid or over MCP_ROLES_MAX */
} mcp_roles;

void mcp_roles_init(mcp_roles *roles);
void mcp_roles_clear(mcp_roles *roles);

/* 1 when the bytes are a role this module puts in a token: 1 to
 * MCP_ROLE_MAX_LEN bytes of valid UTF-8 with no control character. */
int mcp_role_is_valid(const char *role, size_t len);

/* 1 when a valid role can also be handed on as one item of the
 * comma-separated lists httpd passes to a backend (MCPBearerPassAuthorities,
 * MCP_AUTHORITIES) and writes to the audit line: it holds no ',' and starts
 * and ends with neither a space nor a tab (a reader that trims would see
 * another role).  This is the rule for a role that is final: after the
 * operator's map and prefix, in every minted token, in every token the
 * bearer guard accepts.  Sources may hold commas (LDAP DNs) until then. */
int mcp_role_is_passable(const char *role, size_t len);

/* Appends a copy unless present.  Returns 1 when added, 0 when already there
 * or refused as invalid (counted in dropped), -1 when out of memory. */
int mcp_roles_add(mcp_roles *roles, const char *role, size_t len);

/* Splits value at each occurrence of the literal separator string sep
 * (e.g. "," or "; "), trims ASCII spaces and tabs around each item, skips
 * empty items and adds the rest.  Returns the number added or -1.  A NULL
 * or empty sep adds the whole (trimmed) value as one role. */
int mcp_roles_add_split(mcp_roles *roles, const char *value, const char *sep);

/* 1 when the list holds that exact role. */
int mcp_roles_contains(const mcp_roles *roles, const char *role);

/* "*" matches any run of bytes, "?" one byte; everything else literally. */
int mcp_glob_match(const char *pattern, const char *text);

typedef struct {
    const char *from;
    const char *to;
} mcp_role_map_entry;

/* The operator's rules, applied in this order to every role: the first map
 * entry whose "from" equals the role (ASCII case-insensitively: LDAP DNs)
 * renames it; then the prefix is prepended unless the role starts with it;
 * then, when allow patterns exist, a role that matches none is dropped.
 * A map entry whose "to" is NULL or "" drops the role.  Roles dropped by
 * the policy are not counted in out->dropped; roles the prefix makes too
 * long, and roles that are not passable once mapped and prefixed
 * (mcp_role_is_passable), are. */
typedef struct {
    const mcp_role_map_entry *map;
    size_t n_map;
    const char *prefix;       /* NULL or "" for none */
    const char *const *allow; /* glob patterns; n_allow 0: allow all */
    size_t n_allow;
} mcp_role_policy;

/* Adds every role of in, rewritten by the policy, to out (which keeps its
 * order and its distinctness).  Returns 0, or -1 when out of memory. */
int mcp_roles_apply_policy(const mcp_roles *in, const mcp_role_policy *policy,
                           mcp_roles *out);

/* A parsed AuthGroupFile: lines "group: user user ...", '#' comments,
 * a group may span several lines.  Read as mod_authz_groupfile reads it:
 * white space around lines and names is ignored, a backslash at the end of
 * a line joins the next one, a user name may be quoted ("john smith") as
 * in httpd's configuration files.  Lookups are a binary search. */
typedef struct mcp_groupfile mcp_groupfile;

/* Reads and parses the file.  Returns 0, or -1 with a message in err that
 * names the file and the problem (missing, a directory or not a regular
 * file, unreadable, too large: over 16 MiB, or - with its line number - a
 * line without ':', a line with no group name before ':', a NUL byte). */
int mcp_groupfile_load(const char *path, mcp_groupfile **out, char *err,
                       size_t errlen);

/* Adds the groups that list user, in file order (of each group's first
 * line).  Returns the number added (0 when gf or user is NULL) or -1. */
int mcp_groupfile_groups_of(const mcp_groupfile *gf, const char *user,
                            mcp_roles *out);

void mcp_groupfile_free(mcp_groupfile *gf);

#endif /* MCP_ROLES_H */
