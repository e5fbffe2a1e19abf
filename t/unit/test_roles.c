/* Unit tests for lib/roles.c: role validity, lists, splitting, globbing,
 * the operator's policy and AuthGroupFile files. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "roles.h"
#include "unit.h"

#define FIXTURES "fixtures/lib/"

static int valid(const char *s)
{
    return mcp_role_is_valid(s, strlen(s));
}

static void test_validity(void)
{
    char long_role[MCP_ROLE_MAX_LEN + 2];

    CHECK(valid("ROLE_USER"));
    CHECK(valid("a"));
    CHECK(valid("cn=admins,ou=groups,dc=example,dc=com"));
    CHECK(valid("r\xc3\xb4le"));      /* U+00F4 */
    CHECK(valid("\xe2\x82\xac"));     /* U+20AC */
    CHECK(valid("\xf0\x9f\x94\x91")); /* U+1F511 */
    CHECK(valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    CHECK(valid("\xed\x9f\xbf"));     /* U+D7FF */
    CHECK(valid("\xee\x80\x80"));     /* U+E000 */
    CHECK(valid("with space"));
    CHECK(valid("~"));

    CHECK(!valid(""));
    CHECK(!mcp_role_is_valid(NULL, 3));
    CHECK(!valid("tab\there"));
    CHECK(!valid("new\nline"));
    CHECK(!valid("del\x7f"));
    CHECK(!valid("\x1f"));
    CHECK(!mcp_role_is_valid("nul\0byte", 8));
    CHECK(!valid("\xc0\xaf"));         /* overlong '/' */
    CHECK(!valid("\xc1\xbf"));         /* overlong */
    CHECK(!valid("\xe0\x80\xaf"));     /* overlong, 3 bytes */
    CHECK(!valid("\xe0\x9f\xbf"));     /* overlong U+07FF */
    CHECK(!valid("\xf0\x80\x80\xaf")); /* overlong, 4 bytes */
    CHECK(!valid("\xf0\x8f\xbf\xbf")); /* overlong U+FFFF */
    CHECK(!valid("\xed\xa0\x80"));     /* U+D800 surrogate */
    CHECK(!valid("\xed\xbf\xbf"));     /* U+DFFF surrogate */
    CHECK(!valid("\xf4\x90\x80\x80")); /* U+110000 */
    CHECK(!valid("\xf5\x80\x80\x80"));
    CHECK(!valid("\xff"));
    CHECK(!valid("\xfe"));
    CHECK(!valid("\x80"));         /* lone continuation */
    CHECK(!valid("a\xc3"));        /* truncated */
    CHECK(!valid("\xe2\x82"));     /* truncated */
    CHECK(!valid("\xf0\x9f\x94")); /* truncated */
    CHECK(!valid("\xe2\x28\xa1")); /* bad continuation */
    CHECK(!valid("\xc3\xc3"));
    /* a truncated sequence must not be completed by the byte after len */
    CHECK(!mcp_role_is_valid("\xc3\xb4", 1));

    memset(long_role, 'r', sizeof(long_role));
    CHECK(mcp_role_is_valid(long_role, MCP_ROLE_MAX_LEN));
    CHECK(!mcp_role_is_valid(long_role, MCP_ROLE_MAX_LEN + 1));
}

