/* bench_util.h - what the benches share (header-only: each bench is one .c file): clocks, sorting
 * times for medians, and timing a float32 conv of one kernel set. */
#ifndef U2NET_BENCH_UTIL_H
#define U2NET_BENCH_UTIL_H

#include "kernels.h"
#include "mem.h"

#include <time.h>

static inline double bench_now_ms(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* qsort order of doubles, ascending */
static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Best of `runs` times (seconds, from now()) of set k's float32 conv on a (x, w, b, y filled in), with
 * its packed weights and scratch made around the runs as the engine makes them; -1 if prepare refuses. */
static inline double bench_f32_conv_best(const u2_kernels *k, u2_conv_args *a, int runs, double (*now)(void)) {
    void *packed = NULL, *scratch = NULL;
    if (k->conv_prepare && k->conv_prepare(a, &packed) != U2NET_OK) return -1.0;
    a->packed = packed;
    if (k->conv_scratch) a->scratch = scratch = u2_alloc_big(k->conv_scratch(a) + 64);
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        double t = now();
        k->conv(a, 0, a->oc, 0, a->oh);
        t = now() - t;
        if (t < best) best = t;
    }
    if (packed) k->conv_release(packed);
    u2_free_big(scratch);
    a->packed = a->scratch = NULL;
    return best;
}

#endif /* U2NET_BENCH_UTIL_H */
