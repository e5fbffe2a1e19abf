/*
 * mcp-token: the operator's tool for mod_mcp_credentials.
 *
 * It creates and exports RSA keys in the formats Atoti reads, mints and
 * verifies tokens with the same jwt/ unit the module links (so a token it
 * accepts is one the module accepts), prints the JWK Set, and appends to the
 * revocation file the module reads.
 *
 * Output discipline: stdout carries only what a script may capture (a token,
 * a property line, JSON); notes and errors go to stderr and never contain a
 * token or key material.  Private key material reaches stdout only through
 * the explicit atoti-properties command.
 *
 * Exit status: 0 done, 1 failed (key, token, file), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "duration.h"
#include "jwt.h"
#include "revocation.h"
#include "roles.h"
#include "timefmt.h"

#ifndef MCP_TOKEN_VERSION
#define MCP_TOKEN_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define DEFAULT_BITS 3072
/* OpenSSL's own ceiling for RSA key generation. */
#define MAX_BITS 16384
#define DEFAULT_LIFETIME "P30D"
#define DEFAULT_ISSUER "activeviam"
#define DEFAULT_LEEWAY 60
/* 9999-12-31T23:59:59Z: the last instant RFC 3339 can write, and far below
 * 2^53, so every NumericDate stays exact in a JSON double. */
#define LAST_RFC3339_SECOND INT64_C(253402300799)

static const char usage_text[] =
    "usage: mcp-token COMMAND [OPTIONS]\n"
    "\n"
    "Keys, tokens and the revocation list of mod_mcp_credentials.\n"
    "\n"
    "A key K is the path of a file holding an RSA key as PEM (PKCS#8, PKCS#1\n"
    "or SubjectPublicKeyInfo) or as Atoti's Base64 DER value, or the value\n"
    "itself given inline as \"base64:<Base64 DER>\" (inline values show in\n"
    "the process list: use it for public keys only).\n"
    "\n"
    "  keygen [--bits 3072] OUT.pem\n"
    "      Write a new RSA private key (PKCS#8 PEM, mode 0600, never over an\n"
    "      existing file) and print its public key as Atoti's property line\n"
    "      activeviam.jwt.key.public=<Base64 DER>.  At least 2048 bits.\n"
    "\n"
    "  atoti-properties --key K\n"
    "      Print activeviam.jwt.key.private=... and\n"
    "      activeviam.jwt.key.public=... for Atoti's configuration.\n"
    "      This prints the PRIVATE key: redirect it to a protected file.\n"
    "\n"
    "  mint --key K --sub NAME [--authority ROLE]... [--lifetime P30D]\n"
    "       [--iss activeviam] [--aud AUDIENCE]\n"
    "      Print an RS512 token signed with the private key K.  The lifetime\n"
    "      is a Spring Boot duration: P30D, PT12H, P1DT6H, 30d, 12h (days are\n"
    "      24 hours; years, months and weeks are refused; a bare number is\n"
    "      milliseconds).  The token's jti and expiry are noted on stderr.\n"
    "\n"
    "  verify --key K [--key K]... [--leeway 60] [--iss ISSUER]\n"
    "         [--aud AUDIENCE] -\n"
    "      Read a token from stdin (\"-\") and check it as the module does,\n"
    "      against every key given.  Valid: print {\"header\":...,\n"
    "      \"claims\":...} and exit 0.  Invalid: print \"invalid token: CODE:\n"
    "      TEXT\" on stderr and exit 1.  The token may replace \"-\" on the\n"
    "      command line, but there it shows in the process list.\n"
    "      --leeway is the clock-skew slack in seconds for exp and nbf.\n"
    "\n"
    "  jwks --key K [--key K]...\n"
    "      Print the JWK Set of the keys' public halves.\n"
    "\n"
    "  revoke --file FILE JTI\n"
    "  revoke --file FILE --sub NAME [--before TIME]\n"
    "      Add a line to the revocation file: the token with that jti, or\n"
    "      every token of NAME issued at or before TIME (RFC 3339, such as\n"
    "      2025-06-01T00:00:00Z; default now).  The file is created with mode\n"
    "      0644 when missing, and replaced by rename(), so httpd never reads\n"
    "      a half-written file.  The tool refuses to write a list the module\n"
    "      would not read.\n"
    "\n"
    "  help, --help     this text\n"
    "  --version        the version\n"
    "\n"
    "Options take their value as \"--opt VALUE\" or \"--opt=VALUE\".\n"
    "Exit status: 0 success, 1 failure (key, token, file), 2 bad usage.\n";