static void test_list(void)
{
    mcp_roles r;
    char name[16];
    int i;

    mcp_roles_init(&r);
    CHECK_INT(r.n, 0);
    CHECK_INT(mcp_roles_add(&r, "ROLE_USER", 9), 1);
    CHECK_INT(mcp_roles_add(&r, "ROLE_ADMIN", 10), 1);
    CHECK_INT(mcp_roles_add(&r, "ROLE_USER", 9), 0);
    CHECK_INT(mcp_roles_add(&r, "ROLE_USERS", 10), 1);
    /* a prefix of an existing role is a different role */
    CHECK_INT(mcp_roles_add(&r, "ROLE_US", 7), 1);
    /* the length, not a NUL, ends the role */
    CHECK_INT(mcp_roles_add(&r, "ROLE_ADMINISTRATOR", 10), 0);
    CHECK_INT(r.n, 4);
    CHECK_STR(r.items[0], "ROLE_USER");
    CHECK_STR(r.items[1], "ROLE_ADMIN");
    CHECK_STR(r.items[2], "ROLE_USERS");
    CHECK_STR(r.items[3], "ROLE_US");
    CHECK_INT(r.dropped, 0);
    CHECK_INT(mcp_roles_add(&r, "bad\x01", 4), 0);
    CHECK_INT(mcp_roles_add(&r, "", 0), 0);
    CHECK_INT(r.dropped, 2);
    CHECK_INT(r.n, 4);

    CHECK(mcp_roles_contains(&r, "ROLE_ADMIN"));
    CHECK(mcp_roles_contains(&r, "ROLE_US"));
    CHECK(!mcp_roles_contains(&r, "ROLE_U"));
    CHECK(!mcp_roles_contains(&r, "role_admin"));
    CHECK(!mcp_roles_contains(&r, ""));
    CHECK(!mcp_roles_contains(&r, NULL));
    CHECK(!mcp_roles_contains(NULL, "ROLE_ADMIN"));

    mcp_roles_clear(&r);
    CHECK_INT(r.n, 0);
    CHECK(r.items == NULL);
    CHECK_INT(r.dropped, 0);
    mcp_roles_clear(&r); /* twice is harmless */

    /* the list stops at MCP_ROLES_MAX and counts the rest */
    for (i = 0; i < MCP_ROLES_MAX + 10; i++) {
        snprintf(name, sizeof(name), "R%d", i);
        mcp_roles_add(&r, name, strlen(name));
    }
    CHECK_INT(r.n, MCP_ROLES_MAX);
    CHECK_INT(r.dropped, 10);
    CHECK_STR(r.items[MCP_ROLES_MAX - 1], "R255");
    /* a role already present is not "dropped" when the list is full */
    CHECK_INT(mcp_roles_add(&r, "R0", 2), 0);
    CHECK_INT(r.dropped, 10);
    mcp_roles_clear(&r);
}

static void test_split(void)
{
    mcp_roles r;

    mcp_roles_init(&r);
    CHECK_INT(mcp_roles_add_split(&r, "ROLE_A, ROLE_B,,ROLE_C ,\tROLE_A", ","),
              3);
    CHECK_INT(r.n, 3);
    CHECK_STR(r.items[0], "ROLE_A");
    CHECK_STR(r.items[1], "ROLE_B");
    CHECK_STR(r.items[2], "ROLE_C");
    CHECK_INT(r.dropped, 0);
    mcp_roles_clear(&r);

    /* a separator of several characters is matched literally */
    CHECK_INT(mcp_roles_add_split(&r, "cn=a,ou=x; cn=b;ou=y;  ;c", "; "), 3);
    CHECK_INT(r.n, 3);
    CHECK_STR(r.items[0], "cn=a,ou=x");
    CHECK_STR(r.items[1], "cn=b;ou=y");
    CHECK_STR(r.items[2], ";c");
    mcp_roles_clear(&r);

    CHECK_INT(mcp_roles_add_split(&r, "", ","), 0);
    CHECK_INT(mcp_roles_add_split(&r, " , ,\t", ","), 0);
    CHECK_INT(mcp_roles_add_split(&r, NULL, ","), 0);
    CHECK_INT(r.n, 0);
    CHECK_INT(r.dropped, 0);
    /* no separator: the whole value, trimmed */
    CHECK_INT(mcp_roles_add_split(&r, "  a,b  ", ""), 1);
    CHECK_INT(mcp_roles_add_split(&r, "c d", NULL), 1);
    CHECK_STR(r.items[0], "a,b");
    CHECK_STR(r.items[1], "c d");
    /* an invalid item is counted and the others kept */
    CHECK_INT(mcp_roles_add_split(&r, "x|bad\x01|y", "|"), 2);
    CHECK_INT(r.dropped, 1);
    CHECK_INT(r.n, 4);
    mcp_roles_clear(&r);
}

