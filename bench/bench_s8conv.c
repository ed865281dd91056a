/* bench_s8conv.c - the int8 conv kernels alone, one thread, on the layer shapes U²-Net spends its time
 * in (bench_conv.c's list): GMAC/s of every kernel set's int8 conv, best of N runs, with the set's
 * float32 conv on the same shape for comparison. For tuning kernels; `make bench` reports networks.
 *
 *   build/bench_s8conv [RUNS] [SET]        e.g. build/bench_s8conv 5 avx512 */
#include "bench_util.h"
#include "kernels.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    int ic, oc, hw, k, d;
    const char *where;
} shape;

static const shape shapes[] = {
    {64, 64, 320, 3, 1, "U2-Net En_1"},  {128, 64, 320, 3, 1, "De_1, U2-NetP"}, {32, 64, 320, 3, 1, "U2-NetP"},
    {64, 16, 320, 3, 1, "U2-NetP"},      {16, 16, 160, 3, 1, "U2-NetP"},        {64, 128, 160, 3, 1, "U2-Net En_2"},
    {128, 256, 80, 3, 1, "U2-Net En_3"}, {256, 512, 40, 3, 1, "U2-Net En_4"},  {512, 512, 20, 3, 1, "U2-Net En_5"},
    {512, 256, 20, 3, 4, "En_5 d4"},     {256, 256, 20, 3, 8, "En_5 d8"},      {512, 512, 10, 3, 1, "U2-Net En_6"},
    {256, 256, 10, 3, 8, "En_6 d8"},     {64, 64, 320, 1, 1, "1x1"},
};

/* Thread CPU time, as bench_peak (BENCH_WALL=1: wall time): kernel comparisons stay stable on a shared host. */
static double now(void) {
    struct timespec t;
    clock_gettime(getenv("BENCH_WALL") ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint32_t g_seed = 12345;
static uint32_t next(void) { return g_seed = g_seed * 1664525u + 1013904223u; }

/* A ReLU output: a quarter zeros, the rest spread over [0, 4). */
static float *activations(size_t n) {
    float *p = u2_malloc_aligned(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (next() >> 30) == 0 ? 0.0f : (float)(next() >> 8) / 4194304.0f;
    return p;
}

static double run_s8(const u2_kernels *k, const shape *sh, int runs) {
    u2_s8conv_args a = {.ic = sh->ic, .ih = sh->hw, .iw = sh->hw, .oc = sh->oc, .oh = sh->hw, .ow = sh->hw,
                        .kh = sh->k, .kw = sh->k, .sh = 1, .sw = 1, .pt = sh->k / 2 * sh->d, .pl = sh->k / 2 * sh->d,
                        .dh = sh->d, .dw = sh->d, .relu = 1};
    const size_t plane = (size_t)sh->hw * sh->hw, wbytes = u2_s8_packed_size(sh->oc, sh->ic, sh->k, sh->k);
    float *x = activations((size_t)sh->ic * plane), *ws = activations((size_t)sh->oc), *b = activations((size_t)sh->oc);
    int8_t *w = u2_malloc_aligned(wbytes);
    for (size_t i = 0; i < wbytes; i++) w[i] = (int8_t)((int)(next() >> 24) - 128 + ((next() >> 31) & 1));
    float *y = u2_malloc_aligned((size_t)sh->oc * plane * sizeof(float));
    a.x = x, a.w = w, a.wscale = ws, a.b = b, a.y = y;
    a.oc_chunk = (sh->oc + 3) / 4 * 4;
    void *scratch = u2_malloc_aligned(k->s8_conv_scratch(&a) + 64);
    a.scratch = scratch;
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        double t = now();
        k->s8_conv(&a, 0, u2_s8_units(&a));
        t = now() - t;
        if (t < best) best = t;
    }
    u2_free_aligned(scratch);
    u2_free_aligned(x), u2_free_aligned(w), u2_free_aligned(ws), u2_free_aligned(b), u2_free_aligned(y);
    return (double)sh->ic * sh->oc * sh->k * sh->k * (double)plane / best / 1e9;
}

static double run_f32(const u2_kernels *k, const shape *sh, int runs) {
    u2_conv_args a = {.ic = sh->ic, .ih = sh->hw, .iw = sh->hw, .oc = sh->oc, .oh = sh->hw, .ow = sh->hw, .kh = sh->k,
                      .kw = sh->k, .sh = 1, .sw = 1, .pt = sh->k / 2 * sh->d, .pl = sh->k / 2 * sh->d, .dh = sh->d,
                      .dw = sh->d, .groups = 1, .relu = 1};
    const size_t plane = (size_t)sh->hw * sh->hw;
    float *x = activations((size_t)sh->ic * plane), *w = activations((size_t)sh->oc * sh->ic * sh->k * sh->k);
    float *b = activations((size_t)sh->oc), *y = u2_malloc_aligned((size_t)sh->oc * plane * sizeof(float));
    a.x = x, a.w = w, a.b = b, a.y = y;
    const double best = bench_f32_conv_best(k, &a, runs, now);
    u2_free_aligned(x), u2_free_aligned(w), u2_free_aligned(b), u2_free_aligned(y);
    return best < 0 ? 0.0 : (double)sh->ic * sh->oc * sh->k * sh->k * (double)plane / best / 1e9;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    const char *only = argc > 2 ? argv[2] : NULL;
    if (runs < 1) runs = 1;
    printf("%-16s %4s %4s %4s %3s", "layer", "ic", "oc", "hw", "kxd");
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const u2_kernels *k = u2_kernels_by_name(u2_kernels_name_at(i));
        if (k && (!only || !strcmp(only, k->isa))) printf("  %10s i8 %6s", k->s8_isa, "f32");
    }
    printf("   (GMAC/s, best of %d)\n", runs);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape *sh = &shapes[s];
        printf("%-16s %4d %4d %4d %dx%d", sh->where, sh->ic, sh->oc, sh->hw, sh->k, sh->d);
        fflush(stdout);
        for (int i = 0; u2_kernels_name_at(i); i++) {
            const u2_kernels *k = u2_kernels_by_name(u2_kernels_name_at(i));
            if (!k || (only && strcmp(only, k->isa))) continue;
            printf("  %13.1f %6.1f", run_s8(k, sh, runs), run_f32(k, sh, runs));
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}