/* ------------------------------------------------------------------ */
/* Messages                                                             */
/* ------------------------------------------------------------------ */

#define PRINTF_LIKE __attribute__((format(printf, 1, 2)))

/* Every line on stderr, error or not, starts with the tool's name. */
static PRINTF_LIKE void say(const char *fmt, ...)
{
    va_list ap;
    fputs("mcp-token: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* An expression, so that `return fail(...)` reads naturally and analysers
 * see the status without looking into a variadic function. */
#define fail(...) (say(__VA_ARGS__), EXIT_FAIL)

/* One line, so that a script's log shows the whole complaint. */
static PRINTF_LIKE int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("mcp-token: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see mcp-token --help)\n", stderr);
    return EXIT_USAGE;
}

/* An inline key is key material: name it without its value. */
static const char *key_label(const char *spec)
{
    return strncmp(spec, "base64:", 7) == 0 ? "base64:..." : spec;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                            */
/* ------------------------------------------------------------------ */

enum opt {
    OPT_BITS,
    OPT_KEY,
    OPT_SUB,
    OPT_AUTHORITY,
    OPT_LIFETIME,
    OPT_ISS,
    OPT_AUD,
    OPT_LEEWAY,
    OPT_FILE,
    OPT_BEFORE,
    OPT_COUNT
};

static const char *const opt_names[OPT_COUNT] = {
    "bits", "key", "sub",    "authority", "lifetime",
    "iss",  "aud", "leeway", "file",      "before",
};

#define OPT_BIT(o) (1u << (o))
#define MAX_VALUES 64
#define MAX_POSITIONAL 4

struct args {
    const char *values[OPT_COUNT][MAX_VALUES];
    size_t n[OPT_COUNT];
    const char *pos[MAX_POSITIONAL];
    size_t n_pos;
};

struct command {
    const char *name;
    unsigned allowed;
    unsigned repeatable;
    size_t max_pos;
    int (*run)(const struct args *a);
};

static const char *opt_value(const struct args *a, enum opt o)
{
    return a->n[o] ? a->values[o][0] : NULL;
}

/* Option names are echoed in messages, never values or positionals: either
 * may be a token pasted in the wrong place. */
static int parse_args(const struct command *cmd, int argc, char **argv,
                      struct args *a, int *want_help)
{
    int only_positional = 0;

    memset(a, 0, sizeof *a);
    *want_help = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional &&
            (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            *want_help = 1;
            return EXIT_OK;
        }
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a->n_pos >= cmd->max_pos || a->n_pos >= MAX_POSITIONAL) {
                return usage_error("%s: too many arguments", cmd->name);
            }
            a->pos[a->n_pos++] = arg;
            continue;
        }
        if (arg[1] != '-') {
            return usage_error("%s: unknown option '%.2s'", cmd->name, arg);
        }

        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        int o;
        for (o = 0; o < OPT_COUNT; o++) {
            if (strlen(opt_names[o]) == name_len &&
                strncmp(opt_names[o], name, name_len) == 0) {
                break;
            }
        }
        if (o == OPT_COUNT || !(cmd->allowed & OPT_BIT(o))) {
            return usage_error("%s: unknown option '--%.*s'", cmd->name,
                               (int)(name_len > 40 ? 40 : name_len), name);
        }

        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return usage_error("%s: option --%s needs a value", cmd->name,
                               opt_names[o]);
        }
        if (a->n[o] > 0 && !(cmd->repeatable & OPT_BIT(o))) {
            return usage_error("%s: option --%s given twice", cmd->name,
                               opt_names[o]);
        }
        if (a->n[o] >= MAX_VALUES) {
            return usage_error("%s: option --%s given more than %d times",
                               cmd->name, opt_names[o], MAX_VALUES);
        }
        a->values[o][a->n[o]++] = value;
    }
    return EXIT_OK;
}

