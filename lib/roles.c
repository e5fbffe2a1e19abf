/*
 * Role lists for the "authorities" claim, the operator's rewriting rules,
 * and AuthGroupFile files read the way mod_authz_groupfile reads them.
 */
#include "roles.h"
#include "file.h"
#include "message.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Role lists                                                           */
/* ------------------------------------------------------------------ */

void mcp_roles_init(mcp_roles *roles)
{
    roles->items = NULL;
    roles->n = 0;
    roles->cap = 0;
    roles->dropped = 0;
}

void mcp_roles_clear(mcp_roles *roles)
{
    size_t i;

    if (roles == NULL)
        return;
    for (i = 0; i < roles->n; i++)
        free(roles->items[i]);
    free(roles->items);
    mcp_roles_init(roles);
}

int mcp_role_is_valid(const char *role, size_t len)
{
    size_t i;

    if (role == NULL || len == 0 || len > MCP_ROLE_MAX_LEN)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)role[i];
        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    return mcp_utf8_valid(role, len);
}

int mcp_role_is_passable(const char *role, size_t len)
{
    if (!mcp_role_is_valid(role, len) || memchr(role, ',', len) != NULL)
        return 0;
    return role[0] != ' ' && role[0] != '\t' && role[len - 1] != ' ' &&
           role[len - 1] != '\t';
}

/* A valid role holds no NUL, so the stored copies compare as C strings. */
static int find(const mcp_roles *roles, const char *role, size_t len)
{
    size_t i;

    for (i = 0; i < roles->n; i++)
        if (strncmp(roles->items[i], role, len) == 0 &&
            roles->items[i][len] == '\0')
            return 1;
    return 0;
}

int mcp_roles_add(mcp_roles *roles, const char *role, size_t len)
{
    char *copy;

    if (!mcp_role_is_valid(role, len)) {
        roles->dropped++;
        return 0;
    }
    if (find(roles, role, len))
        return 0;
    if (roles->n >= MCP_ROLES_MAX) {
        roles->dropped++;
        return 0;
    }
    if (roles->n == roles->cap) {
        size_t cap = roles->cap ? roles->cap * 2 : 8;
        char **items;
        if (cap > MCP_ROLES_MAX)
            cap = MCP_ROLES_MAX;
        items = realloc(roles->items, cap * sizeof(*items));
        if (items == NULL)
            return -1;
        roles->items = items;
        roles->cap = cap;
    }
    copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, role, len);
    copy[len] = '\0';
    roles->items[roles->n++] = copy;
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int add_trimmed(mcp_roles *roles, const char *s, size_t len)
{
    while (len > 0 && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (len == 0)
        return 0;
    return mcp_roles_add(roles, s, len);
}

int mcp_roles_add_split(mcp_roles *roles, const char *value, const char *sep)
{
    size_t seplen = sep ? strlen(sep) : 0;
    int added = 0, r;
    const char *end;

    if (value == NULL)
        return 0;
    /* No separator: the value is one role. */
    if (seplen == 0) {
        r = add_trimmed(roles, value, strlen(value));
        return r < 0 ? -1 : r;
    }
    for (;;) {
        end = strstr(value, sep);
        r = add_trimmed(roles, value,
                        end ? (size_t)(end - value) : strlen(value));
        if (r < 0)
            return -1;
        added += r;
        if (end == NULL)
            return added;
        value = end + seplen;
    }
}

int mcp_roles_contains(const mcp_roles *roles, const char *role)
{
    if (roles == NULL || role == NULL)
        return 0;
    return find(roles, role, strlen(role));
}

/* Iterative, remembering only the last '*': linear in practice and never
 * exponential, whatever the operator writes. */
int mcp_glob_match(const char *pattern, const char *text)
{
    const char *p = pattern, *t = text;
    const char *star_p = NULL, *star_t = NULL;

    if (pattern == NULL || text == NULL)
        return 0;
    while (*t) {
        if (*p == '*') {
            star_p = ++p;
            star_t = t;
        } else if (*p != '\0' && (*p == '?' || *p == *t)) {
            p++;
            t++;
        } else if (star_p) {
            p = star_p;
            t = ++star_t;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* ASCII only: strcasecmp follows the locale, and DNs are compared the
 * same way whatever the locale of the server. */
static int ascii_caseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + ('a' - 'A'));
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + ('a' - 'A'));
        if (x != y)
            return 0;
        if (x == '\0')
            return 1;
    }
}

