/* fuzz_model.c - libFuzzer harness for the model loader and a run at tiny sizes. The harness rewrites
 * the file-size and checksum fields of inputs that start with the magic, so mutations reach the table,
 * graph and shape checks instead of all dying at the checksum (which tests/unit/test_model.c covers).
 * Whatever loads is planned at 3x5 and 1x1 (with residual Adds fused into their convs and without: no two
 * values alive at once may share memory unless one holds the other) and, if cheap enough, run both ways;
 * every output is read in full, and the fused outputs must be bitwise the unfused ones. */
#include "format.h"
#include "model.h"
#include "plan.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A value inside another (a concat's input, a fused conv's output inside its Add's) may share its memory. */
static int holds(const u2_plan *p, uint32_t outer, uint32_t v) {
    for (; p->v[v].parent != v; v = p->v[v].parent)
        if (p->v[v].parent == outer) return 1;
    return 0;
}

static void check_plan(const u2_plan *p) {
    if (p->n_values > 600) return; /* quadratic */
    for (uint32_t a = 0; a < p->n_values; a++)
        for (uint32_t b = a + 1; b < p->n_values; b++) {
            const u2_plan_value *x = &p->v[a], *y = &p->v[b];
            if (x->last < y->first || y->last < x->first || holds(p, a, b) || holds(p, b, a)) continue;
            if (x->offset + x->n > y->offset && y->offset + y->n > x->offset) abort();
            if (x->offset + x->n > p->arena_floats) abort();
        }
}

/* Every output of a run with fusion on (fuse) or off, concatenated (malloc'ed; NULL if it failed). */
static float *run_once(const u2net_model *m, int h, int w, int fuse, size_t *n_out) {
    if (fuse) unsetenv("U2NET_FUSE");
    else setenv("U2NET_FUSE", "0", 1);
    u2net_ctx *c;
    u2net_ctx_params prm = {.n_threads = 2, .max_memory = 64u << 20};
    float *out = NULL;
    if (u2net_ctx_init(m, &prm, &c) != U2NET_OK) return NULL;
    size_t n = (size_t)m->input_channels * (size_t)h * (size_t)w, total = 0;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; x && i < n; i++) x[i] = (float)((i * 7) % 11) - 5.0f;
    if (x && u2net_run(c, x, h, w) == U2NET_OK) {
        for (uint32_t k = 0; k < m->n_outputs; k++) {
            u2net_tensor t;
            if (u2net_get_output(c, (int)k, &t) != U2NET_OK) abort();
            total += (size_t)t.c * t.h * t.w;
        }
        out = malloc(total * sizeof *out + 1);
        for (uint32_t k = 0, at = 0; out && k < m->n_outputs; k++) {
            u2net_tensor t;
            u2net_get_output(c, (int)k, &t);
            memcpy(out + at, t.data, (size_t)t.c * t.h * t.w * sizeof *out);
            at += (uint32_t)((size_t)t.c * t.h * t.w);
        }
    }
    *n_out = total;
    free(x);
    u2net_ctx_free(c);
    unsetenv("U2NET_FUSE");
    return out;
}

static void run_at(const u2net_model *m, int h, int w) {
    u2_plan p;
    if (u2_plan_build(m, h, w, &p) != U2NET_OK) return;
    int cheap = p.macs < 20000000 && p.arena_floats < (4u << 20);
    check_plan(&p);
    u2_plan_free(&p);
    if (u2_plan_build_fuse(m, h, w, 0, &p) != U2NET_OK) abort(); /* fusion never makes a plan possible */
    check_plan(&p);
    u2_plan_free(&p);
    if (!cheap) return;
    size_t n1 = 0, n0 = 0;
    float *fused = run_once(m, h, w, 1, &n1);
    float *plain = m->n_fused ? run_once(m, h, w, 0, &n0) : NULL;
    if (fused && plain && (n0 != n1 || memcmp(fused, plain, n1 * sizeof *fused) != 0)) abort();
    free(fused);
    free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *b = malloc(size ? size : 1); /* aligned, as a mapping would be */
    if (!b) return 0;
    memcpy(b, data, size);
    if (size >= U2_HDR_SIZE && memcmp(b, U2_MAGIC, 8) == 0) {
        u2_wr64le(b + U2_HDR_FILE_SIZE, size);
        u2_wr64le(b + U2_HDR_CHECKSUM, u2_xxh64(b + U2_CHECKSUM_START, size - U2_CHECKSUM_START));
    }
    u2net_model *m;
    if (u2net_model_load_memory(b, size, &m) == U2NET_OK) {
        run_at(m, 3, 5);
        run_at(m, 1, 1);
        u2net_model_free(m);
    }
    free(b);
    return 0;
}