/* A decimal integer in [min, max], nothing else around it. */
static int parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (text[0] < '0' || text[0] > '9') {
        if (text[0] != '-' || text[1] < '0' || text[1] > '9') {
            return -1;
        }
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------ */
/* I/O and keys                                                         */
/* ------------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads fd to its end into buf (cap bytes).  Returns 0 at end of input,
 * 1 when the input is longer than cap, -1 on a read error. */
static int read_up_to(int fd, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    for (;;) {
        char probe;
        char *dst = *len < cap ? buf + *len : &probe;
        size_t room = *len < cap ? cap - *len : 1;
        ssize_t r = read(fd, dst, room);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (r == 0) {
            return 0;
        }
        if (dst == &probe) {
            return 1;
        }
        *len += (size_t)r;
    }
}

static int load_keys(const struct args *a, mcp_jwt_key **keys)
{
    char err[MCP_JWT_ERRLEN];

    for (size_t i = 0; i < a->n[OPT_KEY]; i++) {
        const char *spec = a->values[OPT_KEY][i];
        if (mcp_jwt_key_from_spec(spec, &keys[i], err, sizeof err) != 0) {
            while (i > 0) {
                mcp_jwt_key_free(keys[--i]);
            }
            /* The unit's message names the file (or "inline 'base64:'
             * key") without its content. */
            return fail("%s", err);
        }
    }
    return EXIT_OK;
}

static void free_keys(mcp_jwt_key **keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mcp_jwt_key_free(keys[i]);
    }
}

static int load_private_key(const struct args *a, const char *cmd,
                            mcp_jwt_key **key)
{
    const char *spec = opt_value(a, OPT_KEY);
    char err[MCP_JWT_ERRLEN];

    *key = NULL;
    if (!spec) {
        return usage_error("%s: --key is required", cmd);
    }
    if (mcp_jwt_key_from_spec(spec, key, err, sizeof err) != 0) {
        return fail("%s", err);
    }
    if (!mcp_jwt_key_is_private(*key)) {
        mcp_jwt_key_free(*key);
        *key = NULL;
        return fail("key %s is a public key: %s needs the private key",
                    key_label(spec), cmd);
    }
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* keygen                                                               */
/* ------------------------------------------------------------------ */

static int write_private_pem(const mcp_jwt_key *key, const char *path)
{
    char *pem = mcp_jwt_key_private_pem(key);
    int fd, rc = EXIT_OK;

    if (!pem) {
        return fail("cannot encode the private key");
    }
    /* O_EXCL: an existing key, or a symlink planted where the key goes,
     * is never overwritten. */
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST
                 ? fail("%s already exists: not overwriting a key", path)
                 : fail("cannot create %s: %s", path, strerror(errno));
        mcp_jwt_free_secret(pem);
        return rc;
    }
    /* The umask may only have narrowed 0600, but say exactly what we mean. */
    if (fchmod(fd, 0600) != 0 || write_all(fd, pem, strlen(pem)) != 0 ||
        fsync(fd) != 0) {
        rc = fail("cannot write %s: %s", path, strerror(errno));
    }
    if (close(fd) != 0 && rc == EXIT_OK) {
        rc = fail("cannot write %s: %s", path, strerror(errno));
    }
    if (rc != EXIT_OK) {
        unlink(path);
    }
    mcp_jwt_free_secret(pem);
    return rc;
}

static int cmd_keygen(const struct args *a)
{
    int64_t bits = DEFAULT_BITS;
    const char *bits_text = opt_value(a, OPT_BITS);
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN];
    char *pub;
    int rc;

    if (bits_text &&
        parse_int64(bits_text, MCP_JWT_MIN_RSA_BITS, MAX_BITS, &bits) != 0) {
        return usage_error("keygen: --bits must be a number from %d to %d",
                           MCP_JWT_MIN_RSA_BITS, MAX_BITS);
    }
    if (a->n_pos != 1) {
        return usage_error("keygen: give the output file: mcp-token keygen "
                           "[--bits N] OUT.pem");
    }
    /* Checked before the slow key generation; O_EXCL still decides. */
    if (access(a->pos[0], F_OK) == 0) {
        return fail("%s already exists: not overwriting a key", a->pos[0]);
    }
    if (mcp_jwt_key_generate((int)bits, &key, err, sizeof err) != 0) {
        return fail("cannot generate a key: %s", err);
    }
    pub = mcp_jwt_key_public_der_b64(key);
    if (!pub) {
        mcp_jwt_key_free(key);
        return fail("cannot encode the public key");
    }
    rc = write_private_pem(key, a->pos[0]);
    if (rc == EXIT_OK) {
        printf("activeviam.jwt.key.public=%s\n", pub);
        say("wrote a %d-bit RSA private key to %s (mode 0600), kid %s",
            mcp_jwt_key_bits(key), a->pos[0], mcp_jwt_key_kid(key));
    }
    free(pub);
    mcp_jwt_key_free(key);
    return rc;
}

/* ------------------------------------------------------------------ */
/* atoti-properties                                                     */
/* ------------------------------------------------------------------ */

