/*
 * libFuzzer target for lib/roles.c: splitting a source value into roles,
 * the operator's policy (map, prefix, allow globs), glob matching, and
 * AuthGroupFile files.
 *
 * The input is cut at NUL bytes into fields (a missing field is NULL):
 *   separator, value, prefix, map "from" names, map "to" names, allow
 *   patterns, then everything after the sixth NUL is a group file
 * with the map names and the patterns one a line.  roles.h reads group
 * files only from a path, so the file is written to a memfd that is reused
 * for every input and opened through /proc/self/fd.
 *
 * What must hold, checked against plain reimplementations written here:
 *   - splitting gives the valid distinct trimmed items between occurrences
 *     of the separator, in order, at most MCP_ROLES_MAX, the rest counted
 *     as dropped;
 *   - the policy gives what the rules in roles.h describe, and every role
 *     it lets through carries the prefix and matches an allow pattern;
 *   - glob matching agrees with a dynamic-programming matcher;
 *   - a group file made only of plain lines (no quote, no backslash) loads
 *     exactly when every line is blank, a comment or "name: users", and
 *     lists each user in the groups those lines give, in file order.
 */
#define _GNU_SOURCE /* memfd_create, memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "roles.h"

#define MAX_LIST 4
/* The reference matcher is quadratic: longer pairs are only run through
 * mcp_glob_match(). */
#define MAX_REFERENCE_GLOB 512

static int groupfile_fd = -1;
static char groupfile_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    groupfile_fd = memfd_create("fuzz_roles_groups", MFD_CLOEXEC);
    if (groupfile_fd < 0) {
        perror("fuzz_roles: memfd_create");
        exit(1);
    }
    snprintf(groupfile_path, sizeof(groupfile_path), "/proc/self/fd/%d",
             groupfile_fd);
    return 0;
}

typedef struct {
    char *field[6]; /* NULL when the input ends before it */
    const char *groupfile;
    size_t groupfile_len;
    char *copy;
} fields;

static void cut_fields(const uint8_t *data, size_t size, fields *f)
{
    size_t i, k = 0, start = 0;

    memset(f, 0, sizeof(*f));
    f->copy = malloc(size + 1);
    if (f->copy == NULL)
        abort();
    memcpy(f->copy, data, size);
    f->copy[size] = '\0';
    for (i = 0; i <= size && k < 6; i++) {
        if (i == size || f->copy[i] == '\0') {
            f->field[k++] = f->copy + start;
            start = i + 1;
        }
    }
    if (k == 6 && start <= size) {
        f->groupfile = (const char *)data + start;
        f->groupfile_len = size - start;
    }
}

