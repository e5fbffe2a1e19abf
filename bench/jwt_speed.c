/*
 * The jwt/ unit on its own, without httpd: what a mint (jti, claims JSON,
 * base64url, RS512 signature) and a verification (split, decode, header
 * and payload JSON, signature, claims) cost next to the bare RSA operation
 * that bench/rsa_speed.c measures.  The difference is the unit's own
 * overhead; what the httpd figures add beyond it is httpd's.
 *
 *   jwt_speed --key KEY.pem [--threads T] [--seconds S] [--op mint|verify]
 *             [--count K]
 *
 * Prints one line in rsa_speed's format:
 * op=verify bits=3072 threads=1 seconds=2.00 ops=... per_sec=...
 * cpu_us_per_op=...
 *
 * --count K, as in rsa_speed: no clock and no threads; two operations to
 * warm up, then exactly K in counted_ops(), the function that
 * valgrind --tool=callgrind --toggle-collect=counted_ops counts.
 * Prints: op=mint bits=3072 count=K
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "jwt.h"

#define MAX_THREADS 64

typedef struct {
    const mcp_jwt_key *key;
    int verify;
    const char *token;
    size_t token_len;
    atomic_int go;
    atomic_int ready;
} shared_state;

typedef struct {
    shared_state *st;
    pthread_t tid;
    unsigned long ops;
    int failed;
} worker;

static const char *const authorities[] = {"ROLE_USER"};

/* The claims mcp_mint() gives a token: a fresh jti each time. */
static char *mint_one(const mcp_jwt_key *key)
{
    char jti[37], err[MCP_JWT_ERRLEN];
    mcp_jwt_claims claims;
    int64_t now = (int64_t)time(NULL);

    if (mcp_jwt_new_jti(jti) != 0)
        return NULL;
    memset(&claims, 0, sizeof(claims));
    claims.sub = "bench";
    claims.iss = "activeviam";
    claims.jti = jti;
    claims.iat = now;
    claims.nbf = now;
    claims.exp = now + 7 * 86400;
    claims.authorities = authorities;
    claims.n_authorities = 1;
    return mcp_jwt_mint(key, &claims, err, sizeof(err));
}

static int verify_one(const shared_state *st)
{
    const mcp_jwt_key *ring[1];
    mcp_jwt_verify_opts opts;
    mcp_jwt_verified v;
    mcp_jwt_status s;

    ring[0] = st->key;
    memset(&opts, 0, sizeof(opts));
    opts.now = (int64_t)time(NULL);
    opts.leeway = 60;
    opts.issuer = "activeviam";
    opts.require_exp = 1;
    s = mcp_jwt_verify(st->token, st->token_len, ring, 1, &opts, &v);
    if (s != MCP_JWT_OK)
        return 0;
    mcp_jwt_verified_clear(&v);
    return 1;
}

/* One operation, as the threads' loop does it: 1 done, 0 failed. */
static int do_op(const shared_state *st)
{
    char *token;

    if (st->verify)
        return verify_one(st);
    token = mint_one(st->key);
    free(token);
    return token != NULL;
}

/* K operations, not inlined: the one function callgrind counts. */
__attribute__((noinline)) static int counted_ops(const shared_state *st,
                                                 unsigned long k)
{
    for (unsigned long i = 0; i < k; i++)
        if (!do_op(st))
            return 0;
    return 1;
}

static void *run(void *arg)
{
    worker *w = arg;
    shared_state *st = w->st;

    atomic_fetch_add(&st->ready, 1);
    while (atomic_load(&st->go) == 0)
        ;
    while (atomic_load_explicit(&st->go, memory_order_relaxed) == 1) {
        if (!do_op(st)) {
            w->failed = 1;
            break;
        }
        w->ops++;
    }
    return NULL;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_sec(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: jwt_speed --key KEY.pem [--threads T] "
                    "[--seconds S] [--op mint|verify] [--count K]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *key_path = NULL;
    int threads = 1, i, failed = 0;
    double seconds = 5.0, t0, t1, c0, c1;
    char err[MCP_JWT_ERRLEN];
    mcp_jwt_key *key = NULL;
    char *token = NULL;
    shared_state st;
    worker w[MAX_THREADS];
    unsigned long total = 0, count = 0;

    memset(&st, 0, sizeof(st));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--key"))
            key_path = v;
        else if (!strcmp(a, "--threads"))
            threads = atoi(v);
        else if (!strcmp(a, "--seconds"))
            seconds = atof(v);
        else if (!strcmp(a, "--count") && atol(v) > 0)
            count = (unsigned long)atol(v);
        else if (!strcmp(a, "--op") &&
                 (!strcmp(v, "mint") || !strcmp(v, "verify")))
            st.verify = !strcmp(v, "verify");
        else
            usage();
        i++;
    }
    if (!key_path || threads < 1 || threads > MAX_THREADS || seconds <= 0)
        usage();
    if (mcp_jwt_key_from_file(key_path, &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "jwt_speed: %s\n", err);
        return 1;
    }
    st.key = key;
    if (st.verify) {
        token = mint_one(key);
        if (!token) {
            fprintf(stderr, "jwt_speed: cannot mint a token to verify\n");
            return 1;
        }
        st.token = token;
        st.token_len = strlen(token);
        if (!verify_one(&st)) {
            fprintf(stderr, "jwt_speed: the token does not verify\n");
            return 1;
        }
    }

    if (count) {
        if (!do_op(&st) || !do_op(&st) || !counted_ops(&st, count)) {
            fprintf(stderr, "jwt_speed: an operation failed\n");
            return 1;
        }
        printf("op=%s bits=%d count=%lu\n", st.verify ? "verify" : "mint",
               mcp_jwt_key_bits(key), count);
        free(token);
        mcp_jwt_key_free(key);
        return 0;
    }

    for (i = 0; i < threads; i++) {
        w[i].st = &st;
        w[i].ops = 0;
        w[i].failed = 0;
        if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "jwt_speed: cannot start thread %d\n", i);
            return 1;
        }
    }
    while (atomic_load(&st.ready) < threads) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    t0 = now_sec();
    c0 = cpu_sec();
    atomic_store(&st.go, 1);
    {
        struct timespec ts;
        ts.tv_sec = (time_t)seconds;
        ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    atomic_store(&st.go, 2);
    for (i = 0; i < threads; i++) {
        pthread_join(w[i].tid, NULL);
        total += w[i].ops;
        failed |= w[i].failed;
    }
    t1 = now_sec();
    c1 = cpu_sec();
    if (failed) {
        fprintf(stderr, "jwt_speed: an operation failed\n");
        return 1;
    }
    printf("op=%s bits=%d threads=%d seconds=%.2f ops=%lu per_sec=%.1f "
           "cpu_us_per_op=%.1f\n",
           st.verify ? "verify" : "mint", mcp_jwt_key_bits(key), threads,
           t1 - t0, total, (double)total / (t1 - t0),
           total ? (c1 - c0) * 1e6 / total : 0.0);
    free(token);
    mcp_jwt_key_free(key);
    return 0;
}