/* Straight to the file descriptor: stdio would keep a copy of the private
 * key in a buffer that nothing wipes. */
static int write_property(const char *name, const char *value)
{
    return write_all(STDOUT_FILENO, name, strlen(name)) != 0 ||
                   write_all(STDOUT_FILENO, "=", 1) != 0 ||
                   write_all(STDOUT_FILENO, value, strlen(value)) != 0 ||
                   write_all(STDOUT_FILENO, "\n", 1) != 0
               ? -1
               : 0;
}

static int cmd_atoti_properties(const struct args *a)
{
    mcp_jwt_key *key;
    char *priv, *pub;
    int rc;

    if ((rc = load_private_key(a, "atoti-properties", &key)) != EXIT_OK) {
        return rc;
    }
    priv = mcp_jwt_key_private_der_b64(key);
    pub = mcp_jwt_key_public_der_b64(key);
    if (!priv || !pub) {
        rc = fail("cannot encode the key");
    } else {
        fflush(stdout);
        if (write_property("activeviam.jwt.key.private", priv) != 0 ||
            write_property("activeviam.jwt.key.public", pub) != 0) {
            rc = fail("cannot write to stdout: %s", strerror(errno));
        }
    }
    if (priv) {
        mcp_jwt_free_secret(priv);
    }
    free(pub);
    mcp_jwt_key_free(key);
    return rc;
}

/* ------------------------------------------------------------------ */
/* mint                                                                 */
/* ------------------------------------------------------------------ */

static int cmd_mint(const struct args *a)
{
    const char *sub = opt_value(a, OPT_SUB);
    const char *iss = opt_value(a, OPT_ISS);
    const char *aud = opt_value(a, OPT_AUD);
    const char *lifetime = opt_value(a, OPT_LIFETIME);
    const char *roles[MAX_VALUES];
    size_t n_roles = 0;
    mcp_duration life;
    mcp_duration_status dst;
    mcp_jwt_claims claims;
    mcp_jwt_key *key;
    char jti[37], exp_text[32], err[MCP_JWT_ERRLEN];
    char *token;
    int64_t now;
    int rc;

    if (!opt_value(a, OPT_KEY)) {
        return usage_error("mint: --key is required");
    }
    if (!sub) {
        return usage_error("mint: --sub is required");
    }
    if (sub[0] == '\0') {
        return usage_error("mint: --sub must not be empty");
    }
    if (!iss) {
        iss = DEFAULT_ISSUER;
    } else if (iss[0] == '\0') {
        return usage_error("mint: --iss must not be empty");
    }
    if (aud && aud[0] == '\0') {
        return usage_error("mint: --aud must not be empty");
    }
    /* The module's own rule, so the tool cannot mint what it would not. */
    for (size_t i = 0; i < a->n[OPT_AUTHORITY]; i++) {
        const char *role = a->values[OPT_AUTHORITY][i];
        size_t j;
        if (!mcp_role_is_passable(role, strlen(role))) {
            return usage_error("mint: --authority must be 1 to %d bytes of "
                               "UTF-8 without control characters, without "
                               "a comma and without a space at either end",
                               MCP_ROLE_MAX_LEN);
        }
        for (j = 0; j < n_roles && strcmp(roles[j], role) != 0; j++) {
        }
        if (j == n_roles) {
            roles[n_roles++] = role;
        }
    }
    if (!lifetime) {
        lifetime = DEFAULT_LIFETIME;
    }
    dst = mcp_duration_parse(lifetime, strlen(lifetime), &life);
    if (dst != MCP_DURATION_OK) {
        return usage_error("mint: --lifetime: %s",
                           mcp_duration_status_text(dst));
    }
    /* Sub-second parts cannot be expressed in a NumericDate. */
    if (!mcp_duration_is_positive(&life) || life.seconds < 1) {
        return usage_error("mint: --lifetime must be at least one second");
    }
    now = (int64_t)time(NULL);
    if (life.seconds > LAST_RFC3339_SECOND - now) {
        return usage_error("mint: --lifetime ends after the year 9999");
    }

    if ((rc = load_private_key(a, "mint", &key)) != EXIT_OK) {
        return rc;
    }
    if (mcp_jwt_new_jti(jti) != 0) {
        mcp_jwt_key_free(key);
        return fail("the random number generator failed");
    }
    claims = (mcp_jwt_claims){
        .sub = sub,
        .iss = iss,
        .aud = aud,
        .jti = jti,
        .iat = now,
        .nbf = now,
        .exp = now + life.seconds,
        .authorities = n_roles ? roles : NULL,
        .n_authorities = n_roles,
    };
    token = mcp_jwt_mint(key, &claims, err, sizeof err);
    mcp_jwt_key_free(key);
    if (!token) {
        return fail("cannot sign: %s", err);
    }
    printf("%s\n", token);
    mcp_jwt_free_secret(token);
    if (mcp_rfc3339_format_utc(claims.exp, exp_text, sizeof exp_text) != 0) {
        snprintf(exp_text, sizeof exp_text, "%lld", (long long)claims.exp);
    }
    say("minted a token for '%s', jti %s, expires %s", sub, jti, exp_text);
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* verify                                                               */
/* ------------------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int print_verified(const mcp_jwt_verified *v)
{
    cJSON *out = cJSON_CreateObject();
    char *text = NULL;
    int rc = EXIT_OK;

    /* References: the trees stay owned by v and are freed once, there. */
    if (!out || !cJSON_AddItemReferenceToObject(out, "header", v->header) ||
        !cJSON_AddItemReferenceToObject(out, "claims", v->payload) ||
        !(text = cJSON_Print(out))) {
        rc = fail("out of memory");
    } else {
        printf("%s\n", text);
    }
    cJSON_free(text);
    cJSON_Delete(out);
    return rc;
}

