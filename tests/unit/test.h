/*
 * test.h - the smallest test harness that does the job. A test program is a list of test functions:
 *
 *     static void test_sigmoid(void) { CHECK(fabsf(sigmoid(0) - 0.5f) < 1e-7, "got %f", sigmoid(0)); }
 *     int main(void) { RUN(test_sigmoid); return test_done(); }
 *
 * Each RUN prints "ok NAME", "FAIL NAME: file:line: message" or "skip NAME: reason" (tests/run.sh counts
 * these). CHECK records a failure and goes on; REQUIRE returns from the test; SKIP returns as skipped.
 */
#ifndef U2NET_TEST_H
#define U2NET_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_tests, t_cur_failed, t_cur_skipped;
static char t_msg[1024];

#define T_RECORD(...)                                                                              \
    do {                                                                                           \
        if (!t_cur_failed) {                                                                       \
            int t_n_ = snprintf(t_msg, sizeof t_msg, "%s:%d: ", __FILE__, __LINE__);               \
            if (t_n_ > 0 && (size_t)t_n_ < sizeof t_msg)                                           \
                snprintf(t_msg + t_n_, sizeof t_msg - (size_t)t_n_, __VA_ARGS__);                  \
        }                                                                                          \
        t_cur_failed++;                                                                            \
    } while (0)

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) T_RECORD("check failed (" #cond "): " __VA_ARGS__);                           \
    } while (0)

#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            T_RECORD("required (" #cond "): " __VA_ARGS__);                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define SKIP(...)                                                                                  \
    do {                                                                                           \
        snprintf(t_msg, sizeof t_msg, __VA_ARGS__);                                                \
        t_cur_skipped = 1;                                                                         \
        return;                                                                                    \
    } while (0)

static void t_run(void (*fn)(void), const char *name) {
    t_cur_failed = 0;
    t_cur_skipped = 0;
    t_msg[0] = 0;
    fn();
    if (t_cur_failed) {
        printf("FAIL %s: %s%s\n", name, t_msg, t_cur_failed > 1 ? " (and more)" : "");
        t_failed_tests++;
    } else if (t_cur_skipped) {
        printf("skip %s: %s\n", name, t_msg);
    } else {
        printf("ok %s\n", name);
    }
    fflush(stdout);
}
#define RUN(fn) t_run(fn, #fn)

static inline int test_done(void) { return t_failed_tests ? 1 : 0; }

/* Where the shared fixtures live ($U2NET_SHARED, default ../shared) and a scratch folder. */
static inline const char *test_shared_dir(void) {
    const char *s = getenv("U2NET_SHARED");
    return s && *s ? s : "../shared";
}
static inline const char *test_tmp_dir(void) {
    const char *s = getenv("U2NET_TMP");
    return s && *s ? s : "build/tmp";
}

#endif