int mcp_roles_apply_policy(const mcp_roles *in, const mcp_role_policy *policy,
                           mcp_roles *out)
{
    char buf[MCP_ROLE_MAX_LEN + 1];
    size_t i, k;

    if (in == NULL)
        return 0;
    for (i = 0; i < in->n; i++) {
        const char *role = in->items[i];
        size_t plen = 0, rlen;
        int allowed;

        if (policy) {
            for (k = 0; k < policy->n_map; k++) {
                if (policy->map[k].from &&
                    ascii_caseeq(policy->map[k].from, role)) {
                    role = policy->map[k].to;
                    break;
                }
            }
            /* mapped to nothing: the operator's way to hide a group */
            if (role == NULL || *role == '\0')
                continue;
            if (policy->prefix &&
                strncmp(role, policy->prefix, strlen(policy->prefix)) != 0)
                plen = strlen(policy->prefix);
        }
        rlen = strlen(role);
        if (plen + rlen > MCP_ROLE_MAX_LEN) {
            out->dropped++;
            continue;
        }
        memcpy(buf, policy && plen ? policy->prefix : "", plen);
        memcpy(buf + plen, role, rlen + 1);

        /* Final from here on: what cannot be handed on as one role goes. */
        if (!mcp_role_is_passable(buf, plen + rlen)) {
            out->dropped++;
            continue;
        }
        allowed = !policy || policy->n_allow == 0;
        for (k = 0; !allowed && k < policy->n_allow; k++)
            allowed = mcp_glob_match(policy->allow[k], buf);
        if (!allowed)
            continue;
        if (mcp_roles_add(out, buf, plen + rlen) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* AuthGroupFile                                                        */
/* ------------------------------------------------------------------ */

#define GROUPFILE_MAX_BYTES (16u * 1024 * 1024)

/* One (user, group) pair; the pairs are sorted by user, then by group, so
 * a lookup is a binary search and yields the groups in file order. */
typedef struct {
    const char *user;
    size_t group;
} gf_member;

struct mcp_groupfile {
    char *text;          /* the file, cut into NUL-terminated names in place */
    const char **groups; /* in order of first appearance */
    size_t n_groups;
    gf_member *members;
    size_t n_members;
};

/* Group names seen so far, for merging a group spread over several lines;
 * only alive while loading. */
typedef struct {
    size_t *slots; /* group index + 1, 0 for empty */
    size_t cap;    /* a power of two */
} gf_index;

static size_t hash_name(const char *s)
{
    /* FNV-1a */
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return (size_t)h;
}

static int index_grow(gf_index *ix, const char **groups)
{
    size_t cap = ix->cap ? ix->cap * 2 : 64, i;
    size_t *slots = calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return -1;
    for (i = 0; i < ix->cap; i++) {
        size_t g = ix->slots[i], j;
        if (g == 0)
            continue;
        for (j = hash_name(groups[g - 1]) & (cap - 1); slots[j];
             j = (j + 1) & (cap - 1))
            ;
        slots[j] = g;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return 0;
}

/* The index of the group called name, added when new.  -1 when out of
 * memory. */
static int group_index(struct mcp_groupfile *gf, gf_index *ix,
                       size_t *groups_cap, const char *name, size_t *out)
{
    size_t j;

    if ((gf->n_groups + 1) * 2 > ix->cap && index_grow(ix, gf->groups) != 0)
        return -1;
    for (j = hash_name(name) & (ix->cap - 1); ix->slots[j];
         j = (j + 1) & (ix->cap - 1)) {
        if (strcmp(gf->groups[ix->slots[j] - 1], name) == 0) {
            *out = ix->slots[j] - 1;
            return 0;
        }
    }
    if (gf->n_groups == *groups_cap) {
        size_t cap = *groups_cap ? *groups_cap * 2 : 16;
        const char **g = realloc(gf->groups, cap * sizeof(*g));
        if (g == NULL)
            return -1;
        gf->groups = g;
        *groups_cap = cap;
    }
    gf->groups[gf->n_groups] = name;
    ix->slots[j] = gf->n_groups + 1;
    *out = gf->n_groups++;
    return 0;
}

static int add_member(struct mcp_groupfile *gf, size_t *cap, const char *user,
                      size_t group)
{
    if (gf->n_members == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        gf_member *m = realloc(gf->members, n * sizeof(*m));
        if (m == NULL)
            return -1;
        gf->members = m;
        *cap = n;
    }
    gf->members[gf->n_members].user = user;
    gf->members[gf->n_members].group = group;
    gf->n_members++;
    return 0;
}

static int cmp_member(const void *a, const void *b)
{
    const gf_member *x = a, *y = b;
    int c = strcmp(x->user, y->user);
    if (c)
        return c;
    return (x->group > y->group) - (x->group < y->group);
}

/* What httpd's config reader calls white space (apr_isspace in the C
 * locale). */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

/*
 * The next user name of a group line, as ap_getword_conf() reads it: a word
 * up to white space, or a '"' or '\'' quoted string in which a backslash
 * escapes the quote or a backslash (and so does a backslash outside
 * quotes).  The word is unescaped in place and NUL-terminated; *line moves
 * past it and the white space after it.  NULL at the end of the line.
 */
static char *next_word(char **line)
{
    char *s = *line, *start, *end, *w, *r;
    char quote = 0;

    while (is_space(*s))
        s++;
    if (*s == '\0') {
        *line = s;
        return NULL;
    }
    if (*s == '"' || *s == '\'') {
        quote = *s++;
        end = s;
        while (*end && *end != quote) {
            if (end[0] == '\\' && (end[1] == quote || end[1] == '\\'))
                end += 2;
            else
                end++;
        }
    } else {
        end = s;
        while (*end && !is_space(*end))
            end++;
    }
    start = s;
    *line = *end ? end + 1 : end; /* past the closing quote or a space */
    for (w = r = start; r < end; r++) {
        if (r[0] == '\\' && r + 1 < end &&
            (r[1] == '\\' || (quote && r[1] == quote)))
            r++;
        *w++ = *r;
    }
    *w = '\0';
    return start;
}

/*
 * Cuts text into logical lines in place, as ap_cfg_getline() does: a
 * backslash at the end of a line joins the next one to it, leading and
 * trailing white space goes.  Returns the next line (NUL-terminated), or
 * NULL at the end; *pos moves on and *lineno is the number of the line's
 * first physical line.
 */
static char *next_line(char *text, size_t len, size_t *pos, size_t *physical,
                       size_t *lineno)
{
    char *w, *start, *end;
    size_t r = *pos;

    if (r >= len)
        return NULL;
    *lineno = ++*physical;
    start = w = text + r;
    for (;;) {
        char *line_start = w;
        while (r < len && text[r] != '\n')
            *w++ = text[r++];
        if (r < len) {
            char *e = w;
            r++; /* the newline */
            if (e > line_start && e[-1] == '\r')
                e--;
            if (e > start && e[-1] == '\\') {
                w = e - 1;
                ++*physical;
                continue;
            }
        }
        break;
    }
    *w = '\0';
    *pos = r;
    while (is_space(*start))
        start++;
    end = start + strlen(start);
    while (end > start && is_space(end[-1]))
        *--end = '\0';
    return start;
}

int mcp_groupfile_load(const char *path, mcp_groupfile **out, char *err,
                       size_t errlen)
{
    struct mcp_groupfile *gf;
    gf_index ix = {NULL, 0};
    size_t len = 0, pos = 0, physical = 0, lineno = 0;
    size_t groups_cap = 0, members_cap = 0, i, kept;
    char *line;

    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (path == NULL || *path == '\0') {
        mcp_message(err, errlen, "no group file given");
        return -1;
    }
    gf = calloc(1, sizeof(*gf));
    if (gf == NULL) {
        mcp_message(err, errlen, "group file '%s': out of memory", path);
        return -1;
    }
    if (mcp_file_read(path, "group file", GROUPFILE_MAX_BYTES, 1, &gf->text,
                      &len, NULL, err, errlen) != 0) {
        free(gf);
        return -1;
    }
    if (memchr(gf->text, '\0', len) != NULL) {
        size_t at = (size_t)((char *)memchr(gf->text, '\0', len) - gf->text);
        size_t ln = 1;
        for (i = 0; i < at; i++)
            ln += gf->text[i] == '\n';
        mcp_message(err, errlen, "group file '%s' line %zu: a NUL byte", path, ln);
        goto fail;
    }

    while ((line = next_line(gf->text, len, &pos, &physical, &lineno))) {
        char *colon, *name_end, *word;
        size_t group;

        if (*line == '\0' || *line == '#')
            continue;
        colon = strchr(line, ':');
        if (colon == NULL) {
            mcp_message(err, errlen,
                    "group file '%s' line %zu: no ':' after the group name",
                    path, lineno);
            goto fail;
        }
        name_end = colon;
        while (name_end > line && is_space(name_end[-1]))
            name_end--;
        if (name_end == line) {
            mcp_message(err, errlen,
                    "group file '%s' line %zu: no group name before ':'", path,
                    lineno);
            goto fail;
        }
        *name_end = '\0';
        /* as ap_getword(): every ':' right after the name goes with it */
        while (*++colon == ':')
            ;
        if (group_index(gf, &ix, &groups_cap, line, &group) != 0)
            goto no_memory;
        while ((word = next_word(&colon)) != NULL) {
            if (*word == '\0')
                continue; /* "" names nobody */
            if (add_member(gf, &members_cap, word, group) != 0)
                goto no_memory;
        }
    }
    free(ix.slots);
    ix.slots = NULL;

    if (gf->n_members > 1)
        qsort(gf->members, gf->n_members, sizeof(*gf->members), cmp_member);
    /* a user listed twice for one group counts once */
    for (i = 0, kept = 0; i < gf->n_members; i++) {
        if (kept && cmp_member(&gf->members[kept - 1], &gf->members[i]) == 0)
            continue;
        gf->members[kept++] = gf->members[i];
    }
    gf->n_members = kept;
    *out = gf;
    return 0;

no_memory:
    mcp_message(err, errlen, "group file '%s': out of memory", path);
fail:
    free(ix.slots);
    mcp_groupfile_free(gf);
    return -1;
}

int mcp_groupfile_groups_of(const mcp_groupfile *gf, const char *user,
                            mcp_roles *out)
{
    size_t lo = 0, hi, i;
    int added = 0;

    if (gf == NULL || user == NULL)
        return 0;
    hi = gf->n_members;
    /* the first pair whose user is not below the one asked for */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(gf->members[mid].user, user) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < gf->n_members && strcmp(gf->members[i].user, user) == 0;
         i++) {
        const char *name = gf->groups[gf->members[i].group];
        int r = mcp_roles_add(out, name, strlen(name));
        if (r < 0)
            return -1;
        added += r;
    }
    return added;
}

void mcp_groupfile_free(mcp_groupfile *gf)
{
    if (gf == NULL)
        return;
    free(gf->text);
    free(gf->groups);
    free(gf->members);
    free(gf);
}