/* Up to MAX_LIST lines of a field, cut in place. */
static size_t cut_lines(char *s, const char *out[MAX_LIST])
{
    size_t n = 0;

    while (s && n < MAX_LIST) {
        char *nl = strchr(s, '\n');
        out[n++] = s;
        if (nl)
            *nl = '\0';
        s = nl ? nl + 1 : NULL;
    }
    return n;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void ref_add_trimmed(mcp_roles *roles, const char *s, size_t len)
{
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (len > 0 && mcp_roles_add(roles, s, len) < 0)
        abort();
}

static void ref_split(mcp_roles *roles, const char *value, const char *sep)
{
    size_t seplen = sep ? strlen(sep) : 0, left;
    const char *at;

    if (value == NULL)
        return;
    left = strlen(value);
    while (seplen > 0 && (at = memmem(value, left, sep, seplen)) != NULL) {
        ref_add_trimmed(roles, value, (size_t)(at - value));
        left -= (size_t)(at - value) + seplen;
        value = at + seplen;
    }
    ref_add_trimmed(roles, value, left);
}

static void check_same(const mcp_roles *a, const mcp_roles *b)
{
    size_t i;

    if (a->n != b->n || a->dropped != b->dropped)
        abort();
    for (i = 0; i < a->n; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            abort();
}

static void check_valid(const mcp_roles *roles)
{
    size_t i, k;

    if (roles->n > MCP_ROLES_MAX)
        abort();
    for (i = 0; i < roles->n; i++) {
        if (!mcp_role_is_valid(roles->items[i], strlen(roles->items[i])) ||
            !mcp_roles_contains(roles, roles->items[i]))
            abort();
        for (k = 0; k < i; k++)
            if (strcmp(roles->items[i], roles->items[k]) == 0)
                abort();
    }
}

static int ref_glob(const char *p, const char *t)
{
    size_t n = strlen(p), m = strlen(t), i, j;
    unsigned char *row = calloc(m + 1, 1), *next = calloc(m + 1, 1), *swap;
    int match;

    if (row == NULL || next == NULL)
        abort();
    row[0] = 1;
    for (i = 0; i < n; i++) {
        if (p[i] == '*') {
            next[0] = row[0];
            for (j = 1; j <= m; j++)
                next[j] = row[j] || next[j - 1];
        } else {
            next[0] = 0;
            for (j = 1; j <= m; j++)
                next[j] = row[j - 1] && (p[i] == '?' || p[i] == t[j - 1]);
        }
        swap = row;
        row = next;
        next = swap;
    }
    match = row[m];
    free(row);
    free(next);
    return match;
}

static int glob(const char *p, const char *t)
{
    int r = mcp_glob_match(p, t);

    if (p && t && strlen(p) <= MAX_REFERENCE_GLOB &&
        strlen(t) <= MAX_REFERENCE_GLOB && r != ref_glob(p, t))
        abort();
    return r;
}

static int ascii_same(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static void ref_policy(const mcp_roles *in, const mcp_role_policy *p,
                       mcp_roles *out)
{
    char buf[2 * MCP_ROLE_MAX_LEN + 8];
    size_t i, k;

    for (i = 0; i < in->n; i++) {
        const char *role = in->items[i];
        const char *prefix = p->prefix ? p->prefix : "";
        int allowed = p->n_allow == 0;
        for (k = 0; k < p->n_map; k++)
            if (p->map[k].from && ascii_same(p->map[k].from, role)) {
                role = p->map[k].to;
                break;
            }
        if (role == NULL || *role == '\0')
            continue;
        if (strncmp(role, prefix, strlen(prefix)) == 0)
            prefix = "";
        if (strlen(prefix) + strlen(role) > MCP_ROLE_MAX_LEN) {
            out->dropped++;
            continue;
        }
        snprintf(buf, sizeof(buf), "%s%s", prefix, role);
        /* A final role must read back as one item of a comma-separated
         * list: no comma, no blank at either end. */
        if (!mcp_role_is_valid(buf, strlen(buf)) || strchr(buf, ',') ||
            is_blank(buf[0]) || is_blank(buf[strlen(buf) - 1])) {
            out->dropped++;
            continue;
        }
        for (k = 0; k < p->n_allow && !allowed; k++)
            allowed = ref_glob(p->allow[k], buf);
        if (allowed && mcp_roles_add(out, buf, strlen(buf)) < 0)
            abort();
    }
}

static void check_policy(const mcp_roles *in, const fields *f)
{
    const char *from[MAX_LIST], *to[MAX_LIST] = {NULL}, *allow[MAX_LIST];
    mcp_role_map_entry map[MAX_LIST];
    mcp_role_policy policy;
    mcp_roles out, expected;
    size_t n_from = cut_lines(f->field[3], from), i, k;

    cut_lines(f->field[4], to);
    for (i = 0; i < n_from; i++) {
        map[i].from = from[i];
        map[i].to = to[i];
    }
    policy.map = map;
    policy.n_map = n_from;
    policy.prefix = f->field[2];
    policy.allow = allow;
    policy.n_allow = cut_lines(f->field[5], allow);

    mcp_roles_init(&out);
    mcp_roles_init(&expected);
    if (mcp_roles_apply_policy(in, &policy, &out) != 0)
        abort();
    ref_policy(in, &policy, &expected);
    check_same(&out, &expected);
    check_valid(&out);
    for (i = 0; i < out.n; i++) {
        int allowed = policy.n_allow == 0;
        const char *r = out.items[i];
        if (strchr(r, ',') || is_blank(r[0]) || is_blank(r[strlen(r) - 1]))
            abort();
        if (policy.prefix &&
            strncmp(out.items[i], policy.prefix, strlen(policy.prefix)) != 0)
            abort();
        for (k = 0; k < policy.n_allow && !allowed; k++)
            allowed = glob(policy.allow[k], out.items[i]);
        if (!allowed)
            abort();
    }
    for (i = 0; i < policy.n_allow; i++)
        for (k = 0; k < in->n; k++)
            (void)glob(policy.allow[i], in->items[k]);
    /* a NULL policy passes through every role that can be passed on */
    mcp_roles_clear(&out);
    if (mcp_roles_apply_policy(in, NULL, &out) != 0)
        abort();
    for (i = 0, k = 0; i < in->n; i++)
        k += mcp_role_is_passable(in->items[i], strlen(in->items[i]));
    if (out.n != k || out.dropped != in->n - k)
        abort();
    mcp_roles_clear(&out);
    mcp_roles_clear(&expected);
}

/* ------------------------------------------------------------------ */
/* Group files                                                          */
/* ------------------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

typedef struct {
    char *name;
    char **users;
    size_t n_users;
} ref_group;

typedef struct {
    ref_group *groups;
    size_t n;
    int ok;
} ref_groupfile;

static ref_group *ref_group_named(ref_groupfile *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (strcmp(r->groups[i].name, name) == 0)
            return &r->groups[i];
    r->groups = realloc(r->groups, (r->n + 1) * sizeof(*r->groups));
    if (r->groups == NULL)
        abort();
    r->groups[r->n].name = strdup(name);
    r->groups[r->n].users = NULL;
    r->groups[r->n].n_users = 0;
    return &r->groups[r->n++];
}

static void ref_groupfile_free(ref_groupfile *r)
{
    size_t i, k;

    for (i = 0; i < r->n; i++) {
        for (k = 0; k < r->groups[i].n_users; k++)
            free(r->groups[i].users[k]);
        free(r->groups[i].users);
        free(r->groups[i].name);
    }
    free(r->groups);
}

/* Plain lines only: the caller has ruled out quotes, backslashes and NUL. */
static void ref_groupfile_parse(const char *text, size_t len, ref_groupfile *r)
{
    char *copy = malloc(len + 1), *line, *next;

    if (copy == NULL)
        abort();
    memcpy(copy, text, len);
    copy[len] = '\0';
    r->groups = NULL;
    r->n = 0;
    r->ok = 1;
    for (line = copy; line; line = next) {
        char *colon, *end, *word;
        ref_group *g;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        while (is_space(*line))
            line++;
        if (*line == '\0' || *line == '#')
            continue;
        colon = strchr(line, ':');
        if (colon == NULL) {
            r->ok = 0;
            break;
        }
        for (end = colon; end > line && is_space(end[-1]); end--)
            ;
        if (end == line) {
            r->ok = 0;
            break;
        }
        for (word = colon; *word == ':'; word++)
            ;
        *end = '\0';
        g = ref_group_named(r, line);
        for (;;) {
            char *w_end;
            while (is_space(*word))
                word++;
            if (*word == '\0')
                break;
            for (w_end = word; *w_end && !is_space(*w_end); w_end++)
                ;
            g->users = realloc(g->users, (g->n_users + 1) * sizeof(char *));
            if (g->users == NULL)
                abort();
            g->users[g->n_users++] = strndup(word, (size_t)(w_end - word));
            word = w_end;
        }
    }
    free(copy);
}

static void ref_groups_of(const ref_groupfile *r, const char *user,
                          mcp_roles *out)
{
    size_t i, k;

    for (i = 0; i < r->n; i++)
        for (k = 0; k < r->groups[i].n_users; k++)
            if (strcmp(r->groups[i].users[k], user) == 0) {
                if (mcp_roles_add(out, r->groups[i].name,
                                  strlen(r->groups[i].name)) < 0)
                    abort();
                break;
            }
}

static void check_lookup(const mcp_groupfile *gf, const ref_groupfile *ref,
                         const char *user)
{
    mcp_roles got, want;
    int added;

    mcp_roles_init(&got);
    mcp_roles_init(&want);
    added = mcp_groupfile_groups_of(gf, user, &got);
    if (added < 0 || (size_t)added != got.n)
        abort();
    check_valid(&got);
    if (ref) {
        ref_groups_of(ref, user, &want);
        check_same(&got, &want);
    }
    mcp_roles_clear(&got);
    mcp_roles_clear(&want);
}

static void check_groupfile(const fields *f, const mcp_roles *users)
{
    static const char *const fixed_users[] = {"alice", "bob", "", "#"};
    const char *text = f->groupfile;
    size_t len = f->groupfile_len, i;
    int plain =
        memchr(text, '"', len) == NULL && memchr(text, '\'', len) == NULL &&
        memchr(text, '\\', len) == NULL && memchr(text, '\0', len) == NULL;
    ref_groupfile ref = {NULL, 0, 0};
    mcp_groupfile *gf = NULL;
    char err[512];
    int rc;

    if (ftruncate(groupfile_fd, 0) != 0 ||
        (len > 0 && pwrite(groupfile_fd, text, len, 0) != (ssize_t)len))
        abort();
    rc = mcp_groupfile_load(groupfile_path, &gf, err, sizeof(err));
    if (rc != 0) {
        if (gf != NULL || err[0] == '\0')
            abort();
    }
    if (plain)
        ref_groupfile_parse(text, len, &ref);
    if (plain && (rc == 0) != ref.ok)
        abort();
    for (i = 0; rc == 0 && i < users->n; i++)
        check_lookup(gf, plain ? &ref : NULL, users->items[i]);
    for (i = 0; rc == 0 && i < sizeof(fixed_users) / sizeof(*fixed_users); i++)
        check_lookup(gf, plain ? &ref : NULL, fixed_users[i]);
    if (plain && rc == 0) {
        size_t g, u, looked_up = 0;
        for (g = 0; g < ref.n; g++)
            for (u = 0; u < ref.groups[g].n_users && looked_up < 64; u++) {
                check_lookup(gf, &ref, ref.groups[g].users[u]);
                looked_up++;
            }
    }
    if (plain)
        ref_groupfile_free(&ref);
    if (mcp_groupfile_groups_of(gf, NULL, NULL) != 0)
        abort();
    mcp_groupfile_free(gf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fields f;
    mcp_roles roles, expected;
    size_t before;
    int added;

    cut_fields(data, size, &f);
    mcp_roles_init(&roles);
    mcp_roles_init(&expected);

    added = mcp_roles_add_split(&roles, f.field[1], f.field[0]);
    if (added < 0 || (size_t)added != roles.n)
        abort();
    ref_split(&expected, f.field[1], f.field[0]);
    check_same(&roles, &expected);
    check_valid(&roles);
    for (before = 0; before < roles.n; before++) {
        const char *r = roles.items[before];
        size_t n = strlen(r);
        if (strstr(f.field[1], r) == NULL || is_blank(r[0]) ||
            is_blank(r[n - 1]) ||
            (f.field[0] && *f.field[0] && strstr(r, f.field[0]) != NULL))
            abort();
    }
    /* adding the same value again adds nothing */
    before = roles.n;
    if (mcp_roles_add_split(&roles, f.field[1], f.field[0]) != 0 ||
        roles.n != before)
        abort();

    check_policy(&roles, &f);
    if (f.field[2] && f.field[1])
        (void)glob(f.field[2], f.field[1]);
    if (f.groupfile)
        check_groupfile(&f, &roles);

    mcp_roles_clear(&roles);
    mcp_roles_clear(&expected);
    free(f.copy);
    return 0;
}