static void test_glob(void)
{
    char text[2001], pattern[64];

    CHECK(mcp_glob_match("ROLE_*", "ROLE_USER"));
    CHECK(mcp_glob_match("ROLE_*", "ROLE_"));
    CHECK(!mcp_glob_match("ROLE_*", "ROLE"));
    CHECK(!mcp_glob_match("ROLE_*", "role_user"));
    CHECK(mcp_glob_match("*", ""));
    CHECK(mcp_glob_match("*", "anything"));
    CHECK(mcp_glob_match("", ""));
    CHECK(!mcp_glob_match("", "a"));
    CHECK(mcp_glob_match("?", "a"));
    CHECK(!mcp_glob_match("?", ""));
    CHECK(!mcp_glob_match("?", "ab"));
    CHECK(mcp_glob_match("a?c", "abc"));
    CHECK(mcp_glob_match("*_ADMIN", "ROLE_ADMIN"));
    CHECK(!mcp_glob_match("*_ADMIN", "ROLE_ADMINS"));
    CHECK(mcp_glob_match("*a*b*c*", "xxaxxbxxcxx"));
    CHECK(!mcp_glob_match("*a*b*c*", "xxcxxbxxaxx"));
    CHECK(mcp_glob_match("a**b", "ab"));
    CHECK(mcp_glob_match("a*b*", "abab"));
    CHECK(mcp_glob_match("*ab", "aab"));
    CHECK(mcp_glob_match("[x]", "[x]")); /* no classes: literal */
    CHECK(!mcp_glob_match("[x]", "x"));
    CHECK(!mcp_glob_match(NULL, "x"));
    CHECK(!mcp_glob_match("x", NULL));

    /* a pattern that makes naive backtracking exponential */
    memset(text, 'a', 2000);
    text[2000] = '\0';
    strcpy(pattern, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
    CHECK(!mcp_glob_match(pattern, text));
    text[1999] = 'b';
    CHECK(mcp_glob_match(pattern, text));
}

static void test_policy(void)
{
    static const mcp_role_map_entry map[] = {
        {"cn=Admins,ou=groups,dc=example,dc=com", "ADMIN"},
        {"staff", "ROLE_STAFF"},
        {"STAFF", "SHADOWED"}, /* never reached: "staff" comes first */
        {"hidden", ""},
    };
    static const char *const allow[] = {"ROLE_*"};
    static const char *const allow_two[] = {"ROLE_A*", "ROLE_?"};
    mcp_role_policy policy = {map, 4, "ROLE_", allow, 1};
    mcp_roles in, out;
    char long_role[MCP_ROLE_MAX_LEN + 1];

    mcp_roles_init(&in);
    mcp_roles_init(&out);
    mcp_roles_add_split(&in,
                        "CN=ADMINS,OU=GROUPS,DC=EXAMPLE,DC=COM|staff|users|"
                        "ROLE_USERS|hidden|Staff",
                        "|");
    CHECK_INT(in.n, 6);
    CHECK_INT(mcp_roles_apply_policy(&in, &policy, &out), 0);
    /* mapped case-insensitively, prefixed unless present, merged */
    CHECK_INT(out.n, 4);
    CHECK_STR(out.items[0], "ROLE_ADMIN");
    CHECK_STR(out.items[1], "ROLE_STAFF");
    CHECK_STR(out.items[2], "ROLE_users");
    CHECK_STR(out.items[3], "ROLE_USERS");
    CHECK_INT(out.dropped, 0);
    mcp_roles_clear(&out);

    /* allow patterns drop what matches none */
    policy.allow = allow_two;
    policy.n_allow = 2;
    CHECK_INT(mcp_roles_apply_policy(&in, &policy, &out), 0);
    CHECK_INT(out.n, 1);
    CHECK_STR(out.items[0], "ROLE_ADMIN");
    mcp_roles_clear(&out);

    /* no policy rules at all: a copy, less the DN whose commas would
     * make several roles of it */
    {
        mcp_role_policy none = {NULL, 0, NULL, NULL, 0};
        CHECK_INT(mcp_roles_apply_policy(&in, &none, &out), 0);
        CHECK_INT(out.n, in.n - 1);
        CHECK_INT(out.dropped, 1);
        CHECK_STR(out.items[3], "hidden");
        mcp_roles_clear(&out);
        CHECK_INT(mcp_roles_apply_policy(&in, NULL, &out), 0);
        CHECK_INT(out.n, in.n - 1);
        mcp_roles_clear(&out);
        none.prefix = "";
        CHECK_INT(mcp_roles_apply_policy(&in, &none, &out), 0);
        CHECK_STR(out.items[0], "staff");
        mcp_roles_clear(&out);
    }

    /* out keeps what it had, and its distinctness */
    mcp_roles_add(&out, "ROLE_STAFF", 10);
    mcp_roles_add(&out, "ROLE_OTHER", 10);
    policy.allow = NULL;
    policy.n_allow = 0;
    CHECK_INT(mcp_roles_apply_policy(&in, &policy, &out), 0);
    CHECK_STR(out.items[0], "ROLE_STAFF");
    CHECK_STR(out.items[1], "ROLE_OTHER");
    CHECK_STR(out.items[2], "ROLE_ADMIN");
    CHECK_INT(out.n, 5);
    mcp_roles_clear(&out);

    /* a prefix that pushes a role over the limit drops it, counted */
    mcp_roles_clear(&in);
    memset(long_role, 'x', MCP_ROLE_MAX_LEN);
    mcp_roles_add(&in, long_role, MCP_ROLE_MAX_LEN);
    mcp_roles_add(&in, long_role, MCP_ROLE_MAX_LEN - 5);
    CHECK_INT(in.n, 2);
    CHECK_INT(mcp_roles_apply_policy(&in, &policy, &out), 0);
    CHECK_INT(out.n, 1);
    CHECK_INT(strlen(out.items[0]), MCP_ROLE_MAX_LEN);
    CHECK_INT(out.dropped, 1);
    mcp_roles_clear(&out);
    mcp_roles_clear(&in);
}

/* A role that holds the separator of the lists httpd hands to a backend
 * would read as several roles there: it never leaves the policy. */
static void test_passable(void)
{
    static const mcp_role_map_entry map[] = {
        {"CN=Admins,OU=Groups,DC=example,DC=com", "ADMIN"},
        {"ops", "ROLE_OPS,ROLE_ADMIN"},
    };
    mcp_role_policy policy = {map, 2, "ROLE_", NULL, 0};
    mcp_roles in, out;

    CHECK(mcp_role_is_passable("ROLE_USER", 9));
    CHECK(mcp_role_is_passable("CN=x", 4));
    CHECK(mcp_role_is_passable("a b", 3));
    CHECK(!mcp_role_is_passable("ROLE_USER,ROLE_ADMIN", 20));
    CHECK(!mcp_role_is_passable(",", 1));
    CHECK(!mcp_role_is_passable(" ROLE_ADMIN", 11));
    CHECK(!mcp_role_is_passable("ROLE_ADMIN ", 11));
    CHECK(!mcp_role_is_passable("\tROLE_ADMIN", 11));
    CHECK(!mcp_role_is_passable("", 0));
    CHECK(!mcp_role_is_passable("ROLE\nX", 6));

    mcp_roles_init(&in);
    mcp_roles_init(&out);
    /* An LDAP DN (commas) mapped to a plain role is kept; a value that
     * still holds a comma once mapped and prefixed is dropped, counted. */
    mcp_roles_add(&in, "cn=admins,ou=groups,dc=example,dc=com", 37);
    mcp_roles_add(&in, "USER,ROLE_ADMIN", 15);
    mcp_roles_add(&in, "ops", 3);
    mcp_roles_add(&in, "CN=Other,DC=example", 19);
    mcp_roles_add(&in, "USER", 4);
    CHECK_INT(in.n, 5);
    CHECK_INT(mcp_roles_apply_policy(&in, &policy, &out), 0);
    CHECK_INT(out.n, 2);
    CHECK_STR(out.items[0], "ROLE_ADMIN");
    CHECK_STR(out.items[1], "ROLE_USER");
    CHECK_INT(out.dropped, 3);
    mcp_roles_clear(&out);

    /* A prefix that ends in a space would make " X" of "X": not passable. */
    policy.prefix = NULL;
    policy.n_map = 0;
    mcp_roles_clear(&in);
    mcp_roles_add(&in, "ROLE_A ", 7);
    mcp_roles_add(&in, "ROLE_B", 6);
    CHECK_INT(mcp_roles_apply_policy(&in, &policy, &out), 0);
    CHECK_INT(out.n, 1);
    CHECK_STR(out.items[0], "ROLE_B");
    mcp_roles_clear(&out);
    mcp_roles_clear(&in);
}

static int groups_of(const mcp_groupfile *gf, const char *user, char *buf,
                     size_t buflen)
{
    mcp_roles r;
    size_t i, used = 0;
    int n;

    mcp_roles_init(&r);
    n = mcp_groupfile_groups_of(gf, user, &r);
    buf[0] = '\0';
    for (i = 0; i < r.n; i++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%s",
                                 i ? "," : "", r.items[i]);
    mcp_roles_clear(&r);
    return n;
}

static void test_groupfile(void)
{
    mcp_groupfile *gf = NULL;
    char err[512], buf[256];

    CHECK_INT(mcp_groupfile_load(FIXTURES "groups.txt", &gf, err, sizeof(err)),
              0);
    CHECK(gf != NULL);
    if (gf == NULL)
        return;
    CHECK_INT(groups_of(gf, "alice", buf, sizeof(buf)), 2);
    CHECK_STR(buf, "admins,users");
    CHECK_INT(groups_of(gf, "bob", buf, sizeof(buf)), 2);
    CHECK_STR(buf, "admins,users");
    /* in the order the groups first appear, whatever the line order */
    CHECK_INT(groups_of(gf, "carol", buf, sizeof(buf)), 3);
    CHECK_STR(buf, "admins,users,ROLE_AUDITOR");
    CHECK_INT(groups_of(gf, "dave", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "users");
    CHECK_INT(groups_of(gf, "erin", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "readers");
    CHECK_INT(groups_of(gf, "john smith", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "quoted");
    CHECK_INT(groups_of(gf, "o'brien", buf, sizeof(buf)), 1);
    CHECK_INT(groups_of(gf, "plain\\name", buf, sizeof(buf)), 1);
    CHECK_INT(groups_of(gf, "frank", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "joined");
    CHECK_INT(groups_of(gf, "grace", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "joined");
    CHECK_INT(groups_of(gf, "heidi", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "spaced");
    CHECK_INT(groups_of(gf, "john", buf, sizeof(buf)), 0);
    CHECK_INT(groups_of(gf, "\"john", buf, sizeof(buf)), 0);
    CHECK_INT(groups_of(gf, "Alice", buf, sizeof(buf)), 0);
    CHECK_INT(groups_of(gf, "", buf, sizeof(buf)), 0);
    CHECK_INT(groups_of(gf, "admins", buf, sizeof(buf)), 0);
    CHECK_INT(groups_of(gf, "#", buf, sizeof(buf)), 0);
    CHECK_INT(groups_of(gf, "zzz", buf, sizeof(buf)), 0);
    CHECK_INT(mcp_groupfile_groups_of(gf, NULL, NULL), 0);
    CHECK_INT(mcp_groupfile_groups_of(NULL, "alice", NULL), 0);

    /* groups add to what the list holds, without duplicates */
    {
        mcp_roles r;
        mcp_roles_init(&r);
        mcp_roles_add(&r, "users", 5);
        CHECK_INT(mcp_groupfile_groups_of(gf, "carol", &r), 2);
        CHECK_INT(r.n, 3);
        CHECK_STR(r.items[0], "users");
        CHECK_STR(r.items[1], "admins");
        mcp_roles_clear(&r);
    }
    mcp_groupfile_free(gf);
    mcp_groupfile_free(NULL);

    CHECK_INT(
        mcp_groupfile_load(FIXTURES "groups_crlf.txt", &gf, err, sizeof(err)),
        0);
    CHECK_INT(groups_of(gf, "ivan", buf, sizeof(buf)), 2);
    CHECK_STR(buf, "crlf,admins");
    CHECK_INT(groups_of(gf, "judy", buf, sizeof(buf)), 1);
    CHECK_STR(buf, "crlf");
    mcp_groupfile_free(gf);

    CHECK_INT(mcp_groupfile_load(FIXTURES "groups_trailing_backslash.txt", &gf,
                                 err, sizeof(err)),
              0);
    CHECK_INT(groups_of(gf, "kim", buf, sizeof(buf)), 1);
    mcp_groupfile_free(gf);

    CHECK_INT(
        mcp_groupfile_load(FIXTURES "groups_empty.txt", &gf, err, sizeof(err)),
        0);
    CHECK_INT(groups_of(gf, "alice", buf, sizeof(buf)), 0);
    mcp_groupfile_free(gf);
    CHECK_INT(mcp_groupfile_load(FIXTURES "groups_comments.txt", &gf, err,
                                 sizeof(err)),
              0);
    CHECK_INT(groups_of(gf, "alice", buf, sizeof(buf)), 0);
    mcp_groupfile_free(gf);
}

static void test_groupfile_errors(void)
{
    mcp_groupfile *gf = (mcp_groupfile *)&gf;
    char err[512];

    CHECK_INT(
        mcp_groupfile_load(FIXTURES "no-such-file", &gf, err, sizeof(err)), -1);
    CHECK(gf == NULL);
    CHECK(strstr(err, "no-such-file") != NULL);
    CHECK(strstr(err, "No such file") != NULL);

    CHECK_INT(mcp_groupfile_load(FIXTURES, &gf, err, sizeof(err)), -1);
    CHECK(strstr(err, "is a directory") != NULL);
    CHECK(strstr(err, FIXTURES) != NULL);

    CHECK_INT(mcp_groupfile_load("/dev/null", &gf, err, sizeof(err)), -1);
    CHECK(strstr(err, "not a regular file") != NULL);

    CHECK_INT(mcp_groupfile_load(FIXTURES "groups_no_colon.txt", &gf, err,
                                 sizeof(err)),
              -1);
    CHECK(strstr(err, "groups_no_colon.txt") != NULL);
    CHECK(strstr(err, "line 4") != NULL);
    CHECK(strstr(err, "':'") != NULL);

    CHECK_INT(mcp_groupfile_load(FIXTURES "groups_no_name.txt", &gf, err,
                                 sizeof(err)),
              -1);
    CHECK(strstr(err, "line 2") != NULL);

    CHECK_INT(mcp_groupfile_load("", &gf, err, sizeof(err)), -1);
    CHECK_INT(mcp_groupfile_load(NULL, &gf, err, sizeof(err)), -1);
    /* a short message buffer is enough not to crash */
    CHECK_INT(mcp_groupfile_load(FIXTURES "no-such-file", &gf, err, 8), -1);
    CHECK_INT(strlen(err), 7);
    CHECK_INT(mcp_groupfile_load(FIXTURES "no-such-file", &gf, NULL, 0), -1);
}

/* Writes len bytes to a new temporary file; its name goes to path. */
static int temp_file(char *path, const char *data, size_t len)
{
    int fd;

    strcpy(path, "/tmp/mcp-test-groups-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    if (len && write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    return close(fd);
}

static void test_groupfile_hostile(void)
{
    mcp_groupfile *gf = NULL;
    char path[64], err[512], buf[256];
    static const char with_nul[] = "a: x\nb: y\0z\n";
    int fd;

    CHECK_INT(temp_file(path, with_nul, sizeof(with_nul) - 1), 0);
    CHECK_INT(mcp_groupfile_load(path, &gf, err, sizeof(err)), -1);
    CHECK(strstr(err, "NUL") != NULL);
    CHECK(strstr(err, "line 2") != NULL);
    unlink(path);

    /* 16 MiB is accepted, one byte more is not (sparse files: fast) */
    CHECK_INT(temp_file(path, "", 0), 0);
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && ftruncate(fd, 16 * 1024 * 1024 + 1) == 0);
    close(fd);
    CHECK_INT(mcp_groupfile_load(path, &gf, err, sizeof(err)), -1);
    CHECK(strstr(err, "too large") != NULL);
    unlink(path);

    /* invalid UTF-8 and control bytes in a group name: the file loads,
     * the group is refused as a role and counted */
    {
        static const char bad_names[] = "bad\xff: u\nok\x01: u\ngood: u\n";
        CHECK_INT(temp_file(path, bad_names, sizeof(bad_names) - 1), 0);
    }
    CHECK_INT(mcp_groupfile_load(path, &gf, err, sizeof(err)), 0);
    {
        mcp_roles r;
        mcp_roles_init(&r);
        CHECK_INT(mcp_groupfile_groups_of(gf, "u", &r), 1);
        CHECK_INT(r.n, 1);
        CHECK_STR(r.items[0], "good");
        CHECK_INT(r.dropped, 2);
        mcp_roles_clear(&r);
    }
    mcp_groupfile_free(gf);
    unlink(path);

    /* an unterminated quote runs to the end of the line, as in httpd */
    CHECK_INT(temp_file(path, "g: \"a b\nh: c\n", 13), 0);
    CHECK_INT(mcp_groupfile_load(path, &gf, err, sizeof(err)), 0);
    CHECK_INT(groups_of(gf, "a b", buf, sizeof(buf)), 1);
    CHECK_INT(groups_of(gf, "c", buf, sizeof(buf)), 1);
    mcp_groupfile_free(gf);
    unlink(path);
}

/* Thousands of lines, several per group: every user finds every group. */
static void test_groupfile_large(void)
{
    const int n_groups = 2000, per_line = 20, lines_per_group = 2;
    size_t cap = 8 * 1024 * 1024, used = 0;
    char *text = malloc(cap);
    char path[64], err[512], user[32];
    mcp_groupfile *gf = NULL;
    int g, l, u, bad = 0;

    CHECK(text != NULL);
    if (text == NULL)
        return;
    for (l = 0; l < lines_per_group; l++) {
        for (g = 0; g < n_groups; g++) {
            used += (size_t)snprintf(text + used, cap - used, "group%d:", g);
            for (u = 0; u < per_line; u++)
                used += (size_t)snprintf(text + used, cap - used, " user%d",
                                         (g * 7 + u + l * per_line) % 5000);
            text[used++] = '\n';
        }
    }
    CHECK_INT(temp_file(path, text, used), 0);
    free(text);
    CHECK_INT(mcp_groupfile_load(path, &gf, err, sizeof(err)), 0);
    unlink(path);
    if (gf == NULL)
        return;
    /* user k belongs to group g when k - 7g mod 5000 lies in [0, 40) */
    for (u = 0; u < 5000; u++) {
        mcp_roles r;
        int want = 0, got;
        mcp_roles_init(&r);
        snprintf(user, sizeof(user), "user%d", u);
        got = mcp_groupfile_groups_of(gf, user, &r);
        for (g = 0; g < n_groups; g++) {
            int d = ((u - g * 7) % 5000 + 5000) % 5000;
            if (d < per_line * lines_per_group) {
                char name[32];
                snprintf(name, sizeof(name), "group%d", g);
                if (want < MCP_ROLES_MAX && !mcp_roles_contains(&r, name))
                    bad++;
                want++;
            }
        }
        if (got != (want < MCP_ROLES_MAX ? want : MCP_ROLES_MAX))
            bad++;
        mcp_roles_clear(&r);
    }
    CHECK_INT(bad, 0);
    mcp_groupfile_free(gf);
}

int main(void)
{
    test_validity();
    test_list();
    test_split();
    test_glob();
    test_policy();
    test_passable();
    test_groupfile();
    test_groupfile_errors();
    test_groupfile_hostile();
    test_groupfile_large();
    return UNIT_DONE("roles");
}
