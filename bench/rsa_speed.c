/*
 * The raw RS512 rate of a key on this machine: the ceiling the token
 * endpoint (one signature per mint) and AuthType mcp-bearer (one
 * verification per request) are measured against.
 *
 *   rsa_speed --key KEY.pem [--threads T] [--seconds S] [--op sign|verify]
 *             [--setup init|copy|fetched] [--len N] [--count K]
 *
 * T threads share one EVP_PKEY, each with its own EVP_MD_CTX, as the
 * module's threads do.  --setup copy (the default) initialises a context
 * once per thread (EVP_DigestSignInit, RSA_PKCS1_PADDING) and copies it
 * before each EVP_DigestSign, finished in place
 * (EVP_MD_CTX_FLAG_FINALISE): the cheapest way OpenSSL 3.0 offers, and
 * what jwt/prepared.c does (there the copy is made under the key's lock,
 * since the threads share the prepared context); --setup init initialises
 * the context for every signature, as jwt/ did until the contexts were
 * prepared; --setup fetched initialises per signature as init does, but
 * with a SHA-512 fetched once (EVP_MD_fetch) instead of EVP_sha512(),
 * which OpenSSL 3 looks up again at every initialisation.  The message
 * is N bytes (default 320, about the signing input of a minted token).
 *
 * Prints one line: op=sign bits=3072 threads=2 setup=init seconds=5.00
 * ops=3512 per_sec=702.4 cpu_us_per_op=2841.2
 * where cpu_us_per_op is the process's CPU time (user + system) per
 * operation: on a shared machine it moves much less than the rate does.
 *
 * --count K: no clock and no threads, for a count of instructions
 * (bench/icount.sh): two operations to warm the key up (its Montgomery
 * contexts and blinding), then exactly K in counted_ops(), the one
 * function valgrind --tool=callgrind --toggle-collect=counted_ops counts.
 * Prints: op=sign bits=3072 setup=init count=K
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

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define MAX_THREADS 64

typedef struct {
    EVP_PKEY *pkey;
    int verify;
    int copy_setup;
    EVP_MD *md; /* NULL: EVP_sha512() */
    const unsigned char *msg;
    size_t msg_len;
    const unsigned char *sig; /* for verify: a valid signature of msg */
    size_t sig_len;
    atomic_int go;   /* 1: run, 2: stop */
    atomic_int ready;
} shared_state;

typedef struct {
    shared_state *st;
    pthread_t tid;
    unsigned long ops;
    int failed;
} worker;

static int init_ctx(EVP_MD_CTX *ctx, const shared_state *st)
{
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = st->md ? st->md : EVP_sha512();
    int ok = st->verify
                 ? EVP_DigestVerifyInit(ctx, &pctx, md, NULL, st->pkey)
                 : EVP_DigestSignInit(ctx, &pctx, md, NULL, st->pkey);
    return ok == 1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
}

static int one_op(EVP_MD_CTX *ctx, const shared_state *st, unsigned char *sig)
{
    size_t sig_len = st->sig_len;
    if (st->verify)
        return EVP_DigestVerify(ctx, st->sig, st->sig_len, st->msg,
                                st->msg_len) == 1;
    return EVP_DigestSign(ctx, sig, &sig_len, st->msg, st->msg_len) == 1 &&
           sig_len == st->sig_len;
}

/* K operations, each set up as the threads' loop sets them up. */
static int do_ops(EVP_MD_CTX *ctx, EVP_MD_CTX *tmpl, const shared_state *st,
                  unsigned char *sig, unsigned long k)
{
    for (unsigned long i = 0; i < k; i++) {
        int ok = st->copy_setup ? EVP_MD_CTX_copy_ex(ctx, tmpl) == 1
                                : init_ctx(ctx, st);
        /* A copy is finished in place, as jwt/prepared.c has it. */
        if (ok && st->copy_setup)
            EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
        if (!ok || !one_op(ctx, st, sig))
            return 0;
    }
    return 1;
}

/* The same, not inlined: the one function callgrind counts. */
__attribute__((noinline)) static int counted_ops(EVP_MD_CTX *ctx,
                                                 EVP_MD_CTX *tmpl,
                                                 const shared_state *st,
                                                 unsigned char *sig,
                                                 unsigned long k)
{
    return do_ops(ctx, tmpl, st, sig, k);
}

/* --count: two operations to warm up, then K counted ones, on this
 * thread. */
static int run_counted(const shared_state *st, unsigned long k)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD_CTX *tmpl = EVP_MD_CTX_new();
    unsigned char *sig = malloc(st->sig_len);
    int ok = ctx && tmpl && sig && (!st->copy_setup || init_ctx(tmpl, st)) &&
             do_ops(ctx, tmpl, st, sig, 2) &&
             counted_ops(ctx, tmpl, st, sig, k);

    free(sig);
    EVP_MD_CTX_free(tmpl);
    EVP_MD_CTX_free(ctx);
    return ok;
}