static int cmd_verify(const struct args *a)
{
    mcp_jwt_key *keys[MAX_VALUES];
    size_t n_keys = a->n[OPT_KEY];
    const char *leeway_text = opt_value(a, OPT_LEEWAY);
    int64_t leeway = DEFAULT_LEEWAY;
    /* One byte over the limit is enough to be refused as too long. */
    static char stdin_buf[MCP_JWT_MAX_TOKEN_LEN + 1];
    const char *token;
    size_t len;
    mcp_jwt_verify_opts opts;
    mcp_jwt_verified v;
    mcp_jwt_status st;
    int too_long = 0, rc;

    if (n_keys == 0) {
        return usage_error("verify: --key is required");
    }
    if (leeway_text && parse_int64(leeway_text, 0, INT32_MAX, &leeway) != 0) {
        return usage_error("verify: --leeway must be a number of seconds");
    }
    if (a->n_pos != 1) {
        return usage_error("verify: give the token: '-' reads it from stdin");
    }
    if ((rc = load_keys(a, keys)) != EXIT_OK) {
        return rc;
    }

    if (strcmp(a->pos[0], "-") == 0) {
        int r = read_up_to(STDIN_FILENO, stdin_buf, sizeof stdin_buf, &len);
        if (r < 0) {
            free_keys(keys, n_keys);
            return fail("cannot read stdin: %s", strerror(errno));
        }
        too_long = r > 0;
        token = stdin_buf;
    } else {
        token = a->pos[0];
        len = strlen(token);
    }
    /* What a terminal or `echo` adds around a pasted token. */
    while (len > 0 && is_space(token[0])) {
        token++;
        len--;
    }
    while (len > 0 && is_space(token[len - 1])) {
        len--;
    }

    opts = (mcp_jwt_verify_opts){
        .now = (int64_t)time(NULL),
        .leeway = leeway,
        .issuer = opt_value(a, OPT_ISS),
        .audience = opt_value(a, OPT_AUD),
        .max_len = 0,
        .require_exp = 1,
    };
    st = too_long ? MCP_JWT_ERR_TOO_LONG
                  : mcp_jwt_verify(token, len, (const mcp_jwt_key *const *)keys,
                                   n_keys, &opts, &v);
    if (st == MCP_JWT_OK) {
        rc = print_verified(&v);
        mcp_jwt_verified_clear(&v);
    } else {
        fprintf(stderr, "invalid token: %s: %s\n", mcp_jwt_status_code(st),
                mcp_jwt_status_text(st));
        rc = EXIT_FAIL;
    }
    OPENSSL_cleanse(stdin_buf, sizeof stdin_buf);
    free_keys(keys, n_keys);
    return rc;
}

/* ------------------------------------------------------------------ */
/* jwks                                                                 */
/* ------------------------------------------------------------------ */

