/*
 * The smallest test harness that does the job: CHECK records a failure with
 * its place and goes on; UNIT_DONE prints "N passed, N failed" and returns
 * the exit status.  Each t/unit/test_*.c is one program.
 */
#ifndef MCP_UNIT_H
#define MCP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (cond) {                                                           \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                     \
    } while (0)

#define CHECK_STR(got, want)                                                  \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        if (g_ && w_ && strcmp(g_, w_) == 0) {                                \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s\n  want: %s\n",       \
                    __FILE__, __LINE__, #got, g_ ? g_ : "(null)",             \
                    w_ ? w_ : "(null)");                                      \
        }                                                                     \
    } while (0)

#define CHECK_INT(got, want)                                                  \
    do {                                                                      \
        long long g_ = (long long)(got), w_ = (long long)(want);              \
        if (g_ == w_) {                                                       \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n  got:  %lld\n  want: %lld\n",   \
                    __FILE__, __LINE__, #got, g_, w_);                        \
        }                                                                     \
    } while (0)

#define UNIT_DONE(name)                                                       \
    (printf("%s: %d passed, %d failed\n", (name), unit_passed, unit_failed),  \
     unit_failed ? 1 : 0)

#endif /* MCP_UNIT_H */