static void *run(void *arg)
{
    worker *w = arg;
    shared_state *st = w->st;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD_CTX *tmpl = EVP_MD_CTX_new();
    unsigned char *sig = malloc(st->sig_len);

    if (!ctx || !tmpl || !sig || (st->copy_setup && !init_ctx(tmpl, st))) {
        w->failed = 1;
        atomic_fetch_add(&st->ready, 1);
        goto out;
    }
    atomic_fetch_add(&st->ready, 1);
    while (atomic_load(&st->go) == 0)
        ;
    while (atomic_load_explicit(&st->go, memory_order_relaxed) == 1) {
        if (!do_ops(ctx, tmpl, st, sig, 1)) {
            w->failed = 1;
            break;
        }
        w->ops++;
    }
out:
    free(sig);
    EVP_MD_CTX_free(tmpl);
    EVP_MD_CTX_free(ctx);
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

static EVP_PKEY *load_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *pkey;
    if (!f) {
        fprintf(stderr, "rsa_speed: cannot open %s: %s\n", path,
                strerror(errno));
        return NULL;
    }
    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        fprintf(stderr, "rsa_speed: %s is not an RSA private key in PEM\n",
                path);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

static void usage(void)
{
    fprintf(stderr, "usage: rsa_speed --key KEY.pem [--threads T] "
                    "[--seconds S] [--op sign|verify] "
                    "[--setup init|copy|fetched] "
                    "[--len N] [--count K]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *key_path = NULL;
    int threads = 1;
    double seconds = 5.0, t0, t1, c0, c1;
    size_t len = 320;
    shared_state st;
    worker w[MAX_THREADS];
    unsigned long total = 0;
    unsigned char *msg;
    int i, failed = 0, fetched = 0;
    unsigned long count = 0;

    memset(&st, 0, sizeof(st));
    st.copy_setup = 1;
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
        else if (!strcmp(a, "--len"))
            len = (size_t)atol(v);
        else if (!strcmp(a, "--count") && atol(v) > 0)
            count = (unsigned long)atol(v);
        else if (!strcmp(a, "--op") && (!strcmp(v, "sign") || !strcmp(v, "verify")))
            st.verify = !strcmp(v, "verify");
        else if (!strcmp(a, "--setup") && !strcmp(v, "init"))
            st.copy_setup = 0;
        else if (!strcmp(a, "--setup") && !strcmp(v, "copy"))
            st.copy_setup = 1;
        else if (!strcmp(a, "--setup") && !strcmp(v, "fetched")) {
            st.copy_setup = 0;
            fetched = 1;
        }
        else
            usage();
        i++;
    }
    if (!key_path || threads < 1 || threads > MAX_THREADS || seconds <= 0 ||
        len == 0 || len > 1 << 20)
        usage();

    st.pkey = load_key(key_path);
    if (!st.pkey)
        return 1;
    if (fetched && !(st.md = EVP_MD_fetch(NULL, "SHA512", NULL))) {
        fprintf(stderr, "rsa_speed: cannot fetch SHA512\n");
        return 1;
    }
    st.sig_len = (size_t)EVP_PKEY_get_size(st.pkey);
    msg = malloc(len);
    if (!msg)
        return 1;
    /* base64url-looking bytes, like a real signing input */
    for (size_t k = 0; k < len; k++)
        msg[k] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            [(k * 7 + 3) % 64];
    st.msg = msg;
    st.msg_len = len;
    if (st.verify) {
        /* One real signature to verify over and over. */
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char *sig = malloc(st.sig_len);
        shared_state signer = st;
        signer.verify = 0;
        if (!ctx || !sig || !init_ctx(ctx, &signer) ||
            !one_op(ctx, &signer, sig)) {
            fprintf(stderr, "rsa_speed: cannot make a signature to verify\n");
            ERR_print_errors_fp(stderr);
            return 1;
        }
        EVP_MD_CTX_free(ctx);
        st.sig = sig;
    }

    if (count) {
        if (!run_counted(&st, count)) {
            fprintf(stderr, "rsa_speed: an operation failed\n");
            ERR_print_errors_fp(stderr);
            return 1;
        }
        printf("op=%s bits=%d setup=%s count=%lu\n",
               st.verify ? "verify" : "sign", EVP_PKEY_get_bits(st.pkey),
               st.copy_setup ? "copy" : st.md ? "fetched" : "init", count);
        free((void *)st.sig);
        EVP_MD_free(st.md);
        free(msg);
        EVP_PKEY_free(st.pkey);
        return 0;
    }

    for (i = 0; i < threads; i++) {
        w[i].st = &st;
        w[i].ops = 0;
        w[i].failed = 0;
        if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "rsa_speed: cannot start thread %d\n", i);
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
        fprintf(stderr, "rsa_speed: an operation failed\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    printf("op=%s bits=%d threads=%d setup=%s seconds=%.2f ops=%lu "
           "per_sec=%.1f cpu_us_per_op=%.1f\n",
           st.verify ? "verify" : "sign", EVP_PKEY_get_bits(st.pkey), threads,
           st.copy_setup ? "copy" : st.md ? "fetched" : "init", t1 - t0, total,
           (double)total / (t1 - t0), total ? (c1 - c0) * 1e6 / total : 0.0);
    free((void *)st.sig);
    EVP_MD_free(st.md);
    free(msg);
    EVP_PKEY_free(st.pkey);
    return 0;
}