static int cmd_jwks(const struct args *a)
{
    mcp_jwt_key *keys[MAX_VALUES];
    size_t n_keys = a->n[OPT_KEY];
    char *json;
    int rc;

    if (n_keys == 0) {
        return usage_error("jwks: --key is required");
    }
    if ((rc = load_keys(a, keys)) != EXIT_OK) {
        return rc;
    }
    json = mcp_jwt_jwks_json((const mcp_jwt_key *const *)keys, n_keys);
    if (!json) {
        rc = fail("cannot encode the JWK Set");
    } else {
        printf("%s\n", json);
        free(json);
    }
    free_keys(keys, n_keys);
    return rc;
}

/* ------------------------------------------------------------------ */
/* revoke                                                               */
/* ------------------------------------------------------------------ */

/* Whether the module's parser reads line as exactly one entry: the tool's
 * rules for an entry are the module's, not a copy of them that could drift.
 * why gets the parser's reason, without its "line 1: ". */
static int is_one_entry(const char *line, char *why, size_t whylen)
{
    mcp_revocation *list = NULL;
    char err[256];
    size_t count;

    if (mcp_revocation_parse(line, strlen(line), &list, err, sizeof err) != 0) {
        const char *reason = strncmp(err, "line 1: ", 8) == 0 ? err + 8 : err;
        snprintf(why, whylen, "%s", reason);
        return 0;
    }
    count = mcp_revocation_count(list);
    mcp_revocation_free(list);
    if (count != 1) {
        snprintf(why, whylen, "it would read as a comment");
        return 0;
    }
    return 1;
}

/* Reads a whole regular file, growing the buffer as it goes: the size
 * fstat() reports may change under a concurrent editor.  The buffer keeps
 * room for `extra` more bytes. */
static int read_file_fd(int fd, const char *path, size_t extra, char **out,
                        size_t *len)
{
    struct stat st;
    size_t cap = 4096;
    char *buf = NULL;

    if (fstat(fd, &st) != 0) {
        return fail("cannot read %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail("%s is not a regular file", path);
    }
    *len = 0;
    for (;;) {
        if (!buf || *len == cap) {
            char *grown;
            if (buf) {
                if (cap > MCP_REVOCATION_MAX_FILE) {
                    free(buf);
                    return fail("%s is larger than the %d bytes the module "
                                "reads",
                                path, MCP_REVOCATION_MAX_FILE);
                }
                cap *= 2;
            }
            grown = realloc(buf, cap + extra);
            if (!grown) {
                free(buf);
                return fail("out of memory");
            }
            buf = grown;
        }
        ssize_t r = read(fd, buf + *len, cap - *len);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            free(buf);
            return fail("cannot read %s: %s", path, strerror(errno));
        }
        if (r == 0) {
            break;
        }
        *len += (size_t)r;
    }
    *out = buf;
    return EXIT_OK;
}

static int has_line(const char *text, size_t len, const char *line)
{
    size_t n = strlen(line);

    for (size_t i = 0; i < len;) {
        const char *eol = memchr(text + i, '\n', len - i);
        size_t end = eol ? (size_t)(eol - text) : len;
        size_t l = end - i;
        if (l > 0 && text[i + l - 1] == '\r') {
            l--;
        }
        if (l == n && memcmp(text + i, line, n) == 0) {
            return 1;
        }
        i = end + 1;
    }
    return 0;
}

static const char revocation_header[] =
    "# mod_mcp_credentials revocation list: one token id (jti) per line,\n"
    "# or \"sub <name> <RFC 3339 time>\" for the tokens of <name> issued at "
    "or\n# before then (spaces in <name> as %20, '%' as %25).\n";

/* Splits path into a directory and a base name, following a symlink first:
 * replacing a symlink with a regular file would detach it from where the
 * configuration points. */
static int resolve_target(const char *path, char **target, char **dir,
                          const char **base)
{
    struct stat st;
    char *slash;

    *target = realpath(path, NULL);
    if (!*target) {
        if (errno != ENOENT) {
            return fail("cannot resolve %s: %s", path, strerror(errno));
        }
        if (lstat(path, &st) == 0) {
            return fail("%s is a symbolic link to a missing file", path);
        }
        if (!(*target = strdup(path))) {
            return fail("out of memory");
        }
    }
    if (!(*dir = strdup(*target))) {
        return fail("out of memory");
    }
    slash = strrchr(*dir, '/');
    if (!slash) {
        strcpy(*dir, ".");
        *base = *target;
    } else {
        *base = *target + (slash - *dir) + 1;
        slash[slash == *dir ? 1 : 0] = '\0';
    }
    if ((*base)[0] == '\0') {
        return fail("%s names a directory, not a file", path);
    }
    return EXIT_OK;
}

