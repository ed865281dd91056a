/* bench_fuse.c - residual adds fused into their conv (engine/fuse.c) against every op alone, in one process
 * so that both sides see the same machine load: two contexts on one model (fusion on, and U2NET_FUSE=0),
 * one full run each, then every op timed alone on each context in turn, min over N repetitions. Prints
 * the ops whose times differ, the fused pairs (conv + add) side by side and both totals. Timing only:
 * tests/unit/test_fuse.c checks that the outputs are bitwise the same.
 *
 *   build/bench/bench_fuse MODEL.u2n [--size HxW] [--runs N]      (1 thread) */
#include "ctx.h"
#include "u2net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static u2net_ctx *context(const u2net_model *m, int fuse) {
    if (fuse) unsetenv("U2NET_FUSE");
    else setenv("U2NET_FUSE", "0", 1);
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = 1;
    u2net_ctx *c = NULL;
    if (u2net_ctx_init(m, &p, &c) != U2NET_OK) c = NULL;
    unsetenv("U2NET_FUSE");
    return c;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    int h = 320, w = 320, runs = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc && sscanf(argv[i + 1], "%dx%d", &h, &w) == 2) i++;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else path = argv[i];
    }
    if (!path || runs < 1 || h < 1 || w < 1) {
        fprintf(stderr, "usage: bench_fuse MODEL.u2n [--size HxW] [--runs N]\n");
        return 2;
    }
    u2net_model *m;
    if (u2net_model_load(path, &m) != U2NET_OK) {
        fprintf(stderr, "bench_fuse: %s\n", u2net_last_error());
        return 1;
    }
    u2net_ctx *cf = context(m, 1), *cu = context(m, 0);
    const size_t n = (size_t)m->input_channels * (size_t)h * (size_t)w;
    float *x = malloc(n * sizeof *x);
    double *tf = calloc(m->n_ops, sizeof *tf), *tu = calloc(m->n_ops, sizeof *tu);
    if (!cf || !cu || !x || !tf || !tu) return 1;
    for (size_t i = 0; i < n; i++) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    if (u2net_run(cf, x, h, w) != U2NET_OK || u2net_run(cu, x, h, w) != U2NET_OK) {
        fprintf(stderr, "bench_fuse: %s\n", u2net_last_error());
        return 1;
    }
    double sf = 0, su = 0, pf = 0, pu = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        tf[i] = tu[i] = 1e30;
        for (int r = 0; r < runs; r++) { /* interleaved: both sides share the load of the moment */
            double t0 = now_ms();
            u2_exec_op(cf, i);
            double t1 = now_ms();
            if (t1 - t0 < tf[i]) tf[i] = t1 - t0;
            t0 = now_ms();
            u2_exec_op(cu, i);
            t1 = now_ms();
            if (t1 - t0 < tu[i]) tu[i] = t1 - t0;
        }
        sf += tf[i], su += tu[i];
    }
    printf("%-34s %10s %10s\n", "fused pair (conv + add)", "fused ms", "apart ms");
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (m->ops[i].type != U2_OP_CONV || m->fused[i] == U2_NONE) continue;
        const uint32_t j = m->fused[i];
        printf("%-34.34s %10.3f %10.3f\n", m->ops[i].name, tf[i] + tf[j], tu[i] + tu[j]);
        pf += tf[i] + tf[j], pu += tu[i] + tu[j];
    }
    printf("%-34s %10.3f %10.3f\n\n%-34s %10s %10s\n", "all fused pairs", pf, pu, "other ops differing by > 5%", "fused plan",
           "apart");
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (m->fused[i] != U2_NONE) continue;
        const double d = tf[i] - tu[i];
        if (d > 0.05 * tu[i] + 0.05 || -d > 0.05 * tu[i] + 0.05)
            printf("%-7s %-26.26s %10.3f %10.3f\n", u2_op_type_name(m->ops[i].type), m->ops[i].name, tf[i], tu[i]);
    }
    printf("\ntotal of every op alone: fused %.2f ms, apart %.2f ms (min of %d, 1 thread, %dx%d)\n", sf, su, runs, h, w);
    free(x);
    free(tf);
    free(tu);
    u2net_ctx_free(cf);
    u2net_ctx_free(cu);
    u2net_model_free(m);
    return 0;
}
