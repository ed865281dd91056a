/*
 * ctx.h - an inference context: the activation arena, the memory plan for the current input size and
 * the worker threads. Internal; the public calls are in u2net.h.
 */
#ifndef U2NET_CTX_H
#define U2NET_CTX_H

#include "kernels.h"
#include "plan.h"
#include "pool.h"

struct u2net_ctx {
    const u2net_model *m;
    const u2_kernels *k;
    u2_pool *pool;
    int n_threads;
    size_t max_memory;        /* 0: no limit */

    u2_plan plan;             /* for plan.h x plan.w; plan.v == NULL: none yet */
    float *arena;             /* (arena_cap) floats, 64-aligned; values live at plan.v[i].offset */
    size_t arena_cap;
    uint8_t *scratch;         /* n_threads x scratch_each bytes for conv kernels */
    size_t scratch_each;
    int have_output;          /* the last run succeeded: outputs are readable */

    char *dump_dir;           /* $U2NET_DUMP at init: write every op's output there */
    int fuse;                 /* fold residual Adds into their conv (engine/fuse.c): off with $U2NET_FUSE=0
                                 or a dump (a fused conv's own output is never stored) */
};

/* The thread count of a context made with n_threads = 0 (ctx.c). */
u2net_status u2_default_threads(int *n);

/* Run every op of the model on the prepared arena (exec.c). */
u2net_status u2_exec_run(u2net_ctx *ctx);

/* Run op i alone on the arena as the last run left it (bench_engine --profile times ops this way; no other caller). */
void u2_exec_op(u2net_ctx *ctx, uint32_t i);

#endif /* U2NET_CTX_H */
