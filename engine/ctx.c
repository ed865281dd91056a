/* ctx.c - the public inference calls: contexts, runs, outputs. A context plans its memory for the size
 * of each run and keeps the arena, growing it only when a larger plan arrives. */
#include "ctx.h"

#include "mem.h"

#include <stdlib.h>

u2net_ctx_params u2net_ctx_default_params(void) {
    u2net_ctx_params p = {0};
    return p;
}

/* $U2NET_THREADS, else the CPUs of the affinity mask (on Lambda: what the memory size buys). */
u2net_status u2_default_threads(int *n) {
    const char *env = getenv("U2NET_THREADS");
    *n = u2_cpu_count();
    if (!env || !*env) return U2NET_OK;
    char *end;
    long v = strtol(env, &end, 10);
    if (*end || v < 1 || v > 1024)
        return u2_fail(U2NET_ERR_ARG, "U2NET_THREADS='%.32s' is not a thread count (1..1024)", env);
    *n = (int)v;
    return U2NET_OK;
}

u2net_status u2net_ctx_init(const u2net_model *m, const u2net_ctx_params *params, u2net_ctx **out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "u2net_ctx_init: out is NULL");
    *out = NULL;
    if (!m) return u2_fail(U2NET_ERR_ARG, "u2net_ctx_init: model is NULL");
    if (params && params->n_threads < 0)
        return u2_fail(U2NET_ERR_ARG, "u2net_ctx_init: n_threads %d is negative", params->n_threads);
    int n = params ? params->n_threads : 0;
    if (n == 0) U2_TRY(u2_default_threads(&n));
    if (n > 1024) return u2_fail(U2NET_ERR_ARG, "u2net_ctx_init: %d threads is more than 1024", n);
    u2net_ctx *c = u2_calloc(1, sizeof *c);
    if (!c) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a context");
    c->m = m;
    c->k = m->kernels;
    c->n_threads = n;
    c->max_memory = params ? params->max_memory : 0;
    const char *dump = getenv("U2NET_DUMP");
    if (dump && *dump) {
        size_t len = strlen(dump);
        c->dump_dir = u2_malloc(len + 1);
        if (!c->dump_dir) {
            u2_free(c);
            return u2_fail(U2NET_ERR_NOMEM, "out of memory for the dump folder name");
        }
        memcpy(c->dump_dir, dump, len + 1);
    }
    const char *fuse = getenv("U2NET_FUSE");
    c->fuse = !c->dump_dir && !(fuse && !strcmp(fuse, "0"));
    u2net_status s = u2_pool_create(n, &c->pool);
    if (s != U2NET_OK) {
        u2_free(c->dump_dir);
        u2_free(c);
        return s;
    }
    *out = c;
    return U2NET_OK;
}

void u2net_ctx_free(u2net_ctx *c) {
    if (!c) return;
    u2_pool_free(c->pool);
    u2_plan_free(&c->plan);
    u2_free_big(c->arena);
    u2_free_aligned(c->scratch);
    u2_free(c->dump_dir);
    u2_free(c);
}

/* Make the plan, arena and scratch fit an h x w run. On failure the context holds no plan. */
static u2net_status prepare(u2net_ctx *c, int h, int w) {
    if (c->plan.v && c->plan.h == h && c->plan.w == w) return U2NET_OK;
    u2_plan_free(&c->plan);
    u2_plan p;
    U2_TRY(u2_plan_build_fuse(c->m, h, w, c->fuse, &p));
    if (c->max_memory) {
        size_t need = 0, scratch;
        int ok = u2_mul_ok(p.arena_floats, sizeof(float), &need) &&
                 u2_mul_ok((p.scratch_bytes + 63) / 64 * 64, (size_t)c->n_threads, &scratch) && u2_add_ok(need, scratch, &need);
        if (!ok || need > c->max_memory) {
            u2_plan_free(&p);
            return u2_fail(U2NET_ERR_LIMIT, "a %dx%d run needs %.1f MiB of activations, the context allows %.1f MiB", h, w,
                           ok ? (double)need / 1048576.0 : 1e30, (double)c->max_memory / 1048576.0);
        }
    }
    if (p.arena_floats > c->arena_cap) {
        size_t bytes;
        if (!u2_mul_ok(p.arena_floats, sizeof(float), &bytes)) {
            u2_plan_free(&p);
            return u2_fail(U2NET_ERR_LIMIT, "activations at %dx%d need more memory than can be addressed", h, w);
        }
        u2_free_big(c->arena);
        c->arena_cap = 0;
        c->arena = u2_alloc_big(bytes);
        if (!c->arena) {
            u2_plan_free(&p);
            return u2_fail(U2NET_ERR_NOMEM, "out of memory for %zu bytes of activations at %dx%d", bytes, h, w);
        }
        c->arena_cap = p.arena_floats;
    }
    if (p.scratch_bytes > c->scratch_each) {
        size_t each = (p.scratch_bytes + 63) / 64 * 64, bytes;
        u2_free_aligned(c->scratch);
        c->scratch_each = 0;
        c->scratch = NULL;
        if (!u2_mul_ok(each, (size_t)c->n_threads, &bytes) || !(c->scratch = u2_malloc_aligned(bytes))) {
            u2_plan_free(&p);
            return u2_fail(U2NET_ERR_NOMEM, "out of memory for %d x %zu bytes of kernel scratch", c->n_threads, each);
        }
        c->scratch_each = each;
    }
    c->plan = p;
    return U2NET_OK;
}

u2net_status u2net_run(u2net_ctx *c, const float *input, int h, int w) {
    if (!c || !input) return u2_fail(U2NET_ERR_ARG, "u2net_run: context or input is NULL");
    c->have_output = 0;
    if (h < 1 || w < 1) return u2_fail(U2NET_ERR_ARG, "u2net_run: input size %dx%d (height and width must be >= 1)", h, w);
    U2_TRY(prepare(c, h, w));
    const u2_plan_value *in = &c->plan.v[0];
    memcpy(c->arena + in->offset, input, in->n * sizeof(float));
    U2_TRY(u2_exec_run(c));
    c->have_output = 1;
    return U2NET_OK;
}

u2net_status u2net_get_output(const u2net_ctx *c, int index, u2net_tensor *out) {
    if (!c || !out) return u2_fail(U2NET_ERR_ARG, "u2net_get_output: context or out is NULL");
    if (index < 0 || (uint32_t)index >= c->m->n_outputs)
        return u2_fail(U2NET_ERR_ARG, "u2net_get_output: output %d of %u", index, c->m->n_outputs);
    if (!c->have_output) return u2_fail(U2NET_ERR_ARG, "u2net_get_output: no successful run yet");
    const u2_plan_value *v = &c->plan.v[c->m->outputs[index]];
    out->data = c->arena + v->offset;
    out->c = v->c;
    out->h = v->h;
    out->w = v->w;
    return U2NET_OK;
}
