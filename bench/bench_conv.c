/* bench_conv.c - the conv kernels alone, one thread, on the layer shapes U²-Net spends its time in
 * (3x3, dilation 1..8, 320x320 down to 10x10): GMAC/s of every kernel set this CPU runs, best of N runs.
 * For tuning kernels; `make bench` reports whole networks (bench/bench_engine.c).
 *
 *   build/bench/bench_conv [RUNS] [ISA]  e.g. build/bench/bench_conv 5 avx512 */
#include "bench_util.h"
#include "kernels.h"
#include "mem.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    int ic, oc, hw, d;
    const char *where;
    int s; /* stride */
} shape;

static const shape shapes[] = {
    {64, 64, 320, 1, "U2-Net En_1", 1},   {128, 64, 320, 1, "De_1, U2-NetP", 1}, {32, 64, 320, 1, "U2-NetP", 1},
    {64, 16, 320, 1, "U2-NetP", 1},       {16, 16, 160, 1, "U2-NetP", 1},        {64, 128, 160, 1, "U2-Net En_2", 1},
    {128, 256, 80, 1, "U2-Net En_3", 1},  {256, 512, 40, 1, "U2-Net En_4", 1},  {512, 512, 20, 1, "U2-Net En_5", 1},
    {512, 256, 20, 4, "En_5 d4", 1},      {256, 256, 20, 8, "En_5 d8", 1},      {512, 512, 10, 1, "U2-Net En_6", 1},
    {256, 256, 10, 8, "En_6 d8", 1},      {3, 64, 320, 1, "first conv", 1},     {64, 1, 320, 1, "side 1", 1},
    {3, 64, 1024, 1, "ISNet conv_in s2", 2},
};

static double now(void) {
    struct timespec t;
    clock_gettime(getenv("BENCH_WALL") ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static float *rnd(size_t n) {
    float *p = u2_alloc_big(n * sizeof *p); /* as the arena: huge-page advised */
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
    return p;
}

static double run(const u2_kernels *k, const shape *sh, int runs) {
    const int st = sh->s, ohw = u2_conv_out_len(sh->hw, 3, st, sh->d, sh->d, sh->d);
    u2_conv_args a = {.ic = sh->ic, .ih = sh->hw, .iw = sh->hw, .oc = sh->oc, .oh = ohw, .ow = ohw, .kh = 3, .kw = 3,
                      .sh = st, .sw = st, .pt = sh->d, .pl = sh->d, .dh = sh->d, .dw = sh->d, .groups = 1, .relu = 1};
    const size_t plane = (size_t)ohw * ohw;
    float *x = rnd((size_t)sh->ic * sh->hw * sh->hw), *w = rnd((size_t)sh->oc * sh->ic * 9), *b = rnd((size_t)sh->oc);
    float *y = u2_alloc_big((size_t)sh->oc * plane * sizeof(float));
    a.x = x, a.w = w, a.b = b, a.y = y;
    const double best = bench_f32_conv_best(k, &a, runs, now);
    u2_free_big(x), u2_free_big(w), u2_free_big(b), u2_free_big(y);
    return best < 0 ? 0.0 : (double)sh->ic * sh->oc * 9 * (double)plane / best / 1e9;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    const char *only = argc > 2 ? argv[2] : NULL;
    if (runs < 1) runs = 1;
    printf("%-16s %4s %4s %4s %2s", "layer", "ic", "oc", "hw", "d");
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const char *n = u2_kernels_name_at(i);
        if (u2_kernels_by_name(n) && (!only || !strcmp(only, n))) printf(" %12s", n);
    }
    printf("   (GMAC/s, best of %d)\n", runs);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape *sh = &shapes[s];
        printf("%-16s %4d %4d %4d %2d", sh->where, sh->ic, sh->oc, sh->hw, sh->d);
        fflush(stdout);
        for (int i = 0; u2_kernels_name_at(i); i++) {
            const u2_kernels *k = u2_kernels_by_name(u2_kernels_name_at(i));
            if (!k || (only && strcmp(only, k->isa))) continue;
            printf(" %12.1f", run(k, sh, runs));
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}