/* Writes text to a new file in dir and renames it over target, with the
 * given mode and, when owner is set and we are root, its owner. */
static int replace_file(const char *dir, const char *base, const char *target,
                        const char *text, size_t len, mode_t mode,
                        const struct stat *owner)
{
    size_t tlen = strlen(dir) + strlen(base) + 16;
    char *tmp = malloc(tlen);
    int fd, rc = EXIT_FAIL;

    if (!tmp) {
        return fail("out of memory");
    }
    /* Hidden, so no glob over the directory picks it up. */
    snprintf(tmp, tlen, "%s/.%s.XXXXXX", dir, base);
    fd = mkstemp(tmp);
    if (fd < 0) {
        say("cannot create a file in %s: %s", dir, strerror(errno));
        free(tmp);
        return EXIT_FAIL;
    }
    if (fchmod(fd, mode) != 0) {
        say("cannot set the mode of %s: %s", tmp, strerror(errno));
    } else if (owner && geteuid() == 0 &&
               fchown(fd, owner->st_uid, owner->st_gid) != 0) {
        say("cannot set the owner of %s: %s", tmp, strerror(errno));
    } else if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        say("cannot write %s: %s", tmp, strerror(errno));
    } else {
        rc = EXIT_OK;
    }
    if (close(fd) != 0 && rc == EXIT_OK) {
        rc = fail("cannot write %s: %s", tmp, strerror(errno));
    }
    if (rc == EXIT_OK && rename(tmp, target) != 0) {
        rc = fail("cannot replace %s: %s", target, strerror(errno));
    }
    if (rc != EXIT_OK) {
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

/*
 * Appends line to the file at path by writing a complete new copy beside it
 * and renaming it into place: httpd, which may read the file at any moment,
 * sees the old or the new content and never a part.  A lock on the
 * directory keeps two concurrent runs from losing each other's line.  The
 * new content goes through the module's own parser first, so the tool never
 * writes a list the module would refuse.
 */
static int append_line(const char *path, const char *line)
{
    char *target = NULL, *dir = NULL, *text = NULL;
    const char *base = NULL;
    size_t len = 0, line_len = strlen(line);
    /* Room for a missing final newline, the line and its newline. */
    size_t extra = line_len + 2;
    struct stat st;
    mcp_revocation *list = NULL;
    char err[256];
    int exists = 0, dfd = -1, fd = -1, rc = EXIT_FAIL;

    if (resolve_target(path, &target, &dir, &base) != EXIT_OK) {
        goto out;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        say("cannot open the directory %s: %s", dir, strerror(errno));
        goto out;
    }
    if (flock(dfd, LOCK_EX) != 0) {
        say("cannot lock the directory %s: %s", dir, strerror(errno));
        goto out;
    }

    fd = open(target, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        exists = 1;
        if (read_file_fd(fd, path, extra, &text, &len) != EXIT_OK) {
            goto out;
        }
        if (fstat(fd, &st) != 0) {
            say("cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (mcp_revocation_parse(text, len, &list, err, sizeof err) != 0) {
            say("%s is not a revocation list the module reads (%s): fix "
                "it first",
                path, err);
            goto out;
        }
        mcp_revocation_free(list);
        list = NULL;
        if (has_line(text, len, line)) {
            say("%s already holds the line '%s'", path, line);
            rc = EXIT_OK;
            goto out;
        }
        if (len > 0 && text[len - 1] != '\n') {
            text[len++] = '\n';
        }
    } else if (errno == ENOENT) {
        len = sizeof revocation_header - 1;
        if (!(text = malloc(len + extra))) {
            say("out of memory");
            goto out;
        }
        memcpy(text, revocation_header, len);
    } else {
        say("cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    memcpy(text + len, line, line_len);
    len += line_len;
    text[len++] = '\n';

    if (len > MCP_REVOCATION_MAX_FILE) {
        say("%s would grow beyond the %d bytes the module reads", path,
            MCP_REVOCATION_MAX_FILE);
        goto out;
    }
    if (mcp_revocation_parse(text, len, &list, err, sizeof err) != 0) {
        say("the module would not read the new entry (%s)", err);
        goto out;
    }
    if (replace_file(dir, base, target, text, len,
                     exists ? (st.st_mode & 07777) : 0644,
                     exists ? &st : NULL) != EXIT_OK) {
        goto out;
    }
    /* The rename itself must survive a crash too. */
    (void)fsync(dfd);
    say("%s %s: %s", exists ? "added to" : "created", path, line);
    rc = EXIT_OK;

out:
    mcp_revocation_free(list);
    if (fd >= 0) {
        close(fd);
    }
    if (dfd >= 0) {
        close(dfd);
    }
    free(text);
    free(dir);
    free(target);
    return rc;
}

static int cmd_revoke(const struct args *a)
{
    const char *file = opt_value(a, OPT_FILE);
    const char *sub = opt_value(a, OPT_SUB);
    const char *before = opt_value(a, OPT_BEFORE);
    char *line, *escaped;
    char when[32], why[256];
    size_t size;
    int64_t t;
    int rc;

    if (!file) {
        return usage_error("revoke: --file is required");
    }
    if (file[0] == '\0') {
        return usage_error("revoke: --file must not be empty");
    }
    if ((a->n_pos == 1) == (sub != NULL)) {
        return usage_error("revoke: give either a JTI or --sub NAME");
    }
    if (before && !sub) {
        return usage_error("revoke: --before goes with --sub");
    }
    if (!sub) {
        if (!is_one_entry(a->pos[0], why, sizeof why)) {
            return usage_error("revoke: not a token id the module can list: "
                               "%s",
                               why);
        }
        return append_line(file, a->pos[0]);
    }

    if (sub[0] == '\0') {
        return usage_error("revoke: --sub must not be empty");
    }
    if (before) {
        if (mcp_rfc3339_parse(before, strlen(before), &t) != 0) {
            return usage_error("revoke: --before must be an RFC 3339 time "
                               "such as 2025-06-01T00:00:00Z");
        }
    } else {
        t = (int64_t)time(NULL);
    }
    if (mcp_rfc3339_format_utc(t, when, sizeof when) != 0) {
        return usage_error("revoke: --before is out of range");
    }
    size = 3 * strlen(sub) + 1;
    escaped = malloc(size);
    line = malloc(size + sizeof when + 8);
    if (!escaped || !line) {
        free(escaped);
        free(line);
        return fail("out of memory");
    }
    mcp_revocation_escape_sub(sub, escaped);
    snprintf(line, size + sizeof when + 8, "sub %s %s", escaped, when);
    rc = is_one_entry(line, why, sizeof why)
             ? append_line(file, line)
             : usage_error("revoke: not a user name the module can list: %s",
                           why);
    free(escaped);
    free(line);
    return rc;
}

/* ------------------------------------------------------------------ */
/* main                                                                 */
/* ------------------------------------------------------------------ */

static const struct command commands[] = {
    {"keygen", OPT_BIT(OPT_BITS), 0, 1, cmd_keygen},
    {"atoti-properties", OPT_BIT(OPT_KEY), 0, 0, cmd_atoti_properties},
    {"mint",
     OPT_BIT(OPT_KEY) | OPT_BIT(OPT_SUB) | OPT_BIT(OPT_AUTHORITY) |
         OPT_BIT(OPT_LIFETIME) | OPT_BIT(OPT_ISS) | OPT_BIT(OPT_AUD),
     OPT_BIT(OPT_AUTHORITY), 0, cmd_mint},
    {"verify",
     OPT_BIT(OPT_KEY) | OPT_BIT(OPT_LEEWAY) | OPT_BIT(OPT_ISS) |
         OPT_BIT(OPT_AUD),
     OPT_BIT(OPT_KEY), 1, cmd_verify},
    {"jwks", OPT_BIT(OPT_KEY), OPT_BIT(OPT_KEY), 0, cmd_jwks},
    {"revoke", OPT_BIT(OPT_FILE) | OPT_BIT(OPT_SUB) | OPT_BIT(OPT_BEFORE), 0, 1,
     cmd_revoke},
};

int main(int argc, char **argv)
{
    const struct command *cmd = NULL;
    struct args a;
    int want_help, rc;

    if (argc < 2) {
        return usage_error("missing command");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mcp-token %s\n", MCP_TOKEN_VERSION);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            cmd = &commands[i];
        }
    }
    if (!cmd) {
        return usage_error(argv[1][0] == '-' ? "unknown option '%.40s'"
                                             : "unknown command '%.40s'",
                           argv[1]);
    }
    if ((rc = parse_args(cmd, argc - 2, argv + 2, &a, &want_help)) != EXIT_OK) {
        return rc;
    }
    if (want_help) {
        fputs(usage_text, stdout);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    rc = cmd->run(&a);
    /* A full disk or a closed pipe must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        return fail("cannot write to stdout: %s", strerror(errno));
    }
    return rc;
}
